//! Banded LSH for containment: size classes and one banding per class distance, after
//! LSH Ensemble (Zhu, Nargesian, Pu, Miller, "LSH Ensemble: Internet-Scale Domain
//! Search", VLDB 2016).
//!
//! MinHash estimates Jaccard, not containment. But when the smaller set `A` is
//! contained in `B` to a degree `c`, and `|B| ≤ r · |A|`, their Jaccard similarity is
//! at least
//!
//! ```text
//! J = c·|A| / (|A| + |B| − c·|A|) ≥ c / (1 + r − c)
//! ```
//!
//! so a banding tuned to that Jaccard floor finds the pair. The floor falls fast as the
//! size ratio `r` grows (0.8 / 1.2 = 0.67 at `r = 1`, 0.8 / 4.2 = 0.19 at `r = 4`),
//! and a low floor means many candidates. So sets are split into **size classes**
//! growing by `√2` (class `k` holds sizes in `[√2^k, √2^(k+1))`), and each distance `d`
//! between the classes of a pair gets its own banding, tuned to the floor of the
//! largest ratio at that distance, `√2^(d+1)`: close sizes are searched with a high
//! floor (few candidates), distant ones with a lower one. A pair of classes `k` and
//! `k + d` shares a bucket only when its band key *and* the lower class agree.
//!
//! Distances go up to the one that covers every size ratio up to [`MAX_RATIO`] (4: a
//! quarter of a paragraph inside the whole); pairs with a larger ratio are found only
//! by chance. The recall that this gives on real text is measured by the
//! `exact_recall` example against the exact [`PrefixFilter`](crate::PrefixFilter)
//! search (see `docs/ACCURACY.md`, "Containment").

use super::{LshParams, LshTuning};
use crate::error::Result;

/// The largest size ratio (larger set over smaller) that the containment search
/// covers with a tuned banding.
pub const MAX_RATIO: f64 = 4.0;

/// The size class of a set of `len` shingles: `⌊2 · log₂ len⌋`, so class `k` holds the
/// sizes in `[√2^k, √2^(k+1))`. Class 0 holds sizes 0 and 1.
pub fn size_class(len: usize) -> u32 {
    let sq = (len as u128) * (len as u128);
    if sq <= 1 { 0 } else { 127 - sq.leading_zeros() }
}

/// The bandings of the containment search, one per class distance.
#[derive(Clone, Debug, PartialEq)]
pub struct ContainmentBanding {
    levels: Vec<LshParams>,
}

impl ContainmentBanding {
    /// One banding per class distance, each chosen by `tuning` for the Jaccard floor
    /// of that distance ([`jaccard_floor`](Self::jaccard_floor)).
    pub fn new(threshold: f64, num_perm: usize, tuning: LshTuning) -> Result<Self> {
        let levels = (0..Self::distances())
            .map(|d| LshParams::tuned(Self::jaccard_floor(threshold, d), num_perm, tuning))
            .collect::<Result<Vec<_>>>()?;
        Ok(ContainmentBanding { levels })
    }

    /// The same explicit banding at every class distance.
    pub fn uniform(params: LshParams) -> Self {
        ContainmentBanding {
            levels: vec![params; Self::distances()],
        }
    }

    /// The number of class distances searched: `0..distances()` covers every pair
    /// whose size ratio is at most [`MAX_RATIO`] (5 distances).
    pub fn distances() -> usize {
        // Classes `d` apart hold ratios above √2^(d − 1); stop where that reaches
        // MAX_RATIO.
        let mut d = 0;
        while std::f64::consts::SQRT_2.powi(d as i32 - 1) < MAX_RATIO {
            d += 1;
        }
        d
    }

    /// The Jaccard similarity below which no pair at class distance `d` with
    /// containment `threshold` (and size ratio at most [`MAX_RATIO`]) can fall:
    /// `t / (1 + r − t)` with `r = min(√2^(d+1), MAX_RATIO)`.
    pub fn jaccard_floor(threshold: f64, d: usize) -> f64 {
        let r = std::f64::consts::SQRT_2.powi(d as i32 + 1).min(MAX_RATIO);
        threshold / (1.0 + r - threshold)
    }

    /// The banding for each class distance, nearest first.
    pub fn levels(&self) -> &[LshParams] {
        &self.levels
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_classes_grow_by_root_two() {
        let classes: Vec<u32> = [0, 1, 2, 3, 4, 5, 6, 8, 11, 12, 16, 1000]
            .iter()
            .map(|&n| size_class(n))
            .collect();
        // 2 = √2², 3 ≥ √2³ = 2.83, 6 ≥ √2⁵ = 5.66, 12 ≥ √2⁷ = 11.3.
        assert_eq!(classes, [0, 0, 2, 3, 4, 4, 5, 6, 6, 7, 8, 19]);
        assert_eq!(size_class(usize::MAX), 127);
    }

    #[test]
    fn every_ratio_up_to_the_maximum_is_covered() {
        assert_eq!(ContainmentBanding::distances(), 5);
        // Any two sizes with ratio ≤ 4 are fewer than 5 classes apart.
        for a in 1..400usize {
            for b in a..=4 * a {
                assert!(size_class(b) - size_class(a) < 5, "{a} {b}");
            }
        }
    }

    #[test]
    fn floors_and_bandings() {
        let f: Vec<f64> = (0..5)
            .map(|d| ContainmentBanding::jaccard_floor(0.8, d))
            .collect();
        assert!((f[0] - 0.8 / (1.0 + std::f64::consts::SQRT_2 - 0.8)).abs() < 1e-12);
        assert!((f[1] - 0.8 / 2.2).abs() < 1e-12);
        assert!((f[3] - 0.8 / 4.2).abs() < 1e-12);
        assert_eq!(f[3], f[4]);
        let w = LshTuning::default();
        let b = ContainmentBanding::new(0.8, 128, w).unwrap();
        assert_eq!(b.levels().len(), 5);
        for (d, p) in b.levels().iter().enumerate() {
            assert_eq!(*p, LshParams::tuned(f[d], 128, w).unwrap());
            assert!(p.probability(f[d]) >= 0.99);
        }
        // Lower floors get more, shorter bands.
        assert!(b.levels()[0].rows > b.levels()[3].rows);
        assert!(ContainmentBanding::new(0.0, 128, w).is_err());
        let u = ContainmentBanding::uniform(LshParams { bands: 4, rows: 2 });
        assert_eq!(u.levels(), &[LshParams { bands: 4, rows: 2 }; 5]);
    }
}
