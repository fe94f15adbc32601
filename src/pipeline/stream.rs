//! Streaming: a corpus fed in batches and never held whole, with compact
//! per-paragraph state and, under a memory limit, that state on disk.
//!
//! [`Deduper::run_stream`] calls a source closure that pushes the corpus's documents
//! into a [`Feed`]. The feed cuts large documents into pieces at paragraph boundaries
//! and processes pieces in batches of about [`StreamConfig::batch_bytes`]: split,
//! normalize, hash; keep what later stages need; drop the text. What stays in memory
//! per paragraph and per distinct text without a memory limit (128 permutations,
//! default banding of 19 bands; `docs/PERFORMANCE.md` has measured
//! totals):
//!
//! | state | bytes | for |
//! |---|---|---|
//! | provenance ([`Paragraph`](crate::Paragraph)) | 32 per paragraph | the clusters' members |
//! | distinct-text id | 4 per paragraph | exact duplicates |
//! | exact-key map | about 45 per distinct text | exact duplicates |
//! | first paragraph | 4 per distinct text | exact duplicates |
//! | band keys | 4 + 8 per band (156 at the defaults) per distinct text | candidates |
//! | signature | 4 per permutation (512) per distinct text | only with [`Verification::Signature`] or containment |
//! | SimHash fingerprint | 8 per distinct text | only with [`Method::SimHash`] |
//!
//! # Verification: a second pass or the signatures
//!
//! With [`Verification::Exact`] (the default) the stream keeps no shingle sets and no
//! signatures, only band keys; once the candidate pairs are known it calls the source
//! a second time and computes the shingle sets of the distinct texts that some
//! candidate pair involves (and only those). The source must push the same documents
//! again; a different paragraph count, span or text is an error
//! ([`ErrorKind::ReplayMismatch`]). The result is identical to [`Deduper::run_documents`]'s.
//!
//! With [`Verification::Signature`] the source is called once, and the full signature
//! of every distinct text is kept (512 bytes at 128 permutations, in memory, or in a
//! temporary file under a memory limit) so that candidates are verified by the
//! signature estimate: one pass over the input, three times the memory, and estimated
//! similarities (as with [`Deduper::run_documents`] in that mode).
//!
//! # Memory limit: the state on disk
//!
//! With [`StreamConfig::memory_limit`], the run keeps what grows with the corpus in
//! files of a private directory under [`StreamConfig::temp_dir`] (removed when the run
//! ends, whatever the outcome), and holds windows of it in memory:
//!
//! - provenance and text ids go to files as they are found, and are read back in
//!   order: by the second pass, to check it, and once at the end for the paragraphs
//!   of the clusters only;
//! - the exact-key map and the band keys are held until they pass the limit; then each
//!   band's keys are sorted and written as a run (12 bytes per key: the key and the
//!   text id), and so is the key map. Candidates come from a k-way merge of each
//!   band's runs, as datatrove does with sorted files, and a text met again in a later
//!   key window is mapped to its first id before its buckets are formed (a merge of
//!   the key runs finds them);
//! - the shingle sets that verification needs (or, with
//!   [`Verification::Signature`], the signatures) are written to a file and read back
//!   in windows of candidate pairs, then in windows of whole connected groups for the
//!   clusters.
//!
//! So disk, not memory, bounds the corpus. What memory still holds besides the
//! windows: the result (clusters and pairs, which grow with the duplicates found), the
//! candidate pairs (8 bytes each), 12 bytes per text in a candidate pair, 40 bytes per
//! paragraph in a cluster, 8 bytes per text met again after its key window was written,
//! and two bits per distinct text; with SimHash, its fingerprints and their ids (12
//! bytes per distinct text). One connected group is never split, so a group whose
//! evidence passes the limit is loaded whole. The result equals
//! [`Deduper::run_documents`]'s.
//!
//! # What streams and what does not
//!
//! - [`Method::MinHash`] with Jaccard: everything above.
//! - [`Method::SimHash`]: the Hamming search needs every fingerprint at hand, so they
//!   stay in memory (8 bytes per distinct text, with a 4-byte id), limit or not.
//! - [`Similarity::Containment`]: the size-class search needs every signature in
//!   memory, so it streams without a memory limit only
//!   ([`ErrorKind::StreamUnsupported`] with one).
//! - [`CandidateSearch::PrefixFilter`] and [`CandidateSearch::Exhaustive`] keep every
//!   shingle set or compare every pair, which defeats streaming:
//!   [`ErrorKind::StreamUnsupported`].
//!
//! # Documents, pieces and [`ParagraphMode::Auto`](crate::ParagraphMode::Auto)
//!
//! [`Feed::push`] takes one document in memory; [`Feed::push_reader`] reads one from
//! any [`Read`](std::io::Read) in pieces of about [`StreamConfig::piece_bytes`] and never holds more
//! than a piece or two (plus the longest paragraph: a 100 MB line is read whole).
//! Pieces end after a line break in [`ParagraphMode::Lines`](crate::ParagraphMode::Lines) and after a blank line in
//! [`ParagraphMode::BlankLines`](crate::ParagraphMode::BlankLines), so splitting pieces gives exactly the paragraphs of
//! the whole document, with the same index, line and byte span.
//! [`ParagraphMode::Whole`](crate::ParagraphMode::Whole) documents are never cut. [`ParagraphMode::Auto`](crate::ParagraphMode::Auto) resolves
//! each document from its text as [`Deduper::run_documents`] does; a document read from a reader
//! is resolved from its first [`StreamConfig::auto_window`] bytes (16 MiB by default),
//! the one place where a stream can differ from `run`: a document with no blank
//! separator line in its first 16 MiB is read line by line, or whole if those bytes
//! are one hard-wrapped paragraph (the [`paragraph`](crate::paragraph) module docs,
//! "Hard-wrapped paragraphs"). That test reads at most 65 lines of up to 100
//! characters, so any window of at least 26 KB decides it as `run` does.
//!
//! Invalid UTF-8 read by `push_reader` is decoded lossily (U+FFFD); byte spans then
//! refer to the decoded text, as they would after `String::from_utf8_lossy` of the
//! whole document.

