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
    /// Child processes of w3wp.exe for `process-evidence` (`detect::process_evidence`).
    PROCESS_CHILDREN = "process_children.tsv";
    /// Command-line patterns for `process-evidence` (`detect::process_evidence`).
    PROCESS_CMDLINES = "process_cmdlines.tsv";
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
    /// The built-in YARA rules of `webshell-yara` (`detect::webshells::yara`).
    YARA = "yara/exhunt.yar";
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
}
