//! Reports against an [`Index`]: the paragraphs of a run that match paragraphs seen
//! before, and the [`Names`] table that says where those earlier paragraphs came from.
//!
//! An index keeps a `u64` key per paragraph and no text, so on its own it can only say
//! "key 1234". The example deduper (`dedup --save-index FILE`) therefore writes a names
//! table beside every index it saves, `FILE.names.jsonl` ([`names_path`]), and loads it
//! with the index (`--against FILE`) to name each match by its source and line.
//!
//! # The names file, version 1
//!
//! JSON Lines in UTF-8. The first line is a header:
//!
//! ```json
//! {"paradup_names":1,"index_checksum":"3d5f0c9b2a417e68","entries":2}
//! ```
//!
//! `index_checksum` ties the table to one index file: it is that file's own checksum
//! (its last 8 bytes, a little-endian `u64`; see the [index file
//! format](crate::index#file-format-version-1)) in 16 lowercase hex digits, and
//! loading checks it ([`file_checksum`]). `entries` is the number of lines that follow,
//! one per key of the index, in key order:
//!
//! ```json
//! {"key":0,"source":"a.txt","paragraph":1,"line":3,"start":24,"end":209}
//! {"key":1,"source":"r1","file":"records.jsonl.gz","record":0,"paragraph":0,"line":1,"start":0,"end":141}
//! ```
//!
//! `source` is the document's name (the file as it was given, or a JSONL record's id);
//! JSONL records also carry `file` (the file) and `record` (the 0-based line in it).
//! `paragraph` is the 0-based paragraph index in the document, `line` the 1-based line,
//! `start` and `end` the byte span, all as in the cluster reports ([`super`]).
//!
//! # Reports
//!
//! A [`Hit`] is a paragraph of the run with the [`Matches`] it found; the writers
//! print hits in the order given (input order, from the deduper), each match named
//! through the table: [`write_text`], [`write_jsonl`], [`write_pairs`].

use super::rewrite::{Keep, Removal, removals};
use super::{
    PairIds, TextStyle, ambiguous_names, escape_control, escape_pair_field, json, label,
    push_provenance, qualified, reported_span, text_of,
};
use crate::cluster::Clusters;
use crate::corpus::Corpus;
use crate::index::{Index, Match, Matches};
use crate::paragraph::Paragraph;
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fmt::{self, Write as _};
use std::io::{self, BufRead, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The version of the names file this crate writes and reads.
pub const NAMES_VERSION: u64 = 1;

/// Where an indexed paragraph came from: enough to name it in a report.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Origin {
    /// The document's name: the file, or a JSONL record's id.
    pub source: Arc<str>,
    /// For a JSONL record, the file it is in.
    pub file: Option<Arc<str>>,
    /// For a JSONL record, its 0-based line in the file.
    pub record: Option<u64>,
    /// 0-based index of the paragraph in its document.
    pub paragraph: u32,
    /// 1-based line of the paragraph's first line.
    pub line: u64,
    /// Byte offset of its start (see [`reported_span`]).
    pub start: usize,
    /// Byte offset of its end.
    pub end: usize,
}

impl Origin {
    /// Paragraph `p` of `corpus`.
    ///
    /// # Panics
    /// If `p` did not come from a run on `corpus`'s documents.
    pub fn of(corpus: &Corpus, p: &Paragraph) -> Origin {
        let doc = p.doc as usize;
        let d = &corpus.documents()[doc];
        let (start, end) = reported_span(corpus, p);
        Origin {
            source: corpus.name_of(doc).into(),
            file: d.record().map(|_| corpus.source_of(doc).name().into()),
            record: d.record(),
            paragraph: p.index,
            line: p.line,
            start,
            end,
        }
    }

    /// `SOURCE:LINE`, as [`label`] names a paragraph of the run.
    pub fn label(&self) -> String {
        format!("{}:{}", self.source, self.line)
    }
}

/// The names of an index's keys: key → [`Origin`]. See the [module docs](self).
#[derive(Clone, Debug, Default)]
pub struct Names {
    map: HashMap<u64, Origin>,
    /// The names of the last paragraph inserted, to share with the next.
    recent: Option<(Arc<str>, Option<Arc<str>>)>,
}

/// A names file that cannot be used: its 1-based line (0 for the file as a whole) and
/// what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamesError {
    /// The line, 1-based; 0 when the problem is not on one line.
    pub line: u64,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for NamesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(f, "line {}: {}", self.line, self.message)
        } else {
            f.write_str(&self.message)
        }
    }
}

