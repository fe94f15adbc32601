//! Exact all-pairs similarity search by prefix filtering: every pair of sets whose
//! [`Similarity`] reaches the threshold, with no sketch and no miss.
//!
//! Prefix filtering (Chaudhuri, Ganti, Kaushik 2006; Bayardo, Ma, Srikant, "Scaling Up
//! All Pairs Similarity Search", WWW 2007): order every token by how many sets hold it,
//! rarest first, and write each set in that order. If two sets must share at least `o`
//! tokens, then the first `|x| − o + 1` tokens of `x` (its *prefix*) hold one of them,
//! whatever the other set is. So it is enough to index prefixes and look up each set's
//! prefix: candidates are the sets met there, each then verified exactly.
//!
//! - **Jaccard** `≥ t` needs an overlap of at least `⌈t · max(|x|, |y|)⌉`, so both
//!   prefixes are short and share a token, and `|y| ≥ t · |x|` (the length filter).
//!   Sets are taken in order of size; each looks up the smaller sets before it in an
//!   index of prefixes.
//! - **Containment** of the smaller set `x` in `y` `≥ t` needs `|x ∩ y| ≥ ⌈t · |x|⌉`,
//!   which bounds nothing about `y`'s own order: `x`'s prefix looks up *every* token of
//!   the larger sets after it.
//!
//! On natural text most word shingles are rare, so prefixes hold rare tokens and the
//! lists they read are short: this is exact and fast enough to be the reference for the
//! LSH search (the `exact_recall` example runs it on 50,000 paragraphs of the shared
//! corpus). Its worst case is quadratic: many sets made of the same few common tokens
//! (near-copies of a template) read each other's lists. The overlap bound is rounded
//! down by a margin, which can only lengthen prefixes (more candidates, never a miss).
//!
//! ```
//! use paradup::{PrefixFilter, PrefixFilterScratch, Similarity};
//!
//! let sets = vec![vec![1, 2, 3, 4], vec![1, 2, 3, 5], vec![7, 8], vec![1, 2, 3, 4, 9]];
//! let pf = PrefixFilter::new(&sets, Similarity::Jaccard, 0.6);
//! // Jaccard: 3/5 for sets 0 and 1, 4/5 for 0 and 3; 1 and 3 (3/6) fall below 0.6.
//! assert_eq!(pf.all_pairs(), vec![(0, 1, 0.6), (0, 3, 0.8)]);
//! let pf = PrefixFilter::new(&sets, Similarity::Containment, 1.0);
//! assert_eq!(pf.all_pairs(), vec![(0, 3, 1.0)]); // set 0 is inside set 3
//!
//! // In parallel: one scratch per thread, pairs found from each set.
//! let mut scratch = PrefixFilterScratch::default();
//! let mut found = Vec::new();
//! pf.pairs_of(0, &mut scratch, &mut found);
//! assert_eq!(found, vec![(3, 1.0)]);
//! ```

use crate::similarity::Similarity;

/// An index of sets for the exact all-pairs search (see the [module docs](self)).
///
/// Building sorts every token once; [`pairs_of`](Self::pairs_of) then reads `&self`
/// with caller scratch, so one index serves many threads.
#[derive(Clone, Debug)]
pub struct PrefixFilter {
    similarity: Similarity,
    threshold: f64,
    /// Every set as ascending token ranks (rarest token first), concatenated.
    ranks: Vec<u32>,
    /// `ranks[start[i]..start[i + 1]]` is set `i`.
    start: Vec<usize>,
    /// Set ids of the non-empty sets in (size, id) order.
    order: Vec<u32>,
    /// Position of each set in `order` (`u32::MAX` for empty sets).
    pos: Vec<u32>,
    /// `postings[post_start[r]..post_start[r + 1]]`: ascending positions of the sets
    /// whose indexed part holds token rank `r`.
    post_start: Vec<usize>,
    postings: Vec<u32>,
}

/// Reusable scratch for [`PrefixFilter::pairs_of`]: keep one per thread.
#[derive(Clone, Debug, Default)]
pub struct PrefixFilterScratch {
    candidates: Vec<u32>,
}

