//! Writing sources back: without their duplicate paragraphs ([`write_deduped`]), or
//! as annotations that list the duplicates' byte spans ([`write_annotations`]).
//!
//! What a removal removes: the paragraph's span and the line terminator (`\n` or
//! `\r\n`) right after it, so that removing a paragraph removes its lines and nothing
//! else. Blank lines around it, the whitespace and line endings of everything else,
//! and bytes that are not valid UTF-8 stay as they were. In a JSONL record the same cut
//! is made inside the text field's string literal, leaving every other byte of the line
//! (other fields, escapes) as it was; a record with no paragraph left is dropped whole,
//! line terminator included. Lines that were not records (blank, malformed) are copied
//! unchanged. A gzip source is written gzip-compressed. A file skipped as binary is
//! copied unchanged into a deduplicated tree.
//!
//! Every output file is written to a temporary file beside it and renamed into place
//! once complete ([`crate::fsio::AtomicFile`]); [`stage_tree`] makes a whole tree
//! without renaming anything, so that a run can give up on all of it at once.

use crate::cluster::Clusters;
use crate::corpus::{Compression, Corpus, Locator, SkippedFile, Source, StreamCorpus};
use crate::fsio::{AtomicFile, FileId, StagedFile};
use crate::paragraph::Paragraph;
use rayon::prelude::*;
use std::collections::HashMap;
use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};

pub use crate::cluster::Keep;

/// A paragraph to remove.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Removal {
    /// The paragraph.
    pub paragraph: Paragraph,
    /// Index of its cluster in [`Clusters::as_slice`].
    pub cluster: usize,
    /// Its similarity to the cluster's representative.
    pub similarity: f64,
}

/// The paragraphs a deduper drops: in each cluster, every member but the kept one.
/// Sorted by document and paragraph index.
pub fn removals(clusters: &Clusters, keep: Keep) -> Vec<Removal> {
    let mut out = Vec::with_capacity(clusters.duplicates());
    for (ci, c) in clusters.iter().enumerate() {
        let kept = c.kept_index(keep);
        out.extend(
            c.members()
                .iter()
                .enumerate()
                .filter(|&(i, _)| i != kept)
                .map(|(_, m)| Removal {
                    paragraph: m.paragraph,
                    cluster: ci,
                    similarity: m.similarity,
                }),
        );
    }
    // A paragraph is in one cluster at most: the keys are distinct, so an unstable
    // sort gives the one order (and millions of removals sort on every thread).
    out.par_sort_unstable_by_key(|r| (r.paragraph.doc, r.paragraph.index));
    out
}

/// The removals of documents `docs` (a slice of `removals`, which must be sorted).
fn of_docs(removals: &[Removal], docs: Range<usize>) -> &[Removal] {
    let lo = removals.partition_point(|r| (r.paragraph.doc as usize) < docs.start);
    let hi = removals.partition_point(|r| (r.paragraph.doc as usize) < docs.end);
    &removals[lo..hi]
}

/// `end` moved past the line terminator that follows it, if any.
fn with_terminator(text: &str, end: usize) -> usize {
    let rest = &text.as_bytes()[end..];
    if rest.starts_with(b"\r\n") {
        end + 2
    } else if rest.starts_with(b"\n") {
        end + 1
    } else {
        end
    }
}

/// `text` without the paragraphs at `spans` (sorted, apart, on character boundaries),
/// each cut with the line terminator right after it: what [`write_deduped`] does to a
/// text document, for a document held elsewhere (a DataFrame's row). `None` when the
/// spans are not so.
///
/// ```
/// use paradup::report::rewrite::cut_paragraphs;
/// let text = "one\n\ntwo\r\n\nthree";
/// assert_eq!(cut_paragraphs(text, &[5..8]).as_deref(), Some("one\n\n\nthree"));
/// assert_eq!(cut_paragraphs(text, &[5..8, 0..3]), None);
/// ```
pub fn cut_paragraphs(text: &str, spans: &[Range<usize>]) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    for s in spans {
        if s.start < pos || s.end < s.start || !text.is_char_boundary(s.start) {
            return None;
        }
        text.get(s.start..s.end)?;
        out.push_str(&text[pos..s.start]);
        pos = with_terminator(text, s.end);
    }
    out.push_str(&text[pos..]);
    Some(out)
}

fn not_kept() -> io::Error {
    io::Error::other("the original bytes were not kept (CorpusReader::keep_original)")
}

