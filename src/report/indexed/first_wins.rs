//! Streaming first-wins: each paragraph kept only if it matches nothing kept before.

use super::NamedIndex;
use crate::corpus::Corpus;
use crate::error::{Error, ErrorKind, Result};
use crate::paragraph::Paragraph;
use crate::pipeline::Deduper;
use crate::report::matches::Hit;
use crate::report::rewrite::Removal;
use crate::report::text_of;

/// Paragraphs sketched at once: enough for the threads to share, few enough that
/// memory stays with the index.
const CHUNK: usize = 1 << 13;

/// What [`NamedIndex::first_wins`] dropped and counted.
#[derive(Clone, Debug, PartialEq)]
pub struct FirstWins {
    hits: Vec<Hit>,
    paragraphs: usize,
    bytes: usize,
}

impl FirstWins {
    /// The paragraphs dropped, in input order, each with what it matched (the index's
    /// paragraphs and those kept before it), best first.
    pub fn hits(&self) -> &[Hit] {
        &self.hits
    }

    /// The hits, without the counts.
    pub fn into_hits(self) -> Vec<Hit> {
        self.hits
    }

    /// The number of paragraphs streamed.
    pub fn paragraphs(&self) -> usize {
        self.paragraphs
    }

    /// Their bytes.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// The number of paragraphs kept (inserted into the index).
    pub fn kept(&self) -> usize {
        self.paragraphs - self.hits.len()
    }

    /// The hits as removals, for [`rewrite`](crate::report::rewrite): each its own
    /// group (its position among the hits), with its best match's similarity.
    pub fn removals(&self) -> Vec<Removal> {
        self.hits
            .iter()
            .enumerate()
            .map(|(i, h)| Removal {
                paragraph: h.paragraph,
                cluster: i,
                similarity: h.matches.best().map_or(1.0, |m| m.similarity),
            })
            .collect()
    }
}

impl NamedIndex {
    /// Streams the paragraphs of `corpus` in input order: each is kept (inserted under
    /// the next key and named) only if it matches nothing in the index, which holds
    /// what was loaded and every paragraph kept before it. Chunks are sketched in
    /// parallel and fed through [`Index::insert_sketch_if_new`](crate::Index::insert_sketch_if_new)
    /// in order, so the result is that of feeding the paragraphs one by one through
    /// [`Index::insert_if_new`](crate::Index::insert_if_new), whatever the threads.
    ///
    /// # Errors
    /// [`ErrorKind::TooManyDocuments`], [`ErrorKind::IndexKeysExhausted`] or
    /// [`ErrorKind::IndexFull`]; what was kept before stays in the index.
    ///
    /// # Panics
    /// If the index was built with other parameters than `deduper`'s.
    ///
    /// ```
    /// use paradup::Deduper;
    /// use paradup::corpus::{CorpusReader, Input};
    /// use paradup::report::indexed::NamedIndex;
    ///
    /// let text = b"The quick brown fox jumps over the lazy dog.\n\nSomething else.\n\n\
    ///              The quick brown fox jumps over the lazy dog!\n".to_vec();
    /// let inputs = [Input::Bytes { name: "a.txt".into(), bytes: text }];
    /// let corpus = CorpusReader::new().read(&inputs, |_| {}).unwrap();
    /// let deduper = Deduper::new();
    /// let mut named = NamedIndex::new(&deduper);
    /// let run = named.first_wins(&deduper, &corpus).unwrap();
    /// assert_eq!((run.paragraphs(), run.kept()), (3, 2));
    /// assert_eq!(run.hits()[0].paragraph.line, 5);
    /// assert_eq!(run.hits()[0].matches.best().unwrap().key, 0);
    /// assert_eq!(named.len(), 2);
    /// ```
    pub fn first_wins(&mut self, deduper: &Deduper, corpus: &Corpus) -> Result<FirstWins> {
        let docs = corpus.documents();
        if u32::try_from(docs.len()).is_err() {
            return Err(Error::from(ErrorKind::TooManyDocuments(docs.len())));
        }
        let mut next = self.names.next_key();
        let mut hits: Vec<Hit> = Vec::new();
        let (mut count, mut bytes) = (0usize, 0usize);
        let mut chunk: Vec<Paragraph> = Vec::with_capacity(CHUNK);
        for (d, doc) in docs.iter().enumerate() {
            for p in deduper.splitter().split(d as u32, doc.text()) {
                count += 1;
                bytes += p.len();
                chunk.push(p);
                if chunk.len() == CHUNK {
                    self.feed(deduper, corpus, &mut chunk, &mut next, &mut hits)?;
                }
            }
        }
        self.feed(deduper, corpus, &mut chunk, &mut next, &mut hits)?;
        Ok(FirstWins {
            hits,
            paragraphs: count,
            bytes,
        })
    }

    /// One chunk of [`first_wins`](Self::first_wins), emptied.
    fn feed(
        &mut self,
        deduper: &Deduper,
        corpus: &Corpus,
        chunk: &mut Vec<Paragraph>,
        next: &mut Option<u64>,
        hits: &mut Vec<Hit>,
    ) -> Result<()> {
        let texts: Vec<&str> = chunk.iter().map(|p| text_of(corpus, p)).collect();
        let sketches = deduper.sketch_all(self.index.sketcher(), &texts);
        for (p, sketch) in chunk.iter().zip(&sketches) {
            let key = self.take_key(*next)?;
            let m = self.index.insert_sketch_if_new(key, sketch);
            if m.is_empty() {
                self.names.insert_paragraph(key, corpus, p);
                *next = key.checked_add(1);
            } else {
                hits.push(Hit {
                    paragraph: *p,
                    matches: m,
                });
            }
        }
        chunk.clear();
        Ok(())
    }
}
