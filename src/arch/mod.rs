//! Every SIMD path of the crate, and the only module allowed `unsafe` (`lib.rs` denies
//! it everywhere else).
//!
//! This is the bottom layer: it imports nothing from the rest of the crate, and the
//! text, MinHash, SimHash and corpus code call down into it through the safe
//! functions here. `paradup::minhash::kernel` re-exports the public items.
//!
//! - [`scalar`]: the portable MinHash kernel, the reference for the others.
//! - `x86_64::avx2`: the MinHash kernel on 8 slots of 32 bits per register (AVX2 has
//!   no 64-bit multiply, and only the high half of `a·x + b` is kept: two `vpmuludq`
//!   for `a_lo·x_lo + b` and two `vpmulld` for the cross term mod 2^32 per 8 slots
//!   and shingle, where the full 64-bit product takes six `vpmuludq`);
//!   and the text loops [`word_hashes_with`], [`combine_windows_with`] and
//!   [`ascii_words_with`] on four 64-bit lanes (their 64-bit products from three
//!   `vpmuludq`) or 32 bytes, and the word scan's space finder (`SpaceBits`).
//! - `x86_64::avx512`: the MinHash kernel on 8 lanes with `vpmullq` (AVX-512DQ), and
//!   the text path's loops: [`gram_hashes_with`] (xxh3 of the 4- to 8-byte windows
//!   of ASCII text), [`count_bits_with`] (the 64 per-bit counts of SimHash feature
//!   hashes), [`ascii_words_with`] (normalization of ASCII text 64 bytes at a time),
//!   [`word_hashes_with`] (xxh3 of eight words at a time) and
//!   [`combine_windows_with`] (eight word shingles combined at a time).
//! - `utf8`: a large input's UTF-8 checked on several threads (`utf8_string`,
//!   `fill_utf8`), and the `String` made without checking it again.
//!
//! The MinHash kernel does, for every shingle `x` and every slot `i`,
//! `sig[i] = min(sig[i], (a[i]·x + b[i]) >> 32)` (64-bit wrapping arithmetic). The
//! SIMD versions walk the slots in blocks and run all shingles through one block
//! before the next, so a block's `a`, `b` and running minima stay in registers and
//! each shingle costs one broadcast plus arithmetic.
//!
//! Each text loop does a prefix of the work and returns how much it did; the callers
//! finish with their scalar code, the reference the tests compare against. They run
//! when the selected kernel has them ([`Kernel::Avx512`] or [`Kernel::Avx2`]; the
//! AVX-512 [`gram_hashes_with`] and [`count_bits_with`] have no AVX2 version), so
//! `PARADUP_KERNEL=scalar` turns them all off.
//!
//! The kernel is chosen once at run time by CPU feature detection and cached.
//! `PARADUP_KERNEL=scalar|avx2|avx512` forces one: a name no kernel has, or a kernel
//! this CPU lacks, is an error from [`check_forced`] (which `DeduperBuilder::build`
//! returns), and never runs: the selection falls back to scalar. Every `unsafe` call of a SIMD function is behind a
//! check of the CPU ([`Kernel::available`]); the tests compare every available kernel
//! with the scalar one and skip the others at run time.
//!
//! Measurements: `docs/PERFORMANCE.md`.

pub mod scalar;
pub(crate) mod utf8;
#[cfg(target_arch = "x86_64")]
mod x86_64;

#[cfg(test)]
mod tests;

pub(crate) use utf8::{fill_utf8, utf8_string};

use std::fmt;
use std::sync::OnceLock;

/// Asks the CPU to bring `x` into the cache ahead of a read that would miss: a hint
/// with no effect on results (a no-op off x86-64).
#[inline(always)]
pub(crate) fn prefetch<T>(x: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: SSE (which has `prefetcht0`) is part of the x86-64 baseline, and a
    // prefetch reads nothing architecturally: it cannot fault, here on a valid reference.
    unsafe {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        _mm_prefetch::<_MM_HINT_T0>((x as *const T).cast::<i8>());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = x;
}

/// A kernel implementation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
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
    /// Every kernel, the portable one first.
    pub const ALL: [Kernel; 3] = [Kernel::Scalar, Kernel::Avx2, Kernel::Avx512];

    /// Its name in `PARADUP_KERNEL`: `scalar`, `avx2` or `avx512`.
    pub fn name(self) -> &'static str {
        match self {
            Kernel::Scalar => "scalar",
            Kernel::Avx2 => "avx2",
            Kernel::Avx512 => "avx512",
        }
    }

    /// The kernel named `name` in `PARADUP_KERNEL` (ASCII case ignored).
    pub fn from_name(name: &str) -> Option<Kernel> {
        Kernel::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(name))
    }

    /// What a CPU needs to run it, as an error message names it.
    pub fn needs(self) -> &'static str {
        match self {
            Kernel::Scalar => "nothing",
            Kernel::Avx2 => "AVX2",
            Kernel::Avx512 => "AVX-512 (F, DQ, BW)",
        }
    }

    /// Whether this CPU can run the kernel.
    pub fn available(self) -> bool {
        CpuFeatures::detect().supports(self)
    }

    /// The kernel in use: the best available, unless `PARADUP_KERNEL` names another
    /// (decided once, cached). A `PARADUP_KERNEL` that [`check_forced`] rejects gives
    /// [`Kernel::Scalar`].
    pub fn selected() -> Kernel {
        choice().0
    }
}

