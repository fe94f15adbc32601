//! All pairs of 64-bit fingerprints within `k` differing bits, without comparing all
//! pairs: the permuted-table scheme of Manku, Jain and Das Sarma (2007).
//!
//! # The pigeonhole
//!
//! Cut the 64 bits into `B` contiguous blocks. If two fingerprints differ in at most `k`
//! bits, the differing bits touch at most `k` blocks, so the fingerprints agree exactly
//! on at least `B − k` blocks. Build one table for each choice of `m = B − k` blocks
//! (`C(B, m)` tables): in each, a fingerprint's key is the bits of the chosen blocks. Every
//! pair within distance `k` shares the key of at least one table, so comparing only
//! fingerprints with equal keys finds them all. More blocks mean longer keys (fewer
//! pointless comparisons) but more tables (more sorting);
//! [`HammingParams::for_size`] weighs the two for a given number of fingerprints. With
//! `B ≤ k` no block is guaranteed to agree and the one table has an empty key: every pair
//! is compared.
//!
//! # Tables as permutations
//!
//! Each table permutes the bits of a fingerprint so that its key blocks come first (the
//! most significant bits), the other blocks after. Sorting the permuted fingerprints puts
//! equal keys in contiguous runs, and a permutation keeps Hamming distances, so the runs
//! are compared directly: `popcount(a ^ b) ≤ k`.
//!
//! # Each pair once
//!
//! A pair that agrees on more than `m` blocks shares the key of several tables. It is
//! emitted only from the first of them in the order of [`HammingSearch`]'s tables
//! (combinations of blocks in lexicographic order), which is the table of the `m`
//! smallest blocks the pair agrees on: so a pair found in a table is kept only when it
//! differs in every block before the table's last key block that is not a key block.
//! No pair needs a set or a final deduplication.
//!
//! Cost, for `n` fingerprints spread evenly: `C(B, m)` sorts of `n` entries, plus about
//! `C(B, m) · n² / 2^(key bits + 1)` comparisons. Memory: 16 bytes per fingerprint for the
//! table being searched.
//!
//! # Near-identical fingerprints (the pipeline's search)
//!
//! [`HammingSearch::all_pairs`] is exact, so `n` near-identical fingerprints (one-word
//! variants of a sentence) give about `n² / 2` pairs. The pipeline's search bounds them
//! like the LSH path's buckets: equal fingerprints are grouped (a group of at most 16
//! gives all its pairs, a larger one is linked to its first member, and one fingerprint
//! per group is searched); in each table, a run of equal keys with more than 8 pairs
//! within the radius per member is linked to its first member instead of giving its
//! pairs, and of those links a spanning forest is kept. A pair within the radius whose
//! group is small and whose run (in the first table whose key it shares) is not dense is
//! found exactly as before, so ordinary input gives exactly the old pairs; every other
//! pair is still connected through the representatives, which verification then checks.
//! Candidates: `O(n · tables)`, and the scan of a dense run stops at its budget.

use ahash::{HashMap, HashMapExt};

mod near;

#[cfg(test)]
use near::ALL_PAIRS_GROUP;
use near::DENSE_PAIRS_PER_MEMBER;
pub(crate) use near::{NearPairs, NearScratch};

/// The largest number of tables [`HammingParams::with_blocks`] accepts.
pub const MAX_TABLES: usize = 4096;

/// The search radius and the number of blocks of a [`HammingSearch`].
///
/// ```
/// use paradup::HammingParams;
///
/// let p = HammingParams::new(3);
/// assert_eq!((p.max_distance(), p.blocks(), p.tables()), (3, 4, 4));
/// // For a million fingerprints at k = 8, longer keys pay for more tables.
/// let big = HammingParams::for_size(8, 1_000_000);
/// assert!(big.blocks() > 9);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct HammingParams {
    max_distance: u32,
    blocks: u32,
}

/// `C(n, r)`, saturating at `usize::MAX`.
fn binomial(n: u32, r: u32) -> usize {
    let r = r.min(n - r);
    let mut c: u128 = 1;
    for i in 0..r {
        c = c * u128::from(n - i) / u128::from(i + 1);
        if c > usize::MAX as u128 {
            return usize::MAX;
        }
    }
    c as usize
}

