//! Determinism: the same input gives the same output, bit for bit, whatever the number
//! of threads and however often it runs.
//!
//! The corpus comes from a fixed-seed generator ([`corpus`]): unrelated paragraphs,
//! exact duplicates (also up to case and punctuation), one-word edits, chains of
//! edits (so anti-chaining splits clusters), excerpts (for containment), and one
//! boilerplate paragraph repeated often enough to trip a small cluster-size guard,
//! spread over many documents plus one big document, so that rayon really splits the
//! work.
//!
//! The library is run on it with 1, 2 and 8 threads and with 2 threads again, for
//! MinHash (with and without anti-chaining), SimHash and containment: clusters,
//! members, pairs, similarities (compared as bits), oversized clusters and every count
//! of the run stats must be the same. The example deduper is run on a smaller corpus
//! written as text, JSONL and gzipped JSONL files with `--threads 1`, `2` and `8`, and
//! `8` again: each report format (jsonl, pairs, text), `--write-deduped`, `--annotate`,
//! `--save-index` (index and names), `--stats-json` (without times and thread count),
//! SimHash, containment and `--first-wins` must be the same byte for byte.
//!
//! As in [`dedup_cli`](super::dedup_cli), the example binary is the one next to this
//! test binary: `cargo test --test integration` alone does not rebuild it.

use crate::naive::Rng;
use paradup::{Clusters, Deduper, DeduperBuilder, Method, Similarity};
use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

// ---------------------------------------------------------------------------------
// The corpus.

const SEED: u64 = 0x0de7_e2a1_15a1_c0de;
/// Made-up words.
const VOCAB: usize = 3_000;
/// Paragraphs that reappear as copies, edits and excerpts.
const BASES: usize = 250;
/// Chains of edits, and their length.
const CHAINS: usize = 30;
const CHAIN_LEN: usize = 5;
/// Small documents and their paragraphs; paragraphs of the big document. The example
/// deduper, slower in a debug build, gets a smaller corpus.
const DOCS: usize = 90;
const DOC_PARAGRAPHS: usize = 36;
const BIG_PARAGRAPHS: usize = 1_500;
const CLI_DOCS: usize = 45;
const CLI_BIG_PARAGRAPHS: usize = 600;
/// The cluster-size guard of the library runs: the boilerplate cluster exceeds it.
const MAX_CLUSTER: usize = 40;

const SYLLABLES: [&str; 16] = [
    "ka", "lo", "mi", "tu", "re", "sa", "no", "vi", "de", "po", "ga", "fe", "zu", "bi", "ha", "ye",
];

/// Word `i` of the vocabulary: two or three syllables, a few with an accent.
fn word(i: usize) -> String {
    let mut w = String::new();
    w.push_str(SYLLABLES[i % 16]);
    w.push_str(SYLLABLES[(i / 16) % 16]);
    if i >= 256 {
        w.push_str(SYLLABLES[(i / 256) % 16]);
    }
    if i.is_multiple_of(97) {
        w.push('é');
    }
    w
}

struct Gen {
    rng: Rng,
    bases: Vec<Vec<usize>>,
    chains: Vec<Vec<Vec<usize>>>,
    boilerplate: Vec<usize>,
}

impl Gen {
    fn new(seed: u64) -> Gen {
        let mut g = Gen {
            rng: Rng::new(seed),
            bases: Vec::new(),
            chains: Vec::new(),
            boilerplate: Vec::new(),
        };
        g.bases = (0..BASES).map(|_| g.fresh()).collect();
        for _ in 0..CHAINS {
            let mut chain = vec![g.fresh()];
            for _ in 1..CHAIN_LEN {
                // Three words replaced per step: neighbours stay above the threshold,
                // the ends of the chain fall well below it.
                let mut next = chain.last().unwrap().clone();
                for _ in 0..3 {
                    let at = g.rng.below(next.len());
                    next[at] = g.rng.below(VOCAB);
                }
                chain.push(next);
            }
            g.chains.push(chain);
        }
        g.boilerplate = g.fresh();
        g
    }

