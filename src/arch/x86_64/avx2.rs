//! AVX2 (x86-64): the MinHash kernel on 8 slots of 32 bits per register, and the text
//! path's loops (word hashes, shingle combination, the space finder, ASCII
//! normalization) for CPUs without AVX-512.
//!
//! In the kernel: AVX2 has no 64-bit multiply, and only the high half of `a·x + b` is
//! kept, so each slot needs one 32×32→64 product (`vpmuludq`, for the carry of
//! `a_lo·x_lo + b`) and the cross term mod 2^32 (`vpmulld`): two `vpmuludq`, two
//! `vpmulld` per 8 slots.

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

/// `a · m` mod 2^64 on four lanes, `m` given as its halves broadcast (`m_lo`, `m_hi`
/// in the low 32 bits of each lane): AVX2 has no 64-bit multiply, so three
/// `vpmuludq`, the cross terms shifted into the high half.
#[inline]
#[target_feature(enable = "avx2")]
fn mul64(a: __m256i, m_lo: __m256i, m_hi: __m256i) -> __m256i {
    let lo = _mm256_mul_epu32(a, m_lo);
    let cross = _mm256_add_epi64(
        _mm256_mul_epu32(_mm256_srli_epi64::<32>(a), m_lo),
        _mm256_mul_epu32(a, m_hi),
    );
    _mm256_add_epi64(lo, _mm256_slli_epi64::<32>(cross))
}

/// A 64-bit constant as the two operands of [`mul64`].
#[derive(Clone, Copy)]
struct Mul64 {
    lo: __m256i,
    hi: __m256i,
}

impl Mul64 {
    #[inline]
    #[target_feature(enable = "avx2")]
    fn new(m: u64) -> Mul64 {
        Mul64 {
            lo: _mm256_set1_epi64x((m & 0xffff_ffff) as i64),
            hi: _mm256_set1_epi64x((m >> 32) as i64),
        }
    }

    #[inline]
    #[target_feature(enable = "avx2")]
    fn mul(self, a: __m256i) -> __m256i {
        mul64(a, self.lo, self.hi)
    }
}

/// `rotl(x, R)` on four lanes (`L` = 64 - `R`).
#[inline]
#[target_feature(enable = "avx2")]
fn rotl<const R: i32, const L: i32>(x: __m256i) -> __m256i {
    _mm256_or_si256(_mm256_slli_epi64::<R>(x), _mm256_srli_epi64::<L>(x))
}

/// The constants of [`word_hashes`]' four-lane hash.
#[derive(Clone, Copy)]
struct WordHash {
    flip_a: __m256i,
    flip_b: __m256i,
    m1: Mul64,
    m2: Mul64,
    m3: Mul64,
}

