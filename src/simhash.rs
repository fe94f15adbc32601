//! SimHash fingerprints (Charikar 2002): one 64-bit word per paragraph whose Hamming
//! distance tracks the angle between the paragraphs' feature vectors.
//!
//! # Definition
//!
//! A paragraph's features are hashes of its word shingles, character shingles or single
//! words ([`ShingleKind`], hashed exactly as the [`Shingler`](crate::Shingler) hashes
//! them), each with a weight: the number of times it occurs ([`Weighting::TermFrequency`],
//! the default) or 1 for every distinct feature ([`Weighting::Uniform`]). For each bit
//! position `b` the fingerprint keeps the sign of the weighted vote
//!
//! ```text
//! v_b = Σ_features  w · (+1 if bit b of the feature hash is 1, −1 otherwise)
//! bit b of the fingerprint = 1 if v_b > 0, else 0 (a tie votes 0)
//! ```
//!
//! A paragraph without features (empty after normalization) has fingerprint 0. The
//! fingerprint is a function of the feature multiset: it does not depend on the order of
//! the features (tested), and it is reproducible across machines and versions, because
//! the feature hashes are xxh3 of the normalized bytes with a fixed seed.
//!
//! # Hamming distance and cosine similarity
//!
//! Each bit of the fingerprint is the sign of a random ±1 projection of the weighted
//! feature vector, which behaves (almost exactly, for more than a handful of features)
//! like a random hyperplane through the origin: two paragraphs whose vectors are at angle
//! `θ` fall on different sides of it with probability `θ/π`. So the expected Hamming
//! distance between two 64-bit fingerprints is
//!
//! ```text
//! E[distance] = 64 · θ / π,   θ = arccos(cosine similarity)
//! ```
//!
//! ([`expected_hamming`]; a test checks it on random vectors), and a distance `d`
//! estimates the cosine as `cos(π · d / 64)` ([`estimate_cosine`]). Some values: cosine
//! 0.99 → 2.9 bits, 0.95 → 6.5, 0.9 → 9.2, 0.8 → 13.1, 0.5 → 21.3, and unrelated
//! paragraphs (cosine near 0) → 32. The distance of one pair is a binomial draw around
//! that mean (standard deviation up to 4 bits), so a radius of `k` bits finds most pairs
//! whose expected distance is below `k`, some above it, and misses some below it.
//!
//! # What `max_hamming` means for paragraphs
//!
//! In the [`Deduper`](crate::Deduper) with [`Method::SimHash`](crate::Method::SimHash),
//! pairs whose fingerprints differ in at most `max_hamming` bits become candidates, which
//! are then verified by exact Jaccard on shingle sets like MinHash candidates:
//! `max_hamming` sets recall (and the cost of the search), not precision. Measured with
//! the default features (character 4-grams, term frequency) on `gutenberg-editions`
//! (edition differences: spelling, typos, italics markup, footnotes, `--` against `—`):
//!
//! | pairs | median distance | 90th percentile |
//! |---|---|---|
//! | same passage, shorter paragraph under 20 words | 7 | 11 |
//! | same passage, 20 to 49 words | 4 | 8 |
//! | same passage, 50 words or more | 2 | 5 |
//! | word-3-gram Jaccard 0.5 to 0.6 (just above the default threshold) | 7 | 14 |
//! | word-3-gram Jaccard 0.8 or more | 2 | 6 |
//! | unrelated paragraphs | 30 | 1% are under 20, 0.1% under 16, 0.01% under 12 |
//!
//! (Paragraphs that differ only in case, punctuation or quotes normalize to the same
//! text: distance 0, and they are exact duplicates before SimHash is asked.) So the
//! default radius of 10 bits keeps about 90% of the edited short paragraphs and nearly
//! all long ones as candidates, while unrelated pairs stay far outside it.
//!
//! # Measured: choosing the features, and SimHash against MinHash
//!
//! On `gutenberg-editions` (35,007 paragraphs from two printings of 20 books, 16,492
//! aligned positive pairs, 4,408 of them with a paragraph under 20 words), with
//! `cargo run --release --example evaluate -- --method minhash,simhash --features c4
//! --max-hamming 10 --threads 1`; every row verifies by exact word-3-gram Jaccard at the
//! default threshold 0.5; seconds are the whole run on one thread of the shared 2-core
//! development machine:
//!
//! | method | features | radius | precision | recall | F1 | recall, edited (`fuzzy`) | recall, under 20 words | recall, 50+ words | candidates | seconds |
//! |---|---|---|---|---|---|---|---|---|---|---|
//! | MinHash 128, LSH 25 × 5 | word 3-grams | | 0.9758 | **0.9982** | 0.9869 | **0.9881** | **0.9952** | **0.9995** | 2,770 | 0.32 |
//! | **SimHash (default)** | **char 4-grams, tf** | **10** | 0.9795 | 0.9949 | **0.9872** | 0.9657 | 0.9932 | 0.9962 | 4,084 | 0.32 |
//! | SimHash | char 4-grams, tf | 6 | 0.9858 | 0.9790 | 0.9824 | 0.8582 | 0.9760 | 0.9821 | 2,280 | 0.24 |
//! | SimHash | char 4-grams, tf | 8 | 0.9822 | 0.9896 | 0.9859 | 0.9297 | 0.9862 | 0.9914 | 2,643 | 0.26 |
//! | SimHash | char 4-grams, tf | 12 | 0.9771 | 0.9971 | 0.9870 | 0.9804 | 0.9952 | 0.9979 | 14,136 | 0.46 |
//! | SimHash | char 4-grams, uniform | 10 | 0.9810 | 0.9935 | **0.9872** | 0.9563 | 0.9918 | 0.9929 | 2,631 | 0.36 |
//! | SimHash | char 3-grams, tf | 10 | 0.9782 | 0.9967 | 0.9873 | 0.9775 | 0.9936 | 0.9986 | 120,017 | 0.70 |
//! | SimHash | char 5-grams, tf | 10 | 0.9803 | 0.9933 | 0.9868 | 0.9550 | 0.9909 | 0.9950 | 3,162 | 0.27 |
//! | SimHash | single words, tf | 6 | 0.9821 | 0.9815 | 0.9818 | 0.8754 | 0.9760 | 0.9912 | 60,046 | 0.37 |
//! | SimHash | single words, tf | 10 | 0.9775 | 0.9964 | 0.9868 | 0.9759 | 0.9932 | 0.9991 | 922,240 | 1.95 |
//! | SimHash | single words, uniform | 10 | 0.9800 | 0.9930 | 0.9864 | 0.9526 | 0.9918 | 0.9936 | 3,164 | 0.36 |
//! | SimHash | word 2-grams, tf | 10 | 0.9806 | 0.9826 | 0.9816 | 0.8827 | 0.9789 | 0.9861 | 2,417 | 0.24 |
//! | SimHash | word 3-grams, tf | 10 | 0.9806 | 0.9703 | 0.9755 | 0.8002 | 0.9719 | 0.9726 | 2,203 | 0.27 |
//!
//! (This table was measured with the earlier defaults: word 3-grams at 0.5 and
//! datasketch's 25 × 5 banding. At the current ones, word 2-grams at 0.6 and the
//! recall-first banding 19 × 3, the same command gives MinHash precision 0.9773, recall
//! 0.9991, F1 0.9881, `fuzzy` recall 0.9939, under-20-words recall 0.9975; the default
//! SimHash 0.9803, 0.9951, 0.9877, 0.9669 and 0.9939.)
//!
//! Why character 4-grams with term frequency at 10 bits: among the feature kinds it has
//! the best F1 with few candidates. Single words weighted by frequency are dominated by
//! the common words every English paragraph shares (unrelated paragraphs sit at a
//! median of 26 bits instead of 30), so at a useful radius they flood verification with
//! candidates; word 2- and 3-grams change with every edited word and lose recall;
//! character 3-grams find slightly more but propose 30 times the candidates. Both
//! weightings score the same F1 with 4-grams; term frequency is kept as the default
//! (it fingerprints about 3.5× faster: no sort to deduplicate the features). The seed
//! article's edited pair is 1 bit apart, the closest other pair of the article 18 bits.
//!
//! # When to prefer SimHash over MinHash
//!
//! - **Storage and speed of the sketch**: 8 bytes per paragraph instead of 512 (128
//!   `u32` slots), and text → fingerprint runs at 644 MiB/s against 284 MiB/s for text →
//!   word-2-gram MinHash-128 signature (criterion, one thread, AVX-512: `cargo bench
//!   --bench simhash -- text_to_simhash` and `--bench minhash -- text_to_minhash`, in one
//!   session; before the AVX-512 text paths the ratio was 1.8 to 1.9). An index over SimHash
//!   fingerprints ([`HammingIndex`](crate::HammingIndex)) is correspondingly smaller.
//! - **Recall, especially on short paragraphs**: a fixed radius over 64 bits is coarse.
//!   One edited word moves a short paragraph's fingerprint many bits (median 7 under 20
//!   words against 2 for 50 words or more), so at the default radius SimHash misses
//!   0.7% of the short near-duplicates against MinHash's 0.5%, and 3.4% of the edited
//!   pairs against 1.2%; widening the radius to 12 bits closes the gap on short
//!   paragraphs but costs 3.5 times the candidates. MinHash with LSH targets the Jaccard
//!   threshold directly and stays the default.
//! - **Search cost**: the Hamming search grows quickly with the radius (the pigeonhole
//!   needs more, narrower blocks): at 10 bits it is as fast as banded LSH here, at 12 it
//!   is slower. Prefer SimHash when storage or fingerprinting dominates (very large
//!   corpora, a persistent index) and the paragraphs are long; prefer MinHash for short
//!   texts and when recall near the threshold matters.