impl HammingParams {
    /// Radius `max_distance` with the fewest tables: `k + 1` blocks, each table keyed on
    /// one block. Good for up to about `2^(64/(k+1))` fingerprints; use
    /// [`for_size`](Self::for_size) beyond that. A radius of 64 or more matches every
    /// pair (one table, empty key) and is kept as 64.
    pub fn new(max_distance: u32) -> HammingParams {
        let k = max_distance.min(64);
        HammingParams {
            max_distance: k,
            blocks: if k >= 64 { 1 } else { k + 1 },
        }
    }

    /// Radius `max_distance` with the number of blocks that minimizes the estimated
    /// cost of searching `n` evenly spread fingerprints (sorting against comparing; see
    /// the [module docs](self)). Comparing all pairs (one block) is one of the choices.
    pub fn for_size(max_distance: u32, n: usize) -> HammingParams {
        // Costs in units of one comparison inside a run. Grouping one entry by key (two
        // permutations and a scattered store) counts as SORT of them; see the note on
        // `group_by_key` and its figures in `docs/PERFORMANCE.md`.
        const SORT: f64 = 8.0;
        let k = max_distance.min(64);
        let nf = n as f64;
        let all_pairs = nf * (nf - 1.0) / 2.0;
        let mut best = (all_pairs, HammingParams::new(k).with_blocks_unchecked(1));
        for blocks in (k + 1)..=64 {
            let Some(p) = HammingParams::with_blocks(k, blocks) else {
                continue;
            };
            let tables = p.tables() as f64;
            let key_bits = f64::from(p.key_bits_min());
            let cost = tables * (nf * SORT + all_pairs / key_bits.exp2());
            // Strictly less: ties keep fewer blocks, for determinism.
            if cost < best.0 {
                best = (cost, p);
            }
        }
        best.1
    }

    /// Radius `max_distance` with `blocks` blocks, or `None` when `blocks` is not in
    /// `1..=64` or the scheme needs more than [`MAX_TABLES`] tables. With `blocks ≤ k`
    /// every pair is compared.
    pub fn with_blocks(max_distance: u32, blocks: u32) -> Option<HammingParams> {
        if !(1..=64).contains(&blocks) {
            return None;
        }
        let p = HammingParams::new(max_distance).with_blocks_unchecked(blocks);
        (p.tables() <= MAX_TABLES).then_some(p)
    }

    fn with_blocks_unchecked(mut self, blocks: u32) -> HammingParams {
        self.blocks = blocks;
        self
    }

    /// The search radius `k` (at most 64).
    pub fn max_distance(&self) -> u32 {
        self.max_distance
    }

    /// The number of blocks `B`.
    pub fn blocks(&self) -> u32 {
        self.blocks
    }

    /// Blocks per key: `B − k`, or 0 when `B ≤ k` (every pair compared).
    pub fn key_blocks(&self) -> u32 {
        self.blocks.saturating_sub(self.max_distance)
    }

    /// Number of tables: `C(B, B − k)`.
    pub fn tables(&self) -> usize {
        binomial(self.blocks, self.key_blocks())
    }

    /// Width of block `i`: the 64 bits shared out, the first blocks one bit wider.
    fn block_width(&self, i: u32) -> u32 {
        64 / self.blocks + u32::from(i < 64 % self.blocks)
    }

    /// Bits in the shortest key (the key blocks being the narrowest).
    fn key_bits_min(&self) -> u32 {
        let m = self.key_blocks();
        (0..self.blocks)
            .rev()
            .take(m as usize)
            .map(|i| self.block_width(i))
            .sum()
    }
}

/// One table: the bit permutation that moves its key blocks to the top.
#[derive(Clone, Debug)]
struct Table {
    /// Per block, in the original order: (source shift, width mask, destination shift).
    moves: Vec<(u32, u64, u32)>,
    /// The key bits, in permuted position (the top bits).
    key_mask: u64,
    /// In permuted position, each block before the last key block that is not a key
    /// block: a pair is this table's to emit only when it differs in all of them.
    earlier: Vec<u64>,
}

impl Table {
    #[inline]
    fn permute(&self, fp: u64) -> u64 {
        self.moves.iter().fold(0, |acc, &(src, mask, dst)| {
            acc | ((fp >> src) & mask) << dst
        })
    }

    /// Bits in the key.
    fn key_bits(&self) -> u32 {
        self.key_mask.count_ones()
    }

