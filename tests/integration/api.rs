//! The public API: thread-safety of every type, builder validation and error messages,
//! and the edge cases of input (empty, blank, short, punctuation-only, CRLF).

use paradup::{
    CandidateSearch, Cluster, Clusters, Deduper, DeduperBuilder, Error, ErrorKind, LshIndex,
    LshParams, LshWeights, Member, MinHasher, Normalizer, Pair, Paragraph, ParagraphMode,
    ParagraphSplitter, Paragraphs, RunStats, ShingleKind, ShingleScratch, Shingler, Signature,
    SplitMix64, UnionFind, Verification,
};
use std::marker::PhantomData;

fn assert_send_sync<T: Send + Sync>() {}

/// Fails to compile if a public type loses `Send` or `Sync`.
#[test]
fn public_types_are_send_and_sync() {
    assert_send_sync::<Deduper>();
    assert_send_sync::<DeduperBuilder>();
    assert_send_sync::<Clusters>();
    assert_send_sync::<Cluster>();
    assert_send_sync::<Member>();
    assert_send_sync::<Pair>();
    assert_send_sync::<MinHasher>();
    assert_send_sync::<Signature>();
    assert_send_sync::<Shingler>();
    assert_send_sync::<Normalizer>();
    assert_send_sync::<LshIndex>();
    assert_send_sync::<LshParams>();
    assert_send_sync::<ParagraphSplitter>();
    assert_send_sync::<Error>();
    // The rest of the public types.
    assert_send_sync::<ErrorKind>();
    assert_send_sync::<paradup::Keep>();
    assert_send_sync::<RunStats>();
    assert_send_sync::<UnionFind>();
    assert_send_sync::<LshWeights>();
    assert_send_sync::<Paragraph>();
    assert_send_sync::<ParagraphMode>();
    assert_send_sync::<ShingleKind>();
    assert_send_sync::<ShingleScratch>();
    assert_send_sync::<SplitMix64>();
    assert_send_sync::<CandidateSearch>();
    assert_send_sync::<Verification>();
    assert_send_sync::<paradup::text::tokenize::Words<'static>>();
}

/// `Probe::<T>::is_send_sync()` is the inherent method (true) when `T: Send + Sync`,
/// else the trait's default (false): a runtime answer, so that a type that is not
/// `Send + Sync` can be reported by a failing test instead of a compile error.
struct Probe<T>(PhantomData<T>);

trait Fallback {
    fn is_send_sync(&self) -> bool {
        false
    }
}

impl<T> Fallback for Probe<T> {}

impl<T: Send + Sync> Probe<T> {
    fn is_send_sync(&self) -> bool {
        true
    }
}

#[test]
fn probe_detects_send_sync() {
    assert!(Probe::<Deduper>(PhantomData).is_send_sync());
    assert!(!Probe::<std::rc::Rc<u8>>(PhantomData).is_send_sync());
}

