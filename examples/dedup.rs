//! Find near-duplicate paragraphs in text and JSONL corpora.
//!
//! ```text
//! cargo run --release --example dedup                       # the built-in sample
//! cargo run --release --example dedup -- PATH... [OPTIONS]  # files, directories, -
//! ```
//!
//! A thin front end: reading is [`paradup::corpus`], finding is [`paradup::Deduper`],
//! every output is [`paradup::report`]. See `--help`.

use clap::{Parser, ValueEnum};
use paradup::corpus::{CorpusReader, Event, Input, InputFormat};
use paradup::pipeline::DEFAULT_THRESHOLD;
use paradup::report::diff::DiffStyle;
use paradup::report::rewrite::{self, Keep, Output};
use paradup::report::{self, PairIds, Summary, TextStyle};
use paradup::{Deduper, ParagraphMode};
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
        paragraphs whose word 3-gram Jaccard similarity to another member reaches the \
        threshold (MinHash + LSH finds the candidates, exact Jaccard verifies them). \
        The report goes to standard output, notes and the summary to standard error.",
    after_help = "Exit status: 0 when everything was read; 1 when some input was skipped \
        because of an error (an unreadable file, a malformed JSONL line) or an output \
        file could not be written: the rest is done and reported; 2 on a usage error, \
        a path that does not exist, or an output that would overwrite an input."
)]
struct Args {
    /// Files or directories to read; - reads standard input. Without any, runs on a
    /// built-in sample (the seed article).
    #[arg(value_name = "PATH")]
    paths: Vec<PathBuf>,

    /// Jaccard similarity (of word 3-gram sets) at or above which two paragraphs are
    /// near-duplicates, in (0, 1].
    #[arg(long, default_value_t = DEFAULT_THRESHOLD)]
    threshold: f64,

    /// Worker threads [default: all cores].
    #[arg(long, value_name = "N")]
    threads: Option<usize>,

    /// What to print on standard output: clusters with word diffs (text), one JSON
    /// object per cluster (jsonl), or one verified pair per line, tab-separated:
    /// ID_A ID_B SIMILARITY (pairs).
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
    /// list): the first in input order, or the longest.
    #[arg(long, value_enum, default_value_t = KeepArg::First)]
    keep: KeepArg,

    /// Write under DIR one JSONL file per input (a.txt -> a.txt.jsonl, b.jsonl.gz ->
    /// b.jsonl), one line per document, listing the byte spans of the duplicate
    /// paragraphs that --write-deduped would remove, like dolma's attribute files: for
    /// pipelines that remove later. Works alone or with --write-deduped.
    #[arg(long, value_name = "DIR")]
    annotate: Option<PathBuf>,

    /// Colour in the text report.
    #[arg(long, value_enum, default_value_t = ColorArg::Auto)]
    color: ColorArg,

    /// Members listed per cluster in the text report (0: all).
    #[arg(long, default_value_t = 10, value_name = "N")]
    max_members: usize,

    /// No progress bar and no summary on standard error (problems are still reported).
    #[arg(long, short)]
    quiet: bool,

    /// Write the summary as one JSON object to FILE.
    #[arg(long, value_name = "FILE")]
    stats_json: Option<PathBuf>,
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
    let mut b = Deduper::builder();
    b.threshold(args.threshold).paragraphs(paragraph_mode(args));
    if let Some(n) = args.threads {
        b.threads(n);
    }
    b.build().map_err(|e| Fatal(e.to_string()))
}

/// Runs everything; returns the exit status (0 or 1).
fn run(args: &Args) -> Result<u8, Fatal> {
    let start = Instant::now();
    let deduper = build_deduper(args)?;
    let mut status = 0;

    // Read.
    let inputs: Vec<Input> = if args.paths.is_empty() {
        vec![Input::Bytes {
            name: SAMPLE_NAME.to_string(),
            bytes: SAMPLE.as_bytes().to_vec(),
        }]
    } else {
        args.paths.iter().map(Input::from_arg).collect()
    };
    let mut reader = CorpusReader::new();
    reader
        .format(match args.input_format {
            FormatArg::Auto => InputFormat::Auto,
            FormatArg::Text => InputFormat::Text,
            FormatArg::Jsonl => InputFormat::Jsonl,
        })
        .text_field(&args.text_field)
        .id_field(&args.id_field)
        .keep_original(args.write_deduped.is_some());
    let mut bar = Progress::new(!args.quiet && io::stderr().is_terminal());
    let corpus = reader
        .read(&inputs, |event| match event {
            Event::Progress { done, total } => bar.show(done, total),
            Event::Problem(p) => {
                bar.clear();
                let kind = if p.is_error() { "warning" } else { "note" };
                eprintln!("dedup: {kind}: {p}");
            }
            _ => {}
        })
        .map_err(|e| Fatal(e.to_string()))?;
    bar.clear();
    let read_time = start.elapsed();
    if corpus.stats().errors() > 0 {
        status = 1;
    }

    // Check the outputs before the work, so that a bad one costs nothing.
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
    let clusters = deduper
        .try_run(corpus.documents())
        .map_err(|e| Fatal(e.to_string()))?;
    bar.clear();
    let keep = match args.keep {
        KeepArg::First => Keep::First,
        KeepArg::Longest => Keep::Longest,
    };
    let removed = rewrite::removals(&clusters, keep);

    // Write: files first, then the report (which a closed pipe may cut short).
    let write_start = Instant::now();
    for (dir, what) in outputs(args) {
        rewrite::write_tree(&corpus, &removed, dir, what, |path, e| {
            eprintln!("dedup: warning: {}: cannot write: {e}", path.display());
            status = 1;
        })
        .map_err(|e| Fatal(e.to_string()))?;
    }
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let color = match args.color {
        ColorArg::Always => true,
        ColorArg::Never => false,
        ColorArg::Auto => io::stdout().is_terminal(),
    };
    let written = match args.format {
        Format::Text => {
            let style = TextStyle {
                diff: DiffStyle {
                    color,
                    ..DiffStyle::default()
                },
                max_members: args.max_members,
                ..TextStyle::default()
            };
            report::write_text(&mut out, &corpus, &clusters, &style)
        }
        Format::Jsonl => report::write_jsonl(&mut out, &corpus, &clusters),
        Format::Pairs => {
            let ids = match paragraph_mode(args) {
                ParagraphMode::Whole => PairIds::Documents,
                _ => PairIds::Paragraphs,
            };
            report::write_pairs(&mut out, &corpus, &clusters, ids)
        }
    }
    .and_then(|()| out.flush());
    match written {
        Ok(()) => {}
        // A closed pipe (`| head`) is the reader's choice, not an error.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
        Err(e) => {
            eprintln!("dedup: warning: cannot write the report: {e}");
            status = 1;
        }
    }
    let write_time = write_start.elapsed();

    // Summarize.
    let mut summary = Summary::new(&corpus, &clusters, &removed);
    summary.threads = args.threads.unwrap_or_else(rayon::current_num_threads);
    summary.read_time = read_time;
    summary.write_time = write_time;
    summary.total_time = start.elapsed();
    if !args.quiet {
        eprintln!("{summary}");
    }
    if let Some(path) = &args.stats_json
        && let Err(e) = std::fs::write(path, summary.to_json() + "\n")
    {
        eprintln!("dedup: warning: {}: cannot write: {e}", path.display());
        status = 1;
    }
    Ok(status)
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