/// Writes source `source` of `corpus` without the paragraphs in `removals` (sorted, as
/// [`removals`] returns them; those of other sources are ignored). Uncompressed: the
/// caller compresses.
///
/// Errors: `out`'s, or the original bytes not kept.
pub fn write_deduped(
    corpus: &Corpus,
    source: usize,
    removals: &[Removal],
    out: &mut dyn Write,
) -> io::Result<()> {
    let original = corpus.original(source).ok_or_else(not_kept)?;
    let src = &corpus.sources()[source];
    let rems = of_docs(removals, src.documents());
    let mut cursor = 0;
    let mut rest = rems;
    for doc in src.documents() {
        let mine = take_doc(&mut rest, doc);
        if mine.is_empty() {
            continue;
        }
        let text = corpus.documents()[doc].text();
        let cuts: Vec<Range<usize>> = mine
            .iter()
            .map(|r| r.paragraph.start..with_terminator(text, r.paragraph.end))
            .collect();
        let loc = corpus.locator(doc).ok_or_else(not_kept)?;
        match corpus.documents()[doc].line_span() {
            // A JSONL record: drop it if nothing is left, else cut inside its line.
            Some(line) => {
                out.write_all(&original[cursor..line.start])?;
                let mut left = String::new();
                let mut pos = 0;
                for c in &cuts {
                    left.push_str(&text[pos..c.start]);
                    pos = c.end;
                }
                left.push_str(&text[pos..]);
                if left.trim().is_empty() {
                    cursor = line.end + usize::from(original.get(line.end) == Some(&b'\n'));
                } else {
                    let mut p = line.start;
                    for c in &cuts {
                        out.write_all(&original[p..loc.original_offset(c.start)])?;
                        p = loc.original_offset(c.end);
                    }
                    out.write_all(&original[p..line.end])?;
                    cursor = line.end;
                }
            }
            // A text source: cut the paragraphs out of the file.
            None => {
                for c in &cuts {
                    out.write_all(&original[cursor..loc.original_offset(c.start)])?;
                    cursor = loc.original_offset(c.end);
                }
            }
        }
    }
    out.write_all(&original[cursor..])
}

/// Writes one JSON object per document of source `source` (per record for JSONL, one
/// for a text file), in order, listing the paragraphs in `removals` as byte spans,
/// like dolma's attribute files:
///
/// ```json
/// {"id":"a.txt","source":"a.txt","attributes":{"paradup__duplicate":[[120,460,0.77]],"paradup__cluster":[[120,460,0]]}}
/// ```
///
/// `paradup__duplicate` holds `[start, end, similarity to the representative]`,
/// `paradup__cluster` `[start, end, cluster index]`. Spans are byte offsets into the
/// file for text sources, into the decoded text field for JSONL records (which also
/// carry `"record"`, the 0-based line). Documents without duplicates get empty lists,
/// so the lines match the records one for one.
pub fn write_annotations(
    corpus: &Corpus,
    source: usize,
    removals: &[Removal],
    out: &mut dyn Write,
) -> io::Result<()> {
    let src = &corpus.sources()[source];
    let mut rest = of_docs(removals, src.documents());
    for doc in src.documents() {
        let mine = take_doc(&mut rest, doc);
        let d = &corpus.documents()[doc];
        let line = annotation_line(corpus.name_of(doc), src.name(), d.record(), mine, |p| {
            super::reported_span(corpus, p)
        });
        out.write_all(line.as_bytes())?;
    }
    Ok(())
}

/// One line of [`write_annotations`]: document `id` of source `source` (record
/// `record` for JSONL) with its removals `mine`, whose spans `span` gives.
fn annotation_line(
    id: &str,
    source: &str,
    record: Option<u64>,
    mine: &[Removal],
    span: impl Fn(&Paragraph) -> (usize, usize),
) -> String {
    let mut line = String::from("{\"id\":");
    super::json::push_str(&mut line, id);
    line.push_str(",\"source\":");
    super::json::push_str(&mut line, source);
    if let Some(r) = record {
        line.push_str(&format!(",\"record\":{r}"));
    }
    line.push_str(",\"attributes\":{\"paradup__duplicate\":[");
    for (i, r) in mine.iter().enumerate() {
        let (s, e) = span(&r.paragraph);
        let sep = if i > 0 { "," } else { "" };
        line.push_str(&format!("{sep}[{s},{e},{:?}]", r.similarity));
    }
    line.push_str("],\"paradup__cluster\":[");
    for (i, r) in mine.iter().enumerate() {
        let (s, e) = span(&r.paragraph);
        let sep = if i > 0 { "," } else { "" };
        line.push_str(&format!("{sep}[{s},{e},{}]", r.cluster));
    }
    line.push_str("]}}\n");
    line
}

