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

use crate::arch;
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
    /// Word 2-grams, the [`Deduper`](crate::Deduper)'s default: see the crate docs
    /// ("Choosing the defaults") for the measurements.
    fn default() -> ShingleKind {
        ShingleKind::Words(2)
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

/// Bit 7 of every byte.
const HIGH_BITS: u64 = 0x8080_8080_8080_8080;
/// The low seven bits of every byte.
const LOW_SEVEN: u64 = 0x7f7f_7f7f_7f7f_7f7f;
/// Eight spaces.
const SPACES: u64 = 0x2020_2020_2020_2020;

/// Bit 7 set in each byte of `x` that is a space, other bits clear. Exact (no false
/// positives from borrows): `(v & 0x7f) + 0x7f` sets bit 7 when the low seven bits of
/// `v` are not all zero, without carrying into the next byte.
#[inline(always)]
fn space_mask(x: u64) -> u64 {
    let v = x ^ SPACES;
    !(((v & LOW_SEVEN) + LOW_SEVEN) | v) & HIGH_BITS
}

/// Calls `f` on each word of `text`: each maximal run of bytes other than `b' '`, in
/// order (so runs of spaces, and spaces at the ends, make no empty words). Equal to
/// `text.split(|&b| b == b' ').filter(|w| !w.is_empty())`, which is its reference in
/// the tests.
///
/// Finds the end of a word eight bytes at a time (SWAR), so a word of up to seven
/// bytes costs one load and a handful of operations, where `str::split(' ')` made a
/// `memchr` call per word whose setup dominates for words this short (56 instructions
/// per word in `memchr_aligned` alone, callgrind, 5 MB of Gutenberg text).
///
/// Now the reference for [`word_hashes`], which finds words by a bitmask.
#[cfg(test)]
pub(crate) fn for_each_word<'t>(text: &'t [u8], mut f: impl FnMut(&'t [u8])) {
    let len = text.len();
    let mut start = 0;
    while start < len {
        let mut end = start;
        loop {
            if let Some(chunk) = text.get(end..end + 8) {
                let m = space_mask(u64::from_le_bytes(chunk.try_into().expect("8 bytes")));
                if m != 0 {
                    end += m.trailing_zeros() as usize / 8;
                    break;
                }
                end += 8;
            } else {
                while end < len && text[end] != b' ' {
                    end += 1;
                }
                break;
            }
        }
        if end > start {
            f(&text[start..end]);
        }
        start = end + 1;
    }
}

/// The eight bit-7 flags of `m` (bits 7, 15, ..., 63) gathered into bits 0 to 7: the
/// multiplier moves flag `k` to bit `56 + k`, and no two partial products overlap, so
/// nothing carries.
#[inline(always)]
fn gather_flags(m: u64) -> u64 {
    ((m >> 7).wrapping_mul(0x0102_0408_1020_4080)) >> 56
}

/// Bit `i` set when `text[base + i]` is a space, for the 64 bytes from `base`.
#[inline(always)]
fn space_bits(text: &[u8; 64]) -> u64 {
    let mut bits = 0;
    for (k, chunk) in text.chunks_exact(8).enumerate() {
        let x = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
        bits |= gather_flags(space_mask(x)) << (8 * k);
    }
    bits
}

/// Appends `xxh3_64_with_seed(w, seed)` of every word `w` of `text` to `out`, in
/// order: the words are the maximal runs of bytes other than `b' '` (so runs of
/// spaces, and spaces at the ends, make no empty words).
///
/// Spaces are found as a bitmask over 64 bytes at a time and the words read off it
/// with `trailing_zeros`, so the scan's loop exit is mispredicted once per 64 bytes
/// instead of once per word; words of 1 to 8 bytes are hashed by xxh3's short-input
/// formulas ([`ShortWords`]) from one `u64` load. Tested equal to
/// `for_each_word(text, |w| out.push(xxh3_64_with_seed(w, seed)))`, the word scan it
/// replaced (itself tested against `split`).
///
/// Measured (the workload of bench `text_to_minhash`: 2,000 paragraphs of about 100
/// words, normalization, word 2-grams and MinHash-128 with the AVX-512 kernel, one
/// thread; best pass of 300, binaries run alternately on the shared Zen 4 machine):
/// `for_each_word` and `xxh3_64_with_seed` per word (its length dispatch inlined):
/// 246 MB/s for the whole of text → signature; this: 256 MB/s (+4%), though it runs
/// 3% more instructions (callgrind, `hashes_into` on three passes of that text:
/// 56.8 M → 58.6 M): what it saves is mispredicted branches. Tried: words of
/// 1 to 8 bytes hashed by both short formulas and one selected, without a branch on
/// the length: 254 MB/s, no gain over the branch.
///
/// With AVX-512 the scan writes each word's span (`start | len << 32`) instead, and
/// [`word_hashes_with`](arch::word_hashes_with) turns eight spans at a time into
/// hashes in place (a gather of eight `u64`, both short formulas on eight lanes, one
/// picked by a mask; longer words one at a time). Same workload, the build before
/// run alternately (after the AVX-512 normalization): 281 → 315 MB/s (+12%) for text
/// → signature; SimHash with single-word features (`words1_tf`): 429 → 507 MB/s.
/// Tried: the spans written by index into a buffer sized for the most words there
/// can be, instead of `push` (capacity check per word): 336–341 against 335–339 MB/s,
/// no gain.
///
/// With AVX2 (and no AVX-512) the spans are written too, the spaces found by two
/// byte compares per 32 bytes ([`SpaceBits`](arch::SpaceBits)) instead of the SWAR
/// steps, and eight spans hashed at a time in two registers of four (its 64-bit
/// products made of 32-bit ones). Measured with the AVX2 normalization in
/// `docs/PERFORMANCE.md` ("The AVX2 text path").
pub(crate) fn word_hashes(text: &[u8], seed: u64, out: &mut Vec<u64>) {
    match arch::SpaceBits::selected() {
        Some(simd) => word_hashes_by(text, seed, out, |b| simd.bits(b)),
        None => word_hashes_by(text, seed, out, space_bits),
    }
}

/// [`word_hashes`] with `bits` finding the spaces of each 64-byte block.
#[inline(always)]
fn word_hashes_by(text: &[u8], seed: u64, out: &mut Vec<u64>, bits: impl Fn(&[u8; 64]) -> u64) {
    let short = ShortWords::new(seed);
    if u32::try_from(text.len()).is_ok() {
        // The words' spans first, then eight hashed at a time in place (SIMD), the
        // rest one at a time.
        let from = out.len();
        for_each_span(text, &bits, |s, e| s as u64 | ((e - s) as u64) << 32, out);
        let spans = &mut out[from..];
        let (f13, f48) = (short.flip_1to3, short.flip_4to8);
        let done = if arch::word_hashes_available() {
            arch::word_hashes(text, spans, seed, f13, f48)
        } else {
            0
        };
        for span in &mut spans[done..] {
            let (s, n) = ((*span & 0xffff_ffff) as usize, (*span >> 32) as usize);
            *span = short.hash(text, s, s + n);
        }
        return;
    }
    // Text of 4 GiB or more: spans do not fit.
    for_each_span(text, &bits, |s, e| short.hash(text, s, e), out);
}

/// Pushes `f(start, end)` for each word `text[start..end]` (a maximal run of bytes other
/// than `b' '`) onto `out`, in order, finding the spaces as a bitmask per 64 bytes
/// (`bits`).
#[inline(always)]
fn for_each_span(
    text: &[u8],
    bits: impl Fn(&[u8; 64]) -> u64,
    f: impl Fn(usize, usize) -> u64,
    out: &mut Vec<u64>,
) {
    let len = text.len();
    let mut start = 0;
    let push = |s: usize, e: usize, out: &mut Vec<u64>| {
        if e > s {
            out.push(f(s, e));
        }
    };
    let mut blocks = text.chunks_exact(64);
    let mut base = 0;
    for block in blocks.by_ref() {
        let mut m = bits(block.try_into().expect("64 bytes"));
        while m != 0 {
            let p = base + m.trailing_zeros() as usize;
            push(start, p, out);
            start = p + 1;
            m &= m - 1;
        }
        base += 64;
    }
    for (i, &b) in blocks.remainder().iter().enumerate() {
        if b == b' ' {
            push(start, base + i, out);
            start = base + i + 1;
        }
    }
    push(start, len, out);
}

/// xxh3 of words of 1 to 8 bytes by xxh3's short-input formulas, with the seed folded
/// in once; longer words, and words too near the end of the text to load eight bytes,
/// through `xxh3_64_with_seed`.
#[derive(Clone, Copy)]
struct ShortWords {
    seed: u64,
    /// The seeded constant of `xxh3_64_1to3`.
    flip_1to3: u64,
    /// The seeded constant of `xxh3_64_4to8`.
    flip_4to8: u64,
}

impl ShortWords {
    fn new(seed: u64) -> ShortWords {
        let secret = XXH3_SECRET_HEAD[0];
        let flip_1to3 = u64::from((secret as u32) ^ (secret >> 32) as u32).wrapping_add(seed);
        ShortWords {
            seed,
            flip_1to3,
            flip_4to8: flip_4to8(seed),
        }
    }

    /// `xxh3_64_with_seed(&text[s..e], seed)`, `s < e`.
    #[inline(always)]
    fn hash(&self, text: &[u8], s: usize, e: usize) -> u64 {
        let n = e - s;
        match text.get(s..s + 8) {
            Some(chunk) if n <= 8 => {
                let x = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
                if n <= 3 {
                    let byte = |i: usize| (x >> (8 * i)) & 0xff;
                    let combo = byte(0) << 16 | byte(n >> 1) << 24 | byte(n - 1) | (n as u64) << 8;
                    let mut h = combo ^ self.flip_1to3;
                    h ^= h >> 33;
                    h = h.wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
                    h ^= h >> 29;
                    h = h.wrapping_mul(0x1656_67B1_9E37_79F9);
                    h ^ (h >> 32)
                } else {
                    let first = x & 0xffff_ffff;
                    let last = (x >> (8 * (n - 4))) & 0xffff_ffff;
                    let mut h = last.wrapping_add(first << 32) ^ self.flip_4to8;
                    h ^= h.rotate_left(49) ^ h.rotate_left(24);
                    h = h.wrapping_mul(0x9FB2_1C65_1E98_DF25);
                    h ^= (h >> 35).wrapping_add(n as u64);
                    h = h.wrapping_mul(0x9FB2_1C65_1E98_DF25);
                    h ^ (h >> 28)
                }
            }
            _ => xxh3_64_with_seed(&text[s..e], self.seed),
        }
    }
}

/// Appends [`combine_word_hashes`] of every window of `n` consecutive hashes to `out`
/// (`hashes.len() >= n`), with the loop over the window unrolled for `n` up to 8.
///
/// Tried (callgrind, 880 k shingles of 5 MB of Gutenberg text, `n = 3`):
/// `out.extend(hashes.windows(n).map(combine_word_hashes))` with the loop over `n`
/// kept: ≈ 46 instructions per shingle; unrolled: ≈ 28. With AVX-512, eight windows
/// at a time first ([`combine_windows_with`](arch::combine_windows_with)): text →
/// MinHash-128 at word 2-grams (bench `text_to_minhash` workload, best pass of 500,
/// alternating builds) 314 → 340 MB/s (+8%; this loop was 10% of the time, perf).
pub(crate) fn combine_windows(hashes: &[u64], n: usize, out: &mut Vec<u64>) {
    // A prefix of the windows eight at a time (AVX-512), the rest below.
    let done = arch::combine_windows(hashes, n, out);
    let hashes = &hashes[done..];
    fn unrolled<const N: usize>(hashes: &[u64], out: &mut Vec<u64>) {
        out.extend(hashes.windows(N).map(|w| {
            let w: &[u64; N] = w.try_into().expect("a window of N");
            combine_word_hashes(w)
        }));
    }
    match n {
        1 => unrolled::<1>(hashes, out),
        2 => unrolled::<2>(hashes, out),
        3 => unrolled::<3>(hashes, out),
        4 => unrolled::<4>(hashes, out),
        5 => unrolled::<5>(hashes, out),
        6 => unrolled::<6>(hashes, out),
        7 => unrolled::<7>(hashes, out),
        8 => unrolled::<8>(hashes, out),
        _ => out.extend(hashes.windows(n).map(combine_word_hashes)),
    }
}

/// The first 24 bytes of xxh3's default secret, as little-endian `u64` words.
pub(crate) const XXH3_SECRET_HEAD: [u64; 3] = [
    0xbe4b_a423_396c_feb8,
    0x1cad_21f7_2c81_017c,
    0xdb97_9083_e96d_d4de,
];

/// Appends `xxh3_64_with_seed(g, seed)` of every `n`-byte window `g` of the ASCII text
/// `bytes` to `out`, in order, or of the whole text when it is not longer than `n`
/// (nothing when it is empty): the character `n`-grams of ASCII text.
///
/// For `n` up to 8 each window is read as one unaligned `u64` and hashed by xxh3's own
/// short-input formulas (`len` 1 to 3 and 4 to 8) written out here with the seed folded
/// in once, instead of a call through `xxh3_64_with_seed`'s length dispatch per window;
/// tested equal to `xxh3_64_with_seed` for every `n` and length. Numbers: see
/// [`grams`].
pub(crate) fn ascii_gram_hashes(mut bytes: &[u8], n: usize, seed: u64, out: &mut Vec<u64>) {
    if bytes.is_empty() {
        return;
    }
    if bytes.len() <= n {
        out.push(xxh3_64_with_seed(bytes, seed));
        return;
    }
    if (4..=8).contains(&n) {
        // A prefix of the windows eight at a time (AVX-512), the rest below.
        let done = arch::gram_hashes(bytes, n, flip_4to8(seed), out);
        bytes = &bytes[done..];
    }
    match n {
        1 => grams(bytes, n, out, short_hash::<1>(seed)),
        2 => grams(bytes, n, out, short_hash::<2>(seed)),
        3 => grams(bytes, n, out, short_hash::<3>(seed)),
        4 => grams(bytes, n, out, medium_hash::<4>(seed)),
        5 => grams(bytes, n, out, medium_hash::<5>(seed)),
        6 => grams(bytes, n, out, medium_hash::<6>(seed)),
        7 => grams(bytes, n, out, medium_hash::<7>(seed)),
        8 => grams(bytes, n, out, medium_hash::<8>(seed)),
        _ => out.extend(bytes.windows(n).map(|w| xxh3_64_with_seed(w, seed))),
    }
}

/// Appends `hash` of each `n`-byte window of `bytes` (`bytes.len() > n`, `n <= 8`),
/// the window passed as a little-endian `u64` of its bytes and whatever follows, up to
/// eight (`hash` reads only the window's own bytes). Windows that start eight bytes or
/// more before the end are loaded straight from `bytes`, the last few from a
/// zero-padded copy.
///
/// Tried (callgrind, the workload of bench `text_to_simhash/chars4_tf`, instructions
/// per 4-gram for all of `features_into`): `windows(n).map(xxh3_64_with_seed)`: 44.8;
/// `bytes.windows(8)` and `Vec::push` (capacity check and length update through memory
/// at every push): 41; a zeroed, pre-sized slice written by index: 32 plus the
/// zeroing; `extend` from a mapped range (exact length, no check per element): 30.8.
#[inline(always)]
fn grams(bytes: &[u8], n: usize, out: &mut Vec<u64>, hash: impl Fn(u64) -> u64) {
    let windows = bytes.len() - n + 1;
    let full = bytes.len().saturating_sub(7).min(windows);
    let load = |b: &[u8], i: usize| u64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes"));
    out.extend((0..full).map(|i| hash(load(bytes, i))));
    let mut padded = [0u8; 16];
    let rest = &bytes[full..];
    padded[..rest.len()].copy_from_slice(rest);
    out.extend((0..windows - full).map(|i| hash(load(&padded, i))));
}

/// xxh3 of the first `N` (1 to 3) bytes of a little-endian `u64`: `xxh3_64_1to3`.
#[inline(always)]
fn short_hash<const N: usize>(seed: u64) -> impl Fn(u64) -> u64 {
    let secret = XXH3_SECRET_HEAD[0];
    let flip = u64::from((secret as u32) ^ (secret >> 32) as u32).wrapping_add(seed);
    move |x: u64| {
        let byte = |i: usize| (x >> (8 * i)) & 0xff;
        let combo = byte(0) << 16 | byte(N >> 1) << 24 | byte(N - 1) | (N as u64) << 8;
        let mut h = combo ^ flip;
        h ^= h >> 33;
        h = h.wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
        h ^= h >> 29;
        h = h.wrapping_mul(0x1656_67B1_9E37_79F9);
        h ^ (h >> 32)
    }
}

/// The seeded constant of `xxh3_64_4to8`, xored into its input.
#[inline(always)]
fn flip_4to8(seed: u64) -> u64 {
    let seed = seed ^ u64::from((seed as u32).swap_bytes()) << 32;
    (XXH3_SECRET_HEAD[1] ^ XXH3_SECRET_HEAD[2]).wrapping_sub(seed)
}

/// xxh3 of the first `N` (4 to 8) bytes of a little-endian `u64`: `xxh3_64_4to8`.
#[inline(always)]
fn medium_hash<const N: usize>(seed: u64) -> impl Fn(u64) -> u64 {
    let flip = flip_4to8(seed);
    move |x: u64| {
        let first = x & 0xffff_ffff;
        let last = (x >> (8 * (N - 4))) & 0xffff_ffff;
        let mut h = last.wrapping_add(first << 32) ^ flip;
        h ^= h.rotate_left(49) ^ h.rotate_left(24);
        h = h.wrapping_mul(0x9FB2_1C65_1E98_DF25);
        h ^= (h >> 35).wrapping_add(N as u64);
        h = h.wrapping_mul(0x9FB2_1C65_1E98_DF25);
        h ^ (h >> 28)
    }
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

    /// Word shingles: each word hashed once ([`word_hashes`] finds and hashes them),
    /// then the hashes of each window of `n` words combined.
    ///
    /// Measured (callgrind, `examples/scale` on 5 MB of Gutenberg text, 880 k shingles,
    /// all of `hashes_into`): `text.split(' ').filter(..).map(xxh3)` into `Vec::extend`
    /// (a `memchr` call per word, and the unsized-iterator `extend` that checks capacity
    /// per element), then `windows(n)` with the loop over `n`: 186 M instructions, 212
    /// per shingle; `for_each_word`, a reserved vector and [`combine_windows`]: 87 M,
    /// 99 per shingle (of which about 30 are xxh3 of the word and 28 the combination).
    /// Tried: xxh3 of words up to 8 bytes without branching on the length (both of its
    /// short-input formulas computed from the scan's `u64` load, one selected), against
    /// the mispredicted length dispatch: 6% more instructions here, no change in time
    /// measurable on the shared machine (text → MinHash of 48 MB, best of six). Then
    /// [`word_hashes`]: a space bitmask per 64 bytes instead of a scan per word, and
    /// on AVX-512 eight words hashed at a time (see its notes).
    fn words(&self, text: &str, n: usize, scratch: &mut ShingleScratch, out: &mut Vec<u64>) {
        let hashes = &mut scratch.words;
        hashes.clear();
        // A word takes at least two bytes of normalized text with its space.
        hashes.reserve(text.len() / 2 + 1);
        let seed = self.seed;
        word_hashes(text.as_bytes(), seed, hashes);
        if hashes.is_empty() {
            return;
        }
        if hashes.len() < n {
            out.push(combine_word_hashes(hashes));
            return;
        }
        combine_windows(hashes, n, out);
    }

    fn chars(&self, text: &str, n: usize, out: &mut Vec<u64>) {
        if text.is_empty() {
            return;
        }
        let bytes = text.as_bytes();
        if text.is_ascii() {
            ascii_gram_hashes(bytes, n, self.seed, out);
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
///
/// The merge compares blocks of four values of each set at once (all 16 pairs, which
/// the compiler turns into vector compares), then moves past the block with the
/// smaller last value, or both when those are equal: as both sets are strictly
/// increasing, every common value is counted once, when the blocks that hold it meet
/// (the block intersection of Schlegel, Willhalm and Lehner, 2011). The last values
/// (fewer than four of one set) are merged one at a time ([`merge_count`]).
///
/// Measured on the sets and pairs that verification meets in `dedup` on the 48 MB
/// corpus (82 k candidate pairs of 44 k distinct texts, 4.7 M values in the pairs,
/// each pair's sets intersected once, in candidate order; best of 6, three runs):
/// [`merge_count`] 13.0–13.6 ms; blocks of four as a lane mask (this) 10.5–11.7 ms;
/// blocks of four counting the 16 compares into one sum (not vectorized) 13.1–14.0
/// ms; blocks of eight 12.6–13.0 ms, or 16.2–17.8 ms as a lane mask; blocks of two
/// 10.9–11.3 ms. Tested against [`merge_count`] and a set intersection.
pub fn intersection_len(a: &[u64], b: &[u64]) -> usize {
    const W: usize = 4;
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i + W <= a.len() && j + W <= b.len() {
        let x: &[u64; W] = a[i..i + W].try_into().expect("W values");
        let y: &[u64; W] = b[j..j + W].try_into().expect("W values");
        // Lane `l`: whether x[l] is in y (at most one match: y has no repeats).
        let mut hit = [0u64; W];
        for &q in y {
            for (h, &p) in hit.iter_mut().zip(x) {
                *h |= u64::from(p == q);
            }
        }
        n += hit.iter().sum::<u64>() as usize;
        let (xl, yl) = (x[W - 1], y[W - 1]);
        i += W * usize::from(xl <= yl);
        j += W * usize::from(yl <= xl);
    }
    n + merge_count(&a[i..], &b[j..])
}

/// `|A ∩ B|` of two sorted, deduplicated sets, one step of a linear merge at a time.
///
/// The merge advances by comparisons turned into integers instead of a three-way
/// branch: which side moves on depends on hash values, so the branch was mispredicted
/// about every other step. Measured (perf, `examples/scale` on the 48 MB Gutenberg
/// corpus, one thread, verification of candidate pairs): the `match` on `cmp`, 5.4% of
/// the run's samples, mostly at its comparisons; this: 3.6%, mostly waiting on the
/// loads of the two sets. The reference of [`intersection_len`], and its tail.
pub fn merge_count(a: &[u64], b: &[u64]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        let (x, y) = (a[i], b[j]);
        n += usize::from(x == y);
        i += usize::from(x <= y);
        j += usize::from(y <= x);
    }
    n
}

#[cfg(test)]
mod tests;
