//! Reading corpora: files, directories and standard input; plain text and JSONL;
//! gzip decompressed on the fly; every document with its provenance.
//!
//! [`CorpusReader::read`] turns paths into a [`Corpus`]: the [`Document`]s to hand to
//! [`Deduper::run`](crate::Deduper::run) (document id = index into
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
mod offsets;
pub mod stream;

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

/// Reads inputs into a [`Corpus`]; see the [module docs](self) for the rules.
///
/// ```
/// use paradup::corpus::{CorpusReader, Input};
///
/// let jsonl = br#"{"id":"a","text":"One.\n\nTwo."}
/// not json
/// {"text":"Three."}
/// "#;
/// let inputs = [Input::Bytes { name: "x.jsonl".into(), bytes: jsonl.to_vec() }];
/// let corpus = CorpusReader::new().read(&inputs, |_| {}).unwrap();
/// assert_eq!(corpus.documents().len(), 2);
/// assert_eq!(corpus.documents()[0].text(), "One.\n\nTwo.");
/// assert_eq!(corpus.name_of(1), "x.jsonl:3");
/// assert_eq!(corpus.stats().malformed, 1);
/// assert_eq!(corpus.problems()[0].to_string(), "x.jsonl:2: malformed JSON record (expected ident at line 1 column 2), skipped (byte 33)");
/// ```
#[derive(Clone, Debug)]
pub struct CorpusReader {
    format: InputFormat,
    text_field: String,
    id_field: String,
    keep_original: bool,
    spool_dir: Option<PathBuf>,
    threads: usize,
}

impl Default for CorpusReader {
    fn default() -> CorpusReader {
        CorpusReader {
            format: InputFormat::Auto,
            text_field: "text".to_string(),
            id_field: "id".to_string(),
            keep_original: true,
            spool_dir: None,
            threads: 1,
        }
    }
}

/// A file found, not read yet.
enum Planned {
    File {
        path: PathBuf,
        relative: PathBuf,
        /// A regular file (else a FIFO, a device: read once, like standard input).
        regular: bool,
        /// Its size when planned (0 if not regular).
        size: u64,
    },
    Stdin,
    Bytes {
        name: String,
        bytes: Vec<u8>,
    },
}

impl CorpusReader {
    /// A reader with the defaults.
    pub fn new() -> CorpusReader {
        CorpusReader::default()
    }

    /// How to read inputs. Default: [`InputFormat::Auto`].
    pub fn format(&mut self, format: InputFormat) -> &mut Self {
        self.format = format;
        self
    }

    /// The JSONL field holding the text. Default: `text`.
    pub fn text_field(&mut self, name: &str) -> &mut Self {
        self.text_field = name.to_string();
        self
    }

    /// The JSONL field holding the id. Default: `id`.
    pub fn id_field(&mut self, name: &str) -> &mut Self {
        self.id_field = name.to_string();
        self
    }

    /// Whether to keep the original bytes of JSONL sources and of text sources that
    /// are not valid UTF-8, which writing back needs. Text sources in valid UTF-8 are
    /// their own original and cost nothing. Default: true.
    pub fn keep_original(&mut self, keep: bool) -> &mut Self {
        self.keep_original = keep;
        self
    }

    /// Tasks that read a large plain file (8 MiB or more, not compressed), a megabyte
    /// piece at a time by positional reads, so that the kernel's copy, the page faults
    /// of the buffer and the UTF-8 check are shared out. They run on the current rayon
    /// pool (the calling thread runs one), so at most as many run at once as the pool
    /// has threads. The result is the same for any count. Default: 1.
    ///
    /// Measured (`dedup` on the 48 MB corpus, `--stats-json`, Linux 6.18, 20 runs):
    /// reading on one thread 0.035 s best, 0.037 s median; on two 0.018 and 0.021 s.
    pub fn threads(&mut self, threads: usize) -> &mut Self {
        self.threads = threads.max(1);
        self
    }