impl PrefixFilter {
    /// Indexes `sets` (each sorted ascending without duplicates, as
    /// [`Shingler::shingles_into`](crate::Shingler::shingles_into) writes them) for
    /// pairs whose `similarity` is at least `threshold`. Empty sets pair with nothing.
    /// A threshold outside `(0, 1]` is clamped into it.
    pub fn new(sets: &[Vec<u64>], similarity: Similarity, threshold: f64) -> PrefixFilter {
        let threshold = if threshold.is_nan() {
            1.0
        } else {
            threshold.clamp(f64::MIN_POSITIVE, 1.0)
        };
        // Token document frequencies; ranks by (frequency, token).
        let mut all: Vec<u64> = sets.iter().flatten().copied().collect();
        all.sort_unstable();
        let mut tokens: Vec<(u64, u32)> = Vec::new();
        for &t in &all {
            match tokens.last_mut() {
                Some((last, count)) if *last == t => *count += 1,
                _ => tokens.push((t, 1)),
            }
        }
        drop(all);
        let mut by_freq: Vec<u32> = (0..tokens.len() as u32).collect();
        by_freq.sort_unstable_by_key(|&i| (tokens[i as usize].1, tokens[i as usize].0));
        let mut rank_of = vec![0u32; tokens.len()];
        for (r, &i) in by_freq.iter().enumerate() {
            rank_of[i as usize] = r as u32;
        }
        drop(by_freq);
        let mut ranks = Vec::with_capacity(sets.iter().map(Vec::len).sum());
        let mut start = Vec::with_capacity(sets.len() + 1);
        for set in sets {
            start.push(ranks.len());
            let from = ranks.len();
            ranks.extend(set.iter().map(|t| {
                let i = tokens.partition_point(|(u, _)| u < t);
                rank_of[i]
            }));
            ranks[from..].sort_unstable();
        }
        start.push(ranks.len());
        let num_tokens = tokens.len();
        drop(tokens);
        drop(rank_of);

        let len = |i: u32| start[i as usize + 1] - start[i as usize];
        let mut order: Vec<u32> = (0..sets.len() as u32).filter(|&i| len(i) > 0).collect();
        order.sort_unstable_by_key(|&i| (len(i), i));
        let mut pos = vec![u32::MAX; sets.len()];
        for (p, &i) in order.iter().enumerate() {
            pos[i as usize] = p as u32;
        }
        let mut pf = PrefixFilter {
            similarity,
            threshold,
            ranks,
            start,
            order,
            pos,
            post_start: Vec::new(),
            postings: Vec::new(),
        };
        // Postings by counting sort, filled in position order so each list ascends.
        let mut count = vec![0usize; num_tokens + 1];
        for &i in &pf.order {
            for &r in pf.indexed(i) {
                count[r as usize + 1] += 1;
            }
        }
        for r in 0..num_tokens {
            count[r + 1] += count[r];
        }
        let mut postings = vec![0u32; count[num_tokens]];
        let mut fill = count.clone();
        for (p, &i) in pf.order.iter().enumerate() {
            for &r in pf.indexed(i) {
                postings[fill[r as usize]] = p as u32;
                fill[r as usize] += 1;
            }
        }
        pf.post_start = count;
        pf.postings = postings;
        pf
    }

    /// The number of sets indexed (empty ones included).
    pub fn len(&self) -> usize {
        self.pos.len()
    }

    /// Whether no sets were indexed.
    pub fn is_empty(&self) -> bool {
        self.pos.is_empty()
    }

    fn set(&self, i: u32) -> &[u32] {
        &self.ranks[self.start[i as usize]..self.start[i as usize + 1]]
    }

    /// A lower bound of the overlap a set of `len` tokens needs with a partner: the
    /// threshold times `len`, rounded down by a margin that float rounding cannot
    /// cross (a smaller bound only lengthens prefixes).
    fn min_overlap(&self, len: usize) -> usize {
        ((self.threshold * len as f64 - 1e-6).ceil() as usize).clamp(1, len.max(1))
    }

    /// The probing prefix of set `i`.
    fn prefix(&self, i: u32) -> &[u32] {
        let s = self.set(i);
        &s[..s.len() - self.min_overlap(s.len()) + 1]
    }

    /// The part of set `i` in the postings: its prefix for Jaccard, all of it for
    /// containment.
    fn indexed(&self, i: u32) -> &[u32] {
        match self.similarity {
            Similarity::Jaccard => self.prefix(i),
            Similarity::Containment => self.set(i),
        }
    }

