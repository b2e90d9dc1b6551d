//! Rolled-up attempts that carry an attacker's pivot become findings again: the pivot sweep asks
//! [`Restorer`] about every line it keeps, and the checks that read the line's kind run on it once
//! more (see [`crate::timeline::sweep::Restore`] and [`crate::model::rollup::restore`]).

use super::read::Prefilters;
use crate::detect::{At, Ctx, Record};
use crate::model::Finding;
use crate::model::rollup::{RollUp, RolledIndex, rollable};
use crate::sources::SourceFile;
use crate::timeline::sweep::Restore;

pub(super) struct Restorer<'a> {
    index: RolledIndex,
    pre: &'a Prefilters,
    ctx: &'a Ctx,
}

impl<'a> Restorer<'a> {
    pub(super) fn new(rolled: &[RollUp], pre: &'a Prefilters, ctx: &'a Ctx) -> Restorer<'a> {
        Restorer {
            index: RolledIndex::new(rolled),
            pre,
            ctx,
        }
    }

    /// `None` when nothing was rolled up: the sweep then has nothing to ask.
    pub(super) fn if_any(&self) -> Option<&dyn Restore> {
        (!self.index.is_empty()).then_some(self as &dyn Restore)
    }
}

impl Restore for Restorer<'_> {
    fn rolled(&self, path: &str, line: u64) -> bool {
        self.index.holds(path, line)
    }

    fn findings(&self, f: &SourceFile, rec: &Record<'_>, at: &At<'_>) -> Vec<Finding> {
        let mut out = Vec::new();
        for c in self.pre.checks_for(f.kind) {
            c.inspect(rec, at, self.ctx, &mut out);
        }
        out.retain(rollable);
        out
    }
}