    /// 18 to 45 random words.
    fn fresh(&mut self) -> Vec<usize> {
        let n = 18 + self.rng.below(28);
        (0..n).map(|_| self.rng.below(VOCAB)).collect()
    }

    /// `words` with one word replaced, inserted or deleted.
    fn one_word_edit(&mut self, words: &[usize]) -> Vec<usize> {
        let mut w = words.to_vec();
        let at = self.rng.below(w.len());
        match self.rng.below(3) {
            0 => w[at] = (w[at] + 1 + self.rng.below(VOCAB - 1)) % VOCAB,
            1 => w.insert(at, self.rng.below(VOCAB)),
            _ => {
                w.remove(at);
            }
        }
        w
    }

    /// Words as a sentence: capitalized, a comma now and then, a final stop.
    fn render(&mut self, words: &[usize]) -> String {
        let mut s = String::new();
        for (i, &w) in words.iter().enumerate() {
            if i > 0 {
                s.push(if self.rng.below(9) == 0 { ',' } else { ' ' });
                if s.ends_with(',') {
                    s.push(' ');
                }
            }
            let w = word(w);
            if i == 0 {
                let mut c = w.chars();
                let first = c.next().unwrap().to_uppercase();
                s.extend(first);
                s.push_str(c.as_str());
            } else {
                s.push_str(&w);
            }
        }
        s.push('.');
        s
    }

    /// One paragraph of a document.
    fn paragraph(&mut self) -> String {
        let r = self.rng.below(100);
        match r {
            0..40 => {
                let w = self.fresh();
                self.render(&w)
            }
            40..55 => {
                // An exact duplicate after normalization.
                let b = self.bases[self.rng.below(BASES)].clone();
                let text = self.render(&b);
                match self.rng.below(3) {
                    0 => text.to_uppercase(),
                    1 => text.replace(' ', " - ").replace('.', "!"),
                    _ => text,
                }
            }
            55..72 => {
                let b = self.bases[self.rng.below(BASES)].clone();
                let w = self.one_word_edit(&b);
                self.render(&w)
            }
            72..82 => {
                let c = self.rng.below(CHAINS);
                let w = self.chains[c][self.rng.below(CHAIN_LEN)].clone();
                self.render(&w)
            }
            82..89 => {
                // An excerpt: the first half to two thirds of a base.
                let b = &self.bases[self.rng.below(BASES)];
                let n = b.len() / 2 + self.rng.below(b.len() / 6 + 1);
                let w = b[..n].to_vec();
                self.render(&w)
            }
            89..92 => {
                let w = self.boilerplate.clone();
                self.render(&w)
            }
            _ => {
                let b = self.bases[self.rng.below(BASES)].clone();
                self.render(&b)
            }
        }
    }

    /// A document of `n` paragraphs: blank-line separated (some wrapped over two lines,
    /// some with CRLF line ends) or one per line.
    fn document(&mut self, n: usize) -> String {
        let style = self.rng.below(4);
        let mut doc = String::new();
        for i in 0..n {
            let p = self.paragraph();
            match style {
                0 => {
                    doc.push_str(&p);
                    doc.push('\n');
                }
                1 => {
                    if i > 0 {
                        doc.push_str("\r\n\r\n");
                    }
                    doc.push_str(&p);
                }
                _ => {
                    if i > 0 {
                        doc.push_str("\n\n");
                    }
                    // Wrap at the first space after 60 bytes.
                    match p[60.min(p.len())..].find(' ') {
                        Some(k) if self.rng.below(2) == 0 => {
                            let k = 60 + k;
                            doc.push_str(&p[..k]);
                            doc.push('\n');
                            doc.push_str(&p[k + 1..]);
                        }
                        _ => doc.push_str(&p),
                    }
                }
            }
        }
        if style != 1 {
            doc.push('\n');
        }
        doc
    }
}

