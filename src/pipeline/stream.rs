//! Streaming: a corpus fed in batches and never held whole, with compact
//! per-paragraph state and, under a memory limit, that state on disk.
//!
//! [`Deduper::run_stream`] calls a source closure that pushes the corpus's documents
//! into a [`Feed`]. The feed cuts large documents into pieces at paragraph boundaries
//! and processes pieces in batches of about [`StreamConfig::batch_bytes`]: split,
//! normalize, hash; keep what later stages need; drop the text. What stays in memory
//! per paragraph and per distinct text without a memory limit (128 permutations,
//! default banding of 19 bands; `docs/PERFORMANCE.md` has measured
//! totals):
//!
//! | state | bytes | for |
//! |---|---|---|
//! | provenance ([`Paragraph`]) | 32 per paragraph | the clusters' members |
//! | distinct-text id | 4 per paragraph | exact duplicates |
//! | exact-key map | about 45 per distinct text | exact duplicates |
//! | first paragraph | 4 per distinct text | exact duplicates |
//! | band keys | 4 + 8 per band (156 at the defaults) per distinct text | candidates |
//! | signature | 4 per permutation (512) per distinct text | only with [`Verification::Signature`] or containment |
//! | SimHash fingerprint | 8 per distinct text | only with [`Method::SimHash`] |
//!
//! # Verification: a second pass or the signatures
//!
//! With [`Verification::Exact`] (the default) the stream keeps no shingle sets and no
//! signatures, only band keys; once the candidate pairs are known it calls the source
//! a second time and computes the shingle sets of the distinct texts that some
//! candidate pair involves (and only those). The source must push the same documents
//! again; a different paragraph count, span or text is an error
//! ([`ErrorKind::ReplayMismatch`]). The result is identical to [`Deduper::run`]'s.
//!
//! With [`Verification::Signature`] the source is called once, and the full signature
//! of every distinct text is kept (512 bytes at 128 permutations, in memory, or in a
//! temporary file under a memory limit) so that candidates are verified by the
//! signature estimate: one pass over the input, three times the memory, and estimated
//! similarities (as with [`Deduper::run`] in that mode).
//!
//! # Memory limit: the state on disk
//!
//! With [`StreamConfig::memory_limit`], the run keeps what grows with the corpus in
//! files of a private directory under [`StreamConfig::temp_dir`] (removed when the run
//! ends, whatever the outcome), and holds windows of it in memory:
//!
//! - provenance and text ids go to files as they are found, and are read back in
//!   order: by the second pass, to check it, and once at the end for the paragraphs
//!   of the clusters only;
//! - the exact-key map and the band keys are held until they pass the limit; then each
//!   band's keys are sorted and written as a run (12 bytes per key: the key and the
//!   text id), and so is the key map. Candidates come from a k-way merge of each
//!   band's runs, as datatrove does with sorted files, and a text met again in a later
//!   key window is mapped to its first id before its buckets are formed (a merge of
//!   the key runs finds them);
//! - the shingle sets that verification needs (or, with
//!   [`Verification::Signature`], the signatures) are written to a file and read back
//!   in windows of candidate pairs, then in windows of whole connected groups for the
//!   clusters.
//!
//! So disk, not memory, bounds the corpus. What memory still holds besides the
//! windows: the result (clusters and pairs, which grow with the duplicates found), the
//! candidate pairs (8 bytes each), 12 bytes per text in a candidate pair, 40 bytes per
//! paragraph in a cluster, 8 bytes per text met again after its key window was written,
//! and two bits per distinct text; with SimHash, its fingerprints and their ids (12
//! bytes per distinct text). One connected group is never split, so a group whose
//! evidence passes the limit is loaded whole. The result equals
//! [`Deduper::run`]'s.
//!
//! # What streams and what does not
//!
//! - [`Method::MinHash`] with Jaccard: everything above.
//! - [`Method::SimHash`]: the Hamming search needs every fingerprint at hand, so they
//!   stay in memory (8 bytes per distinct text, with a 4-byte id), limit or not.
//! - [`Similarity::Containment`]: the size-class search needs every signature in
//!   memory, so it streams without a memory limit only
//!   ([`ErrorKind::StreamUnsupported`] with one).
//! - [`CandidateSearch::PrefixFilter`] and [`CandidateSearch::Exhaustive`] keep every
//!   shingle set or compare every pair, which defeats streaming:
//!   [`ErrorKind::StreamUnsupported`].
//!
//! # Documents, pieces and [`ParagraphMode::Auto`]
//!
//! [`Feed::push`] takes one document in memory; [`Feed::push_reader`] reads one from
//! any [`Read`] in pieces of about [`StreamConfig::piece_bytes`] and never holds more
//! than a piece or two (plus the longest paragraph: a 100 MB line is read whole).
//! Pieces end after a line break in [`ParagraphMode::Lines`] and after a blank line in
//! [`ParagraphMode::BlankLines`], so splitting pieces gives exactly the paragraphs of
//! the whole document, with the same index, line and byte span.
//! [`ParagraphMode::Whole`] documents are never cut. [`ParagraphMode::Auto`] resolves
//! each document from its text as [`Deduper::run`] does; a document read from a reader
//! is resolved from its first [`StreamConfig::auto_window`] bytes (16 MiB by default),
//! the one place where a stream can differ from `run`: a document with no blank
//! separator line in its first 16 MiB is read line by line.
//!
//! Invalid UTF-8 read by `push_reader` is decoded lossily (U+FFFD); byte spans then
//! refer to the decoded text, as they would after `String::from_utf8_lossy` of the
//! whole document.

