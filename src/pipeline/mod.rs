//! The [`Deduper`]: documents in, verified clusters out. The only module that uses
//! rayon.
//!
//! Stages of [`Deduper::run`]:
//! 1. **Paragraphs**: each document is split ([`ParagraphSplitter`]); paragraphs get
//!    `u32` ids in document order.
//! 2. **Exact duplicates**: each paragraph is normalized and its normalized text hashed
//!    to 128 bits (xxh3-128). Paragraphs with equal hashes are exact duplicates; only the
//!    first of each group goes on. (A paragraph that is empty after normalization, say
//!    `* * *`, is keyed by its raw trimmed text instead, so that different ornaments do
//!    not merge.)
//! 3. **Signatures**: with [`Method::MinHash`] (the default), shingles and MinHash of
//!    each distinct text, in parallel with per-thread scratch (`map_init`), into one
//!    contiguous `u32` buffer; with [`Method::SimHash`], one 64-bit SimHash fingerprint
//!    per distinct text ([`SimHasher`]).
//! 4. **Candidates**: banded LSH (per band in parallel, sort-based buckets; small
//!    buckets give all their pairs) over MinHash signatures, or the permuted-table
//!    Hamming search over SimHash fingerprints (per table in parallel;
//!    [`HammingSearch`](crate::HammingSearch), with equal fingerprints grouped and runs
//!    of near-identical ones linked like large LSH buckets); with [`Similarity::Containment`], banded LSH over size classes
//!    ([`ContainmentBanding`]); or every pair at the threshold exactly with
//!    [`CandidateSearch::PrefixFilter`], or all pairs with
//!    [`CandidateSearch::Exhaustive`].
//! 5. **Verification**: each candidate pair is checked, by the exact similarity
//!    ([`Similarity`]) of the shingle sets (recomputed for the paragraphs involved in
//!    some candidate pair only) or by the signature estimate, against the threshold.
//!    Both methods share this step, so with exact verification SimHash only changes
//!    which pairs are looked at.
//! 6. **Clusters**: union-find over exact-duplicate links and verified pairs, then, with
//!    anti-chaining, each component split so that every member reaches the threshold
//!    against its representative ([`cluster`](crate::cluster), "Anti-chaining"); each
//!    member's similarity to the representative; the cluster-size guard.
//!
//! The result does not depend on the number of threads (tested).
//!
//! # MinHash or SimHash
//!
//! Both methods find candidates that exact Jaccard then verifies, so they differ in
//! recall and cost, not in precision. MinHash with LSH targets a Jaccard threshold
//! directly and is the default. SimHash keeps 8 bytes per paragraph instead of 512
//! (128 MinHash slots) and fingerprints about 2.3× faster, but a fixed Hamming radius is
//! coarse: a short paragraph moves many bits for one edited word. On `gutenberg-editions`
//! at the defaults, SimHash recalls 0.9951 of the positive pairs against MinHash's
//! 0.9991 (0.9939 against 0.9975 for paragraphs under 20 words, 0.9669 against 0.9939
//! of the edited `fuzzy` pairs) at nearly the same F1 (0.9877 against 0.9881) and time;
//! the full tables are in the [`simhash`](crate::simhash) module docs.

mod assemble;
mod exact;
pub mod stream;
mod with_index;

use crate::cluster::{Clusters, StageTimings};
use crate::error::{Error, ErrorKind, Result};
use crate::lsh::banded::{SharedKeys, band_key, bucket_pairs};
use crate::lsh::containment::{ContainmentBanding, size_class};
use crate::lsh::hamming::{NearPairs, NearScratch};
use crate::lsh::{LshParams, LshTuning, LshWeights};
use crate::minhash::{DEFAULT_NUM_PERM, MinHasher};
use crate::paragraph::{Paragraph, ParagraphMode, ParagraphSplitter};
use crate::prefix_filter::{PrefixFilter, PrefixFilterScratch};
use crate::progress::{Progress, Stage, Tally};
use crate::simhash::{SimHashScratch, SimHasher, Weighting};
use crate::similarity::Similarity;
use crate::text::normalize::Normalizer;
use crate::text::shingle::{ShingleKind, ShingleScratch, Shingler};
use assemble::{Evidence, Found, SetArena};
use rayon::prelude::*;
use std::time::{Duration, Instant};

/// Default Jaccard threshold. See the crate docs ("Choosing the defaults").
pub const DEFAULT_THRESHOLD: f64 = 0.6;

/// Default limit of the cluster-size guard: clusters with more members are reported
/// ([`Clusters::oversized`]).
pub const DEFAULT_MAX_CLUSTER_SIZE: usize = 10_000;

/// Whether anti-chaining is on by default. See the crate docs ("Choosing the
/// defaults") for the measurements behind it.
pub const DEFAULT_ANTI_CHAINING: bool = true;

/// Default SimHash search radius in bits. See the [`simhash`](crate::simhash) module
/// docs ("What `max_hamming` means for paragraphs") for the measurements behind it.
pub const DEFAULT_MAX_HAMMING: u32 = 10;

/// LSH buckets of up to this many members propose all their pairs, larger ones link
/// each member to the first ([`bucket_pairs`]): at most 7.5 candidates per text and
/// band. 16 is where word 2-grams at 0.6 reached the exact answer's recall, at no cost
/// in time (`docs/PERFORMANCE.md`, "Design decisions and their measurements").
const ALL_PAIRS_BUCKET: usize = 16;

/// Distinct texts whose shingle sets one task makes for verification.
const SETS_PER_TASK: usize = 256;

/// Paragraphs normalized per task in the exact-duplicate stage.
const NORM_CHUNK: usize = 1024;

/// Paragraphs per block of the band keys (one chunk of the exact-duplicate stage),
/// which are stored band-major within a block ([`band_key_at`]), so that the
/// candidate search reads each band's keys in runs. Text-major keys
/// (`band_keys[c * bands + band]`) were slower: a cache miss per key there.
const KEY_BLOCK: usize = NORM_CHUNK;

/// The line breaks (`\n`) in `text`, whose paragraphs (spans relative to it) are
/// `paras`: the lines before the last paragraph, known from its line number, and the
/// breaks counted from its start on. Counting all of `text` instead was a pass over
/// the whole corpus for the line numbers of the next piece. Tested against
/// [`stream::newlines`] of all of `text`.
fn piece_lines(text: &str, paras: &[Paragraph]) -> u64 {
    match paras.last() {
        // Its first line is line `p.line`, after `p.line - 1` breaks.
        Some(p) => p.line - 1 + stream::newlines(&text.as_bytes()[p.start..]),
        None => stream::newlines(text.as_bytes()),
    }
}

/// Stores the band keys `keys` of the `i`-th item of a block of `len` items of the
/// layout read by [`band_key_at`].
#[inline]
fn store_band_keys(block: &mut [u64], len: usize, i: usize, keys: &[u64]) {
    for (b, &key) in keys.iter().enumerate() {
        block[b * len + i] = key;
    }
}

