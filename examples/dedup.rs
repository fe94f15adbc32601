//! Find near-duplicate paragraphs in text and JSONL corpora.
//!
//! ```text
//! cargo run --release --example dedup                       # the built-in sample
//! cargo run --release --example dedup -- PATH... [OPTIONS]  # files, directories, -
//! ```
//!
//! A thin front end: reading is [`paradup::corpus`], finding is [`paradup::Deduper`]
//! (and [`paradup::Index`] for `--against`, `--save-index` and `--first-wins`), every
//! output is [`paradup::report`]. See `--help`.
//!
//! # Index keys and names
//!
//! `--save-index FILE` numbers the distinct paragraphs of the input (distinct after
//! normalization; the first occurrence names each) 0, 1, 2, … in input order, and
//! uses those numbers as the index's `u64` keys. The index keeps no text and no
//! names, so the run also writes `FILE.names.jsonl`
//! ([`paradup::report::matches`]): key → source, line and byte span. `--against
//! FILE` loads both and checks that they belong together. Adding to a loaded index
//! (`--against OLD --save-index NEW`) continues the numbering after OLD's largest
//! key, so keys stay stable: a key, once given, names the same paragraph in every
//! later index built from it.
//!
//! # Streaming
//!
//! `--stream` reads through a [`paradup::corpus::StreamCorpus`] instead of a
//! [`paradup::corpus::Corpus`]: a first pass checks and counts the inputs (the same
//! notes and warnings), [`paradup::Deduper::run_stream`] reads them once or twice more,
//! and the report comes from one more pass that gathers only the cluster members'
//! names, spans and shown texts ([`paradup::corpus::MemberTexts`], a
//! [`paradup::report::ReportSource`] like `Corpus`). `--write-deduped` and
//! `--annotate` read every source once more. The index options need every
//! paragraph's text at hand and are refused.

use clap::{Parser, ValueEnum};
use paradup::corpus::{Corpus, CorpusReader, Event, Input, InputFormat, OUTPUTS_LIST};
use paradup::fsio::{AtomicFile, FileId, StagedFile};
use paradup::index::exact_key;
use paradup::pipeline::DEFAULT_THRESHOLD;
use paradup::report::diff::DiffStyle;
use paradup::report::matches::{self, Hit, Names};
use paradup::report::outputs::OutputGuard;
use paradup::report::rewrite::{self, Keep, Output, Removal};
use paradup::report::{self, IndexSummary, PairIds, Summary, TextStyle};
use paradup::{
    Clusters, Deduper, Error, ErrorKind, Index, Matches, Method, Paragraph, ParagraphMode,
    Similarity, StreamConfig,
};
use rayon::prelude::*;
use std::collections::HashMap;
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// The built-in sample: the seed article, whose lines 10 and 11 are one paragraph
/// lightly edited.
const SAMPLE_NAME: &str = "examples/data/putin-kim-article.txt";
const SAMPLE: &str = include_str!("data/putin-kim-article.txt");

/// Inputs at least this large get a progress bar (when stderr is a terminal).
const PROGRESS_MIN_BYTES: u64 = 16 << 20;

#[derive(Parser, Debug)]
#[command(
    name = "dedup",
    version,
    about = "Find near-duplicate paragraphs in text and JSONL corpora",
    long_about = "Find near-duplicate paragraphs in text and JSONL corpora.\n\n\
        Reads every PATH (files; directories recursively, in sorted path order; - for \
        standard input), splits documents into paragraphs, and reports the clusters of \
        paragraphs whose word 2-gram Jaccard similarity to another member reaches the \
        threshold (MinHash + LSH finds the candidates, exact Jaccard verifies them). \
        Clusters do not chain: every member reaches the threshold against the \
        cluster's first paragraph (--chaining turns that off). With --similarity \
        containment, a short paragraph mostly contained in a longer one (an excerpt, \
        half of a split paragraph) is a near-duplicate too. The report goes to \
        standard output, notes and the summary to standard error.\n\n\
        Dedup against what you already have: --save-index FILE saves an index of the \
        input's paragraphs; a later run with --against FILE also reports (and with \
        --write-deduped removes) the paragraphs of its input that repeat one in the \
        index, naming the earlier paragraph by source and line. Matching an index \
        compares MinHash signatures (the index keeps no text): similarity there is the \
        signature estimate, not exact Jaccard.\n\n\
        --first-wins streams instead: each paragraph, in input order, is kept only if it \
        matches no paragraph kept before it. Like the batch clusters, it does not chain \
        (when A matches B and B matches C but A does not match C, both keep A and C; a \
        batch run with --chaining keeps only A), but it keeps the first and never the \
        longest, and its memory is the index of kept paragraphs.\n\n\
        Corpora larger than memory: --stream reads the inputs again for each pass \
        instead of holding them, with the same reports and outputs; --memory-limit \
        SIZE also keeps the state that grows with the corpus on disk, holding about \
        SIZE of it in memory.",
    after_help = "Exit status: 0 when everything was read; 1 when some input was skipped \
        because of an error (an unreadable file, a malformed JSONL line) or an output \
        file or the index could not be written: the rest is done and reported; 2 on a \
        usage error, a path that does not exist, an --against index that cannot be \
        used (missing, corrupt, or saved with another --threshold), an output that \
        would overwrite an input, or (--stream) an input that changed between passes."
)]
struct Args {
    /// Files or directories to read; - reads standard input. Without any, runs on a
    /// built-in sample (the seed article).
    #[arg(value_name = "PATH")]
    paths: Vec<PathBuf>,

    /// Similarity (of word 2-gram sets; see --similarity) at or above which two
    /// paragraphs are near-duplicates, in (0, 1].
    #[arg(long, default_value_t = DEFAULT_THRESHOLD)]
    threshold: f64,

    /// What similar means: the Jaccard similarity of the two paragraphs (jaccard), or
    /// the share of the smaller paragraph found in the larger (containment: finds
    /// excerpts and halves of split paragraphs; try --threshold 0.8). With containment,
    /// pairs get a fourth column and JSONL members a "direction": a_in_b, b_in_a or
    /// mutual. Batch runs only (not with --against, --save-index or --first-wins).
    #[arg(long, value_enum, default_value_t = SimilarityArg::Jaccard)]
    similarity: SimilarityArg,

