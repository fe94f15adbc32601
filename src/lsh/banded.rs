//! Banded LSH over MinHash signatures: an incremental [`LshIndex`] and the sort-based
//! batch candidate search used by the pipeline.

use super::LshParams;
use crate::text::shingle::XXH3_SECRET_HEAD;
use ahash::{HashMap, HashMapExt};
use xxhash_rust::xxh3::xxh3_64_with_seed;

/// The bucket key of band `band` of `sig`: xxh3 of the band's rows as little-endian
/// bytes, seeded with the band's index.
///
/// `buf` is scratch (kept by the caller to avoid an allocation per call).
///
/// # Panics
/// If the band lies outside `sig`.
#[inline]
pub fn band_key(params: LshParams, band: usize, sig: &[u32], buf: &mut Vec<u8>) -> u64 {
    let rows = &sig[band * params.rows..(band + 1) * params.rows];
    if let Some(key) = xxh3_of_words(rows, band as u64) {
        return key;
    }
    buf.clear();
    for r in rows {
        buf.extend_from_slice(&r.to_le_bytes());
    }
    xxh3_64_with_seed(buf, band as u64)
}

/// The first 128 bytes of xxh3's default secret, as little-endian `u64` words.
const SECRET: [u64; 16] = [
    XXH3_SECRET_HEAD[0],
    XXH3_SECRET_HEAD[1],
    XXH3_SECRET_HEAD[2],
    0x1f67_b3b7_a4a4_4072,
    0x78e5_c0cc_4ee6_79cb,
    0x2172_ffcc_7dd0_5a82,
    0x8e24_43f7_7446_08b8,
    0x4c26_3a81_e690_35e0,
    0xcb00_c391_bb52_283c,
    0xa32e_531b_8b65_d088,
    0x4ef9_0da2_9748_6471,
    0xd8ac_dea9_46ef_1938,
    0x3f34_9ce3_3f76_faa8,
    0x1d4f_0bc7_c7bb_dcf9,
    0x3159_b4cd_4be0_518a,
    0x6473_78d9_c97e_9fc8,
];

/// xxh3-64 (`xxh3_64_with_seed`) of the little-endian bytes of `words`, computed from the
/// words without copying them into bytes, for 1 to 32 words (4 to 128 bytes); `None`
/// for other lengths. Every read of the byte-wise algorithm in this range starts at a
/// multiple of 4, so it is two words put together.
///
/// Copying the rows into a zeroed 128-byte stack buffer for `xxh3_64_with_seed` took
/// about a quarter more instructions (callgrind). Tested equal to `xxh3_64_with_seed`
/// at every length.
#[inline]
fn xxh3_of_words(words: &[u32], seed: u64) -> Option<u64> {
    const PRIME64_1: u64 = 0x9E37_79B1_85EB_CA87;
    let len = words.len() * 4;
    let read64 = |byte: usize| u64::from(words[byte / 4]) | u64::from(words[byte / 4 + 1]) << 32;
    let fold = |a: u64, b: u64| {
        let p = u128::from(a) * u128::from(b);
        p as u64 ^ (p >> 64) as u64
    };
    let avalanche = |mut h: u64| {
        h ^= h >> 37;
        h = h.wrapping_mul(0x1656_6791_9E37_79F9);
        h ^ (h >> 32)
    };
    // 16 input bytes at `byte` against secret words `s`, `s + 1`.
    let mix16 = |byte: usize, s: usize| {
        fold(
            read64(byte) ^ SECRET[s].wrapping_add(seed),
            read64(byte + 8) ^ SECRET[s + 1].wrapping_sub(seed),
        )
    };
    match len {
        4..=8 => {
            let seed = seed ^ u64::from((seed as u32).swap_bytes()) << 32;
            let (first, last) = (u64::from(words[0]), u64::from(words[words.len() - 1]));
            let flip = (SECRET[1] ^ SECRET[2]).wrapping_sub(seed);
            let mut h = last.wrapping_add(first << 32) ^ flip;
            h ^= h.rotate_left(49) ^ h.rotate_left(24);
            h = h.wrapping_mul(0x9FB2_1C65_1E98_DF25);
            h ^= (h >> 35).wrapping_add(len as u64);
            h = h.wrapping_mul(0x9FB2_1C65_1E98_DF25);
            Some(h ^ (h >> 28))
        }
        9..=16 => {
            let lo = read64(0) ^ (SECRET[3] ^ SECRET[4]).wrapping_add(seed);
            let hi = read64(len - 8) ^ (SECRET[5] ^ SECRET[6]).wrapping_sub(seed);
            let acc = (len as u64)
                .wrapping_add(lo.swap_bytes())
                .wrapping_add(hi)
                .wrapping_add(fold(lo, hi));
            Some(avalanche(acc))
        }
        17..=128 => {
            let mut acc = (len as u64).wrapping_mul(PRIME64_1);
            if len > 32 {
                if len > 64 {
                    if len > 96 {
                        acc = acc.wrapping_add(mix16(48, 12));
                        acc = acc.wrapping_add(mix16(len - 64, 14));
                    }
                    acc = acc.wrapping_add(mix16(32, 8));
                    acc = acc.wrapping_add(mix16(len - 48, 10));
                }
                acc = acc.wrapping_add(mix16(16, 4));
                acc = acc.wrapping_add(mix16(len - 32, 6));
            }
            acc = acc.wrapping_add(mix16(0, 0));
            acc = acc.wrapping_add(mix16(len - 16, 2));
            Some(avalanche(acc))
        }
        _ => None,
    }
}

