//! File names as exhunt shows them: one reversible escape, used wherever a path of the evidence
//! becomes text (findings, coverage, manifests) and undone wherever that text is opened again
//! (read-back of a line, collection). Two different names never show alike, and a shown name
//! holds no control or bidi character that a terminal or a viewer would act on.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

/// A backslash in a Unix file name is a character of the name, escaped by [`name_bytes`].
const ESCAPE_BACKSLASH: bool = !cfg!(windows);

/// Whether `c` is shown escaped: controls, and the direction marks and overrides that reorder
/// what a reader sees (U+200E, U+200F, U+202A-U+202E, U+2066-U+2069).
pub fn is_control(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Shows a file name (its raw bytes) unambiguously, one way for every name: a byte that is not
/// valid UTF-8 as `\xNN`, an ASCII control character as `\xNN`, any other control, bidi or
/// direction mark character as `\u{NN}`, and a backslash as `\\`; so two different names never
/// render alike and none is run. [`unescape`] gives the bytes back.
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

/// The bytes [`name_bytes`] showed as `s`. Text that is not one of its escapes stays as it is.
pub fn unescape(s: &str) -> Cow<'_, [u8]> {
    if !s.contains('\\') {
        return Cow::Borrowed(s.as_bytes());
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let hex = |x: &[u8]| {
        std::str::from_utf8(x)
            .ok()
            .and_then(|h| u32::from_str_radix(h, 16).ok())
    };
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' {
            match b.get(i + 1) {
                Some(b'\\') if ESCAPE_BACKSLASH => {
                    out.push(b'\\');
                    i += 2;
                    continue;
                }
                Some(b'x') if b.len() >= i + 4 => {
                    if let Some(v) = hex(&b[i + 2..i + 4]) {
                        out.push(v as u8);
                        i += 4;
                        continue;
                    }
                }
                Some(b'u') if b.get(i + 2) == Some(&b'{') => {
                    if let Some(end) = b[i + 3..].iter().position(|&c| c == b'}')
                        && let Some(c) = hex(&b[i + 3..i + 3 + end]).and_then(char::from_u32)
                    {
                        let mut t = [0u8; 4];
                        out.extend_from_slice(c.encode_utf8(&mut t).as_bytes());
                        i += 4 + end;
                        continue;
                    }
                }
                _ => {}
            }
        }
        out.push(b[i]);
        i += 1;
    }
    Cow::Owned(out)
}

/// The bytes of a name (exactly on Unix; UTF-8, lossily, elsewhere).
pub fn os_bytes(s: &std::ffi::OsStr) -> Cow<'_, [u8]> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        Cow::Borrowed(s.as_bytes())
    }
    #[cfg(not(unix))]
    {
        match s.to_string_lossy() {
            Cow::Borrowed(b) => Cow::Borrowed(b.as_bytes()),
            Cow::Owned(o) => Cow::Owned(o.into_bytes()),
        }
    }
}

/// `p` as text, escaped with [`name_bytes`] where needed; [`real_path`] undoes it.
pub fn shown_path(p: &Path) -> String {
    name_bytes(&os_bytes(p.as_os_str())).into_owned()
}

/// `path.shown()`: [`shown_path`], where the code would otherwise write `display().to_string()`.
pub trait Shown {
    fn shown(&self) -> String;
}

impl Shown for Path {
    fn shown(&self) -> String {
        shown_path(self)
    }
}

/// The path [`shown_path`] showed as `s`.
pub fn real_path(s: &str) -> PathBuf {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        PathBuf::from(std::ffi::OsStr::from_bytes(&unescape(s)))
    }
    #[cfg(not(unix))]
    {
        // A Windows path shown as it is (`C:\xampp\...` is no escape) wins over its reading as
        // escapes; only a path that does not exist as written is unescaped.
        let literal = PathBuf::from(s);
        if literal.symlink_metadata().is_ok() {
            return literal;
        }
        PathBuf::from(String::from_utf8_lossy(&unescape(s)).into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[cfg(unix)]
    #[test]
    fn every_name_comes_back_from_its_escape() {
        let fixed: [&[u8]; 8] = [
            b"",
            b"a",
            b"\\",
            b"\\x41",
            b"\\u{41}",
            b"s\xff\xfe.aspx",
            "x\u{202e}gpj.aspx".as_bytes(),
            b"\x00\x1b[31m\xc3",
        ];
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut random = Vec::new();
        for _ in 0..2000 {
            let len = (seed % 12) as usize;
            let mut v = Vec::with_capacity(len);
            for _ in 0..len {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                // bytes biased towards the interesting ones
                v.push(match seed % 5 {
                    0 => b'\\',
                    1 => b"xu{}"[(seed >> 8) as usize % 4],
                    _ => (seed >> 16) as u8,
                });
            }
            random.push(v);
        }
        for b in fixed.iter().map(|b| b.to_vec()).chain(random) {
            let shown = name_bytes(&b);
            assert!(!shown.chars().any(is_control), "{shown:?}");
            assert_eq!(unescape(&shown), &b[..], "{shown:?}");
            let p =
                PathBuf::from(<std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(&b));
            assert_eq!(real_path(&shown_path(&p)), p);
        }
    }
}
