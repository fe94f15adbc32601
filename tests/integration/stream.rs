//! `Deduper::run_stream` against `Deduper::run_documents`: the same clusters, pairs and counts
//! whatever the batch size, piece size, memory limit (spilling) and way of feeding;
//! and its errors. (`Clusters` equality covers clusters, pairs, oversized clusters
//! and every count of the run stats; it leaves the timings out.)

use crate::naive::Rng;
use paradup::{
    CandidateSearch, Clusters, Deduper, ErrorKind, Method, ParagraphMode, Similarity, StreamConfig,
    Verification,
};
use proptest::prelude::*;
use std::io::Read;
use std::path::Path;

/// A corpus with exact duplicates, one-word edits, chains, short and ornament
/// paragraphs, blank-line and line-per-paragraph documents, CRLF and non-ASCII text.
pub(crate) fn corpus(seed: u64, docs: usize) -> Vec<String> {
    let mut rng = Rng::new(seed);
    let word = |rng: &mut Rng| -> String {
        match rng.below(40) {
            0 => "Übergrößenträger".to_string(),
            1 => "naïve".to_string(),
            n => format!("w{}", n * 7 + rng.below(60)),
        }
    };
    let mut pool: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for _ in 0..docs {
        let mut paras = Vec::new();
        for _ in 0..1 + rng.below(12) {
            let p = match rng.below(10) {
                0 | 1 if !pool.is_empty() => pool[rng.below(pool.len())].clone(),
                2 | 3 if !pool.is_empty() => {
                    let base = pool[rng.below(pool.len())].clone();
                    let mut words: Vec<String> = base.split(' ').map(str::to_string).collect();
                    let at = rng.below(words.len());
                    words[at] = word(&mut rng);
                    words.join(" ")
                }
                4 => "* * *".to_string(),
                5 => word(&mut rng),
                _ => (0..8 + rng.below(30))
                    .map(|_| word(&mut rng))
                    .collect::<Vec<_>>()
                    .join(" "),
            };
            pool.push(p.clone());
            paras.push(p);
        }
        let doc = match rng.below(4) {
            0 => paras.join("\n"),
            1 => paras.join("\r\n") + "\r\n",
            2 => paras
                .iter()
                .map(|p| p.replacen(' ', "\n", 1))
                .collect::<Vec<_>>()
                .join("\n\n  \n"),
            _ => "\n\n".to_string() + &paras.join("\n\n") + "\n",
        };
        out.push(doc);
    }
    out
}

/// What a memory limit sets aside for the work in progress (`StreamConfig::memory_limit`'s
/// docs): 32 batches and 32 MiB.
fn reserve(batch_bytes: usize) -> usize {
    32 * batch_bytes + (32 << 20)
}

#[derive(Clone, Copy, Debug)]
enum Feeding {
    Push,
    Reader,
}

fn stream(
    d: &Deduper,
    config: &StreamConfig,
    docs: &[String],
    feeding: Feeding,
) -> paradup::Result<Clusters> {
    d.run_stream(config, |feed| {
        for doc in docs {
            match feeding {
                Feeding::Push => feed.push(doc)?,
                // A reader that returns a few bytes at a time.
                Feeding::Reader => feed.push_reader(Trickle(doc.as_bytes(), 7))?,
            }
        }
        Ok(())
    })
}

/// Reads at most `.1` bytes per call.
struct Trickle<'a>(&'a [u8], usize);

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.1).min(self.0.len());
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

