//! Stage 2's numbering: which paragraphs have the same exact key (the same normalized
//! text), and the distinct texts numbered in order of first occurrence.
//!
//! The keys are partitioned by their top bits, in parallel, into buckets that fit in
//! cache; each bucket finds its repeats in a small hash table; the numbering is a count
//! of the repeats before each paragraph. A sort of every `(key, paragraph)` pair, a
//! loop over the groups on one thread and a sort of the first occurrences was three to
//! four times slower.

use rayon::prelude::*;

/// Top bits of a key that choose its bucket: 1024 buckets, about 170 keys each for
/// the 48 MB corpus.
const BUCKET_BITS: u32 = 10;

/// Input parts that one task partitions.
const PARTS_PER_TASK: usize = 16;

/// Paragraphs that one task numbers.
const NUMBER_PER_TASK: usize = 1 << 14;

/// One task's `(key, paragraph)` pairs grouped by bucket, and where each bucket starts.
type Partition = (Vec<(u128, u32)>, Vec<u32>);

fn bucket(key: u128) -> usize {
    (key >> (128 - BUCKET_BITS)) as usize
}

/// For paragraphs `0..n` whose keys `parts` hold, in order (the keys of paragraph
/// `p` at `p`'s place in the parts put end to end): `canon_of[p]`, the number of `p`'s
/// distinct text, and `canon[c]`, the first paragraph of distinct text `c`, distinct
/// texts numbered in order of first occurrence. The same answer as sorting every
/// `(key, paragraph)` pair ([`number_reference`] in the tests).
pub(super) fn number_texts(parts: &[&[u128]]) -> (Vec<u32>, Vec<u32>) {
    // The first paragraph of each task's parts.
    let mut starts = Vec::with_capacity(parts.len().div_ceil(PARTS_PER_TASK));
    let mut n = 0;
    for group in parts.chunks(PARTS_PER_TASK) {
        starts.push(n as u32);
        n += group.iter().map(|p| p.len()).sum::<usize>();
    }
    // Each task's pairs by bucket, paragraphs ascending within one.
    let partitioned: Vec<Partition> = parts
        .par_chunks(PARTS_PER_TASK)
        .zip(starts)
        .with_max_len(1)
        .map(|(group, first)| {
            let mut start = vec![0u32; (1 << BUCKET_BITS) + 1];
            for &key in group.iter().copied().flatten() {
                start[bucket(key) + 1] += 1;
            }
            for b in 0..1 << BUCKET_BITS {
                start[b + 1] += start[b];
            }
            let mut fill = start.clone();
            let mut out = vec![(0u128, 0u32); start[1 << BUCKET_BITS] as usize];
            for (&key, p) in group.iter().copied().flatten().zip(first..) {
                let at = &mut fill[bucket(key)];
                out[*at as usize] = (key, p);
                *at += 1;
            }
            (out, start)
        })
        .collect();
    // Every repeat, `(paragraph, first paragraph with its key)`, by paragraph. A
    // bucket's pairs go through a small open-addressing table in paragraph order, so
    // the first pair of a key is its first occurrence. (Sorting each bucket instead
    // was several times slower.)
    const EMPTY: (u128, u32) = (0, u32::MAX);
    let mut repeats: Vec<(u32, u32)> = (0..1usize << BUCKET_BITS)
        .into_par_iter()
        .with_max_len(16)
        .map_init(Vec::new, |table, b| {
            let pairs = partitioned
                .iter()
                .flat_map(|(out, start)| &out[start[b] as usize..start[b + 1] as usize]);
            let len: usize = partitioned
                .iter()
                .map(|(_, start)| (start[b + 1] - start[b]) as usize)
                .sum();
            // At most half full. The keys are hashes: their low bits are as good as
            // any, and the top bits chose the bucket.
            let mask = (2 * len).next_power_of_two().max(16) - 1;
            table.clear();
            table.resize(mask + 1, EMPTY);
            let mut found = Vec::new();
            for &(key, p) in pairs {
                let mut i = key as usize & mask;
                loop {
                    let (k, first) = table[i];
                    if first == u32::MAX {
                        table[i] = (key, p);
                        break;
                    }
                    if k == key {
                        found.push((p, first));
                        break;
                    }
                    i = (i + 1) & mask;
                }
            }
            found
        })
        .flatten_iter()
        .collect();
    drop(partitioned);
    repeats.par_sort_unstable();
    // A first occurrence's number: itself less the repeats before it.
    let number = |p: u32| p - repeats.partition_point(|&(q, _)| q < p) as u32;
    let mut canon_of = vec![0u32; n];
    let firsts: Vec<Vec<u32>> = canon_of
        .par_chunks_mut(NUMBER_PER_TASK)
        .enumerate()
        .with_max_len(1)
        .map(|(t, out)| {
            let lo = (t * NUMBER_PER_TASK) as u32;
            let mut r = repeats.partition_point(|&(q, _)| q < lo);
            let mut firsts = Vec::with_capacity(out.len());
            for (p, slot) in (lo..).zip(out.iter_mut()) {
                if repeats.get(r).is_some_and(|&(q, _)| q == p) {
                    *slot = number(repeats[r].1);
                    r += 1;
                } else {
                    *slot = p - r as u32;
                    firsts.push(p);
                }
            }
            firsts
        })
        .collect();
    let canon: Vec<u32> = firsts.into_iter().flatten().collect();
    (canon_of, canon)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Stage 2's numbering as first written: sort every pair, group equal keys, sort
    /// the first occurrences.
    fn number_reference(keys: &[u128]) -> (Vec<u32>, Vec<u32>) {
        let mut keyed: Vec<(u128, u32)> = keys.iter().zip(0..).map(|(&k, p)| (k, p)).collect();
        keyed.sort_unstable();
        let mut firsts: Vec<(u32, usize, usize)> = Vec::new();
        let mut i = 0;
        while i < keyed.len() {
            let mut j = i + 1;
            while j < keyed.len() && keyed[j].0 == keyed[i].0 {
                j += 1;
            }
            firsts.push((keyed[i].1, i, j));
            i = j;
        }
        firsts.sort_unstable();
        let mut of = vec![0u32; keyed.len()];
        for (c, &(_, lo, hi)) in firsts.iter().enumerate() {
            for &(_, id) in &keyed[lo..hi] {
                of[id as usize] = c as u32;
            }
        }
        (of, firsts.iter().map(|&(first, _, _)| first).collect())
    }

    proptest! {
        /// Partitioned, the numbering is the reference's: keys from a few values (many
        /// repeats) spread over every bucket or crowded into one, in parts of any size.
        #[test]
        fn number_texts_equals_reference(
            picks in prop::collection::vec(0usize..40, 0..3000),
            values in prop::collection::vec(any::<u128>(), 40),
            cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..40),
            crowd in any::<bool>(),
        ) {
            // Crowded: every key in one bucket and on one probe chain (equal top and
            // low bits).
            let value = |v: u128| if crowd { v & (0xFF << 60) } else { v };
            let keys: Vec<u128> = picks.iter().map(|&v| value(values[v])).collect();
            let mut cuts: Vec<usize> = cuts.iter().map(|c| c.index(keys.len() + 1)).collect();
            cuts.extend([0, keys.len()]);
            cuts.sort_unstable();
            let parts: Vec<&[u128]> = cuts.windows(2).map(|w| &keys[w[0]..w[1]]).collect();
            prop_assert_eq!(number_texts(&parts), number_reference(&keys));
        }
    }

    #[test]
    fn repeats_across_parts_and_buckets() {
        let (a, b, c) = (1u128 << 127, 5, u128::MAX);
        let keys = [b, a, b, c, a, a, c];
        let parts = [&keys[..1], &keys[1..1], &keys[1..5], &keys[5..]];
        assert_eq!(
            number_texts(&parts),
            (vec![0, 1, 0, 2, 1, 1, 2], vec![0, 1, 3])
        );
        assert_eq!(number_texts(&[]), (vec![], vec![]));
    }
}
