//! Rendered messages back to positional event data (`rules/event_messages.tsv`), for exports
//! that keep only an event's message.

use regex::Regex;
use std::sync::LazyLock;

struct Template {
    provider: &'static str,
    events: Vec<u32>,
    pattern: Regex,
}

static TEMPLATES: LazyLock<Vec<Template>> = LazyLock::new(|| {
    let mut out = Vec::new();
    let mut header = false;
    for (n, line) in crate::rules::EVENT_MESSAGES.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        if !header {
            header = true; // provider, events, pattern, note
            continue;
        }
        let cols: Vec<&'static str> = line.split('\t').collect();
        let bad = |what: &str| -> ! { panic!("event_messages.tsv line {}: bad {what}", n + 1) };
        if cols.len() < 3 {
            bad("column count");
        }
        out.push(Template {
            provider: cols[0],
            events: cols[1]
                .split(',')
                .map(|e| e.trim().parse().unwrap_or_else(|_| bad("events")))
                .collect(),
            pattern: Regex::new(&format!("(?is){}", cols[2])).unwrap_or_else(|_| bad("pattern")),
        });
    }
    out
});

/// The positional data a provider's template rendered into `message`, if a row of the table
/// knows the template and the message fits it.
pub fn to_data(provider: &str, event_id: u32, message: &str) -> Option<Vec<String>> {
    TEMPLATES
        .iter()
        .filter(|t| t.provider.eq_ignore_ascii_case(provider) && t.events.contains(&event_id))
        .find_map(|t| {
            let c = t.pattern.captures(message)?;
            Some(
                (1..c.len())
                    .map(|i| c.get(i).map_or(String::new(), |m| m.as_str().to_string()))
                    .collect(),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cmdlet_log_messages_give_cmdlet_and_parameters() {
        let d = to_data(
            "MSExchange CmdletLogs",
            1,
            "Cmdlet suceeded. Cmdlet Remove-OabVirtualDirectory, parameters -Force \"True\" -Identity \"MXS01\\OAB (Default Web Site)\".",
        )
        .unwrap();
        assert_eq!(d[0], "Remove-OabVirtualDirectory");
        assert_eq!(
            d[1],
            "-Force \"True\" -Identity \"MXS01\\OAB (Default Web Site)\""
        );
        assert!(to_data("MSExchange CmdletLogs", 1, "something else").is_none());
        assert!(to_data("Other", 1, "Cmdlet suceeded. Cmdlet X, parameters Y.").is_none());
    }

    #[test]
    fn every_row_compiles() {
        assert!(!TEMPLATES.is_empty());
    }
}
