//! A long-lived index of paragraphs: insert, query, remove, save and load.
//!
//! The batch [`Deduper::run_documents`](crate::Deduper::run_documents) answers "which paragraphs of this
//! corpus repeat each other?". An [`Index`] answers the question that follows: "which of
//! these new paragraphs do we already have?". It keeps, per stored paragraph, a caller
//! key (`u64`), the 128-bit hash of the normalized text, and the MinHash signature, plus
//! the LSH bucket tables; it keeps no text.
//!
//! # Matching
//!
//! A query matches a stored paragraph when their normalized texts are equal (an exact
//! match, similarity 1.0), or when they share an LSH band and the signature estimate of
//! their Jaccard similarity is at least the threshold. Because the index keeps no text,
//! verification is by the signature estimate (standard error `sqrt(J(1−J)/num_perm)`,
//! 0.044 at J = 0.5 with 128 permutations); the batch deduper verifies exactly.
//!
//! # How many matches
//!
//! A query returns at most k matches, the best ones: exact matches first, then higher
//! similarity, then the smaller key. k is [`DEFAULT_MAX_MATCHES`] (16) unless set with
//! [`Index::set_max_matches`]; [`Index::query_top_k`] asks for another k once.
//!
//! The work per query is bounded too, for band buckets that hold thousands of
//! near-identical paragraphs. A query looks at the exact copies of its text first and,
//! when those alone fill k, at nothing else. It then scans the bands in order, each
//! bucket in slot order (insertion order, or key order after a load), and stops after
//! looking at [`SCAN_LIMIT`] bucket entries or verifying [`CANDIDATE_LIMIT`] distinct
//! paragraphs (or 8 and 2 times k, when larger). Below those limits, which ordinary
//! buckets never reach, the answer is the exact best k; past them it is the best k of
//! the paragraphs verified, and the same on every run and thread count.
//!
//! # Your own keys
//!
//! Keys are `u64`: the index stores no names. To find your own ids (strings, paths,
//! database keys) from a match, keep them in a `Vec` and use the position as the key;
//! save the ids next to the index (the index file does not hold them).
//!
//! ```
//! use paradup::{Deduper, Index};
//!
//! let ids: Vec<String> = vec!["doc-a#3".into(), "doc-b#1".into(), "doc-c#7".into()];
//! let texts = [
//!     "The committee approved the budget for the new library on Tuesday evening.",
//!     "Rain is expected over the weekend in most of the northern districts.",
//!     "The committee approved the budget for the new public library on Tuesday.",
//! ];
//! let d = Deduper::new();
//! let mut index = Index::new(&d);
//! let keys: Vec<u64> = (0..ids.len() as u64).collect();
//! d.insert_batch(&mut index, &keys, &texts)?;
//!
//! let query = "The committee approved the budget for the new library on Tuesday.";
//! let found: Vec<&str> = index
//!     .query_top_k(query, 2)
//!     .iter()
//!     .map(|m| ids[m.key as usize].as_str())
//!     .collect();
//! assert_eq!(found, ["doc-a#3", "doc-c#7"]);
//! # Ok::<(), paradup::Error>(())
//! ```
//!
//! Ids that come and go (an index updated over time) can instead be hashed to keys,
//! `xxhash_rust::xxh3::xxh3_64(id.as_bytes())` say, with a map from key back to id
//! kept by the caller: two of `n` ids then share a key with probability about
//! `n² / 2⁶⁵` (one in 36,000 for a billion ids). The example deduper's own index keeps
//! the file and line of every key for its reports.
//!
//! # Cost
//!
//! | operation | cost |
//! |---|---|
//! | [`insert`](Index::insert) | normalize + shingle + MinHash, then `bands` hash-map pushes |
//! | [`query`](Index::query) | the same signature work, `bands` lookups, one estimate per candidate (at most [`CANDIDATE_LIMIT`]) |
//! | [`remove`](Index::remove) | `bands` bucket scans (buckets are short unless texts repeat) |
//! | [`save`](Index::save) / [`load`](Index::load) | linear; load rebuilds bucket tables from the stored signatures without touching text |
//!
//! Memory per stored paragraph with 128 permutations: 512 bytes of signature, 25 of
//! key, exact hash and liveness, about 60 in the key and exact-hash maps, and 12 bytes
//! per band in the bucket tables (sorted runs; see `BandTable`): with the default
//! banding, roughly 600 + 12 × bands bytes.
//!
//! Reads (`query`, `get`, `len`) take `&self`, so an index can be shared between threads
//! (`Index` is `Send + Sync`); writes take `&mut self`.
//!
//! # File format, version 1
//!
//! All integers little-endian.
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 8 | magic `PARADUPI` |
//! | 8 | 4 | format version (1) |
//! | 12 | 1 | normalizer flags: bit 0 lowercase, bit 1 NFKC, bit 2 strip punctuation |
//! | 13 | 1 | shingle kind: 0 words, 1 chars |
//! | 14 | 2 | zero |
//! | 16 | 4 | shingle size n |
//! | 20 | 8 | seed |
//! | 28 | 4 | num_perm |
//! | 32 | 4 | LSH bands |
//! | 36 | 4 | LSH rows |
//! | 40 | 8 | threshold (IEEE 754 bits) |
//! | 48 | 8 | entry count |
//! | 56 | count × (24 + 4·num_perm) | entries: key `u64`, exact hash `u128`, signature `u32 × num_perm` |
//! | end − 8 | 8 | xxh3-64 of every byte before it |
//!
//! Any change to this layout bumps the version; a golden test pins the encoding of a
//! fixed index.
//!
//! # Bounds
//!
//! The checksum guards against accidents, not forgery, so a reader checks every
//! header field before it allocates anything sized by the file:
//!
//! | field | bound |
//! |---|---|
//! | normalizer flags | at most 7 |
//! | shingle kind, zero bytes | 0 or 1; both zero |
//! | shingle size n | 1 to [`MAX_SHINGLE_SIZE`] (65,536) |
//! | num_perm | 1 to [`MAX_NUM_PERM`] (65,536) |
//! | LSH bands, rows | at least 1 each, bands × rows ≤ num_perm |
//! | threshold | in (0, 1] (not NaN) |
//! | entry count | at most [`MAX_ENTRIES`] (`u32::MAX`), and the file's length must be exactly `56 + count × (24 + 4·num_perm) + 8` |
//!
//! [`Index::load`] reads only regular files and never more than their size;
//! [`Index::read_from`] reads a stream of unknown length in 1 MiB chunks, so what it
//! allocates follows the bytes received rather than the header's claims.

