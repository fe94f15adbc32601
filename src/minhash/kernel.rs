//! The MinHash inner loop, and the only module of the crate allowed `unsafe`.
//!
//! For every shingle `x` and every slot `i`: `sig[i] = min(sig[i], (a[i]·x + b[i]) >> 32)`
//! (64-bit wrapping arithmetic). Three implementations, chosen once at run time by CPU
//! feature detection and cached:
//!
//! - [`scalar`]: portable, written over fixed-width lanes with `chunks_exact` and `zip`
//!   so the compiler unrolls it (no bounds checks inside). The reference for the others.
//! - `avx2`: 4 lanes of 64 bits; AVX2 has no 64-bit multiply, so the low 64 bits of
//!   `a·x` are built from three 32×32→64 multiplies (`vpmuludq`).
//! - `avx512`: 8 lanes with `vpmullq` (AVX-512DQ) and a narrowing move to 32 bits.
//!
//! The SIMD kernels walk the slots in blocks of 32 and run all shingles through one
//! block before the next, so a block's `a`, `b` and running minima stay in registers
//! and each shingle costs one broadcast plus arithmetic.
//!
//! `PARADUP_KERNEL=scalar|avx2|avx512` forces a path (one the CPU lacks falls back to
//! scalar); the tests compare every available path with the scalar one.
//!
//! The module also holds the text path's AVX-512 loops (the crate allows `unsafe`
//! here only): [`gram_hashes_with`], xxh3 of the 4- to 8-byte windows of ASCII text
//! eight windows at a time; [`count_bits_with`], the 64 per-bit counts of a run of
//! SimHash feature hashes; [`ascii_words_with`], normalization of ASCII text 64
//! bytes at a time; [`word_hashes_with`], xxh3 of eight words at a time; and
//! [`combine_windows_with`], eight word shingles combined at a time. Each does a prefix of the work and returns how much it did; the
//! callers in [`simhash`](crate::simhash), the shingler and the normalizer finish with
//! their scalar code, which is the reference the tests compare against. They run when
//! the selected kernel is [`Kernel::Avx512`] (so `PARADUP_KERNEL=scalar` or `avx2`
//! turns them off too).
//!
//! Besides, `utf8_string` and `fill_utf8` (crate-private) check a large input's UTF-8
//! on several threads and make the `String` without checking it again (the `unsafe`
//! calls outside SIMD code).
//!
//! Measured (`cargo bench --bench minhash`, kernel, 128 permutations × 100 shingles,
//! AMD EPYC Zen 4, one thread): see the README's Performance section. Tried and kept
//! out: slot-outer / shingle-inner scalar order (slower: the min-reduction over
//! shingles vectorizes worse than the elementwise min over slots).

#![allow(unsafe_code)]

use std::sync::OnceLock;

/// Lanes per chunk of the scalar path: 8 × u64 is one AVX-512 register.
const LANES: usize = 8;

/// A kernel implementation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kernel {
    /// Portable code.
    Scalar,
    /// AVX2 (x86-64).
    Avx2,
    /// AVX-512F + AVX-512DQ (x86-64), and AVX-512BW for the text loops (every CPU with
    /// the first two has it).
    Avx512,
}

impl Kernel {
    /// Whether this CPU can run the kernel.
    pub fn available(self) -> bool {
        match self {
            Kernel::Scalar => true,
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2 => std::is_x86_feature_detected!("avx2"),
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx512 => {
                std::is_x86_feature_detected!("avx512f")
                    && std::is_x86_feature_detected!("avx512dq")
                    && std::is_x86_feature_detected!("avx512bw")
            }
            #[cfg(not(target_arch = "x86_64"))]
            _ => false,
        }
    }

    /// The kernel in use: the best available, unless `PARADUP_KERNEL` names another
    /// (detected once, cached).
    pub fn selected() -> Kernel {
        static SELECTED: OnceLock<Kernel> = OnceLock::new();
        *SELECTED.get_or_init(|| {
            let forced = match std::env::var("PARADUP_KERNEL").as_deref() {
                Ok("scalar") => Some(Kernel::Scalar),
                Ok("avx2") => Some(Kernel::Avx2),
                Ok("avx512") => Some(Kernel::Avx512),
                _ => None,
            };
            match forced {
                Some(k) if k.available() => k,
                Some(_) => Kernel::Scalar,
                None if Kernel::Avx512.available() => Kernel::Avx512,
                None if Kernel::Avx2.available() => Kernel::Avx2,
                None => Kernel::Scalar,
            }
        })
    }
}

