//! MinHash signatures.
//!
//! A [`MinHasher`] holds `num_perm` multiply-shift permutations
//! `h_i(x) = (a_i · x + b_i) >> 32` (64-bit wrapping arithmetic, `a_i` odd) of the 64-bit
//! shingle hashes, and a signature keeps, for each permutation, the minimum over the
//! shingle set as a `u32`. The parameters `a_i, b_i` come from [`SplitMix64`] seeded
//! with the hasher's seed, so signatures are reproducible across versions and machines
//! (a golden test pins them).
//!
//! The fraction of equal slots between two signatures estimates the Jaccard similarity
//! of the shingle sets, with standard error `sqrt(J(1−J)/num_perm)`.
//!
//! An empty shingle set has the all-`u32::MAX` signature.

pub mod kernel;

use crate::error::{ErrorKind, Result};

/// Default number of permutations.
pub const DEFAULT_NUM_PERM: usize = 128;

/// The SplitMix64 generator (Steele, Lea, Flood 2014), written here so that the
/// permutation parameters never change with a dependency's version.
///
/// ```
/// let mut g = paradup::SplitMix64::new(0);
/// assert_eq!(g.next_u64(), 0xe220a8397b1dcdaf);
/// ```
#[derive(Clone, Debug)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator starting from `seed`.
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64 { state: seed }
    }

    /// The next value.
    #[allow(clippy::should_implement_trait)]
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// Computes MinHash signatures. `Send + Sync`; share one across threads.
///
/// ```
/// use paradup::{MinHasher, Normalizer, ShingleKind, Shingler};
///
/// let shingler = Shingler::new(ShingleKind::Words(3));
/// let hasher = MinHasher::new(128);
/// let norm = Normalizer::new();
/// let a = hasher.signature(&shingler.shingles(&norm.normalize("the quick brown fox jumps over the lazy dog")));
/// let b = hasher.signature(&shingler.shingles(&norm.normalize("the quick brown fox jumped over the lazy dog")));
/// let est = a.jaccard(&b);
/// assert!(est > 0.1 && est < 0.6, "{est}"); // exact Jaccard is 4/10
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MinHasher {
    seed: u64,
    a: Vec<u64>,
    b: Vec<u64>,
}

impl MinHasher {
    /// A hasher with `num_perm` permutations and the [default seed](crate::DEFAULT_SEED).
    ///
    /// # Panics
    /// If `num_perm` is zero; [`try_new`](Self::try_new) returns an error instead.
    pub fn new(num_perm: usize) -> MinHasher {
        MinHasher::try_new(num_perm, crate::DEFAULT_SEED).expect("num_perm must be at least 1")
    }

    /// A hasher with `num_perm` permutations derived from `seed`.
    pub fn try_new(num_perm: usize, seed: u64) -> Result<MinHasher> {
        if num_perm == 0 {
            return Err(ErrorKind::ZeroPermutations.into());
        }
        // A distinct stream from the shingle hashes' seed: xor with a constant.
        let mut g = SplitMix64::new(seed ^ 0x6d69_6e68_6173_6821);
        let mut a = Vec::with_capacity(num_perm);
        let mut b = Vec::with_capacity(num_perm);
        for _ in 0..num_perm {
            a.push(g.next_u64() | 1);
            b.push(g.next_u64());
        }
        Ok(MinHasher { seed, a, b })
    }

    /// Number of permutations (slots per signature).
    pub fn num_perm(&self) -> usize {
        self.a.len()
    }

    /// The seed the permutations were derived from.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The permutation parameters `(a_i, b_i)`.
    pub fn params(&self) -> (&[u64], &[u64]) {
        (&self.a, &self.b)
    }

    /// Writes the signature of `shingles` into `out`.
    ///
    /// The shingles need not be sorted or unique. This is the hot path: it allocates
    /// nothing.
    ///
    /// # Panics
    /// If `out.len() != self.num_perm()`.
    pub fn signature_into(&self, shingles: &[u64], out: &mut [u32]) {
        assert_eq!(
            out.len(),
            self.num_perm(),
            "signature buffer has the wrong length"
        );
        out.fill(u32::MAX);
        crate::arch::update(&self.a, &self.b, shingles, out);
    }

