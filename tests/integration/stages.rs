//! The public stage API (`paradup::pipeline::stages`) driven by hand, as another
//! engine would drive it: batches prepared apart, candidates per band or per bucket,
//! sets shipped as plain data; the clusters must equal `Deduper::run_documents`'s. And its
//! refusals: configurations it does not cover, and parts that do not fit together.

use crate::stream::corpus;
use paradup::pipeline::stages::{Stages, Texts};
use paradup::{
    CandidateSearch, Clusters, Deduper, ErrorKind, Method, Paragraph, ParagraphMode, Similarity,
    Verification,
};
use std::collections::BTreeMap;

/// How the candidates of a band are found.
#[derive(Clone, Copy)]
enum Buckets {
    /// `band_candidates` over the band's rows.
    Band,
    /// Rows grouped by key by the caller, `bucket_candidates` per bucket.
    ByKey,
}

/// `docs` through the stages, `batch` documents at a time.
fn by_stages(d: &Deduper, docs: &[String], batch: usize, buckets: Buckets) -> Clusters {
    let stages = d.stages().unwrap();
    let (mut paragraphs, mut exact, mut live) = (Vec::new(), Vec::new(), Vec::new());
    let (mut keys, mut fps) = (Vec::new(), Vec::new());
    for (b, chunk) in docs.chunks(batch.max(1)).enumerate() {
        let mut texts = Vec::new();
        for (i, doc) in chunk.iter().enumerate() {
            for p in stages.split((b * batch + i) as u32, doc) {
                texts.push(p.text(doc));
                paragraphs.push(p);
            }
        }
        let prepared = stages.prepare(&texts);
        assert_eq!(prepared.exact.len(), texts.len());
        exact.extend(prepared.exact);
        live.extend(prepared.live);
        keys.extend(prepared.band_keys);
        fps.extend(prepared.fingerprints);
    }
    let texts = stages.number_texts(&exact);
    let live_texts: Vec<(u32, usize)> = (0..texts.len() as u32)
        .map(|c| (c, texts.first[c as usize] as usize))
        .filter(|&(_, p)| live[p])
        .collect();
    let candidates = match d.method() {
        Method::MinHash => {
            let bands = stages.bands();
            let mut pairs = Vec::new();
            for band in 0..bands {
                let mut rows: Vec<(u64, u32)> = live_texts
                    .iter()
                    .map(|&(c, p)| (keys[p * bands + band], c))
                    .collect();
                pairs.extend(band_pairs(&stages, &mut rows, buckets));
            }
            stages.sort_candidates(pairs)
        }
        _ => {
            let rows: Vec<(u64, u32)> =
                live_texts.iter().map(|&(c, p)| (fps[p], c)).rev().collect();
            stages.fingerprint_candidates(&rows)
        }
    };
    let text = |c: u32| {
        let p: Paragraph = paragraphs[texts.first[c as usize] as usize];
        p.text(&docs[p.doc as usize])
    };
    let mut ids: Vec<u32> = candidates.iter().flat_map(|&(a, b)| [a, b]).collect();
    ids.sort_unstable();
    ids.dedup();
    // Any order: the last first.
    let sets = ids
        .iter()
        .rev()
        .map(|&c| (c, stages.shingle_set(text(c))))
        .collect();
    stages
        .cluster(docs.len(), &paragraphs, &texts, candidates, sets)
        .unwrap()
}

fn band_pairs(stages: &Stages<'_>, rows: &mut [(u64, u32)], buckets: Buckets) -> Vec<(u32, u32)> {
    match buckets {
        Buckets::Band => stages.band_candidates(rows),
        Buckets::ByKey => {
            let mut by_key: BTreeMap<u64, Vec<u32>> = BTreeMap::new();
            for &(key, c) in rows.iter().rev() {
                by_key.entry(key).or_default().push(c);
            }
            by_key
                .values_mut()
                .flat_map(|ids| stages.bucket_candidates(ids))
                .collect()
        }
    }
}

fn dedupers() -> Vec<(&'static str, Deduper)> {
    let build = |f: &dyn Fn(&mut paradup::DeduperBuilder)| {
        let mut b = Deduper::builder();
        f(&mut b);
        b.build().unwrap()
    };
    vec![
        ("default", Deduper::new()),
        (
            "simhash",
            build(&|b| {
                b.method(Method::simhash());
            }),
        ),
        (
            "chains-lines",
            build(&|b| {
                b.anti_chaining(false)
                    .threshold(0.4)
                    .paragraphs(ParagraphMode::Lines);
            }),
        ),
        (
            "blank-lines-3-threads",
            build(&|b| {
                b.paragraphs(ParagraphMode::BlankLines).threads(3);
            }),
        ),
        (
            "char-5-grams-0.8",
            build(&|b| {
                b.shingles(paradup::ShingleKind::Chars(5)).threshold(0.8);
            }),
        ),
    ]
}

