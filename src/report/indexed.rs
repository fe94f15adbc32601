//! An [`Index`] together with the [`Names`] of its keys, loaded, built and grown as
//! one pair: what the example deduper's `--against`, `--save-index` and
//! `--first-wins` run on, and what any front end that keeps an index across runs
//! needs.
//!
//! An index stores a `u64` key per paragraph and no text; the names say where each
//! key's paragraph came from (see [`matches`](super::matches) for the file). Keys
//! number distinct paragraphs 0, 1, 2, … in input order, and growing an index goes on
//! after its largest key ([`Names::next_key`]), so a key, once given, names the same
//! paragraph in every later index built from it.
//!
//! Three ways to run a corpus against a pair:
//! - [`NamedIndex::from_corpus`]: every distinct paragraph, inserted (a new index);
//! - [`NamedIndex::lookup`] then [`NamedIndex::insert_new`]: every paragraph matched
//!   against the index as it was, then the texts it does not hold exactly added;
//! - [`NamedIndex::first_wins`]: each paragraph in input order kept only if it matches
//!   nothing kept before it (the index's paragraphs included).

mod first_wins;
mod lookup;
#[cfg(test)]
mod tests;

pub use first_wins::FirstWins;
pub use lookup::Lookup;

use super::matches::{Names, NamesError, file_checksum, names_path};
use crate::corpus::{Corpus, Distinct};
use crate::error::{Error, ErrorKind, Result};
use crate::index::Index;
use crate::pipeline::Deduper;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// An [`Index`] and the [`Names`] of its keys. See the [module docs](self).
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
/// // Two distinct texts: keys 0 and 1, named after their first paragraphs.
/// let named = NamedIndex::from_corpus(&deduper, &corpus).unwrap();
/// assert_eq!(named.len(), 2);
/// assert_eq!(named.names().get(1).unwrap().label(), "a.txt:3");
/// ```
#[derive(Clone, Debug)]
pub struct NamedIndex {
    index: Index,
    names: Names,
}

impl NamedIndex {
    /// An empty index with `deduper`'s parameters, and no names.
    pub fn new(deduper: &Deduper) -> NamedIndex {
        NamedIndex {
            index: Index::new(deduper),
            names: Names::new(),
        }
    }

    /// Loads the index at `path` and its names beside it ([`names_path`]), and checks
    /// that the index was built with `deduper`'s parameters and that the names belong
    /// to it (by the index file's checksum, and key by key).
    pub fn load(path: &Path, deduper: &Deduper) -> std::result::Result<NamedIndex, LoadError> {
        let index = Index::load(path, deduper).map_err(LoadError::Index)?;
        let names_path = names_path(path);
        let sum = file_checksum(path).map_err(LoadError::Checksum)?;
        let file = std::fs::File::open(&names_path).map_err(|error| LoadError::NamesMissing {
            path: names_path.clone(),
            error,
        })?;
        let names = Names::read_from(io::BufReader::new(file), &index, sum).map_err(|error| {
            LoadError::Names {
                path: names_path,
                error,
            }
        })?;
        Ok(NamedIndex { index, names })
    }

    /// A new index of every distinct paragraph of `corpus` (distinct after
    /// normalization, as [`Distinct`] decides), keyed 0, 1, 2, … in input order and
    /// named after each text's first paragraph; sketched and inserted in parallel.
    ///
    /// # Errors
    /// [`ErrorKind::TooManyDocuments`] when a `u32` cannot number the documents.
    pub fn from_corpus(deduper: &Deduper, corpus: &Corpus) -> Result<NamedIndex> {
        let paragraphs = corpus.paragraphs(deduper.splitter())?;
        let distinct = Distinct::new(deduper, corpus, &paragraphs);
        let firsts = distinct.firsts();
        let texts: Vec<&str> = firsts
            .iter()
            .map(|&i| super::text_of(corpus, &paragraphs[i]))
            .collect();
        let keys: Vec<u64> = (0..firsts.len() as u64).collect();
        let mut index = Index::new(deduper);
        deduper.insert_batch(&mut index, &keys, &texts)?;
        let mut names = Names::new();
        for (&key, &i) in keys.iter().zip(firsts) {
            names.insert_paragraph(key, corpus, &paragraphs[i]);
        }
        Ok(NamedIndex { index, names })
    }

    /// The index.
    pub fn index(&self) -> &Index {
        &self.index
    }

    /// The names of its keys.
    pub fn names(&self) -> &Names {
        &self.names
    }

    /// The number of paragraphs the index holds.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// Whether the index holds no paragraph.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// The index and its names, apart.
    pub fn into_parts(self) -> (Index, Names) {
        (self.index, self.names)
    }

    /// `next` as the key of one more paragraph, if there is a key and room for it.
    fn take_key(&self, next: Option<u64>) -> Result<u64> {
        let key = next.ok_or_else(|| Error::from(ErrorKind::IndexKeysExhausted))?;
        // An index has room for `u32::MAX` slots, one kept free for a replacement.
        if self.index.len() >= u32::MAX as usize - 1 {
            return Err(Error::from(ErrorKind::IndexFull(self.index.len())));
        }
        Ok(key)
    }
}

/// Why [`NamedIndex::load`] failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum LoadError {
    /// The index file cannot be read, is not a valid index, or was built with other
    /// parameters than the deduper's ([`ErrorKind::IndexMismatch`]).
    Index(Error),
    /// The index file's checksum cannot be read.
    Checksum(io::Error),
    /// The names file cannot be opened.
    NamesMissing {
        /// The names file.
        path: PathBuf,
        /// Why it cannot be opened.
        error: io::Error,
    },
    /// The names file is malformed or belongs to another index.
    Names {
        /// The names file.
        path: PathBuf,
        /// What is wrong with it.
        error: NamesError,
    },
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Index(e) => write!(f, "cannot load the index: {e}"),
            LoadError::Checksum(e) => write!(f, "cannot read the index's checksum: {e}"),
            LoadError::NamesMissing { path, error } => write!(
                f,
                "{}: cannot read the index's names ({error})",
                path.display()
            ),
            LoadError::Names { path, error } => write!(f, "{}: {error}", path.display()),
        }
    }
}

impl std::error::Error for LoadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            LoadError::Index(e) => Some(e),
            LoadError::Checksum(e) | LoadError::NamesMissing { error: e, .. } => Some(e),
            LoadError::Names { error, .. } => Some(error),
        }
    }
}
