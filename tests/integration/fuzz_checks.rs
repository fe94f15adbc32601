//! The invariants the fuzz targets check, shared with `fuzz/` (which includes this file
//! by path) so that the committed fuzz corpus replays through exactly the same checks in
//! `cargo test` (see `fuzz_regressions.rs`).

use paradup::corpus::{CorpusReader, Input, InputFormat};
use paradup::{
    MinHasher, Normalizer, ParagraphMode, ParagraphSplitter, ShingleKind, ShingleScratch, Shingler,
};

/// Non-blank lines as the splitter defines them: `\n`-separated, a final `\r` dropped,
/// blank when only whitespace.
fn non_blank_lines(text: &str) -> usize {
    text.split('\n')
        .filter(|l| !l.strip_suffix('\r').unwrap_or(l).trim().is_empty())
        .count()
}

/// Paragraph splitting, every mode: spans ascend without overlap, on char boundaries,
/// are non-blank, are numbered 0.., and together hold every non-blank line.
pub fn check_paragraphs(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let want = non_blank_lines(&text);
    for mode in [
        ParagraphMode::Auto,
        ParagraphMode::Lines,
        ParagraphMode::BlankLines,
        ParagraphMode::Whole,
    ] {
        let mut last_end = 0;
        let mut lines = 0;
        for (i, p) in ParagraphSplitter::new(mode).split(3, &text).enumerate() {
            assert_eq!((p.doc, p.index as usize), (3, i));
            assert!(p.start >= last_end && p.start < p.end && p.end <= text.len());
            let t = p.text(&text);
            assert!(!t.trim().is_empty(), "{mode:?}: blank paragraph {t:?}");
            lines += non_blank_lines(t);
            last_end = p.end;
        }
        assert_eq!(lines, want, "{mode:?}: non-blank lines lost or duplicated");
    }
}

/// Normalization, every combination of options: single spaces, no space at either end;
/// idempotent.
pub fn check_normalize(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    for bits in 0..8u8 {
        let n = Normalizer::new()
            .lowercase(bits & 1 != 0)
            .nfkc(bits & 2 != 0)
            .strip_punctuation(bits & 4 != 0);
        let once = n.normalize(&text);
        assert!(!once.starts_with(' ') && !once.ends_with(' ') && !once.contains("  "));
        assert_eq!(n.normalize(&once), once, "options {bits:03b} on {text:?}");
    }
}

/// Shingling: sets sorted and unique, equal to the deduplicated multiset, empty exactly
/// when the text is; signatures ignore order and repeats. The first byte picks `n`.
pub fn check_shingle(data: &[u8]) {
    let Some((&n, rest)) = data.split_first() else {
        return;
    };
    let text = Normalizer::new().normalize(&String::from_utf8_lossy(rest));
    let n = 1 + (n as usize % 8);
    let hasher = MinHasher::new(16);
    let mut scratch = ShingleScratch::default();
    for kind in [ShingleKind::Words(n), ShingleKind::Chars(n)] {
        let sh = Shingler::new(kind);
        let set = sh.shingles(&text);
        assert!(set.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(set.is_empty(), text.is_empty());
        let mut all = Vec::new();
        sh.hashes_into(&text, &mut scratch, &mut all);
        all.sort_unstable();
        all.dedup();
        assert_eq!(all, set);
        let mut shuffled = set.clone();
        shuffled.reverse();
        shuffled.extend_from_slice(&set);
        assert_eq!(hasher.signature(&set), hasher.signature(&shuffled));
    }
}

/// The corpus reader on in-memory bytes, as JSONL (by name and forced) and as text:
/// never fails, and every document's locator maps its text back into the original.
pub fn check_jsonl(data: &[u8]) {
    for (name, format) in [
        ("f.jsonl", InputFormat::Auto),
        ("f.txt", InputFormat::Jsonl),
        ("f.txt", InputFormat::Text),
    ] {
        let mut reader = CorpusReader::new();
        reader.format(format).keep_original(true);
        let input = Input::Bytes {
            name: name.to_string(),
            bytes: data.to_vec(),
        };
        let corpus = reader
            .read(&[input], |_| {})
            .expect("in-memory input always reads");
        for (i, doc) in corpus.documents().iter().enumerate() {
            if let Some(loc) = corpus.locator(i) {
                let end = loc.original_offset(doc.text().len());
                assert!(end <= data.len() || data.starts_with(&[0x1f, 0x8b]));
            }
        }
    }
}
