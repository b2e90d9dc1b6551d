//! Evidence collection (`exhunt scan ... --collect DIR`): every file behind a finding is copied out
//! of the evidence into `DIR/<host>/` (or one `DIR/<host>.zip`), keeping its path relative to the
//! scanned root, hashed (SHA-256 and MD5) in the same single read that copies it, with its times
//! as they were before copying, in a manifest. [`verify`] re-hashes a collection against it.
//!
//! The evidence is only ever opened through [`open_read_only`]; nothing existing is overwritten
//! (name clashes get `.1`, `.2`, ...; an existing `DIR/<host>` gets a new `DIR/<host>.1`).

mod copy;
pub mod manifest;
pub mod open;
pub mod verify;

pub(crate) use copy::hash_stream;
use copy::{BUF, Copied, SparseFile, copy_hashing};

use crate::model::names::{name_bytes, real_path};
use crate::report::file_safe;
use crate::scan::ScanResult;
use manifest::{Entry, Manifest, NotCollected, Scanned};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashSet};
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};
use std::time::SystemTime;

/// How many `.N` suffixes are tried for a name clash before giving up.
const MAX_CLASH: u32 = 10_000;
/// Default `--collect-max-file-size`: bytes copied of one file (the whole file is still hashed).
pub const DEFAULT_MAX_FILE_SIZE: u64 = 256 << 20;
/// Default `--collect-max-total`: bytes copied into one collection.
pub const DEFAULT_MAX_TOTAL: u64 = 4 << 30;

/// Where and how to collect.
#[derive(Clone, Debug)]
pub struct CollectOptions {
    pub dir: PathBuf,
    /// One `DIR/<host>.zip` instead of a folder.
    pub zip: bool,
    /// At most this many bytes of one file are copied (the rest is hashed, not copied).
    pub max_file_size: u64,
    /// At most this many bytes are copied in all.
    pub max_total: u64,
}

impl CollectOptions {
    /// Collect into `dir` (a folder) with the default budgets.
    pub fn new(dir: PathBuf) -> CollectOptions {
        CollectOptions {
            dir,
            zip: false,
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            max_total: DEFAULT_MAX_TOTAL,
        }
    }
}

/// What a collection wrote.
#[derive(Debug)]
pub struct Collected {
    /// The collection folder (`DIR/<host>`) or zip file (`DIR/<host>.zip`).
    pub location: PathBuf,
    /// The manifest files written (inside the folder, or beside the zip).
    pub manifest_files: Vec<PathBuf>,
    /// SHA-256 of `manifest.json`, to note in the case file.
    pub manifest_sha256: String,
    pub manifest: Manifest,
}

/// A file to collect, and the findings that point at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// The file's real path (on Unix, its exact bytes).
    pub source: PathBuf,
    /// `source` shown unambiguously ([`name_bytes`]).
    pub original: String,
    /// Hex of `source`'s bytes when `original` had to escape some of them.
    pub original_hex: Option<String>,
    /// The folder (or file) the user named, opened as given, and the rest of the path below it,
    /// opened one component at a time without following links ([`open::open_beneath`]).
    pub base: PathBuf,
    pub rest: PathBuf,
    /// Relative path inside the collection, `/`-separated, every component made safe.
    pub rel: String,
    pub findings: Vec<String>,
}

/// `check/rule@line:N`, `check/rule@record:N`, or `check/rule@file`.
pub fn finding_id(f: &crate::model::Finding) -> String {
    let at = match (f.source.line, f.source.record_id) {
        (Some(l), _) => format!("line:{l}"),
        (None, Some(r)) => format!("record:{r}"),
        _ => "file".to_string(),
    };
    format!("{}/{}@{at}", f.check, f.rule)
}

/// Makes one path component safe on every file system a collection may be copied to: no
/// separators, no Windows-reserved characters or device names, no control characters, no `.`/`..`.
pub fn safe_component(c: &str) -> String {
    let mut s: String = c
        .chars()
        .map(|ch| {
            if ch.is_control() || matches!(ch, '<' | '>' | ':' | '"' | '|' | '?' | '*' | '\\' | '/')
            {
                '_'
            } else {
                ch
            }
        })
        .collect();
    // Windows drops trailing dots and spaces (and `.`/`..` are not names at all).
    if s.ends_with(['.', ' ']) {
        s.pop();
        s.push('_');
    }
    if s.is_empty() {
        return "_".into();
    }
    let stem = s
        .split('.')
        .next()
        .unwrap_or("")
        .trim_end()
        .to_ascii_uppercase();
    let reserved = matches!(
        stem.as_str(),
        "CON" | "PRN" | "AUX" | "NUL" | "CONIN$" | "CONOUT$"
    ) || (stem.len() == 4
        && (stem.starts_with("COM") || stem.starts_with("LPT"))
        && stem.as_bytes()[3].is_ascii_digit());
    if reserved {
        s.insert(0, '_');
    }
    s
}

