//! What reports need about a streamed run's cluster members, gathered by one more
//! pass over the sources that hold them.

use super::*;

impl StreamCorpus {
    /// Reads again the sources that hold `paragraphs` (from a streamed run over this
    /// corpus) and keeps their documents' names and their byte spans as reports give
    /// them, and the texts of those in `with_text`.
    ///
    /// # Errors
    /// As [`feed`](Self::feed); [`ErrorKind::ReplayMismatch`] also when a paragraph is
    /// not found where the run found it.
    ///
    /// Both are read once, so they can come straight from the clusters (no list of
    /// millions of members beside the one this makes).
    pub fn gather<'p>(
        &self,
        paragraphs: impl IntoIterator<Item = &'p Paragraph>,
        with_text: impl IntoIterator<Item = &'p Paragraph>,
    ) -> Result<MemberTexts> {
        // Each paragraph once, in order, with its text if either list asks for it:
        // a sorted list, not a map, for the millions of members of a large run.
        let mut all: Vec<(Paragraph, bool)> = paragraphs
            .into_iter()
            .map(|p| (*p, false))
            .chain(with_text.into_iter().map(|p| (*p, true)))
            .collect();
        all.sort_unstable_by_key(|(p, text)| (p.doc, p.index, !*text));
        all.dedup_by_key(|(p, _)| (p.doc, p.index));
        let mut out = MemberTexts {
            source_names: self.meta.sources.iter().map(|s| s.name.clone()).collect(),
            docs: HashMap::new(),
            paragraphs: Vec::with_capacity(all.len()),
            texts: Vec::new(),
            text: String::new(),
        };
        let mut rest = &all[..];
        while let Some((first, _)) = rest.first() {
            let source = self.source_index(first.doc as usize);
            let Some(s) = self.meta.sources.get(source) else {
                return Err(changed("the input"));
            };
            let n = rest.partition_point(|(p, _)| (p.doc as usize) < s.documents.end);
            let (mine, after) = rest.split_at(n.max(1));
            match s.format {
                InputFormat::Jsonl => self.gather_jsonl(source, mine, &mut out)?,
                _ => self.gather_text(source, mine, &mut out)?,
            }
            rest = after;
        }
        // Added in order (sources in order, paragraphs in order within each), which
        // `gathered` and the texts' positions rely on.
        debug_assert!(out.paragraphs.is_sorted_by_key(|(k, _)| *k));
        Ok(out)
    }

    fn gather_jsonl(
        &self,
        source: usize,
        mine: &[(Paragraph, bool)],
        out: &mut MemberTexts,
    ) -> Result<()> {
        let name = &self.meta.sources[source].name;
        let mut next = 0;
        self.walk_records(source, |line| {
            let Some((doc, rec)) = &line.record else {
                return Ok(());
            };
            if mine.get(next).is_none_or(|(p, _)| p.doc as usize != *doc) {
                return Ok(());
            }
            out.docs.insert(
                *doc as u32,
                MemberDoc {
                    source: source as u32,
                    record: Some(rec.record),
                    id: Some(rec.id.clone()),
                },
            );
            while let Some((p, with_text)) = mine.get(next).filter(|(p, _)| p.doc as usize == *doc)
            {
                let text = rec.text.get(p.start..p.end).ok_or_else(|| changed(name))?;
                out.add(p, (p.start, p.end), with_text.then_some(text));
                next += 1;
            }
            Ok(())
        })?;
        if next < mine.len() {
            return Err(changed(name));
        }
        Ok(())
    }

    fn gather_text(
        &self,
        source: usize,
        mine: &[(Paragraph, bool)],
        out: &mut MemberTexts,
    ) -> Result<()> {
        let name = &self.meta.sources[source].name;
        let doc = self.meta.sources[source].documents.start;
        out.docs.insert(
            doc as u32,
            MemberDoc {
                source: source as u32,
                record: None,
                id: None,
            },
        );
        let mut next = 0;
        // The paragraph begun on an earlier line: its original start and text so far.
        let mut open: Option<(usize, String)> = None;
        self.walk_lines(source, |line| {
            let (d0, d1) = (line.dec, line.dec_end());
            let cut =
                |a: usize, b: usize| line.text.get(a - d0..b - d0).ok_or_else(|| changed(name));
            while let Some(&(p, with_text)) = mine.get(next) {
                if let Some((start, mut text)) = open.take() {
                    if p.end > d1 {
                        if with_text {
                            text.push_str(line.text);
                        }
                        open = Some((start, text));
                        break;
                    }
                    text.push_str(cut(d0, p.end)?);
                    out.add(
                        &p,
                        (start, line.original_offset(p.end)),
                        with_text.then_some(&text),
                    );
                    next += 1;
                } else if p.start < d1 {
                    if p.start < d0 {
                        return Err(changed(name));
                    }
                    let start = line.original_offset(p.start);
                    if p.end <= d1 {
                        let text = cut(p.start, p.end)?;
                        out.add(
                            &p,
                            (start, line.original_offset(p.end)),
                            with_text.then_some(text),
                        );
                        next += 1;
                    } else {
                        let text = if with_text {
                            cut(p.start, d1)?.to_string()
                        } else {
                            String::new()
                        };
                        open = Some((start, text));
                        break;
                    }
                } else {
                    break;
                }
            }
            Ok(())
        })?;
        if next < mine.len() {
            return Err(changed(name));
        }
        Ok(())
    }
}

