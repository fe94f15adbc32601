//! AVX-512 (x86-64): the MinHash kernel on 8 lanes with `vpmullq` (AVX-512DQ), and the
//! text path's loops (AVX-512BW; VBMI2 besides for `ascii_words`).
//!
//! Each text loop does a prefix of the work and returns how much it did; the callers
//! finish with their scalar code, the reference the tests compare against. The safe
//! wrappers in [`arch`](crate::arch) check the CPU before calling any of them.

use std::arch::x86_64::*;
/// Slots per block of the AVX-512 kernel: four registers of 8 for each of `a`, `b`
/// and the running minima.
const BLOCK_512: usize = 32;

/// # Safety
/// The CPU must support AVX-512F and AVX-512DQ; `a`, `b` and `sig` must have equal
/// lengths.
///
/// The running minima are kept as full 64-bit values `a·x + b` and narrowed to
/// their high halves once per block at the end: `v ↦ v >> 32` is monotone, so the
/// minimum of the high halves is the high half of the minimum (a slot `s` coming in
/// is widened to `s << 32 | 0xffff_ffff`, whose high half is `s`). That leaves
/// multiply, add and `vpminuq` per 8 slots and shingle.
///
/// Measured (1000 sets of 100 random shingles, 128 permutations, best of 200 runs,
/// AMD EPYC Zen 4, binaries run alternately): 32-bit minima (shift, `vpmovqd` and
/// `vpminud` per 8 slots and shingle; the kernel before): 94.2 M shingles/s; 64-bit
/// minima: 113.9 M/s (1.21×). Blocks of 64 slots (24 registers): 113.8 M/s, no
/// change. What is left is `vpmullq`: 16 per shingle at about 2 cycles each (perf
/// puts 60% of the kernel's samples on them); building the product from
/// `vpmuludq` and `vpmulld` instead needs as many multiplier cycles.
#[target_feature(enable = "avx512f,avx512dq")]
pub(in crate::arch) unsafe fn update(a: &[u64], b: &[u64], shingles: &[u64], sig: &mut [u32]) {
    const R: usize = BLOCK_512 / 8;
    let full = sig.len() / BLOCK_512 * BLOCK_512;
    let low_ones = _mm512_set1_epi64(0xffff_ffff);
    for base in (0..full).step_by(BLOCK_512) {
        // SAFETY: base + BLOCK_512 <= full <= len of all three slices, so every
        // 64-byte load from a/b (8 u64 at base + 8j, j < R) and 32-byte load/store
        // on sig (8 u32 at base + 8j) is in bounds; unaligned loads and stores
        // (`loadu`/`storeu`) have no alignment requirement.
        unsafe {
            let ap = a.as_ptr().add(base);
            let bp = b.as_ptr().add(base);
            let sp = sig.as_mut_ptr().add(base);
            let mut av = [_mm512_setzero_si512(); R];
            let mut bv = [_mm512_setzero_si512(); R];
            let mut m = [_mm512_setzero_si512(); R];
            for j in 0..R {
                av[j] = _mm512_loadu_si512(ap.add(8 * j) as *const _);
                bv[j] = _mm512_loadu_si512(bp.add(8 * j) as *const _);
                let s = _mm512_cvtepu32_epi64(_mm256_loadu_si256(sp.add(8 * j) as *const __m256i));
                m[j] = _mm512_or_si512(_mm512_slli_epi64::<32>(s), low_ones);
            }
            for &x in shingles {
                let xv = _mm512_set1_epi64(x as i64);
                for j in 0..R {
                    let h = _mm512_add_epi64(_mm512_mullo_epi64(av[j], xv), bv[j]);
                    m[j] = _mm512_min_epu64(m[j], h);
                }
            }
            for (j, mj) in m.iter().enumerate() {
                let hi = _mm512_cvtepi64_epi32(_mm512_srli_epi64::<32>(*mj));
                _mm256_storeu_si256(sp.add(8 * j) as *mut __m256i, hi);
            }
        }
    }
    crate::arch::scalar::update(&a[full..], &b[full..], shingles, &mut sig[full..]);
}