    /// Writes `(permuted fingerprint, index)` of every fingerprint into `sorted`, grouped
    /// so that equal keys are contiguous: a counting sort on the key's top `r` bits
    /// (`r` at most 16, and about 4 entries per bucket), then, when the key is longer
    /// than `r` bits, a comparison sort inside each bucket (a few entries each).
    ///
    /// Tried (bench `simhash`, `all_pairs_1m_k3`, and cachegrind): sorting the permuted
    /// values with `sort_unstable_by_key`, about as fast; the counting sort on at most
    /// 11 bits, more instructions and no faster; on at most 8 bits, slower. Most of what
    /// remains is the comparisons inside runs: `count_ones` without the `popcnt`
    /// instruction of the baseline x86-64 target is a dozen operations.
    fn group_by_key(&self, fps: &[u64], counts: &mut Vec<u32>, sorted: &mut Vec<(u64, u32)>) {
        let n = fps.len();
        let size_bits = (usize::BITS - n.leading_zeros()).saturating_sub(2);
        let r = self.key_bits().min(16).min(size_bits);
        sorted.clear();
        if r == 0 {
            // An empty key, or so few fingerprints that one sort is best.
            sorted.extend(
                fps.iter()
                    .enumerate()
                    .map(|(i, &fp)| (self.permute(fp), i as u32)),
            );
            sorted.sort_unstable_by_key(|e| e.0);
            return;
        }
        let bucket = |p: u64| (p >> (64 - r)) as usize;
        counts.clear();
        counts.resize((1 << r) + 1, 0);
        for &fp in fps {
            counts[bucket(self.permute(fp)) + 1] += 1;
        }
        for b in 1..counts.len() {
            counts[b] += counts[b - 1];
        }
        sorted.resize(n, (0, 0));
        for (i, &fp) in fps.iter().enumerate() {
            let p = self.permute(fp);
            let at = &mut counts[bucket(p)];
            sorted[*at as usize] = (p, i as u32);
            *at += 1;
        }
        if self.key_bits() > r {
            // `counts[b]` is now the end of bucket `b`.
            let mut start = 0;
            for &end in &counts[..1 << r] {
                let bucket = &mut sorted[start..end as usize];
                if bucket.len() > 1 {
                    bucket.sort_unstable_by_key(|e| e.0);
                }
                start = end as usize;
            }
        }
    }

    /// Whether two permuted fingerprints that share this table's key are within `k`
    /// bits and belong to this table (see "Each pair once" in the module docs).
    #[inline]
    fn owns(&self, x: u64, k: u32) -> bool {
        x.count_ones() <= k && self.is_first(x)
    }

    /// Whether a pair with difference `x` that shares this table's key shares no
    /// earlier table's key.
    #[inline]
    fn is_first(&self, x: u64) -> bool {
        self.earlier.iter().all(|&m| x & m != 0)
    }
}

/// Reusable scratch for [`HammingSearch::table_pairs`]: keep one per thread.
#[derive(Clone, Debug, Default)]
pub struct HammingScratch {
    counts: Vec<u32>,
    sorted: Vec<(u64, u32)>,
}

/// The tables of a Hamming search: batch search of all pairs, one table at a time, and
/// the base of [`HammingIndex`].
///
/// `Send + Sync` and read-only: the pipeline searches its tables in parallel.
///
/// ```
/// use paradup::{HammingParams, HammingSearch};
///
/// let fps = [0u64, 0b111, 0b1, u64::MAX, u64::MAX ^ (1 << 40)];
/// let search = HammingSearch::new(HammingParams::new(2));
/// assert_eq!(search.all_pairs(&fps), vec![(0, 2), (1, 2), (3, 4)]);
/// ```
#[derive(Clone, Debug)]
pub struct HammingSearch {
    params: HammingParams,
    tables: Vec<Table>,
}