use crate::error::{ErrorKind, Result};
use crate::lsh::LshParams;
use crate::lsh::banded::band_key;
use crate::minhash::{MinHasher, estimate_jaccard};
pub use crate::sketcher::Sketcher;
use crate::text::normalize::Normalizer;
use crate::text::shingle::{ShingleKind, ShingleScratch, Shingler};
use ahash::{HashMap, HashMapExt, HashSet, HashSetExt};
use std::io::{Read, Write};
use std::num::NonZeroUsize;
use std::path::Path;
use xxhash_rust::xxh3::{xxh3_64, xxh3_128_with_seed};

mod read;

use read::*;
pub use read::{MAX_ENTRIES, MAX_NUM_PERM, MAX_SHINGLE_SIZE};

/// The file magic.
pub const MAGIC: &[u8; 8] = b"PARADUPI";
/// The file format version this crate writes and reads.
pub const FORMAT_VERSION: u32 = crate::error::INDEX_FORMAT_VERSION;
const HEADER: usize = 56;

/// The 128-bit key of a paragraph's normalized text, as the exact-duplicate stage uses
/// it: xxh3-128 of the normalized text seeded with `seed`; a paragraph that is empty
/// after normalization (`* * *`) is keyed by its trimmed raw text with seed `!seed`,
/// so different ornaments stay apart.
pub fn exact_key(normalized: &str, raw: &str, seed: u64) -> u128 {
    if normalized.is_empty() {
        xxh3_128_with_seed(raw.trim().as_bytes(), !seed)
    } else {
        xxh3_128_with_seed(normalized.as_bytes(), seed)
    }
}

