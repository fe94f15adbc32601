//! Property tests: every optimized routine against its naive reference (`naive.rs`),
//! and the invariants the docs promise (idempotent normalization, order-free
//! signatures, partitions in document order, thread-count independence).
//!
//! Case counts are kept small enough that the whole integration binary runs in a few
//! seconds in debug mode on two cores.

use crate::naive;
use paradup::text::shingle::{intersection_len, jaccard};
use paradup::{
    CandidateSearch, Clusters, Deduper, LshIndex, LshParams, MinHasher, Normalizer, ParagraphMode,
    ParagraphSplitter, ShingleKind, Shingler, Signature, UnionFind, Verification, estimate_jaccard,
};
use proptest::prelude::*;
use proptest::sample::select;
use std::collections::BTreeSet;
use std::sync::LazyLock;

// ---------------------------------------------------------------------------------
// Strategies

/// Characters that exercise every branch of normalization: ASCII letters, digits and
/// punctuation, whitespace of several kinds, curly quotes and dashes, ligatures,
/// full-width forms, Greek (with final sigma), German ß/ẞ and umlauts, combining marks,
/// CJK, Hangul jamo, and characters whose case mapping or compatibility decomposition
/// is unusual.
fn messy_char() -> impl Strategy<Value = char> {
    prop_oneof![
        3 => proptest::char::range('a', 'z'),
        2 => proptest::char::range('A', 'Z'),
        1 => proptest::char::range('0', '9'),
        2 => select(" .,;:!?'\"-()[]*/\\&_#@".chars().collect::<Vec<_>>()),
        2 => select(vec![' ', '\t', '\n', '\r', '\u{a0}', '\u{2003}', '\u{3000}', '\u{0}', '\u{7f}']),
        1 => select(vec!['\u{2018}', '\u{2019}', '\u{201c}', '\u{201d}', '\u{2013}', '\u{2014}', '\u{ab}', '\u{bb}', '\u{2032}']),
        1 => select(vec!['ﬁ', 'ﬂ', 'ﬀ', 'ﬃ', 'ﬅ', 'Ĳ', 'ǅ', 'Ǆ', '½', '²', '①', '㎏', '℃', 'K', 'Ω', 'Å']),
        1 => proptest::char::range('\u{ff01}', '\u{ff5e}'),
        1 => proptest::char::range('\u{391}', '\u{3c9}'),
        1 => select(vec!['ς', 'ß', 'ẞ', 'ä', 'Ä', 'ö', 'Ö', 'ü', 'Ü', 'İ', 'ı', 'ſ', 'ﬆ', 'ŉ']),
        2 => proptest::char::range('\u{300}', '\u{36f}'),
        1 => select(vec!['\u{345}', '\u{1ab0}', '\u{20d0}', '\u{fe20}', '\u{93f}', '\u{94d}']),
        1 => proptest::char::range('\u{4e00}', '\u{4e2f}'),
        1 => select(vec!['、', '。', '「', '」', '・', 'ー']),
        1 => proptest::char::range('\u{1100}', '\u{1112}'),
        1 => proptest::char::range('\u{1161}', '\u{1175}'),
        1 => proptest::char::range('\u{ac00}', '\u{ac20}'),
        1 => select(vec!['ᾼ', 'ᾳ', 'ΐ', 'ϒ', 'ϓ', 'ϴ', 'ẛ', 'Ⅻ', 'ⅻ', '\u{1e9e}', '\u{212b}']),
    ]
}

fn messy_string() -> impl Strategy<Value = String> {
    proptest::collection::vec(messy_char(), 0..40).prop_map(|v| v.into_iter().collect())
}

/// All eight normalizers: case folding, NFKC and punctuation stripping each on or off.
fn normalizer() -> impl Strategy<Value = Normalizer> {
    (any::<bool>(), any::<bool>(), any::<bool>()).prop_map(|(lower, nfkc, punct)| {
        Normalizer::new()
            .lowercase(lower)
            .nfkc(nfkc)
            .strip_punctuation(punct)
    })
}

const VOCAB: &[&str] = &[
    "the", "cat", "sat", "on", "mat", "dog", "ran", "far", "away", "a", "big", "red",
];

/// Text made of words from a small vocabulary with mixed case and punctuation.
fn vocab_text(max_words: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(
        (
            select(VOCAB),
            any::<bool>(),
            select(vec!["", "", " ", ", ", ". ", "! ", " - "]),
        ),
        0..max_words,
    )
    .prop_map(|words| {
        let mut s = String::new();
        for (w, upper, sep) in words {
            if upper {
                s.push_str(&w.to_uppercase());
            } else {
                s.push_str(w);
            }
            s.push_str(sep);
            s.push(' ');
        }
        s
    })
}