mod collect;
mod disk;
mod files;
mod replay;
mod spill;

use super::assemble::{Evidence, Found};
use super::candidates::{band_pairs, hamming_edges, involved, sort_pairs, union_of_bands};
use super::{Deduper, lap};
use crate::cluster::Clusters;
use crate::error::{ErrorKind, Result};
use crate::feed::Batcher;
pub use crate::feed::Feed;
use crate::progress::{Progress, Stage};
use crate::similarity::Similarity;
use crate::{CandidateSearch, Method, Verification};
use collect::{Blocks, Collector, SigStore};
use rayon::prelude::*;
use spill::KeyMap;
use std::path::PathBuf;
use std::time::Instant;

/// Default [`StreamConfig::batch_bytes`]: 4 MiB. On the 48 MB corpus (2 threads) the
/// peak resident memory of `dedup --stream` was 221 MB with 16 MiB batches, 149 MB
/// with 4 MiB and 112 MB with 1 MiB, at the same speed.
pub const DEFAULT_BATCH_BYTES: usize = 4 << 20;

/// Default [`StreamConfig::piece_bytes`]: 1 MiB.
pub const DEFAULT_PIECE_BYTES: usize = 1 << 20;

/// Default [`StreamConfig::auto_window`]: 16 MiB.
pub const DEFAULT_AUTO_WINDOW: usize = 16 << 20;

/// How [`Deduper::run_stream`] batches its input and how much memory it may hold.
///
/// ```
/// use paradup::{Deduper, StreamConfig};
///
/// let docs = ["one paragraph here\nanother one there", "one paragraph here"];
/// let mut config = StreamConfig::new();
/// config.memory_limit(512 << 20).batch_bytes(1 << 20);
/// let clusters = Deduper::new()
///     .run_stream(&config, |feed| {
///         for d in docs {
///             feed.push(d)?;
///         }
///         Ok(())
///     })
///     .unwrap();
/// assert_eq!(clusters.len(), 1);
/// assert_eq!(clusters, Deduper::new().run_documents(&docs)); // equal but for the timings
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamConfig {
    memory_limit: Option<usize>,
    temp_dir: Option<PathBuf>,
    batch_bytes: usize,
    piece_bytes: usize,
    auto_window: usize,
}

impl Default for StreamConfig {
    fn default() -> StreamConfig {
        StreamConfig::new()
    }
}

impl StreamConfig {
    /// No memory limit, 4 MiB batches, 1 MiB pieces, the system's temporary directory.
    pub fn new() -> StreamConfig {
        StreamConfig {
            memory_limit: None,
            temp_dir: None,
            batch_bytes: DEFAULT_BATCH_BYTES,
            piece_bytes: DEFAULT_PIECE_BYTES,
            auto_window: DEFAULT_AUTO_WINDOW,
        }
    }

    /// Keep the state that grows with the corpus on disk and hold at most about
    /// `bytes` of it in memory at once (see the module docs for what the limit covers).
    /// 32 batches ([`batch_bytes`](Self::batch_bytes)) and 32 MiB of it are set aside
    /// for the work in progress; the state gets the rest, and windows of it are never
    /// smaller than a batch.
    pub fn memory_limit(&mut self, bytes: usize) -> &mut Self {
        self.memory_limit = Some(bytes);
        self
    }

