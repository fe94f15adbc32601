//! Stage 4, candidates, shared by every driver: pairs of distinct texts from LSH
//! buckets, size-class buckets (containment) or the Hamming search, and the one
//! order all of them are verified in.

use super::{ALL_PAIRS_BUCKET, Deduper};
use crate::lsh::banded::{band_key, bucket_pairs, group_sorted_in};
use crate::lsh::containment::{ContainmentBanding, size_class};
use crate::lsh::hamming::{NearPairs, NearScratch};
use rayon::prelude::*;

/// The candidate pairs of one band's `(key, text)` rows: the texts that share a key
/// (a bucket) pair up by the bucket rule ([`bucket_pairs`] with [`ALL_PAIRS_BUCKET`]).
/// Each text once per band; `rows` is reordered.
pub(crate) fn band_pairs(rows: &mut [(u64, u32)], out: &mut Vec<(u32, u32)>) {
    bucket_pairs(rows, ALL_PAIRS_BUCKET, out);
}

/// The candidate pairs of one bucket, the texts `ids` (any order, repeats allowed):
/// every pair, `(lo, hi)`, in a bucket of at most [`ALL_PAIRS_BUCKET`] texts, else
/// each text with the first. The same pairs as [`band_pairs`] gives for the bucket.
pub(crate) fn bucket_candidates(ids: &mut Vec<u32>, out: &mut Vec<(u32, u32)>) {
    bucket_candidates_with(ids, |a, b| out.push((a, b)));
}

/// [`bucket_candidates`], each pair handed to `emit`.
pub(crate) fn bucket_candidates_with(ids: &mut Vec<u32>, mut emit: impl FnMut(u32, u32)) {
    ids.sort_unstable();
    ids.dedup();
    if ids.len() <= ALL_PAIRS_BUCKET {
        for (k, &a) in ids.iter().enumerate() {
            ids[k + 1..].iter().for_each(|&b| emit(a, b));
        }
    } else if let Some((&first, rest)) = ids.split_first() {
        rest.iter().for_each(|&b| emit(first, b));
    }
}

/// `pairs` sorted and without repeats: the order verification reads them in.
/// Sorted as one `u64` each (`a << 32 | b`, the same order), which was faster than
/// sorting the tuples.
pub(crate) fn sort_pairs(pairs: Vec<(u32, u32)>) -> Vec<(u32, u32)> {
    let mut packed: Vec<u64> = pairs
        .par_iter()
        .map(|&(a, b)| u64::from(a) << 32 | u64::from(b))
        .collect();
    drop(pairs);
    packed.par_sort_unstable();
    packed.dedup();
    packed
        .par_iter()
        .map(|&x| ((x >> 32) as u32, x as u32))
        .collect()
}

/// One band's candidate pairs packed (`a << 32 | b`), sorted and without repeats: a
/// part of [`union_of_bands`].
pub(crate) fn sorted_band(pairs: Vec<(u32, u32)>) -> Vec<u64> {
    let mut packed: Vec<u64> = pairs
        .into_iter()
        .map(|(a, b)| u64::from(a) << 32 | u64::from(b))
        .collect();
    packed.sort_unstable();
    packed.dedup();
    packed
}

/// `all` and `more` (each sorted and without repeats) merged into `all`, sorted and
/// without repeats: from the back, into the room `more` takes at the end, so that it
/// costs a pass over both and no second copy of `all`.
pub(crate) fn merge_into_sorted<T: Copy + Ord>(all: &mut Vec<T>, more: &[T]) {
    let n = all.len();
    all.extend_from_slice(more);
    let (mut i, mut j) = (n, more.len());
    while j > 0 {
        // All of `all[..i]` and `more[..j]` go below `i + j`.
        if i > 0 && all[i - 1] > more[j - 1] {
            all[i + j - 1] = all[i - 1];
            i -= 1;
        } else {
            all[i + j - 1] = more[j - 1];
            j -= 1;
        }
    }
    all.dedup();
}