#[test]
fn the_stages_by_hand_give_runs_clusters_for_any_batches() {
    for (name, d) in dedupers() {
        for seed in [1, 2, 3] {
            let docs = corpus(seed, 120);
            let expected = d.run_documents(&docs);
            assert!(expected.len() > 5, "{name}: a corpus with clusters");
            for (batch, buckets) in [
                (1, Buckets::Band),
                (7, Buckets::ByKey),
                (500, Buckets::Band),
            ] {
                let got = by_stages(&d, &docs, batch, buckets);
                assert_eq!(got, expected, "{name}, seed {seed}, batches of {batch}");
            }
        }
    }
}

#[test]
fn the_seed_article_through_the_stages_gives_lines_10_and_11() {
    let text = crate::seed::ARTICLE.to_string();
    let clusters = by_stages(&Deduper::new(), &[text], 1, Buckets::ByKey);
    assert_eq!(clusters.len(), 1);
    let lines: Vec<u64> = clusters.as_slice()[0]
        .members()
        .iter()
        .map(|m| m.paragraph.line)
        .collect();
    assert_eq!(lines, [10, 11]);
}

#[test]
fn verify_is_exact_jaccard_at_the_threshold() {
    let d = Deduper::new();
    let s = d.stages().unwrap();
    let a = s.shingle_set("one two three four five six seven eight nine ten");
    let b = s.shingle_set("one two three four five six seven eight nine eleven");
    // Word 2-grams: 9 and 9, 8 shared: 8 / 10.
    assert_eq!(s.verify(&a, &b), Some(0.8));
    let c = s.shingle_set("one two three four five something else entirely here now");
    assert_eq!(s.verify(&a, &c), None);
    assert_eq!(s.verify(&a, &a), Some(1.0));
}

#[test]
fn configurations_the_stages_do_not_cover_are_refused() {
    let refused = |f: &dyn Fn(&mut paradup::DeduperBuilder)| {
        let mut b = Deduper::builder();
        f(&mut b);
        let d = b.build().unwrap();
        let err = d.stages().unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::StagesUnsupported(_)),
            "{err}"
        );
    };
    refused(&|b| {
        b.similarity(Similarity::Containment);
    });
    refused(&|b| {
        b.verification(Verification::Signature);
    });
    refused(&|b| {
        b.candidates(CandidateSearch::PrefixFilter);
    });
    refused(&|b| {
        b.candidates(CandidateSearch::Exhaustive);
    });
}

#[test]
fn parts_that_do_not_fit_together_are_errors_not_panics() {
    let d = Deduper::new();
    let s = d.stages().unwrap();
    let doc = "alpha beta gamma delta epsilon\nalpha beta gamma delta epsilon zeta\nalpha beta gamma delta epsilon";
    let paragraphs = s.split(0, doc);
    let texts: Vec<&str> = paragraphs.iter().map(|p| p.text(doc)).collect();
    let good = s.number_texts(&s.prepare(&texts).exact);
    assert_eq!(
        good,
        Texts {
            text_of: vec![0, 1, 0],
            first: vec![0, 1]
        }
    );
    let sets = || vec![(0, s.shingle_set(texts[0])), (1, s.shingle_set(texts[1]))];
    let ok = s
        .cluster(1, &paragraphs, &good, vec![(0, 1)], sets())
        .unwrap();
    assert_eq!(ok.len(), 1);
    assert_eq!(ok.as_slice()[0].len(), 3);

    let invalid = |texts: &Texts, pairs: Vec<(u32, u32)>, sets: Vec<(u32, Vec<u64>)>| {
        let err = s.cluster(1, &paragraphs, texts, pairs, sets).unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::InvalidStageInput(_)),
            "{err}"
        );
    };
    let texts_with = |text_of: Vec<u32>, first: Vec<u32>| Texts { text_of, first };
    // Too few text ids; a text out of order; a first paragraph of another text; a
    // text with no paragraph; an id past the texts.
    invalid(&texts_with(vec![0, 1], vec![0, 1]), vec![], vec![]);
    invalid(&texts_with(vec![1, 0, 1], vec![1, 0]), vec![], vec![]);
    invalid(&texts_with(vec![0, 1, 0], vec![0, 2]), vec![], vec![]);
    invalid(&texts_with(vec![0, 0, 0], vec![0, 1]), vec![], vec![]);
    invalid(&texts_with(vec![0, 7, 0], vec![0, 1]), vec![], vec![]);
    // A candidate without a set, past the texts, or (hi, lo); a set given twice or of
    // no text.
    invalid(&good, vec![(0, 1)], vec![(0, s.shingle_set(texts[0]))]);
    invalid(&good, vec![(0, 9)], sets());
    invalid(&good, vec![(1, 0)], sets());
    invalid(&good, vec![(1, 1)], sets());
    let mut twice = sets();
    twice.push((1, vec![]));
    invalid(&good, vec![(0, 1)], twice);
    let mut unknown = sets();
    unknown.push((5, vec![]));
    invalid(&good, vec![(0, 1)], unknown);
}