/// The documents: `small` ones of `DOC_PARAGRAPHS` paragraphs, then one of `big`.
fn corpus(small: usize, big: usize) -> Vec<String> {
    let mut g = Gen::new(SEED);
    let mut docs: Vec<String> = (0..small).map(|_| g.document(DOC_PARAGRAPHS)).collect();
    docs.push(g.document(big));
    docs
}

// ---------------------------------------------------------------------------------
// The library.

type MemberKey = (paradup::Paragraph, u64, bool, paradup::Direction);
type PairKey = (
    paradup::Paragraph,
    paradup::Paragraph,
    u64,
    paradup::Direction,
);

fn members(c: &paradup::Cluster) -> Vec<MemberKey> {
    c.members()
        .iter()
        .map(|m| (m.paragraph, m.similarity.to_bits(), m.exact, m.direction))
        .collect()
}

fn pairs(c: &Clusters) -> Vec<PairKey> {
    c.pairs()
        .iter()
        .map(|p| (p.a, p.b, p.similarity.to_bits(), p.direction))
        .collect()
}

/// Every count of the run stats (all fields but the timings).
fn counts(c: &Clusters) -> [usize; 10] {
    let s = c.stats();
    [
        s.documents,
        s.paragraphs,
        s.bytes,
        s.exact_duplicates,
        s.distinct,
        s.candidates,
        s.verified,
        s.split_off,
        s.largest_cluster,
        s.oversized_clusters,
    ]
}

/// `got` equals `want` bit for bit; a failure names the first difference.
fn assert_identical(label: &str, want: &Clusters, got: &Clusters) {
    assert_eq!(counts(want), counts(got), "{label}: run stats");
    assert_eq!(want.similarity(), got.similarity(), "{label}: similarity");
    assert_eq!(want.oversized(), got.oversized(), "{label}: oversized");
    for (i, (a, b)) in want.iter().zip(got.iter()).enumerate() {
        assert_eq!(members(a), members(b), "{label}: cluster {i}");
    }
    assert_eq!(want.len(), got.len(), "{label}: number of clusters");
    let (pa, pb) = (pairs(want), pairs(got));
    if let Some(i) = (0..pa.len().min(pb.len())).find(|&i| pa[i] != pb[i]) {
        panic!("{label}: pair {i}: {:?} != {:?}", pa[i], pb[i]);
    }
    assert_eq!(pa.len(), pb.len(), "{label}: number of pairs");
    // And the whole value, whatever fields it grows.
    assert!(want == got, "{label}: Clusters differ");
}

/// Runs `configure`d dedupers with 1, 2 and 8 threads, and 2 threads again, on the
/// corpus; all four results must be identical. Returns the 1-thread result.
fn same_for_all_thread_counts(name: &str, configure: impl Fn(&mut DeduperBuilder)) -> Clusters {
    let docs = corpus(DOCS, BIG_PARAGRAPHS);
    let run = |threads: usize| {
        let mut b = Deduper::builder();
        b.max_cluster_size(MAX_CLUSTER);
        configure(&mut b);
        b.threads(threads).build().unwrap().run_documents(&docs)
    };
    let one = run(1);
    for (label, threads) in [("2 threads", 2), ("8 threads", 8), ("2 threads again", 2)] {
        assert_identical(&format!("{name}, {label} vs 1"), &one, &run(threads));
    }
    // The corpus is what it is meant to be.
    let s = one.stats();
    assert_eq!(s.documents, DOCS + 1);
    assert_eq!(s.paragraphs, DOCS * DOC_PARAGRAPHS + BIG_PARAGRAPHS);
    assert!(s.exact_duplicates >= 1_000, "{name}: {s:?}");
    assert_eq!(s.oversized_clusters, 1, "{name}: {s:?}");
    assert_eq!(one.oversized().len(), 1);
    assert!(one.as_slice()[one.oversized()[0]].len() > 100);
    one
}