impl WordHash {
    /// xxh3 of four words of 1 to 8 bytes: `x` the eight bytes at each word's start,
    /// `n` its length. Both short formulas run on every lane and the length picks one
    /// (lanes with `n > 8` are wrong; the caller hashes those words again).
    #[inline]
    #[target_feature(enable = "avx2")]
    fn hash(&self, x: __m256i, n: __m256i) -> __m256i {
        let set1 = |v: i64| _mm256_set1_epi64x(v);
        let byte = set1(0xff);
        // xxh3_64_1to3: bytes 0, n/2 and n - 1, and the length.
        let at =
            |i: __m256i| _mm256_and_si256(_mm256_srlv_epi64(x, _mm256_slli_epi64::<3>(i)), byte);
        let combo = _mm256_or_si256(
            _mm256_or_si256(
                _mm256_slli_epi64::<16>(_mm256_and_si256(x, byte)),
                _mm256_slli_epi64::<24>(at(_mm256_srli_epi64::<1>(n))),
            ),
            _mm256_or_si256(at(_mm256_sub_epi64(n, set1(1))), _mm256_slli_epi64::<8>(n)),
        );
        let mut a = _mm256_xor_si256(combo, self.flip_a);
        a = _mm256_xor_si256(a, _mm256_srli_epi64::<33>(a));
        a = self.m1.mul(a);
        a = _mm256_xor_si256(a, _mm256_srli_epi64::<29>(a));
        a = self.m2.mul(a);
        a = _mm256_xor_si256(a, _mm256_srli_epi64::<32>(a));
        // xxh3_64_4to8: the first four bytes high, the last four low. For n < 4 the
        // shift wraps to a count over 63, which `vpsrlvq` turns into 0: those lanes
        // take the other formula.
        let low32 = set1(0xffff_ffff);
        let shift = _mm256_slli_epi64::<3>(_mm256_sub_epi64(n, set1(4)));
        let last = _mm256_and_si256(_mm256_srlv_epi64(x, shift), low32);
        let first = _mm256_slli_epi64::<32>(_mm256_and_si256(x, low32));
        let input = _mm256_xor_si256(_mm256_add_epi64(last, first), self.flip_b);
        let mut h = _mm256_xor_si256(
            input,
            _mm256_xor_si256(rotl::<49, 15>(input), rotl::<24, 40>(input)),
        );
        h = self.m3.mul(h);
        h = _mm256_xor_si256(h, _mm256_add_epi64(_mm256_srli_epi64::<35>(h), n));
        h = self.m3.mul(h);
        h = _mm256_xor_si256(h, _mm256_srli_epi64::<28>(h));
        let short = _mm256_cmpgt_epi64(set1(4), n);
        _mm256_blendv_epi8(h, a, short)
    }
}

/// xxh3 of the words whose spans (`start | len << 32`) are `spans`, in place, eight
/// at a time while every start in the group has eight bytes of `text` after it; returns
/// how many (a multiple of 8). Words of 1 to 8 bytes by both short formulas on four
/// lanes, one picked by the length; longer ones through `xxh3_64_with_seed`.
///
/// # Safety
/// The CPU must support AVX2.
#[target_feature(enable = "avx2")]
pub(in crate::arch) unsafe fn word_hashes(
    text: &[u8],
    spans: &mut [u64],
    seed: u64,
    flip_1to3: u64,
    flip_4to8: u64,
) -> usize {
    let wh = WordHash {
        flip_a: _mm256_set1_epi64x(flip_1to3 as i64),
        flip_b: _mm256_set1_epi64x(flip_4to8 as i64),
        m1: Mul64::new(0xC2B2_AE3D_27D4_EB4F),
        m2: Mul64::new(0x1656_67B1_9E37_79F9),
        m3: Mul64::new(0x9FB2_1C65_1E98_DF25),
    };
    let load8 = |s: u64| {
        let s = (s & 0xffff_ffff) as usize;
        u64::from_le_bytes(text[s..s + 8].try_into().expect("8 bytes")) as i64
    };
    let eight = _mm256_set1_epi64x(8);
    let mut done = 0;
    for group in spans.chunks_exact_mut(8) {
        if (group[7] & 0xffff_ffff) as usize + 8 > text.len() {
            break;
        }
        let g: [u64; 8] = group.try_into().expect("8 spans");
        // Starts increase, so every start in the group has eight bytes after it; the
        // loads are plain indexing (a gather is slower than four loads on AMD cores).
        let x0 = _mm256_setr_epi64x(load8(g[0]), load8(g[1]), load8(g[2]), load8(g[3]));
        let x1 = _mm256_setr_epi64x(load8(g[4]), load8(g[5]), load8(g[6]), load8(g[7]));
        // SAFETY: `g` and `group` are 8 u64 each; unaligned loads and stores of two
        // halves of four.
        let (v0, v1) = unsafe {
            (
                _mm256_loadu_si256(g.as_ptr() as *const __m256i),
                _mm256_loadu_si256(g.as_ptr().add(4) as *const __m256i),
            )
        };
        let (n0, n1) = (_mm256_srli_epi64::<32>(v0), _mm256_srli_epi64::<32>(v1));
        let (h0, h1) = (wh.hash(x0, n0), wh.hash(x1, n1));
        // SAFETY: as above.
        unsafe {
            _mm256_storeu_si256(group.as_mut_ptr() as *mut __m256i, h0);
            _mm256_storeu_si256(group.as_mut_ptr().add(4) as *mut __m256i, h1);
        }
        let long = _mm256_movemask_pd(_mm256_castsi256_pd(_mm256_cmpgt_epi64(n0, eight)))
            | _mm256_movemask_pd(_mm256_castsi256_pd(_mm256_cmpgt_epi64(n1, eight))) << 4;
        super::rehash_long(text, seed, &g, long as u32, group);
        done += 8;
    }
    done
}

