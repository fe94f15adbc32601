//! Fixed-seed tests at scale: LSH recall against the exhaustive search with an explicit
//! tolerance, a huge bucket of exact duplicates, and a huge bucket of near-duplicates
//! that must stay linear. Corpora come from a fixed-seed generator (`naive::Rng`), so
//! every run checks the same inputs.

use crate::naive::{self, Rng};
use paradup::{CandidateSearch, Deduper, Normalizer, ParagraphMode};
use std::collections::BTreeSet;

/// `n` words drawn from a vocabulary of `vocab` made-up words.
fn random_words(rng: &mut Rng, n: usize, vocab: usize) -> Vec<String> {
    (0..n).map(|_| format!("w{}", rng.below(vocab))).collect()
}

/// 2,000 random 60-word paragraphs plus, for each of the first 300, a copy with 1–3
/// words replaced; word 3-gram Jaccard of each planted pair is at least 0.6. At the
/// default threshold (0.5) the default LSH deduper finds at least 99% of the pairs the
/// exhaustive deduper finds, and no pair the exhaustive one does not.
#[test]
fn lsh_recall_against_exhaustive_search() {
    const ORIGINALS: usize = 2_000;
    const COPIES: usize = 300;
    const VOCAB: usize = 5_000;
    let mut rng = Rng::new(20_240_611);
    let mut paras: Vec<Vec<String>> = (0..ORIGINALS)
        .map(|_| random_words(&mut rng, 60, VOCAB))
        .collect();
    for i in 0..COPIES {
        let mut copy = paras[i].clone();
        let changes = 1 + rng.below(3);
        let mut positions = BTreeSet::new();
        while positions.len() < changes {
            positions.insert(rng.below(copy.len()));
        }
        for &p in &positions {
            let mut w = copy[p].clone();
            while w == copy[p] {
                w = format!("w{}", rng.below(VOCAB));
            }
            copy[p] = w;
        }
        paras.push(copy);
    }
    let docs: Vec<String> = paras.iter().map(|w| w.join(" ")).collect();

    // The planted pairs really are near-duplicates (by the naive reference).
    let norm = Normalizer::new();
    let shingles = |d: &str| naive::word_shingles(&norm.normalize(d), 3);
    let mut min_j = 1.0f64;
    for i in 0..COPIES {
        let j = naive::jaccard(&shingles(&docs[i]), &shingles(&docs[ORIGINALS + i]));
        assert!((0.6..1.0).contains(&j), "planted pair {i}: J = {j}");
        min_j = min_j.min(j);
    }
    assert!(
        min_j < 0.8,
        "the corpus should include pairs well below J = 0.8: {min_j}"
    );

    let run = |search| {
        Deduper::builder()
            .candidates(search)
            .paragraphs(ParagraphMode::Whole)
            .build()
            .unwrap()
            .run_documents(&docs)
    };
    let exhaustive = run(CandidateSearch::Exhaustive);
    let lsh = run(CandidateSearch::Lsh);

    let pair_set = |c: &paradup::Clusters| -> BTreeSet<(u32, u32)> {
        c.pairs().iter().map(|p| (p.a.doc, p.b.doc)).collect()
    };
    let truth = pair_set(&exhaustive);
    // Exactly the planted pairs: the random paragraphs share no near-duplicates.
    let planted: BTreeSet<(u32, u32)> = (0..COPIES)
        .map(|i| (i as u32, (ORIGINALS + i) as u32))
        .collect();
    assert_eq!(truth, planted);
    assert_eq!(exhaustive.len(), COPIES);

    let found = pair_set(&lsh);
    assert!(
        found.is_subset(&truth),
        "LSH reported a pair the exhaustive search did not"
    );
    let recall = found.len() as f64 / truth.len() as f64;
    assert!(
        recall >= 0.99,
        "recall {recall}: {} of {}",
        found.len(),
        truth.len()
    );
    // And far fewer candidates than all pairs.
    let all_pairs = (ORIGINALS + COPIES) * (ORIGINALS + COPIES - 1) / 2;
    assert_eq!(exhaustive.stats().candidates, all_pairs);
    assert!(
        lsh.stats().candidates < all_pairs / 100,
        "{}",
        lsh.stats().candidates
    );
}

