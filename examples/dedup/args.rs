//! The command line: the options, their parsing, and what they ask of the library.

use crate::Fatal;
use crate::cli::{Choice, Command, Opt, Positional};
use paradup::corpus::{CorpusReader, Input, InputFormat};
use paradup::fsio::parse_size;
use paradup::pipeline::DEFAULT_THRESHOLD;
use paradup::report::diff::DiffStyle;
use paradup::report::rewrite::Output;
use paradup::report::{PairIds, PairList, TextStyle};
use paradup::{Deduper, Method, ParagraphMode, Similarity};
use std::io::{self, IsTerminal};
use std::path::{Path, PathBuf};

/// The built-in sample: the seed article, whose lines 10 and 11 are one paragraph
/// lightly edited.
pub(crate) const SAMPLE_NAME: &str = "examples/data/putin-kim-article.txt";

pub(crate) const SAMPLE: &str = include_str!("../data/putin-kim-article.txt");

/// The options, as parsed; [`Args::parse`] reads them.
#[derive(Debug)]
pub(crate) struct Args {
    pub(crate) paths: Vec<PathBuf>,
    pub(crate) threshold: f64,
    pub(crate) similarity: SimilarityArg,
    pub(crate) chaining: bool,
    pub(crate) max_cluster_size: usize,
    pub(crate) threads: Option<usize>,
    pub(crate) method: MethodArg,
    pub(crate) max_hamming: Option<u32>,
    pub(crate) format: Format,
    pub(crate) input_format: FormatArg,
    pub(crate) text_field: String,
    pub(crate) id_field: String,
    pub(crate) paragraphs: ParagraphsArg,
    pub(crate) write_deduped: Option<PathBuf>,
    pub(crate) keep: KeepArg,
    pub(crate) pairs: PairList,
    pub(crate) annotate: Option<PathBuf>,
    pub(crate) against: Option<PathBuf>,
    pub(crate) save_index: Option<PathBuf>,
    pub(crate) first_wins: bool,
    pub(crate) color: ColorArg,
    pub(crate) max_members: usize,
    pub(crate) quiet: bool,
    pub(crate) stats_json: Option<PathBuf>,
    pub(crate) stream: bool,
    pub(crate) memory_limit: Option<usize>,
    pub(crate) temp_dir: Option<PathBuf>,
}