    /// Clusters as connected components: a paragraph joins a cluster when it matches
    /// any member, so a chain of small edits can join paragraphs that share little.
    /// Without it, every member reaches --threshold against its cluster's first
    /// paragraph.
    #[arg(long)]
    chaining: bool,

    /// Warn about clusters with more than N members (in the summary).
    #[arg(long, value_name = "N", default_value_t = paradup::pipeline::DEFAULT_MAX_CLUSTER_SIZE)]
    max_cluster_size: usize,

    /// Worker threads [default: all cores].
    #[arg(long, value_name = "N")]
    threads: Option<usize>,

    /// How candidate pairs are found: MinHash signatures and LSH bands (minhash), or
    /// 64-bit SimHash fingerprints and a Hamming search (simhash: 8 bytes per paragraph
    /// instead of 512, coarser on short paragraphs). Either way every candidate is
    /// verified by exact Jaccard against --threshold. The index of --save-index,
    /// --against and --first-wins always holds MinHash signatures.
    #[arg(long, value_enum, default_value_t = MethodArg::Minhash)]
    method: MethodArg,

    /// With --method simhash: fingerprints that differ in at most K of their 64 bits
    /// are candidates.
    /// [default: 3]
    #[arg(long, value_name = "K")]
    max_hamming: Option<u32>,

    /// What to print on standard output: clusters with word diffs (text), one JSON
    /// object per cluster (jsonl), or one verified pair per line, tab-separated:
    /// ID_A ID_B SIMILARITY (pairs). With --against or --first-wins, each paragraph
    /// that matches one seen before follows: as a "match N:" block naming the earlier
    /// paragraphs' SOURCE:LINE and similarity (text), as an object with "match" where
    /// clusters have "cluster" and a "matches" list (jsonl), or as NEW_ID OLD_ID
    /// SIMILARITY lines (pairs).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,

    /// How to read inputs; auto reads .jsonl and .ndjson (also .gz) as JSONL and
    /// everything else, standard input included, as text. gzip is recognized by
    /// content and decompressed on the fly.
    #[arg(long, value_enum, default_value_t = FormatArg::Auto)]
    input_format: FormatArg,

    /// The JSONL field holding a record's text.
    #[arg(long, default_value = "text", value_name = "NAME")]
    text_field: String,

    /// The JSONL field holding a record's id; records without one are named FILE:LINE.
    #[arg(long, default_value = "id", value_name = "NAME")]
    id_field: String,

    /// How documents (text files, JSONL records) are cut into paragraphs: blocks
    /// between blank lines (blank), every line (line), the whole document (whole), or
    /// blank if the document has a blank line between two others, else line (auto).
    /// auto is decided per document, so a file whose only blank separators were
    /// removed may be cut differently on a second run.
    #[arg(long, value_enum, default_value_t = ParagraphsArg::Auto)]
    paragraphs: ParagraphsArg,

    /// Write every input again under DIR (same relative paths, same format and
    /// compression) without its duplicate paragraphs, keeping one per cluster (see
    /// --keep). Everything else is kept byte for byte. Never writes over an input.
    #[arg(long, value_name = "DIR")]
    write_deduped: Option<PathBuf>,

    /// Which paragraph of each cluster --write-deduped keeps (and --annotate does not
    /// list): the first in input order, or the longest. With --against, a cluster
    /// that has a member matching the index keeps none.
    #[arg(long, value_enum, default_value_t = KeepArg::First)]
    keep: KeepArg,

    /// Write under DIR one JSONL file per input (a.txt -> a.txt.jsonl, b.jsonl.gz ->
    /// b.jsonl), one line per document, listing the byte spans of the duplicate
    /// paragraphs that --write-deduped would remove, like dolma's attribute files: for
    /// pipelines that remove later. Works alone or with --write-deduped (not with
    /// --against or --first-wins).
    #[arg(long, value_name = "DIR", conflicts_with_all = ["against", "first_wins"])]
    annotate: Option<PathBuf>,

    /// Also match the input against the index FILE saved by an earlier --save-index
    /// (its names are read from FILE.names.jsonl beside it): report each paragraph of
    /// the input that repeats an indexed one exactly (after normalization) or with
    /// estimated similarity at or above the threshold, with the indexed paragraph's
    /// source, line and similarity; duplicates within the input are reported as
    /// without it. With --write-deduped those paragraphs go too, with every member
    /// of their clusters. The index must have been saved with the same --threshold.
    #[arg(long, value_name = "FILE")]
    against: Option<PathBuf>,

    /// After the run, save to FILE an index of every distinct paragraph of the input
    /// (keys 0, 1, 2, … in input order), and their names (source, line, byte span)
    /// to FILE.names.jsonl, for a later --against. With --against, the loaded index is
    /// kept and the input's paragraphs that it does not hold exactly are added under
    /// the next keys (FILE may be the loaded index itself); with --first-wins, the
    /// index holds the kept paragraphs.
    #[arg(long, value_name = "FILE")]
    save_index: Option<PathBuf>,

    /// Streaming first-wins instead of batch clusters: take the paragraphs in input
    /// order and keep each one only if it matches no paragraph kept before it (nor one
    /// in the --against index); report each paragraph dropped with what it matched
    /// (see --format), and with --write-deduped remove it. Does not chain and never
    /// keeps the longest (see above); memory grows with the kept paragraphs only.
    #[arg(long, conflicts_with = "keep")]
    first_wins: bool,

    /// Colour in the text report.
    #[arg(long, value_enum, default_value_t = ColorArg::Auto)]
    color: ColorArg,

    /// Members listed per cluster, and earlier paragraphs per match, in the text
    /// report (0: all).
    #[arg(long, default_value_t = 10, value_name = "N")]
    max_members: usize,

    /// No progress bar and no summary on standard error (problems are still reported).
    #[arg(long, short)]
    quiet: bool,

    /// Write the summary as one JSON object to FILE.
    #[arg(long, value_name = "FILE")]
    stats_json: Option<PathBuf>,