/// Appends to `edges` the candidate pairs of one band, in batch.
///
/// `keys` holds `(bucket key, id)` for every signature in the band (any order; it is
/// reordered here). Within each bucket (run of equal keys) every member is linked to the
/// bucket's first member (smallest id): `(first, member)`. A bucket of `m` members costs
/// `O(m)` edges, never `O(m²)`; the union of the edges over all bands connects every
/// bucket, which is what clustering needs. The edges come out in the order of
/// `(key, id)`, as from a sort of `keys`.
///
/// The keys are hashes, uniform over `u64`, so one counting pass on their top bits
/// spreads them over about `n / 8` ranges of a few keys each, in key order, and only
/// those small ranges are sorted (linear time in all).
///
/// This takes about a third of the instructions of `keys.sort_unstable()` then a scan
/// (`docs/PERFORMANCE.md`).
pub fn bucket_edges(keys: &mut [(u64, u32)], edges: &mut Vec<(u32, u32)>) {
    group_sorted(keys, |run| {
        let first = run[0].1;
        edges.extend(run[1..].iter().map(|&(_, id)| (first, id)));
    });
}

/// Calls `f` on each run of equal keys with two or more members, in ascending order of
/// key, each run sorted by id: the runs of `keys.sort_unstable()`, found without
/// sorting all of `keys` (which is left in some other order).
///
/// Fewer than 256 keys are sorted directly. Otherwise, with `b = floor(log2 n) - 1` bits
/// (at most 18): count the keys per value of their top `b` bits, scatter them into a
/// second buffer in that order (stable), and look in each range of equal top bits,
/// which holds 2 to 4 keys when the keys are uniform, for runs.
///
/// Tried (callgrind): `sort_unstable` of the pairs, and ranges of 8 keys on average
/// (`b = log2 n - 3`), both slower; the look for an equal key before sorting pays, as
/// nearly every range has none. Skewed keys (many equal) only make some ranges larger,
/// and those are sorted with `sort_unstable`.
pub(crate) fn group_sorted(keys: &mut [(u64, u32)], f: impl FnMut(&[(u64, u32)])) {
    group_sorted_in(keys, &mut Vec::new(), f);
}

/// [`group_sorted`] with the second buffer `spread` (any contents) reused: one per
/// thread for every band instead of a new one of the keys' size, zeroed page by page.
pub(crate) fn group_sorted_in(
    keys: &mut [(u64, u32)],
    spread: &mut Vec<(u64, u32)>,
    mut f: impl FnMut(&[(u64, u32)]),
) {
    let n = keys.len();
    if n < 256 {
        keys.sort_unstable();
        each_run(keys, &mut f);
        return;
    }
    let bits = (n.ilog2() - 1).min(18);
    let shift = 64 - bits;
    // starts[b]..starts[b + 1]: the range of top bits `b` in `spread`.
    let mut starts = vec![0u32; (1 << bits) + 1];
    for &(key, _) in keys.iter() {
        starts[(key >> shift) as usize + 1] += 1;
    }
    for b in 1..starts.len() {
        starts[b] += starts[b - 1];
    }
    let mut next = starts.clone();
    spread.clear();
    spread.resize(n, (0, 0));
    for &(key, id) in keys.iter() {
        let slot = &mut next[(key >> shift) as usize];
        spread[*slot as usize] = (key, id);
        *slot += 1;
    }
    for range in starts.windows(2) {
        let (lo, hi) = (range[0] as usize, range[1] as usize);
        if hi - lo < 2 {
            continue;
        }
        let part = &mut spread[lo..hi];
        // A range nearly always holds distinct keys: look for an equal pair first
        // (a few comparisons), and sort only the ranges that have one.
        let shared =
            part.len() > 16 || (1..part.len()).any(|j| part[..j].iter().any(|p| p.0 == part[j].0));
        if shared {
            part.sort_unstable();
            each_run(part, &mut f);
        }
    }
}

