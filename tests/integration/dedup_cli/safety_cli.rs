//! The deduper never loses or overwrites the user's data: outputs checked against
//! every input by identity before anything is read, written whole or not at all,
//! inputs that change between passes refused, read-once inputs read once, hostile
//! paths and options refused with a message.

use super::{P2, Run, TempDir, dedup, dedup_bin, dedup_with_stdin};
use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const P1: &str = "The committee met on Tuesday to review the annual budget, and after a long debate it agreed to fund the new library wing and the repairs to the old bridge.";
const P1B: &str = "The committee met on Tuesday to review the annual budget, and after a long debate it agreed to fund the new library wing and the repairs to the stone bridge.";

/// A tree `in/` with a duplicate pair across two files.
fn tree(t: &TempDir) {
    fs::create_dir_all(t.path("in")).unwrap();
    fs::write(t.path("in/a.txt"), format!("{P1}\n\n{P2}\n")).unwrap();
    fs::write(t.path("in/b.txt"), format!("Something else.\n\n{P1B}\n")).unwrap();
}

fn files_of(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Runs `cmd` to its end, failing the test (and killing it) after `limit`.
fn run_bounded(mut cmd: Command, limit: Duration) -> Run {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

#[test]
fn a_hard_linked_output_tree_is_refused_and_the_inputs_survive() {
    let t = TempDir::new("safety-hardlink");
    tree(&t);
    fs::create_dir_all(t.path("out")).unwrap();
    for f in ["a.txt", "b.txt"] {
        fs::hard_link(t.path(&format!("in/{f}")), t.path(&format!("out/{f}"))).unwrap();
    }
    let before = (
        fs::read(t.path("in/a.txt")).unwrap(),
        fs::read(t.path("in/b.txt")).unwrap(),
    );
    let out = t.path("out");
    let input = t.path("in");
    for stream in [false, true] {
        let mut args = vec![
            input.to_str().unwrap(),
            "--write-deduped",
            out.to_str().unwrap(),
        ];
        if stream {
            args.push("--stream");
        }
        let r = dedup(&args);
        assert_eq!(r.code, 2, "{}", r.stderr);
        assert!(r.stderr.contains("it is the input"), "{}", r.stderr);
        assert!(r.stdout.is_empty());
        let after = (
            fs::read(t.path("in/a.txt")).unwrap(),
            fs::read(t.path("in/b.txt")).unwrap(),
        );
        assert_eq!(after, before);
    }
}

#[test]
fn no_output_may_be_an_input_or_another_output() {
    let t = TempDir::new("safety-collide");
    tree(&t);
    let a = t.path("in/a.txt");
    let before = fs::read(&a).unwrap();
    let r = dedup(&[t.arg(), "--stats-json", a.to_str().unwrap()]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("(--stats-json): it is the input"),
        "{}",
        r.stderr
    );
    assert_eq!(fs::read(&a).unwrap(), before);

    // A symbolic link to an input is the input.
    std::os::unix::fs::symlink(&a, t.path("link.json")).unwrap();
    let r = dedup(&[
        t.path("in").to_str().unwrap(),
        "--stats-json",
        t.path("link.json").to_str().unwrap(),
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(fs::read(&a).unwrap(), before);

    // The deduplicated copy of r.jsonl and its annotations share a name.
    fs::write(
        t.path("r.jsonl"),
        format!("{{\"text\":\"{P1}\"}}\n{{\"text\":\"{P1B}\"}}\n"),
    )
    .unwrap();
    let o = t.path("o");
    let o = o.to_str().unwrap();
    let r = dedup(&[
        t.path("r.jsonl").to_str().unwrap(),
        "--write-deduped",
        o,
        "--annotate",
        o,
    ]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("would be written twice"), "{}", r.stderr);
    assert!(!t.path("o").exists());

    // The index, its replacement and the stats in one file.
    let idx = t.path("x.idx");
    let idx = idx.to_str().unwrap();
    let input = t.path("in");
    let input = input.to_str().unwrap();
    assert_eq!(dedup(&[input, "--save-index", idx, "-q"]).code, 0);
    let saved = fs::read(idx).unwrap();
    let r = dedup(&[
        input,
        "--against",
        idx,
        "--save-index",
        idx,
        "--stats-json",
        idx,
    ]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("would be written twice"), "{}", r.stderr);
    let r = dedup(&[input, "--against", idx, "--stats-json", idx]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("it is the input"), "{}", r.stderr);
    assert_eq!(fs::read(idx).unwrap(), saved);
    // ... and replacing the loaded index itself is allowed.
    let r = dedup(&[input, "--against", idx, "--save-index", idx, "-q"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(dedup(&[input, "--against", idx, "-q"]).code, 0);
}

#[test]
fn a_bad_output_is_refused_before_anything_is_read() {
    let t = TempDir::new("safety-early");
    fs::write(t.path("file"), "x").unwrap();
    // Standard input is never closed: a run that read before checking would hang.
    let mut cmd = Command::new(dedup_bin());
    cmd.args(["-", "--write-deduped", t.path("file").to_str().unwrap()])
        .stdin(Stdio::piped());
    let r = run_bounded(cmd, Duration::from_secs(60));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("not a directory"), "{}", r.stderr);
    let mut cmd = Command::new(dedup_bin());
    cmd.args(["-", "--stats-json", t.arg()])
        .stdin(Stdio::piped());
    let r = run_bounded(cmd, Duration::from_secs(60));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("is a directory"), "{}", r.stderr);
}

#[test]
fn binary_files_are_copied_unchanged_into_the_deduped_tree() {
    let t = TempDir::new("safety-binary");
    tree(&t);
    let utf16: Vec<u8> = "hello"
        .encode_utf16()
        .flat_map(|u| u.to_le_bytes())
        .collect();
    fs::write(t.path("in/c.utf16"), &utf16).unwrap();
    fs::write(t.path("in/d.txt"), b"text with one NUL \0 byte\n").unwrap();
    let input = t.path("in");
    for (n, stream) in [(0, false), (1, true)] {
        let out = t.path(&format!("out{n}"));
        let mut args = vec![
            input.to_str().unwrap(),
            "--write-deduped",
            out.to_str().unwrap(),
        ];
        if stream {
            args.push("--stream");
        }
        let r = dedup(&args);
        assert_eq!(r.code, 1, "{}", r.stderr);
        assert_eq!(
            r.stderr.matches("binary file (NUL byte), skipped").count(),
            2
        );
        assert_eq!(files_of(&out), ["a.txt", "b.txt", "c.utf16", "d.txt"]);
        assert_eq!(fs::read(out.join("c.utf16")).unwrap(), utf16);
        assert_eq!(
            fs::read(out.join("d.txt")).unwrap(),
            b"text with one NUL \0 byte\n"
        );
    }
}

#[test]
fn a_failed_write_leaves_no_partial_output() {
    let t = TempDir::new("safety-fsize");
    fs::create_dir_all(t.path("in")).unwrap();
    let mut big = String::new();
    for i in 0..20_000 {
        big.push_str(&format!("paragraph number {i} of a long file\n"));
    }
    fs::write(t.path("in/big.txt"), &big).unwrap();
    // A file-size limit of 64 KiB with SIGXFSZ ignored: the write fails with EFBIG.
    let script = format!(
        "trap '' XFSZ; ulimit -f 128; exec '{}' '{}' --write-deduped '{}' --stats-json '{}'",
        dedup_bin().display(),
        t.path("in").display(),
        t.path("out").display(),
        t.path("stats.json").display()
    );
    let mut cmd = Command::new("sh");
    cmd.args(["-c", &script]);
    let r = run_bounded(cmd, Duration::from_secs(120));
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("cannot write"), "{}", r.stderr);
    // Nothing under the final name, and no temporary file left.
    assert!(
        files_of(&t.path("out")).is_empty(),
        "{:?}",
        files_of(&t.path("out"))
    );
    assert!(t.path("stats.json").exists());
}

#[test]
fn the_byte_order_mark_stays_when_the_first_paragraph_goes() {
    let t = TempDir::new("safety-bom");
    fs::create_dir_all(t.path("in")).unwrap();
    fs::write(t.path("in/a.txt"), format!("{P1}\n\n{P2}\n")).unwrap();
    fs::write(t.path("in/b.txt"), format!("\u{feff}{P1B}\n\nThe rest.\n")).unwrap();
    let r = dedup(&[
        t.path("in").to_str().unwrap(),
        "--write-deduped",
        t.path("out").to_str().unwrap(),
        "-q",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        fs::read_to_string(t.path("out/b.txt")).unwrap(),
        "\u{feff}\nThe rest.\n"
    );
}

#[test]
fn stream_reads_pipes_and_fifos_once() {
    let t = TempDir::new("safety-fifo");
    let text = format!("{P1}\n\n{P2}\n\n{P1B}\n");
    let expected = dedup_with_stdin(&["-", "--format", "pairs", "-q"], Some(text.as_bytes()));
    assert_eq!(expected.stdout.lines().count(), 1);
    let r = dedup_with_stdin(
        &["--stream", "/dev/stdin", "--format", "pairs", "-q"],
        Some(text.as_bytes()),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout.lines().count(), 1);
    let fifo = t.path("fifo");
    let ok = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success();
    assert!(ok);
    let writer = {
        let (fifo, text) = (fifo.clone(), text.clone());
        std::thread::spawn(move || fs::write(fifo, text))
    };
    let mut cmd = Command::new(dedup_bin());
    cmd.args([
        "--stream",
        fifo.to_str().unwrap(),
        "--format",
        "pairs",
        "-q",
    ]);
    let r = run_bounded(cmd, Duration::from_secs(60));
    writer.join().unwrap().unwrap();
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout.lines().count(), 1, "{}", r.stdout);
}

#[test]
fn inputs_that_never_end_are_bounded() {
    let mut cmd = Command::new(dedup_bin());
    cmd.args(["/dev/zero", "-q"]);
    let r = run_bounded(cmd, Duration::from_secs(60));
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains("/dev/zero:1: binary file (NUL byte), skipped (byte 0)"),
        "{}",
        r.stderr
    );
    let mut cmd = Command::new(dedup_bin());
    cmd.args(["--stream", "/dev/zero", "-q"]);
    let r = run_bounded(cmd, Duration::from_secs(60));
    assert_eq!(r.code, 1, "{}", r.stderr);

    // A FIFO inside a directory is left out (no writer ever opens it).
    let t = TempDir::new("safety-dirfifo");
    tree(&t);
    let ok = Command::new("mkfifo")
        .arg(t.path("in/pipe"))
        .status()
        .unwrap()
        .success();
    assert!(ok);
    for stream in [false, true] {
        let mut cmd = Command::new(dedup_bin());
        cmd.args([t.path("in").to_str().unwrap(), "--format", "pairs", "-q"]);
        if stream {
            cmd.arg("--stream");
        }
        let r = run_bounded(cmd, Duration::from_secs(60));
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(
            r.stderr.contains("pipe: not a regular file"),
            "{}",
            r.stderr
        );
        assert_eq!(r.stdout.lines().count(), 1);
    }
}

#[test]
fn a_file_reached_twice_is_read_once() {
    let t = TempDir::new("safety-twice");
    tree(&t);
    std::os::unix::fs::symlink(t.path("in/a.txt"), t.path("link.txt")).unwrap();
    let a = t.path("in/a.txt");
    let a = a.to_str().unwrap();
    let link = t.path("link.txt");
    for args in [
        vec![a, a],
        vec![a, link.to_str().unwrap()],
        vec![t.path("in").to_str().unwrap(), a],
    ] {
        let mut args = args.clone();
        args.extend(["--format", "pairs", "-q"]);
        let r = dedup(&args);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(r.stderr.contains("the same file as"), "{}", r.stderr);
        // a.txt alone has no duplicate; with b.txt, one pair; never a.txt with itself.
        let own = format!("{a}:1\t{a}:1");
        assert!(!r.stdout.contains(&own), "{}", r.stdout);
        assert!(r.stdout.lines().count() <= 1, "{}", r.stdout);
    }
}

#[test]
fn names_that_are_not_utf8_stay_distinct() {
    use std::os::unix::ffi::OsStrExt;
    let t = TempDir::new("safety-names");
    fs::create_dir_all(t.path("in")).unwrap();
    let dir = t.path("in");
    let a = dir.join(std::ffi::OsStr::from_bytes(b"a\xff.txt"));
    let b = dir.join(std::ffi::OsStr::from_bytes(b"a\xfe.txt"));
    fs::write(&a, format!("{P1}\n")).unwrap();
    fs::write(&b, format!("{P1B}\n")).unwrap();
    let r = dedup(&[dir.to_str().unwrap(), "--format", "pairs", "-q"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let d = dir.display();
    // The pairs format writes a name's backslash as `\\`.
    assert_eq!(
        r.stdout,
        format!("{d}/a\\\\xfe.txt:1\t{d}/a\\\\xff.txt:1\t0.8709677419354839\n")
    );
    // JSON writes it `\\` too; the two names stay two.
    let r = dedup(&[dir.to_str().unwrap(), "--format", "jsonl", "-q"]);
    assert!(r.stdout.contains("a\\\\xfe.txt"), "{}", r.stdout);
    assert!(r.stdout.contains("a\\\\xff.txt"), "{}", r.stdout);
}

#[test]
fn outputs_inside_an_input_directory_are_left_out_by_later_runs() {
    let t = TempDir::new("safety-inside");
    tree(&t);
    let input = t.path("in");
    let input = input.to_str().unwrap();
    let clean = dedup(&[input, "--format", "jsonl", "-q"]);
    let r = dedup(&[
        input,
        "--write-deduped",
        t.path("in/deduped").to_str().unwrap(),
        "--annotate",
        input,
        "--stats-json",
        t.path("in/stats.json").to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("writing inside the input directory"),
        "{}",
        r.stderr
    );
    assert_eq!(
        fs::read_to_string(t.path("in/.paradup-outputs")).unwrap(),
        "a.txt.jsonl\nb.txt.jsonl\nstats.json\n"
    );
    let again = dedup(&[input, "--format", "jsonl"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(again.stdout, clean.stdout);
    assert!(
        again.stderr.contains("that paradup wrote"),
        "{}",
        again.stderr
    );
}

#[test]
fn bad_options_are_refused() {
    let t = TempDir::new("safety-options");
    let r = dedup(&["--method", "simhash", "--max-hamming", "65"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("at most 64"), "{}", r.stderr);
    let r = dedup(&["--max-hamming", "5"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--method simhash only"), "{}", r.stderr);
    let deep = t.path("a/b/c");
    let r = dedup(&["--stream", "--temp-dir", deep.to_str().unwrap()]);
    assert_eq!(r.code, 2);
    assert!(!t.path("a").exists());
    let r = dedup(&["--threads", "10000", "--format", "pairs"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("--threads 10000 is more than 4 per core"),
        "{}",
        r.stderr
    );
    assert_eq!(r.stdout.lines().count(), 1);
}

#[test]
fn lone_carriage_returns_get_a_note() {
    let t = TempDir::new("safety-cr");
    fs::write(t.path("mac.txt"), "one\rtwo\rthree\r").unwrap();
    for stream in [false, true] {
        let mut args = vec![t.path("mac.txt").to_str().unwrap().to_string(), "-q".into()];
        if stream {
            args.push("--stream".into());
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let r = dedup(&args);
        assert_eq!(r.code, 0);
        assert!(
            r.stderr
                .contains("mac.txt:1: 3 carriage returns without a line feed"),
            "{}",
            r.stderr
        );
    }
}

#[test]
fn an_interrupted_run_removes_its_temporary_files() {
    let t = TempDir::new("safety-sigint");
    fs::create_dir_all(t.path("tmp")).unwrap();
    let mut text = String::new();
    let mut x: u64 = 7;
    for _ in 0..60_000 {
        for _ in 0..12 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            text.push_str(
                ["alpha ", "beta ", "gamma ", "delta ", "omega ", "sigma "][(x >> 60) as usize % 6],
            );
            text.push_str(&format!("w{} ", (x >> 40) % 5000));
        }
        text.push('\n');
    }
    fs::write(t.path("big.txt"), &text).unwrap();
    let mut child = Command::new(dedup_bin())
        .args([
            t.path("big.txt").to_str().unwrap(),
            "--memory-limit",
            "2M",
            "--temp-dir",
            t.path("tmp").to_str().unwrap(),
            "-q",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    // Wait for the spill directory, then interrupt.
    while files_of(&t.path("tmp")).is_empty() {
        assert!(
            child.try_wait().unwrap().is_none(),
            "finished before it spilled"
        );
        assert!(start.elapsed() < Duration::from_secs(120));
        std::thread::sleep(Duration::from_millis(5));
    }
    let ok = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert!(
        files_of(&t.path("tmp")).is_empty(),
        "{:?}",
        files_of(&t.path("tmp"))
    );
}

/// An output that is a FIFO (or a device such as `/dev/null`) is written to, never
/// replaced by a file: renaming over `/dev/null` would break the whole machine.
#[test]
fn an_output_that_is_a_fifo_is_written_to_not_replaced() {
    let t = TempDir::new("safety-fifo-out");
    let fifo = t.path("stats.fifo");
    let ok = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success();
    assert!(ok);
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || fs::read_to_string(fifo))
    };
    let mut cmd = Command::new(dedup_bin());
    cmd.args(["-q", "--stats-json", fifo.to_str().unwrap()]);
    let r = run_bounded(cmd, Duration::from_secs(60));
    assert_eq!(r.code, 0, "{}", r.stderr);
    // Checked before waiting for the reader, which a replaced FIFO would leave waiting.
    assert!(!fs::metadata(&fifo).unwrap().is_file(), "still a FIFO");
    assert_eq!(files_of(&t.0), ["stats.fifo"]);
    let stats = reader.join().unwrap().unwrap();
    assert!(stats.starts_with("{\"files\":1,"), "{stats}");
}
