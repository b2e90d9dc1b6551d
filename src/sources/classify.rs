//! Recognising a log file by its content, never by its name.

use super::SourceKind;
use memchr::memmem;
use std::io::Read;
use std::path::Path;

/// How many bytes of a file's start are looked at.
pub const SNIFF_LEN: usize = 16 * 1024;

/// Classifies a file from the first [`SNIFF_LEN`] bytes.
pub fn classify_bytes(head: &[u8]) -> SourceKind {
    if head.starts_with(b"ElfFile\0") {
        return SourceKind::Evtx;
    }
    if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
        return SourceKind::Utf16Text;
    }
    let has = |needle: &[u8]| memmem::find(head, needle).is_some();
    if is_event_json(head) {
        return SourceKind::EventJson;
    }
    let line_starts = |prefix: &[u8]| {
        head.starts_with(prefix)
            || memmem::find_iter(head, b"\n").any(|i| head[i + 1..].starts_with(prefix))
    };
    if has(b"#Log-type: HttpProxy Logs")
        || line_starts(b"DateTime,RequestId,")
        || line_starts(b"\xEF\xBB\xBFDateTime,RequestId,")
    {
        return SourceKind::HttpProxy;
    }
    if has(b"#Log-type: ECP Server Log")
        || has(b"#Fields: TimeStamp,ServerName,EventId,EventData")
            && !has(b"#Log-type: ECP Activity")
    {
        return SourceKind::EcpServer;
    }
    if has(b"#Log-type: ECP Activity") {
        return SourceKind::EcpActivity;
    }
    if has(b"#Software: Microsoft Internet Information Services")
        || line_starts(b"#Fields: date time ")
    {
        return SourceKind::IisW3c;
    }
    if has(b"OABGenerator") || has(b"Download failed and temporary file") {
        return SourceKind::OabGenerator;
    }
    if looks_binary(head) {
        return SourceKind::Binary;
    }
    SourceKind::Text
}

/// JSON lines of Windows events: the first line is a JSON object (no other log starts with
/// `{`) naming an event id the way one of the export shapes does (see
/// [`super::events_json::shape`]).
fn is_event_json(head: &[u8]) -> bool {
    let body = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let start = body.iter().position(|b| !b.is_ascii_whitespace());
    if !start.is_some_and(|i| body[i] == b'{' && body.get(i + 1) != Some(&b'\n')) {
        return false;
    }
    let first_line = &body[start.unwrap_or(0)..];
    let first_line = &first_line[..memchr::memchr(b'\n', first_line).unwrap_or(first_line.len())];
    [
        &b"\"EventID\""[..],
        b"\"EventId\"",
        b"\"EID\"",
        b"\"event_id\"",
        b"\"winlog\"",
    ]
    .iter()
    .any(|k| memmem::find(first_line, k).is_some())
}

/// Reads a file's head and classifies it.
pub fn classify_file(path: &Path) -> std::io::Result<SourceKind> {
    let mut f = super::open_read_only(path)?;
    let mut head = Vec::with_capacity(SNIFF_LEN);
    f.by_ref().take(SNIFF_LEN as u64).read_to_end(&mut head)?;
    Ok(classify_bytes(&head))
}

/// NUL bytes or a high share of control bytes mean "not a text log".
fn looks_binary(head: &[u8]) -> bool {
    if head.contains(&0) {
        return true;
    }
    let ctrl = head
        .iter()
        .filter(|&&b| b < 0x09 || (b > 0x0D && b < 0x20))
        .count();
    ctrl * 20 > head.len().max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_each_kind() {
        assert_eq!(
            classify_bytes(b"DateTime,RequestId,MajorVersion\r\n"),
            SourceKind::HttpProxy
        );
        assert_eq!(
            classify_bytes(
                b"#Software: Microsoft Exchange Server\r\n#Log-type: HttpProxy Logs\r\n"
            ),
            SourceKind::HttpProxy
        );
        assert_eq!(
            classify_bytes(
                b"#Log-type: ECP Server Log\r\n#Fields: TimeStamp,ServerName,EventId,EventData\r\n"
            ),
            SourceKind::EcpServer
        );
        assert_eq!(
            classify_bytes(b"#Log-type: ECP Activity Context Log\r\n"),
            SourceKind::EcpActivity
        );
        assert_eq!(
            classify_bytes(b"#Software: Microsoft Internet Information Services 10.0\r\n"),
            SourceKind::IisW3c
        );
        assert_eq!(classify_bytes(b"ElfFile\0rest"), SourceKind::Evtx);
        assert_eq!(
            classify_bytes(b"x Download failed and temporary file 'c:\\a' needs to be removed"),
            SourceKind::OabGenerator
        );
        assert_eq!(classify_bytes(b"hello world\n"), SourceKind::Text);
        assert_eq!(
            classify_bytes(b"{\"Channel\":\"Security\",\"EventID\":4688}\n"),
            SourceKind::EventJson
        );
        assert_eq!(
            classify_bytes(b"\xEF\xBB\xBF{\"@timestamp\":\"x\",\"winlog\":{\"event_id\":\"1\"}}"),
            SourceKind::EventJson
        );
        assert_eq!(
            classify_bytes(b"{\"name\":\"a config file\"}\n"),
            SourceKind::Text
        );
        assert_eq!(classify_bytes(b"\x00\x01\x02junk"), SourceKind::Binary);
        assert_eq!(classify_bytes(b"\xFF\xFE#\x00S\x00"), SourceKind::Utf16Text);
    }
}