/// The safe relative path of `p` (its normal components only): each component's bytes escaped
/// ([`name_bytes`]: invalid UTF-8, controls, bidi characters) and then made safe.
fn safe_rel(p: &Path) -> Vec<String> {
    p.components()
        .filter_map(|c| match c {
            Component::Normal(n) => Some(safe_component(&name_bytes(&open::os_bytes(n)))),
            Component::ParentDir => Some("_".into()),
            _ => None,
        })
        .collect()
}

/// Where a finding's file goes inside the collection.
fn rel_for(scan: &ScanResult, source: &Path) -> String {
    let parts: Vec<String> = if let Some(root) = &scan.params.root {
        match source.strip_prefix(real_path(root)) {
            Ok(rest) => safe_rel(rest),
            Err(_) => {
                let mut v = vec!["_outside_root".to_string()];
                v.extend(safe_rel(source));
                v
            }
        }
    } else {
        // --logs: relative to the given path that holds it, under "<index>-<name of that path>".
        let hit = scan
            .params
            .logs
            .iter()
            .enumerate()
            .filter_map(|(i, l)| {
                source
                    .strip_prefix(real_path(l))
                    .ok()
                    .map(|rest| (i, l, rest))
            })
            .max_by_key(|(_, l, _)| l.len());
        match hit {
            Some((i, l, rest)) => {
                let name = real_path(l)
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "logs".into());
                let mut v = vec![safe_component(&format!("{}-{name}", i + 1))];
                v.extend(safe_rel(rest));
                v
            }
            None => {
                let mut v = vec!["_other".to_string()];
                v.extend(safe_rel(source));
                v
            }
        }
    };
    if parts.is_empty() {
        "_".into()
    } else {
        parts.join("/")
    }
}

