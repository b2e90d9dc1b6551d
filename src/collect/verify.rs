//! `exhunt verify PATH`: re-hashes a collection (a `DIR/<host>` folder or a `DIR/<host>.zip`)
//! against its `manifest.json` and lists every file that is missing, changed, or not in the
//! manifest. Reading goes through [`open_read_only`]: a collection is evidence too.

use super::hash_stream;
use super::manifest::{self, Manifest};
use crate::sources::open_read_only;
use std::collections::HashSet;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

/// What is wrong with one file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// In the manifest, not in the collection.
    Missing,
    /// Present, but its size or hashes differ (or it is no longer a plain file).
    Changed,
    /// In the collection, not in the manifest.
    Extra,
    /// A manifest entry that cannot be checked (e.g. a path leaving the collection).
    Invalid,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Missing => "MISSING",
            Kind::Changed => "CHANGED",
            Kind::Extra => "EXTRA",
            Kind::Invalid => "INVALID",
        }
    }
}

/// One difference between a collection and its manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Difference {
    pub kind: Kind,
    /// The collected path (relative to the collection).
    pub path: String,
    pub detail: String,
}

/// The verification of one collection.
#[derive(Clone, Debug)]
pub struct Verification {
    /// The folder or zip checked.
    pub location: PathBuf,
    pub host: String,
    pub collected_at: String,
    pub tool_version: String,
    /// SHA-256 of the `manifest.json` checked (compare it with the one noted at collection time).
    pub manifest_sha256: String,
    /// Files listed in the manifest.
    pub listed: usize,
    /// Files that match the manifest.
    pub matched: usize,
    pub differences: Vec<Difference>,
    /// Remarks that are not differences.
    pub notes: Vec<String>,
}

impl Verification {
    pub fn ok(&self) -> bool {
        self.differences.is_empty()
    }

    pub fn count(&self, k: Kind) -> usize {
        self.differences.iter().filter(|d| d.kind == k).count()
    }
}

/// One collection found, and its verification (or why it could not be verified).
pub type Found = (PathBuf, Result<Verification, String>);

/// The collections found at `path`: a collection folder, a collection zip, a `manifest.json`,
/// or the `--collect` folder holding several of them. Each is verified on its own; an error
/// (no manifest, unreadable zip) is returned for that one.
pub fn verify(path: &Path) -> Result<Vec<Found>, String> {
    let m = std::fs::metadata(path).map_err(|e| {
        format!(
            "{}: {e} (give the --collect folder, a DIR/<host> folder or a DIR/<host>.zip)",
            path.display()
        )
    })?;
    if m.is_file() {
        if path.file_name().is_some_and(|n| n == manifest::JSON_NAME) {
            let dir = path.parent().unwrap_or(Path::new("."));
            let dir = if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            };
            return Ok(vec![(dir.to_path_buf(), verify_folder(dir))]);
        }
        return Ok(vec![(path.to_path_buf(), verify_zip(path))]);
    }
    if path.join(manifest::JSON_NAME).is_file() {
        return Ok(vec![(path.to_path_buf(), verify_folder(path))]);
    }
    let mut children: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|e| format!("{}: cannot list folder: {e}", path.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    children.sort();
    let mut out = Vec::new();
    for c in children {
        let Ok(cm) = std::fs::symlink_metadata(&c) else {
            continue;
        };
        if cm.is_dir() && c.join(manifest::JSON_NAME).is_file() {
            out.push((c.clone(), verify_folder(&c)));
        } else if cm.is_file() && c.extension().is_some_and(|e| e.eq_ignore_ascii_case("zip")) {
            out.push((c.clone(), verify_zip(&c)));
        }
    }
    if out.is_empty() {
        return Err(format!(
            "{}: no collection here (no manifest.json, no <host>.zip); give the folder --collect wrote",
            path.display()
        ));
    }
    Ok(out)
}

/// A manifest's collected path, if it stays inside the collection.
fn checked_rel(rel: &str) -> Option<&Path> {
    let p = Path::new(rel);
    let ok = !rel.is_empty()
        && !rel.contains('\\')
        && p.components().all(|c| matches!(c, Component::Normal(_)));
    ok.then_some(p)
}

/// The largest manifest (`.json` or `.csv`) `verify` reads. Whatever size a zip entry declares,
/// no more than this (plus one byte) is ever inflated or held in memory.
pub const MAX_MANIFEST: u64 = 64 << 20;

