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
//!
//! # Anti-chaining
//!
//! Connected components chain: if A ~ B and B ~ C, then A and C share a cluster however
//! little they have in common, and on large corpora a few bridges can glue thousands of
//! unrelated paragraphs together. With anti-chaining on (the
//! [default](crate::DeduperBuilder::anti_chaining)), each component is split:
//!
//! 1. the representative `r` is the component's first paragraph;
//! 2. every other member is checked against `r` (exact similarity with exact
//!    verification); those at or above the threshold stay;
//! 3. the members that fall below are taken out, their own connected components (over
//!    the verified pairs among them only) are formed, and each is split in turn from
//!    step 1.
//!
//! **Guarantee**: every member of every cluster has similarity at least the threshold
//! to its cluster's representative (with [`Verification::Exact`](crate::Verification),
//! exactly; with the signature estimate, by the estimate). So, for Jaccard, any two
//! members have Jaccard distance at most `2 · (1 − threshold)` (the Jaccard distance
//! obeys the triangle inequality). Every member was reached from its representative
//! through verified pairs, and exact duplicates always stay together. Members split off
//! are not compared with other components' members: a paragraph that fails its
//! representative may end up alone even if it is similar to a member of another
//! cluster. Cost: one similarity per member and round; a component that splits into
//! `k` clusters costs at most `k` rounds over what remains of it.
//!
//! # Keeping one per cluster
//!
//! Deduplication keeps one member of each cluster and drops the others. [`Keep`] says
//! which one stays; [`Clusters::kept`], [`Clusters::dropped`] and
//! [`Clusters::keep_mask`] give the answer as paragraphs or, when each document is one
//! paragraph, as a mask over the documents.
//!
//! The cluster-size guard ([`max_cluster_size`](crate::DeduperBuilder::max_cluster_size))
//! only reports: [`Clusters::oversized`] lists the clusters larger than the limit, and
//! [`RunStats`] counts them, so that a caller can look before trusting them.

use crate::paragraph::Paragraph;
use crate::similarity::{Direction, Similarity};
use std::borrow::Cow;
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

    /// The root of `x`'s set, without shortening the path there: for many threads
    /// reading the sets at once.
    pub(crate) fn root(&self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            x = self.parent[x as usize];
        }
        x
    }

    /// Brings `x`'s parent into the cache, for a [`root`](Self::root) soon after.
    #[inline]
    pub(crate) fn prefetch(&self, x: u32) {
        if let Some(p) = self.parent.get(x as usize) {
            crate::arch::prefetch(p);
        }
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

/// Undirected adjacency lists, for anti-chaining: every edge in both directions,
/// sorted, so a node's neighbours are one run. It holds only the nodes that have
/// edges: rows over all `n` distinct texts (two `usize` per text, a prefix sum and a
/// fill over them) cost time on one thread in proportion to every distinct text, for
/// the few thousand texts in verified pairs.
#[derive(Clone, Debug, Default)]
pub(crate) struct Adjacency {
    arcs: Vec<(u32, u32)>,
}

impl Adjacency {
    /// The graph with the edges `(a, b)`, each in both directions.
    pub(crate) fn new(edges: impl Iterator<Item = (u32, u32)>) -> Adjacency {
        let mut arcs: Vec<(u32, u32)> = edges.flat_map(|(a, b)| [(a, b), (b, a)]).collect();
        arcs.sort_unstable();
        Adjacency { arcs }
    }

    /// The neighbours of `x`, ascending (with repeats if an edge was given twice).
    fn neighbours(&self, x: u32) -> impl Iterator<Item = u32> + '_ {
        let lo = self.arcs.partition_point(|&(a, _)| a < x);
        let len = self.arcs[lo..].partition_point(|&(a, _)| a == x);
        self.arcs[lo..lo + len].iter().map(|&(_, y)| y)
    }
}

