//! Accuracy against exact answers: LSH recall and precision against all pairs computed
//! naively, the prefix-filter search against brute force, containment pairs and their
//! direction, anti-chaining's guarantee, and the cluster-size guard.

use super::naive;
use paradup::{
    CandidateSearch, Clusters, Deduper, Direction, ErrorKind, LshTuning, LshWeights, Method,
    Normalizer, ParagraphMode, ShingleKind, Similarity, SplitMix64,
};
use proptest::prelude::*;
use std::collections::{BTreeSet, HashMap, HashSet};

/// `n` base paragraphs of 6 to 60 words from a 3,000-word vocabulary (so unrelated
/// paragraphs share almost nothing), each followed by up to three variants with 1 to
/// `len / 2` words replaced, dropped or inserted: similarities to the base spread from
/// near 0 to near 1, many of them close to any threshold.
fn families(seed: u64, n: usize) -> Vec<String> {
    let mut rng = SplitMix64::new(seed);
    let mut below = |k: usize| (rng.next_u64() % k as u64) as usize;
    let mut docs = Vec::new();
    for _ in 0..n {
        let len = 6 + below(55);
        let base: Vec<usize> = (0..len).map(|_| below(3000)).collect();
        let variants = below(4);
        let mut texts = vec![base.clone()];
        for _ in 0..variants {
            let mut v = base.clone();
            for _ in 0..1 + below(len / 5) {
                let at = below(v.len());
                match below(3) {
                    0 => v[at] = below(3000),
                    1 if v.len() > 2 => {
                        v.remove(at);
                    }
                    _ => v.insert(at, below(3000)),
                }
            }
            texts.push(v);
        }
        for t in texts {
            let words: Vec<String> = t.iter().map(|w| format!("w{w}")).collect();
            docs.push(words.join(" "));
        }
    }
    docs
}

/// Naive word shingles of each document (after the crate's normalization).
fn naive_sets(docs: &[String], n: usize) -> Vec<BTreeSet<String>> {
    let norm = Normalizer::new();
    docs.iter()
        .map(|d| naive::word_shingles(&norm.normalize(d), n))
        .collect()
}

/// Naive containment: the share of the smaller set found in the larger.
fn naive_containment(a: &BTreeSet<String>, b: &BTreeSet<String>) -> f64 {
    let small = a.len().min(b.len());
    if small == 0 {
        return if a.len() == b.len() { 1.0 } else { 0.0 };
    }
    a.intersection(b).count() as f64 / small as f64
}

fn naive_similarity(s: Similarity, a: &BTreeSet<String>, b: &BTreeSet<String>) -> f64 {
    match s {
        Similarity::Containment => naive_containment(a, b),
        _ => naive::jaccard(a, b),
    }
}

/// Every pair of distinct non-empty sets (documents `i < j` whose sets differ) at or
/// above the threshold, by brute force.
fn naive_pairs(sets: &[BTreeSet<String>], s: Similarity, t: f64) -> HashSet<(u32, u32)> {
    let mut out = HashSet::new();
    for i in 0..sets.len() {
        for j in i + 1..sets.len() {
            if sets[i].is_empty() || sets[j].is_empty() || sets[i] == sets[j] {
                continue;
            }
            if naive_similarity(s, &sets[i], &sets[j]) >= t {
                out.insert((i as u32, j as u32));
            }
        }
    }
    out
}

/// The verified pairs of a run (one paragraph per document), exact duplicates left out.
fn found_pairs(c: &Clusters, sets: &[BTreeSet<String>]) -> HashSet<(u32, u32)> {
    c.pairs()
        .iter()
        .map(|p| (p.a.doc, p.b.doc))
        .filter(|&(a, b)| sets[a as usize] != sets[b as usize])
        .collect()
}