/// The key of band `band` of item `i` in `keys`: `len` items with `bands` keys each,
/// in blocks of [`KEY_BLOCK`] items (the last one shorter), each block band-major.
#[inline]
fn band_key_at(keys: &[u64], len: usize, bands: usize, band: usize, i: usize) -> u64 {
    let start = i / KEY_BLOCK * KEY_BLOCK;
    let block_len = KEY_BLOCK.min(len - start);
    keys[start * bands + band * block_len + (i - start)]
}

/// One task's output of the exact-duplicate stage: (exact key, paragraph id) per
/// paragraph, and either the normalized texts end to end and where each ends, or
/// (when the band keys are made in that stage) whether each paragraph has shingles.
type NormalizedChunk = (Vec<u128>, String, Vec<u32>, Vec<bool>);

/// Which sketch of each paragraph finds the candidate pairs.
///
/// ```
/// use paradup::{Deduper, Method};
///
/// let docs = [
///     "The cat sat on the mat and looked out of the window at the rain.",
///     "The cat sat on the mat and looked out of the window at the snow.",
///     "Something else entirely, about dogs.",
/// ];
/// let d = Deduper::builder().method(Method::simhash()).build().unwrap();
/// let clusters = d.run(&docs);
/// assert_eq!(clusters.len(), 1);
/// assert_eq!(clusters.as_slice()[0].len(), 2);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Method {
    /// MinHash signatures and banded LSH, tuned to the Jaccard threshold. The default.
    #[default]
    MinHash,
    /// 64-bit SimHash fingerprints ([`SimHasher`]); pairs of paragraphs whose
    /// fingerprints differ in at most `max_hamming` bits are candidates (bounded on
    /// many near-identical paragraphs like large LSH buckets; see the
    /// [`lsh::hamming`](crate::lsh::hamming) module docs). A radius of 64 makes every pair a
    /// candidate; more is an error ([`ErrorKind::InvalidMaxHamming`]).
    SimHash {
        /// The search radius in bits. Default (with [`Method::simhash`]):
        /// [`DEFAULT_MAX_HAMMING`].
        max_hamming: u32,
    },
}

impl Method {
    /// SimHash with the default radius [`DEFAULT_MAX_HAMMING`].
    pub fn simhash() -> Method {
        Method::SimHash {
            max_hamming: DEFAULT_MAX_HAMMING,
        }
    }
}

/// How candidate pairs are checked before they join a cluster.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Verification {
    /// Exact Jaccard of the two shingle sets (recomputed from the text). The default:
    /// no false positives.
    #[default]
    Exact,
    /// The MinHash estimate (fraction of equal slots). Cheaper, but a pair near the
    /// threshold can fall on either side.
    ///
    /// With [`Method::SimHash`] there is no Jaccard estimate: a pair passes when its
    /// fingerprints are within `max_hamming` bits (the threshold plays no part), and its
    /// similarity is the estimated cosine `cos(π · distance / 64)`.
    Signature,
}

/// How candidate pairs are found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CandidateSearch {
    /// The method's index: banded LSH over MinHash signatures, the permuted-table
    /// Hamming search over SimHash fingerprints. The default.
    #[default]
    Lsh,
    /// Every pair of distinct texts, whatever the method: quadratic, for small inputs
    /// and for testing the indexes.
    Exhaustive,
    /// Every pair at the threshold, exactly, by prefix filtering on the shingle sets
    /// ([`PrefixFilter`]), whatever the method: no miss, fast on natural text, but
    /// quadratic on many near-copies of one template. The reference the LSH search is
    /// measured against.
    PrefixFilter,
}

/// Builds a [`Deduper`]; [`build`](Self::build) validates the whole configuration once.
#[derive(Clone, Debug)]
pub struct DeduperBuilder {
    threshold: f64,
    shingle: ShingleKind,
    num_perm: usize,
    seed: u64,
    lsh: Option<(usize, usize)>,
    tuning: LshTuning,
    verification: Verification,
    search: CandidateSearch,
    paragraphs: ParagraphMode,
    normalizer: Normalizer,
    threads: Option<usize>,
    method: Method,
    simhash_features: ShingleKind,
    simhash_weighting: Weighting,
    similarity: Similarity,
    anti_chaining: bool,
    max_cluster_size: usize,
}

impl Default for DeduperBuilder {
    fn default() -> DeduperBuilder {
        DeduperBuilder {
            threshold: DEFAULT_THRESHOLD,
            shingle: ShingleKind::default(),
            num_perm: DEFAULT_NUM_PERM,
            seed: crate::DEFAULT_SEED,
            lsh: None,
            tuning: LshTuning::default(),
            verification: Verification::default(),
            search: CandidateSearch::default(),
            paragraphs: ParagraphMode::default(),
            normalizer: Normalizer::new(),
            threads: None,
            method: Method::default(),
            simhash_features: crate::simhash::DEFAULT_FEATURES,
            simhash_weighting: Weighting::default(),
            similarity: Similarity::default(),
            anti_chaining: DEFAULT_ANTI_CHAINING,
            max_cluster_size: DEFAULT_MAX_CLUSTER_SIZE,
        }
    }
}

impl DeduperBuilder {
    /// Similarity at or above which two paragraphs are near-duplicates, in `(0, 1]`:
    /// Jaccard, or containment with [`Similarity::Containment`]. Default:
    /// [`DEFAULT_THRESHOLD`].
    pub fn threshold(&mut self, threshold: f64) -> &mut Self {
        self.threshold = threshold;
        self
    }

    /// Shingle kind and size. Default: [`ShingleKind::Words(2)`](ShingleKind::Words).
    pub fn shingles(&mut self, kind: ShingleKind) -> &mut Self {
        self.shingle = kind;
        self
    }

    /// MinHash permutations. Default: 128.
    pub fn num_perm(&mut self, num_perm: usize) -> &mut Self {
        self.num_perm = num_perm;
        self
    }

    /// Seed of the shingle hashes and permutations. Default:
    /// [`DEFAULT_SEED`](crate::DEFAULT_SEED).
    pub fn seed(&mut self, seed: u64) -> &mut Self {
        self.seed = seed;
        self
    }

    /// Explicit LSH banding. Default: chosen from the threshold by the
    /// [tuning](Self::lsh_tuning).
    pub fn lsh_params(&mut self, bands: usize, rows: usize) -> &mut Self {
        self.lsh = Some((bands, rows));
        self
    }

    /// How the banding is chosen from the threshold. Default:
    /// [`LshTuning::Recall`]`(`[`DEFAULT_LSH_RECALL`](crate::lsh::DEFAULT_LSH_RECALL)`)`:
    /// a pair at the threshold is proposed with probability at least 0.99.
    pub fn lsh_tuning(&mut self, tuning: LshTuning) -> &mut Self {
        self.tuning = tuning;
        self
    }

    /// Chooses the banding by datasketch's rule with these weights of false positives
    /// and negatives: short for [`lsh_tuning`](Self::lsh_tuning)`(`[`LshTuning::Weights`]`(weights))`.
    /// (The default tuning is [`LshTuning::Recall`]; 0.5 and 0.5 reproduce datasketch.)
    pub fn lsh_weights(&mut self, weights: LshWeights) -> &mut Self {
        self.tuning = LshTuning::Weights(weights);
        self
    }