/// Every file behind a finding, once, with the findings that reference it (in path order).
/// Findings of severity `info` (listed for completeness, e.g. allowlisted archives or stock pages
/// modified inside an open window) do not make a file evidence on their own.
pub fn plan(scan: &ScanResult) -> Vec<Item> {
    let mut by_path: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for f in &scan.findings {
        if f.source.path.is_empty() || f.severity == crate::model::Severity::Info {
            continue;
        }
        let ids = by_path.entry(f.source.path.as_str()).or_default();
        let id = finding_id(f);
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    // Rolled-up hits (scanner hits, mass attempts): their logs are evidence too
    // (`rolled-up.csv` lists the lines).
    for r in scan
        .rolled_up
        .iter()
        .filter(|r| r.severity > crate::model::Severity::Info)
    {
        let id = format!("{}/{}@rolled-up", r.check, r.rule);
        for l in &r.lines {
            let ids = by_path.entry(&l.path).or_default();
            if !ids.contains(&id) {
                ids.push(id.clone());
            }
        }
    }
    let mut items = Vec::new();
    for (p, findings) in by_path {
        // the scan shows paths escaped where needed (`model::names`): this is the file's own
        let source = real_path(p);
        let (base, rest) = base_and_rest(scan, &source);
        let bytes = open::os_bytes(source.as_os_str());
        let original_hex =
            matches!(name_bytes(&bytes), std::borrow::Cow::Owned(_)).then(|| manifest::hex(&bytes));
        items.push(Item {
            original: p.to_string(),
            original_hex,
            rel: rel_for(scan, &source),
            base,
            rest,
            source,
            findings,
        });
    }
    items
}

/// The trusted start of `source` (ROOT, or the `--logs` path holding it, as given) and the rest.
fn base_and_rest(scan: &ScanResult, source: &Path) -> (PathBuf, PathBuf) {
    if let Some(root) = scan.params.root.as_deref().map(real_path)
        && let Ok(rest) = source.strip_prefix(&root)
    {
        return (root, rest.to_path_buf());
    }
    if scan.params.root.is_none()
        && let Some((l, rest)) = scan
            .params
            .logs
            .iter()
            .map(|l| real_path(l))
            .filter_map(|l| {
                source
                    .strip_prefix(&l)
                    .ok()
                    .map(|rest| (l.clone(), rest.to_path_buf()))
            })
            .max_by_key(|(l, _)| l.as_os_str().len())
    {
        return (l, rest);
    }
    // Outside ROOT (an absolute --exchange-path elsewhere): its folder as named by the user.
    match (source.parent(), source.file_name()) {
        (Some(d), Some(n)) if !d.as_os_str().is_empty() => (d.to_path_buf(), PathBuf::from(n)),
        _ => (source.to_path_buf(), PathBuf::new()),
    }
}

fn rfc3339(t: io::Result<SystemTime>) -> Option<String> {
    jiff::Timestamp::try_from(t.ok()?)
        .ok()
        .map(|t| t.to_string())
}

/// `name`, then `name.1`, `name.2`, ... (the suffix goes after the whole name, extension included,
/// so that the original name stays visible).
fn clash_name(rel: &str, n: u32) -> String {
    if n == 0 {
        rel.to_string()
    } else {
        format!("{rel}.{n}")
    }
}

/// What a collection knows besides the items: when the scan started (a file modified after that
/// may differ from what was scanned) and the budgets.
struct Ctx {
    scan_started_ms: i64,
    max_file_size: u64,
    remaining: u64,
}

impl Ctx {
    /// Bytes that may be copied of the next file.
    fn limit(&self) -> u64 {
        self.max_file_size.min(self.remaining)
    }

    fn cut_reason(&self, c: &Copied, limit: u64) -> Option<String> {
        c.copied_sha256.as_ref()?;
        let what = if c.copied == 0 {
            format!("skipped: not copied ({} bytes), only hashed", c.size)
        } else {
            format!(
                "cut: the first {} of {} bytes copied, the whole file hashed",
                c.copied, c.size
            )
        };
        let why = if limit >= self.max_file_size {
            format!("--collect-max-file-size {} bytes", self.max_file_size)
        } else {
            format!(
                "--collect-max-total reached ({} bytes were left)",
                self.remaining
            )
        };
        Some(format!("{what} ({why})"))
    }
}

fn millis(t: SystemTime) -> Option<i64> {
    jiff::Timestamp::try_from(t)
        .ok()
        .map(|t| t.as_millisecond())
}

#[allow(clippy::too_many_arguments)]
fn entry_for(
    item: &Item,
    rel: String,
    m: &std::fs::Metadata,
    c: &Copied,
    f: &File,
    ctx: &Ctx,
    cut: Option<String>,
) -> Entry {
    let mut notes = Vec::new();
    if c.size != m.len() {
        notes.push(format!(
            "size changed while copying ({} bytes before, {} read): a live file; the hashes are of the bytes read",
            m.len(),
            c.size
        ));
    } else if let Ok(after) = f.metadata()
        && (after.len() != m.len() || after.modified().ok() != m.modified().ok())
    {
        notes.push(
            "file changed while copying (a live file); the hashes are of the bytes read".into(),
        );
    }
    if let Some(t) = m.modified().ok().and_then(millis)
        && t > ctx.scan_started_ms
    {
        notes.push(
            "modified after the scan started: it changed since the scan; the copy may differ from what was scanned"
                .into(),
        );
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        // The path as the scan named it, followed as any tool would: does it still lead here?
        match std::fs::metadata(&item.source) {
            Ok(p) if p.dev() == m.dev() && p.ino() == m.ino() => {}
            _ => notes.push(
                "the path as scanned now leads elsewhere (or nowhere); this copy is of the file reached without following links"
                    .into(),
            ),
        }
    }
    let cut_copy = c.copied_sha256.is_some();
    Entry {
        original_path: item.original.clone(),
        original_path_hex: item.original_hex.clone(),
        collected_path: rel,
        size: c.size,
        sha256: c.sha256.clone(),
        md5: c.md5.clone(),
        copied_size: cut_copy.then_some(c.copied),
        copied_sha256: c.copied_sha256.clone(),
        cut,
        modified: rfc3339(m.modified()),
        created: rfc3339(m.created()),
        accessed: rfc3339(m.accessed()),
        findings: item.findings.clone(),
        note: (!notes.is_empty()).then(|| notes.join("; ")),
    }
}

/// Picks `base`, else `base.1`, `base.2`... that does not exist yet (for a folder: or is empty).
fn fresh_dir(dir: &Path, name: &str) -> Result<PathBuf, String> {
    for n in 0..MAX_CLASH {
        let p = dir.join(clash_name(name, n));
        match std::fs::create_dir(&p) {
            Ok(()) => return Ok(p),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                if p.is_dir()
                    && !p.is_symlink()
                    && std::fs::read_dir(&p).is_ok_and(|mut d| d.next().is_none())
                {
                    return Ok(p);
                }
            }
            Err(e) => {
                return Err(format!(
                    "{}: cannot create the collection folder: {e} (choose a writable --collect folder)",
                    p.display()
                ));
            }
        }
    }
    Err(format!(
        "{}: too many earlier collections named {name}.N; choose another --collect folder",
        dir.display()
    ))
}

