//! Every paragraph of a corpus held in memory, and its distinct texts: what an
//! [`Index`](crate::Index) built from the corpus, or matched against it, is fed.

use super::Corpus;
use crate::error::{Error, ErrorKind, Result};
use crate::index::exact_key;
use crate::paragraph::{Paragraph, ParagraphSplitter};
use crate::pipeline::Deduper;
use rayon::prelude::*;
use std::collections::HashMap;

impl Corpus {
    /// Every paragraph of every document, split by `splitter` (in parallel), in input
    /// order, with document ids as [`Deduper::run_documents`] gives them (the document's index).
    ///
    /// # Errors
    /// [`ErrorKind::TooManyDocuments`] when a `u32` cannot number the documents.
    ///
    /// ```
    /// use paradup::ParagraphSplitter;
    /// use paradup::corpus::{CorpusReader, Input};
    ///
    /// let inputs = [Input::Bytes { name: "a.txt".into(), bytes: b"one\n\ntwo\n".to_vec() }];
    /// let corpus = CorpusReader::new().read(&inputs, |_| {}).unwrap();
    /// let paragraphs = corpus.paragraphs(&ParagraphSplitter::default()).unwrap();
    /// let lines: Vec<u64> = paragraphs.iter().map(|p| p.line).collect();
    /// assert_eq!(lines, [1, 3]);
    /// ```
    pub fn paragraphs(&self, splitter: &ParagraphSplitter) -> Result<Vec<Paragraph>> {
        let docs = self.documents();
        if u32::try_from(docs.len()).is_err() {
            return Err(Error::from(ErrorKind::TooManyDocuments(docs.len())));
        }
        let per_doc: Vec<Vec<Paragraph>> = docs
            .par_iter()
            .enumerate()
            .map(|(d, doc)| splitter.split(d as u32, doc.text()).collect())
            .collect();
        Ok(per_doc.into_iter().flatten().collect())
    }
}

/// The distinct texts of a list of paragraphs: equal after normalization, as a
/// deduper's exact-duplicate stage decides (the same normalizer, seed and key).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Distinct {
    firsts: Vec<usize>,
    text_of: Vec<usize>,
}

impl Distinct {
    /// The distinct texts of `paragraphs` (of `corpus`) under `deduper`'s
    /// normalization, keyed in parallel.
    ///
    /// # Panics
    /// If a paragraph did not come from `corpus`'s documents.
    ///
    /// ```
    /// use paradup::Deduper;
    /// use paradup::corpus::{CorpusReader, Distinct, Input};
    ///
    /// let text = b"Same words.\n\nOther words.\n\nSAME words!\n".to_vec();
    /// let inputs = [Input::Bytes { name: "a.txt".into(), bytes: text }];
    /// let corpus = CorpusReader::new().read(&inputs, |_| {}).unwrap();
    /// let deduper = Deduper::new();
    /// let paragraphs = corpus.paragraphs(deduper.splitter()).unwrap();
    /// let distinct = Distinct::new(&deduper, &corpus, &paragraphs);
    /// assert_eq!(distinct.firsts(), [0, 1]);
    /// assert_eq!(distinct.text_of(), [0, 1, 0]);
    /// ```
    pub fn new(deduper: &Deduper, corpus: &Corpus, paragraphs: &[Paragraph]) -> Distinct {
        let seed = deduper.shingler().seed();
        let keys: Vec<u128> = paragraphs
            .par_iter()
            .map_init(String::new, |buf, p| {
                let raw = p.text(corpus.documents()[p.doc as usize].text());
                deduper.normalizer().normalize_into(raw, buf);
                exact_key(buf, raw, seed)
            })
            .collect();
        let mut number: HashMap<u128, usize> = HashMap::with_capacity(keys.len());
        let mut firsts = Vec::new();
        let text_of = keys
            .iter()
            .enumerate()
            .map(|(i, k)| {
                *number.entry(*k).or_insert_with(|| {
                    firsts.push(i);
                    firsts.len() - 1
                })
            })
            .collect();
        Distinct { firsts, text_of }
    }

    /// For each distinct text, in order of first appearance, the position of its
    /// first paragraph in the list.
    pub fn firsts(&self) -> &[usize] {
        &self.firsts
    }

    /// For each paragraph of the list, the number of its text (an index into
    /// [`firsts`](Self::firsts)).
    pub fn text_of(&self) -> &[usize] {
        &self.text_of
    }

    /// The number of distinct texts.
    pub fn len(&self) -> usize {
        self.firsts.len()
    }

    /// Whether the list was empty.
    pub fn is_empty(&self) -> bool {
        self.firsts.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn corpus(files: &[(&str, &str)]) -> Corpus {
        crate::corpus::test_corpus(files)
    }

    #[test]
    fn paragraphs_follow_documents_in_input_order() {
        let c = corpus(&[("a.txt", "a1\n\na2\n"), ("b.txt", "b1\n")]);
        let ps = c.paragraphs(&ParagraphSplitter::default()).unwrap();
        let got: Vec<(u32, u32, &str)> = ps
            .iter()
            .map(|p| (p.doc, p.index, p.text(c.documents()[p.doc as usize].text())))
            .collect();
        assert_eq!(got, [(0, 0, "a1"), (0, 1, "a2"), (1, 0, "b1")]);
    }

    #[test]
    fn distinct_numbers_texts_by_first_appearance_across_documents() {
        let c = corpus(&[("a.txt", "x y z\n\np q\n"), ("b.txt", "P Q\n\nx, y, z.\n")]);
        let d = Deduper::new();
        let ps = c.paragraphs(d.splitter()).unwrap();
        let distinct = Distinct::new(&d, &c, &ps);
        assert_eq!(distinct.len(), 2);
        assert_eq!(distinct.firsts(), [0, 1]);
        assert_eq!(distinct.text_of(), [0, 1, 1, 0]);
        let empty = Distinct::new(&d, &c, &[]);
        assert!(empty.is_empty());
    }
}
