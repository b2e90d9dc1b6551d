//! The rule and indicator tables under `rules/`, embedded at build time. This is the one module
//! that reads `rules/`: every table a check uses is named here, with the check that reads it.
//! The tables are data (TSV with a header line, TOML, YARA); their formats are described at the
//! top of each file.

/// An embedded table: its path under `rules/` and its text.
pub struct Embedded {
    pub path: &'static str,
    pub text: &'static str,
}

macro_rules! tables {
    ($($(#[$doc:meta])* $name:ident = $path:literal;)*) => {
        $( $(#[$doc])* pub const $name: &str = include_str!(concat!("../rules/", $path)); )*
        /// Every embedded table, in this module's order.
        pub const ALL: &[Embedded] = &[$(Embedded { path: $path, text: $name }),*];
    };
}

tables! {
    /// Web request rules of `iis-web` and `httpproxy-web` (`detect::web_rules`).
    WEB = "web.toml";
    /// Exchange builds and the first build of each CU that fixes each chain (`detect::patch_level`).
    BUILDS = "builds.tsv";
    /// Cmdlet rules of `exchange-cmdlets` (`detect::exchange_cmdlets`).
    EXCHANGE_CMDLETS = "exchange_cmdlets.tsv";
    /// Event rules of `event-rules` (Application, Security) (`detect::event_rules`).
    EVENT_RULES = "event_rules.tsv";
    /// Rendered event messages back to positional data, for JSON event exports that keep only
    /// the message (`sources::events_json`).
    EVENT_MESSAGES = "event_messages.tsv";
    /// Child processes of w3wp.exe for `process-evidence` (`detect::process_evidence`).
    PROCESS_CHILDREN = "process_children.tsv";
    /// Command-line patterns for `process-evidence` (`detect::process_evidence`).
    PROCESS_CMDLINES = "process_cmdlines.tsv";
    /// Who may write server pages, for `process-evidence`'s file rules (`detect::process_evidence`).
    WEB_WRITERS = "web_writers.tsv";
    /// Benign archives under ProgramData for `suspicious-files` (`detect::suspicious_files`).
    ARCHIVE_ALLOWLIST = "archive_allowlist.tsv";
    /// Published attacker addresses (`detect::indicators`).
    IOC_IPS = "ioc/ips.tsv";
    /// Published attacker user agents (`detect::indicators`).
    IOC_USER_AGENTS = "ioc/user_agents.tsv";
    /// Published webshell hashes for `webshell-ioc` (`detect::webshells::ioc`).
    IOC_HASHES = "ioc/hashes.tsv";
    /// Published webshell file names for `webshell-ioc` (`detect::webshells::ioc`).
    IOC_FILE_NAMES = "ioc/file_names.tsv";
    /// The stock files of `owa\auth` (`detect::indicators`, `detect::webshells::heuristics`).
    STOCK_OWA_AUTH = "stock/owa_auth.txt";
    /// The stock files of `ecp\auth` (`detect::indicators`, `detect::webshells::heuristics`).
    STOCK_ECP_AUTH = "stock/ecp_auth.txt";
    /// What an MSERT detection means, for `msert` (`detect::msert`).
    MSERT_THREATS = "msert_threats.tsv";
    /// The built-in YARA rules of `webshell-yara` (`detect::webshells::yara`).
    YARA = "yara/exhunt.yar";
}

/// The rule-pack version: the first 12 hex digits of SHA-256 over every embedded table (path,
/// NUL, text, NUL, in [`ALL`]'s order). Two builds with the same hash judge the same way.
pub fn pack_hash() -> &'static str {
    static HASH: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        for e in ALL {
            h.update(e.path.as_bytes());
            h.update([0]);
            h.update(e.text.as_bytes());
            h.update([0]);
        }
        h.finalize()
            .iter()
            .take(6)
            .map(|b| format!("{b:02x}"))
            .collect()
    });
    &HASH
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_under_rules_is_embedded_once() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
        let mut on_disk = Vec::new();
        let mut stack = vec![dir.clone()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    // The YARA rules' own test material (samples, a script) is not a table.
                    if !p.ends_with("yara/tests") {
                        stack.push(p);
                    }
                } else {
                    let rel = p
                        .strip_prefix(&dir)
                        .unwrap()
                        .to_string_lossy()
                        .replace('\\', "/");
                    on_disk.push(rel);
                }
            }
        }
        on_disk.sort();
        let mut embedded: Vec<_> = ALL.iter().map(|e| e.path.to_string()).collect();
        embedded.sort();
        assert_eq!(
            on_disk, embedded,
            "a table under rules/ that no check reads, or a missing one"
        );
        for e in ALL {
            assert!(!e.text.is_empty(), "{} is empty", e.path);
        }
    }

    #[test]
    fn the_pack_hash_is_short_hex_and_follows_the_tables() {
        let h = pack_hash();
        assert_eq!(h.len(), 12);
        assert!(h.bytes().all(|b| b.is_ascii_hexdigit()), "{h}");
        // Recomputed over the files on disk: the same (the embedded tables are these files).
        use sha2::{Digest, Sha256};
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
        let mut s = Sha256::new();
        for e in ALL {
            s.update(e.path.as_bytes());
            s.update([0]);
            s.update(std::fs::read(dir.join(e.path)).unwrap());
            s.update([0]);
        }
        let disk: String = s
            .finalize()
            .iter()
            .take(6)
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(h, disk);
    }
}
