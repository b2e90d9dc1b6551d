//! The JSON shapes in which SIEMs and triage tools export Windows events, each mapped to the
//! same [`EvtxEvent`] the `.evtx` reader yields: provider, event id, level, channel, computer,
//! time, positional data (`data`) and named data (`named`).

use super::messages;
use crate::model::Timestamp;
use crate::sources::evtx::EvtxEvent;
use serde_json::{Map, Value};

/// Which export shape a line has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Shape {
    /// Flat fields at the top level (`Channel`, `EventID`, `Hostname`, `SourceName`,
    /// `TimeCreated`, event data beside them): OTRF Security-Datasets / Mordor, nxlog, most
    /// SIEM "export as JSON" buttons.
    Flat,
    /// Elastic winlogbeat / Elastic Agent: `winlog.channel`, `winlog.event_id`,
    /// `winlog.event_data.*`, `@timestamp`.
    Winlogbeat,
    /// `evtx_dump -o jsonl` (the `evtx` crate's own rendering): `Event.System`, `Event.EventData`.
    EvtxDump,
    /// Microsoft Sentinel / Log Analytics `SecurityEvent` or `Event` rows: `TimeGenerated`,
    /// `Computer`, `EventID`, `Channel` or `EventLog`, `EventData` as XML text.
    Sentinel,
    /// Velociraptor: `Windows.EventLogs.EVTX` rows (`EventTime`, `Channel`, `EventID`,
    /// `EventData` as an object) or `parse_evtx()` rows (`System`, `EventData`).
    Velociraptor,
}

impl Shape {
    pub fn as_str(self) -> &'static str {
        match self {
            Shape::Flat => "flat fields (OTRF/Mordor, nxlog)",
            Shape::Winlogbeat => "winlogbeat/Elastic (winlog.*)",
            Shape::EvtxDump => "evtx_dump JSON (Event.System)",
            Shape::Sentinel => "Sentinel/Log Analytics (TimeGenerated, EventData XML)",
            Shape::Velociraptor => "Velociraptor EVTX rows",
        }
    }
}

/// Top-level keys of the flat shapes that describe the record, not its event data.
const SYSTEM_KEYS: &[&str] = &[
    "@timestamp",
    "@version",
    "Activity",
    "Category",
    "Channel",
    "Computer",
    "ComputerName",
    "EID",
    "EventData",
    "EventID",
    "EventId",
    "EventLevel",
    "EventLevelName",
    "EventLog",
    "EventOriginId",
    "EventReceivedTime",
    "EventRecordID",
    "EventSourceName",
    "EventTime",
    "EventType",
    "ExecutionProcessID",
    "ExecutionThreadID",
    "Hostname",
    "Keywords",
    "Level",
    "ManagementGroupName",
    "Message",
    "MG",
    "OSPath",
    "Opcode",
    "OpcodeValue",
    "ParameterXml",
    "Provider",
    "ProviderGuid",
    "ProviderName",
    "RecordNumber",
    "RenderedDescription",
    "Severity",
    "SeverityValue",
    "Source",
    "SourceModuleName",
    "SourceModuleType",
    "SourceName",
    "SourceSystem",
    "Task",
    "TenantId",
    "ThreadID",
    "TimeCollected",
    "TimeCreated",
    "TimeGenerated",
    "Type",
    "UserData",
    "Version",
    "host",
    "port",
    "tags",
];

