//! The work one EVTX file may cost: a bound on the JSON rendered per record, per chunk and per
//! file, so that a crafted template that repeats a substitution thousands of times cannot stall
//! the scan (issue 13 item 15).

/// A record's JSON past which it is not read: real records render to a few KiB (a 32 K
/// character PowerShell script block to some 100 KiB), but a tiny crafted one can instantiate a
/// template that repeats a substitution thousands of times and render to megabytes (issue 13
/// item 15). The `evtx` crate stops only at 16 MiB a record and 64 MiB a chunk.
pub(super) const MAX_RECORD_JSON: usize = 1 << 20;
/// JSON one chunk may render before the rest of its records are left unrendered: real chunks
/// (64 KiB of records) render to well under 1 MiB.
pub(super) const MAX_CHUNK_JSON: usize = 8 << 20;
/// JSON a whole file may render: this many times its size, plus [`FILE_RENDER_BASE`].
pub(super) const FILE_RENDER_RATIO: u64 = 64;
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
    pub(super) fn charge(&mut self, len: usize) -> bool {
        self.chunk_out = self.chunk_out.saturating_add(len);
        self.file_left = self.file_left.saturating_sub(len as u64);
        if len > MAX_RECORD_JSON || self.chunk_out > MAX_CHUNK_JSON {
            self.chunk_spent = true;
        }
        len <= MAX_RECORD_JSON
    }
}
