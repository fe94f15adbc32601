//! [`NearPairs`]: the pipeline's bounded search over fingerprints (see the parent
//! module's "Near-identical fingerprints").

use super::*;

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