    /// Reads `inputs` in order, pushing progress and problems to `on_event`.
    ///
    /// Errors, before anything is read: a path that does not exist, or `-` twice.
    /// Everything else is a [`Problem`] and reading goes on.
    pub fn read(
        &self,
        inputs: &[Input],
        mut on_event: impl FnMut(Event<'_>),
    ) -> Result<Corpus, ReadError> {
        let on_event: &mut dyn FnMut(Event<'_>) = &mut on_event;
        let mut corpus = Corpus::default();
        let (planned, mut progress) = plan(inputs, &mut corpus, on_event)?;
        for p in planned {
            let (name, path, relative, loaded, id, bytes) = match p {
                Planned::File { path, relative, .. } => {
                    let name = path_name(&path);
                    let mut id = None;
                    let loaded = fs::File::open(&path)
                        .map_err(|e| e.to_string())
                        .and_then(|f| {
                            let meta = f.metadata().ok();
                            id = meta.as_ref().and_then(|m| FileId::from_metadata(&path, m));
                            let size = meta.filter(fs::Metadata::is_file).map_or(0, |m| m.len());
                            match load_pieces(&f, size, self.threads) {
                                Some(content) => {
                                    progress.done += size;
                                    progress.report(on_event, false);
                                    Ok((content, Compression::None))
                                }
                                None => load(f, size, &mut progress, on_event)
                                    .map(|(b, c)| (Content::Bytes(b), c)),
                            }
                        });
                    (name, Some(path), relative, loaded, id, None)
                }
                Planned::Stdin => {
                    let loaded = load(io::stdin().lock(), 0, &mut progress, on_event)
                        .map(|(b, c)| (Content::Bytes(b), c));
                    let compression = match loaded {
                        Ok((_, c)) => c,
                        Err(_) => Compression::None,
                    };
                    let relative = stdin_relative(self.format, compression);
                    ("-".to_string(), None, relative, loaded, None, None)
                }
                Planned::Bytes { name, bytes } => {
                    let relative = Path::new(&name)
                        .file_name()
                        .map_or_else(|| PathBuf::from("input"), PathBuf::from);
                    let loaded = load(&bytes[..], bytes.len() as u64, &mut progress, on_event)
                        .map(|(b, c)| (Content::Bytes(b), c));
                    (name, None, relative, loaded, None, Some(bytes))
                }
            };
            match loaded {
                Err(message) => corpus.report(
                    Problem {
                        kind: ProblemKind::Unreadable,
                        source: name,
                        line: None,
                        offset: None,
                        message: format!("{message}; skipped"),
                    },
                    on_event,
                ),
                Ok((content, compression)) => {
                    let source = Source {
                        name,
                        path,
                        relative,
                        format: InputFormat::Auto,
                        compression,
                        documents: 0..0,
                        original: Original::Dropped,
                        id,
                    };
                    self.add_source(&mut corpus, source, content, bytes, on_event);
                }
            }
        }
        progress.report(on_event, true);
        corpus.stats.documents = corpus.documents.len();
        Ok(corpus)
    }

    /// Adds one loaded source (or skips it as binary; `raw`: an in-memory input's
    /// bytes, kept if it is skipped).
    fn add_source(
        &self,
        corpus: &mut Corpus,
        mut source: Source,
        content: Content,
        raw: Option<Vec<u8>>,
        on_event: &mut dyn FnMut(Event<'_>),
    ) {
        let bytes = content.as_bytes();
        if !content.nul_free()
            && let Some(nul) = memchr::memchr(0, bytes)
        {
            let line = 1 + bytes[..nul].iter().filter(|&&b| b == b'\n').count() as u64;
            corpus.skip_binary(source, raw, nul as u64, line, on_event);
            return;
        }
        source.format = match self.format {
            InputFormat::Auto if is_jsonl_name(&source.relative) => InputFormat::Jsonl,
            InputFormat::Auto => InputFormat::Text,
            f => f,
        };
        let index = corpus.sources.len() as u32;
        let first = corpus.documents.len();
        corpus.stats.sources += 1;
        corpus.stats.bytes += bytes.len() as u64;
        match source.format {
            InputFormat::Jsonl => {
                let bytes = content.into_bytes();
                self.add_records(corpus, index, &source.name, &bytes, on_event);
                source.original = if self.keep_original {
                    Original::Bytes(bytes)
                } else {
                    Original::Dropped
                };
            }
            _ => {
                let crs = lone_crs(bytes).map(|(count, first)| {
                    let line = 1 + memchr::memchr_iter(b'\n', &bytes[..first]).count() as u64;
                    lone_cr_note(&source.name, line, count, first)
                });
                let checked = match content {
                    Content::Checked(checked, _) => checked,
                    Content::Bytes(bytes) => crate::arch::utf8_string(bytes, self.threads),
                };
                let (text, map) = match checked {
                    Ok(text) => {
                        source.original = Original::Text;
                        (text, None)
                    }
                    Err(e) => {
                        let bytes = e.into_bytes();
                        let (text, map, count, first_bad) = decode_lossy(&bytes);
                        corpus.stats.invalid_utf8 += 1;
                        corpus.report(
                            invalid_utf8(&source.name, &bytes, count, first_bad),
                            on_event,
                        );
                        source.original = if self.keep_original {
                            Original::Bytes(bytes)
                        } else {
                            Original::Dropped
                        };
                        (text, Some(map))
                    }
                };
                if let Some(note) = crs {
                    corpus.report(note, on_event);
                }
                corpus.documents.push(Document {
                    source: index,
                    record: None,
                    id: None,
                    text,
                    origin: Origin::Text(map),
                });
            }
        }
        source.documents = first..corpus.documents.len();
        corpus.sources.push(source);
    }

    /// The records of a JSONL source.
    fn add_records(
        &self,
        corpus: &mut Corpus,
        source: u32,
        name: &str,
        bytes: &[u8],
        on_event: &mut dyn FnMut(Event<'_>),
    ) {
        let mut lines = JsonlLines::new(self, name);
        let mut pos = 0;
        while pos < bytes.len() {
            let end = bytes[pos..]
                .iter()
                .position(|&b| b == b'\n')
                .map_or(bytes.len(), |i| pos + i);
            let start = pos;
            pos = end + 1;
            if let Some(r) = lines.line(&bytes[start..end], start) {
                corpus.documents.push(Document {
                    source,
                    record: Some(r.record),
                    id: Some(r.id),
                    text: r.text,
                    origin: Origin::Jsonl {
                        line: start..end,
                        literal: r.literal,
                    },
                });
            }
        }
        let done = lines.finish();
        corpus.stats.malformed += done.malformed;
        corpus.stats.invalid_utf8 += done.invalid_utf8;
        for p in done.problems {
            corpus.report(p, on_event);
        }
    }

    /// A JSONL line → (id, text, span of the text literal in the line).
    #[allow(clippy::type_complexity)]
    fn parse_record(&self, line: &str) -> Result<(Option<String>, String, Range<usize>), String> {
        let fields: HashMap<String, &RawValue> =
            serde_json::from_str(line).map_err(|e| format!("malformed JSON record ({e})"))?;
        let raw = fields
            .get(&self.text_field)
            .ok_or_else(|| format!("no {:?} field", self.text_field))?;
        let lit = raw.get();
        let start = lit.as_ptr() as usize - line.as_ptr() as usize;
        let literal = start..start + lit.len();
        if line.get(literal.clone()) != Some(lit) || !lit.starts_with('"') {
            return Err(format!("field {:?} is not a string", self.text_field));
        }
        let text = json::decode_string(lit, 0, None)
            .map_err(|e| format!("field {:?}: {e}", self.text_field))?;
        let id = fields.get(&self.id_field).and_then(|raw| {
            let v = raw.get();
            if v.starts_with('"') {
                json::decode_string(v, 0, None).ok()
            } else if v == "null" {
                None
            } else {
                Some(v.to_string())
            }
        });
        Ok((id, text, literal))
    }
}

/// A JSONL record found by [`JsonlLines::line`].
pub(crate) struct Record {
    /// 0-based line in the file.
    pub(crate) record: u64,
    /// Its id, or `NAME:LINE`.
    pub(crate) id: String,
    /// The decoded text field.
    pub(crate) text: String,
    /// The text field's literal in the line (lossily decoded).
    pub(crate) literal: Range<usize>,
}

/// What reading a JSONL source's lines found besides records.
pub(crate) struct JsonlDone {
    pub(crate) malformed: usize,
    /// Records with invalid UTF-8.
    pub(crate) invalid_utf8: usize,
    /// Malformed lines (the first [`MAX_REPORTED_LINES`], then a count) and invalid
    /// UTF-8, in the order to report them.
    pub(crate) problems: Vec<Problem>,
}

/// The lines of one JSONL source, in order: the one parser of records, for reading
/// into memory and for streaming.
pub(crate) struct JsonlLines<'r> {
    reader: &'r CorpusReader,
    name: &'r str,
    next: u64,
    malformed: usize,
    lossy_lines: usize,
    invalid_utf8: usize,
    first_lossy: Option<(u64, usize, usize)>,
    problems: Vec<Problem>,
}

impl<'r> JsonlLines<'r> {
    pub(crate) fn new(reader: &'r CorpusReader, name: &'r str) -> JsonlLines<'r> {
        JsonlLines {
            reader,
            name,
            next: 0,
            malformed: 0,
            lossy_lines: 0,
            invalid_utf8: 0,
            first_lossy: None,
            problems: Vec::new(),
        }
    }

    /// The next line (without its `\n`), which starts at byte `start` of the source:
    /// its record, or `None` for a blank or malformed line.
    pub(crate) fn line(&mut self, line: &[u8], start: usize) -> Option<Record> {
        let this = self.next;
        self.next += 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            return None;
        }
        let text: Cow<'_, str> = match std::str::from_utf8(line) {
            Ok(s) => Cow::Borrowed(s),
            Err(_) => {
                let (text, _, count, first) = decode_lossy(line);
                self.lossy_lines += 1;
                self.first_lossy
                    .get_or_insert((this + 1, start + first, count));
                Cow::Owned(text)
            }
        };
        match self.reader.parse_record(&text) {
            Ok((id, doc_text, literal)) => {
                if matches!(text, Cow::Owned(_)) {
                    self.invalid_utf8 += 1;
                }
                Some(Record {
                    record: this,
                    id: id.unwrap_or_else(|| format!("{}:{}", self.name, this + 1)),
                    text: doc_text,
                    literal,
                })
            }
            Err(message) => {
                self.malformed += 1;
                if self.malformed <= MAX_REPORTED_LINES {
                    self.problems.push(Problem {
                        kind: ProblemKind::Malformed,
                        source: self.name.to_string(),
                        line: Some(this + 1),
                        offset: Some(start as u64),
                        message: format!("{message}, skipped"),
                    });
                }
                None
            }
        }
    }