/// The union of two sorted lists without repeats, sorted and without repeats.
pub(crate) fn merge_sorted(a: Vec<u64>, b: Vec<u64>) -> Vec<u64> {
    let (mut all, more) = if a.len() >= b.len() { (a, b) } else { (b, a) };
    merge_into_sorted(&mut all, &more);
    all
}

/// The candidate pairs of every band (one item per band), sorted and
/// without repeats: [`sort_pairs`] of all of them, but each band sorted on its own and
/// the bands merged, so that a pair that many bands find (near-copies collide in most
/// of them) is held once per band only until its band is merged, and no sort sees
/// more than one band (figures: `docs/PERFORMANCE.md`, duplicate-heavy text).
pub(crate) fn union_of_bands(
    bands: impl IndexedParallelIterator<Item = Vec<(u32, u32)>>,
) -> Vec<(u32, u32)> {
    bands
        // One band per task (see the exact stage's chunks).
        .with_max_len(1)
        .map(sorted_band)
        .reduce(Vec::new, merge_sorted)
        .into_par_iter()
        .map(|x| ((x >> 32) as u32, x as u32))
        .collect()
}

/// Ends each bucket in [`BandBuckets`]' members; no text has this id (there are
/// fewer than `u32::MAX` paragraphs).
const END: u32 = u32::MAX;

/// How many texts ahead [`pairs_by_text`] prefetches.
const PREFETCH_AHEAD: usize = 8;

/// One band's buckets of two or more texts, kept so that the candidate pairs of all
/// bands are read text by text ([`pairs_by_text`]) instead of being made band by band,
/// then sorted and merged: near-copies share most bands, so each of their pairs would
/// come once per band (figures: `docs/PERFORMANCE.md`, duplicate-heavy text).
#[derive(Clone, Debug, Default)]
pub(crate) struct BandBuckets {
    /// Each bucket's texts ascending, then [`END`].
    members: Vec<u32>,
    /// Per text, where in `members` the texts it pairs with in this band start
    /// ([`END`]: none): the texts after it in a bucket of at most [`ALL_PAIRS_BUCKET`],
    /// the rest of a larger bucket for its first text.
    tail: Vec<u32>,
}

impl BandBuckets {
    /// The buckets of one band's `(key, text)` rows (texts below `texts`, each once;
    /// `rows` is reordered), or `None` if their positions would not fit in a `u32`.
    pub(crate) fn new(
        rows: &mut [(u64, u32)],
        spread: &mut Vec<(u64, u32)>,
        texts: usize,
    ) -> Option<BandBuckets> {
        // At most one text and one end per row.
        if rows.len().checked_mul(2)? >= END as usize {
            return None;
        }
        let mut b = BandBuckets {
            members: Vec::new(),
            tail: vec![END; texts],
        };
        group_sorted_in(rows, spread, |run| {
            let start = b.members.len() as u32;
            b.members.extend(run.iter().map(|&(_, c)| c));
            b.members.push(END);
            if run.len() <= ALL_PAIRS_BUCKET {
                for (k, &(_, c)) in run[..run.len() - 1].iter().enumerate() {
                    b.tail[c as usize] = start + k as u32 + 1;
                }
            } else {
                b.tail[run[0].1 as usize] = start + 1;
            }
        });
        Some(b)
    }

    /// Brings the start of [`mates`](Self::mates)`(c)` into the cache.
    #[inline]
    fn prefetch_mates(&self, c: u32) {
        if let Some(m) = self.members.get(self.tail[c as usize] as usize) {
            crate::arch::prefetch(m);
        }
    }

    /// The texts that `c` pairs with in this band (`c` < `texts`), ascending.
    #[inline]
    fn mates(&self, c: u32) -> &[u32] {
        let at = self.tail[c as usize];
        if at == END {
            return &[];
        }
        let rest = &self.members[at as usize..];
        let end = rest.iter().position(|&x| x == END).unwrap_or(rest.len());
        &rest[..end]
    }
}

