//! The MSERT half of the job: scan the web folders' files for webshells and post-exploitation
//! artefacts with YARA rules (boreal), published and user indicators (hashes, names), and
//! drop-zone heuristics. Files are read once each, in parallel, read-only, up to a size cap.
//!
//! Three checks share one pass and one coverage: `webshell-yara`, `webshell-ioc`,
//! `webshell-heuristic`.

use crate::model::names::Shown;
pub mod compiled;
pub mod engine;
pub mod heuristics;
pub mod ioc;
pub mod yara;

use crate::model::{
    CheckStatus, Class, Evidence, FileProblem, Finding, Severity, SourceCoverage, Window,
};
use crate::sources::files::meta;
use crate::sources::webfiles::{self, WebFile, WebPlan};
use engine::{Engine, RuleMatch, Target};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::HashSet;
use std::io::Read;
use std::path::PathBuf;

pub const YARA_ID: &str = "webshell-yara";
pub const YARA_TITLE: &str = "Webshells and artefacts in the web folders: YARA rules";
pub const IOC_ID: &str = "webshell-ioc";
pub const IOC_TITLE: &str = "Webshells and tools: published and user indicators (hashes, names)";
pub const HEUR_ID: &str = "webshell-heuristic";
pub const HEUR_TITLE: &str =
    "Drop-zone heuristics (unknown pages, look-alike names, hidden markup)";

/// Default size cap: files are scanned (and hashed) in their first 32 MiB.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 32 << 20;

/// What the file scan reads and with which rules.
#[derive(Clone, Debug)]
pub struct FileScanOptions {
    /// Scan everything under the root, not only the web folders.
    pub full: bool,
    /// Bytes of each file scanned; larger files are scanned in their first part (reported).
    pub max_file_size: u64,
    /// User YARA files or folders (`.yar`, `.yara`).
    pub yara: Vec<PathBuf>,
    /// User indicator files (plain text or STIX 2.1 JSON).
    pub ioc: Vec<PathBuf>,
}

impl Default for FileScanOptions {
    fn default() -> Self {
        FileScanOptions {
            full: false,
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            yara: Vec::new(),
            ioc: Vec::new(),
        }
    }
}

/// The file-scan settings as recorded in reports (rule-set provenance included).
#[derive(Clone, Debug, Serialize)]
pub struct FileScanParams {
    pub full: bool,
    pub max_file_size: u64,
    pub engine: String,
    pub rules: usize,
    pub yara: Vec<String>,
    pub ioc: Vec<String>,
    pub sha256_indicators: usize,
    pub md5_indicators: usize,
    pub name_indicators: usize,
}

/// Rules and indicators, loaded once before the scan.
pub struct Prepared {
    pub engine: Box<dyn Engine>,
    pub indicators: ioc::Indicators,
    /// User rule or indicator files that could not be (fully) used.
    pub problems: Vec<FileProblem>,
    pub notes: Vec<String>,
    pub params: FileScanParams,
    /// How many user rule files did not load.
    pub yara_problems: usize,
}

/// Checks the `--yara` and `--ioc` paths before anything opens them: a missing path, or a FIFO,
/// socket or device (which could block the run or never end) is refused, never opened.
pub fn check_inputs(opts: &FileScanOptions) -> Result<(), String> {
    let check = |flag: &str, p: &std::path::Path, dir_ok: bool| -> Result<(), String> {
        let m = match std::fs::metadata(p) {
            Ok(m) => m,
            Err(_) if std::fs::symlink_metadata(p).is_ok() => {
                return Err(format!(
                    "{flag} {}: a link that points nowhere",
                    p.display()
                ));
            }
            Err(_) if dir_ok => {
                return Err(format!("{flag} {}: no such file or folder", p.display()));
            }
            Err(_) => return Err(format!("{flag} {}: no such file", p.display())),
        };
        let ft = m.file_type();
        if ft.is_file() || (dir_ok && ft.is_dir()) {
            return Ok(());
        }
        Err(format!(
            "{flag} {}: is {}, not a {}; refusing to open it",
            p.display(),
            crate::sources::files::kind_of(&ft),
            if dir_ok { "file or folder" } else { "file" }
        ))
    };
    for p in &opts.yara {
        check("--yara", p, true)?;
    }
    for p in &opts.ioc {
        check("--ioc", p, true)?;
    }
    Ok(())
}