/// What reports need about the paragraphs of a streamed run's clusters, gathered by
/// [`StreamCorpus::gather`]: their documents' names, their byte spans as reports give
/// them, and the texts asked for.
#[derive(Clone, Debug, Default)]
pub struct MemberTexts {
    source_names: Vec<String>,
    docs: HashMap<u32, MemberDoc>,
    /// Each paragraph's reported span, sorted by (document, index).
    paragraphs: Vec<((u32, u32), (usize, usize))>,
    /// The texts asked for, by position in `paragraphs` (ascending), into `text`:
    /// kept apart so that the millions of members whose text no report shows cost
    /// 24 bytes each.
    texts: Vec<(usize, Range<usize>)>,
    text: String,
}

#[derive(Clone, Debug)]
struct MemberDoc {
    source: u32,
    record: Option<u64>,
    id: Option<String>,
}

impl MemberTexts {
    fn add(&mut self, p: &Paragraph, span: (usize, usize), text: Option<&str>) {
        if let Some(t) = text {
            let start = self.text.len();
            self.text.push_str(t);
            self.texts
                .push((self.paragraphs.len(), start..self.text.len()));
        }
        self.paragraphs.push(((p.doc, p.index), span));
    }

    fn doc(&self, doc: usize) -> &MemberDoc {
        self.docs
            .get(&(doc as u32))
            .unwrap_or_else(|| panic!("document {doc} was not gathered"))
    }

    /// The position of `p` in `paragraphs`.
    fn gathered(&self, p: &Paragraph) -> usize {
        self.paragraphs
            .binary_search_by_key(&(p.doc, p.index), |(k, _)| *k)
            .unwrap_or_else(|_| panic!("paragraph {}/{} was not gathered", p.doc, p.index))
    }

    /// The name of document `doc` in reports, as [`Corpus::name_of`].
    ///
    /// # Panics
    /// If no paragraph of `doc` was gathered.
    pub fn name_of(&self, doc: usize) -> &str {
        let d = self.doc(doc);
        d.id.as_deref()
            .unwrap_or(&self.source_names[d.source as usize])
    }

    /// The name of document `doc`'s source.
    ///
    /// # Panics
    /// If no paragraph of `doc` was gathered.
    pub fn source_name_of(&self, doc: usize) -> &str {
        &self.source_names[self.doc(doc).source as usize]
    }

    /// For a JSONL record, its 0-based line, as [`Document::record`](crate::corpus::Document::record).
    ///
    /// # Panics
    /// If no paragraph of `doc` was gathered.
    pub fn record_of(&self, doc: usize) -> Option<u64> {
        self.doc(doc).record
    }

    /// The byte span of `p` as reports give it (see
    /// [`report::reported_span`](crate::report::reported_span)).
    ///
    /// # Panics
    /// If `p` was not gathered.
    pub fn reported_span(&self, p: &Paragraph) -> (usize, usize) {
        self.paragraphs[self.gathered(p)].1
    }

    /// The text of `p`.
    ///
    /// # Panics
    /// If `p` was not gathered with its text.
    pub fn text_of(&self, p: &Paragraph) -> &str {
        let at = self.gathered(p);
        let Ok(i) = self.texts.binary_search_by_key(&at, |(i, _)| *i) else {
            panic!(
                "the text of paragraph {}/{} was not gathered",
                p.doc, p.index
            )
        };
        &self.text[self.texts[i].1.clone()]
    }
}
