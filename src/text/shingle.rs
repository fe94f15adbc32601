//! Shingling: turning normalized text into a set of 64-bit shingle hashes.
//!
//! Two kinds of shingle:
//! - [`ShingleKind::Words(n)`](ShingleKind::Words): word n-grams. Each word is hashed
//!   once with xxh3 (seeded), and the hashes of `n` consecutive words are combined by
//!   [`combine_word_hashes`] into the shingle's hash, so no byte is hashed twice.
//! - [`ShingleKind::Chars(n)`](ShingleKind::Chars): character n-grams of the normalized
//!   text, spaces included, each hashed with xxh3 (seeded). Use these for text without
//!   spaces between words (Chinese, Japanese, Thai) and for very short paragraphs.
//!
//! A paragraph with fewer than `n` words (or characters) but at least one yields exactly
//! one shingle: the combination of all its words (or its whole text). The shingle's hash
//! includes its length, so short paragraphs keep distinct signatures (`"yes"` and `"no"`
//! do not collapse into one) and never collide with full n-grams. A paragraph with no
//! word at all (empty after normalization) has no shingle; the pipeline matches such
//! paragraphs only as exact duplicates.
//!
//! The shingle set is returned sorted and without duplicates.

use crate::error::{ErrorKind, Result};
use xxhash_rust::xxh3::xxh3_64_with_seed;

/// Which shingles to take.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ShingleKind {
    /// Word n-grams.
    Words(usize),
    /// Character n-grams (Unicode scalar values of the normalized text).
    Chars(usize),
}

impl ShingleKind {
    /// The `n` of the n-grams.
    pub fn n(&self) -> usize {
        match *self {
            ShingleKind::Words(n) | ShingleKind::Chars(n) => n,
        }
    }
}

impl Default for ShingleKind {
    /// Word 3-grams: see the crate docs ("Choosing the defaults") for the measurements.
    fn default() -> ShingleKind {
        ShingleKind::Words(3)
    }
}

const K: u64 = 0x9E37_79B9_7F4A_7C15;

/// The finalizer of MurmurHash3 (`fmix64`): a bijection on `u64` with full avalanche.
#[inline]
pub fn fmix64(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^= h >> 33;
    h
}

/// Combines the hashes of consecutive words into one shingle hash.
///
/// The function, which is part of the stable output (a golden test pins it):
///
/// ```text
/// acc = len(words) · 0x9E3779B97F4A7C15
/// for each word hash w, in order:  acc = (rotl(acc, 23) ^ w) · 0x9E3779B97F4A7C15
/// shingle = fmix64(acc)
/// ```
///
/// The rotation and multiplication make it depend on the order of the words, the
/// length term keeps shingles of different lengths apart, and `fmix64` spreads the
/// result over all 64 bits (MinHash's multiply-shift permutations need that).
#[inline]
pub fn combine_word_hashes(words: &[u64]) -> u64 {
    let mut acc = (words.len() as u64).wrapping_mul(K);
    for &w in words {
        acc = (acc.rotate_left(23) ^ w).wrapping_mul(K);
    }
    fmix64(acc)
}

/// Turns normalized text into a sorted, deduplicated set of shingle hashes.
///
/// `Shingler` is `Copy`, `Send` and `Sync`; it holds only its settings. Scratch space
/// comes from the caller through [`ShingleScratch`].
///
/// ```
/// use paradup::{Normalizer, ShingleKind, ShingleScratch, Shingler};
///
/// let shingler = Shingler::new(ShingleKind::Words(3));
/// let mut scratch = ShingleScratch::default();
/// let mut set = Vec::new();
/// let text = Normalizer::new().normalize("The cat sat on the mat. The cat sat!");
/// shingler.shingles_into(&text, &mut scratch, &mut set);
/// // "the cat sat", "cat sat on", "sat on the", "on the mat", "the mat the",
/// // "mat the cat", and "the cat sat" again, deduplicated.
/// assert_eq!(set.len(), 6);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Shingler {
    kind: ShingleKind,
    seed: u64,
}

/// Reusable scratch for [`Shingler::shingles_into`]: keep one per thread.
#[derive(Clone, Debug, Default)]
pub struct ShingleScratch {
    words: Vec<u64>,
}

impl Shingler {
    /// A shingler with the crate's [default seed](crate::DEFAULT_SEED).
    ///
    /// # Panics
    /// If `n` is zero. [`try_new`](Self::try_new) returns an error instead.
    pub fn new(kind: ShingleKind) -> Shingler {
        Shingler::try_new(kind).expect("shingle size n must be at least 1")
    }

    /// A shingler, or an error if `n` is zero.
    pub fn try_new(kind: ShingleKind) -> Result<Shingler> {
        if kind.n() == 0 {
            return Err(ErrorKind::ZeroShingleSize.into());
        }
        Ok(Shingler {
            kind,
            seed: crate::DEFAULT_SEED,
        })
    }

    /// The same shingler with another seed for the xxh3 hashes. Default:
    /// [`DEFAULT_SEED`](crate::DEFAULT_SEED).
    pub fn with_seed(mut self, seed: u64) -> Shingler {
        self.seed = seed;
        self
    }

    /// The kind of shingle.
    pub fn kind(&self) -> ShingleKind {
        self.kind
    }