/// Folds `shingles` into `sig` (which the caller initialises, normally to `u32::MAX`)
/// with the selected kernel.
#[inline]
pub(crate) fn update(a: &[u64], b: &[u64], shingles: &[u64], sig: &mut [u32]) {
    update_with(Kernel::selected(), a, b, shingles, sig)
}

/// Folds `shingles` into `sig` with an explicit kernel; an unavailable one falls back
/// to scalar.
///
/// # Panics
/// If `a`, `b` and `sig` differ in length.
pub fn update_with(kernel: Kernel, a: &[u64], b: &[u64], shingles: &[u64], sig: &mut [u32]) {
    assert!(
        a.len() == sig.len() && b.len() == sig.len(),
        "parameter and signature lengths differ"
    );
    match kernel {
        #[cfg(target_arch = "x86_64")]
        Kernel::Avx512 if kernel.available() => {
            // SAFETY: the CPU supports AVX-512F and AVX-512DQ (checked just above), and
            // the lengths of `a`, `b` and `sig` are equal (asserted above).
            unsafe { x86::update_avx512(a, b, shingles, sig) }
        }
        #[cfg(target_arch = "x86_64")]
        Kernel::Avx2 if kernel.available() => {
            // SAFETY: the CPU supports AVX2 (checked just above), and the lengths of
            // `a`, `b` and `sig` are equal (asserted above).
            unsafe { x86::update_avx2(a, b, shingles, sig) }
        }
        _ => scalar(a, b, shingles, sig),
    }
}

/// Appends `xxh3_64_with_seed(w, seed)` for a prefix of the `n`-byte windows `w` of
/// `bytes` (`4 <= n <= 8`; windows at offsets `0, 1, ...`) to `out`, and returns how
/// many windows it hashed: a multiple of 8 with the AVX-512 kernel, 0 with the others.
/// `flip` is the seeded constant of `xxh3_64_4to8`
/// (`(secret[8..16] ^ secret[16..24]) - (seed ^ bswap32(seed) << 32)`); the caller
/// hashes the remaining windows with its scalar formula, the reference.
///
/// Eight windows are one `vpshufb` of the sixteen bytes from the first: each 64-bit
/// lane gets the window's last four bytes low and its first four high, the input of
/// xxh3's 4-to-8-byte formula, which then runs on eight lanes (two `vpmullq`).
///
/// Measured: see the module notes of [`simhash`](crate::simhash).
pub fn gram_hashes_with(
    kernel: Kernel,
    bytes: &[u8],
    n: usize,
    flip: u64,
    out: &mut Vec<u64>,
) -> usize {
    assert!((4..=8).contains(&n), "gram length {n} is not 4 to 8");
    match kernel {
        #[cfg(target_arch = "x86_64")]
        Kernel::Avx512 if kernel.available() => {
            // SAFETY: the CPU supports AVX-512F, DQ and BW (checked just above), and
            // 4 <= n <= 8 (asserted above).
            unsafe { x86::gram_hashes_avx512(bytes, n, flip, out) }
        }
        _ => 0,
    }
}

/// [`gram_hashes_with`] with the selected kernel.
#[inline]
pub(crate) fn gram_hashes(bytes: &[u8], n: usize, flip: u64, out: &mut Vec<u64>) -> usize {
    gram_hashes_with(Kernel::selected(), bytes, n, flip, out)
}

/// The fewest hashes for which [`count_bits_with`] takes the AVX-512 loop: below it,
/// summing the lanes at the end (several hundred instructions) costs more than the
/// scalar adder tree saves (measured: see the module notes of
/// [`simhash`](crate::simhash)).
pub const COUNT_BITS_MIN: usize = 256;

/// Adds to `counts[b]`, for each bit `b`, the number of hashes of a prefix of `hashes`
/// that have bit `b` set, and returns the prefix's length: a multiple of 8 with the
/// AVX-512 kernel (all but the last `len % 8`, or 0 for fewer than
/// [`COUNT_BITS_MIN`] hashes), 0 with the others. Counts wrap at `2^64`.
///
/// The AVX-512 loop is the scalar [`Accumulator`](crate::simhash::Accumulator)'s, on
/// eight lanes: a carry-save adder tree (`vpternlogq`: one instruction for each of
/// the sum and the carry) over eight vectors of eight hashes, whose weight-8 output
/// goes into byte lanes; once per call (and every 255 groups) the byte lanes and the
/// planes left in the tree are summed over the lanes into `counts`.
pub fn count_bits_with(kernel: Kernel, hashes: &[u64], counts: &mut [u64; 64]) -> usize {
    match kernel {
        #[cfg(target_arch = "x86_64")]
        Kernel::Avx512 if kernel.available() && hashes.len() >= COUNT_BITS_MIN => {
            // SAFETY: the CPU supports AVX-512F, DQ and BW (checked just above).
            unsafe { x86::count_bits_avx512(hashes, counts) }
        }
        _ => 0,
    }
}

