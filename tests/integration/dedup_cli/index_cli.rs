//! The example deduper with an index: `--save-index`, `--against`, `--first-wins`.
//!
//! Fixtures: the earlier corpus is `tests/data/dedup/corpus` (see the parent module);
//! `later/new.txt` is a later crawl: an exact copy of `b.txt:5` (line 1), a light edit
//! of `b.txt:1` (line 3), a decoy that shares only its opening words with `a.txt:6`
//! (line 5), two new paragraphs that repeat each other (lines 7 and 14), an unrelated
//! paragraph (line 9), and `a.txt:3` wrapped differently and partly in capitals (line
//! 11), which is also a near copy of `b.txt:3`. `stream.txt` holds, one per line, a
//! chain X (1) → X' (3) → X'' (5) where each step changes 5 words of 59, so that X
//! and X' and X' and X'' are near-duplicates (word-2-gram Jaccard 0.71) but X and X''
//! are not (0.49), plus exact repeats (lines 6 and 7) and unrelated lines.
//!
//! Matching an index compares MinHash signatures, so similarities there are estimates;
//! the fixtures keep every pair far enough from the threshold (0.6, the default) that
//! exact Jaccard and the estimate agree on which side it falls, and the tests check that
//! they do.

use super::{TempDir, dedup, dedup_with_stdin, fixture, without};
use paradup::pipeline::DEFAULT_THRESHOLD;
use paradup::{Normalizer, ParagraphMode, ParagraphSplitter};
use std::collections::{BTreeSet, HashMap};
use std::fs;

const CORPUS: &str = "tests/data/dedup/corpus";
/// The corpus's text files in the order the deduper reads them.
const CORPUS_FILES: [&str; 4] = ["a.txt", "b.txt", "empty.txt", "nested/c.txt"];
const NEW: &str = "tests/data/dedup/later/new.txt";
const STREAM: &str = "tests/data/dedup/stream.txt";

/// `--against` on `later/new.txt`, `--format pairs`: the within-input pair, then each
/// match as NEW OLD SIMILARITY.
const NEW_PAIRS: &str = "\
tests/data/dedup/later/new.txt:7\ttests/data/dedup/later/new.txt:14\t0.8571428571428571
tests/data/dedup/later/new.txt:1\ttests/data/dedup/corpus/b.txt:5\t1.0
tests/data/dedup/later/new.txt:3\ttests/data/dedup/corpus/b.txt:1\t0.8828125
tests/data/dedup/later/new.txt:11\ttests/data/dedup/corpus/a.txt:3\t1.0
tests/data/dedup/later/new.txt:11\ttests/data/dedup/corpus/b.txt:3\t0.8203125
";

/// Saves an index of `inputs` (with `extra` options) as `name` under `dir`.
fn save(dir: &TempDir, name: &str, inputs: &[&str], extra: &[&str]) -> String {
    let path = dir.path(name).to_str().unwrap().to_string();
    let args = [inputs, &["-q", "--save-index", &path], extra].concat();
    let r = dedup(&args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    path
}

/// `(LABEL, text)` of every paragraph of the text file `path`, split as the deduper
/// splits it.
fn paragraphs(path: &str) -> Vec<(String, String)> {
    let text = String::from_utf8(fixture(path)).unwrap();
    ParagraphSplitter::new(ParagraphMode::Auto)
        .split(0, &text)
        .map(|p| (format!("{path}:{}", p.line), p.text(&text).to_string()))
        .collect()
}

/// The naive shingle set: word 2-grams (the default shingles) of the normalized text,
/// as strings.
fn grams(text: &str) -> BTreeSet<String> {
    let n = Normalizer::new().normalize(text);
    let words: Vec<&str> = n.split_whitespace().collect();
    words.windows(2).map(|w| w.join(" ")).collect()
}

/// `(equal after normalization, exact Jaccard of the word 2-gram sets)`.
fn compare(a: &str, b: &str) -> (bool, f64) {
    let n = Normalizer::new();
    let (ga, gb) = (grams(a), grams(b));
    let inter = ga.intersection(&gb).count();
    let jaccard = inter as f64 / (ga.len() + gb.len() - inter) as f64;
    (n.normalize(a) == n.normalize(b), jaccard)
}

/// The pairs report's lines as `(NEW, OLD) → similarity`.
fn pairs(report: &str) -> HashMap<(String, String), f64> {
    report
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f.len(), 3, "{l}");
            ((f[0].to_string(), f[1].to_string()), f[2].parse().unwrap())
        })
        .collect()
}