#[test]
fn paragraphs_iterator_is_send_and_sync() {
    assert!(Probe::<Paragraphs<'static>>(PhantomData).is_send_sync());
}

fn build_err(builder: &DeduperBuilder) -> ErrorKind {
    builder.build().unwrap_err().kind().clone()
}

#[test]
fn thresholds_outside_zero_one_are_rejected() {
    for t in [0.0, -0.1, 1.1, f64::INFINITY, f64::NEG_INFINITY] {
        assert_eq!(
            build_err(Deduper::builder().threshold(t)),
            ErrorKind::InvalidThreshold(t),
            "threshold {t}"
        );
    }
    // NaN != NaN, so match instead of comparing.
    let kind = build_err(Deduper::builder().threshold(f64::NAN));
    assert!(
        matches!(kind, ErrorKind::InvalidThreshold(t) if t.is_nan()),
        "{kind:?}"
    );
    // The smallest positive threshold and 1.0 are valid.
    assert!(
        Deduper::builder()
            .threshold(f64::MIN_POSITIVE)
            .build()
            .is_ok()
    );
    assert_eq!(
        Deduper::builder()
            .threshold(1.0)
            .build()
            .unwrap()
            .threshold(),
        1.0
    );
}

#[test]
fn zero_permutations_are_rejected() {
    assert_eq!(
        build_err(Deduper::builder().num_perm(0)),
        ErrorKind::ZeroPermutations
    );
    // Even with explicit LSH parameters, which are checked afterwards.
    assert_eq!(
        build_err(Deduper::builder().num_perm(0).lsh_params(1, 1)),
        ErrorKind::ZeroPermutations
    );
    assert_eq!(
        MinHasher::try_new(0, 7).unwrap_err().kind(),
        &ErrorKind::ZeroPermutations
    );
}

#[test]
fn zero_shingle_sizes_are_rejected() {
    for kind in [ShingleKind::Words(0), ShingleKind::Chars(0)] {
        assert_eq!(
            build_err(Deduper::builder().shingles(kind)),
            ErrorKind::ZeroShingleSize
        );
        assert_eq!(
            Shingler::try_new(kind).unwrap_err().kind(),
            &ErrorKind::ZeroShingleSize
        );
    }
}

#[test]
fn bad_lsh_params_are_rejected() {
    let bad = |bands, rows, num_perm| ErrorKind::InvalidLshParams {
        bands,
        rows,
        num_perm,
    };
    assert_eq!(
        build_err(Deduper::builder().lsh_params(16, 9)),
        bad(16, 9, 128)
    );
    assert_eq!(
        build_err(Deduper::builder().lsh_params(129, 1)),
        bad(129, 1, 128)
    );
    assert_eq!(
        build_err(Deduper::builder().lsh_params(0, 8)),
        bad(0, 8, 128)
    );
    assert_eq!(
        build_err(Deduper::builder().lsh_params(8, 0)),
        bad(8, 0, 128)
    );
    assert_eq!(
        build_err(Deduper::builder().num_perm(64).lsh_params(16, 8)),
        bad(16, 8, 64)
    );
    // Overflowing products are an error, not a panic or a wrap-around.
    assert_eq!(
        build_err(Deduper::builder().lsh_params(usize::MAX, 2)),
        bad(usize::MAX, 2, 128)
    );
    // Exactly filling the signature, or leaving slots unused, is fine.
    let d = Deduper::builder().lsh_params(16, 8).build().unwrap();
    assert_eq!(d.lsh_params(), LshParams::new(16, 8, 128).unwrap());
    assert!(Deduper::builder().lsh_params(10, 5).build().is_ok());
}

#[test]
fn zero_threads_are_rejected() {
    assert_eq!(
        build_err(Deduper::builder().threads(0)),
        ErrorKind::ZeroThreads
    );
    assert!(Deduper::builder().threads(1).build().is_ok());
}

#[test]
fn bad_lsh_weights_are_rejected() {
    for (fp, fneg) in [
        (-1.0, 1.0),
        (0.0, 0.0),
        (f64::NAN, 1.0),
        (1.0, f64::INFINITY),
    ] {
        let w = LshWeights {
            false_positive: fp,
            false_negative: fneg,
        };
        let kind = build_err(Deduper::builder().lsh_weights(w));
        assert!(matches!(kind, ErrorKind::InvalidWeights { .. }), "{kind:?}");
    }
}

#[test]
fn error_messages_name_the_value() {
    let msg = |b: &DeduperBuilder| b.build().unwrap_err().to_string();
    let cases = [
        (
            msg(Deduper::builder().threshold(1.1)),
            vec!["threshold", "1.1"],
        ),
        (
            msg(Deduper::builder().threshold(-0.1)),
            vec!["threshold", "-0.1"],
        ),
        (
            msg(Deduper::builder().threshold(f64::NAN)),
            vec!["threshold", "NaN"],
        ),
        (msg(Deduper::builder().num_perm(0)), vec!["num_perm"]),
        (
            msg(Deduper::builder().shingles(ShingleKind::Words(0))),
            vec!["shingle"],
        ),
        (
            msg(Deduper::builder().lsh_params(17, 9)),
            vec!["17 bands", "9 rows", "num_perm = 128"],
        ),
        (msg(Deduper::builder().threads(0)), vec!["threads"]),
    ];
    for (msg, needles) in cases {
        assert!(!msg.is_empty());
        for needle in needles {
            assert!(msg.contains(needle), "{msg:?} should mention {needle:?}");
        }
    }
    let weights = LshWeights {
        false_positive: -2.5,
        false_negative: 1.0,
    };
    let m = msg(Deduper::builder().lsh_weights(weights));
    assert!(m.contains("-2.5"), "{m}");
    let e: Error = ErrorKind::TooManyParagraphs(5_000_000_000).into();
    assert!(e.to_string().contains("5000000000"), "{e}");
    // Error is a std error, usable with `?` into `Box<dyn Error>`.
    let boxed: Box<dyn std::error::Error + Send + Sync> = Box::new(e);
    assert!(!boxed.to_string().is_empty());
}

/// Clusters as `(doc, index)` lists.
fn positions(clusters: &Clusters) -> Vec<Vec<(u32, u32)>> {
    clusters
        .iter()
        .map(|c| {
            c.members()
                .iter()
                .map(|m| (m.paragraph.doc, m.paragraph.index))
                .collect()
        })
        .collect()
}

const NEAR_A: &str = "the quick brown fox jumps over the lazy dog near the river bank today";
const NEAR_B: &str = "the quick brown fox jumps over the lazy dog near the river bank tonight";

#[test]
fn threshold_one_finds_only_exact_duplicates() {
    // NEAR_A and NEAR_B share 12 of 14 word 2-grams: J = 12/14, a cluster at the
    // default threshold (0.6).
    let docs = [
        NEAR_A,
        NEAR_B,
        "The quick brown fox jumps over the lazy dog, near the river bank today!",
    ];
    let loose = Deduper::new().run_documents(&docs);
    assert_eq!(positions(&loose), vec![vec![(0, 0), (1, 0), (2, 0)]]);
    assert_eq!(loose.as_slice()[0].members()[1].similarity, 12.0 / 14.0);
    for search in [CandidateSearch::Lsh, CandidateSearch::Exhaustive] {
        let strict = Deduper::builder()
            .threshold(1.0)
            .candidates(search)
            .build()
            .unwrap();
        let got = strict.run_documents(&docs);
        assert_eq!(positions(&got), vec![vec![(0, 0), (2, 0)]], "{search:?}");
        assert!(
            got.as_slice()[0]
                .members()
                .iter()
                .all(|m| m.exact && m.similarity == 1.0)
        );
        assert_eq!(got.pairs().len(), 1);
        assert_eq!(got.stats().verified, 0);
    }
}

#[test]
fn a_pair_exactly_at_the_threshold_is_kept() {
    let j = 12.0 / 14.0;
    // (32 bands of 4 rows: the pair is an LSH candidate, whatever the threshold.)
    for search in [CandidateSearch::Lsh, CandidateSearch::Exhaustive] {
        let at = Deduper::builder()
            .threshold(j)
            .candidates(search)
            .lsh_params(32, 4)
            .build()
            .unwrap();
        let got = at.run_documents(&[NEAR_A, NEAR_B]);
        assert_eq!(positions(&got), vec![vec![(0, 0), (1, 0)]], "{search:?}");
        assert_eq!(got.pairs()[0].similarity, j);
        let above = Deduper::builder()
            .threshold(j + 1e-9)
            .candidates(search)
            .lsh_params(32, 4)
            .build()
            .unwrap();
        assert!(
            above.run_documents(&[NEAR_A, NEAR_B]).is_empty(),
            "{search:?}"
        );
    }
}

#[test]
fn empty_inputs_give_empty_clusters() {
    let d = Deduper::new();
    let none: [&str; 0] = [];
    let got = d.run_documents(&none);
    assert!(got.is_empty());
    assert_eq!(got.len(), 0);
    assert!(got.pairs().is_empty());
    assert_eq!(got.stats().documents, 0);
    assert_eq!(got.stats().paragraphs, 0);

    let got = d.run_documents(&["", "", ""]);
    assert!(got.is_empty());
    assert!(got.pairs().is_empty());
    assert_eq!((got.stats().documents, got.stats().paragraphs), (3, 0));

    let blank = [" ", "\n\n", "\t\r\n  \r\n", "\u{3000}\u{a0}\n", " \n \n"];
    let got = d.run_documents(&blank);
    assert!(got.is_empty());
    assert!(got.pairs().is_empty());
    assert_eq!((got.stats().documents, got.stats().paragraphs), (5, 0));
    assert_eq!(got.duplicates(), 0);
}

#[test]
fn paragraphs_shorter_than_a_shingle() {
    let d = Deduper::new();
    // Twice in one document (one paragraph per line) and across documents.
    for docs in [vec!["Yes.\nYes."], vec!["Yes.", "Yes."]] {
        let got = d.run_documents(&docs);
        assert_eq!(got.len(), 1, "{docs:?}");
        let c = &got.as_slice()[0];
        assert_eq!(c.len(), 2);
        assert!(c.members().iter().all(|m| m.exact && m.similarity == 1.0));
        assert_eq!(c.members()[1].paragraph.text(docs[docs.len() - 1]), "Yes.");
        assert_eq!(got.stats().exact_duplicates, 1);
    }
    // Case and punctuation are normalized away: still exact duplicates.
    assert_eq!(d.run_documents(&["Yes.", "yes!"]).len(), 1);
    assert!(d.run_documents(&["Yes.", "No."]).is_empty());
    assert!(d.run_documents(&["Yes.\nNo."]).is_empty());
    // Two one-word paragraphs never share a shingle, even at a tiny threshold.
    let loose = Deduper::builder()
        .threshold(0.01)
        .candidates(CandidateSearch::Exhaustive)
        .build()
        .unwrap();
    assert!(loose.run_documents(&["Yes.", "No."]).is_empty());
    // "yes no" vs "no yes": one short shingle each, order-sensitive: different.
    assert!(loose.run_documents(&["Yes no.", "No, yes."]).is_empty());
    // A short shingle covers all the words, not just the first.
    assert!(loose.run_documents(&["Yes no.", "Yes, maybe."]).is_empty());
    assert_eq!(loose.run_documents(&["Yes no.", "YES, NO!"]).len(), 1);
}

#[test]
fn punctuation_only_paragraphs() {
    let d = Deduper::new();
    let got = d.run_documents(&["* * *", "* * *"]);
    assert_eq!(positions(&got), vec![vec![(0, 0), (1, 0)]]);
    assert!(got.as_slice()[0].members().iter().all(|m| m.exact));
    assert!(d.run_documents(&["* * *", "---"]).is_empty());
    // In one document, between prose: the ornaments pair up, the prose does not.
    let doc = "First part of the story.\n\n* * *\n\nSecond part, unrelated.\n\n* * *\n\n---";
    let got = d.run_documents(&[doc]);
    assert_eq!(positions(&got), vec![vec![(0, 1), (0, 3)]]);
    let lines: Vec<u64> = got.as_slice()[0]
        .members()
        .iter()
        .map(|m| m.paragraph.line)
        .collect();
    assert_eq!(lines, [3, 7]);
}

#[test]
fn crlf_documents_work() {
    let doc = "The first paragraph spans\r\ntwo lines of text here.\r\n\r\n\
               Something else entirely.\r\n\r\n\
               The first paragraph spans\r\ntwo lines of text here.\r\n";
    let got = Deduper::new().run_documents(&[doc]);
    assert_eq!(positions(&got), vec![vec![(0, 0), (0, 2)]]);
    let c = &got.as_slice()[0];
    assert!(c.members()[1].exact);
    let texts: Vec<&str> = c.members().iter().map(|m| m.paragraph.text(doc)).collect();
    assert_eq!(
        texts,
        ["The first paragraph spans\r\ntwo lines of text here."; 2]
    );
    let lines: Vec<u64> = c.members().iter().map(|m| m.paragraph.line).collect();
    assert_eq!(lines, [1, 6]);
    // The same text with LF endings: its paragraphs are exact duplicates of the CRLF
    // ones, and the middle paragraph now pairs up too.
    let lf = doc.replace("\r\n", "\n");
    let got = Deduper::new().run_documents(&[doc, lf.as_str()]);
    assert_eq!(
        positions(&got),
        vec![vec![(0, 0), (0, 2), (1, 0), (1, 2)], vec![(0, 1), (1, 1)]]
    );
    assert!(got.iter().all(|c| c.members().iter().all(|m| m.exact)));
    assert_eq!(
        got.as_slice()[0].members()[2].paragraph.text(&lf),
        texts[0].replace('\r', "")
    );
}

#[test]
fn paragraph_modes_through_the_deduper() {
    let doc = "alpha beta gamma delta\nepsilon zeta eta theta\n\nalpha beta gamma delta\nepsilon zeta eta theta";
    let by = |mode| {
        let d = Deduper::builder().paragraphs(mode).build().unwrap();
        positions(&d.run_documents(&[doc]))
    };
    assert_eq!(by(ParagraphMode::Auto), vec![vec![(0, 0), (0, 1)]]);
    assert_eq!(by(ParagraphMode::BlankLines), vec![vec![(0, 0), (0, 1)]]);
    assert_eq!(
        by(ParagraphMode::Lines),
        vec![vec![(0, 0), (0, 2)], vec![(0, 1), (0, 3)]]
    );
    assert!(by(ParagraphMode::Whole).is_empty());
}

#[test]
fn signature_verification_and_low_level_types_compose() {
    let norm = Normalizer::new();
    let shingler = Shingler::new(ShingleKind::Words(3));
    let hasher = MinHasher::new(128);
    let sig = |t: &str| hasher.signature(&shingler.shingles(&norm.normalize(t)));
    let mut index = LshIndex::new(LshParams::new(32, 4, 128).unwrap());
    assert!(index.is_empty());
    index.insert(3, sig(NEAR_A).slots());
    index.insert(
        5,
        sig("completely different words in this one line of prose").slots(),
    );
    assert_eq!(index.len(), 2);
    assert_eq!(index.query(sig(NEAR_B).slots()), vec![3]);
    // The same pair through the deduper with signature verification.
    let d = Deduper::builder()
        .shingles(ShingleKind::Words(3))
        .verification(Verification::Signature)
        .build()
        .unwrap();
    let got = d.run_documents(&[NEAR_A, NEAR_B]);
    assert_eq!(positions(&got), vec![vec![(0, 0), (1, 0)]]);
    assert_eq!(
        got.as_slice()[0].members()[1].similarity,
        sig(NEAR_A).jaccard(&sig(NEAR_B))
    );
}

#[test]
fn a_cloned_deduper_gives_identical_results() {
    let article = crate::seed::ARTICLE;
    let d = Deduper::builder()
        .threads(2)
        .similarity(paradup::Similarity::Containment)
        .build()
        .unwrap();
    let c = d.clone();
    drop(d.clone());
    let (want, got) = (d.run_documents([article]), c.run_documents([article]));
    assert_eq!(got, want);
    assert_eq!(got.pairs(), want.pairs());
    assert_eq!(c.similarity(), paradup::Similarity::Containment);
    // From another thread too: the clone owns what it needs.
    let got = std::thread::spawn(move || c.run_documents([article]))
        .join()
        .unwrap();
    assert_eq!(got, want);
}