/// The union of the ascending lists `a` and `b` (no repeats within either), ascending
/// and without repeats, appended to `out`.
fn merge_into<T: Copy + Ord>(a: &[T], b: &[T], out: &mut Vec<T>) {
    let (mut i, mut j) = (0, 0);
    while let (Some(&x), Some(&y)) = (a.get(i), b.get(j)) {
        out.push(x.min(y));
        i += usize::from(x <= y);
        j += usize::from(y <= x);
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
}

/// The candidate pairs of every band's buckets (`bands`, over texts `live`, ascending),
/// sorted and without repeats: [`union_of_bands`] of the bands' [`band_pairs`], made
/// text by text, each text's mates of every band merged into one list.
pub(crate) fn pairs_by_text(bands: &[BandBuckets], live: &[u32]) -> Vec<(u32, u32)> {
    let parts: Vec<Vec<(u32, u32)>> = live
        .par_chunks(4096)
        .map(|chunk| {
            let (mut out, mut mates, mut merged) = (Vec::new(), Vec::new(), Vec::new());
            for (i, &a) in chunk.iter().enumerate() {
                // The mates are scattered: ask for a later text's ahead.
                if let Some(&ahead) = chunk.get(i + PREFETCH_AHEAD) {
                    for band in bands {
                        band.prefetch_mates(ahead);
                    }
                }
                // Each band's mates are ascending, and near-copies share most bands
                // with the same mates: merge each band's into the union unless equal.
                mates.clear();
                for band in bands {
                    let more = band.mates(a);
                    if more.is_empty() || more == &mates[..] {
                        continue;
                    }
                    merged.clear();
                    merge_into(&mates, more, &mut merged);
                    std::mem::swap(&mut mates, &mut merged);
                }
                out.extend(mates.iter().map(|&b| (a, b)));
            }
            out
        })
        .collect();
    parts.concat()
}

/// The distinct texts that `pairs` involve, ascending, and the slot of each of the
/// `distinct` texts among them (`u32::MAX`: not involved).
pub(crate) fn involved(pairs: &[(u32, u32)], distinct: usize) -> (Vec<u32>, Vec<u32>) {
    let mut slot = vec![u32::MAX; distinct];
    let mut ids = Vec::new();
    for &(a, b) in pairs {
        for c in [a, b] {
            if slot[c as usize] == u32::MAX {
                slot[c as usize] = 0;
                ids.push(c);
            }
        }
    }
    ids.sort_unstable();
    for (i, &c) in ids.iter().enumerate() {
        slot[c as usize] = i as u32;
    }
    (ids, slot)
}

/// Candidate pairs within `max_hamming` bits of the live texts' fingerprints
/// `live_fps` (per permuted table in parallel), as `(id_of(i), id_of(j))` for `i < j`:
/// `(lo, hi)` distinct-text ids when `id_of` is ascending. Bounded on near-identical
/// fingerprints by the rule of [`NearPairs`] (all pairs on ordinary input); may repeat
/// a pair.
pub(crate) fn hamming_edges(
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

impl Deduper {
    /// Containment candidates: for each class distance `d` and each band of its
    /// banding, the texts of size classes `k` and `k + d` that share the band's bucket
    /// key (see [`ContainmentBanding`]). A text of class `k` enters each band under the
    /// pair of classes it heads (`k`) and, for `d > 0`, the one it ends (`k − d`), the
    /// lower class mixed into its key.
    pub(super) fn containment_edges(
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
                band_pairs(&mut keys, &mut edges);
                // Two keys of one text can only meet by a 64-bit collision; drop it.
                edges.retain(|&(a, b)| a != b);
                edges
            })
            .reduce(Vec::new, |mut a, mut b| {
                a.append(&mut b);
                a
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn buckets_one_by_one_equal_the_band(
            rows in proptest::collection::vec((0u64..12, 0u32..400), 0..600),
        ) {
            // One row per text, as in a band.
            let mut rows = rows;
            rows.sort_unstable_by_key(|r| r.1);
            rows.dedup_by_key(|r| r.1);
            let mut band = Vec::new();
            band_pairs(&mut rows.clone(), &mut band);
            let mut by_bucket = Vec::new();
            for key in 0..12 {
                let mut ids: Vec<u32> =
                    rows.iter().filter(|r| r.0 == key).map(|r| r.1).rev().collect();
                bucket_candidates(&mut ids, &mut by_bucket);
            }
            band.sort_unstable();
            by_bucket.sort_unstable();
            prop_assert_eq!(band, by_bucket);
        }

        #[test]
        fn union_of_bands_equals_sorting_them_all(
            bands in proptest::collection::vec(
                proptest::collection::vec((0u32..40, 0u32..40), 0..120),
                0..8,
            ),
        ) {
            let all: Vec<(u32, u32)> = bands.concat();
            let got = union_of_bands(bands.into_par_iter());
            prop_assert_eq!(got, sort_pairs(all));
        }

        #[test]
        fn pairs_by_text_equal_the_union_of_bands(
            bands in proptest::collection::vec(
                proptest::collection::vec(0u64..30, 60),
                0..6,
            ),
            live_mask in proptest::collection::vec(any::<bool>(), 60),
        ) {
            // Band `b` puts live text `c` in bucket `bands[b][c]`, 0 for two fifths of
            // them, so that buckets both larger and smaller than ALL_PAIRS_BUCKET occur.
            let live: Vec<u32> = (0..60).filter(|&c| live_mask[c as usize]).collect();
            let rows = |keys: &[u64]| -> Vec<(u64, u32)> {
                live.iter()
                    .map(|&c| match keys[c as usize] {
                        k if k < 12 => (0, c),
                        k => (k, c),
                    })
                    .collect()
            };
            let want = union_of_bands(bands.par_iter().map(|keys| {
                let mut pairs = Vec::new();
                band_pairs(&mut rows(keys), &mut pairs);
                pairs
            }));
            let buckets: Vec<BandBuckets> = bands
                .iter()
                .map(|keys| BandBuckets::new(&mut rows(keys), &mut Vec::new(), 60).unwrap())
                .collect();
            prop_assert_eq!(pairs_by_text(&buckets, &live), want);
        }

        #[test]
        fn merge_sorted_is_the_sorted_union(
            a in proptest::collection::btree_set(0u64..100, 0..50),
            b in proptest::collection::btree_set(0u64..100, 0..50),
        ) {
            let want: Vec<u64> = a.union(&b).copied().collect();
            let got = merge_sorted(a.into_iter().collect(), b.into_iter().collect());
            prop_assert_eq!(got, want);
        }

        #[test]
        fn merge_into_sorted_is_the_sorted_union(
            a in proptest::collection::btree_set((0u32..30, 0u32..30), 0..200),
            b in proptest::collection::btree_set((0u32..30, 0u32..30), 0..200),
        ) {
            let want: Vec<(u32, u32)> = a.union(&b).copied().collect();
            let mut all: Vec<(u32, u32)> = a.into_iter().collect();
            merge_into_sorted(&mut all, &b.into_iter().collect::<Vec<_>>());
            prop_assert_eq!(all, want);
        }

        #[test]
        fn sort_pairs_sorts_and_dedups(
            pairs in proptest::collection::vec((0u32..50, 0u32..50), 0..300),
        ) {
            let mut expected = pairs.clone();
            expected.sort_unstable();
            expected.dedup();
            prop_assert_eq!(sort_pairs(pairs), expected);
        }
    }

    #[test]
    fn involved_numbers_the_texts_of_pairs_in_order() {
        let (ids, slot) = involved(&[(4, 7), (1, 4), (7, 9)], 10);
        assert_eq!(ids, [1, 4, 7, 9]);
        assert_eq!(slot[1], 0);
        assert_eq!(slot[4], 1);
        assert_eq!(slot[9], 3);
        assert_eq!(slot[0], u32::MAX);
    }

    #[test]
    fn a_large_bucket_links_each_text_to_the_first() {
        let mut ids: Vec<u32> = (0..40).rev().collect();
        let mut out = Vec::new();
        bucket_candidates(&mut ids, &mut out);
        assert_eq!(out.len(), 39);
        assert!(out.iter().all(|&(a, _)| a == 0));
    }
}