fn read_limited(mut r: impl Read, what: &str) -> Result<Vec<u8>, String> {
    let mut v = Vec::new();
    r.by_ref()
        .take(MAX_MANIFEST + 1)
        .read_to_end(&mut v)
        .map_err(|e| format!("{what}: cannot read: {e}"))?;
    if v.len() as u64 > MAX_MANIFEST {
        return Err(format!(
            "{what}: larger than {}, not a manifest (a zip bomb?); not verified",
            crate::model::show_size(MAX_MANIFEST)
        ));
    }
    Ok(v)
}

fn new_verification(location: &Path, man: &Manifest, json: &[u8]) -> Verification {
    Verification {
        location: location.to_path_buf(),
        host: man.host.clone(),
        collected_at: man.collected_at.clone(),
        tool_version: man.tool.version.clone(),
        manifest_sha256: manifest::hex(&<sha2::Sha256 as sha2::Digest>::digest(json)),
        listed: man.files.len(),
        matched: 0,
        differences: Vec::new(),
        notes: Vec::new(),
    }
}

fn compare(v: &mut Verification, e: &manifest::Entry, got: std::io::Result<(u64, String, String)>) {
    match got {
        Ok((size, sha, md5)) => {
            let mut what = Vec::new();
            // A copy cut by a size budget holds `copied_size` bytes with `copied_sha256`; the
            // whole file's size and hashes describe the original, which is not here.
            let (want_size, want_sha, want_md5) = match (e.copied_size, &e.copied_sha256) {
                (Some(n), Some(h)) => (n, h.as_str(), None),
                _ => (e.size, e.sha256.as_str(), Some(e.md5.as_str())),
            };
            if size != want_size {
                what.push(format!("size {want_size} expected, {size} found"));
            }
            if !sha.eq_ignore_ascii_case(want_sha) {
                what.push(format!("sha256 {want_sha} expected, {sha} found"));
            }
            if let Some(m) = want_md5
                && !md5.eq_ignore_ascii_case(m)
            {
                what.push(format!("md5 {m} expected, {md5} found"));
            }
            if what.is_empty() {
                v.matched += 1;
            } else {
                v.differences.push(Difference {
                    kind: Kind::Changed,
                    path: e.collected_path.clone(),
                    detail: what.join("; "),
                });
            }
        }
        Err(err) => v.differences.push(Difference {
            kind: Kind::Changed,
            path: e.collected_path.clone(),
            detail: format!("cannot be read back: {err}"),
        }),
    }
}

/// Compares `manifest.csv` with `manifest.json` row by row (original and collected path, size,
/// hashes; every row of `files[]` then of `not_collected[]`), as the CSV writer renders them.
fn compare_csv(v: &mut Verification, man: &Manifest, csv_bytes: &[u8]) {
    let mut want = Vec::new();
    if man.write_csv(&mut want).is_err() {
        return;
    }
    let rows = |b: &[u8]| -> Result<Vec<Vec<String>>, String> {
        let mut r = ::csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(b);
        r.records()
            .map(|rec| {
                rec.map(|rec| rec.iter().map(str::to_string).collect())
                    .map_err(|e| e.to_string())
            })
            .collect()
    };
    let (Ok(want), got) = (rows(&want), rows(csv_bytes)) else {
        return;
    };
    let got = match got {
        Ok(g) => g,
        Err(e) => {
            v.differences.push(Difference {
                kind: Kind::Changed,
                path: manifest::CSV_NAME.into(),
                detail: format!("not a readable CSV ({e})"),
            });
            return;
        }
    };
    // original_path, collected_path, size, sha256, md5
    const KEY: [usize; 5] = [0, 1, 2, 3, 4];
    let key = |row: &[String]| -> Vec<String> {
        KEY.iter()
            .map(|&i| row.get(i).cloned().unwrap_or_default())
            .collect()
    };
    if got.first() != want.first() {
        v.differences.push(Difference {
            kind: Kind::Changed,
            path: manifest::CSV_NAME.into(),
            detail: "its header differs from the one exhunt writes".into(),
        });
    }
    let n = got.len().max(want.len());
    for i in 1..n {
        let (g, w) = (got.get(i), want.get(i));
        let same = match (g, w) {
            (Some(g), Some(w)) => key(g) == key(w),
            _ => false,
        };
        if !same {
            let show = |r: Option<&Vec<String>>| {
                r.map(|r| key(r).join(","))
                    .unwrap_or_else(|| "no row".into())
            };
            v.differences.push(Difference {
                kind: Kind::Changed,
                path: manifest::CSV_NAME.into(),
                detail: format!(
                    "row {i} differs from manifest.json: {} in the CSV, {} in the JSON",
                    show(g),
                    show(w)
                ),
            });
        }
    }
}

