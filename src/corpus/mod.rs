//! Reading corpora: files, directories and standard input; plain text and JSONL;
//! gzip decompressed on the fly; every document with its provenance.
//!
//! [`CorpusReader::read`] turns paths into a [`Corpus`]: the [`Document`]s to hand to
//! [`Deduper::run_documents`](crate::Deduper::run_documents) (document id = index into
//! [`Corpus::documents`]), the [`Source`] each came from, and what it takes to write a
//! source back byte for byte with some paragraphs cut out
//! ([`report::rewrite`](crate::report::rewrite)).
//!
//! [`CorpusReader::scan`] reads the same inputs by the same rules without holding
//! them, for [`Deduper::run_stream`](crate::Deduper::run_stream): see [`stream`].
//!
//! # Rules
//! - **Paths**: a file; a directory, read recursively in sorted path order (symbolic
//!   links followed, each directory once); `-` for standard input. A path that does
//!   not exist is a [`ReadError`] before anything is read.
//! - **Compression**, recognized by its magic bytes, whatever the name: gzip is
//!   decompressed on the fly (multi-member files too). zstd is recognized and reported
//!   as unsupported: decompress it first (`zstd -dc FILE | dedup -`).
//! - **Format**: [`InputFormat::Auto`] reads names ending in `.jsonl` or `.ndjson`
//!   (after a `.gz` suffix) as JSONL and everything else, standard input included, as
//!   plain text.
//! - **Text**: each file is one document.
//! - **JSONL**: each line that is a JSON object with a string text field is one
//!   document (its *record*, numbered from 0 by line). Its id is the id field's value
//!   (a string, or a number's text); without one, `NAME:LINE` (1-based line). Blank
//!   lines are skipped.
//!
//! # Problems
//! Nothing is dropped silently. Each [`Problem`] is pushed to the caller's callback as
//! it happens, kept in [`Corpus::problems`] and counted in [`ReadStats`]:
//! - a file or directory that cannot be read, or a corrupt gzip stream: the file is
//!   skipped ([`ProblemKind::Unreadable`], an error);
//! - a file with a NUL byte: skipped as binary ([`ProblemKind::Binary`], an error:
//!   its paragraphs go unread; reading it stops at the first NUL, so `/dev/zero`
//!   ends at once). [`Corpus::skipped`] lists such files, so that a rewritten tree
//!   can copy them unchanged;
//! - invalid UTF-8: decoded lossily (U+FFFD) for hashing and kept as it was for
//!   writing back ([`ProblemKind::InvalidUtf8`], a note, one per file);
//! - a JSONL line that is not an object with a string text field: skipped and left as
//!   it is in rewritten output ([`ProblemKind::Malformed`], an error; the first
//!   [`MAX_REPORTED_LINES`] of a file are reported one by one, then one line with the
//!   rest of the count);
//! - a file reached twice (two paths, a link, a file inside a directory also given)
//!   is read once, anything but a regular file inside a directory (a FIFO, a device)
//!   is left out, and so are files that paradup wrote (temporary outputs ending in
//!   [`TEMP_SUFFIX`](crate::fsio::TEMP_SUFFIX), files listed in a directory's
//!   [`OUTPUTS_LIST`]): [`ProblemKind::Skipped`], a note.

mod json;
mod jsonl;
mod load;
mod notes;
mod offsets;
mod paragraphs;
mod plan;
mod reader;
pub mod stream;

pub(crate) use jsonl::Record;
use jsonl::*;
use load::*;
use notes::*;
pub use paragraphs::Distinct;
pub use plan::{OUTPUTS_LIST, PlannedFile, plan_files};
use plan::{Planned, is_jsonl_name, plan};
pub(crate) use plan::{listed_outputs, path_name};
pub use reader::CorpusReader;

use crate::fsio::FileId;
use offsets::{OffsetMap, decode_lossy};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::fs;
use std::io::{self, Read};
use std::ops::Range;
use std::path::{Path, PathBuf};
#[cfg(test)]
pub(crate) use stream::tests::inputs as stream_test_inputs;

/// A corpus of in-memory files `(name, text)`, read with the default reader (tests).
#[cfg(test)]
pub(crate) fn test_corpus(files: &[(&str, &str)]) -> Corpus {
    let inputs: Vec<Input> = files
        .iter()
        .map(|(name, text)| Input::Bytes {
            name: name.to_string(),
            bytes: text.as_bytes().to_vec(),
        })
        .collect();
    CorpusReader::new().read(&inputs, |_| {}).unwrap()
}
pub use stream::{MemberTexts, StreamCorpus};

/// Malformed JSONL lines reported one by one per file; the rest are counted.
pub const MAX_REPORTED_LINES: usize = 10;

