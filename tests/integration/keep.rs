//! Keeping one per cluster (`Keep`, `Clusters::kept`, `dropped`, `keep_mask`) and the
//! collection traits of `Clusters` (`Index`, `IntoIterator` by reference and by value).

use crate::seed::ARTICLE;
use paradup::{Cluster, Clusters, Deduper, Keep, ParagraphMode};

/// The seed article's lines as a list of paragraphs, plus an exact copy of line 3 and
/// a longer copy of line 5 at the end.
fn items() -> Vec<String> {
    let mut items: Vec<String> = ARTICLE.lines().map(String::from).collect();
    items.push(items[2].clone());
    items.push(format!("{} The officials said so on Wednesday.", items[4]));
    items
}

fn run(items: &[String]) -> Clusters {
    let whole = Deduper::builder()
        .paragraphs(ParagraphMode::Whole)
        .build()
        .unwrap();
    whole.run_documents(items)
}

fn docs(paragraphs: &[paradup::Paragraph]) -> Vec<u32> {
    paragraphs.iter().map(|p| p.doc).collect()
}

#[test]
fn dedup_a_list_of_paragraphs_keeping_the_first() {
    let items = items();
    let clusters = run(&items);
    let mask = clusters.keep_mask(Keep::First, items.len());
    let unique: Vec<&String> = items
        .iter()
        .zip(mask)
        .filter_map(|(s, k)| k.then_some(s))
        .collect();
    assert_eq!(unique.len(), 23);
    assert_eq!(unique[..10], items.iter().take(10).collect::<Vec<_>>()[..]);
    assert_eq!(unique[10], &items[11]);
    assert_eq!(docs(&clusters.dropped(Keep::First)), [10, 24, 25]);
    assert_eq!(docs(&clusters.kept(Keep::First)), [2, 4, 9]);
}

#[test]
fn keep_longest_keeps_the_longer_copy_and_the_first_on_a_tie() {
    let items = items();
    let clusters = run(&items);
    // Line 3 and its exact copy tie: the first stays. The longer copy of line 5 stays.
    // Line 10 (330 bytes) is longer than line 11 (323).
    assert_eq!(docs(&clusters.kept(Keep::Longest)), [2, 25, 9]);
    assert_eq!(docs(&clusters.dropped(Keep::Longest)), [4, 10, 24]);
    let mask = clusters.keep_mask(Keep::Longest, items.len());
    let dropped: Vec<usize> = (0..items.len()).filter(|&i| !mask[i]).collect();
    assert_eq!(dropped, [4, 10, 24]);
    assert_eq!(clusters[1].kept(Keep::Longest).paragraph.doc, 25);
    assert_eq!(clusters[1].kept(Keep::First).paragraph.doc, 4);
    assert_eq!(Keep::default(), Keep::First);
}

#[test]
fn keep_mask_covers_the_documents_asked_for() {
    let clusters = run(&items());
    // Shorter than the input: the documents past it are left out, without a panic.
    assert_eq!(
        clusters.keep_mask(Keep::First, 12),
        (0..12).map(|i| i != 10).collect::<Vec<_>>()
    );
    assert!(clusters.keep_mask(Keep::First, 0).is_empty());
    let none = run(&["one paragraph".to_string(), "another one".to_string()]);
    assert_eq!(none.keep_mask(Keep::Longest, 3), [true, true, true]);
    assert!(none.dropped(Keep::First).is_empty() && none.kept(Keep::First).is_empty());
}

#[test]
fn several_paragraphs_per_document_drop_in_document_order() {
    // The article twice: every paragraph of the second copy is an exact duplicate.
    let clusters = Deduper::new().run_documents(&[ARTICLE, ARTICLE]);
    let dropped = clusters.dropped(Keep::First);
    assert_eq!(dropped.len(), 25);
    // Line 11 of the first copy (near-duplicate of line 10), then all 24 of the second.
    let at: Vec<(u32, u32)> = dropped.iter().map(|p| (p.doc, p.index)).collect();
    let want: Vec<(u32, u32)> = std::iter::once((0, 10))
        .chain((0..24).map(|i| (1, i)))
        .collect();
    assert_eq!(at, want);
    assert_eq!(clusters.keep_mask(Keep::First, 2), [false, false]);
}

#[test]
fn clusters_index_and_iterate_by_reference_and_by_value() {
    let clusters = run(&items());
    assert_eq!(clusters.len(), 3);
    assert_eq!(&clusters[2], &clusters.as_slice()[2]);
    assert_eq!(clusters[2].representative().paragraph.doc, 9);
    let mut sizes = Vec::new();
    for c in &clusters {
        sizes.push(c.len());
    }
    assert_eq!(sizes, [2, 2, 2]);
    let copy = clusters.as_slice().to_vec();
    let owned: Vec<Cluster> = clusters.into_iter().collect();
    assert_eq!(owned, copy);
}

#[test]
#[should_panic(expected = "index out of bounds")]
fn indexing_past_the_end_panics_as_a_slice_does() {
    let clusters = run(&items());
    let _ = &clusters[3];
}
