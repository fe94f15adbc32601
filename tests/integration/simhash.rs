//! The SimHash method end to end: the seed article at the defaults, agreement with a
//! naive reference (fingerprints, all-pairs Hamming scan, exact Jaccard), thread-count
//! independence, and the builder's validation.

use paradup::simhash::{
    Accumulator, DEFAULT_FEATURES, Weighting, estimate_cosine, expected_hamming, hamming,
};
use paradup::{
    CandidateSearch, Deduper, ErrorKind, HammingIndex, HammingParams, HammingScratch,
    HammingSearch, Method, Normalizer, ParagraphMode, ShingleKind, Shingler, SimHashScratch,
    SimHasher, Verification,
};
use std::collections::BTreeSet;

const ARTICLE: &str = include_str!("../data/putin-kim-article.txt");

fn lines_of(clusters: &paradup::Clusters) -> Vec<Vec<u64>> {
    clusters
        .iter()
        .map(|c| c.members().iter().map(|m| m.paragraph.line).collect())
        .collect()
}

fn simhash() -> Deduper {
    Deduper::builder()
        .method(Method::simhash())
        .build()
        .unwrap()
}

#[test]
fn defaults_find_exactly_lines_10_and_11() {
    let d = simhash();
    assert_eq!(
        d.method(),
        Method::SimHash {
            max_hamming: paradup::pipeline::DEFAULT_MAX_HAMMING
        }
    );
    assert_eq!(paradup::pipeline::DEFAULT_MAX_HAMMING, 10);
    assert_eq!(d.simhasher().features(), ShingleKind::Chars(4));
    assert_eq!(d.simhasher().weighting(), Weighting::TermFrequency);
    let clusters = d.run_documents(&[ARTICLE]);
    assert_eq!(lines_of(&clusters), vec![vec![10, 11]]);
    // Verified by exact word-2-gram Jaccard, as with MinHash.
    let sim = clusters.as_slice()[0].members()[1].similarity;
    assert_eq!(sim, 46.0 / 55.0);
    assert_eq!(clusters.stats().paragraphs, 24);
    // The same verified pairs as the default MinHash deduper.
    assert_eq!(
        clusters.pairs(),
        Deduper::new().run_documents(&[ARTICLE]).pairs()
    );
}

#[test]
fn seed_pair_is_close_and_the_rest_far() {
    let norm = Normalizer::new();
    let h = SimHasher::default();
    let lines: Vec<&str> = ARTICLE.lines().collect();
    let fps: Vec<u64> = lines
        .iter()
        .map(|l| h.fingerprint_normalized(&norm.normalize(l)))
        .collect();
    assert_eq!(hamming(fps[9], fps[10]), 1);
    let closest_other = (0..fps.len())
        .flat_map(|i| (i + 1..fps.len()).map(move |j| (i, j)))
        .filter(|&p| p != (9, 10))
        .map(|(i, j)| hamming(fps[i], fps[j]))
        .min()
        .unwrap();
    assert_eq!(closest_other, 18);
}

/// The article's lines, plus edited copies: every third line with one word dropped,
/// every fourth with its first three words replaced, and every fifth cut in half.
fn edited_corpus() -> Vec<String> {
    let lines: Vec<&str> = ARTICLE.lines().filter(|l| !l.trim().is_empty()).collect();
    let mut docs: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    for (i, l) in lines.iter().enumerate() {
        let words: Vec<&str> = l.split(' ').collect();
        if i % 3 == 0 && words.len() > 4 {
            let mut w = words.clone();
            w.remove(words.len() / 2);
            docs.push(w.join(" "));
        }
        if i % 4 == 0 && words.len() > 6 {
            let mut w = words.clone();
            w[..3].copy_from_slice(&["quite", "another", "opening"]);
            docs.push(w.join(" "));
        }
        if i % 5 == 0 && words.len() > 6 {
            docs.push(words[..words.len() / 2].join(" "));
        }
    }
    docs
}

/// The definition: fingerprints from the public hasher, every pair within `k` bits,
/// kept when the exact Jaccard of the word-3-gram sets reaches the threshold.
fn naive_pairs(docs: &[String], k: u32, threshold: f64) -> BTreeSet<(u32, u32)> {
    let norm = Normalizer::new();
    let sim = SimHasher::default();
    let sh = Shingler::new(ShingleKind::Words(3));
    let texts: Vec<String> = docs.iter().map(|d| norm.normalize(d)).collect();
    let mut out = BTreeSet::new();
    for i in 0..texts.len() {
        for j in i + 1..texts.len() {
            let d = hamming(
                sim.fingerprint_normalized(&texts[i]),
                sim.fingerprint_normalized(&texts[j]),
            );
            let jac =
                paradup::text::shingle::jaccard(&sh.shingles(&texts[i]), &sh.shingles(&texts[j]));
            if d <= k && jac >= threshold {
                out.insert((i as u32, j as u32));
            }
        }
    }
    out
}