    /// The hash seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Writes the shingle set of `normalized` into `out` (cleared first), sorted
    /// ascending and without duplicates.
    pub fn shingles_into(
        &self,
        normalized: &str,
        scratch: &mut ShingleScratch,
        out: &mut Vec<u64>,
    ) {
        self.hashes_into(normalized, scratch, out);
        out.sort_unstable();
        out.dedup();
    }

    /// Writes the shingle hashes of `normalized` into `out` (cleared first) in text
    /// order, repeats included: the multiset behind [`shingles_into`](Self::shingles_into).
    ///
    /// MinHash takes minima, which ignore order and repeats, so signatures need no
    /// sorting; skipping the sort saves about a third of the shingling time on
    /// 100-word paragraphs.
    pub fn hashes_into(&self, normalized: &str, scratch: &mut ShingleScratch, out: &mut Vec<u64>) {
        out.clear();
        match self.kind {
            ShingleKind::Words(n) => self.words(normalized, n, scratch, out),
            ShingleKind::Chars(n) => self.chars(normalized, n, out),
        }
    }

    /// The shingle set of `normalized` as a new vector.
    pub fn shingles(&self, normalized: &str) -> Vec<u64> {
        let mut out = Vec::new();
        self.shingles_into(normalized, &mut ShingleScratch::default(), &mut out);
        out
    }

    fn words(&self, text: &str, n: usize, scratch: &mut ShingleScratch, out: &mut Vec<u64>) {
        let hashes = &mut scratch.words;
        hashes.clear();
        // Normalized text separates words by single spaces; `split(' ')` finds them with
        // memchr, faster than a byte-by-byte whitespace scan (tried: `tokenize::words`,
        // which also skips tabs and newlines, 9% of the single-thread pipeline profile).
        // Empty pieces (from text that was not normalized) are skipped.
        hashes.extend(
            text.split(' ')
                .filter(|w| !w.is_empty())
                .map(|w| xxh3_64_with_seed(w.as_bytes(), self.seed)),
        );
        if hashes.is_empty() {
            return;
        }
        if hashes.len() < n {
            out.push(combine_word_hashes(hashes));
            return;
        }
        out.extend(hashes.windows(n).map(combine_word_hashes));
    }

    fn chars(&self, text: &str, n: usize, out: &mut Vec<u64>) {
        if text.is_empty() {
            return;
        }
        let bytes = text.as_bytes();
        if text.is_ascii() {
            if bytes.len() <= n {
                out.push(xxh3_64_with_seed(bytes, self.seed));
            } else {
                out.extend(bytes.windows(n).map(|w| xxh3_64_with_seed(w, self.seed)));
            }
            return;
        }
        // Byte offsets of char starts, plus the end, so window i is starts[i]..starts[i+n].
        let starts: Vec<usize> = text
            .char_indices()
            .map(|(i, _)| i)
            .chain(std::iter::once(bytes.len()))
            .collect();
        let chars = starts.len() - 1;
        if chars <= n {
            out.push(xxh3_64_with_seed(bytes, self.seed));
            return;
        }
        out.extend(
            starts
                .windows(n + 1)
                .map(|w| xxh3_64_with_seed(&bytes[w[0]..w[n]], self.seed)),
        );
    }
}

/// Exact Jaccard similarity `|A ∩ B| / |A ∪ B|` of two sorted, deduplicated sets.
///
/// Two empty sets are identical and have similarity 1.0.
pub fn jaccard(a: &[u64], b: &[u64]) -> f64 {
    let inter = intersection_len(a, b);
    let union = a.len() + b.len() - inter;
    if union == 0 {
        1.0
    } else {
        inter as f64 / union as f64
    }
}

/// `|A ∩ B|` of two sorted, deduplicated sets, by a linear merge.
pub fn intersection_len(a: &[u64], b: &[u64]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                n += 1;
                i += 1;
                j += 1;
            }
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_paragraphs_get_one_distinct_shingle() {
        let s = Shingler::new(ShingleKind::Words(5));
        let yes = s.shingles("yes");
        let no = s.shingles("no");
        let two = s.shingles("yes no");
        assert_eq!((yes.len(), no.len(), two.len()), (1, 1, 1));
        assert_ne!(yes, no);
        assert_ne!(yes, two);
        assert!(s.shingles("").is_empty());
    }

    #[test]
    fn word_shingles_count_windows_and_depend_on_order() {
        let s = Shingler::new(ShingleKind::Words(2));
        assert_eq!(s.shingles("a b c d").len(), 3);
        assert_ne!(s.shingles("a b"), s.shingles("b a"));
    }

    #[test]
    fn char_shingles_handle_multibyte_text() {
        let s = Shingler::new(ShingleKind::Chars(2));
        assert_eq!(s.shingles("東京都").len(), 2);
        assert_eq!(s.shingles("東").len(), 1);
        assert_eq!(s.shingles("abcd").len(), 3);
        assert_eq!(s.shingles("ab"), s.shingles("ab"));
        assert!(s.shingles("").is_empty());
    }

    #[test]
    fn zero_n_is_an_error() {
        assert!(Shingler::try_new(ShingleKind::Words(0)).is_err());
        assert!(Shingler::try_new(ShingleKind::Chars(0)).is_err());
    }

    #[test]
    fn jaccard_of_sets() {
        assert_eq!(jaccard(&[1, 2, 3], &[2, 3, 4]), 0.5);
        assert_eq!(jaccard(&[], &[]), 1.0);
        assert_eq!(jaccard(&[1], &[]), 0.0);
    }
}