/// [`count_bits_with`] with the selected kernel.
#[inline]
pub(crate) fn count_bits(hashes: &[u64], counts: &mut [u64; 64]) -> usize {
    count_bits_with(Kernel::selected(), hashes, counts)
}

/// Normalizes a prefix of the ASCII text `src` into `dst` as the normalizer's ASCII
/// path does, and returns `(read, written, prev_sep)`: each byte that belongs to a word
/// (an ASCII letter or digit; with `strip` false, any of `0x21..=0x7e`) is written,
/// lowercased when `lower`; each other byte is a separator, written as a space unless
/// the byte before it (or, for the first, `prev_sep`) was a separator too; `prev_sep`
/// comes back as whether the last byte read was a separator.
///
/// The AVX-512 loop (which needs AVX-512VBMI2 besides, for `vpcompressb`) takes 64
/// bytes at a time while 64 remain in `src` and 64 bytes of room in `dst`, and stops
/// after the first block that holds a non-ASCII byte, reading only up to it; the
/// other kernels read nothing. Bytes of `dst` past `written` may be overwritten.
///
/// Measured: see [`Normalizer`](crate::Normalizer)'s `run`.
pub fn ascii_words_with(
    kernel: Kernel,
    src: &[u8],
    dst: &mut [u8],
    prev_sep: bool,
    lower: bool,
    strip: bool,
) -> (usize, usize, bool) {
    match kernel {
        #[cfg(target_arch = "x86_64")]
        Kernel::Avx512
            if kernel.available()
                && std::is_x86_feature_detected!("avx512vbmi2")
                && std::is_x86_feature_detected!("popcnt") =>
        {
            // SAFETY: the CPU supports AVX-512F, DQ, BW, VBMI2 and POPCNT (checked just
            // above).
            unsafe { x86::ascii_words_avx512(src, dst, prev_sep, lower, strip) }
        }
        _ => (0, 0, prev_sep),
    }
}

/// Whether [`ascii_words_with`] does any work with the selected kernel.
#[inline]
pub(crate) fn ascii_words_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        Kernel::selected() == Kernel::Avx512
            && std::is_x86_feature_detected!("avx512vbmi2")
            && std::is_x86_feature_detected!("popcnt")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// [`ascii_words_with`] with the selected kernel.
#[inline]
pub(crate) fn ascii_words(
    src: &[u8],
    dst: &mut [u8],
    prev_sep: bool,
    lower: bool,
    strip: bool,
) -> (usize, usize, bool) {
    ascii_words_with(Kernel::selected(), src, dst, prev_sep, lower, strip)
}

/// For a prefix of `spans`, each a word of `text` given as `start | len << 32`
/// (`len >= 1`), replaces the span by `xxh3_64_with_seed(&text[start..start + len],
/// seed)`, and returns the prefix's length: a multiple of 8 with the AVX-512 kernel
/// (it stops at the first group of eight whose last word starts fewer than eight bytes
/// before the end of `text`), 0 with the others. `flip_1to3` and `flip_4to8` are the
/// seeded constants of xxh3's short-input formulas for `seed`.
///
/// Eight words are one gather of eight unaligned `u64`; both short formulas run on
/// the eight lanes and a mask picks one per lane; words longer than eight bytes go
/// through `xxh3_64_with_seed` one at a time.
///
/// Measured: see [`Shingler`](crate::Shingler)'s `words`.
pub fn word_hashes_with(
    kernel: Kernel,
    text: &[u8],
    spans: &mut [u64],
    seed: u64,
    flip_1to3: u64,
    flip_4to8: u64,
) -> usize {
    match kernel {
        #[cfg(target_arch = "x86_64")]
        Kernel::Avx512 if kernel.available() && text.len() <= i32::MAX as usize => {
            // SAFETY: the CPU supports AVX-512F, DQ and BW (checked just above), and
            // every offset into `text` fits an i32 (checked just above).
            unsafe { x86::word_hashes_avx512(text, spans, seed, flip_1to3, flip_4to8) }
        }
        _ => 0,
    }
}

