//! Locality-sensitive hashing over MinHash signatures.
//!
//! A signature of `num_perm` slots is cut into `bands` bands of `rows` slots each
//! (`bands · rows ≤ num_perm`; slots past `bands · rows` are unused by LSH). Two
//! paragraphs become candidates when all the rows of at least one band agree. For
//! Jaccard similarity `s` that happens with probability
//!
//! ```text
//! P(s) = 1 − (1 − s^rows)^bands
//! ```
//!
//! an S-curve that rises around `(1/bands)^(1/rows)`. Two rules choose `(bands, rows)`
//! for a threshold `t` ([`LshTuning`]):
//!
//! - [`LshParams::for_recall`] (the default, with recall 0.99): among the bandings that
//!   find a pair of similarity exactly `t` with probability at least 0.99, the one with
//!   the least false-positive mass `∫₀ᵗ P(s) ds`. Every pair at or above the threshold
//!   is then a candidate with probability at least 0.99 (`P` rises with `s`).
//! - [`LshParams::optimal`], datasketch's rule: it minimizes
//!   `w_fp · ∫₀ᵗ P(s) ds + w_fn · ∫ₜ¹ (1 − P(s)) ds`, the weighted probability mass of
//!   false positives below the threshold and false negatives above it. With equal
//!   weights (datasketch's default) it finds a pair *at* the threshold about half the
//!   time (25 × 5 at 0.5: `P(0.5) = 0.55`).
//!
//! Why recall first: every candidate is verified, so a false positive costs one
//! similarity computation, while a false negative is a duplicate left in the output.
//! And real near-duplicates crowd at the threshold: on the first 50,000 distinct
//! paragraphs of the shared Gutenberg corpus, most pairs at word-3-gram Jaccard ≥ 0.5
//! are short lines at exactly 0.5 or 0.6. Against the exact answer there, datasketch's
//! banding recalls 0.8436 of the pairs and the recall rule 0.9973 (word 3-grams at
//! 0.5), or 0.8129 and 1.0000 at the defaults (word 2-grams at 0.6), in about the same
//! time (`examples/exact_recall.rs`; `docs/ACCURACY.md` has the table).
//!
//! Why bands are hashed: each band's rows are hashed (xxh3 over their little-endian
//! bytes, seeded with the band's index) to one `u64` bucket key, so a bucket lookup is a
//! single integer comparison and memory per band is 8 bytes per paragraph, whatever
//! `rows` is. A false collision of two 64-bit keys only adds a candidate, which
//! verification then rejects.
//!
//! The batch search ([`banded`]) sorts `(bucket key, id)` pairs per band; a small
//! bucket (up to 16 members in the [`Deduper`](crate::Deduper)) proposes all its pairs,
//! a larger one links its members to its first member: `O(n log n)` per band, never
//! quadratic.

pub mod banded;
pub mod containment;
pub mod hamming;

use crate::error::{ErrorKind, Result};

/// The default of [`LshTuning::Recall`]: the least probability that LSH proposes a pair
/// whose similarity is exactly the threshold.
pub const DEFAULT_LSH_RECALL: f64 = 0.99;

/// How the banding is chosen from the threshold (see the [module docs](self)).
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum LshTuning {
    /// [`LshParams::for_recall`] with this least probability at the threshold, in
    /// `(0, 1]`. The default, with [`DEFAULT_LSH_RECALL`].
    Recall(f64),
    /// [`LshParams::optimal`] with these weights (datasketch's rule).
    Weights(LshWeights),
}

impl Default for LshTuning {
    fn default() -> LshTuning {
        LshTuning::Recall(DEFAULT_LSH_RECALL)
    }
}

impl LshTuning {
    pub(crate) fn validate(&self) -> Result<()> {
        match self {
            LshTuning::Recall(r) if !(*r > 0.0 && *r <= 1.0) => {
                Err(ErrorKind::InvalidLshRecall(*r).into())
            }
            LshTuning::Recall(_) => Ok(()),
            LshTuning::Weights(w) => w.validate(),
        }
    }
}

