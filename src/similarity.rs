//! What "similar" means: the similarity measures of two shingle sets, and the direction
//! of a containment.
//!
//! [`Similarity::Jaccard`] (the default) is `|A ∩ B| / |A ∪ B|`: two paragraphs are
//! near-duplicates when most of either is shared. [`Similarity::Containment`] is
//! `|A ∩ B| / min(|A|, |B|)`: how much of the *smaller* set is inside the larger one. A
//! quoted excerpt, or one half of a paragraph that another edition split in two, has
//! containment near 1.0 in the whole paragraph but Jaccard near the ratio of their
//! sizes (0.5 for a half): Jaccard misses it at any useful threshold.
//!
//! Containment is not symmetric in general, so a containment pair has a
//! [`Direction`]: the paragraph with fewer distinct shingles is the one contained.
//!
//! ```
//! use paradup::{Normalizer, ShingleKind, Shingler, Similarity};
//!
//! let norm = Normalizer::new();
//! let shingler = Shingler::new(ShingleKind::Words(3));
//! let set = |t: &str| shingler.shingles(&norm.normalize(t));
//! let whole = set("It was the best of times, it was the worst of times, it was the age \
//!                  of wisdom, it was the age of foolishness, it was the epoch of belief, \
//!                  it was the epoch of incredulity.");
//! let half = set("It was the best of times, it was the worst of times.");
//! // All 9 word 3-grams of the half are among the 23 of the whole.
//! assert_eq!(Similarity::Containment.of(&half, &whole), 1.0);
//! assert_eq!(Similarity::Jaccard.of(&half, &whole), 9.0 / 23.0);
//! ```

use crate::text::shingle::intersection_len;

/// The similarity measure of two shingle sets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Similarity {
    /// `|A ∩ B| / |A ∪ B|`, symmetric. The default.
    #[default]
    Jaccard,
    /// `|A ∩ B| / min(|A|, |B|)`: the share of the smaller set found in the larger.
    /// 1.0 when one set contains the other.
    Containment,
}

impl Similarity {
    /// The similarity of two sorted, deduplicated sets. Two empty sets have similarity
    /// 1.0 (they are identical); an empty and a non-empty set have 0.0.
    pub fn of(&self, a: &[u64], b: &[u64]) -> f64 {
        self.from_counts(intersection_len(a, b), a.len(), b.len())
    }

    /// The similarity of two sets from the size of their intersection and their own
    /// sizes (`inter ≤ min(a, b)`).
    pub fn from_counts(&self, inter: usize, a: usize, b: usize) -> f64 {
        let den = match self {
            Similarity::Jaccard => a + b - inter,
            Similarity::Containment => a.min(b),
        };
        if a == 0 && b == 0 {
            1.0
        } else if den == 0 {
            0.0
        } else {
            inter as f64 / den as f64
        }
    }

    /// The similarity estimated from a Jaccard estimate `j` (say, the fraction of equal
    /// MinHash slots) and the two set sizes: for containment, the intersection is
    /// estimated as `j · (a + b) / (1 + j)`. Clamped to `[0, 1]`.
    pub fn from_jaccard(&self, j: f64, a: usize, b: usize) -> f64 {
        match self {
            Similarity::Jaccard => j,
            Similarity::Containment => {
                let small = a.min(b);
                if small == 0 {
                    return if a == b { 1.0 } else { 0.0 };
                }
                let inter = j * (a + b) as f64 / (1.0 + j);
                (inter / small as f64).clamp(0.0, 1.0)
            }
        }
    }

    /// Which of two sets of sizes `a` and `b` (the first and the second) this measure
    /// says is contained in the other: [`Direction::Mutual`] for Jaccard and for sets
    /// of equal size.
    pub fn direction(&self, a: usize, b: usize) -> Direction {
        match self {
            Similarity::Jaccard => Direction::Mutual,
            Similarity::Containment => match a.cmp(&b) {
                std::cmp::Ordering::Less => Direction::FirstInSecond,
                std::cmp::Ordering::Greater => Direction::SecondInFirst,
                std::cmp::Ordering::Equal => Direction::Mutual,
            },
        }
    }
}

/// Which paragraph of a pair is contained in the other.
///
/// In a [`Pair`](crate::Pair), the first is `a` and the second `b`; in a
/// [`Member`](crate::Member), the first is the cluster's representative and the second
/// the member itself.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Direction {
    /// Neither: a symmetric measure ([`Similarity::Jaccard`]), an exact duplicate, or
    /// two shingle sets of equal size. The default.
    #[default]
    Mutual,
    /// The first paragraph (the smaller shingle set) is contained in the second.
    FirstInSecond,
    /// The second paragraph (the smaller shingle set) is contained in the first.
    SecondInFirst,
}

impl Direction {
    /// The direction seen from the other side: first and second swap.
    pub fn reversed(self) -> Direction {
        match self {
            Direction::Mutual => Direction::Mutual,
            Direction::FirstInSecond => Direction::SecondInFirst,
            Direction::SecondInFirst => Direction::FirstInSecond,
        }
    }

    /// A short name for reports: `mutual`, `a_in_b` or `b_in_a` (a is the first).
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Mutual => "mutual",
            Direction::FirstInSecond => "a_in_b",
            Direction::SecondInFirst => "b_in_a",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_on_hand_made_sets() {
        let a = [1, 2, 3, 4];
        let b = [1, 2, 3, 4, 5, 6, 7, 8];
        assert_eq!(Similarity::Jaccard.of(&a, &b), 0.5);
        assert_eq!(Similarity::Containment.of(&a, &b), 1.0);
        assert_eq!(Similarity::Containment.of(&b, &a), 1.0);
        let c = [3, 4, 9];
        assert_eq!(Similarity::Jaccard.of(&a, &c), 2.0 / 5.0);
        assert_eq!(Similarity::Containment.of(&a, &c), 2.0 / 3.0);
        assert_eq!(Similarity::Containment.of(&[], &[]), 1.0);
        assert_eq!(Similarity::Containment.of(&[], &a), 0.0);
        assert_eq!(Similarity::Jaccard.of(&[], &a), 0.0);
    }

    #[test]
    fn estimates_from_jaccard() {
        // |A| = 4, |B| = 8, A ⊂ B: J = 0.5, so the intersection is 0.5 · 12 / 1.5 = 4.
        assert_eq!(Similarity::Containment.from_jaccard(0.5, 4, 8), 1.0);
        assert_eq!(Similarity::Jaccard.from_jaccard(0.3, 4, 8), 0.3);
        assert_eq!(Similarity::Containment.from_jaccard(0.0, 4, 8), 0.0);
        // Over-estimates are clamped.
        assert_eq!(Similarity::Containment.from_jaccard(1.0, 4, 8), 1.0);
    }

    #[test]
    fn directions() {
        assert_eq!(Similarity::Jaccard.direction(3, 9), Direction::Mutual);
        assert_eq!(
            Similarity::Containment.direction(3, 9),
            Direction::FirstInSecond
        );
        assert_eq!(
            Similarity::Containment.direction(9, 3),
            Direction::SecondInFirst
        );
        assert_eq!(Similarity::Containment.direction(5, 5), Direction::Mutual);
        assert_eq!(
            Direction::FirstInSecond.reversed(),
            Direction::SecondInFirst
        );
        assert_eq!(Direction::SecondInFirst.as_str(), "b_in_a");
    }
}
