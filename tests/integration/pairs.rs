//! `Clusters::pairs` (verified pairs) against `Clusters::pairs_expanded` (with every
//! pair implied through exact copies), on a small case with every pair written out.

use paradup::{Deduper, Direction, Similarity};

const A: &str = "The committee approved the budget for the new library on Tuesday evening \
                 after a long debate about the cost of the building.";
/// `A`'s first half: contained in it.
const B: &str = "The committee approved the budget for the new library on Tuesday evening.";
const C: &str = "Rain is expected over the weekend in most of the northern districts.";

fn ids(pairs: impl IntoIterator<Item = paradup::Pair>) -> Vec<(u32, u32, bool, Direction)> {
    pairs
        .into_iter()
        .map(|p| (p.a.doc, p.b.doc, p.exact, p.direction))
        .collect()
}

#[test]
fn expanded_pairs_add_the_pairs_implied_by_exact_copies() {
    use Direction::{FirstInSecond as In, Mutual, SecondInFirst as Has};
    let d = Deduper::builder()
        .similarity(Similarity::Containment)
        .build()
        .unwrap();
    // Items 0, 2 and 4 are copies of A; B (1) is contained in A; C (3) is unrelated.
    let clusters = d.run([A, B, A, C, A]);
    assert_eq!(
        ids(clusters.pairs().iter().copied()),
        [
            (0, 1, false, Has),
            (0, 2, true, Mutual),
            (0, 4, true, Mutual)
        ]
    );
    let expanded = ids(clusters.pairs_expanded());
    assert_eq!(
        expanded,
        [
            // A ~ B, then each copy of A with B (B first in document order: B in A).
            (0, 1, false, Has),
            (1, 2, false, In),
            (1, 4, false, In),
            // The copies: with the first, and with each other.
            (0, 2, true, Mutual),
            (0, 4, true, Mutual),
            (2, 4, true, Mutual),
        ]
    );
    // The implied pairs carry the verified pair's similarity.
    let s = clusters.pairs()[0].similarity;
    assert_eq!(s, 1.0); // B's word pairs are all in A
    let sims: Vec<f64> = clusters.pairs_expanded().map(|p| p.similarity).collect();
    assert_eq!(sims, [s, s, s, 1.0, 1.0, 1.0]);
}

#[test]
fn without_copies_the_two_lists_are_the_same() {
    let edited = A.replace("new library", "new public library");
    let clusters = Deduper::new().run([A, C, &edited]);
    assert_eq!(clusters.pairs().len(), 1);
    let expanded: Vec<_> = clusters.pairs_expanded().collect();
    assert_eq!(expanded, clusters.pairs());
    assert!(Deduper::new().run([A, C]).pairs_expanded().next().is_none());
}
