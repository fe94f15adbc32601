//! Loading one source into memory: plain files in pieces on several threads, gzip
//! decompressed, reading stopped at the first NUL.

use super::*;

/// Counts bytes read for progress events.
pub(super) struct ProgressCounter {
    pub(super) done: u64,
    pub(super) reported: u64,
    pub(super) total: Option<u64>,
}

impl ProgressCounter {
    /// Reports every 1 MiB, and at the end.
    pub(super) fn report(&mut self, on_event: &mut dyn FnMut(Event<'_>), force: bool) {
        if force || self.done - self.reported >= 1 << 20 {
            self.reported = self.done;
            on_event(Event::Progress {
                done: self.done,
                total: self.total,
            });
        }
    }
}

pub(super) struct Counting<'a, R> {
    pub(super) inner: R,
    pub(super) progress: &'a mut ProgressCounter,
    pub(super) on_event: &'a mut dyn FnMut(Event<'_>),
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.done += n as u64;
        self.progress.report(self.on_event, false);
        Ok(n)
    }
}

/// Plain files from this size up are read in pieces on [`CorpusReader::threads`]
/// (one piece on one thread).
pub(super) const PIECES_FROM: u64 = 8 << 20;

/// Bytes read at a time by a thread of [`read_pieces`], then looked over for NUL bytes
/// while in cache: a look over the whole buffer after reading it spent more in
/// `memchr`.
pub(super) const CHECK_PIECE: usize = 1 << 20;

/// A source's content as loaded.
pub(super) enum Content {
    /// Checked as UTF-8 by the threads that read it (the bytes are in the error if
    /// not), and whether it holds no NUL byte.
    Checked(Result<String, std::string::FromUtf8Error>, bool),
    /// Bytes not looked at yet.
    Bytes(Vec<u8>),
}

impl Content {
    pub(super) fn as_bytes(&self) -> &[u8] {
        match self {
            Content::Checked(Ok(text), _) => text.as_bytes(),
            Content::Checked(Err(e), _) => e.as_bytes(),
            Content::Bytes(bytes) => bytes,
        }
    }

    pub(super) fn into_bytes(self) -> Vec<u8> {
        match self {
            Content::Checked(Ok(text), _) => text.into_bytes(),
            Content::Checked(Err(e), _) => e.into_bytes(),
            Content::Bytes(bytes) => bytes,
        }
    }

    /// Whether the content is known to hold no NUL byte.
    pub(super) fn nul_free(&self) -> bool {
        matches!(self, Content::Checked(_, true))
    }
}

/// All of the plain (not compressed) file `file` of `size` bytes, read by positional
/// reads on `threads` threads, a megabyte at a time, into a zeroed buffer (whose pages
/// the kernel hands out zeroed on first touch, so zeroing costs nothing). Each thread
/// looks for NUL bytes and checks UTF-8 in what it read while it is in cache
/// (`arch::fill_utf8`). `None` when that does not
/// apply (a small or compressed file) or the file turned out not to be `size` bytes
/// long (changed meanwhile) or a read failed: then the caller reads it from the start
/// as a stream, which reports the error.
pub(super) fn load_pieces(file: &fs::File, size: u64, threads: usize) -> Option<Content> {
    if size < PIECES_FROM {
        return None;
    }
    read_pieces(file, size, threads, CHECK_PIECE)
}

/// [`load_pieces`] at any size, `piece` bytes at a time: `None` if the file is
/// compressed, not `size` bytes long, or a read failed.
#[cfg(unix)]
pub(super) fn read_pieces(
    file: &fs::File,
    size: u64,
    threads: usize,
    piece: usize,
) -> Option<Content> {
    use std::os::unix::fs::FileExt;
    use std::sync::atomic::{AtomicBool, Ordering};
    let len = usize::try_from(size).ok()?;
    let mut head = [0u8; 4];
    if file.read_exact_at(&mut head, 0).is_err() || compression_of(&head) != Ok(Compression::None) {
        return None;
    }
    // Looking right after the read finds the bytes in the cache: the same look over
    // the whole buffer afterwards ran on one thread while the other waited.
    let nul_free = AtomicBool::new(true);
    let checked = crate::arch::fill_utf8(len, piece, threads, |at, part| {
        let read = file.read_exact_at(part, at as u64).is_ok();
        if read && memchr::memchr(0, part).is_some() {
            nul_free.store(false, Ordering::Relaxed);
        }
        read
    })?;
    // Nothing past the end: the file did not grow meanwhile.
    let at_end = matches!(file.read_at(&mut [0u8; 1], size), Ok(0));
    at_end.then(|| Content::Checked(checked, nul_free.into_inner()))
}

