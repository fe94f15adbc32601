//! Reports on a run: clusters as text (with word diffs), as JSONL, as pairs; the
//! end-of-run [`Summary`]; and the rewriting of sources ([`rewrite`]).
//!
//! Every writer takes the [`Corpus`] the documents came from (for names, lines and
//! byte offsets) and the [`Clusters`] of the run, and writes in the clusters' order,
//! which is deterministic. The cluster writers take any [`ReportSource`]: a streamed
//! run gives them the [`MemberTexts`] gathered for its clusters instead, with the same
//! output.
//!
//! Names and offsets: a member is named by its document ([`Corpus::name_of`]: the file
//! for text, the record id for JSONL) and the 1-based line of the paragraph in it.
//! Byte offsets are into the file for text sources (the original bytes, even where
//! they were not valid UTF-8) and into the decoded text field for JSONL records.

pub mod diff;
pub mod indexed;
pub mod json;
pub mod matches;
pub mod outputs;
pub mod rewrite;
mod summary;

pub use summary::{IndexSummary, Summary, progress_line, stage_progress_line, thousands};

use crate::cluster::{Cluster, Clusters, RunStats};
use crate::corpus::{Corpus, MemberTexts, ReadStats};
use crate::paragraph::Paragraph;
use crate::similarity::Similarity;
use diff::{Change, DiffStyle, render_diff, shorten, word_diff};
use rayon::prelude::*;
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fmt::{self, Write as _};
use std::io::{self, Write};
use std::ops::Range;
use std::time::Duration;

/// What the reports read about a run's documents: names, positions and the texts of
/// the paragraphs they show. A [`Corpus`] read into memory has everything; a streamed
/// run's [`MemberTexts`] ([`StreamCorpus::gather`](crate::corpus::StreamCorpus::gather))
/// has what was gathered for its clusters, and the same report follows from either.
pub trait ReportSource {
    /// The document's name: a JSONL record's id, else its source's name.
    fn name_of(&self, doc: usize) -> &str;
    /// The name of the document's source (the file).
    fn source_name_of(&self, doc: usize) -> &str;
    /// For a JSONL record, its 0-based line in the file.
    fn record_of(&self, doc: usize) -> Option<u64>;
    /// The byte span of `p` as reported ([`reported_span`]).
    fn span_of(&self, p: &Paragraph) -> (usize, usize);
    /// The text of `p`.
    fn text_of(&self, p: &Paragraph) -> &str;
}

impl ReportSource for Corpus {
    fn name_of(&self, doc: usize) -> &str {
        Corpus::name_of(self, doc)
    }
    fn source_name_of(&self, doc: usize) -> &str {
        self.source_of(doc).name()
    }
    fn record_of(&self, doc: usize) -> Option<u64> {
        self.documents()[doc].record()
    }
    fn span_of(&self, p: &Paragraph) -> (usize, usize) {
        reported_span(self, p)
    }
    fn text_of(&self, p: &Paragraph) -> &str {
        text_of(self, p)
    }
}

/// Panics, as [`MemberTexts`]' methods do, for what was not gathered.
impl ReportSource for MemberTexts {
    fn name_of(&self, doc: usize) -> &str {
        MemberTexts::name_of(self, doc)
    }
    fn source_name_of(&self, doc: usize) -> &str {
        MemberTexts::source_name_of(self, doc)
    }
    fn record_of(&self, doc: usize) -> Option<u64> {
        MemberTexts::record_of(self, doc)
    }
    fn span_of(&self, p: &Paragraph) -> (usize, usize) {
        MemberTexts::reported_span(self, p)
    }
    fn text_of(&self, p: &Paragraph) -> &str {
        MemberTexts::text_of(self, p)
    }
}

/// The text of paragraph `p` of `corpus`.
///
/// # Panics
/// If `p` did not come from a run on `corpus`'s documents.
pub fn text_of<'c>(corpus: &'c Corpus, p: &Paragraph) -> &'c str {
    p.text(corpus.documents()[p.doc as usize].text())
}

/// The byte span of `p` as reported: in the file's original bytes for a text source,
/// in the decoded text field for a JSONL record.
pub fn reported_span(corpus: &Corpus, p: &Paragraph) -> (usize, usize) {
    let doc = p.doc as usize;
    if corpus.documents()[doc].record().is_some() {
        return (p.start, p.end);
    }
    match corpus.locator(doc) {
        Some(loc) => (loc.original_offset(p.start), loc.original_offset(p.end)),
        None => (p.start, p.end),
    }
}