/// Calls `f` on each run of two or more equal keys of the sorted `keys`.
#[inline]
fn each_run(keys: &[(u64, u32)], f: &mut impl FnMut(&[(u64, u32)])) {
    let mut i = 0;
    while i < keys.len() {
        let key = keys[i].0;
        let mut j = i + 1;
        while j < keys.len() && keys[j].0 == key {
            j += 1;
        }
        if j - i > 1 {
            f(&keys[i..j]);
        }
        i = j;
    }
}

/// [`bucket_edges`], except that a bucket of at most `all_pairs_up_to` members gets
/// every pair of its members, `(lo, hi)`; larger buckets are linked to their first
/// member as before. Costs at most `all_pairs_up_to / 2` edges per member.
///
/// Why: a bucket can hold a true pair `x ~ y` next to a first member `f` that shares
/// the band with them by chance. Linked through `f` only, neither edge passes
/// verification and the pair is lost; this is what costs LSH recall on short
/// paragraphs, whose few shingles often share a band with unrelated ones.
pub(crate) fn bucket_pairs(
    keys: &mut [(u64, u32)],
    all_pairs_up_to: usize,
    edges: &mut Vec<(u32, u32)>,
) {
    group_sorted(keys, |run| {
        if run.len() <= all_pairs_up_to {
            for (k, &(_, a)) in run.iter().enumerate() {
                edges.extend(run[k + 1..].iter().map(|&(_, b)| (a, b)));
            }
        } else {
            let first = run[0].1;
            edges.extend(run[1..].iter().map(|&(_, id)| (first, id)));
        }
    });
}

/// A two-bit-per-slot filter of the keys of one band that may occur more than once,
/// so that [`bucket_pairs`] sees only those: in a band of `n` keys nearly every key is
/// alone in its bucket, and sorting them only to find that out is most of the cost.
///
/// [`insert`](Self::insert) every key of the band, then keep the keys for which
/// [`may_repeat`](Self::may_repeat) holds: every key that occurs twice or more does
/// (exact, no false negatives), and so does a key alone in its bucket whose top bits it
/// shares with another key (about one in 12 at the sizes chosen). [`bucket_pairs`] of
/// the kept keys equals [`bucket_pairs`] of all of them, edges in the same order.
///
/// The slots are the top `b` bits of the key, `b = ceil(log2 n) + 3` (at most 24):
/// two bitmaps of at least `8 n` bits, 256 KiB each for 165 k keys, which stay in the
/// L2 cache.
///
/// With this filter in front, the candidate search of the 48 MB corpus takes about a
/// third of the time of [`bucket_pairs`] over every key (`docs/PERFORMANCE.md`).
#[derive(Clone, Debug, Default)]
pub(crate) struct SharedKeys {
    /// A key with these top bits was inserted.
    seen: Vec<u64>,
    /// Two keys with these top bits were inserted.
    twice: Vec<u64>,
    shift: u32,
}

impl SharedKeys {
    /// Empties the filter and sizes it for `n` keys.
    pub fn reset(&mut self, n: usize) {
        let bits = (n.max(1).next_power_of_two().ilog2() + 3).clamp(6, 24);
        self.shift = 64 - bits;
        let words = 1 << (bits - 6);
        for map in [&mut self.seen, &mut self.twice] {
            map.clear();
            map.resize(words, 0);
        }
    }

    /// Word and bit of `key`'s slot.
    #[inline]
    fn slot(&self, key: u64) -> (usize, u64) {
        let s = key >> self.shift;
        ((s >> 6) as usize, 1 << (s & 63))
    }

    /// Records `key`.
    ///
    /// # Panics
    /// If [`reset`](Self::reset) was never called.
    #[inline]
    pub fn insert(&mut self, key: u64) {
        let (w, bit) = self.slot(key);
        self.twice[w] |= self.seen[w] & bit;
        self.seen[w] |= bit;
    }

    /// Whether `key` may have been inserted twice or more: true for every such key.
    #[inline]
    pub fn may_repeat(&self, key: u64) -> bool {
        let (w, bit) = self.slot(key);
        self.twice[w] & bit != 0
    }
}