//! # The per-feature update
//!
//! The hot loop adds a feature hash to 64 counters, one per bit. [`Accumulator`] keeps
//! the counters in byte lanes: eight `u64` words, byte `i` of word `j` counting bit
//! `8i + j`, so adding a hash is eight independent `(h >> j) & 0x0101…01` masks and
//! adds (SWAR, and the compiler unrolls and vectorizes them); every 255 hashes the bytes
//! are flushed into 64-bit counters. The sign test at the end compares each counter with
//! half the total weight.
//!
//! Notes of what was tried (100 random hashes per fingerprint, ns per feature on the
//! shared 2-core development machine, baseline x86-64 target; bench `simhash`,
//! `simhash_kernel`):
//! - one `u32` counter per bit, `c[b] += (h >> b) & 1`: 12 to 18 ns (the per-lane
//!   variable shift does not vectorize without AVX2);
//! - bit-sliced counters (`planes[j]` holds bit `j` of all 64 counters; a ripple-carry
//!   increment `planes[j] ^= carry; carry &= old`, stopping when no lane carries): 5 to
//!   8 ns, held back by the data-dependent loop exit;
//! - 16-bit lanes (16 words, flushed every 65,535): 4.8 ns; 4-bit lanes (4 words, flushed
//!   every 15): 3.1 ns;
//! - 8-bit lanes, flushed every 255: 1.2 to 1.9 ns;
//! - 8-bit lanes fed by a carry-save adder tree over 16 hashes at a time (Harley–Seal;
//!   [`Accumulator::add_all`], kept): on the workload of bench `text_to_simhash`
//!   (2,000 paragraphs of about 100 words, `chars4_tf`, callgrind) 18.4 → 12.1
//!   instructions per feature; `add_all` fingerprinting and the hashing around it ran
//!   0.15 s against 0.18 s for 48 MB of that text (normalization included).
//!
//! - on CPUs with AVX-512 (F, DQ, BW), the same adder tree on eight lanes
//!   (`arch::count_bits_with`, one `vpternlogq`
//!   for each sum and carry), used by `add_all` for runs of 256 hashes or more: see the
//!   feature hashing notes below for the measurement.
//!
//! Feature hashing, same workload (callgrind, instructions per feature): character
//! 4-grams of ASCII text through `windows(n).map(xxh3_64_with_seed)`: 44.8; each window
//! loaded as one `u64` and hashed by xxh3's short-input formula written out
//! ([`ascii_gram_hashes`](crate::text::shingle)), 30.8 (the compiler vectorizes the
//! hash two windows at a time with SSE2; a scalar loop ran as fast natively). Words:
//! 218 per word with a byte-by-byte word scan, 133 with the Shingler's SWAR space scan
//! after one check that no other whitespace occurs.
//!
//! AVX-512 (F, DQ, BW; chosen at run time like the MinHash kernel, and off under
//! `PARADUP_KERNEL=scalar` or `avx2`): character 4- to 8-grams of ASCII text hashed
//! eight windows at a time
//! (`arch::gram_hashes_with`: one `vpshufb`
//! builds the eight formula inputs from a 16-byte load), and the bit counts on eight
//! lanes (above). Text → fingerprint, normalization included, `chars4_tf` on the
//! workload of bench `text_to_simhash` (best pass of 300, the two builds run
//! alternately on the shared Zen 4 machine): 335 MB/s with the scalar hashing and
//! adder tree, 681 MB/s with both loops on AVX-512 (2.0×). Normalization is then
//! 48% of the time (perf), the gram hashing 16%, the counting 13%. (Callgrind cannot
//! count these: valgrind does not run AVX-512.) Summing the eight lanes at the end
//! of a call costs several hundred instructions, so with the loop taken from 64
//! hashes up, bench `simhash_kernel` (100 hashes per call) ran 10 to 20% slower than
//! the scalar tree (criterion, same run); from 256 up
//! (`arch::COUNT_BITS_MIN`) that bench takes the
//! scalar path again and `chars4_tf` is unchanged (888 against 893 MB/s).

