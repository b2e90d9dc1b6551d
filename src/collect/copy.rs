//! Streaming one evidence file: read once, hashed whole (SHA-256 and MD5), copied up to a
//! budget, with runs of zeros skipped so that a sparse file's copy stays sparse.

use super::manifest;
use md5::Md5;
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{self, Read, Seek, Write};

/// Bytes read from the evidence at a time.
pub(super) const BUF: usize = 1 << 20;
/// A run of zeros this long (aligned to the copy's blocks) is skipped, not written, in a folder
/// collection: the copy of a sparse file stays sparse.
const ZERO_BLOCK: usize = 64 << 10;

/// The result of streaming one file.
pub(super) struct Copied {
    /// Bytes read and hashed (the whole file).
    pub(super) size: u64,
    pub(super) sha256: String,
    pub(super) md5: String,
    /// Bytes written to the copy.
    pub(super) copied: u64,
    /// SHA-256 of the bytes written, when they are fewer than the file's (a cut copy).
    pub(super) copied_sha256: Option<String>,
}

/// Copies the first `limit` bytes of `src` into `dst`, hashing the whole of `src` on the way (one
/// read of the evidence; past the limit it is read and hashed, not copied).
pub(super) fn copy_hashing(
    src: &mut impl Read,
    dst: &mut impl Write,
    limit: u64,
) -> io::Result<Copied> {
    let mut buf = vec![0u8; BUF];
    let (mut sha, mut md5) = (Sha256::new(), Md5::new());
    let (mut size, mut copied) = (0u64, 0u64);
    let mut prefix = None;
    loop {
        let n = match src.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let chunk = &buf[..n];
        let w = usize::try_from(limit - copied).map_or(n, |room| room.min(n));
        if w > 0 {
            dst.write_all(&chunk[..w])?;
        }
        if w < n && prefix.is_none() {
            // The copy ends here: the hash of what it holds is the running hash up to this point.
            let mut s = sha.clone();
            s.update(&chunk[..w]);
            prefix = Some(manifest::hex(&s.finalize()));
        }
        sha.update(chunk);
        md5.update(chunk);
        copied += w as u64;
        size += n as u64;
    }
    dst.flush()?;
    Ok(Copied {
        size,
        sha256: manifest::hex(&sha.finalize()),
        md5: manifest::hex(&md5.finalize()),
        copied,
        copied_sha256: prefix,
    })
}

/// Hashes a whole stream (used by `verify`).
pub(crate) fn hash_stream(src: &mut impl Read) -> io::Result<(u64, String, String)> {
    let c = copy_hashing(src, &mut io::sink(), u64::MAX)?;
    Ok((c.size, c.sha256, c.md5))
}

/// Writes a copy, seeking over all-zero blocks instead of writing them (a sparse file's holes
/// stay holes where the file system allows); [`SparseFile::finish`] sets the final length.
pub(super) struct SparseFile<'a> {
    pub(super) f: &'a mut File,
    pub(super) len: u64,
}

impl Write for SparseFile<'_> {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        for block in b.chunks(ZERO_BLOCK) {
            if block.len() == ZERO_BLOCK && block.iter().all(|&x| x == 0) {
                self.f.seek(io::SeekFrom::Current(ZERO_BLOCK as i64))?;
            } else {
                self.f.write_all(block)?;
            }
            self.len += block.len() as u64;
        }
        Ok(b.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.f.flush()
    }
}

impl SparseFile<'_> {
    pub(super) fn finish(self) -> io::Result<()> {
        self.f.set_len(self.len)
    }
}
