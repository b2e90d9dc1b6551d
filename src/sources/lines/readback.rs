//! Single lines read back from evidence files by offset.

use super::crlf::{CR_LOOKAHEAD, cr_only};
use super::read_full;

/// Reads single lines back from evidence files by byte offset, for reports that list evidence
/// kept only as a locator (see [`crate::model::rollup`]). Keeps a few files open; opens them
/// read-only like every other read.
#[derive(Default)]
pub struct LineReader {
    /// Open files, each with whether its lines end in a bare `\r` ([`CrLineEnds`]).
    open: std::collections::HashMap<String, (std::fs::File, bool)>,
    buf: Vec<u8>,
}

/// Files a [`LineReader`] keeps open at once.
const READER_FILES: usize = 32;

impl LineReader {
    /// The line starting at `offset` in `path`, without its line end, cut at `max` bytes (with a
    /// note of the cut), as lossy UTF-8. If the file changed since the scan the text may not be
    /// the line that was matched: the locator (path, line, offset) stays the evidence.
    pub fn read(&mut self, path: &str, offset: u64, max: usize) -> Result<String, String> {
        use std::io::{Seek, SeekFrom};
        if !self.open.contains_key(path) {
            if self.open.len() >= READER_FILES {
                self.open.clear();
            }
            let mut f = crate::sources::open_read_only(&crate::model::names::real_path(path))
                .map_err(|e| crate::sources::io_problem("cannot open to read the line back", &e))?;
            let mut head = vec![0u8; CR_LOOKAHEAD];
            let n = read_full(&mut f, &mut head)
                .map_err(|e| crate::sources::io_problem("cannot read the line back", &e))?;
            self.open.insert(path.to_string(), (f, cr_only(&head[..n])));
        }
        let (f, cr) = self.open.get_mut(path).expect("inserted above");
        let end = if *cr { b'\r' } else { b'\n' };
        f.seek(SeekFrom::Start(offset))
            .map_err(|e| crate::sources::io_problem("cannot seek to the line", &e))?;
        // Read in small steps until the line end: lines are short, `max` is large. Up to two
        // bytes past `max` are read so that a line of exactly `max` bytes and its `\r\n` fit.
        let limit = max.saturating_add(2);
        let buf = &mut self.buf;
        buf.clear();
        let mut ended = false;
        while buf.len() < limit {
            let have = buf.len();
            let want = (limit - have).min(8192);
            buf.resize(have + want, 0);
            let n = read_full(f, &mut buf[have..])
                .map_err(|e| crate::sources::io_problem("cannot read the line back", &e))?;
            buf.truncate(have + n);
            if let Some(i) = memchr::memchr(end, &buf[have..]) {
                buf.truncate(have + i);
                ended = true;
                break;
            }
            if n < want {
                ended = true; // end of file
                break;
            }
        }
        if ended && buf.last() == Some(&b'\r') {
            buf.pop();
        }
        let cut = !ended || buf.len() > max;
        buf.truncate(max);
        let text = String::from_utf8_lossy(buf).into_owned();
        Ok(if cut {
            format!("{text}…[cut at {max} bytes]")
        } else {
            text
        })
    }
}