use crate::error::{ErrorKind, Result};
use crate::text::shingle::{
    ShingleKind, ascii_gram_hashes, combine_windows, combine_word_hashes, word_hashes,
};
use crate::text::tokenize::{has_control_whitespace, words};
use xxhash_rust::xxh3::xxh3_64_with_seed;

/// Bits in a fingerprint.
pub const BITS: u32 = 64;

/// The default features of SimHash: character 4-grams
/// ([`ShingleKind::Chars(4)`](ShingleKind::Chars)), chosen by measurement (see the
/// [module docs](self)).
pub const DEFAULT_FEATURES: ShingleKind = ShingleKind::Chars(4);

/// How the features of a paragraph are weighted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Weighting {
    /// Each feature weighs the number of times it occurs in the paragraph. The default.
    #[default]
    TermFrequency,
    /// Each distinct feature weighs 1 (the feature set, as MinHash sees it).
    Uniform,
}

/// The Hamming distance of two fingerprints: the number of differing bits.
///
/// ```
/// assert_eq!(paradup::simhash::hamming(0b1011, 0b0110), 3);
/// ```
#[inline]
pub fn hamming(a: u64, b: u64) -> u32 {
    (a ^ b).count_ones()
}

/// The expected Hamming distance of two 64-bit fingerprints of vectors with cosine
/// similarity `cosine`: `64 · arccos(cosine) / π` (`cosine` is clamped to `[−1, 1]`).
///
/// ```
/// use paradup::simhash::expected_hamming;
/// assert_eq!(expected_hamming(1.0), 0.0);
/// assert!((expected_hamming(0.0) - 32.0).abs() < 1e-9);
/// assert!((expected_hamming(0.9) - 9.19).abs() < 0.01);
/// ```
pub fn expected_hamming(cosine: f64) -> f64 {
    f64::from(BITS) * cosine.clamp(-1.0, 1.0).acos() / std::f64::consts::PI
}