    /// How candidates are verified. Default: [`Verification::Exact`].
    pub fn verification(&mut self, verification: Verification) -> &mut Self {
        self.verification = verification;
        self
    }

    /// How candidates are found. Default: [`CandidateSearch::Lsh`].
    pub fn candidates(&mut self, search: CandidateSearch) -> &mut Self {
        self.search = search;
        self
    }

    /// How documents are cut into paragraphs. Default: [`ParagraphMode::Auto`].
    pub fn paragraphs(&mut self, mode: ParagraphMode) -> &mut Self {
        self.paragraphs = mode;
        self
    }

    /// Normalization before shingling. Default: [`Normalizer::new`] (everything on).
    pub fn normalizer(&mut self, normalizer: Normalizer) -> &mut Self {
        self.normalizer = normalizer;
        self
    }

    /// Run on a private pool of `n` threads. Default: rayon's global pool.
    pub fn threads(&mut self, n: usize) -> &mut Self {
        self.threads = Some(n);
        self
    }

    /// How candidates are found: MinHash with LSH, or SimHash with a Hamming radius.
    /// Default: [`Method::MinHash`].
    pub fn method(&mut self, method: Method) -> &mut Self {
        self.method = method;
        self
    }

    /// The features SimHash fingerprints (with [`Method::SimHash`]); verification still
    /// uses the [shingles](Self::shingles). Default:
    /// [`simhash::DEFAULT_FEATURES`](crate::simhash::DEFAULT_FEATURES), character 4-grams.
    pub fn simhash_features(&mut self, kind: ShingleKind) -> &mut Self {
        self.simhash_features = kind;
        self
    }

    /// How SimHash weighs features. Default: [`Weighting::TermFrequency`].
    pub fn simhash_weighting(&mut self, weighting: Weighting) -> &mut Self {
        self.simhash_weighting = weighting;
        self
    }

    /// The similarity measure that verification computes and the threshold applies to.
    /// Default: [`Similarity::Jaccard`].
    ///
    /// With [`Similarity::Containment`], a pair is a near-duplicate when the smaller
    /// paragraph's shingles are mostly in the larger one (an excerpt, one half of a
    /// split paragraph), and pairs and members carry a [`Direction`](crate::Direction). The LSH search
    /// then uses size classes with one banding per class distance
    /// ([`ContainmentBanding`]); it covers size ratios up to
    /// [`MAX_RATIO`](crate::lsh::containment::MAX_RATIO). Containment needs
    /// [`Method::MinHash`] (a build error otherwise). A threshold around 0.8 suits it:
    /// containment is higher than Jaccard for the same pair.
    ///
    /// ```
    /// use paradup::{Deduper, Direction, ParagraphMode, Similarity};
    ///
    /// let whole = "It was the best of times, it was the worst of times, it was the age \
    ///              of wisdom, it was the age of foolishness, it was the epoch of belief.";
    /// let first_half = "It was the best of times, it was the worst of times, it was the \
    ///                   age of wisdom.";
    /// let d = Deduper::builder()
    ///     .similarity(Similarity::Containment)
    ///     .threshold(0.8)
    ///     .paragraphs(ParagraphMode::Whole)
    ///     .build()?;
    /// let clusters = d.run(&[whole, first_half]);
    /// let pair = &clusters.pairs()[0];
    /// assert_eq!(pair.similarity, 1.0);
    /// assert_eq!(pair.direction, Direction::SecondInFirst); // the half is in the whole
    /// # Ok::<(), paradup::Error>(())
    /// ```
    pub fn similarity(&mut self, similarity: Similarity) -> &mut Self {
        self.similarity = similarity;
        self
    }

    /// Whether clusters are split so that every member reaches the threshold against
    /// its representative (see [`cluster`](crate::cluster), "Anti-chaining", for the
    /// exact guarantee). Off, clusters are the connected components of the verified
    /// pairs. Default: [`DEFAULT_ANTI_CHAINING`].
    pub fn anti_chaining(&mut self, on: bool) -> &mut Self {
        self.anti_chaining = on;
        self
    }

    /// The cluster-size guard: clusters with more members than `limit` are reported by
    /// [`Clusters::oversized`] and counted in
    /// [`RunStats::oversized_clusters`](crate::RunStats::oversized_clusters) (they are
    /// kept as they are). Default: [`DEFAULT_MAX_CLUSTER_SIZE`].
    pub fn max_cluster_size(&mut self, limit: usize) -> &mut Self {
        self.max_cluster_size = limit;
        self
    }

    /// Validates the configuration and builds the deduper.
    ///
    /// Errors: a threshold outside `(0, 1]`, `num_perm == 0`, `n == 0` (shingles or
    /// SimHash features), bands or rows of zero or `bands · rows > num_perm`, invalid
    /// weights or recall, containment with SimHash, a SimHash `max_hamming` over 64,
    /// `threads(0)`, or a thread pool that cannot be created; and, checked first, a
    /// `PARADUP_KERNEL` that names no kernel or one this CPU lacks
    /// ([`ErrorKind::KernelUnavailable`], from
    /// [`check_forced`](crate::minhash::kernel::check_forced)).
    pub fn build(&self) -> Result<Deduper> {
        crate::arch::check_forced()?;
        self.build_config()
    }

    /// [`build`](Self::build) without the check of `PARADUP_KERNEL`.
    fn build_config(&self) -> Result<Deduper> {
        if !(self.threshold > 0.0 && self.threshold <= 1.0) {
            return Err(ErrorKind::InvalidThreshold(self.threshold).into());
        }
        if self.similarity == Similarity::Containment && self.method != Method::MinHash {
            return Err(ErrorKind::ContainmentNeedsMinHash.into());
        }
        if let Method::SimHash { max_hamming } = self.method
            && max_hamming > crate::simhash::BITS
        {
            return Err(ErrorKind::InvalidMaxHamming(max_hamming).into());
        }
        let shingler = Shingler::try_new(self.shingle)?.with_seed(self.seed);
        let hasher = MinHasher::try_new(self.num_perm, self.seed)?;
        let simhasher = SimHasher::try_new(self.simhash_features)?
            .with_weighting(self.simhash_weighting)
            .with_seed(self.seed);
        self.tuning.validate()?;
        let lsh = match self.lsh {
            Some((bands, rows)) => LshParams::new(bands, rows, self.num_perm)?,
            None => LshParams::tuned(self.threshold, self.num_perm, self.tuning)?,
        };
        let containment = match (self.similarity, self.lsh) {
            (Similarity::Jaccard, _) => None,
            (Similarity::Containment, Some(_)) => Some(ContainmentBanding::uniform(lsh)),
            (Similarity::Containment, None) => Some(ContainmentBanding::new(
                self.threshold,
                self.num_perm,
                self.tuning,
            )?),
        };
        let pool = match self.threads {
            None => None,
            Some(0) => return Err(ErrorKind::ZeroThreads.into()),
            Some(n) => Some(
                rayon::ThreadPoolBuilder::new()
                    .num_threads(n)
                    .thread_name(|i| format!("paradup-{i}"))
                    .build()
                    .map_err(|e| Error::from(ErrorKind::ThreadPool(e.to_string())))?,
            ),
        };
        Ok(Deduper {
            threshold: self.threshold,
            shingler,
            hasher,
            lsh,
            verification: self.verification,
            search: self.search,
            splitter: ParagraphSplitter::new(self.paragraphs),
            normalizer: self.normalizer,
            pool,
            method: self.method,
            simhasher,
            similarity: self.similarity,
            containment,
            anti_chaining: self.anti_chaining,
            max_cluster_size: self.max_cluster_size,
        })
    }
}

