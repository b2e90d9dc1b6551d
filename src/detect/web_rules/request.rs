//! The request view the rules test: [`crate::sources::request::Request`] with the user agent's
//! classes (from `rules/ioc/user_agents.tsv`) made once per line when a rule asks.

use super::super::Ctx;
use super::super::indicators::{INDICATORS, UaClasses};
use crate::sources::request::Request;
use std::cell::OnceCell;

/// A request as the rules see it.
pub struct Req<'r> {
    pub r: Request<'r>,
    ua: OnceCell<UaClasses>,
}

impl<'r> std::ops::Deref for Req<'r> {
    type Target = Request<'r>;
    fn deref(&self) -> &Request<'r> {
        &self.r
    }
}

impl<'r> Req<'r> {
    pub fn new(r: Request<'r>) -> Req<'r> {
        Req {
            r,
            ua: OnceCell::new(),
        }
    }

    pub(super) fn ua(&self) -> UaClasses {
        *self
            .ua
            .get_or_init(|| INDICATORS.ua_classes(self.r.ua_norm()))
    }

    pub(super) fn indicator_ip(&self, ctx: &Ctx) -> bool {
        INDICATORS.ip(&self.r.c_ip).is_some() || ctx.extra_ips.holds(self.r.c_ip.as_bytes())
    }
}