/// Whether the two documents of each pair share a cluster.
fn together(c: &Clusters) -> impl Fn(&(u32, u32)) -> bool {
    let owner: HashMap<u32, usize> = c
        .iter()
        .enumerate()
        .flat_map(|(i, cl)| cl.members().iter().map(move |m| (m.paragraph.doc, i)))
        .collect();
    move |&(a, b)| owner.get(&a).is_some_and(|x| owner.get(&b) == Some(x))
}

fn whole(b: &mut paradup::DeduperBuilder) -> &mut paradup::DeduperBuilder {
    b.paragraphs(ParagraphMode::Whole)
}

#[test]
fn prefix_filter_search_equals_brute_force() {
    let docs = families(7, 150);
    for (similarity, t) in [(Similarity::Jaccard, 0.5), (Similarity::Containment, 0.7)] {
        let sets = naive_sets(&docs, 3);
        let d = whole(&mut Deduper::builder())
            .shingles(ShingleKind::Words(3))
            .threshold(t)
            .similarity(similarity)
            .candidates(CandidateSearch::PrefixFilter)
            .anti_chaining(false)
            .build()
            .unwrap();
        let got = d.run_documents(&docs);
        let want = naive_pairs(&sets, similarity, t);
        assert!(want.len() > 100, "{similarity:?}: {} pairs", want.len());
        assert_eq!(found_pairs(&got, &sets), want, "{similarity:?}");
        for p in got.pairs() {
            let (a, b) = (&sets[p.a.doc as usize], &sets[p.b.doc as usize]);
            assert_eq!(p.similarity, naive_similarity(similarity, a, b));
        }
    }
}

/// The exact-recall check on generated text: with exact verification every LSH pair is
/// a true pair (precision 1.0), and the default banding finds the clusters of at least
/// 99% of the true pairs; datasketch's banding (equal weights) misses several times
/// more.
#[test]
fn lsh_recall_against_the_exact_answer() {
    let docs = families(11, 300);
    let t = 0.5;
    let sets = naive_sets(&docs, 3);
    let truth = naive_pairs(&sets, Similarity::Jaccard, t);
    assert!(truth.len() > 300, "{}", truth.len());
    let recall = |tuning: LshTuning| {
        let d = whole(&mut Deduper::builder())
            .shingles(ShingleKind::Words(3))
            .threshold(t)
            .lsh_tuning(tuning)
            .anti_chaining(false)
            .build()
            .unwrap();
        let got = d.run_documents(&docs);
        let found = found_pairs(&got, &sets);
        assert!(
            found.is_subset(&truth),
            "a verified pair below the threshold"
        );
        let hit = together(&got);
        truth.iter().filter(|p| hit(p)).count() as f64 / truth.len() as f64
    };
    let ours = recall(LshTuning::default());
    let datasketch = recall(LshTuning::Weights(LshWeights::default()));
    assert!(ours >= 0.99, "{ours}");
    assert!(datasketch < 0.95, "{datasketch}");
    assert!(1.0 - ours < (1.0 - datasketch) / 3.0, "{ours} {datasketch}");
}