/// Finds clusters of near-duplicate paragraphs in a set of documents.
///
/// ```
/// let docs = vec![
///     "The cat sat on the mat and looked out of the window.".to_string(),
///     "Something else entirely.\nThe cat sat on the mat and looked out the window.".to_string(),
/// ];
/// let clusters = paradup::Deduper::new().run(&docs);
/// assert_eq!(clusters.len(), 1);
/// let lines: Vec<_> = clusters.as_slice()[0].members().iter().map(|m| (m.paragraph.doc, m.paragraph.line)).collect();
/// assert_eq!(lines, [(0, 1), (1, 2)]);
/// ```
#[derive(Debug)]
pub struct Deduper {
    threshold: f64,
    shingler: Shingler,
    hasher: MinHasher,
    lsh: LshParams,
    verification: Verification,
    search: CandidateSearch,
    splitter: ParagraphSplitter,
    normalizer: Normalizer,
    pool: Option<rayon::ThreadPool>,
    method: Method,
    simhasher: SimHasher,
    similarity: Similarity,
    /// The containment search's bandings, with [`Similarity::Containment`].
    containment: Option<ContainmentBanding>,
    anti_chaining: bool,
    max_cluster_size: usize,
}

impl Default for Deduper {
    fn default() -> Deduper {
        Deduper::new()
    }
}

/// The sketches of the distinct texts, by method.
enum Sketches {
    MinHash {
        /// `k` slots per distinct text, contiguous; empty when only band keys are kept.
        sigs: Vec<u32>,
        /// With banded LSH and exact verification instead of `sigs`: the key of each
        /// band of every paragraph (duplicates included: made in the exact-duplicate
        /// stage), in blocks of [`KEY_BLOCK`] paragraphs, band-major within a block
        /// (read with [`band_key_at`]).
        band_keys: Vec<u64>,
        k: usize,
        /// Whether each distinct text has shingles.
        live: Vec<bool>,
        /// With containment, the size of each distinct text's shingle set; else empty.
        sizes: Vec<u32>,
    },
    SimHash {
        fps: Vec<u64>,
        /// The radius, at most 64.
        max_hamming: u32,
        /// Whether each distinct text has features.
        live: Vec<bool>,
    },
}

impl Sketches {
    fn live(&self) -> &[bool] {
        match self {
            Sketches::MinHash { live, .. } | Sketches::SimHash { live, .. } => live,
        }
    }
}

/// Per-thread scratch for [`Deduper::sketch_minhash`].
#[derive(Default)]
struct MinHashScratch {
    shingle: ShingleScratch,
    set: Vec<u64>,
    /// The signature, when the caller keeps only band keys.
    sig: Vec<u32>,
    /// Band-key bytes (rows longer than the word-wise fast path).
    buf: Vec<u8>,
}

/// Per-thread scratch for the signature stage.
#[derive(Default)]
struct Scratch {
    text: String,
    shingle: ShingleScratch,
}

impl Deduper {
    /// A deduper with every default.
    ///
    /// It cannot fail, so it does not check `PARADUP_KERNEL`: with a value that
    /// [`DeduperBuilder::build`] rejects (a kernel this CPU lacks, or no kernel's name),
    /// it runs the portable kernel.
    pub fn new() -> Deduper {
        DeduperBuilder::default()
            .build_config()
            .expect("the default configuration is valid")
    }

    /// A builder starting from the defaults.
    pub fn builder() -> DeduperBuilder {
        DeduperBuilder::default()
    }

    /// The similarity threshold.
    pub fn threshold(&self) -> f64 {
        self.threshold
    }

    /// The LSH banding in use (for Jaccard; see
    /// [`containment_banding`](Self::containment_banding) for containment).
    pub fn lsh_params(&self) -> LshParams {
        self.lsh
    }

    /// The similarity measure in use.
    pub fn similarity(&self) -> Similarity {
        self.similarity
    }

    /// The bandings of the containment search (with [`Similarity::Containment`]).
    pub fn containment_banding(&self) -> Option<&ContainmentBanding> {
        self.containment.as_ref()
    }

    /// Whether anti-chaining is on.
    pub fn anti_chaining(&self) -> bool {
        self.anti_chaining
    }

    /// The cluster-size guard's limit.
    pub fn max_cluster_size(&self) -> usize {
        self.max_cluster_size
    }

    /// The shingler in use.
    pub fn shingler(&self) -> &Shingler {
        &self.shingler
    }

    /// The MinHash hasher in use.
    pub fn hasher(&self) -> &MinHasher {
        &self.hasher
    }

    /// The candidate method in use.
    pub fn method(&self) -> Method {
        self.method
    }

    /// The SimHash hasher (used with [`Method::SimHash`]).
    pub fn simhasher(&self) -> &SimHasher {
        &self.simhasher
    }

    /// The normalizer in use.
    pub fn normalizer(&self) -> &Normalizer {
        &self.normalizer
    }

    /// The paragraph splitter in use.
    pub fn splitter(&self) -> &ParagraphSplitter {
        &self.splitter
    }

    /// One distinct text's MinHash sketch, from its normalized text: the signature into
    /// `sig` (or into the scratch when `None`) and, with `lsh`, the key of each band
    /// into `keys`. Shingles are sorted and deduplicated only when `sized` (containment
    /// needs the set's size; a signature does not). Returns whether the text has
    /// shingles and, when `sized`, how many.
    fn sketch_minhash(
        &self,
        normalized: &str,
        sized: bool,
        lsh: Option<LshParams>,
        scratch: &mut MinHashScratch,
        sig: Option<&mut [u32]>,
        keys: &mut [u64],
    ) -> (bool, u32) {
        let MinHashScratch {
            shingle,
            set,
            sig: own,
            buf,
        } = scratch;
        if sized {
            self.shingler.shingles_into(normalized, shingle, set);
        } else {
            self.shingler.hashes_into(normalized, shingle, set);
        }
        let sig: &[u32] = match sig {
            Some(sig) => {
                self.hasher.signature_into(set, sig);
                sig
            }
            None => {
                // Kept by no one: only the slots that the band keys read, rounded up
                // to whole 16-slot blocks of the AVX-512 kernel. With the defaults (19
                // bands of 3 rows), 64 of 128 slots: half the MinHash work of the
                // exact stage, which makes the band keys of every paragraph.
                let need = lsh.map_or(self.hasher.num_perm(), |p| p.bands * p.rows);
                let len = need.next_multiple_of(16).min(self.hasher.num_perm());
                own.resize(len, 0);
                self.hasher.signature_prefix_into(set, own);
                own
            }
        };
        if let Some(lsh) = lsh {
            for (b, key) in keys.iter_mut().enumerate() {
                *key = band_key(lsh, b, sig, buf);
            }
        }
        (!set.is_empty(), if sized { set.len() as u32 } else { 0 })
    }