/// A sorted, deduplicated set of `u64` shingle hashes.
fn hash_set(max: usize) -> impl Strategy<Value = Vec<u64>> {
    proptest::collection::btree_set(any::<u64>(), 0..max).prop_map(|s| s.into_iter().collect())
}

// ---------------------------------------------------------------------------------
// MinHash

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn signature_ignores_order_and_duplicates(
        (set, shuffled) in proptest::collection::vec(any::<u64>(), 0..50).prop_flat_map(|v| {
            // The same elements, each three times, in another order.
            let repeated: Vec<u64> = v.iter().flat_map(|&x| [x, x]).chain(v.iter().copied()).collect();
            (Just(v), Just(repeated).prop_shuffle())
        }),
        num_perm in 1usize..70,
        seed in any::<u64>(),
    ) {
        let h = MinHasher::try_new(num_perm, seed).unwrap();
        prop_assert_eq!(h.signature(&set), h.signature(&shuffled));
        let mut sorted = set.clone();
        sorted.sort_unstable();
        sorted.dedup();
        prop_assert_eq!(h.signature(&set), h.signature(&sorted));
    }

    #[test]
    fn signature_of_union_is_elementwise_min(
        a in proptest::collection::vec(any::<u64>(), 0..40),
        b in proptest::collection::vec(any::<u64>(), 0..40),
        num_perm in 1usize..70,
        seed in any::<u64>(),
    ) {
        let h = MinHasher::try_new(num_perm, seed).unwrap();
        let union: Vec<u64> = a.iter().chain(&b).copied().collect();
        let (sa, sb) = (h.signature(&a), h.signature(&b));
        let mins: Vec<u32> = sa.slots().iter().zip(sb.slots()).map(|(x, y)| *x.min(y)).collect();
        prop_assert_eq!(h.signature(&union).slots().to_vec(), mins);
    }

    #[test]
    fn signature_into_equals_naive_minhash(
        shingles in proptest::collection::vec(any::<u64>(), 0..60),
        edge in proptest::collection::vec(select(vec![0, 1, u64::MAX, 1 << 63, u64::MAX - 1]), 0..3),
        num_perm in 1usize..140,
        seed in any::<u64>(),
    ) {
        let shingles: Vec<u64> = shingles.into_iter().chain(edge).collect();
        let h = MinHasher::try_new(num_perm, seed).unwrap();
        let mut out = vec![0u32; num_perm];
        h.signature_into(&shingles, &mut out);
        prop_assert_eq!(&out, &naive::minhash(&h, &shingles));
        // The buffer's previous content must not leak in.
        out.fill(0);
        h.signature_into(&shingles, &mut out);
        prop_assert_eq!(&out, &naive::minhash(&h, &shingles));
        prop_assert_eq!(h.signature(&shingles), Signature::from_slots(out));
    }

    #[test]
    fn jaccard_is_symmetric_and_in_unit_interval(a in hash_set(40), b in hash_set(40)) {
        let (ab, ba) = (jaccard(&a, &b), jaccard(&b, &a));
        prop_assert_eq!(ab, ba);
        prop_assert!((0.0..=1.0).contains(&ab), "{}", ab);
        prop_assert_eq!(jaccard(&a, &a), 1.0);
        let sa: BTreeSet<u64> = a.iter().copied().collect();
        let sb: BTreeSet<u64> = b.iter().copied().collect();
        prop_assert_eq!(intersection_len(&a, &b), sa.intersection(&sb).count());
        prop_assert_eq!(ab, naive::jaccard(&sa, &sb));
        let h = MinHasher::new(32);
        let (x, y) = (h.signature(&a), h.signature(&b));
        let (xy, yx) = (x.jaccard(&y), y.jaccard(&x));
        prop_assert_eq!(xy, yx);
        prop_assert!((0.0..=1.0).contains(&xy), "{}", xy);
        prop_assert_eq!(x.jaccard(&x), 1.0);
    }
}