/// The command line: every option with its help, default, accepted values and
/// conflicts (`--help` and the usage errors come from here).
fn command() -> Command {
    Command::new(
        "dedup",
        "Find near-duplicate paragraphs in text and JSONL corpora",
    )
    .version(format!("dedup {}", env!("CARGO_PKG_VERSION")))
    .long_about(
        "Find near-duplicate paragraphs in text and JSONL corpora.\n\n\
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
    )
    .after_help(
        "Exit status: 0 when everything was read; 1 when some input was skipped \
            because of an error (an unreadable or binary file, a malformed JSONL line) or \
            an output file or the index could not be written: the rest is done and \
            reported; 2 on a usage error, a path that does not exist, an --against index \
            that cannot be used (missing, corrupt, or saved with another --threshold), an \
            output that would overwrite an input or another output (checked by device and \
            inode before anything is read), or (--stream) an input that changed between \
            passes (nothing is written then); 130 on Ctrl-C (temporary files removed).",
    )
    .positional(Positional::many(
        "PATH",
        "Files or directories to read; - reads standard input. Without any, runs on a \
            built-in sample (the seed article)",
    ))
    .opt(
        Opt::value(
            "threshold",
            "THRESHOLD",
            "Similarity (of word 2-gram sets; see --similarity) at or above which two \
                paragraphs are near-duplicates, in (0, 1]",
        )
        .default(DEFAULT_THRESHOLD)
        .parses::<f64>(),
    )
    .opt(
        Opt::value(
            "similarity",
            "SIMILARITY",
            "What similar means: the Jaccard similarity of the two paragraphs (jaccard), \
                or the share of the smaller paragraph found in the larger (containment: finds \
                excerpts and halves of split paragraphs; try --threshold 0.8). With \
                containment, pairs get a fourth column and JSONL members a \"direction\": \
                a_in_b, b_in_a or mutual. Batch runs only (not with --against, --save-index \
                or --first-wins)",
        )
        .choices::<SimilarityArg>()
        .default("jaccard"),
    )
    .opt(Opt::flag(
        "chaining",
        "Clusters as connected components: a paragraph joins a cluster when it matches \
            any member, so a chain of small edits can join paragraphs that share little. \
            Without it, every member reaches --threshold against its cluster's first \
            paragraph",
    ))
    .opt(
        Opt::value(
            "max-cluster-size",
            "N",
            "Warn about clusters with more than N members (in the summary)",
        )
        .default(paradup::pipeline::DEFAULT_MAX_CLUSTER_SIZE)
        .parses::<usize>(),
    )
    .opt(Opt::value("threads", "N", "Worker threads [default: all cores]").parses::<usize>())
    .opt(
        Opt::value(
            "method",
            "METHOD",
            "How candidate pairs are found: MinHash signatures and LSH bands (minhash), \
                or 64-bit SimHash fingerprints and a Hamming search (simhash: 8 bytes per \
                paragraph instead of 512, coarser on short paragraphs). Either way every \
                candidate is verified by exact Jaccard against --threshold. The index of \
                --save-index, --against and --first-wins always holds MinHash signatures",
        )
        .choices::<MethodArg>()
        .default("minhash"),
    )
    .opt(
        Opt::value(
            "max-hamming",
            "K",
            "With --method simhash: fingerprints that differ in at most K of their 64 \
                bits are candidates. [default: 3]",
        )
        .parses_u32(),
    )
    .opt(
        Opt::value(
            "format",
            "FORMAT",
            "What to print on standard output: clusters with word diffs (text), one JSON \
                object per cluster (jsonl), or one verified pair per line, tab-separated: \
                ID_A ID_B SIMILARITY (pairs). With --against or --first-wins, each paragraph \
                that matches one seen before follows: as a \"match N:\" block naming the \
                earlier paragraphs' SOURCE:LINE and similarity (text), as an object with \
                \"match\" where clusters have \"cluster\" and a \"matches\" list (jsonl), or \
                as NEW_ID OLD_ID SIMILARITY lines (pairs)",
        )
        .choices::<Format>()
        .default("text"),
    )
    .opt(
        Opt::value(
            "pairs",
            "PAIRS",
            "Which pairs --format pairs prints: the verified pairs, where an exact copy \
                appears only with the first paragraph of its text (verified), or those and \
                every pair they imply through exact copies (expanded: a copy of A also \
                pairs with every paragraph A pairs with, and copies pair with each other)",
        )
        .choices::<PairsArg>()
        .default("verified"),
    )
    .opt(
        Opt::value(
            "input-format",
            "INPUT_FORMAT",
            "How to read inputs; auto reads .jsonl and .ndjson (also .gz) as JSONL and \
                everything else, standard input included, as text. gzip is recognized by \
                content and decompressed on the fly",
        )
        .choices::<FormatArg>()
        .default("auto"),
    )
    .opt(
        Opt::value(
            "text-field",
            "NAME",
            "The JSONL field holding a record's text",
        )
        .default("text"),
    )
    .opt(
        Opt::value(
            "id-field",
            "NAME",
            "The JSONL field holding a record's id; records without one are named \
                FILE:LINE",
        )
        .default("id"),
    )
    .opt(
        Opt::value(
            "paragraphs",
            "PARAGRAPHS",
            "How documents (text files, JSONL records) are cut into paragraphs: blocks \
                between blank lines (blank), every line (line), the whole document (whole), \
                or blank if the document has a blank line between two others, else whole if \
                it is one hard-wrapped paragraph (2 to 64 full lines of at most 100 \
                characters), else line (auto). auto is decided per document, so a file whose only blank separators \
                were removed may be cut differently on a second run",
        )
        .choices::<ParagraphsArg>()
        .default("auto"),
    )
    .opt(
        Opt::value(
            "write-deduped",
            "DIR",
            "Write every input again under DIR (same relative paths, same format and \
                compression) without its duplicate paragraphs, keeping one per cluster (see \
                --keep). Everything else is kept byte for byte. Never writes over an input",
        )
        .path(),
    )
    .opt(
        Opt::value(
            "keep",
            "KEEP",
            "Which paragraph of each cluster --write-deduped keeps (and --annotate does \
                not list): the first in input order, or the longest. With --against, a \
                cluster that has a member matching the index keeps none",
        )
        .choices::<KeepArg>()
        .default("first"),
    )
    .opt(
        Opt::value(
            "annotate",
            "DIR",
            "Write under DIR one JSONL file per input (a.txt -> a.txt.jsonl, b.jsonl.gz \
                -> b.jsonl), one line per document, listing the byte spans of the duplicate \
                paragraphs that --write-deduped would remove, like dolma's attribute files: \
                for pipelines that remove later. Works alone or with --write-deduped (not \
                with --against or --first-wins)",
        )
        .path()
        .conflicts(&["against", "first-wins"]),
    )
    .opt(
        Opt::value(
            "against",
            "FILE",
            "Also match the input against the index FILE saved by an earlier \
                --save-index (its names are read from FILE.names.jsonl beside it): report \
                each paragraph of the input that repeats an indexed one exactly (after \
                normalization) or with estimated similarity at or above the threshold, with \
                the indexed paragraph's source, line and similarity; duplicates within the \
                input are reported as without it. With --write-deduped those paragraphs go \
                too, with every member of their clusters. The index must have been saved \
                with the same --threshold",
        )
        .path(),
    )
    .opt(
        Opt::value(
            "save-index",
            "FILE",
            "After the run, save to FILE an index of every distinct paragraph of the \
                input (keys 0, 1, 2, … in input order), and their names (source, line, byte \
                span) to FILE.names.jsonl, for a later --against. With --against, the loaded \
                index is kept and the input's paragraphs that it does not hold exactly are \
                added under the next keys (FILE may be the loaded index itself); with \
                --first-wins, the index holds the kept paragraphs",
        )
        .path(),
    )
    .opt(
        Opt::flag(
            "first-wins",
            "Streaming first-wins instead of batch clusters: take the paragraphs in input \
                order and keep each one only if it matches no paragraph kept before it (nor \
                one in the --against index); report each paragraph dropped with what it \
                matched (see --format), and with --write-deduped remove it. Does not chain \
                and never keeps the longest (see above); memory grows with the kept \
                paragraphs only",
        )
        .conflicts(&["keep"]),
    )
    .opt(
        Opt::value("color", "COLOR", "Colour in the text report")
            .choices::<ColorArg>()
            .default("auto"),
    )
    .opt(
        Opt::value(
            "max-members",
            "N",
            "Members listed per cluster, and earlier paragraphs per match, in the text \
                report (0: all)",
        )
        .default(10)
        .parses::<usize>(),
    )
    .opt(
        Opt::flag(
            "quiet",
            "No progress bar and no summary on standard error (problems are still \
                reported)",
        )
        .short('q'),
    )
    .opt(
        Opt::value(
            "stats-json",
            "FILE",
            "Write the summary as one JSON object to FILE",
        )
        .path(),
    )
    .opt(
        Opt::flag(
            "stream",
            "Read the inputs as a stream instead of into memory, for corpora larger than \
                memory: the inputs are read once to check them (binary files, malformed \
                JSONL lines, invalid UTF-8: reported as without --stream), once or twice \
                more to find the near-duplicates (the second pass verifies candidate pairs), \
                once more for the paragraphs the report shows (only the files that hold \
                some), and once more per --write-deduped or --annotate output. Reports, \
                outputs and summary are those of a run without --stream. Standard input (-) \
                is copied to a file in --temp-dir first, since it cannot be read twice. Not \
                with --against, --save-index or --first-wins. One difference: --paragraphs \
                auto decides a text file from its first 16 MiB, not from all of it",
        )
        .conflicts(&["against", "save-index", "first-wins"]),
    )
    .opt(
        Opt::value(
            "memory-limit",
            "SIZE",
            "With --stream (implied): keep what grows with the corpus (provenance, exact \
                keys, band keys, shingle sets) in files in --temp-dir and hold at most about \
                SIZE bytes of it in memory (the result itself must fit; see the README). \
                SIZE: bytes, or a number with K, M, G or T (powers of 1024), e.g. 512M, 2G. \
                Not with --similarity containment. Without it (and without --stream), \
                inputs estimated to need more than half of the available memory run \
                under that budget (PARADUP_MEMORY_BUDGET=SIZE or off to choose)",
        )
        .check(|s| parse_size(s).map(drop).map_err(|e| e.to_string()))
        .conflicts(&["against", "save-index", "first-wins"]),
    )
    .opt(
        Opt::value(
            "temp-dir",
            "DIR",
            "With --stream (implied): the directory, which must exist, for spill files \
                (in a private directory removed at the end, also on Ctrl-C) and for the \
                unnamed copy of standard input [default: the system's temporary directory]",
        )
        .path()
        .conflicts(&["against", "save-index", "first-wins"]),
    )
}