/// How to read each input.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum InputFormat {
    /// By name: `.jsonl` and `.ndjson` (before a `.gz`) are JSONL, the rest text. The
    /// default.
    #[default]
    Auto,
    /// Plain text: one document per file.
    Text,
    /// JSON Lines: one document per record.
    Jsonl,
}

/// The compression of a source, recognized by its magic bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Compression {
    /// Not compressed.
    None,
    /// gzip (RFC 1952).
    Gzip,
}

/// One input to read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// A file, or a directory read recursively.
    Path(PathBuf),
    /// Standard input, named `-` (at most once).
    Stdin,
    /// Bytes in memory, under a name (which picks the format as a file name would).
    Bytes {
        /// The name shown in reports; its last component is the output name.
        name: String,
        /// The contents, possibly compressed.
        bytes: Vec<u8>,
    },
}

impl Input {
    /// `-` is standard input, anything else a path.
    pub fn from_arg(arg: impl Into<PathBuf>) -> Input {
        let path = arg.into();
        if path.as_os_str() == "-" {
            Input::Stdin
        } else {
            Input::Path(path)
        }
    }
}

/// An error that stops reading before anything is read.
#[derive(Debug)]
pub struct ReadError {
    kind: ReadErrorKind,
}

/// What stopped reading.
#[derive(Debug)]
#[non_exhaustive]
pub enum ReadErrorKind {
    /// A path given as input does not exist.
    NotFound(PathBuf),
    /// Standard input (`-`) was given more than once.
    StdinTwice,
}

impl ReadError {
    /// What stopped reading.
    pub fn kind(&self) -> &ReadErrorKind {
        &self.kind
    }
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ReadErrorKind::NotFound(p) => write!(f, "{}: no such file or directory", p.display()),
            ReadErrorKind::StdinTwice => write!(f, "standard input (-) given more than once"),
        }
    }
}

impl std::error::Error for ReadError {}

/// What kind of [`Problem`] an input had.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ProblemKind {
    /// A file or directory could not be read; skipped. An error.
    Unreadable,
    /// A file holds a NUL byte; skipped as binary. A note.
    Binary,
    /// Invalid UTF-8, decoded lossily for hashing and kept for writing back. A note.
    InvalidUtf8,
    /// A JSONL line that is not an object with a string text field; skipped. An error.
    Malformed,
    /// A text file with carriage returns not followed by a line feed (old Mac line
    /// ends), which are not line breaks: such a file reads as one line. A note.
    LoneCarriageReturn,
    /// A file left out on purpose: the same file as an input before it (a second path,
    /// a link, a file inside a directory also given), something other than a regular
    /// file inside a directory (a FIFO, a device, a socket), or a file that paradup
    /// wrote (a temporary output, or one listed in the directory's
    /// [`OUTPUTS_LIST`]). A note.
    Skipped,
}

/// Something wrong with one input, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// What went wrong.
    pub kind: ProblemKind,
    /// The file (as named in reports), or `-` for standard input.
    pub source: String,
    /// 1-based line, where one applies.
    pub line: Option<u64>,
    /// Byte offset in the (decompressed) file, where one applies.
    pub offset: Option<u64>,
    /// What happened and what was done about it.
    pub message: String,
}

impl Problem {
    /// Whether data went unread (an unreadable or binary file, a malformed line), as
    /// opposed to a note (lossy decoding, a file left out on purpose).
    pub fn is_error(&self) -> bool {
        matches!(
            self.kind,
            ProblemKind::Unreadable | ProblemKind::Binary | ProblemKind::Malformed
        )
    }
}

impl fmt::Display for Problem {
    /// `SOURCE:LINE: MESSAGE (byte OFFSET)`, leaving out what does not apply.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.source)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(offset) = self.offset {
            write!(f, " (byte {offset})")?;
        }
        Ok(())
    }
}

/// Something that happened while reading, pushed to the caller as it happens.
#[derive(Debug)]
#[non_exhaustive]
pub enum Event<'a> {
    /// Bytes read so far from disk (compressed bytes for compressed files), and the
    /// total when it is known (it is not with standard input).
    Progress {
        /// Bytes read so far.
        done: u64,
        /// Total bytes to read, when known.
        total: Option<u64>,
    },
    /// A problem with an input (also kept in [`Corpus::problems`]).
    Problem(&'a Problem),
}

/// Counts from reading a corpus.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReadStats {
    /// Sources read (files, standard input, in-memory inputs).
    pub sources: usize,
    /// Documents: one per text source, one per JSONL record.
    pub documents: usize,
    /// Bytes of the sources read, after decompression.
    pub bytes: u64,
    /// Files and directories skipped because they could not be read.
    pub unreadable: usize,
    /// Files skipped as binary.
    pub binary: usize,
    /// JSONL lines skipped as malformed.
    pub malformed: usize,
    /// Documents (text sources or JSONL records) with invalid UTF-8.
    pub invalid_utf8: usize,
}

