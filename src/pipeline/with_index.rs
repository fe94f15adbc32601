//! The [`Index`] and [`IndexParams`] conveniences that take a [`Deduper`]: here, above
//! both, so that the index (a search structure) does not depend on the pipeline.

use super::Deduper;
use crate::error::Result;
use crate::index::{Index, IndexParams};
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