    /// Raw text → sorted shingle set, with caller scratch (normalized into it).
    fn shingle_set(&self, text: &str, scratch: &mut Scratch, out: &mut Vec<u64>) {
        self.normalizer.normalize_into(text, &mut scratch.text);
        self.shingler
            .shingles_into(&scratch.text, &mut scratch.shingle, out);
    }

    /// Finds the near-duplicate paragraphs of `documents` (document ids are indices
    /// into the slice).
    ///
    /// # Panics
    /// If there are more than `u32::MAX` documents or paragraphs;
    /// [`try_run`](Self::try_run) returns an error instead.
    pub fn run<S: AsRef<str> + Sync>(&self, documents: &[S]) -> Clusters {
        self.try_run(documents)
            .expect("input too large for u32 ids")
    }

    /// [`run`](Self::run), returning an error for inputs too large for `u32` ids.
    pub fn try_run<S: AsRef<str> + Sync>(&self, documents: &[S]) -> Result<Clusters> {
        self.try_run_observed(documents, None)
    }

    /// [`run`](Self::run), updating `progress` as it goes (read it from another
    /// thread to show progress; see [`Progress`]). The result is the same as `run`'s.
    ///
    /// # Panics
    /// As [`run`](Self::run).
    pub fn run_with_progress<S: AsRef<str> + Sync>(
        &self,
        documents: &[S],
        progress: &Progress,
    ) -> Clusters {
        self.try_run_with_progress(documents, progress)
            .expect("input too large for u32 ids")
    }

    /// [`try_run`](Self::try_run), updating `progress` as it goes.
    pub fn try_run_with_progress<S: AsRef<str> + Sync>(
        &self,
        documents: &[S],
        progress: &Progress,
    ) -> Result<Clusters> {
        self.try_run_observed(documents, Some(progress))
    }

    fn try_run_observed<S: AsRef<str> + Sync>(
        &self,
        documents: &[S],
        progress: Option<&Progress>,
    ) -> Result<Clusters> {
        let result = match &self.pool {
            Some(pool) => pool.install(|| self.run_inner(documents, progress)),
            None => self.run_inner(documents, progress),
        };
        if let Some(p) = progress {
            p.enter(Stage::Done, 0);
        }
        result
    }

