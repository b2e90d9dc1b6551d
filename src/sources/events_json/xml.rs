//! The `<EventData>` XML that Sentinel / Log Analytics keeps as text: `<Data Name="x">v</Data>`
//! items to named data, unnamed `<Data>v</Data>` to positional data. Not a general XML parser:
//! it reads exactly that layout and ignores anything else.

/// Appends the items of an `<EventData>` text.
pub fn event_data(xml: &str, data: &mut Vec<String>, named: &mut Vec<(String, String)>) {
    let mut rest = xml;
    while let Some(i) = rest.find("<Data") {
        rest = &rest[i + 5..];
        let Some(end_tag) = rest.find('>') else {
            return;
        };
        let attrs = &rest[..end_tag];
        if !(attrs.is_empty() || attrs.starts_with([' ', '/', '\t'])) {
            continue; // `<DataItem>` or similar
        }
        let name = attrs.find("Name=").and_then(|j| {
            let v = &attrs[j + 5..];
            let q = v.chars().next().filter(|c| *c == '"' || *c == '\'')?;
            v[1..].find(q).map(|k| unescape(&v[1..1 + k]))
        });
        let (value, next) = if attrs.ends_with('/') {
            (String::new(), end_tag + 1)
        } else {
            let body = &rest[end_tag + 1..];
            match body.find("</Data>") {
                Some(k) => (unescape(&body[..k]), end_tag + 1 + k + 7),
                None => (unescape(body), rest.len()),
            }
        };
        match name {
            Some(n) => named.push((n, value)),
            None => data.push(value),
        }
        rest = &rest[next.min(rest.len())..];
    }
}

fn unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let Some(semi) = rest.find(';').filter(|&k| k <= 10) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let ent = &rest[1..semi];
        let ch = match ent {
            "lt" => Some('<'),
            "gt" => Some('>'),
            "amp" => Some('&'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => ent
                .strip_prefix("#x")
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| ent.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match ch {
            Some(c) => {
                out.push(c);
                rest = &rest[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_unnamed_and_empty_items() {
        let (mut d, mut n) = (Vec::new(), Vec::new());
        event_data(
            r#"<EventData xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><Data Name="CommandLine">cmd /c "a&amp;b" &lt;x&gt;</Data><Data Name="Empty"/><Data>pos1</Data><DataItem>no</DataItem><Data>cut"#,
            &mut d,
            &mut n,
        );
        assert_eq!(n[0], ("CommandLine".into(), "cmd /c \"a&b\" <x>".into()));
        assert_eq!(n[1], ("Empty".into(), String::new()));
        assert_eq!(d, ["pos1", "cut"]);
    }
}