impl Args {
    /// The options of this process's command line; prints the help, the version or a
    /// usage error (exit status 2) and exits where those are asked for or due.
    pub(crate) fn parse() -> Args {
        let m = command().parse();
        Args {
            paths: m.positionals(),
            threshold: m.value("threshold"),
            similarity: m.choice("similarity"),
            chaining: m.flag("chaining"),
            max_cluster_size: m.value("max-cluster-size"),
            threads: m.get("threads"),
            method: m.choice("method"),
            max_hamming: m.get("max-hamming"),
            format: m.choice("format"),
            input_format: m.choice("input-format"),
            text_field: m.value("text-field"),
            id_field: m.value("id-field"),
            paragraphs: m.choice("paragraphs"),
            write_deduped: m.path("write-deduped"),
            keep: m.choice("keep"),
            pairs: match m.choice("pairs") {
                PairsArg::Verified => PairList::Verified,
                PairsArg::Expanded => PairList::Expanded,
            },
            annotate: m.path("annotate"),
            against: m.path("against"),
            save_index: m.path("save-index"),
            first_wins: m.flag("first-wins"),
            color: m.choice("color"),
            max_members: m.value("max-members"),
            quiet: m.flag("quiet"),
            stats_json: m.path("stats-json"),
            stream: m.flag("stream"),
            memory_limit: m.get_with("memory-limit", |s| parse_size(s).map_err(|e| e.to_string())),
            temp_dir: m.path("temp-dir"),
        }
    }
}