impl ReadStats {
    /// Data skipped because of errors: unreadable and binary files plus malformed
    /// lines.
    pub fn errors(&self) -> usize {
        self.unreadable + self.binary + self.malformed
    }
}

/// Where one input came from.
#[derive(Clone, Debug)]
pub struct Source {
    name: String,
    path: Option<PathBuf>,
    relative: PathBuf,
    format: InputFormat,
    compression: Compression,
    documents: Range<usize>,
    original: Original,
    id: Option<FileId>,
}

/// An input skipped as binary, for outputs that copy it unchanged
/// ([`Corpus::skipped`]).
#[derive(Clone, Debug)]
pub struct SkippedFile {
    /// The name used in reports.
    pub name: String,
    /// Its path under an output directory (as [`Source::relative`]).
    pub relative: PathBuf,
    /// Where to copy it from: its path, and its identity when it was read (a file
    /// that is no longer that file is not copied).
    pub path: Option<(PathBuf, Option<FileId>)>,
    /// Its bytes, for an in-memory input ([`Input::Bytes`]).
    pub bytes: Option<Vec<u8>>,
}

/// The bytes a source was read from, after decompression.
#[derive(Clone, Debug)]
enum Original {
    /// A text source in valid UTF-8: the document's text is the original.
    Text,
    /// The original bytes.
    Bytes(Vec<u8>),
    /// Not kept ([`CorpusReader::keep_original`]).
    Dropped,
}

impl Source {
    /// The name used in reports: the path as found, `-` for standard input.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The file, unless the source is standard input or in memory.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The path under an output directory: a file's name, the path inside a directory
    /// given as input, `stdin` (`stdin.jsonl`, `.gz` added when compressed) for
    /// standard input.
    pub fn relative(&self) -> &Path {
        &self.relative
    }

    /// The format it was read as ([`InputFormat::Text`] or [`InputFormat::Jsonl`]).
    pub fn format(&self) -> InputFormat {
        self.format
    }

    /// Its compression.
    pub fn compression(&self) -> Compression {
        self.compression
    }

    /// Its documents: indices into [`Corpus::documents`].
    pub fn documents(&self) -> Range<usize> {
        self.documents.clone()
    }

    /// The identity (device and inode) of the file it was read from, if a file.
    pub fn file_id(&self) -> Option<&FileId> {
        self.id.as_ref()
    }
}

/// One document: a text file, or one JSONL record.
#[derive(Clone, Debug)]
pub struct Document {
    source: u32,
    record: Option<u64>,
    id: Option<String>,
    text: String,
    origin: Origin,
}

#[derive(Clone, Debug)]
enum Origin {
    /// A whole text source; a map back to the bytes when they were not valid UTF-8.
    Text(Option<OffsetMap>),
    /// A JSONL record: its line in the source (without the terminator), and the text
    /// field's literal in the line (in the line's lossily decoded form).
    Jsonl {
        line: Range<usize>,
        literal: Range<usize>,
    },
}

impl Document {
    /// The text (lossily decoded where the input was not valid UTF-8).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Index of its source in [`Corpus::sources`].
    pub fn source(&self) -> usize {
        self.source as usize
    }

    /// For a JSONL record, its 0-based line in the file.
    pub fn record(&self) -> Option<u64> {
        self.record
    }

    /// For a JSONL record, its id (or `NAME:LINE` when it has none).
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// For a JSONL record, the byte span of its line in the source's original bytes,
    /// without the line terminator (`\n`; a `\r` before it is inside the span).
    pub fn line_span(&self) -> Option<Range<usize>> {
        match &self.origin {
            Origin::Jsonl { line, .. } => Some(line.clone()),
            Origin::Text(_) => None,
        }
    }
}

impl AsRef<str> for Document {
    fn as_ref(&self) -> &str {
        &self.text
    }
}

/// Maps byte offsets in a [`Document`]'s text to offsets in its source's original
/// bytes, from [`Corpus::locator`].
#[derive(Clone, Debug)]
pub struct Locator<'a> {
    line_start: usize,
    json: Option<OffsetMap>,
    lossy: Option<Cow<'a, OffsetMap>>,
}

