//! ECP server log (`<install>\Logging\ECP\Server\ECPServer*.LOG`): `TimeStamp,ServerName,EventId,EventData`.
//!
//! `EventData` is a list of `S:KEY=value` pairs separated by `;`. A pair holding special
//! characters is wrapped in `'...'` with inner `'` doubled, and the CSV layer then wraps the whole
//! field in `"..."` with inner `"` doubled. `S:CMD` holds `<Cmdlet>.<Param>=<value>...` where
//! string values are in `'...'`. Payloads contain `;`, `,` and dots, so every layer is decoded with
//! a quote-aware scanner before any check looks at a value.

use crate::model::Timestamp;
use csv::ByteRecord;

/// One ECP server log line, decoded.
#[derive(Debug, Clone)]
pub struct EcpRecord {
    pub time: Option<Timestamp>,
    pub server: String,
    pub event_id: String,
    /// `(key, value)` pairs of `EventData`, both layers of quoting removed.
    pub pairs: Vec<(String, String)>,
}

impl EcpRecord {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }
}

/// Parses one data line. `None` when it has fewer than four CSV fields.
pub fn parse_line(line: &[u8]) -> Option<EcpRecord> {
    let mut rec = ByteRecord::new();
    if !super::csvline::split(line, &mut rec) || rec.len() < 4 {
        return None;
    }
    let s = |i: usize| String::from_utf8_lossy(rec.get(i).unwrap_or_default()).into_owned();
    // A payload with raw commas and no CSV quoting spills into extra fields: join them back.
    let data = (3..rec.len()).map(s).collect::<Vec<_>>().join(",");
    Some(EcpRecord {
        time: Timestamp::parse_leading(rec.get(0).unwrap_or_default()),
        server: s(1),
        event_id: s(2),
        pairs: decode_event_data(&data),
    })
}

/// Splits `EventData` into pairs, removing the `'...'` pair quoting.
pub fn decode_event_data(data: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let b = data.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let mut pair = String::new();
        if b[i] == b'\'' {
            // quoted pair: up to a single quote that is not doubled, then `;` or end
            let mut j = i + 1;
            let mut start = j;
            loop {
                match memchr::memchr(b'\'', &b[j..]) {
                    None => {
                        pair.push_str(&data[start..]);
                        j = b.len();
                        break;
                    }
                    Some(k) => {
                        let q = j + k;
                        if b.get(q + 1) == Some(&b'\'') {
                            pair.push_str(&data[start..=q]);
                            j = q + 2;
                            start = j;
                        } else if q + 1 == b.len() || b[q + 1] == b';' {
                            pair.push_str(&data[start..q]);
                            j = q + 1;
                            break;
                        } else {
                            // a lone quote inside: keep it and go on
                            pair.push_str(&data[start..=q]);
                            j = q + 1;
                            start = j;
                        }
                    }
                }
            }
            i = j + 1;
        } else {
            let end = memchr::memchr(b';', &b[i..]).map_or(b.len(), |k| i + k);
            pair.push_str(&data[i..end]);
            i = end + 1;
        }
        if pair.is_empty() {
            continue;
        }
        match pair.split_once('=') {
            Some((k, v)) => out.push((k.to_string(), v.to_string())),
            None => out.push((pair, String::new())),
        }
    }
    out
}

/// A cmdlet invocation as logged in `S:CMD`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cmd {
    pub cmdlet: String,
    pub params: Vec<(String, String)>,
}