/// What [`write_tree`] writes for each source.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Output {
    /// The source without its duplicates ([`write_deduped`]), under its own relative
    /// path, compressed as it was.
    Deduped,
    /// Its annotations ([`write_annotations`]), uncompressed, named after it: a `.gz`
    /// suffix dropped and `.jsonl` added unless already there (`a.txt` →
    /// `a.txt.jsonl`, `b.jsonl.gz` → `b.jsonl`).
    Annotations,
}

/// The path of `source`'s output, relative to the output directory.
pub fn output_path(source: &Source, what: Output) -> PathBuf {
    output_relative(source.relative(), what)
}

/// The path of the output of a source at `rel` ([`Source::relative`]), relative to the
/// output directory.
pub fn output_relative(rel: &Path, what: Output) -> PathBuf {
    match what {
        Output::Deduped => rel.to_path_buf(),
        Output::Annotations => {
            let name = rel.to_string_lossy();
            let name = name.strip_suffix(".gz").unwrap_or(&name);
            if name.ends_with(".jsonl") {
                PathBuf::from(name)
            } else {
                PathBuf::from(format!("{name}.jsonl"))
            }
        }
    }
}

/// An output that must not be written; nothing is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputError {
    message: String,
}

impl fmt::Display for OutputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for OutputError {}

impl OutputError {
    pub(crate) fn new(message: String) -> OutputError {
        OutputError { message }
    }
}

/// The output path of every source under `dir`, checked: two sources may not share
/// one, and none may be an input file (by identity: a hard link or a symbolic link to
/// an input is one).
pub fn plan_outputs(
    corpus: &Corpus,
    dir: &Path,
    what: Output,
) -> Result<Vec<PathBuf>, OutputError> {
    plan_output_paths(corpus.sources(), dir, what)
}

/// [`plan_outputs`] for `sources` (of a [`Corpus`] or a [`StreamCorpus`]).
pub fn plan_output_paths(
    sources: &[Source],
    dir: &Path,
    what: Output,
) -> Result<Vec<PathBuf>, OutputError> {
    let (paths, _) = plan_tree(sources, &[], dir, what)?;
    Ok(paths)
}

/// The output paths of `sources`, then of the `skipped` files (copied unchanged into
/// a deduplicated tree, not annotated), checked as [`plan_outputs`] says.
fn plan_tree<'a>(
    sources: &'a [Source],
    skipped: &'a [SkippedFile],
    dir: &Path,
    what: Output,
) -> Result<(Vec<PathBuf>, Vec<PathBuf>), OutputError> {
    if dir.exists() && !dir.is_dir() {
        return Err(OutputError {
            message: format!("{} is not a directory", dir.display()),
        });
    }
    let mut inputs: HashMap<FileId, &str> = HashMap::new();
    for s in sources {
        if let Some(id) = s.file_id() {
            inputs.insert(id.clone(), s.name());
        }
    }
    for s in skipped {
        if let Some((_, Some(id))) = &s.path {
            inputs.insert(id.clone(), &s.name);
        }
    }
    let mut seen: HashMap<PathBuf, &str> = HashMap::new();
    let mut check = |path: PathBuf, owner: &'a str| -> Result<PathBuf, OutputError> {
        if let Some(other) = seen.insert(path.clone(), owner) {
            return Err(OutputError {
                message: format!(
                    "{other} and {owner} would both be written to {}",
                    path.display()
                ),
            });
        }
        if let Some(input) = FileId::of_path(&path).and_then(|id| inputs.get(&id)) {
            return Err(OutputError {
                message: format!(
                    "refusing to write {}: it is the input file {input}",
                    path.display()
                ),
            });
        }
        Ok(path)
    };
    let paths = sources
        .iter()
        .map(|s| check(dir.join(output_path(s, what)), s.name()))
        .collect::<Result<Vec<_>, _>>()?;
    let copies = match what {
        Output::Deduped => skipped
            .iter()
            .map(|s| check(dir.join(&s.relative), &s.name))
            .collect::<Result<Vec<_>, _>>()?,
        Output::Annotations => Vec::new(),
    };
    Ok((paths, copies))
}

