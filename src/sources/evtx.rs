//! Windows event logs (`.evtx`), read with the `evtx` crate. Every record is rendered to JSON text
//! once; only records whose text holds a prefilter literal are parsed into an [`EvtxEvent`].

use super::lines::Prefilter;
use crate::model::Timestamp;
use serde_json::Value;
use std::path::Path;

/// One event, with the fields the checks use. Offline there is no rendered message, so checks
/// match on `data` (unnamed `<Data>` items, classic providers) and `named` (`<Data Name=..>`).
#[derive(Debug, Clone, Default)]
pub struct EvtxEvent {
    pub record_id: u64,
    pub time: Option<Timestamp>,
    pub provider: String,
    pub event_id: u32,
    pub level: u8,
    pub channel: String,
    pub computer: String,
    pub data: Vec<String>,
    pub named: Vec<(String, String)>,
    /// The record as the `evtx` crate renders it (JSON), kept as raw evidence.
    pub json: String,
}

impl EvtxEvent {
    pub fn named(&self, key: &str) -> Option<&str> {
        self.named
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }

    /// Every data string, unnamed and named.
    pub fn all_data(&self) -> impl Iterator<Item = &str> {
        self.data
            .iter()
            .map(String::as_str)
            .chain(self.named.iter().map(|(_, v)| v.as_str()))
    }