/// An incremental LSH index: insert signatures one at a time, query with a signature.
///
/// Memory: per band, one hash-map entry per distinct bucket plus 4 bytes per id.
/// `insert` and `query` cost `O(bands)` hash-map operations (plus the size of the
/// buckets a query returns). Ids are caller-chosen `u32`s. The index reads `&self` for
/// queries, so one index serves many threads.
///
/// ```
/// use paradup::{LshIndex, LshParams, MinHasher};
///
/// let hasher = MinHasher::new(128);
/// let mut index = LshIndex::new(LshParams::new(16, 8, 128).unwrap());
/// index.insert(7, hasher.signature(&[1, 2, 3, 4, 5, 6, 7, 8]).slots());
/// index.insert(9, hasher.signature(&[100, 200]).slots());
/// let found = index.query(hasher.signature(&[1, 2, 3, 4, 5, 6, 7, 9]).slots());
/// assert_eq!(found, vec![7]);
/// ```
#[derive(Clone, Debug)]
pub struct LshIndex {
    params: LshParams,
    tables: Vec<HashMap<u64, Vec<u32>>>,
    len: usize,
}

impl LshIndex {
    /// An empty index.
    pub fn new(params: LshParams) -> LshIndex {
        LshIndex {
            params,
            tables: (0..params.bands).map(|_| HashMap::new()).collect(),
            len: 0,
        }
    }

    /// The banding.
    pub fn params(&self) -> LshParams {
        self.params
    }

    /// Number of signatures inserted.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing was inserted.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Inserts `sig` under `id`.
    ///
    /// # Panics
    /// If `sig` is shorter than `bands · rows`.
    pub fn insert(&mut self, id: u32, sig: &[u32]) {
        let mut buf = Vec::new();
        for (band, table) in self.tables.iter_mut().enumerate() {
            let key = band_key(self.params, band, sig, &mut buf);
            table.entry(key).or_default().push(id);
        }
        self.len += 1;
    }

    /// The ids that share at least one band with `sig`, ascending, without duplicates.
    ///
    /// # Panics
    /// If `sig` is shorter than `bands · rows`.
    pub fn query(&self, sig: &[u32]) -> Vec<u32> {
        let mut out = Vec::new();
        self.query_into(sig, &mut out);
        out
    }