/// Halves and excerpts of paragraphs, as separate documents after their source.
#[test]
fn containment_finds_halves_and_excerpts_with_their_direction() {
    let mut bases = families(3, 60);
    // Variants can repeat their base; keep one of each text, so that every planted
    // pair is between first occurrences (pairs link the first paragraph of each text).
    let mut seen = HashSet::new();
    bases.retain(|b| seen.insert(b.clone()));
    let mut docs: Vec<String> = Vec::new();
    // (part, whole) document pairs that must be found.
    let mut planted = Vec::new();
    for (i, b) in bases.iter().enumerate() {
        let words: Vec<&str> = b.split(' ').collect();
        let mid = words.len() / 2;
        let (first, second) = (words[..mid].join(" "), words[mid..].join(" "));
        if words.len() < 16 || docs.contains(&first) || docs.contains(&second) {
            continue;
        }
        // Alternate: the first half before the whole, or after it.
        if i % 2 == 0 {
            planted.push((docs.len() as u32, docs.len() as u32 + 1));
            docs.push(first);
            docs.push(b.clone());
            planted.push((docs.len() as u32, docs.len() as u32 - 1));
            docs.push(second);
        } else {
            docs.push(b.clone());
            planted.push((docs.len() as u32, docs.len() as u32 - 1));
            docs.push(first);
        }
    }
    assert!(planted.len() > 40, "{}", planted.len());
    let t = 0.8;
    let build = |s: Similarity| {
        whole(&mut Deduper::builder())
            .shingles(ShingleKind::Words(3))
            .similarity(s)
            .threshold(if s == Similarity::Containment { t } else { 0.5 })
            .anti_chaining(false)
            .build()
            .unwrap()
    };
    let got = build(Similarity::Containment).run_documents(&docs);
    assert_eq!(got.similarity(), Similarity::Containment);
    let by_docs: HashMap<(u32, u32), (f64, Direction)> = got
        .pairs()
        .iter()
        .map(|p| ((p.a.doc, p.b.doc), (p.similarity, p.direction)))
        .collect();
    for &(part, whole) in &planted {
        let key = (part.min(whole), part.max(whole));
        let Some(&(s, dir)) = by_docs.get(&key) else {
            panic!(
                "{part} in {whole} missed: {:?} / {:?}",
                docs[part as usize], docs[whole as usize]
            );
        };
        assert_eq!(s, 1.0, "{part} in {whole}");
        let want = if part < whole {
            Direction::FirstInSecond
        } else {
            Direction::SecondInFirst
        };
        assert_eq!(dir, want, "{part} in {whole}");
    }
    // Precision 1.0 and recall against brute force.
    let sets = naive_sets(&docs, 3);
    let truth = naive_pairs(&sets, Similarity::Containment, t);
    let found = found_pairs(&got, &sets);
    assert!(found.is_subset(&truth));
    let hit = together(&got);
    let recall = truth.iter().filter(|p| hit(p)).count() as f64 / truth.len() as f64;
    assert!(recall >= 0.99, "{recall} of {}", truth.len());
    // Every direction agrees with the sizes of the two sets.
    for p in got.pairs() {
        let (a, b) = (sets[p.a.doc as usize].len(), sets[p.b.doc as usize].len());
        let want = match a.cmp(&b) {
            std::cmp::Ordering::Less => Direction::FirstInSecond,
            std::cmp::Ordering::Greater => Direction::SecondInFirst,
            std::cmp::Ordering::Equal => Direction::Mutual,
        };
        assert_eq!(p.direction, want);
    }
    // Members carry the direction seen from the representative.
    for c in &got {
        let rep = sets[c.representative().paragraph.doc as usize].len();
        for m in &c.members()[1..] {
            let size = sets[m.paragraph.doc as usize].len();
            if size < rep {
                assert_eq!(m.direction, Direction::SecondInFirst);
            } else if size > rep {
                assert_eq!(m.direction, Direction::FirstInSecond);
            }
        }
    }
    // Jaccard finds none of the halves: a half shares about half of the whole's shingles.
    let jaccard = build(Similarity::Jaccard).run_documents(&docs);
    let pairs: HashSet<(u32, u32)> = jaccard.pairs().iter().map(|p| (p.a.doc, p.b.doc)).collect();
    assert!(
        planted
            .iter()
            .all(|&(x, y)| !pairs.contains(&(x.min(y), x.max(y))))
    );
    assert!(
        jaccard
            .pairs()
            .iter()
            .all(|p| p.direction == Direction::Mutual)
    );
}

/// A chain of one-word edits: a ~ b ~ c ~ ... but a and the far end share little.
fn chain() -> Vec<String> {
    let mut words: Vec<String> = (0..12).map(|i| format!("w{i}")).collect();
    let mut docs = vec![words.join(" ")];
    for step in 0..10 {
        words[step] = format!("x{step}");
        docs.push(words.join(" "));
    }
    docs
}

