//! The MinHash inner loop.
//!
//! For every shingle `x` and every slot `i`: `sig[i] = min(sig[i], (a[i]·x + b[i]) >> 32)`.
//! Written over fixed-width lanes so the compiler unrolls and vectorizes the slot loop:
//! the slot arrays are walked in chunks of [`LANES`] with `chunks_exact` and `zip`, so
//! there are no bounds checks inside, and the shingle loop is outside so each chunk of
//! `sig` stays in registers for one shingle at a time.
//!
//! Notes of what was tried (bench `minhash`, 128 permutations, 100-shingle sets):
//! - slot-outer / shingle-inner order: slower, the 64-bit min-reduction over shingles
//!   does not vectorize as well as the elementwise min over slots.

/// Lanes per chunk: 8 × u64 is one AVX-512 register, two AVX2 registers.
pub(crate) const LANES: usize = 8;

/// Folds `shingles` into `sig` (which the caller initialises, normally to `u32::MAX`).
#[inline]
pub(crate) fn update(a: &[u64], b: &[u64], shingles: &[u64], sig: &mut [u32]) {
    debug_assert!(a.len() == sig.len() && b.len() == sig.len());
    let full = sig.len() / LANES * LANES;
    let (sig_main, sig_tail) = sig.split_at_mut(full);
    let (a_main, a_tail) = a.split_at(full);
    let (b_main, b_tail) = b.split_at(full);
    for &x in shingles {
        for ((s, a), b) in sig_main
            .chunks_exact_mut(LANES)
            .zip(a_main.chunks_exact(LANES))
            .zip(b_main.chunks_exact(LANES))
        {
            for l in 0..LANES {
                let h = (a[l].wrapping_mul(x).wrapping_add(b[l]) >> 32) as u32;
                s[l] = s[l].min(h);
            }
        }
        for ((s, &a), &b) in sig_tail.iter_mut().zip(a_tail).zip(b_tail) {
            let h = (a.wrapping_mul(x).wrapping_add(b) >> 32) as u32;
            *s = (*s).min(h);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_definition_with_a_tail() {
        let a: Vec<u64> = (0..11u64).map(|i| i * 2 + 1).collect();
        let b: Vec<u64> = (0..11u64).map(|i| i << 40).collect();
        let shingles = [3u64, u64::MAX, 1 << 63, 12345];
        let mut sig = vec![u32::MAX; 11];
        update(&a, &b, &shingles, &mut sig);
        for i in 0..11 {
            let want = shingles
                .iter()
                .map(|&x| (a[i].wrapping_mul(x).wrapping_add(b[i]) >> 32) as u32)
                .min()
                .unwrap();
            assert_eq!(sig[i], want);
        }
    }
}