/// Splits one connected group of nodes (ascending) so that every node passes `check`
/// against its part's first node (see the [module docs](self), "Anti-chaining").
/// `check(rep, x)` gives the similarity of `x` to `rep` and whether it passes.
///
/// Returns the parts, each as `(node, similarity to the part's first node)` in
/// ascending node order (the first node with 1.0), parts sorted by first node; and
/// the number of nodes taken out of a part on the way.
pub(crate) fn split_chains(
    group: &[u32],
    adjacency: &Adjacency,
    check: impl FnMut(u32, u32) -> (f64, bool),
) -> (Vec<Vec<(u32, f64)>>, usize) {
    split_chains_with(group, |_| Cow::Borrowed(adjacency), check)
}

/// [`split_chains`] with the adjacency made only if some node fails the group's first:
/// `adjacency(rest)` of the nodes that failed it (ascending), which every later round
/// stays within, so only edges among them are read.
pub(crate) fn split_chains_with<'a>(
    group: &[u32],
    adjacency: impl FnOnce(&[u32]) -> Cow<'a, Adjacency>,
    mut check: impl FnMut(u32, u32) -> (f64, bool),
) -> (Vec<Vec<(u32, f64)>>, usize) {
    let mut adjacency = Some(adjacency);
    let mut built: Option<Cow<'a, Adjacency>> = None;
    let mut parts = Vec::new();
    let mut moved = 0;
    let mut work: Vec<Vec<u32>> = vec![group.to_vec()];
    while let Some(nodes) = work.pop() {
        let Some((&rep, others)) = nodes.split_first() else {
            continue;
        };
        let mut part = vec![(rep, 1.0)];
        let mut rest = Vec::new();
        for &x in others {
            match check(rep, x) {
                (s, true) => part.push((x, s)),
                _ => rest.push(x),
            }
        }
        parts.push(part);
        if rest.is_empty() {
            continue;
        }
        moved += rest.len();
        let adjacency = built.get_or_insert_with(|| {
            let make = adjacency
                .take()
                .expect("made once, for the first round's rest");
            make(&rest)
        });
        // Connected components of `rest` (ascending) over the edges among its nodes.
        let mut seen = vec![false; rest.len()];
        let mut stack = Vec::new();
        for i in 0..rest.len() {
            if seen[i] {
                continue;
            }
            seen[i] = true;
            stack.push(rest[i]);
            let mut component = Vec::new();
            while let Some(x) = stack.pop() {
                component.push(x);
                for y in adjacency.neighbours(x) {
                    if let Ok(j) = rest.binary_search(&y)
                        && !seen[j]
                    {
                        seen[j] = true;
                        stack.push(y);
                    }
                }
            }
            component.sort_unstable();
            work.push(component);
        }
    }
    parts.sort_unstable_by_key(|p| p[0].0);
    (parts, moved)
}

/// One member of a [`Cluster`].
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct Member {
    /// Where the paragraph is.
    pub paragraph: Paragraph,
    /// Similarity to the cluster's representative (1.0 for the representative itself
    /// and for exact duplicates of it).
    pub similarity: f64,
    /// Whether the normalized text equals the representative's.
    pub exact: bool,
    /// Which of the representative (first) and this member (second) is contained in the
    /// other, under [`Similarity::Containment`];
    /// [`Direction::Mutual`] for Jaccard.
    pub direction: Direction,
}

/// Which member of a cluster stays when the others are dropped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Keep {
    /// The first in input order (the representative). The default.
    #[default]
    First,
    /// The longest in bytes; the first of those on a tie.
    Longest,
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

    /// The member that stays under `keep` (see [`Keep`]).
    ///
    /// ```
    /// use paradup::{Deduper, Keep, ParagraphMode};
    ///
    /// let docs = ["the quick brown fox jumps over the lazy dog",
    ///             "the quick brown fox jumps over the lazy dog again and again"];
    /// let d = Deduper::builder().threshold(0.5).paragraphs(ParagraphMode::Whole).build().unwrap();
    /// let clusters = d.run_documents(&docs);
    /// assert_eq!(clusters[0].kept(Keep::First).paragraph.doc, 0);
    /// assert_eq!(clusters[0].kept(Keep::Longest).paragraph.doc, 1);
    /// ```
    pub fn kept(&self, keep: Keep) -> &Member {
        &self.members[self.kept_index(keep)]
    }

    /// Index into [`members`](Self::members) of [`kept`](Self::kept).
    pub(crate) fn kept_index(&self, keep: Keep) -> usize {
        match keep {
            Keep::First => 0,
            // `rev` so that `max_by_key`, which returns the last maximum, gives the first.
            Keep::Longest => (0..self.members.len())
                .rev()
                .max_by_key(|&i| self.members[i].paragraph.len())
                .unwrap_or(0),
        }
    }
}

