//! AVX2 (x86-64): the MinHash kernel on 4 lanes of 64 bits.
//!
//! AVX2 has no 64-bit multiply, so the low 64 bits of `a·x` are built from three
//! 32×32→64 multiplies (`vpmuludq`). The text loops have no AVX2 version: without
//! AVX-512 the callers' scalar code does all the work.

use std::arch::x86_64::*;

/// The low 64 bits of `a·x + b` per 64-bit lane, from 32×32→64 multiplies:
/// `a·x mod 2^64 = a_lo·x_lo + ((a_hi·x_lo + a_lo·x_hi) << 32)`.
#[inline]
#[target_feature(enable = "avx2")]
fn mul_add_lo64(a: __m256i, a_hi: __m256i, x: __m256i, x_hi: __m256i, b: __m256i) -> __m256i {
    let lo = _mm256_mul_epu32(a, x);
    let cross = _mm256_add_epi64(_mm256_mul_epu32(a_hi, x), _mm256_mul_epu32(a, x_hi));
    _mm256_add_epi64(_mm256_add_epi64(lo, _mm256_slli_epi64::<32>(cross)), b)
}

/// The MinHash kernel on 4 lanes of 64 bits, in blocks of 16 slots; the slots past the
/// last whole block go through the scalar kernel.
///
/// # Safety
/// The CPU must support AVX2; `a`, `b` and `sig` must have equal lengths.
#[target_feature(enable = "avx2")]
pub(in crate::arch) unsafe fn update(a: &[u64], b: &[u64], shingles: &[u64], sig: &mut [u32]) {
    const HALF: usize = 16;
    let full = sig.len() / HALF * HALF;
    // Picks the low 32 bits of each 64-bit lane's high half into the low 128 bits.
    let pick = _mm256_setr_epi32(1, 3, 5, 7, 0, 0, 0, 0);
    for base in (0..full).step_by(HALF) {
        // SAFETY: base + HALF <= full <= len of all three slices, so the 32-byte
        // loads from a/b (4 u64 each, 4 per array) and the 16-byte loads/stores on
        // sig (4 u32 each) are in bounds; unaligned loads and stores are used.
        unsafe {
            let ap = a.as_ptr().add(base);
            let bp = b.as_ptr().add(base);
            let sp = sig.as_mut_ptr().add(base);
            let mut av = [_mm256_setzero_si256(); 4];
            let mut ah = [_mm256_setzero_si256(); 4];
            let mut bv = [_mm256_setzero_si256(); 4];
            let mut m = [_mm_setzero_si128(); 4];
            for j in 0..4 {
                av[j] = _mm256_loadu_si256(ap.add(4 * j) as *const __m256i);
                ah[j] = _mm256_srli_epi64::<32>(av[j]);
                bv[j] = _mm256_loadu_si256(bp.add(4 * j) as *const __m256i);
                m[j] = _mm_loadu_si128(sp.add(4 * j) as *const __m128i);
            }
            for &x in shingles {
                let xv = _mm256_set1_epi64x(x as i64);
                let xh = _mm256_set1_epi64x((x >> 32) as i64);
                for j in 0..4 {
                    let h = mul_add_lo64(av[j], ah[j], xv, xh, bv[j]);
                    let hi = _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(h, pick));
                    m[j] = _mm_min_epu32(m[j], hi);
                }
            }
            for (j, mj) in m.iter().enumerate() {
                _mm_storeu_si128(sp.add(4 * j) as *mut __m128i, *mj);
            }
        }
    }
    crate::arch::scalar::update(&a[full..], &b[full..], shingles, &mut sig[full..]);
}