fn dedupers() -> Vec<(&'static str, Deduper)> {
    let mut v = vec![("default", Deduper::new())];
    let mut b = Deduper::builder();
    b.verification(Verification::Signature);
    v.push(("signature", b.build().unwrap()));
    let mut b = Deduper::builder();
    b.method(Method::simhash());
    v.push(("simhash", b.build().unwrap()));
    let mut b = Deduper::builder();
    b.method(Method::simhash())
        .verification(Verification::Signature);
    v.push(("simhash-signature", b.build().unwrap()));
    let mut b = Deduper::builder();
    b.anti_chaining(false)
        .threshold(0.4)
        .paragraphs(ParagraphMode::Lines);
    v.push(("chains-lines", b.build().unwrap()));
    let mut b = Deduper::builder();
    b.paragraphs(ParagraphMode::BlankLines).threads(3);
    v.push(("blank-lines", b.build().unwrap()));
    // Only the pairs that join texts are verified (the same pairs in every mode).
    let mut b = Deduper::builder();
    b.all_pairs(false);
    v.push(("joining", b.build().unwrap()));
    let mut b = Deduper::builder();
    b.all_pairs(false).anti_chaining(false).threshold(0.4);
    v.push(("joining-chains", b.build().unwrap()));
    v
}

#[test]
fn stream_equals_run_for_every_method_batch_and_limit() {
    let docs = corpus(7, 300);
    for (name, d) in dedupers() {
        let want = d.run_documents(&docs);
        assert!(want.len() >= 20, "{name}: corpus too easy: {}", want.len());
        assert!(want.stats().verified > 0, "{name}");
        for (batch, piece, limit, feeding) in [
            (16 << 20, 1 << 20, None, Feeding::Push),
            (1, 1, None, Feeding::Push),
            (700, 50, Some(1), Feeding::Reader),
            (5_000, 13, Some(40_000), Feeding::Push),
            (100_000, 64, Some(1), Feeding::Reader),
            // Just above the part of the limit set aside for work in progress (32
            // batches and 32 MiB): key windows of a few hundred texts, verification
            // and cluster windows of a few dozen.
            (1_000, 64, Some(reserve(1_000) + 20_000), Feeding::Push),
            (3_000, 200, Some(reserve(3_000) + 60_000), Feeding::Reader),
        ] {
            let mut config = StreamConfig::new();
            config.batch_bytes(batch).piece_bytes(piece);
            if let Some(l) = limit {
                config.memory_limit(l);
            }
            let got = stream(&d, &config, &docs, feeding).unwrap();
            assert_eq!(
                got, want,
                "{name}: batch {batch}, piece {piece}, limit {limit:?}, {feeding:?}"
            );
        }
    }
}

#[test]
fn containment_streams_without_a_limit_and_refuses_one() {
    let docs = corpus(11, 120);
    let mut b = Deduper::builder();
    b.similarity(Similarity::Containment).threshold(0.8);
    let d = b.build().unwrap();
    let mut config = StreamConfig::new();
    config.batch_bytes(2_000).piece_bytes(100);
    let got = stream(&d, &config, &docs, Feeding::Push).unwrap();
    assert_eq!(got, d.run_documents(&docs));
    config.memory_limit(1 << 30);
    let err = stream(&d, &config, &docs, Feeding::Push).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::StreamUnsupported(_)),
        "{err}"
    );
}

#[test]
fn spill_runs_exist_during_the_second_pass_and_are_removed_after() {
    let docs = corpus(3, 200);
    let tmp = std::env::temp_dir().join(format!("paradup-stream-test-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let mut config = StreamConfig::new();
    config.batch_bytes(3_000).memory_limit(1).temp_dir(&tmp);
    let mut passes = 0;
    let (mut run_files, mut key_runs, mut files) = (0, 0, Vec::new());
    let got = Deduper::new()
        .run_stream(&config, |feed| {
            passes += 1;
            if passes == 2 {
                files = file_names(&tmp);
                run_files = files.iter().filter(|f| f.contains("-band")).count();
                key_runs = files.iter().filter(|f| f.starts_with("keys-")).count();
            }
            for doc in &docs {
                feed.push(doc)?;
            }
            Ok(())
        })
        .unwrap();
    assert_eq!(passes, 2);
    // Several runs of 19 bands each were written.
    let bands = Deduper::new().lsh_params().bands;
    assert!(run_files >= 3 * bands, "{run_files} run files");
    assert_eq!(run_files % bands, 0);
    // The key map went to disk as often (one sorted run per window), and the
    // per-paragraph state is in files too.
    assert_eq!(key_runs, run_files / bands, "{files:?}");
    for name in ["provenance.bin", "canon_of.bin", "keys.bin"] {
        assert!(files.iter().any(|f| f == name), "{name} missing: {files:?}");
    }
    assert_eq!(count_files(&tmp), 0, "spill directory left behind");
    assert_eq!(got, Deduper::new().run_documents(&docs));
    std::fs::remove_dir_all(&tmp).unwrap();
}

/// The names of the files under `dir` (recursively).
fn file_names(dir: &Path) -> Vec<String> {
    let mut names = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            names.extend(file_names(&e.path()));
        } else {
            names.push(e.file_name().to_string_lossy().into_owned());
        }
    }
    names
}

