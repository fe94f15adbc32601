//! paradup finds near-duplicate paragraphs.
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod cluster;
pub mod error;
pub mod lsh;
pub mod minhash;
pub mod paragraph;
pub mod pipeline;
pub mod text;

pub use cluster::{Cluster, Clusters, Member, Pair, RunStats, UnionFind};
pub use error::{Error, ErrorKind, Result};
pub use lsh::banded::LshIndex;
pub use lsh::{LshParams, LshWeights};
pub use minhash::{MinHasher, Signature, SplitMix64, estimate_jaccard};
pub use paragraph::{Paragraph, ParagraphMode, ParagraphSplitter, Paragraphs};
pub use pipeline::{CandidateSearch, Deduper, DeduperBuilder, Verification};
pub use text::normalize::Normalizer;
pub use text::shingle::{ShingleKind, ShingleScratch, Shingler};

/// The default seed of shingle hashes and MinHash permutations: the bytes of
/// `"paradup1"` read as a big-endian `u64`.
pub const DEFAULT_SEED: u64 = 0x7061_7261_6475_7031;
