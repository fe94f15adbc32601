//! Precision, recall and F1 of the Deduper on a labelled set of paragraph pairs.
//!
//! ```text
//! cargo run --release --example evaluate -- [SET_DIR] [--threshold 0.5,0.6] [--shingles w3,w5,c5] [--num-perm 128]
//! cargo run --release --example evaluate -- --method minhash,simhash --max-hamming 3,6,9 --features w1,w3,c4 --weighting tf,uniform
//! cargo run --release --example evaluate -- --anti-chaining on,off --tuning default,0.5:0.5 --search lsh,prefix
//! cargo run --release --example evaluate -- --pairs-out pred.tsv   # then: score-pairs.py SET_DIR pred.tsv
//! ```
//!
//! SET_DIR holds `docs.jsonl` or `docs.jsonl.gz` (objects with `id` and `text`) and
//! `pairs.tsv` (`id_a id_b label match_type ...`). Each document is one paragraph. A pair
//! is predicted when both paragraphs are in one cluster (`--predict clusters`, the
//! default), or when the deduper verified it (`--predict pairs`: the pairs that
//! `dedup --format pairs` writes). One row per setting of the sweep (the cross product
//! of the lists; the MinHash lists apply to MinHash rows, the SimHash lists to SimHash
//! rows). Besides precision, recall and F1, each row gives the recall per match type,
//! the recall by the length of the shorter paragraph of the pair (in words), the
//! candidate pairs the method proposed, and the seconds of the run (the deduper's run
//! only, not reading or scoring).
//!
//! Scores are computed as `../shared/tools/score-pairs.py` computes them (precision
//! over every predicted pair, recall over the label-1 pairs, pairs unordered); with
//! `--pairs-out` the last row's predictions can be checked with it.

#[path = "common/cli.rs"]
mod cli;
mod common;

