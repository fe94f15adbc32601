//! The runs with the corpus in memory: batch clusters (matched against an --against
//! index, saved with --save-index) and streaming --first-wins.

use crate::Fatal;
use crate::args::{Args, Format, KeepArg, corpus_reader, outputs, pair_ids, text_style};
use crate::output::{commit, report_status, stage_index, summarize};
use crate::progress::{PROGRESS_MIN_BYTES, Progress, on_read_event, watch};
use paradup::corpus::{Corpus, Input};
use paradup::report::indexed::{LoadError, NamedIndex};
use paradup::report::matches::{self, Hit, Names};
use paradup::report::outputs::OutputGuard;
use paradup::report::rewrite::{self, Keep, Removal};
use paradup::report::{self, IndexSummary, Summary};
use paradup::{Clusters, Deduper, Error, ErrorKind};
use std::io::{self, IsTerminal, Write};
use std::path::Path;
use std::time::Instant;

/// The run with the corpus in memory: batch clusters (with --against and
/// --save-index) or --first-wins; returns the exit status (0 or 1).
pub(crate) fn run_in_memory(
    args: &Args,
    deduper: &Deduper,
    inputs: &[Input],
    guard: &OutputGuard,
    start: Instant,
) -> Result<u8, Fatal> {
    let mut status = 0;

    // The index to match against, before anything else: a bad one costs nothing.
    let load_start = Instant::now();
    let loaded = match &args.against {
        Some(path) => Some(load_index(path, deduper)?),
        None => None,
    };
    let load_time = load_start.elapsed();

    // Read.
    let read_start = Instant::now();
    let mut reader = corpus_reader(args);
    reader.keep_original(args.write_deduped.is_some());
    let mut bar = Progress::new(!args.quiet && io::stderr().is_terminal());
    let corpus = reader
        .read(inputs, |event| on_read_event(&mut bar, event))
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
    index_summary.loaded = loaded.as_ref().map(NamedIndex::len);
    index_summary.load_time = load_time;
    let found = if args.first_wins {
        let named = loaded.unwrap_or_else(|| NamedIndex::new(deduper));
        first_wins(deduper, &corpus, named, &mut index_summary)?
    } else {
        batch(
            args,
            deduper,
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
    if let (Some(path), Some(named)) = (&args.save_index, &index_used) {
        let save_start = Instant::now();
        let index = named.index();
        match stage_index(path, index, named.names()) {
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
    status |= commit(staged, guard);
    let names = index_used.as_ref().map(NamedIndex::names);
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
            report::write_pairs(&mut out, &corpus, &clusters, ids, args.pairs)
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
    status |= summarize(args, summary, guard, start);
    // The process exits next: freeing an index's bucket vectors one by one took
    // seconds (3 s after a run on 48 MB that took 8), for memory the exit returns.
    std::mem::forget(index_used);
    Ok(status)
}

/// What a run found.
pub(crate) struct Found {
    /// Clusters within the input (none with --first-wins).
    clusters: Clusters,
    /// Paragraphs that match one seen before: in the loaded index, or kept earlier.
    hits: Vec<Hit>,
    /// What --write-deduped removes.
    removed: Vec<Removal>,
    /// The index used (loaded, grown, or built: what --save-index saves) with the
    /// names that name the hits' matches.
    index_used: Option<NamedIndex>,
    /// Paragraphs streamed and their bytes (--first-wins).
    paragraphs: (usize, usize),
}

/// Loads the --against index and its names, or says why not.
pub(crate) fn load_index(path: &Path, deduper: &Deduper) -> Result<NamedIndex, Fatal> {
    NamedIndex::load(path, deduper).map_err(|e| {
        Fatal(match e {
            LoadError::Index(e) => match e.kind() {
                // The message names the file already.
                ErrorKind::Io(_) => format!("cannot load the index: {e}"),
                ErrorKind::IndexMismatch { .. } => format!(
                    "{}: {e} (match against it with the options it was saved with)",
                    path.display()
                ),
                _ => format!("{}: {e}", path.display()),
            },
            LoadError::Checksum(e) => format!("{}: {e}", path.display()),
            LoadError::NamesMissing { path, error } => format!(
                "{}: cannot read the index's names ({error}); --save-index writes them \
                 beside the index",
                path.display()
            ),
            LoadError::Names { path, error } => format!("{}: {error}", path.display()),
            e => e.to_string(),
        })
    })
}

/// A library error as the command line says it: the index's size with separators.
fn fatal(e: Error) -> Fatal {
    match e.kind() {
        ErrorKind::IndexFull(n) => Fatal(format!(
            "the index is full ({} paragraphs)",
            report::thousands(*n as u64)
        )),
        _ => Fatal(e.to_string()),
    }
}

/// The batch run: clusters within the input, plus the paragraphs that match the
/// loaded index, plus the index to save.
pub(crate) fn batch(
    args: &Args,
    deduper: &Deduper,
    corpus: &Corpus,
    keep: Keep,
    loaded: Option<NamedIndex>,
    summary: &mut IndexSummary,
    show_progress: bool,
) -> Result<Found, Fatal> {
    let live = paradup::Progress::new();
    let clusters = std::thread::scope(|scope| {
        if show_progress {
            scope.spawn(|| watch(&live));
        }
        deduper.try_run_documents_with_progress(corpus.documents(), &live)
    })
    .map_err(|e| Fatal(e.to_string()))?;
    let save = args.save_index.is_some();
    let Some(mut named) = loaded else {
        let removed = rewrite::removals(&clusters, keep);
        let index_used = if save {
            let t = Instant::now();
            let named = NamedIndex::from_corpus(deduper, corpus).map_err(fatal)?;
            summary.save_time = t.elapsed();
            Some(named)
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

    let t = Instant::now();
    let lookup = named.lookup(deduper, corpus).map_err(fatal)?;
    let removed = matches::removals_against(&clusters, keep, lookup.hits());
    summary.match_time = t.elapsed();
    if save {
        let t = Instant::now();
        named.insert_new(corpus, &lookup).map_err(fatal)?;
        summary.save_time = t.elapsed();
    }
    Ok(Found {
        clusters,
        hits: lookup.into_hits(),
        removed,
        index_used: Some(named),
        paragraphs: (0, 0),
    })
}

/// Streaming first-wins ([`NamedIndex::first_wins`]) on the corpus in memory.
pub(crate) fn first_wins(
    deduper: &Deduper,
    corpus: &Corpus,
    mut named: NamedIndex,
    summary: &mut IndexSummary,
) -> Result<Found, Fatal> {
    let t = Instant::now();
    let run = named.first_wins(deduper, corpus).map_err(fatal)?;
    summary.match_time = t.elapsed();
    summary.kept = Some(run.kept());
    let removed = run.removals();
    let paragraphs = (run.paragraphs(), run.bytes());
    Ok(Found {
        clusters: Clusters::default(),
        hits: run.into_hits(),
        removed,
        index_used: Some(named),
        paragraphs,
    })
}
