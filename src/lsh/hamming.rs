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

/// A run of one table whose pairs within the radius weigh more than this many times
/// its members (see [`NearPairs`]) is dense: linked to its first member, not paired.
pub(crate) const DENSE_PAIRS_PER_MEMBER: u64 = 8;

/// Equal fingerprints in a group of at most this many members give all their pairs; a
/// larger group is linked to its first member (as a large LSH bucket).
pub(crate) const ALL_PAIRS_GROUP: usize = 16;

/// The pipeline's candidate pairs from fingerprints: the pairs within the radius of
/// [`HammingSearch`], with the work and the output bounded on near-identical inputs
/// like the LSH path's buckets.
///
/// # The rule
///
/// 1. Equal fingerprints form a group; its first member (smallest index) is its
///    representative. A group of at most [`ALL_PAIRS_GROUP`] members gives all its
///    pairs, a larger one links each member to the representative. Only the
///    representatives are searched.
/// 2. In each table, a run of equal keys is *dense* when the pairs within the radius
///    among its representatives, each counted as the number of candidates it stands
///    for (the product of the two groups' sizes, a large group counting as one),
///    exceed [`DENSE_PAIRS_PER_MEMBER`] times the run's members (counted the same
///    way). A run that is not dense gives the pairs it owns, expanded to every pair of
///    members of the two groups (the representative only, for a large group). A dense
///    run links each of its representatives to its first one, unexpanded.
/// 3. Of the links of the dense runs of all tables, only a spanning forest is kept
///    ([`forest`](Self::forest)): the same representatives connected, fewer links
///    than fingerprints.
///
/// Guarantees: every pair within the radius is a candidate, as with
/// [`HammingSearch::all_pairs`], unless its group is large or the run of its owning
/// table (the first whose key it shares) is dense; a run of at most
/// `2 · DENSE_PAIRS_PER_MEMBER + 1` fingerprints with groups of one is never dense.
/// Every pair within the radius is still connected by candidates, through the
/// representatives. Candidates: at most `ALL_PAIRS_GROUP / 2` per fingerprint within
/// groups, at most `DENSE_PAIRS_PER_MEMBER` per fingerprint and table from runs that
/// are not dense, and fewer than one per fingerprint from dense runs; the work of a
/// dense run is linear in its size. Everything is independent of thread count and
/// hash order: groups, runs and tables are in fingerprint and index order.
#[derive(Clone, Debug)]
pub(crate) struct NearPairs {
    search: HammingSearch,
    /// One fingerprint per group, the groups in the order of their representatives.
    distinct: Vec<u64>,
    /// Per group, the candidates it stands for: its size when it gives all its pairs,
    /// else 1.
    weight: Vec<u32>,
    /// The members of each group, ascending, group after group.
    members: Vec<u32>,
    /// Where each group starts in `members`, and one past the last group.
    starts: Vec<usize>,
}

/// Reusable scratch for [`NearPairs::table`]: keep one per thread.
#[derive(Clone, Debug, Default)]
pub(crate) struct NearScratch {
    search: HammingScratch,
    pairs: Vec<(u32, u32)>,
    links: Vec<(u32, u32)>,
}