fn count_files(dir: &Path) -> usize {
    let mut n = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            n += count_files(&e.path());
        } else {
            n += 1;
        }
    }
    n
}

#[test]
fn signature_verification_reads_the_input_once() {
    let docs = corpus(5, 100);
    let mut b = Deduper::builder();
    b.verification(Verification::Signature);
    let d = b.build().unwrap();
    for limit in [None, Some(1)] {
        let mut config = StreamConfig::new();
        config.batch_bytes(1_000);
        if let Some(l) = limit {
            config.memory_limit(l);
        }
        let mut passes = 0;
        let got = d
            .run_stream(&config, |feed| {
                passes += 1;
                docs.iter().try_for_each(|doc| feed.push(doc))
            })
            .unwrap();
        assert_eq!(passes, 1);
        assert_eq!(got, d.run_documents(&docs));
    }
}

#[test]
fn a_changed_second_pass_is_an_error() {
    let docs = corpus(9, 50);
    let mut config = StreamConfig::new();
    config.batch_bytes(500);
    let mut limited = config.clone();
    limited.memory_limit(1);
    // In memory, and with the first pass's state on disk.
    for config in [config, limited] {
        // Different text, same spans: caught by the exact key of an involved paragraph.
        let mut pass = 0;
        let err = Deduper::new()
            .run_stream(&config, |feed| {
                pass += 1;
                for doc in &docs {
                    if pass == 2 {
                        feed.push(doc.replace('w', "v"))?;
                    } else {
                        feed.push(doc)?;
                    }
                }
                Ok(())
            })
            .unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::ReplayMismatch(_)), "{err}");
        // A missing document, and one too many.
        for change in [-1isize, 1] {
            let mut pass = 0;
            let err = Deduper::new()
                .run_stream(&config, |feed| {
                    pass += 1;
                    let extra = if pass == 2 { change } else { 0 };
                    let n = docs.len() - 1;
                    docs[..n].iter().try_for_each(|doc| feed.push(doc))?;
                    if extra >= 0 {
                        feed.push(&docs[n])?;
                    }
                    if extra > 0 {
                        feed.push(&docs[0])?;
                    }
                    Ok(())
                })
                .unwrap_err();
            assert!(
                matches!(err.kind(), ErrorKind::ReplayMismatch(_)),
                "{change}: {err}"
            );
        }
    }
}

#[test]
fn unsupported_searches_and_bad_settings_are_errors() {
    for search in [CandidateSearch::PrefixFilter, CandidateSearch::Exhaustive] {
        let mut b = Deduper::builder();
        b.candidates(search);
        let err = b
            .build()
            .unwrap()
            .run_stream(&StreamConfig::new(), |f| f.push("a b c"))
            .unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::StreamUnsupported(_)),
            "{err}"
        );
    }
    for config in [
        StreamConfig::new().batch_bytes(0).clone(),
        StreamConfig::new().piece_bytes(0).clone(),
        StreamConfig::new().memory_limit(0).clone(),
    ] {
        let err = Deduper::new()
            .run_stream(&config, |f| f.push("a"))
            .unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::InvalidStreamConfig(_)),
            "{err}"
        );
    }
}