#[test]
fn against_finds_exactly_the_paragraphs_of_the_earlier_corpus() {
    let dir = TempDir::new("against");
    let idx = save(&dir, "old.idx", &[CORPUS], &[]);
    let r = dedup(&[NEW, "--against", &idx, "--format", "pairs", "-q"]);
    assert_eq!(
        (r.code, r.stdout.as_str(), r.stderr.as_str()),
        (0, NEW_PAIRS, "")
    );

    // The same, worked out naively: every paragraph of the new file against every
    // distinct paragraph of the corpus (the first of each normalized text, which is
    // the one the index names), by exact Jaccard of word 2-gram sets.
    let mut old: Vec<(String, String)> = Vec::new();
    for f in CORPUS_FILES {
        for (label, text) in paragraphs(&format!("{CORPUS}/{f}")) {
            if !old.iter().any(|(_, t)| compare(t, &text).0) {
                old.push((label, text));
            }
        }
    }
    assert_eq!(old.len(), 9, "the corpus has 9 distinct paragraphs");
    let mut want = Vec::new();
    for (new_label, new_text) in paragraphs(NEW) {
        for (old_label, old_text) in &old {
            let (exact, j) = compare(&new_text, old_text);
            // Far from the threshold, or the estimate could fall on either side.
            assert!(
                exact || !(0.45..0.75).contains(&j),
                "{new_label} ~ {old_label}: {j}"
            );
            if exact || j >= DEFAULT_THRESHOLD {
                want.push((new_label.clone(), old_label.clone(), exact, j));
            }
        }
    }
    let got = pairs(&r.stdout);
    let from_index: BTreeSet<(String, String)> = got
        .keys()
        .filter(|(_, old)| !old.starts_with(NEW))
        .cloned()
        .collect();
    let naive: BTreeSet<(String, String)> =
        want.iter().map(|w| (w.0.clone(), w.1.clone())).collect();
    assert_eq!(from_index, naive);
    for (new, old, exact, j) in &want {
        let s = got[&(new.clone(), old.clone())];
        if *exact {
            assert_eq!(s, 1.0, "{new} ~ {old}");
        } else {
            assert!(
                (s - j).abs() < 0.1,
                "{new} ~ {old}: estimate {s}, exact {j}"
            );
        }
    }
    // The decoy (line 5) shares its opening words with a.txt:6, and stays unmatched.
    let decoy = compare(
        &paragraphs(NEW)[2].1,
        &paragraphs(&format!("{CORPUS}/a.txt"))[2].1,
    );
    assert!(decoy.1 > 0.0 && decoy.1 < 0.25, "{decoy:?}");
}