/// Appends the shingler's `combine_word_hashes` of the windows of `n` consecutive
/// `hashes` to `out`, eight windows at a time (two halves of four lanes), and returns
/// how many (a multiple of 8).
///
/// # Safety
/// The CPU must support AVX2.
#[target_feature(enable = "avx2")]
pub(in crate::arch) unsafe fn combine_windows(
    hashes: &[u64],
    n: usize,
    out: &mut Vec<u64>,
) -> usize {
    let groups = (hashes.len() + 1).saturating_sub(n) / 8;
    if groups == 0 {
        return 0;
    }
    let k = Mul64::new(0x9E37_79B9_7F4A_7C15);
    let (f1, f2) = (
        Mul64::new(0xff51_afd7_ed55_8ccd),
        Mul64::new(0xc4ce_b9fe_1a85_ec53),
    );
    let start = _mm256_set1_epi64x((n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) as i64);
    let fmix = |mut h: __m256i| {
        h = _mm256_xor_si256(h, _mm256_srli_epi64::<33>(h));
        h = f1.mul(h);
        h = _mm256_xor_si256(h, _mm256_srli_epi64::<33>(h));
        h = f2.mul(h);
        _mm256_xor_si256(h, _mm256_srli_epi64::<33>(h))
    };
    out.reserve(8 * groups);
    let at = out.len();
    // SAFETY: group g < groups loads 4 u64 at 8g + t and at 8g + 4 + t for t < n, and
    // 8g + t + 8 <= 8·groups + n - 1 <= hashes.len(); it stores 8 u64 at at + 8g,
    // inside the capacity reserved above, and `set_len` covers exactly those.
    unsafe {
        let src = hashes.as_ptr();
        let dst = out.as_mut_ptr().add(at);
        for g in 0..groups {
            let (mut a0, mut a1) = (start, start);
            for t in 0..n {
                let w0 = _mm256_loadu_si256(src.add(8 * g + t) as *const __m256i);
                let w1 = _mm256_loadu_si256(src.add(8 * g + 4 + t) as *const __m256i);
                a0 = k.mul(_mm256_xor_si256(rotl::<23, 41>(a0), w0));
                a1 = k.mul(_mm256_xor_si256(rotl::<23, 41>(a1), w1));
            }
            _mm256_storeu_si256(dst.add(8 * g) as *mut __m256i, fmix(a0));
            _mm256_storeu_si256(dst.add(8 * g + 4) as *mut __m256i, fmix(a1));
        }
        out.set_len(at + 8 * groups);
    }
    8 * groups
}

/// Bit `i` set when `block[i]` is a space: two compares and two `vpmovmskb`.
///
/// # Safety
/// The CPU must support AVX2.
#[target_feature(enable = "avx2")]
pub(in crate::arch) unsafe fn space_bits(block: &[u8; 64]) -> u64 {
    let spaces = _mm256_set1_epi8(b' ' as i8);
    // SAFETY: `block` is 64 bytes: two unaligned loads of 32.
    let (lo, hi) = unsafe {
        (
            _mm256_loadu_si256(block.as_ptr() as *const __m256i),
            _mm256_loadu_si256(block.as_ptr().add(32) as *const __m256i),
        )
    };
    let lo = _mm256_movemask_epi8(_mm256_cmpeq_epi8(lo, spaces)) as u32;
    let hi = _mm256_movemask_epi8(_mm256_cmpeq_epi8(hi, spaces)) as u32;
    u64::from(lo) | u64::from(hi) << 32
}