/// Whether the text report escapes `c`: the C0 controls but the tab, DEL, and the C1
/// controls (U+0080–U+009F), which a terminal may act on (ESC starts a sequence that
/// can retitle the window or clear the screen; BEL rings; CSI U+009B is ESC `[`).
fn is_control(c: char) -> bool {
    (c < ' ' && c != '\t') || ('\u{7f}'..='\u{9f}').contains(&c)
}

/// `s` as the text report writes it: every control character that [`write_text`]
/// escapes written visibly, everything else as it is. C0 controls (but the tab) and
/// DEL become `\xHH` (two lowercase hex digits: `\x1b`, `\x07`, `\x0a`, `\x7f`), C1
/// controls `\u{HH}` (`\u{9b}`): Rust's string-literal escapes, the second so that a
/// C1 control is not mistaken for a byte. A backslash is not escaped: the text report is for reading,
/// not parsing (the JSONL and pairs formats are for that).
///
/// ```
/// use paradup::report::escape_control;
///
/// assert_eq!(escape_control("a\x1b]0;pwned\x07\tb"), "a\\x1b]0;pwned\\x07\tb");
/// assert_eq!(escape_control("\u{9b}2J \x7f é"), "\\u{9b}2J \\x7f é");
/// ```
pub fn escape_control(s: &str) -> Cow<'_, str> {
    // Most names and texts hold no control character: no copy for them.
    if !s.chars().any(is_control) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if !is_control(c) {
            out.push(c);
        } else if c <= '\u{7f}' {
            let _ = write!(out, "\\x{:02x}", c as u32);
        } else {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
    Cow::Owned(out)
}

/// `s` as a field of the pairs format: `\` as `\\`, tab as `\t`, line feed as `\n`,
/// carriage return as `\r`, everything else as it is. The backslash is escaped first
/// of all, so every field reads back unambiguously ([`write_pairs`]).
pub(crate) fn escape_pair_field(s: &str) -> Cow<'_, str> {
    if !s.contains(['\\', '\t', '\n', '\r']) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// The JSONL record names that more than one file uses, among `names` (each a
/// document's name and, for a JSONL record, its file): a record with such a name is
/// qualified with its file ([`write_pairs`]). A text source's name is its file and is
/// never qualified; it still makes a record of the same name ambiguous.
pub(crate) fn ambiguous_names<'a>(
    names: impl IntoIterator<Item = (&'a str, Option<&'a str>)>,
) -> HashSet<&'a str> {
    let mut first: HashMap<&str, Option<&str>> = HashMap::new();
    let mut ambiguous = HashSet::new();
    for (name, file) in names {
        match first.get(name) {
            None => {
                first.insert(name, file);
            }
            Some(f) if *f != file => {
                ambiguous.insert(name);
            }
            Some(_) => {}
        }
    }
    ambiguous
}

/// `FILE:NAME` for a JSONL record whose name is in `ambiguous`, else `NAME`.
pub(crate) fn qualified<'a>(
    name: &'a str,
    file: Option<&str>,
    ambiguous: &HashSet<&str>,
) -> Cow<'a, str> {
    match file {
        Some(f) if ambiguous.contains(name) => Cow::Owned(format!("{f}:{name}")),
        _ => Cow::Borrowed(name),
    }
}

/// The file of a JSONL record, `None` for a text source's document.
fn record_file(corpus: &(impl ReportSource + ?Sized), doc: usize) -> Option<&str> {
    corpus.record_of(doc).map(|_| corpus.source_name_of(doc))
}

/// `NAME:LINE`: the document's name and the paragraph's 1-based line in it.
pub fn label(corpus: &(impl ReportSource + ?Sized), p: &Paragraph) -> String {
    format!("{}:{}", corpus.name_of(p.doc as usize), p.line)
}

/// How [`write_text`] lays out clusters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TextStyle {
    /// How diffs are drawn. Default: [`DiffStyle::default`].
    pub diff: DiffStyle,
    /// Members listed per cluster, representative included; 0 lists all. Default: 10.
    pub max_members: usize,
    /// Words of the representative shown before it is shortened. Default: 80.
    pub max_words: usize,
}