#[test]
fn against_reports_matches_in_every_format() {
    let dir = TempDir::new("against-formats");
    let idx = save(&dir, "old.idx", &[CORPUS], &[]);
    let r = dedup(&[NEW, "--against", &idx, "--format", "jsonl", "-q"]);
    assert_eq!(r.code, 0);
    let want = "{\"cluster\":0,\"size\":2,\"members\":[\
        {\"source\":\"tests/data/dedup/later/new.txt\",\"paragraph\":3,\"line\":7,\"start\":343,\"end\":505,\"similarity\":1.0},\
        {\"source\":\"tests/data/dedup/later/new.txt\",\"paragraph\":6,\"line\":14,\"start\":823,\"end\":983,\"similarity\":0.8571428571428571}]}\n\
        {\"match\":0,\"source\":\"tests/data/dedup/later/new.txt\",\"paragraph\":0,\"line\":1,\"start\":0,\"end\":94,\"matches\":[\
        {\"key\":6,\"source\":\"tests/data/dedup/corpus/b.txt\",\"paragraph\":2,\"line\":5,\"start\":315,\"end\":409,\"similarity\":1.0,\"exact\":true}]}\n\
        {\"match\":1,\"source\":\"tests/data/dedup/later/new.txt\",\"paragraph\":1,\"line\":3,\"start\":96,\"end\":210,\"matches\":[\
        {\"key\":4,\"source\":\"tests/data/dedup/corpus/b.txt\",\"paragraph\":0,\"line\":1,\"start\":0,\"end\":115,\"similarity\":0.8828125,\"exact\":false}]}\n\
        {\"match\":2,\"source\":\"tests/data/dedup/later/new.txt\",\"paragraph\":5,\"line\":11,\"start\":636,\"end\":821,\"matches\":[\
        {\"key\":1,\"source\":\"tests/data/dedup/corpus/a.txt\",\"paragraph\":1,\"line\":3,\"start\":24,\"end\":209,\"similarity\":1.0,\"exact\":true},\
        {\"key\":5,\"source\":\"tests/data/dedup/corpus/b.txt\",\"paragraph\":1,\"line\":3,\"start\":119,\"end\":311,\"similarity\":0.8203125,\"exact\":false}]}\n";
    assert_eq!(r.stdout, want);
    // The spans name the paragraphs: new.txt's bytes 96..210 are line 3.
    let new = fixture(NEW);
    assert!(new[96..210].starts_with(b"A small bakery") && new[96..210].ends_with(b"delight."));

    let r = dedup(&[NEW, "--against", &idx, "-q"]);
    assert_eq!(r.code, 0);
    let matches = &r.stdout[r.stdout.find("match 0:").unwrap()..];
    assert_eq!(
        matches,
        "match 0: tests/data/dedup/later/new.txt:1
    Tickets for the summer concert series go on sale at the town hall from nine o'clock on Monday.
  tests/data/dedup/corpus/b.txt:5  exact duplicate

match 1: tests/data/dedup/later/new.txt:3
    A small bakery on the harbour front has won a regional prize for its rye bread, its owners said with some delight.
  tests/data/dedup/corpus/b.txt:1  similarity 0.883

match 2: tests/data/dedup/later/new.txt:11
    THE COMMITTEE met on Tuesday to review the annual budget, and after a long debate it agreed to fund the new library wing, the repairs to the old bridge, and a study of the river floods.
  tests/data/dedup/corpus/a.txt:3  exact duplicate
  tests/data/dedup/corpus/b.txt:3  similarity 0.820

"
    );
    assert!(r.stdout.starts_with(
        "cluster 0: 2 paragraphs\n  tests/data/dedup/later/new.txt:7  representative"
    ));
    // --max-members limits the matches listed too.
    let r = dedup(&[NEW, "--against", &idx, "-q", "--max-members", "1"]);
    assert!(
        r.stdout
            .ends_with("  tests/data/dedup/corpus/a.txt:3  exact duplicate\n  … and 1 more\n\n"),
        "{}",
        r.stdout
    );
}

