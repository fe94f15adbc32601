//! Golden vectors: hashes and signatures pinned as literals, so that any change to
//! normalization, shingle hashing, the permutation generator or the MinHash kernel
//! shows up here. The values were computed once from the code at the commit that added
//! this file. If one of these tests fails, the stable output changed: that is a
//! breaking change for every stored signature, not something to "fix" by updating the
//! literal without a version bump.

use paradup::text::shingle::combine_word_hashes;
use paradup::{DEFAULT_SEED, MinHasher, Normalizer, ShingleKind, Shingler};
use xxhash_rust::xxh3::xxh3_64_with_seed;

const TEXT: &str = "The quick brown fox jumps over the lazy dog. The G20 summit in Delhi.";

#[test]
fn default_seed_is_paradup1() {
    assert_eq!(DEFAULT_SEED.to_be_bytes(), *b"paradup1");
}

#[test]
fn normalized_golden_text() {
    assert_eq!(
        Normalizer::new().normalize(TEXT),
        "the quick brown fox jumps over the lazy dog the g20 summit in delhi"
    );
}

#[test]
fn minhash_signature_first_eight_slots() {
    let normalized = Normalizer::new().normalize(TEXT);
    let set = Shingler::new(ShingleKind::Words(3)).shingles(&normalized);
    assert_eq!(set.len(), 12);
    let sig = MinHasher::new(128).signature(&set);
    assert_eq!(sig.slots().len(), 128);
    assert_eq!(
        sig.slots()[..8],
        [
            0x0484_54fd,
            0x082f_87c2,
            0x2fe1_d6fd,
            0x01b4_cb5d,
            0x0520_579f,
            0x1bda_528d,
            0x11be_28fe,
            0x33db_177b,
        ]
    );
}

#[test]
fn permutation_parameters() {
    let h = MinHasher::new(128);
    let (a, b) = h.params();
    assert_eq!((a[0], b[0]), (0xc18b_cdce_9dc6_271d, 0xe35d_9609_815a_e50c));
    assert!(a.iter().all(|a| a % 2 == 1), "multipliers must be odd");
    // The first `k` permutations do not depend on how many there are.
    assert_eq!(MinHasher::new(8).params().0, &a[..8]);
}

#[test]
fn xxh3_word_hash() {
    assert_eq!(
        xxh3_64_with_seed(b"fox", DEFAULT_SEED),
        0xecea_32ec_6d56_5ccb
    );
}

#[test]
fn combine_word_hashes_of_1_2_3() {
    assert_eq!(combine_word_hashes(&[1, 2, 3]), 0x4a0e_a5d3_6b19_98e0);
}

#[test]
fn word_bigrams_of_a_b_c() {
    let got = Shingler::new(ShingleKind::Words(2)).shingles("a b c");
    assert_eq!(got, [0x2fa7_01e7_0dbd_96aa, 0x4785_95e3_0a1e_0775]);
    // And they are the documented combination of the seeded word hashes.
    let w = |s: &str| xxh3_64_with_seed(s.as_bytes(), DEFAULT_SEED);
    let mut want = vec![
        combine_word_hashes(&[w("a"), w("b")]),
        combine_word_hashes(&[w("b"), w("c")]),
    ];
    want.sort_unstable();
    assert_eq!(got, want);
}

#[test]
fn char_trigrams_of_abcd() {
    let got = Shingler::new(ShingleKind::Chars(3)).shingles("abcd");
    assert_eq!(got, [0x0d9c_24cc_03a0_44f7, 0xf1f8_d5cc_6ebd_dea2]);
    let mut want = vec![
        xxh3_64_with_seed(b"abc", DEFAULT_SEED),
        xxh3_64_with_seed(b"bcd", DEFAULT_SEED),
    ];
    want.sort_unstable();
    assert_eq!(got, want);
}
