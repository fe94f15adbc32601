//! The persistent index: round trips, a pinned golden file, and corrupt files.

use super::seed::ARTICLE;
use paradup::{Deduper, ErrorKind, Index, ShingleKind};

const GOLDEN: &[u8] = include_bytes!("../data/golden-index-v1.bin");

/// 16 permutations and explicit banding, shingles and threshold (the golden file's), so
/// that a change of the defaults does not change the file.
fn small_deduper() -> Deduper {
    Deduper::builder()
        .num_perm(16)
        .lsh_params(5, 3)
        .shingles(ShingleKind::Words(3))
        .threshold(0.5)
        .build()
        .unwrap()
}

/// A fixed index: the first three paragraphs of the seed article, keys 10, 20, 30.
fn golden_index() -> Index {
    let d = small_deduper();
    let mut index = Index::new(&d);
    for (i, line) in ARTICLE.lines().take(3).enumerate() {
        index.insert(10 * (i as u64 + 1), line);
    }
    index
}

fn article_index(d: &Deduper) -> Index {
    let mut index = Index::new(d);
    for (i, line) in ARTICLE.lines().enumerate() {
        index.insert(i as u64 + 1, line);
    }
    index
}

#[test]
fn queries_find_the_edited_paragraph_and_exact_copies() {
    let d = Deduper::new();
    let mut index = Index::new(&d);
    let lines: Vec<&str> = ARTICLE.lines().collect();
    for (i, line) in lines.iter().enumerate().filter(|(i, _)| *i != 10) {
        index.insert(i as u64 + 1, line);
    }
    assert_eq!(index.len(), 23);
    // Line 11 is a light edit of line 10.
    let m = index.query(lines[10]);
    assert_eq!(m.len(), 1);
    assert_eq!(m.best().unwrap().key, 10);
    assert!(!m.best().unwrap().exact);
    assert!(m.best().unwrap().similarity >= 0.5);
    // Every stored line finds itself, exactly, and nothing else.
    for (i, line) in lines.iter().enumerate().filter(|(i, _)| *i != 10) {
        let keys: Vec<(u64, bool)> = index.query(line).iter().map(|m| (m.key, m.exact)).collect();
        let expect: Vec<(u64, bool)> = if i == 9 {
            vec![(10, true)]
        } else {
            vec![(i as u64 + 1, true)]
        };
        assert_eq!(keys, expect, "line {}", i + 1);
    }
    assert!(
        index
            .query("Nothing like anything in the article at all.")
            .is_empty()
    );
}

#[test]
fn remove_and_replace() {
    let d = Deduper::new();
    let mut index = article_index(&d);
    let lines: Vec<&str> = ARTICLE.lines().collect();
    assert!(index.remove(10));
    assert!(!index.remove(10));
    assert_eq!(index.len(), 23);
    let keys: Vec<u64> = index.query(lines[9]).iter().map(|m| m.key).collect();
    assert_eq!(keys, vec![11]);
    // Inserting under an existing key replaces its paragraph.
    index.insert(
        11,
        "A different paragraph now, about something else entirely.",
    );
    assert_eq!(index.len(), 23);
    assert!(index.query(lines[9]).is_empty());
}

#[test]
fn first_wins_keeps_one_per_group() {
    let d = Deduper::new();
    let mut index = Index::new(&d);
    let mut kept = Vec::new();
    let stream: Vec<&str> = ARTICLE.lines().chain(ARTICLE.lines().take(3)).collect();
    for (i, line) in stream.iter().enumerate() {
        if index.insert_if_new(i as u64, line).is_empty() {
            kept.push(i);
        }
    }
    // All 24 lines but line 11 (index 10), and none of the three repeats.
    let expect: Vec<usize> = (0..24).filter(|&i| i != 10).collect();
    assert_eq!(kept, expect);
}

#[test]
fn save_load_round_trip_gives_identical_answers() {
    let d = Deduper::new();
    let index = article_index(&d);
    let path = std::env::temp_dir().join(format!("paradup-index-{}.bin", std::process::id()));
    index.save(&path).unwrap();
    let loaded = Index::load(&path, &d).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(loaded.len(), index.len());
    assert_eq!(loaded.to_bytes(), index.to_bytes());
    for line in ARTICLE.lines().chain(["unrelated words here and there"]) {
        assert_eq!(loaded.query(line), index.query(line));
    }
}

#[test]
fn golden_file_pins_the_encoding() {
    // If this fails, the encoding changed: bump FORMAT_VERSION and regenerate the golden
    // file deliberately (write `golden_index().to_bytes()` to tests/data/golden-index-v1.bin
    // under the new version's name).
    assert_eq!(golden_index().to_bytes(), GOLDEN);
    let loaded = Index::read_from(GOLDEN, &small_deduper()).unwrap();
    assert_eq!(loaded.len(), 3);
    assert!(loaded.contains(20));
    assert_eq!(
        loaded
            .query(ARTICLE.lines().nth(1).unwrap())
            .best()
            .unwrap()
            .key,
        20
    );
}

fn kind(bytes: &[u8]) -> ErrorKind {
    Index::from_bytes(bytes).unwrap_err().kind().clone()
}