/// Weights of the two error masses in [`LshParams::optimal`].
///
/// The default, 0.5 and 0.5, is datasketch's; the crate's default banding comes from
/// [`LshTuning::Recall`] instead.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LshWeights {
    /// Weight of the false-positive mass (below the threshold). Default 0.5.
    pub false_positive: f64,
    /// Weight of the false-negative mass (above the threshold). Default 0.5.
    pub false_negative: f64,
}

impl Default for LshWeights {
    fn default() -> LshWeights {
        LshWeights {
            false_positive: 0.5,
            false_negative: 0.5,
        }
    }
}

impl LshWeights {
    pub(crate) fn validate(&self) -> Result<()> {
        let ok = |w: f64| w.is_finite() && w >= 0.0;
        if !ok(self.false_positive)
            || !ok(self.false_negative)
            || self.false_positive + self.false_negative == 0.0
        {
            return Err(ErrorKind::InvalidWeights {
                false_positive: self.false_positive,
                false_negative: self.false_negative,
            }
            .into());
        }
        Ok(())
    }
}

/// The banding of a signature: `bands` bands of `rows` slots.
///
/// ```
/// use paradup::LshParams;
///
/// let p = LshParams::optimal(0.5, 128, Default::default()).unwrap();
/// assert!(p.bands * p.rows <= 128);
/// assert!(p.probability(0.8) > 0.99);
/// assert!(p.probability(0.2) < 0.05);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct LshParams {
    /// Number of bands.
    pub bands: usize,
    /// Slots per band.
    pub rows: usize,
}

impl LshParams {
    /// Explicit parameters, checked against `num_perm`.
    pub fn new(bands: usize, rows: usize, num_perm: usize) -> Result<LshParams> {
        let p = LshParams { bands, rows };
        p.validate(num_perm)?;
        Ok(p)
    }

    pub(crate) fn validate(&self, num_perm: usize) -> Result<()> {
        if self.bands == 0
            || self.rows == 0
            || self
                .bands
                .checked_mul(self.rows)
                .is_none_or(|n| n > num_perm)
        {
            return Err(ErrorKind::InvalidLshParams {
                bands: self.bands,
                rows: self.rows,
                num_perm,
            }
            .into());
        }
        Ok(())
    }

    /// The probability that two sets of Jaccard similarity `s` share a band:
    /// `1 − (1 − s^rows)^bands`.
    pub fn probability(&self, s: f64) -> f64 {
        let s = s.clamp(0.0, 1.0);
        1.0 - (1.0 - s.powi(self.rows as i32)).powi(self.bands as i32)
    }

    /// The parameters that minimize the weighted false-positive plus false-negative
    /// probability mass around `threshold` (see the [module docs](self)).
    pub fn optimal(threshold: f64, num_perm: usize, weights: LshWeights) -> Result<LshParams> {
        if !(threshold > 0.0 && threshold <= 1.0) {
            return Err(ErrorKind::InvalidThreshold(threshold).into());
        }
        if num_perm == 0 {
            return Err(ErrorKind::ZeroPermutations.into());
        }
        weights.validate()?;
        let mut best = (f64::INFINITY, LshParams { bands: 1, rows: 1 });
        for bands in 1..=num_perm {
            for rows in 1..=num_perm / bands {
                let p = LshParams { bands, rows };
                let fp = integrate(|s| p.probability(s), 0.0, threshold);
                let fneg = integrate(|s| 1.0 - p.probability(s), threshold, 1.0);
                let err = weights.false_positive * fp + weights.false_negative * fneg;
                // Strictly less: ties keep the first (fewest bands) for determinism.
                if err < best.0 {
                    best = (err, p);
                }
            }
        }
        Ok(best.1)
    }