use cli::{Choice, Command, Opt, Positional};
use common::{parse_kind, set_tuning};
use paradup::{
    CandidateSearch, Clusters, Deduper, Method, ParagraphMode, ShingleKind, Similarity,
    Verification, Weighting,
};
use std::collections::{BTreeMap, HashSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The options, as parsed; [`Args::parse`] reads them.
#[derive(Debug)]
struct Args {
    set: PathBuf,
    threshold: Vec<f64>,
    shingles: Vec<String>,
    num_perm: Vec<usize>,
    search: Vec<String>,
    similarity: Vec<String>,
    anti_chaining: Vec<String>,
    tuning: Vec<String>,
    predict: Predict,
    signature_verify: bool,
    method: Vec<String>,
    max_hamming: Vec<u32>,
    features: Vec<String>,
    weighting: Vec<String>,
    threads: Option<usize>,
    pairs_out: Option<PathBuf>,
}

impl Args {
    /// The command line: every option with its help and default.
    fn command() -> Command {
        Command::new(
            "evaluate",
            "Score the Deduper on a labelled set of paragraph pairs",
        )
        .version(format!("paradup {}", env!("CARGO_PKG_VERSION")))
        .positional(
            Positional::one("SET", "The labelled set's folder")
                .default("../shared/eval/gutenberg-editions"),
        )
        .opt(
            Opt::value(
                "threshold",
                "THRESHOLD",
                "Jaccard thresholds to try, comma-separated",
            )
            .list()
            .default("0.5")
            .parses::<f64>(),
        )
        .opt(
            Opt::value(
                "shingles",
                "SHINGLES",
                "Shingle kinds to try, comma-separated: wN (word N-grams) or cN (char N-grams)",
            )
            .list()
            .default("w3"),
        )
        .opt(
            Opt::value(
                "num-perm",
                "NUM_PERM",
                "Numbers of permutations to try, comma-separated",
            )
            .list()
            .default("128")
            .parses::<usize>(),
        )
        .opt(
            Opt::value(
                "search",
                "SEARCH",
                "Candidate searches to try, comma-separated: lsh, prefix (exact, by prefix \
                filtering), exhaustive (all pairs)",
            )
            .list()
            .default("lsh"),
        )
        .opt(
            Opt::value(
                "similarity",
                "SIMILARITY",
                "Similarity measures to try, comma-separated: jaccard, containment",
            )
            .list()
            .default("jaccard"),
        )
        .opt(
            Opt::value(
                "anti-chaining",
                "ANTI_CHAINING",
                "Anti-chaining settings to try, comma-separated: on, off, default",
            )
            .list()
            .default("default"),
        )
        .opt(
            Opt::value(
                "tuning",
                "TUNING",
                "LSH tunings to try, comma-separated: default, FN:FP (datasketch's weights), \
                rP (least recall P at the threshold), BxR (explicit banding)",
            )
            .list()
            .default("default"),
        )
        .opt(
            Opt::value(
                "predict",
                "PREDICT",
                "What counts as a predicted pair: two members of one cluster, or a verified \
                pair",
            )
            .choices::<Predict>()
            .default("clusters"),
        )
        .opt(Opt::flag(
            "signature-verify",
            "Verify with the signature estimate instead of exact Jaccard",
        ))
        .opt(
            Opt::value(
                "method",
                "METHOD",
                "Candidate methods to try, comma-separated: minhash, simhash",
            )
            .list()
            .default("minhash"),
        )
        .opt(
            Opt::value(
                "max-hamming",
                "MAX_HAMMING",
                "SimHash search radii (bits) to try, comma-separated",
            )
            .list()
            .default("6")
            .parses_u32(),
        )
        .opt(
            Opt::value(
                "features",
                "FEATURES",
                "SimHash features to try, comma-separated: wN or cN (w1 = single words)",
            )
            .list()
            .default("w1"),
        )
        .opt(
            Opt::value(
                "weighting",
                "WEIGHTING",
                "SimHash weightings to try, comma-separated: tf (term frequency) or uniform",
            )
            .list()
            .default("tf"),
        )
        .opt(
            Opt::value(
                "threads",
                "THREADS",
                "Run on this many threads (default: all)",
            )
            .parses::<usize>(),
        )
        .opt(
            Opt::value(
                "pairs-out",
                "PAIRS_OUT",
                "Write the predicted pairs of the last setting to this file (id_a TAB id_b)",
            )
            .path(),
        )
    }

    /// This process's options; prints the help, the version or a usage error (exit
    /// status 2) and exits where those are asked for or due.
    fn parse() -> Args {
        let m = Args::command().parse();
        Args {
            set: m.positionals().remove(0),
            threshold: m.list("threshold"),
            shingles: m.list("shingles"),
            num_perm: m.list("num-perm"),
            search: m.list("search"),
            similarity: m.list("similarity"),
            anti_chaining: m.list("anti-chaining"),
            tuning: m.list("tuning"),
            predict: m.choice("predict"),
            signature_verify: m.flag("signature-verify"),
            method: m.list("method"),
            max_hamming: m.list("max-hamming"),
            features: m.list("features"),
            weighting: m.list("weighting"),
            threads: m.get("threads"),
            pairs_out: m.path("pairs-out"),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Predict {
    /// Every pair of members of one cluster.
    Clusters,
    /// Every verified pair (`Clusters::pairs`).
    Pairs,
}

impl Choice for Predict {
    const CHOICES: &'static [(&'static str, &'static str, Self)] = &[
        (
            "clusters",
            "Every pair of members of one cluster",
            Predict::Clusters,
        ),
        (
            "pairs",
            "Every verified pair (`Clusters::pairs`)",
            Predict::Pairs,
        ),
    ];
}

fn parse_search(s: &str) -> Result<CandidateSearch, String> {
    match s {
        "lsh" => Ok(CandidateSearch::Lsh),
        "prefix" => Ok(CandidateSearch::PrefixFilter),
        "exhaustive" => Ok(CandidateSearch::Exhaustive),
        _ => Err(format!("bad search {s:?}: use lsh, prefix or exhaustive")),
    }
}

fn parse_similarity(s: &str) -> Result<Similarity, String> {
    match s {
        "jaccard" => Ok(Similarity::Jaccard),
        "containment" => Ok(Similarity::Containment),
        _ => Err(format!("bad similarity {s:?}: use jaccard or containment")),
    }
}

fn parse_on_off(s: &str) -> Result<Option<bool>, String> {
    match s {
        "on" => Ok(Some(true)),
        "off" => Ok(Some(false)),
        "default" => Ok(None),
        _ => Err(format!("bad anti-chaining {s:?}: use on, off or default")),
    }
}

/// The predicted pairs of one run, as unordered id pairs.
fn predicted(clusters: &Clusters, ids: &[String], predict: Predict) -> HashSet<(String, String)> {
    let id = |p: &paradup::Paragraph| ids[p.doc as usize].as_str();
    let mut pred = HashSet::new();
    match predict {
        Predict::Clusters => {
            for c in clusters {
                let m = c.members();
                for i in 0..m.len() {
                    for j in i + 1..m.len() {
                        pred.insert(upair(id(&m[i].paragraph), id(&m[j].paragraph)));
                    }
                }
            }
        }
        Predict::Pairs => {
            for p in clusters.pairs() {
                // score-pairs.py skips a pair of one id with itself.
                if id(&p.a) != id(&p.b) {
                    pred.insert(upair(id(&p.a), id(&p.b)));
                }
            }
        }
    }
    pred
}

fn parse_weighting(s: &str) -> Result<Weighting, String> {
    match s {
        "tf" => Ok(Weighting::TermFrequency),
        "uniform" => Ok(Weighting::Uniform),
        _ => Err(format!("bad weighting {s:?}: use tf or uniform")),
    }
}

/// One setting of the sweep's method part.
#[derive(Clone)]
struct Setting {
    method: Method,
    num_perm: usize,
    features: ShingleKind,
    weighting: Weighting,
    label: String,
}

/// The MinHash and SimHash settings of the sweep.
fn settings(args: &Args) -> Result<Vec<Setting>, String> {
    let mut out = Vec::new();
    for m in &args.method {
        match m.as_str() {
            "minhash" => {
                for &k in &args.num_perm {
                    out.push(Setting {
                        method: Method::MinHash,
                        num_perm: k,
                        features: paradup::simhash::DEFAULT_FEATURES,
                        weighting: Weighting::default(),
                        label: format!("minhash {k} perm"),
                    });
                }
            }
            "simhash" => {
                for f in &args.features {
                    let kind = parse_kind(f)?;
                    for w in &args.weighting {
                        let weighting = parse_weighting(w)?;
                        for &max_hamming in &args.max_hamming {
                            out.push(Setting {
                                method: Method::SimHash { max_hamming },
                                num_perm: args.num_perm.first().copied().unwrap_or(128),
                                features: kind,
                                weighting,
                                label: format!("simhash {f} {w} k={max_hamming}"),
                            });
                        }
                    }
                }
            }
            _ => return Err(format!("bad method {m:?}: use minhash or simhash")),
        }
    }
    Ok(out)
}

/// The length class of a pair: words in its shorter paragraph.
const LENGTHS: [(usize, usize, &str); 3] = [
    (0, 20, "<20 words"),
    (20, 50, "20-49 words"),
    (50, usize::MAX, ">=50 words"),
];

fn read_docs(dir: &Path) -> Result<(Vec<String>, Vec<String>), String> {
    let plain = dir.join("docs.jsonl");
    let gz = dir.join("docs.jsonl.gz");
    let reader: Box<dyn Read> = if plain.exists() {
        Box::new(std::fs::File::open(&plain).map_err(|e| format!("{}: {e}", plain.display()))?)
    } else {
        let f = std::fs::File::open(&gz).map_err(|e| format!("{}: {e}", gz.display()))?;
        Box::new(flate2::read::GzDecoder::new(f))
    };
    let (mut ids, mut texts) = (Vec::new(), Vec::new());
    for (i, line) in BufReader::new(reader).lines().enumerate() {
        let line = line.map_err(|e| format!("docs line {}: {e}", i + 1))?;
        if line.trim().is_empty() {
            continue;
        }
        let v: serde_json::Value =
            serde_json::from_str(&line).map_err(|e| format!("docs line {}: {e}", i + 1))?;
        let id = v["id"]
            .as_str()
            .ok_or(format!("docs line {}: no id", i + 1))?;
        let text = v["text"]
            .as_str()
            .ok_or(format!("docs line {}: no text", i + 1))?;
        ids.push(id.to_string());
        texts.push(text.to_string());
    }
    Ok((ids, texts))
}

type Labelled = BTreeMap<(String, String), (bool, String)>;

fn upair(a: &str, b: &str) -> (String, String) {
    if a <= b {
        (a.to_string(), b.to_string())
    } else {
        (b.to_string(), a.to_string())
    }
}

fn read_pairs(dir: &Path) -> Result<Labelled, String> {
    let path = dir.join("pairs.tsv");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut lines = text.lines();
    let head: Vec<&str> = lines.next().unwrap_or("").split('\t').collect();
    let col = |name: &str| head.iter().position(|h| *h == name);
    let (ia, ib, il) = match (col("id_a"), col("id_b"), col("label")) {
        (Some(a), Some(b), Some(l)) => (a, b, l),
        _ => {
            return Err(format!(
                "{}: needs id_a, id_b and label columns",
                path.display()
            ));
        }
    };
    let it = col("match_type");
    let mut out = Labelled::new();
    for line in lines {
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() <= ia.max(ib).max(il) {
            continue;
        }
        let kind = it.and_then(|i| f.get(i)).unwrap_or(&"all").to_string();
        out.insert(upair(f[ia], f[ib]), (f[il] == "1", kind));
    }
    Ok(out)
}

/// One row of the sweep: a point of the cross product of the lists.
struct Row {
    setting: Setting,
    shingles: String,
    kind: ShingleKind,
    threshold: f64,
    similarity: String,
    search: String,
    candidates: CandidateSearch,
    anti_chaining: Option<bool>,
    tuning: String,
}

impl Row {
    fn deduper(&self, args: &Args) -> Result<Deduper, String> {
        let s = &self.setting;
        let mut b = Deduper::builder();
        b.threshold(self.threshold)
            .shingles(self.kind)
            .num_perm(s.num_perm)
            .method(s.method)
            .simhash_features(s.features)
            .simhash_weighting(s.weighting)
            .similarity(parse_similarity(&self.similarity)?)
            .candidates(self.candidates)
            .paragraphs(ParagraphMode::Whole);
        set_tuning(&mut b, &self.tuning)?;
        if let Some(on) = self.anti_chaining {
            b.anti_chaining(on);
        }
        if let Some(n) = args.threads {
            b.threads(n);
        }
        if args.signature_verify {
            b.verification(Verification::Signature);
        }
        b.build().map_err(|e| e.to_string())
    }
}

/// The rows of the sweep, in the order of the lists (the last list varies fastest).
fn rows(args: &Args) -> Result<Vec<Row>, String> {
    let mut rows = Vec::new();
    for spec in &args.shingles {
        let kind = parse_kind(spec)?;
        for &threshold in &args.threshold {
            for setting in settings(args)? {
                for (similarity, search, ac, tuning) in args
                    .similarity
                    .iter()
                    .flat_map(|x| args.search.iter().map(move |y| (x, y)))
                    .flat_map(|(x, y)| args.anti_chaining.iter().map(move |z| (x, y, z)))
                    .flat_map(|(x, y, z)| args.tuning.iter().map(move |w| (x, y, z, w)))
                {
                    parse_similarity(similarity)?;
                    rows.push(Row {
                        setting: setting.clone(),
                        shingles: spec.clone(),
                        kind,
                        threshold,
                        similarity: similarity.clone(),
                        search: search.clone(),
                        candidates: parse_search(search)?,
                        anti_chaining: parse_on_off(ac)?,
                        tuning: tuning.clone(),
                    });
                }
            }
        }
    }
    Ok(rows)
}

/// The banding of an LSH row (one per class distance for containment), else `-`.
fn banding(d: &Deduper, search: CandidateSearch) -> String {
    match (search, d.containment_banding()) {
        (CandidateSearch::Lsh, Some(c)) => c
            .levels()
            .iter()
            .map(|p| format!("{}x{}", p.bands, p.rows))
            .collect::<Vec<_>>()
            .join(" "),
        (CandidateSearch::Lsh, None) => {
            let p = d.lsh_params();
            format!("{}x{}", p.bands, p.rows)
        }
        _ => "-".to_string(),
    }
}

fn main() {
    let args = Args::parse();
    if let Err(e) = run(&args) {
        eprintln!("evaluate: {e}");
        std::process::exit(2);
    }
}

fn run(args: &Args) -> Result<(), String> {
    let (ids, texts) = read_docs(&args.set)?;
    let labelled = read_pairs(&args.set)?;
    let gold: HashSet<&(String, String)> = labelled
        .iter()
        .filter(|(_, (l, _))| *l)
        .map(|(k, _)| k)
        .collect();
    let mut kinds: Vec<&str> = labelled.values().map(|(_, k)| k.as_str()).collect();
    kinds.sort_unstable();
    kinds.dedup();
    println!(
        "{} docs, {} labelled pairs, {} positive",
        texts.len(),
        labelled.len(),
        gold.len()
    );
    let words: std::collections::HashMap<&str, usize> = ids
        .iter()
        .zip(&texts)
        .map(|(id, t)| (id.as_str(), t.split_whitespace().count()))
        .collect();
    let shorter = |p: &(String, String)| {
        let w = |id: &String| words.get(id.as_str()).copied().unwrap_or(0);
        w(&p.0).min(w(&p.1))
    };
    print!(
        "| method | shingles | threshold | similarity | search | anti-chaining | banding | precision | recall | F1 |"
    );
    for k in &kinds {
        print!(" recall {k} |");
    }
    for (_, _, name) in LENGTHS {
        print!(" recall {name} |");
    }
    println!(" candidates | seconds |");
    print!("|---|---|---|---|---|---|---|---|---|---|");
    for _ in kinds.iter().chain(&["", "", ""]) {
        print!("---|");
    }
    println!("---|---|");
    let mut last = Vec::new();
    for row in rows(args)? {
        let d = row.deduper(args)?;
        let start = Instant::now();
        let clusters = d.run_documents(&texts);
        let secs = start.elapsed().as_secs_f64();
        let pred = predicted(&clusters, &ids, args.predict);
        let tp = pred.iter().filter(|p| gold.contains(p)).count();
        let precision = if pred.is_empty() {
            1.0
        } else {
            tp as f64 / pred.len() as f64
        };
        let recall = tp as f64 / gold.len().max(1) as f64;
        let f1 = if precision + recall == 0.0 {
            0.0
        } else {
            2.0 * precision * recall / (precision + recall)
        };
        print!(
            "| {} | {} | {} | {} | {} | {} | {} | {precision:.4} | {recall:.4} | {f1:.4} |",
            row.setting.label,
            row.shingles,
            row.threshold,
            row.similarity,
            row.search,
            if d.anti_chaining() { "on" } else { "off" },
            banding(&d, row.candidates),
        );
        for kname in &kinds {
            let g: Vec<_> = labelled
                .iter()
                .filter(|(_, (l, kk))| *l && kk == kname)
                .map(|(p, _)| p)
                .collect();
            let hit = g.iter().filter(|p| pred.contains(**p)).count();
            print!(" {:.4} |", hit as f64 / g.len().max(1) as f64);
        }
        for (lo, hi, _) in LENGTHS {
            let g: Vec<_> = gold
                .iter()
                .filter(|p| (lo..hi).contains(&shorter(p)))
                .collect();
            let hit = g.iter().filter(|p| pred.contains(**p)).count();
            print!(" {:.4} ({}) |", hit as f64 / g.len().max(1) as f64, g.len());
        }
        println!(" {} | {secs:.2} |", clusters.stats().candidates);
        last = pred.into_iter().collect();
        last.sort();
    }
    if let Some(path) = &args.pairs_out {
        let mut f = std::io::BufWriter::new(
            std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?,
        );
        for (a, b) in &last {
            writeln!(f, "{a}\t{b}").map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}