/// Creates a new file that did not exist: `name`, else `name.1`, ... Returns it and the name used.
fn create_new_file(dir: &Path, rel: &str) -> io::Result<(File, String)> {
    for n in 0..MAX_CLASH {
        let name = clash_name(rel, n);
        let p = dir.join(&name);
        match OpenOptions::new().write(true).create_new(true).open(&p) {
            Ok(f) => return Ok((f, name)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        format!("{rel}: too many files of that name"),
    ))
}

/// Collects every file behind a finding of `scan`.
pub fn collect(scan: &ScanResult, opts: &CollectOptions) -> Result<Collected, String> {
    let evidence = crate::report::write::evidence_of(scan);
    crate::report::write::refuse_evidence(&evidence, &opts.dir)?;
    std::fs::create_dir_all(&opts.dir).map_err(|e| {
        format!(
            "{}: cannot create the collection folder: {e} (choose a writable --collect folder)",
            opts.dir.display()
        )
    })?;
    let scanned = Scanned {
        mode: scan.params.mode.to_string(),
        root: scan.params.root.clone(),
        logs: scan.params.logs.clone(),
    };
    let items = plan(scan);
    collect_items(&items, &scan.host, scanned, scan.started.millis(), opts)
}

/// Collects `items` (a [`plan`]) for `host`; `scan_started_ms` is when the scan started (a
/// file modified later gets a note).
pub fn collect_items(
    items: &[Item],
    host: &str,
    scanned: Scanned,
    scan_started_ms: i64,
    opts: &CollectOptions,
) -> Result<Collected, String> {
    let mut man = Manifest::new(host, scanned);
    let mut ctx = Ctx {
        scan_started_ms,
        max_file_size: opts.max_file_size,
        remaining: opts.max_total,
    };
    let host = file_safe(host);
    if opts.zip {
        collect_zip(items, &host, opts, &mut man, &mut ctx)
    } else {
        collect_folder(items, &host, opts, &mut man, &mut ctx)
    }
}

fn not_collected(man: &mut Manifest, item: &Item, problem: String) {
    man.not_collected.push(NotCollected {
        original_path: item.original.clone(),
        problem,
        findings: item.findings.clone(),
    });
}

fn collect_folder(
    items: &[Item],
    host: &str,
    opts: &CollectOptions,
    man: &mut Manifest,
    ctx: &mut Ctx,
) -> Result<Collected, String> {
    let base = fresh_dir(&opts.dir, host)?;
    // The manifests' names are reserved before any file is copied.
    let (mut json_f, json_name) = create_new_file(&base, manifest::JSON_NAME)
        .map_err(|e| format!("{}: cannot write the manifest: {e}", base.display()))?;
    let (csv_f, csv_name) = create_new_file(&base, manifest::CSV_NAME)
        .map_err(|e| format!("{}: cannot write the manifest: {e}", base.display()))?;
    for item in items {
        let (mut src, m) = match open::open_beneath(&item.base, &item.rest) {
            Ok(x) => x,
            Err(e) => {
                not_collected(man, item, e);
                continue;
            }
        };
        let target_dir = match Path::new(&item.rel).parent() {
            Some(p) if !p.as_os_str().is_empty() => base.join(p),
            _ => base.clone(),
        };
        if let Err(e) = std::fs::create_dir_all(&target_dir) {
            not_collected(
                man,
                item,
                format!("cannot create {}: {e}", target_dir.display()),
            );
            continue;
        }
        let file_name = Path::new(&item.rel)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "_".into());
        let (mut dst, used) = match create_new_file(&target_dir, &file_name) {
            Ok(x) => x,
            Err(e) => {
                not_collected(
                    man,
                    item,
                    format!("cannot create the copy in {}: {e}", target_dir.display()),
                );
                continue;
            }
        };
        let rel = match Path::new(&item.rel).parent() {
            Some(p) if !p.as_os_str().is_empty() => format!("{}/{used}", p.to_string_lossy()),
            _ => used,
        };
        let limit = ctx.limit();
        let mut w = SparseFile {
            f: &mut dst,
            len: 0,
        };
        match copy_hashing(&mut src, &mut w, limit).and_then(|c| w.finish().map(|()| c)) {
            Ok(c) => {
                let _ = dst.sync_all();
                let cut = ctx.cut_reason(&c, limit);
                ctx.remaining -= c.copied;
                man.files.push(entry_for(item, rel, &m, &c, &src, ctx, cut));
            }
            Err(e) => {
                drop(dst);
                // Our own partial copy, not evidence: remove it so the folder matches the manifest.
                let _ = std::fs::remove_file(base.join(&rel));
                not_collected(man, item, format!("copy failed: {e}"));
            }
        }
    }
    let json = man.to_json();
    json_f
        .write_all(&json)
        .and_then(|()| json_f.sync_all())
        .map_err(|e| format!("{}: cannot write the manifest: {e}", base.display()))?;
    let mut csv_w = io::BufWriter::new(csv_f);
    man.write_csv(&mut csv_w)
        .and_then(|()| csv_w.flush())
        .map_err(|e| format!("{}: cannot write the manifest: {e}", base.display()))?;
    Ok(Collected {
        manifest_files: vec![base.join(json_name), base.join(csv_name)],
        location: base,
        manifest_sha256: sha256_of(&json),
        manifest: man.clone(),
    })
}