    /// Among the bandings that propose a pair of similarity `threshold` with
    /// probability at least `recall`, the one with the least false-positive mass
    /// `∫₀ᵗ P(s) ds` (ties: fewest bands, then fewest rows). If no banding of
    /// `num_perm` slots reaches `recall`, the one with the highest probability at the
    /// threshold.
    ///
    /// ```
    /// use paradup::LshParams;
    ///
    /// let p = LshParams::for_recall(0.5, 128, 0.99).unwrap();
    /// assert_eq!((p.bands, p.rows), (35, 3));
    /// assert!(p.probability(0.5) >= 0.99);
    /// ```
    pub fn for_recall(threshold: f64, num_perm: usize, recall: f64) -> Result<LshParams> {
        if !(threshold > 0.0 && threshold <= 1.0) {
            return Err(ErrorKind::InvalidThreshold(threshold).into());
        }
        if num_perm == 0 {
            return Err(ErrorKind::ZeroPermutations.into());
        }
        if !(recall > 0.0 && recall <= 1.0) {
            return Err(ErrorKind::InvalidLshRecall(recall).into());
        }
        // (banding, reaches the recall, probability at the threshold, false-positive mass)
        let mut best: Option<(LshParams, bool, f64, f64)> = None;
        for bands in 1..=num_perm {
            for rows in 1..=num_perm / bands {
                let p = LshParams { bands, rows };
                let at = p.probability(threshold);
                let meets = at >= recall;
                // The false-positive mass is needed only where it is kept or compared:
                // not for a banding that misses the recall when the best so far
                // reaches it or does better at the threshold. Integrating only then
                // (about a third of the 645 bandings of 128 permutations at 0.6) saves
                // two thirds of `for_recall`'s time, which every run pays on one thread
                // before the work starts.
                let needed = match best {
                    None => true,
                    Some((_, m, a, _)) => meets || (!m && at >= a),
                };
                let fp = if needed {
                    integrate(|s| p.probability(s), 0.0, threshold)
                } else {
                    f64::NAN
                };
                // Strictly better only: ties keep the first (fewest bands, then rows).
                let better = match best {
                    None => true,
                    Some((_, m, a, f)) if meets == m => {
                        if meets {
                            fp < f
                        } else {
                            at > a || (at == a && fp < f)
                        }
                    }
                    Some(_) => meets,
                };
                if better {
                    best = Some((p, meets, at, fp));
                }
            }
        }
        Ok(best.map_or(LshParams { bands: 1, rows: 1 }, |b| b.0))
    }

    /// The banding `tuning` chooses for `threshold`.
    pub fn tuned(threshold: f64, num_perm: usize, tuning: LshTuning) -> Result<LshParams> {
        match tuning {
            LshTuning::Recall(recall) => LshParams::for_recall(threshold, num_perm, recall),
            LshTuning::Weights(w) => LshParams::optimal(threshold, num_perm, w),
        }
    }
}

