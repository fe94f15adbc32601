//! Replays the committed fuzz corpus (`tests/data/fuzz/TARGET/*`: the inputs the fuzzers
//! found interesting, and any crash reproducer) through the fuzz targets' checks.

use super::fuzz_checks::{check_jsonl, check_normalize, check_paragraphs, check_shingle};
use std::path::Path;

fn replay(target: &str, check: fn(&[u8])) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/fuzz")
        .join(target);
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in &entries {
        let data = std::fs::read(path).unwrap();
        check(&data);
    }
    entries.len()
}

#[test]
fn paragraphs_corpus() {
    assert!(replay("paragraphs", check_paragraphs) > 0);
}

#[test]
fn normalize_corpus() {
    assert!(replay("normalize", check_normalize) > 0);
}

#[test]
fn shingle_corpus() {
    assert!(replay("shingle", check_shingle) > 0);
}

#[test]
fn jsonl_corpus() {
    assert!(replay("jsonl", check_jsonl) > 0);
}