impl std::error::Error for NamesError {}

impl Names {
    /// An empty table.
    pub fn new() -> Names {
        Names::default()
    }

    /// Number of keys named.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether no key is named.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The origin of `key`.
    pub fn get(&self, key: u64) -> Option<&Origin> {
        self.map.get(&key)
    }

    /// Names `key`, replacing what it was named before.
    pub fn insert(&mut self, key: u64, origin: Origin) {
        self.map.insert(key, origin);
    }

    /// Names `key` after paragraph `p` of `corpus`. Paragraphs named one after
    /// another from one document share its name's allocation.
    ///
    /// # Panics
    /// If `p` did not come from a run on `corpus`'s documents.
    pub fn insert_paragraph(&mut self, key: u64, corpus: &Corpus, p: &Paragraph) {
        let mut origin = Origin::of(corpus, p);
        if let Some((source, file)) = &self.recent {
            if *source == origin.source {
                origin.source = source.clone();
            }
            if let (Some(a), Some(b)) = (file, &origin.file)
                && a == b
            {
                origin.file = Some(a.clone());
            }
        }
        self.recent = Some((origin.source.clone(), origin.file.clone()));
        self.map.insert(key, origin);
    }

    /// One past the largest key, 0 when the table is empty; `None` when the largest
    /// key is `u64::MAX`. New keys counted from here never collide with named ones.
    pub fn next_key(&self) -> Option<u64> {
        match self.map.keys().max() {
            None => Some(0),
            Some(&k) => k.checked_add(1),
        }
    }

    /// Writes the table (see the [module docs](self)) for the index file whose
    /// checksum is `index_checksum`.
    pub fn write_to(&self, out: &mut dyn Write, index_checksum: u64) -> io::Result<()> {
        let mut keys: Vec<u64> = self.map.keys().copied().collect();
        keys.sort_unstable();
        writeln!(
            out,
            "{{\"paradup_names\":{NAMES_VERSION},\"index_checksum\":\"{index_checksum:016x}\",\"entries\":{}}}",
            keys.len()
        )?;
        let mut line = String::new();
        for key in keys {
            let o = &self.map[&key];
            line.clear();
            let _ = write!(line, "{{\"key\":{key},\"source\":");
            json::push_str(&mut line, &o.source);
            if let Some(file) = &o.file {
                line.push_str(",\"file\":");
                json::push_str(&mut line, file);
            }
            if let Some(r) = o.record {
                let _ = write!(line, ",\"record\":{r}");
            }
            let _ = writeln!(
                line,
                ",\"paragraph\":{},\"line\":{},\"start\":{},\"end\":{}}}",
                o.paragraph, o.line, o.start, o.end
            );
            out.write_all(line.as_bytes())?;
        }
        Ok(())
    }

    /// Reads a table written by [`write_to`](Self::write_to) and checks it against
    /// `index`, whose file has checksum `index_checksum`: the version, the checksum,
    /// every line, and that the table names every key of the index and no other.
    /// Every malformed input is an error, never a panic.
    pub fn read_from(
        input: impl BufRead,
        index: &Index,
        index_checksum: u64,
    ) -> Result<Names, NamesError> {
        let err = |line: u64, message: String| NamesError { line, message };
        let mut lines = input.lines();
        let header = match lines.next() {
            None => return Err(err(0, "empty file, no header".into())),
            Some(l) => l.map_err(|e| err(1, format!("cannot read: {e}")))?,
        };
        let header: serde_json::Value = serde_json::from_str(&header)
            .map_err(|e| err(1, format!("not a names header ({e})")))?;
        match header.get("paradup_names").and_then(|v| v.as_u64()) {
            Some(NAMES_VERSION) => {}
            Some(v) => {
                return Err(err(
                    1,
                    format!(
                        "names format version {v} is not supported (this build reads version {NAMES_VERSION})"
                    ),
                ));
            }
            None => return Err(err(1, "not a names header (no \"paradup_names\")".into())),
        }
        let want = format!("{index_checksum:016x}");
        match header.get("index_checksum").and_then(|v| v.as_str()) {
            Some(c) if c == want => {}
            Some(c) => {
                return Err(err(
                    1,
                    format!(
                        "written for another index (index checksum {c}, but the index file's is {want})"
                    ),
                ));
            }
            None => return Err(err(1, "header has no \"index_checksum\"".into())),
        }
        let entries = header
            .get("entries")
            .and_then(|v| v.as_u64())
            .ok_or_else(|| err(1, "header has no \"entries\" count".into()))?;
        if entries != index.len() as u64 {
            return Err(err(
                1,
                format!(
                    "names {entries} paragraphs, but the index holds {}",
                    index.len()
                ),
            ));
        }
        let mut names = Names::new();
        let mut last: Option<Origin> = None;
        let mut n: u64 = 1;
        for line in lines {
            n += 1;
            let line = line.map_err(|e| err(n, format!("cannot read: {e}")))?;
            let origin = parse_entry(&line, last.as_ref()).map_err(|m| err(n, m))?;
            let key = origin.0;
            if !index.contains(key) {
                return Err(err(n, format!("key {key} is not in the index")));
            }
            if names.map.insert(key, origin.1.clone()).is_some() {
                return Err(err(n, format!("key {key} is named twice")));
            }
            last = Some(origin.1);
        }
        if names.len() as u64 != entries {
            return Err(err(
                0,
                format!(
                    "truncated: the header promises {entries} entries, the file holds {}",
                    names.len()
                ),
            ));
        }
        Ok(names)
    }
}