#[test]
fn anti_chaining_splits_a_chain_and_keeps_its_guarantee() {
    let docs = chain();
    let sets = naive_sets(&docs, 1);
    let build = |on: bool| {
        whole(&mut Deduper::builder())
            .shingles(ShingleKind::Words(1))
            .threshold(0.6)
            .anti_chaining(on)
            .build()
            .unwrap()
    };
    let chained = build(false).run_documents(&docs);
    assert_eq!(chained.len(), 1);
    assert_eq!(chained.as_slice()[0].len(), 11);
    assert_eq!(chained.stats().split_off, 0);
    // The far end shares 2 of 12 words with the start: Jaccard 2/22.
    let last = chained.as_slice()[0].members()[10].similarity;
    assert_eq!(last, 2.0 / 22.0);

    let split = build(true).run_documents(&docs);
    let docs_of: Vec<Vec<u32>> = split
        .iter()
        .map(|c| c.members().iter().map(|m| m.paragraph.doc).collect())
        .collect();
    // Word-set Jaccard after k edits of one word each: (12 − k) / (12 + k) ≥ 0.6 for
    // k ≤ 3, so each cluster spans four steps of the chain.
    assert_eq!(
        docs_of,
        vec![vec![0, 1, 2, 3], vec![4, 5, 6, 7], vec![8, 9, 10]]
    );
    assert_eq!(split.stats().split_off, 7 + 3);
    for c in &split {
        let rep = &sets[c.representative().paragraph.doc as usize];
        for m in c.members() {
            let s = naive::jaccard(rep, &sets[m.paragraph.doc as usize]);
            assert!(s >= 0.6);
            assert_eq!(m.similarity, s);
        }
    }
    // The verified pairs do not change.
    assert_eq!(split.pairs(), chained.pairs());
}

#[test]
fn the_size_guard_reports_large_clusters() {
    let mut docs = chain();
    docs.extend(std::iter::repeat_n(
        "one two three four five".to_string(),
        3,
    ));
    let d = whole(&mut Deduper::builder())
        .shingles(ShingleKind::Words(1))
        .threshold(0.6)
        .max_cluster_size(3)
        .build()
        .unwrap();
    assert_eq!(d.max_cluster_size(), 3);
    let got = d.run_documents(&docs);
    let sizes: Vec<usize> = got.iter().map(|c| c.len()).collect();
    assert_eq!(sizes, [4, 4, 3, 3]);
    assert_eq!(got.oversized(), &[0, 1]);
    assert_eq!(got.stats().oversized_clusters, 2);
    assert_eq!(got.stats().largest_cluster, 4);
    let none = Deduper::builder()
        .paragraphs(ParagraphMode::Whole)
        .build()
        .unwrap();
    assert_eq!(
        none.max_cluster_size(),
        paradup::pipeline::DEFAULT_MAX_CLUSTER_SIZE
    );
    assert!(none.run_documents(&docs).oversized().is_empty());
}

#[test]
fn containment_needs_minhash_and_recall_must_be_a_probability() {
    let err = Deduper::builder()
        .similarity(Similarity::Containment)
        .method(Method::simhash())
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::ContainmentNeedsMinHash);
    assert!(err.to_string().contains("MinHash"));
    for bad in [0.0, -0.5, 1.5, f64::NAN] {
        let err = Deduper::builder()
            .lsh_tuning(LshTuning::Recall(bad))
            .build()
            .unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::InvalidLshRecall(_)),
            "{bad}"
        );
    }
    let d = Deduper::builder()
        .similarity(Similarity::Containment)
        .threshold(0.8)
        .build()
        .unwrap();
    assert_eq!(d.similarity(), Similarity::Containment);
    assert_eq!(d.containment_banding().unwrap().levels().len(), 5);
    assert!(Deduper::new().containment_banding().is_none());
}