    /// Where spill files go (a private directory is made inside it); default
    /// [`std::env::temp_dir`].
    pub fn temp_dir(&mut self, dir: impl Into<PathBuf>) -> &mut Self {
        self.temp_dir = Some(dir.into());
        self
    }

    /// Text processed at once (in parallel), in bytes; at least 1.
    pub fn batch_bytes(&mut self, bytes: usize) -> &mut Self {
        self.batch_bytes = bytes;
        self
    }

    /// Size of the pieces large documents are cut into, in bytes; at least 1.
    pub fn piece_bytes(&mut self, bytes: usize) -> &mut Self {
        self.piece_bytes = bytes;
        self
    }

    /// How much of a document read by [`Feed::push_reader`] decides
    /// [`ParagraphMode::Auto`](crate::ParagraphMode::Auto), in bytes (see the module docs); default 16 MiB.
    pub fn auto_window(&mut self, bytes: usize) -> &mut Self {
        self.auto_window = bytes;
        self
    }

    fn check(&self) -> Result<()> {
        if self.batch_bytes == 0 {
            return Err(ErrorKind::InvalidStreamConfig("batch_bytes must be at least 1").into());
        }
        if self.piece_bytes == 0 {
            return Err(ErrorKind::InvalidStreamConfig("piece_bytes must be at least 1").into());
        }
        if self.memory_limit == Some(0) {
            return Err(ErrorKind::InvalidStreamConfig("memory_limit must be at least 1").into());
        }
        Ok(())
    }
}