#[test]
fn against_with_write_deduped_removes_matches_and_duplicates() {
    let dir = TempDir::new("against-deduped");
    let idx = save(&dir, "old.idx", &[CORPUS], &[]);
    let out = dir.path("out");
    let stats = dir.path("stats.json");
    let r = dedup(&[
        NEW,
        "--against",
        &idx,
        "-q",
        "--write-deduped",
        out.to_str().unwrap(),
        "--stats-json",
        stats.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // Lines 1, 3 and 11 repeat the index; line 14 repeats line 7.
    let input = fixture(NEW);
    let want = without(&input, &[(0, 94), (96, 210), (636, 821), (823, 983)]);
    assert_eq!(fs::read(out.join("new.txt")).unwrap(), want);
    let kept = String::from_utf8(want).unwrap();
    assert!(kept.starts_with("\n\nLocal schools will open an hour earlier"));
    assert_eq!(kept.matches("The library will extend").count(), 1);

    let v: serde_json::Value = serde_json::from_str(&fs::read_to_string(&stats).unwrap()).unwrap();
    assert_eq!(v["duplicate_paragraphs"], 4);
    assert_eq!(
        v["index"],
        serde_json::json!({"loaded": 9, "matched": 3, "kept": null, "saved": null})
    );
    assert!(v["index_seconds"]["load"].as_f64().unwrap() >= 0.0);
}

#[test]
fn save_index_names_every_distinct_paragraph_and_grows_with_against() {
    let dir = TempDir::new("grow");
    let idx = save(&dir, "old.idx", &[CORPUS], &[]);
    // 10 paragraphs, one an exact copy (c.txt:2 of a.txt:8): 9 keys, in input order.
    let names = fs::read_to_string(format!("{idx}.names.jsonl")).unwrap();
    let lines: Vec<&str> = names.lines().collect();
    assert_eq!(lines.len(), 10);
    assert!(lines[0].starts_with("{\"paradup_names\":1,\"index_checksum\":\""));
    assert!(lines[0].ends_with("\",\"entries\":9}"));
    let checksum = &fs::read(&idx).unwrap()[fs::metadata(&idx).unwrap().len() as usize - 8..];
    let hex: String = checksum.iter().rev().map(|b| format!("{b:02x}")).collect();
    assert!(lines[0].contains(&hex), "{} vs {hex}", lines[0]);
    assert_eq!(
        lines[4],
        "{\"key\":3,\"source\":\"tests/data/dedup/corpus/a.txt\",\"paragraph\":3,\"line\":8,\"start\":334,\"end\":488}"
    );
    assert_eq!(
        lines[9],
        "{\"key\":8,\"source\":\"tests/data/dedup/corpus/nested/c.txt\",\"paragraph\":2,\"line\":3,\"start\":266,\"end\":354}"
    );

    // Adding the later crawl: the 5 paragraphs the index does not hold exactly get
    // keys 9 to 13; the names of keys 0 to 8 are carried over unchanged.
    let both = dir.path("both.idx").to_str().unwrap().to_string();
    let r = dedup(&[
        NEW,
        "--against",
        &idx,
        "--save-index",
        &both,
        "--stats-json",
        dir.path("s.json").to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("index      loaded 9 paragraphs in "),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("; 3 paragraphs matched one seen before ("),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("; saved 14 paragraphs in "),
        "{}",
        r.stderr
    );
    let grown = fs::read_to_string(format!("{both}.names.jsonl")).unwrap();
    let grown: Vec<&str> = grown.lines().collect();
    assert_eq!(grown.len(), 15);
    assert_eq!(grown[1..10], lines[1..10]);
    let new_lines: Vec<String> = grown[10..]
        .iter()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            format!(
                "{}={}:{}",
                v["key"],
                v["source"].as_str().unwrap(),
                v["line"]
            )
        })
        .collect();
    assert_eq!(
        new_lines,
        [
            "9=tests/data/dedup/later/new.txt:3",
            "10=tests/data/dedup/later/new.txt:5",
            "11=tests/data/dedup/later/new.txt:7",
            "12=tests/data/dedup/later/new.txt:9",
            "13=tests/data/dedup/later/new.txt:14"
        ]
    );

    // Against the grown index, every paragraph of the crawl is an exact repeat.
    let r = dedup(&[NEW, "--against", &both, "--format", "pairs", "-q"]);
    let exact: Vec<&str> = r.stdout.lines().filter(|l| l.ends_with("\t1.0")).collect();
    assert_eq!(
        exact,
        [
            "tests/data/dedup/later/new.txt:1\ttests/data/dedup/corpus/b.txt:5\t1.0",
            "tests/data/dedup/later/new.txt:3\ttests/data/dedup/later/new.txt:3\t1.0",
            "tests/data/dedup/later/new.txt:5\ttests/data/dedup/later/new.txt:5\t1.0",
            "tests/data/dedup/later/new.txt:7\ttests/data/dedup/later/new.txt:7\t1.0",
            "tests/data/dedup/later/new.txt:9\ttests/data/dedup/later/new.txt:9\t1.0",
            "tests/data/dedup/later/new.txt:11\ttests/data/dedup/corpus/a.txt:3\t1.0",
            "tests/data/dedup/later/new.txt:14\ttests/data/dedup/later/new.txt:14\t1.0",
        ]
    );

    // Saving over the index just loaded replaces it whole, names included.
    let r = dedup(&[NEW, "--against", &idx, "--save-index", &idx, "-q"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(fs::read(&idx).unwrap(), fs::read(&both).unwrap());
    assert_eq!(
        fs::read(format!("{idx}.names.jsonl")).unwrap(),
        fs::read(format!("{both}.names.jsonl")).unwrap()
    );
    // No temporary files are left behind.
    let mut left: Vec<String> = fs::read_dir(&dir.0)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    left.sort();
    assert_eq!(
        left,
        [
            "both.idx",
            "both.idx.names.jsonl",
            "old.idx",
            "old.idx.names.jsonl",
            "s.json"
        ]
    );
}

#[test]
fn bad_index_files_exit_2_with_the_library_message() {
    let dir = TempDir::new("bad-index");
    let idx = save(&dir, "old.idx", &[CORPUS], &[]);
    let bytes = fs::read(&idx).unwrap();
    let names = fs::read(format!("{idx}.names.jsonl")).unwrap();
    let run = |name: &str, index: Option<&[u8]>, names: Option<&[u8]>| {
        let path = dir.path(name);
        if let Some(b) = index {
            fs::write(&path, b).unwrap();
        }
        if let Some(n) = names {
            fs::write(dir.path(&format!("{name}.names.jsonl")), n).unwrap();
        }
        let p = path.to_str().unwrap().to_string();
        let r = dedup(&[NEW, "--against", &p]);
        assert_eq!((r.code, r.stdout.as_str()), (2, ""), "{name}: {}", r.stderr);
        r.stderr.replace(&p, "FILE")
    };
    let mut flipped = bytes.clone();
    flipped[100] ^= 0x20;
    assert_eq!(
        run("flipped.idx", Some(&flipped), Some(&names)),
        "dedup: error: FILE: index file is corrupt (checksum mismatch)\n"
    );
    assert_eq!(
        run("short.idx", Some(&bytes[..bytes.len() - 10]), Some(&names)),
        format!(
            "dedup: error: FILE: index file is truncated or padded: expected {} bytes, found {}\n",
            bytes.len(),
            bytes.len() - 10
        )
    );
    assert_eq!(
        run(
            "text.idx",
            Some(b"Minutes of the meeting, not an index"),
            Some(&names)
        ),
        "dedup: error: FILE: not a paradup index (wrong magic bytes)\n"
    );
    assert_eq!(
        run("missing.idx", None, None),
        "dedup: error: cannot load the index: I/O error: FILE: No such file or directory (os error 2)\n"
    );
    // The index is fine but its names are missing, for another index, or damaged.
    assert_eq!(
        run("unnamed.idx", Some(&bytes), None),
        "dedup: error: FILE.names.jsonl: cannot read the index's names (No such file or \
         directory (os error 2)); --save-index writes them beside the index\n"
    );
    let other = save(&dir, "other.idx", &[NEW], &[]);
    let other_names = fs::read(format!("{other}.names.jsonl")).unwrap();
    let err = run("swapped.idx", Some(&bytes), Some(&other_names));
    assert!(
        err.starts_with(
            "dedup: error: FILE.names.jsonl: line 1: written for another index (index checksum "
        ),
        "{err}"
    );
    let damaged = String::from_utf8(names.clone())
        .unwrap()
        .replace("\"key\":4,", "\"key\":\"4\",");
    assert_eq!(
        run("damaged.idx", Some(&bytes), Some(damaged.as_bytes())),
        "dedup: error: FILE.names.jsonl: line 6: field \"key\" missing or not an unsigned integer\n"
    );
}

#[test]
fn mismatched_threshold_exits_2_naming_it() {
    let dir = TempDir::new("mismatch");
    let idx = save(&dir, "t05.idx", &[CORPUS], &["--threshold", "0.5"]);
    let r = dedup(&[NEW, "--against", &idx, "--threshold", "0.7"]);
    assert_eq!(
        (r.code, r.stdout.as_str(), r.stderr.as_str()),
        (
            2,
            "",
            format!(
                "dedup: error: {idx}: index was built with threshold = 0.5, but the deduper \
                 uses 0.7 (match against it with the options it was saved with)\n"
            )
            .as_str()
        )
    );
    // With the threshold it was saved with, it loads.
    let r = dedup(&[
        NEW,
        "--against",
        &idx,
        "--threshold",
        "0.5",
        "-q",
        "--format",
        "pairs",
    ]);
    assert_eq!((r.code, r.stdout.as_str()), (0, NEW_PAIRS));
}

#[test]
fn save_index_never_overwrites_an_input() {
    let dir = TempDir::new("save-input");
    let input = dir.path("a.txt");
    fs::write(&input, fixture(&format!("{CORPUS}/a.txt"))).unwrap();
    let p = input.to_str().unwrap();
    let r = dedup(&[p, "--save-index", p]);
    assert_eq!(
        (r.code, r.stderr.clone()),
        (
            2,
            format!("dedup: error: refusing to write {p} (--save-index): it is the input {p}\n")
        )
    );
    assert_eq!(
        fs::read(&input).unwrap(),
        fixture(&format!("{CORPUS}/a.txt"))
    );
}

/// The naive first-wins loop: each paragraph in order is compared with every
/// paragraph kept so far; it goes if any is equal after normalization or has exact
/// Jaccard at least `threshold`. Returns the (dropped, kept-it-matched) label pairs
/// and the dropped paragraphs' indices.
fn naive_first_wins(
    ps: &[(String, String)],
    threshold: f64,
) -> (BTreeSet<(String, String)>, Vec<usize>) {
    let mut kept: Vec<usize> = Vec::new();
    let mut pairs = BTreeSet::new();
    let mut dropped = Vec::new();
    for (i, (label, text)) in ps.iter().enumerate() {
        let mut matched = false;
        for &k in &kept {
            let (exact, j) = compare(text, &ps[k].1);
            assert!(
                exact || !(0.52..0.7).contains(&j),
                "{label} ~ {}: {j}",
                ps[k].0
            );
            if exact || j >= threshold {
                pairs.insert((label.clone(), ps[k].0.clone()));
                matched = true;
            }
        }
        if matched {
            dropped.push(i);
        } else {
            kept.push(i);
        }
    }
    (pairs, dropped)
}

/// The byte span of each line of `path` (paragraphs are lines there).
fn line_spans(path: &str) -> Vec<(usize, usize)> {
    let bytes = fixture(path);
    let mut spans = Vec::new();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'\n' {
            spans.push((start, i));
            start = i + 1;
        }
    }
    spans
}

#[test]
fn first_wins_equals_a_naive_loop() {
    let ps = paragraphs(STREAM);
    assert_eq!(ps.len(), 8);
    let (want_pairs, dropped) = naive_first_wins(&ps, DEFAULT_THRESHOLD);
    assert_eq!(
        dropped,
        [2, 5, 6],
        "X' goes, X'' stays (it does not match X), repeats go"
    );

    let dir = TempDir::new("first-wins");
    let out = dir.path("out");
    let idx = dir.path("kept.idx");
    let r = dedup(&[
        STREAM,
        "--first-wins",
        "--format",
        "pairs",
        "--write-deduped",
        out.to_str().unwrap(),
        "--save-index",
        idx.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let got = pairs(&r.stdout);
    assert_eq!(got.keys().cloned().collect::<BTreeSet<_>>(), want_pairs);
    assert_eq!(
        r.stdout,
        "tests/data/dedup/stream.txt:3\ttests/data/dedup/stream.txt:1\t0.734375\n\
         tests/data/dedup/stream.txt:6\ttests/data/dedup/stream.txt:2\t1.0\n\
         tests/data/dedup/stream.txt:7\ttests/data/dedup/stream.txt:5\t1.0\n"
    );
    assert!(
        r.stderr
            .contains("found      8 paragraphs (1.7 kB): 2 exact duplicates; first-wins kept 5\n"),
        "{}",
        r.stderr
    );
    let spans = line_spans(STREAM);
    let removed: Vec<(usize, usize)> = dropped.iter().map(|&i| spans[i]).collect();
    assert_eq!(
        fs::read(out.join("stream.txt")).unwrap(),
        without(&fixture(STREAM), &removed)
    );
    // The index saved holds the kept paragraphs, keys 0 to 4.
    let names = fs::read_to_string(dir.path("kept.idx.names.jsonl")).unwrap();
    let kept: Vec<String> = names
        .lines()
        .skip(1)
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            format!("{}={}", v["key"], v["line"])
        })
        .collect();
    assert_eq!(kept, ["0=1", "1=2", "2=4", "3=5", "4=8"]);

    // With --chaining the batch clusters chain X, X' and X'' (and X'' again) into one
    // cluster and keep only X: first-wins keeps X'' as well.
    let batch_out = dir.path("batch");
    let r = dedup(&[
        STREAM,
        "-q",
        "--chaining",
        "--write-deduped",
        batch_out.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0);
    let batch_removed: Vec<(usize, usize)> = [2, 4, 5, 6].iter().map(|&i| spans[i]).collect();
    assert_eq!(
        fs::read(batch_out.join("stream.txt")).unwrap(),
        without(&fixture(STREAM), &batch_removed)
    );
    // Without it (anti-chaining, the default), X'' fails against X and keeps its own
    // cluster with its copy: the batch run removes what first-wins removes.
    let unchained_out = dir.path("unchained");
    let r = dedup(&[
        STREAM,
        "-q",
        "--write-deduped",
        unchained_out.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0);
    assert_eq!(
        fs::read(unchained_out.join("stream.txt")).unwrap(),
        fs::read(out.join("stream.txt")).unwrap()
    );
}

#[test]
fn first_wins_against_an_index_drops_what_the_index_holds() {
    let dir = TempDir::new("first-wins-against");
    let idx = save(&dir, "old.idx", &[CORPUS], &[]);
    let r = dedup(&[
        NEW,
        "--first-wins",
        "--against",
        &idx,
        "--format",
        "pairs",
        "-q",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // The index's matches as in batch mode, then line 14 against line 7, kept
    // earlier in the stream (an estimate here, where the batch pair is exact Jaccard).
    assert_eq!(
        r.stdout,
        "tests/data/dedup/later/new.txt:1\ttests/data/dedup/corpus/b.txt:5\t1.0\n\
         tests/data/dedup/later/new.txt:3\ttests/data/dedup/corpus/b.txt:1\t0.8828125\n\
         tests/data/dedup/later/new.txt:11\ttests/data/dedup/corpus/a.txt:3\t1.0\n\
         tests/data/dedup/later/new.txt:11\ttests/data/dedup/corpus/b.txt:3\t0.8203125\n\
         tests/data/dedup/later/new.txt:14\ttests/data/dedup/later/new.txt:7\t0.8984375\n"
    );
    // jsonl: one object per dropped paragraph, nothing else.
    let r = dedup(&[
        NEW,
        "--first-wins",
        "--against",
        &idx,
        "--format",
        "jsonl",
        "-q",
    ]);
    let firsts: Vec<String> = r
        .stdout
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            format!("{}:{}", v["match"], v["line"])
        })
        .collect();
    assert_eq!(firsts, ["0:1", "1:3", "2:11", "3:14"]);
}

#[test]
fn index_options_conflict_where_they_cannot_work_together() {
    for args in [
        &["--first-wins", "--keep", "longest"][..],
        &["--against", "x.idx", "--annotate", "out"][..],
        &["--first-wins", "--annotate", "out"][..],
    ] {
        let r = dedup(args);
        assert_eq!(r.code, 2, "{args:?}");
        assert!(r.stderr.contains("cannot be used with"), "{}", r.stderr);
    }
}

#[test]
fn first_wins_across_chunks_keeps_first_occurrences_whatever_the_threads() {
    // Longer than one chunk of the streaming pass (8,192 paragraphs): 20,000 lines
    // drawn from 1,500 distinct lines of 12 random words, which share no 2-gram.
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let base: Vec<String> = (0..1500)
        .map(|_| {
            (0..12)
                .map(|_| format!("w{}", next() % 50_000))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    let picks: Vec<usize> = (0..20_000).map(|_| (next() % 1500) as usize).collect();
    let text: String = picks.iter().map(|&i| base[i].clone() + "\n").collect();
    // Naively: a line goes when its text came before, matching that first line.
    let mut first: HashMap<usize, usize> = HashMap::new();
    let mut want = String::new();
    for (line, &i) in picks.iter().enumerate() {
        match first.get(&i) {
            Some(&f) => want += &format!("-:{}\t-:{}\t1.0\n", line + 1, f + 1),
            None => {
                first.insert(i, line);
            }
        }
    }
    assert!(first.len() > 1400 && want.lines().count() > 18_000);
    for threads in ["1", "2"] {
        let r = dedup_with_stdin(
            &[
                "-",
                "--first-wins",
                "--format",
                "pairs",
                "-q",
                "--threads",
                threads,
            ],
            Some(text.as_bytes()),
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(r.stdout == want, "threads {threads}: the output differs");
    }
}

#[test]
fn an_index_of_jsonl_records_names_them_by_id_file_and_line() {
    let dir = TempDir::new("records-index");
    let idx = save(&dir, "r.idx", &["tests/data/dedup/records.jsonl.gz"], &[]);
    let r = dedup(&[CORPUS, "--against", &idx, "-q"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let matches = &r.stdout[r.stdout.find("match 0:").unwrap()..];
    assert_eq!(
        matches,
        "match 0: tests/data/dedup/corpus/a.txt:8
    Rain is expected across the northern hills tonight, with strong winds near the coast and snow on the highest peaks by the early hours of Thursday morning.
  2:3  exact duplicate (tests/data/dedup/records.jsonl.gz line 2)

match 1: tests/data/dedup/corpus/nested/c.txt:2
    RAIN is expected across the northern hills tonight; with strong winds near the coast, and snow on the highest peaks by the early hours of Thursday morning!
  2:3  exact duplicate (tests/data/dedup/records.jsonl.gz line 2)

"
    );
    let r = dedup(&[CORPUS, "--against", &idx, "-q", "--format", "jsonl"]);
    assert!(
        r.stdout.lines().last().unwrap().ends_with(
            "\"matches\":[{\"key\":2,\"source\":\"2\",\"file\":\"tests/data/dedup/records.jsonl.gz\",\
             \"record\":1,\"paragraph\":1,\"line\":3,\"start\":87,\"end\":241,\"similarity\":1.0,\"exact\":true}]}"
        ),
        "{}",
        r.stdout
    );
}

#[test]
fn an_index_that_cannot_be_written_is_a_warning_and_exit_1() {
    let dir = TempDir::new("unwritable");
    let path = dir.path("no/such/dir/x.idx");
    let p = path.to_str().unwrap();
    let r = dedup(&[NEW, "-q", "--format", "pairs", "--save-index", p]);
    assert_eq!(r.code, 1);
    // The report is still written.
    assert_eq!(
        r.stdout,
        "tests/data/dedup/later/new.txt:7\ttests/data/dedup/later/new.txt:14\t0.8571428571428571\n"
    );
    assert!(
        r.stderr
            .starts_with(&format!("dedup: warning: {p}: cannot write: ")),
        "{}",
        r.stderr
    );
    assert!(!path.exists());
}

#[test]
fn against_lists_at_most_the_best_16_matches_of_a_paragraph() {
    // 3,000 paragraphs of 40 words, each the base with one word replaced: every pair is
    // a near-duplicate (word 2-gram Jaccard 0.81 or more), so each of them matches a
    // paragraph close to the base. Without a cap, a match record listed all 3,000.
    let dir = TempDir::new("against-top-k");
    let base: Vec<String> = (0..40).map(|j| format!("base{j}")).collect();
    let paragraph = |i: usize| {
        let mut w = base.clone();
        w[i % 40] = format!("new{i}");
        w.join(" ")
    };
    let old: Vec<String> = (0..3000).map(paragraph).collect();
    let old_path = dir.path("old.txt");
    fs::write(&old_path, old.join("\n\n") + "\n").unwrap();
    let idx = save(&dir, "old.idx", &[old_path.to_str().unwrap()], &[]);
    // The base itself (in no paragraph of the index), then an exact copy of paragraph 0.
    let new_path = dir.path("new.txt");
    fs::write(&new_path, format!("{}\n\n{}\n", base.join(" "), old[0])).unwrap();
    let r = dedup(&[
        new_path.to_str().unwrap(),
        "--against",
        &idx,
        "--format",
        "jsonl",
        "-q",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let records: Vec<serde_json::Value> = r
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|v: &serde_json::Value| v.get("match").is_some())
        .collect();
    assert_eq!(records.len(), 2, "{}", r.stdout);
    for (record, line) in records.iter().zip([1, 3]) {
        assert_eq!(record["line"], line);
        let matches = record["matches"].as_array().unwrap();
        assert_eq!(matches.len(), 16, "line {line}");
        assert_eq!(matches.len(), paradup::index::DEFAULT_MAX_MATCHES);
        // Best first: similarity never rises, and ties go by key.
        for w in matches.windows(2) {
            let (a, b) = (&w[0], &w[1]);
            let (sa, sb) = (
                a["similarity"].as_f64().unwrap(),
                b["similarity"].as_f64().unwrap(),
            );
            assert!(
                sa > sb || (sa == sb && a["key"].as_u64() < b["key"].as_u64()),
                "line {line}: {a} before {b}"
            );
        }
    }
    // The exact copy comes first, and only it is exact.
    let second = records[1]["matches"].as_array().unwrap();
    assert_eq!(second[0]["key"], 0);
    assert_eq!(second[0]["exact"], true);
    assert_eq!(second[0]["line"], 1);
    assert!(second[1..].iter().all(|m| m["exact"] == false));
    assert!(
        records[0]["matches"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["exact"] == false && m["similarity"].as_f64().unwrap() >= 0.6)
    );
}
