//! Every kernel against the scalar reference or the definition, and the choice of a
//! kernel from `PARADUP_KERNEL` and the CPU. A kernel the CPU lacks falls back to
//! scalar in the `*_with` functions, so these tests pass (and test only what runs)
//! on any CPU.

use super::*;

/// The SplitMix64 generator, for test data (a copy, so that `arch` depends on nothing
/// above it).
struct SplitMix64(u64);

impl SplitMix64 {
    fn new(seed: u64) -> SplitMix64 {
        SplitMix64(seed)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

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

/// A value for the MinHash kernel's property test: random, or one at an edge of the
/// 32-bit halves the AVX2 kernel splits `a`, `b` and `x` into.
fn edgy(g: &mut SplitMix64) -> u64 {
    const EDGES: [u64; 6] = [0, 1, u64::MAX, 0xffff_ffff, 1 << 32, 0xffff_ffff_0000_0000];
    match g.next_u64() % 4 {
        0 => EDGES[(g.next_u64() % 6) as usize],
        _ => g.next_u64(),
    }
}

proptest::proptest! {
    /// Every kernel equals the scalar one for any `a`, `b` and shingles (even `a`
    /// and values at the edges of the 32-bit halves included), on signature lengths
    /// with every tail past the SIMD blocks (32 and 8 slots for AVX2).
    #[test]
    fn every_kernel_equals_scalar(
        seed in proptest::prelude::any::<u64>(),
        len in 0usize..300,
        n in 0usize..70,
    ) {
        let mut g = SplitMix64::new(seed);
        let a: Vec<u64> = (0..len).map(|_| edgy(&mut g)).collect();
        let b: Vec<u64> = (0..len).map(|_| edgy(&mut g)).collect();
        let shingles: Vec<u64> = (0..n).map(|_| edgy(&mut g)).collect();
        let mut want = vec![u32::MAX; len];
        scalar::update(&a, &b, &shingles, &mut want);
        proptest::prop_assert_eq!(&want, &naive(&a, &b, &shingles));
        for k in [Kernel::Avx2, Kernel::Avx512] {
            let mut sig = vec![u32::MAX; len];
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
            let block = if k == Kernel::Avx512 { 64 } else { 32 };
            proptest::prop_assert!(read == 0 || read == src.len() || !src[read].is_ascii() || read % block == 0 || src.len() - read < block);
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

const NONE: CpuFeatures = CpuFeatures {
    avx2: false,
    avx512: false,
};
const AVX2: CpuFeatures = CpuFeatures {
    avx2: true,
    avx512: false,
};
const AVX512: CpuFeatures = CpuFeatures {
    avx2: true,
    avx512: true,
};

#[test]
fn unset_or_empty_chooses_the_best_the_cpu_has() {
    for value in [None, Some(""), Some("  ")] {
        assert_eq!(choose(value, NONE), Ok(Kernel::Scalar));
        assert_eq!(choose(value, AVX2), Ok(Kernel::Avx2));
        assert_eq!(choose(value, AVX512), Ok(Kernel::Avx512));
    }
}

#[test]
fn a_forced_kernel_the_cpu_has_is_chosen() {
    assert_eq!(choose(Some("scalar"), NONE), Ok(Kernel::Scalar));
    assert_eq!(choose(Some("scalar"), AVX512), Ok(Kernel::Scalar));
    assert_eq!(choose(Some("avx2"), AVX2), Ok(Kernel::Avx2));
    assert_eq!(choose(Some("avx2"), AVX512), Ok(Kernel::Avx2));
    assert_eq!(choose(Some("AVX512"), AVX512), Ok(Kernel::Avx512));
    assert_eq!(choose(Some(" avx512\n"), AVX512), Ok(Kernel::Avx512));
}

#[test]
fn a_forced_kernel_the_cpu_lacks_is_an_error() {
    let err = choose(Some("avx512"), AVX2).unwrap_err();
    assert_eq!(
        err,
        ForcedKernelError {
            requested: "avx512".into(),
            kernel: Some(Kernel::Avx512),
            available: vec![Kernel::Scalar, Kernel::Avx2],
        }
    );
    assert_eq!(
        err.to_string(),
        "PARADUP_KERNEL=avx512: this CPU lacks AVX-512 (F, DQ, BW); available: scalar, avx2"
    );
    let err = choose(Some("avx2"), NONE).unwrap_err();
    assert_eq!(
        err.to_string(),
        "PARADUP_KERNEL=avx2: this CPU lacks AVX2; available: scalar"
    );
    assert_eq!(
        choose(Some("avx512"), NONE).unwrap_err().kernel,
        Some(Kernel::Avx512)
    );
}

#[test]
fn an_unknown_kernel_is_an_error() {
    for cpu in [NONE, AVX2, AVX512] {
        let err = choose(Some("bogus"), cpu).unwrap_err();
        assert_eq!(err.kernel, None);
        assert_eq!(err.available, cpu.available());
    }
    assert_eq!(
        choose(Some("bogus"), AVX2).unwrap_err().to_string(),
        "PARADUP_KERNEL=bogus: no such kernel (known: scalar, avx2, avx512); \
         available: scalar, avx2"
    );
    assert!(choose(Some("avx"), AVX512).is_err());
    assert!(choose(Some("avx-512"), AVX512).is_err());
}

#[test]
fn names_round_trip() {
    for k in Kernel::ALL {
        assert_eq!(Kernel::from_name(k.name()), Some(k));
    }
    assert_eq!(AVX512.best(), Kernel::Avx512);
    assert_eq!(NONE.available(), [Kernel::Scalar]);
}

#[test]
fn the_selected_kernel_runs_on_this_cpu() {
    // Whatever `PARADUP_KERNEL` says, the selection never picks a path the CPU lacks,
    // and it is the scalar one exactly when the check fails.
    let k = Kernel::selected();
    assert!(k.available(), "{k:?}");
    if check_forced().is_err() {
        assert_eq!(k, Kernel::Scalar);
    }
}

proptest::proptest! {
    #[test]
    fn space_bits_mark_every_space_and_nothing_else(
        block in proptest::collection::vec(
            proptest::prop_oneof![3 => proptest::strategy::Just(b' '), 5 => proptest::prelude::any::<u8>()],
            64,
        ),
    ) {
        let block: [u8; 64] = block.try_into().expect("64 bytes");
        let want = block
            .iter()
            .enumerate()
            .filter(|&(_, &b)| b == b' ')
            .fold(0u64, |m, (i, _)| m | 1 << i);
        for k in Kernel::ALL {
            if let Some(s) = SpaceBits::with(k) {
                proptest::prop_assert_eq!(s.bits(&block), want, "{:?}", k);
            }
        }
    }
}

#[test]
fn space_bits_exist_for_avx2_only() {
    assert!(SpaceBits::with(Kernel::Scalar).is_none());
    assert!(SpaceBits::with(Kernel::Avx512).is_none());
    assert_eq!(
        SpaceBits::with(Kernel::Avx2).is_some(),
        cfg!(target_arch = "x86_64") && Kernel::Avx2.available()
    );
}