    pub(crate) fn finish(mut self) -> JsonlDone {
        let name = self.name;
        if self.malformed > MAX_REPORTED_LINES {
            self.problems.push(Problem {
                kind: ProblemKind::Malformed,
                source: name.to_string(),
                line: None,
                offset: None,
                message: format!(
                    "{} more malformed lines, skipped (the first {MAX_REPORTED_LINES} are reported above)",
                    self.malformed - MAX_REPORTED_LINES
                ),
            });
        }
        if let Some((line, offset, count)) = self.first_lossy {
            let lossy_lines = self.lossy_lines;
            self.problems.push(Problem {
                kind: ProblemKind::InvalidUtf8,
                source: name.to_string(),
                line: Some(line),
                offset: Some(offset as u64),
                message: format!(
                    "invalid UTF-8 in {lossy_lines} line{} ({count} sequence{} in the first), \
                     decoded lossily for hashing; rewritten output keeps the original bytes",
                    plural(lossy_lines),
                    plural(count)
                ),
            });
        }
        JsonlDone {
            malformed: self.malformed,
            invalid_utf8: self.invalid_utf8,
            problems: self.problems,
        }
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn invalid_utf8(name: &str, bytes: &[u8], count: usize, first: usize) -> Problem {
    let line = 1 + bytes[..first].iter().filter(|&&b| b == b'\n').count() as u64;
    invalid_utf8_at(name, line, count, first)
}

/// The note for a text source with `count` invalid sequences, the first at byte
/// `first` on line `line`.
fn invalid_utf8_at(name: &str, line: u64, count: usize, first: usize) -> Problem {
    Problem {
        kind: ProblemKind::InvalidUtf8,
        source: name.to_string(),
        line: Some(line),
        offset: Some(first as u64),
        message: format!(
            "invalid UTF-8 ({count} sequence{}), decoded lossily for hashing; rewritten output \
             keeps the original bytes",
            plural(count)
        ),
    }
}

/// The carriage returns of `bytes` not followed by a line feed: how many, and the
/// first one's offset.
fn lone_crs(bytes: &[u8]) -> Option<(usize, usize)> {
    let mut found = memchr::memchr_iter(b'\r', bytes).filter(|&i| bytes.get(i + 1) != Some(&b'\n'));
    let first = found.next()?;
    Some((1 + found.count(), first))
}

/// The note for a text source with `count` lone carriage returns, the first at byte
/// `first` on line `line`.
fn lone_cr_note(name: &str, line: u64, count: usize, first: usize) -> Problem {
    Problem {
        kind: ProblemKind::LoneCarriageReturn,
        source: name.to_string(),
        line: Some(line),
        offset: Some(first as u64),
        message: format!(
            "{count} carriage return{} without a line feed (old Mac line ends?): not line \
             breaks, so the lines around {} read as one",
            plural(count),
            if count == 1 { "it" } else { "them" }
        ),
    }
}

/// Whether the name says JSONL: `.jsonl` or `.ndjson`, before an optional `.gz`.
fn is_jsonl_name(relative: &Path) -> bool {
    let name = relative.to_string_lossy().to_ascii_lowercase();
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    name.ends_with(".jsonl") || name.ends_with(".ndjson")
}

/// The name of a path in reports: the path as given, with each byte that is not
/// UTF-8 written `\xNN`, so that two names that differ only there stay different.
pub(crate) fn path_name(path: &Path) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let bytes = path.as_os_str().as_bytes();
        if std::str::from_utf8(bytes).is_err() {
            let mut name = String::with_capacity(bytes.len() + 8);
            for chunk in bytes.utf8_chunks() {
                name.push_str(chunk.valid());
                for b in chunk.invalid() {
                    name.push_str(&format!("\\x{b:02x}"));
                }
            }
            return name;
        }
    }
    path.display().to_string()
}