/// Whether [`word_hashes_with`] does any work with the selected kernel (when it does
/// not, the caller skips writing the spans).
#[inline]
pub(crate) fn word_hashes_available() -> bool {
    Kernel::selected() == Kernel::Avx512
}

/// [`word_hashes_with`] with the selected kernel.
#[inline]
pub(crate) fn word_hashes(
    text: &[u8],
    spans: &mut [u64],
    seed: u64,
    flip_1to3: u64,
    flip_4to8: u64,
) -> usize {
    word_hashes_with(Kernel::selected(), text, spans, seed, flip_1to3, flip_4to8)
}

/// Appends [`combine_word_hashes`](crate::text::shingle::combine_word_hashes) of the
/// windows of `n` consecutive hashes of `hashes` starting at `0, 1, ...` to `out`,
/// for a prefix of the windows, and returns how many: a multiple of 8 with the AVX-512
/// kernel, 0 with the others (the caller combines the rest, the reference).
///
/// Eight windows at a time: `n` unaligned loads of eight consecutive hashes, the
/// combination and `fmix64` on eight lanes.
pub fn combine_windows_with(kernel: Kernel, hashes: &[u64], n: usize, out: &mut Vec<u64>) -> usize {
    match kernel {
        #[cfg(target_arch = "x86_64")]
        Kernel::Avx512 if kernel.available() && n >= 1 => {
            // SAFETY: the CPU supports AVX-512F, DQ and BW (checked just above).
            unsafe { x86::combine_windows_avx512(hashes, n, out) }
        }
        _ => 0,
    }
}

/// [`combine_windows_with`] with the selected kernel.
#[inline]
pub(crate) fn combine_windows(hashes: &[u64], n: usize, out: &mut Vec<u64>) -> usize {
    combine_windows_with(Kernel::selected(), hashes, n, out)
}