    fn run_inner<S: AsRef<str> + Sync>(
        &self,
        documents: &[S],
        progress: Option<&Progress>,
    ) -> Result<Clusters> {
        if u32::try_from(documents.len()).is_err() {
            return Err(ErrorKind::TooManyDocuments(documents.len()).into());
        }
        let enter = |stage: Stage, total: usize| {
            if let Some(p) = progress {
                p.enter(stage, total as u64);
            }
        };
        enter(Stage::Paragraphs, documents.len());
        let text = |p: &Paragraph| p.text(documents[p.doc as usize].as_ref());
        let mut timings = StageTimings::default();
        let mut clock = Instant::now();

        // 1. Paragraphs, in document order.
        let paragraphs = self.split_all(documents);
        if u32::try_from(paragraphs.len()).is_err() {
            return Err(ErrorKind::TooManyParagraphs(paragraphs.len()).into());
        }
        let n = paragraphs.len();
        timings.paragraphs = lap(&mut clock);
        if let Some(p) = progress {
            p.set_paragraphs(n as u64);
        }

        // 2. Exact duplicates by 128-bit hash of the normalized text.
        enter(Stage::Exact, n);
        let seed = self.shingler.seed();
        // The normalized texts are kept (about the corpus's size again, until the
        // candidates are found) for the signature stage, so that it does not normalize
        // every distinct text a second time. Band keys instead of signatures (below)
        // pay for the memory.
        //
        // With MinHash, banded LSH and exact verification (the defaults), the
        // candidate search reads only band keys: those are made here, of every
        // paragraph while its normalized text is at hand, and no normalized text is
        // kept (`fused`). The exact duplicates' keys are wasted work (8,627 of 173,915
        // paragraphs of the 48 MB corpus), but cost less than copying the normalized
        // texts into the chunks' buffers, page faults included. Verification pays
        // some of it back: its shingle sets have no freed texts' memory to reuse.
        let keys_only = matches!(self.method, Method::MinHash)
            && self.search == CandidateSearch::Lsh
            && self.similarity != Similarity::Containment
            && self.verification == Verification::Exact;
        let bands = self.lsh.bands;
        let mut para_keys = vec![0u64; if keys_only { n * bands } else { 0 }];
        let init = || {
            let scratch = (MinHashScratch::default(), vec![0u64; bands]);
            (String::new(), Tally::default(), scratch)
        };
        // Normalizes paragraphs `chunk` and keys them; with
        // `block`, their band keys go there ([`store_band_keys`]) instead of their
        // normalized texts into the chunk.
        type State = (String, Tally, (MinHashScratch, Vec<u64>));
        let normalize = |(buf, tally, (scratch, row)): &mut State,
                         chunk: &[Paragraph],
                         mut block: Option<&mut [u64]>| {
            let mut keys = Vec::with_capacity(chunk.len());
            let (mut arena, mut ends, mut live) = (String::new(), Vec::new(), Vec::new());
            if block.is_some() {
                live.reserve_exact(chunk.len());
            } else {
                // Normalizing rarely lengthens text (a ligature, ß → ss).
                let raw_len: usize = chunk.iter().map(Paragraph::len).sum();
                arena.reserve_exact(raw_len + raw_len / 64);
                ends.reserve_exact(chunk.len());
            }
            for (j, p) in chunk.iter().enumerate() {
                let raw = text(p);
                self.normalizer.normalize_into(raw, buf);
                tally.tick(progress);
                keys.push(crate::index::exact_key(buf, raw, seed));
                match block.as_deref_mut() {
                    Some(block) => {
                        let lsh = Some(self.lsh);
                        let (has, _) = self.sketch_minhash(buf, false, lsh, scratch, None, row);
                        store_band_keys(block, chunk.len(), j, row);
                        live.push(has);
                    }
                    None => {
                        arena.push_str(buf);
                        ends.push(arena.len() as u32);
                    }
                }
            }
            (keys, arena, ends, live)
        };
        let mut chunks: Vec<NormalizedChunk> = if keys_only {
            paragraphs
                .par_chunks(NORM_CHUNK)
                .zip(para_keys.par_chunks_mut((bands * KEY_BLOCK).max(1)))
                // One chunk per task: rayon's own splitting left a quarter of the
                // stage as one task, and one thread idle at its end.
                .with_max_len(1)
                .map_init(init, |s, (chunk, block)| normalize(s, chunk, Some(block)))
                .collect()
        } else {
            paragraphs
                .par_chunks(NORM_CHUNK)
                .with_max_len(1)
                .map_init(init, |s, chunk| normalize(s, chunk, None))
                .collect()
        };
        let (canon_of, canon) = {
            let parts: Vec<&[u128]> = chunks.iter().map(|c| c.0.as_slice()).collect();
            exact::number_texts(&parts)
        };
        for (keys, _, _, _) in &mut chunks {
            *keys = Vec::new();
        }
        // The normalized text of paragraph `id`.
        let normed = |id: u32| -> &str {
            let (ci, j) = (id as usize / NORM_CHUNK, id as usize % NORM_CHUNK);
            let (_, arena, ends, _) = &chunks[ci];
            let lo = if j == 0 { 0 } else { ends[j - 1] as usize };
            &arena[lo..ends[j] as usize]
        };
        let distinct = canon.len();
        timings.exact = lap(&mut clock);
        enter(Stage::Signatures, distinct);

        // 3. Signatures of distinct texts: MinHash slots in one contiguous buffer, or
        //    one SimHash fingerprint each.
        let mut sketches = match self.method {
            Method::MinHash => {
                let k = self.hasher.num_perm();
                // Containment needs the size of each shingle set, so the hashes are
                // sorted and deduplicated there; Jaccard needs only the signature.
                let sized = self.similarity == Similarity::Containment;
                // Banded LSH with exact verification reads only the band keys, made in
                // stage 2 (8 bytes a band, 152 at the defaults, instead of the 512
                // bytes of a signature of 128 permutations).
                if keys_only {
                    if let Some(p) = progress {
                        p.add(distinct as u64);
                    }
                    let live = canon
                        .par_iter()
                        .map(|&id| {
                            let (ci, j) = (id as usize / NORM_CHUNK, id as usize % NORM_CHUNK);
                            chunks[ci].3[j]
                        })
                        .collect();
                    Sketches::MinHash {
                        sigs: Vec::new(),
                        band_keys: std::mem::take(&mut para_keys),
                        k,
                        live,
                        sizes: Vec::new(),
                    }
                } else {
                    let mut sigs = vec![0u32; distinct * k];
                    let init = || (MinHashScratch::default(), Tally::default());
                    let (live, sizes): (Vec<bool>, Vec<u32>) = sigs
                        .par_chunks_mut(k.max(1))
                        .zip(canon.par_iter())
                        .map_init(init, |(scratch, tally), (out, &id)| {
                            tally.tick(progress);
                            self.sketch_minhash(
                                normed(id),
                                sized,
                                None,
                                scratch,
                                Some(out),
                                &mut [],
                            )
                        })
                        .unzip();
                    let sizes = if sized { sizes } else { Vec::new() };
                    Sketches::MinHash {
                        sigs,
                        band_keys: Vec::new(),
                        k,
                        live,
                        sizes,
                    }
                }
            }
            Method::SimHash { max_hamming } => {
                // A text has features exactly when its normalized text is not empty,
                // which is also when it has shingles: the same paragraphs stay live.
                let (fps, live): (Vec<u64>, Vec<bool>) = canon
                    .par_iter()
                    .map_init(
                        || (SimHashScratch::default(), Tally::default()),
                        |(scratch, tally), &id| {
                            tally.tick(progress);
                            let (fp, count) =
                                self.simhasher.fingerprint_counted(normed(id), scratch);
                            (fp, count > 0)
                        },
                    )
                    .unzip();
                Sketches::SimHash {
                    fps,
                    max_hamming: max_hamming.min(crate::simhash::BITS),
                    live,
                }
            }
        };

        timings.signatures = lap(&mut clock);
        enter(Stage::Candidates, 0);

        // 4. Candidate pairs of distinct texts (indices into `canon`), (lo, hi).
        let live: Vec<u32> = (0..distinct as u32)
            .filter(|&c| sketches.live()[c as usize])
            .collect();
        // With the prefix filter, the shingle sets of every live text, kept for
        // verification: (slot of each distinct text, sets).
        let mut all_sets: Option<(Vec<u32>, SetArena)> = None;
        let edges: Vec<(u32, u32)> = match (self.search, &sketches) {
            (CandidateSearch::Lsh, Sketches::MinHash { sigs, k, sizes, .. })
                if self.containment.is_some() =>
            {
                self.containment_edges(self.containment.as_ref(), &live, sigs, *k, sizes)
            }
            (CandidateSearch::PrefixFilter, _) => {
                let sets: Vec<Vec<u64>> = live
                    .par_iter()
                    .map_init(ShingleScratch::default, |scratch, &c| {
                        let mut set = Vec::new();
                        self.shingler
                            .shingles_into(normed(canon[c as usize]), scratch, &mut set);
                        set
                    })
                    .collect();
                let pf = PrefixFilter::new(&sets, self.similarity, self.threshold);
                let edges = (0..live.len() as u32)
                    .into_par_iter()
                    .map_init(
                        || (PrefixFilterScratch::default(), Vec::new()),
                        |(scratch, found), i| {
                            found.clear();
                            pf.pairs_of(i, scratch, found);
                            found
                                .iter()
                                .map(|&(j, _)| (live[i.min(j) as usize], live[i.max(j) as usize]))
                                .collect::<Vec<_>>()
                        },
                    )
                    .flatten_iter()
                    .collect();
                let mut slot = vec![u32::MAX; distinct];
                for (i, &c) in live.iter().enumerate() {
                    slot[c as usize] = i as u32;
                }
                all_sets = Some((slot, SetArena::from_vecs(sets)));
                edges
            }
            (
                CandidateSearch::Lsh,
                Sketches::MinHash {
                    sigs, band_keys, k, ..
                },
            ) => {
                type BandScratch = (SharedKeys, Vec<u64>, Vec<(u64, u32)>, Vec<u8>);
                let scratch: PerThread<BandScratch> = PerThread::new();
                (0..self.lsh.bands)
                    .into_par_iter()
                    // One band per task (see the exact stage's chunks).
                    .with_max_len(1)
                    .map(|band| {
                        scratch.with(|(filter, column, keys, buf)| {
                            let (k, bands) = (*k, self.lsh.bands);
                            column.clear();
                            column.extend(live.iter().map(|&c| {
                                let c = c as usize;
                                if band_keys.is_empty() {
                                    band_key(self.lsh, band, &sigs[c * k..(c + 1) * k], buf)
                                } else {
                                    band_key_at(band_keys, n, bands, band, canon[c] as usize)
                                }
                            }));
                            // Only the keys that may repeat go to `bucket_pairs`.
                            filter.reset(column.len());
                            for &key in column.iter() {
                                filter.insert(key);
                            }
                            keys.clear();
                            keys.extend(
                                column
                                    .iter()
                                    .zip(&live)
                                    .filter(|&(&key, _)| filter.may_repeat(key))
                                    .map(|(&key, &c)| (key, c)),
                            );
                            let mut edges = Vec::new();
                            bucket_pairs(keys, ALL_PAIRS_BUCKET, &mut edges);
                            edges
                        })
                    })
                    .reduce(Vec::new, |mut a, mut b| {
                        a.append(&mut b);
                        a
                    })
            }
            (
                CandidateSearch::Lsh,
                Sketches::SimHash {
                    fps, max_hamming, ..
                },
            ) => {
                let live_fps: Vec<u64> = live.iter().map(|&c| fps[c as usize]).collect();
                hamming_edges(*max_hamming, &live_fps, |i| live[i as usize])
            }
            (CandidateSearch::Exhaustive, _) => live
                .par_iter()
                .enumerate()
                .flat_map_iter(|(i, &a)| live[i + 1..].iter().map(move |&b| (a, b)))
                .collect(),
        };
        // Sorted as one u64 each, `(a, b)` as `a << 32 | b` (the same order): sorting
        // the tuples was slower.
        let mut packed: Vec<u64> = edges
            .par_iter()
            .map(|&(a, b)| u64::from(a) << 32 | u64::from(b))
            .collect();
        packed.par_sort_unstable();
        packed.dedup();
        let edges: Vec<(u32, u32)> = packed
            .par_iter()
            .map(|&x| ((x >> 32) as u32, x as u32))
            .collect();
        drop(packed);
        // The normalized texts go before verification, which renormalizes the few
        // texts in candidate pairs, which lowers the peak memory.
        drop(chunks);
        timings.candidates = lap(&mut clock);
        enter(Stage::Verify, 0);

        // 5. Verification and 6. clusters.
        // The band keys are not read past the candidates; freeing them (26 MB on the
        // 48 MB corpus) at the end of the run left one of two threads idle: they go
        // while the shingle sets are made.
        let band_keys = match &mut sketches {
            Sketches::MinHash { band_keys, .. } => std::mem::take(band_keys),
            Sketches::SimHash { .. } => Vec::new(),
        };
        let sets = match self.verification {
            Verification::Exact => Some(all_sets.unwrap_or_else(|| {
                let text = |p| text(&paragraphs[p as usize]);
                rayon::join(
                    || drop(band_keys),
                    || self.involved_sets(&edges, distinct, &canon, text),
                )
                .1
            })),
            Verification::Signature => None,
        };
        let evidence = match (sets, &sketches) {
            (Some((slot, sets)), _) => Evidence::Sets { slot, sets },
            (None, Sketches::MinHash { sigs, k, .. }) => Evidence::Signatures {
                slot: None,
                sigs,
                k: *k,
            },
            (
                None,
                Sketches::SimHash {
                    fps, max_hamming, ..
                },
            ) => Evidence::Fingerprints {
                fps,
                max_hamming: *max_hamming,
            },
        };
        let sizes: &[u32] = match &sketches {
            Sketches::MinHash { sizes, .. } => sizes,
            Sketches::SimHash { .. } => &[],
        };
        let found = Found {
            documents: documents.len(),
            paragraphs: &paragraphs,
            bytes: paragraphs.iter().map(Paragraph::len).sum(),
            canon_of: &canon_of,
            canon: &canon,
            edges,
            sizes,
        };
        Ok(self.assemble(found, &evidence, timings, &mut clock, progress))
    }

