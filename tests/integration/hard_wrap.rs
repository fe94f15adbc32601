//! `ParagraphMode::Auto` on hard-wrapped prose, end to end: copies of a paragraph
//! wrapped at a fixed width are one paragraph each (not one per line) in `run` and in
//! `run_stream`, while one-paragraph-per-line text is split as before.

use crate::seed::ARTICLE;
use paradup::{Clusters, Deduper, ParagraphMode, ParagraphSplitter, StreamConfig};

/// `text` wrapped greedily at `width` characters, as an editor's "fill paragraph" does.
pub(crate) fn wrap(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = 0;
    for word in text.split_whitespace() {
        let len = word.chars().count();
        if line > 0 && line + 1 + len > width {
            out.push('\n');
            line = 0;
        } else if line > 0 {
            out.push(' ');
            line += 1;
        }
        out.push_str(word);
        line += len;
    }
    out
}

/// Lines 10 and 11 of the seed article: one paragraph lightly edited.
pub(crate) fn seed_pair() -> (&'static str, &'static str) {
    let lines: Vec<&str> = ARTICLE.lines().collect();
    (lines[9], lines[10])
}

/// `(document, paragraph index, line)` of every member, cluster by cluster.
pub(crate) fn members(clusters: &Clusters) -> Vec<Vec<(u32, u32, u64)>> {
    clusters
        .iter()
        .map(|c| {
            let at = |m: &paradup::Member| (m.paragraph.doc, m.paragraph.index, m.paragraph.line);
            c.members().iter().map(at).collect()
        })
        .collect()
}

#[test]
fn hard_wrapped_copies_of_a_paragraph_are_near_duplicates() {
    let (a, b) = seed_pair();
    // CRLF and an indented first line on the second copy.
    let docs = [
        wrap(a, 72),
        format!("  {}\r\n", wrap(b, 80).replace('\n', "\r\n")),
    ];
    assert_eq!(docs[0].lines().count(), 5);
    assert_eq!(docs[1].lines().count(), 4);
    let splitter = ParagraphSplitter::default();
    assert_eq!(splitter.resolve(&docs[0]), ParagraphMode::Whole);
    assert_eq!(splitter.resolve(&docs[1]), ParagraphMode::Whole);

    let clusters = Deduper::new().run_documents(&docs);
    assert_eq!(members(&clusters), vec![vec![(0, 0, 1), (1, 0, 1)]]);
    let edited = &clusters[0].members()[1];
    // Line breaks are whitespace to the shingler: the similarity of the unwrapped pair
    // (46 of 55 word 2-grams shared, as in the seed test).
    assert_eq!(edited.similarity, 46.0 / 55.0);
    assert_eq!(edited.paragraph.text(&docs[1]), docs[1].trim_end());
    assert_eq!(clusters.stats().paragraphs, 2);
}

#[test]
fn cut_into_lines_the_copies_match_only_as_fragments() {
    // What `Auto` did before it knew hard wrapping, and what `Lines` still does: the
    // first two lines of each copy pair up, the rest of the paragraph is lost.
    let (a, b) = seed_pair();
    let docs = [wrap(a, 72), wrap(b, 80)];
    let lines = Deduper::builder()
        .paragraphs(ParagraphMode::Lines)
        .build()
        .unwrap();
    let clusters = lines.run_documents(&docs);
    assert_eq!(clusters.stats().paragraphs, 9);
    assert_eq!(
        members(&clusters),
        vec![vec![(0, 0, 1), (1, 0, 1)], vec![(0, 1, 2), (1, 1, 2)]]
    );
    assert!(clusters[0].members()[0].paragraph.len() <= 72);
}

#[test]
fn streaming_resolves_hard_wrapped_documents_the_same_way() {
    let (a, b) = seed_pair();
    let docs = [
        wrap(a, 60),
        "Something else entirely.".to_string(),
        wrap(b, 72),
    ];
    let want = Deduper::new().run_documents(&docs);
    assert_eq!(members(&want), vec![vec![(0, 0, 1), (2, 0, 1)]]);
    let pushed = Deduper::new()
        .run_stream(&StreamConfig::new(), |feed| {
            docs.iter().try_for_each(|d| feed.push(d))
        })
        .unwrap();
    assert_eq!(pushed, want);
    // A reader resolves `Auto` from its first window (16 MiB), and reads a `Whole`
    // document in one piece however small the pieces.
    let mut small_pieces = StreamConfig::new();
    small_pieces.piece_bytes(64);
    let read = Deduper::new()
        .run_stream(&small_pieces, |feed| {
            docs.iter().try_for_each(|d| feed.push_reader(d.as_bytes()))
        })
        .unwrap();
    assert_eq!(members(&read), members(&want));
}

#[test]
fn the_seed_article_is_split_as_before() {
    // One paragraph per line, lines of 49 to 330 characters: still `Lines`.
    assert_eq!(
        ParagraphSplitter::default().resolve(ARTICLE),
        ParagraphMode::Lines
    );
    let clusters = Deduper::new().run_documents(&[ARTICLE]);
    assert_eq!(members(&clusters), vec![vec![(0, 9, 10), (0, 10, 11)]]);
    assert_eq!(clusters.stats().paragraphs, 24);
}

#[test]
fn the_seed_article_wrapped_with_blank_lines_between_paragraphs() {
    let wrapped: Vec<String> = ARTICLE.lines().map(|l| wrap(l, 72)).collect();
    let text = wrapped.join("\n\n");
    assert_eq!(
        ParagraphSplitter::default().resolve(&text),
        ParagraphMode::BlankLines
    );
    let clusters = Deduper::new().run_documents(&[&text]);
    let at: Vec<(u32, u32)> = clusters[0]
        .members()
        .iter()
        .map(|m| (m.paragraph.doc, m.paragraph.index))
        .collect();
    assert_eq!((clusters.len(), at), (1, vec![(0, 9), (0, 10)]));
    assert_eq!(clusters.stats().paragraphs, 24);
}

#[test]
fn several_wrapped_paragraphs_without_blank_lines_are_still_cut_into_lines() {
    // The documented limit: a short line inside ends a paragraph, so the document is
    // not one wrapped paragraph, and without blank lines there is no other boundary.
    let (a, b) = seed_pair();
    let text = format!("{}\n{}", wrap(a, 72), wrap(b, 72));
    assert_eq!(
        ParagraphSplitter::default().resolve(&text),
        ParagraphMode::Lines
    );
    assert_eq!(
        Deduper::new().run_documents(&[&text]).stats().paragraphs,
        10
    );
}