    /// Read the inputs as a stream instead of into memory, for corpora larger than
    /// memory: the inputs are read once to check them (binary files, malformed JSONL
    /// lines, invalid UTF-8: reported as without --stream), once or twice more to find
    /// the near-duplicates (the second pass verifies candidate pairs), once more for
    /// the paragraphs the report shows (only the files that hold some), and once more
    /// per --write-deduped or --annotate output. Reports, outputs and summary are
    /// those of a run without --stream. Standard input (-) is copied to a file in
    /// --temp-dir first, since it cannot be read twice. Not with --against,
    /// --save-index or --first-wins. One difference: --paragraphs auto decides a text
    /// file from its first 16 MiB, not from all of it.
    #[arg(long, conflicts_with_all = ["against", "save_index", "first_wins"])]
    stream: bool,

    /// With --stream (implied): keep what grows with the corpus (provenance, exact keys,
    /// band keys, shingle sets) in files in --temp-dir and hold at most about SIZE bytes
    /// of it in memory (the result itself must fit; see the README). SIZE: bytes, or a
    /// number with K, M, G or T (powers of 1024), e.g. 512M, 2G. Not with
    /// --similarity containment.
    #[arg(long, value_name = "SIZE", value_parser = parse_size,
          conflicts_with_all = ["against", "save_index", "first_wins"])]
    memory_limit: Option<usize>,

    /// With --stream (implied): the directory, which must exist, for spill files (in a
    /// private directory removed at the end, also on Ctrl-C) and for the unnamed copy
    /// of standard input [default: the system's temporary directory].
    #[arg(long, value_name = "DIR", conflicts_with_all = ["against", "save_index", "first_wins"])]
    temp_dir: Option<PathBuf>,
}

/// `--memory-limit`: bytes, or a number with a K, M, G or T suffix (powers of 1024;
/// an optional B or iB after it).
fn parse_size(s: &str) -> Result<usize, String> {
    let t = s.trim();
    let t = t
        .strip_suffix("iB")
        .or_else(|| t.strip_suffix('B'))
        .unwrap_or(t);
    let (digits, shift) = match t.chars().last().map(|c| c.to_ascii_uppercase()) {
        Some('K') => (&t[..t.len() - 1], 10),
        Some('M') => (&t[..t.len() - 1], 20),
        Some('G') => (&t[..t.len() - 1], 30),
        Some('T') => (&t[..t.len() - 1], 40),
        _ => (t, 0),
    };
    let n: usize = digits
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a size (bytes, or a number with K, M, G or T)"))?;
    n.checked_mul(1usize << shift)
        .filter(|&b| b > 0)
        .ok_or_else(|| format!("{s:?}: the size must be at least 1 byte and fit in memory"))
}

