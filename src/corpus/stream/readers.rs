//! The readers of the passes: hashing what the scan reads, checking what a later
//! pass reads against it, copying a read-once input, reading that copy.

use super::*;

pub(super) fn changed_io(name: &str) -> io::Error {
    io::Error::other(InputChanged(format!(
        "{name} changed while it was being read"
    )))
}

/// A reader that hashes what passes through it.
pub(super) struct Hashing<R> {
    pub(super) inner: R,
    pub(super) hasher: xxhash_rust::xxh3::Xxh3,
    pub(super) len: u64,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.len += n as u64;
        Ok(n)
    }
}

/// A file read again: fails at its end unless its bytes were the scan's (length and
/// hash), and as soon as it runs past the scan's length.
pub(super) struct Verified<'a> {
    pub(super) inner: Hashing<fs::File>,
    pub(super) len: u64,
    pub(super) hash: u64,
    pub(super) name: &'a str,
}

impl Read for Verified<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let at_end = n == 0 && !buf.is_empty();
        if self.inner.len > self.len
            || (at_end && (self.inner.len != self.len || self.inner.hasher.digest() != self.hash))
        {
            return Err(changed_io(self.name));
        }
        Ok(n)
    }
}

/// A reader that copies what passes through it to `copy`.
pub(super) struct Tee<'a, R> {
    pub(super) inner: R,
    pub(super) copy: &'a mut fs::File,
}

impl<R: Read> Read for Tee<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.copy.write_all(&buf[..n])?;
        Ok(n)
    }
}

/// Reads an unnamed copy from its start by positional reads, so that its file
/// offset is no shared state.
pub(super) struct Spooled<'a> {
    pub(super) file: &'a fs::File,
    pub(super) pos: u64,
}

impl Read for Spooled<'_> {
    #[cfg(unix)]
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        use std::os::unix::fs::FileExt;
        let n = self.file.read_at(buf, self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }

    #[cfg(not(unix))]
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        use std::io::{Seek, SeekFrom};
        let mut f = self.file;
        f.seek(SeekFrom::Start(self.pos))?;
        let n = f.read(buf)?;
        self.pos += n as u64;
        Ok(n)
    }
}

/// Reads from `reader` until `buf` holds `want` bytes or the input ends (true).
pub(super) fn fill(reader: &mut impl Read, buf: &mut Vec<u8>, want: usize) -> io::Result<bool> {
    let need = want.saturating_sub(buf.len()) as u64;
    let got = reader.by_ref().take(need).read_to_end(buf)? as u64;
    Ok(got < need)
}

/// A reader whose errors name the file.
pub(super) struct Named<'a, R> {
    pub(super) inner: R,
    pub(super) name: &'a str,
}

impl<R: Read> Read for Named<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).map_err(|e| {
            if is_changed(&e) {
                e
            } else {
                io::Error::new(e.kind(), format!("{}: {e}", self.name))
            }
        })
    }
}