/// Everything that changes a signature or a match: two indexes (or an index and a
/// [`Deduper`](crate::Deduper)) agree when these agree.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct IndexParams {
    /// Normalization.
    pub normalizer: Normalizer,
    /// Shingle kind and size.
    pub shingles: ShingleKind,
    /// Seed of shingle hashes and permutations.
    pub seed: u64,
    /// MinHash permutations.
    pub num_perm: usize,
    /// LSH banding.
    pub lsh: LshParams,
    /// Similarity threshold of a match.
    pub threshold: f64,
}

impl IndexParams {
    /// The first parameter that differs from `other`, as `(name, ours, theirs)`.
    fn diff(&self, other: &IndexParams) -> Option<(&'static str, String, String)> {
        let pairs: [(&'static str, String, String); 6] = [
            (
                "normalizer",
                format!("{:?}", self.normalizer),
                format!("{:?}", other.normalizer),
            ),
            (
                "shingles",
                format!("{:?}", self.shingles),
                format!("{:?}", other.shingles),
            ),
            ("seed", self.seed.to_string(), other.seed.to_string()),
            (
                "num_perm",
                self.num_perm.to_string(),
                other.num_perm.to_string(),
            ),
            // The threshold before the banding: the default banding is chosen from the
            // threshold, so when both differ the threshold is the one to name.
            (
                "threshold",
                self.threshold.to_string(),
                other.threshold.to_string(),
            ),
            ("lsh", format!("{:?}", self.lsh), format!("{:?}", other.lsh)),
        ];
        pairs.into_iter().find(|(_, a, b)| a != b)
    }
}

/// A paragraph reduced to what the index stores: exact key and signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sketch {
    /// The [`exact_key`] of the paragraph.
    pub exact: u128,
    /// The MinHash signature (all `u32::MAX` when the paragraph has no shingle).
    pub signature: Vec<u32>,
    /// Whether the paragraph had at least one shingle.
    pub has_shingles: bool,
}

/// Reusable scratch for [`Sketcher::sketch_into`]: keep one per thread.
#[derive(Clone, Debug, Default)]
pub struct SketchScratch {
    text: String,
    shingles: Vec<u64>,
    shingle: ShingleScratch,
}

/// The index's sketches: a [`Sketcher`] of an index's parameters makes them.
impl Sketcher {
    /// A sketcher for the given parameters (and the default SimHash features).
    pub fn new(params: &IndexParams) -> Result<Sketcher> {
        Ok(Sketcher {
            normalizer: params.normalizer,
            shingler: Shingler::try_new(params.shingles)?.with_seed(params.seed),
            hasher: MinHasher::try_new(params.num_perm, params.seed)?,
            simhasher: crate::SimHasher::default().with_seed(params.seed),
        })
    }

    /// The index's sketch of `text`, written into `out`.
    pub fn sketch_into(&self, text: &str, scratch: &mut SketchScratch, out: &mut Sketch) {
        self.normalizer.normalize_into(text, &mut scratch.text);
        out.exact = exact_key(&scratch.text, text, self.shingler.seed());
        self.shingler
            .shingles_into(&scratch.text, &mut scratch.shingle, &mut scratch.shingles);
        out.has_shingles = !scratch.shingles.is_empty();
        out.signature.resize(self.hasher.num_perm(), 0);
        self.hasher
            .signature_into(&scratch.shingles, &mut out.signature);
    }

    /// The index's sketch of `text`.
    pub fn sketch(&self, text: &str) -> Sketch {
        let mut out = Sketch {
            exact: 0,
            signature: Vec::new(),
            has_shingles: false,
        };
        self.sketch_into(text, &mut SketchScratch::default(), &mut out);
        out
    }
}

/// A stored paragraph that matched a query.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct Match {
    /// The key it was inserted under.
    pub key: u64,
    /// Its similarity to the query: 1.0 for an exact match, else the signature estimate.
    pub similarity: f64,
    /// Whether its normalized text equals the query's.
    pub exact: bool,
}

/// The matches of one query, at most k of them: best first (exact, then higher
/// similarity, then smaller key).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Matches(Vec<Match>);

