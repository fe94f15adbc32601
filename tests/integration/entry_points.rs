//! The two in-memory entry points: `Deduper::run` takes paragraphs (each item one
//! paragraph, never split), `Deduper::run_documents` takes documents and splits them.

use crate::hard_wrap::{members, seed_pair, wrap};
use crate::seed::ARTICLE;
use paradup::{Deduper, ParagraphMode};

/// The seed pair (lines 10 and 11), each wrapped at 60 columns with `\n`.
fn wrapped_pair() -> [String; 2] {
    let (a, b) = seed_pair();
    [wrap(a, 60), wrap(b, 60)]
}

#[test]
fn hard_wrapped_paragraphs_given_to_run_are_near_duplicates() {
    let [a, b] = wrapped_pair();
    assert!(a.lines().count() > 3 && b.lines().count() > 3);
    let paragraphs = vec![a.clone(), "Something else entirely.".to_string(), b.clone()];
    let clusters = Deduper::new().run(&paragraphs);
    assert_eq!(members(&clusters), vec![vec![(0, 0, 1), (2, 0, 1)]]);
    // Each member spans its whole item.
    let edited = &clusters[0].members()[1];
    assert_eq!(edited.paragraph.text(&b), b);
    assert_eq!(edited.similarity, 46.0 / 55.0);
    // Even where the documents' splitting cuts them into lines, `run` does not.
    let lines = Deduper::builder()
        .paragraphs(ParagraphMode::Lines)
        .build()
        .unwrap();
    assert_eq!(lines.run(&paragraphs), clusters);
    let split = lines.run_documents(&paragraphs);
    let count = a.lines().count() + 1 + b.lines().count();
    assert_eq!(split.stats().paragraphs, count);
    for m in split.iter().flat_map(|c| c.members()) {
        assert!(
            !m.paragraph
                .text(&paragraphs[m.paragraph.doc as usize])
                .contains('\n')
        );
    }
}

#[test]
fn the_seed_article_as_a_document_gives_lines_10_and_11() {
    let clusters = Deduper::new().run_documents([ARTICLE]);
    assert_eq!(members(&clusters), vec![vec![(0, 9, 10), (0, 10, 11)]]);
}

#[test]
fn the_seed_articles_lines_as_paragraphs_give_items_9_and_10() {
    let lines: Vec<String> = ARTICLE.lines().map(String::from).collect();
    assert_eq!(lines.len(), 24);
    // By reference, by value and from an iterator: the same answer.
    let clusters = Deduper::new().run(&lines);
    assert_eq!(members(&clusters), vec![vec![(9, 0, 1), (10, 0, 1)]]);
    assert_eq!(
        Deduper::new().run(lines.iter().map(String::as_str)),
        clusters
    );
    assert_eq!(Deduper::new().run(lines.clone()), clusters);
    assert_eq!(Deduper::new().try_run(lines).unwrap(), clusters);
}

#[test]
fn blank_items_have_no_paragraph_and_keep_their_index() {
    let lines: Vec<&str> = ARTICLE.lines().collect();
    let items = ["", lines[9], "  \n", lines[10]];
    let clusters = Deduper::new().run(items);
    assert_eq!(members(&clusters), vec![vec![(1, 0, 1), (3, 0, 1)]]);
    assert_eq!(clusters.stats().paragraphs, 2);
}

#[test]
fn progress_variants_give_the_same_clusters() {
    let lines: Vec<&str> = ARTICLE.lines().collect();
    let progress = paradup::Progress::new();
    let d = Deduper::new();
    let got = d.try_run_with_progress(&lines, &progress).unwrap();
    assert_eq!(got, d.run(&lines));
    assert_eq!(progress.paragraphs(), 24);
    let progress = paradup::Progress::new();
    let got = d
        .try_run_documents_with_progress([ARTICLE], &progress)
        .unwrap();
    assert_eq!(got, d.run_documents([ARTICLE]));
    assert_eq!(progress.paragraphs(), 24);
}
