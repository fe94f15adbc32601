//! The command line: the options, their parsing, and what they ask of the library.

use crate::Fatal;
use clap::{Parser, ValueEnum};
use paradup::corpus::{CorpusReader, Input, InputFormat};
use paradup::pipeline::DEFAULT_THRESHOLD;
use paradup::report::diff::DiffStyle;
use paradup::report::rewrite::Output;
use paradup::report::{PairIds, TextStyle};
use paradup::{Deduper, Method, ParagraphMode, Similarity};
use std::io::{self, IsTerminal};
use std::path::{Path, PathBuf};

/// The built-in sample: the seed article, whose lines 10 and 11 are one paragraph
/// lightly edited.
pub(crate) const SAMPLE_NAME: &str = "examples/data/putin-kim-article.txt";

pub(crate) const SAMPLE: &str = include_str!("../data/putin-kim-article.txt");

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
        because of an error (an unreadable or binary file, a malformed JSONL line) or \
        an output file or the index could not be written: the rest is done and \
        reported; 2 on a usage error, a path that does not exist, an --against index \
        that cannot be used (missing, corrupt, or saved with another --threshold), an \
        output that would overwrite an input or another output (checked by device and \
        inode before anything is read), or (--stream) an input that changed between \
        passes (nothing is written then); 130 on Ctrl-C (temporary files removed)."
)]
pub(crate) struct Args {
    /// Files or directories to read; - reads standard input. Without any, runs on a
    /// built-in sample (the seed article).
    #[arg(value_name = "PATH")]
    pub(crate) paths: Vec<PathBuf>,

    /// Similarity (of word 2-gram sets; see --similarity) at or above which two
    /// paragraphs are near-duplicates, in (0, 1].
    #[arg(long, default_value_t = DEFAULT_THRESHOLD)]
    pub(crate) threshold: f64,

    /// What similar means: the Jaccard similarity of the two paragraphs (jaccard), or
    /// the share of the smaller paragraph found in the larger (containment: finds
    /// excerpts and halves of split paragraphs; try --threshold 0.8). With containment,
    /// pairs get a fourth column and JSONL members a "direction": a_in_b, b_in_a or
    /// mutual. Batch runs only (not with --against, --save-index or --first-wins).
    #[arg(long, value_enum, default_value_t = SimilarityArg::Jaccard)]
    pub(crate) similarity: SimilarityArg,

    /// Clusters as connected components: a paragraph joins a cluster when it matches
    /// any member, so a chain of small edits can join paragraphs that share little.
    /// Without it, every member reaches --threshold against its cluster's first
    /// paragraph.
    #[arg(long)]
    pub(crate) chaining: bool,

    /// Warn about clusters with more than N members (in the summary).
    #[arg(long, value_name = "N", default_value_t = paradup::pipeline::DEFAULT_MAX_CLUSTER_SIZE)]
    pub(crate) max_cluster_size: usize,

    /// Worker threads [default: all cores].
    #[arg(long, value_name = "N")]
    pub(crate) threads: Option<usize>,

    /// How candidate pairs are found: MinHash signatures and LSH bands (minhash), or
    /// 64-bit SimHash fingerprints and a Hamming search (simhash: 8 bytes per paragraph
    /// instead of 512, coarser on short paragraphs). Either way every candidate is
    /// verified by exact Jaccard against --threshold. The index of --save-index,
    /// --against and --first-wins always holds MinHash signatures.
    #[arg(long, value_enum, default_value_t = MethodArg::Minhash)]
    pub(crate) method: MethodArg,

    /// With --method simhash: fingerprints that differ in at most K of their 64 bits
    /// are candidates.
    /// [default: 3]
    #[arg(long, value_name = "K")]
    pub(crate) max_hamming: Option<u32>,

    /// What to print on standard output: clusters with word diffs (text), one JSON
    /// object per cluster (jsonl), or one verified pair per line, tab-separated:
    /// ID_A ID_B SIMILARITY (pairs). With --against or --first-wins, each paragraph
    /// that matches one seen before follows: as a "match N:" block naming the earlier
    /// paragraphs' SOURCE:LINE and similarity (text), as an object with "match" where
    /// clusters have "cluster" and a "matches" list (jsonl), or as NEW_ID OLD_ID
    /// SIMILARITY lines (pairs).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub(crate) format: Format,