/// Verifies a `DIR/<host>` folder.
pub fn verify_folder(dir: &Path) -> Result<Verification, String> {
    let mpath = dir.join(manifest::JSON_NAME);
    let f = open_read_only(&mpath).map_err(|e| format!("{}: cannot open: {e}", mpath.display()))?;
    let json = read_limited(f, &mpath.display().to_string())?;
    let man = Manifest::from_json(&json).map_err(|e| format!("{}: {e}", mpath.display()))?;
    let mut v = new_verification(dir, &man, &json);
    let mut expected: HashSet<String> = HashSet::new();
    for e in &man.files {
        let Some(rel) = checked_rel(&e.collected_path) else {
            v.differences.push(Difference {
                kind: Kind::Invalid,
                path: e.collected_path.clone(),
                detail: "the manifest names a path outside the collection; not checked".into(),
            });
            continue;
        };
        expected.insert(e.collected_path.clone());
        let p = dir.join(rel);
        match std::fs::symlink_metadata(&p) {
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                v.differences.push(Difference {
                    kind: Kind::Missing,
                    path: e.collected_path.clone(),
                    detail: "listed in the manifest, not in the collection".into(),
                });
            }
            Err(err) => v.differences.push(Difference {
                kind: Kind::Changed,
                path: e.collected_path.clone(),
                detail: format!("cannot stat: {err}"),
            }),
            Ok(m) if !m.is_file() => v.differences.push(Difference {
                kind: Kind::Changed,
                path: e.collected_path.clone(),
                detail: "no longer a plain file (a link or a folder)".into(),
            }),
            Ok(_) => {
                let got = open_read_only(&p).and_then(|mut f| hash_stream(&mut f));
                compare(&mut v, e, got);
            }
        }
    }
    let cpath = dir.join(manifest::CSV_NAME);
    if !cpath.is_file() {
        v.differences.push(Difference {
            kind: Kind::Missing,
            path: manifest::CSV_NAME.into(),
            detail: "the CSV manifest is gone".into(),
        });
    } else {
        let f =
            open_read_only(&cpath).map_err(|e| format!("{}: cannot open: {e}", cpath.display()))?;
        let csv_bytes = read_limited(f, &cpath.display().to_string())?;
        compare_csv(&mut v, &man, &csv_bytes);
    }
    for entry in walkdir::WalkDir::new(dir)
        .follow_links(false)
        .sort_by_file_name()
        .min_depth(1)
    {
        match entry {
            Ok(en) if en.file_type().is_dir() => {}
            Ok(en) => {
                let rel = en
                    .path()
                    .strip_prefix(dir)
                    .unwrap_or(en.path())
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/");
                if rel == manifest::JSON_NAME || rel == manifest::CSV_NAME {
                    continue;
                }
                if !expected.contains(&rel) {
                    v.differences.push(Difference {
                        kind: Kind::Extra,
                        path: rel,
                        detail: if en.file_type().is_symlink() {
                            "a symbolic link not in the manifest".into()
                        } else {
                            "not in the manifest".into()
                        },
                    });
                }
            }
            Err(e) => v.differences.push(Difference {
                kind: Kind::Invalid,
                path: e
                    .path()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
                detail: format!("cannot list: {e}"),
            }),
        }
    }
    Ok(v)
}

/// The manifests written beside `DIR/<stem>.zip`: `DIR/<stem>.manifest.json`.
pub fn beside_manifest(zip: &Path) -> PathBuf {
    let stem = zip
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    zip.with_file_name(format!("{stem}.{}", manifest::JSON_NAME))
}