/// `--method`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MethodArg {
    /// MinHash signatures, LSH bands.
    Minhash,
    /// SimHash fingerprints, Hamming search.
    Simhash,
}

impl Choice for MethodArg {
    const CHOICES: &'static [(&'static str, &'static str, Self)] = &[
        (
            "minhash",
            "MinHash signatures, LSH bands",
            MethodArg::Minhash,
        ),
        (
            "simhash",
            "SimHash fingerprints, Hamming search",
            MethodArg::Simhash,
        ),
    ];
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SimilarityArg {
    /// Shared shingles over all shingles of the two.
    Jaccard,
    /// Shared shingles over the smaller paragraph's shingles.
    Containment,
}

impl Choice for SimilarityArg {
    const CHOICES: &'static [(&'static str, &'static str, Self)] = &[
        (
            "jaccard",
            "Shared shingles over all shingles of the two",
            SimilarityArg::Jaccard,
        ),
        (
            "containment",
            "Shared shingles over the smaller paragraph's shingles",
            SimilarityArg::Containment,
        ),
    ];
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    Text,
    Jsonl,
    Pairs,
}

impl Choice for Format {
    const CHOICES: &'static [(&'static str, &'static str, Self)] = &[
        ("text", "", Format::Text),
        ("jsonl", "", Format::Jsonl),
        ("pairs", "", Format::Pairs),
    ];
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FormatArg {
    Auto,
    Text,
    Jsonl,
}

impl Choice for FormatArg {
    const CHOICES: &'static [(&'static str, &'static str, Self)] = &[
        ("auto", "", FormatArg::Auto),
        ("text", "", FormatArg::Text),
        ("jsonl", "", FormatArg::Jsonl),
    ];
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ParagraphsArg {
    Auto,
    Blank,
    Line,
    Whole,
}

impl Choice for ParagraphsArg {
    const CHOICES: &'static [(&'static str, &'static str, Self)] = &[
        ("auto", "", ParagraphsArg::Auto),
        ("blank", "", ParagraphsArg::Blank),
        ("line", "", ParagraphsArg::Line),
        ("whole", "", ParagraphsArg::Whole),
    ];
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PairsArg {
    Verified,
    Expanded,
}

impl Choice for PairsArg {
    const CHOICES: &'static [(&'static str, &'static str, Self)] = &[
        ("verified", "", PairsArg::Verified),
        ("expanded", "", PairsArg::Expanded),
    ];
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KeepArg {
    First,
    Longest,
}

impl Choice for KeepArg {
    const CHOICES: &'static [(&'static str, &'static str, Self)] = &[
        ("first", "", KeepArg::First),
        ("longest", "", KeepArg::Longest),
    ];
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ColorArg {
    Auto,
    Always,
    Never,
}

impl Choice for ColorArg {
    const CHOICES: &'static [(&'static str, &'static str, Self)] = &[
        ("auto", "", ColorArg::Auto),
        ("always", "", ColorArg::Always),
        ("never", "", ColorArg::Never),
    ];
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
        // Only the pairs report lists every verified pair; the clusters are the same.
        .all_pairs(args.format == Format::Pairs)
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
