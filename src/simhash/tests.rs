use super::*;
use crate::Shingler;
use proptest::prelude::*;

/// The definition, one feature and one bit at a time, in wide signed arithmetic.
fn naive(features: &[(u64, u64)]) -> u64 {
    let mut v = [0i128; 64];
    for &(h, w) in features {
        for (b, vb) in v.iter_mut().enumerate() {
            if (h >> b) & 1 == 1 {
                *vb += i128::from(w);
            } else {
                *vb -= i128::from(w);
            }
        }
    }
    (0..64).filter(|&b| v[b] > 0).fold(0, |fp, b| fp | 1 << b)
}

#[test]
fn accumulator_matches_the_definition_on_fixed_cases() {
    assert_eq!(fingerprint_of(&[]), 0);
    assert_eq!(fingerprint_of(&[u64::MAX]), u64::MAX);
    assert_eq!(fingerprint_of(&[u64::MAX, 0]), 0); // ties vote 0
    assert_eq!(fingerprint_of(&[u64::MAX, 0, 1 << 63]), 1 << 63);
    // 1000 copies of one hash and 999 of its complement: the first wins every bit.
    let mut many = vec![0xF0F0_F0F0_0000_FFFFu64; 1000];
    many.extend(std::iter::repeat_n(!0xF0F0_F0F0_0000_FFFFu64, 999));
    assert_eq!(fingerprint_of(&many), 0xF0F0_F0F0_0000_FFFF);
    // A huge weight: counters well past 32 bits.
    assert_eq!(
        fingerprint_weighted(&[(0xAAAA, 1 << 40), (0x5555, (1 << 40) - 1)]),
        0xAAAA
    );
}

#[test]
fn single_additions_after_full_lanes() {
    // `add_all` can leave the lanes exactly full (255 units); the next `add` must
    // flush first (a regression: it used to flush only on reaching 255 itself).
    let mut acc = Accumulator::new();
    let mut all = Vec::new();
    for i in 0..17u64 {
        let batch = [i.wrapping_mul(0x9E37_79B9_7F4A_7C15); 15];
        acc.add_all(&batch);
        all.extend(batch.iter().map(|&h| (h, 1)));
    }
    for h in [u64::MAX, 0, 1 << 40] {
        acc.add(h);
        all.push((h, 1));
    }
    acc.add_all(&[3; 40]);
    all.extend([(3, 1); 40]);
    assert_eq!(acc.fingerprint(), naive(&all));
    assert_eq!(acc.total(), all.len() as u64);
}

#[test]
fn weight_overflow_wraps_without_panicking() {
    // Past 2^64 the counters wrap (documented); the call must not panic.
    let mut acc = Accumulator::new();
    acc.add_weighted(u64::MAX, u64::MAX);
    acc.add_weighted(u64::MAX, u64::MAX);
    acc.add(u64::MAX);
    assert_eq!(acc.total(), u64::MAX);
    let _ = acc.fingerprint();
}

#[test]
fn features_are_the_shinglers_shingles() {
    let texts = [
        "",
        "yes",
        "the cat sat on the mat the cat sat",
        "東京都 日本 東京都",
        "a",
    ];
    for kind in [
        ShingleKind::Words(1),
        ShingleKind::Words(3),
        ShingleKind::Chars(2),
        ShingleKind::Chars(5),
    ] {
        let sh = Shingler::new(kind).with_seed(99);
        let sim = SimHasher::new(kind).with_seed(99);
        for t in texts {
            let mut f = Vec::new();
            sim.features_into(t, &mut SimHashScratch::default(), &mut f);
            let mut set = f.clone();
            set.sort_unstable();
            set.dedup();
            assert_eq!(set, sh.shingles(t), "{kind:?} {t:?}");
        }
    }
    let mut f = Vec::new();
    SimHasher::new(ShingleKind::Words(1)).features_into(
        "the cat the",
        &mut SimHashScratch::default(),
        &mut f,
    );
    assert_eq!(f.len(), 3);
    assert_eq!(f[0], f[2]);
}

#[test]
fn weighting_changes_repeated_features_only() {
    let tf = SimHasher::new(ShingleKind::Words(1));
    let uni = tf.with_weighting(Weighting::Uniform);
    let text = "the the the the the the cat sat on a mat";
    let mut scratch = SimHashScratch::default();
    let mut f = Vec::new();
    tf.features_into(text, &mut scratch, &mut f);
    let want_tf = naive(&f.iter().map(|&h| (h, 1)).collect::<Vec<_>>());
    f.sort_unstable();
    f.dedup();
    let want_uni = naive(&f.iter().map(|&h| (h, 1)).collect::<Vec<_>>());
    assert_ne!(want_tf, want_uni);
    assert_eq!(tf.fingerprint_normalized(text), want_tf);
    assert_eq!(uni.fingerprint_normalized(text), want_uni);
    // Without repeats the two agree.
    let plain = "one two three four";
    assert_eq!(
        tf.fingerprint_normalized(plain),
        uni.fingerprint_normalized(plain)
    );
    assert_eq!(tf.fingerprint_normalized(""), 0);
}

