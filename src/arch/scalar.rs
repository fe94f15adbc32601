//! The portable reference: safe code on every target, which every SIMD path of
//! [`arch`](super) must match bit for bit (the tests compare them).
//!
//! Tried and kept out: slot-outer / shingle-inner order (slower: the min-reduction
//! over shingles vectorizes worse than the elementwise min over slots); the AVX2
//! kernel's 32-bit halves written in scalar code (LLVM then does not vectorize it:
//! 7.6 against 12.7 M shingles/s on x86-64 with SSE2, where this loop becomes `pmuludq`).

/// Lanes per chunk: 8 × u64 is one AVX-512 register.
const LANES: usize = 8;

/// The portable MinHash kernel: the reference for the SIMD ones.
///
/// For every shingle `x` and every slot `i`: `sig[i] = min(sig[i], (a[i]·x + b[i]) >> 32)`
/// (64-bit wrapping arithmetic), over fixed-width lanes with `chunks_exact` and `zip`
/// so that the compiler unrolls it with no bounds checks inside. Meant for `a`, `b`
/// and `sig` of equal lengths, which [`update_with`](super::update_with) asserts.
pub fn update(a: &[u64], b: &[u64], shingles: &[u64], sig: &mut [u32]) {
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
