//! paradup finds near-duplicate paragraphs: the same passage repeated, lightly edited,
//! re-typeset or re-punctuated, across documents or within one. Every answer says where
//! each paragraph came from (document, paragraph index, line, byte span), and every
//! reported pair is verified, so a cluster never rests on a hash collision.
//!
//! # Five lines
//!
//! ```
//! let paragraphs: Vec<String> = vec![
//!     "His isolation was evident from his failure to turn up to this weekend's G20 \
//!      summit in Delhi, and fewer African leaders recently attending a summit in St \
//!      Petersburg than a similar gathering in 2019.".into(),
//!     "Something else entirely.".into(),
//!     "His isolation was evident from his failure to turn up to the G20 summit in \
//!      Delhi, and fewer African leaders attending a summit in St Petersburg than a \
//!      similar gathering in 2019.".into(),
//! ];
//! let clusters = paradup::Deduper::new().run(&paragraphs);
//! assert_eq!(clusters.len(), 1);
//! assert_eq!(clusters.as_slice()[0].len(), 2);
//! ```
//!
//! # The canonical case
//!
//! The seed article has 24 paragraphs, one per line; lines 10 and 11 are the same
//! paragraph lightly edited ("this weekend's G20 summit" / "the G20 summit", "recently"
//! dropped). The default deduper groups exactly those two:
//!
//! ```
//! use paradup::Deduper;
//!
//! let article = include_str!("../tests/data/putin-kim-article.txt");
//! let clusters = Deduper::new().run_documents(&[article]);
//! assert_eq!(clusters.len(), 1);
//! let cluster = &clusters.as_slice()[0];
//! let lines: Vec<u64> = cluster.members().iter().map(|m| m.paragraph.line).collect();
//! assert_eq!(lines, [10, 11]);
//! // The representative is the first occurrence; the other member carries its exact
//! // word-2-gram Jaccard similarity to it: 46 of 55 distinct word pairs shared.
//! let edited = &cluster.members()[1];
//! assert_eq!(edited.similarity, 46.0 / 55.0);
//! assert!(edited.paragraph.text(article).contains("to the G20 summit"));
//! ```
//!
//! # Overview
//!
//! The simple layer is [`Deduper`]: configure it with [`Deduper::builder`] (which
//! validates everything once in [`DeduperBuilder::build`]), then call it as often as
//! you like, from any thread: **paragraphs go to [`Deduper::run`]** (each item is one
//! paragraph, never split), **documents to [`Deduper::run_documents`]** (split into
//! paragraphs by [`ParagraphMode`]), and documents larger than memory to
//! [`Deduper::run_stream`]. It returns [`Clusters`], in a deterministic
//! order (clusters by their first member, members in document order), whatever the
//! number of threads.
//!
//! Under it sit the low-level types it is built from, public for experts:
//!
//! | type | does |
//! |---|---|
//! | [`Sketcher`] | raw text → normalized text, shingles, signature, fingerprint, exact [`jaccard`] in one object ([`Deduper::sketcher`]) |
//! | [`ParagraphSplitter`] | documents → [`Paragraph`]s with provenance ([`ParagraphMode`]) |
//! | [`Normalizer`] | NFKC, case folding, punctuation → space, with an ASCII fast path |
//! | [`Shingler`] | normalized text → sorted set of 64-bit word or char n-gram hashes |
//! | [`MinHasher`] / [`Signature`] | shingle set → MinHash signature; Jaccard estimate |
//! | [`LshParams`] / [`LshIndex`] | banding chosen from a threshold ([`LshTuning`]); bucket index |
//! | [`ContainmentBanding`] | the containment search: size classes, a banding per class distance |
//! | [`PrefixFilter`] | exact all-pairs search by prefix filtering, the reference for recall |
//! | [`Similarity`] / [`Direction`] | Jaccard or containment of shingle sets; which side is contained |
//! | [`UnionFind`] | the clustering of verified pairs (anti-chaining in [`cluster`]) |
//! | [`SimHasher`] / [`HammingSearch`] | 64-bit SimHash fingerprints ([`hamming`] distance); all pairs within `k` bits |
//! | [`Index`] | a long-lived index: insert, query, remove, save and load |
//! | `corpus` / `report` | with the `cli` feature: reading corpora with positions; reports and rewrites (the example deduper's logic) |
//!
//! Two candidate methods share everything else (paragraphs, normalization, exact
//! duplicates, verification, clusters): [`Method::MinHash`] (the default) and
//! [`Method::SimHash`], which stores 8 bytes per paragraph instead of 512 and is
//! coarser on short text (see the [`simhash`] module docs for its measured table).
//!
//! The pipeline ([`pipeline`] module docs) is: paragraphs → exact duplicates (128-bit
//! hash of the normalized text) → MinHash of each distinct text (in parallel with
//! rayon) → LSH candidates (sort-based buckets, linear in bucket size) → verification
//! (exact Jaccard of shingle sets by default, or containment) → union-find clusters,
//! split so that no cluster chains (anti-chaining).
//!
//! ```
//! use paradup::{LshParams, MinHasher, Normalizer, ShingleKind, Shingler};
//!
//! let norm = Normalizer::new();
//! let shingler = Shingler::new(ShingleKind::Words(3));
//! let hasher = MinHasher::new(128);
//! let sig = |t: &str| hasher.signature(&shingler.shingles(&norm.normalize(t)));
//! let a = sig("It was the best of times, it was the worst of times.");
//! let b = sig("It was the best of times; it was the worst of times!");
//! assert_eq!(a.jaccard(&b), 1.0); // punctuation is normalized away
//! // The default banding at the default threshold: a pair at 0.6 is found with
//! // probability at least 0.99.
//! let lsh = LshParams::for_recall(0.6, 128, 0.99).unwrap();
//! assert_eq!((lsh.bands, lsh.rows), (19, 3));
//! // datasketch's rule (equal weights) finds it 40% of the time.
//! let datasketch = LshParams::optimal(0.6, 128, Default::default()).unwrap();
//! assert_eq!((datasketch.bands, datasketch.rows), (18, 7));
//! assert!(datasketch.probability(0.6) < 0.41);
//! ```
//!
//! # Choosing the defaults
//!
//! Defaults: word 2-gram shingles, Jaccard threshold 0.6, 128 permutations, the LSH
//! banding that finds a pair at the threshold with probability at least 0.99 (19 × 3;
//! [`LshTuning::Recall`]), exact verification, anti-chaining on. They were chosen on
//! `gutenberg-editions` (35,007 paragraphs from two printings of 20 books, 16,492
//! aligned positive pairs; real edition differences: quotes, dashes, spelling, italics
//! markup, footnotes) with `examples/evaluate.rs`, sweeping word 1- to 5-grams and
//! character 4- and 5-grams at thresholds 0.3 to 0.8 (the full table is in
//! `docs/ACCURACY.md`, "The sweep behind the defaults"). The best rows:
//!
//! | shingles | threshold | precision | recall | F1 | recall on `fuzzy` pairs | seconds |
//! |---|---|---|---|---|---|---|
//! | chars 4 | 0.7 | 0.9793 | 0.9995 | **0.9893** | 0.9963 | 0.43 |
//! | chars 5 | 0.7 | 0.9798 | 0.9987 | 0.9891 | 0.9910 | 0.37 |
//! | words 2 | 0.65 | 0.9788 | 0.9981 | 0.9884 | 0.9869 | 0.21 |
//! | **words 2** | **0.6** | 0.9773 | 0.9991 | **0.9881** | 0.9939 | 0.17 |
//! | words 1 | 0.7 | 0.9768 | 0.9989 | 0.9877 | 0.9926 | 0.24 |
//! | words 3 | 0.6 | 0.9786 | 0.9965 | 0.9875 | 0.9767 | 0.14 |
//! | words 3 | 0.5 (the old default) | 0.9736 | 0.9990 | 0.9861 | 0.9931 | 0.18 |
//!
//! Word 2-grams at 0.6 have the best F1 of the word shingles and keep the seed pair
//! (Jaccard 0.84) well above the threshold. Character 4-grams at 0.7 are 0.0012 better,
//! about 6 pairs in 5,000, but cost three times the time and memory on the 48 MB corpus
//! (6.1 s and 450 MB against 2.0 s and 158 MB, `examples/scale`, 2 threads), because a
//! paragraph has about five times as many character shingles as word shingles. At 0.65
//! word 2-grams gain 0.0003 F1 but lose 0.7 points of recall on the `fuzzy` pairs. With
//! 64 or 256 permutations the scores are the same (verification is exact); 128 keeps
//! the [`Index`]'s signature estimates precise. (Precision is a lower bound: the labels
//! come from an in-order alignment, so true repeats inside a book count as false
//! positives.) Use [`ShingleKind::Chars`] for text without spaces (Chinese, Japanese,
//! Thai).
//!
//! Anti-chaining changes F1 by less than 0.0001 on this set (0.9881 on, 0.9880 off),
//! where edition pairs rarely chain; it is on for its guarantee, which bounds what a
//! cluster can hold on corpora where they do ([`cluster`], "Anti-chaining").
//!
//! The recall-first banding replaced datasketch's rule (equal weights of false
//! positives and negatives, 18 × 7 at 0.6), which finds a pair at the threshold only
//! 40% of the time: against the exact answer on 50,000 distinct paragraphs of the
//! shared corpus ([`CandidateSearch::PrefixFilter`], `examples/exact_recall.rs`) it
//! recalls 0.8129 of the pairs, the default 1.0000, in the same time (0.24 s against
//! 0.28 s); `docs/ACCURACY.md`, "Exact recall", has the table.
#![deny(unsafe_code)]
#![deny(missing_docs)]

