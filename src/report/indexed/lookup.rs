//! A corpus matched against a [`NamedIndex`], kept for growing the index after.

use super::NamedIndex;
use crate::corpus::{Corpus, Distinct};
use crate::error::Result;
use crate::index::{Matches, Sketch};
use crate::paragraph::Paragraph;
use crate::pipeline::Deduper;
use crate::report::matches::Hit;
use crate::report::text_of;
use rayon::prelude::*;

/// The paragraphs of a corpus that match a [`NamedIndex`] ([`hits`](Self::hits)),
/// with what [`NamedIndex::insert_new`] needs to add the others without sketching
/// them again. Made by [`NamedIndex::lookup`].
#[derive(Clone, Debug)]
pub struct Lookup {
    paragraphs: Vec<Paragraph>,
    distinct: Distinct,
    sketches: Vec<Sketch>,
    found: Vec<Matches>,
    hits: Vec<Hit>,
}

impl Lookup {
    /// Every paragraph with a match, in input order, its matches best first.
    pub fn hits(&self) -> &[Hit] {
        &self.hits
    }

    /// The hits, without the rest.
    pub fn into_hits(self) -> Vec<Hit> {
        self.hits
    }
}

impl NamedIndex {
    /// Matches every paragraph of `corpus` against the index: each distinct text is
    /// sketched and queried once, in parallel.
    ///
    /// # Errors
    /// [`ErrorKind::TooManyDocuments`](crate::ErrorKind::TooManyDocuments) when a
    /// `u32` cannot number the documents.
    ///
    /// # Panics
    /// If the index was built with other parameters than `deduper`'s.
    pub fn lookup(&self, deduper: &Deduper, corpus: &Corpus) -> Result<Lookup> {
        let paragraphs = corpus.paragraphs(deduper.splitter())?;
        let distinct = Distinct::new(deduper, corpus, &paragraphs);
        let texts: Vec<&str> = distinct
            .firsts()
            .iter()
            .map(|&i| text_of(corpus, &paragraphs[i]))
            .collect();
        let sketches = deduper.sketch_all(self.index.sketcher(), &texts);
        let found: Vec<Matches> = sketches
            .par_iter()
            .map(|s| self.index.query_sketch(s))
            .collect();
        let hits = paragraphs
            .iter()
            .zip(distinct.text_of())
            .filter(|&(_, &t)| !found[t].is_empty())
            .map(|(p, &t)| Hit {
                paragraph: *p,
                matches: found[t].clone(),
            })
            .collect();
        Ok(Lookup {
            paragraphs,
            distinct,
            sketches,
            found,
            hits,
        })
    }

    /// Adds the distinct texts of `lookup` that the index does not hold exactly, in
    /// input order, under the next keys ([`Names::next_key`](crate::report::matches::Names::next_key)),
    /// named after their first paragraphs; returns how many were added.
    ///
    /// # Errors
    /// [`ErrorKind::IndexKeysExhausted`](crate::ErrorKind::IndexKeysExhausted) or
    /// [`ErrorKind::IndexFull`](crate::ErrorKind::IndexFull) when a text has no key
    /// or no room left; those added before stay.
    ///
    /// # Panics
    /// If `lookup` was not made by [`lookup`](Self::lookup) on this index and `corpus`.
    pub fn insert_new(&mut self, corpus: &Corpus, lookup: &Lookup) -> Result<usize> {
        let mut next = self.names.next_key();
        let mut added = 0;
        for (c, sketch) in lookup.sketches.iter().enumerate() {
            if lookup.found[c].iter().any(|m| m.exact) {
                continue;
            }
            let key = self.take_key(next)?;
            self.index.insert_sketch(key, sketch);
            let first = &lookup.paragraphs[lookup.distinct.firsts()[c]];
            self.names.insert_paragraph(key, corpus, first);
            next = key.checked_add(1);
            added += 1;
        }
        Ok(added)
    }
}
