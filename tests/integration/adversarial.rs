//! Pathological input: huge buckets, huge lines, odd scripts and tiny paragraphs.
//! The 1M-paragraph cases are `#[ignore]`d for debug-mode `cargo test`; `.ci/run` runs
//! them in release mode with `--ignored`.

use paradup::{Deduper, ParagraphMode, ShingleKind, StreamConfig};

/// `n` copies of a 30-word template whose 20th word is the copy's number.
fn template_copies(n: usize) -> Vec<String> {
    let words: Vec<String> = (0..30).map(|i| format!("word{i}")).collect();
    (0..n)
        .map(|i| {
            let mut w = words.clone();
            w[20] = format!("n{i}");
            w.join(" ")
        })
        .collect()
}

fn sizes(c: &paradup::Clusters) -> Vec<usize> {
    c.iter().map(|c| c.len()).collect()
}

#[test]
#[ignore = "1M paragraphs: run in release (.ci/run does)"]
fn a_million_copies_of_one_paragraph_is_one_cluster() {
    let p = "The same boilerplate paragraph, repeated everywhere in the crawl.";
    let corpus = vec![p; 1_000_000].join("\n");
    let c = Deduper::new().run_documents(&[corpus.as_str()]);
    assert_eq!(sizes(&c), vec![1_000_000]);
    assert_eq!(c.stats().distinct, 1);
    assert_eq!(c.stats().candidates, 0);
    assert!(
        c.as_slice()[0]
            .members()
            .iter()
            .all(|m| m.exact && m.similarity == 1.0)
    );
}

#[test]
#[ignore = "1M paragraphs: run in release (.ci/run does)"]
fn a_million_near_copies_of_a_template_stay_linear_and_correct() {
    // A 30-word template whose 20th word is a counter: every pair has word-2-gram
    // Jaccard 27/31 ≈ 0.87, so all form one cluster; the buckets are huge runs.
    let n = 1_000_000;
    let corpus = template_copies(n);
    let d = Deduper::builder()
        .paragraphs(ParagraphMode::Whole)
        .build()
        .unwrap();
    let c = d.run_documents(&corpus);
    assert_eq!(sizes(&c), vec![n]);
    let bands = d.lsh_params().bands;
    assert!(
        c.stats().candidates <= bands * n,
        "{}",
        c.stats().candidates
    );
    let min = c.as_slice()[0]
        .members()
        .iter()
        .map(|m| m.similarity)
        .fold(1.0, f64::min);
    assert!((min - 27.0 / 31.0).abs() < 1e-9, "{min}");
}

#[test]
#[ignore = "100 MB: run in release (.ci/run does)"]
fn a_100_mb_line_without_newline_is_one_paragraph() {
    let unit = "alpha beta gamma delta epsilon zeta eta theta iota kappa ";
    let line: String = unit.repeat(100_000_000 / unit.len() + 1);
    let doc = format!("{line}\n\nshort tail paragraph here\n\n{line}");
    let c = Deduper::new().run_documents(&[doc.as_str(), line.as_str()]);
    // The two copies inside the document and the document that is only the line.
    assert_eq!(sizes(&c), vec![3]);
    assert_eq!(c.stats().paragraphs, 4);
    assert!(c.as_slice()[0].members()[0].paragraph.len() > 100_000_000);
}

