//! YARA rules on the boreal engine: the built-in pack (`rules/yara/exhunt.yar`, embedded) and the
//! user's `--yara` files. Each user file is compiled on its own first, so that one broken file is
//! reported (file, line, column) and skipped while every other file, and the built-ins, load.

use super::engine::{Engine, MAX_HIT_BYTES, MAX_HITS_PER_RULE, RuleMatch, StringHit, Target};
use crate::model::FileProblem;
use boreal::compiler::CompilerParams;
use boreal::scanner::{ScanParams, ScanResult};
use boreal::{Compiler, MetadataValue, Scanner};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The built-in rule pack.
pub static BUILTIN_RULES: &str = crate::rules::YARA;
/// The namespace of the built-in rules (user files get `user1`, `user2`, ...).
pub const BUILTIN_NAMESPACE: &str = "exhunt";
/// What reports call the built-in pack.
pub const BUILTIN_SOURCE: &str = "built-in rules/yara/exhunt.yar";

/// External variables defined for every rule, set per file (signature-base rules use them).
const EXTERNALS: [&str; 4] = ["filename", "filepath", "extension", "filetype"];

/// The compiled rules.
pub struct BorealEngine {
    scanner: Scanner,
    /// (namespace, rule) → interned rule name (findings carry `&'static str` rule ids).
    names: HashMap<(String, String), &'static str>,
    /// namespace → the file its rules came from.
    sources: HashMap<String, String>,
    rule_count: usize,
    /// Whether any user rules are loaded (only they can use the external variables).
    user_rules: bool,
}

/// The outcome of loading rules: the engine, and what could not be loaded.
pub struct Loaded {
    pub engine: BorealEngine,
    /// User rule files that did not compile (the error names file, line and column).
    pub problems: Vec<FileProblem>,
    /// Compiler warnings and a summary of what was loaded.
    pub notes: Vec<String>,
    /// User rule files that loaded.
    pub user_files: Vec<String>,
}

fn new_compiler() -> Compiler {
    let mut c = Compiler::new();
    c.set_params(CompilerParams::default().disable_unknown_escape_warning(true));
    for name in EXTERNALS {
        let _ = c.define_symbol(name, "");
    }
    c
}

/// Lists user rule files: a file as given, or every `.yar`/`.yara` under a folder (sorted).
pub fn user_rule_files(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<FileProblem>) {
    let mut files = Vec::new();
    let mut problems = Vec::new();
    for p in paths {
        if p.is_dir() {
            let (found, probs) = crate::sources::files::walk(p);
            problems.extend(probs);
            files.extend(found.into_iter().filter(|f| {
                crate::sources::paths::has_ext(f, "yar")
                    || crate::sources::paths::has_ext(f, "yara")
            }));
        } else {
            files.push(p.clone());
        }
    }
    (files, problems)
}

impl BorealEngine {
    /// Compiles the built-in rules and the user's files. Fails only if the built-in pack does
    /// not compile (a bug caught by the tests).
    pub fn load(user_paths: &[PathBuf]) -> Result<Loaded, String> {
        let mut compiler = new_compiler();
        compiler
            .add_rules_str_in_namespace(BUILTIN_RULES, BUILTIN_NAMESPACE)
            .map_err(|e| format!("built-in YARA rules do not compile: {e}"))?;
        let mut sources = HashMap::from([(BUILTIN_NAMESPACE.to_string(), BUILTIN_SOURCE.into())]);
        let (files, mut problems) = user_rule_files(user_paths);
        let mut notes = Vec::new();
        let mut user_files = Vec::new();
        let mut warnings = 0usize;
        for (i, file) in files.iter().enumerate() {
            let shown = file.display().to_string();
            // Compile alone first: a broken file must not leave half its rules in the set.
            let mut probe = new_compiler();
            if let Err(e) = probe.add_rules_file(file) {
                problems.push(FileProblem {
                    path: shown,
                    problem: format!("YARA rules not loaded: {e}"),
                });
                continue;
            }
            let ns = format!("user{}", i + 1);
            match compiler.add_rules_file_in_namespace(file, &ns) {
                Ok(status) => {
                    for w in status.warnings() {
                        warnings += 1;
                        if warnings <= 5 {
                            notes.push(format!("YARA warning: {w}"));
                        }
                    }
                    sources.insert(ns, shown.clone());
                    user_files.push(shown);
                }
                Err(e) => problems.push(FileProblem {
                    path: shown,
                    problem: format!("YARA rules not loaded: {e}"),
                }),
            }
        }
        if warnings > 5 {
            notes.push(format!("... {} more YARA warning(s)", warnings - 5));
        }
        let mut scanner = compiler.finalize();
        scanner.set_scan_params(
            ScanParams::default()
                .compute_full_matches(true)
                .match_max_length(MAX_HIT_BYTES),
        );
        let mut names = HashMap::new();
        let mut rule_count = 0;
        for r in scanner.rules() {
            rule_count += 1;
            let interned: &'static str = Box::leak(r.name.to_string().into_boxed_str());
            names.insert((r.namespace.to_string(), r.name.to_string()), interned);
        }
        let user_rules = !user_files.is_empty();
        if user_rules {
            notes.push(format!(
                "YARA: {rule_count} rules loaded ({} user file(s): {})",
                user_files.len(),
                user_files.join(", ")
            ));
        }
        Ok(Loaded {
            engine: BorealEngine {
                scanner,
                names,
                sources,
                rule_count,
                user_rules,
            },
            problems,
            notes,
            user_files,
        })
    }