impl Default for TextStyle {
    fn default() -> TextStyle {
        TextStyle {
            diff: DiffStyle::default(),
            max_members: 10,
            max_words: 80,
        }
    }
}

/// Writes each cluster for people: a heading, the representative's name and text
/// (shortened past [`TextStyle::max_words`]), then each other member's name, its
/// similarity (or "exact duplicate": equal after normalization) and a word diff against
/// the representative ([`diff`]). A JSONL member also shows its file and line, so two
/// records with one id in different files are told apart.
///
/// Every string from the input (names, ids, file names, paragraph text, diff words)
/// is written through [`escape_control`]: control characters that a terminal would
/// act on (C0 but the tab, DEL, C1) appear as `\x1b`, `\x07`, `\x7f`, `\u{9b}`, … so
/// that a report shown on a terminal, now or later with `cat`, cannot drive it. This
/// is always done, whatever the output is: the text format is for people. The
/// report's own colours ([`DiffStyle::color`]) are written as they are. A paragraph
/// is shown on one line, its line breaks as spaces ([`shorten`], [`render_diff`]).
///
/// ```text
/// cluster 0: 2 paragraphs
///   putin-kim-article.txt:10  representative
///     The Russian president’s increasing isolation, after he launched …
///   putin-kim-article.txt:11  similarity 0.836
///     … to turn up to [-this weekend’s-] {+the+} G20 summit … African leaders [-recently-] attending a summit …
/// ```
pub fn write_text(
    out: &mut dyn Write,
    corpus: &(impl ReportSource + ?Sized),
    clusters: &Clusters,
    style: &TextStyle,
) -> io::Result<()> {
    for (i, c) in clusters.iter().enumerate() {
        let rep = c.representative();
        let rep_text = corpus.text_of(&rep.paragraph);
        let mut s = format!("cluster {i}: {} paragraphs\n", c.len());
        let where_ = |p: &Paragraph| {
            let doc = p.doc as usize;
            match corpus.record_of(doc) {
                Some(r) => format!(
                    " ({} line {})",
                    escape_control(corpus.source_name_of(doc)),
                    r + 1
                ),
                None => String::new(),
            }
        };
        let _ = writeln!(
            s,
            "  {}  representative{}\n    {}",
            escape_control(&label(corpus, &rep.paragraph)),
            where_(&rep.paragraph),
            shorten(rep_text, style.max_words)
        );
        let shown = match style.max_members {
            0 => c.len(),
            n => n.clamp(1, c.len()),
        };
        for m in &c.members()[1..shown] {
            let kind = if m.exact {
                "exact duplicate".to_string()
            } else {
                format!("similarity {:.3}", m.similarity)
            };
            let d = word_diff(rep_text, corpus.text_of(&m.paragraph));
            let shown_diff = if d.iter().all(|w| w.0 == Change::Same) {
                "(the same words as the representative)".to_string()
            } else {
                render_diff(&d, &style.diff)
            };
            let _ = writeln!(
                s,
                "  {}  {kind}{}\n    {shown_diff}",
                escape_control(&label(corpus, &m.paragraph)),
                where_(&m.paragraph)
            );
        }
        if shown < c.len() {
            let _ = writeln!(s, "  … and {} more members", c.len() - shown);
        }
        s.push('\n');
        out.write_all(s.as_bytes())?;
    }
    Ok(())
}

/// Writes one JSON object per cluster, one per line:
///
/// ```json
/// {"cluster":0,"size":2,"members":[{"source":"a.txt","paragraph":9,"line":10,"start":1795,"end":2082,"similarity":1.0},…]}
/// ```
///
/// `source` is the document's name (the file, or the JSONL record's id); JSONL
/// members also carry `"file"` (the file the record is in, so that equal ids in two
/// files are told apart) and `"record"` (the 0-based line in the file) after it, as
/// the [names file](mod@matches) does. `paragraph`
/// is the 0-based paragraph index in the document, `line` the 1-based line, `start` and
/// `end` the byte span (see the [module docs](self)), `similarity` the similarity to
/// the representative (1.0 for itself and exact duplicates). With
/// [`Similarity::Containment`], each member also carries
/// `"direction"`: `a_in_b` when the representative is contained in it, `b_in_a` when it
/// is contained in the representative, `mutual` otherwise ([`Direction`](crate::Direction)).
pub fn write_jsonl(
    out: &mut dyn Write,
    corpus: &(impl ReportSource + Sync + ?Sized),
    clusters: &Clusters,
) -> io::Result<()> {
    write_jsonl_in_waves(out, corpus, clusters, WAVE_MEMBERS)
}

