//! CVE-2021-27065 as the MSExchange Management log really records it (issue 15, gap 3): a
//! `Set-<Kind>VirtualDirectory` that puts script into a URL, then `Remove-<Kind>VirtualDirectory`
//! (and `New-<Kind>VirtualDirectory`) of the same kind right after. The removal is the ECP
//! "reset" whose export writes the directory's settings, script included, to a file the attacker
//! names: the webshell. The public ProxyLogon PoC leaves exactly this (OTRF SDWIN-210314014019:
//! Set-, Remove-, New-OabVirtualDirectory within 5 s).
//!
//! A fold of the `exchange-cmdlets` check over one log: it takes the check's `vdir-url-script`,
//! `vdir-removed` and `vdir-created` findings, gives them all back, and adds one
//! `vdir-reset-write` finding per removal that follows a script-carrying Set- of the same kind
//! within [`WINDOW_MS`]. A removal alone (an administrator's reset) stays `info`.

use super::FileFold;
use crate::model::{Class, Finding, Severity};

/// How soon after the script-carrying Set- the removal must come.
pub const WINDOW_MS: i64 = 3600 * 1000;

pub const RULE: &str = "vdir-reset-write";
const CVE: &str = "CVE-2021-27065";

#[derive(Default)]
pub struct VdirReset {
    held: Vec<Finding>,
}

/// `Oab` for `Set-OabVirtualDirectory`.
fn kind(cmdlet: &str) -> Option<String> {
    let c = cmdlet.trim().to_ascii_lowercase();
    let (_, rest) = c.split_once('-')?;
    rest.strip_suffix("virtualdirectory").map(str::to_string)
}

/// `Oab` for `Set-OabVirtualDirectory`, as logged.
fn shown_kind(cmdlet: &str) -> &str {
    let rest = cmdlet.trim().split_once('-').map_or("", |(_, r)| r);
    rest.get(..rest.len().saturating_sub("VirtualDirectory".len()))
        .unwrap_or(rest)
}

fn ours(f: &Finding) -> bool {
    f.check == super::exchange_cmdlets::ID
        && matches!(f.rule, "vdir-url-script" | "vdir-removed" | "vdir-created")
}

fn at(f: &Finding) -> String {
    match (f.source.line, f.source.record_id) {
        (Some(l), _) => format!("{}:{l}", f.source.path),
        (None, Some(r)) => format!("{} record {r}", f.source.path),
        (None, None) => f.source.path.clone(),
    }
}

impl FileFold for VdirReset {
    fn take(&mut self, findings: &mut Vec<Finding>) {
        let (mine, rest): (Vec<Finding>, Vec<Finding>) =
            std::mem::take(findings).into_iter().partition(ours);
        *findings = rest;
        self.held.extend(mine);
    }