    /// Appends to `out` the partners `j` of set `i` that this set finds, with their
    /// similarity: for Jaccard, the sets before `i` in (size, id) order; for
    /// containment, those after it. Over every `i`, each qualifying pair is found
    /// exactly once. `out` is in ascending order of `j`.
    ///
    /// # Panics
    /// If `i` is not below [`len`](Self::len).
    pub fn pairs_of(&self, i: u32, scratch: &mut PrefixFilterScratch, out: &mut Vec<(u32, f64)>) {
        let p = self.pos[i as usize];
        if p == u32::MAX {
            return;
        }
        let x = self.set(i);
        let need = self.min_overlap(x.len());
        let cands = &mut scratch.candidates;
        cands.clear();
        for &r in self.prefix(i) {
            let list = &self.postings[self.post_start[r as usize]..self.post_start[r as usize + 1]];
            match self.similarity {
                Similarity::Jaccard => {
                    for &q in list.iter().take_while(|&&q| q < p) {
                        // Length filter: the partner holds at least `need` tokens.
                        if self.set(self.order[q as usize]).len() >= need {
                            cands.push(q);
                        }
                    }
                }
                Similarity::Containment => {
                    let after = list.partition_point(|&q| q <= p);
                    cands.extend_from_slice(&list[after..]);
                }
            }
        }
        cands.sort_unstable();
        cands.dedup();
        let from = out.len();
        for &q in cands.iter() {
            let j = self.order[q as usize];
            let y = self.set(j);
            let s = self
                .similarity
                .from_counts(intersection(x, y), x.len(), y.len());
            if s >= self.threshold {
                out.push((j, s));
            }
        }
        out[from..].sort_unstable_by_key(|&(j, _)| j);
    }

    /// Every qualifying pair `(i, j, similarity)` with `i < j`, sorted. Sequential; the
    /// [`Deduper`](crate::Deduper) calls [`pairs_of`](Self::pairs_of) in parallel.
    pub fn all_pairs(&self) -> Vec<(u32, u32, f64)> {
        let mut scratch = PrefixFilterScratch::default();
        let mut found = Vec::new();
        let mut out = Vec::new();
        for i in 0..self.len() as u32 {
            found.clear();
            self.pairs_of(i, &mut scratch, &mut found);
            out.extend(found.iter().map(|&(j, s)| (i.min(j), i.max(j), s)));
        }
        out.sort_unstable_by_key(|p| (p.0, p.1));
        out
    }
}

/// `|A ∩ B|` of two ascending `u32` lists.
fn intersection(a: &[u32], b: &[u32]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                n += 1;
                i += 1;
                j += 1;
            }
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Brute force over every pair.
    fn naive(sets: &[Vec<u64>], sim: Similarity, t: f64) -> Vec<(u32, u32, f64)> {
        let mut out = Vec::new();
        for i in 0..sets.len() {
            for j in i + 1..sets.len() {
                if sets[i].is_empty() || sets[j].is_empty() {
                    continue;
                }
                let s = sim.of(&sets[i], &sets[j]);
                if s >= t {
                    out.push((i as u32, j as u32, s));
                }
            }
        }
        out
    }

    /// Sets over a small alphabet with a skewed frequency, from a fixed generator.
    fn sets(seed: u64, n: usize) -> Vec<Vec<u64>> {
        let mut rng = crate::SplitMix64::new(seed);
        (0..n)
            .map(|_| {
                let len = (rng.next_u64() % 12) as usize;
                let mut s: Vec<u64> = (0..len)
                    .map(|_| {
                        let r = rng.next_u64();
                        // Half the tokens from 6 common ones, half from 40.
                        if r & 1 == 0 { r % 6 } else { 6 + r % 40 }
                    })
                    .collect();
                s.sort_unstable();
                s.dedup();
                s
            })
            .collect()
    }

    #[test]
    fn equals_brute_force() {
        for seed in 0..20 {
            let s = sets(seed, 120);
            for sim in [Similarity::Jaccard, Similarity::Containment] {
                for t in [0.2, 1.0 / 3.0, 0.5, 0.7, 0.8, 1.0] {
                    let pf = PrefixFilter::new(&s, sim, t);
                    assert_eq!(pf.all_pairs(), naive(&s, sim, t), "{seed} {sim:?} {t}");
                }
            }
        }
    }

    #[test]
    fn empty_inputs() {
        assert!(
            PrefixFilter::new(&[], Similarity::Jaccard, 0.5)
                .all_pairs()
                .is_empty()
        );
        let s = vec![vec![], vec![], vec![1]];
        assert!(
            PrefixFilter::new(&s, Similarity::Jaccard, 0.5)
                .all_pairs()
                .is_empty()
        );
        let pf = PrefixFilter::new(&s, Similarity::Containment, f64::NAN);
        assert!(pf.all_pairs().is_empty());
        assert_eq!(pf.len(), 3);
    }
}