/// Parses `Set-OabVirtualDirectory.ExternalUrl='http://x/<script>...'.Identity='...'`.
pub fn parse_cmd(cmd: &str) -> Cmd {
    let b = cmd.as_bytes();
    let first = next_param(b, 0);
    let cmdlet = cmd[..first.unwrap_or(b.len())].to_string();
    let mut params = Vec::new();
    let mut at = first;
    while let Some(dot) = at {
        let eq = dot + 1 + b[dot + 1..].iter().position(|&c| c == b'=').unwrap_or(0);
        let name = cmd[dot + 1..eq].to_string();
        let vstart = eq + 1;
        let (value, next) = if b.get(vstart) == Some(&b'\'') {
            // quoted: the closing quote is one followed by `.Param=` or the end
            let mut close = None;
            let mut k = vstart + 1;
            while let Some(q) = memchr::memchr(b'\'', &b[k..]).map(|x| k + x) {
                if q + 1 == b.len() || is_param_start(b, q + 1) {
                    close = Some(q);
                    break;
                }
                k = q + 1;
            }
            match close {
                Some(q) => (
                    cmd[vstart + 1..q].to_string(),
                    (q + 1 < b.len()).then_some(q + 1),
                ),
                None => (cmd[vstart + 1..].to_string(), None),
            }
        } else {
            let n = next_param(b, vstart);
            (cmd[vstart..n.unwrap_or(b.len())].to_string(), n)
        };
        params.push((name, value));
        at = next;
    }
    Cmd { cmdlet, params }
}

/// Position of the next `.Name=` at or after `from`.
fn next_param(b: &[u8], from: usize) -> Option<usize> {
    (from..b.len()).find(|&i| is_param_start(b, i))
}

fn is_param_start(b: &[u8], i: usize) -> bool {
    if b.get(i) != Some(&b'.') {
        return false;
    }
    let name_len = b[i + 1..]
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric())
        .count();
    name_len > 0 && b.get(i + 1 + name_len) == Some(&b'=')
}

#[cfg(test)]
mod tests {
    use super::*;

    const MALICIOUS: &str = r#"2021-02-11T04:30:58.214Z,EX01,ECP.Request,"S:TIME=402;S:SID=8c0f2e71;'S:CMD=Set-OabVirtualDirectory.ExternalUrl=''http://k/<script language=""JScript"" runat=""server"">function Page_Load(){Response.Write(""exhunt-test-zq7w"");}</script>''.Identity=''5d0c7a3e-91f2''';S:REQID=;S:URL=/ecp/DDI/DDIService.svc/SetObject?schema=OABVirtualDirectory&msExchEcpCanary=VGVzdA;S:BLD=15.1.2106.2;S:ACID=""#;

    #[test]
    fn decodes_both_quoting_layers() {
        let r = parse_line(MALICIOUS.as_bytes()).unwrap();
        assert_eq!(r.server, "EX01");
        assert_eq!(r.time.unwrap().to_string(), "2021-02-11T04:30:58.214Z");
        let cmd = r.get("S:CMD").unwrap();
        assert!(
            cmd.starts_with(
                "Set-OabVirtualDirectory.ExternalUrl='http://k/<script language=\"JScript\""
            ),
            "{cmd}"
        );
        assert_eq!(r.get("S:BLD"), Some("15.1.2106.2"));
        let c = parse_cmd(cmd);
        assert_eq!(c.cmdlet, "Set-OabVirtualDirectory");
        assert_eq!(c.params[0].0, "ExternalUrl");
        assert_eq!(
            c.params[0].1,
            r#"http://k/<script language="JScript" runat="server">function Page_Load(){Response.Write("exhunt-test-zq7w");}</script>"#
        );
        assert_eq!(
            c.params[1],
            ("Identity".to_string(), "5d0c7a3e-91f2".to_string())
        );
    }

    #[test]
    fn plain_values_and_unquoted_lines() {
        let r = parse_line(b"2024-05-14T09:02:11.532Z,EX01,ECP.Request,S:TIME=18;S:CMD=Get-Mailbox;S:BLD=15.2.986.5").unwrap();
        assert_eq!(r.get("S:CMD"), Some("Get-Mailbox"));
        assert_eq!(parse_cmd("Get-Mailbox").cmdlet, "Get-Mailbox");
        let c = parse_cmd(
            "Set-OwaVirtualDirectory.ExternalUrl=https://mail.contoso.com/owa.Identity=EX01\\owa (Default Web Site)",
        );
        assert_eq!(c.params[0].1, "https://mail.contoso.com/owa");
        assert_eq!(c.params[1].1, "EX01\\owa (Default Web Site)");
        assert!(parse_line(b"broken").is_none());
    }
}
