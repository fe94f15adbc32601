//! The [`Deduper`]: documents in, verified clusters out. The only module that uses
//! rayon.
//!
//! Stages of [`Deduper::run_documents`]:
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
mod builder;
mod candidates;
mod exact;
mod run;
pub mod stages;
pub mod stream;
mod with_index;

pub use builder::{CandidateSearch, DeduperBuilder, Method, Verification};

use crate::lsh::LshParams;
use crate::lsh::banded::band_key;
use crate::lsh::containment::ContainmentBanding;
use crate::minhash::MinHasher;
use crate::paragraph::ParagraphSplitter;
use crate::simhash::{SimHashScratch, SimHasher};
use crate::similarity::Similarity;
use crate::text::normalize::Normalizer;
use crate::text::shingle::{ShingleScratch, Shingler};
use std::time::{Duration, Instant};

/// Default Jaccard threshold. See the crate docs ("Choosing the defaults").
pub const DEFAULT_THRESHOLD: f64 = 0.6;

/// Default limit of the cluster-size guard: clusters with more members are reported
/// ([`Clusters::oversized`](crate::Clusters::oversized)).
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

/// Finds clusters of near-duplicate paragraphs in a set of documents.
///
/// ```
/// let docs = vec![
///     "The cat sat on the mat and looked out of the window.".to_string(),
///     "Something else entirely.\nThe cat sat on the mat and looked out the window.".to_string(),
/// ];
/// let clusters = paradup::Deduper::new().run_documents(&docs);
/// assert_eq!(clusters.len(), 1);
/// let lines: Vec<_> = clusters.as_slice()[0].members().iter().map(|m| (m.paragraph.doc, m.paragraph.line)).collect();
/// assert_eq!(lines, [(0, 1), (1, 2)]);
/// ```
///
/// Cloning is cheap: the parameters are small and a private thread pool
/// ([`DeduperBuilder::threads`]) is shared between the clones, not copied.
#[derive(Clone, Debug)]
pub struct Deduper {
    threshold: f64,
    shingler: Shingler,
    hasher: MinHasher,
    lsh: LshParams,
    verification: Verification,
    search: CandidateSearch,
    splitter: ParagraphSplitter,
    normalizer: Normalizer,
    /// Shared by clones: a pool is threads, not parameters.
    pool: Option<std::sync::Arc<rayon::ThreadPool>>,
    method: Method,
    simhasher: SimHasher,
    similarity: Similarity,
    /// The containment search's bandings, with [`Similarity::Containment`].
    containment: Option<ContainmentBanding>,
    anti_chaining: bool,
    all_pairs: bool,
    /// [`assemble::JOIN_ROUND`]; smaller in tests, so that small inputs have rounds.
    join_round: usize,
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

    /// Whether every candidate pair is verified and listed
    /// ([`DeduperBuilder::all_pairs`]).
    pub fn all_pairs(&self) -> bool {
        self.all_pairs
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

    /// One distinct text's SimHash fingerprint, from its normalized text, and whether
    /// it has features (exactly when it has shingles: the same texts stay live).
    fn fingerprint(&self, normalized: &str, scratch: &mut SimHashScratch) -> (u64, bool) {
        let (fp, count) = self.simhasher.fingerprint_counted(normalized, scratch);
        (fp, count > 0)
    }

    /// Raw text → sorted shingle set, with caller scratch (normalized into it).
    fn shingle_set(&self, text: &str, scratch: &mut Scratch, out: &mut Vec<u64>) {
        self.normalizer.normalize_into(text, &mut scratch.text);
        self.shingler
            .shingles_into(&scratch.text, &mut scratch.shingle, out);
    }
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

impl Deduper {
    /// Runs `f` on this deduper's thread pool, if it has one.
    pub(crate) fn in_pool<R: Send>(&self, f: impl FnOnce() -> R + Send) -> R {
        match &self.pool {
            Some(pool) => pool.install(f),
            None => f(),
        }
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

    #[test]
    fn clones_share_the_thread_pool() {
        let d = Deduper::builder().threads(2).build().unwrap();
        let c = d.clone();
        let (a, b) = (d.pool.as_ref().unwrap(), c.pool.as_ref().unwrap());
        assert!(std::sync::Arc::ptr_eq(a, b));
        assert_eq!(std::sync::Arc::strong_count(a), 2);
        // The clone's work runs on the original's threads.
        let name = c.in_pool(|| std::thread::current().name().map(String::from));
        assert!(name.unwrap().starts_with("paradup-"));
        drop(d);
        assert_eq!(std::sync::Arc::strong_count(c.pool.as_ref().unwrap()), 1);
        // Without a private pool there is nothing to share.
        assert!(Deduper::new().clone().pool.is_none());
    }
}