#[test]
fn verified_pairs_equal_the_naive_definition() {
    let docs = edited_corpus();
    for k in [3, 6, 10, 16] {
        for threshold in [0.3, 0.5] {
            let d = Deduper::builder()
                .method(Method::SimHash { max_hamming: k })
                .shingles(ShingleKind::Words(3))
                .threshold(threshold)
                .paragraphs(ParagraphMode::Whole)
                .build()
                .unwrap();
            let clusters = d.run_documents(&docs);
            let got: BTreeSet<(u32, u32)> = clusters
                .pairs()
                .iter()
                .map(|p| (p.a.doc, p.b.doc))
                .collect();
            let want = naive_pairs(&docs, k, threshold);
            assert_eq!(got, want, "k {k}, threshold {threshold}");
            if k >= 6 {
                assert!(want.len() >= 10, "k {k}: only {} pairs", want.len());
            }
        }
    }
}

#[test]
fn hamming_index_agrees_with_the_exhaustive_scan_in_the_pipeline() {
    // With signature verification a SimHash pair passes when it is within max_hamming
    // bits, so the indexed search and the all-pairs scan must give the same clusters.
    let docs = edited_corpus();
    for k in [2, 8, 12] {
        let run = |search| {
            Deduper::builder()
                .method(Method::SimHash { max_hamming: k })
                .verification(Verification::Signature)
                .candidates(search)
                .paragraphs(ParagraphMode::Whole)
                .build()
                .unwrap()
                .run_documents(&docs)
        };
        let indexed = run(CandidateSearch::Lsh);
        let exhaustive = run(CandidateSearch::Exhaustive);
        assert_eq!(indexed.as_slice(), exhaustive.as_slice(), "k {k}");
        assert_eq!(indexed.pairs(), exhaustive.pairs());
        for p in indexed.pairs() {
            let dist =
                (p.similarity.clamp(-1.0, 1.0).acos() * 64.0 / std::f64::consts::PI).round() as u32;
            assert!(dist <= k, "{p:?}");
            assert_eq!(p.similarity, estimate_cosine(dist));
        }
    }
}

#[test]
fn result_does_not_depend_on_threads() {
    let docs = edited_corpus();
    let base = simhash().run_documents(&docs);
    assert!(base.len() >= 5, "{}", base.len());
    for threads in [1, 2, 3] {
        let d = Deduper::builder()
            .method(Method::simhash())
            .threads(threads)
            .build()
            .unwrap();
        let got = d.run_documents(&docs);
        assert_eq!(got.as_slice(), base.as_slice(), "threads {threads}");
        assert_eq!(got.pairs(), base.pairs());
    }
}

#[test]
fn huge_radius_makes_every_pair_a_candidate() {
    let docs = [
        "alpha beta gamma",
        "delta epsilon",
        "alpha beta gamma delta",
        "* * *",
    ];
    let d = Deduper::builder()
        .method(Method::SimHash { max_hamming: 64 })
        .build()
        .unwrap();
    let clusters = d.run_documents(&docs);
    // Three paragraphs have words (the ornament has none): 3 candidate pairs.
    assert_eq!(clusters.stats().candidates, 3);
    let docs_of: Vec<Vec<u32>> = clusters
        .iter()
        .map(|c| c.members().iter().map(|m| m.paragraph.doc).collect())
        .collect();
    // Word-3-gram Jaccard of the first and third is 1/2, the default threshold.
    assert_eq!(docs_of, vec![vec![0, 2]]);
}

#[test]
fn empty_and_wordless_input_do_not_panic() {
    let d = simhash();
    assert!(d.run_documents(&[] as &[&str]).is_empty());
    assert!(d.run_documents(&["", "   ", "!!!"]).is_empty());
    // Wordless paragraphs pair only as exact duplicates of their raw text.
    assert_eq!(d.run_documents(&["* * *", "* * *", "- - -"]).len(), 1);
}

#[test]
fn builder_rejects_zero_sized_features() {
    let err = Deduper::builder()
        .method(Method::simhash())
        .simhash_features(ShingleKind::Chars(0))
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::ZeroShingleSize);
    assert!(SimHasher::try_new(ShingleKind::Words(0)).is_err());
}

