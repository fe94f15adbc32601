//! The [`Index`] and [`IndexParams`] conveniences that take a [`Deduper`]: here, above
//! both, so that the index (a search structure) does not depend on the pipeline.

use super::Deduper;
use crate::error::{ErrorKind, Result};
use crate::index::{Index, IndexParams};
use rayon::prelude::*;
use std::io::Read;
use std::path::Path;

impl IndexParams {
    /// The parameters of a deduper.
    pub fn of(deduper: &Deduper) -> IndexParams {
        IndexParams {
            normalizer: *deduper.normalizer(),
            shingles: deduper.shingler().kind(),
            seed: deduper.shingler().seed(),
            num_perm: deduper.hasher().num_perm(),
            lsh: deduper.lsh_params(),
            threshold: deduper.threshold(),
        }
    }
}

impl Index {
    /// An empty index with the parameters of `deduper`.
    pub fn new(deduper: &Deduper) -> Index {
        Index::with_params(IndexParams::of(deduper)).expect("a built deduper has valid parameters")
    }

    /// Checks that this index was built with `deduper`'s parameters.
    pub fn check_params(&self, deduper: &Deduper) -> Result<()> {
        self.check_against(&IndexParams::of(deduper))
    }

    /// Loads an index from `path` and checks that it was built with `deduper`'s
    /// parameters (see [`load_any`](Index::load_any)).
    pub fn load(path: impl AsRef<Path>, deduper: &Deduper) -> Result<Index> {
        let index = Index::load_any(path)?;
        index.check_params(deduper)?;
        Ok(index)
    }

    /// Reads an index from `r` and checks it against `deduper`'s parameters (see
    /// [`read_any`](Index::read_any)).
    pub fn read_from(r: impl Read, deduper: &Deduper) -> Result<Index> {
        let index = Index::read_any(r)?;
        index.check_params(deduper)?;
        Ok(index)
    }
}

impl Deduper {
    /// A [`Sketcher`](crate::Sketcher) with this deduper's normalizer, shingles,
    /// permutations and SimHash features: text to the signatures and fingerprints
    /// this deduper compares.
    ///
    /// ```
    /// use paradup::{Deduper, ShingleKind};
    ///
    /// let d = Deduper::builder().shingles(ShingleKind::Chars(4)).num_perm(64).build()?;
    /// let s = d.sketcher();
    /// assert_eq!(s.signature("Hello, world").slots().len(), 64);
    /// assert_eq!(s.shingles("Hello, world"), s.shingles("hello world!"));
    /// # Ok::<(), paradup::Error>(())
    /// ```
    pub fn sketcher(&self) -> crate::Sketcher {
        crate::Sketcher::from_parts(
            *self.normalizer(),
            *self.shingler(),
            self.hasher().clone(),
            *self.simhasher(),
        )
    }
}

/// Batch operations on an [`Index`], in parallel.
impl Deduper {
    /// Sketches `texts` in parallel (on this deduper's pool) and inserts them into
    /// `index` under `keys`, in order (a later duplicate key replaces an earlier one,
    /// as with [`Index::insert`](crate::Index::insert)).
    ///
    /// # Errors
    /// Nothing is inserted when `keys` and `texts` differ in length
    /// ([`ErrorKind::KeyCountMismatch`]), when `index` was built with other parameters
    /// than this deduper's ([`ErrorKind::IndexMismatch`]), or when it has no room for
    /// `texts.len()` more paragraphs ([`ErrorKind::IndexFull`]).
    ///
    /// ```
    /// use paradup::{Deduper, ErrorKind, Index};
    ///
    /// let d = Deduper::new();
    /// let mut index = Index::new(&d);
    /// let err = d.insert_batch(&mut index, &[1, 2], &["only one text"]).unwrap_err();
    /// assert_eq!(err.kind(), &ErrorKind::KeyCountMismatch { keys: 2, texts: 1 });
    /// d.insert_batch(&mut index, &[1], &["only one text"])?;
    /// assert!(index.contains(1));
    /// # Ok::<(), paradup::Error>(())
    /// ```
    pub fn insert_batch<S: AsRef<str> + Sync>(
        &self,
        index: &mut crate::Index,
        keys: &[u64],
        texts: &[S],
    ) -> Result<()> {
        if keys.len() != texts.len() {
            return Err(ErrorKind::KeyCountMismatch {
                keys: keys.len(),
                texts: texts.len(),
            }
            .into());
        }
        index.check_params(self)?;
        // Every insert takes a new slot (a replaced key's old one stays a tombstone).
        if index.slots().saturating_add(texts.len()) >= u32::MAX as usize {
            return Err(ErrorKind::IndexFull(index.len()).into());
        }
        let sketches = self.sketch_all(index.sketcher(), texts);
        for (&key, sketch) in keys.iter().zip(&sketches) {
            index.insert_sketch(key, sketch);
        }
        Ok(())
    }

    /// Sketches `texts` in parallel with `sketcher`, in input order.
    pub fn sketch_all<S: AsRef<str> + Sync>(
        &self,
        sketcher: &crate::Sketcher,
        texts: &[S],
    ) -> Vec<crate::Sketch> {
        let work = || {
            texts
                .par_iter()
                .map_init(crate::SketchScratch::default, |scratch, t| {
                    let mut out = crate::Sketch {
                        exact: 0,
                        signature: Vec::new(),
                        has_shingles: false,
                    };
                    sketcher.sketch_into(t.as_ref(), scratch, &mut out);
                    out
                })
                .collect()
        };
        match &self.pool {
            Some(pool) => pool.install(work),
            None => work(),
        }
    }
}