/// Loads the built-in and user rules and indicators. Fails when a given `--yara`/`--ioc` path
/// does not exist (a usage error), never for a rule file that does not compile.
pub fn prepare(opts: &FileScanOptions) -> Result<Prepared, String> {
    check_inputs(opts)?;
    let loaded = yara::BorealEngine::load(&opts.yara)?;
    let mut indicators = ioc::Indicators::builtin();
    for p in &opts.ioc {
        indicators.load_user(p);
    }
    if !indicators.errors.is_empty() {
        let n = indicators.errors.len();
        let mut shown: Vec<String> = indicators.errors.iter().take(20).cloned().collect();
        if n > 20 {
            shown.push(format!("... and {} more", n - 20));
        }
        return Err(format!(
            "--ioc: {n} line(s) are not indicators (fix or remove them; # starts a comment):\n  {}",
            shown.join("\n  ")
        ));
    }
    let mut problems = loaded.problems;
    let yara_problems = problems.len();
    problems.append(&mut indicators.problems);
    let mut notes = loaded.notes;
    notes.append(&mut indicators.notes);
    for (file, n) in &indicators.loaded {
        notes.push(format!("--ioc {file}: {n} indicator(s) loaded"));
    }
    let params = FileScanParams {
        full: opts.full,
        max_file_size: opts.max_file_size,
        engine: loaded.engine.name(),
        rules: loaded.engine.rule_count(),
        yara: loaded.user_files.clone(),
        ioc: opts.ioc.iter().map(|p| p.shown()).collect(),
        sha256_indicators: indicators.sha256.len(),
        md5_indicators: indicators.md5.len(),
        name_indicators: indicators.names.len(),
    };
    Ok(Prepared {
        engine: Box::new(loaded.engine),
        indicators,
        problems,
        notes,
        params,
        yara_problems,
    })
}

/// Plans the file scan: the default web folders under `root` (everything with `full`), or the
/// loose files given. `exclude` holds the log files the log checks read (a log that recorded a
/// webshell's text is evidence of the write, not a webshell).
pub fn plan(
    root: Option<&std::path::Path>,
    install: Option<&std::path::Path>,
    loose: &[PathBuf],
    full: bool,
    exclude: &HashSet<PathBuf>,
) -> WebPlan {
    match root {
        Some(r) => webfiles::plan_root(r, install, full, exclude),
        None => webfiles::plan_loose(loose, exclude),
    }
}

/// What the file scan found and saw.
pub struct Outcome {
    pub findings: Vec<Finding>,
    pub plan_problems: Vec<FileProblem>,
    pub locations: Vec<webfiles::Location>,
    /// Per-file problems, with the index of their location.
    pub file_problems: Vec<(usize, FileProblem)>,
    /// Files larger than the cap, scanned in their first part.
    pub capped: Vec<(usize, String)>,
    pub files: u64,
    pub bytes: u64,
    pub unreadable: usize,
    pub loose: bool,
    pub max_file_size: u64,
    pub yara_problems: usize,
}

struct FileResult {
    location: usize,
    bytes: u64,
    findings: Vec<Finding>,
    problem: Option<FileProblem>,
    capped: bool,
    scanned: bool,
}

/// Scans every planned file (in parallel on the current rayon pool).
pub fn scan(prep: &Prepared, plan: WebPlan, window: Window) -> Outcome {
    let rooted = !plan.loose;
    let cap = prep.params.max_file_size.max(1);
    let results: Vec<FileResult> = plan
        .files
        .par_iter()
        .with_max_len(1) // one job per file (see scan::run)
        .map_init(Vec::new, |buf, f| {
            scan_one(prep, f, buf, cap, window, rooted)
        })
        .collect();
    let mut o = Outcome {
        findings: Vec::new(),
        plan_problems: plan.problems,
        locations: plan.locations,
        file_problems: Vec::new(),
        capped: Vec::new(),
        files: 0,
        bytes: 0,
        unreadable: 0,
        loose: plan.loose,
        max_file_size: cap,
        yara_problems: prep.yara_problems,
    };
    for (r, f) in results.into_iter().zip(&plan.files) {
        let loc = &mut o.locations[r.location];
        if r.scanned {
            o.files += 1;
            o.bytes += r.bytes;
            loc.files += 1;
            loc.bytes += r.bytes;
        }
        if r.capped {
            o.capped.push((r.location, f.path.shown()));
        }
        if let Some(p) = r.problem {
            if !r.scanned {
                o.unreadable += 1;
            }
            o.file_problems.push((r.location, p));
        }
        o.findings.extend(r.findings);
    }
    o
}