impl Locator<'_> {
    /// The locator of a JSONL record's text: `raw` is its line (without the
    /// terminator) at byte `line_start` of the source, `literal` the text field's span
    /// in the line's lossily decoded form.
    pub(crate) fn of_jsonl_line(
        raw: &[u8],
        line_start: usize,
        literal: Range<usize>,
    ) -> Option<Locator<'static>> {
        let (line_text, lossy) = match std::str::from_utf8(raw) {
            Ok(s) => (Cow::Borrowed(s), None),
            Err(_) => {
                let (text, map, _, _) = decode_lossy(raw);
                (Cow::Owned(text), Some(Cow::Owned(map)))
            }
        };
        let mut map = OffsetMap::starting_at(0);
        let lit = line_text.get(literal.clone())?;
        json::decode_string(lit, literal.start, Some(&mut map)).ok()?;
        Some(Locator {
            line_start,
            json: Some(map),
            lossy,
        })
    }

    /// The offset in the source's original (decompressed) bytes of text offset `pos`.
    /// Exact at paragraph boundaries and line breaks.
    pub fn original_offset(&self, pos: usize) -> usize {
        let pos = self.json.as_ref().map_or(pos, |m| m.map(pos));
        let pos = self.lossy.as_ref().map_or(pos, |m| m.map(pos));
        self.line_start + pos
    }
}

/// Documents read from a set of inputs, with their sources and what went wrong.
#[derive(Clone, Debug, Default)]
pub struct Corpus {
    sources: Vec<Source>,
    skipped: Vec<SkippedFile>,
    documents: Vec<Document>,
    problems: Vec<Problem>,
    stats: ReadStats,
}

impl Corpus {
    /// The documents, in input order: sources in order, records in file order.
    pub fn documents(&self) -> &[Document] {
        &self.documents
    }

    /// The sources read, in input order (skipped files are not among them).
    pub fn sources(&self) -> &[Source] {
        &self.sources
    }

    /// The files skipped as binary, in input order.
    pub fn skipped(&self) -> &[SkippedFile] {
        &self.skipped
    }

    /// The source of document `doc`.
    ///
    /// # Panics
    /// If `doc` is out of range.
    pub fn source_of(&self, doc: usize) -> &Source {
        &self.sources[self.documents[doc].source as usize]
    }

    /// The name of document `doc` in reports: a JSONL record's id, else its source's
    /// name.
    ///
    /// # Panics
    /// If `doc` is out of range.
    pub fn name_of(&self, doc: usize) -> &str {
        let d = &self.documents[doc];
        d.id.as_deref()
            .unwrap_or(&self.sources[d.source as usize].name)
    }

    /// Every problem met, in order.
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }

    /// Counts.
    pub fn stats(&self) -> &ReadStats {
        &self.stats
    }

    /// The original (decompressed) bytes of source `source`, unless they were not kept.
    ///
    /// # Panics
    /// If `source` is out of range.
    pub fn original(&self, source: usize) -> Option<&[u8]> {
        let s = &self.sources[source];
        match &s.original {
            Original::Text => Some(self.documents[s.documents.start].text.as_bytes()),
            Original::Bytes(b) => Some(b),
            Original::Dropped => None,
        }
    }

    /// The map from document `doc`'s text offsets to its source's original bytes;
    /// `None` when the original bytes of a JSONL source were not kept.
    ///
    /// # Panics
    /// If `doc` is out of range.
    pub fn locator(&self, doc: usize) -> Option<Locator<'_>> {
        let d = &self.documents[doc];
        match &d.origin {
            Origin::Text(map) => Some(Locator {
                line_start: 0,
                json: None,
                lossy: map.as_ref().map(Cow::Borrowed),
            }),
            Origin::Jsonl { line, literal } => {
                let raw = &self.original(d.source as usize)?[line.clone()];
                Locator::of_jsonl_line(raw, line.start, literal.clone())
            }
        }
    }

    /// Skips a source as binary: its first NUL byte is at `offset`, on `line`.
    fn skip_binary(
        &mut self,
        source: Source,
        raw: Option<Vec<u8>>,
        offset: u64,
        line: u64,
        on_event: &mut dyn FnMut(Event<'_>),
    ) {
        self.report(
            Problem {
                kind: ProblemKind::Binary,
                source: source.name.clone(),
                line: Some(line),
                offset: Some(offset),
                message: "binary file (NUL byte), skipped".to_string(),
            },
            on_event,
        );
        self.skipped.push(SkippedFile {
            name: source.name,
            relative: source.relative,
            path: source.path.map(|p| (p, source.id)),
            bytes: raw,
        });
    }

    fn report(&mut self, problem: Problem, on_event: &mut dyn FnMut(Event<'_>)) {
        match problem.kind {
            ProblemKind::Unreadable => self.stats.unreadable += 1,
            ProblemKind::Binary => self.stats.binary += 1,
            ProblemKind::InvalidUtf8
            | ProblemKind::Malformed
            | ProblemKind::Skipped
            | ProblemKind::LoneCarriageReturn => {}
        }
        on_event(Event::Problem(&problem));
        self.problems.push(problem);
    }
}

#[cfg(test)]
mod tests;