#[test]
fn source_and_reader_errors_come_back() {
    let err = Deduper::new()
        .run_stream(&StreamConfig::new(), |_| {
            Err(ErrorKind::Io("disk on fire".into()).into())
        })
        .unwrap_err();
    assert_eq!(err.to_string(), "I/O error: disk on fire");

    struct Broken;
    impl Read for Broken {
        fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("cable cut"))
        }
    }
    let err = Deduper::new()
        .run_stream(&StreamConfig::new(), |f| f.push_reader(Broken))
        .unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::Io(m) if m.contains("cable cut")),
        "{err}"
    );
}

#[test]
fn a_source_uses_question_mark_on_io_errors_and_keeps_them_as_the_source() {
    use std::error::Error as _;
    let dir = tempfile::tempdir().unwrap();
    let article = dir.path().join("article.txt");
    std::fs::write(&article, crate::seed::ARTICLE).unwrap();
    let missing = dir.path().join("missing.txt");
    let read = |paths: &[&Path]| {
        Deduper::new().run_stream(&StreamConfig::new(), |feed| {
            for path in paths {
                feed.push_reader(std::fs::File::open(path)?)?;
            }
            Ok(())
        })
    };
    let clusters = read(&[&article]).unwrap();
    let lines: Vec<u64> = clusters[0]
        .members()
        .iter()
        .map(|m| m.paragraph.line)
        .collect();
    assert_eq!((clusters.len(), lines), (1, vec![10, 11]));

    let err = read(&[&article, &missing]).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Io(_)), "{err}");
    let io = err
        .source()
        .and_then(|e| e.downcast_ref::<std::io::Error>());
    assert_eq!(
        io.map(std::io::Error::kind),
        Some(std::io::ErrorKind::NotFound)
    );
}

#[test]
fn a_callers_own_error_comes_back_with_its_source_chain() {
    use std::error::Error as _;
    #[derive(Debug)]
    struct BadShard(std::num::ParseIntError);
    impl std::fmt::Display for BadShard {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("bad shard number")
        }
    }
    impl std::error::Error for BadShard {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }
    let err = Deduper::new()
        .run_stream(&StreamConfig::new(), |feed| {
            feed.push("first document")?;
            let shard: u32 = "x7"
                .parse()
                .map_err(|e| paradup::Error::other(BadShard(e)))?;
            feed.push(format!("shard {shard}"))
        })
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Other("bad shard number".into()));
    let shard = err.source().unwrap();
    assert!(shard.is::<BadShard>());
    let parse = shard.source().unwrap();
    assert_eq!(parse.to_string(), "invalid digit found in string");
}

#[test]
fn empty_input_gives_no_clusters() {
    let mut limited = StreamConfig::new();
    limited.memory_limit(1);
    for config in [StreamConfig::new(), limited] {
        let got = Deduper::new().run_stream(&config, |_| Ok(())).unwrap();
        assert!(got.is_empty());
        assert_eq!(got.stats().documents, 0);
        let got = Deduper::new()
            .run_stream(&config, |f| {
                f.push("")?;
                f.push_reader(&b""[..])?;
                f.push("  \n\n")
            })
            .unwrap();
        assert_eq!((got.stats().documents, got.stats().paragraphs), (3, 0));
    }
}

#[test]
fn invalid_utf8_from_a_reader_is_decoded_lossily() {
    let bytes = b"the quick brown fox jumps over the lazy dog \xff\xfe today\nthe quick brown fox jumps over the lazy dog \xc3 today\n";
    let mut config = StreamConfig::new();
    config.piece_bytes(10);
    let got = Deduper::new()
        .run_stream(&config, |f| f.push_reader(&bytes[..]))
        .unwrap();
    let text = String::from_utf8_lossy(bytes).into_owned();
    assert_eq!(got, Deduper::new().run_documents(&[&text]));
    assert_eq!(got.len(), 1);
    let second = got.as_slice()[0].members()[1].paragraph;
    assert_eq!(
        second.text(&text),
        "the quick brown fox jumps over the lazy dog \u{fffd} today"
    );
}