/// Checks `inputs` (errors before anything is read), expands directories, and
/// returns the files to read and a progress counter over their total size (unknown
/// with standard input). A file reached twice is planned once.
fn plan(
    inputs: &[Input],
    corpus: &mut Corpus,
    on_event: &mut dyn FnMut(Event<'_>),
) -> Result<(Vec<Planned>, ProgressCounter), ReadError> {
    let mut stdin_seen = false;
    for input in inputs {
        match input {
            Input::Path(p) => {
                if matches!(fs::metadata(p), Err(e) if e.kind() == io::ErrorKind::NotFound) {
                    return Err(ReadError {
                        kind: ReadErrorKind::NotFound(p.clone()),
                    });
                }
            }
            Input::Stdin if stdin_seen => {
                return Err(ReadError {
                    kind: ReadErrorKind::StdinTwice,
                });
            }
            Input::Stdin => stdin_seen = true,
            Input::Bytes { .. } => {}
        }
    }
    let mut planner = Planner {
        planned: Vec::new(),
        seen: HashMap::new(),
        corpus,
        on_event,
    };
    for input in inputs {
        match input {
            Input::Path(p) => planner.path(p),
            Input::Stdin => planner.planned.push(Planned::Stdin),
            Input::Bytes { name, bytes } => planner.planned.push(Planned::Bytes {
                name: name.clone(),
                bytes: bytes.clone(),
            }),
        }
    }
    let planned = planner.planned;
    let total = if stdin_seen {
        None
    } else {
        Some(
            planned
                .iter()
                .map(|p| match p {
                    Planned::File { size, .. } => *size,
                    Planned::Bytes { bytes, .. } => bytes.len() as u64,
                    Planned::Stdin => 0,
                })
                .sum(),
        )
    };
    let progress = ProgressCounter {
        done: 0,
        reported: 0,
        total,
    };
    Ok((planned, progress))
}

/// A file that reading some inputs reads ([`plan_files`]).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct PlannedFile {
    /// Its name in reports.
    pub name: String,
    /// Its path.
    pub path: PathBuf,
    /// Its path under an output directory (see [`Source::relative`]).
    pub relative: PathBuf,
    /// Its identity, if it can be known.
    pub id: Option<FileId>,
}