impl Matches {
    /// The matches, best first.
    pub fn as_slice(&self) -> &[Match] {
        &self.0
    }

    /// Number of matches.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether nothing matched.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The best match.
    pub fn best(&self) -> Option<&Match> {
        self.0.first()
    }

    /// Iterates over the matches, best first.
    pub fn iter(&self) -> std::slice::Iter<'_, Match> {
        self.0.iter()
    }
}

/// A persistent, incremental near-duplicate index. See the [module docs](self).
///
/// ```
/// use paradup::{Deduper, Index};
///
/// let deduper = Deduper::new();
/// let mut index = Index::new(&deduper);
/// index.insert(1, "The Russian president's increasing isolation was further evident \
///     from his failure to turn up to this weekend's G20 summit in Delhi.");
/// index.insert(2, "Something else entirely, about cosmodromes and satellites.");
/// let m = index.query("The Russian president's increasing isolation was further \
///     evident from his failure to turn up to the G20 summit in Delhi.");
/// assert_eq!(m.best().map(|m| m.key), Some(1));
///
/// let mut file = Vec::new();
/// index.write_to(&mut file).unwrap();
/// let loaded = Index::read_from(&file[..], &deduper).unwrap();
/// assert_eq!(loaded.len(), 2);
/// ```
#[derive(Clone, Debug)]
pub struct Index {
    params: IndexParams,
    sketcher: Sketcher,
    keys: Vec<u64>,
    exact: Vec<u128>,
    sigs: Vec<u32>,
    alive: Vec<bool>,
    live: usize,
    by_key: HashMap<u64, u32>,
    by_exact: HashMap<u128, Vec<u32>>,
    tables: Vec<BandTable>,
    max_matches: usize,
}

/// The most matches a query returns unless [`Index::set_max_matches`] says otherwise.
pub const DEFAULT_MAX_MATCHES: usize = 16;
/// The most bucket entries (exact copies included) a query looks at, unless 8·k is
/// more; see [how many matches](self#how-many-matches).
pub const SCAN_LIMIT: usize = 1 << 14;
/// The most distinct stored paragraphs a query verifies, unless 2·k is more.
pub const CANDIDATE_LIMIT: usize = 1 << 11;

/// One band's buckets: a sorted run of `(bucket key, slot)` built in bulk, plus a hash
/// map of recent inserts that is merged into the run once it outgrows a quarter of it.
/// Removed slots stay in the run until the next merge and are skipped by queries.
///
/// Tried: one `HashMap<u64, Vec<u32>>` per band. Loading the 165,288-entry index of the
/// 48 MB corpus spent 52% of its time rebuilding those maps, and they cost about
/// 2.3 kB per entry over 25 bands; the sorted run costs 12 bytes per entry and band
/// and is built by one sort.
#[derive(Clone, Debug, Default)]
struct BandTable {
    keys: Vec<u64>,
    slots: Vec<u32>,
    recent: HashMap<u64, Vec<u32>>,
    recent_len: usize,
}

impl BandTable {
    /// Builds the run from unsorted pairs.
    fn from_pairs(mut pairs: Vec<(u64, u32)>) -> BandTable {
        pairs.sort_unstable();
        BandTable {
            keys: pairs.iter().map(|p| p.0).collect(),
            slots: pairs.iter().map(|p| p.1).collect(),
            recent: HashMap::new(),
            recent_len: 0,
        }
    }

    fn push(&mut self, key: u64, slot: u32) {
        self.recent.entry(key).or_default().push(slot);
        self.recent_len += 1;
    }

    /// Calls `f` with every slot in bucket `key` (removed ones included), in slot
    /// order, until `f` returns false; returns false if it did.
    fn for_each(&self, key: u64, mut f: impl FnMut(u32) -> bool) -> bool {
        let lo = self.keys.partition_point(|&k| k < key);
        for (&k, &slot) in self.keys[lo..].iter().zip(&self.slots[lo..]) {
            if k != key {
                break;
            }
            if !f(slot) {
                return false;
            }
        }
        // Recent slots are all newer (larger) than the run's, so slot order holds.
        if let Some(v) = self.recent.get(&key) {
            for &s in v {
                if !f(s) {
                    return false;
                }
            }
        }
        true
    }