/// A pair of similar paragraphs, `a` before `b` in document order: from
/// [`Clusters::pairs`] (verified pairs: each exact copy with the first paragraph of its
/// text, and the pairs verified between first paragraphs) or
/// [`Clusters::pairs_expanded`] (those and every pair they imply through exact copies).
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct Pair {
    /// The earlier paragraph.
    pub a: Paragraph,
    /// The later paragraph.
    pub b: Paragraph,
    /// Their similarity (1.0 for exact duplicates).
    pub similarity: f64,
    /// Which of `a` (first) and `b` (second) is contained in the other, under
    /// [`Similarity::Containment`];
    /// [`Direction::Mutual`] for Jaccard.
    pub direction: Direction,
    /// Whether the normalized texts are equal (an exact duplicate).
    pub exact: bool,
}

/// Wall-clock time of each stage of one run (see the stages in
/// [`pipeline`](crate::pipeline)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct StageTimings {
    /// Splitting documents into paragraphs.
    pub paragraphs: Duration,
    /// Normalizing and hashing paragraphs to find exact duplicates. With MinHash,
    /// banded LSH and exact verification (the defaults), the band keys of every
    /// paragraph are made in the same pass and timed here.
    pub exact: Duration,
    /// Signatures (shingles and sketches) of the distinct texts; next to nothing when
    /// they were made with the exact keys (see [`exact`](Self::exact)).
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
    /// Candidate pairs that passed verification (without
    /// [`all_pairs`](crate::DeduperBuilder::all_pairs): of those verified, which leaves
    /// out pairs of texts already joined).
    pub verified: usize,
    /// Distinct texts that anti-chaining took out of a cluster because they fell below
    /// the threshold against its representative (counted once per time taken out; 0
    /// with anti-chaining off).
    pub split_off: usize,
    /// Members of the largest cluster (0 when there is none).
    pub largest_cluster: usize,
    /// Clusters larger than the size limit ([`Clusters::oversized`]).
    pub oversized_clusters: usize,
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
                split_off,
                largest_cluster,
                oversized_clusters,
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
                split_off,
                largest_cluster,
                oversized_clusters,
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
    pub(crate) oversized: Vec<usize>,
    pub(crate) similarity: Similarity,
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
    ///
    /// Without [`all_pairs`](crate::DeduperBuilder::all_pairs), only the pairs verified,
    /// which leaves out some pairs of texts already joined by others.
    ///
    /// Pairs that follow from these through exact copies are not listed: with `A2` an
    /// exact copy of `A` and `A ~ B` verified, `A2 ~ B` is not here, nor is `A2 ~ A3`
    /// when both copy `A`. [`pairs_expanded`](Self::pairs_expanded) lists them too.
    pub fn pairs(&self) -> &[Pair] {
        &self.pairs
    }

    /// Every pair of [`pairs`](Self::pairs) and every pair they imply through exact
    /// copies: all pairs among the copies of one text (similarity 1.0, `exact`), and for
    /// each pair verified between two texts, every copy of one with every copy of the
    /// other (with the verified pair's similarity; direction as seen from `a`). For
    /// scoring or joining on pairs, where a copy must not lose the pairs of its text.
    ///
    /// The order is [`pairs`](Self::pairs)' with each pair followed by those it
    /// implies. Generated as iterated: a text with `k` copies implies about `k²/2`
    /// pairs, so count before collecting where texts repeat many times.
    ///
    /// ```
    /// use paradup::Deduper;
    ///
    /// let a = "The committee approved the budget for the new library on Tuesday evening.";
    /// let b = "The committee approved the budget for the new public library on Tuesday evening.";
    /// let clusters = Deduper::new().run([a, a, b]);
    /// let ids = |p: &paradup::Pair| (p.a.doc, p.b.doc);
    /// // Verified: the copy with its first, and the first with `b`.
    /// assert_eq!(clusters.pairs().iter().map(ids).collect::<Vec<_>>(), [(0, 1), (0, 2)]);
    /// // Expanded: the copy with `b` too.
    /// let all: Vec<_> = clusters.pairs_expanded().map(|p| ids(&p)).collect();
    /// assert_eq!(all, [(0, 1), (0, 2), (1, 2)]);
    /// ```
    pub fn pairs_expanded(&self) -> ExpandedPairs<'_> {
        ExpandedPairs::new(&self.pairs)
    }

    /// Counts from the run.
    pub fn stats(&self) -> &RunStats {
        &self.stats
    }

    /// Indices (into [`as_slice`](Self::as_slice)) of the clusters with more members
    /// than the deduper's [size limit](crate::DeduperBuilder::max_cluster_size),
    /// ascending.
    pub fn oversized(&self) -> &[usize] {
        &self.oversized
    }

    /// The similarity measure of the run: what [`Member::similarity`] and
    /// [`Pair::similarity`] measure.
    pub fn similarity(&self) -> Similarity {
        self.similarity
    }

    /// Number of paragraphs in some cluster other than as its representative: the
    /// paragraphs a deduper would drop.
    pub fn duplicates(&self) -> usize {
        self.clusters.iter().map(|c| c.len() - 1).sum()
    }

    /// The paragraph that stays of each cluster under `keep`, in cluster order.
    pub fn kept(&self, keep: Keep) -> Vec<Paragraph> {
        self.clusters
            .iter()
            .map(|c| c.kept(keep).paragraph)
            .collect()
    }

    /// The paragraphs to drop under `keep`: every member of every cluster but the one
    /// that stays, in document order (by document, then paragraph index).
    ///
    /// ```
    /// use paradup::{Deduper, Keep, ParagraphMode};
    ///
    /// let text = "A short line that is said twice here.\n\
    ///             Something else.\n\
    ///             A short line that is said twice here, and then some more.\n\
    ///             A short line that is said twice here.\n";
    /// let deduper = Deduper::builder().paragraphs(ParagraphMode::Lines).build().unwrap();
    /// let clusters = deduper.run_documents(&[text]);
    /// let lines = |ps: Vec<paradup::Paragraph>| ps.iter().map(|p| p.line).collect::<Vec<_>>();
    /// assert_eq!(lines(clusters.dropped(Keep::First)), [3, 4]);
    /// assert_eq!(lines(clusters.dropped(Keep::Longest)), [1, 4]);
    /// assert_eq!(lines(clusters.kept(Keep::Longest)), [3]);
    /// ```
    pub fn dropped(&self, keep: Keep) -> Vec<Paragraph> {
        let mut out = Vec::with_capacity(self.duplicates());
        for c in &self.clusters {
            let kept = c.kept_index(keep);
            let others = c.members.iter().enumerate().filter(|&(i, _)| i != kept);
            out.extend(others.map(|(_, m)| m.paragraph));
        }
        // `Paragraph` orders by document, then index.
        out.sort_unstable();
        out
    }

    /// Which of the first `documents` documents to keep when each document is one
    /// paragraph: `false` for a document that holds a [dropped](Self::dropped)
    /// paragraph, `true` for every other. Documents at or past `documents` are left
    /// out. With several paragraphs per document, a `false` says only that some
    /// paragraph of it repeats another; use [`dropped`](Self::dropped) there.
    ///
    /// Deduplicating a list of paragraphs, keeping the first of each group:
    ///
    /// ```
    /// use paradup::{Deduper, Keep};
    ///
    /// let items: Vec<String> = vec![
    ///     "Putin met Kim Jong-un at a spaceport in Russia's far east on Wednesday.".into(),
    ///     "Markets were calm.".into(),
    ///     "Putin met Kim Jong-un at a spaceport in Russia's far east, on Wednesday.".into(),
    ///     "Putin met Kim Jong-un at a spaceport in Russia's far east on Wednesday.".into(),
    /// ];
    /// // `run`: each item is one paragraph, whatever line breaks it holds.
    /// let clusters = Deduper::new().run(&items);
    ///
    /// let mask = clusters.keep_mask(Keep::First, items.len());
    /// let unique: Vec<&String> = items.iter().zip(mask).filter_map(|(s, k)| k.then_some(s)).collect();
    ///
    /// assert_eq!(unique, [&items[0], &items[1]]);
    /// assert_eq!(clusters.keep_mask(Keep::First, 2), [true, true]);
    /// ```
    pub fn keep_mask(&self, keep: Keep, documents: usize) -> Vec<bool> {
        let mut mask = vec![true; documents];
        for p in self.dropped(keep) {
            if let Some(slot) = mask.get_mut(p.doc as usize) {
                *slot = false;
            }
        }
        mask
    }
}

