//! Attacker-controlled text is data: every writer passes untrusted text through here.

use std::borrow::Cow;

/// Neutralises a CSV cell that a spreadsheet would run as a formula (OWASP): a cell starting with
/// `=`, `+`, `-`, `@`, tab or carriage return gets a leading `'`.
pub fn csv_cell(s: &str) -> Cow<'_, str> {
    match s.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => Cow::Owned(format!("'{s}")),
        _ => Cow::Borrowed(s),
    }
}

/// Makes text safe for a terminal: control characters (C0, DEL, C1, which include every escape
/// sequence introducer) are shown as `\xNN` / `\u{NN}` instead of being sent to the terminal.
pub fn terminal(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_control) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_control(c) {
            if (c as u32) < 0x100 {
                out.push_str(&format!("\\x{:02x}", c as u32));
            } else {
                out.push_str(&format!("\\u{{{:x}}}", c as u32));
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A backslash in a Unix file name is a character of the name, escaped by [`name_bytes`].
const ESCAPE_BACKSLASH: bool = !cfg!(windows);

/// Shows a file name (its raw bytes) unambiguously, one way for every name: a byte that is not
/// valid UTF-8 as `\xNN`, an ASCII control character as `\xNN`, any other control, bidi or
/// direction mark character (U+200E, U+200F, U+202A-U+202E, U+2066-U+2069, C1) as `\u{NN}`,
/// and a backslash as `\\`; so two different names never render alike and none is run.
/// (On Windows a backslash separates folders and is never part of a name: it stays as it is.)
pub fn name_bytes(b: &[u8]) -> Cow<'_, str> {
    if let Ok(s) = std::str::from_utf8(b)
        && !s
            .chars()
            .any(|c| (c == '\\' && ESCAPE_BACKSLASH) || is_control(c))
    {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(b.len() + 8);
    for chunk in b.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c == '\\' && ESCAPE_BACKSLASH {
                out.push_str("\\\\");
            } else if is_control(c) {
                if (c as u32) < 0x80 {
                    out.push_str(&format!("\\x{:02x}", c as u32));
                } else {
                    out.push_str(&format!("\\u{{{:x}}}", c as u32));
                }
            } else {
                out.push(c);
            }
        }
        for byte in chunk.invalid() {
            out.push_str(&format!("\\x{byte:02x}"));
        }
    }
    Cow::Owned(out)
}

fn is_control(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Escapes text for HTML element content and attribute values.
pub fn html(s: &str) -> Cow<'_, str> {
    if !s.contains(['&', '<', '>', '"', '\'']) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_formulas_are_neutralised() {
        for bad in ["=cmd|' /C calc'!A0", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"] {
            assert!(csv_cell(bad).starts_with('\''), "{bad}");
        }
        assert_eq!(csv_cell("Mozilla/5.0"), "Mozilla/5.0");
        assert_eq!(csv_cell(""), "");
    }

    #[test]
    fn terminal_escapes_are_shown_not_run() {
        assert_eq!(terminal("a\x1b[31mred\x07"), "a\\x1b[31mred\\x07");
        assert_eq!(terminal("\u{9b}2J"), "\\x9b2J");
        assert_eq!(terminal("plain"), "plain");
        assert_eq!(terminal("a\u{202e}b"), "a\\u{202e}b");
    }

    #[test]
    fn names_are_shown_unambiguously() {
        assert_eq!(name_bytes(b"plain.aspx"), "plain.aspx");
        assert_eq!(name_bytes(b"\xff.aspx"), "\\xff.aspx");
        assert_eq!(name_bytes("a\u{202e}b".as_bytes()), "a\\u{202e}b");
        assert_eq!(name_bytes("\u{85}".as_bytes()), "\\u{85}");
        assert_eq!(name_bytes(b"\x1b"), "\\x1b");
        // a literal backslash (a name character on Unix) never reads as an escape
        if ESCAPE_BACKSLASH {
            assert_eq!(name_bytes(b"\\xff"), "\\\\xff");
        }
        assert_ne!(name_bytes(b"\\xff"), name_bytes(b"\xff"));
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            html("<script>alert('x')</script>&\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;"
        );
    }
}
