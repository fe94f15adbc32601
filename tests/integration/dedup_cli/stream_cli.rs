//! `dedup --stream`: the same reports, notes, summary and outputs as the in-memory
//! run, byte for byte, with the corpus read again for each pass instead of held.
//!
//! Fixture: a tree written by [`write_tree`] (blank-line and per-line text, CRLF, a
//! gzip file, invalid UTF-8 before and inside duplicates, a binary file, JSONL with
//! ids, escapes, malformed lines and invalid UTF-8) and a 1.1 MB file that the stream
//! reads in pieces ([`write_big`]), plus the checked-in `records.jsonl.gz` and `bad/` (a corrupt gzip
//! file, a zstd file, more malformed lines).

use super::{TempDir, dedup, dedup_with, dedup_with_stdin, stats_json};
use std::fs;
use std::io::Write;
use std::path::Path;

const A: &str = "The committee met on Tuesday to discuss the new budget for the river \
    bridge, and agreed that work should start before the spring floods arrive.";
const B: &str = "Rain is expected across the northern hills tonight, with strong winds near \
    the coast and snow on the highest peaks by the early hours of Thursday morning.";
const C: &str = "Shares in the mining company fell sharply after it reported lower output \
    from its two largest sites and warned that costs would keep rising this year.";

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// A paragraph of `n` words from a fixed-seed generator.
fn words(seed: &mut u64, n: usize) -> String {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        out.push(format!("w{}", (*seed >> 33) % 5000));
    }
    out.join(" ")
}

/// Writes the fixture tree under `root`.
fn write_tree(root: &Path) {
    fs::create_dir_all(root.join("sub")).unwrap();
    let w = |rel: &str, bytes: &[u8]| fs::write(root.join(rel), bytes).unwrap();
    w(
        "blank.txt",
        format!("Intro line.\n\n{A}\nwrapped here.\n\n{B}\n\nThe end.\n").as_bytes(),
    );
    w(
        "lines.txt",
        format!("{C}\n{A} Yes.\nshort line\n{B}\n").as_bytes(),
    );
    w(
        "crlf.txt",
        format!("Title\r\n\r\n{A}\r\nwrapped here.\r\n\r\n{C}").as_bytes(),
    );
    w(
        "sub/zipped.txt.gz",
        &gzip(format!("{B} Again.\n\n{C}\n").as_bytes()),
    );
    let mut latin1 = b"Caf\xe9 first \xff\xfe paragraph.\n\n".to_vec();
    latin1.extend_from_slice(format!("{A}\nwrapped ").as_bytes());
    latin1.extend_from_slice(b"\xe9 here.\n\n");
    latin1.extend_from_slice(b"\xe9\xe9 noise\n\n");
    latin1.extend_from_slice(format!("{C}\n").as_bytes());
    w("latin1.txt", &latin1);
    w("sub/bin.dat", b"text then \0 a NUL\n");
    let mut jsonl = format!(
        "{{\"id\":\"r1\",\"text\":\"{A}\\nwrapped here.\\n\\nOther words.\"}}\r\n\
         {{\"text\":\"{B}\",\"n\":[1,2]}}\n\
         \n\
         not json at all\n\
         {{\"id\":3,\"text\":\"caf\\u00e9 \\\"{C}\\\"\"}}\n\
         {{\"id\":\"no-text\"}}\n"
    )
    .into_bytes();
    // A record with a valid é and an invalid byte.
    jsonl.extend_from_slice(
        &[
            &b"{\"id\":\"lossy\",\"text\":\"\xc3\xa9\xff "[..],
            B.as_bytes(),
            b"\"}\n",
        ]
        .concat(),
    );
    w("sub/records.jsonl", &jsonl);
}

/// Writes `big.txt` under `dir`: over 1 MiB, so the stream reads it in pieces, with
/// duplicates near the start, across the middle and at the end.
fn write_big(dir: &Path) {
    let mut seed = 7;
    let mut big = String::new();
    let mut paras = Vec::new();
    while big.len() < 1_100_000 {
        let n = 40 + (seed as usize % 60);
        let p = words(&mut seed, n);
        big.push_str(&p);
        big.push_str("\n\n");
        paras.push(p);
    }
    for i in [3, 500, paras.len() / 2, paras.len() - 2] {
        big.push_str(&paras[i]);
        big.push_str(" extra\n\n");
    }
    fs::write(dir.join("big.txt"), big).unwrap();
}