/// The cosine similarity that a Hamming distance `distance` estimates:
/// `cos(π · distance / 64)` (distances above 64 count as 64).
///
/// ```
/// use paradup::simhash::estimate_cosine;
/// assert_eq!(estimate_cosine(0), 1.0);
/// assert!(estimate_cosine(32).abs() < 1e-12);
/// assert_eq!(estimate_cosine(64), -1.0);
/// ```
pub fn estimate_cosine(distance: u32) -> f64 {
    let d = f64::from(distance.min(BITS));
    (std::f64::consts::PI * d / f64::from(BITS)).cos()
}

/// A mask of bit 0 of every byte.
const BYTE_ONES: u64 = 0x0101_0101_0101_0101;

/// Weight that the byte lanes hold before they must be flushed.
const FLUSH_EVERY: u32 = 255;

/// 64 counters of weighted votes: the SimHash hot loop.
///
/// Add feature hashes with [`add`](Self::add) or [`add_all`](Self::add_all) (weight 1)
/// or [`add_weighted`](Self::add_weighted), then read the fingerprint with
/// [`fingerprint`](Self::fingerprint). The result does not depend on the order of the
/// additions. Counters are 64 bits wide and wrap at `2^64` (a total weight that no text
/// reaches; it never panics).
///
/// ```
/// use paradup::simhash::Accumulator;
///
/// let mut acc = Accumulator::new();
/// acc.add(0b0011);
/// acc.add(0b0110);
/// acc.add_weighted(0b0100, 2);
/// // Bit 0: +1 −1 −2 < 0; bit 1: +1 +1 −2 = 0 (a tie votes 0); bit 2: −1 +1 +2 > 0.
/// assert_eq!(acc.fingerprint(), 0b0100);
/// assert_eq!(acc.total(), 4);
/// ```
#[derive(Clone, Debug)]
pub struct Accumulator {
    /// Byte `i` of `narrow[j]` holds the weight added since the last flush of the hashes
    /// with bit `8i + j` set (at most [`FLUSH_EVERY`]).
    narrow: [u64; 8],
    /// Weight held in `narrow` (each byte lane holds at most this much).
    pending: u32,
    /// `wide[b]`: the weight, up to the last flush, of the features whose hash has bit
    /// `b` set.
    wide: [u64; 64],
    /// Total weight added.
    total: u64,
}

