//! One web request, from an IIS W3C or an HttpProxy record: the view the web rules test and the
//! pivot sweep summarises. Fields are borrowed from the record; the normalised user agent and the
//! decoded URL are made when first asked for (most lines are settled by method, status and path).

use super::httpproxy::{Col, Record as Hp};
use super::w3c::{self, F, W3cRecord};
use std::borrow::Cow;
use std::cell::OnceCell;

/// Compares user agents across sources (field guide §4.5): IIS writes spaces as `+`, HttpProxy
/// writes commas as spaces. `+` and `,` become spaces, runs of spaces collapse, ASCII letters
/// are lowercased (other characters are kept as logged, so that the sweep's literal search, which
/// ignores ASCII case only, finds what this gives).
pub fn normalize_ua(ua: &str) -> String {
    let mut out = String::with_capacity(ua.len());
    let mut space = false;
    for c in ua.trim().chars() {
        if c == '+' || c == ',' || c.is_whitespace() {
            space = true;
            continue;
        }
        if space && !out.is_empty() {
            out.push(' ');
        }
        space = false;
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// A request's fields, from either source.
pub struct Request<'r> {
    pub method: Cow<'r, str>,
    pub stem: Cow<'r, str>,
    /// Without Exchange's suffix (IIS) or the leading `?` (HttpProxy).
    pub query: Cow<'r, str>,
    pub status: Option<u16>,
    /// The status as logged.
    pub status_text: Cow<'r, str>,
    pub c_ip: Cow<'r, str>,
    pub user: Cow<'r, str>,
    /// On Exchange's back-end site (IIS `W3SVC2`, or port 444 or 81).
    pub backend: bool,
    /// The user agent as logged (IIS: `+` for spaces).
    pub ua_raw: Cow<'r, str>,
    ua_norm: OnceCell<String>,
    url: OnceCell<String>,
    named: Named<'r>,
}

enum Named<'r> {
    Iis(&'r W3cRecord<'r>),
    Hp(&'r Hp<'r>),
}

impl<'r> Request<'r> {
    pub fn from_iis(r: &'r W3cRecord<'r>) -> Request<'r> {
        let port = r.value(F::ServerPort);
        let status = r.value(F::Status);
        Request {
            method: Cow::Borrowed(r.value(F::Method)),
            stem: Cow::Borrowed(r.stem()),
            query: Cow::Borrowed(r.query()),
            status: status.parse().ok(),
            status_text: Cow::Borrowed(status),
            c_ip: Cow::Borrowed(r.value(F::ClientIp)),
            user: Cow::Borrowed(r.value(F::Username)),
            backend: r.site == "W3SVC2" || port == "444" || port == "81",
            ua_raw: Cow::Borrowed(r.value(F::UserAgent)),
            ua_norm: OnceCell::new(),
            url: OnceCell::new(),
            named: Named::Iis(r),
        }
    }

    pub fn from_httpproxy(r: &'r Hp<'r>) -> Request<'r> {
        let query = match r.get(Col::UrlQuery) {
            Cow::Borrowed(q) => Cow::Borrowed(q.strip_prefix('?').unwrap_or(q)),
            Cow::Owned(q) => Cow::Owned(q.strip_prefix('?').unwrap_or(&q).to_string()),
        };
        let status = r.get(Col::HttpStatus);
        Request {
            method: r.get(Col::Method),
            stem: r.get(Col::UrlStem),
            query,
            status: status.trim().parse().ok(),
            status_text: status,
            c_ip: r.get(Col::ClientIpAddress),
            user: r.get(Col::AuthenticatedUser),
            backend: false,
            ua_raw: r.get(Col::UserAgent),
            ua_norm: OnceCell::new(),
            url: OnceCell::new(),
            named: Named::Hp(r),
        }
    }

    /// The normalised user agent (see [`normalize_ua`]).
    pub fn ua_norm(&self) -> &str {
        self.ua_norm.get_or_init(|| normalize_ua(&self.ua_raw))
    }

    /// `stem?query` as logged (IIS without Exchange's query suffix).
    pub fn url_raw(&self) -> String {
        match &self.named {
            Named::Iis(r) => r.url(),
            Named::Hp(_) if self.query.is_empty() => self.stem.to_string(),
            Named::Hp(_) => format!("{}?{}", self.stem, self.query),
        }
    }

    /// `stem?query`, URL-decoded (repeatedly, at most three times).
    pub fn url(&self) -> &str {
        self.url.get_or_init(|| w3c::url_decode(&self.url_raw(), 3))
    }

    /// Any column by its log name (`cs(Cookie)`, `GenericInfo`).
    pub fn named(&self, name: &str) -> Option<Cow<'_, str>> {
        match &self.named {
            Named::Iis(r) => r.get_named(name).map(Cow::Borrowed),
            Named::Hp(r) => r.get_named(name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_agents_compare_across_sources() {
        assert_eq!(
            normalize_ua("Mozilla/5.0+(compatible;+YandexBot/3.0;++http://yandex.com/bots)"),
            normalize_ua(" Mozilla/5.0 (compatible; YandexBot/3.0;  http://yandex.com/bots)")
        );
        assert_eq!(
            normalize_ua("python-requests/2.25.1"),
            "python-requests/2.25.1"
        );
        assert_eq!(normalize_ua("ÄBC+X"), "Äbc x", "non-ASCII kept as logged");
        assert_eq!(normalize_ua("+,+"), "");
    }
}