impl NearPairs {
    /// Groups `fingerprints` and sets up the tables for radius `max_distance`, sized
    /// ([`HammingParams::for_size`]) for the distinct fingerprints.
    ///
    /// # Panics
    /// If there are more than `u32::MAX + 1` fingerprints.
    pub(crate) fn new(fingerprints: &[u64], max_distance: u32) -> NearPairs {
        assert!(
            u32::try_from(fingerprints.len().saturating_sub(1)).is_ok(),
            "too many fingerprints for u32 indices"
        );
        let mut order: Vec<u32> = (0..fingerprints.len() as u32).collect();
        order.sort_unstable_by_key(|&i| (fingerprints[i as usize], i));
        // (representative, start in `order`, end), then in representative order.
        let mut groups: Vec<(u32, usize, usize)> = Vec::new();
        let mut i = 0;
        while i < order.len() {
            let fp = fingerprints[order[i] as usize];
            let mut j = i + 1;
            while j < order.len() && fingerprints[order[j] as usize] == fp {
                j += 1;
            }
            groups.push((order[i], i, j));
            i = j;
        }
        groups.sort_unstable_by_key(|g| g.0);
        let mut near = NearPairs {
            search: HammingSearch::new(HammingParams::for_size(max_distance, groups.len())),
            distinct: Vec::with_capacity(groups.len()),
            weight: Vec::with_capacity(groups.len()),
            members: Vec::with_capacity(order.len()),
            starts: Vec::with_capacity(groups.len() + 1),
        };
        for &(rep, lo, hi) in &groups {
            near.distinct.push(fingerprints[rep as usize]);
            let size = hi - lo;
            near.weight.push(if size <= ALL_PAIRS_GROUP {
                size as u32
            } else {
                1
            });
            near.starts.push(near.members.len());
            near.members.extend_from_slice(&order[lo..hi]);
        }
        near.starts.push(near.members.len());
        near
    }

    /// Number of tables: [`table`](Self::table) takes each of `0..tables()`.
    pub(crate) fn tables(&self) -> usize {
        self.search.tables()
    }

    /// The members of group `g` that its candidates name: all of them for a group that
    /// gives all its pairs, else the representative.
    fn named(&self, g: u32) -> &[u32] {
        let (g, lo) = (g as usize, self.starts[g as usize]);
        let len = if self.weight[g] > 1 {
            self.starts[g + 1] - lo
        } else {
            1
        };
        &self.members[lo..lo + len]
    }

    /// Appends to `out` the candidates within groups of equal fingerprints, `(lo, hi)`.
    pub(crate) fn within_groups(&self, out: &mut Vec<(u32, u32)>) {
        for g in 0..self.distinct.len() {
            let group = &self.members[self.starts[g]..self.starts[g + 1]];
            if group.len() <= ALL_PAIRS_GROUP {
                for (x, &a) in group.iter().enumerate() {
                    out.extend(group[x + 1..].iter().map(|&b| (a, b)));
                }
            } else {
                out.extend(group[1..].iter().map(|&b| (group[0], b)));
            }
        }
    }

    /// Appends to `out` the candidates of the runs of table `table` that are not dense,
    /// and to `links` the links of its dense runs (for [`forest`](Self::forest)), all
    /// `(lo, hi)`, in no particular order; a pair can also come from another table or
    /// from [`within_groups`](Self::within_groups).
    pub(crate) fn table(
        &self,
        table: usize,
        scratch: &mut NearScratch,
        out: &mut Vec<(u32, u32)>,
        dense_links: &mut Vec<(u32, u32)>,
    ) {
        let NearScratch {
            search,
            pairs,
            links,
        } = scratch;
        pairs.clear();
        links.clear();
        self.search
            .table_pairs_bounded(table, &self.distinct, &self.weight, search, pairs, links);
        for &(ga, gb) in pairs.iter() {
            for &a in self.named(ga) {
                out.extend(self.named(gb).iter().map(|&b| (a.min(b), a.max(b))));
            }
        }
        // Groups are in the order of their representatives: `ga < gb` keeps `lo < hi`.
        let rep = |g: u32| self.members[self.starts[g as usize]];
        dense_links.extend(links.iter().map(|&(ga, gb)| (rep(ga), rep(gb))));
    }