/// 100,000 copies of one paragraph among 1,000 distinct ones: one cluster of exactly
/// the copies, all exact, the first copy representing them.
#[test]
fn one_hundred_thousand_exact_copies() {
    const COPIES: usize = 100_000;
    const DISTINCT: usize = 1_000;
    let copy = "The same boilerplate paragraph, repeated on every page of the site.";
    let mut rng = Rng::new(7);
    let mut docs: Vec<String> = Vec::with_capacity(COPIES + DISTINCT);
    let mut copy_docs: Vec<u32> = Vec::with_capacity(COPIES);
    // One distinct paragraph first, then a distinct one after every 100 copies.
    for i in 0..COPIES + DISTINCT {
        if i % 101 == 0 {
            docs.push(random_words(&mut rng, 12, 5_000).join(" "));
        } else {
            copy_docs.push(docs.len() as u32);
            docs.push(copy.to_string());
        }
    }
    assert_eq!(
        (copy_docs.len(), docs.len() - copy_docs.len()),
        (COPIES, DISTINCT)
    );

    let got = Deduper::new().run_documents(&docs);
    assert_eq!(got.len(), 1);
    let cluster = &got.as_slice()[0];
    assert_eq!(cluster.len(), COPIES);
    assert_eq!(cluster.representative().paragraph.doc, 1);
    let docs_in: Vec<u32> = cluster.members().iter().map(|m| m.paragraph.doc).collect();
    assert_eq!(docs_in, copy_docs);
    assert!(
        cluster
            .members()
            .iter()
            .all(|m| m.exact && m.similarity == 1.0)
    );
    assert_eq!(cluster.members()[COPIES - 1].paragraph.text(copy), copy);

    let stats = got.stats();
    assert_eq!(stats.paragraphs, COPIES + DISTINCT);
    assert_eq!(stats.exact_duplicates, COPIES - 1);
    assert_eq!(stats.distinct, DISTINCT + 1);
    assert_eq!(stats.verified, 0);
    assert_eq!(got.duplicates(), COPIES - 1);
    assert_eq!(got.pairs().len(), COPIES - 1);
    assert!(
        got.pairs()
            .iter()
            .all(|p| p.a.doc == 1 && p.similarity == 1.0)
    );
}

/// 20,000 near-copies of a 40-word template, each with its own word at position 20
/// (so any two share 37 of 41 word 2-grams, J = 37/41), among 200 distinct paragraphs:
/// one cluster of all of them, with a number of candidate pairs linear in the input.
#[test]
fn twenty_thousand_near_copies_stay_linear() {
    const COPIES: usize = 20_000;
    const DISTINCT: usize = 200;
    let template: Vec<String> = (0..40).map(|i| format!("t{i}")).collect();
    let mut rng = Rng::new(11);
    let mut docs: Vec<String> = Vec::with_capacity(COPIES + DISTINCT);
    for i in 0..COPIES {
        if i % 100 == 0 {
            docs.push(random_words(&mut rng, 40, 5_000).join(" "));
        }
        let mut words = template.clone();
        words[20] = format!("v{i}");
        docs.push(words.join(" "));
    }
    assert_eq!(docs.len(), COPIES + DISTINCT);

    let deduper = Deduper::new();
    let got = deduper.run_documents(&docs);
    assert_eq!(got.len(), 1);
    let cluster = &got.as_slice()[0];
    assert_eq!(cluster.len(), COPIES);
    assert_eq!(cluster.representative().paragraph.doc, 1);
    assert!(
        cluster
            .members()
            .iter()
            .all(|m| docs[m.paragraph.doc as usize].starts_with("t0 "))
    );
    assert!(
        cluster.members()[1..]
            .iter()
            .all(|m| !m.exact && m.similarity == 37.0 / 41.0)
    );

    let stats = got.stats();
    let n = COPIES + DISTINCT;
    assert_eq!(stats.distinct, n);
    assert_eq!(stats.exact_duplicates, 0);
    let bands = deduper.lsh_params().bands;
    assert!(
        stats.candidates <= bands * n,
        "{} candidates",
        stats.candidates
    );
    assert!(stats.verified >= COPIES - 1);
    assert!(stats.verified <= stats.candidates);
}