/// Writes every source's output under `dir` (see [`Output`]), creating directories,
/// and renames each into place: [`stage_tree`], then every file committed. A file that
/// cannot be written is passed to `on_error` and the others are still written.
/// Returns the number of files written.
///
/// Errors, before anything is written: those of [`plan_outputs`].
pub fn write_tree(
    corpus: &Corpus,
    removals: &[Removal],
    dir: &Path,
    what: Output,
    mut on_error: impl FnMut(&Path, &io::Error),
) -> Result<usize, OutputError> {
    let staged = stage_tree(corpus, removals, dir, what, &mut on_error)?;
    Ok(commit(staged, on_error))
}

/// Renames every staged file into place; one that cannot be renamed is passed to
/// `on_error` (and removed). Returns the number renamed.
pub fn commit(staged: Vec<StagedFile>, mut on_error: impl FnMut(&Path, &io::Error)) -> usize {
    let mut done = 0;
    for file in staged {
        let path = file.path().to_path_buf();
        match file.commit() {
            Ok(()) => done += 1,
            Err(e) => on_error(&path, &e),
        }
    }
    done
}

/// Writes every source's output under `dir` (see [`Output`]) to a temporary file
/// beside its final path, and returns them complete for [`commit`] (dropped, they are
/// removed). Files skipped as binary are copied unchanged into a deduplicated tree. A
/// file that cannot be written is passed to `on_error` and left out.
///
/// Errors, before anything is written: those of [`plan_outputs`].
pub fn stage_tree(
    corpus: &Corpus,
    removals: &[Removal],
    dir: &Path,
    what: Output,
    on_error: impl FnMut(&Path, &io::Error),
) -> Result<Vec<StagedFile>, OutputError> {
    let (sources, skipped) = (corpus.sources(), corpus.skipped());
    let (paths, copies) = plan_tree(sources, skipped, dir, what)?;
    let write = |i: usize, out: &mut dyn Write| match what {
        Output::Deduped => write_deduped(corpus, i, removals, out),
        Output::Annotations => write_annotations(corpus, i, removals, out),
    };
    stage_all(sources, skipped, (&paths, &copies), what, write, on_error)
}

/// Writes source `i`'s output with `write` to each of `paths`, then copies each
/// skipped file to its path in `copies`, all to temporary files. A file that cannot
/// be written is passed to `on_error` and left out; a source that changed since it
/// was read abandons them all.
fn stage_all(
    sources: &[Source],
    skipped: &[SkippedFile],
    (paths, copies): (&[PathBuf], &[PathBuf]),
    what: Output,
    mut write: impl FnMut(usize, &mut dyn Write) -> io::Result<()>,
    mut on_error: impl FnMut(&Path, &io::Error),
) -> Result<Vec<StagedFile>, OutputError> {
    let mut staged = Vec::with_capacity(paths.len() + copies.len());
    for (i, path) in paths.iter().enumerate() {
        let gzip = what == Output::Deduped && sources[i].compression() == Compression::Gzip;
        match write_to(path, gzip, |out| write(i, out)) {
            Ok(file) => staged.push(file),
            Err(e) if crate::fsio::is_changed(&e) => {
                return Err(OutputError::new(e.to_string()));
            }
            Err(e) => on_error(path, &e),
        }
    }
    for (s, path) in skipped.iter().zip(copies) {
        match write_to(path, false, |out| copy_skipped(s, out)) {
            Ok(file) => staged.push(file),
            Err(e) => on_error(path, &e),
        }
    }
    Ok(staged)
}

/// Writes the bytes of a file skipped as binary: the file read again (if it is still
/// the file that was read), or the bytes of an in-memory input.
fn copy_skipped(s: &SkippedFile, out: &mut dyn Write) -> io::Result<()> {
    if let Some(bytes) = &s.bytes {
        return out.write_all(bytes);
    }
    let Some((path, id)) = &s.path else {
        return Err(io::Error::other(format!(
            "{} was skipped as binary and is not kept: it cannot be copied",
            s.name
        )));
    };
    // Not opened unless it is a regular file: opening a FIFO waits for a writer.
    let regular = fs::metadata(path).is_ok_and(|m| m.is_file());
    let file = if regular {
        Some(fs::File::open(path)?)
    } else {
        None
    };
    match file {
        Some(mut f) if id.is_some() && FileId::of_file(&f, path) == *id => {
            io::copy(&mut f, out).map(|_| ())
        }
        _ => Err(io::Error::other(format!(
            "{} was skipped as binary and is no longer the file that was read \
             (or not a regular file): it cannot be copied",
            s.name
        ))),
    }
}