/// Without positional reads (not Unix), files are read as streams.
#[cfg(not(unix))]
pub(super) fn read_pieces(_: &fs::File, _: u64, _: usize, _: usize) -> Option<Content> {
    None
}

/// Bytes of a plain input read between two progress reports.
pub(super) const READ_PIECE: u64 = 8 << 20;

/// Reads a whole input, decompressing gzip. Errors are messages for a [`Problem`].
/// `size`: the input's size if known (else 0), so that a plain file is read into a
/// buffer of the right size at once instead of one grown by doubling (about twice as
/// slow). NUL bytes are looked for with memchr.
pub(super) fn load<R: Read>(
    inner: R,
    size: u64,
    progress: &mut ProgressCounter,
    on_event: &mut dyn FnMut(Event<'_>),
) -> Result<(Vec<u8>, Compression), String> {
    let mut r = Counting {
        inner,
        progress,
        on_event,
    };
    let (head, compression) = sniff(&mut r)?;
    let mut out = Vec::new();
    match compression {
        Compression::Gzip => {
            let mut d = flate2::read::MultiGzDecoder::new(io::Cursor::new(head).chain(r));
            loop {
                let before = out.len();
                let n = (&mut d)
                    .take(READ_PIECE)
                    .read_to_end(&mut out)
                    .map_err(|e| {
                        format!(
                            "corrupt gzip stream after {} decompressed bytes ({e})",
                            out.len()
                        )
                    })?;
                // A binary file is skipped at its first NUL: no need to read on.
                if n < READ_PIECE as usize || memchr::memchr(0, &out[before..]).is_some() {
                    break;
                }
            }
        }
        Compression::None => {
            out.reserve_exact(usize::try_from(size).unwrap_or(0).max(head.len()) + 1);
            out.extend_from_slice(&head);
            // Through `Take` of the inner reader, a piece at a time, and not through
            // `Counting`: `read_to_end` zeroes the spare capacity before reading into it
            // for a reader that only implements `read` (as `Counting` does), but not
            // for a file. Zeroing the buffer would be a pass of its own over it; the
            // copy takes its page faults instead.
            if memchr::memchr(0, &head).is_some() {
                return Ok((out, compression));
            }
            loop {
                let before = out.len();
                let n = (&mut r.inner)
                    .take(READ_PIECE)
                    .read_to_end(&mut out)
                    .map_err(|e| format!("cannot read after {} bytes: {e}", out.len()))?;
                r.progress.done += n as u64;
                r.progress.report(r.on_event, false);
                // A binary file is skipped at its first NUL (so `/dev/zero` ends).
                if n < READ_PIECE as usize || memchr::memchr(0, &out[before..]).is_some() {
                    break;
                }
            }
        }
    }
    Ok((out, compression))
}

/// Reads the first (up to) 4 bytes of an input and tells its compression by them;
/// zstd is an error message. The bytes read are returned to be read again.
pub(super) fn sniff(r: &mut impl Read) -> Result<(Vec<u8>, Compression), String> {
    let mut head = [0u8; 4];
    let mut n = 0;
    while n < head.len() {
        match r.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(format!("cannot read: {e}")),
        }
    }
    let head = &head[..n];
    Ok((head.to_vec(), compression_of(head)?))
}

/// The compression that the first (up to) 4 bytes of an input tell; zstd is an error
/// message.
pub(super) fn compression_of(head: &[u8]) -> Result<Compression, String> {
    if head.starts_with(&[0x1f, 0x8b]) {
        Ok(Compression::Gzip)
    } else if head == [0x28, 0xb5, 0x2f, 0xfd] {
        Err(
            "zstd-compressed input is not supported; decompress it first \
             (zstd -dc FILE | dedup -)"
                .to_string(),
        )
    } else {
        Ok(Compression::None)
    }
}

/// The output name of standard input: `stdin`, with `.jsonl` when read as JSONL and
/// `.gz` when gzipped.
pub(super) fn stdin_relative(format: InputFormat, compression: Compression) -> PathBuf {
    PathBuf::from(format!(
        "stdin{}{}",
        if format == InputFormat::Jsonl {
            ".jsonl"
        } else {
            ""
        },
        if compression == Compression::Gzip {
            ".gz"
        } else {
            ""
        }
    ))
}
