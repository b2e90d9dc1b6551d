//! Logs whose lines end in a bare `\r`.

use super::read_full;
use std::io::{self, Read};

/// A reader for logs whose lines end in a bare `\r` (a classic-Mac style or badly converted
/// copy): when the first 64 KiB hold a `\r` and no `\n`, every `\r` is handed on as `\n`. One
/// byte for one, so offsets and line numbers stay those of the file.
pub struct CrLineEnds<R> {
    inner: R,
    /// The first bytes, read ahead to decide, and how far they have been handed on.
    head: Option<(Vec<u8>, usize)>,
    cr_only: bool,
}

/// How much is read ahead to tell CR-only line ends from the others.
pub(super) const CR_LOOKAHEAD: usize = 64 * 1024;

/// The rule, for the scan and the read-back alike: the file's first [`CR_LOOKAHEAD`] bytes
/// (`head`) hold a `\r` and no `\n`.
pub(super) fn cr_only(head: &[u8]) -> bool {
    memchr::memchr(b'\r', head).is_some() && memchr::memchr(b'\n', head).is_none()
}

impl<R: Read> CrLineEnds<R> {
    pub fn new(inner: R) -> Self {
        CrLineEnds {
            inner,
            head: None,
            cr_only: false,
        }
    }
}

impl<R: Read> Read for CrLineEnds<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.head.is_none() {
            let mut head = vec![0u8; CR_LOOKAHEAD];
            let n = read_full(&mut self.inner, &mut head)?;
            head.truncate(n);
            self.cr_only = cr_only(&head);
            self.head = Some((head, 0));
        }
        let n = match &mut self.head {
            Some((head, at)) if *at < head.len() => {
                let n = (head.len() - *at).min(out.len());
                out[..n].copy_from_slice(&head[*at..*at + n]);
                *at += n;
                n
            }
            _ => self.inner.read(out)?,
        };
        if self.cr_only {
            for b in &mut out[..n] {
                if *b == b'\r' {
                    *b = b'\n';
                }
            }
        }
        Ok(n)
    }
}