mod disk;

use super::assemble::{Column, Evidence, Found, SetArena};
use super::{ALL_PAIRS_BUCKET, Deduper, MinHashScratch, lap};
use crate::cluster::{Clusters, StageTimings};
use crate::error::{ErrorKind, Result};
use crate::lsh::banded::bucket_pairs;
use crate::paragraph::{Paragraph, ParagraphMode, ParagraphSplitter};
use crate::progress::{Progress, Stage};
use crate::simhash::SimHashScratch;
use crate::similarity::Similarity;
use crate::{CandidateSearch, Method, Verification};
use rayon::prelude::*;
use std::collections::HashMap;
use std::fs::File;
use std::hash::{BuildHasherDefault, Hasher};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Default [`StreamConfig::batch_bytes`]: 4 MiB. On the 48 MB corpus (2 threads) the
/// peak resident memory of `dedup --stream` was 221 MB with 16 MiB batches, 149 MB
/// with 4 MiB and 112 MB with 1 MiB, at the same speed.
pub const DEFAULT_BATCH_BYTES: usize = 4 << 20;

/// Default [`StreamConfig::piece_bytes`]: 1 MiB.
pub const DEFAULT_PIECE_BYTES: usize = 1 << 20;

/// Default [`StreamConfig::auto_window`]: 16 MiB.
pub const DEFAULT_AUTO_WINDOW: usize = 16 << 20;

/// How [`Deduper::run_stream`] batches its input and how much memory it may hold.
///
/// ```
/// use paradup::{Deduper, StreamConfig};
///
/// let docs = ["one paragraph here\nanother one there", "one paragraph here"];
/// let mut config = StreamConfig::new();
/// config.memory_limit(512 << 20).batch_bytes(1 << 20);
/// let clusters = Deduper::new()
///     .run_stream(&config, |feed| {
///         for d in docs {
///             feed.push(d)?;
///         }
///         Ok(())
///     })
///     .unwrap();
/// assert_eq!(clusters.len(), 1);
/// assert_eq!(clusters, Deduper::new().run(&docs)); // equal but for the timings
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamConfig {
    memory_limit: Option<usize>,
    temp_dir: Option<PathBuf>,
    batch_bytes: usize,
    piece_bytes: usize,
    auto_window: usize,
}

impl Default for StreamConfig {
    fn default() -> StreamConfig {
        StreamConfig::new()
    }
}

impl StreamConfig {
    /// No memory limit, 4 MiB batches, 1 MiB pieces, the system's temporary directory.
    pub fn new() -> StreamConfig {
        StreamConfig {
            memory_limit: None,
            temp_dir: None,
            batch_bytes: DEFAULT_BATCH_BYTES,
            piece_bytes: DEFAULT_PIECE_BYTES,
            auto_window: DEFAULT_AUTO_WINDOW,
        }
    }

    /// Keep the state that grows with the corpus on disk and hold at most about
    /// `bytes` of it in memory at once (see the module docs for what the limit covers).
    /// 32 batches ([`batch_bytes`](Self::batch_bytes)) and 32 MiB of it are set aside
    /// for the work in progress; the state gets the rest, and windows of it are never
    /// smaller than a batch.
    pub fn memory_limit(&mut self, bytes: usize) -> &mut Self {
        self.memory_limit = Some(bytes);
        self
    }

    /// Where spill files go (a private directory is made inside it); default
    /// [`std::env::temp_dir`].
    pub fn temp_dir(&mut self, dir: impl Into<PathBuf>) -> &mut Self {
        self.temp_dir = Some(dir.into());
        self
    }

    /// Text processed at once (in parallel), in bytes; at least 1.
    pub fn batch_bytes(&mut self, bytes: usize) -> &mut Self {
        self.batch_bytes = bytes;
        self
    }

    /// Size of the pieces large documents are cut into, in bytes; at least 1.
    pub fn piece_bytes(&mut self, bytes: usize) -> &mut Self {
        self.piece_bytes = bytes;
        self
    }

    /// How much of a document read by [`Feed::push_reader`] decides
    /// [`ParagraphMode::Auto`], in bytes (see the module docs); default 16 MiB.
    pub fn auto_window(&mut self, bytes: usize) -> &mut Self {
        self.auto_window = bytes;
        self
    }

    fn check(&self) -> Result<()> {
        if self.batch_bytes == 0 {
            return Err(ErrorKind::InvalidStreamConfig("batch_bytes must be at least 1").into());
        }
        if self.piece_bytes == 0 {
            return Err(ErrorKind::InvalidStreamConfig("piece_bytes must be at least 1").into());
        }
        if self.memory_limit == Some(0) {
            return Err(ErrorKind::InvalidStreamConfig("memory_limit must be at least 1").into());
        }
        Ok(())
    }
}

/// What [`Deduper::run_stream`]'s source pushes documents into. Document ids are
/// numbered from 0 in push order, as indices into a slice given to [`Deduper::run`].
pub struct Feed<'a> {
    batcher: &'a mut Batcher,
    sink: &'a mut dyn Sink,
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