impl Default for Accumulator {
    fn default() -> Accumulator {
        Accumulator::new()
    }
}

impl Accumulator {
    /// Counters at zero.
    pub fn new() -> Accumulator {
        Accumulator {
            narrow: [0; 8],
            pending: 0,
            wide: [0; 64],
            total: 0,
        }
    }

    /// Sets every counter back to zero.
    pub fn clear(&mut self) {
        *self = Accumulator::new();
    }

    /// Total weight added since the last [`clear`](Self::clear).
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Moves the byte lanes into the wide counters. Kept out of line: inlined into
    /// [`add_all`](Self::add_all), it made the compiler load all 64 wide counters into
    /// registers at every call (≈ 90 instructions per call of 100 hashes, callgrind).
    #[inline(never)]
    fn flush(&mut self) {
        for (j, lane) in self.narrow.iter().enumerate() {
            for i in 0..8 {
                let w = &mut self.wide[8 * i + j];
                *w = w.wrapping_add((lane >> (8 * i)) & 0xFF);
            }
        }
        self.narrow = [0; 8];
        self.pending = 0;
    }

    /// Adds one feature hash with weight 1.
    #[inline]
    pub fn add(&mut self, h: u64) {
        self.add_to_lanes_times(h, 0);
        self.total = self.total.wrapping_add(1);
    }

    /// Adds each hash of `hashes` with weight 1 (a repeated hash counts as often as it
    /// appears): the hot loop.
    ///
    /// Sixteen hashes at a time go through a carry-save adder tree (Harley and Seal's
    /// population count, applied per bit position as in Muła, Kurz and Lemire, "Faster
    /// population counts"): bit-sliced partial counts `ones`, `twos`, `fours`, `eights`
    /// absorb the hashes with five logic operations per full adder, and only the
    /// `sixteens` word of each group goes into the byte lanes, with weight 16. The
    /// partial counts enter the lanes with weights 8, 4, 2 and 1 at the end of the call,
    /// and the last `len % 16` hashes one at a time.
    ///
    /// Measured (callgrind, the workload of bench `text_to_simhash/chars4_tf`,
    /// instructions per feature): one byte-lane addition per hash (8 shifts, masks and
    /// adds; the loop before): 18.4; this adder tree: 16.7 with the flush inlined (the
    /// compiler then loaded all 64 wide counters at every call), 12.1 with the flush out
    /// of line and the lanes held in registers between flushes.
    pub fn add_all(&mut self, hashes: &[u64]) {
        // All but the last `len % 8` straight into the wide counters, eight lanes at a
        // time (AVX-512, 256 hashes or more; see `count_bits`), the rest below.
        let done = crate::arch::count_bits(hashes, &mut self.wide);
        self.add_all_scalar(&hashes[done..]);
        self.total = self.total.wrapping_add(done as u64);
    }