    /// Merges the recent inserts into the run when they outgrow a quarter of it,
    /// dropping removed slots; amortized `O(log n)` per insert.
    fn maybe_merge(&mut self, alive: &[bool]) {
        if self.recent_len < 1024 || self.recent_len * 4 < self.keys.len() {
            return;
        }
        let mut pairs: Vec<(u64, u32)> = Vec::with_capacity(self.keys.len() + self.recent_len);
        pairs.extend(self.keys.iter().copied().zip(self.slots.iter().copied()));
        for (&key, slots) in &self.recent {
            pairs.extend(slots.iter().map(|&s| (key, s)));
        }
        pairs.retain(|&(_, s)| alive[s as usize]);
        *self = BandTable::from_pairs(pairs);
    }
}

impl Index {
    /// An empty index with explicit parameters (validated).
    pub fn with_params(params: IndexParams) -> Result<Index> {
        if !(params.threshold > 0.0 && params.threshold <= 1.0) {
            return Err(ErrorKind::InvalidThreshold(params.threshold).into());
        }
        params.lsh.validate(params.num_perm)?;
        Ok(Index {
            sketcher: Sketcher::new(&params)?,
            params,
            keys: Vec::new(),
            exact: Vec::new(),
            sigs: Vec::new(),
            alive: Vec::new(),
            live: 0,
            by_key: HashMap::new(),
            by_exact: HashMap::new(),
            tables: (0..params.lsh.bands)
                .map(|_| BandTable::default())
                .collect(),
            max_matches: DEFAULT_MAX_MATCHES,
        })
    }

    /// The most matches [`query`](Self::query), [`query_sketch`](Self::query_sketch)
    /// and [`insert_if_new`](Self::insert_if_new) return.
    pub fn max_matches(&self) -> usize {
        self.max_matches
    }

    /// Sets the most matches a query returns (default [`DEFAULT_MAX_MATCHES`]). Not
    /// saved with the index: a loaded index starts at the default.
    pub fn set_max_matches(&mut self, k: NonZeroUsize) {
        self.max_matches = k.get();
    }

    /// The parameters.
    pub fn params(&self) -> &IndexParams {
        &self.params
    }

    /// The sketcher matching this index, for computing sketches elsewhere (for example
    /// in parallel, then [`insert_sketch`](Self::insert_sketch)).
    pub fn sketcher(&self) -> &Sketcher {
        &self.sketcher
    }

    /// Number of stored paragraphs.
    pub fn len(&self) -> usize {
        self.live
    }

    /// Whether the index is empty.
    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Whether `key` is stored.
    pub fn contains(&self, key: u64) -> bool {
        self.by_key.contains_key(&key)
    }

    /// Slots used: live paragraphs and the tombstones of removed or replaced ones.
    pub(crate) fn slots(&self) -> usize {
        self.keys.len()
    }

    /// Inserts `text` under `key`, replacing what `key` held before.
    pub fn insert(&mut self, key: u64, text: &str) {
        let sketch = self.sketcher.sketch(text);
        self.insert_sketch(key, &sketch);
    }

    /// Inserts a precomputed sketch under `key`, replacing what `key` held before.
    ///
    /// # Panics
    /// If the signature's length is not `num_perm`, or the index holds `u32::MAX` slots.
    pub fn insert_sketch(&mut self, key: u64, sketch: &Sketch) {
        let k = self.params.num_perm;
        assert_eq!(sketch.signature.len(), k, "signature has the wrong length");
        self.remove(key);
        let slot = u32::try_from(self.keys.len()).expect("index full: u32::MAX slots");
        self.keys.push(key);
        self.exact.push(sketch.exact);
        self.sigs.extend_from_slice(&sketch.signature);
        self.alive.push(true);
        self.live += 1;
        self.by_key.insert(key, slot);
        self.link(slot, sketch.has_shingles);
    }