fn sha256_of(bytes: &[u8]) -> String {
    manifest::hex(&Sha256::digest(bytes))
}

fn zip_time(m: &std::fs::Metadata) -> zip::DateTime {
    let fallback = zip::DateTime::default();
    let Some(t) = m
        .modified()
        .ok()
        .and_then(|t| jiff::Timestamp::try_from(t).ok())
    else {
        return fallback;
    };
    let dt = jiff::tz::Offset::UTC.to_datetime(t);
    let (Ok(y), Ok(mo), Ok(d), Ok(h), Ok(mi), Ok(s)) = (
        u16::try_from(dt.year()),
        u8::try_from(dt.month()),
        u8::try_from(dt.day()),
        u8::try_from(dt.hour()),
        u8::try_from(dt.minute()),
        u8::try_from(dt.second()),
    ) else {
        return fallback;
    };
    zip::DateTime::from_date_and_time(y, mo, d, h, mi, s).unwrap_or(fallback)
}

fn collect_zip(
    items: &[Item],
    host: &str,
    opts: &CollectOptions,
    man: &mut Manifest,
    ctx: &mut Ctx,
) -> Result<Collected, String> {
    use zip::write::SimpleFileOptions;
    // Reserve DIR/<host>.zip (or <host>.1.zip ...) and its manifests beside it.
    let mut chosen = None;
    for n in 0..MAX_CLASH {
        let stem = clash_name(host, n);
        let zp = opts.dir.join(format!("{stem}.zip"));
        let jp = opts.dir.join(format!("{stem}.{}", manifest::JSON_NAME));
        let cp = opts.dir.join(format!("{stem}.{}", manifest::CSV_NAME));
        if jp.symlink_metadata().is_ok() || cp.symlink_metadata().is_ok() {
            continue;
        }
        match OpenOptions::new().write(true).create_new(true).open(&zp) {
            Ok(f) => {
                chosen = Some((f, zp, jp, cp));
                break;
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                return Err(format!(
                    "{}: cannot create the collection zip: {e} (choose a writable --collect folder)",
                    zp.display()
                ));
            }
        }
    }
    let Some((zf, zpath, jpath, cpath)) = chosen else {
        return Err(format!(
            "{}: too many earlier collections named {host}.N.zip; choose another --collect folder",
            opts.dir.display()
        ));
    };
    let werr = |e: &dyn std::fmt::Display| {
        format!(
            "{}: cannot write the collection zip: {e} (check free space; the partial zip is left for inspection)",
            zpath.display()
        )
    };
    let mut zw = zip::ZipWriter::new(io::BufWriter::with_capacity(BUF, zf));
    let mut taken: HashSet<String> = HashSet::new();
    taken.insert(format!("{host}/{}", manifest::JSON_NAME).to_lowercase());
    taken.insert(format!("{host}/{}", manifest::CSV_NAME).to_lowercase());
    for item in items {
        let (mut src, m) = match open::open_beneath(&item.base, &item.rest) {
            Ok(x) => x,
            Err(e) => {
                not_collected(man, item, e);
                continue;
            }
        };
        let Some(rel) = (0..MAX_CLASH)
            .map(|n| clash_name(&item.rel, n))
            .find(|r| !taken.contains(&format!("{host}/{r}").to_lowercase()))
        else {
            not_collected(man, item, "too many files of that name".into());
            continue;
        };
        let name = format!("{host}/{rel}");
        taken.insert(name.to_lowercase());
        let limit = ctx.limit();
        let options = SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .large_file(m.len().min(limit) >= 0xF000_0000)
            .last_modified_time(zip_time(&m));
        zw.start_file(name.as_str(), options)
            .map_err(|e| werr(&e))?;
        match copy_hashing(&mut src, &mut zw, limit) {
            Ok(c) => {
                let cut = ctx.cut_reason(&c, limit);
                ctx.remaining -= c.copied;
                man.files.push(entry_for(item, rel, &m, &c, &src, ctx, cut));
            }
            Err(e) => {
                zw.abort_file().map_err(|e| werr(&e))?;
                not_collected(man, item, format!("copy failed: {e}"));
            }
        }
    }
    let json = man.to_json();
    let mut csv = Vec::new();
    man.write_csv(&mut csv).map_err(|e| werr(&e))?;
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in [(manifest::JSON_NAME, &json), (manifest::CSV_NAME, &csv)] {
        zw.start_file(format!("{host}/{name}"), options)
            .map_err(|e| werr(&e))?;
        zw.write_all(bytes).map_err(|e| werr(&e))?;
    }
    let mut inner = zw.finish().map_err(|e| werr(&e))?;
    inner.flush().map_err(|e| werr(&e))?;
    inner
        .into_inner()
        .map_err(|e| werr(&e.into_error()))?
        .sync_all()
        .map_err(|e| werr(&e))?;
    let mut written = Vec::new();
    for (p, bytes) in [(&jpath, &json), (&cpath, &csv)] {
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(p)
            .map_err(|e| format!("{}: cannot write the manifest: {e}", p.display()))?;
        f.write_all(bytes)
            .map_err(|e| format!("{}: cannot write the manifest: {e}", p.display()))?;
        written.push(p.clone());
    }
    Ok(Collected {
        location: zpath,
        manifest_files: written,
        manifest_sha256: sha256_of(&json),
        manifest: man.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components_are_made_safe() {
        assert_eq!(safe_component("HttpProxy_2021.LOG"), "HttpProxy_2021.LOG");
        assert_eq!(safe_component("a:b|c?\x1b[31m"), "a_b_c__[31m");
        assert_eq!(safe_component(".."), "._");
        assert_eq!(safe_component("."), "_");
        assert_eq!(safe_component(""), "_");
        assert_eq!(safe_component("CON"), "_CON");
        assert_eq!(safe_component("com1.txt"), "_com1.txt");
        assert_eq!(safe_component("COMX"), "COMX");
        assert_eq!(safe_component("name. "), "name._");
        assert_eq!(safe_component("a\\b"), "a_b");
    }

    #[test]
    fn copy_hashes_what_it_copies() {
        let mut out = Vec::new();
        let c = copy_hashing(&mut &b"abc"[..], &mut out, u64::MAX).unwrap();
        assert_eq!(out, b"abc");
        assert_eq!(c.size, 3);
        assert_eq!(
            c.sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(c.md5, "900150983cd24fb0d6963f7d28e17f72");
    }

    #[test]
    fn clashes_never_overwrite() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("a.log"), b"old").unwrap();
        let (_, n1) = create_new_file(d.path(), "a.log").unwrap();
        let (_, n2) = create_new_file(d.path(), "a.log").unwrap();
        assert_eq!((n1.as_str(), n2.as_str()), ("a.log.1", "a.log.2"));
        assert_eq!(std::fs::read(d.path().join("a.log")).unwrap(), b"old");
    }
}
