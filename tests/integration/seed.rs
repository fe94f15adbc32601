//! The canonical case: the seed article, where lines 10 and 11 are one paragraph lightly
//! edited and nothing else repeats.

use paradup::{CandidateSearch, Deduper, ParagraphMode};

pub const ARTICLE: &str = include_str!("../data/putin-kim-article.txt");

fn lines_of(clusters: &paradup::Clusters) -> Vec<Vec<u64>> {
    clusters
        .iter()
        .map(|c| c.members().iter().map(|m| m.paragraph.line).collect())
        .collect()
}

#[test]
fn default_deduper_finds_exactly_lines_10_and_11() {
    let clusters = Deduper::new().run_documents(&[ARTICLE]);
    assert_eq!(lines_of(&clusters), vec![vec![10, 11]]);
    let c = &clusters.as_slice()[0];
    assert_eq!(c.representative().paragraph.index, 9);
    assert_eq!(c.representative().similarity, 1.0);
    let sim = c.members()[1].similarity;
    // Word 2-gram Jaccard of the pair, computed by hand: 46 of 55 bigrams shared.
    assert_eq!(sim, 46.0 / 55.0);
    assert!(!c.members()[1].exact);
    assert_eq!(clusters.stats().paragraphs, 24);
}

#[test]
fn spans_point_into_the_original_text() {
    let clusters = Deduper::new().run_documents(&[ARTICLE]);
    let m = &clusters.as_slice()[0].members()[1];
    let text = m.paragraph.text(ARTICLE);
    assert!(text.starts_with("The Russian president’s increasing isolation"));
    assert!(text.contains("to the G20 summit in Delhi"));
    assert!(text.ends_with("gathering in 2019."));
    assert_eq!(ARTICLE.lines().nth(10), Some(text));
}

#[test]
fn every_candidate_mode_and_thread_count_agrees() {
    let base = Deduper::new().run_documents(&[ARTICLE]);
    for threads in [1, 2, 4] {
        for search in [CandidateSearch::Lsh, CandidateSearch::Exhaustive] {
            let d = Deduper::builder()
                .threads(threads)
                .candidates(search)
                .build()
                .unwrap();
            let got = d.run_documents(&[ARTICLE]);
            assert_eq!(
                got.as_slice(),
                base.as_slice(),
                "threads {threads}, {search:?}"
            );
            assert_eq!(got.pairs(), base.pairs());
        }
    }
}

#[test]
fn the_article_split_across_documents_still_pairs_up() {
    let docs: Vec<&str> = ARTICLE.lines().collect();
    let d = Deduper::builder()
        .paragraphs(ParagraphMode::Whole)
        .build()
        .unwrap();
    let clusters = d.run_documents(&docs);
    let pairs: Vec<Vec<u32>> = clusters
        .iter()
        .map(|c| c.members().iter().map(|m| m.paragraph.doc).collect())
        .collect();
    assert_eq!(pairs, vec![vec![9, 10]]);
}
