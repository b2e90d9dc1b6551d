//! The request view the rules test, from either source.

use super::super::Ctx;
use super::super::indicators::{INDICATORS, normalize_ua};
use crate::sources::httpproxy::{Col, Record as Hp};
use crate::sources::w3c::{self, F, W3cRecord};
use std::borrow::Cow;
use std::cell::OnceCell;

// ---------------------------------------------------------------------------------------------
// A request, from either source

/// The request fields rules test, from an IIS or an HttpProxy record.
pub struct Req<'r> {
    pub method: Cow<'r, str>,
    pub stem: Cow<'r, str>,
    /// Without Exchange's suffix (IIS) or the leading `?` (HttpProxy).
    pub query: Cow<'r, str>,
    pub status: Option<u16>,
    pub c_ip: Cow<'r, str>,
    pub user: Cow<'r, str>,
    pub backend: bool,
    /// The raw user agent; normalised and classified only when a rule asks (most lines are
    /// settled by method, status and path first).
    ua_raw: Cow<'r, str>,
    ua_norm: OnceCell<String>,
    ua: OnceCell<super::super::indicators::UaClasses>,
    /// `stem?query`, URL-decoded, computed when first asked for.
    url: OnceCell<String>,
    named: Named<'r>,
}

enum Named<'r> {
    Iis(&'r W3cRecord<'r>),
    Hp(&'r Hp<'r>),
}

impl<'r> Req<'r> {
    pub fn from_iis(r: &'r W3cRecord<'r>) -> Req<'r> {
        let port = r.value(F::ServerPort);
        Req {
            method: Cow::Borrowed(r.value(F::Method)),
            stem: Cow::Borrowed(r.stem()),
            query: Cow::Borrowed(r.query()),
            status: r.value(F::Status).parse().ok(),
            c_ip: Cow::Borrowed(r.value(F::ClientIp)),
            user: Cow::Borrowed(r.value(F::Username)),
            backend: r.site == "W3SVC2" || port == "444" || port == "81",
            // As logged (`+` for spaces): only ever read through `normalize_ua`.
            ua_raw: Cow::Borrowed(r.value(F::UserAgent)),
            ua_norm: OnceCell::new(),
            ua: OnceCell::new(),
            url: OnceCell::new(),
            named: Named::Iis(r),
        }
    }

    pub fn from_httpproxy(r: &'r Hp<'r>) -> Req<'r> {
        let query = match r.get(Col::UrlQuery) {
            Cow::Borrowed(q) => Cow::Borrowed(q.strip_prefix('?').unwrap_or(q)),
            Cow::Owned(q) => Cow::Owned(q.strip_prefix('?').unwrap_or(&q).to_string()),
        };
        Req {
            method: r.get(Col::Method),
            stem: r.get(Col::UrlStem),
            query,
            status: r.get(Col::HttpStatus).trim().parse().ok(),
            c_ip: r.get(Col::ClientIpAddress),
            user: r.get(Col::AuthenticatedUser),
            backend: false,
            ua_raw: r.get(Col::UserAgent),
            ua_norm: OnceCell::new(),
            ua: OnceCell::new(),
            url: OnceCell::new(),
            named: Named::Hp(r),
        }
    }

    /// The normalised user agent (see [`normalize_ua`]).
    pub fn ua_norm(&self) -> &str {
        self.ua_norm.get_or_init(|| normalize_ua(&self.ua_raw))
    }

    pub(super) fn ua(&self) -> super::super::indicators::UaClasses {
        *self
            .ua
            .get_or_init(|| INDICATORS.ua_classes(self.ua_norm()))
    }

    /// `stem?query`, URL-decoded (repeatedly, at most three times).
    pub fn url(&self) -> &str {
        self.url.get_or_init(|| match &self.named {
            Named::Iis(r) => w3c::url_decode(&r.url(), 3),
            Named::Hp(_) if self.query.is_empty() => w3c::url_decode(&self.stem, 3),
            Named::Hp(_) => w3c::url_decode(&format!("{}?{}", self.stem, self.query), 3),
        })
    }

    pub(super) fn named(&self, name: &str) -> Option<Cow<'_, str>> {
        match &self.named {
            Named::Iis(r) => r.get_named(name).map(Cow::Borrowed),
            Named::Hp(r) => r.get_named(name),
        }
    }

    pub(super) fn indicator_ip(&self, ctx: &Ctx) -> bool {
        INDICATORS.ip(&self.c_ip).is_some() || ctx.extra_ips.holds(self.c_ip.as_bytes())
    }
}