/// One entry line → (key, origin); `last` lends its name allocations when they repeat.
fn parse_entry(line: &str, last: Option<&Origin>) -> Result<(u64, Origin), String> {
    let v: serde_json::Value =
        serde_json::from_str(line).map_err(|e| format!("not a JSON entry ({e})"))?;
    let obj = v
        .as_object()
        .ok_or_else(|| "an entry must be a JSON object".to_string())?;
    let uint = |name: &str| -> Result<u64, String> {
        obj.get(name)
            .and_then(|v| v.as_u64())
            .ok_or_else(|| format!("field \"{name}\" missing or not an unsigned integer"))
    };
    let string = |name: &str| -> Result<Option<&str>, String> {
        match obj.get(name) {
            None => Ok(None),
            Some(v) => v
                .as_str()
                .map(Some)
                .ok_or_else(|| format!("field \"{name}\" is not a string")),
        }
    };
    let shared = |s: &str, prev: Option<&Arc<str>>| -> Arc<str> {
        match prev {
            Some(p) if &**p == s => p.clone(),
            _ => s.into(),
        }
    };
    let source = string("source")?.ok_or_else(|| "field \"source\" missing".to_string())?;
    let file = string("file")?;
    let record = match obj.get("record") {
        None => None,
        Some(_) => Some(uint("record")?),
    };
    let too_big = |name: &str| format!("field \"{name}\" is out of range");
    let paragraph = u32::try_from(uint("paragraph")?).map_err(|_| too_big("paragraph"))?;
    let start = usize::try_from(uint("start")?).map_err(|_| too_big("start"))?;
    let end = usize::try_from(uint("end")?).map_err(|_| too_big("end"))?;
    if end < start {
        return Err(format!("span {start}..{end} ends before it starts"));
    }
    let origin = Origin {
        source: shared(source, last.map(|o| &o.source)),
        file: file.map(|f| shared(f, last.and_then(|o| o.file.as_ref()))),
        record,
        paragraph,
        line: uint("line")?,
        start,
        end,
    };
    Ok((uint("key")?, origin))
}

/// `FILE.names.jsonl`: where the names of the index at `index` are kept.
pub fn names_path(index: &Path) -> PathBuf {
    let mut name = index.as_os_str().to_os_string();
    name.push(".names.jsonl");
    PathBuf::from(name)
}

/// The checksum of the index file at `path`: its last 8 bytes as a little-endian
/// `u64` (the file is not otherwise read or checked; [`Index::load`] does that).
pub fn file_checksum(path: &Path) -> io::Result<u64> {
    let mut f = std::fs::File::open(path)?;
    let len = f.seek(SeekFrom::End(0))?;
    if len < 8 {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "too short for an index file",
        ));
    }
    f.seek(SeekFrom::Start(len - 8))?;
    let mut tail = [0u8; 8];
    f.read_exact(&mut tail)?;
    Ok(u64::from_le_bytes(tail))
}

/// A paragraph of the run and the earlier paragraphs it matches, best first.
#[derive(Clone, Debug, PartialEq)]
pub struct Hit {
    /// The paragraph of the run.
    pub paragraph: Paragraph,
    /// What it matches: keys of the index, named through [`Names`].
    pub matches: Matches,
}