    /// How to read inputs; auto reads .jsonl and .ndjson (also .gz) as JSONL and
    /// everything else, standard input included, as text. gzip is recognized by
    /// content and decompressed on the fly.
    #[arg(long, value_enum, default_value_t = FormatArg::Auto)]
    pub(crate) input_format: FormatArg,

    /// The JSONL field holding a record's text.
    #[arg(long, default_value = "text", value_name = "NAME")]
    pub(crate) text_field: String,

    /// The JSONL field holding a record's id; records without one are named FILE:LINE.
    #[arg(long, default_value = "id", value_name = "NAME")]
    pub(crate) id_field: String,

    /// How documents (text files, JSONL records) are cut into paragraphs: blocks
    /// between blank lines (blank), every line (line), the whole document (whole), or
    /// blank if the document has a blank line between two others, else whole if it is
    /// one hard-wrapped paragraph (2 to 64 full lines of at most 100 characters), else
    /// line (auto).
    /// auto is decided per document, so a file whose only blank separators were
    /// removed may be cut differently on a second run.
    #[arg(long, value_enum, default_value_t = ParagraphsArg::Auto)]
    pub(crate) paragraphs: ParagraphsArg,

    /// Write every input again under DIR (same relative paths, same format and
    /// compression) without its duplicate paragraphs, keeping one per cluster (see
    /// --keep). Everything else is kept byte for byte. Never writes over an input.
    #[arg(long, value_name = "DIR")]
    pub(crate) write_deduped: Option<PathBuf>,

    /// Which paragraph of each cluster --write-deduped keeps (and --annotate does not
    /// list): the first in input order, or the longest. With --against, a cluster
    /// that has a member matching the index keeps none.
    #[arg(long, value_enum, default_value_t = KeepArg::First)]
    pub(crate) keep: KeepArg,

    /// Write under DIR one JSONL file per input (a.txt -> a.txt.jsonl, b.jsonl.gz ->
    /// b.jsonl), one line per document, listing the byte spans of the duplicate
    /// paragraphs that --write-deduped would remove, like dolma's attribute files: for
    /// pipelines that remove later. Works alone or with --write-deduped (not with
    /// --against or --first-wins).
    #[arg(long, value_name = "DIR", conflicts_with_all = ["against", "first_wins"])]
    pub(crate) annotate: Option<PathBuf>,

    /// Also match the input against the index FILE saved by an earlier --save-index
    /// (its names are read from FILE.names.jsonl beside it): report each paragraph of
    /// the input that repeats an indexed one exactly (after normalization) or with
    /// estimated similarity at or above the threshold, with the indexed paragraph's
    /// source, line and similarity; duplicates within the input are reported as
    /// without it. With --write-deduped those paragraphs go too, with every member
    /// of their clusters. The index must have been saved with the same --threshold.
    #[arg(long, value_name = "FILE")]
    pub(crate) against: Option<PathBuf>,

    /// After the run, save to FILE an index of every distinct paragraph of the input
    /// (keys 0, 1, 2, … in input order), and their names (source, line, byte span)
    /// to FILE.names.jsonl, for a later --against. With --against, the loaded index is
    /// kept and the input's paragraphs that it does not hold exactly are added under
    /// the next keys (FILE may be the loaded index itself); with --first-wins, the
    /// index holds the kept paragraphs.
    #[arg(long, value_name = "FILE")]
    pub(crate) save_index: Option<PathBuf>,

    /// Streaming first-wins instead of batch clusters: take the paragraphs in input
    /// order and keep each one only if it matches no paragraph kept before it (nor one
    /// in the --against index); report each paragraph dropped with what it matched
    /// (see --format), and with --write-deduped remove it. Does not chain and never
    /// keeps the longest (see above); memory grows with the kept paragraphs only.
    #[arg(long, conflicts_with = "keep")]
    pub(crate) first_wins: bool,

    /// Colour in the text report.
    #[arg(long, value_enum, default_value_t = ColorArg::Auto)]
    pub(crate) color: ColorArg,

