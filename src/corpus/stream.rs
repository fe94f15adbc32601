//! Reading a corpus without holding it, for
//! [`Deduper::run_stream`](crate::Deduper::run_stream).
//!
//! [`CorpusReader::scan`] reads every input once, as [`CorpusReader::read`] would,
//! and keeps only what it learns: the [`Source`]s, the [`Problem`]s (reported in the
//! same order, with the same words) and the [`ReadStats`]. A file is skipped as binary
//! only once all of it has been seen, so scanning before feeding is what lets a
//! streamed run skip exactly the files an in-memory read skips. The
//! [`StreamCorpus`] it returns then reads the sources again, as often as needed:
//!
//! - [`StreamCorpus::feed`] pushes the documents into a [`Feed`], in the order and
//!   with the ids of [`Corpus::documents`]: a text source through
//!   [`Feed::push_reader`] (never held whole), a JSONL record through [`Feed::push`];
//! - [`StreamCorpus::gather`] collects what reports need about a few paragraphs
//!   (names, byte spans in the original bytes, texts) into a [`MemberTexts`], reading
//!   only the sources that hold them.
//!
//! Standard input, and any input that is not a regular file (a FIFO, `<(cmd)`,
//! `/dev/stdin` on a pipe), cannot be read twice: while scanning, it is copied to an
//! unnamed file in [`CorpusReader::spool_dir`] (created with `O_TMPFILE` where the
//! system has it: no name to attack, nothing left behind however the process ends),
//! and that copy is read instead.
//!
//! A file must not change between the passes: each pass checks its device, inode,
//! size and modification time when it opens it, and the xxh3 hash of all its bytes
//! when it reaches the end, against what the scan saw. A difference is an
//! [`ErrorKind::ReplayMismatch`], and every output of the run is abandoned.
//!
//! Every pass reads text sources line by line (a line is held whole) and decodes
//! invalid UTF-8 line by line, which gives the same text and offsets as decoding the
//! whole file: a line break is never part of an invalid sequence.

use super::offsets::{OffsetMap, decode_lossy};
use super::{
    Compression, Corpus, CorpusReader, Event, Input, InputFormat, JsonlLines, Original, Planned,
    Problem, ProblemKind, ProgressCounter, ReadError, ReadStats, Record, Source, invalid_utf8_at,
    is_jsonl_name, plan,
};
use crate::error::{ErrorKind, Result};
pub(crate) use crate::fsio::is_changed;
use crate::fsio::{InputChanged, Stamp};
use crate::paragraph::Paragraph;
use crate::pipeline::stream::Feed;
use std::borrow::Cow;
use std::collections::HashMap;
use std::fs;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};

mod members;
mod readers;

pub use members::MemberTexts;
use readers::*;

/// Bytes read at once while scanning.
const BLOCK: usize = 1 << 20;

/// A corpus scanned but not held (see the [module docs](self)).
#[derive(Debug)]
pub struct StreamCorpus {
    reader: CorpusReader,
    /// Sources (documents numbered as [`CorpusReader::read`] numbers them; no original
    /// bytes), problems and counts.
    meta: Corpus,
    /// Where to read each source again.
    locations: Vec<Location>,
    documents: usize,
}

#[derive(Debug)]
enum Location {
    /// A regular file, as the scan saw it: its stamp and the xxh3 hash of its bytes.
    File {
        path: PathBuf,
        stamp: Stamp,
        hash: u64,
    },
    /// A copy of an input that can be read once (standard input, a FIFO), unnamed.
    Spooled(fs::File),
    Bytes(Vec<u8>),
}

/// A pass's error as an [`io::Error`], keeping [`ErrorKind::ReplayMismatch`] apart.
pub(crate) fn to_io(e: crate::Error) -> io::Error {
    match e.kind() {
        ErrorKind::Io(m) => io::Error::other(m.clone()),
        ErrorKind::ReplayMismatch(m) => io::Error::other(InputChanged(m.clone())),
        _ => io::Error::other(e.to_string()),
    }
}