    fn finish(self: Box<Self>, findings: &mut Vec<Finding>) {
        let mut held = self.held;
        held.sort_by_key(|f| f.time);
        let cmdlet = |f: &Finding| f.fields.get("Cmdlet").unwrap_or_default().to_string();
        let mut out = Vec::new();
        for (i, rm) in held.iter().enumerate() {
            if rm.rule != "vdir-removed" {
                continue;
            }
            let (Some(k), Some(t)) = (kind(&cmdlet(rm)), rm.time) else {
                continue;
            };
            let same = |f: &Finding| kind(&cmdlet(f)).as_deref() == Some(k.as_str());
            let set = held[..i].iter().rev().find(|f| {
                f.rule == "vdir-url-script"
                    && same(f)
                    && f.fields.get("Outcome") == Some("succeeded")
                    && f.time.is_some_and(|s| s <= t && t.0 - s.0 <= WINDOW_MS)
            });
            let Some(set) = set else { continue };
            let new = held[i + 1..].iter().find(|f| {
                f.rule == "vdir-created"
                    && same(f)
                    && f.time.is_some_and(|n| n.0 - t.0 <= WINDOW_MS)
            });
            let mut w = rm.clone();
            w.rule = RULE;
            w.cve = CVE;
            w.class = Class::Exploitation;
            w.severity = Severity::Critical;
            w.title = format!(
                "CVE-2021-27065: {} virtual directory reset right after script was put into its URL ({}{})",
                shown_kind(&cmdlet(set)),
                cmdlet(set),
                match new {
                    Some(n) => format!(", {}, {}", cmdlet(rm), cmdlet(n)),
                    None => format!(", {}", cmdlet(rm)),
                }
            );
            w.fields.push(
                "ScriptSetAt",
                &set.time.map(|t| t.to_string()).unwrap_or_default(),
            );
            w.fields.push("ScriptSetEvidence", &at(set));
            w.fields.push(
                "ScriptSetParameters",
                set.fields.get("Parameters").unwrap_or_default(),
            );
            if let Some(n) = new {
                w.fields.push(
                    "RecreatedAt",
                    &n.time.map(|t| t.to_string()).unwrap_or_default(),
                );
                w.fields.push("RecreatedEvidence", &at(n));
            }
            w.why = format!(
                "Test-ProxyLogon's 27065 shape as the cmdlet log records it: a virtual-directory URL was set to carry script, then the directory was removed{} within {} min. The reset exports the directory's settings, script included, into a file the attacker names (a webshell, usually under owa\\auth or aspnet_client); look for a new page written at this time and for requests to it.",
                if new.is_some() { " and re-created" } else { "" },
                WINDOW_MS / 60_000
            );
            out.push(w);
        }
        findings.append(&mut held);
        findings.append(&mut out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::detect::{At, Check, Ctx, Record};
    use crate::model::Timestamp;
    use crate::sources::evtx::EvtxEvent;

    /// The findings of `exchange-cmdlets` on these (event id, cmdlet, parameters, second) events,
    /// folded as one log.
    fn folded(events: &[(u32, &str, &str, i64)]) -> Vec<Finding> {
        let mut out = Vec::new();
        for (i, (id, cmdlet, params, sec)) in events.iter().enumerate() {
            let e = EvtxEvent {
                record_id: i as u64 + 1,
                time: Some(Timestamp(1_614_745_200_000 + sec * 1000)),
                provider: "MSExchange CmdletLogs".into(),
                channel: "MSExchange Management".into(),
                event_id: *id,
                data: vec![cmdlet.to_string(), params.to_string()],
                ..Default::default()
            };
            let at = At {
                path: "m.evtx",
                line: None,
                offset: None,
                record_id: Some(e.record_id),
                raw: b"",
                protocol: None,
            };
            let ch = crate::detect::exchange_cmdlets::ExchangeCmdlets;
            ch.inspect(&Record::Evtx(&e), &at, &Ctx::default(), &mut out);
        }
        let mut fold = Box::new(VdirReset::default());
        fold.take(&mut out);
        fold.finish(&mut out);
        out
    }

    const SCRIPT: &str = "-ExternalUrl \"http://f/#<script runat=\"server\">function Page_Load(){eval(Request[\"k\"]);}</script>\" -Identity \"OAB (Default Web Site)\"";

    fn writes(f: &[Finding]) -> Vec<&Finding> {
        f.iter().filter(|f| f.rule == RULE).collect()
    }

    #[test]
    fn set_with_script_then_remove_of_the_same_kind_is_the_write() {
        let f = folded(&[
            (1, "Set-OabVirtualDirectory", SCRIPT, 0),
            (1, "Remove-OabVirtualDirectory", "-Identity x", 2),
            (1, "New-OabVirtualDirectory", "-Server x", 5),
        ]);
        let w = writes(&f);
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].source.record_id, Some(2));
        assert!(
            w[0].fields
                .get("RecreatedEvidence")
                .is_some_and(|e| e.ends_with("record 3"))
        );
        assert_eq!(f.len(), 4, "the three cmdlet findings are given back");
    }

    #[test]
    fn other_kind_failed_set_late_removal_or_plain_url_are_not() {
        let plain = "-ExternalUrl \"https://mail.contoso.com/OAB\" -Identity x";
        for events in [
            vec![
                (1, "Set-OabVirtualDirectory", SCRIPT, 0),
                (1, "Remove-EcpVirtualDirectory", "-Identity x", 2),
            ],
            vec![
                (6, "Set-OabVirtualDirectory", SCRIPT, 0),
                (1, "Remove-OabVirtualDirectory", "-Identity x", 2),
            ],
            vec![
                (1, "Set-OabVirtualDirectory", SCRIPT, 0),
                (1, "Remove-OabVirtualDirectory", "-Identity x", 7200),
            ],
            vec![
                (1, "Remove-OabVirtualDirectory", "-Identity x", 0),
                (1, "Set-OabVirtualDirectory", SCRIPT, 2),
            ],
            vec![
                (1, "Set-OabVirtualDirectory", plain, 0),
                (1, "Remove-OabVirtualDirectory", "-Identity x", 2),
            ],
        ] {
            assert!(writes(&folded(&events)).is_empty(), "{events:?}");
        }
    }

    #[test]
    fn kinds() {
        assert_eq!(kind("Set-OabVirtualDirectory").as_deref(), Some("oab"));
        assert_eq!(kind("Remove-EcpVirtualDirectory").as_deref(), Some("ecp"));
        assert_eq!(kind("Get-Mailbox"), None);
    }
}