/// The paragraphs a deduper drops when it also dedups against an index: as
/// [`removals`], except that a cluster with a member among `hits` loses every member
/// (the index already holds a near-duplicate of the cluster, and a cluster is one
/// group), and every hit outside the clusters goes too. So the index always wins,
/// whatever [`Keep`] says: like a batch run over the indexed paragraphs followed by
/// the new ones, keeping the first.
///
/// A removal's `cluster` is its cluster's index, or for a hit outside the clusters
/// `clusters.len()` plus the hit's index in `hits`; its `similarity` is the best
/// match's for a hit, else the similarity to the cluster's representative. Sorted by
/// document and paragraph index.
pub fn removals_against(clusters: &Clusters, keep: Keep, hits: &[Hit]) -> Vec<Removal> {
    let best = |h: &Hit| h.matches.best().map_or(1.0, |m| m.similarity);
    let hit_at: HashMap<(u32, u32), usize> = hits
        .iter()
        .enumerate()
        .map(|(i, h)| ((h.paragraph.doc, h.paragraph.index), i))
        .collect();
    let mut in_cluster: HashSet<(u32, u32)> = HashSet::new();
    let mut hit_clusters: HashSet<usize> = HashSet::new();
    for (ci, c) in clusters.iter().enumerate() {
        for m in c.members() {
            let at = (m.paragraph.doc, m.paragraph.index);
            in_cluster.insert(at);
            if hit_at.contains_key(&at) {
                hit_clusters.insert(ci);
            }
        }
    }
    let mut out: Vec<Removal> = removals(clusters, keep)
        .into_iter()
        .filter(|r| !hit_clusters.contains(&r.cluster))
        .collect();
    for (ci, c) in clusters.iter().enumerate() {
        if !hit_clusters.contains(&ci) {
            continue;
        }
        out.extend(c.members().iter().map(|m| {
            let at = (m.paragraph.doc, m.paragraph.index);
            Removal {
                paragraph: m.paragraph,
                cluster: ci,
                similarity: hit_at.get(&at).map_or(m.similarity, |&i| best(&hits[i])),
            }
        }));
    }
    for (i, h) in hits.iter().enumerate() {
        if !in_cluster.contains(&(h.paragraph.doc, h.paragraph.index)) {
            out.push(Removal {
                paragraph: h.paragraph,
                cluster: clusters.len() + i,
                similarity: best(h),
            });
        }
    }
    out.sort_by_key(|r| (r.paragraph.doc, r.paragraph.index));
    out
}

/// `exact duplicate` or `similarity 0.781`.
fn kind(m: &Match) -> String {
    if m.exact {
        "exact duplicate".to_string()
    } else {
        format!("similarity {:.3}", m.similarity)
    }
}

/// ` (FILE line N)` for a JSONL record, else nothing.
fn record_where(file: Option<&str>, record: Option<u64>) -> String {
    match (file, record) {
        (Some(f), Some(r)) => format!(" ({} line {})", escape_control(f), r + 1),
        _ => String::new(),
    }
}

/// `SOURCE:LINE` of a match, or `index key K` when the table does not name it.
fn match_label(names: &Names, key: u64) -> String {
    names
        .get(key)
        .map_or_else(|| format!("index key {key}"), Origin::label)
}

/// Writes each hit for people: a heading with the paragraph's name, its text
/// (shortened past [`TextStyle::max_words`]), then each match (up to
/// [`TextStyle::max_members`], 0 for all) with its name and similarity, or "exact
/// duplicate" (equal after normalization). There is no diff: the index keeps no text.
/// Names, files and text are escaped as in [`super::write_text`]
/// ([`escape_control`]).
///
/// ```text
/// match 0: new.txt:3
///     The committee met on Tuesday to review the annual budget, …
///   a.txt:3  similarity 0.781
/// ```
pub fn write_text(
    out: &mut dyn Write,
    corpus: &Corpus,
    names: &Names,
    hits: &[Hit],
    style: &TextStyle,
) -> io::Result<()> {
    for (i, h) in hits.iter().enumerate() {
        let p = &h.paragraph;
        let doc = &corpus.documents()[p.doc as usize];
        let here = record_where(
            doc.record()
                .map(|_| corpus.source_of(p.doc as usize).name()),
            doc.record(),
        );
        let mut s = format!(
            "match {i}: {}{here}\n    {}\n",
            escape_control(&label(corpus, p)),
            super::diff::shorten(text_of(corpus, p), style.max_words)
        );
        let all = h.matches.as_slice();
        let shown = match style.max_members {
            0 => all.len(),
            n => n.min(all.len()),
        };
        for m in &all[..shown] {
            let there = names
                .get(m.key)
                .map_or_else(String::new, |o| record_where(o.file.as_deref(), o.record));
            let _ = writeln!(
                s,
                "  {}  {}{there}",
                escape_control(&match_label(names, m.key)),
                kind(m)
            );
        }
        if shown < all.len() {
            let _ = writeln!(s, "  … and {} more", all.len() - shown);
        }
        s.push('\n');
        out.write_all(s.as_bytes())?;
    }
    Ok(())
}