    /// [`add_all`](Self::add_all) without the AVX-512 loop: the reference for it.
    fn add_all_scalar(&mut self, hashes: &[u64]) {
        #[inline(always)]
        fn csa(a: u64, b: u64, c: u64) -> (u64, u64) {
            let u = a ^ b;
            ((a & b) | (u & c), u ^ c)
        }
        let (mut ones, mut twos, mut fours, mut eights) = (0u64, 0u64, 0u64, 0u64);
        let mut groups = hashes.chunks_exact(16);
        loop {
            // Groups that fit in the byte lanes before the next flush, with the lanes
            // in registers.
            let room = ((FLUSH_EVERY - self.pending) / 16) as usize;
            if room == 0 {
                self.flush();
                continue;
            }
            let mut narrow = self.narrow;
            let mut done = 0;
            for d in groups.by_ref().take(room) {
                let (twos_a, o) = csa(ones, d[0], d[1]);
                let (twos_b, o) = csa(o, d[2], d[3]);
                let (fours_a, t) = csa(twos, twos_a, twos_b);
                let (twos_a, o) = csa(o, d[4], d[5]);
                let (twos_b, o) = csa(o, d[6], d[7]);
                let (fours_b, t) = csa(t, twos_a, twos_b);
                let (eights_a, f) = csa(fours, fours_a, fours_b);
                let (twos_a, o) = csa(o, d[8], d[9]);
                let (twos_b, o) = csa(o, d[10], d[11]);
                let (fours_a, t) = csa(t, twos_a, twos_b);
                let (twos_a, o) = csa(o, d[12], d[13]);
                let (twos_b, o) = csa(o, d[14], d[15]);
                let (fours_b, t) = csa(t, twos_a, twos_b);
                let (eights_b, f) = csa(f, fours_a, fours_b);
                let (sixteens, e) = csa(eights, eights_a, eights_b);
                (ones, twos, fours, eights) = (o, t, f, e);
                for (j, lane) in narrow.iter_mut().enumerate() {
                    *lane += ((sixteens >> j) & BYTE_ONES) << 4;
                }
                done += 1;
            }
            self.narrow = narrow;
            self.pending += 16 * done as u32;
            if done < room {
                break;
            }
        }
        for (plane, shift) in [(eights, 3), (fours, 2), (twos, 1), (ones, 0)] {
            self.add_to_lanes_times(plane, shift);
        }
        for &h in groups.remainder() {
            self.add_to_lanes_times(h, 0);
        }
        self.total = self.total.wrapping_add(hashes.len() as u64);
    }

    /// Adds bit `8i + j` of `h` times `2^shift` (at most 16) to byte `i` of `narrow[j]`,
    /// flushing first when the lanes could overflow.
    #[inline(always)]
    fn add_to_lanes_times(&mut self, h: u64, shift: u32) {
        let weight = 1 << shift;
        if self.pending + weight > FLUSH_EVERY {
            self.flush();
        }
        for (j, lane) in self.narrow.iter_mut().enumerate() {
            *lane += ((h >> j) & BYTE_ONES) << shift;
        }
        self.pending += weight;
    }

    /// Adds one feature hash with weight `w`, straight into the wide counters.
    pub fn add_weighted(&mut self, h: u64, w: u64) {
        for (b, c) in self.wide.iter_mut().enumerate() {
            *c = c.wrapping_add(w & ((h >> b) & 1).wrapping_neg());
        }
        self.total = self.total.wrapping_add(w);
    }

    /// The fingerprint: bit `b` is 1 when counter `b` is more than half the total weight
    /// (the features voting 1 outweigh those voting 0; a tie votes 0).
    pub fn fingerprint(&self) -> u64 {
        // counter > ⌊total/2⌋ ⇔ 2·counter > total.
        let half = self.total / 2;
        (0..64).fold(0, |fp, b| {
            let held = (self.narrow[b % 8] >> (8 * (b / 8))) & 0xFF;
            let c = self.wide[b].wrapping_add(held);
            fp | u64::from(c > half) << b
        })
    }
}