#[test]
fn golden_fingerprints() {
    // Pinned: a change here changes every stored fingerprint.
    let h = SimHasher::new(ShingleKind::Words(1));
    assert_eq!(h.fingerprint_normalized("the quick brown fox"), GOLDEN_FOX);
    assert_eq!(
        SimHasher::new(ShingleKind::Chars(4)).fingerprint_normalized("the quick brown fox"),
        GOLDEN_FOX_C4
    );
    // And the pinned values are the definition's.
    for (kind, want) in [
        (ShingleKind::Words(1), GOLDEN_FOX),
        (ShingleKind::Chars(4), GOLDEN_FOX_C4),
    ] {
        let mut f = Vec::new();
        SimHasher::new(kind).features_into(
            "the quick brown fox",
            &mut SimHashScratch::default(),
            &mut f,
        );
        assert_eq!(naive(&f.iter().map(|&h| (h, 1)).collect::<Vec<_>>()), want);
    }
}

const GOLDEN_FOX: u64 = 0x01b2_302a_208c_995a;
const GOLDEN_FOX_C4: u64 = 0x6fc0_63eb_0090_2460;

#[test]
fn zero_n_is_an_error() {
    assert!(SimHasher::try_new(ShingleKind::Words(0)).is_err());
    assert!(SimHasher::try_new(ShingleKind::Chars(0)).is_err());
}

proptest! {
    #[test]
    fn accumulator_equals_naive(
        features in prop::collection::vec((any::<u64>(), 0u64..1000), 0..200),
    ) {
        prop_assert_eq!(fingerprint_weighted(&features), naive(&features));
        let ones: Vec<u64> = features.iter().map(|&(h, _)| h).collect();
        let unit: Vec<(u64, u64)> = ones.iter().map(|&h| (h, 1)).collect();
        prop_assert_eq!(fingerprint_of(&ones), naive(&unit));
    }

    #[test]
    fn mixed_additions_equal_naive(
        // Single, batched and weighted additions, interleaved, past several flushes.
        ops in prop::collection::vec((any::<u64>(), 0u8..3, 0u64..5), 0..700),
    ) {
        let mut acc = Accumulator::new();
        let (mut all, mut batch) = (Vec::new(), Vec::new());
        for (h, kind, w) in ops {
            match kind {
                0 => {
                    acc.add(h);
                    all.push((h, 1));
                }
                1 => {
                    acc.add_weighted(h, w);
                    all.push((h, w));
                }
                _ => {
                    batch.push(h);
                    all.push((h, 1));
                    if batch.len() == 37 {
                        acc.add_all(&batch);
                        batch.clear();
                    }
                }
            }
        }
        acc.add_all(&batch);
        prop_assert_eq!(acc.fingerprint(), naive(&all));
        prop_assert_eq!(acc.total(), all.iter().map(|&(_, w)| w).sum::<u64>());
    }

    #[test]
    fn long_batches_equal_naive(
        // Thousands of hashes in one call: many adder-tree groups and flushes.
        features in prop::collection::vec(any::<u64>(), 0..5000),
        split in 0usize..5000,
    ) {
        let unit: Vec<(u64, u64)> = features.iter().map(|&h| (h, 1)).collect();
        let mut acc = Accumulator::new();
        let (a, b) = features.split_at(split.min(features.len()));
        acc.add_all(a);
        acc.add(7);
        acc.add_all(b);
        let mut all = unit.clone();
        all.push((7, 1));
        prop_assert_eq!(acc.fingerprint(), naive(&all));
        prop_assert_eq!(fingerprint_of(&features), naive(&unit));
    }

    #[test]
    fn biased_bits_equal_naive(
        // Few distinct hashes with many repeats: counters near the threshold.
        picks in prop::collection::vec(0usize..4, 0..300),
        pool in prop::array::uniform4(any::<u64>()),
    ) {
        let f: Vec<u64> = picks.iter().map(|&i| pool[i]).collect();
        let unit: Vec<(u64, u64)> = f.iter().map(|&h| (h, 1)).collect();
        prop_assert_eq!(fingerprint_of(&f), naive(&unit));
    }

    #[test]
    fn fingerprint_ignores_feature_order(
        mut features in prop::collection::vec(any::<u64>(), 0..100),
        rot in 0usize..100,
    ) {
        let before = fingerprint_of(&features);
        features.reverse();
        prop_assert_eq!(fingerprint_of(&features), before);
        if !features.is_empty() {
            let r = rot % features.len();
            features.rotate_left(r);
            prop_assert_eq!(fingerprint_of(&features), before);
        }
    }

    #[test]
    fn paragraph_fingerprint_ignores_word_order_for_single_words(
        words in prop::collection::vec("[a-z]{1,6}", 1..30),
    ) {
        // With single-word features, shuffling the words permutes the features only.
        let h = SimHasher::new(ShingleKind::Words(1));
        let text = words.join(" ");
        let mut rev = words.clone();
        rev.reverse();
        prop_assert_eq!(h.fingerprint_normalized(&rev.join(" ")), h.fingerprint_normalized(&text));
        let u = h.with_weighting(Weighting::Uniform);
        prop_assert_eq!(u.fingerprint_normalized(&rev.join(" ")), u.fingerprint_normalized(&text));
    }
}