/// The mixing of xxh3_64_4to8 on eight lanes: `input` is the packed bytes xor the
/// seeded secret, `mul` the multiplier, `len` each lane's input length.
#[inline]
#[target_feature(enable = "avx512f,avx512dq")]
fn xxh3_4to8_mix(input: __m512i, mul: __m512i, len: __m512i) -> __m512i {
    let mut h = _mm512_ternarylogic_epi64::<0x96>(
        input,
        _mm512_rol_epi64::<49>(input),
        _mm512_rol_epi64::<24>(input),
    );
    h = _mm512_mullo_epi64(h, mul);
    h = _mm512_xor_si512(h, _mm512_add_epi64(_mm512_srli_epi64::<35>(h), len));
    h = _mm512_mullo_epi64(h, mul);
    _mm512_xor_si512(h, _mm512_srli_epi64::<28>(h))
}

/// # Safety
/// The CPU must support AVX-512F, AVX-512DQ and AVX-512BW; `4 <= n <= 8`.
#[target_feature(enable = "avx512f,avx512dq,avx512bw")]
pub(in crate::arch) unsafe fn gram_hashes(
    bytes: &[u8],
    n: usize,
    flip: u64,
    out: &mut Vec<u64>,
) -> usize {
    // Eight windows from offset i read bytes i..i + 7 + n <= i + 15: a 16-byte load.
    let blocks = bytes.len().saturating_sub(8) / 8;
    if blocks == 0 {
        return 0;
    }
    // Lane k (bytes 8k'..8k'+8 of its 128-bit lane, k = 2·lane128 + k'): the last
    // four bytes of window k, then its first four.
    let mut index = [0u8; 64];
    for (k, lane) in index.chunks_exact_mut(8).enumerate() {
        for t in 0..4 {
            lane[t] = (k + n - 4 + t) as u8;
            lane[4 + t] = (k + t) as u8;
        }
    }
    let c = 0x9FB2_1C65_1E98_DF25u64 as i64;
    out.reserve(8 * blocks);
    let start = out.len();
    // SAFETY: `index` is 64 bytes (one unaligned load); block `j` loads the 16
    // bytes at 8j, and 8j + 16 <= 8·blocks + 8 <= bytes.len(); the stores write
    // 8 u64 at start + 8j < start + 8·blocks, inside the capacity reserved above,
    // and `set_len` covers exactly the elements written, all initialised.
    unsafe {
        let index = _mm512_loadu_si512(index.as_ptr() as *const _);
        let flip = _mm512_set1_epi64(flip as i64);
        let mul = _mm512_set1_epi64(c);
        let len = _mm512_set1_epi64(n as i64);
        let src = bytes.as_ptr();
        let dst = out.as_mut_ptr().add(start);
        for j in 0..blocks {
            let raw = _mm_loadu_si128(src.add(8 * j) as *const __m128i);
            let v = _mm512_shuffle_epi8(_mm512_broadcast_i32x4(raw), index);
            // xxh3_64_4to8, on eight lanes.
            let h = xxh3_4to8_mix(_mm512_xor_si512(v, flip), mul, len);
            _mm512_storeu_si512(dst.add(8 * j) as *mut _, h);
        }
        out.set_len(start + 8 * blocks);
    }
    8 * blocks
}