/// The SimHash fingerprint of a multiset of feature hashes, each occurrence weighing 1
/// (so a repeated hash counts as often as it appears).
///
/// ```
/// use paradup::simhash::fingerprint_of;
/// assert_eq!(fingerprint_of(&[]), 0);
/// assert_eq!(fingerprint_of(&[0b101]), 0b101);
/// assert_eq!(fingerprint_of(&[0b011, 0b110, 0b110]), 0b110);
/// ```
pub fn fingerprint_of(features: &[u64]) -> u64 {
    let mut acc = Accumulator::new();
    acc.add_all(features);
    acc.fingerprint()
}

/// The SimHash fingerprint of `(feature hash, weight)` pairs.
///
/// ```
/// use paradup::simhash::fingerprint_weighted;
/// assert_eq!(fingerprint_weighted(&[(0b011, 1), (0b110, 2)]), 0b110);
/// assert_eq!(fingerprint_weighted(&[(0b011, 3), (0b110, 2)]), 0b011);
/// ```
pub fn fingerprint_weighted(features: &[(u64, u64)]) -> u64 {
    let mut acc = Accumulator::new();
    for &(h, w) in features {
        acc.add_weighted(h, w);
    }
    acc.fingerprint()
}

/// Reusable scratch for [`SimHasher::fingerprint_normalized_with`]: keep one per thread.
#[derive(Clone, Debug, Default)]
pub struct SimHashScratch {
    words: Vec<u64>,
    starts: Vec<usize>,
    features: Vec<u64>,
    acc: Accumulator,
}

/// Computes SimHash fingerprints of normalized text.
///
/// `SimHasher` is `Copy`, `Send` and `Sync`; it holds only its settings. Scratch space
/// comes from the caller through [`SimHashScratch`].
///
/// ```
/// use paradup::{SimHasher, hamming};
///
/// let hasher = SimHasher::default();
/// let a = hasher.fingerprint_text(
///     "His isolation was evident from his failure to turn up to this weekend's G20 summit \
///      in Delhi, and fewer African leaders recently attending a summit in St Petersburg.");
/// let b = hasher.fingerprint_text(
///     "His isolation was evident from his failure to turn up to the G20 summit \
///      in Delhi, and fewer African leaders attending a summit in St Petersburg.");
/// let c = hasher.fingerprint_text(
///     "Kim Jong Un arrived by armoured train for talks at the cosmodrome.");
/// assert!(hamming(a, b) <= 8, "{}", hamming(a, b));
/// assert!(hamming(a, c) > 16, "{}", hamming(a, c));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SimHasher {
    features: ShingleKind,
    weighting: Weighting,
    seed: u64,
}

impl Default for SimHasher {
    /// [`DEFAULT_FEATURES`], term-frequency weights, the crate's
    /// [default seed](crate::DEFAULT_SEED).
    fn default() -> SimHasher {
        SimHasher::new(DEFAULT_FEATURES)
    }
}

impl SimHasher {
    /// A hasher over `features` with term-frequency weights and the crate's
    /// [default seed](crate::DEFAULT_SEED).
    ///
    /// # Panics
    /// If the shingle size `n` is zero; [`try_new`](Self::try_new) returns an error
    /// instead.
    pub fn new(features: ShingleKind) -> SimHasher {
        SimHasher::try_new(features).expect("shingle size n must be at least 1")
    }

    /// A hasher over `features`, or an error if the shingle size `n` is zero.
    pub fn try_new(features: ShingleKind) -> Result<SimHasher> {
        if features.n() == 0 {
            return Err(ErrorKind::ZeroShingleSize.into());
        }
        Ok(SimHasher {
            features,
            weighting: Weighting::default(),
            seed: crate::DEFAULT_SEED,
        })
    }

    /// The same hasher with another weighting. Default: [`Weighting::TermFrequency`].
    pub fn with_weighting(mut self, weighting: Weighting) -> SimHasher {
        self.weighting = weighting;
        self
    }

    /// The same hasher with another seed for the feature hashes. Default:
    /// [`DEFAULT_SEED`](crate::DEFAULT_SEED). With equal seeds and kinds, the features
    /// are the [`Shingler`](crate::Shingler)'s shingle hashes.
    pub fn with_seed(mut self, seed: u64) -> SimHasher {
        self.seed = seed;
        self
    }