/// Writes `path` (creating its directories) with `write` to a temporary file beside
/// it, gzip-compressed when `gzip`, and returns it complete, not yet renamed.
fn write_to(
    path: &Path,
    gzip: bool,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<StagedFile> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)?;
    }
    let mut file = AtomicFile::create(path)?;
    if gzip {
        let mut gz = flate2::write::GzEncoder::new(&mut file, flate2::Compression::default());
        write(&mut gz)?;
        gz.finish()?;
    } else {
        write(&mut file)?;
    }
    file.finish()
}

/// The removals of document `doc` at the front of `rest` (sorted by paragraph), taken
/// off it.
fn take_doc<'a>(rest: &mut &'a [Removal], doc: usize) -> &'a [Removal] {
    let n = rest.partition_point(|r| r.paragraph.doc as usize == doc);
    let (mine, later) = rest.split_at(n);
    *rest = later;
    mine
}

/// A JSONL record's line `raw` with the paragraphs `mine` cut from its text field and
/// every other byte kept; nothing when no text is left. Whether it wrote the record.
fn write_record_cut(
    raw: &[u8],
    rec: &crate::corpus::Record,
    mine: &[Removal],
    out: &mut dyn Write,
    changed: &dyn Fn() -> crate::Error,
) -> crate::Result<bool> {
    let w = |e: io::Error| crate::Error::from(crate::ErrorKind::Io(e.to_string()));
    let text = &rec.text;
    let cuts: Vec<Range<usize>> = mine
        .iter()
        .map(|r| r.paragraph.start..with_terminator(text, r.paragraph.end))
        .collect();
    let mut left = String::new();
    let mut pos = 0;
    for c in &cuts {
        left.push_str(text.get(pos..c.start).unwrap_or_default());
        pos = c.end;
    }
    left.push_str(text.get(pos..).unwrap_or_default());
    if left.trim().is_empty() {
        return Ok(false);
    }
    let loc = Locator::of_jsonl_line(raw, 0, rec.literal.clone()).ok_or_else(changed)?;
    let mut p = 0;
    for c in &cuts {
        let a = loc.original_offset(c.start);
        out.write_all(raw.get(p..a).ok_or_else(changed)?)
            .map_err(w)?;
        p = loc.original_offset(c.end);
    }
    out.write_all(raw.get(p..).ok_or_else(changed)?)
        .map_err(w)?;
    Ok(true)
}

/// [`write_deduped`] for a corpus that is not held ([`StreamCorpus`]): the source is
/// read again, line by line, and written without the paragraphs in `removals` (sorted,
/// as [`removals`] returns them, from a streamed run over `corpus`), by the same rules.
///
/// Errors: `out`'s, or the source's when it cannot be read again or changed since.
pub fn write_deduped_stream(
    corpus: &StreamCorpus,
    source: usize,
    removals: &[Removal],
    out: &mut dyn Write,
) -> io::Result<()> {
    let src = &corpus.sources()[source];
    let rems = of_docs(removals, src.documents());
    let w = |e: io::Error| crate::Error::from(crate::ErrorKind::Io(e.to_string()));
    let changed = || {
        crate::Error::from(crate::ErrorKind::ReplayMismatch(format!(
            "{} changed while it was being read",
            src.name()
        )))
    };
    let result = if src.format() == crate::corpus::InputFormat::Jsonl {
        let mut rest = rems;
        corpus.walk_records(source, |line| {
            let mine = match &line.record {
                Some((doc, _)) => take_doc(&mut rest, *doc),
                None => &[],
            };
            let Some((_, rec)) = line.record.as_ref().filter(|_| !mine.is_empty()) else {
                out.write_all(line.raw).map_err(w)?;
                return if line.newline {
                    out.write_all(b"\n").map_err(w)
                } else {
                    Ok(())
                };
            };
            if write_record_cut(line.raw, rec, mine, out, &changed)? && line.newline {
                out.write_all(b"\n").map_err(w)?;
            }
            Ok(())
        })
    } else {
        let mut next = 0;
        // A removal that began on an earlier line.
        let mut in_cut = false;
        corpus.walk_lines(source, |line| {
            let d1 = line.dec_end();
            // The end of a cut ending at document offset `end` on this line, in the
            // line's bytes: past the paragraph and its line terminator.
            let cut_end = |end: usize| {
                let rest = line
                    .text
                    .as_bytes()
                    .get(end - line.dec..)
                    .unwrap_or_default();
                let term = if rest.starts_with(b"\r\n") {
                    2
                } else {
                    usize::from(rest.starts_with(b"\n"))
                };
                line.original_offset(end) - line.start + term
            };
            let mut pos = 0;
            while let Some(p) = rems.get(next).map(|r| r.paragraph) {
                if in_cut {
                    if p.end > d1 {
                        pos = line.raw.len();
                        break;
                    }
                    pos = cut_end(p.end);
                    in_cut = false;
                    next += 1;
                } else if p.start < d1 {
                    let at = line.original_offset(p.start) - line.start;
                    out.write_all(line.raw.get(pos..at).ok_or_else(changed)?)
                        .map_err(w)?;
                    if p.end > d1 {
                        in_cut = true;
                        pos = line.raw.len();
                        break;
                    }
                    pos = cut_end(p.end);
                    next += 1;
                } else {
                    break;
                }
            }
            out.write_all(line.raw.get(pos..).ok_or_else(changed)?)
                .map_err(w)
        })
    };
    result.map_err(crate::corpus::stream::to_io)
}