    /// Members listed per cluster, and earlier paragraphs per match, in the text
    /// report (0: all).
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub(crate) max_members: usize,

    /// No progress bar and no summary on standard error (problems are still reported).
    #[arg(long, short)]
    pub(crate) quiet: bool,

    /// Write the summary as one JSON object to FILE.
    #[arg(long, value_name = "FILE")]
    pub(crate) stats_json: Option<PathBuf>,

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
    pub(crate) stream: bool,

    /// With --stream (implied): keep what grows with the corpus (provenance, exact keys,
    /// band keys, shingle sets) in files in --temp-dir and hold at most about SIZE bytes
    /// of it in memory (the result itself must fit; see the README). SIZE: bytes, or a
    /// number with K, M, G or T (powers of 1024), e.g. 512M, 2G. Not with
    /// --similarity containment.
    #[arg(long, value_name = "SIZE", value_parser = parse_size,
          conflicts_with_all = ["against", "save_index", "first_wins"])]
    pub(crate) memory_limit: Option<usize>,

    /// With --stream (implied): the directory, which must exist, for spill files (in a
    /// private directory removed at the end, also on Ctrl-C) and for the unnamed copy
    /// of standard input [default: the system's temporary directory].
    #[arg(long, value_name = "DIR", conflicts_with_all = ["against", "save_index", "first_wins"])]
    pub(crate) temp_dir: Option<PathBuf>,
}

/// `--memory-limit`: bytes, or a number with a K, M, G or T suffix (powers of 1024;
/// an optional B or iB after it).
pub(crate) fn parse_size(s: &str) -> Result<usize, String> {
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
pub(crate) enum MethodArg {
    /// MinHash signatures, LSH bands.
    Minhash,
    /// SimHash fingerprints, Hamming search.
    Simhash,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum SimilarityArg {
    /// Shared shingles over all shingles of the two.
    Jaccard,
    /// Shared shingles over the smaller paragraph's shingles.
    Containment,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    Text,
    Jsonl,
    Pairs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum FormatArg {
    Auto,
    Text,
    Jsonl,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum ParagraphsArg {
    Auto,
    Blank,
    Line,
    Whole,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum KeepArg {
    First,
    Longest,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum ColorArg {
    Auto,
    Always,
    Never,
}

pub(crate) fn paragraph_mode(args: &Args) -> ParagraphMode {
    match args.paragraphs {
        ParagraphsArg::Auto => ParagraphMode::Auto,
        ParagraphsArg::Blank => ParagraphMode::BlankLines,
        ParagraphsArg::Line => ParagraphMode::Lines,
        ParagraphsArg::Whole => ParagraphMode::Whole,
    }
}

/// The deduper the options ask for (the place for method options).
pub(crate) fn build_deduper(args: &Args) -> Result<Deduper, Fatal> {
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

/// The text report's style: colour as --color says, --max-members.
pub(crate) fn text_style(args: &Args) -> TextStyle {
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
pub(crate) fn pair_ids(args: &Args) -> PairIds {
    match paragraph_mode(args) {
        ParagraphMode::Whole => PairIds::Documents,
        _ => PairIds::Paragraphs,
    }
}

/// `--threads` beyond this many per core is capped: each thread costs memory and
/// setup while none adds speed past the cores.
pub(crate) const MAX_THREADS_PER_CORE: usize = 4;

/// `--threads N`, at most [`MAX_THREADS_PER_CORE`] per core (with a warning).
pub(crate) fn cap_threads(n: usize) -> usize {
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

/// The inputs: the paths given, or the built-in sample.
pub(crate) fn inputs(args: &Args) -> Vec<Input> {
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
pub(crate) fn corpus_reader(args: &Args) -> CorpusReader {
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

/// The output directories asked for.
pub(crate) fn outputs(args: &Args) -> Vec<(&Path, Output)> {
    let mut v = Vec::new();
    if let Some(dir) = &args.write_deduped {
        v.push((dir.as_path(), Output::Deduped));
    }
    if let Some(dir) = &args.annotate {
        v.push((dir.as_path(), Output::Annotations));
    }
    v
}
