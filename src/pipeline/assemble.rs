//! Stages 5 and 6, shared by [`Deduper::run_documents`] and [`Deduper::run_stream`]: verify the
//! candidate pairs of distinct texts, then group paragraphs into clusters.

use super::{Deduper, lap};
use crate::cluster::{
    Adjacency, Cluster, Clusters, Member, Pair, RunStats, StageTimings, UnionFind, split_chains,
    split_chains_with,
};
use crate::minhash::estimate_jaccard;
use crate::paragraph::Paragraph;
use crate::progress::{Progress, Stage};
use crate::simhash::{estimate_cosine, hamming};
use crate::similarity::{Direction, Similarity};
use crate::text::shingle::intersection_len;
use rayon::prelude::*;
use std::borrow::Cow;
use std::time::Instant;

/// Read access to a column of per-paragraph or per-text values, held in a `Vec` or
/// in blocks (the stream's storage, which never copies to grow).
pub(super) trait Column<T>: Sync {
    fn len(&self) -> usize;
    fn at(&self, i: usize) -> T;
}

impl<T: Copy + Sync> Column<T> for &[T] {
    fn len(&self) -> usize {
        <[T]>::len(self)
    }
    fn at(&self, i: usize) -> T {
        self[i]
    }
}

impl<T: Copy + Sync> Column<T> for Vec<T> {
    fn len(&self) -> usize {
        Vec::len(self)
    }
    fn at(&self, i: usize) -> T {
        self[i]
    }
}

/// Candidate pairs per round of [`Deduper::verify_joining`]: enough for both threads'
/// tasks of 1024 pairs, few enough that most pairs of a group of near-copies come
/// after the round that joined it.
pub(super) const JOIN_ROUND: usize = 1 << 14;

/// The steps of [`Evidence::prefetch`], and how many pairs ahead each step is of the
/// next (verification prefetches the second text of the pair `PREFETCH_DISTANCE`
/// ahead for the last step, twice that for the one before, and so on).
const PREFETCH_STEPS: usize = 3;
const PREFETCH_DISTANCE: usize = 4;

/// Values per arena chunk of [`SetArena`]: 8 MB.
const ARENA_CHUNK: usize = 1 << 20;

/// Shingle sets packed in large chunks: 12 bytes of bookkeeping per set instead of a
/// `Vec`'s 24 plus its allocation, and no doubling slack (2 M sets of a 10 M-paragraph
/// stream held 0.6 GB of shingles).
#[derive(Default)]
pub(super) struct SetArena {
    chunks: Vec<Vec<u64>>,
    /// Per set: chunk, start, length.
    spans: Vec<(u32, u32, u32)>,
}

impl SetArena {
    /// Appends a set; it is `get(len() - 1)`.
    pub fn push(&mut self, set: &[u64]) {
        let fits = self
            .chunks
            .last()
            .is_some_and(|c| c.capacity() - c.len() >= set.len());
        if !fits {
            self.chunks
                .push(Vec::with_capacity(ARENA_CHUNK.max(set.len())));
        }
        let chunk = self.chunks.len() - 1;
        let c = &mut self.chunks[chunk];
        self.spans
            .push((chunk as u32, c.len() as u32, set.len() as u32));
        c.extend_from_slice(set);
    }

    pub fn len(&self) -> usize {
        self.spans.len()
    }

    pub fn get(&self, i: usize) -> &[u64] {
        let (chunk, start, len) = self.spans[i];
        &self.chunks[chunk as usize][start as usize..(start + len) as usize]
    }

    /// Brings the start of set `i` into the cache.
    #[inline]
    fn prefetch(&self, i: usize) {
        if let Some(&(chunk, start, _)) = self.spans.get(i)
            && let Some(x) = self.chunks[chunk as usize].get(start as usize)
        {
            crate::arch::prefetch(x);
        }
    }

    /// The sets of `parts`, in order: each part is a buffer of sets put end to end and
    /// their lengths. The buffers become the arena's chunks as they are (no copy).
    ///
    /// # Panics
    /// If a part's lengths add up to more than its buffer.
    pub fn from_parts(parts: Vec<(Vec<u64>, Vec<usize>)>) -> SetArena {
        let mut arena = SetArena::default();
        for (flat, lens) in parts {
            let chunk = arena.chunks.len() as u32;
            let mut at = 0usize;
            for len in lens {
                assert!(at + len <= flat.len(), "set past the end of its buffer");
                arena.spans.push((chunk, at as u32, len as u32));
                at += len;
            }
            arena.chunks.push(flat);
        }
        arena
    }