/// How many of `pairs` have their MinHash estimate (k = 128) within
/// `4·sqrt(J(1−J)/k)` of the exact Jaccard `J`.
fn estimates_within_bound(hasher: &MinHasher, pairs: &[(usize, usize, usize, u64)]) -> usize {
    let k = hasher.num_perm() as f64;
    let mut within = 0;
    for &(shared, only_a, only_b, base) in pairs {
        // Distinct elements by construction: a counter through a bijective mixer.
        let mut next = base;
        let mut take = |n: usize| -> Vec<u64> {
            (0..n)
                .map(|_| {
                    next = next.wrapping_add(1);
                    paradup::text::shingle::fmix64(next)
                })
                .collect()
        };
        let common = take(shared);
        let a: Vec<u64> = common.iter().copied().chain(take(only_a)).collect();
        let b: Vec<u64> = common.iter().copied().chain(take(only_b)).collect();
        let j = shared as f64 / (shared + only_a + only_b) as f64;
        let est = estimate_jaccard(hasher.signature(&a).slots(), hasher.signature(&b).slots());
        if (est - j).abs() <= 4.0 * (j * (1.0 - j) / k).sqrt() {
            within += 1;
        }
    }
    within
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(6))]

    /// Pairs with controlled overlap (at least one shared and one private element on
    /// each side, so 0 < J < 1): at least 99% of estimates fall within four standard
    /// errors. Each case checks a batch of 300 pairs.
    #[test]
    fn estimate_is_within_four_standard_errors(
        pairs in proptest::collection::vec((1usize..60, 1usize..40, 1usize..40, any::<u64>()), 300),
        seed in any::<u64>(),
    ) {
        let hasher = MinHasher::try_new(128, seed).unwrap();
        let within = estimates_within_bound(&hasher, &pairs);
        prop_assert!(within * 100 >= pairs.len() * 99, "{} of {}", within, pairs.len());
    }
}

// ---------------------------------------------------------------------------------
// Normalization and shingles

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn normalization_is_idempotent_on_messy_text(text in messy_string()) {
        let n = Normalizer::new();
        let once = n.normalize(&text);
        prop_assert_eq!(n.normalize(&once), once.clone(), "input {:?}", text);
        // Words separated by single spaces, no space at either end.
        prop_assert!(!once.starts_with(' ') && !once.ends_with(' ') && !once.contains("  "));
    }

    #[test]
    fn normalization_is_idempotent_on_any_string(text in any::<String>()) {
        let n = Normalizer::new();
        let once = n.normalize(&text);
        prop_assert_eq!(n.normalize(&once), once.clone(), "input {:?}", text);
    }

    #[test]
    fn every_normalizer_is_idempotent(text in messy_string(), n in normalizer()) {
        let once = n.normalize(&text);
        prop_assert_eq!(n.normalize(&once), once.clone(), "input {:?}, {:?}", text, n);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn word_shingle_set_size_equals_naive(text in vocab_text(30), n in 1usize..5) {
        let normalized = Normalizer::new().normalize(&text);
        let set = Shingler::new(ShingleKind::Words(n)).shingles(&normalized);
        // Sorted and deduplicated.
        prop_assert!(set.windows(2).all(|w| w[0] < w[1]));
        prop_assert_eq!(set.len(), naive::word_shingles(&normalized, n).len(), "{:?}", normalized);
    }

    #[test]
    fn char_shingle_set_size_equals_naive(text in messy_string(), n in 1usize..6) {
        let normalized = Normalizer::new().normalize(&text);
        let set = Shingler::new(ShingleKind::Chars(n)).shingles(&normalized);
        prop_assert!(set.windows(2).all(|w| w[0] < w[1]));
        prop_assert_eq!(set.len(), naive::char_shingles(&normalized, n).len(), "{:?}", normalized);
    }

    #[test]
    fn shingle_jaccard_equals_naive_jaccard(
        // Short texts too, so that paragraphs with fewer words than `n` meet.
        a in prop_oneof![vocab_text(20), vocab_text(4)],
        b in prop_oneof![vocab_text(20), vocab_text(4)],
        n in 1usize..4,
        chars in any::<bool>(),
    ) {
        let norm = Normalizer::new();
        let (a, b) = (norm.normalize(&a), norm.normalize(&b));
        let (kind, naive_a, naive_b) = if chars {
            (ShingleKind::Chars(n + 1), naive::char_shingles(&a, n + 1), naive::char_shingles(&b, n + 1))
        } else {
            (ShingleKind::Words(n), naive::word_shingles(&a, n), naive::word_shingles(&b, n))
        };
        let s = Shingler::new(kind);
        let got = jaccard(&s.shingles(&a), &s.shingles(&b));
        prop_assert_eq!(got, naive::jaccard(&naive_a, &naive_b), "{:?} vs {:?}", a, b);
    }

    /// A paragraph with fewer words than `n` has one shingle: the documented
    /// combination of all its word hashes (so its length and word order count).
    #[test]
    fn short_texts_have_one_shingle_of_all_their_words(
        words in proptest::collection::vec(select(VOCAB), 1..4),
        extra in 1usize..3,
    ) {
        let n = words.len() + extra;
        let s = Shingler::new(ShingleKind::Words(n));
        let hashes: Vec<u64> = words
            .iter()
            .map(|w| xxhash_rust::xxh3::xxh3_64_with_seed(w.as_bytes(), paradup::DEFAULT_SEED))
            .collect();
        let want = vec![paradup::text::shingle::combine_word_hashes(&hashes)];
        prop_assert_eq!(s.shingles(&words.join(" ")), want);
    }

    #[test]
    fn shingles_into_reuses_buffers(a in vocab_text(20), b in vocab_text(20), n in 1usize..4) {
        let s = Shingler::new(ShingleKind::Words(n));
        let mut scratch = paradup::ShingleScratch::default();
        let mut out = Vec::new();
        s.shingles_into(&a, &mut scratch, &mut out);
        s.shingles_into(&b, &mut scratch, &mut out);
        prop_assert_eq!(out, s.shingles(&b));
    }
}