/// Writes one JSON object per hit, one per line:
///
/// ```json
/// {"match":0,"source":"new.txt","paragraph":2,"line":3,"start":80,"end":265,"matches":[{"key":0,"source":"a.txt","paragraph":1,"line":3,"start":24,"end":209,"similarity":0.78125,"exact":false}]}
/// ```
///
/// The paragraph's fields are those of a cluster member ([`super::write_jsonl`]); each
/// match carries its index key, the fields of its [`Origin`] (as in the names file;
/// none when the table does not name the key), its similarity (1.0 for an exact
/// duplicate, else the signature estimate) and whether it is exact. The objects have
/// `"match"` where clusters have `"cluster"`, so both can share a stream.
pub fn write_jsonl(
    out: &mut dyn Write,
    corpus: &Corpus,
    names: &Names,
    hits: &[Hit],
) -> io::Result<()> {
    for (i, h) in hits.iter().enumerate() {
        let mut line = format!("{{\"match\":{i},");
        push_provenance(&mut line, corpus, &h.paragraph);
        line.push_str(",\"matches\":[");
        for (j, m) in h.matches.iter().enumerate() {
            if j > 0 {
                line.push(',');
            }
            let _ = write!(line, "{{\"key\":{}", m.key);
            if let Some(o) = names.get(m.key) {
                line.push_str(",\"source\":");
                json::push_str(&mut line, &o.source);
                if let Some(f) = &o.file {
                    line.push_str(",\"file\":");
                    json::push_str(&mut line, f);
                }
                if let Some(r) = o.record {
                    let _ = write!(line, ",\"record\":{r}");
                }
                let _ = write!(
                    line,
                    ",\"paragraph\":{},\"line\":{},\"start\":{},\"end\":{}",
                    o.paragraph, o.line, o.start, o.end
                );
            }
            let _ = write!(
                line,
                ",\"similarity\":{},\"exact\":{}}}",
                json::number(m.similarity),
                m.exact
            );
        }
        line.push_str("]}\n");
        out.write_all(line.as_bytes())?;
    }
    Ok(())
}

/// Writes one line per match: `NEW_ID<TAB>OLD_ID<TAB>SIMILARITY`, the paragraph of
/// the run first, then the earlier one, hits in order and each hit's matches best
/// first. Ids as in [`super::write_pairs`], escapes included; a JSONL record's id that
/// another file also uses, among the hits and the matches named, is `FILE:ID`
/// (a match's file as the names table has it); a key the table does not name is
/// `index key K`.
pub fn write_pairs(
    out: &mut dyn Write,
    corpus: &Corpus,
    names: &Names,
    hits: &[Hit],
    ids: PairIds,
) -> io::Result<()> {
    let file_of = |doc: usize| {
        corpus.documents()[doc]
            .record()
            .map(|_| corpus.source_of(doc).name())
    };
    let ambiguous = ambiguous_names(hits.iter().flat_map(|h| {
        let doc = h.paragraph.doc as usize;
        std::iter::once((corpus.name_of(doc), file_of(doc))).chain(
            h.matches
                .iter()
                .filter_map(|m| names.get(m.key))
                .map(|o| (&*o.source, o.file.as_deref())),
        )
    }));
    let id = |name: Cow<str>, line: u64| match ids {
        PairIds::Documents => escape_pair_field(&name).into_owned(),
        PairIds::Paragraphs => escape_pair_field(&format!("{name}:{line}")).into_owned(),
    };
    let mut buf = String::new();
    for h in hits {
        let p = &h.paragraph;
        let doc = p.doc as usize;
        let new = id(
            qualified(corpus.name_of(doc), file_of(doc), &ambiguous),
            p.line,
        );
        for m in h.matches.iter() {
            let old = match names.get(m.key) {
                Some(o) => id(qualified(&o.source, o.file.as_deref(), &ambiguous), o.line),
                None => escape_pair_field(&match_label(names, m.key)).into_owned(),
            };
            buf.clear();
            let _ = writeln!(buf, "{new}\t{old}\t{}", json::number(m.similarity));
            out.write_all(buf.as_bytes())?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