/// One line of a text source, as [`StreamCorpus`] walks it.
pub(crate) struct LineView<'a> {
    /// The line's bytes, terminator included.
    pub(crate) raw: &'a [u8],
    /// The line decoded (lossily), terminator included.
    pub(crate) text: &'a str,
    /// Offset of the line in the source's original bytes.
    pub(crate) start: usize,
    /// Offset of the line in the document's (decoded) text.
    pub(crate) dec: usize,
    map: Option<&'a OffsetMap>,
}

impl LineView<'_> {
    /// The original offset of document offset `pos`, which is in this line.
    pub(crate) fn original_offset(&self, pos: usize) -> usize {
        let local = pos - self.dec;
        self.start + self.map.map_or(local, |m| m.map(local))
    }

    /// End of the decoded line in the document's text.
    pub(crate) fn dec_end(&self) -> usize {
        self.dec + self.text.len()
    }
}

/// One line of a JSONL source, as [`StreamCorpus`] walks it.
pub(crate) struct RecordLine<'a> {
    /// The line's bytes without its `\n`.
    pub(crate) raw: &'a [u8],
    /// Whether a `\n` followed.
    pub(crate) newline: bool,
    /// The record, when the line is one, and its document id.
    pub(crate) record: Option<(usize, Record)>,
}

impl CorpusReader {
    /// Where [`scan`](Self::scan) copies standard input, which it must read again.
    /// Default: [`std::env::temp_dir`].
    pub fn spool_dir(&mut self, dir: impl Into<PathBuf>) -> &mut Self {
        self.spool_dir = Some(dir.into());
        self
    }