#[test]
fn corrupt_files_are_rejected_each_with_its_own_error() {
    let good = GOLDEN.to_vec();
    // Truncated anywhere: header, entries, checksum.
    for cut in [0, 5, 11, 30, 56, good.len() / 2, good.len() - 1] {
        assert!(
            matches!(kind(&good[..cut]), ErrorKind::IndexTruncated { .. }),
            "cut at {cut}: {:?}",
            kind(&good[..cut])
        );
    }
    // Padded.
    let mut long = good.clone();
    long.push(0);
    assert!(matches!(kind(&long), ErrorKind::IndexTruncated { .. }));
    // A flipped byte in an entry or in the checksum.
    for at in [60, good.len() - 3] {
        let mut bad = good.clone();
        bad[at] ^= 0x40;
        assert_eq!(kind(&bad), ErrorKind::IndexChecksum, "flip at {at}");
    }
    // Wrong magic.
    let mut bad = good.clone();
    bad[0] = b'X';
    assert_eq!(kind(&bad), ErrorKind::IndexMagic);
    assert_eq!(kind(b"hello world, not an index"), ErrorKind::IndexMagic);
    // Another version.
    let mut bad = good.clone();
    bad[8] = 2;
    assert_eq!(kind(&bad), ErrorKind::IndexVersion(2));
}

#[test]
fn mismatched_parameters_are_a_clear_error() {
    let other = Deduper::builder()
        .num_perm(16)
        .lsh_params(5, 3)
        .shingles(ShingleKind::Words(5))
        .build()
        .unwrap();
    let err = Index::read_from(GOLDEN, &other).unwrap_err();
    match err.kind() {
        ErrorKind::IndexMismatch { parameter, .. } => assert_eq!(*parameter, "shingles"),
        k => panic!("unexpected {k:?}"),
    }
    assert!(err.to_string().contains("Words(3)"), "{err}");
    let seeded = Deduper::builder()
        .num_perm(16)
        .lsh_params(5, 3)
        .shingles(ShingleKind::Words(3))
        .threshold(0.5)
        .seed(1)
        .build()
        .unwrap();
    let err = Index::read_from(GOLDEN, &seeded).unwrap_err();
    assert!(matches!(
        err.kind(),
        ErrorKind::IndexMismatch {
            parameter: "seed",
            ..
        }
    ));
}

#[test]
fn missing_file_is_an_io_error_naming_it() {
    let err = Index::load("/nonexistent/dir/index.bin", &Deduper::new()).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Io(_)));
    assert!(err.to_string().contains("/nonexistent/dir/index.bin"));
}

/// Writes the golden file; run with `--ignored` only when the format version changes.
#[test]
#[ignore = "regenerates tests/data/golden-index-v1.bin"]
fn regenerate_golden_index() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/golden-index-v1.bin"
    );
    std::fs::write(path, golden_index().to_bytes()).unwrap();
}

#[test]
fn parallel_batch_insert_equals_one_at_a_time() {
    let lines: Vec<&str> = ARTICLE.lines().collect();
    let keys: Vec<u64> = (1..=lines.len() as u64).collect();
    let one = article_index(&Deduper::new());
    for threads in [1, 3] {
        let d = Deduper::builder().threads(threads).build().unwrap();
        let mut batch = Index::new(&d);
        d.insert_batch(&mut batch, &keys, &lines).unwrap();
        assert_eq!(batch.to_bytes(), one.to_bytes(), "threads {threads}");
    }
}

#[test]
fn incremental_index_answers_like_a_reloaded_one_across_merges() {
    // 3,000 paragraphs (past the 1,024-insert merge point), a third removed, some
    // replaced: the incremental index and its save/load copy (built in bulk) agree.
    let d = Deduper::new();
    let mut g = paradup::SplitMix64::new(17);
    let words = [
        "alpha", "beta", "gamma", "delta", "eps", "zeta", "eta", "theta", "iota",
    ];
    let text = |g: &mut paradup::SplitMix64| -> String {
        (0..24)
            .map(|_| words[(g.next_u64() % words.len() as u64) as usize])
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut index = Index::new(&d);
    let mut texts: Vec<String> = Vec::new();
    for key in 0..3000u64 {
        let t = if key % 7 == 3 && key > 10 {
            texts[(key - 5) as usize].replacen("alpha", "omega", 1)
        } else {
            text(&mut g)
        };
        index.insert(key, &t);
        texts.push(t);
    }
    for key in (0..3000u64).step_by(3) {
        assert!(index.remove(key));
    }
    for key in (1..3000u64).step_by(30) {
        let t = text(&mut g);
        index.insert(key, &t);
        texts[key as usize] = t;
    }
    assert_eq!(index.len(), 2000);
    let reloaded = Index::from_bytes(&index.to_bytes()).unwrap();
    let mut matched = 0;
    for t in &texts {
        let a = index.query(t);
        assert_eq!(a, reloaded.query(t));
        assert!(a.iter().all(|m| m.key % 3 != 0), "a removed key matched");
        matched += a.len();
    }
    assert!(matched >= 2000, "{matched}");
}

#[test]
fn batch_insert_reports_mismatches_and_inserts_nothing() {
    let lines: Vec<&str> = ARTICLE.lines().collect();
    let d = Deduper::new();
    let mut index = Index::new(&d);
    let err = d.insert_batch(&mut index, &[1, 2, 3], &lines).unwrap_err();
    assert_eq!(
        err.kind(),
        &paradup::ErrorKind::KeyCountMismatch { keys: 3, texts: 24 }
    );
    assert_eq!(
        err.to_string(),
        "3 keys for 24 texts: give one key per text"
    );
    // An index of another deduper's parameters.
    let other = Deduper::builder().num_perm(64).build().unwrap();
    let keys: Vec<u64> = (0..24).collect();
    let err = other.insert_batch(&mut index, &keys, &lines).unwrap_err();
    assert!(matches!(
        err.kind(),
        paradup::ErrorKind::IndexMismatch {
            parameter: "num_perm",
            ..
        }
    ));
    assert!(index.is_empty());
    d.insert_batch(&mut index, &keys, &lines).unwrap();
    assert_eq!(index.len(), 24);
}