/// The portable kernel: the reference for the SIMD ones.
pub fn scalar(a: &[u64], b: &[u64], shingles: &[u64], sig: &mut [u32]) {
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

#[cfg(target_arch = "x86_64")]
mod x86 {
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
    pub(super) unsafe fn update_avx512(a: &[u64], b: &[u64], shingles: &[u64], sig: &mut [u32]) {
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
                    let s =
                        _mm512_cvtepu32_epi64(_mm256_loadu_si256(sp.add(8 * j) as *const __m256i));
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
        super::scalar(&a[full..], &b[full..], shingles, &mut sig[full..]);
    }

    /// # Safety
    /// The CPU must support AVX-512F, AVX-512DQ and AVX-512BW; `4 <= n <= 8`.
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

    #[target_feature(enable = "avx512f,avx512dq,avx512bw")]
    pub(super) unsafe fn gram_hashes_avx512(
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
    pub(super) unsafe fn ascii_words_avx512(
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
    pub(super) unsafe fn word_hashes_avx512(
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
                let shift =
                    _mm512_slli_epi64::<3>(_mm512_sub_epi64(_mm512_max_epu64(n, four), four));
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
                let mut long = long;
                while long != 0 {
                    let k = long.trailing_zeros() as usize;
                    let (s, len) = (
                        (spans_in[k] & 0xffff_ffff) as usize,
                        (spans_in[k] >> 32) as usize,
                    );
                    group[k] = xxhash_rust::xxh3::xxh3_64_with_seed(&text[s..s + len], seed);
                    long &= long - 1;
                }
            }
            done += 8;
        }
        done
    }

    /// # Safety
    /// The CPU must support AVX-512F, AVX-512DQ and AVX-512BW.
    #[target_feature(enable = "avx512f,avx512dq,avx512bw")]
    pub(super) unsafe fn combine_windows_avx512(
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
    pub(super) unsafe fn count_bits_avx512(hashes: &[u64], counts: &mut [u64; 64]) -> usize {
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

    /// The low 64 bits of `a·x + b` per 64-bit lane, from 32×32→64 multiplies:
    /// `a·x mod 2^64 = a_lo·x_lo + ((a_hi·x_lo + a_lo·x_hi) << 32)`.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn mul_add_lo64(a: __m256i, a_hi: __m256i, x: __m256i, x_hi: __m256i, b: __m256i) -> __m256i {
        let lo = _mm256_mul_epu32(a, x);
        let cross = _mm256_add_epi64(_mm256_mul_epu32(a_hi, x), _mm256_mul_epu32(a, x_hi));
        _mm256_add_epi64(_mm256_add_epi64(lo, _mm256_slli_epi64::<32>(cross)), b)
    }

    /// # Safety
    /// The CPU must support AVX2; `a`, `b` and `sig` must have equal lengths.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn update_avx2(a: &[u64], b: &[u64], shingles: &[u64], sig: &mut [u32]) {
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
        super::scalar(&a[full..], &b[full..], shingles, &mut sig[full..]);
    }
}

/// `bytes` as a `String` if it is UTF-8, validated in `threads` parts at once; else
/// `String::from_utf8`'s error. The same answer as `String::from_utf8(bytes)` (the
/// reference the tests compare against), which checks on one thread: 2.6 % of a
/// one-thread `dedup` run on the 48 MB corpus (perf), about 12 ms that a second thread
/// spent waiting.
///
/// Parts are cut before a byte that starts a character (not `0b10xx_xxxx`), so valid
/// text validates part by part; on any failure the whole is checked again on one
/// thread for the exact error.
pub(crate) fn utf8_string(
    bytes: Vec<u8>,
    threads: usize,
) -> Result<String, std::string::FromUtf8Error> {
    let parts = threads.clamp(1, 64);
    if parts == 1 || bytes.len() < (1 << 20) {
        return String::from_utf8(bytes);
    }
    let step = bytes.len().div_ceil(parts);
    // Cuts at character starts: at most three continuation bytes are skipped.
    let mut cuts = vec![0usize];
    for k in 1..parts {
        let mut at = (k * step).min(bytes.len());
        while at < bytes.len() && at - k * step < 4 && bytes[at] & 0xC0 == 0x80 {
            at += 1;
        }
        if at > *cuts.last().expect("starts with 0") {
            cuts.push(at);
        }
    }
    cuts.push(bytes.len());
    let valid = std::thread::scope(|s| {
        let checks: Vec<_> = cuts
            .windows(2)
            .skip(1)
            .map(|w| {
                let part = &bytes[w[0]..w[1]];
                s.spawn(move || std::str::from_utf8(part).is_ok())
            })
            .collect();
        let first = std::str::from_utf8(&bytes[..cuts[1]]).is_ok();
        checks
            .into_iter()
            .fold(first, |all, h| h.join().unwrap_or(false) && all)
    });
    if !valid {
        return String::from_utf8(bytes);
    }
    // SAFETY: `cuts` runs from 0 to `bytes.len()`, so the parts cover `bytes` end to
    // end, and each part passed `std::str::from_utf8`; UTF-8 strings put end to end
    // are UTF-8, so `bytes` is.
    Ok(unsafe { String::from_utf8_unchecked(bytes) })
}

/// How one piece of a buffer reads as UTF-8, for [`fill_utf8`].
#[derive(Clone, Copy, Debug, Default)]
struct Utf8Part {
    /// Continuation bytes at its start (at most 3): the end of a character that the
    /// piece before began.
    lead: usize,
    /// Where a character that the piece's end cuts begins (the piece's length if none).
    tail: usize,
    /// Whether `lead..tail` is UTF-8.
    ok: bool,
}

fn utf8_part(piece: &[u8]) -> Utf8Part {
    let lead = piece
        .iter()
        .take(3)
        .take_while(|&&b| b & 0xC0 == 0x80)
        .count();
    match std::str::from_utf8(&piece[lead..]) {
        Ok(_) => Utf8Part {
            lead,
            tail: piece.len(),
            ok: true,
        },
        // Cut short by the end of the piece: the rest is checked across the seam.
        Err(e) if e.error_len().is_none() => Utf8Part {
            lead,
            tail: lead + e.valid_up_to(),
            ok: true,
        },
        Err(_) => Utf8Part {
            lead,
            tail: lead,
            ok: false,
        },
    }
}

/// A buffer of `len` bytes that `fill(offset, piece)` fills a piece of `piece` bytes at
/// a time (the last may be shorter), in up to `threads` tasks on the current rayon pool
/// (the caller runs one) that each take the next piece when free; each piece is
/// checked as UTF-8 by the thread that filled it,
/// right after, while it is in cache. `None` if a `fill` returned false; else the bytes
/// as a `String` if they are UTF-8, or `String::from_utf8`'s error (the same answer:
/// the reference the tests compare against).
///
/// Before, [`utf8_string`] checked the whole buffer afterwards, and each reading
/// thread had one fixed share of it. Pieces handed out one at a time let a thread that
/// the machine slows down leave its share to the other. Reading the 48 MB corpus
/// (`dedup --stats-json`, "read", 12 runs alternating with the build before, best /
/// median): one thread 0.0352 / 0.0430 → 0.0348 / 0.0374 s, two threads 0.0184 /
/// 0.0240 → 0.0180 / 0.0219 s. The check itself costs the same (`from_utf8` is about 3.5
/// ms of a one-thread run either way, perf); the page faults of the new buffer and the
/// kernel's copy are most of the stage.
pub(crate) fn fill_utf8(
    len: usize,
    piece: usize,
    threads: usize,
    fill: impl Fn(usize, &mut [u8]) -> bool + Sync,
) -> Option<Result<String, std::string::FromUtf8Error>> {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Mutex, PoisonError};
    let piece = piece.max(1);
    let count = len.div_ceil(piece);
    let mut buf = vec![0u8; len];
    let mut parts = vec![Utf8Part::default(); count];
    let failed = AtomicBool::new(false);
    {
        let work = Mutex::new(buf.chunks_mut(piece).zip(parts.iter_mut()).enumerate());
        let run = || {
            loop {
                let next = work.lock().unwrap_or_else(PoisonError::into_inner).next();
                let Some((i, (bytes, part))) = next else {
                    break;
                };
                if failed.load(Ordering::Relaxed) || !fill(i * piece, bytes) {
                    failed.store(true, Ordering::Relaxed);
                    break;
                }
                *part = utf8_part(bytes);
            }
        };
        // Tasks on the pool rather than threads of their own: the pool's threads are
        // then already running, on their own cores, when the pipeline starts right
        // after. Woken from sleep instead, a worker was now and then put on the core
        // of the thread that woke it, next to an idle one, for 10–40 ms (perf, every
        // CPU). Together with the deduper's work on the caller's pool (`dedup`, 2
        // windows of 16 and 20 runs alternating with the build before, two threads):
        // median 0.192 → 0.182 s and 0.199 → 0.191 s.
        rayon::in_place_scope(|s| {
            for _ in 1..threads.clamp(1, count.max(1)) {
                s.spawn(|_| run());
            }
            run();
        });
    }
    if failed.into_inner() {
        return None;
    }
    // The parts and the seams between them (the end of one character each) cover the
    // buffer end to end.
    let start = |i: usize| i * piece;
    let valid = parts.first().is_none_or(|p| p.lead == 0)
        && parts.iter().all(|p| p.ok)
        && parts
            .last()
            .is_none_or(|p| p.tail == len - start(count - 1))
        && parts.windows(2).enumerate().all(|(i, w)| {
            std::str::from_utf8(&buf[start(i) + w[0].tail..start(i + 1) + w[1].lead]).is_ok()
        });
    if !valid {
        return Some(String::from_utf8(buf));
    }
    // SAFETY: `buf` is this function's own and was changed only by `fill`, before the
    // piece it filled was checked. The first piece starts at 0 (no lead) and the last
    // ends at `len` (no cut character), piece `i` checked `lead_i..tail_i` as UTF-8,
    // and the seam from piece `i`'s tail to piece `i + 1`'s lead passed
    // `std::str::from_utf8`. These ranges lie end to end over `buf` (`lead <= tail <=`
    // the piece's length), and UTF-8 strings put end to end are UTF-8.
    Some(Ok(unsafe { String::from_utf8_unchecked(buf) }))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Checked in parts, bytes give `String::from_utf8`'s answer: text with
        /// multi-byte characters at every cut, and text with a bad byte somewhere.
        #[test]
        fn utf8_in_parts_equals_from_utf8(
            unit in "[a-zé€😀 \n]{1,12}",
            repeat in 1usize..200_000,
            bad in proptest::option::of((any::<prop::sample::Index>(), prop::sample::select(vec![0x80u8, 0xC3, 0xE2, 0xF0, 0xFF]))),
            threads in 1usize..6,
        ) {
            let mut bytes = unit.repeat(repeat).into_bytes();
            if let Some((at, b)) = bad {
                let at = at.index(bytes.len());
                bytes[at] = b;
            }
            let got = utf8_string(bytes.clone(), threads).map_err(|e| e.utf8_error());
            let want = String::from_utf8(bytes).map_err(|e| e.utf8_error());
            prop_assert_eq!(got, want);
        }

        /// Filled and checked piece by piece, bytes give `String::from_utf8`'s answer
        /// and come back whole, for pieces of any size, multi-byte characters across
        /// every seam; a failed fill gives nothing.
        #[test]
        fn fill_utf8_equals_from_utf8(
            unit in "[a-zé€😀 \n]{1,12}",
            repeat in 1usize..2_000,
            bad in proptest::option::of((any::<prop::sample::Index>(), prop::sample::select(vec![0x80u8, 0xBF, 0xC3, 0xE2, 0xF0, 0xFF]))),
            piece in prop_oneof![1usize..9, 9usize..300, Just(1usize << 20)],
            threads in 1usize..5,
            fail_at in proptest::option::of(any::<prop::sample::Index>()),
        ) {
            let mut bytes = unit.repeat(repeat).into_bytes();
            if let Some((at, b)) = bad {
                let at = at.index(bytes.len());
                bytes[at] = b;
            }
            let fill = |at: usize, part: &mut [u8]| {
                part.copy_from_slice(&bytes[at..at + part.len()]);
                true
            };
            let got = fill_utf8(bytes.len(), piece, threads, fill).expect("filled");
            let want = String::from_utf8(bytes.clone());
            prop_assert_eq!(
                got.as_ref().map_err(|e| e.utf8_error()),
                want.as_ref().map_err(|e| e.utf8_error())
            );
            let back = got.map_or_else(|e| e.into_bytes(), String::into_bytes);
            prop_assert_eq!(&back, &bytes);
            if let Some(at) = fail_at {
                let at = at.index(bytes.len());
                let fill = |from: usize, part: &mut [u8]| !(from..from + part.len()).contains(&at);
                prop_assert!(fill_utf8(bytes.len(), piece, threads, fill).is_none());
            }
        }
    }

    use super::*;
    use crate::SplitMix64;

    fn naive(a: &[u64], b: &[u64], shingles: &[u64]) -> Vec<u32> {
        (0..a.len())
            .map(|i| {
                shingles
                    .iter()
                    .map(|&x| (a[i].wrapping_mul(x).wrapping_add(b[i]) >> 32) as u32)
                    .min()
                    .unwrap_or(u32::MAX)
            })
            .collect()
    }

    proptest::proptest! {
        /// Folding into slots that already hold values (the minima of earlier shingles,
        /// including 0 and `u32::MAX`): every kernel keeps the smaller of the slot and
        /// the new minimum (the AVX-512 kernel widens the slots to 64 bits and back).
        #[test]
        fn every_kernel_folds_into_filled_slots(
            seed in proptest::prelude::any::<u64>(),
            len in 1usize..140,
            n in 0usize..40,
        ) {
            let mut g = SplitMix64::new(seed);
            let a: Vec<u64> = (0..len).map(|_| g.next_u64() | 1).collect();
            let b: Vec<u64> = (0..len).map(|_| g.next_u64()).collect();
            let shingles: Vec<u64> = (0..n).map(|_| g.next_u64()).collect();
            let start: Vec<u32> = (0..len)
                .map(|_| match g.next_u64() % 4 {
                    0 => 0,
                    1 => u32::MAX,
                    _ => g.next_u64() as u32,
                })
                .collect();
            let want: Vec<u32> = naive(&a, &b, &shingles)
                .iter()
                .zip(&start)
                .map(|(&x, &s)| x.min(s))
                .collect();
            for k in [Kernel::Scalar, Kernel::Avx2, Kernel::Avx512] {
                let mut sig = start.clone();
                update_with(k, &a, &b, &shingles, &mut sig);
                proptest::prop_assert_eq!(&sig, &want, "{:?}", k);
            }
        }
    }

    /// [`ascii_words_with`] by its definition, one byte at a time, over the same prefix.
    fn naive_ascii_words(src: &[u8], prev_sep: bool, lower: bool, strip: bool) -> (Vec<u8>, bool) {
        let (mut out, mut prev) = (Vec::new(), prev_sep);
        for &b in src {
            let word = if strip {
                b.is_ascii_alphanumeric()
            } else {
                b.is_ascii_graphic()
            };
            if word {
                out.push(if lower { b.to_ascii_lowercase() } else { b });
            } else if !prev {
                out.push(b' ');
            }
            prev = !word;
        }
        (out, prev)
    }

    proptest::proptest! {
        #[test]
        fn ascii_words_equals_naive(
            src in proptest::collection::vec(
                proptest::prop_oneof![
                    6 => 0u8..128,
                    2 => proptest::sample::select(b" ,.\n".to_vec()),
                    1 => 128u8..=255,
                ],
                0..300,
            ),
            prev_sep in proptest::prelude::any::<bool>(),
            lower in proptest::prelude::any::<bool>(),
            strip in proptest::prelude::any::<bool>(),
            room in 0usize..100,
        ) {
            for k in [Kernel::Scalar, Kernel::Avx2, Kernel::Avx512] {
                let mut dst = vec![0u8; src.len().saturating_sub(room)];
                let (read, written, prev) = ascii_words_with(k, &src, &mut dst, prev_sep, lower, strip);
                proptest::prop_assert!(src[..read].is_ascii());
                proptest::prop_assert!(read == 0 || read == src.len() || !src[read].is_ascii() || read % 64 == 0 || src.len() - read < 64);
                let (want, want_prev) = naive_ascii_words(&src[..read], prev_sep, lower, strip);
                proptest::prop_assert_eq!(&dst[..written], &want[..], "{:?}", k);
                proptest::prop_assert_eq!(prev, want_prev);
            }
        }
    }

    /// Per-bit counts by definition.
    fn naive_counts(hashes: &[u64]) -> [u64; 64] {
        let mut c = [0u64; 64];
        for &h in hashes {
            for (b, cb) in c.iter_mut().enumerate() {
                *cb += (h >> b) & 1;
            }
        }
        c
    }

    #[test]
    fn count_bits_drains_long_runs() {
        // 20,000 hashes: byte lanes drained mid-run (every 255 groups of 64), with
        // hashes of all ones to fill them, and counts added to what `counts` held.
        let mut g = SplitMix64::new(5);
        let mut hashes: Vec<u64> = (0..20_000).map(|_| g.next_u64()).collect();
        hashes[..17_000].fill(u64::MAX);
        for len in [
            0, 255, 256, 257, 16_000, 16_320, 16_321, 16_383, 16_384, 20_000,
        ] {
            let h = &hashes[..len];
            for k in [Kernel::Scalar, Kernel::Avx2, Kernel::Avx512] {
                let mut counts = [3u64; 64];
                let done = count_bits_with(k, h, &mut counts);
                assert!(done <= len && len - done < 8 || done == 0, "{k:?} {len}");
                let want = naive_counts(&h[..done]);
                for b in 0..64 {
                    assert_eq!(counts[b], want[b] + 3, "{k:?} {len} bit {b}");
                }
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn count_bits_equals_naive(
            hashes in proptest::collection::vec(proptest::prelude::any::<u64>(), 0..700),
            biased in proptest::prelude::any::<bool>(),
        ) {
            // Biased: few distinct values, so that counts reach the planes' limits.
            let hashes: Vec<u64> = if biased {
                hashes.iter().map(|h| [0, u64::MAX, 0xAAAA_5555_F0F0_0F0F][(*h % 3) as usize]).collect()
            } else {
                hashes
            };
            for k in [Kernel::Scalar, Kernel::Avx2, Kernel::Avx512] {
                let mut counts = [0u64; 64];
                let done = count_bits_with(k, &hashes, &mut counts);
                proptest::prop_assert!(done.is_multiple_of(8) && done <= hashes.len());
                proptest::prop_assert_eq!(counts, naive_counts(&hashes[..done]), "{:?}", k);
            }
        }
    }

    #[test]
    fn every_kernel_matches_the_definition() {
        let mut g = SplitMix64::new(9);
        for len in [1, 7, 8, 15, 16, 31, 32, 33, 64, 128, 131, 256] {
            let a: Vec<u64> = (0..len).map(|_| g.next_u64() | 1).collect();
            let b: Vec<u64> = (0..len).map(|_| g.next_u64()).collect();
            for n in [0, 1, 3, 100] {
                let mut shingles: Vec<u64> = (0..n).map(|_| g.next_u64()).collect();
                if n > 2 {
                    shingles[0] = 0;
                    shingles[1] = u64::MAX;
                }
                let want = naive(&a, &b, &shingles);
                for k in [Kernel::Scalar, Kernel::Avx2, Kernel::Avx512] {
                    let mut sig = vec![u32::MAX; len];
                    update_with(k, &a, &b, &shingles, &mut sig);
                    assert_eq!(sig, want, "{k:?} len {len} n {n}");
                }
            }
        }
    }
}