/// The `i`-th cluster, as `clusters.as_slice()[i]`.
///
/// # Panics
/// If `i >= self.len()`; [`as_slice`](Clusters::as_slice)`().get(i)` is the fallible
/// twin.
impl std::ops::Index<usize> for Clusters {
    type Output = Cluster;

    fn index(&self, i: usize) -> &Cluster {
        &self.clusters[i]
    }
}

/// The iterator of [`Clusters::pairs_expanded`].
#[derive(Clone, Debug)]
pub struct ExpandedPairs<'a> {
    pairs: &'a [Pair],
    /// Each text with copies: its first paragraph, then its copies in document order.
    groups: Vec<Vec<Paragraph>>,
    /// The group of a first paragraph, by `(doc, index)`.
    group_of: ahash::HashMap<(u32, u32), usize>,
    /// The place of a copy in its group, by `(doc, index)`.
    place_of: ahash::HashMap<(u32, u32), usize>,
    /// The pair being expanded, and the place in its expansion.
    at: usize,
    i: usize,
    j: usize,
}

fn key(p: &Paragraph) -> (u32, u32) {
    (p.doc, p.index)
}

impl<'a> ExpandedPairs<'a> {
    fn new(pairs: &'a [Pair]) -> ExpandedPairs<'a> {
        let mut groups: Vec<Vec<Paragraph>> = Vec::new();
        let mut group_of = ahash::HashMap::default();
        let mut place_of = ahash::HashMap::default();
        // Sorted by (a, b): the copies of one first come in document order.
        for p in pairs.iter().filter(|p| p.exact) {
            let g = *group_of.entry(key(&p.a)).or_insert_with(|| {
                groups.push(vec![p.a]);
                groups.len() - 1
            });
            place_of.insert(key(&p.b), groups[g].len());
            groups[g].push(p.b);
        }
        ExpandedPairs {
            pairs,
            groups,
            group_of,
            place_of,
            at: 0,
            i: 0,
            j: 0,
        }
    }

    /// `p` and its copies, `p` first.
    fn group(&self, p: &'a Paragraph) -> &[Paragraph] {
        match self.group_of.get(&key(p)) {
            Some(&g) => &self.groups[g],
            None => std::slice::from_ref(p),
        }
    }
}

impl Iterator for ExpandedPairs<'_> {
    type Item = Pair;