    /// Adds `slot` to the exact map and, if it has shingles, the band tables.
    fn link(&mut self, slot: u32, has_shingles: bool) {
        let k = self.params.num_perm;
        self.by_exact
            .entry(self.exact[slot as usize])
            .or_default()
            .push(slot);
        if has_shingles {
            let sig = &self.sigs[slot as usize * k..(slot as usize + 1) * k];
            let mut buf = Vec::new();
            for (band, table) in self.tables.iter_mut().enumerate() {
                table.push(band_key(self.params.lsh, band, sig, &mut buf), slot);
                table.maybe_merge(&self.alive);
            }
        }
    }

    /// Builds the exact map and the band tables of every slot at once (after loading).
    fn link_all(&mut self) {
        let k = self.params.num_perm;
        let n = self.keys.len();
        self.by_exact.reserve(n);
        for slot in 0..n {
            self.by_exact
                .entry(self.exact[slot])
                .or_default()
                .push(slot as u32);
        }
        let has_shingles: Vec<bool> = self
            .sigs
            .chunks_exact(k)
            .map(|sig| sig.iter().any(|&v| v != u32::MAX))
            .collect();
        let mut buf = Vec::new();
        for band in 0..self.params.lsh.bands {
            let pairs: Vec<(u64, u32)> = (0..n)
                .filter(|&s| has_shingles[s])
                .map(|s| {
                    let sig = &self.sigs[s * k..(s + 1) * k];
                    (band_key(self.params.lsh, band, sig, &mut buf), s as u32)
                })
                .collect();
            self.tables[band] = BandTable::from_pairs(pairs);
        }
    }

    /// Removes `key`; returns whether it was stored.
    pub fn remove(&mut self, key: u64) -> bool {
        let Some(slot) = self.by_key.remove(&key) else {
            return false;
        };
        let drop_slot = |v: &mut Vec<u32>| v.retain(|&s| s != slot);
        if let Some(v) = self.by_exact.get_mut(&self.exact[slot as usize]) {
            drop_slot(v);
            if v.is_empty() {
                self.by_exact.remove(&self.exact[slot as usize]);
            }
        }
        // The band tables keep the slot until their next merge; queries skip it.
        self.alive[slot as usize] = false;
        self.live -= 1;
        true
    }

    /// The stored paragraphs that match `text`: the best
    /// [`max_matches`](Self::max_matches) of them, best first (see
    /// [how many matches](self#how-many-matches)).
    pub fn query(&self, text: &str) -> Matches {
        self.query_sketch(&self.sketcher.sketch(text))
    }

    /// The best `k` stored paragraphs that match `text`, best first (none when `k` is 0).
    pub fn query_top_k(&self, text: &str, k: usize) -> Matches {
        self.query_sketch_top_k(&self.sketcher.sketch(text), k)
    }

    /// [`query`](Self::query) with a precomputed sketch.
    ///
    /// # Panics
    /// If the signature's length is not `num_perm`.
    pub fn query_sketch(&self, sketch: &Sketch) -> Matches {
        self.query_sketch_top_k(sketch, self.max_matches)
    }

    /// [`query_top_k`](Self::query_top_k) with a precomputed sketch.
    ///
    /// # Panics
    /// If the signature's length is not `num_perm`.
    pub fn query_sketch_top_k(&self, sketch: &Sketch, k: usize) -> Matches {
        let np = self.params.num_perm;
        assert_eq!(sketch.signature.len(), np, "signature has the wrong length");
        if k == 0 {
            return Matches::default();
        }
        let scan_limit = SCAN_LIMIT.max(k.saturating_mul(8));
        let candidate_limit = CANDIDATE_LIMIT.max(k.saturating_mul(2));
        let mut scanned = 0usize;
        // Only asked whether it holds a slot, so its order never shows.
        let mut seen: HashSet<u32> = HashSet::new();
        let mut found: Vec<Match> = Vec::new();
        if let Some(slots) = self.by_exact.get(&sketch.exact) {
            for &s in slots.iter().take(scan_limit) {
                seen.insert(s);
                found.push(Match {
                    key: self.keys[s as usize],
                    similarity: 1.0,
                    exact: true,
                });
            }
            scanned = found.len();
        }
        // k exact matches beat anything the bands could add.
        if sketch.has_shingles && found.len() < k {
            let mut verified = 0usize;
            let mut buf = Vec::new();
            for (band, table) in self.tables.iter().enumerate() {
                let key = band_key(self.params.lsh, band, &sketch.signature, &mut buf);
                let more = table.for_each(key, |slot| {
                    if scanned >= scan_limit || verified >= candidate_limit {
                        return false;
                    }
                    scanned += 1;
                    if !self.alive[slot as usize] || !seen.insert(slot) {
                        return true;
                    }
                    verified += 1;
                    let sig = &self.sigs[slot as usize * np..(slot as usize + 1) * np];
                    let sim = estimate_jaccard(sig, &sketch.signature);
                    if sim >= self.params.threshold {
                        found.push(Match {
                            key: self.keys[slot as usize],
                            similarity: sim,
                            exact: false,
                        });
                    }
                    true
                });
                if !more {
                    break;
                }
            }
        }
        // Keys are unique, so this order is total.
        let order = |a: &Match, b: &Match| {
            b.exact
                .cmp(&a.exact)
                .then(b.similarity.total_cmp(&a.similarity))
                .then(a.key.cmp(&b.key))
        };
        if found.len() > k {
            found.select_nth_unstable_by(k - 1, order);
            found.truncate(k);
        }
        found.sort_unstable_by(order);
        Matches(found)
    }