/// Verifies a `DIR/<host>.zip`.
pub fn verify_zip(path: &Path) -> Result<Verification, String> {
    let f = open_read_only(path).map_err(|e| format!("{}: cannot open: {e}", path.display()))?;
    let mut za = zip::ZipArchive::new(std::io::BufReader::new(f)).map_err(|e| {
        format!(
            "{}: not a readable zip ({e}); give a collection folder or the zip --collect-zip wrote",
            path.display()
        )
    })?;
    // The archive keeps one entry per name: a second entry of one name would go unseen.
    if za.has_duplicate_names() {
        return Err(format!(
            "{}: holds more than one entry of one name in its central directory (the zip has \
             been tampered with: exhunt never writes two); not verified",
            path.display()
        ));
    }
    let names: Vec<String> = (0..za.len())
        .filter_map(|i| {
            za.by_index_raw(i)
                .ok()
                .and_then(|z| z.name().ok().map(|n| n.into_owned()))
        })
        .collect();
    if names.len() != za.len() {
        return Err(format!(
            "{}: an entry name cannot be read; not an exhunt collection, not verified",
            path.display()
        ));
    }
    // Two entries of one name (or of names equal but for case, which clash when unzipped on
    // Windows or macOS): a reader sees only one of them, so the other could be anything.
    let mut seen: HashSet<String> = HashSet::new();
    for n in &names {
        if !seen.insert(n.to_lowercase()) {
            return Err(format!(
                "{}: holds more than one entry named {:?} (the zip has been tampered with: \
                 exhunt never writes two); not verified",
                path.display(),
                crate::report::sanitize::terminal(n)
            ));
        }
    }
    let manifests: Vec<&String> = names
        .iter()
        .filter(|n| {
            n.rsplit_once('/')
                .is_some_and(|(dir, f)| f == manifest::JSON_NAME && !dir.contains('/'))
        })
        .collect();
    let mname = match manifests.as_slice() {
        [one] => (*one).clone(),
        [] => {
            return Err(format!(
                "{}: no <host>/manifest.json inside; not an exhunt collection",
                path.display()
            ));
        }
        _ => {
            return Err(format!(
                "{}: more than one <host>/manifest.json inside; not an exhunt collection",
                path.display()
            ));
        }
    };
    let prefix = mname[..mname.len() - manifest::JSON_NAME.len()].to_string();
    let json = {
        let zf = za
            .by_name(&mname)
            .map_err(|e| format!("{}: {mname}: {e}", path.display()))?;
        read_limited(zf, &format!("{}: {mname}", path.display()))?
    };
    let man =
        Manifest::from_json(&json).map_err(|e| format!("{}: {mname}: {e}", path.display()))?;
    let mut v = new_verification(path, &man, &json);
    let mut expected: HashSet<String> = HashSet::new();
    expected.insert(mname.clone());
    expected.insert(format!("{prefix}{}", manifest::CSV_NAME));
    for e in &man.files {
        if checked_rel(&e.collected_path).is_none() {
            v.differences.push(Difference {
                kind: Kind::Invalid,
                path: e.collected_path.clone(),
                detail: "the manifest names a path outside the collection; not checked".into(),
            });
            continue;
        }
        let name = format!("{prefix}{}", e.collected_path);
        expected.insert(name.clone());
        match za.by_name(&name) {
            Ok(mut zf) => {
                let got = hash_stream(&mut zf);
                compare(&mut v, e, got);
            }
            Err(zip::result::ZipError::FileNotFound) => v.differences.push(Difference {
                kind: Kind::Missing,
                path: e.collected_path.clone(),
                detail: "listed in the manifest, not in the zip".into(),
            }),
            Err(err) => v.differences.push(Difference {
                kind: Kind::Changed,
                path: e.collected_path.clone(),
                detail: format!("cannot be read back: {err}"),
            }),
        }
    }
    let cname = format!("{prefix}{}", manifest::CSV_NAME);
    if !names.contains(&cname) {
        v.differences.push(Difference {
            kind: Kind::Missing,
            path: manifest::CSV_NAME.into(),
            detail: "the CSV manifest is gone from the zip".into(),
        });
    } else {
        let csv_bytes = {
            let zf = za
                .by_name(&cname)
                .map_err(|e| format!("{}: {cname}: {e}", path.display()))?;
            read_limited(zf, &format!("{}: {cname}", path.display()))?
        };
        compare_csv(&mut v, &man, &csv_bytes);
    }
    for n in &names {
        if n.ends_with('/') || expected.contains(n) {
            continue;
        }
        v.differences.push(Difference {
            kind: Kind::Extra,
            path: n.strip_prefix(&prefix).unwrap_or(n).to_string(),
            detail: "in the zip, not in the manifest".into(),
        });
    }
    let beside = beside_manifest(path);
    let beside_bytes = open_read_only(&beside)
        .map_err(|e| e.to_string())
        .and_then(|f| read_limited(f, &beside.display().to_string()));
    match beside_bytes {
        Ok(b) if b == json => {}
        Ok(_) => v.differences.push(Difference {
            kind: Kind::Changed,
            path: beside.display().to_string(),
            detail: "the manifest beside the zip differs from the one inside it".into(),
        }),
        Err(_) => v.notes.push(format!(
            "no manifest beside the zip ({}); checked against the one inside",
            beside.display()
        )),
    }
    Ok(v)
}