    /// [`query`](Self::query) into a caller-owned vector (cleared first).
    pub fn query_into(&self, sig: &[u32], out: &mut Vec<u32>) {
        out.clear();
        let mut buf = Vec::new();
        for (band, table) in self.tables.iter().enumerate() {
            let key = band_key(self.params, band, sig, &mut buf);
            if let Some(ids) = table.get(&key) {
                out.extend_from_slice(ids);
            }
        }
        out.sort_unstable();
        out.dedup();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The definition: sort, then link each run to its first member.
    fn naive_edges(keys: &[(u64, u32)]) -> Vec<(u32, u32)> {
        let mut keys = keys.to_vec();
        keys.sort_unstable();
        let mut edges = Vec::new();
        let mut i = 0;
        while i < keys.len() {
            let (key, first) = keys[i];
            let mut j = i + 1;
            while j < keys.len() && keys[j].0 == key {
                edges.push((first, keys[j].1));
                j += 1;
            }
            i = j;
        }
        edges
    }

    /// Keys drawn from a pool small enough (relative to the count) to collide, spread
    /// over the whole `u64` range or squeezed into its top or bottom bits.
    fn band_keys() -> impl Strategy<Value = Vec<(u64, u32)>> {
        (0usize..3000, 1u64..5000, 0u32..3, any::<u64>()).prop_map(|(n, pool, shape, seed)| {
            let mut g = crate::SplitMix64::new(seed);
            let values: Vec<u64> = (0..pool)
                .map(|_| match shape {
                    0 => g.next_u64(),
                    1 => g.next_u64() >> 50,
                    _ => g.next_u64() | 0xffff_ff00_0000_0000,
                })
                .collect();
            (0..n as u32)
                .map(|id| (values[(g.next_u64() % pool) as usize], id))
                .collect()
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn xxh3_of_words_equals_xxh3(words in prop::collection::vec(any::<u32>(), 0..40), seed in any::<u64>()) {
            let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
            let want = xxh3_64_with_seed(&bytes, seed);
            match xxh3_of_words(&words, seed) {
                Some(got) => prop_assert_eq!(got, want, "{} words", words.len()),
                None => prop_assert!(words.is_empty() || words.len() > 32),
            }
            // And through `band_key`, whatever the length.
            let params = LshParams { bands: 1, rows: words.len() };
            if !words.is_empty() {
                prop_assert_eq!(band_key(params, 0, &words, &mut Vec::new()), xxh3_64_with_seed(&bytes, 0));
            }
        }

        #[test]
        fn shared_keys_keep_every_repeat(keys in band_keys(), extra in 0usize..5000) {
            // Sized for the keys or for more (a sparser filter), never for fewer.
            let mut filter = SharedKeys::default();
            filter.reset(keys.len() + extra);
            for &(key, _) in &keys {
                filter.insert(key);
            }
            let mut count: HashMap<u64, usize> = HashMap::new();
            for &(key, _) in &keys {
                *count.entry(key).or_default() += 1;
            }
            for &(key, _) in &keys {
                if count[&key] > 1 {
                    prop_assert!(filter.may_repeat(key));
                }
            }
            // The kept keys give the same pairs, in the same order.
            let mut kept: Vec<(u64, u32)> =
                keys.iter().copied().filter(|&(key, _)| filter.may_repeat(key)).collect();
            let (mut want, mut got) = (Vec::new(), Vec::new());
            bucket_pairs(&mut keys.clone(), 4, &mut want);
            bucket_pairs(&mut kept, 4, &mut got);
            prop_assert_eq!(got, want);
        }

        #[test]
        fn bucket_edges_equal_naive(keys in band_keys()) {
            let want = naive_edges(&keys);
            let mut got = Vec::new();
            bucket_edges(&mut keys.clone(), &mut got);
            prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn xxh3_of_words_at_every_length() {
        let mut g = crate::SplitMix64::new(17);
        for len in 1..=40 {
            for seed in [0, 1, 24, u64::MAX, g.next_u64()] {
                let words: Vec<u32> = (0..len).map(|_| g.next_u64() as u32).collect();
                let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
                let want = xxh3_64_with_seed(&bytes, seed);
                assert_eq!(
                    xxh3_of_words(&words, seed).unwrap_or(want),
                    want,
                    "{len} {seed}"
                );
            }
        }
    }

    #[test]
    fn bucket_edges_link_to_first() {
        let mut keys = vec![(5, 9), (1, 4), (5, 2), (5, 7), (3, 1)];
        let mut edges = Vec::new();
        bucket_edges(&mut keys, &mut edges);
        assert_eq!(edges, vec![(2, 7), (2, 9)]);
    }

    #[test]
    fn huge_bucket_is_linear() {
        let mut keys: Vec<(u64, u32)> = (0..100_000).map(|i| (42, i)).collect();
        let mut edges = Vec::new();
        bucket_edges(&mut keys, &mut edges);
        assert_eq!(edges.len(), 99_999);
        assert!(edges.iter().all(|&(a, _)| a == 0));
    }

    #[test]
    fn small_buckets_give_all_pairs() {
        // Bucket 5 has three members, bucket 6 five, bucket 1 one.
        let mut keys = vec![(5, 9), (1, 4), (5, 2), (5, 7), (6, 10), (6, 14), (6, 11)];
        keys.extend([(6, 13), (6, 12)]);
        let mut edges = Vec::new();
        bucket_pairs(&mut keys, 3, &mut edges);
        assert_eq!(
            edges,
            vec![
                (2, 7),
                (2, 9),
                (7, 9),
                (10, 11),
                (10, 12),
                (10, 13),
                (10, 14)
            ]
        );
        edges.clear();
        bucket_pairs(&mut keys, 1, &mut edges);
        let mut star = Vec::new();
        bucket_edges(&mut keys, &mut star);
        assert_eq!(edges, star);

        // Past 256 keys (the counting pass): buckets of 1 to 5 members, every pair of
        // each, in key order.
        let mut rng = crate::SplitMix64::new(3);
        let mut keys = Vec::new();
        let mut want = Vec::new();
        let mut id = 0u32;
        for _ in 0..400 {
            let key = rng.next_u64();
            let size = 1 + (rng.next_u64() % 5) as u32;
            let ids: Vec<u32> = (id..id + size).collect();
            for (k, &a) in ids.iter().enumerate() {
                want.extend(ids[k + 1..].iter().map(|&b| (key, a, b)));
            }
            keys.extend(ids.iter().map(|&i| (key, i)));
            id += size;
        }
        want.sort_unstable();
        keys.reverse();
        let mut got = Vec::new();
        bucket_pairs(&mut keys, 5, &mut got);
        assert_eq!(
            got,
            want.iter().map(|&(_, a, b)| (a, b)).collect::<Vec<_>>()
        );
    }
}