fn hex(bytes: &[u8]) -> String {
    const D: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(D[usize::from(b >> 4)] as char);
        s.push(D[usize::from(b & 15)] as char);
    }
    s
}

/// Text of matched bytes for reports: printable ASCII kept, UTF-16LE text decoded, other bytes
/// as `\xNN`.
pub fn printable(data: &[u8]) -> String {
    let wide = data.len() >= 4
        && data.len().is_multiple_of(2)
        && data
            .chunks(2)
            .all(|c| c[1] == 0 && (0x20..0x7f).contains(&c[0]));
    let bytes: Vec<u8> = if wide {
        data.chunks(2).map(|c| c[0]).collect()
    } else {
        data.to_vec()
    };
    let mut s = String::with_capacity(bytes.len());
    for &b in &bytes {
        if (0x20..0x7f).contains(&b) {
            s.push(b as char);
        } else {
            s.push_str(&format!("\\x{b:02x}"));
        }
    }
    if wide {
        s.push_str(" (UTF-16)");
    }
    s
}

/// Severity and class of a rule match: from the rule's meta (`severity`, else a numeric `score`
/// as signature-base writes it; `class` if given), else from its tags.
fn grade(m: &RuleMatch) -> (Class, Severity) {
    let meta = |k: &str| m.meta(k).map(str::to_ascii_lowercase);
    let severity = match meta("severity").and_then(|s| s.parse().ok()) {
        Some(s) => s,
        None => match m.meta("score").and_then(|s| s.parse::<i64>().ok()) {
            Some(s) if s >= 80 => Severity::Critical,
            Some(s) if s >= 60 => Severity::High,
            Some(s) if s >= 40 => Severity::Medium,
            Some(_) => Severity::Low,
            None => Severity::High,
        },
    };
    let text = |k: &str| meta(k).unwrap_or_default();
    let class = match text("class").parse() {
        Ok(c) => c,
        Err(_) => {
            if m.has_tag("webshell") || m.has_tag("compiled") {
                Class::PostExploitation
            } else if m.has_tag("archive") || m.has_tag("dump") || m.has_tag("staging") {
                Class::Context
            } else if text("description").contains("webshell")
                || text("family").contains("webshell")
                || severity >= Severity::Critical
            {
                Class::PostExploitation
            } else {
                Class::Context
            }
        }
    };
    (class, severity)
}