/// Chains of small edits over a small vocabulary, one paragraph per line: many
/// components that chain.
fn chains() -> impl Strategy<Value = Vec<String>> {
    let line = proptest::collection::vec(0usize..8, 3..10);
    let edits = proptest::collection::vec((0usize..16, 0usize..12), 1..8);
    proptest::collection::vec((line, edits), 1..5).prop_map(|chains| {
        let mut lines = Vec::new();
        for (start, edits) in chains {
            let mut words = start;
            lines.push(words.clone());
            for (at, w) in edits {
                let at = at % words.len();
                words[at] = w;
                lines.push(words.clone());
            }
        }
        let text: Vec<String> = lines
            .iter()
            .map(|l| {
                l.iter()
                    .map(|w| format!("v{w}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        vec![text.join("\n")]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// With anti-chaining on, no member's similarity to its representative (computed
    /// naively from the text) is below the threshold, whatever the search and measure;
    /// and the clusters refine the chained ones.
    #[test]
    fn anti_chained_members_reach_the_threshold_against_the_representative(
        docs in chains(),
        threshold in 0.3f64..0.9,
        n in 1usize..3,
        containment in proptest::bool::ANY,
        exhaustive in proptest::bool::ANY,
    ) {
        let similarity = if containment { Similarity::Containment } else { Similarity::Jaccard };
        let build = |on: bool| {
            Deduper::builder()
                .threshold(threshold)
                .shingles(ShingleKind::Words(n))
                .similarity(similarity)
                .candidates(if exhaustive { CandidateSearch::Exhaustive } else { CandidateSearch::Lsh })
                .paragraphs(ParagraphMode::Lines)
                .anti_chaining(on)
                .build()
                .unwrap()
        };
        let got = build(true).run_documents(&docs);
        let text = |m: &paradup::Member| m.paragraph.text(&docs[m.paragraph.doc as usize]).to_string();
        let norm = Normalizer::new();
        let set = |t: &str| naive::word_shingles(&norm.normalize(t), n);
        let mut seen = HashSet::new();
        for c in &got {
            prop_assert!(c.len() >= 2);
            let rep = set(&text(c.representative()));
            for m in c.members() {
                let s = naive_similarity(similarity, &rep, &set(&text(m)));
                prop_assert!(s >= threshold, "{} < {}", s, threshold);
                prop_assert_eq!(m.similarity, s);
                prop_assert!(seen.insert((m.paragraph.doc, m.paragraph.index)));
            }
        }
        // Each cluster lies inside one chained cluster.
        let chained = build(false).run_documents(&docs);
        let owner: HashMap<(u32, u32), usize> = chained
            .iter()
            .enumerate()
            .flat_map(|(i, c)| c.members().iter().map(move |m| ((m.paragraph.doc, m.paragraph.index), i)))
            .collect();
        for c in &got {
            let homes: HashSet<_> = c.members().iter().map(|m| owner.get(&(m.paragraph.doc, m.paragraph.index))).collect();
            prop_assert_eq!(homes.len(), 1);
            prop_assert!(homes.iter().all(|h| h.is_some()));
        }
        prop_assert_eq!(got.pairs(), chained.pairs());
        prop_assert_eq!(chained.stats().split_off, 0);
    }

    /// One thread or three: the same clusters, with anti-chaining and containment.
    #[test]
    fn anti_chaining_and_containment_do_not_depend_on_thread_count(
        docs in chains(),
        containment in proptest::bool::ANY,
    ) {
        let build = |threads| {
            Deduper::builder()
                .threshold(0.5)
                .shingles(ShingleKind::Words(1))
                .similarity(if containment { Similarity::Containment } else { Similarity::Jaccard })
                .paragraphs(ParagraphMode::Lines)
                .threads(threads)
                .build()
                .unwrap()
        };
        let (a, b) = (build(1).run_documents(&docs), build(3).run_documents(&docs));
        prop_assert_eq!(a.as_slice(), b.as_slice());
        prop_assert_eq!(a.pairs(), b.pairs());
        prop_assert_eq!(a.stats(), b.stats());
    }
}