#[test]
fn a_long_line_read_in_small_pieces_is_one_paragraph() {
    let line = "lorem ipsum dolor sit amet ".repeat(20_000);
    let doc = format!("{line}\nshort one\n{line}");
    let mut config = StreamConfig::new();
    config.piece_bytes(1_000).batch_bytes(4_000);
    let got = Deduper::new()
        .run_stream(&config, |f| f.push_reader(doc.as_bytes()))
        .unwrap();
    assert_eq!(got.stats().paragraphs, 3);
    assert_eq!(got.len(), 1);
    let lines: Vec<u64> = got.as_slice()[0]
        .members()
        .iter()
        .map(|m| m.paragraph.line)
        .collect();
    assert_eq!(lines, [1, 3]);
    assert_eq!(got, Deduper::new().run_documents(&[&doc]));
}

#[test]
fn auto_mode_is_resolved_from_the_first_window_of_a_reader() {
    // The first blank separator comes after the window: read line by line.
    let mut doc = "first line of text\nsecond line of text\n".repeat(100);
    doc.push_str("\nafter the blank\nstill going\n");
    let mut config = StreamConfig::new();
    config.batch_bytes(500).piece_bytes(100).auto_window(1_000);
    let got = Deduper::new()
        .run_stream(&config, |f| f.push_reader(doc.as_bytes()))
        .unwrap();
    assert_eq!(got.stats().paragraphs, 202);
    // In memory (and pushed whole) the whole document decides: blank lines.
    let whole = Deduper::new().run_documents(&[&doc]);
    assert_eq!(whole.stats().paragraphs, 2);
    let pushed = Deduper::new()
        .run_stream(&config, |f| f.push(&doc))
        .unwrap();
    assert_eq!(pushed, whole);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Random corpora, batchings and limits: the stream's answer is `run`'s.
    #[test]
    fn prop_stream_equals_run(
        seed in any::<u64>(),
        docs in 1usize..60,
        batch in 1usize..3_000,
        piece in 1usize..400,
        limit in prop::option::of(1usize..200_000),
        above_reserve in any::<bool>(),
        reader in any::<bool>(),
    ) {
        let docs = corpus(seed, docs);
        let d = Deduper::new();
        let mut config = StreamConfig::new();
        config.batch_bytes(batch).piece_bytes(piece);
        if let Some(l) = limit {
            config.memory_limit(if above_reserve { reserve(batch) + l } else { l });
        }
        let feeding = if reader { Feeding::Reader } else { Feeding::Push };
        let got = stream(&d, &config, &docs, feeding).unwrap();
        prop_assert_eq!(got, d.run_documents(&docs));
    }
}

/// 1, 2 and 8 threads, with and without spilling: the same answer, run after run.
#[test]
fn stream_is_the_same_for_1_2_and_8_threads() {
    let docs = corpus(13, 250);
    let want = Deduper::new().run_documents(&docs);
    assert!(want.len() >= 20, "corpus too easy: {}", want.len());
    for threads in [1, 2, 8, 8] {
        let d = Deduper::builder().threads(threads).build().unwrap();
        for limit in [None, Some(1)] {
            let mut config = StreamConfig::new();
            config.batch_bytes(2_000).piece_bytes(64);
            if let Some(l) = limit {
                config.memory_limit(l);
            }
            let got = stream(&d, &config, &docs, Feeding::Push).unwrap();
            assert_eq!(got, want, "{threads} threads, limit {limit:?}");
        }
    }
}