// The one module allowed `unsafe`: the SIMD paths and the unchecked UTF-8 `String`s.
#[allow(unsafe_code)]
// Its UTF-8 validation serves `corpus` only: unused without the `cli` feature.
#[cfg_attr(not(feature = "cli"), allow(dead_code, unused_imports))]
mod arch;
pub mod cluster;
#[cfg(feature = "cli")]
pub mod corpus;
pub mod error;
mod feed;
pub mod fsio;
pub mod index;
pub mod lsh;
pub mod minhash;
pub mod paragraph;
pub mod pipeline;
pub mod prefix_filter;
pub mod progress;
#[cfg(feature = "cli")]
pub mod report;
pub mod simhash;
pub mod similarity;
mod sketcher;
pub mod text;

pub use cluster::{
    Cluster, Clusters, ExpandedPairs, Keep, Member, Pair, RunStats, StageTimings, UnionFind,
};
pub use error::{Error, ErrorKind, Result};
pub use index::{Index, IndexParams, Match, Matches, Sketch, SketchScratch, Sketcher};
pub use lsh::banded::LshIndex;
pub use lsh::containment::ContainmentBanding;
pub use lsh::hamming::{HammingIndex, HammingParams, HammingScratch, HammingSearch};
pub use lsh::{LshParams, LshTuning, LshWeights};
pub use minhash::{MinHasher, Signature, SplitMix64, estimate_jaccard};
pub use paragraph::{Paragraph, ParagraphMode, ParagraphSplitter, Paragraphs};
pub use pipeline::Method;
pub use pipeline::stream::{Feed, StreamConfig};
pub use pipeline::{CandidateSearch, Deduper, DeduperBuilder, Verification};
pub use prefix_filter::{PrefixFilter, PrefixFilterScratch};
pub use progress::{Progress, Stage};
pub use simhash::{SimHashScratch, SimHasher, Weighting, hamming};
pub use similarity::{Direction, Similarity};
pub use sketcher::jaccard;
pub use text::normalize::Normalizer;
pub use text::shingle::{ShingleKind, ShingleScratch, Shingler};

/// The default seed of shingle hashes and MinHash permutations: the bytes of
/// `"paradup1"` read as a big-endian `u64`.
pub const DEFAULT_SEED: u64 = 0x7061_7261_6475_7031;

/// The README's code blocks, compiled and run as doctests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