/// Inputs that take the rare branches of normalization (case mappings that leave text
/// outside NFKC, compatibility decompositions, folding after NFKC), with their expected
/// output, and idempotency on each: the random strategies above reach them only by luck.
#[test]
fn normalization_of_hard_cases() {
    let cases = [
        ("İ\u{316}", "i\u{316}\u{307}"),
        ("ǅemal", "džemal"),
        ("ﬃ ＡＢＣ", "ffi abc"),
        ("Ω℃", "ω c"),
        ("ΣΑΣ ΟΔΟΣ", "σασ οδοσ"),
        ("e\u{301}", "é"),
        ("e!\u{301}", "e \u{301}"),
        ("ẞ ß", "ss ss"),
        ("ﬅ", "st"),
        ("½ x²", "1 2 x2"),
        ("ŉ", "n"),
        ("ᾼ", "ᾳ"),
        ("\u{0}a\u{7f}b", "a b"),
        ("東京、日本", "東京 日本"),
        ("\u{1100}\u{1161}", "가"),
        ("a\u{301}\u{316}", "á\u{316}"),
        ("“Straße” — ＦＵＬＬ", "strasse full"),
    ];
    let n = Normalizer::new();
    for (input, want) in cases {
        let once = n.normalize(input);
        assert_eq!(once, want, "{input:?}");
        assert_eq!(n.normalize(&once), once, "{input:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// ASCII text takes the byte-level fast path; one non-ASCII word appended sends the
    /// whole text through the Unicode path, which must treat the ASCII part the same.
    #[test]
    fn ascii_fast_path_agrees_with_unicode_path(
        text in proptest::collection::vec(0u8..128, 0..70),
        n in normalizer(),
    ) {
        let text = String::from_utf8(text).unwrap();
        let ascii = n.normalize(&text);
        let unicode = n.normalize(&format!("{text} é"));
        let want = if ascii.is_empty() { "é".to_string() } else { format!("{ascii} é") };
        prop_assert_eq!(unicode, want, "{:?} with {:?}", text, n);
    }

    #[test]
    fn normalize_into_reuses_buffers(a in messy_string(), b in messy_string()) {
        let n = Normalizer::new();
        let mut buf = String::new();
        n.normalize_into(&a, &mut buf);
        n.normalize_into(&b, &mut buf);
        prop_assert_eq!(buf, n.normalize(&b));
    }
}

// ---------------------------------------------------------------------------------
// Paragraph splitting

/// Documents made of lines (words, indentation, whitespace-only lines, a stray `\r`)
/// joined by `\n` or `\r\n`, with or without a final terminator.
fn document() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        3 => "[a-c]{1,3}( [a-c]{1,3}){0,2}",
        1 => Just(String::new()),
        1 => select(vec![" ", "\t", "  \t ", "\u{3000}", "\u{a0}", "\u{2003} "]).prop_map(String::from),
        1 => select(vec!["  indented", "\tx", "tail\r", "a\rb", "é ü", "東京"]).prop_map(String::from),
    ];
    (
        proptest::collection::vec((line, select(vec!["\n", "\r\n"])), 0..14),
        any::<bool>(),
    )
        .prop_map(|(lines, final_newline)| {
            let mut doc = String::new();
            let count = lines.len();
            for (i, (line, end)) in lines.into_iter().enumerate() {
                doc.push_str(&line);
                if i + 1 < count || final_newline {
                    doc.push_str(end);
                }
            }
            doc
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn splitting_matches_naive_splitter(
        doc in document(),
        mode in select(vec![ParagraphMode::Lines, ParagraphMode::BlankLines, ParagraphMode::Auto, ParagraphMode::Whole]),
        id in 0u32..5,
    ) {
        let got: Vec<_> = ParagraphSplitter::new(mode).split(id, &doc).collect();
        let want = naive::split(&doc, mode);
        prop_assert_eq!(got.len(), want.len(), "{:?}", doc);
        for (p, w) in got.iter().zip(&want) {
            prop_assert_eq!(p.doc, id);
            prop_assert_eq!((p.index, p.line, p.start, p.end), (w.index, w.line, w.start, w.end), "{:?}", doc);
            prop_assert_eq!(p.text(&doc).trim(), doc[w.start..w.end].trim());
            prop_assert_eq!(p.len(), p.end - p.start);
            prop_assert!(!p.is_empty());
        }
    }

    #[test]
    fn paragraphs_cover_every_non_blank_line_once(
        doc in document(),
        mode in select(vec![ParagraphMode::Lines, ParagraphMode::BlankLines, ParagraphMode::Auto]),
    ) {
        let paras: Vec<_> = ParagraphSplitter::new(mode).split(0, &doc).collect();
        for p in &paras {
            // Non-blank, starting and ending on non-blank text lines, on char boundaries.
            prop_assert!(!p.text(&doc).trim().is_empty(), "{:?}", p);
            prop_assert!(p.start == 0 || doc.as_bytes()[p.start - 1] == b'\n');
        }
        for w in paras.windows(2) {
            prop_assert!(w[0].end < w[1].start, "overlap or out of order: {:?}", w);
            prop_assert_eq!(w[0].index + 1, w[1].index);
            prop_assert!(w[0].line < w[1].line);
        }
        for (start, end) in naive::lines(&doc) {
            if doc[start..end].trim().is_empty() {
                continue;
            }
            let holders = paras.iter().filter(|p| p.start <= start && end <= p.end).count();
            prop_assert_eq!(holders, 1, "line {:?} of {:?}", &doc[start..end], doc);
        }
        // Lines mode: exactly the non-blank lines.
        if mode == ParagraphMode::Lines {
            let non_blank = naive::lines(&doc).iter().filter(|&&(s, e)| !doc[s..e].trim().is_empty()).count();
            prop_assert_eq!(paras.len(), non_blank);
        }
    }

    #[test]
    fn auto_on_wrapped_prose_matches_naive_splitter(doc in wrapped_prose()) {
        let got: Vec<_> = ParagraphSplitter::new(ParagraphMode::Auto)
            .split(0, &doc)
            .map(|p| (p.index, p.line, p.start, p.end))
            .collect();
        let want: Vec<_> = naive::split(&doc, ParagraphMode::Auto)
            .iter()
            .map(|w| (w.index, w.line, w.start, w.end))
            .collect();
        prop_assert_eq!(got, want, "{:?}", doc);
    }
}

/// Prose wrapped greedily at 30 to 110 columns, then perhaps one line cut to its first
/// word or given a long tail; `\n`, `\r\n` or trailing spaces; blank lines around it or
/// not: both sides of the edges of `Auto`'s hard-wrap rule.
fn wrapped_prose() -> impl Strategy<Value = String> {
    let tails = vec![
        "",
        "x.",
        "and a tail that runs on and on well past the widest wrap width",
    ];
    (
        proptest::collection::vec("[a-z]{1,9}[.,?;\"”]?", 2..60),
        30usize..110,
        select(vec!["\n", "\r\n", "  \n"]),
        proptest::option::of((0usize..20, select(tails))),
        any::<bool>(),
    )
        .prop_map(|(words, width, end, edit, blank_around)| {
            let mut rows = vec![String::new()];
            for word in words {
                let row = rows.last_mut().expect("one row at least");
                if row.is_empty() {
                    row.push_str(&word);
                } else if row.len() + 1 + word.len() > width {
                    rows.push(word);
                } else {
                    row.push(' ');
                    row.push_str(&word);
                }
            }
            if let Some((i, tail)) = edit {
                let i = i % rows.len();
                let first = rows[i].split(' ').next().unwrap_or("").to_string();
                rows[i] = if tail.is_empty() {
                    first
                } else {
                    format!("{} {tail}", rows[i])
                };
            }
            let doc = rows.join(end);
            if blank_around {
                format!("\n \n{doc}\n\n")
            } else {
                doc
            }
        })
}

// ---------------------------------------------------------------------------------
// The deduper against naive all-pairs clustering

/// One paragraph of a generated corpus.
#[derive(Clone, Debug)]
enum Para {
    /// A fresh paragraph of vocabulary words.
    Fresh(Vec<&'static str>),
    /// A copy of an earlier word paragraph (by index, modulo their count so far) with
    /// edits `(position, replacement)`, where `None` deletes the word; and whether it
    /// is shouted (upper case and `!`), which normalization undoes.
    Edit(usize, Vec<(usize, Option<&'static str>)>, bool),
    /// A punctuation-only or very short paragraph.
    Odd(&'static str),
}

/// A small corpus: 10–30 paragraphs from the small vocabulary, many of them edited
/// copies of earlier ones, spread over a few documents (a new one starts before about
/// one paragraph in five) with one paragraph per line and some indentation.
fn corpus() -> impl Strategy<Value = Vec<String>> {
    let fresh = proptest::collection::vec(select(VOCAB), 1..12).prop_map(Para::Fresh);
    let edit = (
        any::<usize>(),
        proptest::collection::vec((any::<usize>(), proptest::option::of(select(VOCAB))), 0..3),
        any::<bool>(),
    )
        .prop_map(|(i, e, shout)| Para::Edit(i, e, shout));
    let odd =
        select(vec!["* * *", "---", "Yes.", "yes", "No.", "...", "* * *"]).prop_map(Para::Odd);
    let para = prop_oneof![3 => fresh, 5 => edit, 1 => odd];
    (
        proptest::collection::vec((para, proptest::bool::weighted(0.2)), 10..30),
        proptest::collection::vec(select(vec!["", " ", "\t"]), 30),
    )
        .prop_map(|(paras, pads)| {
            let mut texts: Vec<Vec<&str>> = Vec::new();
            let mut rendered: Vec<(String, bool)> = Vec::new();
            for (i, (p, new_doc)) in paras.into_iter().enumerate() {
                let (words, text) = match p {
                    Para::Fresh(w) => (w.clone(), w.join(" ")),
                    Para::Odd(s) => (Vec::new(), s.to_string()),
                    Para::Edit(src, edits, shout) => {
                        let sources: Vec<&Vec<&str>> =
                            texts.iter().filter(|w| !w.is_empty()).collect();
                        let mut w = match sources.len() {
                            0 => vec!["the", "cat"],
                            n => sources[src % n].clone(),
                        };
                        for (pos, rep) in edits {
                            let pos = pos % w.len().max(1);
                            match rep {
                                Some(r) if !w.is_empty() => w[pos] = r,
                                None if w.len() > 1 => {
                                    w.remove(pos);
                                }
                                _ => {}
                            }
                        }
                        let t = w.join(" ");
                        let t = if shout {
                            format!("{}!", t.to_uppercase())
                        } else {
                            t
                        };
                        (w, t)
                    }
                };
                texts.push(words);
                rendered.push((format!("{}{}", pads[i], text), new_doc));
            }
            let mut docs: Vec<String> = vec![String::new()];
            for (text, new_doc) in rendered {
                if new_doc && !docs.last().unwrap().is_empty() {
                    docs.push(String::new());
                }
                let doc = docs.last_mut().unwrap();
                doc.push_str(&text);
                doc.push('\n');
            }
            docs
        })
}

fn shingle_kind() -> impl Strategy<Value = ShingleKind> {
    prop_oneof![
        3 => (1usize..4).prop_map(ShingleKind::Words),
        1 => (2usize..5).prop_map(ShingleKind::Chars),
    ]
}

/// Structural promises of [`Clusters`], whatever the configuration: a partition of
/// some paragraphs into groups of two or more, members in document order with the
/// representative first (similarity 1.0, exact), clusters sorted by first member,
/// pairs sorted and at or above the threshold.
fn check_structure(c: &Clusters, threshold: f64) -> Result<(), TestCaseError> {
    let mut seen = BTreeSet::new();
    for cluster in c {
        prop_assert!(cluster.len() >= 2);
        prop_assert_eq!(cluster.members().len(), cluster.len());
        let rep = cluster.representative();
        prop_assert_eq!(rep, &cluster.members()[0]);
        prop_assert!(rep.exact && rep.similarity == 1.0);
        for w in cluster.members().windows(2) {
            let key = |m: &paradup::Member| (m.paragraph.doc, m.paragraph.index);
            prop_assert!(key(&w[0]) < key(&w[1]), "members out of order");
        }
        for m in cluster.members() {
            prop_assert!(
                seen.insert((m.paragraph.doc, m.paragraph.index)),
                "paragraph in two clusters"
            );
            prop_assert!((0.0..=1.0).contains(&m.similarity));
            if m.exact {
                prop_assert_eq!(m.similarity, 1.0);
            }
        }
    }
    let firsts: Vec<_> = c.iter().map(|c| c.representative().paragraph).collect();
    prop_assert!(
        firsts
            .windows(2)
            .all(|w| (w[0].doc, w[0].index) < (w[1].doc, w[1].index))
    );
    let pairs: Vec<_> = c
        .pairs()
        .iter()
        .map(|p| (p.a.doc, p.a.index, p.b.doc, p.b.index))
        .collect();
    prop_assert!(
        pairs.windows(2).all(|w| w[0] < w[1]),
        "pairs not sorted or repeated"
    );
    for p in c.pairs() {
        prop_assert!((p.a.doc, p.a.index) < (p.b.doc, p.b.index));
        prop_assert!(p.similarity >= threshold && p.similarity <= 1.0);
    }
    prop_assert_eq!(c.duplicates(), seen.len() - c.len());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn exhaustive_deduper_equals_naive_all_pairs(
        docs in corpus(),
        threshold in 0.3f64..0.9,
        kind in shingle_kind(),
        by_signature in proptest::bool::weighted(0.25),
    ) {
        let verification = if by_signature { Verification::Signature } else { Verification::Exact };
        let deduper = Deduper::builder()
            .threshold(threshold)
            .shingles(kind)
            .candidates(CandidateSearch::Exhaustive)
            .verification(verification)
            .paragraphs(ParagraphMode::Lines)
            .num_perm(64)
            .lsh_params(16, 4)
            // The naive clusters are connected components.
            .anti_chaining(false)
            .build()
            .unwrap();
        let got = deduper.run_documents(&docs);
        let config = naive::Config {
            mode: ParagraphMode::Lines,
            normalizer: deduper.normalizer(),
            shingler: deduper.shingler(),
            threshold,
            signatures: by_signature.then(|| deduper.hasher()),
        };
        prop_assert_eq!(naive::clusters_of(&got), naive::clusters(&docs, &config), "{:#?}", docs);
        let pairs = naive::pairs(&docs, &config);
        prop_assert_eq!(naive::pairs_of(&got), pairs.clone(), "{:#?}", docs);
        check_structure(&got, threshold)?;

        let (paragraphs, bytes, distinct, live) = naive::summary(&docs, &config);
        let stats = got.stats();
        prop_assert_eq!(stats.documents, docs.len());
        prop_assert_eq!(stats.paragraphs, paragraphs);
        prop_assert_eq!(stats.bytes, bytes);
        prop_assert_eq!(stats.distinct, distinct);
        prop_assert_eq!(stats.exact_duplicates, paragraphs - distinct);
        prop_assert_eq!(stats.candidates, live * live.saturating_sub(1) / 2);
        prop_assert_eq!(stats.verified, pairs.len() - (paragraphs - distinct));
    }
}

/// Dedupers built once (a private pool per thread count) and shared by every case.
static THREADED: LazyLock<Vec<[Deduper; 2]>> = LazyLock::new(|| {
    let build = |search, threads, threshold| {
        Deduper::builder()
            .threshold(threshold)
            .candidates(search)
            .paragraphs(ParagraphMode::Lines)
            .shingles(ShingleKind::Words(2))
            .threads(threads)
            .build()
            .unwrap()
    };
    [
        (CandidateSearch::Lsh, 0.5),
        (CandidateSearch::Lsh, 0.3),
        (CandidateSearch::Exhaustive, 0.4),
    ]
    .into_iter()
    .map(|(search, t)| [build(search, 1, t), build(search, 3, t)])
    .collect()
});

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn output_does_not_depend_on_thread_count(docs in corpus(), which in 0usize..3) {
        let [one, three] = &THREADED[which];
        let (a, b) = (one.run_documents(&docs), three.run_documents(&docs));
        prop_assert_eq!(a.as_slice(), b.as_slice());
        prop_assert_eq!(a.pairs(), b.pairs());
        prop_assert_eq!(a.stats(), b.stats());
        check_structure(&a, one.threshold())?;
    }

    /// LSH with exact verification has no false positives: every LSH cluster lies
    /// inside one exhaustive cluster, and every LSH pair is an exhaustive pair.
    #[test]
    fn lsh_clusters_refine_exhaustive_clusters(docs in corpus(), threshold in 0.3f64..0.9) {
        let build = |search| {
            Deduper::builder()
                .threshold(threshold)
                .candidates(search)
                .paragraphs(ParagraphMode::Lines)
                .lsh_params(32, 4)
                // Components of a subgraph refine those of the graph; anti-chained
                // splits of the two need not.
                .anti_chaining(false)
                .build()
                .unwrap()
        };
        let lsh = build(CandidateSearch::Lsh).run_documents(&docs);
        let all = build(CandidateSearch::Exhaustive).run_documents(&docs);
        check_structure(&lsh, threshold)?;
        let owner = |c: &Clusters, key: (u32, u32)| {
            c.iter().position(|c| c.members().iter().any(|m| (m.paragraph.doc, m.paragraph.index) == key))
        };
        for cluster in &lsh {
            let keys: Vec<_> = cluster.members().iter().map(|m| (m.paragraph.doc, m.paragraph.index)).collect();
            let home = owner(&all, keys[0]);
            prop_assert!(home.is_some());
            prop_assert!(keys.iter().all(|&k| owner(&all, k) == home));
        }
        let all_pairs = naive::pairs_of(&all);
        for p in naive::pairs_of(&lsh) {
            prop_assert!(all_pairs.contains(&p), "{:?} not an exhaustive pair", p);
        }
        prop_assert!(lsh.stats().candidates <= all.stats().candidates);
    }
}

// ---------------------------------------------------------------------------------
// Index, buckets, union-find and word splitting against their naive versions

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// `LshIndex::query` returns exactly the ids whose signature agrees with the query
    /// on every row of some band (slots drawn from a tiny alphabet, so bands collide
    /// often; slots past `bands · rows` are ignored).
    #[test]
    fn lsh_index_query_equals_naive_band_match(
        (bands, rows, sigs, queries) in (1usize..6, 1usize..4, 0usize..3).prop_flat_map(|(bands, rows, extra)| {
            let sig = proptest::collection::vec(0u32..3, bands * rows + extra);
            (
                Just(bands),
                Just(rows),
                proptest::collection::vec(sig.clone(), 0..25),
                proptest::collection::vec(sig, 1..5),
            )
        }),
    ) {
        let params = LshParams::new(bands, rows, bands * rows + 2).unwrap();
        let mut index = LshIndex::new(params);
        let id = |i: usize| (i * 7 + 3) as u32;
        for (i, sig) in sigs.iter().enumerate() {
            index.insert(id(i), sig);
        }
        prop_assert_eq!(index.len(), sigs.len());
        prop_assert_eq!(index.params(), params);
        for q in sigs.iter().chain(&queries) {
            let want: Vec<u32> = sigs
                .iter()
                .enumerate()
                .filter(|(_, s)| (0..bands).any(|b| s[b * rows..(b + 1) * rows] == q[b * rows..(b + 1) * rows]))
                .map(|(i, _)| id(i))
                .collect();
            prop_assert_eq!(index.query(q), want);
        }
    }

    /// Every member of a bucket (equal keys) is linked to the bucket's smallest id,
    /// once: `n − buckets` edges, never all pairs.
    #[test]
    fn bucket_edges_link_each_member_to_the_first(
        keys in proptest::collection::vec(0u64..5, 0..40).prop_flat_map(|k| {
            let ids: Vec<u32> = (0..k.len() as u32).map(|i| i * 3 + 1).collect();
            (Just(k), Just(ids).prop_shuffle())
        }),
    ) {
        let (keys, ids) = keys;
        let mut pairs: Vec<(u64, u32)> = keys.iter().copied().zip(ids.iter().copied()).collect();
        let mut edges = Vec::new();
        paradup::lsh::banded::bucket_edges(&mut pairs, &mut edges);
        let mut want = Vec::new();
        for (&k, &id) in keys.iter().zip(&ids) {
            let first = keys.iter().zip(&ids).filter(|&(&k2, _)| k2 == k).map(|(_, &i)| i).min().unwrap();
            if first != id {
                want.push((first, id));
            }
        }
        want.sort_unstable();
        edges.sort_unstable();
        prop_assert_eq!(edges, want);
    }

    /// Union-find against components by relaxation: same groups, roots are the
    /// smallest members, `union` says whether the sets were apart.
    #[test]
    fn union_find_equals_naive_components(
        (n, unions) in (1usize..40).prop_flat_map(|n| {
            (Just(n), proptest::collection::vec((0..n as u32, 0..n as u32), 0..50))
        }),
    ) {
        let mut uf = UnionFind::new(n);
        let mut label: Vec<u32> = (0..n as u32).collect();
        for (a, b) in unions {
            let (la, lb) = (label[a as usize], label[b as usize]);
            prop_assert_eq!(uf.union(a, b), la != lb);
            let (lo, hi) = (la.min(lb), la.max(lb));
            for l in label.iter_mut() {
                if *l == hi {
                    *l = lo;
                }
            }
        }
        for x in 0..n as u32 {
            prop_assert_eq!(uf.find(x), label[x as usize]);
        }
        let want: Vec<Vec<u32>> = (0..n as u32)
            .map(|root| (0..n as u32).filter(|&x| label[x as usize] == root).collect::<Vec<_>>())
            .filter(|g| g.len() >= 2)
            .collect();
        prop_assert_eq!(uf.groups(), want);
        prop_assert_eq!(uf.len(), n);
    }

    #[test]
    fn words_equal_split_ascii_whitespace(text in messy_string()) {
        let got: Vec<&str> = paradup::text::tokenize::words(&text).collect();
        let want: Vec<&str> = text.split_ascii_whitespace().collect();
        prop_assert_eq!(got, want);
    }
}