/// Lower bounds that keep a test from passing on an empty result.
fn assert_nontrivial(name: &str, c: &Clusters, min_clusters: usize, min_pairs: usize) {
    let s = c.stats();
    assert!(c.len() >= min_clusters, "{name}: {} clusters", c.len());
    assert!(
        c.pairs().len() >= min_pairs,
        "{name}: {} pairs",
        c.pairs().len()
    );
    assert!(s.verified >= 2_000, "{name}: {s:?}");
    let near = c.pairs().iter().filter(|p| p.similarity < 1.0).count();
    assert!(near >= 2_000, "{name}: {near} near-duplicate pairs");
}

#[test]
fn minhash_is_identical_for_1_2_and_8_threads() {
    let c = same_for_all_thread_counts("minhash", |_| {});
    assert_nontrivial("minhash", &c, 350, 3_500);
    // Chains were cut by anti-chaining.
    assert!(c.stats().split_off > 0, "{:?}", c.stats());
}

#[test]
fn minhash_with_chaining_is_identical_for_1_2_and_8_threads() {
    let c = same_for_all_thread_counts("minhash, chaining", |b| {
        b.anti_chaining(false);
    });
    assert_nontrivial("minhash, chaining", &c, 300, 3_500);
    assert_eq!(c.stats().split_off, 0);
}

#[test]
fn simhash_is_identical_for_1_2_and_8_threads() {
    let c = same_for_all_thread_counts("simhash", |b| {
        b.method(Method::simhash());
    });
    assert_nontrivial("simhash", &c, 350, 3_000);
}

#[test]
fn containment_is_identical_for_1_2_and_8_threads() {
    let c = same_for_all_thread_counts("containment", |b| {
        b.similarity(Similarity::Containment).threshold(0.8);
    });
    assert_nontrivial("containment", &c, 300, 4_000);
    assert!(
        c.pairs()
            .iter()
            .any(|p| p.direction != paradup::Direction::Mutual),
        "no excerpt found"
    );
}

// ---------------------------------------------------------------------------------
// The example deduper.

use crate::dedup_cli::dedup_bin;

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let p =
            std::env::temp_dir().join(format!("paradup-determinism-{}-{tag}", std::process::id()));
        let _ = fs::remove_dir_all(&p);
        fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Writes the smaller corpus under `dir/corpus`: a third of the small documents as text files
/// (in two folders), a third as records of `records.jsonl`, a third gzipped in
/// `more.jsonl.gz`, and the big document as `big.txt`.
fn write_corpus(dir: &Path) {
    let docs = corpus(CLI_DOCS, CLI_BIG_PARAGRAPHS);
    let root = dir.join("corpus");
    fs::create_dir_all(root.join("text/nested")).unwrap();
    let mut jsonl = String::new();
    let mut gz = String::new();
    for (i, doc) in docs[..CLI_DOCS].iter().enumerate() {
        let record = |id: usize| {
            serde_json::json!({"id": format!("r{id}"), "lang": "xx", "text": doc}).to_string()
                + "\n"
        };
        match i % 3 {
            0 => {
                let sub = if i % 2 == 0 { "text" } else { "text/nested" };
                fs::write(root.join(format!("{sub}/doc{i:03}.txt")), doc).unwrap();
            }
            1 => jsonl.push_str(&record(i)),
            _ => gz.push_str(&record(i)),
        }
    }
    fs::write(root.join("big.txt"), &docs[CLI_DOCS]).unwrap();
    fs::write(root.join("records.jsonl"), jsonl).unwrap();
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(gz.as_bytes()).unwrap();
    fs::write(root.join("more.jsonl.gz"), enc.finish().unwrap()).unwrap();
}

/// Every file under `dir`, by relative path.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_str().unwrap().to_string();
                out.insert(rel, fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    if dir.exists() {
        walk(dir, dir, &mut out);
    }
    out
}

/// What one run of the deduper produced: standard output, and every file it wrote
/// (output directories walked, the stats JSON without its times and thread count).
#[derive(PartialEq)]
struct Outputs(BTreeMap<String, Vec<u8>>);

impl Outputs {
    fn get(&self, key: &str) -> &[u8] {
        self.0.get(key).unwrap_or_else(|| panic!("no output {key}"))
    }
}

