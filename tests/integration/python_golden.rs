//! The Rust answers that the Python bindings' tests compare against
//! (`python/tests/data/golden.json`): a generated corpus of paragraphs with edited
//! copies, its clusters (one paragraph per item, and paragraphs of documents with
//! their provenance), MinHash signatures and SimHash fingerprints.
//!
//! The test fails when the library's answer changes; regenerate the file with
//! `PARADUP_BLESS=1 cargo test --test integration python_golden` and check the diff.

use paradup::{
    Deduper, MinHasher, Normalizer, ParagraphMode, ShingleKind, Shingler, SimHasher, SplitMix64,
};
use serde_json::{Value, json};

const WORDS: &[&str] = &[
    "the", "of", "and", "river", "town", "night", "letter", "captain", "garden", "winter", "said",
    "under", "across", "before", "window", "silver", "quiet", "road", "mother", "ship", "harbour",
    "café", "naïve", "über", "city", "bright", "cold", "Paris", "old", "door", "they", "walked",
    "slowly", "toward", "lamp", "bridge", "stone", "heard",
];

fn pick(rng: &mut SplitMix64, n: usize) -> usize {
    (rng.next_u64() % n as u64) as usize
}

/// 300 paragraphs: 240 random ones, then 60 copies of earlier ones with 0 to 6 words
/// replaced, punctuation and case changed.
fn corpus() -> Vec<String> {
    let mut rng = SplitMix64::new(20_260_812);
    let mut texts: Vec<String> = Vec::new();
    for _ in 0..240 {
        let len = 8 + pick(&mut rng, 30);
        let words: Vec<&str> = (0..len)
            .map(|_| WORDS[pick(&mut rng, WORDS.len())])
            .collect();
        let mut s = words.join(" ");
        s.push('.');
        texts.push(s);
    }
    for _ in 0..60 {
        let src = pick(&mut rng, texts.len());
        let mut words: Vec<String> = texts[src].split(' ').map(str::to_string).collect();
        for _ in 0..pick(&mut rng, 7) {
            let at = pick(&mut rng, words.len());
            words[at] = WORDS[pick(&mut rng, WORDS.len())].to_string();
        }
        if pick(&mut rng, 2) == 0 {
            words[0] = words[0].to_uppercase();
        }
        texts.push(words.join(if pick(&mut rng, 3) == 0 { ", " } else { " " }));
    }
    texts
}

fn clusters(d: &Deduper, docs: &[String], per_item: bool) -> Value {
    let clusters = d.run_documents(docs);
    let rows: Vec<Value> = clusters
        .iter()
        .map(|c| {
            let members: Vec<Value> = c
                .members()
                .iter()
                .map(|m| {
                    let p = m.paragraph;
                    if per_item {
                        json!([p.doc, m.similarity, m.exact])
                    } else {
                        json!([
                            p.doc,
                            p.index,
                            p.line,
                            p.start,
                            p.end,
                            m.similarity,
                            m.exact
                        ])
                    }
                })
                .collect();
            Value::Array(members)
        })
        .collect();
    Value::Array(rows)
}

fn signatures(texts: &[String], num_perm: usize, kind: ShingleKind, seed: u64) -> Value {
    let norm = Normalizer::new();
    let shingler = Shingler::new(kind).with_seed(seed);
    let hasher = MinHasher::try_new(num_perm, seed).unwrap();
    let rows: Vec<Value> = texts
        .iter()
        .map(|t| {
            json!(
                hasher
                    .signature(&shingler.shingles(&norm.normalize(t)))
                    .slots()
            )
        })
        .collect();
    Value::Array(rows)
}

fn golden() -> String {
    let texts = corpus();
    let whole = Deduper::builder()
        .paragraphs(ParagraphMode::Whole)
        .build()
        .unwrap();
    let words3 = Deduper::builder()
        .paragraphs(ParagraphMode::Whole)
        .threshold(0.5)
        .shingles(ShingleKind::Words(3))
        .build()
        .unwrap();
    // Documents of 1 to 5 paragraphs separated by blank lines, with a CRLF one.
    let mut docs: Vec<String> = Vec::new();
    let mut i = 0;
    while i < texts.len() {
        let n = 1 + i % 5;
        let sep = if docs.len() % 7 == 3 {
            "\r\n\r\n"
        } else {
            "\n\n"
        };
        docs.push(texts[i..(i + n).min(texts.len())].join(sep));
        i += n;
    }
    let auto = Deduper::new();
    let sample: Vec<String> = texts
        .iter()
        .take(8)
        .cloned()
        .chain(["".to_string(), " * * * ".to_string(), "x".to_string()])
        .collect();
    let simhasher = SimHasher::default();
    let norm = Normalizer::new();
    let fps: Vec<String> = sample
        .iter()
        .map(|t| {
            simhasher
                .fingerprint_normalized(&norm.normalize(t))
                .to_string()
        })
        .collect();
    let value = json!({
        "texts": texts,
        "clusters": clusters(&whole, &texts, true),
        "clusters_w3_0.5": clusters(&words3, &texts, true),
        "documents": docs,
        "document_clusters": clusters(&auto, &docs, false),
        "sample": sample,
        "signatures_w2_128": signatures(&sample, 128, ShingleKind::Words(2), paradup::DEFAULT_SEED),
        "signatures_c5_64_seed1": signatures(&sample, 64, ShingleKind::Chars(5), 1),
        // Strings: JSON numbers above 2^53 lose precision in some readers.
        "simhash_c4": fps,
    });
    let mut s = serde_json::to_string(&value).unwrap();
    s.push('\n');
    s
}

#[test]
fn python_golden_file_is_current() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("python/tests/data/golden.json");
    let expected = golden();
    if std::env::var_os("PARADUP_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &expected).unwrap();
    }
    let found = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        found == expected,
        "{} is out of date: regenerate it with PARADUP_BLESS=1 cargo test --test integration python_golden",
        path.display()
    );
}