/// [`write_jsonl`] in waves of `wave_members` members.
fn write_jsonl_in_waves(
    out: &mut dyn Write,
    corpus: &(impl ReportSource + Sync + ?Sized),
    clusters: &Clusters,
    wave_members: usize,
) -> io::Result<()> {
    let directed = clusters.similarity() == Similarity::Containment;
    let record = |i: usize, c: &Cluster, line: &mut String| {
        let _ = write!(line, "{{\"cluster\":{i},\"size\":{},\"members\":[", c.len());
        for (j, m) in c.members().iter().enumerate() {
            let p = &m.paragraph;
            if j > 0 {
                line.push(',');
            }
            line.push('{');
            push_provenance(line, corpus, p);
            line.push_str(",\"similarity\":");
            json::push_number(line, m.similarity);
            if directed {
                let _ = write!(line, ",\"direction\":\"{}\"", m.direction.as_str());
            }
            line.push('}');
        }
        line.push_str("]}\n");
    };
    // Each wave of clusters is formatted on the pool while this thread writes the wave
    // before: writing records into a file costs about as much as formatting them.
    let all = clusters.as_slice();
    let format = |wave: Range<usize>| -> Vec<String> {
        all[wave.clone()]
            .par_iter()
            .enumerate()
            .with_min_len(64)
            .fold(String::new, |mut text, (k, c)| {
                record(wave.start + k, c, &mut text);
                text
            })
            .collect()
    };
    let (mut ready, mut start) = (Vec::new(), 0);
    loop {
        let end = wave_end(all, start, wave_members);
        let mut next = Vec::new();
        let mut written = Ok(());
        rayon::in_place_scope(|s| {
            if start < end {
                s.spawn(|_| next = format(start..end));
            }
            written = ready
                .iter()
                .try_for_each(|t: &String| out.write_all(t.as_bytes()));
        });
        written?;
        if start == end {
            return Ok(());
        }
        (ready, start) = (next, end);
    }
}

/// The end of the wave of [`write_jsonl`] that begins at cluster `start`: clusters up
/// to `wave_members` members in all (at least one cluster), so that the two waves
/// held, one written and one formatted, stay a few megabytes.
fn wave_end(clusters: &[Cluster], start: usize, wave_members: usize) -> usize {
    let mut members = 0;
    for (k, c) in clusters[start..].iter().enumerate() {
        if k > 0 && members >= wave_members {
            return start + k;
        }
        members += c.len();
    }
    clusters.len()
}

/// Members per wave of [`write_jsonl`]: about 4 MB of records.
const WAVE_MEMBERS: usize = 1 << 15;

/// Appends a paragraph's JSON fields, without braces: `"source"`, `"file"` and
/// `"record"` (JSONL input only), `"paragraph"`, `"line"`, `"start"` and `"end"`.
pub(crate) fn push_provenance(
    line: &mut String,
    corpus: &(impl ReportSource + ?Sized),
    p: &Paragraph,
) {
    let doc = p.doc as usize;
    line.push_str("\"source\":");
    json::push_str(line, corpus.name_of(doc));
    if let Some(r) = corpus.record_of(doc) {
        line.push_str(",\"file\":");
        json::push_str(line, corpus.source_name_of(doc));
        let _ = write!(line, ",\"record\":{r}");
    }
    let (start, end) = corpus.span_of(p);
    let _ = write!(
        line,
        ",\"paragraph\":{},\"line\":{},\"start\":{start},\"end\":{end}",
        p.index, p.line
    );
}

/// How [`write_pairs`] names paragraphs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PairIds {
    /// `NAME:LINE` ([`label`]). The default.
    #[default]
    Paragraphs,
    /// `NAME` alone: the file, or the JSONL record's id. For one paragraph per
    /// document ([`ParagraphMode::Whole`](crate::ParagraphMode::Whole)), as in
    /// labelled pair sets.
    Documents,
}

/// Which pairs [`write_pairs`] writes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PairList {
    /// The verified pairs, [`Clusters::pairs`]: an exact copy appears only with the
    /// first paragraph of its text. The default.
    #[default]
    Verified,
    /// Those and every pair they imply through exact copies,
    /// [`Clusters::pairs_expanded`]: for scoring against labelled pairs.
    Expanded,
}