    /// The sets of `sets`, in order, freeing each once copied.
    pub fn from_vecs(sets: Vec<Vec<u64>>) -> SetArena {
        let mut arena = SetArena::default();
        for set in sets {
            arena.push(&set);
        }
        arena
    }
}

/// What verification reads for the distinct texts that candidate pairs involve.
pub(super) enum Evidence<'a> {
    /// Shingle sets: `sets.get(slot[c])` for distinct text `c` (`u32::MAX`: no set).
    Sets { slot: Vec<u32>, sets: SetArena },
    /// MinHash signatures, `k` slots each: of every distinct text in order
    /// (`slot: None`), or of distinct text `c` at `slot[c]`.
    Signatures {
        slot: Option<Vec<u32>>,
        sigs: &'a [u32],
        k: usize,
    },
    /// SimHash fingerprints of every distinct text, and the search radius.
    Fingerprints { fps: &'a [u64], max_hamming: u32 },
}

impl Evidence<'_> {
    /// The similarity of distinct texts `a` and `b` (`sizes`: shingle-set sizes, for
    /// containment from signatures).
    pub fn similarity(&self, a: u32, b: u32, measure: Similarity, sizes: &[u32]) -> f64 {
        match self {
            Evidence::Sets { slot, sets } => {
                let (x, y) = (
                    sets.get(slot[a as usize] as usize),
                    sets.get(slot[b as usize] as usize),
                );
                measure.from_counts(intersection_len(x, y), x.len(), y.len())
            }
            Evidence::Signatures { slot, sigs, k } => {
                let at = |c: u32| match slot {
                    Some(slot) => slot[c as usize] as usize,
                    None => c as usize,
                };
                let (i, j, k) = (at(a), at(b), *k);
                let est = estimate_jaccard(&sigs[i * k..(i + 1) * k], &sigs[j * k..(j + 1) * k]);
                match measure {
                    Similarity::Jaccard => est,
                    _ => measure.from_jaccard(
                        est,
                        sizes[a as usize] as usize,
                        sizes[b as usize] as usize,
                    ),
                }
            }
            Evidence::Fingerprints { fps, .. } => {
                estimate_cosine(hamming(fps[a as usize], fps[b as usize]))
            }
        }
    }

    /// Brings what [`verify`](Self::verify) reads of text `c` into the cache, in
    /// [`PREFETCH_STEPS`] steps, each a load that the step before prefetched: `step`
    /// 0 the slot, 1 the set's place, 2 the set. A pair's second text is anywhere,
    /// and its set behind three loads that each missed the cache.
    #[inline]
    fn prefetch(&self, c: u32, step: usize) {
        if let Evidence::Sets { slot, sets } = self {
            match step {
                0 => {
                    if let Some(x) = slot.get(c as usize) {
                        crate::arch::prefetch(x);
                    }
                }
                1 => {
                    if let Some(&i) = slot.get(c as usize)
                        && let Some(x) = sets.spans.get(i as usize)
                    {
                        crate::arch::prefetch(x);
                    }
                }
                _ => {
                    if let Some(&i) = slot.get(c as usize) {
                        sets.prefetch(i as usize);
                    }
                }
            }
        }
    }

    /// Whether `a` and `b` can reach `threshold` at all, from the sizes of their sets:
    /// the similarity if the smaller set were inside the larger (the most it can be).
    /// `false` means the pair fails; it skips about 40% of the candidate pairs of the
    /// 48 MB corpus (word 2-grams at 0.6) without intersecting their sets.
    pub fn may_pass(&self, a: u32, b: u32, measure: Similarity, threshold: f64) -> bool {
        match self {
            Evidence::Sets { slot, sets } => {
                let (x, y) = (
                    sets.get(slot[a as usize] as usize).len(),
                    sets.get(slot[b as usize] as usize).len(),
                );
                measure.from_counts(x.min(y), x, y) >= threshold
            }
            _ => true,
        }
    }

    /// The similarity of `a` and `b` if they are near-duplicates at `threshold`
    /// ([`may_pass`](Self::may_pass), then [`passes`](Self::passes)): the check of
    /// every candidate pair.
    pub fn verify(
        &self,
        a: u32,
        b: u32,
        measure: Similarity,
        threshold: f64,
        sizes: &[u32],
    ) -> Option<f64> {
        if !self.may_pass(a, b, measure, threshold) {
            return None;
        }
        let s = self.similarity(a, b, measure, sizes);
        self.passes(a, b, s, threshold).then_some(s)
    }

    /// Whether `a` and `b`, of similarity `s`, are near-duplicates at `threshold`
    /// (fingerprints: within the Hamming radius instead).
    pub fn passes(&self, a: u32, b: u32, s: f64, threshold: f64) -> bool {
        match self {
            Evidence::Fingerprints { fps, max_hamming } => {
                hamming(fps[a as usize], fps[b as usize]) <= *max_hamming
            }
            _ => s >= threshold,
        }
    }
}