/// The inputs of every run: the tree, a gzip JSONL file and `bad/`.
fn inputs(tree: &TempDir) -> Vec<String> {
    vec![
        tree.arg().to_string(),
        "tests/data/dedup/records.jsonl.gz".to_string(),
        "tests/data/dedup/bad".to_string(),
    ]
}

fn run(inputs: &[String], extra: &[&str]) -> super::Run {
    let mut args: Vec<&str> = inputs.iter().map(String::as_str).collect();
    args.extend_from_slice(extra);
    dedup(&args)
}

/// Standard error without the times (the `read` line's, the `time` and `throughput`
/// lines).
fn without_times(stderr: &str) -> String {
    stderr
        .lines()
        .filter(|l| !l.starts_with("time ") && !l.starts_with("throughput "))
        .map(|l| match l.strip_prefix("read ") {
            Some(rest) => format!("read {}", rest.split(" in ").next().unwrap()),
            None => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A `--stats-json` object without its `seconds`.
fn stats_without_times(path: &Path) -> serde_json::Value {
    let mut v = stats_json(path);
    v.as_object_mut().unwrap().remove("seconds");
    v
}

#[test]
fn stream_reports_equal_the_in_memory_ones_for_every_format() {
    let tree = TempDir::new("stream-tree");
    write_tree(&tree.0);
    let big = TempDir::new("stream-big");
    write_big(&big.0);
    let spill = TempDir::new("stream-spill");
    for format in ["text", "jsonl", "pairs"] {
        // The big file takes a second a run in a debug build: with one format only.
        let mut inputs = inputs(&tree);
        if format == "jsonl" {
            inputs.push(big.arg().to_string());
        }
        let stats = tree.path(&format!("../{format}-stats.json"));
        let stats_arg = stats.to_str().unwrap();
        let base = ["--format", format, "--stats-json", stats_arg];
        let memory = run(&inputs, &base);
        let want_stats = stats_without_times(&stats);
        for extra in [
            &["--stream"][..],
            &["--memory-limit", "1", "--temp-dir", spill.arg()][..],
        ] {
            let streamed = run(&inputs, &[&base[..], extra].concat());
            let what = format!("--format {format} {extra:?}");
            assert_eq!(streamed.stdout, memory.stdout, "{what}");
            assert_eq!(streamed.code, memory.code, "{what}");
            assert_eq!(
                without_times(&streamed.stderr),
                without_times(&memory.stderr),
                "{what}"
            );
            assert_eq!(stats_without_times(&stats), want_stats, "{what}");
        }
        let _ = fs::remove_file(&stats);
        // Malformed lines, the corrupt gzip file and the zstd file make it 1.
        assert_eq!(memory.code, 1);
        for note in [
            "bin.dat:1: binary file (NUL byte), skipped (byte 10)",
            "latin1.txt:1: invalid UTF-8 (6 sequences)",
            "records.jsonl:4: malformed JSON record",
            "records.jsonl:6: no \"text\" field, skipped",
            "records.jsonl:7: invalid UTF-8 in 1 line",
            "corrupt.txt.gz: corrupt gzip stream",
        ] {
            assert!(memory.stderr.contains(note), "{note}: {}", memory.stderr);
        }
        // What the reports hold: spans after invalid bytes, records, gzip, big.txt.
        match format {
            "jsonl" => {
                for needle in [
                    "latin1.txt\",\"paragraph\":1,\"line\":3,\"start\":26,",
                    "{\"source\":\"r1\",\"file\":\"tests/data/dedup/records.jsonl.gz\",\"record\":0,\"paragraph\":0,\"line\":1,\"start\":0,",
                    "zipped.txt.gz\",\"paragraph\":1,\"line\":3,",
                    "big.txt\",\"paragraph\":3,\"line\":7,",
                ] {
                    assert!(
                        memory.stdout.contains(needle),
                        "{needle}: {}",
                        memory.stdout
                    );
                }
            }
            "text" => assert!(
                memory.stdout.contains("{+café \"Shares+}"),
                "{}",
                memory.stdout
            ),
            _ => assert!(memory.stdout.lines().count() >= 10, "{}", memory.stdout),
        }
    }
    // Every spill file was removed.
    assert_eq!(fs::read_dir(&spill.0).unwrap().count(), 0);
}

#[test]
fn stream_write_deduped_and_annotate_equal_the_in_memory_outputs() {
    let tree = TempDir::new("stream-rewrite-tree");
    write_tree(&tree.0);
    // bad/ has a latin1.txt too, which would be written to the same place.
    let inputs = [
        tree.arg().to_string(),
        "tests/data/dedup/records.jsonl.gz".to_string(),
    ];
    let out = TempDir::new("stream-rewrite-out");
    for keep in ["first", "longest"] {
        let dirs = |tag: &str| {
            (
                out.path(&format!("{keep}-{tag}-deduped")),
                out.path(&format!("{keep}-{tag}-ann")),
            )
        };
        let (d0, a0) = dirs("memory");
        let (d1, a1) = dirs("stream");
        let args = |d: &Path, a: &Path| {
            vec![
                "-q".to_string(),
                "--keep".to_string(),
                keep.to_string(),
                "--write-deduped".to_string(),
                d.display().to_string(),
                "--annotate".to_string(),
                a.display().to_string(),
            ]
        };
        let args0 = args(&d0, &a0);
        let r0 = run(
            &inputs,
            &args0.iter().map(String::as_str).collect::<Vec<_>>(),
        );
        let mut args1 = args(&d1, &a1);
        args1.push("--stream".to_string());
        let r1 = run(
            &inputs,
            &args1.iter().map(String::as_str).collect::<Vec<_>>(),
        );
        assert_eq!(
            (r0.code, &r0.stdout),
            (r1.code, &r1.stdout),
            "{}",
            r1.stderr
        );
        assert_eq!(r0.code, 1, "malformed lines: {}", r0.stderr);
        // The deduplicated tree holds a copy of the binary file sub/bin.dat too.
        for (x, y, n) in [(&d0, &d1, 8), (&a0, &a1, 7)] {
            let files = |d: &Path| {
                let mut v: Vec<_> = walk(d)
                    .into_iter()
                    .map(|p| {
                        (
                            p.strip_prefix(d).unwrap().to_path_buf(),
                            fs::read(&p).unwrap(),
                        )
                    })
                    .collect();
                v.sort();
                v
            };
            let (fx, fy) = (files(x), files(y));
            assert_eq!(
                fx.len(),
                n,
                "{:?}",
                fx.iter().map(|f| &f.0).collect::<Vec<_>>()
            );
            for (a, b) in fx.iter().zip(&fy) {
                assert_eq!(a.0, b.0);
                assert!(a.1 == b.1, "{keep}: {} differs", a.0.display());
            }
            assert_eq!(fx.len(), fy.len());
        }
        // Something was removed, and the deduped copy has no duplicates left.
        let orig = fs::read(tree.path("latin1.txt")).unwrap();
        let deduped = fs::read(d1.join("latin1.txt")).unwrap();
        assert!(deduped.len() < orig.len());
        let again = dedup(&[d1.to_str().unwrap(), "--stream", "--format", "jsonl", "-q"]);
        assert_eq!(again.stdout, "", "{keep}");
    }
}

/// The files under `dir`.
fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn stream_reads_stdin_through_a_spooled_copy() {
    let records = fs::read("tests/data/dedup/records.jsonl.gz").unwrap();
    let spool = TempDir::new("stream-stdin-spool");
    let out = TempDir::new("stream-stdin-out");
    let args = ["-", "--input-format", "jsonl", "--format", "jsonl", "-q"];
    let memory = dedup_with_stdin(&args, Some(&records));
    let d0 = out.path("memory");
    let d1 = out.path("stream");
    let memory_written = dedup_with_stdin(
        &[&args[..], &["--write-deduped", d0.to_str().unwrap()]].concat(),
        Some(&records),
    );
    let streamed = dedup_with_stdin(
        &[
            &args[..],
            &[
                "--stream",
                "--temp-dir",
                spool.arg(),
                "--write-deduped",
                d1.to_str().unwrap(),
            ],
        ]
        .concat(),
        Some(&records),
    );
    assert_eq!((memory.code, streamed.code), (0, 0), "{}", streamed.stderr);
    assert!(memory.stdout.contains("\"record\""), "{}", memory.stdout);
    assert_eq!(streamed.stdout, memory.stdout);
    assert_eq!(memory_written.stdout, memory.stdout);
    // Named as without --stream, gzip kept.
    assert_eq!(
        fs::read(d1.join("stdin.jsonl.gz")).unwrap(),
        fs::read(d0.join("stdin.jsonl.gz")).unwrap()
    );
    // The copy of standard input is gone.
    assert_eq!(fs::read_dir(&spool.0).unwrap().count(), 0);
}

#[test]
fn stream_refuses_what_it_cannot_do() {
    let corpus = "tests/data/dedup/corpus";
    for (args, needle) in [
        (
            vec!["--stream", "--against", "x.idx"],
            "'--stream' cannot be used with '--against <FILE>'",
        ),
        (
            vec!["--stream", "--save-index", "x.idx"],
            "'--stream' cannot be used with '--save-index <FILE>'",
        ),
        (
            vec!["--stream", "--first-wins"],
            "'--stream' cannot be used with '--first-wins'",
        ),
        (
            vec!["--memory-limit", "1G", "--first-wins"],
            "cannot be used with",
        ),
        (
            vec!["--memory-limit", "512M", "--similarity", "containment"],
            "dedup: error: --similarity containment keeps every signature in memory: it \
             cannot run under --memory-limit (use --stream alone)\n",
        ),
        (vec!["--memory-limit", "12X"], "\"12X\" is not a size"),
        (vec!["--memory-limit", "0"], "must be at least 1 byte"),
    ] {
        let r = dedup(&[&[corpus][..], &args[..]].concat());
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains(needle), "{args:?}: {}", r.stderr);
        assert_eq!(r.stdout, "");
    }
    // Sizes with suffixes are accepted; --memory-limit implies --stream.
    let want = dedup(&[corpus, "--format", "jsonl", "-q"]);
    for size in ["2G", "512M", "64k", "1000000", "3MiB"] {
        let r = dedup(&[corpus, "--format", "jsonl", "-q", "--memory-limit", size]);
        assert_eq!((r.code, &r.stdout), (0, &want.stdout), "{size}");
    }
    let r = dedup(&["--help"]);
    for needle in [
        "--stream",
        "--memory-limit <SIZE>",
        "--temp-dir <DIR>",
        "copied to a file",
    ] {
        assert!(r.stdout.contains(needle), "--help lacks {needle:?}");
    }
}

#[test]
fn inputs_over_the_memory_budget_run_under_a_memory_limit() {
    let tree = TempDir::new("budget");
    write_tree(&tree.0);
    let inputs = inputs(&tree);
    let mut args: Vec<&str> = inputs.iter().map(String::as_str).collect();
    args.extend_from_slice(&["--format", "jsonl"]);
    let memory = dedup_with(&args, None, &[("PARADUP_MEMORY_BUDGET", "off")]);
    assert_eq!(memory.code, 1, "{}", memory.stderr);
    assert!(
        !memory.stderr.contains("over the budget of"),
        "{}",
        memory.stderr
    );
    // A budget of 2 KiB: the inputs go over it, and the run spills.
    let limited = dedup_with(&args, None, &[("PARADUP_MEMORY_BUDGET", "2K")]);
    assert_eq!((limited.code, &limited.stdout), (1, &memory.stdout));
    let note = "over the budget of 2K (half of the available memory, or \
        PARADUP_MEMORY_BUDGET); running as with --memory-limit 2K";
    assert!(limited.stderr.contains(note), "{}", limited.stderr);
    let noted: String = limited
        .stderr
        .lines()
        .filter(|l| !l.contains("over the budget"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(without_times(&noted), without_times(&memory.stderr));
    // -q hides the note, not the limit; a budget the inputs fit in changes nothing.
    let quiet = [&args[..], &["-q"]].concat();
    let r = dedup_with(&quiet, None, &[("PARADUP_MEMORY_BUDGET", "2K")]);
    assert_eq!(
        (r.code, &r.stdout, r.stderr.contains("over the budget of")),
        (1, &memory.stdout, false)
    );
    let r = dedup_with(&args, None, &[("PARADUP_MEMORY_BUDGET", "1G")]);
    assert_eq!(
        (r.code, &r.stdout, r.stderr.contains("over the budget of")),
        (1, &memory.stdout, false)
    );
    // What cannot run under a limit runs in memory, and a bad budget is an error.
    let first_wins = [&args[..], &["--first-wins"]].concat();
    let r = dedup_with(&first_wins, None, &[("PARADUP_MEMORY_BUDGET", "2K")]);
    assert_eq!(
        (r.code, r.stderr.contains("over the budget of")),
        (1, false),
        "{}",
        r.stderr
    );
    let r = dedup_with(&args, None, &[("PARADUP_MEMORY_BUDGET", "12X")]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("PARADUP_MEMORY_BUDGET: \"12X\" is not a size"),
        "{}",
        r.stderr
    );
}