/// # Safety
/// The CPU must support AVX-512F, AVX-512DQ, AVX-512BW, AVX-512VBMI2 and POPCNT
/// (without it, `count_ones` is a table lookup of several instructions).
#[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vbmi2,popcnt")]
pub(in crate::arch) unsafe fn ascii_words(
    src: &[u8],
    dst: &mut [u8],
    mut prev_sep: bool,
    lower: bool,
    strip: bool,
) -> (usize, usize, bool) {
    let (mut r, mut w) = (0, 0);
    let spaces = _mm512_set1_epi8(b' ' as i8);
    let case = _mm512_set1_epi8(0x20);
    let (a, z26) = (_mm512_set1_epi8(b'a' as i8), _mm512_set1_epi8(26));
    let (d0, d10) = (_mm512_set1_epi8(b'0' as i8), _mm512_set1_epi8(10));
    let (g0, g94) = (_mm512_set1_epi8(0x21), _mm512_set1_epi8(0x5e));
    while src.len() - r >= 64 && dst.len() - w >= 64 {
        // SAFETY: r + 64 <= src.len() and w + 64 <= dst.len() (loop condition):
        // the unaligned 64-byte load and store are in bounds.
        let x = unsafe { _mm512_loadu_si512(src.as_ptr().add(r) as *const _) };
        let high = _mm512_movepi8_mask(x);
        let valid = if high == 0 {
            u64::MAX
        } else {
            (1u64 << high.trailing_zeros()) - 1
        };
        let folded = _mm512_or_si512(x, case);
        let alpha = _mm512_cmplt_epu8_mask(_mm512_sub_epi8(folded, a), z26);
        let word = if strip {
            alpha | _mm512_cmplt_epu8_mask(_mm512_sub_epi8(x, d0), d10)
        } else {
            _mm512_cmplt_epu8_mask(_mm512_sub_epi8(x, g0), g94)
        };
        let mapped = if lower {
            _mm512_mask_mov_epi8(x, alpha, folded)
        } else {
            x
        };
        let y = _mm512_mask_mov_epi8(spaces, word, mapped);
        let sep = !word & valid;
        let drop = sep & (sep << 1 | u64::from(prev_sep));
        let keep = valid & !drop;
        let packed = _mm512_maskz_compress_epi8(keep, y);
        // SAFETY: see the load above.
        unsafe { _mm512_storeu_si512(dst.as_mut_ptr().add(w) as *mut _, packed) };
        let n = valid.count_ones() as usize;
        if n > 0 {
            prev_sep = sep >> (n - 1) & 1 != 0;
        }
        r += n;
        w += keep.count_ones() as usize;
        if high != 0 {
            break;
        }
    }
    (r, w, prev_sep)
}

/// # Safety
/// The CPU must support AVX-512F, AVX-512DQ and AVX-512BW; `text.len() <=
/// i32::MAX`.
#[target_feature(enable = "avx512f,avx512dq,avx512bw")]
pub(in crate::arch) unsafe fn word_hashes(
    text: &[u8],
    spans: &mut [u64],
    seed: u64,
    flip_1to3: u64,
    flip_4to8: u64,
) -> usize {
    let set1 = |x: u64| _mm512_set1_epi64(x as i64);
    let (low32, byte, three, eight) = (set1(0xffff_ffff), set1(0xff), set1(3), set1(8));
    let (one, four) = (set1(1), set1(4));
    let (flip_a, flip_b) = (set1(flip_1to3), set1(flip_4to8));
    let (m1, m2, m3) = (
        set1(0xC2B2_AE3D_27D4_EB4F),
        set1(0x1656_67B1_9E37_79F9),
        set1(0x9FB2_1C65_1E98_DF25),
    );
    let mut done = 0;
    for group in spans.chunks_exact_mut(8) {
        if (group[7] & 0xffff_ffff) as usize + 8 > text.len() {
            break;
        }
        // SAFETY: `group` is 8 u64 (unaligned load and store). Starts increase, so
        // every start s in the group has s + 8 <= text.len(): each gathered 8-byte
        // read is in bounds, and s fits an i32 (text.len() <= i32::MAX).
        unsafe {
            let v = _mm512_loadu_si512(group.as_ptr() as *const _);
            let starts = _mm512_cvtepi64_epi32(v);
            let x = _mm512_i32gather_epi64::<1>(starts, text.as_ptr() as *const _);
            let n = _mm512_srli_epi64::<32>(v);
            // xxh3_64_1to3: bytes 0, n/2 and n - 1, and the length.
            let at = |i: __m512i| {
                _mm512_and_si512(_mm512_srlv_epi64(x, _mm512_slli_epi64::<3>(i)), byte)
            };
            let combo = _mm512_or_si512(
                _mm512_or_si512(
                    _mm512_slli_epi64::<16>(_mm512_and_si512(x, byte)),
                    _mm512_slli_epi64::<24>(at(_mm512_srli_epi64::<1>(n))),
                ),
                _mm512_or_si512(at(_mm512_sub_epi64(n, one)), _mm512_slli_epi64::<8>(n)),
            );
            let mut a = _mm512_xor_si512(combo, flip_a);
            a = _mm512_xor_si512(a, _mm512_srli_epi64::<33>(a));
            a = _mm512_mullo_epi64(a, m1);
            a = _mm512_xor_si512(a, _mm512_srli_epi64::<29>(a));
            a = _mm512_mullo_epi64(a, m2);
            a = _mm512_xor_si512(a, _mm512_srli_epi64::<32>(a));
            // xxh3_64_4to8: the first four bytes high, the last four low.
            let shift = _mm512_slli_epi64::<3>(_mm512_sub_epi64(_mm512_max_epu64(n, four), four));
            let last = _mm512_and_si512(_mm512_srlv_epi64(x, shift), low32);
            let first = _mm512_slli_epi64::<32>(_mm512_and_si512(x, low32));
            let h = xxh3_4to8_mix(
                _mm512_xor_si512(_mm512_add_epi64(last, first), flip_b),
                m3,
                n,
            );
            let short = _mm512_cmple_epu64_mask(n, three);
            let long = _mm512_cmpgt_epu64_mask(n, eight);
            let out = _mm512_mask_blend_epi64(short, h, a);
            let spans_in: [u64; 8] = group.try_into().expect("8 spans");
            _mm512_storeu_si512(group.as_mut_ptr() as *mut _, out);
            super::rehash_long(text, seed, &spans_in, u32::from(long), group);
        }
        done += 8;
    }
    done
}

