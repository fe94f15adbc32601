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
