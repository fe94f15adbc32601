//! Clusters of near-duplicate paragraphs, and the union-find that builds them.
//!
//! Why union-find with verification: LSH proposes candidate edges, some of them false
//! (two paragraphs that share a band by chance). Each edge is verified (exact Jaccard of
//! the shingle sets by default) before it is united, so every edge inside a cluster is a
//! real near-duplicate relation; clusters are the connected components of verified
//! edges. Union-find makes that linear in the number of edges (path halving, union by
//! smallest id, so the root of each set is its first paragraph in document order).
//!
//! Order: clusters are sorted by their first member, members by paragraph id, which is
//! document order (documents in input order, paragraphs in text order). Neither thread
//! count nor hash-map order affects it.

use crate::paragraph::Paragraph;
use std::time::Duration;

/// Disjoint sets over `0..n` whose root is always the smallest member.
#[derive(Clone, Debug)]
pub struct UnionFind {
    parent: Vec<u32>,
}

impl UnionFind {
    /// `n` singleton sets.
    ///
    /// # Panics
    /// If `n > u32::MAX as usize + 1`.
    pub fn new(n: usize) -> UnionFind {
        assert!(n <= u32::MAX as usize + 1, "too many elements for u32 ids");
        UnionFind {
            parent: (0..n).map(|i| i as u32).collect(),
        }
    }

    /// The root (smallest member) of `x`'s set.
    pub fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            let grand = self.parent[self.parent[x as usize] as usize];
            self.parent[x as usize] = grand;
            x = grand;
        }
        x
    }

    /// Merges the sets of `a` and `b`; returns whether they were apart.
    pub fn union(&mut self, a: u32, b: u32) -> bool {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return false;
        }
        let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
        self.parent[hi as usize] = lo;
        true
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.parent.len()
    }

    /// Whether there are no elements.
    pub fn is_empty(&self) -> bool {
        self.parent.is_empty()
    }

    /// The groups of size two or more, each ascending, sorted by first element.
    pub fn groups(&mut self) -> Vec<Vec<u32>> {
        let n = self.parent.len() as u32;
        let mut size = vec![0u32; self.parent.len()];
        for x in 0..n {
            let r = self.find(x);
            size[r as usize] += 1;
        }
        let mut slot = vec![u32::MAX; self.parent.len()];
        let mut groups: Vec<Vec<u32>> = Vec::new();
        for x in 0..n {
            let r = self.find(x);
            if size[r as usize] < 2 {
                continue;
            }
            if slot[r as usize] == u32::MAX {
                slot[r as usize] = groups.len() as u32;
                groups.push(Vec::with_capacity(size[r as usize] as usize));
            }
            groups[slot[r as usize] as usize].push(x);
        }
        groups
    }
}

/// One member of a [`Cluster`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Member {
    /// Where the paragraph is.
    pub paragraph: Paragraph,
    /// Similarity to the cluster's representative (1.0 for the representative itself
    /// and for exact duplicates of it).
    pub similarity: f64,
    /// Whether the normalized text equals the representative's.
    pub exact: bool,
}

/// A group of near-duplicate paragraphs. Its first member is the representative: the
/// first occurrence in document order.
#[derive(Clone, Debug, PartialEq)]
pub struct Cluster {
    pub(crate) members: Vec<Member>,
}

impl Cluster {
    /// The representative (first occurrence).
    pub fn representative(&self) -> &Member {
        &self.members[0]
    }

    /// All members in document order, representative first.
    pub fn members(&self) -> &[Member] {
        &self.members
    }

    /// Number of members (at least 2).
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Always false: clusters have at least two members.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }
}

/// A verified pair of paragraphs, `a` before `b` in document order.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pair {
    /// The earlier paragraph.
    pub a: Paragraph,
    /// The later paragraph.
    pub b: Paragraph,
    /// Their similarity (1.0 for exact duplicates).
    pub similarity: f64,
}