fn scan_one(
    prep: &Prepared,
    f: &WebFile,
    buf: &mut Vec<u8>,
    cap: u64,
    window: Window,
    rooted: bool,
) -> FileResult {
    let path_s = f.path.shown();
    let mut r = FileResult {
        location: f.location,
        bytes: 0,
        findings: Vec::new(),
        problem: None,
        capped: false,
        scanned: false,
    };
    let fail = |mut r: FileResult, what: String| {
        r.problem = Some(FileProblem {
            path: path_s.clone(),
            problem: what,
        });
        r
    };
    let m = match meta(&f.path) {
        Ok(m) => m,
        Err(e) => return fail(r, format!("not scanned: cannot read its metadata: {e}")),
    };
    let file = match crate::sources::open_read_only(&f.path) {
        Ok(h) => h,
        Err(e) => return fail(r, format!("not scanned: cannot open: {e}")),
    };
    buf.clear();
    // The buffer for this file is asked for up front, so that a memory limit makes this one
    // file a coverage problem instead of aborting the whole scan.
    let want = usize::try_from(m.size.min(cap)).unwrap_or(usize::MAX);
    if buf.try_reserve_exact(want).is_err() {
        return fail(
            r,
            format!(
                "not scanned: cannot allocate {} to read it (memory limit); rerun with fewer --threads or a lower --max-file-size",
                crate::model::show_size(want as u64)
            ),
        );
    }
    if let Err(e) = file.take(cap).read_to_end(buf) {
        return fail(r, format!("not scanned: read error: {e}"));
    }
    r.scanned = true;
    r.bytes = buf.len() as u64;
    r.capped = buf.len() as u64 >= cap && m.size > cap;
    let name = f
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    let target = Target {
        data: buf,
        path: &path_s,
        name: &name,
        extension: &ext,
    };
    let matches = match prep.engine.scan(&target) {
        Ok(v) => v,
        Err(e) => {
            r.problem = Some(FileProblem {
                path: path_s.clone(),
                problem: format!("YARA scan stopped early: {e}"),
            });
            Vec::new()
        }
    };
    let (sha256, md5) = if r.capped {
        (None, None)
    } else {
        use sha2::Digest;
        (
            Some(hex(&sha2::Sha256::digest(&buf[..]))),
            Some(hex(&md5::Md5::digest(&buf[..]))),
        )
    };
    let ind = &prep.indicators;
    let hash_hits: Vec<(&'static str, &str, &ioc::HashIoc)> = [
        ("sha256", sha256.as_deref(), &ind.sha256),
        ("md5", md5.as_deref(), &ind.md5),
    ]
    .into_iter()
    .filter_map(|(algo, h, set)| {
        let h = h?;
        set.get(h).map(|v| (algo, h, v))
    })
    .collect();
    let name_hits: Vec<&ioc::NameIoc> = ind
        .names
        .iter()
        .filter(|n| n.matches(&f.rel, f.zone, &f.in_zone, rooted))
        .collect();
    // the path inside the zone as found on disk (in_zone is lower case)
    let shown_in_zone = f
        .rel
        .get(f.rel.len().saturating_sub(f.in_zone.len())..)
        .filter(|s| s.eq_ignore_ascii_case(&f.in_zone))
        .unwrap_or(&f.in_zone);
    let hints = heuristics::inspect(f.zone, shown_in_zone, &name, buf, m.modified, window);
    if matches.is_empty() && hash_hits.is_empty() && name_hits.is_empty() && hints.is_empty() {
        return r;
    }
    let t = |x: Option<crate::model::Timestamp>| x.map(|t| t.to_string()).unwrap_or_default();
    let not_hashed = format!(
        "not computed (file larger than the {} cap)",
        crate::model::show_size(cap)
    );
    let mut common: Vec<(String, String)> = vec![
        ("Path".into(), f.rel.clone()),
        ("Zone".into(), f.zone.as_str().into()),
        ("Size".into(), m.size.to_string()),
        (
            "SHA256".into(),
            sha256.clone().unwrap_or_else(|| not_hashed.clone()),
        ),
        (
            "MD5".into(),
            md5.clone().unwrap_or_else(|| not_hashed.clone()),
        ),
        ("Modified".into(), t(m.modified)),
        ("Created".into(), t(m.created)),
    ];
    if r.capped {
        common.push((
            "ScannedBytes".into(),
            format!("{} of {} (cap --max-file-size)", buf.len(), m.size),
        ));
    }
    let evidence = Evidence {
        path: path_s.clone(),
        ..Default::default()
    };
    let allow = crate::detect::suspicious_files::allowlisted(&f.rel);
    for mm in &matches {
        let (class, mut severity) = grade(mm);
        let mut why = mm
            .meta("why")
            .or_else(|| mm.meta("description"))
            .unwrap_or("A YARA rule you loaded matched this file.")
            .to_string();
        if mm.has_tag("archive")
            && let Some(reason) = allow
        {
            severity = Severity::Info;
            why = format!("Known benign: {reason}.");
        }
        let hits: Vec<String> = mm
            .strings
            .iter()
            .map(|h| format!("{}@{}: {}", h.id, h.offset, printable(&h.data)))
            .collect();
        let mut raw = hits.join("\n");
        if mm.strings_total > mm.strings.len() {
            raw.push_str(&format!(
                "\n... {} more string match(es)",
                mm.strings_total - mm.strings.len()
            ));
        }
        if raw.is_empty() {
            raw = "(condition matched without string matches)".into();
        }
        let label = mm
            .meta("family")
            .or_else(|| mm.meta("description"))
            .unwrap_or(mm.rule);
        let mut fields = vec![
            ("Rule".into(), mm.rule.to_string()),
            ("RuleSource".into(), prep.engine.source_of(&mm.namespace)),
        ];
        for k in ["family", "description", "reference"] {
            if let Some(v) = mm.meta(k) {
                fields.push((capitalise(k), v.to_string()));
            }
        }
        if !mm.tags.is_empty() {
            fields.push(("Tags".into(), mm.tags.join(" ")));
        }
        fields.push(("Strings".into(), hits.join(" | ")));
        fields.extend(common.iter().cloned());
        r.findings.push(Finding {
            check: YARA_ID,
            rule: mm.rule,
            cve: "",
            title: format!("{label} ({}): {}", mm.rule, f.rel),
            class,
            severity,
            time: m.modified,
            source: evidence.clone(),
            raw: Finding::raw_text(raw.as_bytes()),
            fields: fields.into(),
            why,
        });
    }
    for (algo, h, v) in &hash_hits {
        let mut fields = vec![
            ("Indicator".into(), format!("{algo} {h}")),
            ("Family".into(), v.family.clone()),
            ("IndicatorSource".into(), v.source.clone()),
        ];
        fields.extend(common.iter().cloned());
        r.findings.push(Finding {
            check: IOC_ID,
            rule: if *algo == "sha256" { "sha256" } else { "md5" },
            cve: "",
            title: format!("Known malicious file ({}, {}): {}", v.family, v.source, f.rel),
            class: Class::PostExploitation,
            severity: Severity::Critical,
            time: m.modified,
            source: evidence.clone(),
            raw: format!("{algo} {h}"),
            fields: fields.into(),
            why: "The file's hash is a published indicator of a webshell or intrusion tool: the server is compromised.".into(),
        });
    }
    for n in &name_hits {
        let mut fields = vec![
            ("Indicator".into(), n.pattern.clone()),
            ("IndicatorSource".into(), n.source.clone()),
        ];
        fields.extend(common.iter().cloned());
        r.findings.push(Finding {
            check: IOC_ID,
            rule: "file-name",
            cve: "",
            title: format!("Published webshell/tool file name ({}): {}", n.source, f.rel),
            class: Class::Context,
            severity: Severity::High,
            time: m.modified,
            source: evidence.clone(),
            raw: f.rel.clone(),
            fields: fields.into(),
            why: "This name and place match a published indicator; names are weak alone (they are reused and guessed), so confirm with the content and the IIS logs.".into(),
        });
    }
    for h in hints {
        let mut fields = h.fields;
        fields.extend(common.iter().cloned());
        r.findings.push(Finding {
            check: HEUR_ID,
            rule: h.rule,
            cve: "",
            title: h.title,
            class: Class::Context,
            severity: h.severity,
            time: m.modified,
            source: evidence.clone(),
            raw: f.rel.clone(),
            fields: fields.into(),
            why: h.why,
        });
    }
    r
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
        None => String::new(),
    }
}