/// `--method`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum MethodArg {
    /// MinHash signatures, LSH bands.
    Minhash,
    /// SimHash fingerprints, Hamming search.
    Simhash,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum SimilarityArg {
    /// Shared shingles over all shingles of the two.
    Jaccard,
    /// Shared shingles over the smaller paragraph's shingles.
    Containment,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Jsonl,
    Pairs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum FormatArg {
    Auto,
    Text,
    Jsonl,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum ParagraphsArg {
    Auto,
    Blank,
    Line,
    Whole,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum KeepArg {
    First,
    Longest,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum ColorArg {
    Auto,
    Always,
    Never,
}

/// A run that cannot go on: message for standard error, exit status 2.
struct Fatal(String);

fn main() -> ExitCode {
    let args = Args::parse();
    // Destructors do not run on a signal: remove the temporary files (outputs not yet
    // renamed into place, spill directories) before exiting.
    let _ = ctrlc::set_handler(|| {
        // Other threads go on meanwhile: try again for what they add.
        for _ in 0..10 {
            if paradup::fsio::remove_temp_files() == 0 {
                std::thread::sleep(Duration::from_millis(20));
                if paradup::fsio::remove_temp_files() == 0 {
                    break;
                }
            }
        }
        eprintln!("\ndedup: interrupted; temporary files removed, no output renamed into place");
        std::process::exit(130);
    });
    match run(&args) {
        Ok(status) => ExitCode::from(status),
        Err(Fatal(message)) => {
            eprintln!("dedup: error: {message}");
            ExitCode::from(2)
        }
    }
}

fn paragraph_mode(args: &Args) -> ParagraphMode {
    match args.paragraphs {
        ParagraphsArg::Auto => ParagraphMode::Auto,
        ParagraphsArg::Blank => ParagraphMode::BlankLines,
        ParagraphsArg::Line => ParagraphMode::Lines,
        ParagraphsArg::Whole => ParagraphMode::Whole,
    }
}

/// The deduper the options ask for (the place for method options).
fn build_deduper(args: &Args) -> Result<Deduper, Fatal> {
    let containment = args.similarity == SimilarityArg::Containment;
    if containment && (args.against.is_some() || args.save_index.is_some() || args.first_wins) {
        return Err(Fatal(
            "--similarity containment works on batch runs only: an index matches by Jaccard \
             (drop --against, --save-index and --first-wins)"
                .to_string(),
        ));
    }
    if let Some(k) = args.max_hamming {
        if args.method != MethodArg::Simhash {
            return Err(Fatal(
                "--max-hamming applies to --method simhash only".to_string(),
            ));
        }
        if k > 64 {
            return Err(Fatal(format!(
                "--max-hamming {k}: fingerprints have 64 bits, so K is at most 64"
            )));
        }
    }
    let mut b = Deduper::builder();
    b.threshold(args.threshold)
        .paragraphs(paragraph_mode(args))
        .anti_chaining(!args.chaining)
        .max_cluster_size(args.max_cluster_size);
    if containment {
        b.similarity(Similarity::Containment);
    }
    b.method(match args.method {
        MethodArg::Minhash => Method::MinHash,
        MethodArg::Simhash => Method::SimHash {
            max_hamming: args
                .max_hamming
                .unwrap_or(paradup::pipeline::DEFAULT_MAX_HAMMING),
        },
    });
    b.build().map_err(|e| Fatal(e.to_string()))
}

/// Runs everything; returns the exit status (0 or 1).
fn run(args: &Args) -> Result<u8, Fatal> {
    let start = Instant::now();
    if args.threads == Some(0) {
        return Err(Fatal(
            paradup::Error::from(paradup::ErrorKind::ZeroThreads).to_string(),
        ));
    }
    let deduper = build_deduper(args)?;
    let threads = args.threads.map(cap_threads);
    if let Some(dir) = &args.temp_dir
        && !dir.is_dir()
    {
        return Err(Fatal(format!(
            "--temp-dir {}: no such directory (it is not created)",
            dir.display()
        )));
    }
    let inputs = inputs(args);
    let guard = check_outputs(args, &inputs)?;
    // Everything parallel (reading included) runs on the global pool, and this thread
    // is its first worker: it works instead of waiting for the pool. With a pool of its
    // own, the deduper woke both its workers at once while this thread still held a
    // core, and now and then the scheduler left both on one core and the other idle
    // for 30–40 ms (perf, every CPU, two threads on two cores). Two windows of 16 and
    // 20 runs alternating with the build before, two threads: median 0.192 → 0.182 s
    // and 0.199 → 0.191 s.
    let mut pool = rayon::ThreadPoolBuilder::new().use_current_thread();
    if let Some(n) = threads {
        pool = pool.num_threads(n);
    }
    let _ = pool.build_global();
    if args.stream || args.memory_limit.is_some() || args.temp_dir.is_some() {
        return run_streamed(args, &deduper, &inputs, &guard, start);
    }
    let mut status = 0;

    // The index to match against, before anything else: a bad one costs nothing.
    let load_start = Instant::now();
    let loaded = match &args.against {
        Some(path) => Some(load_index(path, &deduper)?),
        None => None,
    };
    let load_time = load_start.elapsed();

    // Read.
    let read_start = Instant::now();
    let mut reader = corpus_reader(args);
    reader.keep_original(args.write_deduped.is_some());
    let mut bar = Progress::new(!args.quiet && io::stderr().is_terminal());
    let corpus = reader
        .read(&inputs, |event| on_read_event(&mut bar, event))
        .map_err(|e| Fatal(e.to_string()))?;
    bar.clear();
    let read_time = read_start.elapsed();
    if corpus.stats().errors() > 0 {
        status = 1;
    }

    // Checked again with what was read (standard input's output name, say).
    for (dir, what) in outputs(args) {
        rewrite::plan_outputs(&corpus, dir, what).map_err(|e| Fatal(e.to_string()))?;
    }

    // Find.
    if bar.enabled && corpus.stats().bytes >= PROGRESS_MIN_BYTES {
        bar.message(&format!(
            "finding near-duplicates in {} documents…",
            report::thousands(corpus.documents().len() as u64)
        ));
    }
    let keep = match args.keep {
        KeepArg::First => Keep::First,
        KeepArg::Longest => Keep::Longest,
    };
    let mut index_summary = IndexSummary::default();
    index_summary.loaded = loaded.as_ref().map(|(index, _)| index.len());
    index_summary.load_time = load_time;
    let found = if args.first_wins {
        let (index, names) = loaded.unwrap_or_else(|| (Index::new(&deduper), Names::new()));
        first_wins(&deduper, &corpus, index, names, &mut index_summary)?
    } else {
        batch(
            args,
            &deduper,
            &corpus,
            keep,
            loaded,
            &mut index_summary,
            bar.enabled && corpus.stats().bytes >= PROGRESS_MIN_BYTES,
        )?
    };
    bar.clear();
    let Found {
        clusters,
        hits,
        removed,
        index_used,
        paragraphs,
    } = found;
    if args.against.is_some() || args.first_wins {
        index_summary.matched = Some(hits.len());
    }

    // Write: files first, each complete before any is renamed into place, then the
    // report (which a closed pipe may cut short).
    let write_start = Instant::now();
    let mut staged = Vec::new();
    for (dir, what) in outputs(args) {
        staged.extend(
            rewrite::stage_tree(&corpus, &removed, dir, what, |path, e| {
                eprintln!("dedup: warning: {}: cannot write: {e}", path.display());
                status = 1;
            })
            .map_err(|e| Fatal(e.to_string()))?,
        );
    }
    if let (Some(path), Some((index, names))) = (&args.save_index, &index_used) {
        let save_start = Instant::now();
        match stage_index(path, index, names) {
            Ok(files) => {
                staged.extend(files);
                index_summary.saved = Some(index.len());
            }
            Err(e) => {
                eprintln!("dedup: warning: {e}");
                status = 1;
            }
        }
        index_summary.save_time += save_start.elapsed();
    }
    status |= commit(staged, &guard);
    let names = index_used.as_ref().map(|(_, names)| names);
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let no_names = Names::new();
    let names = names.unwrap_or(&no_names);
    let written = match args.format {
        Format::Text => {
            let style = text_style(args);
            report::write_text(&mut out, &corpus, &clusters, &style)
                .and_then(|()| matches::write_text(&mut out, &corpus, names, &hits, &style))
        }
        Format::Jsonl => report::write_jsonl(&mut out, &corpus, &clusters)
            .and_then(|()| matches::write_jsonl(&mut out, &corpus, names, &hits)),
        Format::Pairs => {
            let ids = pair_ids(args);
            report::write_pairs(&mut out, &corpus, &clusters, ids)
                .and_then(|()| matches::write_pairs(&mut out, &corpus, names, &hits, ids))
        }
    }
    .and_then(|()| out.flush());
    drop(out);
    status |= report_status(written);

    let write_time = write_start.elapsed();

    // Summarize.
    let mut summary = Summary::new(&corpus, &clusters, &removed);
    if args.first_wins {
        summary.run.paragraphs = paragraphs.0;
        summary.run.bytes = paragraphs.1;
        summary.run.exact_duplicates = hits
            .iter()
            .filter(|h| h.matches.best().is_some_and(|m| m.exact))
            .count();
    }
    if args.against.is_some() || args.save_index.is_some() || args.first_wins {
        summary.index = Some(index_summary);
    }
    summary.read_time = read_time;
    summary.write_time = write_time;
    status |= summarize(args, summary, &guard, start);
    // The process exits next: freeing an index's bucket vectors one by one took
    // seconds (3 s after a run on 48 MB that took 8), for memory the exit returns.
    std::mem::forget(index_used);
    Ok(status)
}

/// The text report's style: colour as --color says, --max-members.
fn text_style(args: &Args) -> TextStyle {
    let color = match args.color {
        ColorArg::Always => true,
        ColorArg::Never => false,
        ColorArg::Auto => io::stdout().is_terminal(),
    };
    TextStyle {
        diff: DiffStyle {
            color,
            ..DiffStyle::default()
        },
        max_members: args.max_members,
        ..TextStyle::default()
    }
}

/// What the pairs report names: documents with `--paragraphs whole`, else paragraphs.
fn pair_ids(args: &Args) -> PairIds {
    match paragraph_mode(args) {
        ParagraphMode::Whole => PairIds::Documents,
        _ => PairIds::Paragraphs,
    }
}

/// The exit status a report's writing adds: 1 when it failed, 0 when it worked or
/// when the reader closed the pipe (`| head` is the reader's choice, not an error).
fn report_status(written: io::Result<()>) -> u8 {
    match written {
        Ok(()) => 0,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => 0,
        Err(e) => {
            eprintln!("dedup: warning: cannot write the report: {e}");
            1
        }
    }
}

/// Prints the summary (unless --quiet) and writes --stats-json, after filling in the
/// threads and the total time; the exit status this adds (1 when the JSON could not
/// be written).
fn summarize(args: &Args, mut summary: Summary, guard: &OutputGuard, start: Instant) -> u8 {
    summary.threads = rayon::current_num_threads();
    summary.total_time = start.elapsed();
    if !args.quiet {
        eprintln!("{summary}");
    }
    let Some(path) = &args.stats_json else {
        return 0;
    };
    let written = AtomicFile::create(path).and_then(|mut f| {
        f.write_all((summary.to_json() + "\n").as_bytes())?;
        f.commit()
    });
    if let Err(e) = written.and_then(|()| guard.record(std::slice::from_ref(path))) {
        eprintln!("dedup: warning: {}: cannot write: {e}", path.display());
        return 1;
    }
    0
}

/// `--threads` beyond this many per core is capped: each thread costs memory and
/// setup while none adds speed past the cores.
const MAX_THREADS_PER_CORE: usize = 4;

/// `--threads N`, at most [`MAX_THREADS_PER_CORE`] per core (with a warning).
fn cap_threads(n: usize) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    let max = cores.saturating_mul(MAX_THREADS_PER_CORE);
    if n > max {
        eprintln!(
            "dedup: warning: --threads {n} is more than {MAX_THREADS_PER_CORE} per core \
             ({cores} cores); using {max}"
        );
        return max;
    }
    n
}

/// Checks every output against every input and every other output before anything
/// is read: an output may not be an input (by device and inode: a hard or symbolic
/// link to an input is one), nor be written twice, nor be a directory (or, for
/// --write-deduped and --annotate, a file).
fn check_outputs(args: &Args, inputs: &[Input]) -> Result<OutputGuard, Fatal> {
    let fatal = |e: &dyn std::fmt::Display| Fatal(e.to_string());
    let files = paradup::corpus::plan_files(inputs).map_err(|e| fatal(&e))?;
    let mut guard = OutputGuard::new();
    guard.input_files(&files);
    for p in &args.paths {
        guard.input_path(p);
    }
    if let Some(path) = &args.against {
        // --save-index may replace the index it loads (read before anything is written).
        let replaced = args.save_index.as_ref().is_some_and(|s| {
            FileId::of_path(path).is_some() && FileId::of_path(path) == FileId::of_path(s)
        });
        if !replaced {
            guard.input_path(path);
            guard.input_path(&matches::names_path(path));
        }
    }
    for (dir, what) in outputs(args) {
        let option = match what {
            Output::Deduped => "--write-deduped",
            _ => "--annotate",
        };
        guard
            .tree(dir, what, option, &files)
            .map_err(|e| fatal(&e))?;
    }
    if let Some(path) = &args.save_index {
        guard.file(path, "--save-index").map_err(|e| fatal(&e))?;
        let names = matches::names_path(path);
        guard.file(&names, "--save-index").map_err(|e| fatal(&e))?;
    }
    if let Some(path) = &args.stats_json {
        guard.file(path, "--stats-json").map_err(|e| fatal(&e))?;
    }
    for dir in guard.input_dirs_with_outputs() {
        if !args.quiet {
            eprintln!(
                "dedup: note: writing inside the input directory {dir}: the files written \
                 there are listed in {OUTPUTS_LIST} beside them, which later runs leave out"
            );
        }
    }
    Ok(guard)
}

/// Renames every staged output into place (a file that cannot be renamed is a warning)
/// and lists those inside input directories; the exit status this adds.
fn commit(staged: Vec<StagedFile>, guard: &OutputGuard) -> u8 {
    let mut status = 0;
    let mut written = Vec::with_capacity(staged.len());
    for file in staged {
        let path = file.path().to_path_buf();
        match file.commit() {
            Ok(()) => written.push(path),
            Err(e) => {
                eprintln!("dedup: warning: {}: cannot write: {e}", path.display());
                status = 1;
            }
        }
    }
    if let Err(e) = guard.record(&written) {
        eprintln!("dedup: warning: cannot list the outputs written inside an input directory: {e}");
        status = 1;
    }
    status
}

/// The inputs: the paths given, or the built-in sample.
fn inputs(args: &Args) -> Vec<Input> {
    if args.paths.is_empty() {
        vec![Input::Bytes {
            name: SAMPLE_NAME.to_string(),
            bytes: SAMPLE.as_bytes().to_vec(),
        }]
    } else {
        args.paths.iter().map(Input::from_arg).collect()
    }
}

/// The reader the options ask for.
fn corpus_reader(args: &Args) -> CorpusReader {
    let mut reader = CorpusReader::new();
    reader
        .format(match args.input_format {
            FormatArg::Auto => InputFormat::Auto,
            FormatArg::Text => InputFormat::Text,
            FormatArg::Jsonl => InputFormat::Jsonl,
        })
        .text_field(&args.text_field)
        .id_field(&args.id_field)
        .threads(args.threads.unwrap_or_else(rayon::current_num_threads));
    reader
}

/// Reports a reading event: progress on the bar, problems on standard error.
fn on_read_event(bar: &mut Progress, event: Event<'_>) {
    match event {
        Event::Progress { done, total } => bar.show(done, total),
        Event::Problem(p) => {
            bar.clear();
            let kind = if p.is_error() { "warning" } else { "note" };
            eprintln!("dedup: {kind}: {p}");
        }
        _ => {}
    }
}

/// `--stream`: the same run, reports and outputs, with the corpus read again for each
/// pass instead of held ([`paradup::corpus::StreamCorpus`]). Returns the exit status (0 or 1).
fn run_streamed(
    args: &Args,
    deduper: &Deduper,
    inputs: &[Input],
    guard: &OutputGuard,
    start: Instant,
) -> Result<u8, Fatal> {
    if args.similarity == SimilarityArg::Containment && args.memory_limit.is_some() {
        return Err(Fatal(
            "--similarity containment keeps every signature in memory: it cannot run under \
             --memory-limit (use --stream alone)"
                .to_string(),
        ));
    }
    let mut status = 0;

    // Scan: every input read once, checked, and counted; nothing kept.
    let read_start = Instant::now();
    let mut reader = corpus_reader(args);
    if let Some(dir) = &args.temp_dir {
        reader.spool_dir(dir);
    }
    let mut bar = Progress::new(!args.quiet && io::stderr().is_terminal());
    let corpus = reader
        .scan(inputs, |event| on_read_event(&mut bar, event))
        .map_err(|e| Fatal(e.to_string()))?;
    bar.clear();
    let read_time = read_start.elapsed();
    if corpus.stats().errors() > 0 {
        status = 1;
    }
    for (dir, what) in outputs(args) {
        rewrite::plan_output_paths(corpus.sources(), dir, what)
            .map_err(|e| Fatal(e.to_string()))?;
    }

    // Find, feeding the documents from the files (twice with exact verification).
    let mut config = StreamConfig::new();
    if let Some(limit) = args.memory_limit {
        config.memory_limit(limit);
    }
    if let Some(dir) = &args.temp_dir {
        config.temp_dir(dir);
    }
    let show_progress = bar.enabled && corpus.stats().bytes >= PROGRESS_MIN_BYTES;
    let live = paradup::Progress::new();
    let clusters = std::thread::scope(|scope| {
        if show_progress {
            scope.spawn(|| watch(&live));
        }
        deduper.run_stream_with_progress(&config, &live, |feed| corpus.feed(feed))
    })
    .map_err(|e| Fatal(e.to_string()))?;
    let keep = match args.keep {
        KeepArg::First => Keep::First,
        KeepArg::Longest => Keep::Longest,
    };
    let removed = rewrite::removals(&clusters, keep);

    // Write: files first, each complete before any is renamed into place (an input
    // that changed meanwhile abandons them all), then the report (which a closed pipe
    // may cut short).
    let write_start = Instant::now();
    let mut staged = Vec::new();
    for (dir, what) in outputs(args) {
        staged.extend(
            rewrite::stage_tree_stream(&corpus, &removed, dir, what, |path, e| {
                eprintln!("dedup: warning: {}: cannot write: {e}", path.display());
                status = 1;
            })
            .map_err(|e| Fatal(e.to_string()))?,
        );
    }
    // One more pass for what the report shows: every member's name and span, and the
    // texts of the members the text report lists.
    let mut members: Vec<Paragraph> = clusters
        .iter()
        .flat_map(|c| c.members().iter().map(|m| m.paragraph))
        .collect();
    if args.format == Format::Pairs {
        members.extend(clusters.pairs().iter().flat_map(|p| [p.a, p.b]));
    }
    let texts: Vec<Paragraph> = if args.format == Format::Text {
        clusters
            .iter()
            .flat_map(|c| {
                let shown = match args.max_members {
                    0 => c.len(),
                    n => n.clamp(1, c.len()),
                };
                c.members()[..shown].iter().map(|m| m.paragraph)
            })
            .collect()
    } else {
        Vec::new()
    };
    let gathered = corpus
        .gather(&members, &texts)
        .map_err(|e| Fatal(e.to_string()))?;
    drop(members);
    status |= commit(staged, guard);
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let written = match args.format {
        Format::Text => report::write_text(&mut out, &gathered, &clusters, &text_style(args)),
        Format::Jsonl => report::write_jsonl(&mut out, &gathered, &clusters),
        Format::Pairs => report::write_pairs(&mut out, &gathered, &clusters, pair_ids(args)),
    }
    .and_then(|()| out.flush());
    drop(out);
    status |= report_status(written);
    let write_time = write_start.elapsed();

    // Summarize.
    let mut summary = Summary::from_read(corpus.stats(), &clusters, &removed);
    summary.read_time = read_time;
    summary.write_time = write_time;
    status |= summarize(args, summary, guard, start);
    Ok(status)
}

/// What a run found.
struct Found {
    /// Clusters within the input (none with --first-wins).
    clusters: Clusters,
    /// Paragraphs that match one seen before: in the loaded index, or kept earlier.
    hits: Vec<Hit>,
    /// What --write-deduped removes.
    removed: Vec<Removal>,
    /// The index used (loaded, grown, or built: what --save-index saves) and its
    /// names, which name the hits' matches.
    index_used: Option<(Index, Names)>,
    /// Paragraphs streamed and their bytes (--first-wins).
    paragraphs: (usize, usize),
}

/// Loads the --against index and its names, or says why not.
fn load_index(path: &Path, deduper: &Deduper) -> Result<(Index, Names), Fatal> {
    let index = Index::load(path, deduper).map_err(|e| {
        Fatal(match e.kind() {
            // The message names the file already.
            ErrorKind::Io(_) => format!("cannot load the index: {e}"),
            ErrorKind::IndexMismatch { .. } => format!(
                "{}: {e} (match against it with the options it was saved with)",
                path.display()
            ),
            _ => format!("{}: {e}", path.display()),
        })
    })?;
    let names_path = matches::names_path(path);
    let sum =
        matches::file_checksum(path).map_err(|e| Fatal(format!("{}: {e}", path.display())))?;
    let file = std::fs::File::open(&names_path).map_err(|e| {
        Fatal(format!(
            "{}: cannot read the index's names ({e}); --save-index writes them beside the index",
            names_path.display()
        ))
    })?;
    let names = Names::read_from(io::BufReader::new(file), &index, sum)
        .map_err(|e| Fatal(format!("{}: {e}", names_path.display())))?;
    Ok((index, names))
}

/// Every paragraph of the corpus, in input order (document ids as the deduper gives
/// them).
fn all_paragraphs(deduper: &Deduper, corpus: &Corpus) -> Result<Vec<Paragraph>, Fatal> {
    let docs = corpus.documents();
    if u32::try_from(docs.len()).is_err() {
        return Err(Fatal(
            Error::from(ErrorKind::TooManyDocuments(docs.len())).to_string(),
        ));
    }
    let per_doc: Vec<Vec<Paragraph>> = docs
        .par_iter()
        .enumerate()
        .map(|(d, doc)| deduper.splitter().split(d as u32, doc.text()).collect())
        .collect();
    Ok(per_doc.into_iter().flatten().collect())
}

/// The distinct texts of `paragraphs` (equal after normalization, as the deduper's
/// exact-duplicate stage decides): for each, its first paragraph, in input order;
/// and for each paragraph, the number of its text.
fn distinct(
    deduper: &Deduper,
    corpus: &Corpus,
    paragraphs: &[Paragraph],
) -> (Vec<usize>, Vec<usize>) {
    let seed = deduper.shingler().seed();
    let keys: Vec<u128> = paragraphs
        .par_iter()
        .map_init(String::new, |buf, p| {
            let raw = report::text_of(corpus, p);
            deduper.normalizer().normalize_into(raw, buf);
            exact_key(buf, raw, seed)
        })
        .collect();
    let mut number: HashMap<u128, usize> = HashMap::with_capacity(keys.len());
    let mut firsts = Vec::new();
    let text_of: Vec<usize> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| {
            *number.entry(*k).or_insert_with(|| {
                firsts.push(i);
                firsts.len() - 1
            })
        })
        .collect();
    (firsts, text_of)
}

/// The batch run: clusters within the input, plus the paragraphs that match the
/// loaded index, plus the index to save.
fn batch(
    args: &Args,
    deduper: &Deduper,
    corpus: &Corpus,
    keep: Keep,
    loaded: Option<(Index, Names)>,
    summary: &mut IndexSummary,
    show_progress: bool,
) -> Result<Found, Fatal> {
    let live = paradup::Progress::new();
    let clusters = std::thread::scope(|scope| {
        if show_progress {
            scope.spawn(|| watch(&live));
        }
        deduper.try_run_with_progress(corpus.documents(), &live)
    })
    .map_err(|e| Fatal(e.to_string()))?;
    let save = args.save_index.is_some();
    let Some((mut index, mut names)) = loaded else {
        let removed = rewrite::removals(&clusters, keep);
        let index_used = if save {
            // Every distinct paragraph, sketched and inserted in parallel.
            let t = Instant::now();
            let paragraphs = all_paragraphs(deduper, corpus)?;
            let (firsts, _) = distinct(deduper, corpus, &paragraphs);
            let texts: Vec<&str> = firsts
                .iter()
                .map(|&i| report::text_of(corpus, &paragraphs[i]))
                .collect();
            let keys: Vec<u64> = (0..firsts.len() as u64).collect();
            let mut index = Index::new(deduper);
            deduper.insert_batch(&mut index, &keys, &texts);
            let mut names = Names::new();
            for (&key, &i) in keys.iter().zip(&firsts) {
                names.insert_paragraph(key, corpus, &paragraphs[i]);
            }
            summary.save_time = t.elapsed();
            Some((index, names))
        } else {
            None
        };
        return Ok(Found {
            clusters,
            hits: Vec::new(),
            removed,
            index_used,
            paragraphs: (0, 0),
        });
    };

    // Match every distinct text once against the index, in parallel.
    let t = Instant::now();
    let paragraphs = all_paragraphs(deduper, corpus)?;
    let (firsts, text_of) = distinct(deduper, corpus, &paragraphs);
    let texts: Vec<&str> = firsts
        .iter()
        .map(|&i| report::text_of(corpus, &paragraphs[i]))
        .collect();
    let sketches = deduper.sketch_all(index.sketcher(), &texts);
    let found: Vec<Matches> = sketches.par_iter().map(|s| index.query_sketch(s)).collect();
    let hits: Vec<Hit> = paragraphs
        .iter()
        .zip(&text_of)
        .filter(|&(_, &t)| !found[t].is_empty())
        .map(|(p, &t)| Hit {
            paragraph: *p,
            matches: found[t].clone(),
        })
        .collect();
    let removed = matches::removals_against(&clusters, keep, &hits);
    summary.match_time = t.elapsed();

    // Add the texts the index does not hold exactly, under the next keys, reusing
    // their sketches.
    if save {
        let t = Instant::now();
        let mut next = names.next_key();
        for (c, sketch) in sketches.iter().enumerate() {
            if found[c].iter().any(|m| m.exact) {
                continue;
            }
            let key = next.ok_or_else(keys_exhausted)?;
            check_room(&index)?;
            index.insert_sketch(key, sketch);
            names.insert_paragraph(key, corpus, &paragraphs[firsts[c]]);
            next = key.checked_add(1);
        }
        summary.save_time = t.elapsed();
    }
    Ok(Found {
        clusters,
        hits,
        removed,
        index_used: Some((index, names)),
        paragraphs: (0, 0),
    })
}

fn keys_exhausted() -> Fatal {
    Fatal("the index uses key u64::MAX: no key is left for new paragraphs".to_string())
}

/// An index has room for `u32::MAX` paragraphs.
fn check_room(index: &Index) -> Result<(), Fatal> {
    if index.len() >= u32::MAX as usize - 1 {
        return Err(Fatal(format!(
            "the index is full ({} paragraphs)",
            report::thousands(index.len() as u64)
        )));
    }
    Ok(())
}

/// Paragraphs sketched at once in the first-wins pass: enough for the threads to
/// share, few enough that memory stays with the index.
const FIRST_WINS_CHUNK: usize = 1 << 13;

/// Streaming first-wins: each paragraph in input order is kept (inserted into the
/// index under the next key) only if it matches nothing in the index. Chunks are
/// sketched in parallel and fed through [`Index::insert_sketch_if_new`] in order, so
/// the result is that of feeding the paragraphs one by one through
/// [`Index::insert_if_new`].
fn first_wins(
    deduper: &Deduper,
    corpus: &Corpus,
    mut index: Index,
    mut names: Names,
    summary: &mut IndexSummary,
) -> Result<Found, Fatal> {
    let t = Instant::now();
    let docs = corpus.documents();
    if u32::try_from(docs.len()).is_err() {
        return Err(Fatal(
            Error::from(ErrorKind::TooManyDocuments(docs.len())).to_string(),
        ));
    }
    let mut next = names.next_key();
    let mut hits: Vec<Hit> = Vec::new();
    let (mut count, mut bytes) = (0usize, 0usize);
    let mut chunk: Vec<Paragraph> = Vec::with_capacity(FIRST_WINS_CHUNK);
    let mut feed =
        |chunk: &mut Vec<Paragraph>, index: &mut Index, names: &mut Names| -> Result<(), Fatal> {
            let texts: Vec<&str> = chunk.iter().map(|p| report::text_of(corpus, p)).collect();
            let sketches = deduper.sketch_all(index.sketcher(), &texts);
            for (p, sketch) in chunk.iter().zip(&sketches) {
                let key = next.ok_or_else(keys_exhausted)?;
                check_room(index)?;
                let m = index.insert_sketch_if_new(key, sketch);
                if m.is_empty() {
                    names.insert_paragraph(key, corpus, p);
                    next = key.checked_add(1);
                } else {
                    hits.push(Hit {
                        paragraph: *p,
                        matches: m,
                    });
                }
            }
            chunk.clear();
            Ok(())
        };
    for (d, doc) in docs.iter().enumerate() {
        for p in deduper.splitter().split(d as u32, doc.text()) {
            count += 1;
            bytes += p.len();
            chunk.push(p);
            if chunk.len() == FIRST_WINS_CHUNK {
                feed(&mut chunk, &mut index, &mut names)?;
            }
        }
    }
    feed(&mut chunk, &mut index, &mut names)?;
    let removed = hits
        .iter()
        .enumerate()
        .map(|(i, h)| Removal {
            paragraph: h.paragraph,
            cluster: i,
            similarity: h.matches.best().map_or(1.0, |m| m.similarity),
        })
        .collect();
    summary.match_time = t.elapsed();
    summary.kept = Some(count - hits.len());
    Ok(Found {
        clusters: Clusters::default(),
        hits,
        removed,
        index_used: Some((index, names)),
        paragraphs: (count, bytes),
    })
}

/// Writes the index to a temporary file beside `path` and its names to one beside
/// theirs, for renaming into place with the other outputs: names first, so that a
/// failure between the two renames leaves a pair that --against refuses (the names
/// carry the index's checksum), never a half-written file.
fn stage_index(path: &Path, index: &Index, names: &Names) -> Result<Vec<StagedFile>, String> {
    let names_path = matches::names_path(path);
    let at = |p: &Path| {
        let p = p.display().to_string();
        move |e: io::Error| format!("{p}: cannot write: {e}")
    };
    let bytes = index.to_bytes();
    let tail: [u8; 8] = bytes[bytes.len().saturating_sub(8)..]
        .try_into()
        .map_err(|_| format!("{}: the index is too short", path.display()))?;
    let mut file = AtomicFile::create(path).map_err(at(path))?;
    file.write_all(&bytes).map_err(at(path))?;
    drop(bytes);
    let staged_index = file.finish().map_err(at(path))?;
    let mut file = AtomicFile::create(&names_path).map_err(at(&names_path))?;
    names
        .write_to(&mut file, u64::from_le_bytes(tail))
        .map_err(at(&names_path))?;
    let staged_names = file.finish().map_err(at(&names_path))?;
    Ok(vec![staged_names, staged_index])
}

/// The output directories asked for.
fn outputs(args: &Args) -> Vec<(&Path, Output)> {
    let mut v = Vec::new();
    if let Some(dir) = &args.write_deduped {
        v.push((dir.as_path(), Output::Deduped));
    }
    if let Some(dir) = &args.annotate {
        v.push((dir.as_path(), Output::Annotations));
    }
    v
}

/// Shows the deduper's progress (stage, paragraphs done, paragraphs/s, ETA) on
/// standard error until the run ends.
fn watch(live: &paradup::Progress) {
    while live.stage() != paradup::Stage::Done {
        let line = report::stage_progress_line(
            live.stage(),
            live.done(),
            live.total(),
            live.stage_elapsed(),
        );
        eprint!("\r\x1b[K{line}");
        std::thread::sleep(Duration::from_millis(100));
    }
    eprint!("\r\x1b[K");
}

/// A one-line progress display on standard error, for large inputs on a terminal.
struct Progress {
    enabled: bool,
    shown: bool,
    start: Instant,
    last: Option<Instant>,
}

impl Progress {
    fn new(terminal: bool) -> Progress {
        Progress {
            enabled: terminal,
            shown: false,
            start: Instant::now(),
            last: None,
        }
    }

    fn show(&mut self, done: u64, total: Option<u64>) {
        // Small inputs finish before a bar would help.
        if !self.enabled || total.is_some_and(|t| t < PROGRESS_MIN_BYTES) {
            return;
        }
        let now = Instant::now();
        if self
            .last
            .is_some_and(|l| now - l < Duration::from_millis(100))
        {
            return;
        }
        self.last = Some(now);
        let line = report::progress_line(done, total, self.start.elapsed());
        self.message(&line);
    }

    fn message(&mut self, line: &str) {
        if self.enabled {
            eprint!("\r\x1b[K{line}");
            self.shown = true;
        }
    }

    fn clear(&mut self) {
        if self.shown {
            eprint!("\r\x1b[K");
            self.shown = false;
        }
    }
}