/// Maps one parsed line to an event, or says why it is not one. Without `full`, only the
/// record's own fields are taken (channel, computer, time...), not its data: enough for coverage.
pub fn map(v: &Value, line: &str, full: bool) -> Result<(Shape, EvtxEvent), &'static str> {
    let Value::Object(o) = v else {
        return Err("not a JSON object");
    };
    if o.get("Event").and_then(|e| e.get("System")).is_some() {
        return EvtxEvent::from_json(0, line.to_string())
            .map(|e| (Shape::EvtxDump, e))
            .ok_or("Event.System without the fields of an event");
    }
    if let Some(Value::Object(w)) = o.get("winlog") {
        return winlogbeat(o, w, full).map(|e| (Shape::Winlogbeat, e));
    }
    if let (Some(Value::Object(sys)), true) = (o.get("System"), o.contains_key("EventData")) {
        return velociraptor_parse_evtx(o, sys, full).map(|e| (Shape::Velociraptor, e));
    }
    let shape = if o.contains_key("TimeGenerated") {
        Shape::Sentinel
    } else if o.contains_key("OSPath")
        || (o.contains_key("EventTime") && o.get("EventData").is_some_and(Value::is_object))
    {
        Shape::Velociraptor
    } else {
        Shape::Flat
    };
    flat(o, full).map(|e| (shape, e))
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn first<'a>(o: &'a Map<String, Value>, keys: &[&str]) -> Option<&'a Value> {
    keys.iter().find_map(|k| o.get(*k).filter(|v| !v.is_null()))
}

fn text(o: &Map<String, Value>, keys: &[&str]) -> String {
    first(o, keys).map(scalar).unwrap_or_default()
}

fn number(v: Option<&Value>) -> Option<u64> {
    match v? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        Value::Object(o) => number(o.get("Value").or_else(|| o.get("#text"))),
        _ => None,
    }
}

/// A time as exports write it: RFC 3339 (any offset), `YYYY-MM-DD hh:mm:ss[.fff]` (UTC), or
/// seconds since 1970 as a number (Velociraptor).
pub fn parse_time(v: &Value) -> Option<Timestamp> {
    match v {
        Value::String(s) => {
            let s = s.trim();
            s.parse::<jiff::Timestamp>()
                .ok()
                .map(Timestamp::from_jiff)
                .or_else(|| Timestamp::parse_leading(s.as_bytes()))
        }
        Value::Number(n) => n
            .as_f64()
            .filter(|f| f.is_finite() && (0.0..1e11).contains(f))
            .map(|f| Timestamp((f * 1000.0).round() as i64)),
        Value::Object(o) => o
            .get("SystemTime")
            .or_else(|| o.get("#attributes").and_then(|a| a.get("SystemTime")))
            .and_then(parse_time),
        _ => None,
    }
}

/// Levels as winlogbeat and Sentinel name them, to the numbers EVTX stores.
fn level(v: Option<&Value>) -> u8 {
    match v {
        Some(Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
            "critical" => 1,
            "error" => 2,
            "warning" => 3,
            "information" | "informational" | "info" => 4,
            "verbose" => 5,
            other => other.parse().unwrap_or(0),
        },
        other => number(other).unwrap_or(0).min(255) as u8,
    }
}

/// Event data given as an object: `paramN` (winlogbeat's name for unnamed `<Data>`) and
/// `Data` arrays become positional data, every other key named data.
fn data_object(o: &Map<String, Value>, e: &mut EvtxEvent) {
    let mut params: Vec<(u32, String)> = Vec::new();
    for (k, v) in o {
        if let Some(n) = k.strip_prefix("param").and_then(|n| n.parse::<u32>().ok()) {
            params.push((n, scalar(v)));
            continue;
        }
        match (k.as_str(), v) {
            ("Data", Value::Array(a)) => e.data.extend(a.iter().map(scalar)),
            ("Data", Value::String(s)) => e.data.push(s.clone()),
            (_, Value::Object(inner)) => {
                for (k2, v2) in inner {
                    e.named.push((format!("{k}.{k2}"), scalar(v2)));
                }
            }
            (_, Value::Array(a)) => {
                e.named.push((
                    k.clone(),
                    a.iter().map(scalar).collect::<Vec<_>>().join(","),
                ));
            }
            _ => e.named.push((k.clone(), scalar(v))),
        }
    }
    params.sort_by_key(|p| p.0);
    e.data.extend(params.into_iter().map(|p| p.1));
}

/// When an event carries no data of its own, its rendered message is turned back into
/// positional data (see `rules/event_messages.tsv`), or kept whole as `Data[0]`.
fn from_message(e: &mut EvtxEvent, message: &str) {
    if !e.data.is_empty() || !e.named.is_empty() || message.trim().is_empty() {
        return;
    }
    e.data = messages::to_data(&e.provider, e.event_id, message)
        .unwrap_or_else(|| vec![message.to_string()]);
}

