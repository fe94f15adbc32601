//! Documents cut into pieces that split on their own, and batched: the input side of
//! [`Deduper::run_stream`](crate::Deduper::run_stream), below the pipeline and the corpus readers.

use crate::error::{ErrorKind, Result};
use crate::paragraph::{Paragraph, ParagraphMode, ParagraphSplitter};
use rayon::prelude::*;
use std::io::{self, Read};
use std::time::{Duration, Instant};

/// What [`Deduper::run_stream`](crate::Deduper::run_stream)'s source pushes documents into. Document ids are
/// numbered from 0 in push order, as indices into a slice given to [`Deduper::run_documents`](crate::Deduper::run_documents).
pub struct Feed<'a> {
    pub(crate) batcher: &'a mut Batcher,
    pub(crate) sink: &'a mut dyn Sink,
}

impl Feed<'_> {
    /// Pushes one document.
    ///
    /// # Errors
    /// [`ErrorKind::TooManyDocuments`] / [`ErrorKind::TooManyParagraphs`] past `u32`
    /// ids; on the second pass, [`ErrorKind::ReplayMismatch`] when the input changed.
    pub fn push(&mut self, document: impl AsRef<str>) -> Result<()> {
        let text = document.as_ref();
        let doc = self.batcher.next_doc()?;
        let mode = self.batcher.splitter.resolve(text);
        let mut line = 0;
        for (i, (lo, hi)) in piece_ranges(text, mode, self.batcher.piece_bytes)
            .into_iter()
            .enumerate()
        {
            let piece = &text[lo..hi];
            self.add(Piece::new(piece.to_owned(), doc, lo, line, mode, i == 0))?;
            line += newlines(piece.as_bytes());
        }
        Ok(())
    }

    /// Reads one document from `reader` in pieces (see the module docs; invalid UTF-8
    /// is decoded lossily).
    ///
    /// # Errors
    /// [`ErrorKind::Io`] when reading fails, and as [`push`](Self::push).
    pub fn push_reader(&mut self, mut reader: impl Read) -> Result<()> {
        let doc = self.batcher.next_doc()?;
        let piece_bytes = self.batcher.piece_bytes;
        let io = crate::fsio::pass_error;
        let mut buf: Vec<u8> = Vec::new();
        let mut eof = false;
        // Resolve the mode from the first window of the document.
        let mode = match self.batcher.splitter.mode() {
            ParagraphMode::Auto => {
                let window = self.batcher.auto_window;
                eof = fill(&mut reader, &mut buf, window).map_err(io)?;
                let text = match std::str::from_utf8(&buf) {
                    Ok(s) => std::borrow::Cow::Borrowed(s),
                    // Cut inside a character at the window's end: the valid prefix.
                    Err(e) if e.error_len().is_none() => std::borrow::Cow::Borrowed(
                        std::str::from_utf8(&buf[..e.valid_up_to()]).expect("valid prefix"),
                    ),
                    Err(_) => String::from_utf8_lossy(&buf),
                };
                self.batcher.splitter.resolve(&text)
            }
            m => m,
        };
        let (mut offset, mut line, mut first) = (0usize, 0u64, true);
        // Bytes of `buf` already known to hold no cut after the last line break seen.
        let mut scanned = 0;
        loop {
            if !eof && buf.len() < 2 * piece_bytes {
                eof = fill(&mut reader, &mut buf, 2 * piece_bytes).map_err(io)?;
            }
            let cut = if mode == ParagraphMode::Whole {
                None
            } else {
                let (cut, to) = find_cut(&buf, scanned, piece_bytes, mode);
                scanned = to;
                cut
            };
            match cut {
                Some(cut) if cut < buf.len() || !eof => {
                    let rest = buf.split_off(cut);
                    let piece = decode(std::mem::replace(&mut buf, rest));
                    let (len, lines) = (piece.len(), newlines(piece.as_bytes()));
                    self.add(Piece::new(piece, doc, offset, line, mode, first))?;
                    (offset, line, first, scanned) = (offset + len, line + lines, false, 0);
                }
                _ if eof => {
                    let piece = decode(std::mem::take(&mut buf));
                    return self.add(Piece::new(piece, doc, offset, line, mode, first));
                }
                _ => {
                    // No cut yet: the paragraph goes on; read more.
                    let more = buf.len() + piece_bytes;
                    eof = fill(&mut reader, &mut buf, more).map_err(io)?;
                }
            }
        }
    }

    /// Documents pushed so far in this pass.
    pub fn documents(&self) -> usize {
        self.batcher.docs as usize
    }

    fn add(&mut self, piece: Piece) -> Result<()> {
        self.batcher.bytes += piece.text.len();
        self.batcher.pieces.push(piece);
        if self.batcher.bytes >= self.batcher.batch_bytes {
            self.batcher.flush(self.sink)?;
        }
        Ok(())
    }
}