/// The CPU features that decide which kernels can run: detected, or given to
/// [`choose`] (by tests, for one).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CpuFeatures {
    /// AVX2.
    pub avx2: bool,
    /// AVX-512F, AVX-512DQ and AVX-512BW, all three.
    pub avx512: bool,
}

impl CpuFeatures {
    /// This CPU's features (none off x86-64).
    pub fn detect() -> CpuFeatures {
        #[cfg(target_arch = "x86_64")]
        {
            x86_64::detect()
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            CpuFeatures::default()
        }
    }

    /// Whether a CPU with these features can run `kernel`.
    pub fn supports(self, kernel: Kernel) -> bool {
        match kernel {
            Kernel::Scalar => true,
            Kernel::Avx2 => self.avx2,
            Kernel::Avx512 => self.avx512,
        }
    }

    /// The kernels a CPU with these features can run, the portable one first.
    pub fn available(self) -> Vec<Kernel> {
        Kernel::ALL
            .into_iter()
            .filter(|&k| self.supports(k))
            .collect()
    }

    /// The fastest kernel a CPU with these features can run.
    pub fn best(self) -> Kernel {
        self.available().pop().unwrap_or(Kernel::Scalar)
    }
}

/// A `PARADUP_KERNEL` value that cannot be honoured: a name no kernel has, or a
/// kernel the CPU lacks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForcedKernelError {
    /// The value of `PARADUP_KERNEL`.
    pub requested: String,
    /// The kernel it names, which the CPU cannot run; `None` when no kernel has the name.
    pub kernel: Option<Kernel>,
    /// The kernels the CPU can run, the portable one first.
    pub available: Vec<Kernel>,
}

impl fmt::Display for ForcedKernelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_forced_error(f, &self.requested, self.kernel, &self.available)
    }
}

impl std::error::Error for ForcedKernelError {}

/// The message of a [`ForcedKernelError`] (also the crate error's, which holds the
/// same fields), e.g. "PARADUP_KERNEL=avx512: this CPU lacks AVX-512 (F, DQ, BW);
/// available: scalar, avx2".
pub(crate) fn write_forced_error(
    f: &mut fmt::Formatter<'_>,
    requested: &str,
    kernel: Option<Kernel>,
    available: &[Kernel],
) -> fmt::Result {
    write!(f, "PARADUP_KERNEL={requested}: ")?;
    match kernel {
        Some(k) => write!(f, "this CPU lacks {}", k.needs())?,
        None => {
            let known: Vec<&str> = Kernel::ALL.iter().map(|k| k.name()).collect();
            write!(f, "no such kernel (known: {})", known.join(", "))?;
        }
    }
    let names: Vec<&str> = available.iter().map(|k| k.name()).collect();
    write!(f, "; available: {}", names.join(", "))
}

/// The kernel to run when `PARADUP_KERNEL` is `forced` (`None`: not set) on a CPU with
/// `cpu`: the kernel it names, or the best the CPU has when it is unset or empty. A
/// name no kernel has, or a kernel the CPU lacks, is an error: a forced kernel is
/// checked against the CPU. Pure (no environment, no detection), so that tests can
/// give it any value and CPU.
///
/// ```
/// use paradup::minhash::kernel::{CpuFeatures, Kernel, choose};
///
/// let avx2_only = CpuFeatures { avx2: true, avx512: false };
/// assert_eq!(choose(None, avx2_only), Ok(Kernel::Avx2));
/// assert_eq!(choose(Some("scalar"), avx2_only), Ok(Kernel::Scalar));
/// let err = choose(Some("avx512"), avx2_only).unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "PARADUP_KERNEL=avx512: this CPU lacks AVX-512 (F, DQ, BW); available: scalar, avx2"
/// );
/// ```
pub fn choose(forced: Option<&str>, cpu: CpuFeatures) -> Result<Kernel, ForcedKernelError> {
    let value = match forced.map(str::trim) {
        None | Some("") => return Ok(cpu.best()),
        Some(value) => value,
    };
    match Kernel::from_name(value) {
        Some(k) if cpu.supports(k) => Ok(k),
        kernel => Err(ForcedKernelError {
            requested: forced.unwrap_or_default().to_string(),
            kernel,
            available: cpu.available(),
        }),
    }
}