fn need_event(e: &EvtxEvent, has_id: bool) -> Result<(), &'static str> {
    if !has_id {
        return Err("no event id");
    }
    if e.channel.is_empty() && e.provider.is_empty() {
        return Err("no channel or provider");
    }
    Ok(())
}

fn winlogbeat(
    o: &Map<String, Value>,
    w: &Map<String, Value>,
    full: bool,
) -> Result<EvtxEvent, &'static str> {
    let id = number(w.get("event_id")).or_else(|| {
        o.get("event")
            .and_then(|ev| ev.get("code"))
            .and_then(|c| number(Some(c)))
    });
    let log_level = o.get("log").and_then(|l| l.get("level"));
    let mut e = EvtxEvent {
        record_id: number(w.get("record_id")).unwrap_or(0),
        time: o.get("@timestamp").and_then(parse_time),
        provider: w.get("provider_name").map(scalar).unwrap_or_default(),
        event_id: id.unwrap_or(0) as u32,
        level: level(log_level.or_else(|| w.get("level"))),
        channel: w.get("channel").map(scalar).unwrap_or_default(),
        computer: w
            .get("computer_name")
            .map(scalar)
            .or_else(|| o.get("host").and_then(|h| h.get("name")).map(scalar))
            .unwrap_or_default(),
        ..Default::default()
    };
    need_event(&e, id.is_some())?;
    if !full {
        return Ok(e);
    }
    for section in ["event_data", "user_data"] {
        if let Some(Value::Object(d)) = w.get(section) {
            data_object(d, &mut e);
        }
    }
    let message = o.get("message").map(scalar).unwrap_or_default();
    from_message(&mut e, &message);
    Ok(e)
}

fn velociraptor_parse_evtx(
    o: &Map<String, Value>,
    sys: &Map<String, Value>,
    full: bool,
) -> Result<EvtxEvent, &'static str> {
    let id = number(sys.get("EventID"));
    let provider = match sys.get("Provider") {
        Some(Value::Object(p)) => p.get("Name").map(scalar).unwrap_or_default(),
        Some(v) => scalar(v),
        None => String::new(),
    };
    let mut e = EvtxEvent {
        record_id: number(sys.get("EventRecordID")).unwrap_or(0),
        time: sys.get("TimeCreated").and_then(parse_time),
        provider,
        event_id: id.unwrap_or(0) as u32,
        level: level(sys.get("Level")),
        channel: sys.get("Channel").map(scalar).unwrap_or_default(),
        computer: sys.get("Computer").map(scalar).unwrap_or_default(),
        ..Default::default()
    };
    need_event(&e, id.is_some())?;
    if !full {
        return Ok(e);
    }
    for section in ["EventData", "UserData"] {
        match o.get(section) {
            Some(Value::Object(d)) => data_object(d, &mut e),
            Some(Value::String(s)) => e.data.push(s.clone()),
            _ => {}
        }
    }
    let message = o.get("Message").map(scalar).unwrap_or_default();
    from_message(&mut e, &message);
    Ok(e)
}