/// The files that [`CorpusReader::read`] or [`CorpusReader::scan`] would read for
/// `inputs` (directories expanded, files reached twice once; standard input and
/// in-memory inputs are not files), without reading them: for checking outputs before
/// anything is read.
///
/// Errors: as [`CorpusReader::read`].
pub fn plan_files(inputs: &[Input]) -> Result<Vec<PlannedFile>, ReadError> {
    let mut corpus = Corpus::default();
    let (planned, _) = plan(inputs, &mut corpus, &mut |_| {})?;
    Ok(planned
        .into_iter()
        .filter_map(|p| match p {
            Planned::File { path, relative, .. } => Some(PlannedFile {
                name: path_name(&path),
                id: FileId::of_path(&path),
                path,
                relative,
            }),
            _ => None,
        })
        .collect())
}

/// The list of files that paradup wrote into a directory, kept in that directory
/// when it is inside an input directory; directory walks skip the files it names.
pub const OUTPUTS_LIST: &str = ".paradup-outputs";

/// The most bytes of an [`OUTPUTS_LIST`] that are read (a longer one is read that far).
const OUTPUTS_LIST_MAX: u64 = 1 << 20;

/// The names listed in `dir`'s [`OUTPUTS_LIST`], if it has one.
pub(crate) fn listed_outputs(dir: &Path) -> HashSet<std::ffi::OsString> {
    let mut text = String::new();
    let list = fs::File::open(dir.join(OUTPUTS_LIST))
        .and_then(|f| f.take(OUTPUTS_LIST_MAX).read_to_string(&mut text));
    if list.is_err() {
        return HashSet::new();
    }
    text.lines()
        .filter(|l| !l.is_empty())
        .map(std::ffi::OsString::from)
        .collect()
}

/// Expands the paths given as inputs into the files to read.
struct Planner<'a> {
    planned: Vec<Planned>,
    /// Each file planned, by identity, with its name: for files reached twice.
    seen: HashMap<FileId, String>,
    corpus: &'a mut Corpus,
    on_event: &'a mut dyn FnMut(Event<'_>),
}

impl Planner<'_> {
    fn note(&mut self, path: &Path, message: String) {
        let problem = Problem {
            kind: ProblemKind::Skipped,
            source: path_name(path),
            line: None,
            offset: None,
            message,
        };
        self.corpus.report(problem, self.on_event);
    }

    fn unreadable(&mut self, path: &Path, e: &dyn fmt::Display) {
        let problem = Problem {
            kind: ProblemKind::Unreadable,
            source: path_name(path),
            line: None,
            offset: None,
            message: format!("cannot read: {e}; skipped"),
        };
        self.corpus.report(problem, self.on_event);
    }

    /// A path given as input: a file (of any kind: a FIFO or `/dev/stdin` given by
    /// name is read like standard input), or a directory's files in sorted order.
    fn path(&mut self, path: &Path) {
        match fs::metadata(path) {
            Err(e) => self.unreadable(path, &e),
            Ok(m) if m.is_dir() => {
                let mut files = Vec::new();
                let mut dirs = HashSet::new();
                self.walk(path, &mut files, &mut dirs);
                files.sort_by(|a, b| a.0.cmp(&b.0));
                for (f, m) in files {
                    let relative = f.strip_prefix(path).unwrap_or(&f).to_path_buf();
                    self.file(f, relative, &m);
                }
            }
            Ok(m) => {
                let relative = path
                    .file_name()
                    .map_or_else(|| path.to_path_buf(), PathBuf::from);
                self.file(path.to_path_buf(), relative, &m);
            }
        }
    }

    /// Plans one file, unless the same file was planned before.
    fn file(&mut self, path: PathBuf, relative: PathBuf, meta: &fs::Metadata) {
        let id = FileId::from_metadata(&path, meta);
        if let Some(id) = &id {
            if let Some(first) = self.seen.get(id) {
                let message = format!("the same file as {first}; read once");
                return self.note(&path, message);
            }
            self.seen.insert(id.clone(), path_name(&path));
        }
        let size = if meta.is_file() { meta.len() } else { 0 };
        self.planned.push(Planned::File {
            path,
            relative,
            regular: meta.is_file(),
            size,
        });
    }

    /// Collects the regular files under `dir`, following links, visiting each
    /// directory once, leaving out what paradup wrote.
    fn walk(
        &mut self,
        dir: &Path,
        files: &mut Vec<(PathBuf, fs::Metadata)>,
        dirs: &mut HashSet<PathBuf>,
    ) {
        match fs::canonicalize(dir) {
            Ok(c) => {
                if !dirs.insert(c) {
                    return;
                }
            }
            Err(e) => return self.unreadable(dir, &e),
        }
        let entries = match fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) => return self.unreadable(dir, &e),
        };
        let outputs = listed_outputs(dir);
        let mut own = 0;
        for entry in entries {
            let entry = match entry {
                Ok(entry) => entry,
                Err(e) => {
                    self.unreadable(dir, &e);
                    continue;
                }
            };
            let (path, name) = (entry.path(), entry.file_name());
            if name == OUTPUTS_LIST
                || outputs.contains(&name)
                || name.to_string_lossy().ends_with(crate::fsio::TEMP_SUFFIX)
            {
                own += 1;
                continue;
            }
            match fs::metadata(&path) {
                Ok(m) if m.is_dir() => self.walk(&path, files, dirs),
                Ok(m) if m.is_file() => files.push((path, m)),
                Ok(_) => self.note(
                    &path,
                    "not a regular file (a FIFO, a device or a socket) inside a directory; \
                     skipped (name it as an input to read it)"
                        .to_string(),
                ),
                Err(e) => self.unreadable(&path, &e),
            }
        }
        if own > 0 {
            let message = format!(
                "{own} file{} that paradup wrote (temporary outputs, {OUTPUTS_LIST} and \
                 the files it lists) left out",
                plural(own)
            );
            self.note(dir, message);
        }
    }
}