/// For each byte mask `m`, the positions of its set bits in order, one per byte:
/// the `vpshufb` indices that pack the kept bytes of eight to the front.
const PACK: [u64; 256] = {
    let mut table = [0u64; 256];
    let mut m = 0;
    while m < 256 {
        let (mut packed, mut k, mut bit) = (0u64, 0, 0);
        while bit < 8 {
            if m >> bit & 1 == 1 {
                packed |= (bit as u64) << (8 * k);
                k += 1;
            }
            bit += 1;
        }
        table[m] = packed;
        m += 1;
    }
    table
};

/// Bytes of `x` at most `c` (unsigned), as a byte mask: AVX2 compares only signed.
#[inline]
#[target_feature(enable = "avx2")]
fn le_epu8(x: __m256i, c: __m256i) -> __m256i {
    _mm256_cmpeq_epi8(_mm256_min_epu8(x, c), x)
}

/// The normalizer's ASCII path 32 bytes at a time (see `ascii_words_with`): the
/// masks as in the AVX-512 loop, and the kept bytes packed eight at a time by a
/// `vpshufb` from [`PACK`], AVX2 having no `vpcompressb`.
///
/// # Safety
/// The CPU must support AVX2 and POPCNT.
#[target_feature(enable = "avx2,popcnt")]
pub(in crate::arch) unsafe fn ascii_words(
    src: &[u8],
    dst: &mut [u8],
    mut prev_sep: bool,
    lower: bool,
    strip: bool,
) -> (usize, usize, bool) {
    let (mut r, mut w) = (0, 0);
    let set1 = |b: u8| _mm256_set1_epi8(b as i8);
    let (spaces, case) = (set1(b' '), set1(0x20));
    let (a, z25) = (set1(b'a'), set1(25));
    let (d0, d9) = (set1(b'0'), set1(9));
    let (g0, g93) = (set1(0x21), set1(0x5d));
    while src.len() - r >= 32 && dst.len() - w >= 32 {
        // SAFETY: r + 32 <= src.len() (loop condition): the unaligned load is in bounds.
        let x = unsafe { _mm256_loadu_si256(src.as_ptr().add(r) as *const __m256i) };
        let high = _mm256_movemask_epi8(x) as u32;
        let valid = if high == 0 {
            u32::MAX
        } else {
            (1u32 << high.trailing_zeros()) - 1
        };
        let folded = _mm256_or_si256(x, case);
        let alpha = le_epu8(_mm256_sub_epi8(folded, a), z25);
        let word = if strip {
            _mm256_or_si256(alpha, le_epu8(_mm256_sub_epi8(x, d0), d9))
        } else {
            le_epu8(_mm256_sub_epi8(x, g0), g93)
        };
        let mapped = if lower {
            _mm256_blendv_epi8(x, folded, alpha)
        } else {
            x
        };
        let y = _mm256_blendv_epi8(spaces, mapped, word);
        let word = _mm256_movemask_epi8(word) as u32;
        let sep = !word & valid;
        let drop = sep & (sep << 1 | u32::from(prev_sep));
        let keep = valid & !drop;
        let halves = [_mm256_castsi256_si128(y), _mm256_extracti128_si256::<1>(y)];
        for (g, half) in halves.into_iter().enumerate() {
            for part in 0..2 {
                let bits = (keep >> (16 * g + 8 * part)) & 0xff;
                let index = PACK[bits as usize] + 0x0808_0808_0808_0808 * part as u64;
                let packed = _mm_shuffle_epi8(half, _mm_cvtsi64_si128(index as i64));
                // SAFETY: w + 32 <= dst.len() at the top of the block (loop condition)
                // and at most 24 bytes are kept before the last group: each 8-byte
                // unaligned store ends at or before w + 32.
                unsafe { _mm_storel_epi64(dst.as_mut_ptr().add(w) as *mut __m128i, packed) };
                w += bits.count_ones() as usize;
            }
        }
        let n = valid.count_ones() as usize;
        if n > 0 {
            prev_sep = sep >> (n - 1) & 1 != 0;
        }
        r += n;
        if high != 0 {
            break;
        }
    }
    (r, w, prev_sep)
}