    /// Builds an event from the JSON the `evtx` crate renders.
    pub fn from_json(record_id: u64, json: String) -> Option<EvtxEvent> {
        let v: Value = serde_json::from_str(&json).ok()?;
        let ev = v.get("Event")?;
        let sys = ev.get("System")?;
        let text = |v: Option<&Value>| -> String {
            match v {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Object(o)) => o.get("#text").map(scalar).unwrap_or_default(),
                Some(other) => scalar(other),
                None => String::new(),
            }
        };
        let num = |v: Option<&Value>| text(v).trim().parse::<u64>().unwrap_or(0);
        let mut e = EvtxEvent {
            record_id: sys
                .get("EventRecordID")
                .and_then(Value::as_u64)
                .unwrap_or(record_id),
            time: sys
                .pointer("/TimeCreated/#attributes/SystemTime")
                .and_then(Value::as_str)
                .and_then(|s| Timestamp::parse_leading(s.as_bytes())),
            provider: sys
                .pointer("/Provider/#attributes/Name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            event_id: num(sys.get("EventID")) as u32,
            level: num(sys.get("Level")) as u8,
            channel: text(sys.get("Channel")),
            computer: text(sys.get("Computer")),
            ..Default::default()
        };
        for section in ["EventData", "UserData"] {
            if let Some(Value::Object(o)) = ev.get(section) {
                for (k, v) in o {
                    if k == "#attributes" {
                        continue;
                    }
                    if k == "Data" {
                        collect_unnamed(v, &mut e.data, &mut e.named);
                    } else {
                        flatten(k, v, &mut e.named);
                    }
                }
            } else if let Some(v) = ev.get(section).filter(|v| !v.is_null()) {
                e.data.push(scalar(v));
            }
        }
        e.json = json;
        Some(e)
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn collect_unnamed(v: &Value, data: &mut Vec<String>, named: &mut Vec<(String, String)>) {
    match v {
        Value::Array(a) => a.iter().for_each(|x| collect_unnamed(x, data, named)),
        Value::Object(o) => {
            let name = o
                .get("#attributes")
                .and_then(|a| a.get("Name"))
                .and_then(Value::as_str);
            match (name, o.get("#text")) {
                (Some(n), Some(t)) => named.push((n.to_string(), scalar(t))),
                (None, Some(t)) => collect_unnamed(t, data, named),
                _ => {}
            }
        }
        Value::Null => data.push(String::new()),
        other => data.push(scalar(other)),
    }
}

fn flatten(prefix: &str, v: &Value, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(o) => o
            .iter()
            .filter(|(k, _)| *k != "#attributes")
            .for_each(|(k, x)| {
                let key = if k == "#text" {
                    prefix.to_string()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, x, out)
            }),
        Value::Array(a) => a.iter().for_each(|x| flatten(prefix, x, out)),
        other => out.push((prefix.to_string(), scalar(other))),
    }
}

/// What reading one EVTX file saw.
#[derive(Debug, Default)]
pub struct EvtxStats {
    pub records: u64,
    pub malformed: u64,
    pub first: Option<Timestamp>,
    pub last: Option<Timestamp>,
    /// Channel of the first readable record.
    pub channel: Option<String>,
    pub computer: Option<String>,
    /// The first few record errors, for the coverage report.
    pub errors: Vec<String>,
    /// Damage to the file as a whole (cut short, no records at all), for the coverage report.
    pub file_problems: Vec<String>,
}

/// EVTX layout: a 4096-byte file header, then 64 KiB chunks; the header counts the chunks.
const EVTX_HEADER: u64 = 4096;
const EVTX_CHUNK: u64 = 65536;

/// Says whether a file is shorter than its header's chunk count promises (a cut copy, or a
/// file still being written): the records in the missing part are lost.
fn cut_short(path: &Path) -> Option<String> {
    use std::io::Read;
    let mut head = [0u8; 44];
    let mut f = super::open_read_only(path).ok()?;
    f.read_exact(&mut head).ok()?;
    let len = f.metadata().ok()?.len();
    let chunks = u64::from(u16::from_le_bytes([head[42], head[43]]));
    let want = EVTX_HEADER + chunks * EVTX_CHUNK;
    (len < want).then(|| {
        format!(
            "file is cut: {len} bytes where its header announces {chunks} chunk(s) ({want} bytes); the records in the missing part are lost (collect the file again)"
        )
    })
}

/// Reads every record of `path`; `on_event` gets the events whose JSON holds a prefilter literal.
pub fn read(
    path: &Path,
    pre: &Prefilter,
    on_event: impl FnMut(EvtxEvent),
) -> Result<EvtxStats, String> {
    let file = super::open_read_only(path).map_err(|e| super::io_problem("cannot open", &e))?;
    let mut st = read_from(file, pre, on_event)?;
    if let Some(p) = cut_short(path) {
        st.file_problems.push(p);
    }
    if st.records == 0 && st.malformed == 0 && st.file_problems.is_empty() {
        st.file_problems
            .push("no event records could be read (empty or damaged log)".into());
    }
    Ok(st)
}

/// [`read`] over any seekable reader (a file, or bytes in memory for tests and fuzzing).
pub fn read_from<R: std::io::Read + std::io::Seek>(
    reader: R,
    pre: &Prefilter,
    mut on_event: impl FnMut(EvtxEvent),
) -> Result<EvtxStats, String> {
    let mut parser = evtx::EvtxParser::from_read_seek(reader).map_err(|e| {
        format!("not a readable EVTX file: {e} (damaged or cut; collect it again or check it with another EVTX reader)")
    })?;
    let mut st = EvtxStats::default();
    for rec in parser.records_json() {
        match rec {
            Ok(r) => {
                st.records += 1;
                let t = Timestamp(r.timestamp.as_millisecond());
                st.first = Some(st.first.map_or(t, |f| f.min(t)));
                st.last = Some(st.last.map_or(t, |l| l.max(t)));
                if st.channel.is_none() {
                    st.channel = json_str_after(&r.data, "\"Channel\":");
                    st.computer = json_str_after(&r.data, "\"Computer\":");
                }
                if pre.is_match(r.data.as_bytes()) {
                    match EvtxEvent::from_json(r.event_record_id, r.data) {
                        Some(e) => on_event(e),
                        None => st.malformed += 1,
                    }
                }
            }
            Err(e) => {
                st.malformed += 1;
                if st.errors.len() < 5 {
                    st.errors.push(e.to_string());
                }
            }
        }
    }
    Ok(st)
}

/// Cheap extraction of a top-level string value from rendered JSON without parsing it all.
fn json_str_after(json: &str, key: &str) -> Option<String> {
    let i = json.find(key)? + key.len();
    let rest = json[i..].trim_start();
    let rest = rest.strip_prefix('"')?;
    let v: Value =
        serde_json::from_str(&format!("\"{}\"", &rest[..find_string_end(rest)?])).ok()?;
    v.as_str().map(str::to_string)
}

fn find_string_end(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return Some(i),
            _ => i += 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_real_exchange_management_sample() {
        let p = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/public/evtx/msexchange-management-install-transportagent.evtx");
        let pre = crate::sources::lines::prefilter(&["CmdletLogs"]);
        let mut events = Vec::new();
        let st = read(&p, &pre, |e| events.push(e)).unwrap();
        assert!(st.records >= 1);
        assert_eq!(st.malformed, 0);
        let e = &events[0];
        assert_eq!(e.provider, "MSExchange CmdletLogs");
        assert_eq!(e.event_id, 6);
        assert_eq!(e.level, 2);
        assert_eq!(e.channel, "MSExchange Management");
        assert_eq!(e.data[0], "Install-TransportAgent");
        assert!(e.data[6].contains("w3wp#MSExchangePowerShellAppPool"));
        assert_eq!(st.channel.as_deref(), Some("MSExchange Management"));
    }

    #[test]
    fn named_data_shape() {
        let j = r##"{"Event":{"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Sysmon"}},"EventID":1,"Level":4,"Channel":"Microsoft-Windows-Sysmon/Operational","Computer":"X","EventRecordID":7,"TimeCreated":{"#attributes":{"SystemTime":"2019-05-24T01:33:53.1124866Z"}}},"EventData":{"Image":"C:\\cmd.exe","ProcessId":2404}}}"##;
        let e = EvtxEvent::from_json(0, j.to_string()).unwrap();
        assert_eq!(e.record_id, 7);
        assert_eq!(e.named("image"), Some("C:\\cmd.exe"));
        assert_eq!(e.named("ProcessId"), Some("2404"));
        assert_eq!(e.time.unwrap().to_string(), "2019-05-24T01:33:53.112Z");
        assert_eq!(
            json_str_after(j, "\"Channel\":").as_deref(),
            Some("Microsoft-Windows-Sysmon/Operational")
        );
    }
}