    /// The links of the dense runs of every table that form a spanning forest of them:
    /// in the order given (table after table, as [`table`](Self::table) gave them, for
    /// a result independent of threads), a link is kept when it joins two parts not
    /// yet connected. Fewer than one per fingerprint, and the same parts connected: one
    /// member in several dense runs would otherwise be linked to the first member of
    /// each (17 candidates per paragraph on 20,000 one-word variants of a sentence).
    pub(crate) fn forest(&self, mut links: Vec<(u32, u32)>) -> Vec<(u32, u32)> {
        let mut parent: Vec<u32> = (0..self.members.len() as u32).collect();
        let root = |parent: &mut Vec<u32>, mut x: u32| {
            while parent[x as usize] != x {
                // Path halving keeps the trees shallow without recursion.
                let up = parent[parent[x as usize] as usize];
                parent[x as usize] = up;
                x = up;
            }
            x
        };
        links.retain(|&(a, b)| {
            let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
            if ra == rb {
                return false;
            }
            parent[ra.max(rb) as usize] = ra.min(rb);
            true
        });
        links
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
mod tests {
    use super::*;
    use crate::SplitMix64;
    use proptest::prelude::*;

    /// The definition: every pair, one at a time.
    fn naive(fps: &[u64], k: u32) -> Vec<(u32, u32)> {
        let mut out = Vec::new();
        for i in 0..fps.len() {
            for j in i + 1..fps.len() {
                if (fps[i] ^ fps[j]).count_ones() <= k {
                    out.push((i as u32, j as u32));
                }
            }
        }
        out
    }

    /// Random fingerprints, and after each a copy with up to `spread` random bits
    /// flipped, plus exact repeats.
    fn planted(n: usize, spread: u32, seed: u64) -> Vec<u64> {
        let mut g = SplitMix64::new(seed);
        let mut fps = Vec::new();
        while fps.len() < n {
            let base = g.next_u64();
            fps.push(base);
            let mut near = base;
            for _ in 0..g.next_u64() % u64::from(spread + 1) {
                near ^= 1 << (g.next_u64() % 64);
            }
            fps.push(near);
            if g.next_u64().is_multiple_of(8) {
                fps.push(base);
            }
        }
        fps
    }

    #[test]
    fn tables_count_and_cover_every_combination() {
        for (k, b) in [(0, 1), (3, 4), (3, 6), (8, 10), (2, 64), (5, 3), (64, 1)] {
            let p = HammingParams::with_blocks(k, b).unwrap();
            let s = HammingSearch::new(p);
            assert_eq!(s.tables(), p.tables(), "k {k} blocks {b}");
            // Each table's key is the top bits, and no two tables choose the same blocks.
            let mut chosen = std::collections::HashSet::new();
            for t in &s.tables {
                assert_eq!(t.key_mask.leading_ones(), t.key_mask.count_ones());
                assert!(t.key_mask.count_ones() >= p.key_bits_min());
                let blocks: Vec<usize> = (0..b as usize)
                    .filter(|&i| {
                        let (_, mask, dst) = t.moves[i];
                        (mask << dst) & t.key_mask != 0
                    })
                    .collect();
                assert_eq!(blocks.len(), p.key_blocks() as usize);
                assert!(chosen.insert(blocks));
            }
        }
        assert_eq!(HammingParams::with_blocks(3, 6).unwrap().tables(), 20);
        assert_eq!(HammingParams::with_blocks(8, 12).unwrap().tables(), 495);
        assert_eq!(HammingParams::with_blocks(3, 0), None);
        assert_eq!(HammingParams::with_blocks(3, 65), None);
        assert_eq!(HammingParams::with_blocks(32, 64), None); // C(64, 32) tables
    }

    #[test]
    fn permutation_keeps_distances() {
        let s = HammingSearch::new(HammingParams::with_blocks(5, 7).unwrap());
        let mut g = SplitMix64::new(1);
        for _ in 0..1000 {
            let (a, b) = (g.next_u64(), g.next_u64());
            for t in &s.tables {
                assert_eq!(
                    (t.permute(a) ^ t.permute(b)).count_ones(),
                    (a ^ b).count_ones()
                );
                assert_eq!(t.permute(a).count_ones(), a.count_ones());
            }
        }
    }

    #[test]
    fn radius_of_64_or_more_is_every_pair() {
        let fps = [0, u64::MAX, 7];
        for k in [64, 100, u32::MAX] {
            let s = HammingSearch::new(HammingParams::new(k));
            assert_eq!(s.params().max_distance(), 64);
            assert_eq!(s.all_pairs(&fps), vec![(0, 1), (0, 2), (1, 2)]);
        }
    }

    #[test]
    fn empty_and_single_inputs() {
        let s = HammingSearch::new(HammingParams::new(3));
        assert!(s.all_pairs(&[]).is_empty());
        assert!(s.all_pairs(&[5]).is_empty());
        assert_eq!(s.all_pairs(&[5, 5]), vec![(0, 1)]);
        let index = HammingIndex::new(HammingParams::new(3));
        assert!(index.query(5).is_empty());
    }

    #[test]
    fn for_size_picks_more_blocks_for_more_fingerprints() {
        assert_eq!(HammingParams::for_size(3, 10).blocks(), 1); // all pairs
        assert_eq!(HammingParams::for_size(3, 1_000_000).blocks(), 4);
        let small = HammingParams::for_size(8, 10_000).blocks();
        let big = HammingParams::for_size(8, 10_000_000).blocks();
        assert!(small >= 9 && big > small, "{small} {big}");
    }

    #[test]
    fn planted_pairs_at_many_radii_equal_naive() {
        let fps = planted(3000, 10, 7);
        for k in [0, 1, 3, 6, 8, 12] {
            let want = naive(&fps, k);
            assert!(!want.is_empty());
            for p in [
                HammingParams::new(k),
                HammingParams::for_size(k, fps.len()),
                HammingParams::with_blocks(k, k + 2).unwrap(),
            ] {
                assert_eq!(HammingSearch::new(p).all_pairs(&fps), want, "{p:?}");
            }
        }
    }

    type Pairs = Vec<(u32, u32)>;

    /// `NearPairs` run table after table: (the pairs of runs that are not dense and of
    /// groups, sorted and deduplicated; the forest of the dense runs' links).
    fn near_pairs(fps: &[u64], k: u32) -> (Pairs, Pairs) {
        let near = NearPairs::new(fps, k);
        let (mut pairs, mut links) = (Vec::new(), Vec::new());
        let mut scratch = NearScratch::default();
        for t in 0..near.tables() {
            near.table(t, &mut scratch, &mut pairs, &mut links);
        }
        near.within_groups(&mut pairs);
        pairs.sort_unstable();
        pairs.dedup();
        (pairs, near.forest(links))
    }

    /// The rule of `NearPairs` from its definition, with maps and no early exit: (the
    /// pairs, sorted; every link of every dense run, sorted).
    fn naive_near_pairs(fps: &[u64], k: u32) -> (Pairs, Pairs) {
        use std::collections::{BTreeMap, BTreeSet};
        let mut by_fp: BTreeMap<u64, Vec<u32>> = BTreeMap::new();
        for (i, &fp) in fps.iter().enumerate() {
            by_fp.entry(fp).or_default().push(i as u32);
        }
        let mut groups: Vec<(u64, Vec<u32>)> = by_fp.into_iter().collect();
        groups.sort_by_key(|g| g.1[0]);
        let large = |g: usize| groups[g].1.len() > ALL_PAIRS_GROUP;
        let named = |g: usize| -> Vec<u32> {
            if large(g) {
                vec![groups[g].1[0]]
            } else {
                groups[g].1.clone()
            }
        };
        let (mut pairs, mut links) = (BTreeSet::new(), BTreeSet::new());
        for (_, m) in &groups {
            for (x, &a) in m.iter().enumerate() {
                for &b in &m[x + 1..] {
                    let star = m.len() > ALL_PAIRS_GROUP;
                    pairs.insert(if star { (m[0], b) } else { (a, b) });
                }
            }
        }
        let search = HammingSearch::new(HammingParams::for_size(k, groups.len()));
        let key = |t: &Table, g: usize| t.permute(groups[g].0) & t.key_mask;
        for (ti, t) in search.tables.iter().enumerate() {
            let mut runs: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
            for g in 0..groups.len() {
                runs.entry(key(t, g)).or_default().push(g);
            }
            for run in runs.values() {
                let weight = |g: usize| {
                    if large(g) {
                        1
                    } else {
                        groups[g].1.len() as u64
                    }
                };
                let mut near = Vec::new();
                for (x, &a) in run.iter().enumerate() {
                    for &b in &run[x + 1..] {
                        if (groups[a].0 ^ groups[b].0).count_ones() <= k {
                            near.push((a, b));
                        }
                    }
                }
                let found: u64 = near.iter().map(|&(a, b)| weight(a) * weight(b)).sum();
                let budget = DENSE_PAIRS_PER_MEMBER * run.iter().map(|&g| weight(g)).sum::<u64>();
                if found > budget {
                    for &g in &run[1..] {
                        links.insert((groups[run[0]].1[0], groups[g].1[0]));
                    }
                    continue;
                }
                for (a, b) in near {
                    // Owned: no earlier table gives the two the same key.
                    let first = search.tables.iter().position(|u| key(u, a) == key(u, b));
                    if first == Some(ti) {
                        for x in named(a) {
                            for y in named(b) {
                                pairs.insert((x.min(y), x.max(y)));
                            }
                        }
                    }
                }
            }
        }
        (pairs.into_iter().collect(), links.into_iter().collect())
    }

    /// The root of each index after uniting `links`.
    fn components(n: usize, links: &[(u32, u32)]) -> Vec<u32> {
        let mut parent: Vec<u32> = (0..n as u32).collect();
        fn root(p: &mut [u32], mut x: u32) -> u32 {
            while p[x as usize] != x {
                x = p[x as usize];
            }
            x
        }
        for &(a, b) in links {
            let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
            parent[ra.max(rb) as usize] = ra.min(rb);
        }
        (0..n as u32).map(|x| root(&mut parent, x)).collect()
    }

    /// Fingerprints near one base (up to `spread` random bits flipped), with exact
    /// repeats: groups of up to `repeat` copies.
    fn template(n: usize, spread: u32, repeat: u64, seed: u64) -> Vec<u64> {
        let mut g = SplitMix64::new(seed);
        let base = g.next_u64();
        let mut fps = Vec::new();
        while fps.len() < n {
            let mut fp = base;
            for _ in 0..g.next_u64() % u64::from(spread + 1) {
                fp ^= 1 << (g.next_u64() % 64);
            }
            for _ in 0..1 + g.next_u64() % repeat.max(1) {
                fps.push(fp);
            }
        }
        fps
    }

    /// `NearPairs` against `naive_near_pairs`, and the guarantees of its docs.
    fn check_near_pairs(fps: &[u64], k: u32) -> Result<(), TestCaseError> {
        let (pairs, forest) = near_pairs(fps, k);
        let (want_pairs, want_links) = naive_near_pairs(fps, k);
        let differ = |a: &[(u32, u32)], b: &[(u32, u32)]| -> Vec<(u32, u32)> {
            let missing = b.iter().filter(|p| a.binary_search(p).is_err());
            missing.take(5).copied().collect()
        };
        prop_assert!(
            pairs == want_pairs,
            "{} pairs, {} wanted; extra {:?}, missing {:?}",
            pairs.len(),
            want_pairs.len(),
            differ(&want_pairs, &pairs),
            differ(&pairs, &want_pairs)
        );
        // The forest: links of dense runs, no cycle, the same parts connected.
        prop_assert!(forest.iter().all(|l| want_links.binary_search(l).is_ok()));
        let parts = components(fps.len(), &forest);
        prop_assert_eq!(&parts, &components(fps.len(), &want_links));
        let joined = parts.iter().enumerate().filter(|&(i, &r)| r != i as u32);
        prop_assert_eq!(forest.len(), joined.count());
        // Every pair within the radius is connected by candidates.
        let mut all = pairs.clone();
        all.extend(&forest);
        let parts = components(fps.len(), &all);
        for (a, b) in naive(fps, k) {
            prop_assert_eq!(parts[a as usize], parts[b as usize], "{} {}", a, b);
        }
        // Without a dense run or a large group, exactly the pairs within the radius.
        let mut sorted = fps.to_vec();
        sorted.sort_unstable();
        let large_group = sorted
            .chunk_by(|a, b| a == b)
            .any(|g| g.len() > ALL_PAIRS_GROUP);
        if want_links.is_empty() && !large_group {
            prop_assert!(pairs == naive(fps, k), "not all pairs");
        }
        Ok(())
    }

    #[test]
    fn near_pairs_are_all_pairs_on_planted_fingerprints() {
        let fps = planted(3000, 10, 7);
        for k in [0, 3, 6, 10] {
            let (pairs, forest) = near_pairs(&fps, k);
            assert!(forest.is_empty(), "k {k}: {} links", forest.len());
            assert_eq!(pairs, naive(&fps, k), "k {k}");
        }
    }

    #[test]
    fn near_pairs_of_near_identical_fingerprints_are_linear() {
        // 3000 fingerprints within 4 bits of one base, in groups of up to 20 copies.
        let fps = template(3000, 4, 20, 11);
        for k in [3, 6, 10] {
            let (pairs, forest) = near_pairs(&fps, k);
            let quadratic = naive(&fps, k).len();
            assert!(quadratic > 500_000, "k {k}: {quadratic}");
            assert!(!forest.is_empty(), "k {k}: no dense run");
            assert!(
                pairs.len() + forest.len() < 20 * fps.len(),
                "k {k}: {}",
                pairs.len()
            );
            check_near_pairs(&fps, k).unwrap();
        }
    }

    #[test]
    fn near_pairs_of_one_large_group_are_a_star() {
        let mut fps = vec![7u64; 40];
        fps[3] = 8;
        let (pairs, forest) = near_pairs(&fps, 0);
        assert!(forest.is_empty());
        let star: Vec<(u32, u32)> = (1..40).filter(|&i| i != 3).map(|i| (0, i)).collect();
        assert_eq!(pairs, star);
        assert!(near_pairs(&[], 3).0.is_empty());
        assert!(near_pairs(&[5], 3).0.is_empty());
        assert_eq!(near_pairs(&[5, 5], 3).0, vec![(0, 1)]);
    }

    proptest! {
        #[test]
        fn all_pairs_equals_naive_on_random_and_planted(
            seed in any::<u64>(),
            n in 0usize..300,
            k in 0u32..=10,
            extra in 0u32..4,
            random in prop::collection::vec(any::<u64>(), 0..50),
        ) {
            let mut fps = planted(n, k + 2, seed);
            fps.extend(random);
            let want = naive(&fps, k);
            let mut params = vec![HammingParams::new(k), HammingParams::for_size(k, fps.len())];
            if let Some(p) = HammingParams::with_blocks(k, k + 1 + extra) {
                params.push(p);
            }
            if let Some(p) = HammingParams::with_blocks(k, (k / 2).max(1)) {
                params.push(p);
            }
            for p in params {
                prop_assert_eq!(&HammingSearch::new(p).all_pairs(&fps), &want, "{:?}", p);
            }
        }

        #[test]
        fn near_pairs_equal_the_naive_rule(
            seed in any::<u64>(),
            n in 0usize..400,
            k in 0u32..=10,
            spread in 0u32..8,
            repeat in 1u64..24,
            planted_too in any::<bool>(),
        ) {
            let mut fps = template(n, spread, repeat, seed);
            if planted_too {
                fps.extend(planted(n / 2, k + 2, seed ^ 1));
            }
            check_near_pairs(&fps, k)?;
        }

        #[test]
        fn index_query_equals_naive(
            seed in any::<u64>(),
            n in 1usize..200,
            k in 0u32..=9,
        ) {
            let fps = planted(n, k + 2, seed);
            let mut index = HammingIndex::new(HammingParams::new(k));
            for (i, &fp) in fps.iter().enumerate() {
                index.insert(i as u32, fp);
            }
            prop_assert_eq!(index.len(), fps.len());
            for &q in fps.iter().take(20) {
                let want: Vec<u32> = (0..fps.len() as u32)
                    .filter(|&i| (fps[i as usize] ^ q).count_ones() <= k)
                    .collect();
                prop_assert_eq!(index.query(q), want);
            }
        }
    }
}