/// Runs the deduper in `dir` on `corpus` with `--threads threads` and `args`, in
/// which `OUT` stands for a fresh output directory of this run.
fn run_dedup(dir: &Path, threads: usize, tag: &str, args: &[&str]) -> Outputs {
    let out_rel = format!("out-{tag}-{threads}");
    let out = dir.join(&out_rel);
    let _ = fs::remove_dir_all(&out);
    fs::create_dir_all(&out).unwrap();
    let args: Vec<String> = args.iter().map(|a| a.replace("OUT", &out_rel)).collect();
    let threads_arg = threads.to_string();
    let r = Command::new(dedup_bin())
        .args(["corpus", "-q", "--threads", &threads_arg])
        .args(&args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("run the dedup example");
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert_eq!(
        r.status.code(),
        Some(0),
        "{tag}, {threads} threads: {stderr}"
    );
    assert_eq!(stderr, "", "{tag}, {threads} threads");

    let mut files = tree(&out);
    if let Some(stats) = files.get_mut("stats.json") {
        let mut v: serde_json::Value = serde_json::from_slice(stats).unwrap();
        let obj = v.as_object_mut().unwrap();
        assert_eq!(obj.remove("threads"), Some(threads.into()), "{tag}");
        let timed: Vec<String> = obj
            .keys()
            .filter(|k| k.ends_with("seconds"))
            .cloned()
            .collect();
        assert!(!timed.is_empty(), "{tag}: no times in the stats JSON");
        for k in timed {
            obj.remove(&k);
        }
        *stats = serde_json::to_vec(&v).unwrap();
    }
    files.insert("<stdout>".to_string(), r.stdout);
    Outputs(files)
}

/// Runs the deduper with `--threads 1`, `2`, `8` and `8` again; every output must be
/// the same, byte for byte. Returns the outputs of the 1-thread run.
fn cli_same_for_all_thread_counts(dir: &Path, tag: &str, args: &[&str]) -> Outputs {
    let one = run_dedup(dir, 1, tag, args);
    for threads in [2, 8, 8] {
        let got = run_dedup(dir, threads, tag, args);
        let keys = |o: &Outputs| o.0.keys().cloned().collect::<Vec<_>>();
        assert_eq!(
            keys(&one),
            keys(&got),
            "{tag}: output files, {threads} threads"
        );
        for (k, want) in &one.0 {
            let got = got.get(k);
            if want.as_slice() != got {
                let at = want.iter().zip(got).position(|(a, b)| a != b);
                let at = at.unwrap_or(want.len().min(got.len()));
                let around = |b: &[u8]| {
                    String::from_utf8_lossy(&b[at.saturating_sub(80)..(at + 80).min(b.len())])
                        .into_owned()
                };
                panic!(
                    "{tag}: {k} differs between 1 and {threads} threads at byte {at} \
                     (lengths {} and {}):\n  1: {}\n  {threads}: {}",
                    want.len(),
                    got.len(),
                    around(want),
                    around(got)
                );
            }
        }
        assert!(one == got);
    }
    one
}

fn lines(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b == b'\n').count()
}