    /// Reads `inputs` once without keeping them, pushing the same progress and problems
    /// to `on_event` as [`read`](Self::read), and returns what it takes to read them
    /// again (see the [module docs](self)).
    ///
    /// Errors: those of [`read`](Self::read).
    pub fn scan(
        &self,
        inputs: &[Input],
        mut on_event: impl FnMut(Event<'_>),
    ) -> std::result::Result<StreamCorpus, ReadError> {
        let on_event: &mut dyn FnMut(Event<'_>) = &mut on_event;
        let mut out = StreamCorpus {
            reader: self.clone(),
            meta: Corpus::default(),
            locations: Vec::new(),
            documents: 0,
        };
        let (planned, mut progress) = plan(inputs, &mut out.meta, on_event)?;
        for p in planned {
            let (name, path, scanned) = match p {
                Planned::File {
                    path,
                    relative,
                    regular,
                    ..
                } => {
                    let name = super::path_name(&path);
                    let scanned = fs::File::open(&path)
                        .map_err(|e| format!("cannot read: {e}"))
                        .and_then(|f| {
                            if regular {
                                let r = (name.as_str(), relative, &mut progress);
                                self.scan_file(f, &path, r, on_event)
                            } else {
                                let r = (name.as_str(), Some(relative), &mut progress);
                                self.scan_spooled(f, r, on_event)
                            }
                        });
                    (name, Some(path), scanned)
                }
                Planned::Stdin => {
                    let name = "-".to_string();
                    let stdin = io::stdin().lock();
                    let r = (name.as_str(), None, &mut progress);
                    let scanned = self.scan_spooled(stdin, r, on_event);
                    (name, None, scanned)
                }
                Planned::Bytes { name, bytes } => {
                    let relative = Path::new(&name)
                        .file_name()
                        .map_or_else(|| PathBuf::from("input"), PathBuf::from);
                    let scanned = self.scan_one(
                        Box::new(&bytes[..]),
                        &name,
                        Some(relative),
                        &mut progress,
                        on_event,
                    );
                    (name, None, scanned.map(|s| (s, Location::Bytes(bytes))))
                }
            };
            match scanned {
                Err(message) => out.meta.report(
                    Problem {
                        kind: ProblemKind::Unreadable,
                        source: name,
                        line: None,
                        offset: None,
                        message: format!("{message}; skipped"),
                    },
                    on_event,
                ),
                Ok((s, location)) => out.add(s, name, path, location, on_event),
            }
        }
        progress.report(on_event, true);
        out.meta.stats.documents = out.documents;
        Ok(out)
    }

    /// Scans a regular file, keeping its stamp and the hash of its bytes for the
    /// passes that read it again.
    fn scan_file(
        &self,
        file: fs::File,
        path: &Path,
        (name, relative, progress): (&str, PathBuf, &mut ProgressCounter),
        on_event: &mut dyn FnMut(Event<'_>),
    ) -> std::result::Result<(Scanned, Location), String> {
        let cannot = |e: io::Error| format!("cannot read: {e}");
        let before = Stamp::of(&file, path).map_err(cannot)?;
        let mut hashing = Hashing {
            inner: &file,
            hasher: xxhash_rust::xxh3::Xxh3::new(),
            len: 0,
        };
        let s = self.scan_one(
            Box::new(&mut hashing),
            name,
            Some(relative),
            progress,
            on_event,
        )?;
        let after = Stamp::of(&file, path).map_err(cannot)?;
        // A binary file's scan stops at its first NUL, and it is not read again.
        if s.nul.is_none() && (before != after || hashing.len != after.len()) {
            return Err("changed while it was being read".to_string());
        }
        let location = Location::File {
            path: path.to_path_buf(),
            stamp: after,
            hash: hashing.hasher.digest(),
        };
        Ok((s, location))
    }

    /// Scans an input that can be read only once, copying it to an unnamed file in
    /// the spool directory for the passes that read it again.
    fn scan_spooled(
        &self,
        input: impl Read,
        (name, relative, progress): (&str, Option<PathBuf>, &mut ProgressCounter),
        on_event: &mut dyn FnMut(Event<'_>),
    ) -> std::result::Result<(Scanned, Location), String> {
        let dir = self.spool_dir.clone().unwrap_or_else(std::env::temp_dir);
        let cannot =
            |e: io::Error| format!("cannot copy it to {} to read it again: {e}", dir.display());
        let mut copy = tempfile::tempfile_in(&dir).map_err(cannot)?;
        let tee = Tee {
            inner: input,
            copy: &mut copy,
        };
        let s = self.scan_one(Box::new(tee), name, relative, progress, on_event)?;
        copy.flush().map_err(cannot)?;
        Ok((s, Location::Spooled(copy)))
    }

    /// Reads one source through, as [`load`](super::load) and `add_source` would.
    fn scan_one(
        &self,
        inner: Box<dyn Read + '_>,
        name: &str,
        relative: Option<PathBuf>,
        progress: &mut ProgressCounter,
        on_event: &mut dyn FnMut(Event<'_>),
    ) -> std::result::Result<Scanned, String> {
        let mut r = super::Counting {
            inner,
            progress,
            on_event,
        };
        let (head, compression) = super::sniff(&mut r)?;
        let gzip = compression == Compression::Gzip;
        let relative = relative.unwrap_or_else(|| super::stdin_relative(self.format, compression));
        let format = match self.format {
            InputFormat::Auto if is_jsonl_name(&relative) => InputFormat::Jsonl,
            InputFormat::Auto => InputFormat::Text,
            f => f,
        };
        let chained = io::Cursor::new(head).chain(r);
        let mut decoded: Box<dyn Read + '_> = if gzip {
            Box::new(flate2::read::MultiGzDecoder::new(chained))
        } else {
            Box::new(chained)
        };
        let mut s = Scanned {
            relative,
            format,
            compression,
            bytes: 0,
            nul: None,
            lossy: None,
            lone_crs: None,
            records: 0,
            jsonl: None,
        };
        let mut lines = JsonlLines::new(self, name);
        let mut newlines = 0u64;
        let mut buf: Vec<u8> = Vec::with_capacity(BLOCK);
        loop {
            let searched = buf.len();
            let want = buf.len() + BLOCK;
            let eof = match fill(&mut decoded, &mut buf, want) {
                Ok(eof) => eof,
                Err(e) if gzip => {
                    return Err(format!(
                        "corrupt gzip stream after {} decompressed bytes ({e})",
                        s.bytes + buf.len() as u64
                    ));
                }
                Err(e) => {
                    return Err(format!(
                        "cannot read after {} bytes: {e}",
                        s.bytes + buf.len() as u64
                    ));
                }
            };
            // A binary file is skipped at its first NUL, even inside a line that
            // never ends (`/dev/zero`).
            if s.nul.is_none()
                && let Some(i) = memchr::memchr(0, &buf[searched..])
            {
                let at = searched + i;
                let line = newlines + count_newlines(&buf[..at]) + 1;
                s.nul = Some((s.bytes + at as u64, line));
                break;
            }
            let upto = if eof {
                buf.len()
            } else {
                // Only the bytes just read: the rest holds no line break (a line of
                // n blocks would otherwise cost n² searches).
                match memchr::memrchr(b'\n', &buf[searched..]) {
                    Some(i) => searched + i + 1,
                    None => continue,
                }
            };
            s.block(&buf[..upto], &mut newlines, &mut lines);
            buf.drain(..upto);
            // A binary file is skipped at its first NUL: no need to read on.
            if eof || s.nul.is_some() {
                break;
            }
        }
        if format == InputFormat::Jsonl {
            s.jsonl = Some(lines.finish());
        }
        Ok(s)
    }
}

/// What scanning one source found.
struct Scanned {
    relative: PathBuf,
    format: InputFormat,
    compression: Compression,
    bytes: u64,
    /// The first NUL byte: (offset, line).
    nul: Option<(u64, u64)>,
    /// Invalid UTF-8 in a text source: (sequences, first offset, its line).
    lossy: Option<(usize, u64, u64)>,
    /// Carriage returns without a line feed in a text source: (count, first offset,
    /// its line).
    lone_crs: Option<(usize, u64, u64)>,
    records: usize,
    jsonl: Option<super::JsonlDone>,
}

fn count_newlines(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| b == b'\n').count() as u64
}

impl Scanned {
    /// One block of whole lines (or the end of the input), at offset `self.bytes`.
    fn block(&mut self, block: &[u8], newlines: &mut u64, lines: &mut JsonlLines<'_>) {
        let base = self.bytes;
        if self.nul.is_none()
            && let Some(i) = memchr::memchr(0, block)
        {
            self.nul = Some((base + i as u64, *newlines + count_newlines(&block[..i]) + 1));
        }
        if self.nul.is_none() {
            match self.format {
                InputFormat::Jsonl => {
                    let mut pos = 0;
                    while pos < block.len() {
                        let end =
                            memchr::memchr(b'\n', &block[pos..]).map_or(block.len(), |i| pos + i);
                        if lines.line(&block[pos..end], base as usize + pos).is_some() {
                            self.records += 1;
                        }
                        pos = end + 1;
                    }
                }
                _ => {
                    // A block ends after a line feed or at the end: no CR pair is cut.
                    if let Some((count, first)) = super::lone_crs(block) {
                        let l = self.lone_crs.get_or_insert_with(|| {
                            let line = *newlines + count_newlines(&block[..first]) + 1;
                            (0, base + first as u64, line)
                        });
                        l.0 += count;
                    }
                    let mut pos = 0;
                    for chunk in block.utf8_chunks() {
                        pos += chunk.valid().len();
                        if !chunk.invalid().is_empty() {
                            // The line of the first one only: counting lines for
                            // each one made a 1 MB file of random bytes take 81 s.
                            let l = self.lossy.get_or_insert_with(|| {
                                let line = *newlines + count_newlines(&block[..pos]) + 1;
                                (0, base + pos as u64, line)
                            });
                            l.0 += 1;
                            pos += chunk.invalid().len();
                        }
                    }
                }
            }
        }
        *newlines += count_newlines(block);
        self.bytes += block.len() as u64;
    }
}

fn changed(name: &str) -> crate::Error {
    ErrorKind::ReplayMismatch(format!("{name} changed while it was being read")).into()
}

impl StreamCorpus {
    /// Adds a scanned source (or skips it as binary), as `add_source` does.
    fn add(
        &mut self,
        s: Scanned,
        name: String,
        path: Option<PathBuf>,
        location: Location,
        on_event: &mut dyn FnMut(Event<'_>),
    ) {
        let id = match &location {
            Location::File { stamp, .. } => stamp.id().cloned(),
            _ => None,
        };
        let source = Source {
            name,
            path,
            relative: s.relative,
            format: s.format,
            compression: s.compression,
            documents: 0..0,
            original: Original::Dropped,
            id,
        };
        if let Some((offset, line)) = s.nul {
            let raw = match location {
                Location::Bytes(b) => Some(b),
                _ => None,
            };
            self.meta.skip_binary(source, raw, offset, line, on_event);
            return;
        }
        let first = self.documents;
        self.meta.stats.sources += 1;
        self.meta.stats.bytes += s.bytes;
        match s.jsonl {
            Some(done) => {
                self.documents += s.records;
                self.meta.stats.malformed += done.malformed;
                self.meta.stats.invalid_utf8 += done.invalid_utf8;
                for p in done.problems {
                    self.meta.report(p, on_event);
                }
            }
            None => {
                self.documents += 1;
                if let Some((count, offset, line)) = s.lossy {
                    self.meta.stats.invalid_utf8 += 1;
                    self.meta.report(
                        invalid_utf8_at(&source.name, line, count, offset as usize),
                        on_event,
                    );
                }
                if let Some((count, offset, line)) = s.lone_crs {
                    let note = super::lone_cr_note(&source.name, line, count, offset as usize);
                    self.meta.report(note, on_event);
                }
            }
        }
        self.meta.sources.push(Source {
            documents: first..self.documents,
            ..source
        });
        self.locations.push(location);
    }

    /// The sources read, in input order (skipped files are not among them); their
    /// document ranges number documents as [`Corpus::documents`] would.
    pub fn sources(&self) -> &[Source] {
        &self.meta.sources
    }

    /// The files skipped as binary, in input order.
    pub fn skipped(&self) -> &[super::SkippedFile] {
        self.meta.skipped()
    }

    /// Every problem met while scanning, in order.
    pub fn problems(&self) -> &[Problem] {
        &self.meta.problems
    }

    /// Counts, as [`Corpus::stats`] would give them.
    pub fn stats(&self) -> &ReadStats {
        &self.meta.stats
    }

    /// The number of documents [`feed`](Self::feed) pushes.
    pub fn documents(&self) -> usize {
        self.documents
    }

    /// The source of document `doc`.
    fn source_index(&self, doc: usize) -> usize {
        self.meta
            .sources
            .partition_point(|s| s.documents.end <= doc)
    }

    /// Source `source`'s decompressed bytes, read again.
    fn open(&self, source: usize) -> io::Result<Box<dyn Read + '_>> {
        let name = self.meta.sources[source].name.as_str();
        let raw: Box<dyn Read + '_> = match &self.locations[source] {
            Location::File { path, stamp, hash } => {
                let file = fs::File::open(path)?;
                if Stamp::of(&file, path)? != *stamp {
                    return Err(changed_io(name));
                }
                let verified = Verified {
                    inner: Hashing {
                        inner: file,
                        hasher: xxhash_rust::xxh3::Xxh3::new(),
                        len: 0,
                    },
                    len: stamp.len(),
                    hash: *hash,
                    name,
                };
                Box::new(BufReader::with_capacity(1 << 16, verified))
            }
            Location::Spooled(file) => {
                Box::new(BufReader::with_capacity(1 << 16, Spooled { file, pos: 0 }))
            }
            Location::Bytes(b) => Box::new(&b[..]),
        };
        Ok(match self.meta.sources[source].compression {
            Compression::Gzip => Box::new(Named {
                inner: flate2::read::MultiGzDecoder::new(raw),
                name,
            }),
            Compression::None => Box::new(Named { inner: raw, name }),
        })
    }

    fn io_error(&self, source: usize, e: &io::Error) -> crate::Error {
        let name = &self.meta.sources[source].name;
        if is_changed(e) {
            let message = e
                .get_ref()
                .map_or_else(|| e.to_string(), ToString::to_string);
            return ErrorKind::ReplayMismatch(message).into();
        }
        let msg = e.to_string();
        if msg.starts_with(name.as_str()) {
            ErrorKind::Io(msg).into()
        } else {
            ErrorKind::Io(format!("{name}: {msg}")).into()
        }
    }

    /// Pushes every document into `feed`, in order (see the [module docs](self)).
    ///
    /// # Errors
    /// [`ErrorKind::Io`] when a source cannot be read again,
    /// [`ErrorKind::ReplayMismatch`] when one no longer has the documents it had, and
    /// what `feed` returns.
    pub fn feed(&self, feed: &mut Feed<'_>) -> Result<()> {
        for (i, s) in self.meta.sources.iter().enumerate() {
            match s.format {
                InputFormat::Jsonl => {
                    let mut pushed = 0;
                    self.walk_records(i, |line| {
                        if let Some((_, rec)) = &line.record {
                            feed.push(&rec.text)?;
                            pushed += 1;
                        }
                        Ok(())
                    })?;
                    if pushed != s.documents.len() {
                        return Err(changed(&s.name));
                    }
                }
                _ => feed.push_reader(self.open(i).map_err(|e| self.io_error(i, &e))?)?,
            }
        }
        Ok(())
    }

    /// Calls `f` on each line of JSONL source `source` (read from `r`), with its
    /// record and document id when it is one.
    pub(crate) fn walk_records(
        &self,
        source: usize,
        mut f: impl FnMut(&RecordLine<'_>) -> Result<()>,
    ) -> Result<()> {
        let s = &self.meta.sources[source];
        let mut lines = JsonlLines::new(&self.reader, &s.name);
        let (mut pos, mut doc) = (0, s.documents.start);
        self.read_lines(source, |buf| {
            let n = buf.len();
            let newline = buf.last() == Some(&b'\n');
            let raw = &buf[..n - usize::from(newline)];
            let record = lines.line(raw, pos).map(|rec| {
                doc += 1;
                (doc - 1, rec)
            });
            if record.as_ref().is_some_and(|(d, _)| *d >= s.documents.end) {
                return Err(changed(&s.name));
            }
            f(&RecordLine {
                raw,
                newline,
                record,
            })?;
            pos += n;
            Ok(())
        })
    }

    /// Calls `f` on each line of source `source`, read again from its start (with its
    /// line break, if it has one).
    fn read_lines(&self, source: usize, mut f: impl FnMut(&[u8]) -> Result<()>) -> Result<()> {
        let r = self.open(source).map_err(|e| self.io_error(source, &e))?;
        let mut r = BufReader::with_capacity(1 << 16, r);
        let mut buf = Vec::new();
        loop {
            buf.clear();
            let n = r
                .read_until(b'\n', &mut buf)
                .map_err(|e| self.io_error(source, &e))?;
            if n == 0 {
                return Ok(());
            }
            f(&buf)?;
        }
    }

    /// Calls `f` on each line of text source `source`.
    pub(crate) fn walk_lines(
        &self,
        source: usize,
        mut f: impl FnMut(&LineView<'_>) -> Result<()>,
    ) -> Result<()> {
        let (mut start, mut dec) = (0, 0);
        self.read_lines(source, |buf| {
            let (text, map) = match std::str::from_utf8(buf) {
                Ok(s) => (Cow::Borrowed(s), None),
                Err(_) => {
                    let (text, map, _, _) = decode_lossy(buf);
                    (Cow::Owned(text), Some(map))
                }
            };
            let view = LineView {
                raw: buf,
                text: &text,
                start,
                dec,
                map: map.as_ref(),
            };
            f(&view)?;
            start += buf.len();
            dec += text.len();
            Ok(())
        })
    }
}

#[cfg(test)]
pub(crate) mod tests;