/// Reads from `reader` until `buf` holds `want` bytes or the input ends (true).
fn fill(reader: &mut impl Read, buf: &mut Vec<u8>, want: usize) -> io::Result<bool> {
    let need = want.saturating_sub(buf.len()) as u64;
    let got = reader.by_ref().take(need).read_to_end(buf)? as u64;
    Ok(got < need)
}

fn decode(bytes: Vec<u8>) -> String {
    match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}

pub(crate) fn newlines(bytes: &[u8]) -> u64 {
    // In blocks with a narrow counter, which vectorizes (`filter().count()` did not,
    // and showed in profiles of a streamed run).
    bytes
        .chunks(255)
        .map(|c| u64::from(c.iter().fold(0u8, |n, &b| n + u8::from(b == b'\n'))))
        .sum()
}

/// The byte ranges of the pieces `text` is cut into for `mode` (see [`find_cut`]): of
/// about `piece_bytes` each, or one for the whole text.
pub(crate) fn piece_ranges(
    text: &str,
    mode: ParagraphMode,
    piece_bytes: usize,
) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut at = 0;
    while bytes.len() - at > piece_bytes && mode != ParagraphMode::Whole {
        let Some(cut) = find_cut(&bytes[at..], 0, piece_bytes, mode).0 else {
            break;
        };
        out.push((at, at + cut));
        at += cut;
    }
    out.push((at, bytes.len()));
    out
}

/// Where a document may be cut so that its pieces split into exactly its paragraphs:
/// after a line break (`Lines`), after a blank line (`BlankLines`). Looks at the lines
/// from `from` (a line start) on and returns the last cut at most `target`, else the
/// first one after it, else `None`; and the start of the first line not fully
/// scanned, from which a later call on a longer buffer may resume.
fn find_cut(
    bytes: &[u8],
    from: usize,
    target: usize,
    mode: ParagraphMode,
) -> (Option<usize>, usize) {
    let cuts_at = |line_start: usize, nl: usize| match mode {
        ParagraphMode::BlankLines => {
            std::str::from_utf8(&bytes[line_start..nl]).is_ok_and(|l| l.trim().is_empty())
        }
        _ => true,
    };
    let newline_before = |lo: usize, hi: usize| memchr::memrchr(b'\n', &bytes[lo..hi]);
    // Backward from the target: the last cut at most `target` (a few lines of reading).
    let end = target.min(bytes.len());
    let mut start = from;
    if from < end {
        let mut hi = end;
        while let Some(i) = newline_before(from, hi) {
            let nl = from + i;
            let line_start = newline_before(from, nl).map_or(from, |j| from + j + 1);
            if cuts_at(line_start, nl) {
                return (Some(nl + 1), nl + 1);
            }
            hi = nl;
        }
        // None before the target: go on from the start of the line holding it.
        start = newline_before(from, end).map_or(from, |i| from + i + 1);
    }
    // Forward: the first cut after the target.
    while let Some(i) = memchr::memchr(b'\n', &bytes[start..]) {
        let nl = start + i;
        let line_start = start;
        start = nl + 1;
        if cuts_at(line_start, nl) {
            return (Some(nl + 1), start);
        }
    }
    (None, start)
}