#[test]
fn cli_reports_and_output_files_are_identical_for_1_2_and_8_threads() {
    let dir = TempDir::new("files");
    write_corpus(&dir.0);
    let all = cli_same_for_all_thread_counts(
        &dir.0,
        "jsonl",
        &[
            "--format",
            "jsonl",
            "--write-deduped",
            "OUT/deduped",
            "--annotate",
            "OUT/annotate",
            "--stats-json",
            "OUT/stats.json",
            "--save-index",
            "OUT/index.idx",
        ],
    );
    let clusters = lines(all.get("<stdout>"));
    assert!(clusters >= 250, "{clusters} clusters");
    let stats: serde_json::Value = serde_json::from_slice(all.get("stats.json")).unwrap();
    assert_eq!(stats["files"], 3 + CLI_DOCS / 3, "{stats}");
    assert_eq!(stats["documents"], CLI_DOCS + 1, "{stats}");
    assert_eq!(
        stats["paragraphs"],
        CLI_DOCS * DOC_PARAGRAPHS + CLI_BIG_PARAGRAPHS,
        "{stats}"
    );
    assert_eq!(stats["clusters"], clusters, "{stats}");
    assert!(
        stats["exact_duplicates"].as_u64().unwrap() >= 400,
        "{stats}"
    );
    assert!(
        stats["duplicate_paragraphs"].as_u64().unwrap() >= 900,
        "{stats}"
    );
    // The deduped copy: every input, the gzipped one still gzipped, each shorter.
    let input = tree(&dir.0.join("corpus"));
    assert_eq!(input.len(), 3 + CLI_DOCS / 3);
    for (k, v) in &input {
        let out = all.get(&format!("deduped/{k}"));
        assert!(out.len() < v.len(), "{k}: nothing removed");
    }
    assert!(all.get("deduped/more.jsonl.gz").starts_with(&[0x1f, 0x8b]));
    // Annotations: one line per document.
    assert_eq!(lines(all.get("annotate/records.jsonl")), CLI_DOCS / 3);
    assert_eq!(lines(all.get("annotate/more.jsonl")), CLI_DOCS / 3);
    assert_eq!(lines(all.get("annotate/big.txt.jsonl")), 1);
    assert!(all.get("index.idx").len() > 10_000);
    assert!(lines(all.get("index.idx.names.jsonl")) > 1_000);
}

#[test]
fn cli_pairs_and_text_reports_are_identical_for_1_2_and_8_threads() {
    let dir = TempDir::new("reports");
    write_corpus(&dir.0);
    let pairs = cli_same_for_all_thread_counts(&dir.0, "pairs", &["--format", "pairs"]);
    let n = lines(pairs.get("<stdout>"));
    assert!(n >= 1_200, "{n} pairs");
    let text = cli_same_for_all_thread_counts(
        &dir.0,
        "text",
        &["--format", "text", "--color", "never", "--max-members", "0"],
    );
    let text = String::from_utf8_lossy(text.get("<stdout>")).into_owned();
    let clusters = text.lines().filter(|l| l.starts_with("cluster ")).count();
    assert!(clusters >= 250, "{clusters} clusters");
    assert!(text.contains("{+"), "no word diff in the text report");
}

#[test]
fn cli_simhash_and_containment_are_identical_for_1_2_and_8_threads() {
    let dir = TempDir::new("methods");
    write_corpus(&dir.0);
    let simhash = cli_same_for_all_thread_counts(
        &dir.0,
        "simhash",
        &[
            "--method",
            "simhash",
            "--format",
            "jsonl",
            "--write-deduped",
            "OUT/deduped",
        ],
    );
    let n = lines(simhash.get("<stdout>"));
    assert!(n >= 250, "{n} simhash clusters");

    let containment = cli_same_for_all_thread_counts(
        &dir.0,
        "containment",
        &[
            "--similarity",
            "containment",
            "--threshold",
            "0.8",
            "--format",
            "pairs",
            "--annotate",
            "OUT/annotate",
        ],
    );
    let out = String::from_utf8_lossy(containment.get("<stdout>")).into_owned();
    assert!(lines(out.as_bytes()) >= 1_500);
    for direction in ["a_in_b", "b_in_a", "mutual"] {
        assert!(
            out.lines().any(|l| l.ends_with(direction)),
            "no {direction} pair"
        );
    }
}

#[test]
fn cli_first_wins_is_identical_for_1_2_and_8_threads() {
    let dir = TempDir::new("first-wins");
    write_corpus(&dir.0);
    let first_wins = cli_same_for_all_thread_counts(
        &dir.0,
        "first-wins",
        &[
            "--first-wins",
            "--format",
            "jsonl",
            "--write-deduped",
            "OUT/deduped",
            "--save-index",
            "OUT/kept.idx",
        ],
    );
    let n = lines(first_wins.get("<stdout>"));
    assert!(n >= 900, "{n} paragraphs dropped");
    assert!(first_wins.get("kept.idx").len() > 10_000);
}