impl HammingSearch {
    /// The tables of `params`.
    pub fn new(params: HammingParams) -> HammingSearch {
        let b = params.blocks;
        let m = params.key_blocks() as usize;
        let mut starts = Vec::with_capacity(b as usize);
        let mut at = 0;
        for i in 0..b {
            starts.push(at);
            at += params.block_width(i);
        }
        let width_mask = |i: u32| u64::MAX >> (64 - params.block_width(i));
        let mut tables = Vec::with_capacity(params.tables());
        // Combinations of m blocks out of b, in lexicographic order.
        let mut combo: Vec<u32> = (0..m as u32).collect();
        loop {
            let is_key = |i: u32| combo.contains(&i);
            let order = combo.iter().copied().chain((0..b).filter(|&i| !is_key(i)));
            let mut moves = vec![(0, 0, 0); b as usize];
            let mut top = 64;
            let mut key_mask = 0u64;
            for i in order {
                let w = params.block_width(i);
                top -= w;
                moves[i as usize] = (starts[i as usize], width_mask(i), top);
                if is_key(i) {
                    key_mask |= width_mask(i) << top;
                }
            }
            let last = combo.last().copied().unwrap_or(0);
            let earlier = (0..last)
                .filter(|&i| !is_key(i))
                .map(|i| {
                    let (_, mask, dst) = moves[i as usize];
                    mask << dst
                })
                .collect();
            tables.push(Table {
                moves,
                key_mask,
                earlier,
            });
            // Next combination.
            let Some(pos) = (0..m).rev().find(|&p| combo[p] < b - (m - p) as u32) else {
                break;
            };
            combo[pos] += 1;
            for q in pos + 1..m {
                combo[q] = combo[q - 1] + 1;
            }
        }
        debug_assert_eq!(tables.len(), params.tables());
        HammingSearch { params, tables }
    }

    /// The parameters.
    pub fn params(&self) -> HammingParams {
        self.params
    }

    /// Number of tables.
    pub fn tables(&self) -> usize {
        self.tables.len()
    }

    /// Appends to `out` the pairs of `fingerprints` (as indices `(i, j)`, `i < j`) that
    /// are within the radius and belong to table `table`: over all tables, every such
    /// pair exactly once. `scratch` holds the table's sorted copy, kept by the caller to
    /// reuse its memory. The pairs come in no particular order.
    ///
    /// # Panics
    /// If `table >= self.tables()` or there are more than `u32::MAX + 1` fingerprints.
    pub fn table_pairs(
        &self,
        table: usize,
        fingerprints: &[u64],
        scratch: &mut HammingScratch,
        out: &mut Vec<(u32, u32)>,
    ) {
        assert!(
            u32::try_from(fingerprints.len().saturating_sub(1)).is_ok(),
            "too many fingerprints for u32 indices"
        );
        let t = &self.tables[table];
        let k = self.params.max_distance;
        let sorted = &mut scratch.sorted;
        t.group_by_key(fingerprints, &mut scratch.counts, sorted);
        let mut i = 0;
        while i < sorted.len() {
            let key = sorted[i].0 & t.key_mask;
            let mut j = i + 1;
            while j < sorted.len() && sorted[j].0 & t.key_mask == key {
                j += 1;
            }
            let run = &sorted[i..j];
            for (x, &(pa, ia)) in run.iter().enumerate() {
                for &(pb, ib) in &run[x + 1..] {
                    if t.owns(pa ^ pb, k) {
                        out.push((ia.min(ib), ia.max(ib)));
                    }
                }
            }
            i = j;
        }
    }

    /// [`table_pairs`](Self::table_pairs) with the dense-run rule of [`NearPairs`]:
    /// `weights[i]` is the number of candidates fingerprint `i` stands for. A run whose
    /// pairs within the radius weigh more than [`DENSE_PAIRS_PER_MEMBER`] times the
    /// run's weight gives, instead of its pairs, links from its smallest index to each
    /// other member, appended to `links`; other runs append their pairs to `pairs`
    /// exactly as `table_pairs` does.
    fn table_pairs_bounded(
        &self,
        table: usize,
        fingerprints: &[u64],
        weights: &[u32],
        scratch: &mut HammingScratch,
        pairs: &mut Vec<(u32, u32)>,
        links: &mut Vec<(u32, u32)>,
    ) {
        let t = &self.tables[table];
        let k = self.params.max_distance;
        let sorted = &mut scratch.sorted;
        t.group_by_key(fingerprints, &mut scratch.counts, sorted);
        let weight = |i: u32| u64::from(weights[i as usize]);
        let mut i = 0;
        while i < sorted.len() {
            let key = sorted[i].0 & t.key_mask;
            let mut j = i + 1;
            while j < sorted.len() && sorted[j].0 & t.key_mask == key {
                j += 1;
            }
            let run = &sorted[i..j];
            i = j;
            if run.len() < 2 {
                continue;
            }
            let budget = DENSE_PAIRS_PER_MEMBER * run.iter().map(|e| weight(e.1)).sum::<u64>();
            let (mark, mut found, mut dense) = (pairs.len(), 0u64, false);
            // Stops at the first pair over the budget: the run's work is then linear in
            // the budget, and whether a run is dense does not depend on the order.
            'run: for (x, &(pa, ia)) in run.iter().enumerate() {
                for &(pb, ib) in &run[x + 1..] {
                    let d = pa ^ pb;
                    if d.count_ones() <= k {
                        found += weight(ia) * weight(ib);
                        if found > budget {
                            dense = true;
                            break 'run;
                        }
                        if t.is_first(d) {
                            pairs.push((ia.min(ib), ia.max(ib)));
                        }
                    }
                }
            }
            if dense {
                pairs.truncate(mark);
                let first = run.iter().map(|e| e.1).min().unwrap_or(0);
                links.extend(run.iter().filter(|e| e.1 != first).map(|e| (first, e.1)));
            }
        }
    }

    /// Every pair `(i, j)`, `i < j`, of `fingerprints` within the radius, sorted, each
    /// once. One table after another on this thread.
    ///
    /// # Panics
    /// If there are more than `u32::MAX + 1` fingerprints.
    pub fn all_pairs(&self, fingerprints: &[u64]) -> Vec<(u32, u32)> {
        let mut out = Vec::new();
        let mut scratch = HammingScratch::default();
        for t in 0..self.tables() {
            self.table_pairs(t, fingerprints, &mut scratch, &mut out);
        }
        out.sort_unstable();
        out
    }
}

