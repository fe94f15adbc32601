//! [`Sketcher`]: raw text to normalized text, shingles, MinHash signature or SimHash
//! fingerprint, in one object with the parameters of a [`Deduper`](crate::Deduper).
//!
//! The pieces ([`Normalizer`], [`Shingler`], [`MinHasher`], [`SimHasher`]) stay public
//! for experts; each of them takes text at one stage (raw, normalized, shingled). A
//! sketcher takes raw text everywhere, so a fingerprint or signature cannot be made
//! of text that skipped normalization by mistake.

use crate::error::Result;
use crate::minhash::{MinHasher, Signature};
use crate::simhash::SimHasher;
use crate::text::normalize::Normalizer;
use crate::text::shingle::{ShingleKind, Shingler};

/// Turns raw text into what the deduper compares: normalized text, shingle sets,
/// MinHash signatures, SimHash fingerprints, and the exact Jaccard similarity of two
/// texts. `Send + Sync`; cheap to clone.
///
/// [`Deduper::sketcher`](crate::Deduper::sketcher) gives one with a deduper's
/// parameters (build one from builder options with
/// `Deduper::builder()...build()?.sketcher()`); [`Sketcher::default`] has the default
/// deduper's. An [`Index`](crate::Index) has its own ([`Index::sketcher`](crate::Index::sketcher)),
/// which also makes the index's [`Sketch`](crate::Sketch)es.
///
/// ```
/// use paradup::Sketcher;
///
/// let s = Sketcher::default();
/// let a = "It was the best of times, it was the worst of times.";
/// let b = "It was the best of times; it was the WORST of times!";
/// assert_eq!(s.normalize(b), "it was the best of times it was the worst of times");
/// assert_eq!(s.jaccard(a, b), 1.0); // punctuation and case are normalized away
/// assert_eq!(s.signature(a).jaccard(&s.signature(b)), 1.0);
/// assert_eq!(s.fingerprint(a), s.fingerprint(b));
/// // 8 distinct word pairs and 9, 6 of them shared: 6 of 11.
/// let c = "It was the best of times, it was the age of wisdom.";
/// assert_eq!(s.jaccard(a, c), 6.0 / 11.0);
/// ```
#[derive(Clone, Debug)]
pub struct Sketcher {
    pub(crate) normalizer: Normalizer,
    pub(crate) shingler: Shingler,
    pub(crate) hasher: MinHasher,
    pub(crate) simhasher: SimHasher,
}

impl Sketcher {
    /// A sketcher of these parts. The [`SimHasher`]'s seed should be the shingler's
    /// for its features to be the shingles' hashes (as a deduper's are).
    pub fn from_parts(
        normalizer: Normalizer,
        shingler: Shingler,
        hasher: MinHasher,
        simhasher: SimHasher,
    ) -> Sketcher {
        Sketcher {
            normalizer,
            shingler,
            hasher,
            simhasher,
        }
    }

    /// A sketcher of `shingles`, `num_perm` permutations and `seed`, the default
    /// normalizer and the default SimHash features; an error if `num_perm` or the
    /// shingle size is zero.
    pub fn try_new(shingles: ShingleKind, num_perm: usize, seed: u64) -> Result<Sketcher> {
        Ok(Sketcher {
            normalizer: Normalizer::new(),
            shingler: Shingler::try_new(shingles)?.with_seed(seed),
            hasher: MinHasher::try_new(num_perm, seed)?,
            simhasher: SimHasher::default().with_seed(seed),
        })
    }

    /// `text` normalized ([`Normalizer::normalize`]).
    pub fn normalize(&self, text: &str) -> String {
        self.normalizer.normalize(text)
    }

    /// The shingle set of `text` (normalized first): sorted, deduplicated hashes.
    pub fn shingles(&self, text: &str) -> Vec<u64> {
        self.shingler.shingles(&self.normalize(text))
    }

    /// The MinHash signature of `text` (normalized and shingled first).
    pub fn signature(&self, text: &str) -> Signature {
        self.hasher.signature(&self.shingles(text))
    }

    /// The SimHash fingerprint of `text` (normalized first); compare two with
    /// [`hamming`](crate::hamming).
    pub fn fingerprint(&self, text: &str) -> u64 {
        self.simhasher.fingerprint_normalized(&self.normalize(text))
    }

    /// The exact Jaccard similarity of the shingle sets of `a` and `b` (1.0 when both
    /// have none), as the deduper's exact verification computes it.
    pub fn jaccard(&self, a: &str, b: &str) -> f64 {
        crate::text::shingle::jaccard(&self.shingles(a), &self.shingles(b))
    }

    /// The normalizer.
    pub fn normalizer(&self) -> &Normalizer {
        &self.normalizer
    }

    /// The shingler.
    pub fn shingler(&self) -> &Shingler {
        &self.shingler
    }

    /// The MinHash hasher.
    pub fn hasher(&self) -> &MinHasher {
        &self.hasher
    }

    /// The SimHash hasher.
    pub fn simhasher(&self) -> &SimHasher {
        &self.simhasher
    }
}

impl Default for Sketcher {
    /// The default deduper's parameters: word 2-grams, 128 permutations, the
    /// [default seed](crate::DEFAULT_SEED), the default normalizer and SimHash features.
    fn default() -> Sketcher {
        Sketcher::try_new(
            ShingleKind::default(),
            crate::minhash::DEFAULT_NUM_PERM,
            crate::DEFAULT_SEED,
        )
        .expect("the defaults are valid")
    }
}

/// The exact Jaccard similarity of two raw texts with the default normalization and
/// shingles (word 2-grams): [`Sketcher::jaccard`] of [`Sketcher::default`]. For two
/// shingle sets, see [`text::shingle::jaccard`](crate::text::shingle::jaccard).
///
/// ```
/// let a = "His isolation was evident from his failure to turn up to this weekend's G20 \
///          summit in Delhi.";
/// let b = "His isolation was evident from his failure to turn up to the G20 summit in Delhi.";
/// // 17 word pairs ("weekend's" is two words) and 15, 13 of them shared: 13 of 19.
/// assert_eq!(paradup::jaccard(a, b), 13.0 / 19.0);
/// assert_eq!(paradup::jaccard(a, a), 1.0);
/// ```
pub fn jaccard(a: &str, b: &str) -> f64 {
    Sketcher::default().jaccard(a, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_sketcher_is_the_default_deduper_s() {
        let s = Sketcher::default();
        let d = crate::Deduper::new().sketcher();
        let text = "The Russian president’s increasing isolation was evident.";
        assert_eq!(s.signature(text), d.signature(text));
        assert_eq!(s.fingerprint(text), d.fingerprint(text));
        assert_eq!(s.shingles(text), d.shingles(text));
        // "the russian president s increasing isolation was evident": 7 word pairs.
        assert_eq!(s.shingles(text).len(), 7);
    }

    #[test]
    fn a_fingerprint_of_raw_text_is_one_of_its_normalized_text() {
        let s = Sketcher::default();
        let raw = "ＦＵＬＬ-width, MiXeD case; punctuation!";
        let normalized = s.normalize(raw);
        assert_eq!(normalized, "full width mixed case punctuation");
        assert_eq!(
            s.fingerprint(raw),
            s.simhasher().fingerprint_normalized(&normalized)
        );
        assert_eq!(
            s.fingerprint(raw),
            SimHasher::default().fingerprint_text(raw)
        );
        assert_ne!(
            s.fingerprint(raw),
            s.simhasher().fingerprint_normalized(raw)
        );
    }
}