/// [`write_annotations`] for a corpus that is not held ([`StreamCorpus`]): the spans of
/// text sources come from `spans`, gathered for the paragraphs of `removals`
/// ([`StreamCorpus::gather`]); JSONL sources are read again for their records' ids.
///
/// Errors: `out`'s, or the source's when it cannot be read again or changed since.
pub fn write_annotations_stream(
    corpus: &StreamCorpus,
    spans: &crate::corpus::MemberTexts,
    source: usize,
    removals: &[Removal],
    out: &mut dyn Write,
) -> io::Result<()> {
    let src = &corpus.sources()[source];
    let mut rest = of_docs(removals, src.documents());
    if src.format() != crate::corpus::InputFormat::Jsonl {
        let line = annotation_line(src.name(), src.name(), None, rest, |p| {
            spans.reported_span(p)
        });
        return out.write_all(line.as_bytes());
    }
    let w = |e: io::Error| crate::Error::from(crate::ErrorKind::Io(e.to_string()));
    corpus
        .walk_records(source, |line| {
            let Some((doc, rec)) = &line.record else {
                return Ok(());
            };
            let mine = take_doc(&mut rest, *doc);
            let text = annotation_line(&rec.id, src.name(), Some(rec.record), mine, |p| {
                (p.start, p.end)
            });
            out.write_all(text.as_bytes()).map_err(w)
        })
        .map_err(crate::corpus::stream::to_io)
}

/// [`write_tree`] for a corpus that is not held: [`stage_tree_stream`], then every
/// file committed.
///
/// Errors: those of [`stage_tree_stream`]; nothing is written then.
pub fn write_tree_stream(
    corpus: &StreamCorpus,
    removals: &[Removal],
    dir: &Path,
    what: Output,
    mut on_error: impl FnMut(&Path, &io::Error),
) -> Result<usize, OutputError> {
    let staged = stage_tree_stream(corpus, removals, dir, what, &mut on_error)?;
    Ok(commit(staged, on_error))
}

/// [`stage_tree`] for a corpus that is not held: [`write_deduped_stream`] or
/// [`write_annotations_stream`] for every source, to temporary files.
///
/// Errors, with every temporary file removed: those of [`plan_outputs`]; a source
/// whose removed paragraphs cannot be found again (annotations); and a source that
/// changed since it was scanned.
pub fn stage_tree_stream(
    corpus: &StreamCorpus,
    removals: &[Removal],
    dir: &Path,
    what: Output,
    on_error: impl FnMut(&Path, &io::Error),
) -> Result<Vec<StagedFile>, OutputError> {
    let (sources, skipped) = (corpus.sources(), corpus.skipped());
    let (paths, copies) = plan_tree(sources, skipped, dir, what)?;
    let spans = if what == Output::Annotations {
        let ps: Vec<Paragraph> = removals.iter().map(|r| r.paragraph).collect();
        corpus.gather(&ps, &[]).map_err(|e| OutputError {
            message: e.to_string(),
        })?
    } else {
        crate::corpus::MemberTexts::default()
    };
    let write = |i: usize, out: &mut dyn Write| match what {
        Output::Deduped => write_deduped_stream(corpus, i, removals, out),
        Output::Annotations => write_annotations_stream(corpus, &spans, i, removals, out),
    };
    stage_all(sources, skipped, (&paths, &copies), what, write, on_error)
}

#[cfg(test)]
mod tests;