/// The counts of a run besides its clusters (see [`RunStats`]).
pub(super) struct Counts {
    pub documents: usize,
    pub paragraphs: usize,
    pub bytes: usize,
    pub distinct: usize,
    pub candidates: usize,
    pub verified: usize,
    pub split_off: usize,
}

/// The check of one candidate pair: its similarity if it passes.
type PairCheck<'a> = dyn Fn(u32, u32) -> Option<f64> + Sync + 'a;

/// What [`Deduper::group_clusters`] reads: the paragraphs and their texts, the
/// verified pairs' adjacency, and the measures.
struct Parts<'a, 'f> {
    paragraphs: &'a dyn Column<Paragraph>,
    canon_of: &'a dyn Column<u32>,
    canon: &'a dyn Column<u32>,
    adjacency: &'f Adjacency,
    /// Without every verified pair: the candidate pairs (sorted) and their check, for
    /// the adjacency of the texts that fail their representative.
    lazy: Option<(&'f [(u32, u32)], &'f PairCheck<'f>)>,
    similarity: &'f (dyn Fn(u32, u32) -> f64 + Sync),
    passes: &'f (dyn Fn(u32, u32, f64) -> bool + Sync),
    direction: &'f (dyn Fn(u32, u32) -> Direction + Sync),
}

/// Everything the first stages found, in the numbering both pipelines share:
/// paragraphs in document order, distinct texts in order of first occurrence.
pub(super) struct Found<'a> {
    pub documents: usize,
    pub paragraphs: &'a dyn Column<Paragraph>,
    /// Total bytes of the paragraphs.
    pub bytes: usize,
    /// For each paragraph, its distinct text.
    pub canon_of: &'a dyn Column<u32>,
    /// For each distinct text, its first paragraph.
    pub canon: &'a dyn Column<u32>,
    /// Candidate pairs of distinct texts, `(lo, hi)`, sorted and deduplicated.
    pub edges: Vec<(u32, u32)>,
    /// With containment, the shingle-set size of each distinct text; else empty.
    pub sizes: &'a [u32],
    /// The pairs of `edges` already verified, when an earlier pass did it (the disk
    /// mode's windows): then `edges` is kept only for the lazy adjacency.
    pub verified: Option<Vec<(u32, u32, f64)>>,
}

