//! Recall and precision of the LSH search against the exact all-pairs answer.
//!
//! ```text
//! cargo run --release --example exact_recall -- [CORPUS] [--paragraphs 50000] [--threshold 0.5]
//!     [--tuning 0.5:0.5,r0.99,32x4,default] [--shingles w3] [--num-perm 128] [--containment]
//! ```
//!
//! Reads the first `--paragraphs` distinct paragraphs (distinct after normalization, so
//! that exact duplicates, which every search finds, do not inflate recall) of CORPUS
//! (default: the shared Gutenberg corpus, one paragraph per line, gzip or plain). The
//! reference is the same deduper with [`CandidateSearch::PrefixFilter`], which finds
//! every pair at the threshold exactly. Then, for each LSH tuning, it runs the LSH
//! search (anti-chaining off, so clusters are the connected components of verified
//! pairs) and reports:
//!
//! - **recall**: the share of reference pairs whose two paragraphs share an LSH cluster;
//! - **pair recall**: the share of reference pairs that LSH verified directly (LSH links
//!   each bucket to its first member, so this is lower and only informative);
//! - **precision**: the share of LSH's verified pairs that are reference pairs (1.0 by
//!   construction with exact verification);
//! - candidates, and the seconds of each run.
//!
//! With `--containment` both runs use containment similarity, and recall is also given
//! for the pairs whose size ratio is at most the containment search's `MAX_RATIO`.

#[path = "common/cli.rs"]
mod cli;
mod common;

use cli::{Command, Opt, Positional};
use common::{parse_kind, set_tuning};
use paradup::lsh::containment::MAX_RATIO;
use paradup::{CandidateSearch, Clusters, Deduper, ParagraphMode, ShingleKind, Similarity};
use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::time::Instant;

/// The options, as parsed; [`Args::parse`] reads them.
#[derive(Debug)]
struct Args {
    corpus: PathBuf,
    paragraphs: usize,
    threshold: f64,
    tuning: Vec<String>,
    shingles: Option<String>,
    num_perm: usize,
    containment: bool,
    threads: Option<usize>,
    show_missed: usize,
}

impl Args {
    /// The command line: every option with its help and default.
    fn command() -> Command {
        Command::new(
            "exact_recall",
            "LSH recall and precision against exact all-pairs similarity",
        )
        .positional(
            Positional::one(
                "CORPUS",
                "One paragraph per line (blank lines skipped), gzip or plain",
            )
            .default("../shared/corpora/gutenberg-48mb.txt.gz"),
        )
        .opt(
            Opt::value(
                "paragraphs",
                "PARAGRAPHS",
                "Distinct paragraphs to take from the start of the corpus",
            )
            .default(50_000)
            .parses::<usize>(),
        )
        .opt(
            Opt::value("threshold", "THRESHOLD", "Similarity threshold")
                .default(paradup::pipeline::DEFAULT_THRESHOLD)
                .parses::<f64>(),
        )
        .opt(
            Opt::value(
                "tuning",
                "TUNING",
                "LSH tunings to compare, comma-separated: FALSE_NEGATIVE:FALSE_POSITIVE \
                weights (datasketch's rule), rP (least recall P at the threshold), BxR \
                (explicit banding), or `default`",
            )
            .list()
            .default("0.5:0.5,default"),
        )
        .opt(Opt::value(
            "shingles",
            "SHINGLES",
            "Shingles: wN (word N-grams) or cN (char N-grams) [default: the crate's]",
        ))
        .opt(
            Opt::value("num-perm", "NUM_PERM", "MinHash permutations")
                .default(128)
                .parses::<usize>(),
        )
        .opt(Opt::flag(
            "containment",
            "Containment similarity instead of Jaccard",
        ))
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
                "show-missed",
                "N",
                "Print up to N reference pairs that each LSH run missed (similarity, \
                shingle-set sizes, texts)",
            )
            .default(0)
            .parses::<usize>(),
        )
    }

    /// This process's options; prints the help or a usage error (exit status 2) and
    /// exits where those are asked for or due.
    fn parse() -> Args {
        let m = Args::command().parse();
        Args {
            corpus: m.positionals().remove(0),
            paragraphs: m.value("paragraphs"),
            threshold: m.value("threshold"),
            tuning: m.list("tuning"),
            shingles: m.text("shingles"),
            num_perm: m.value("num-perm"),
            containment: m.flag("containment"),
            threads: m.get("threads"),
            show_missed: m.value("show-missed"),
        }
    }
}

/// The first `limit` paragraphs of `path` that are distinct after `deduper`'s
/// normalization and have at least one shingle.
fn read_paragraphs(path: &PathBuf, limit: usize, deduper: &Deduper) -> Result<Vec<String>, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut reader = BufReader::new(file);
    let gz = reader
        .fill_buf()
        .map_err(|e| e.to_string())?
        .starts_with(&[0x1f, 0x8b]);
    let reader: Box<dyn Read> = if gz {
        Box::new(flate2::read::MultiGzDecoder::new(reader))
    } else {
        Box::new(reader)
    };
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for line in BufReader::new(reader).lines() {
        let line = line.map_err(|e| format!("{}: {e}", path.display()))?;
        let norm = deduper.normalizer().normalize(&line);
        if norm.is_empty() || !seen.insert(norm) {
            continue;
        }
        out.push(line);
        if out.len() == limit {
            break;
        }
    }
    Ok(out)
}