    /// Writes the first `out.len()` slots of the signature of `shingles` into `out`:
    /// what [`signature_into`](Self::signature_into) writes there, without computing
    /// the rest. Banded LSH reads only the first `bands × rows` slots.
    ///
    /// ```
    /// let hasher = paradup::MinHasher::try_new(128, 7).unwrap();
    /// let shingles = [3u64, 1 << 40, 99];
    /// let mut prefix = [0u32; 48];
    /// hasher.signature_prefix_into(&shingles, &mut prefix);
    /// assert_eq!(prefix[..], hasher.signature(&shingles).slots()[..48]);
    /// ```
    ///
    /// # Panics
    /// If `out.len() > self.num_perm()`.
    pub fn signature_prefix_into(&self, shingles: &[u64], out: &mut [u32]) {
        let n = out.len();
        assert!(
            n <= self.num_perm(),
            "signature prefix longer than the signature"
        );
        out.fill(u32::MAX);
        crate::arch::update(&self.a[..n], &self.b[..n], shingles, out);
    }

    /// The signature of `shingles`, as a new [`Signature`].
    pub fn signature(&self, shingles: &[u64]) -> Signature {
        let mut slots = vec![0; self.num_perm()];
        self.signature_into(shingles, &mut slots);
        Signature(slots.into_boxed_slice())
    }
}

/// A MinHash signature: one `u32` minimum per permutation.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Signature(Box<[u32]>);

impl Signature {
    /// Wraps slots computed elsewhere (for example read back from storage).
    pub fn from_slots(slots: Vec<u32>) -> Signature {
        Signature(slots.into_boxed_slice())
    }

    /// The slots.
    pub fn slots(&self) -> &[u32] {
        &self.0
    }

    /// The Jaccard estimate against `other`: see [`estimate_jaccard`].
    pub fn jaccard(&self, other: &Signature) -> f64 {
        estimate_jaccard(&self.0, &other.0)
    }

    /// Whether this is the signature of the empty set.
    pub fn is_empty_set(&self) -> bool {
        self.0.iter().all(|&s| s == u32::MAX)
    }
}

/// The Jaccard estimate of two signatures: the fraction of slots that agree.
///
/// # Panics
/// If the lengths differ or are zero.
pub fn estimate_jaccard(a: &[u32], b: &[u32]) -> f64 {
    assert!(
        a.len() == b.len() && !a.is_empty(),
        "signatures must have the same, non-zero length"
    );
    let equal = a.iter().zip(b).filter(|(x, y)| x == y).count();
    equal as f64 / a.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// A prefix is the full signature's first slots, at any length and any number
        /// of permutations (whole kernel blocks and a scalar remainder).
        #[test]
        fn signature_prefix_is_the_signature_start(
            shingles in proptest::collection::vec(proptest::prelude::any::<u64>(), 0..200),
            num_perm in 1usize..300,
            cut in proptest::prelude::any::<proptest::sample::Index>(),
            seed in proptest::prelude::any::<u64>(),
        ) {
            let hasher = MinHasher::try_new(num_perm, seed).unwrap();
            let full = hasher.signature(&shingles);
            let n = cut.index(num_perm + 1);
            let mut prefix = vec![0u32; n];
            hasher.signature_prefix_into(&shingles, &mut prefix);
            proptest::prop_assert_eq!(&prefix[..], &full.slots()[..n]);
        }
    }

    #[test]
    fn splitmix_reference_values() {
        // Reference values of SplitMix64 seeded with 0 (from the paper's C code).
        let mut g = SplitMix64::new(0);
        assert_eq!(g.next_u64(), 0xe220a8397b1dcdaf);
        assert_eq!(g.next_u64(), 0x6e789e6aa1b965f4);
        assert_eq!(g.next_u64(), 0x06c45d188009454f);
    }

    #[test]
    fn empty_set_signature() {
        let h = MinHasher::new(16);
        assert!(h.signature(&[]).is_empty_set());
        assert!(!h.signature(&[1]).is_empty_set());
    }

    #[test]
    fn zero_permutations_is_an_error() {
        assert_eq!(
            MinHasher::try_new(0, 1).unwrap_err().kind(),
            &ErrorKind::ZeroPermutations
        );
    }

    #[test]
    fn identical_sets_estimate_one() {
        let h = MinHasher::new(64);
        let a = h.signature(&[5, 9, 1]);
        let b = h.signature(&[1, 5, 9, 9]);
        assert_eq!(a.jaccard(&b), 1.0);
    }
}