impl Deduper {
    /// Verifies `found.edges` with `evidence` and builds the clusters.
    pub(super) fn assemble(
        &self,
        found: Found<'_>,
        evidence: &Evidence<'_>,
        mut timings: StageTimings,
        clock: &mut Instant,
        progress: Option<&Progress>,
    ) -> Clusters {
        let Found {
            documents,
            paragraphs,
            bytes,
            canon_of,
            canon,
            edges,
            sizes,
            verified,
        } = found;
        let n = paragraphs.len();
        let distinct = canon.len();
        let candidates = edges.len();
        let measure = self.similarity;
        let similarity = |a: u32, b: u32| evidence.similarity(a, b, measure, sizes);
        let passes = |a: u32, b: u32, s: f64| evidence.passes(a, b, s, self.threshold);
        let verified = if let Some(v) = verified {
            v
        } else if self.all_pairs {
            self.verify_pairs(&edges, evidence, sizes, progress)
        } else {
            self.verify_joining(&edges, evidence, sizes, distinct, progress)
        };
        // Without every verified pair, anti-chaining verifies the candidates among the
        // members that fail their representative when it needs them.
        let lazy = !self.all_pairs && self.anti_chaining;
        let edges = if lazy { edges } else { Vec::new() };
        timings.verify += lap(clock);
        if let Some(p) = progress {
            p.enter(Stage::Cluster, 0);
        }

        // 6. Clusters: distinct texts joined by verified pairs, with every paragraph
        //    of each. Union-find over the few texts involved, not every paragraph: a
        //    union per paragraph and two passes over all of them ran on one thread
        //    while the other idled.
        let (repeats, placed) = connected(&verified, canon_of, canon);
        // Each group's paragraphs, ascending; groups in order of first paragraph.
        let groups = placed.chunk_by(|x, y| x.0 == y.0);
        // Which of two distinct texts is contained in the other (containment only).
        let direction = |a: u32, b: u32| {
            if sizes.is_empty() {
                Direction::Mutual
            } else {
                measure.direction(sizes[a as usize] as usize, sizes[b as usize] as usize)
            }
        };
        let adjacency = if self.anti_chaining && !lazy {
            Adjacency::new(verified.iter().map(|&(a, b, _)| (a, b)))
        } else {
            Adjacency::default()
        };
        let check = |a: u32, b: u32| evidence.verify(a, b, measure, self.threshold, sizes);
        // A member's similarity to its representative is often that of a pair just
        // verified (the first text of a group pairs with most of the others).
        let known = Known::new(&verified, distinct);
        let similarity = |a: u32, b: u32| match known.as_ref().and_then(|k| k.get(a, b)) {
            Some(s) => s,
            None => similarity(a, b),
        };
        let parts = Parts {
            paragraphs,
            canon_of,
            canon,
            adjacency: &adjacency,
            lazy: lazy.then_some((&edges[..], &check as &PairCheck<'_>)),
            similarity: &similarity,
            passes: &passes,
            direction: &direction,
        };
        let (mut clusters, split_off) = self.all_group_clusters(groups.collect(), &parts);
        drop(edges);
        // Parts of one group interleave with other groups: order by first paragraph.
        clusters.par_sort_unstable_by_key(|(first, _)| *first);
        let clusters: Vec<Cluster> = clusters.into_iter().map(|(_, c)| c).collect();
        let pairs = pairs_of(&repeats, &verified, paragraphs, canon, &direction);

        timings.cluster += lap(clock);
        let counts = Counts {
            documents,
            paragraphs: n,
            bytes,
            distinct,
            candidates,
            verified: verified.len(),
            split_off,
        };
        self.answer(clusters, pairs, counts, timings)
    }

    /// Stage 5: the candidate `edges` that pass, with their similarity, in order
    /// (none once `progress` is cancelled: the run is then returning an error).
    pub(super) fn verify_pairs(
        &self,
        edges: &[(u32, u32)],
        evidence: &Evidence<'_>,
        sizes: &[u32],
        progress: Option<&Progress>,
    ) -> Vec<(u32, u32, f64)> {
        let measure = self.similarity;
        edges
            // Tasks of 1024 pairs, so that a thread never waits long on the other's
            // last task (see the exact stage in `run_inner`).
            .par_chunks(1024)
            .flat_map_iter(|chunk| {
                chunk.iter().enumerate().filter_map(move |(i, &(a, b))| {
                    if progress.is_some_and(Progress::is_cancelled) {
                        return None;
                    }
                    // The second texts of later pairs, a step further each.
                    for step in 0..PREFETCH_STEPS {
                        let ahead = i + (PREFETCH_STEPS - step) * PREFETCH_DISTANCE;
                        if let Some(&(_, c)) = chunk.get(ahead) {
                            evidence.prefetch(c, step);
                        }
                    }
                    let s = evidence.verify(a, b, measure, self.threshold, sizes)?;
                    Some((a, b, s))
                })
            })
            .collect()
    }

    /// Stage 5 without [`all_pairs`](crate::DeduperBuilder::all_pairs): the candidate
    /// `edges` (sorted) that pass, with their similarity, in order, but for the pairs
    /// of texts already joined by earlier pairs, which are not verified. The groups
    /// they make are those of [`verify_pairs`](Self::verify_pairs)' pairs: a pair left
    /// out joins nothing new. Rounds of [`JOIN_ROUND`] pairs (`join_round`), each
    /// verified in parallel against the groups of the rounds before it: a fixed size,
    /// so that which pairs are verified does not depend on the threads.
    pub(super) fn verify_joining(
        &self,
        edges: &[(u32, u32)],
        evidence: &Evidence<'_>,
        sizes: &[u32],
        distinct: usize,
        progress: Option<&Progress>,
    ) -> Vec<(u32, u32, f64)> {
        let verify = |todo: &[(u32, u32)], out: &mut Vec<(u32, u32, f64)>| {
            out.extend(self.verify_pairs(todo, evidence, sizes, progress));
            Ok::<(), std::convert::Infallible>(())
        };
        self.join_in_rounds(edges, distinct, verify)
            .unwrap_or_else(|never| match never {})
    }

    /// The rounds of [`verify_joining`](Self::verify_joining), with `verify` appending
    /// the pairs of a round's `todo` that pass to `out`, in order: written once, so
    /// that every mode that verifies only the joining pairs verifies the same ones.
    pub(super) fn join_in_rounds<E>(
        &self,
        edges: &[(u32, u32)],
        texts: usize,
        mut verify: impl FnMut(&[(u32, u32)], &mut Vec<(u32, u32, f64)>) -> Result<(), E>,
    ) -> Result<Vec<(u32, u32, f64)>, E> {
        let mut uf = UnionFind::new(texts);
        let (mut verified, mut todo) = (Vec::new(), Vec::with_capacity(JOIN_ROUND));
        for round in edges.chunks(self.join_round.max(1)) {
            todo.clear();
            // Read-only roots, so that every thread filters a part of the round; the
            // second texts are anywhere: their parents asked for ahead.
            todo.par_extend(round.par_chunks(1024).flat_map_iter(|chunk| {
                chunk.iter().enumerate().filter_map(|(i, &(a, b))| {
                    if let Some(&(_, c)) = chunk.get(i + PREFETCH_DISTANCE * PREFETCH_STEPS) {
                        uf.prefetch(c);
                    }
                    (uf.root(a) != uf.root(b)).then_some((a, b))
                })
            }));
            let start = verified.len();
            verify(&todo, &mut verified)?;
            for &(a, b, _) in &verified[start..] {
                uf.union(a, b);
            }
        }
        Ok(verified)
    }

    /// [`group_clusters`](Self::group_clusters) of every group, in parallel: the
    /// clusters with their first paragraphs, and how many texts were moved.
    fn all_group_clusters(
        &self,
        groups: Vec<&[(u32, u32)]>,
        parts: &Parts<'_, '_>,
    ) -> (Vec<(u32, Cluster)>, usize) {
        groups
            .into_par_iter()
            .with_max_len(64)
            .map(|group| self.group_clusters(group, parts))
            .fold(
                || (Vec::new(), 0),
                |(mut all, total), (mut some, moved)| {
                    all.append(&mut some);
                    (all, total + moved)
                },
            )
            .reduce(
                || (Vec::new(), 0),
                |(mut a, x), (mut b, y)| {
                    a.append(&mut b);
                    (a, x + y)
                },
            )
    }

    /// One connected group of paragraphs (`(root, paragraph)`, ascending) as one
    /// cluster, or several with anti-chaining (a part of one paragraph is no cluster),
    /// each with its first paragraph; and how many texts anti-chaining moved.
    fn group_clusters(
        &self,
        group: &[(u32, u32)],
        at: &Parts<'_, '_>,
    ) -> (Vec<(u32, Cluster)>, usize) {
        let Parts {
            paragraphs,
            canon_of,
            canon,
            adjacency,
            lazy,
            similarity,
            passes,
            direction,
        } = at;
        let mut texts: Vec<u32> = group
            .iter()
            .map(|&(_, p)| canon_of.at(p as usize))
            .collect();
        texts.sort_unstable();
        texts.dedup();
        let check = |rep, c| {
            let s = similarity(rep, c);
            (s, passes(rep, c, s))
        };
        let (parts, moved) = if let Some((edges, verify)) = lazy {
            let local = |rest: &[u32]| Cow::Owned(rest_adjacency(rest, edges, verify));
            split_chains_with(&texts, local, check)
        } else if self.anti_chaining {
            split_chains(&texts, adjacency, check)
        } else {
            let rep = texts[0];
            let part = texts
                .iter()
                .map(|&c| (c, if c == rep { 1.0 } else { similarity(rep, c) }))
                .collect();
            (vec![part], 0)
        };
        // Distinct text → (part, its representative, similarity), by text.
        let mut place: Vec<(u32, usize, u32, f64)> = parts
            .iter()
            .enumerate()
            .flat_map(|(i, part)| part.iter().map(move |&(c, s)| (c, i, part[0].0, s)))
            .collect();
        place.sort_unstable_by_key(|x| x.0);
        let mut members: Vec<Vec<Member>> = vec![Vec::new(); parts.len()];
        for &(_, p) in group {
            let c = canon_of.at(p as usize);
            let at = place.partition_point(|x| x.0 < c);
            let (_, part, rep, s) = place[at];
            members[part].push(Member {
                paragraph: paragraphs.at(p as usize),
                similarity: s,
                exact: c == rep,
                direction: if c == rep {
                    Direction::Mutual
                } else {
                    direction(rep, c)
                },
            });
        }
        let clusters: Vec<(u32, Cluster)> = members
            .into_iter()
            .zip(&parts)
            .filter(|(m, _)| m.len() >= 2)
            .map(|(members, part)| (canon.at(part[0].0 as usize), Cluster { members }))
            .collect();
        (clusters, moved)
    }

    /// The run's answer: `clusters` ordered by first member, `pairs` ordered by
    /// paragraphs, and the counts of the run.
    pub(super) fn answer(
        &self,
        clusters: Vec<Cluster>,
        pairs: Vec<Pair>,
        counts: Counts,
        timings: StageTimings,
    ) -> Clusters {
        let oversized: Vec<usize> = (0..clusters.len())
            .filter(|&i| clusters[i].len() > self.max_cluster_size)
            .collect();
        let stats = RunStats {
            documents: counts.documents,
            paragraphs: counts.paragraphs,
            bytes: counts.bytes,
            exact_duplicates: counts.paragraphs - counts.distinct,
            distinct: counts.distinct,
            candidates: counts.candidates,
            verified: counts.verified,
            split_off: counts.split_off,
            largest_cluster: clusters.iter().map(Cluster::len).max().unwrap_or(0),
            oversized_clusters: oversized.len(),
            timings,
        };
        Clusters {
            clusters,
            oversized,
            similarity: self.similarity,
            pairs,
            stats,
        }
    }
}

/// The verified pairs by their first text, for their similarities: `pairs[starts[a]..
/// starts[a + 1]]` are those of text `a`, by second text.
struct Known<'v> {
    starts: Vec<u32>,
    pairs: &'v [(u32, u32, f64)],
}

impl<'v> Known<'v> {
    /// `pairs` (of texts below `texts`) looked up by text, if they are sorted
    /// without repeats, as verification makes them; `None` otherwise.
    fn new(pairs: &'v [(u32, u32, f64)], texts: usize) -> Option<Known<'v>> {
        let sorted = pairs
            .windows(2)
            .all(|w| (w[0].0, w[0].1) < (w[1].0, w[1].1));
        if !sorted || u32::try_from(pairs.len()).is_err() {
            return None;
        }
        let mut starts = vec![0u32; texts + 1];
        for &(a, _, _) in pairs {
            starts[a as usize + 1] += 1;
        }
        for i in 1..starts.len() {
            starts[i] += starts[i - 1];
        }
        Some(Known { starts, pairs })
    }

    /// The similarity of verified pair `(a, b)`, if it is one.
    fn get(&self, a: u32, b: u32) -> Option<f64> {
        let run =
            &self.pairs[self.starts[a as usize] as usize..self.starts[a as usize + 1] as usize];
        let at = run.binary_search_by_key(&b, |p| p.1).ok()?;
        Some(run[at].2)
    }
}

/// The adjacency [`split_chains`] reads for a group whose texts `rest` (ascending)
/// fail its representative: the candidate pairs among them (`edges`, sorted) that
/// pass `verify`. The splitting reads no other: it looks only at the neighbours of
/// texts that failed a representative, among those texts.
fn rest_adjacency(rest: &[u32], edges: &[(u32, u32)], verify: &PairCheck) -> Adjacency {
    let mut found = Vec::new();
    for &a in rest {
        let lo = edges.partition_point(|&(x, _)| x < a);
        for &(_, b) in edges[lo..].iter().take_while(|&&(x, _)| x == a) {
            if rest.binary_search(&b).is_ok() && verify(a, b).is_some() {
                found.push((a, b));
            }
        }
    }
    Adjacency::new(found.into_iter())
}

/// The run's pairs, ordered by paragraphs: each repeat with its text's first
/// paragraph, and each verified pair of texts by their first paragraphs.
fn pairs_of(
    repeats: &[(u32, u32)],
    verified: &[(u32, u32, f64)],
    paragraphs: &dyn Column<Paragraph>,
    canon: &dyn Column<u32>,
    direction: &(dyn Fn(u32, u32) -> Direction + Sync),
) -> Vec<Pair> {
    let mut pairs: Vec<Pair> = repeats
        .par_iter()
        .map(|&(c, p)| Pair {
            a: paragraphs.at(canon.at(c as usize) as usize),
            b: paragraphs.at(p as usize),
            similarity: 1.0,
            direction: Direction::Mutual,
            exact: true,
        })
        .chain(verified.par_iter().map(|&(a, b, s)| Pair {
            a: paragraphs.at(canon.at(a as usize) as usize),
            b: paragraphs.at(canon.at(b as usize) as usize),
            similarity: s,
            direction: direction(a, b),
            exact: false,
        }))
        .collect();
    pairs.par_sort_unstable_by_key(|p| (p.a.doc, p.a.index, p.b.doc, p.b.index));
    pairs
}

/// A paragraph in a group: (group, paragraph).
type Placed = (u32, u32);

/// Stage 6's groups: the paragraphs that repeat an earlier one (their text, them), in
/// order, and `(group, paragraph)` of every paragraph in a group of two or more,
/// sorted. Texts are joined by the `verified` pairs; a group is named by its smallest
/// text, whose first paragraph is the group's first. Union-find over the few texts
/// involved, not every paragraph: a union per paragraph and two passes over all of
/// them ran on one thread while the other idled.
fn connected(
    verified: &[(u32, u32, f64)],
    canon_of: &dyn Column<u32>,
    canon: &dyn Column<u32>,
) -> (Vec<(u32, u32)>, Vec<Placed>) {
    let (n, distinct) = (canon_of.len(), canon.len());
    // The paragraphs that repeat an earlier one: (their text, them), in order.
    let repeats: Vec<(u32, u32)> = (0..n)
        .into_par_iter()
        .with_max_len(1 << 14)
        .filter_map(|p| {
            let c = canon_of.at(p);
            (canon.at(c as usize) != p as u32).then_some((c, p as u32))
        })
        .collect();
    let mut uf = UnionFind::new(distinct);
    for &(a, b, _) in verified {
        uf.union(a, b);
    }
    // (group, paragraph) of every paragraph in a group of two or more. A group is
    // named by its smallest text, whose first paragraph is the group's first.
    let mut involved: Vec<u32> = verified
        .iter()
        .flat_map(|&(a, b, _)| [a, b])
        .chain(repeats.iter().map(|&(c, _)| c))
        .collect();
    involved.par_sort_unstable();
    involved.dedup();
    let mut placed: Vec<(u32, u32)> = Vec::with_capacity(involved.len() + repeats.len());
    for &c in &involved {
        placed.push((uf.find(c), canon.at(c as usize)));
    }
    for &(c, p) in &repeats {
        placed.push((uf.find(c), p));
    }
    drop(involved);
    placed.par_sort_unstable();
    (repeats, placed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CandidateSearch, Deduper};
    use proptest::prelude::*;

    #[test]
    fn known_pairs_give_their_similarity_and_nothing_else() {
        let pairs = [(0, 3, 0.75), (0, 5, 0.5), (2, 3, 0.875), (4, 5, 1.0)];
        let known = Known::new(&pairs, 6).expect("sorted");
        assert_eq!(known.get(0, 3), Some(0.75));
        assert_eq!(known.get(0, 5), Some(0.5));
        assert_eq!(known.get(2, 3), Some(0.875));
        assert_eq!(known.get(4, 5), Some(1.0));
        assert_eq!(known.get(0, 4), None);
        assert_eq!(known.get(3, 5), None);
        assert_eq!(known.get(5, 4), None);
        // Out of order (or repeated), the pairs are not looked up.
        assert!(Known::new(&[(2, 3, 0.9), (0, 3, 0.8)], 6).is_none());
        assert!(Known::new(&[(0, 3, 0.9), (0, 3, 0.9)], 6).is_none());
    }

    fn sorted(mut v: Vec<u64>) -> Vec<u64> {
        v.sort_unstable();
        v.dedup();
        v
    }

    /// Paragraphs of a few base sentences, each with up to two words replaced, so that
    /// groups of near-copies pair up many times and some members fail their group's
    /// first (`picks`: base, edits as (position, word)).
    fn near_copies(picks: &[(usize, Vec<(usize, usize)>)]) -> Vec<String> {
        const BASES: [&str; 3] = [
            "the old mill by the river ground corn for the whole valley every autumn",
            "a letter from the harbour master said the ships would sail at dawn",
            "she kept the accounts of the farm in a small green book by the window",
        ];
        const WORDS: [&str; 6] = ["red", "slow", "north", "glass", "seven", "quiet"];
        picks
            .iter()
            .map(|(base, edits)| {
                let mut w: Vec<&str> = BASES[base % BASES.len()].split(' ').collect();
                for &(at, word) in edits {
                    let at = at % w.len();
                    w[at] = WORDS[word % WORDS.len()];
                }
                w.join(" ")
            })
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Verifying only the pairs that join texts gives the clusters of verifying
        /// every pair, with anti-chaining on and off, in rounds of any size, for the
        /// candidates of every search; its pairs are some of every verified pair (all
        /// of those that joined texts).
        #[test]
        fn joining_pairs_give_the_clusters_of_all_pairs(
            picks in prop::collection::vec(
                (0usize..3, prop::collection::vec((0usize..14, 0usize..6), 0..3)),
                2..40,
            ),
            anti_chaining in any::<bool>(),
            threshold in 0.3f64..0.9,
            round in 1usize..9,
            search in prop::sample::select(vec![
                CandidateSearch::Lsh,
                CandidateSearch::Exhaustive,
                CandidateSearch::PrefixFilter,
            ]),
        ) {
            let texts = near_copies(&picks);
            let build = |all: bool| {
                let mut d = Deduper::builder()
                    .threshold(threshold)
                    .anti_chaining(anti_chaining)
                    .candidates(search)
                    .all_pairs(all)
                    .build()
                    .unwrap();
                d.join_round = round;
                d
            };
            let (all, joining) = (build(true).run(&texts), build(false).run(&texts));
            prop_assert_eq!(all.as_slice(), joining.as_slice());
            prop_assert!(joining.pairs().iter().all(|p| all.pairs().contains(p)));
            prop_assert!(joining.stats().verified <= all.stats().verified);
            prop_assert_eq!(joining.stats().candidates, all.stats().candidates);
        }
    }

    /// Rounds of one pair verify a pair only when it joins two groups: three copies
    /// of a text pair up three ways, and two pairs join them.
    #[test]
    fn joining_skips_the_pairs_of_joined_texts() {
        let texts = near_copies(&[(0, vec![]), (0, vec![(0, 0)]), (0, vec![(13, 1)])]);
        let mut d = Deduper::builder().all_pairs(false).build().unwrap();
        d.join_round = 1;
        let joining = d.run(&texts);
        let all = Deduper::new().run(&texts);
        assert_eq!((all.stats().candidates, all.stats().verified), (3, 3));
        assert_eq!(
            (joining.stats().candidates, joining.stats().verified),
            (3, 2)
        );
        assert_eq!(joining.as_slice(), all.as_slice());
        assert_eq!(joining.len(), 1);
    }

    proptest! {
        /// The size bound never rejects a pair that passes: against the similarity
        /// itself, for both measures.
        #[test]
        fn may_pass_never_rejects_a_passing_pair(
            x in prop::collection::vec(0u64..60, 0..40),
            y in prop::collection::vec(0u64..60, 0..40),
            threshold in 0.0f64..1.0,
            containment in any::<bool>(),
        ) {
            let measure = if containment { Similarity::Containment } else { Similarity::Jaccard };
            let evidence = Evidence::Sets {
                slot: vec![0, 1],
                sets: SetArena::from_vecs(vec![sorted(x), sorted(y)]),
            };
            let s = evidence.similarity(0, 1, measure, &[]);
            if evidence.passes(0, 1, s, threshold) {
                prop_assert!(evidence.may_pass(0, 1, measure, threshold));
            }
        }

        /// Adopting buffers gives the sets that copying them one by one gives.
        #[test]
        fn from_parts_equals_from_vecs(
            parts in prop::collection::vec(prop::collection::vec(prop::collection::vec(any::<u64>(), 0..9), 0..6), 0..5),
        ) {
            let all: Vec<Vec<u64>> = parts.iter().flatten().cloned().collect();
            let adopted = SetArena::from_parts(
                parts
                    .iter()
                    .map(|sets| (sets.concat(), sets.iter().map(Vec::len).collect()))
                    .collect(),
            );
            let copied = SetArena::from_vecs(all.clone());
            prop_assert_eq!(adopted.len(), all.len());
            for (i, set) in all.iter().enumerate() {
                prop_assert_eq!(adopted.get(i), set.as_slice());
                prop_assert_eq!(copied.get(i), set.as_slice());
            }
        }
    }
}