/// Verified pairs `(a, b)` by document (each document is one paragraph).
fn pair_set(c: &Clusters) -> HashSet<(u32, u32)> {
    c.pairs().iter().map(|p| (p.a.doc, p.b.doc)).collect()
}

/// Cluster number of each document in a cluster.
fn cluster_of(c: &Clusters) -> HashMap<u32, usize> {
    c.iter()
        .enumerate()
        .flat_map(|(i, cl)| cl.members().iter().map(move |m| (m.paragraph.doc, i)))
        .collect()
}

fn main() {
    if let Err(e) = run(&Args::parse()) {
        eprintln!("exact_recall: {e}");
        std::process::exit(2);
    }
}

fn run(args: &Args) -> Result<(), String> {
    let similarity = if args.containment {
        Similarity::Containment
    } else {
        Similarity::Jaccard
    };
    let kind = match &args.shingles {
        Some(spec) => parse_kind(spec)?,
        None => ShingleKind::default(),
    };
    let builder = || {
        let mut b = Deduper::builder();
        b.threshold(args.threshold)
            .shingles(kind)
            .num_perm(args.num_perm)
            .similarity(similarity)
            .anti_chaining(false)
            .paragraphs(ParagraphMode::Whole);
        if let Some(n) = args.threads {
            b.threads(n);
        }
        b
    };
    let exact = builder()
        .candidates(CandidateSearch::PrefixFilter)
        .build()
        .map_err(|e| e.to_string())?;
    let docs = read_paragraphs(&args.corpus, args.paragraphs, &exact)?;
    let start = Instant::now();
    let reference = exact.run_documents(&docs);
    let exact_secs = start.elapsed().as_secs_f64();
    let truth = pair_set(&reference);
    // Shingle-set sizes, for the size ratio of containment pairs.
    let set = |d: u32| {
        let norm = exact.normalizer().normalize(&docs[d as usize]);
        exact.shingler().shingles(&norm)
    };
    let size = |d: u32| set(d).len();
    let within_ratio: HashSet<(u32, u32)> = if args.containment {
        truth
            .iter()
            .filter(|&&(a, b)| {
                let (x, y) = (size(a), size(b));
                x.max(y) as f64 <= MAX_RATIO * x.min(y) as f64
            })
            .copied()
            .collect()
    } else {
        HashSet::new()
    };
    println!(
        "{} distinct paragraphs from {}; {:?} similarity at threshold {}, shingles {:?}, {} permutations",
        docs.len(),
        args.corpus.display(),
        similarity,
        args.threshold,
        kind,
        args.num_perm
    );
    println!(
        "exact (prefix filter): {} pairs at or above the threshold, {exact_secs:.2} s",
        truth.len()
    );
    print!("| tuning | banding | candidates | verified | recall | pair recall | precision |");
    if args.containment {
        print!(" recall, ratio <= {MAX_RATIO} ({}) |", within_ratio.len());
    }
    println!(" seconds |");
    print!("|---|---|---|---|---|---|---|");
    if args.containment {
        print!("---|");
    }
    println!("---|");
    for spec in &args.tuning {
        let mut b = builder();
        set_tuning(&mut b, spec)?;
        let d = b.build().map_err(|e| e.to_string())?;
        let start = Instant::now();
        let got = d.run_documents(&docs);
        let secs = start.elapsed().as_secs_f64();
        let found = pair_set(&got);
        let cluster = cluster_of(&got);
        let together =
            |&(a, b): &(u32, u32)| cluster.get(&a).is_some_and(|x| cluster.get(&b) == Some(x));
        let share = |set: &HashSet<(u32, u32)>, hit: &dyn Fn(&(u32, u32)) -> bool| {
            if set.is_empty() {
                1.0
            } else {
                set.iter().filter(|p| hit(p)).count() as f64 / set.len() as f64
            }
        };
        let recall = share(&truth, &together);
        let pair_recall = share(&truth, &|p| found.contains(p));
        let precision = share(&found, &|p| truth.contains(p));
        let banding = match d.containment_banding() {
            Some(b) => b
                .levels()
                .iter()
                .map(|p| format!("{}x{}", p.bands, p.rows))
                .collect::<Vec<_>>()
                .join(" "),
            None => format!("{}x{}", d.lsh_params().bands, d.lsh_params().rows),
        };
        print!(
            "| {spec} | {banding} | {} | {} | {recall:.4} | {pair_recall:.4} | {precision:.4} |",
            got.stats().candidates,
            got.stats().verified,
        );
        if args.containment {
            print!(" {:.4} |", share(&within_ratio, &together));
        }
        println!(" {secs:.2} |");
        if args.show_missed > 0 {
            let mut missed: Vec<&(u32, u32)> = truth.iter().filter(|p| !together(p)).collect();
            missed.sort_unstable();
            for &&(a, b) in missed.iter().take(args.show_missed) {
                let s = similarity.of(&set(a), &set(b));
                println!(
                    "  missed {a} {b}: similarity {s:.3}, sizes {} {}\n    {:?}\n    {:?}",
                    set(a).len(),
                    set(b).len(),
                    docs[a as usize],
                    docs[b as usize]
                );
            }
        }
    }
    Ok(())
}