    fn next(&mut self) -> Option<Pair> {
        loop {
            let p = self.pairs.get(self.at)?;
            if p.exact {
                // The copy `p.b` with its first and with every copy before it.
                let group = self.group(&p.a);
                if self.j < self.place_of[&key(&p.b)] {
                    let a = group[self.j];
                    self.j += 1;
                    return Some(Pair { a, ..*p });
                }
            } else if self.i < self.group(&p.a).len() {
                let (ga, gb) = (self.group(&p.a), self.group(&p.b));
                let (x, y, len) = (ga[self.i], gb[self.j], gb.len());
                self.j += 1;
                if self.j == len {
                    (self.i, self.j) = (self.i + 1, 0);
                }
                return Some(if key(&x) < key(&y) {
                    Pair { a: x, b: y, ..*p }
                } else {
                    let direction = p.direction.reversed();
                    Pair {
                        a: y,
                        b: x,
                        direction,
                        ..*p
                    }
                });
            }
            (self.at, self.i, self.j) = (self.at + 1, 0, 0);
        }
    }
}

impl<'a> IntoIterator for &'a Clusters {
    type Item = &'a Cluster;
    type IntoIter = std::slice::Iter<'a, Cluster>;

    fn into_iter(self) -> Self::IntoIter {
        self.clusters.iter()
    }
}