/// Composite Simpson's rule with 256 intervals: the integrands are smooth polynomials
/// of degree ≤ num_perm on [0, 1], and the result only ranks candidate parameters.
fn integrate(f: impl Fn(f64) -> f64, lo: f64, hi: f64) -> f64 {
    const N: usize = 256;
    if hi <= lo {
        return 0.0;
    }
    let h = (hi - lo) / N as f64;
    let mut sum = f(lo) + f(hi);
    for i in 1..N {
        let w = if i % 2 == 1 { 4.0 } else { 2.0 };
        sum += w * f(lo + i as f64 * h);
    }
    sum * h / 3.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probability_endpoints() {
        let p = LshParams { bands: 20, rows: 5 };
        assert_eq!(p.probability(0.0), 0.0);
        assert_eq!(p.probability(1.0), 1.0);
        let mid = p.probability(0.5);
        assert!((mid - (1.0 - (1.0 - 0.5f64.powi(5)).powi(20))).abs() < 1e-12);
    }

    /// `for_recall` as first written: the false-positive mass of every banding.
    fn for_recall_reference(threshold: f64, num_perm: usize, recall: f64) -> LshParams {
        let mut best: Option<(LshParams, bool, f64, f64)> = None;
        for bands in 1..=num_perm {
            for rows in 1..=num_perm / bands {
                let p = LshParams { bands, rows };
                let at = p.probability(threshold);
                let meets = at >= recall;
                let fp = integrate(|s| p.probability(s), 0.0, threshold);
                let better = match best {
                    None => true,
                    Some((_, m, a, f)) if meets == m => {
                        if meets {
                            fp < f
                        } else {
                            at > a || (at == a && fp < f)
                        }
                    }
                    Some(_) => meets,
                };
                if better {
                    best = Some((p, meets, at, fp));
                }
            }
        }
        best.map_or(LshParams { bands: 1, rows: 1 }, |b| b.0)
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        /// Integrating only where the mass is kept or compared chooses what
        /// integrating every banding chooses, reachable recall or not.
        #[test]
        fn for_recall_equals_its_reference(
            threshold in 0.01f64..=1.0,
            num_perm in 1usize..=160,
            recall in 0.5f64..=1.0,
        ) {
            proptest::prop_assert_eq!(
                LshParams::for_recall(threshold, num_perm, recall).unwrap(),
                for_recall_reference(threshold, num_perm, recall)
            );
        }
    }

    #[test]
    fn for_recall_reaches_the_recall_with_the_least_false_positive_mass() {
        for t in [0.3, 0.5, 0.7, 0.9] {
            let p = LshParams::for_recall(t, 128, 0.99).unwrap();
            assert!(p.probability(t) >= 0.99, "{t} {p:?}");
            let fp = |q: LshParams| integrate(|s| q.probability(s), 0.0, t);
            // No banding that reaches the recall has less false-positive mass.
            for bands in 1..=128 {
                for rows in 1..=128 / bands {
                    let q = LshParams { bands, rows };
                    if q.probability(t) >= 0.99 {
                        assert!(fp(q) >= fp(p), "{t} {q:?} beats {p:?}");
                    }
                }
            }
        }
        // The values quoted in the table of `docs/ACCURACY.md`.
        let got: Vec<(usize, usize)> = [0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
            .iter()
            .map(|&t| LshParams::for_recall(t, 128, 0.99).unwrap())
            .map(|p| (p.bands, p.rows))
            .collect();
        assert_eq!(got, [(27, 2), (35, 3), (19, 3), (17, 4), (16, 6), (11, 10)]);
        // Out of reach: one slot finds a pair at 0.5 half the time at best.
        let one = LshParams::for_recall(0.5, 1, 0.99).unwrap();
        assert_eq!(one, LshParams { bands: 1, rows: 1 });
        assert!(LshParams::for_recall(0.5, 128, 0.0).is_err());
        assert!(LshParams::for_recall(0.5, 128, f64::NAN).is_err());
        assert!(LshParams::for_recall(0.0, 128, 0.9).is_err());
        assert!(LshParams::for_recall(0.5, 0, 0.9).is_err());
        assert_eq!(
            LshParams::tuned(0.5, 128, LshTuning::default()).unwrap(),
            LshParams { bands: 35, rows: 3 }
        );
        assert_eq!(
            LshParams::tuned(0.5, 128, LshTuning::Weights(LshWeights::default())).unwrap(),
            LshParams { bands: 25, rows: 5 }
        );
    }

    #[test]
    fn optimal_matches_datasketch() {
        // datasketch 2.0 `_optimal_param(threshold, 128, 0.5, 0.5)` gives (25, 5),
        // (14, 9) and (9, 13) for these thresholds.
        assert_eq!(
            LshParams::optimal(0.5, 128, LshWeights::default()).unwrap(),
            LshParams { bands: 25, rows: 5 }
        );
        assert_eq!(
            LshParams::optimal(0.7, 128, LshWeights::default()).unwrap(),
            LshParams { bands: 14, rows: 9 }
        );
        assert_eq!(
            LshParams::optimal(0.8, 128, LshWeights::default()).unwrap(),
            LshParams { bands: 9, rows: 13 }
        );
    }

    #[test]
    fn invalid_inputs() {
        assert!(LshParams::optimal(0.0, 128, LshWeights::default()).is_err());
        assert!(LshParams::optimal(1.5, 128, LshWeights::default()).is_err());
        assert!(LshParams::optimal(f64::NAN, 128, LshWeights::default()).is_err());
        assert!(LshParams::optimal(0.5, 0, LshWeights::default()).is_err());
        let bad = LshWeights {
            false_positive: -1.0,
            false_negative: 1.0,
        };
        assert!(LshParams::optimal(0.5, 128, bad).is_err());
        assert!(LshParams::new(16, 9, 128).is_err());
        assert!(LshParams::new(0, 9, 128).is_err());
        assert!(LshParams::new(16, 8, 128).is_ok());
    }
}