    fn convert(&self, scanner: &Scanner, res: ScanResult<'_>) -> Vec<RuleMatch> {
        res.rules
            .into_iter()
            .filter(|r| r.matched)
            .map(|r| {
                let rule = self
                    .names
                    .get(&(r.namespace.to_string(), r.name.to_string()))
                    .copied()
                    .unwrap_or("unknown-rule");
                let meta = r
                    .metadatas
                    .iter()
                    .map(|m| {
                        let key = scanner.get_string_symbol(m.name).to_string();
                        let value = match m.value {
                            MetadataValue::Bytes(b) => {
                                String::from_utf8_lossy(scanner.get_bytes_symbol(b)).into_owned()
                            }
                            MetadataValue::Integer(i) => i.to_string(),
                            MetadataValue::Boolean(b) => b.to_string(),
                        };
                        (key, value)
                    })
                    .collect();
                let tags = r
                    .tags
                    .iter()
                    .map(|t| scanner.get_string_symbol(*t).to_string())
                    .collect();
                let mut strings = Vec::new();
                let mut total = 0;
                for s in &r.matches {
                    for m in &s.matches {
                        total += 1;
                        strings.push(StringHit {
                            id: if s.name.starts_with('$') {
                                s.name.to_string()
                            } else {
                                format!("${}", s.name)
                            },
                            offset: (m.base + m.offset) as u64,
                            length: m.length as u64,
                            data: m.data.to_vec(),
                        });
                    }
                }
                strings.sort_by_key(|h| h.offset);
                strings.truncate(MAX_HITS_PER_RULE);
                RuleMatch {
                    rule,
                    namespace: r.namespace.to_string(),
                    tags,
                    meta,
                    strings,
                    strings_total: total,
                }
            })
            .collect()
    }
}

impl Engine for BorealEngine {
    fn name(&self) -> String {
        "boreal 1.4".into()
    }

    fn rule_count(&self) -> usize {
        self.rule_count
    }

    fn source_of(&self, namespace: &str) -> String {
        self.sources
            .get(namespace)
            .cloned()
            .unwrap_or_else(|| namespace.to_string())
    }

    fn scan(&self, t: &Target<'_>) -> Result<Vec<RuleMatch>, String> {
        if self.user_rules {
            let mut s = self.scanner.clone();
            for (name, value) in [
                ("filename", t.name),
                ("filepath", t.path),
                ("extension", t.extension),
            ] {
                let _ = s.define_symbol(name, value);
            }
            match s.scan_mem(t.data) {
                Ok(res) => Ok(self.convert(&s, res)),
                Err((e, _)) => Err(e.to_string()),
            }
        } else {
            match self.scanner.scan_mem(t.data) {
                Ok(res) => Ok(self.convert(&self.scanner, res)),
                Err((e, _)) => Err(e.to_string()),
            }
        }
    }
}

/// Is `p` a file the user named with `--yara` that does not exist?
pub fn missing(paths: &[PathBuf]) -> Option<&Path> {
    paths.iter().map(PathBuf::as_path).find(|p| !p.exists())
}