/// Counts bytes read for progress events.
struct ProgressCounter {
    done: u64,
    reported: u64,
    total: Option<u64>,
}

impl ProgressCounter {
    /// Reports every 1 MiB, and at the end.
    fn report(&mut self, on_event: &mut dyn FnMut(Event<'_>), force: bool) {
        if force || self.done - self.reported >= 1 << 20 {
            self.reported = self.done;
            on_event(Event::Progress {
                done: self.done,
                total: self.total,
            });
        }
    }
}

struct Counting<'a, R> {
    inner: R,
    progress: &'a mut ProgressCounter,
    on_event: &'a mut dyn FnMut(Event<'_>),
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
const PIECES_FROM: u64 = 8 << 20;

/// Bytes read at a time by a thread of [`read_pieces`], then looked over for NUL bytes
/// while in cache. Measured (perf, `dedup` on the 48 MB corpus, one thread): the look
/// over the whole buffer after reading it, about 0.4 % of the samples in `memchr`
/// more than this.
const CHECK_PIECE: usize = 1 << 20;

/// A source's content as loaded.
enum Content {
    /// Checked as UTF-8 by the threads that read it (the bytes are in the error if
    /// not), and whether it holds no NUL byte.
    Checked(Result<String, std::string::FromUtf8Error>, bool),
    /// Bytes not looked at yet.
    Bytes(Vec<u8>),
}

impl Content {
    fn as_bytes(&self) -> &[u8] {
        match self {
            Content::Checked(Ok(text), _) => text.as_bytes(),
            Content::Checked(Err(e), _) => e.as_bytes(),
            Content::Bytes(bytes) => bytes,
        }
    }

    fn into_bytes(self) -> Vec<u8> {
        match self {
            Content::Checked(Ok(text), _) => text.into_bytes(),
            Content::Checked(Err(e), _) => e.into_bytes(),
            Content::Bytes(bytes) => bytes,
        }
    }

    /// Whether the content is known to hold no NUL byte.
    fn nul_free(&self) -> bool {
        matches!(self, Content::Checked(_, true))
    }
}

/// All of the plain (not compressed) file `file` of `size` bytes, read by positional
/// reads on `threads` threads, a megabyte at a time, into a zeroed buffer (whose pages
/// the kernel hands out zeroed on first touch, so zeroing costs nothing). Each thread
/// looks for NUL bytes and checks UTF-8 in what it read while it is in cache
/// ([`arch::fill_utf8`](crate::arch::fill_utf8)). `None` when that does not
/// apply (a small or compressed file) or the file turned out not to be `size` bytes
/// long (changed meanwhile) or a read failed: then the caller reads it from the start
/// as a stream, which reports the error.
fn load_pieces(file: &fs::File, size: u64, threads: usize) -> Option<Content> {
    if size < PIECES_FROM {
        return None;
    }
    read_pieces(file, size, threads, CHECK_PIECE)
}

