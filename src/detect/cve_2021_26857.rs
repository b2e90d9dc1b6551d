//! CVE-2021-26857 (Unified Messaging deserialization), from the Application event log.
//!
//! Test-ProxyLogon: provider `MSExchange Unified Messaging`, level 2 (error), message containing
//! `System.InvalidCastException`. Offline there is no rendered message, so every data string of
//! the event is searched. Also the crash shapes Microsoft's Sentinel queries hunt for.

use super::{At, Check, CheckInfo, Ctx, Draft, Record};
use crate::model::{Class, Finding, Severity};
use crate::sources::SourceKind;
use crate::sources::evtx::EvtxEvent;

pub struct Cve202126857;

pub static INFO: CheckInfo = CheckInfo {
    id: "cve-2021-26857",
    cve: "CVE-2021-26857",
    title: "CVE-2021-26857 Unified Messaging deserialization (Application event log)",
    sources: &[SourceKind::Evtx],
    coverage: &["EVTX/Application"],
    literals: &[(
        SourceKind::Evtx,
        &[
            "Unified Messaging",
            "UMWorkerProcess",
            "InvalidCastException",
        ],
    )],
    client_addresses: false,
    required: true,
};

fn fields(e: &EvtxEvent) -> Vec<(String, String)> {
    let mut f = vec![
        ("Provider".to_string(), e.provider.clone()),
        ("EventId".to_string(), e.event_id.to_string()),
        ("Level".to_string(), e.level.to_string()),
        ("Channel".to_string(), e.channel.clone()),
        ("Computer".to_string(), e.computer.clone()),
        ("RecordId".to_string(), e.record_id.to_string()),
    ];
    let text: Vec<&str> = e.all_data().collect();
    f.push(("Data".to_string(), text.join(" | ")));
    f
}

impl Check for Cve202126857 {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn inspect(&self, rec: &Record<'_>, at: &At<'_>, _ctx: &Ctx, out: &mut Vec<Finding>) {
        let Record::Evtx(e) = rec else { return };
        if e.level != 2 || !e.provider.to_ascii_lowercase().starts_with("msexchange") {
            return;
        }
        let has = |needle: &str| {
            e.all_data().any(|d| {
                d.to_ascii_lowercase()
                    .contains(&needle.to_ascii_lowercase())
            })
        };
        let starts = |p: &str| {
            e.all_data().any(|d| {
                d.trim_start()
                    .to_ascii_lowercase()
                    .starts_with(&p.to_ascii_lowercase())
            })
        };
        let um = e
            .provider
            .eq_ignore_ascii_case("MSExchange Unified Messaging");
        let d = if um && has("System.InvalidCastException") {
            Draft {
                rule: "um-invalid-cast",
                cve: "",
                title: "CVE-2021-26857: Unified Messaging error with System.InvalidCastException".into(),
                class: Class::Exploitation,
                severity: Severity::High,
                time: e.time,
                fields: fields(e),
                why: "Test-ProxyLogon's 26857 indicator: a deserialization payload sent to the UM service fails with an InvalidCastException; the exploit runs code as SYSTEM.".into(),
            }
        } else if starts("Watson report")
            && has("umworkerprocess")
            && has("TextFormattingRunProperties")
        {
            Draft {
                rule: "um-watson-textformatting",
                cve: "",
                title: "CVE-2021-26857: UM worker crash with a TextFormattingRunProperties gadget".into(),
                class: Class::Exploitation,
                severity: Severity::High,
                time: e.time,
                fields: fields(e),
                why: "A UM worker process crashed on TextFormattingRunProperties, the .NET deserialization gadget used by 26857 exploits.".into(),
            }
        } else if (starts("An unhandled exception occurred in a UM worker process")
            || starts("The Microsoft Exchange Unified Messaging service"))
            && !has("System.OutOfMemoryException")
        {
            Draft {
                rule: "um-worker-crash",
                cve: "",
                title: "Unified Messaging worker crash (possible CVE-2021-26857 attempt)".into(),
                class: Class::Attempt,
                severity: Severity::Medium,
                time: e.time,
                fields: fields(e),
                why: "UM worker crashes accompany failed or partial deserialization attempts; check the time against HttpProxy and IIS activity.".into(),
            }
        } else {
            return;
        };
        out.push(d.at(&INFO, at));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(provider: &str, level: u8, data: &str) -> Vec<Finding> {
        let e = EvtxEvent {
            provider: provider.into(),
            level,
            data: vec![data.into()],
            record_id: 9,
            ..Default::default()
        };
        let at = At {
            path: "Application.evtx",
            line: None,
            offset: None,
            record_id: Some(9),
            raw: b"{}",
            protocol: None,
        };
        let mut out = Vec::new();
        Cve202126857.inspect(&Record::Evtx(&e), &at, &Ctx::default(), &mut out);
        out
    }

    #[test]
    fn positive_and_lookalikes() {
        let f = ev(
            "MSExchange Unified Messaging",
            2,
            "An error: System.InvalidCastException: Unable to cast",
        );
        assert_eq!(f[0].rule, "um-invalid-cast");
        assert_eq!(f[0].source.record_id, Some(9));
        assert!(
            ev(
                "MSExchange Unified Messaging",
                3,
                "System.InvalidCastException"
            )
            .is_empty(),
            "warnings are not TPL hits"
        );
        assert!(
            ev(
                "MSExchange Unified Messaging",
                2,
                "System.NullReferenceException"
            )
            .is_empty()
        );
        assert!(ev("Application Error", 2, "System.InvalidCastException").is_empty());
        let f = ev(
            "MSExchange Common",
            2,
            "Watson report about to be sent for umworkerprocess.exe ... TextFormattingRunProperties",
        );
        assert_eq!(f[0].rule, "um-watson-textformatting");
        assert!(ev("MSExchange Unified Messaging", 2, "An unhandled exception occurred in a UM worker process: System.OutOfMemoryException").is_empty());
    }
}