/// The selected kernel and the answer of [`check_forced`], from `PARADUP_KERNEL` and
/// the CPU, decided on first use.
fn choice() -> &'static (Kernel, Result<(), ForcedKernelError>) {
    static CHOICE: OnceLock<(Kernel, Result<(), ForcedKernelError>)> = OnceLock::new();
    CHOICE.get_or_init(|| {
        let forced = match std::env::var("PARADUP_KERNEL") {
            Ok(value) => Some(value),
            Err(std::env::VarError::NotPresent) => None,
            Err(std::env::VarError::NotUnicode(value)) => {
                Some(value.to_string_lossy().into_owned())
            }
        };
        match choose(forced.as_deref(), CpuFeatures::detect()) {
            Ok(k) => (k, Ok(())),
            // Never a path the CPU lacks: the portable one.
            Err(e) => (Kernel::Scalar, Err(e)),
        }
    })
}

/// Checks `PARADUP_KERNEL` against this CPU: `Ok` when it is unset, empty, or names a
/// kernel the CPU can run; else the error to show the user (while the kernels run
/// the scalar path). `DeduperBuilder::build` returns it. Read once, with the selection ([`Kernel::selected`]).
pub fn check_forced() -> Result<(), ForcedKernelError> {
    choice().1.clone()
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
            unsafe { x86_64::avx512::update(a, b, shingles, sig) }
        }
        #[cfg(target_arch = "x86_64")]
        Kernel::Avx2 if kernel.available() => {
            // SAFETY: the CPU supports AVX2 (checked just above), and the lengths of
            // `a`, `b` and `sig` are equal (asserted above).
            unsafe { x86_64::avx2::update(a, b, shingles, sig) }
        }
        _ => scalar::update(a, b, shingles, sig),
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
/// Measured: the `simhash` module docs.
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
            unsafe { x86_64::avx512::gram_hashes(bytes, n, flip, out) }
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
/// scalar adder tree saves (measured: the `simhash` module docs).
pub const COUNT_BITS_MIN: usize = 256;

/// Adds to `counts[b]`, for each bit `b`, the number of hashes of a prefix of `hashes`
/// that have bit `b` set, and returns the prefix's length: a multiple of 8 with the
/// AVX-512 kernel (all but the last `len % 8`, or 0 for fewer than
/// [`COUNT_BITS_MIN`] hashes), 0 with the others. Counts wrap at `2^64`.
///
/// The AVX-512 loop is the scalar SimHash `Accumulator`'s, on
/// eight lanes: a carry-save adder tree (`vpternlogq`: one instruction for each of
/// the sum and the carry) over eight vectors of eight hashes, whose weight-8 output
/// goes into byte lanes; once per call (and every 255 groups) the byte lanes and the
/// planes left in the tree are summed over the lanes into `counts`.
pub fn count_bits_with(kernel: Kernel, hashes: &[u64], counts: &mut [u64; 64]) -> usize {
    match kernel {
        #[cfg(target_arch = "x86_64")]
        Kernel::Avx512 if kernel.available() && hashes.len() >= COUNT_BITS_MIN => {
            // SAFETY: the CPU supports AVX-512F, DQ and BW (checked just above).
            unsafe { x86_64::avx512::count_bits(hashes, counts) }
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
/// after the first block that holds a non-ASCII byte, reading only up to it; the AVX2
/// loop (with POPCNT) does the same 32 bytes at a time, packing the kept bytes eight
/// at a time with `vpshufb`; the scalar kernel reads nothing. Bytes of `dst` past `written` may be overwritten.
///
/// Measured: the docs of the normalizer's `run`.
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
        Kernel::Avx512 if kernel.available() && x86_64::has_vbmi2_popcnt() => {
            // SAFETY: the CPU supports AVX-512F, DQ, BW, VBMI2 and POPCNT (checked just
            // above).
            unsafe { x86_64::avx512::ascii_words(src, dst, prev_sep, lower, strip) }
        }
        #[cfg(target_arch = "x86_64")]
        Kernel::Avx2 if kernel.available() && x86_64::has_popcnt() => {
            // SAFETY: the CPU supports AVX2 and POPCNT (checked just above).
            unsafe { x86_64::avx2::ascii_words(src, dst, prev_sep, lower, strip) }
        }
        _ => (0, 0, prev_sep),
    }
}

/// Whether [`ascii_words_with`] does any work with the selected kernel.
#[inline]
pub(crate) fn ascii_words_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        match Kernel::selected() {
            Kernel::Avx512 => x86_64::has_vbmi2_popcnt(),
            Kernel::Avx2 => x86_64::has_popcnt(),
            Kernel::Scalar => false,
        }
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
/// seed)`, and returns the prefix's length: a multiple of 8 with the AVX-512 and AVX2
/// kernels (they stop at the first group of eight whose last word starts fewer than
/// eight bytes before the end of `text`), 0 with the scalar one. `flip_1to3` and
/// `flip_4to8` are the seeded constants of xxh3's short-input formulas for `seed`.
///
/// Eight words are eight unaligned `u64` loads (AVX-512: one gather); both short
/// formulas run on every lane (AVX2: two registers of four, its 64-bit products made
/// of three `vpmuludq`) and a mask picks one per lane; words longer than eight bytes
/// go through `xxh3_64_with_seed` one at a time.
///
/// Measured: the docs of the shingler's `word_hashes`.
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
            unsafe { x86_64::avx512::word_hashes(text, spans, seed, flip_1to3, flip_4to8) }
        }
        #[cfg(target_arch = "x86_64")]
        Kernel::Avx2 if kernel.available() => {
            // SAFETY: the CPU supports AVX2 (checked just above).
            unsafe { x86_64::avx2::word_hashes(text, spans, seed, flip_1to3, flip_4to8) }
        }
        _ => 0,
    }
}