pub(super) fn newlines(bytes: &[u8]) -> u64 {
    // In blocks with a narrow counter, which vectorizes (`filter().count()` did not,
    // and showed in profiles of a streamed run).
    bytes
        .chunks(255)
        .map(|c| u64::from(c.iter().fold(0u8, |n, &b| n + u8::from(b == b'\n'))))
        .sum()
}

/// The byte ranges of the pieces `text` is cut into for `mode` (see [`find_cut`]): of
/// about `piece_bytes` each, or one for the whole text.
pub(super) fn piece_ranges(
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
struct Piece {
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

    fn text_of(&self, p: &Paragraph) -> &str {
        &self.text[p.start - self.offset..p.end - self.offset]
    }
}

/// Pieces waiting for a batch, and the document counter.
struct Batcher {
    splitter: ParagraphSplitter,
    pieces: Vec<Piece>,
    bytes: usize,
    docs: u32,
    batch_bytes: usize,
    piece_bytes: usize,
    auto_window: usize,
    /// Paragraphs of the current document in earlier pieces.
    index_carry: u32,
}

impl Batcher {
    fn new(deduper: &Deduper, config: &StreamConfig) -> Batcher {
        Batcher {
            splitter: deduper.splitter,
            pieces: Vec::new(),
            bytes: 0,
            docs: 0,
            batch_bytes: config.batch_bytes,
            piece_bytes: config.piece_bytes,
            auto_window: config.auto_window,
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

    fn flush(&mut self, sink: &mut dyn Sink) -> Result<()> {
        if self.pieces.is_empty() {
            return Ok(());
        }
        let pieces = std::mem::take(&mut self.pieces);
        self.bytes = 0;
        let clock = Instant::now();
        let mut split: Vec<Vec<Paragraph>> = sink.deduper().in_pool(|| {
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
        });
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
trait Sink {
    fn deduper(&self) -> &Deduper;
    /// The batch's pieces and each piece's paragraphs (final provenance).
    /// `split_time`: how long splitting took.
    fn process(
        &mut self,
        pieces: &[Piece],
        paragraphs: Vec<Vec<Paragraph>>,
        split_time: Duration,
    ) -> Result<()>;
}

/// A hasher for keys that are already uniform hashes (the exact keys): their low bits.
#[derive(Default)]
struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
    fn write_u128(&mut self, v: u128) {
        self.0 = v as u64;
    }
}

type KeyMap = HashMap<u128, u32, BuildHasherDefault<PassThrough>>;

/// A growable array kept in fixed-size blocks of 32 MiB: growing never copies and
/// leaves no doubling slack (a `Vec` of 10 M band keys can hold 16.7 M of capacity,
/// and 19 bands of it are 1 GB of slack). Blocks of that size are mapped and
/// unmapped whole by the allocator (glibc maps allocations of 32 MiB or more
/// directly, whatever its adaptive threshold), so memory freed after a spill goes back
/// to the system: with 64 Ki-entry blocks, a 10 M-paragraph stream under a 1 GiB
/// limit kept the freed band keys resident and peaked at 1,494 MiB.
struct Blocks<T> {
    blocks: Vec<Vec<T>>,
    len: usize,
}

impl<T: Copy> Blocks<T> {
    /// Entries per block.
    const BLOCK: usize = (32 << 20) / std::mem::size_of::<T>();

    fn new() -> Blocks<T> {
        Blocks {
            blocks: Vec::new(),
            len: 0,
        }
    }

    fn len(&self) -> usize {
        self.len
    }

    fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn push(&mut self, x: T) {
        match self.blocks.last_mut() {
            Some(b) if b.len() < Self::BLOCK => b.push(x),
            _ => {
                let mut b = Vec::with_capacity(Self::BLOCK);
                b.push(x);
                self.blocks.push(b);
            }
        }
        self.len += 1;
    }

    fn extend(&mut self, items: impl IntoIterator<Item = T>) {
        for x in items {
            self.push(x);
        }
    }

    fn get(&self, i: usize) -> Option<&T> {
        self.blocks.get(i / Self::BLOCK)?.get(i % Self::BLOCK)
    }

    fn iter(&self) -> impl Iterator<Item = &T> {
        self.blocks.iter().flatten()
    }

    /// The entries in order, freeing each block once read.
    fn into_iter(self) -> impl Iterator<Item = T> {
        self.blocks.into_iter().flatten()
    }
}

impl<T: Copy + Sync + Send> Column<T> for Blocks<T> {
    fn len(&self) -> usize {
        self.len
    }
    fn at(&self, i: usize) -> T {
        self[i]
    }
}

impl<T: Copy> std::ops::Index<usize> for Blocks<T> {
    type Output = T;

    fn index(&self, i: usize) -> &T {
        &self.blocks[i / Self::BLOCK][i % Self::BLOCK]
    }
}

/// The first pass's state.
struct Collector<'d> {
    deduper: &'d Deduper,
    progress: Option<&'d Progress>,
    /// Paragraphs and distinct texts so far (in disk mode, texts may repeat across
    /// key windows: see [`disk`]).
    count: usize,
    distinct: usize,
    /// In memory: each paragraph, its text, each text's first paragraph.
    paragraphs: Blocks<Paragraph>,
    bytes: usize,
    canon_of: Blocks<u32>,
    canon: Blocks<u32>,
    seen: KeyMap,
    /// Under a memory limit: the files that hold what the three above hold.
    disk: Option<disk::Disk>,
    /// Live distinct texts whose band keys are in `band_keys` (not spilled yet).
    live_ids: Blocks<u32>,
    band_keys: Vec<Blocks<u64>>,
    /// Kept signatures (signature verification, containment), `k` per distinct text.
    sigs: SigStore,
    /// With containment, each distinct text's shingle-set size.
    sizes: Vec<u32>,
    /// SimHash: each distinct text's fingerprint.
    fps: Vec<u64>,
    spill: Spill,
    timings: StageTimings,
}

/// Kept signatures: in memory, in a file, or none.
enum SigStore {
    None,
    Memory(Vec<u32>),
    File(Option<BufWriter<File>>, PathBuf),
}

/// Sorted band runs on disk.
struct Spill {
    limit: Option<usize>,
    /// What the work in progress may take besides the counted state.
    reserve: usize,
    base: PathBuf,
    dir: Option<crate::fsio::TempDir>,
    /// Per run, per band: (file, records).
    runs: Vec<Vec<(PathBuf, u64)>>,
}

impl Spill {
    /// The spill directory, made on first use: private (mode 0700, an unpredictable
    /// name, never one that already existed), so no other user can plant a file or a
    /// link in it.
    fn dir(&mut self) -> Result<&Path> {
        if self.dir.is_none() {
            let dir = crate::fsio::TempDir::new_in(&self.base, "paradup-spill-").map_err(|e| {
                ErrorKind::Io(format!(
                    "cannot create a spill directory in {}: {e}",
                    self.base.display()
                ))
            })?;
            self.dir = Some(dir);
        }
        Ok(self.dir.as_ref().expect("just made").path())
    }
}

fn io_at(path: &Path) -> impl Fn(io::Error) -> crate::Error + '_ {
    move |e| ErrorKind::Io(format!("{}: {e}", path.display())).into()
}

/// Bytes of state per paragraph and per distinct text besides band keys, in memory.
const PER_PARAGRAPH: usize = std::mem::size_of::<Paragraph>() + 4;
const PER_DISTINCT: usize = 4;
/// Bytes per slot of the exact-key map's capacity: a 32-byte entry and a control
/// byte per bucket, at most 7 entries per 8 buckets.
const PER_KEY_SLOT: usize = 38;

impl<'d> Collector<'d> {
    fn band_bytes(&self) -> usize {
        self.live_ids.len() * (4 + 8 * self.band_keys.len())
    }

    /// The state held in memory (what a memory limit counts).
    fn held_bytes(&self) -> usize {
        self.paragraphs.len() * PER_PARAGRAPH
            + self.canon.len() * PER_DISTINCT
            + self.seen.capacity() * PER_KEY_SLOT
            + self.band_bytes()
            + match &self.sigs {
                SigStore::Memory(s) => s.len() * 4,
                _ => 0,
            }
            + self.fps.len() * 8
            + self.sizes.len() * 4
    }

    /// Writes the band keys held in memory as one sorted run per band.
    fn spill_run(&mut self) -> Result<()> {
        if self.live_ids.is_empty() {
            return Ok(());
        }
        let run = self.spill.runs.len();
        let dir = self.spill.dir()?.to_path_buf();
        let ids = std::mem::replace(&mut self.live_ids, Blocks::new());
        let bands = std::mem::take(&mut self.band_keys);
        let nbands = bands.len();
        let files: Vec<Result<(PathBuf, u64)>> = self.deduper.in_pool(|| {
            bands
                .into_par_iter()
                .enumerate()
                .map(|(b, keys)| {
                    let mut kv: Vec<(u64, u32)> = Vec::with_capacity(keys.len());
                    kv.extend(keys.into_iter().zip(ids.iter().copied()));
                    kv.sort_unstable();
                    let path = dir.join(format!("run{run}-band{b}.bin"));
                    let mut out = disk::Out::create(path)?;
                    let mut rec = [0u8; 12];
                    for &(key, id) in &kv {
                        rec[..8].copy_from_slice(&key.to_be_bytes());
                        rec[8..].copy_from_slice(&id.to_be_bytes());
                        out.put(&rec)?;
                    }
                    out.finish()
                })
                .collect()
        });
        self.spill
            .runs
            .push(files.into_iter().collect::<Result<_>>()?);
        self.band_keys = (0..nbands).map(|_| Blocks::new()).collect();
        Ok(())
    }
}

impl Sink for Collector<'_> {
    fn deduper(&self) -> &Deduper {
        self.deduper
    }

    fn process(
        &mut self,
        pieces: &[Piece],
        split: Vec<Vec<Paragraph>>,
        split_time: Duration,
    ) -> Result<()> {
        let d = self.deduper;
        self.timings.paragraphs += split_time;
        let mut clock = Instant::now();
        // Paragraphs with their piece, in order.
        let items: Vec<(u32, Paragraph)> = split
            .into_iter()
            .enumerate()
            .flat_map(|(i, ps)| ps.into_iter().map(move |p| (i as u32, p)))
            .collect();
        let total = self.count + items.len();
        if u32::try_from(total).is_err() {
            return Err(ErrorKind::TooManyParagraphs(total).into());
        }
        self.timings.paragraphs += lap(&mut clock);

        // Normalize and key every paragraph; keep the normalized texts of the batch.
        const CHUNK: usize = 256;
        let seed = d.shingler.seed();
        let normalized: Vec<(Vec<u128>, String, Vec<usize>)> = d.in_pool(|| {
            items
                .par_chunks(CHUNK)
                .map_init(String::new, |buf, chunk| {
                    let mut keys = Vec::with_capacity(chunk.len());
                    let mut arena = String::new();
                    let mut ends = Vec::with_capacity(chunk.len());
                    for (pc, p) in chunk {
                        let raw = pieces[*pc as usize].text_of(p);
                        d.normalizer.normalize_into(raw, buf);
                        keys.push(crate::index::exact_key(buf, raw, seed));
                        arena.push_str(buf);
                        ends.push(arena.len());
                    }
                    (keys, arena, ends)
                })
                .collect()
        });
        // Exact duplicates against everything seen so far (in disk mode, so far in
        // this key window), in order.
        let mut new: Vec<(u32, u32)> = Vec::new();
        for (ci, (keys, _, _)) in normalized.iter().enumerate() {
            for (j, key) in keys.iter().enumerate() {
                let (_, p) = items[ci * CHUNK + j];
                let pid = self.count as u32;
                let next = self.distinct as u32;
                let c = *self.seen.entry(*key).or_insert(next);
                if c == next {
                    self.distinct += 1;
                    new.push((ci as u32, j as u32));
                    match &mut self.disk {
                        Some(disk) => disk.text(*key)?,
                        None => self.canon.push(pid),
                    }
                }
                match &mut self.disk {
                    Some(disk) => disk.paragraph(&p, c)?,
                    None => {
                        self.canon_of.push(c);
                        self.paragraphs.push(p);
                    }
                }
                self.count += 1;
                self.bytes += p.len();
            }
        }
        if let Some(pr) = self.progress {
            pr.add(items.len() as u64);
            pr.set_paragraphs(self.count as u64);
        }
        drop(items);
        self.timings.exact += lap(&mut clock);

        // Sketches of the new distinct texts.
        let text = |&(ci, j): &(u32, u32)| -> &str {
            let (_, arena, ends) = &normalized[ci as usize];
            let j = j as usize;
            let lo = if j == 0 { 0 } else { ends[j - 1] };
            &arena[lo..ends[j]]
        };
        match d.method {
            Method::MinHash => {
                let k = d.hasher.num_perm();
                let nb = self.band_keys.len();
                let sized = d.similarity == Similarity::Containment;
                // Signatures only when they are kept; band keys text by text, then
                // appended band by band.
                let keep = !matches!(self.sigs, SigStore::None);
                let mut sigs = vec![0u32; if keep { new.len() * k } else { 0 }];
                let mut keys = vec![0u64; new.len() * nb.max(1)];
                let lsh = (nb > 0).then_some(d.lsh);
                let (live, sizes): (Vec<bool>, Vec<u32>) = d.in_pool(|| {
                    let sketch = |scratch: &mut MinHashScratch, at, sig, keys: &mut [u64]| {
                        d.sketch_minhash(text(at), sized, lsh, scratch, sig, &mut keys[..nb])
                    };
                    if keep {
                        sigs.par_chunks_mut(k)
                            .zip(keys.par_chunks_mut(nb.max(1)))
                            .zip(new.par_iter())
                            .map_init(MinHashScratch::default, |scratch, ((sig, out), at)| {
                                sketch(scratch, at, Some(sig), out)
                            })
                            .unzip()
                    } else {
                        keys.par_chunks_mut(nb.max(1))
                            .zip(new.par_iter())
                            .map_init(MinHashScratch::default, |scratch, (out, at)| {
                                sketch(scratch, at, None, out)
                            })
                            .unzip()
                    }
                });
                let first = self.distinct - new.len();
                let live_new: Vec<u32> = (0..new.len() as u32)
                    .filter(|&i| live[i as usize])
                    .collect();
                d.in_pool(|| {
                    self.band_keys
                        .par_iter_mut()
                        .enumerate()
                        .for_each(|(b, band)| {
                            band.extend(live_new.iter().map(|&i| keys[i as usize * nb + b]));
                        });
                });
                debug_assert!(nb == 0 || self.band_keys[0].len() >= live_new.len());
                self.live_ids
                    .extend(live_new.iter().map(|&i| (first + i as usize) as u32));
                if sized {
                    self.sizes.extend_from_slice(&sizes);
                }
                match &mut self.sigs {
                    SigStore::None => {}
                    SigStore::Memory(all) => all.extend_from_slice(&sigs),
                    SigStore::File(w, path) => {
                        let w = w.as_mut().expect("open during the first pass");
                        for s in &sigs {
                            w.write_all(&s.to_le_bytes()).map_err(io_at(path))?;
                        }
                    }
                }
            }
            Method::SimHash { .. } => {
                let (fps, live): (Vec<u64>, Vec<bool>) = d.in_pool(|| {
                    new.par_iter()
                        .map_init(SimHashScratch::default, |scratch, at| {
                            let (fp, count) = d.simhasher.fingerprint_counted(text(at), scratch);
                            (fp, count > 0)
                        })
                        .unzip()
                });
                let first = self.distinct - new.len();
                self.live_ids.extend(
                    (0..new.len())
                        .filter(|&i| live[i])
                        .map(|i| (first + i) as u32),
                );
                self.fps.extend_from_slice(&fps);
            }
        }
        self.timings.signatures += lap(&mut clock);
        // Past the limit (less what the work in progress takes), the band keys and
        // the key map go to disk.
        if let Some(limit) = self.spill.limit
            && self.held_bytes() > limit.saturating_sub(self.spill.reserve)
        {
            if d.method == Method::MinHash {
                self.spill_run()?;
            }
            if let Some(disk) = &mut self.disk {
                disk.spill_keys(&mut self.seen)?;
            }
            self.timings.candidates += lap(&mut clock);
        }
        Ok(())
    }
}

/// Checks that the second pass meets paragraph `pid` as the first did (`first`).
fn check_paragraph(pid: usize, first: Option<&Paragraph>, p: &Paragraph) -> Result<()> {
    if first == Some(p) {
        return Ok(());
    }
    Err(ErrorKind::ReplayMismatch(format!(
        "paragraph {pid} (document {}, index {}) differs from the first pass",
        p.doc, p.index
    ))
    .into())
}

/// The shingle sets of the texts `wanted` (text id, raw text, the exact key the first
/// pass found), in order, computed in parallel; an error when a text's key differs
/// from the first pass's (the input changed).
fn replay_sets(d: &Deduper, wanted: &[(u32, &str, u128)]) -> Result<Vec<Vec<u64>>> {
    let seed = d.shingler.seed();
    let found: Vec<(Vec<u64>, u128)> = d.in_pool(|| {
        wanted
            .par_iter()
            .map_init(super::Scratch::default, |scratch, &(_, raw, _)| {
                let mut set = Vec::new();
                d.shingle_set(raw, scratch, &mut set);
                (set, crate::index::exact_key(&scratch.text, raw, seed))
            })
            .collect()
    });
    wanted
        .iter()
        .zip(found)
        .map(|(&(c, _, key), (set, replayed))| {
            if key == replayed {
                Ok(set)
            } else {
                Err(ErrorKind::ReplayMismatch(format!(
                    "the text of distinct paragraph {c} differs from the first pass"
                ))
                .into())
            }
        })
        .collect()
}

/// One batch of the second pass, for the in-memory and the disk replayer alike. The
/// batch's paragraphs are numbered from `next` on; `look(pid, p)` checks paragraph
/// `pid` against the first pass and says whether its text is wanted (the text id and
/// the exact key the first pass found); the sets of the wanted texts go to `keep` in
/// order; the progress counts the paragraphs.
fn replay_batch(
    d: &Deduper,
    progress: Option<&Progress>,
    next: &mut usize,
    pieces: &[Piece],
    split: &[Vec<Paragraph>],
    mut look: impl FnMut(usize, &Paragraph) -> Result<Option<(u32, u128)>>,
    mut keep: impl FnMut(u32, Vec<u64>) -> Result<()>,
) -> Result<()> {
    let mut wanted: Vec<(u32, &str, u128)> = Vec::new();
    for (pc, paras) in pieces.iter().zip(split) {
        for p in paras {
            let pid = *next;
            *next += 1;
            if let Some((c, key)) = look(pid, p)? {
                wanted.push((c, pc.text_of(p), key));
            }
        }
    }
    for (&(c, _, _), set) in wanted.iter().zip(replay_sets(d, &wanted)?) {
        keep(c, set)?;
    }
    if let Some(pr) = progress {
        pr.add(split.iter().map(Vec::len).sum::<usize>() as u64);
    }
    Ok(())
}

/// The second pass (exact verification): shingle sets of the involved texts.
struct Replayer<'d, 'c> {
    deduper: &'d Deduper,
    progress: Option<&'d Progress>,
    collected: &'c Collector<'d>,
    /// Slot of each distinct text (`u32::MAX`: not involved).
    slot: &'c [u32],
    /// The exact key of each involved text, by slot: the check that the second pass
    /// reads the same text.
    keys: &'c [u128],
    /// The sets found so far, by slot: the second pass meets the involved texts in
    /// slot order, since distinct texts are numbered by first occurrence.
    sets: SetArena,
    next: usize,
}

impl Sink for Replayer<'_, '_> {
    fn deduper(&self) -> &Deduper {
        self.deduper
    }

    fn process(
        &mut self,
        pieces: &[Piece],
        split: Vec<Vec<Paragraph>>,
        split_time: Duration,
    ) -> Result<()> {
        let _ = split_time; // counted in the verification stage, which this pass is
        let col = self.collected;
        let (slot, keys) = (self.slot, self.keys);
        let sets = &mut self.sets;
        let look = |pid: usize, p: &Paragraph| {
            check_paragraph(pid, col.paragraphs.get(pid), p)?;
            let c = col.canon_of[pid];
            let at = slot[c as usize];
            let first = col.canon[c as usize] as usize == pid;
            Ok((first && at != u32::MAX).then(|| (c, keys[at as usize])))
        };
        let keep = |c: u32, set: Vec<u64>| {
            assert_eq!(
                sets.len(),
                slot[c as usize] as usize,
                "involved texts come in slot order"
            );
            sets.push(&set);
            Ok(())
        };
        replay_batch(
            self.deduper,
            self.progress,
            &mut self.next,
            pieces,
            &split,
            look,
            keep,
        )
    }
}

impl Deduper {
    /// Runs `f` on this deduper's thread pool, if it has one.
    pub(super) fn in_pool<R: Send>(&self, f: impl FnOnce() -> R + Send) -> R {
        match &self.pool {
            Some(pool) => pool.install(f),
            None => f(),
        }
    }

    /// Finds the near-duplicate paragraphs of a corpus that `source` pushes into a
    /// [`Feed`], without holding the corpus in memory (see the
    /// [`stream`](crate::pipeline::stream) module docs). `source` is called once, or
    /// twice with [`Verification::Exact`] when there are candidate pairs to verify; it
    /// must push the same documents each time. The result equals [`Deduper::run`]'s
    /// on the same documents (timings aside), whatever the batch sizes and memory
    /// limit.
    ///
    /// # Errors
    /// What `source` returns; [`ErrorKind::InvalidStreamConfig`];
    /// [`ErrorKind::StreamUnsupported`] for the prefix filter, exhaustive search, and
    /// containment under a memory limit; [`ErrorKind::Io`] when spilling fails;
    /// [`ErrorKind::ReplayMismatch`]; [`ErrorKind::TooManyDocuments`] and
    /// [`ErrorKind::TooManyParagraphs`].
    pub fn run_stream<F>(&self, config: &StreamConfig, source: F) -> Result<Clusters>
    where
        F: FnMut(&mut Feed<'_>) -> Result<()>,
    {
        self.stream_observed(config, source, None)
    }

    /// [`run_stream`](Self::run_stream), updating `progress` as it goes.
    pub fn run_stream_with_progress<F>(
        &self,
        config: &StreamConfig,
        progress: &Progress,
        source: F,
    ) -> Result<Clusters>
    where
        F: FnMut(&mut Feed<'_>) -> Result<()>,
    {
        let result = self.stream_observed(config, source, Some(progress));
        progress.enter(Stage::Done, 0);
        result
    }

    fn stream_observed<F>(
        &self,
        config: &StreamConfig,
        mut source: F,
        progress: Option<&Progress>,
    ) -> Result<Clusters>
    where
        F: FnMut(&mut Feed<'_>) -> Result<()>,
    {
        config.check()?;
        match self.search {
            CandidateSearch::Lsh => {}
            CandidateSearch::PrefixFilter => {
                return Err(
                    ErrorKind::StreamUnsupported("the prefix-filter candidate search").into(),
                );
            }
            CandidateSearch::Exhaustive => {
                return Err(ErrorKind::StreamUnsupported("the exhaustive candidate search").into());
            }
        }
        let containment = self.similarity == Similarity::Containment;
        if containment && config.memory_limit.is_some() {
            return Err(
                ErrorKind::StreamUnsupported("containment similarity with a memory limit").into(),
            );
        }
        let spill = Spill {
            limit: config.memory_limit,
            reserve: disk::reserve(config),
            base: config.temp_dir.clone().unwrap_or_else(std::env::temp_dir),
            dir: None,
            runs: Vec::new(),
        };
        let minhash = self.method == Method::MinHash;
        let keep_sigs = minhash && (containment || self.verification == Verification::Signature);
        let mut col = Collector {
            deduper: self,
            progress,
            count: 0,
            distinct: 0,
            paragraphs: Blocks::new(),
            bytes: 0,
            canon_of: Blocks::new(),
            canon: Blocks::new(),
            seen: KeyMap::default(),
            disk: None,
            live_ids: Blocks::new(),
            band_keys: if minhash && !containment {
                (0..self.lsh.bands).map(|_| Blocks::new()).collect()
            } else {
                Vec::new()
            },
            sigs: SigStore::None,
            sizes: Vec::new(),
            fps: Vec::new(),
            spill,
            timings: StageTimings::default(),
        };
        if config.memory_limit.is_some() {
            col.disk = Some(disk::Disk::new(col.spill.dir()?)?);
        }
        if keep_sigs {
            col.sigs = if config.memory_limit.is_some() {
                let path = col.spill.dir()?.join("signatures.bin");
                let f = File::create(&path).map_err(io_at(&path))?;
                SigStore::File(Some(BufWriter::with_capacity(1 << 16, f)), path)
            } else {
                SigStore::Memory(Vec::new())
            };
        }

        // First pass.
        if let Some(p) = progress {
            p.enter(Stage::Signatures, 0);
        }
        let mut batcher = Batcher::new(self, config);
        source(&mut Feed {
            batcher: &mut batcher,
            sink: &mut col,
        })?;
        batcher.flush(&mut col)?;
        let documents = batcher.docs as usize;
        if col.disk.is_some() {
            return disk::finish(self, col, config, &mut source, documents, progress);
        }
        let mut clock = Instant::now();

        // Candidates.
        if let Some(p) = progress {
            p.enter(Stage::Candidates, 0);
        }
        let k = self.hasher.num_perm();
        let mut edges: Vec<(u32, u32)> = match self.method {
            Method::MinHash if containment => {
                let SigStore::Memory(sigs) = &col.sigs else {
                    unreachable!("containment keeps signatures in memory")
                };
                self.in_pool(|| {
                    self.containment_edges(
                        self.containment.as_ref(),
                        &col.live_ids.iter().copied().collect::<Vec<_>>(),
                        sigs,
                        k,
                        &col.sizes,
                    )
                })
            }
            Method::MinHash => {
                let bands = std::mem::take(&mut col.band_keys);
                let ids = &col.live_ids;
                self.in_pool(|| {
                    bands
                        .into_par_iter()
                        .map(|keys| {
                            let mut kv: Vec<(u64, u32)> = Vec::with_capacity(keys.len());
                            kv.extend(keys.into_iter().zip(ids.iter().copied()));
                            // `bucket_pairs` groups equal keys itself (counting sort on
                            // the top bits): no full sort here.
                            let mut edges = Vec::new();
                            bucket_pairs(&mut kv, ALL_PAIRS_BUCKET, &mut edges);
                            edges
                        })
                        .reduce(Vec::new, |mut a, mut b| {
                            a.append(&mut b);
                            a
                        })
                })
            }
            Method::SimHash { max_hamming } => {
                let max_hamming = max_hamming.min(crate::simhash::BITS);
                let live_fps: Vec<u64> =
                    col.live_ids.iter().map(|&c| col.fps[c as usize]).collect();
                let live = &col.live_ids;
                self.in_pool(|| super::hamming_edges(max_hamming, &live_fps, |i| live[i as usize]))
            }
        };
        self.in_pool(|| edges.par_sort_unstable());
        edges.dedup();
        col.live_ids = Blocks::new();
        col.band_keys = Vec::new();
        if self.verification != Verification::Exact {
            col.seen = KeyMap::default();
        }
        col.timings.candidates += lap(&mut clock);

        // Verification evidence.
        if let Some(p) = progress {
            p.enter(Stage::Verify, 0);
        }
        let distinct = col.canon.len();
        let involved = || {
            let mut slot = vec![u32::MAX; distinct];
            let mut ids: Vec<u32> = edges.iter().flat_map(|&(a, b)| [a, b]).collect();
            ids.sort_unstable();
            ids.dedup();
            for (i, &c) in ids.iter().enumerate() {
                slot[c as usize] = i as u32;
            }
            (slot, ids)
        };
        let evidence = match (self.verification, self.method) {
            (Verification::Exact, _) => {
                let (slot, ids) = involved();
                // The exact keys of the involved texts; the map of all goes.
                let mut keys = vec![0u128; ids.len()];
                for (&key, &c) in &std::mem::take(&mut col.seen) {
                    if let Some(&at) = slot.get(c as usize).filter(|&&at| at != u32::MAX) {
                        keys[at as usize] = key;
                    }
                }
                let mut sets = SetArena::default();
                if !ids.is_empty() {
                    let mut replay = Replayer {
                        deduper: self,
                        progress,
                        collected: &col,
                        slot: &slot,
                        keys: &keys,
                        sets: std::mem::take(&mut sets),
                        next: 0,
                    };
                    let mut batcher = Batcher::new(self, config);
                    source(&mut Feed {
                        batcher: &mut batcher,
                        sink: &mut replay,
                    })?;
                    batcher.flush(&mut replay)?;
                    if replay.next != col.paragraphs.len() || batcher.docs as usize != documents {
                        return Err(ErrorKind::ReplayMismatch(format!(
                            "the second pass gave {} paragraphs in {} documents, the first {} in {}",
                            replay.next,
                            batcher.docs,
                            col.paragraphs.len(),
                            documents
                        ))
                        .into());
                    }
                    sets = replay.sets;
                }
                Evidence::Sets { slot, sets }
            }
            (Verification::Signature, Method::SimHash { max_hamming }) => Evidence::Fingerprints {
                fps: &col.fps,
                max_hamming: max_hamming.min(crate::simhash::BITS),
            },
            (Verification::Signature, Method::MinHash) => match &col.sigs {
                SigStore::Memory(sigs) => Evidence::Signatures {
                    slot: None,
                    sigs,
                    k,
                },
                SigStore::File(..) => unreachable!("signatures go to a file in disk mode only"),
                SigStore::None => unreachable!("signature verification keeps signatures"),
            },
        };
        col.timings.verify += lap(&mut clock);
        let found = Found {
            documents,
            paragraphs: &col.paragraphs,
            bytes: col.bytes,
            canon_of: &col.canon_of,
            canon: &col.canon,
            edges,
            sizes: &col.sizes,
        };
        let clusters =
            self.in_pool(|| self.assemble(found, &evidence, col.timings, &mut clock, progress));
        Ok(clusters)
    }
}

/// Candidate pairs of one band from its sorted runs: a k-way merge by (key, id), ids
/// mapped by `map` (to their canonical ids: see [`disk`]) and deduplicated within each
/// bucket, buckets then handled as [`bucket_pairs`] handles them in memory.
fn merge_band(runs: &[(PathBuf, u64)], map: &dyn Fn(u32) -> u32) -> Result<Vec<(u32, u32)>> {
    let mut merge = disk::Merge::<12>::open(runs)?;
    let mut edges = Vec::new();
    let mut bucket: Vec<(u64, u32)> = Vec::new();
    let flush = |bucket: &mut Vec<(u64, u32)>, edges: &mut Vec<(u32, u32)>| {
        if bucket.len() > 1 {
            bucket.sort_unstable_by_key(|&(_, id)| id);
            bucket.dedup();
            bucket_pairs(bucket, ALL_PAIRS_BUCKET, edges);
        }
        bucket.clear();
    };
    while let Some(rec) = merge.next()? {
        let key = u64::from_be_bytes(rec[..8].try_into().expect("8 bytes"));
        let id = map(u32::from_be_bytes(rec[8..].try_into().expect("4 bytes")));
        if bucket.first().is_some_and(|&(k, _)| k != key) {
            flush(&mut bucket, &mut edges);
        }
        bucket.push((key, id));
    }
    flush(&mut bucket, &mut edges);
    Ok(edges)
}
