use super::*;
use proptest::prelude::*;

/// The definition of the word shingle hashes, in text order: the reference for
/// [`Shingler::hashes_into`] with [`ShingleKind::Words`].
fn naive_word_hashes(text: &str, n: usize, seed: u64) -> Vec<u64> {
    let words: Vec<u64> = text
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(|w| xxh3_64_with_seed(w.as_bytes(), seed))
        .collect();
    if words.is_empty() {
        Vec::new()
    } else if words.len() < n {
        vec![combine_word_hashes(&words)]
    } else {
        words.windows(n).map(combine_word_hashes).collect()
    }
}

/// Text made of words and separators, with runs of spaces, other whitespace (which
/// is part of a word here) and multibyte characters.
fn spaced_text() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            6 => proptest::char::range('a', 'z'),
            3 => Just(' '),
            1 => proptest::sample::select(vec!['\t', '\n', '!', 'é', '東', '\u{0}', '\u{a0}']),
        ],
        0..120,
    )
    .prop_map(|v| v.into_iter().collect())
}

/// The reference for the gram hashes: xxh3 of each window of `n` bytes, or of the
/// whole when it is no longer than a window.
fn xxh3_grams(bytes: &[u8], n: usize, seed: u64) -> Vec<u64> {
    if bytes.is_empty() {
        Vec::new()
    } else if bytes.len() <= n {
        vec![xxh3_64_with_seed(bytes, seed)]
    } else {
        bytes
            .windows(n)
            .map(|w| xxh3_64_with_seed(w, seed))
            .collect()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn word_hashes_equal_naive(text in spaced_text(), n in 1usize..11, seed in any::<u64>()) {
        let sh = Shingler::new(ShingleKind::Words(n)).with_seed(seed);
        let mut out = Vec::new();
        sh.hashes_into(&text, &mut ShingleScratch::default(), &mut out);
        prop_assert_eq!(out, naive_word_hashes(&text, n, seed));
    }

    #[test]
    fn ascii_grams_equal_xxh3(
        bytes in proptest::collection::vec(0u8..128, 0..40),
        n in 1usize..11,
        seed in any::<u64>(),
    ) {
        let mut got = Vec::new();
        ascii_gram_hashes(&bytes, n, seed, &mut got);
        let want = xxh3_grams(&bytes, n, seed);
        prop_assert_eq!(got, want);
    }

    #[test]
    fn word_hashes_equal_xxh3_of_words(
        // Long enough for several 64-byte blocks, words of 1 to 20 bytes.
        words in proptest::collection::vec(("[a-z0-9\u{e9}]{1,20}", 1usize..3), 0..60),
        lead in 0usize..3,
        seed in any::<u64>(),
    ) {
        let mut text = " ".repeat(lead);
        for (w, spaces) in &words {
            text.push_str(w);
            text.push_str(&" ".repeat(*spaces));
        }
        for t in [text.as_str(), text.trim_end()] {
            let mut got = Vec::new();
            word_hashes(t.as_bytes(), seed, &mut got);
            let mut want = Vec::new();
            for_each_word(t.as_bytes(), |w| want.push(xxh3_64_with_seed(w, seed)));
            prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn every_kernel_hashes_word_spans_as_xxh3(
        words in proptest::collection::vec("[a-z\u{e9}]{1,19}", 0..80),
        seed in any::<u64>(),
    ) {
        use crate::arch::{Kernel, word_hashes_with};
        let text = words.join(" ");
        let mut spans = Vec::new();
        let mut at = 0;
        for w in &words {
            spans.push(at as u64 | (w.len() as u64) << 32);
            at += w.len() + 1;
        }
        let want: Vec<u64> =
            words.iter().map(|w| xxh3_64_with_seed(w.as_bytes(), seed)).collect();
        let short = ShortWords::new(seed);
        for k in [Kernel::Scalar, Kernel::Avx2, Kernel::Avx512] {
            let mut got = spans.clone();
            let done = word_hashes_with(
                k, text.as_bytes(), &mut got, seed, short.flip_1to3, short.flip_4to8,
            );
            prop_assert!(done.is_multiple_of(8) && done <= got.len());
            prop_assert_eq!(&got[..done], &want[..done], "{:?}", k);
            prop_assert_eq!(&got[done..], &spans[done..], "{:?}", k);
        }
    }

    #[test]
    fn every_kernel_combines_windows_as_defined(
        hashes in proptest::collection::vec(any::<u64>(), 0..100),
        n in 1usize..12,
    ) {
        use crate::arch::{Kernel, combine_windows_with};
        let want: Vec<u64> = if hashes.len() < n {
            Vec::new()
        } else {
            hashes.windows(n).map(combine_word_hashes).collect()
        };
        for k in [Kernel::Scalar, Kernel::Avx2, Kernel::Avx512] {
            let mut got = vec![5];
            let done = combine_windows_with(k, &hashes, n, &mut got);
            prop_assert!(done.is_multiple_of(8) && done <= want.len());
            prop_assert_eq!(&got[1..], &want[..done], "{:?}", k);
        }
        if hashes.len() >= n {
            let mut got = Vec::new();
            combine_windows(&hashes, n, &mut got);
            prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn every_space_finder_gives_the_same_word_hashes(
        words in proptest::collection::vec(("[a-z0-9\u{e9}]{1,20}", 1usize..4), 0..80),
        seed in any::<u64>(),
    ) {
        let mut text = String::new();
        for (w, spaces) in &words {
            text.push_str(w);
            text.push_str(&" ".repeat(*spaces));
        }
        let mut want = Vec::new();
        for_each_word(text.as_bytes(), |w| want.push(xxh3_64_with_seed(w, seed)));
        let mut swar = Vec::new();
        word_hashes_by(text.as_bytes(), seed, &mut swar, space_bits);
        prop_assert_eq!(&swar, &want);
        if let Some(simd) = crate::arch::SpaceBits::with(crate::arch::Kernel::Avx2) {
            let mut got = Vec::new();
            word_hashes_by(text.as_bytes(), seed, &mut got, |b| simd.bits(b));
            prop_assert_eq!(&got, &want);
        }
    }

    #[test]
    fn word_hashes_equal_on_spaced_text(text in spaced_text(), seed in any::<u64>()) {
        let mut got = Vec::new();
        word_hashes(text.as_bytes(), seed, &mut got);
        let mut want = Vec::new();
        for_each_word(text.as_bytes(), |w| want.push(xxh3_64_with_seed(w, seed)));
        prop_assert_eq!(got, want);
    }

    #[test]
    fn long_ascii_grams_equal_xxh3(
        // Long enough for the eight-window loop and its tail, every kernel.
        bytes in proptest::collection::vec(0u8..128, 0..300),
        n in 1usize..11,
        seed in any::<u64>(),
    ) {
        let want = xxh3_grams(&bytes, n, seed);
        let mut got = vec![7];
        ascii_gram_hashes(&bytes, n, seed, &mut got);
        prop_assert_eq!(&got[1..], &want[..]);
        if (4..=8).contains(&n) {
            use crate::arch::{Kernel, gram_hashes_with};
            for k in [Kernel::Scalar, Kernel::Avx2, Kernel::Avx512] {
                let mut got = vec![7];
                let done = gram_hashes_with(k, &bytes, n, flip_4to8(seed), &mut got);
                prop_assert_eq!(got.len(), 1 + done);
                prop_assert_eq!(&got[1..], &want[..done]);
            }
        }
    }

    #[test]
    fn words_equal_split(text in spaced_text()) {
        let mut got: Vec<&[u8]> = Vec::new();
        for_each_word(text.as_bytes(), |w| got.push(w));
        let want: Vec<&[u8]> = text
            .as_bytes()
            .split(|&b| b == b' ')
            .filter(|w| !w.is_empty())
            .collect();
        prop_assert_eq!(got, want);
    }

    #[test]
    fn intersection_len_equals_set_intersection(
        a in proptest::collection::btree_set(0u64..200, 0..60),
        b in proptest::collection::btree_set(0u64..200, 0..60),
    ) {
        let va: Vec<u64> = a.iter().copied().collect();
        let vb: Vec<u64> = b.iter().copied().collect();
        prop_assert_eq!(intersection_len(&va, &vb), a.intersection(&b).count());
        prop_assert_eq!(intersection_len(&vb, &va), a.intersection(&b).count());
    }

    #[test]
    fn intersection_len_equals_merge_count(
        a in proptest::collection::btree_set(0u64..2000, 0..400),
        b in proptest::collection::btree_set(0u64..2000, 0..400),
        common in proptest::collection::btree_set(0u64..2000, 0..100),
    ) {
        // Shared values in runs and scattered, sets of unequal sizes.
        let va: Vec<u64> = a.union(&common).copied().collect();
        let vb: Vec<u64> = b.union(&common).copied().collect();
        let want = va.iter().filter(|x| vb.binary_search(x).is_ok()).count();
        prop_assert_eq!(merge_count(&va, &vb), want);
        prop_assert_eq!(intersection_len(&va, &vb), want);
        prop_assert_eq!(intersection_len(&vb, &va), want);
        prop_assert_eq!(intersection_len(&va, &va), va.len());
    }

    #[test]
    fn space_mask_is_exact(x in any::<u64>()) {
        let want = x
            .to_le_bytes()
            .iter()
            .enumerate()
            .filter(|&(_, &b)| b == b' ')
            .fold(0u64, |m, (i, _)| m | 0x80 << (8 * i));
        prop_assert_eq!(space_mask(x), want);
    }
}

#[test]
fn short_paragraphs_get_one_distinct_shingle() {
    let s = Shingler::new(ShingleKind::Words(5));
    let yes = s.shingles("yes");
    let no = s.shingles("no");
    let two = s.shingles("yes no");
    assert_eq!((yes.len(), no.len(), two.len()), (1, 1, 1));
    assert_ne!(yes, no);
    assert_ne!(yes, two);
    assert!(s.shingles("").is_empty());
}

#[test]
fn word_shingles_count_windows_and_depend_on_order() {
    let s = Shingler::new(ShingleKind::Words(2));
    assert_eq!(s.shingles("a b c d").len(), 3);
    assert_ne!(s.shingles("a b"), s.shingles("b a"));
}

#[test]
fn char_shingles_handle_multibyte_text() {
    let s = Shingler::new(ShingleKind::Chars(2));
    assert_eq!(s.shingles("東京都").len(), 2);
    assert_eq!(s.shingles("東").len(), 1);
    assert_eq!(s.shingles("abcd").len(), 3);
    assert_eq!(s.shingles("ab"), s.shingles("ab"));
    assert!(s.shingles("").is_empty());
}

#[test]
fn zero_n_is_an_error() {
    assert!(Shingler::try_new(ShingleKind::Words(0)).is_err());
    assert!(Shingler::try_new(ShingleKind::Chars(0)).is_err());
}

#[test]
fn jaccard_of_sets() {
    assert_eq!(jaccard(&[1, 2, 3], &[2, 3, 4]), 0.5);
    assert_eq!(jaccard(&[], &[]), 1.0);
    assert_eq!(jaccard(&[1], &[]), 0.0);
}