/// Writes the pairs of `list` ([`Clusters::pairs`] or [`Clusters::pairs_expanded`]), one per line:
/// `ID_A<TAB>ID_B<TAB>SIMILARITY`. With [`Similarity::Containment`]
/// a fourth column gives the [`Direction`](crate::Direction): `a_in_b` (A is contained in B), `b_in_a`
/// or `mutual`.
///
/// An id is as [`PairIds`] says, except that a JSONL record whose id another file of
/// the report also uses (a record's id or a text file's name, among the clusters'
/// members) is named `FILE:ID`, its file first: `a.jsonl:r1:1` and `b.jsonl:r1:1`
/// rather than `r1:1` twice. An id used in one file only is written alone, as before.
///
/// Escapes, so that every line splits on its tabs and reads back unambiguously: a
/// backslash in an id is written `\\`, a tab `\t`, a line feed `\n`, a carriage return
/// `\r`; nothing else is escaped. To read a field back, replace each `\\`, `\t`, `\n`
/// and `\r` from left to right.
pub fn write_pairs(
    out: &mut dyn Write,
    corpus: &(impl ReportSource + ?Sized),
    clusters: &Clusters,
    ids: PairIds,
    list: PairList,
) -> io::Result<()> {
    let ambiguous = ambiguous_names(clusters.iter().flat_map(|c| {
        c.members().iter().map(|m| {
            let doc = m.paragraph.doc as usize;
            (corpus.name_of(doc), record_file(corpus, doc))
        })
    }));
    let id = |p: &Paragraph| {
        let doc = p.doc as usize;
        let name = qualified(corpus.name_of(doc), record_file(corpus, doc), &ambiguous);
        let raw = match ids {
            PairIds::Documents => name,
            PairIds::Paragraphs => Cow::Owned(format!("{name}:{}", p.line)),
        };
        escape_pair_field(&raw).into_owned()
    };
    let directed = clusters.similarity() == Similarity::Containment;
    let mut buf = String::new();
    let pairs: Box<dyn Iterator<Item = crate::Pair>> = match list {
        PairList::Verified => Box::new(clusters.pairs().iter().copied()),
        PairList::Expanded => Box::new(clusters.pairs_expanded()),
    };
    for p in pairs {
        buf.clear();
        let _ = write!(
            buf,
            "{}\t{}\t{}",
            id(&p.a),
            id(&p.b),
            json::number(p.similarity)
        );
        if directed {
            buf.push('\t');
            buf.push_str(p.direction.as_str());
        }
        buf.push('\n');
        out.write_all(buf.as_bytes())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Deduper;

    const A: &str = "the quick brown fox jumps over the lazy dog by the river bank at dawn";

    fn corpus(files: &[(&str, &str)]) -> Corpus {
        crate::corpus::test_corpus(files)
    }

    fn report(
        c: &Corpus,
        write: impl Fn(&mut dyn Write, &Corpus, &Clusters) -> io::Result<()>,
    ) -> String {
        let clusters = Deduper::new().run_documents(c.documents());
        let mut out = Vec::new();
        write(&mut out, c, &clusters).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// Reads a pairs field back: the inverse of `escape_pair_field`.
    fn unescape_pair_field(s: &str) -> String {
        let mut out = String::new();
        let mut chars = s.chars();
        while let Some(c) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            match chars.next() {
                Some('\\') => out.push('\\'),
                Some('t') => out.push('\t'),
                Some('n') => out.push('\n'),
                Some('r') => out.push('\r'),
                other => panic!("bad escape \\{other:?} in {s:?}"),
            }
        }
        out
    }

    #[test]
    fn escape_control_escapes_c0_del_and_c1_only() {
        for c in '\0'..='\u{a0}' {
            let got = escape_control(&c.to_string()).into_owned();
            let want = match c as u32 {
                0x09 => "\t".to_string(),
                n @ (0..=0x1f | 0x7f) => format!("\\x{n:02x}"),
                n @ 0x80..=0x9f => format!("\\u{{{n:x}}}"),
                _ => c.to_string(),
            };
            assert_eq!(got, want, "U+{:04X}", c as u32);
        }
        assert_eq!(
            escape_control("\x1b]0;pwned\x07 \x1b[2J\n\u{9b}"),
            "\\x1b]0;pwned\\x07 \\x1b[2J\\x0a\\u{9b}"
        );
        assert!(matches!(escape_control("plain é\ttext"), Cow::Borrowed(_)));
    }

    #[test]
    fn text_report_escapes_names_ids_and_text() {
        let para = format!("{A} \x1b]0;pwned\x07 \x1b[2J");
        let changed = format!("{A} \x1b]0;owned\x07 \x1b[2J");
        let c = corpus(&[
            ("evil\x1b[31m\u{9b}.txt", &format!("{para}\n\n{changed}\n")),
            (
                "r\x07.jsonl",
                &format!(
                    "{{\"id\":\"id\\u001b\",\"text\":\"{A} \\u001b]0;pwned\\u0007 \\u001b[2J\"}}\n"
                ),
            ),
        ]);
        let plain = report(&c, |out, c, cl| {
            write_text(out, c, cl, &TextStyle::default())
        });
        assert_eq!(
            plain,
            format!(
                "cluster 0: 3 paragraphs\n  \
                 evil\\x1b[31m\\u{{9b}}.txt:1  representative\n    \
                 {A} \\x1b]0;pwned\\x07 \\x1b[2J\n  \
                 evil\\x1b[31m\\u{{9b}}.txt:3  similarity 0.789\n    \
                 … by the river bank at dawn [-\\x1b]0;pwned\\x07-] {{+\\x1b]0;owned\\x07+}} \\x1b[2J\n  \
                 id\\x1b:1  exact duplicate (r\\x07.jsonl line 1)\n    \
                 (the same words as the representative)\n\n"
            )
        );
        // With colour, the only escape sequences are the report's own.
        let style = TextStyle {
            diff: DiffStyle {
                color: true,
                ..DiffStyle::default()
            },
            ..TextStyle::default()
        };
        let coloured = report(&c, |out, c, cl| write_text(out, c, cl, &style));
        let own = coloured
            .replace("\x1b[31m", "")
            .replace("\x1b[32m", "")
            .replace("\x1b[0m", "");
        assert!(!own.contains(['\x1b', '\x07', '\u{9b}']), "{own:?}");
        assert_ne!(own, coloured);
    }

    #[test]
    fn pairs_escape_backslashes_so_names_read_back() {
        // A literal backslash and `t` against a real tab: equal once the tab is
        // escaped unless the backslash is escaped too.
        let c = corpus(&[("x\\ty", A), ("x\ty", A), ("back\\\\slash\n", A)]);
        let got = report(&c, |out, c, cl| {
            write_pairs(out, c, cl, PairIds::Documents, PairList::Verified)
        });
        assert_eq!(
            got,
            "x\\\\ty\tx\\ty\t1.0\nx\\\\ty\tback\\\\\\\\slash\\n\t1.0\n"
        );
        let fields: Vec<String> = got
            .lines()
            .flat_map(|l| l.split('\t').take(2).map(unescape_pair_field))
            .collect();
        assert_eq!(fields, ["x\\ty", "x\ty", "x\\ty", "back\\\\slash\n"]);
        let by_line = report(&c, |out, c, cl| {
            write_pairs(out, c, cl, PairIds::Paragraphs, PairList::Verified)
        });
        assert_eq!(by_line.lines().next(), Some("x\\\\ty:1\tx\\ty:1\t1.0"));
    }

    #[test]
    fn equal_ids_in_two_files_are_told_apart() {
        let rec = |id: &str| format!("{{\"id\":\"{id}\",\"text\":\"{A}\"}}\n");
        let c = corpus(&[
            ("a.jsonl", &format!("{}{}", rec("r1"), rec("solo"))),
            ("b.jsonl", &format!("{}{}", rec("x"), rec("r1"))),
        ]);
        let pairs = report(&c, |out, c, cl| {
            write_pairs(out, c, cl, PairIds::Paragraphs, PairList::Verified)
        });
        // `solo` and `x` are used in one file each: not qualified.
        assert_eq!(
            pairs,
            "a.jsonl:r1:1\tsolo:1\t1.0\n\
             a.jsonl:r1:1\tx:1\t1.0\n\
             a.jsonl:r1:1\tb.jsonl:r1:1\t1.0\n"
        );
        let docs = report(&c, |out, c, cl| {
            write_pairs(out, c, cl, PairIds::Documents, PairList::Verified)
        });
        assert_eq!(docs.lines().nth(2), Some("a.jsonl:r1\tb.jsonl:r1\t1.0"));
        let jsonl = report(&c, |out, c, cl| write_jsonl(out, c, cl));
        let member = |id: &str, file: &str, record: u32| {
            format!(
                "{{\"source\":\"{id}\",\"file\":\"{file}\",\"record\":{record},\"paragraph\":0,\"line\":1,\"start\":0,\"end\":{},\"similarity\":1.0}}",
                A.len()
            )
        };
        assert_eq!(
            jsonl,
            format!(
                "{{\"cluster\":0,\"size\":4,\"members\":[{},{},{},{}]}}\n",
                member("r1", "a.jsonl", 0),
                member("solo", "a.jsonl", 1),
                member("x", "b.jsonl", 0),
                member("r1", "b.jsonl", 1)
            )
        );
        let text = report(&c, |out, c, cl| {
            write_text(out, c, cl, &TextStyle::default())
        });
        assert!(
            text.contains("  r1:1  representative (a.jsonl line 1)\n"),
            "{text}"
        );
        assert!(
            text.contains("  r1:1  exact duplicate (b.jsonl line 2)\n"),
            "{text}"
        );
    }

    #[test]
    fn jsonl_in_waves_equals_the_records_one_by_one() {
        // Eight clusters of two or three members.
        let mut text = String::new();
        for i in 0..20 {
            for w in 0..12 {
                let _ = write!(text, "w{}x{w} ", i % 8);
            }
            text.push_str("\n\n");
        }
        let c = corpus(&[("a.txt", &text)]);
        let clusters = Deduper::new().run_documents(c.documents());
        assert_eq!(clusters.len(), 8);
        // The reference: each record formatted and written in turn.
        let mut want = String::new();
        for (i, cl) in clusters.iter().enumerate() {
            let _ = write!(
                want,
                "{{\"cluster\":{i},\"size\":{},\"members\":[",
                cl.len()
            );
            for (j, m) in cl.members().iter().enumerate() {
                if j > 0 {
                    want.push(',');
                }
                want.push('{');
                push_provenance(&mut want, &c, &m.paragraph);
                want.push_str(",\"similarity\":");
                json::push_number(&mut want, m.similarity);
                want.push('}');
            }
            want.push_str("]}\n");
        }
        for wave in [0, 1, 2, 5, 7, WAVE_MEMBERS] {
            let mut out = Vec::new();
            write_jsonl_in_waves(&mut out, &c, &clusters, wave).unwrap();
            assert_eq!(String::from_utf8(out).unwrap(), want, "waves of {wave}");
        }
    }

    #[test]
    fn a_text_file_named_like_an_id_qualifies_the_record() {
        let c = corpus(&[
            ("r1", A),
            ("b.jsonl", &format!("{{\"id\":\"r1\",\"text\":\"{A}\"}}\n")),
        ]);
        let pairs = report(&c, |out, c, cl| {
            write_pairs(out, c, cl, PairIds::Documents, PairList::Verified)
        });
        assert_eq!(pairs, "r1\tb.jsonl:r1\t1.0\n");
    }

    #[test]
    fn stage_progress_line_shows_paragraphs_per_second() {
        let d = Duration::from_secs(2);
        assert_eq!(
            stage_progress_line(crate::Stage::Signatures, 100_000, 400_000, d),
            "signatures 100,000 / 400,000 paragraphs   25%  50,000 paragraphs/s  ETA 0:06"
        );
        assert_eq!(
            stage_progress_line(crate::Stage::Candidates, 0, 0, d),
            "finding candidates…"
        );
    }

    #[test]
    fn thousands_groups_digits() {
        let got: Vec<String> = [0, 12, 999, 1000, 1234567]
            .iter()
            .map(|&n| thousands(n))
            .collect();
        assert_eq!(got, ["0", "12", "999", "1,000", "1,234,567"]);
    }

    #[test]
    fn progress_line_shows_rate_and_eta() {
        let d = Duration::from_secs(2);
        assert_eq!(
            progress_line(20_000_000, Some(80_000_000), d),
            "reading 20.00 / 80.00 MB   25%  10.0 MB/s  ETA 0:06"
        );
        assert_eq!(
            progress_line(5_000_000, None, d),
            "reading 5.00 MB  2.5 MB/s"
        );
    }
}