/// Wall-clock time of each stage of one run (see the stages in
/// [`pipeline`](crate::pipeline)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct StageTimings {
    /// Splitting documents into paragraphs.
    pub paragraphs: Duration,
    /// Normalizing and hashing paragraphs to find exact duplicates.
    pub exact: Duration,
    /// Signatures (shingles and sketches) of the distinct texts.
    pub signatures: Duration,
    /// Finding candidate pairs.
    pub candidates: Duration,
    /// Verifying candidate pairs.
    pub verify: Duration,
    /// Union-find, clusters and pairs.
    pub cluster: Duration,
}

impl StageTimings {
    /// The sum of the stages.
    pub fn total(&self) -> Duration {
        self.paragraphs
            + self.exact
            + self.signatures
            + self.candidates
            + self.verify
            + self.cluster
    }
}

/// Counts from one run, and how long its stages took.
///
/// Equality compares the counts only: [`timings`](Self::timings) are measurements
/// that differ from one run to the next, and two runs with equal results compare
/// equal.
#[derive(Clone, Copy, Debug, Default)]
#[non_exhaustive]
pub struct RunStats {
    /// Documents read.
    pub documents: usize,
    /// Paragraphs found.
    pub paragraphs: usize,
    /// Bytes of paragraph text.
    pub bytes: usize,
    /// Paragraphs whose normalized text repeats an earlier one.
    pub exact_duplicates: usize,
    /// Distinct normalized texts that went through signatures.
    pub distinct: usize,
    /// Candidate pairs proposed by the candidate search (after deduplication).
    pub candidates: usize,
    /// Candidate pairs that passed verification.
    pub verified: usize,
    /// Time per stage.
    pub timings: StageTimings,
}

impl PartialEq for RunStats {
    fn eq(&self, other: &RunStats) -> bool {
        // Exhaustive, so that a new field has to be placed on one side or the other.
        let counts = |s: &RunStats| {
            let RunStats {
                documents,
                paragraphs,
                bytes,
                exact_duplicates,
                distinct,
                candidates,
                verified,
                timings: _,
            } = *s;
            (
                documents,
                paragraphs,
                bytes,
                exact_duplicates,
                distinct,
                candidates,
                verified,
            )
        };
        counts(self) == counts(other)
    }
}

impl Eq for RunStats {}

/// The result of a run: clusters, in a deterministic order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Clusters {
    pub(crate) clusters: Vec<Cluster>,
    pub(crate) pairs: Vec<Pair>,
    pub(crate) stats: RunStats,
}

impl Clusters {
    /// Number of clusters.
    pub fn len(&self) -> usize {
        self.clusters.len()
    }

    /// Whether no near-duplicates were found.
    pub fn is_empty(&self) -> bool {
        self.clusters.is_empty()
    }

    /// The clusters, sorted by their first member.
    pub fn as_slice(&self) -> &[Cluster] {
        &self.clusters
    }

    /// Iterates over the clusters in order.
    pub fn iter(&self) -> std::slice::Iter<'_, Cluster> {
        self.clusters.iter()
    }

    /// Every verified pair: each exact duplicate with the first paragraph of its text,
    /// and each candidate pair that passed verification (between the first paragraphs
    /// of their texts). Sorted by `(a, b)`.
    pub fn pairs(&self) -> &[Pair] {
        &self.pairs
    }

    /// Counts from the run.
    pub fn stats(&self) -> &RunStats {
        &self.stats
    }

    /// Number of paragraphs in some cluster other than as its representative: the
    /// paragraphs a deduper would drop.
    pub fn duplicates(&self) -> usize {
        self.clusters.iter().map(|c| c.len() - 1).sum()
    }
}

impl<'a> IntoIterator for &'a Clusters {
    type Item = &'a Cluster;
    type IntoIter = std::slice::Iter<'a, Cluster>;

    fn into_iter(self) -> Self::IntoIter {
        self.clusters.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn union_find_roots_are_smallest() {
        let mut uf = UnionFind::new(6);
        assert!(uf.union(4, 2));
        assert!(uf.union(5, 4));
        assert!(!uf.union(2, 5));
        assert!(uf.union(1, 0));
        assert_eq!(uf.find(5), 2);
        assert_eq!(uf.groups(), vec![vec![0, 1], vec![2, 4, 5]]);
    }
}