impl Outcome {
    /// Folds the file scan into the scan result: findings (minus YARA archive/dump hits the
    /// dumps-and-archives check already reports at the same or a higher severity), coverage
    /// groups per location, problems and notes; returns the three checks' status.
    pub fn merge_into(
        self,
        findings: &mut Vec<Finding>,
        coverage: &mut Vec<SourceCoverage>,
        notes: &mut Vec<String>,
    ) -> Vec<CheckStatus> {
        let covered: Vec<(String, Severity)> = findings
            .iter()
            .filter(|f| f.check == crate::detect::suspicious_files::ID)
            .map(|f| (f.source.path.clone(), f.severity))
            .collect();
        let mine: Vec<Finding> = self
            .findings
            .into_iter()
            .filter(|f| {
                let tags = f.field("Tags").unwrap_or("");
                let dup = f.check == YARA_ID
                    && (tags.contains("archive") || tags.contains("dump"))
                    && covered
                        .iter()
                        .any(|(p, s)| *p == f.source.path && f.severity <= *s);
                !dup
            })
            .collect();
        // Optional folders (C:\root) are listed only when present.
        let shown: Vec<bool> = self
            .locations
            .iter()
            .map(|l| l.required || !l.dirs.is_empty() || self.loose)
            .collect();
        let mut groups: Vec<SourceCoverage> = self
            .locations
            .iter()
            .map(|l| {
                let mut g = SourceCoverage::new(
                    format!("Files/{}", l.label),
                    "files",
                    l.shown.clone(),
                    !l.dirs.is_empty() || self.loose,
                );
                g.files = l.files;
                g.bytes = l.bytes;
                g.also = l
                    .dirs
                    .iter()
                    .map(|d| d.shown())
                    .filter(|d| *d != l.shown)
                    .collect();
                g
            })
            .collect();
        for (i, p) in &self.file_problems {
            groups[*i].problems.push(p.clone());
        }
        for (i, p) in &self.capped {
            groups[*i].problems.push(FileProblem {
                path: p.clone(),
                problem: format!(
                    "larger than the {cap} cap: scanned in its first {cap} only, not hashed",
                    cap = crate::model::show_size(self.max_file_size)
                ),
            });
        }
        for p in self.plan_problems {
            match crate::model::holder_of(&groups, &p) {
                Some(i) => groups[i].problems.push(p),
                None => groups[0].problems.push(p),
            }
        }
        // A hidden optional folder that met a problem is shown after all: no problem is dropped.
        let mut i = 0;
        groups.retain(|g| {
            i += 1;
            shown[i - 1] || !g.problems.is_empty()
        });
        let missing: Vec<String> = self
            .locations
            .iter()
            .filter(|l| l.required && l.dirs.is_empty() && !self.loose)
            .map(|l| l.label.clone())
            .collect();
        // Listed but not a gap: files over the cap (scanned in part) and links to folders
        // (`files::FOLDER_LINK_NOT_FOLLOWED`). A link to a file, or to nowhere, is a gap: IIS
        // serves a page through it, and its content was not seen.
        let listing = groups
            .iter()
            .flat_map(|g| &g.problems)
            .filter(|p| {
                !p.problem.starts_with("larger than")
                    && p.problem != crate::sources::files::FOLDER_LINK_NOT_FOLLOWED
            })
            .count();
        if !self.capped.is_empty() {
            notes.push(format!(
                "file scan: {} file(s) larger than the {cap} cap (--max-file-size) were scanned in their first {cap} only and not hashed (see coverage)",
                self.capped.len(),
                cap = crate::model::show_size(self.max_file_size)
            ));
        }
        let sources: Vec<String> = groups
            .iter()
            .filter(|g| g.present)
            .map(|g| g.label.clone())
            .collect();
        let mut reasons = Vec::new();
        if !missing.is_empty() {
            reasons.push(format!(
                "not present under the root (not collected?): {}",
                missing.join(", ")
            ));
        }
        if self.unreadable > 0 {
            reasons.push(format!(
                "{} file(s) could not be read (listed in coverage)",
                self.unreadable
            ));
        }
        if listing > self.unreadable {
            reasons.push(format!(
                "{} other problem(s) listing or scanning files (see coverage)",
                listing - self.unreadable
            ));
        }
        let skipped = self.loose && self.files == 0 && self.unreadable == 0;
        let status = |id: &'static str, title: &'static str, extra: Option<String>| {
            // YARA and indicators are MSERT's half of the job: required. The drop-zone
            // heuristics are advisory: their gaps never make a server inconclusive.
            let required = id != HEUR_ID;
            if skipped {
                return CheckStatus::skipped(
                    id,
                    title,
                    required,
                    "only log files were given: no other files to scan",
                );
            }
            let mut gaps = reasons.clone();
            gaps.extend(extra);
            CheckStatus::judged(
                id,
                title,
                required,
                crate::model::Seen {
                    sources: sources.clone(),
                    records: self.files,
                    file_problems: listing.max(self.unreadable),
                    gaps,
                    ..Default::default()
                },
            )
        };
        let checks = vec![
            status(
                YARA_ID,
                YARA_TITLE,
                (self.yara_problems > 0).then(|| {
                    format!(
                        "{} user YARA file(s) not loaded (see problems); the other rules ran",
                        self.yara_problems
                    )
                }),
            ),
            status(IOC_ID, IOC_TITLE, None),
            status(HEUR_ID, HEUR_TITLE, None),
        ];
        findings.extend(mine);
        coverage.extend(groups);
        checks
    }
}

#[cfg(test)]
mod tests;