/// `run` cuts documents over 1 MiB into pieces that split in parallel: every
/// paragraph of a 2.2 MB document (each twice, so every one is in a pair) comes out
/// with the span, index and line the splitter gives the whole document.
#[test]
fn run_splits_a_large_document_in_pieces_exactly() {
    let mut rng = Rng::new(17);
    let paras: Vec<String> = (0..9_000)
        .map(|i| {
            let words: Vec<String> = (0..8 + rng.below(30))
                .map(|_| format!("w{}", rng.below(5_000)))
                .collect();
            // Some paragraphs wrap over two lines (blank-line documents keep them whole).
            format!("p{i} {}", words.join(if i % 3 == 0 { "\n" } else { " " }))
        })
        .collect();
    for (mode, sep) in [
        (ParagraphMode::BlankLines, "\n\n"),
        (ParagraphMode::Auto, "\r\n \r\n"),
        (ParagraphMode::Lines, "\n"),
    ] {
        let half = paras.join(sep);
        let doc = format!("{half}{sep}{half}\n");
        assert!(doc.len() > 2 << 20);
        let d = Deduper::builder().paragraphs(mode).build().unwrap();
        let got = d.run_documents(&[&doc]);
        let want: Vec<paradup::Paragraph> = d.splitter().split(0, &doc).collect();
        assert_eq!(got.stats().paragraphs, want.len(), "{mode:?}");
        let mut seen: Vec<paradup::Paragraph> =
            got.pairs().iter().flat_map(|p| [p.a, p.b]).collect();
        seen.sort_by_key(|p| p.start);
        seen.dedup();
        assert_eq!(seen, want, "{mode:?}");
    }
}

/// A file scanned for `--stream`, then changed in a way that keeps its size (and, with
/// `keep_mtime`, its modification time): every later pass refuses it, and a staged
/// output tree is abandoned whole.
#[test]
fn a_file_changed_after_the_scan_is_refused_by_every_pass() {
    use paradup::corpus::{CorpusReader, Input};
    use paradup::report::rewrite::{self, Output, Removal};
    use std::fs;
    let dir = tempfile::tempdir().unwrap();
    let para = |w: &str| {
        format!(
            "the council met on tuesday to review the annual budget and agreed to fund the {w} library wing\n\n"
        )
    };
    let original = format!("{}{}{}", para("new"), para("old"), para("big"));
    let edits: Vec<(&str, String, bool)> = vec![
        (
            "same size, same mtime",
            original.replace("old", "odd"),
            true,
        ),
        (
            "swapped paragraphs",
            format!("{}{}{}", para("old"), para("new"), para("big")),
            true,
        ),
        ("appended", format!("{original}more\n"), false),
    ];
    for (what, edited, keep_mtime) in edits {
        let path = dir.path().join("a.txt");
        fs::write(&path, &original).unwrap();
        let corpus = CorpusReader::new()
            .scan(&[Input::Path(path.clone())], |_| {})
            .unwrap();
        let mtime = fs::metadata(&path).unwrap().modified().unwrap();
        fs::write(&path, &edited).unwrap();
        if keep_mtime {
            let f = fs::File::options().write(true).open(&path).unwrap();
            f.set_modified(mtime).unwrap();
        }
        let deduper = Deduper::new();
        let err = deduper
            .run_stream(&paradup::StreamConfig::new(), |feed| corpus.feed(feed))
            .expect_err(what);
        assert!(
            matches!(err.kind(), paradup::ErrorKind::ReplayMismatch(_)),
            "{what}: {err}"
        );
        let p = paradup::Paragraph::new(0, 1, 3, 104, 206);
        assert!(corpus.gather(&[p], &[p]).is_err(), "{what}");
        let removals = [Removal {
            paragraph: p,
            cluster: 0,
            similarity: 1.0,
        }];
        let out = dir.path().join("out");
        fs::create_dir_all(&out).unwrap();
        let staged =
            rewrite::stage_tree_stream(&corpus, &removals, &out, Output::Deduped, |p, e| {
                panic!("{what}: {}: {e}", p.display())
            });
        assert!(staged.is_err(), "{what}");
        assert_eq!(file_names(&out), Vec::<String>::new(), "{what}");
    }
}
