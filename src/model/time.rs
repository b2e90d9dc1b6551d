//! UTC timestamps as milliseconds since 1970, parsed from log text without allocation.

use serde::{Serialize, Serializer};
use std::fmt;

/// A UTC instant with millisecond precision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// Parses the timestamp a log line starts with: `2021-02-11T04:29:44.908Z` (HttpProxy, ECP),
    /// `2021-02-11 04:27:19` (IIS), with optional fraction and `Z`. Returns `None` for anything else.
    pub fn parse_leading(text: &[u8]) -> Option<Timestamp> {
        let b = text;
        if b.len() < 19 {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<i64> {
            let mut v = 0i64;
            for &c in &b[r] {
                if !c.is_ascii_digit() {
                    return None;
                }
                v = v * 10 + i64::from(c - b'0');
            }
            Some(v)
        };
        if b[4] != b'-'
            || b[7] != b'-'
            || !(b[10] == b'T' || b[10] == b' ')
            || b[13] != b':'
            || b[16] != b':'
        {
            return None;
        }
        let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let (h, mi, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
        if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
            return None;
        }
        let mut ms = 0i64;
        if b.len() > 20 && b[19] == b'.' {
            let mut scale = 100;
            for &c in b[20..].iter().take_while(|c| c.is_ascii_digit()) {
                ms += i64::from(c - b'0') * scale;
                scale /= 10;
            }
        }
        let days = days_from_civil(y, mo, d);
        Some(Timestamp(
            ((days * 24 + h) * 60 + mi) * 60_000 + s * 1000 + ms,
        ))
    }

    /// Parses an RFC 3339 instant or a plain date (`2021-01-01`, taken as midnight UTC).
    pub fn parse_arg(text: &str) -> Option<Timestamp> {
        let t = text.trim();
        if t.len() == 10 {
            return Self::parse_leading(format!("{t}T00:00:00Z").as_bytes());
        }
        if let Ok(ts) = t.parse::<jiff::Timestamp>() {
            return Some(Timestamp(ts.as_millisecond()));
        }
        Self::parse_leading(t.as_bytes())
    }

    pub fn from_jiff(ts: jiff::Timestamp) -> Timestamp {
        Timestamp(ts.as_millisecond())
    }

    pub fn millis(self) -> i64 {
        self.0
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match jiff::Timestamp::from_millisecond(self.0) {
            Ok(ts) => write!(f, "{}", ts.strftime("%Y-%m-%dT%H:%M:%S%.3fZ")),
            Err(_) => write!(f, "@{}ms", self.0),
        }
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The exposure window a scan judges coverage against.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Window {
    pub since: Timestamp,
    pub until: Option<Timestamp>,
}

impl Window {
    pub fn contains(&self, t: Timestamp) -> bool {
        t >= self.since && self.until.is_none_or(|u| t <= u)
    }
}

/// `--from`/`--to`: which findings the reports for people list (report.json and the verdict keep
/// every one). Unlike the exposure [`Window`], it never changes what is read or judged.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Shown {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<Timestamp>,
}

impl Shown {
    pub fn is_all(&self) -> bool {
        self.from.is_none() && self.to.is_none()
    }

    /// Whether a finding at `t` is listed; one without a time always is (it cannot be placed).
    pub fn lists(&self, t: Option<Timestamp>) -> bool {
        t.is_none_or(|t| self.from.is_none_or(|f| t >= f) && self.to.is_none_or(|u| t <= u))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_log_time_shapes() {
        let a = Timestamp::parse_leading(b"2021-02-11T04:29:44.908Z,abc").unwrap();
        assert_eq!(a.to_string(), "2021-02-11T04:29:44.908Z");
        let b = Timestamp::parse_leading(b"2021-02-11 04:27:19 10.0.0.1").unwrap();
        assert_eq!(b.to_string(), "2021-02-11T04:27:19.000Z");
        assert_eq!(
            Timestamp::parse_leading(b"1970-01-01T00:00:00Z").unwrap().0,
            0
        );
        assert!(Timestamp::parse_leading(b"#Fields: date time").is_none());
        assert!(Timestamp::parse_leading(b"2021-13-11T04:29:44Z").is_none());
        assert!(Timestamp::parse_leading(b"2021-02").is_none());
    }

    #[test]
    fn parses_arguments() {
        assert_eq!(
            Timestamp::parse_arg("2021-01-01").unwrap().to_string(),
            "2021-01-01T00:00:00.000Z"
        );
        assert_eq!(
            Timestamp::parse_arg("2021-03-02T10:00:00+01:00")
                .unwrap()
                .to_string(),
            "2021-03-02T09:00:00.000Z"
        );
        assert!(Timestamp::parse_arg("yesterday").is_none());
    }
}
