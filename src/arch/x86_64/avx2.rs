//! AVX2 (x86-64): the MinHash kernel on 8 slots of 32 bits per register.
//!
//! AVX2 has no 64-bit multiply, and only the high half of `a·x + b` is kept, so each
//! slot needs one 32×32→64 product (`vpmuludq`, for the carry of `a_lo·x_lo + b`) and
//! the cross term mod 2^32 (`vpmulld`): two `vpmuludq`, two `vpmulld` per 8 slots.

use std::arch::x86_64::*;

/// Slots per block of the AVX2 kernel: four accumulators of 8 slots.
const BLOCK: usize = 32;

/// The order of the slots in an accumulator's 32-bit lanes: blending the high halves
/// of two `vpmuludq` results (slots 0..4 and 4..8) without a cross-lane permute
/// interleaves them.
const ORDER: [i32; 8] = [0, 4, 1, 5, 2, 6, 3, 7];
/// The inverse of [`ORDER`]: where each slot's lane is.
const UNORDER: [i32; 8] = [0, 2, 4, 6, 1, 3, 5, 7];

/// One accumulator's constants: 8 slots of `a` and `b` as two registers of 4 × u64
/// each, and `a`'s halves as 8 × u32 in [`ORDER`].
#[derive(Clone, Copy)]
struct Slots8 {
    a0: __m256i,
    a1: __m256i,
    b0: __m256i,
    b1: __m256i,
    a_lo: __m256i,
    a_hi: __m256i,
}

impl Slots8 {
    /// # Safety
    /// AVX2; `a` and `b` must point to 8 readable `u64`.
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn load(a: *const u64, b: *const u64) -> Slots8 {
        // SAFETY: the caller guarantees 8 readable u64 at `a` and at `b`; the loads
        // are unaligned (`loadu`).
        let (a0, a1, b0, b1) = unsafe {
            (
                _mm256_loadu_si256(a as *const __m256i),
                _mm256_loadu_si256(a.add(4) as *const __m256i),
                _mm256_loadu_si256(b as *const __m256i),
                _mm256_loadu_si256(b.add(4) as *const __m256i),
            )
        };
        Slots8 {
            a0,
            a1,
            b0,
            b1,
            a_lo: _mm256_blend_epi32::<0xAA>(a0, _mm256_slli_epi64::<32>(a1)),
            a_hi: _mm256_blend_epi32::<0xAA>(_mm256_srli_epi64::<32>(a0), a1),
        }
    }

    /// `(a·x + b) >> 32` for the 8 slots, in [`ORDER`]: `x_lo` and `x_hi` are the
    /// halves of `x` broadcast to every 32-bit lane (`vpmuludq` reads the even ones).
    #[inline]
    #[target_feature(enable = "avx2")]
    fn hash(&self, x_lo: __m256i, x_hi: __m256i) -> __m256i {
        // hi32(a_lo·x_lo + b): the 64-bit add carries into the high half.
        let p0 = _mm256_add_epi64(_mm256_mul_epu32(self.a0, x_lo), self.b0);
        let p1 = _mm256_add_epi64(_mm256_mul_epu32(self.a1, x_lo), self.b1);
        let hi = _mm256_blend_epi32::<0xAA>(_mm256_srli_epi64::<32>(p0), p1);
        // + (a_hi·x_lo + a_lo·x_hi) mod 2^32, the cross term of the product.
        let cross = _mm256_add_epi32(
            _mm256_mullo_epi32(self.a_hi, x_lo),
            _mm256_mullo_epi32(self.a_lo, x_hi),
        );
        _mm256_add_epi32(hi, cross)
    }
}

/// The MinHash kernel on `R` accumulators of 8 slots for the slots `base..base + 8R`.
///
/// # Safety
/// AVX2; `base + 8 * R` must be at most the length of `a`, `b` and `sig`.
#[inline]
#[target_feature(enable = "avx2")]
unsafe fn block<const R: usize>(
    a: &[u64],
    b: &[u64],
    shingles: &[u64],
    sig: &mut [u32],
    base: usize,
) {
    let order = _mm256_setr_epi32(
        ORDER[0], ORDER[1], ORDER[2], ORDER[3], ORDER[4], ORDER[5], ORDER[6], ORDER[7],
    );
    let unorder = _mm256_setr_epi32(
        UNORDER[0], UNORDER[1], UNORDER[2], UNORDER[3], UNORDER[4], UNORDER[5], UNORDER[6],
        UNORDER[7],
    );
    // SAFETY: base + 8R <= the length of a, b and sig (the caller's guarantee), so
    // each Slots8::load reads 8 u64 in bounds, and each 32-byte load/store of sig
    // (8 u32 at base + 8j, j < R) is in bounds; all are unaligned (`loadu`/`storeu`).
    unsafe {
        let sp = sig.as_mut_ptr().add(base);
        let slots: [Slots8; R] = std::array::from_fn(|j| {
            Slots8::load(a.as_ptr().add(base + 8 * j), b.as_ptr().add(base + 8 * j))
        });
        let mut m: [__m256i; R] = std::array::from_fn(|j| {
            _mm256_permutevar8x32_epi32(_mm256_loadu_si256(sp.add(8 * j) as *const __m256i), order)
        });
        for &x in shingles {
            let x_lo = _mm256_set1_epi32(x as i32);
            let x_hi = _mm256_set1_epi32((x >> 32) as i32);
            for j in 0..R {
                m[j] = _mm256_min_epu32(m[j], slots[j].hash(x_lo, x_hi));
            }
        }
        for (j, mj) in m.iter().enumerate() {
            let s = _mm256_permutevar8x32_epi32(*mj, unorder);
            _mm256_storeu_si256(sp.add(8 * j) as *mut __m256i, s);
        }
    }
}

/// The MinHash kernel: blocks of [`BLOCK`] slots, then of 8, then the scalar kernel
/// for the last `len % 8`.
///
/// # Safety
/// The CPU must support AVX2; `a`, `b` and `sig` must have equal lengths.
#[target_feature(enable = "avx2")]
pub(in crate::arch) unsafe fn update(a: &[u64], b: &[u64], shingles: &[u64], sig: &mut [u32]) {
    let full = sig.len() / BLOCK * BLOCK;
    let eights = sig.len() / 8 * 8;
    for base in (0..full).step_by(BLOCK) {
        // SAFETY: AVX2 (the caller's guarantee); base + BLOCK <= full <= the common
        // length of a, b and sig.
        unsafe { block::<{ BLOCK / 8 }>(a, b, shingles, sig, base) }
    }
    for base in (full..eights).step_by(8) {
        // SAFETY: AVX2 (the caller's guarantee); base + 8 <= eights <= the common
        // length of a, b and sig.
        unsafe { block::<1>(a, b, shingles, sig, base) }
    }
    crate::arch::scalar::update(&a[eights..], &b[eights..], shingles, &mut sig[eights..]);
}