/// # Safety
/// The CPU must support AVX-512F, AVX-512DQ and AVX-512BW.
#[target_feature(enable = "avx512f,avx512dq,avx512bw")]
pub(in crate::arch) unsafe fn combine_windows(
    hashes: &[u64],
    n: usize,
    out: &mut Vec<u64>,
) -> usize {
    // Whole groups of eight of the len - n + 1 windows.
    let groups = (hashes.len() + 1).saturating_sub(n) / 8;
    if groups == 0 {
        return 0;
    }
    let k = _mm512_set1_epi64(0x9E37_79B9_7F4A_7C15u64 as i64);
    let (f1, f2) = (
        _mm512_set1_epi64(0xff51_afd7_ed55_8ccdu64 as i64),
        _mm512_set1_epi64(0xc4ce_b9fe_1a85_ec53u64 as i64),
    );
    let start = (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    out.reserve(8 * groups);
    let at = out.len();
    // SAFETY: group g < groups loads 8 u64 at 8g + t for t < n, and 8g + t + 8 <=
    // 8·groups + n - 1 <= hashes.len(); it stores 8 u64 at at + 8g, inside the
    // capacity reserved above, and `set_len` covers exactly the elements written.
    unsafe {
        let src = hashes.as_ptr();
        let dst = out.as_mut_ptr().add(at);
        for g in 0..groups {
            let mut acc = _mm512_set1_epi64(start as i64);
            for t in 0..n {
                let w = _mm512_loadu_si512(src.add(8 * g + t) as *const _);
                acc = _mm512_mullo_epi64(_mm512_xor_si512(_mm512_rol_epi64::<23>(acc), w), k);
            }
            let mut h = _mm512_xor_si512(acc, _mm512_srli_epi64::<33>(acc));
            h = _mm512_mullo_epi64(h, f1);
            h = _mm512_xor_si512(h, _mm512_srli_epi64::<33>(h));
            h = _mm512_mullo_epi64(h, f2);
            h = _mm512_xor_si512(h, _mm512_srli_epi64::<33>(h));
            _mm512_storeu_si512(dst.add(8 * g) as *mut _, h);
        }
        out.set_len(at + 8 * groups);
    }
    8 * groups
}

/// `(carry, sum)` of three bit-sliced addends: majority and parity.
#[inline]
#[target_feature(enable = "avx512f")]
fn csa(a: __m512i, b: __m512i, c: __m512i) -> (__m512i, __m512i) {
    (
        _mm512_ternarylogic_epi64::<0xE8>(a, b, c),
        _mm512_ternarylogic_epi64::<0x96>(a, b, c),
    )
}

/// Adds the per-bit counts held in byte lanes `narrow` (weight 8 each) and the
/// planes `eights`, `fours`, `twos`, `ones` (weights 8, 4, 2, 1), summed over the
/// eight lanes, to `counts`. Byte `i` of lane `l` of `narrow[j]` counts bit `8i + j`.
#[inline]
#[target_feature(enable = "avx512f")]
fn drain(narrow: &[__m512i; 8], planes: [__m512i; 4], counts: &mut [u64; 64]) {
    let ones8 = _mm512_set1_epi64(0x0101_0101_0101_0101);
    let even = _mm512_set1_epi64(0x00ff_00ff_00ff_00ff);
    let [eights, fours, twos, ones] = planes;
    for (j, lanes) in narrow.iter().enumerate() {
        // Per byte: 8·narrow (up to 2040) + 8, 4, 2 and 1 for the planes' bits, in
        // 16-bit fields; summed over 8 lanes, at most 16,440: no carry between
        // fields.
        let bit = |p: __m512i, w: u32| {
            _mm512_sll_epi64(
                _mm512_and_si512(_mm512_srl_epi64(p, _mm_cvtsi32_si128(j as i32)), ones8),
                _mm_cvtsi32_si128(w as i32),
            )
        };
        let small = _mm512_add_epi64(
            _mm512_add_epi64(bit(eights, 3), bit(fours, 2)),
            _mm512_add_epi64(bit(twos, 1), bit(ones, 0)),
        );
        let lo = _mm512_add_epi64(
            _mm512_slli_epi64::<3>(_mm512_and_si512(*lanes, even)),
            _mm512_and_si512(small, even),
        );
        let hi = _mm512_add_epi64(
            _mm512_slli_epi64::<3>(_mm512_and_si512(_mm512_srli_epi64::<8>(*lanes), even)),
            _mm512_and_si512(_mm512_srli_epi64::<8>(small), even),
        );
        let lo = _mm512_reduce_add_epi64(lo) as u64;
        let hi = _mm512_reduce_add_epi64(hi) as u64;
        for f in 0..4 {
            let c = &mut counts[16 * f + j];
            *c = c.wrapping_add((lo >> (16 * f)) & 0xffff);
            let c = &mut counts[16 * f + 8 + j];
            *c = c.wrapping_add((hi >> (16 * f)) & 0xffff);
        }
    }
}

/// # Safety
/// The CPU must support AVX-512F, AVX-512DQ and AVX-512BW.
#[target_feature(enable = "avx512f,avx512dq,avx512bw")]
pub(in crate::arch) unsafe fn count_bits(hashes: &[u64], counts: &mut [u64; 64]) -> usize {
    let ones8 = _mm512_set1_epi64(0x0101_0101_0101_0101);
    let zero = _mm512_setzero_si512();
    let vectors = hashes.len() / 8;
    let load = |v: usize| {
        // SAFETY: callers pass v < vectors, so the 8 u64 at 8v are in `hashes`;
        // the load is unaligned.
        unsafe { _mm512_loadu_si512(hashes.as_ptr().add(8 * v) as *const _) }
    };
    let (mut ones, mut twos, mut fours) = (zero, zero, zero);
    let mut narrow = [zero; 8];
    let mut held = 0;
    let mut v = 0;
    while v + 8 <= vectors {
        let (twos_a, o) = csa(ones, load(v), load(v + 1));
        let (twos_b, o) = csa(o, load(v + 2), load(v + 3));
        let (fours_a, t) = csa(twos, twos_a, twos_b);
        let (twos_a, o) = csa(o, load(v + 4), load(v + 5));
        let (twos_b, o) = csa(o, load(v + 6), load(v + 7));
        let (fours_b, t) = csa(t, twos_a, twos_b);
        let (eights, f) = csa(fours, fours_a, fours_b);
        (ones, twos, fours) = (o, t, f);
        for (j, lane) in narrow.iter_mut().enumerate() {
            let bit =
                _mm512_and_si512(_mm512_srl_epi64(eights, _mm_cvtsi32_si128(j as i32)), ones8);
            *lane = _mm512_add_epi64(*lane, bit);
        }
        v += 8;
        held += 1;
        if held == 255 {
            drain(&narrow, [zero; 4], counts);
            narrow = [zero; 8];
            held = 0;
        }
    }
    // The last vectors (at most 7) one at a time into the planes, by half adders:
    // the planes held at most 7 per bit and lane, so with these at most 14, and
    // the weight-8 plane `eights` never carries.
    let mut eights = zero;
    while v < vectors {
        let x = load(v);
        let c = _mm512_and_si512(ones, x);
        ones = _mm512_xor_si512(ones, x);
        let c2 = _mm512_and_si512(twos, c);
        twos = _mm512_xor_si512(twos, c);
        let c3 = _mm512_and_si512(fours, c2);
        fours = _mm512_xor_si512(fours, c2);
        eights = _mm512_xor_si512(eights, c3);
        v += 1;
    }
    drain(&narrow, [eights, fours, twos, ones], counts);
    8 * vectors
}