/// [`load_pieces`] at any size, `piece` bytes at a time: `None` if the file is
/// compressed, not `size` bytes long, or a read failed.
#[cfg(unix)]
fn read_pieces(file: &fs::File, size: u64, threads: usize, piece: usize) -> Option<Content> {
    use std::os::unix::fs::FileExt;
    use std::sync::atomic::{AtomicBool, Ordering};
    let len = usize::try_from(size).ok()?;
    let mut head = [0u8; 4];
    if file.read_exact_at(&mut head, 0).is_err() || compression_of(&head) != Ok(Compression::None) {
        return None;
    }
    // Looking right after the read finds the bytes in the cache: the same look over
    // the whole buffer afterwards took about 3 ms on one thread while the other waited
    // (`dedup` on the 48 MB corpus, perf).
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
fn read_pieces(_: &fs::File, _: u64, _: usize, _: usize) -> Option<Content> {
    None
}

/// Bytes of a plain input read between two progress reports.
const READ_PIECE: u64 = 8 << 20;

/// Reads a whole input, decompressing gzip. Errors are messages for a [`Problem`].
/// `size`: the input's size if known (else 0), so that a plain file is read into a
/// buffer of the right size at once instead of one grown by doubling (reading the
/// 48 MB corpus: 0.10–0.14 → 0.05–0.06 s, `dedup --stats-json`, one thread; NUL
/// bytes are looked for with memchr).
fn load<R: Read>(
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
            // for a file. Zeroing the 48 MB buffer took 6 % of the samples of a
            // one-thread `dedup` run (`perf`, the page faults of the buffer included,
            // which the copy now takes instead).
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
fn sniff(r: &mut impl Read) -> Result<(Vec<u8>, Compression), String> {
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
fn compression_of(head: &[u8]) -> Result<Compression, String> {
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
fn stdin_relative(format: InputFormat, compression: Compression) -> PathBuf {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn read(name: &str, bytes: &[u8]) -> Corpus {
        let inputs = [Input::Bytes {
            name: name.to_string(),
            bytes: bytes.to_vec(),
        }];
        CorpusReader::new().read(&inputs, |_| {}).unwrap()
    }

    #[test]
    fn text_is_one_document_and_its_own_original() {
        let c = read("dir/a.txt", b"one\n\ntwo\n");
        assert_eq!(c.documents().len(), 1);
        assert_eq!(c.documents()[0].text(), "one\n\ntwo\n");
        assert_eq!(c.original(0), Some(&b"one\n\ntwo\n"[..]));
        assert_eq!(c.sources()[0].relative(), Path::new("a.txt"));
        assert_eq!(c.sources()[0].format(), InputFormat::Text);
        assert_eq!(c.name_of(0), "dir/a.txt");
        assert_eq!(c.stats().bytes, 9);
    }

    #[test]
    fn invalid_utf8_is_decoded_lossily_and_kept() {
        let bytes = b"ok\ncaf\xe9\nend\n";
        let c = read("l.txt", bytes);
        assert_eq!(c.documents()[0].text(), "ok\ncaf\u{fffd}\nend\n");
        assert_eq!(c.original(0), Some(&bytes[..]));
        assert_eq!(c.stats().invalid_utf8, 1);
        let p = &c.problems()[0];
        assert_eq!(
            (p.kind, p.line, p.offset),
            (ProblemKind::InvalidUtf8, Some(2), Some(6))
        );
        assert!(!p.is_error());
        let loc = c.locator(0).unwrap();
        let end = c.documents()[0].text().find("end").unwrap();
        // "end" is at text offset 10 (after a 3-byte U+FFFD) and byte offset 8.
        assert_eq!((end, loc.original_offset(end)), (10, 8));
    }

    #[test]
    fn binary_files_are_skipped_with_a_note() {
        let c = read("b.bin", b"abc\n\0def");
        assert!(c.documents().is_empty() && c.sources().is_empty());
        assert_eq!(c.stats().binary, 1);
        assert_eq!(
            c.problems()[0].to_string(),
            "b.bin:2: binary file (NUL byte), skipped (byte 4)"
        );
    }

    #[test]
    fn gzip_is_decompressed_by_magic() {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(b"{\"id\":7,\"text\":\"hi\"}\n").unwrap();
        let c = read("r.jsonl.gz", &e.finish().unwrap());
        assert_eq!(c.sources()[0].compression(), Compression::Gzip);
        assert_eq!(c.sources()[0].format(), InputFormat::Jsonl);
        assert_eq!((c.documents()[0].text(), c.name_of(0)), ("hi", "7"));
        assert_eq!(c.stats().bytes, 21);
    }

    #[test]
    fn corrupt_gzip_is_unreadable() {
        let c = read("x.gz", b"\x1f\x8b\x08\x00garbage");
        assert_eq!(c.stats().unreadable, 1);
        assert!(c.problems()[0].is_error());
        assert!(
            c.problems()[0]
                .message
                .starts_with("corrupt gzip stream after 0 decompressed bytes")
        );
    }

    #[test]
    fn jsonl_records_keep_their_lines_and_ids() {
        let src = "{\"id\":\"a\",\"text\":\"x\\ny\",\"n\":1}\r\n\n[1]\n{\"text\":2}\n{\"id\":null,\"text\":\"z\"}";
        let c = read("r.jsonl", src.as_bytes());
        let docs: Vec<_> = c
            .documents()
            .iter()
            .enumerate()
            .map(|(i, d)| (d.record(), c.name_of(i), d.text()))
            .collect();
        assert_eq!(
            docs,
            vec![(Some(0), "a", "x\ny"), (Some(4), "r.jsonl:5", "z")]
        );
        assert_eq!(c.stats().malformed, 2);
        let lines: Vec<_> = c
            .problems()
            .iter()
            .map(|p| (p.line, p.message.clone()))
            .collect();
        assert_eq!(
            lines[1],
            (
                Some(4),
                "field \"text\" is not a string, skipped".to_string()
            )
        );
        // The locator maps "y" back into the escaped line.
        let loc = c.locator(0).unwrap();
        assert_eq!(&src[loc.original_offset(2)..loc.original_offset(3)], "y");
    }

    #[test]
    fn many_malformed_lines_are_counted_and_summarized() {
        let src = "x\n".repeat(13);
        let c = read("m.jsonl", src.as_bytes());
        assert_eq!(c.stats().malformed, 13);
        assert_eq!(c.problems().len(), MAX_REPORTED_LINES + 1);
        assert_eq!(
            c.problems().last().unwrap().message,
            "3 more malformed lines, skipped (the first 10 are reported above)"
        );
    }

    #[test]
    fn missing_paths_stop_before_reading() {
        let err = CorpusReader::new()
            .read(&[Input::Path("no/such/file.txt".into())], |_| {})
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "no/such/file.txt: no such file or directory"
        );
        let err = CorpusReader::new()
            .read(&[Input::Stdin, Input::Stdin], |_| {})
            .unwrap_err();
        assert!(matches!(err.kind(), ReadErrorKind::StdinTwice));
    }

    /// A file of `bytes` in the temporary folder, removed on drop.
    struct TempFile(PathBuf);

    impl TempFile {
        fn new(tag: &str, bytes: &[u8]) -> TempFile {
            let name = format!("paradup-corpus-{}-{tag}", std::process::id());
            let path = std::env::temp_dir().join(name);
            fs::write(&path, bytes).unwrap();
            TempFile(path)
        }
    }

    impl Drop for TempFile {
        fn drop(&mut self) {
            let _ = fs::remove_file(&self.0);
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        /// Read in pieces, a file is what `fs::read` gives, or nothing when compressed.
        #[test]
        fn pieces_equal_whole_read(
            bytes in proptest::prop_oneof![
                proptest::collection::vec(proptest::prelude::any::<u8>(), 0..5000),
                proptest::prelude::Strategy::prop_map("[a-zé€😀 \n\u{0}]{0,600}", String::into_bytes),
            ],
            threads in 1usize..6,
            piece in proptest::prop_oneof![1usize..16, proptest::prelude::Just(CHECK_PIECE)],
        ) {
            let file = TempFile::new(&format!("pieces-{threads}"), &bytes);
            let f = fs::File::open(&file.0).unwrap();
            let got = read_pieces(&f, bytes.len() as u64, threads, piece);
            if bytes.len() >= 2 && bytes[..2] == [0x1f, 0x8b] {
                proptest::prop_assert!(got.is_none());
            } else if bytes.len() >= 4 {
                let Some(Content::Checked(checked, nul_free)) = got else {
                    panic!("read in pieces");
                };
                proptest::prop_assert_eq!(nul_free, !bytes.contains(&0));
                let whole = fs::read(&file.0).unwrap();
                proptest::prop_assert_eq!(
                    checked.as_ref().map(String::as_str).map_err(|e| e.utf8_error()),
                    std::str::from_utf8(&whole)
                );
                proptest::prop_assert_eq!(Content::Checked(checked, nul_free).into_bytes(), whole);
            }
            // Told the wrong size (the file changed), it declines.
            if bytes.len() >= 4 {
                proptest::prop_assert!(read_pieces(&f, bytes.len() as u64 - 1, threads, piece).is_none());
                proptest::prop_assert!(read_pieces(&f, bytes.len() as u64 + 1, threads, piece).is_none());
            }
        }
    }

    #[test]
    fn large_file_read_on_threads_is_the_same_corpus() {
        // Past the size read in pieces, multi-byte characters across the cuts.
        let unit = "Ein schönes Wort, ein gutes Wort.\n\nΚαλημέρα κόσμε 🌍 end.\n\n";
        let text = unit.repeat((PIECES_FROM as usize) / unit.len() + 3);
        let file = TempFile::new("large", text.as_bytes());
        let input = [Input::Path(file.0.clone())];
        let one = CorpusReader::new().read(&input, |_| {}).unwrap();
        let three = CorpusReader::new().threads(3).read(&input, |_| {}).unwrap();
        assert_eq!(one.documents().len(), 1);
        assert_eq!(three.documents()[0].text(), one.documents()[0].text());
        assert_eq!(three.documents()[0].text(), text);
        assert_eq!(three.stats().bytes, one.stats().bytes);

        // A NUL byte in the last piece: binary on any thread count, at the same place.
        let mut bytes = text.into_bytes();
        let at = bytes.len() - 100;
        bytes[at] = 0;
        let file = TempFile::new("large-nul", &bytes);
        let input = [Input::Path(file.0.clone())];
        let one = CorpusReader::new().read(&input, |_| {}).unwrap();
        let three = CorpusReader::new().threads(3).read(&input, |_| {}).unwrap();
        assert!(one.documents().is_empty() && three.documents().is_empty());
        assert_eq!(three.problems(), one.problems());
        assert_eq!(one.problems()[0].offset, Some(at as u64));

        // A bad byte inside a multi-byte character in the middle: the same lossy text
        // and the same report on any thread count.
        bytes[at] = b' ';
        let mid = bytes.len() / 2;
        let mid = mid + bytes[mid..].iter().position(|&b| b >= 0xC0).unwrap() + 1;
        bytes[mid] = 0xFF;
        let file = TempFile::new("large-bad", &bytes);
        let input = [Input::Path(file.0.clone())];
        let one = CorpusReader::new().read(&input, |_| {}).unwrap();
        let three = CorpusReader::new().threads(3).read(&input, |_| {}).unwrap();
        assert_eq!(one.stats().invalid_utf8, 1);
        assert_eq!(three.stats().invalid_utf8, 1);
        assert_eq!(three.documents()[0].text(), one.documents()[0].text());
        assert_eq!(three.problems(), one.problems());
        assert_eq!(one.documents()[0].text(), String::from_utf8_lossy(&bytes));
    }
}
