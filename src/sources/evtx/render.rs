//! The work one EVTX file may cost: a bound on the JSON rendered per record, per chunk and per
//! file, so that a crafted template that repeats a substitution thousands of times cannot stall
//! the scan (issue 13 item 15).

/// A record's JSON past which it is not read: real records render to a few KiB (a 32 K
/// character PowerShell script block to some 100 KiB), but a tiny crafted one can instantiate a
/// template that repeats a substitution thousands of times and render to megabytes (issue 13
/// item 15). The `evtx` crate stops only at 16 MiB a record and 64 MiB a chunk.
pub(super) const MAX_RECORD_JSON: usize = 1 << 20;
/// JSON one chunk may render before the rest of its records are left unrendered: 32 times a
/// chunk's 64 KiB. Real records render to 1 to 5 times their binary size (the 31 public samples
/// here: at most 0.44 times their file's size, their chunks being part empty).
pub(super) const MAX_CHUNK_JSON: usize = 2 << 20;
/// JSON a whole file may render: this many times its size, plus [`FILE_RENDER_BASE`].
pub(super) const FILE_RENDER_RATIO: u64 = 16;
pub(super) const FILE_RENDER_BASE: u64 = 64 << 20;

/// What is left to render, for the chunk being read and the file (see [`MAX_RECORD_JSON`]).
#[derive(Debug, Default)]
pub(super) struct RenderBudget {
    /// The chunk being read (header address and record ID range), and what it has rendered.
    chunk: (usize, u64, u64),
    chunk_out: usize,
    /// The chunk rendered a record too large, or too much in all: its other records are not.
    chunk_spent: bool,
    pub(super) file_left: u64,
}

impl RenderBudget {
    /// The budget of a file of `bytes` bytes.
    pub(super) fn for_file(bytes: u64) -> RenderBudget {
        RenderBudget::with_file_left(
            FILE_RENDER_BASE.saturating_add(bytes.saturating_mul(FILE_RENDER_RATIO)),
        )
    }

    /// A budget with `file_left` bytes of JSON left for the file.
    pub(super) fn with_file_left(file_left: u64) -> RenderBudget {
        RenderBudget {
            file_left,
            ..Default::default()
        }
    }

    /// Whether a record of `chunk` may be rendered.
    pub(super) fn admit(&mut self, chunk: (usize, u64, u64)) -> bool {
        if chunk != self.chunk {
            (self.chunk, self.chunk_out, self.chunk_spent) = (chunk, 0, false);
        }
        !self.chunk_spent && self.file_left > 0
    }

    /// Charges a rendered record of `len` bytes; false when it is too large to read.
    #[cfg(test)]
    pub(super) fn charge(&mut self, len: usize) -> bool {
        self.charge_record(len, u32::MAX)
    }

    /// [`charge`](Self::charge) for a record whose binary XML is `binxml` bytes: one that
    /// renders to more than [`AMPLIFIED_MIN`] and [`AMPLIFIED_RATIO`] times its binary size is
    /// too large too (a template instantiated with a substitution repeated over and over).
    pub(super) fn charge_record(&mut self, len: usize, binxml: u32) -> bool {
        self.chunk_out = self.chunk_out.saturating_add(len);
        self.file_left = self.file_left.saturating_sub(len as u64);
        let ok = len <= MAX_RECORD_JSON && !amplified(len, binxml);
        if !ok || self.chunk_out > MAX_CHUNK_JSON {
            self.chunk_spent = true;
        }
        ok
    }
}

/// A record's JSON over this size is judged by its amplification ([`AMPLIFIED_RATIO`]).
pub(super) const AMPLIFIED_MIN: usize = 8 << 10;
/// How many times its binary XML a record may render to: real records render to 1 to 10 times
/// (a record referencing its chunk's template carries only its values); a crafted one hundreds.
pub(super) const AMPLIFIED_RATIO: u64 = 128;

fn amplified(len: usize, binxml: u32) -> bool {
    len > AMPLIFIED_MIN && len as u64 > AMPLIFIED_RATIO.saturating_mul(u64::from(binxml))
}

#[cfg(test)]
mod amplification {
    use super::*;

    #[test]
    fn only_a_large_record_far_above_its_binary_size_is_amplified() {
        assert!(!amplified(4 << 10, 10), "small records are never judged");
        assert!(
            !amplified(100 << 10, 64 << 10),
            "a long script block renders about 1.5x"
        );
        assert!(amplified(16 << 10, 40), "a 40-byte record rendering 16 KiB");
        assert!(!amplified(16 << 10, 200));
    }
}