/// The clusters in order, by value (the pairs and statistics are dropped: read them
/// first).
impl IntoIterator for Clusters {
    type Item = Cluster;
    type IntoIter = std::vec::IntoIter<Cluster>;

    fn into_iter(self) -> Self::IntoIter {
        self.clusters.into_iter()
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

    /// Nodes on a line, similar to their neighbours only: 0 ~ 1 ~ 2 ~ 3 ~ 4 ~ 5.
    #[test]
    fn a_chain_splits_into_pairs() {
        let edges = [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5)];
        let adj = Adjacency::new(edges.iter().copied());
        let mut checks = Vec::new();
        let (parts, moved) = split_chains(&[0, 1, 2, 3, 4, 5], &adj, |r, x| {
            checks.push((r, x));
            (0.9, x == r + 1)
        });
        assert_eq!(
            parts,
            vec![
                vec![(0, 1.0), (1, 0.9)],
                vec![(2, 1.0), (3, 0.9)],
                vec![(4, 1.0), (5, 0.9)],
            ]
        );
        assert_eq!(moved, 4 + 2);
        assert_eq!(
            checks,
            [
                (0, 1),
                (0, 2),
                (0, 3),
                (0, 4),
                (0, 5),
                (2, 3),
                (2, 4),
                (2, 5),
                (4, 5)
            ]
        );
    }

    #[test]
    fn split_off_nodes_regroup_only_through_their_own_edges() {
        // 0 is the hub of 1, 2, 3 and 4. 2 and 3 fail it but share their own edge, so
        // they regroup; 5, linked only to 1 (which stays with 0), fails 0 and ends
        // alone.
        let edges = [(0, 1), (0, 2), (0, 3), (2, 3), (0, 4), (1, 5)];
        let adj = Adjacency::new(edges.iter().copied());
        let (parts, moved) = split_chains(&[0, 1, 2, 3, 4, 5], &adj, |r, x| {
            let pass = (r, x) != (0, 2) && (r, x) != (0, 3) && (r, x) != (0, 5);
            (if pass { 0.8 } else { 0.1 }, pass)
        });
        assert_eq!(
            parts,
            vec![
                vec![(0, 1.0), (1, 0.8), (4, 0.8)],
                vec![(2, 1.0), (3, 0.8)],
                vec![(5, 1.0)],
            ]
        );
        assert_eq!(moved, 3);
    }

    #[test]
    fn nothing_fails_nothing_moves() {
        let adj = Adjacency::new([(0u32, 1u32), (1, 2)].iter().copied());
        let (parts, moved) = split_chains(&[0, 1, 2], &adj, |_, _| (0.5, true));
        assert_eq!(parts, vec![vec![(0, 1.0), (1, 0.5), (2, 0.5)]]);
        assert_eq!(moved, 0);
        let (parts, _) = split_chains(&[], &adj, |_, _| (0.5, true));
        assert!(parts.is_empty());
    }
}
