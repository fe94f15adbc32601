//! What the input controls, as the reports show it: terminal escapes in record text and
//! file names are escaped in the text report (`\x1b`, `\x07`), backslashes in pairs ids
//! are doubled, and equal JSONL ids in two files are told apart in every format.
//! Fixtures are written to a fresh temp dir per test.

use super::{TempDir, dedup};
use std::fs;

const P: &str = "The committee met on Tuesday to review the annual budget and agreed to publish the minutes within a week of the meeting.";

/// A JSONL record as the files here hold it (`text` already JSON-escaped).
fn record(id: &str, text: &str) -> String {
    format!("{{\"id\":\"{id}\",\"text\":\"{text}\"}}\n")
}

/// Reads a pairs field back: `\\`, `\t`, `\n`, `\r` from left to right.
fn unescape(field: &str) -> String {
    let mut out = String::new();
    let mut chars = field.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('\\') => out.push('\\'),
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            other => panic!("bad escape \\{other:?} in {field:?}"),
        }
    }
    out
}

#[test]
fn text_report_escapes_terminal_controls_in_record_text() {
    let dir = TempDir::new("report-esc-text");
    // JSON escapes, so the decoded text holds real ESC and BEL.
    let evil = format!("{P} \\u001b]0;pwned\\u0007 \\u001b[2J");
    fs::write(
        dir.path("evil.jsonl"),
        format!("{}{}", record("r1", &evil), record("r2", &evil)),
    )
    .unwrap();
    let r = dedup(&[dir.arg(), "--color", "never", "-q"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stdout.contains(['\x1b', '\x07']), "{:?}", r.stdout);
    let file = dir.path("evil.jsonl").display().to_string();
    assert_eq!(
        r.stdout,
        format!(
            "cluster 0: 2 paragraphs\n  \
             r1:1  representative ({file} line 1)\n    \
             {P} \\x1b]0;pwned\\x07 \\x1b[2J\n  \
             r2:1  exact duplicate ({file} line 2)\n    \
             (the same words as the representative)\n\n"
        )
    );
}

#[test]
fn text_report_escapes_terminal_controls_in_file_names() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let dir = TempDir::new("report-esc-name");
    let name = OsStr::from_bytes(b"a\x1b]0;pwned\x07.txt");
    let path = dir.0.join(name);
    if fs::write(&path, format!("{P}\n\n{P}\n")).is_err() {
        // A file system that refuses control characters in names has nothing to test.
        return;
    }
    let r = dedup(&[dir.arg(), "--color", "never", "-q"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stdout.contains(['\x1b', '\x07']), "{:?}", r.stdout);
    let shown = format!("{}/a\\x1b]0;pwned\\x07.txt", dir.arg());
    assert_eq!(
        r.stdout,
        format!(
            "cluster 0: 2 paragraphs\n  \
             {shown}:1  representative\n    {P}\n  \
             {shown}:3  exact duplicate\n    \
             (the same words as the representative)\n\n"
        )
    );
}

#[test]
fn pairs_escape_backslashes_so_a_tab_and_backslash_t_differ() {
    let dir = TempDir::new("report-pairs-backslash");
    // A literal backslash and `t`, and a real tab: one field each, both readable back.
    let literal = dir.path("x\\ty.txt");
    let tab = dir.path("x\ty.txt");
    fs::write(&literal, format!("{P}\n")).unwrap();
    fs::write(&tab, format!("{P}\n")).unwrap();
    let r = dedup(&[
        literal.to_str().unwrap(),
        tab.to_str().unwrap(),
        "--format",
        "pairs",
        "-q",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let d = dir.arg().replace('\\', "\\\\");
    assert_eq!(
        r.stdout,
        format!("{d}/x\\\\ty.txt:1\t{d}/x\\ty.txt:1\t1.0\n")
    );
    let fields: Vec<String> = r.stdout.trim_end().split('\t').map(unescape).collect();
    assert_eq!(
        fields,
        [
            format!("{}:1", literal.display()),
            format!("{}:1", tab.display()),
            "1.0".to_string()
        ]
    );
}

#[test]
fn equal_ids_in_two_jsonl_files_are_told_apart() {
    let dir = TempDir::new("report-equal-ids");
    let (a, b) = (dir.path("a.jsonl"), dir.path("b.jsonl"));
    fs::write(&a, record("r1", P)).unwrap();
    fs::write(
        &b,
        format!("{}{}", record("only-b", "something else"), record("r1", P)),
    )
    .unwrap();
    let (a, b) = (a.display().to_string(), b.display().to_string());
    let run = |format: &str| {
        let r = dedup(&[&a, &b, "--format", format, "-q"]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        r.stdout
    };
    assert_eq!(run("pairs"), format!("{a}:r1:1\t{b}:r1:1\t1.0\n"));
    let r = dedup(&[&a, &b, "--paragraphs", "whole", "--format", "pairs", "-q"]);
    assert_eq!(r.stdout, format!("{a}:r1\t{b}:r1\t1.0\n"));
    assert_eq!(
        run("jsonl"),
        format!(
            "{{\"cluster\":0,\"size\":2,\"members\":[\
             {{\"source\":\"r1\",\"file\":\"{a}\",\"record\":0,\"paragraph\":0,\"line\":1,\"start\":0,\"end\":{n},\"similarity\":1.0}},\
             {{\"source\":\"r1\",\"file\":\"{b}\",\"record\":1,\"paragraph\":0,\"line\":1,\"start\":0,\"end\":{n},\"similarity\":1.0}}]}}\n",
            n = P.len()
        )
    );
    assert_eq!(
        run("text"),
        format!(
            "cluster 0: 2 paragraphs\n  \
             r1:1  representative ({a} line 1)\n    {P}\n  \
             r1:1  exact duplicate ({b} line 2)\n    \
             (the same words as the representative)\n\n"
        )
    );
}