    /// Streaming first-wins: inserts `text` under `key` only if it matches nothing
    /// stored, and returns what it matched (empty when it was inserted), at most
    /// [`max_matches`](Self::max_matches) of them. Feeding a stream
    /// through this keeps the first paragraph of every near-duplicate group, with memory
    /// bounded by the index. Past the [scan limits](self#how-many-matches) a match
    /// outside the paragraphs verified goes unseen, so a text can be kept that a full
    /// scan would have dropped.
    pub fn insert_if_new(&mut self, key: u64, text: &str) -> Matches {
        let sketch = self.sketcher.sketch(text);
        self.insert_sketch_if_new(key, &sketch)
    }

    /// [`insert_if_new`](Self::insert_if_new) with a precomputed sketch: sketch a batch
    /// in parallel ([`Deduper::sketch_all`](crate::Deduper::sketch_all)), then feed the
    /// sketches through this in order.
    ///
    /// # Panics
    /// If the signature's length is not `num_perm`.
    pub fn insert_sketch_if_new(&mut self, key: u64, sketch: &Sketch) -> Matches {
        let m = self.query_sketch(sketch);
        if m.is_empty() {
            self.insert_sketch(key, sketch);
        }
        m
    }

    /// Checks that this index was built with `params`
    /// ([`check_params`](Index::check_params) for a deduper's).
    pub fn check_against(&self, params: &IndexParams) -> Result<()> {
        match self.params.diff(params) {
            None => Ok(()),
            Some((parameter, index, deduper)) => Err(ErrorKind::IndexMismatch {
                parameter,
                index,
                deduper,
            }
            .into()),
        }
    }