    /// The paragraphs of `documents`, in order. Large documents are cut into pieces at
    /// paragraph boundaries ([`stream::piece_ranges`]) that split in parallel, so one
    /// 48 MB file does not split on one thread.
    fn split_all<S: AsRef<str> + Sync>(&self, documents: &[S]) -> Vec<Paragraph> {
        // (document, mode, piece range), documents in order.
        let pieces: Vec<(u32, ParagraphMode, (usize, usize))> = documents
            .par_iter()
            .enumerate()
            .flat_map_iter(|(d, doc)| {
                let text = doc.as_ref();
                let mode = self.splitter.resolve(text);
                stream::piece_ranges(text, mode, stream::DEFAULT_PIECE_BYTES)
                    .into_iter()
                    .map(move |r| (d as u32, mode, r))
            })
            .collect();
        // Each piece's paragraphs with piece-relative index and line, and its lines.
        let split: Vec<(Vec<Paragraph>, u64)> = pieces
            .par_iter()
            // One piece per task (see the exact stage's chunks).
            .with_max_len(1)
            .map(|&(d, mode, (lo, hi))| {
                let text = &documents[d as usize].as_ref()[lo..hi];
                let mut paras: Vec<Paragraph> =
                    ParagraphSplitter::new(mode).split(d, text).collect();
                let lines = piece_lines(text, &paras);
                for p in &mut paras {
                    p.start += lo;
                    p.end += lo;
                }
                (paras, lines)
            })
            .collect();
        // Indices and lines continue from piece to piece within a document: each
        // piece's first paragraph in the output, and what its indices and lines add.
        let (mut index, mut line) = (0u32, 0u64);
        let mut starts = Vec::with_capacity(split.len());
        let mut total = 0;
        for (i, (paras, lines)) in split.iter().enumerate() {
            if i == 0 || pieces[i - 1].0 != pieces[i].0 {
                (index, line) = (0, 0);
            }
            starts.push((total, index, line));
            total += paras.len();
            index = index.saturating_add(paras.len() as u32);
            line += *lines;
        }
        // Put together in parallel: one thread copying them (and taking the page
        // faults of the output) left the other idle.
        (0..total)
            .into_par_iter()
            // Tasks of at most 4096 paragraphs (see the exact stage's chunks).
            .with_max_len(1 << 12)
            .map(|k| {
                let i = starts.partition_point(|&(first, _, _)| first <= k) - 1;
                let (first, index, line) = starts[i];
                let mut p = split[i].0[k - first];
                p.index = p.index.saturating_add(index);
                p.line += line;
                p
            })
            .collect()
    }

    /// Containment candidates: for each class distance `d` and each band of its
    /// banding, the texts of size classes `k` and `k + d` that share the band's bucket
    /// key (see [`ContainmentBanding`]). A text of class `k` enters each band under the
    /// pair of classes it heads (`k`) and, for `d > 0`, the one it ends (`k − d`), the
    /// lower class mixed into its key.
    fn containment_edges(
        &self,
        banding: Option<&ContainmentBanding>,
        live: &[u32],
        sigs: &[u32],
        k: usize,
        sizes: &[u32],
    ) -> Vec<(u32, u32)> {
        let Some(banding) = banding else {
            return Vec::new();
        };
        let mix =
            |key: u64, class: u32| key ^ (u64::from(class) + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let jobs: Vec<(usize, usize)> = banding
            .levels()
            .iter()
            .enumerate()
            .flat_map(|(d, p)| (0..p.bands).map(move |band| (d, band)))
            .collect();
        jobs.into_par_iter()
            .map(|(d, band)| {
                let params = banding.levels()[d];
                let d = d as u32;
                let mut buf = Vec::new();
                let mut keys: Vec<(u64, u32)> = Vec::with_capacity(live.len() * 2);
                for &c in live {
                    let sig = &sigs[c as usize * k..(c as usize + 1) * k];
                    let key = band_key(params, band, sig, &mut buf);
                    let class = size_class(sizes[c as usize] as usize);
                    keys.push((mix(key, class), c));
                    if d > 0 && class >= d {
                        keys.push((mix(key, class - d), c));
                    }
                }
                let mut edges = Vec::new();
                bucket_pairs(&mut keys, ALL_PAIRS_BUCKET, &mut edges);
                // Two keys of one text can only meet by a 64-bit collision; drop it.
                edges.retain(|&(a, b)| a != b);
                edges
            })
            .reduce(Vec::new, |mut a, mut b| {
                a.append(&mut b);
                a
            })
    }

    /// Shingle sets of the distinct texts that appear in some edge, from the raw text
    /// of a paragraph (`text`). Returns a map from distinct-text index to slot
    /// (`u32::MAX` when absent) and the sets.
    ///
    /// The sets of each task's [`SETS_PER_TASK`] texts go end to end into one buffer,
    /// made in a reused one. A vector per set, grown push by push, then copied into
    /// the arena was slower (`malloc`, heap growth by `mprotect` and page faults).
    fn involved_sets<'t>(
        &self,
        edges: &[(u32, u32)],
        distinct: usize,
        canon: &[u32],
        text: impl Fn(u32) -> &'t str + Sync,
    ) -> (Vec<u32>, SetArena) {
        let mut slot = vec![u32::MAX; distinct];
        let mut involved = Vec::new();
        for &(a, b) in edges {
            for c in [a, b] {
                if slot[c as usize] == u32::MAX {
                    slot[c as usize] = 0;
                    involved.push(c);
                }
            }
        }
        involved.sort_unstable();
        for (i, &c) in involved.iter().enumerate() {
            slot[c as usize] = i as u32;
        }
        let make = |cs: &[u32]| -> Vec<(Vec<u64>, Vec<usize>)> {
            cs.par_chunks(SETS_PER_TASK)
                // One chunk per task (see the exact stage's chunks).
                .with_max_len(1)
                .map_init(
                    || (Scratch::default(), Vec::new()),
                    |(scratch, set), cs| {
                        let (mut flat, mut lens) = (Vec::new(), Vec::with_capacity(cs.len()));
                        for &c in cs {
                            self.shingle_set(text(canon[c as usize]), scratch, set);
                            flat.extend_from_slice(set);
                            lens.push(set.len());
                        }
                        (flat, lens)
                    },
                )
                .collect()
        };
        // The arena adopts each task's buffer as it is: no copy. Copying into the arena
        // ran on one thread (mostly its page faults); overlapping the copy with making
        // the next round of sets still left a thread idle.
        let sets = SetArena::from_parts(make(&involved));
        (slot, sets)
    }
}