/// Whether [`word_hashes_with`] does any work with the selected kernel (when it does
/// not, the caller skips writing the spans).
#[inline]
pub(crate) fn word_hashes_available() -> bool {
    matches!(Kernel::selected(), Kernel::Avx512 | Kernel::Avx2)
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

/// Appends `combine_word_hashes` (the shingler's word-shingle hash) of the
/// windows of `n` consecutive hashes of `hashes` starting at `0, 1, ...` to `out`,
/// for a prefix of the windows, and returns how many: a multiple of 8 with the AVX-512
/// and AVX2 kernels, 0 with the scalar one (the caller combines the rest, the
/// reference).
///
/// Eight windows at a time: `n` unaligned loads of eight consecutive hashes, the
/// combination and `fmix64` on eight lanes.
pub fn combine_windows_with(kernel: Kernel, hashes: &[u64], n: usize, out: &mut Vec<u64>) -> usize {
    match kernel {
        #[cfg(target_arch = "x86_64")]
        Kernel::Avx512 if kernel.available() && n >= 1 => {
            // SAFETY: the CPU supports AVX-512F, DQ and BW (checked just above).
            unsafe { x86_64::avx512::combine_windows(hashes, n, out) }
        }
        #[cfg(target_arch = "x86_64")]
        Kernel::Avx2 if kernel.available() && n >= 1 => {
            // SAFETY: the CPU supports AVX2 (checked just above).
            unsafe { x86_64::avx2::combine_windows(hashes, n, out) }
        }
        _ => 0,
    }
}

/// Finds the spaces of 64 bytes with AVX2 (two compares, two `vpmovmskb`) where the
/// word scan's portable code takes eight SWAR steps. Only [`SpaceBits::selected`]
/// makes one, after checking the CPU, so holding one is what [`SpaceBits::bits`]
/// needs to be safe.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SpaceBits(());

impl SpaceBits {
    /// One when the selected kernel is [`Kernel::Avx2`] (and so the CPU has AVX2).
    pub(crate) fn selected() -> Option<SpaceBits> {
        SpaceBits::with(Kernel::selected())
    }

    /// One when `kernel` is [`Kernel::Avx2`] and the CPU has it.
    pub(crate) fn with(kernel: Kernel) -> Option<SpaceBits> {
        (cfg!(target_arch = "x86_64") && kernel == Kernel::Avx2 && kernel.available())
            .then_some(SpaceBits(()))
    }

    /// Bit `i` set when `block[i] == b' '`.
    #[inline]
    pub(crate) fn bits(self, block: &[u8; 64]) -> u64 {
        #[cfg(target_arch = "x86_64")]
        {
            // SAFETY: a SpaceBits exists only where the CPU has AVX2 (`with`).
            unsafe { x86_64::avx2::space_bits(block) }
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            let _ = block;
            unreachable!("SpaceBits is only made on x86-64")
        }
    }
}

/// [`combine_windows_with`] with the selected kernel.
#[inline]
pub(crate) fn combine_windows(hashes: &[u64], n: usize, out: &mut Vec<u64>) -> usize {
    combine_windows_with(Kernel::selected(), hashes, n, out)
}