impl Deduper {
    /// Finds the near-duplicate paragraphs of a corpus that `source` pushes into a
    /// [`Feed`], without holding the corpus in memory (see the
    /// [`stream`](crate::pipeline::stream) module docs). `source` is called once, or
    /// twice with [`Verification::Exact`] when there are candidate pairs to verify; it
    /// must push the same documents each time. The result equals [`Deduper::run_documents`]'s
    /// on the same documents (timings aside), whatever the batch sizes and memory
    /// limit.
    ///
    /// # Errors
    /// What `source` returns; [`ErrorKind::InvalidStreamConfig`];
    /// [`ErrorKind::StreamUnsupported`] for the prefix filter, exhaustive search, and
    /// containment under a memory limit; [`ErrorKind::Io`] when spilling fails;
    /// [`ErrorKind::ReplayMismatch`]; [`ErrorKind::TooManyDocuments`] and
    /// [`ErrorKind::TooManyParagraphs`].
    pub fn run_stream<F>(&self, config: &StreamConfig, source: F) -> Result<Clusters>
    where
        F: FnMut(&mut Feed<'_>) -> Result<()>,
    {
        self.stream_observed(config, source, None)
    }

    /// [`run_stream`](Self::run_stream), updating `progress` as it goes.
    pub fn run_stream_with_progress<F>(
        &self,
        config: &StreamConfig,
        progress: &Progress,
        source: F,
    ) -> Result<Clusters>
    where
        F: FnMut(&mut Feed<'_>) -> Result<()>,
    {
        let result = self.stream_observed(config, source, Some(progress));
        progress.enter(Stage::Done, 0);
        result
    }

    fn stream_observed<F>(
        &self,
        config: &StreamConfig,
        mut source: F,
        progress: Option<&Progress>,
    ) -> Result<Clusters>
    where
        F: FnMut(&mut Feed<'_>) -> Result<()>,
    {
        self.check_streamable(config)?;
        let mut col = Collector::new(self, config, progress)?;

        // First pass.
        if let Some(p) = progress {
            p.enter(Stage::Signatures, 0);
        }
        let mut batcher = new_batcher(self, config);
        source(&mut Feed {
            batcher: &mut batcher,
            sink: &mut col,
        })?;
        batcher.flush(&mut col)?;
        let documents = batcher.docs as usize;
        if col.disk.is_some() {
            return disk::finish(self, col, config, &mut source, documents, progress);
        }
        let mut clock = Instant::now();

        // Candidates.
        if let Some(p) = progress {
            p.enter(Stage::Candidates, 0);
        }
        let edges = self.stream_candidates(&mut col);
        col.timings.candidates += lap(&mut clock);

        // Verification evidence.
        if let Some(p) = progress {
            p.enter(Stage::Verify, 0);
        }
        let distinct = col.canon.len();
        let evidence = match (self.verification, self.method) {
            (Verification::Exact, _) => {
                let (ids, slot) = involved(&edges, distinct);
                let sets = self.replay(config, &mut source, &mut col, (&ids, &slot), documents)?;
                Evidence::Sets { slot, sets }
            }
            (Verification::Signature, Method::SimHash { max_hamming }) => Evidence::Fingerprints {
                fps: &col.fps,
                max_hamming: max_hamming.min(crate::simhash::BITS),
            },
            (Verification::Signature, Method::MinHash) => match &col.sigs {
                SigStore::Memory(sigs) => Evidence::Signatures {
                    slot: None,
                    sigs,
                    k: self.hasher.num_perm(),
                },
                SigStore::File(..) => unreachable!("signatures go to a file in disk mode only"),
                SigStore::None => unreachable!("signature verification keeps signatures"),
            },
        };
        col.timings.verify += lap(&mut clock);
        let found = Found {
            documents,
            paragraphs: &col.paragraphs,
            bytes: col.bytes,
            canon_of: &col.canon_of,
            canon: &col.canon,
            edges,
            verified: None,
            sizes: &col.sizes,
        };
        let clusters =
            self.in_pool(|| self.assemble(found, &evidence, col.timings, &mut clock, progress));
        Ok(clusters)
    }

    /// That this deduper and `config` can stream (see the module docs).
    fn check_streamable(&self, config: &StreamConfig) -> Result<()> {
        config.check()?;
        match self.search {
            CandidateSearch::Lsh => {}
            CandidateSearch::PrefixFilter => {
                return Err(
                    ErrorKind::StreamUnsupported("the prefix-filter candidate search").into(),
                );
            }
            CandidateSearch::Exhaustive => {
                return Err(ErrorKind::StreamUnsupported("the exhaustive candidate search").into());
            }
        }
        let containment = self.similarity == Similarity::Containment;
        if containment && config.memory_limit.is_some() {
            return Err(
                ErrorKind::StreamUnsupported("containment similarity with a memory limit").into(),
            );
        }
        Ok(())
    }

    /// Stage 4 of the first pass's state held in memory: the candidate pairs, sorted;
    /// the band keys and fingerprints go.
    fn stream_candidates(&self, col: &mut Collector<'_>) -> Vec<(u32, u32)> {
        let containment = self.similarity == Similarity::Containment;
        let k = self.hasher.num_perm();
        let edges: Vec<(u32, u32)> = match self.method {
            Method::MinHash if !containment => {
                let bands = std::mem::take(&mut col.band_keys);
                let ids = &col.live_ids;
                // Sorted band by band: the pairs that many bands find are not all held
                // at once.
                let edges = self.in_pool(|| {
                    union_of_bands(bands.into_par_iter().map(|keys| {
                        let mut kv: Vec<(u64, u32)> = Vec::with_capacity(keys.len());
                        kv.extend(keys.into_iter().zip(ids.iter().copied()));
                        // `band_pairs` groups equal keys itself (counting sort on
                        // the top bits): no full sort here.
                        let mut edges = Vec::new();
                        band_pairs(&mut kv, &mut edges);
                        edges
                    }))
                });
                self.drop_band_state(col);
                return edges;
            }
            Method::MinHash if containment => {
                let SigStore::Memory(sigs) = &col.sigs else {
                    unreachable!("containment keeps signatures in memory")
                };
                self.in_pool(|| {
                    self.containment_edges(
                        self.containment.as_ref(),
                        &col.live_ids.iter().copied().collect::<Vec<_>>(),
                        sigs,
                        k,
                        &col.sizes,
                    )
                })
            }
            Method::MinHash => unreachable!("handled above"),
            Method::SimHash { max_hamming } => {
                let max_hamming = max_hamming.min(crate::simhash::BITS);
                let live_fps: Vec<u64> =
                    col.live_ids.iter().map(|&c| col.fps[c as usize]).collect();
                let live = &col.live_ids;
                self.in_pool(|| hamming_edges(max_hamming, &live_fps, |i| live[i as usize]))
            }
        };
        let edges = self.in_pool(|| sort_pairs(edges));
        self.drop_band_state(col);
        edges
    }

    /// What stage 4 needed and stage 5 does not.
    fn drop_band_state(&self, col: &mut Collector<'_>) {
        col.live_ids = Blocks::new();
        col.band_keys = Vec::new();
        if self.verification != Verification::Exact {
            col.seen = KeyMap::default();
        }
    }
}

/// A batcher with `config`'s sizes and `d`'s splitter.
fn new_batcher(d: &Deduper, config: &StreamConfig) -> Batcher {
    Batcher::new(
        d.splitter,
        config.batch_bytes,
        config.piece_bytes,
        config.auto_window,
    )
}