/// Batch operations on an [`Index`](crate::Index), in parallel.
impl Deduper {
    /// Sketches `texts` in parallel (on this deduper's pool) and inserts them into
    /// `index` under `keys`, in order (a later duplicate key replaces an earlier one,
    /// as with [`Index::insert`](crate::Index::insert)).
    ///
    /// # Panics
    /// If `keys` and `texts` differ in length, or `index` was built with other
    /// parameters than this deduper's (check with
    /// [`Index::check_params`](crate::Index::check_params)).
    pub fn insert_batch<S: AsRef<str> + Sync>(
        &self,
        index: &mut crate::Index,
        keys: &[u64],
        texts: &[S],
    ) {
        assert_eq!(keys.len(), texts.len(), "one key per text");
        index
            .check_params(self)
            .expect("index built with other parameters");
        let sketches = self.sketch_all(index.sketcher(), texts);
        for (&key, sketch) in keys.iter().zip(&sketches) {
            index.insert_sketch(key, sketch);
        }
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

/// Candidate pairs within `max_hamming` bits of the live texts' fingerprints
/// `live_fps` (per permuted table in parallel), as `(id_of(i), id_of(j))` for `i < j`:
/// `(lo, hi)` distinct-text ids when `id_of` is ascending. Bounded on near-identical
/// fingerprints by the rule of [`NearPairs`] (all pairs on ordinary input); may repeat
/// a pair.
fn hamming_edges(
    max_hamming: u32,
    live_fps: &[u64],
    id_of: impl Fn(u32) -> u32 + Sync,
) -> Vec<(u32, u32)> {
    let near = NearPairs::new(live_fps, max_hamming);
    let (mut edges, dense_links) = (0..near.tables())
        .into_par_iter()
        .map(|table| {
            let mut scratch = NearScratch::default();
            let (mut pairs, mut links) = (Vec::new(), Vec::new());
            near.table(table, &mut scratch, &mut pairs, &mut links);
            (pairs, links)
        })
        .reduce(
            || (Vec::new(), Vec::new()),
            |(mut a, mut la), (mut b, mut lb)| {
                a.append(&mut b);
                la.append(&mut lb);
                (a, la)
            },
        );
    near.within_groups(&mut edges);
    edges.extend(near.forest(dense_links));

    edges
        .par_iter_mut()
        .for_each(|e| *e = (id_of(e.0), id_of(e.1)));
    edges
}

/// The time since `clock`, which moves to now.
/// Scratch space of each thread of the current pool, kept across tasks. `map_init`
/// makes its state once per task, and tasks of one item (see the exact stage) made a
/// band's buffers (two 256 KiB bitmaps, a 1.3 MB column on the 48 MB corpus) 19 times,
/// with their page faults, instead of once per thread.
struct PerThread<T> {
    slots: Vec<std::sync::Mutex<T>>,
}

impl<T: Default> PerThread<T> {
    fn new() -> PerThread<T> {
        PerThread {
            slots: (0..rayon::current_num_threads().max(1))
                .map(|_| std::sync::Mutex::default())
                .collect(),
        }
    }

    /// Runs `f` on this thread's scratch (never contended: one task at a time runs
    /// on a thread; off the pool, slot 0, locked).
    fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        let i = rayon::current_thread_index().unwrap_or(0) % self.slots.len();
        let mut slot = self.slots[i]
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut slot)
    }
}

fn lap(clock: &mut Instant) -> Duration {
    let now = Instant::now();
    let d = now - *clock;
    *clock = now;
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn piece_lines_count_every_break(
            parts in proptest::collection::vec(
                prop_oneof![
                    Just("\n"), Just("\r\n"), Just("\n\n"), Just(" \n"), Just("  "),
                    Just("word"), Just("é"), Just("\r"), Just("\t\n"),
                ],
                0..60,
            ),
        ) {
            let text: String = parts.concat();
            for mode in [
                ParagraphMode::Lines,
                ParagraphMode::BlankLines,
                ParagraphMode::Whole,
                ParagraphMode::Auto,
            ] {
                let paras: Vec<Paragraph> = ParagraphSplitter::new(mode).split(0, &text).collect();
                prop_assert_eq!(piece_lines(&text, &paras), stream::newlines(text.as_bytes()));
            }
        }
    }

    #[test]
    fn band_keys_in_blocks_read_back() {
        for distinct in [
            0,
            1,
            KEY_BLOCK - 1,
            KEY_BLOCK,
            KEY_BLOCK + 1,
            2 * KEY_BLOCK + 452,
        ] {
            for bands in 1..4 {
                let key = |c: usize, b: usize| (c * 16 + b) as u64;
                let mut keys = vec![0u64; distinct * bands];
                for (k, block) in keys.chunks_mut(bands * KEY_BLOCK).enumerate() {
                    let len = block.len() / bands;
                    for i in 0..len {
                        let c = k * KEY_BLOCK + i;
                        let row: Vec<u64> = (0..bands).map(|b| key(c, b)).collect();
                        store_band_keys(block, len, i, &row);
                    }
                }
                for c in 0..distinct {
                    for b in 0..bands {
                        assert_eq!(band_key_at(&keys, distinct, bands, b, c), key(c, b));
                    }
                }
            }
        }
    }
}