fn flat(o: &Map<String, Value>, full: bool) -> Result<EvtxEvent, &'static str> {
    let id = number(first(o, &["EventID", "EventId", "EID"]));
    let mut e = EvtxEvent {
        record_id: number(first(o, &["EventRecordID", "RecordNumber"])).unwrap_or(0),
        time: first(
            o,
            &["TimeCreated", "TimeGenerated", "EventTime", "@timestamp"],
        )
        .and_then(parse_time),
        provider: text(
            o,
            &[
                "SourceName",
                "ProviderName",
                "Provider",
                "EventSourceName",
                "Source",
            ],
        ),
        event_id: id.unwrap_or(0) as u32,
        level: level(first(o, &["Level", "EventLevel"])),
        channel: text(o, &["Channel", "EventLog"]),
        computer: text(o, &["Hostname", "Computer", "ComputerName"]),
        ..Default::default()
    };
    need_event(&e, id.is_some())?;
    if !full {
        return Ok(e);
    }
    for (k, v) in o {
        if SYSTEM_KEYS.contains(&k.as_str()) {
            continue;
        }
        match v {
            Value::Object(_) | Value::Array(_) => {} // a shipper's own metadata
            v => e.named.push((k.clone(), scalar(v))),
        }
    }
    match o.get("EventData") {
        Some(Value::Object(d)) => data_object(d, &mut e),
        Some(Value::String(xml)) => super::xml::event_data(xml, &mut e.data, &mut e.named),
        _ => {}
    }
    if let Some(Value::Object(d)) = o.get("UserData") {
        data_object(d, &mut e);
    }
    let message = text(o, &["Message", "RenderedDescription"]);
    from_message(&mut e, &message);
    Ok(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(line: &str) -> Result<(Shape, EvtxEvent), &'static str> {
        map(&serde_json::from_str(line).unwrap(), line, true)
    }

    #[test]
    fn flat_shape_keeps_named_data_and_leaves_system_fields_out() {
        let (s, e) = m(r#"{"SourceName":"Microsoft-Windows-Sysmon","Channel":"Microsoft-Windows-Sysmon/Operational","Hostname":"MXS01","TimeCreated":"2021-03-14T01:40:15.342Z","EventID":1,"Level":"4","Message":"Process Create:...","Image":"C:\\Windows\\System32\\cmd.exe","UtcTime":"2021-03-14 06:40:15.338"}"#).unwrap();
        assert_eq!(s, Shape::Flat);
        assert_eq!((e.event_id, e.level, e.computer.as_str()), (1, 4, "MXS01"));
        assert_eq!(e.named("Image"), Some("C:\\Windows\\System32\\cmd.exe"));
        assert!(e.named("Message").is_none() && e.named("Channel").is_none());
        assert!(e.data.is_empty(), "named data: the message is not added");
    }

    #[test]
    fn winlogbeat_params_become_positional_data() {
        let (s, e) = m(r#"{"@timestamp":"2021-03-14T06:40:12.987Z","log":{"level":"information"},"winlog":{"channel":"MSExchange Management","event_id":"1","provider_name":"MSExchange CmdletLogs","computer_name":"ex1","record_id":77,"event_data":{"param2":"-Identity x","param1":"Set-OabVirtualDirectory"}}}"#).unwrap();
        assert_eq!(s, Shape::Winlogbeat);
        assert_eq!(e.data, ["Set-OabVirtualDirectory", "-Identity x"]);
        assert_eq!((e.event_id, e.level, e.record_id), (1, 4, 77));
    }

    #[test]
    fn sentinel_security_event_with_event_data_xml() {
        let (s, e) = m(r#"{"TimeGenerated":"2021-03-03T04:22:10.5Z","Computer":"ex1.contoso.local","EventID":4688,"Channel":"Security","EventSourceName":"Microsoft-Windows-Security-Auditing","Level":"8","Activity":"4688 - A new process has been created.","EventData":"<EventData xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\"><Data Name=\"NewProcessName\">C:\\Windows\\System32\\cmd.exe</Data><Data Name=\"ParentProcessName\">c:\\windows\\system32\\inetsrv\\w3wp.exe</Data><Data Name=\"CommandLine\">cmd /c whoami &amp;&amp; hostname</Data></EventData>","TenantId":"x"}"#).unwrap();
        assert_eq!(s, Shape::Sentinel);
        assert_eq!((e.event_id, e.channel.as_str()), (4688, "Security"));
        assert_eq!(e.named("CommandLine"), Some("cmd /c whoami && hostname"));
        assert_eq!(
            e.named("ParentProcessName"),
            Some("c:\\windows\\system32\\inetsrv\\w3wp.exe")
        );
        assert_eq!(e.time.unwrap().to_string(), "2021-03-03T04:22:10.500Z");
        // Sentinel's `Event` table: `EventLog`, `Source`, `RenderedDescription`.
        let (s, e) = m(r#"{"TimeGenerated":"2021-03-03T04:22:10Z","Computer":"ex1","EventID":1,"EventLog":"MSExchange Management","Source":"MSExchange CmdletLogs","RenderedDescription":"Cmdlet succeeded. Cmdlet Remove-OabVirtualDirectory, parameters -Identity \"OAB\"."}"#).unwrap();
        assert_eq!(s, Shape::Sentinel);
        assert_eq!(e.channel, "MSExchange Management");
        assert_eq!(e.data, ["Remove-OabVirtualDirectory", "-Identity \"OAB\""]);
    }

    #[test]
    fn velociraptor_rows_both_forms() {
        let (s, e) = m(r#"{"EventTime":"2021-03-03T04:22:10Z","Computer":"ex1","Channel":"Microsoft-Windows-Sysmon/Operational","Provider":"Microsoft-Windows-Sysmon","EventID":11,"EventRecordID":9,"EventData":{"Image":"System","TargetFilename":"C:\\x\\owa\\auth\\a.aspx"},"Message":"File created","OSPath":"C:\\Windows\\System32\\winevt\\Logs\\Microsoft-Windows-Sysmon%4Operational.evtx"}"#).unwrap();
        assert_eq!(s, Shape::Velociraptor);
        assert_eq!((e.event_id, e.record_id), (11, 9));
        assert_eq!(e.named("TargetFilename"), Some("C:\\x\\owa\\auth\\a.aspx"));
        assert!(e.named("OSPath").is_none());
        let (s, e) = m(r#"{"System":{"Provider":{"Name":"MSExchange CmdletLogs"},"EventID":{"Value":1},"Level":4,"TimeCreated":{"SystemTime":1614745330.25},"Channel":"MSExchange Management","Computer":"ex1","EventRecordID":44},"EventData":{"Data":["Set-OabVirtualDirectory","-ExternalUrl x"]},"Message":null}"#).unwrap();
        assert_eq!(s, Shape::Velociraptor);
        assert_eq!(e.data, ["Set-OabVirtualDirectory", "-ExternalUrl x"]);
        assert_eq!((e.event_id, e.level, e.record_id), (1, 4, 44));
        assert_eq!(e.time.unwrap().to_string(), "2021-03-03T04:22:10.250Z");
    }

    #[test]
    fn evtx_dump_lines_read_as_the_evtx_reader_reads_them() {
        let (s, e) = m(r##"{"Event":{"System":{"Provider":{"#attributes":{"Name":"MSExchange CmdletLogs"}},"EventID":1,"Level":4,"TimeCreated":{"#attributes":{"SystemTime":"2021-03-03T04:21:05.120000Z"}},"EventRecordID":501,"Channel":"MSExchange Management","Computer":"ex1"},"EventData":{"Data":{"#text":["Set-OabVirtualDirectory","-ExternalUrl x"]}}}}"##).unwrap();
        assert_eq!(s, Shape::EvtxDump);
        assert_eq!(e.data, ["Set-OabVirtualDirectory", "-ExternalUrl x"]);
        assert_eq!(e.record_id, 501);
    }

    #[test]
    fn lines_that_are_not_events_say_why() {
        assert_eq!(m(r#"{"a":1}"#).unwrap_err(), "no event id");
        assert_eq!(m(r#"[1,2]"#).unwrap_err(), "not a JSON object");
        assert_eq!(m(r#"{"EventID":4}"#).unwrap_err(), "no channel or provider");
    }

    #[test]
    fn times_with_offsets_and_epoch_seconds() {
        let t = |v: &str| parse_time(&serde_json::from_str(v).unwrap()).map(|t| t.0);
        assert_eq!(
            t(r#""2021-03-14T01:40:15.342-05:00""#),
            t(r#""2021-03-14T06:40:15.342Z""#)
        );
        assert_eq!(t("1615704015.342"), t(r#""2021-03-14T06:40:15.342Z""#));
        assert_eq!(t(r#""tomorrow""#), None);
    }
}
