//! ProxyShell's `X-Rps-CAT` query parameter: a base64 Exchange *CommonAccessToken* that names
//! the account the attacker impersonated against the back-end PowerShell endpoint.
//!
//! The token is a small TLV: `V` version (2 bytes), `T` token type, `C` compressed flag (1 byte),
//! `A` authentication type, `L` logon name, `U` user SID (each a 1-byte length and text),
//! `G` groups (u32 LE count, then per group a u32 LE attribute and a length-prefixed SID), `E`
//! extensions. Parsing is lenient: it stops at the first thing it does not understand and keeps
//! what it read; it never panics.

/// What could be read from a token.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CommonAccessToken {
    pub version: Option<(u8, u8)>,
    pub token_type: Option<String>,
    pub compressed: Option<bool>,
    pub auth_type: Option<String>,
    pub logon_name: Option<String>,
    pub user_sid: Option<String>,
    pub groups: Vec<String>,
    /// False when parsing stopped early (cut, compressed or unknown content).
    pub complete: bool,
}

/// The raw value of `X-Rps-CAT=` in a (decoded) URL, up to the next `&`, `;` or space.
pub fn find_in(url: &str) -> Option<&str> {
    let lower = url.to_ascii_lowercase();
    let at = lower.find("x-rps-cat=")? + "x-rps-cat=".len();
    let rest = &url[at..];
    let end = rest.find(['&', ';', ' ', '#']).unwrap_or(rest.len());
    Some(&rest[..end]).filter(|v| !v.is_empty())
}

/// Decodes standard or URL-safe base64, with or without padding; `None` on other characters.
pub fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' => break,
            b' ' => 62, // a `+` that a form decoder turned into a space
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// Decodes a token from its base64 text. `None` when it is not base64 or does not start like a
/// CommonAccessToken.
pub fn decode(b64: &str) -> Option<CommonAccessToken> {
    let bytes = base64_decode(b64.trim())?;
    parse(&bytes)
}

struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn u8(&mut self) -> Option<u8> {
        let v = *self.b.get(self.i)?;
        self.i += 1;
        Some(v)
    }
    fn u32le(&mut self) -> Option<u32> {
        let s = self.b.get(self.i..self.i + 4)?;
        self.i += 4;
        Some(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    }
    /// A length-prefixed text. When the declared length runs past the value (a hand-made token
    /// with a wrong length byte), the text stops at the first byte `valid` rejects and the
    /// cursor resynchronises there; `repaired` records it.
    fn text(&mut self, valid: fn(u8) -> bool, repaired: &mut bool) -> Option<String> {
        let n = usize::from(self.u8()?);
        let avail = &self.b[self.i.min(self.b.len())..];
        let s = &avail[..n.min(avail.len())];
        let good = s.iter().position(|&b| !valid(b)).unwrap_or(s.len());
        if good == s.len() && s.len() < n {
            return None; // cut: a partial value would mislead
        }
        if good < n {
            if good == 0 {
                return None;
            }
            *repaired = true;
        }
        self.i += good;
        Some(String::from_utf8_lossy(&s[..good]).into_owned())
    }
}

fn name_byte(b: u8) -> bool {
    b >= 0x20 && b != 0x7f
}

fn sid_byte(b: u8) -> bool {
    b.is_ascii_digit() || b == b'-' || b == b'S' || b == b's'
}

fn field(tag: u8, c: &mut Cursor<'_>, t: &mut CommonAccessToken, rep: &mut bool) -> Option<()> {
    match tag {
        b'V' => t.version = Some((c.u8()?, c.u8()?)),
        b'T' => t.token_type = Some(c.text(name_byte, rep)?),
        b'C' => t.compressed = Some(c.u8()? != 0),
        b'A' => t.auth_type = Some(c.text(name_byte, rep)?),
        b'L' => t.logon_name = Some(c.text(name_byte, rep)?),
        b'U' => t.user_sid = Some(c.text(sid_byte, rep)?),
        b'G' => {
            let n = c.u32le()?;
            for _ in 0..n.min(1024) {
                let _attributes = c.u32le()?;
                t.groups.push(c.text(sid_byte, rep)?);
            }
        }
        _ => return None,
    }
    Some(())
}

/// Parses the binary token.
pub fn parse(bytes: &[u8]) -> Option<CommonAccessToken> {
    if bytes.first() != Some(&b'V') {
        return None;
    }
    let mut t = CommonAccessToken::default();
    let mut c = Cursor { b: bytes, i: 0 };
    let mut repaired = false;
    loop {
        let Some(tag) = c.u8() else {
            t.complete = true;
            break;
        };
        if tag == b'E' {
            t.complete = true;
            break;
        }
        let ok = field(tag, &mut c, &mut t, &mut repaired);
        if ok.is_none() || t.compressed == Some(true) {
            break; // cut, unknown, or compressed: keep what was read
        }
    }
    t.complete &= !repaired;
    Some(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The field guide's sample (§4.3).
    const SAMPLE: &str = "VgEAVAdXaW5kb3dzQwBBBUJhc2ljTBZzdmMtc2NhbkBjb250b3NvLmxvY2FsVS9TLTEtNS0yMS0zNjIzODExMDE1LTMzNjEwNDQzNDgtMzAzMDA4MjAtNTAwRwIAAAAHAAAADFMtMS01LTMyLTU0NA==";

    #[test]
    fn decodes_the_guide_sample() {
        let t = decode(SAMPLE).unwrap();
        assert_eq!(t.version, Some((1, 0)));
        assert_eq!(t.token_type.as_deref(), Some("Windows"));
        assert_eq!(t.compressed, Some(false));
        assert_eq!(t.auth_type.as_deref(), Some("Basic"));
        assert_eq!(t.logon_name.as_deref(), Some("svc-scan@contoso.local"));
        assert_eq!(
            t.user_sid.as_deref(),
            Some("S-1-5-21-3623811015-3361044348-30300820-500")
        );
        // the sample's SID length byte (47) overruns its 43-character SID, and it announces
        // two groups but holds one: both repaired, marked incomplete
        assert_eq!(t.groups, vec!["S-1-5-32-544".to_string()]);
        assert!(!t.complete);
    }

    #[test]
    fn finds_the_parameter_in_a_url() {
        let url = format!(
            "/autodiscover/autodiscover.json?@x/powershell/?X-Rps-CAT={SAMPLE}&Email=autodiscover/autodiscover.json?@x"
        );
        assert_eq!(find_in(&url), Some(SAMPLE));
        assert_eq!(find_in("/powershell?x-rps-cat=&a=b"), None);
        assert_eq!(find_in("/powershell"), None);
    }

    #[test]
    fn lenient_on_junk() {
        assert_eq!(decode("not base64!"), None);
        assert_eq!(decode(""), None);
        assert_eq!(decode("QUJD"), None, "does not start with V");
        // cut in the middle of the logon name
        let t = decode(&SAMPLE[..40]).unwrap();
        assert_eq!(t.token_type.as_deref(), Some("Windows"));
        assert_eq!(t.logon_name, None);
        assert!(!t.complete);
        // every prefix and a few corruptions parse without panicking
        let raw = base64_decode(SAMPLE).unwrap();
        for n in 0..raw.len() {
            let _ = parse(&raw[..n]);
            let mut m = raw.clone();
            m[n] = 0xff;
            let _ = parse(&m);
        }
        // a huge group count does not loop or allocate wildly
        let mut g = b"V\x01\x00G".to_vec();
        g.extend_from_slice(&u32::MAX.to_le_bytes());
        assert!(parse(&g).unwrap().groups.is_empty());
    }
}