/// An incremental Hamming index: insert fingerprints one at a time, query with a
/// fingerprint for every inserted one within the radius.
///
/// One hash map per table, from key to the entries with that key. Memory: per table,
/// 12 bytes per fingerprint plus the map's entries. A query costs one lookup per table
/// and one comparison per entry sharing a key, so choose the blocks for the expected
/// size with [`HammingParams::for_size`]. Queries take `&self`.
///
/// ```
/// use paradup::{HammingIndex, HammingParams};
///
/// let mut index = HammingIndex::new(HammingParams::new(3));
/// index.insert(10, 0xFFFF_0000_FFFF_0000);
/// index.insert(11, 0x0F0F_0F0F_0F0F_0F0F);
/// assert_eq!(index.query(0xFFFF_0000_FFFF_0007), vec![10]); // 3 bits away
/// assert!(index.query(0xFFFF_0000_FFFF_000F).is_empty()); // 4 bits away
/// ```
#[derive(Clone, Debug)]
pub struct HammingIndex {
    search: HammingSearch,
    maps: Vec<HashMap<u64, Vec<(u64, u32)>>>,
    len: usize,
}

impl HammingIndex {
    /// An empty index.
    pub fn new(params: HammingParams) -> HammingIndex {
        let search = HammingSearch::new(params);
        HammingIndex {
            maps: (0..search.tables()).map(|_| HashMap::new()).collect(),
            search,
            len: 0,
        }
    }

    /// The parameters.
    pub fn params(&self) -> HammingParams {
        self.search.params
    }

    /// Number of fingerprints inserted.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing was inserted.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Inserts `fingerprint` under `id`.
    pub fn insert(&mut self, id: u32, fingerprint: u64) {
        for (t, map) in self.search.tables.iter().zip(&mut self.maps) {
            let p = t.permute(fingerprint);
            map.entry(p & t.key_mask).or_default().push((p, id));
        }
        self.len += 1;
    }

    /// The ids of the inserted fingerprints within the radius of `fingerprint`,
    /// ascending, without duplicates.
    pub fn query(&self, fingerprint: u64) -> Vec<u32> {
        let mut out = Vec::new();
        self.query_into(fingerprint, &mut out);
        out
    }

    /// [`query`](Self::query) into a caller-owned vector (cleared first).
    pub fn query_into(&self, fingerprint: u64, out: &mut Vec<u32>) {
        out.clear();
        let k = self.search.params.max_distance;
        for (t, map) in self.search.tables.iter().zip(&self.maps) {
            let p = t.permute(fingerprint);
            if let Some(entries) = map.get(&(p & t.key_mask)) {
                out.extend(
                    entries
                        .iter()
                        .filter(|&&(q, _)| t.owns(p ^ q, k))
                        .map(|&(_, id)| id),
                );
            }
        }
        // Each stored fingerprint matches in one table only; an id inserted twice can
        // still appear twice.
        out.sort_unstable();
        out.dedup();
    }
}

#[cfg(test)]
mod tests;