#[test]
fn builder_rejects_max_hamming_over_64() {
    for k in [65, 100, u32::MAX] {
        let err = Deduper::builder()
            .method(Method::SimHash { max_hamming: k })
            .build()
            .unwrap_err();
        assert_eq!(err.kind(), &ErrorKind::InvalidMaxHamming(k));
        assert!(err.to_string().contains("at most 64"), "{err}");
    }
    for k in [0, 64] {
        let d = Deduper::builder()
            .method(Method::SimHash { max_hamming: k })
            .build();
        assert!(d.is_ok(), "{k}");
    }
}

#[test]
fn features_and_weighting_setters_reach_the_hasher() {
    let d = Deduper::builder()
        .method(Method::SimHash { max_hamming: 4 })
        .simhash_features(ShingleKind::Words(1))
        .simhash_weighting(Weighting::Uniform)
        .seed(7)
        .build()
        .unwrap();
    assert_eq!(
        *d.simhasher(),
        SimHasher::new(ShingleKind::Words(1))
            .with_weighting(Weighting::Uniform)
            .with_seed(7)
    );
    assert_eq!(DEFAULT_FEATURES, ShingleKind::Chars(4));
    // MinHash stays the default method.
    assert_eq!(Deduper::new().method(), Method::MinHash);
}

#[test]
fn expected_distance_matches_measured_distance_on_random_vectors() {
    // Two random feature multisets sharing 90 of 100 features: cosine 0.9, expected
    // distance 9.2 bits. The mean over 400 such pairs must come within 1 bit of it.
    let mut g = paradup::SplitMix64::new(11);
    let mut total = 0u64;
    let trials = 400;
    for _ in 0..trials {
        let shared: Vec<u64> = (0..90).map(|_| g.next_u64()).collect();
        let mut a = shared.clone();
        let mut b = shared;
        a.extend((0..10).map(|_| g.next_u64()));
        b.extend((0..10).map(|_| g.next_u64()));
        let fa = paradup::simhash::fingerprint_of(&a);
        let fb = paradup::simhash::fingerprint_of(&b);
        total += u64::from(hamming(fa, fb));
    }
    let mean = total as f64 / f64::from(trials);
    let want = expected_hamming(0.9);
    assert!((mean - want).abs() < 1.0, "mean {mean}, expected {want}");
}

#[test]
fn public_simhash_types_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<SimHasher>();
    check::<SimHashScratch>();
    check::<Accumulator>();
    check::<Weighting>();
    check::<Method>();
    check::<HammingParams>();
    check::<HammingSearch>();
    check::<HammingScratch>();
    check::<HammingIndex>();
}

/// `n` copies of one 30-word sentence, each with its middle word replaced by a word of
/// its own: every pair differs in one word (word-3-gram Jaccard 25/31).
fn template_paragraphs(n: usize) -> Vec<String> {
    let words: Vec<String> = (0..30).map(|i| format!("w{}", letters(i))).collect();
    (0..n)
        .map(|i| {
            let mut w = words.clone();
            w[15] = format!("q{}", letters(i));
            w.join(" ")
        })
        .collect()
}

/// `i` in base 26 with the letters `a` to `z`: a distinct word for each `i`.
fn letters(mut i: usize) -> String {
    let mut s = String::new();
    loop {
        s.push(char::from(b'a' + (i % 26) as u8));
        i /= 26;
        if i == 0 {
            return s;
        }
    }
}

#[test]
fn near_identical_template_paragraphs_give_linearly_many_candidates() {
    let n = 20_000;
    let docs = [template_paragraphs(n).join("\n")];
    let d = Deduper::builder()
        .method(Method::simhash())
        .paragraphs(ParagraphMode::Lines)
        .build()
        .unwrap();
    let clusters = d.run_documents(&docs);
    let stats = clusters.stats();
    assert_eq!((stats.paragraphs, stats.distinct), (n, n));
    // All pairs within the radius would be about n² / 2 = 200 M candidates; every
    // candidate passes (word-3-gram Jaccard at least 25/31).
    let c = stats.candidates;
    assert!((n - 1..=2 * n).contains(&c), "{c} candidates");
    assert_eq!(stats.verified, c);
    assert_eq!(clusters.len(), 1);
    assert_eq!(clusters.as_slice()[0].len(), n);
    assert_eq!((stats.largest_cluster, stats.oversized_clusters), (n, 1));
}