    /// The kind of feature.
    pub fn features(&self) -> ShingleKind {
        self.features
    }

    /// The weighting.
    pub fn weighting(&self) -> Weighting {
        self.weighting
    }

    /// The hash seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The fingerprint of raw `text`, normalized first with the default
    /// [`Normalizer`](crate::Normalizer) (a [`Sketcher`](crate::Sketcher) normalizes
    /// with a deduper's).
    pub fn fingerprint_text(&self, text: &str) -> u64 {
        self.fingerprint_normalized(&crate::Normalizer::new().normalize(text))
    }

    /// The fingerprint of `normalized`, text already normalized by a
    /// [`Normalizer`](crate::Normalizer): raw text gives another fingerprint.
    pub fn fingerprint_normalized(&self, normalized: &str) -> u64 {
        self.fingerprint_normalized_with(normalized, &mut SimHashScratch::default())
    }

    /// [`fingerprint_normalized`](Self::fingerprint_normalized) with caller scratch:
    /// the hot path, which allocates nothing once the scratch has grown.
    pub fn fingerprint_normalized_with(
        &self,
        normalized: &str,
        scratch: &mut SimHashScratch,
    ) -> u64 {
        self.fingerprint_counted(normalized, scratch).0
    }

    /// The fingerprint and the number of features (with repeats), 0 when the text has
    /// none.
    pub(crate) fn fingerprint_counted(
        &self,
        normalized: &str,
        scratch: &mut SimHashScratch,
    ) -> (u64, usize) {
        let mut features = std::mem::take(&mut scratch.features);
        self.features_into(normalized, scratch, &mut features);
        let count = features.len();
        if self.weighting == Weighting::Uniform {
            features.sort_unstable();
            features.dedup();
        }
        let acc = &mut scratch.acc;
        acc.clear();
        acc.add_all(&features);
        let fp = acc.fingerprint();
        scratch.features = features;
        (fp, count)
    }

    /// Writes the feature hashes of `normalized` into `out` (cleared first), in text
    /// order, with repeats: the multiset whose distinct elements are the
    /// [`Shingler`](crate::Shingler)'s shingle set for the same kind and seed.
    pub fn features_into(
        &self,
        normalized: &str,
        scratch: &mut SimHashScratch,
        out: &mut Vec<u64>,
    ) {
        out.clear();
        match self.features {
            ShingleKind::Words(n) => {
                let hashes = &mut scratch.words;
                hashes.clear();
                // Tried (callgrind, the workload of bench `simhash`, `words1_tf`,
                // instructions per word): `hashes.extend(words(..).map(..))` with a
                // byte-by-byte `words` and the unsized-iterator `extend` (capacity
                // checked per element): 218; `words` eight bytes at a time and `push`:
                // 189 (the exact whitespace test costs ~25 operations per 8 bytes);
                // checking once that only spaces separate words, then the Shingler's
                // space scan: see the module notes.
                hashes.reserve(normalized.len() / 2 + 1);
                let seed = self.seed;
                if has_control_whitespace(normalized.as_bytes()) {
                    for w in words(normalized) {
                        hashes.push(xxh3_64_with_seed(w.as_bytes(), seed));
                    }
                } else {
                    // Only spaces separate words: the Shingler's word scan.
                    word_hashes(normalized.as_bytes(), seed, hashes);
                }
                if hashes.is_empty() {
                    return;
                }
                if hashes.len() < n {
                    out.push(combine_word_hashes(hashes));
                } else {
                    combine_windows(hashes, n, out);
                }
            }
            ShingleKind::Chars(n) => {
                if normalized.is_empty() {
                    return;
                }
                let bytes = normalized.as_bytes();
                if normalized.is_ascii() {
                    ascii_gram_hashes(bytes, n, self.seed, out);
                    return;
                }
                let starts = &mut scratch.starts;
                starts.clear();
                starts.extend(normalized.char_indices().map(|(i, _)| i));
                starts.push(bytes.len());
                if starts.len() - 1 <= n {
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
    }
}

#[cfg(test)]
mod tests;