/// A part of one document that splits on its own (see [`find_cut`]).
pub(crate) struct Piece {
    text: String,
    doc: u32,
    /// Byte offset and line count of the piece's start in its document.
    offset: usize,
    line: u64,
    mode: ParagraphMode,
    /// The document's first piece (paragraph indices restart).
    first: bool,
}

impl Piece {
    fn new(
        text: String,
        doc: u32,
        offset: usize,
        line: u64,
        mode: ParagraphMode,
        first: bool,
    ) -> Piece {
        Piece {
            text,
            doc,
            offset,
            line,
            mode,
            first,
        }
    }

    pub(crate) fn text_of(&self, p: &Paragraph) -> &str {
        &self.text[p.start - self.offset..p.end - self.offset]
    }
}

/// Pieces waiting for a batch, and the document counter.
pub(crate) struct Batcher {
    splitter: ParagraphSplitter,
    pieces: Vec<Piece>,
    bytes: usize,
    pub(crate) docs: u32,
    batch_bytes: usize,
    piece_bytes: usize,
    auto_window: usize,
    /// Paragraphs of the current document in earlier pieces.
    index_carry: u32,
}

impl Batcher {
    /// Batches of about `batch_bytes`, pieces of about `piece_bytes`, and
    /// [`ParagraphMode::Auto`] resolved from the first `auto_window` bytes of a reader.
    pub(crate) fn new(
        splitter: ParagraphSplitter,
        batch_bytes: usize,
        piece_bytes: usize,
        auto_window: usize,
    ) -> Batcher {
        Batcher {
            splitter,
            pieces: Vec::new(),
            bytes: 0,
            docs: 0,
            batch_bytes,
            piece_bytes,
            auto_window,
            index_carry: 0,
        }
    }

    fn next_doc(&mut self) -> Result<u32> {
        let doc = self.docs;
        self.docs = doc
            .checked_add(1)
            .ok_or(ErrorKind::TooManyDocuments(doc as usize + 1))?;
        Ok(doc)
    }

    pub(crate) fn flush(&mut self, sink: &mut dyn Sink) -> Result<()> {
        if self.pieces.is_empty() {
            return Ok(());
        }
        let pieces = std::mem::take(&mut self.pieces);
        self.bytes = 0;
        let clock = Instant::now();
        let work = || {
            pieces
                .par_iter()
                .map(|pc| {
                    ParagraphSplitter::new(pc.mode)
                        .split(pc.doc, &pc.text)
                        .map(|mut p| {
                            p.start += pc.offset;
                            p.end += pc.offset;
                            p.line += pc.line;
                            p
                        })
                        .collect()
                })
                .collect()
        };
        let mut split: Vec<Vec<Paragraph>> = match sink.pool() {
            Some(pool) => pool.install(work),
            None => work(),
        };
        for (pc, paras) in pieces.iter().zip(&mut split) {
            let base = if pc.first { 0 } else { self.index_carry };
            for p in paras.iter_mut() {
                p.index = p.index.saturating_add(base);
            }
            self.index_carry = base.saturating_add(paras.len() as u32);
        }
        sink.process(&pieces, split, clock.elapsed())
    }
}

/// One pass's consumer of batches.
pub(crate) trait Sink {
    /// The pool the batch splits on (the current one when `None`).
    fn pool(&self) -> Option<&rayon::ThreadPool>;
    /// The batch's pieces and each piece's paragraphs (final provenance).
    /// `split_time`: how long splitting took.
    fn process(
        &mut self,
        pieces: &[Piece],
        paragraphs: Vec<Vec<Paragraph>>,
        split_time: Duration,
    ) -> Result<()>;
}
