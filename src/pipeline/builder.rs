//! The deduper's options: [`DeduperBuilder`] and the enums it takes.

use super::{
    DEFAULT_ANTI_CHAINING, DEFAULT_MAX_CLUSTER_SIZE, DEFAULT_MAX_HAMMING, DEFAULT_THRESHOLD,
    Deduper,
};
use crate::error::{Error, ErrorKind, Result};
use crate::lsh::containment::ContainmentBanding;
use crate::lsh::{LshParams, LshTuning, LshWeights};
use crate::minhash::{DEFAULT_NUM_PERM, MinHasher};
use crate::paragraph::{ParagraphMode, ParagraphSplitter};
use crate::simhash::{SimHasher, Weighting};
use crate::similarity::Similarity;
use crate::text::normalize::Normalizer;
use crate::text::shingle::{ShingleKind, Shingler};

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
/// let clusters = d.run_documents(&docs);
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
    /// ([`PrefixFilter`](crate::PrefixFilter)), whatever the method: no miss, fast on natural text, but
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
    all_pairs: bool,
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
            all_pairs: true,
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
    /// let clusters = d.run_documents(&[whole, first_half]);
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

    /// Whether every candidate pair is verified and listed by
    /// [`Clusters::pairs`](crate::Clusters::pairs) (`true`, the default), or only the
    /// pairs that join two texts not yet in one group (`false`). **The clusters are the
    /// same**; only the pair list and [`RunStats::verified`](crate::RunStats::verified)
    /// shrink to the pairs that joined texts (every member is still reached from its
    /// cluster's others through listed pairs).
    ///
    /// On duplicate-heavy text, where a text has many near-copies that all pair up,
    /// `false` verifies about one pair per member instead of one per pair of members
    /// (figures: `docs/PERFORMANCE.md`). The pairs are verified in rounds of 16,384
    /// (in order), and a pair is left out when the rounds before its own joined its
    /// texts, so an input with fewer candidate pairs verifies them all; the same pairs
    /// in memory, streamed and under a memory limit. The example
    /// deduper turns it off unless it prints pairs.
    ///
    /// ```
    /// let a = "The committee approved the budget for the new library on Tuesday evening.";
    /// let b = "The committee approved the budget for the new public library on Tuesday evening.";
    /// let c = "The committee approved the budget for the new public library on Tuesday night.";
    /// let all = paradup::Deduper::new().run([a, b, c]);
    /// let joining = paradup::Deduper::builder().all_pairs(false).build()?.run([a, b, c]);
    /// assert_eq!(all.as_slice(), joining.as_slice());
    /// assert!(joining.pairs().iter().all(|p| all.pairs().contains(p)));
    /// # Ok::<(), paradup::Error>(())
    /// ```
    pub fn all_pairs(&mut self, on: bool) -> &mut Self {
        self.all_pairs = on;
        self
    }

    /// The cluster-size guard: clusters with more members than `limit` are reported by
    /// [`Clusters::oversized`](crate::Clusters::oversized) and counted in
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
    pub(super) fn build_config(&self) -> Result<Deduper> {
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
            Some(n) => Some(std::sync::Arc::new(
                rayon::ThreadPoolBuilder::new()
                    .num_threads(n)
                    .thread_name(|i| format!("paradup-{i}"))
                    .build()
                    .map_err(|e| Error::from(ErrorKind::ThreadPool(e.to_string())))?,
            )),
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
            all_pairs: self.all_pairs,
            join_round: super::assemble::JOIN_ROUND,
            max_cluster_size: self.max_cluster_size,
        })
    }
}