    /// Writes the index to `path` (see the [file format](self#file-format-version-1))
    /// through a temporary file renamed into place ([`crate::fsio::AtomicFile`]): a
    /// failed save leaves the old file, never a truncated one.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let io = |e: std::io::Error| ErrorKind::Io(format!("{}: {e}", path.display()));
        let mut file = crate::fsio::AtomicFile::create(path).map_err(io)?;
        file.write_all(&self.to_bytes()).map_err(io)?;
        file.commit().map_err(io)?;
        Ok(())
    }

    /// The encoded index (see the [file format](self#file-format-version-1)).
    pub fn to_bytes(&self) -> Vec<u8> {
        let k = self.params.num_perm;
        let mut out = Vec::with_capacity(HEADER + self.live * (24 + 4 * k) + 8);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        let n = &self.params.normalizer;
        out.push(
            n.is_lowercase() as u8
                | (n.is_nfkc() as u8) << 1
                | (n.is_strip_punctuation() as u8) << 2,
        );
        let (kind, size) = match self.params.shingles {
            ShingleKind::Words(n) => (0u8, n),
            ShingleKind::Chars(n) => (1u8, n),
        };
        out.push(kind);
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(&(size as u32).to_le_bytes());
        out.extend_from_slice(&self.params.seed.to_le_bytes());
        out.extend_from_slice(&(k as u32).to_le_bytes());
        out.extend_from_slice(&(self.params.lsh.bands as u32).to_le_bytes());
        out.extend_from_slice(&(self.params.lsh.rows as u32).to_le_bytes());
        out.extend_from_slice(&self.params.threshold.to_bits().to_le_bytes());
        out.extend_from_slice(&(self.live as u64).to_le_bytes());
        // Entries in key order, so equal indexes encode identically.
        let mut slots: Vec<u32> = self.by_key.values().copied().collect();
        slots.sort_unstable_by_key(|&s| self.keys[s as usize]);
        for s in slots {
            let s = s as usize;
            out.extend_from_slice(&self.keys[s].to_le_bytes());
            out.extend_from_slice(&self.exact[s].to_le_bytes());
            for v in &self.sigs[s * k..(s + 1) * k] {
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
        let sum = xxh3_64(&out);
        out.extend_from_slice(&sum.to_le_bytes());
        out
    }

    /// Writes the encoded index to `w`.
    pub fn write_to(&self, mut w: impl Write) -> Result<()> {
        w.write_all(&self.to_bytes())
            .map_err(|e| ErrorKind::Io(e.to_string()).into())
    }

    /// Loads an index from `path` with whatever parameters it was built with.
    ///
    /// A path that is not a regular file (a directory, `/dev/zero`, a FIFO) is an
    /// [`ErrorKind::Io`] error and is never opened. The header is read and checked
    /// against the [bounds](self#bounds) and the file's size before anything sized by
    /// the file is allocated, and no more than the file's size is ever read.
    pub fn load_any(path: impl AsRef<Path>) -> Result<Index> {
        let path = path.as_ref();
        let io = |e: std::io::Error| -> crate::Error {
            ErrorKind::Io(format!("{}: {e}", path.display())).into()
        };
        let not_file = |meta: &std::fs::Metadata| -> crate::Error {
            let what = if meta.is_dir() {
                "a directory"
            } else {
                "a device, FIFO or socket"
            };
            ErrorKind::Io(format!(
                "{}: not a regular file ({what}); an index is a regular file",
                path.display()
            ))
            .into()
        };
        // Checked before opening: opening a FIFO blocks until a writer comes.
        let meta = std::fs::metadata(path).map_err(io)?;
        if !meta.is_file() {
            return Err(not_file(&meta));
        }
        let file = std::fs::File::open(path).map_err(io)?;
        // Again on the open handle, in case the path was swapped in between.
        let meta = file.metadata().map_err(io)?;
        if !meta.is_file() {
            return Err(not_file(&meta));
        }
        read_index(file, Some(meta.len())).map_err(|e| match e.kind() {
            ErrorKind::Io(msg) => ErrorKind::Io(format!("{}: {msg}", path.display())).into(),
            _ => e,
        })
    }

    /// Reads an index from `r` with whatever parameters it was built with.
    ///
    /// The header is checked against the [bounds](self#bounds) first; the entries are
    /// then read in chunks of at most 1 MiB, so memory grows with the bytes actually
    /// received (at most twice them plus a chunk), whatever the header claims. After
    /// the checksum, at most 1 MiB more is read to tell a padded input.
    pub fn read_any(r: impl Read) -> Result<Index> {
        read_index(r, None)
    }

    /// Decodes an index. Every malformed input is an error, never a panic: wrong magic
    /// ([`ErrorKind::IndexMagic`]), another version ([`ErrorKind::IndexVersion`]), a
    /// header field out of its [bounds](self#bounds) ([`ErrorKind::IndexCorrupt`]), a
    /// wrong length ([`ErrorKind::IndexTruncated`]), a checksum mismatch
    /// ([`ErrorKind::IndexChecksum`]), or entries no index could have (a duplicate key,
    /// [`ErrorKind::IndexCorrupt`]). The header is checked before anything is allocated.
    pub fn from_bytes(bytes: &[u8]) -> Result<Index> {
        let header = Header::parse(bytes, Some(bytes.len() as u64))?;
        header.decode(bytes)
    }
}