#[test]
#[ignore = "1M paragraphs and a 100 MB line, streamed: run in release (.ci/run does)"]
fn streamed_adversarial_input_matches_run_under_a_tiny_memory_limit() {
    let mut config = StreamConfig::new();
    config.memory_limit(1).batch_bytes(4 << 20);
    // A million copies, read from a reader in pieces: one cluster, no candidates.
    let p = "The same boilerplate paragraph, repeated everywhere in the crawl.\n";
    let corpus = p.repeat(1_000_000);
    let c = Deduper::new()
        .run_stream(&config, |f| f.push_reader(corpus.as_bytes()))
        .unwrap();
    assert_eq!(sizes(&c), vec![1_000_000]);
    assert_eq!((c.stats().distinct, c.stats().candidates), (1, 0));
    // A million near-copies of a template, spilled to sorted runs each batch.
    let n = 1_000_000;
    let docs = template_copies(n);
    let d = Deduper::builder()
        .paragraphs(ParagraphMode::Whole)
        .build()
        .unwrap();
    let c = d
        .run_stream(&config, |f| docs.iter().try_for_each(|doc| f.push(doc)))
        .unwrap();
    assert_eq!(sizes(&c), vec![n]);
    assert!(c.stats().candidates <= d.lsh_params().bands * n);
    let want = d.run_documents(&docs);
    assert_eq!(c.as_slice(), want.as_slice());
    assert_eq!(c.pairs(), want.pairs());
    // One 100 MB line with no line break, read in 1 MiB pieces: one paragraph.
    let unit = "alpha beta gamma delta epsilon zeta eta theta iota kappa ";
    let line: String = unit.repeat(100_000_000 / unit.len() + 1);
    let c = Deduper::new()
        .run_stream(&config, |f| {
            f.push_reader(line.as_bytes())?;
            f.push(&line)
        })
        .unwrap();
    assert_eq!(sizes(&c), vec![2]);
    assert_eq!(c.stats().paragraphs, 2);
    assert_eq!(c.as_slice()[0].members()[0].paragraph.len(), line.len());
}

#[test]
fn tiny_paragraphs_stay_distinct() {
    let doc = "a\nb\nyes\nno\nYes.\n!\n?\n\u{05D0}\n";
    let c = Deduper::builder()
        .paragraphs(ParagraphMode::Lines)
        .build()
        .unwrap()
        .run_documents(&[doc]);
    // Only "yes" / "Yes." normalize to the same text.
    let lines: Vec<Vec<u64>> = c
        .iter()
        .map(|c| c.members().iter().map(|m| m.paragraph.line).collect())
        .collect();
    assert_eq!(lines, vec![vec![3, 5]]);
}

#[test]
fn cjk_needs_char_shingles_and_gets_them() {
    let a = "東京都は日本の首都であり、世界で最も人口の多い都市圏の一つである。経済と文化の中心地として知られている。";
    let b = "東京都は日本の首都であり、世界で最も人口の多い都市圏のひとつである。経済と文化の中心地として知られている。";
    let other = "大阪府は近畿地方に位置し、食文化と商業の町として古くから栄えてきた。";
    let docs = [a, b, other];
    let chars = Deduper::builder()
        .shingles(ShingleKind::Chars(3))
        .paragraphs(ParagraphMode::Whole)
        .build()
        .unwrap();
    let c = chars.run_documents(&docs);
    let groups: Vec<Vec<u32>> = c
        .iter()
        .map(|c| c.members().iter().map(|m| m.paragraph.doc).collect())
        .collect();
    assert_eq!(groups, vec![vec![0, 1]]);
    assert!(c.as_slice()[0].members()[1].similarity > 0.8);
    // With word shingles, CJK text has no spaces: each sentence is one "word", so the
    // edit makes the paragraphs unrelated. The docs say to use char shingles for it.
    let words = Deduper::builder()
        .paragraphs(ParagraphMode::Whole)
        .build()
        .unwrap();
    assert!(words.run_documents(&docs).is_empty());
}

#[test]
fn right_to_left_text_is_handled() {
    let a = "שלום עולם זהו משפט ארוך בעברית שנועד לבדוק את הטיפול בטקסט מימין לשמאל היום";
    let b = "שלום עולם זהו משפט ארוך בעברית שנועד לבדוק את הטיפול בטקסט מימין לשמאל כעת";
    let ar = "مرحبا بالعالم هذه جملة طويلة باللغة العربية لاختبار معالجة النص من اليمين إلى اليسار";
    let c = Deduper::builder()
        .paragraphs(ParagraphMode::Whole)
        .build()
        .unwrap()
        .run_documents(&[a, b, ar]);
    assert_eq!(sizes(&c), vec![2]);
    assert_eq!(c.as_slice()[0].members()[1].paragraph.doc, 1);
}

#[test]
fn control_characters_and_nul_bytes_do_not_panic() {
    let doc = "\u{0}\u{0}\u{0}\n\u{1}\u{2} text \u{7f}\n\u{feff}BOM line\n\u{0}\u{0}\u{0}\n";
    let c = Deduper::new().run_documents(&[doc]);
    // The two NUL-only lines are exact duplicates by raw text; nothing else pairs.
    assert_eq!(sizes(&c), vec![2]);
    assert_eq!(c.stats().paragraphs, 4);
}
