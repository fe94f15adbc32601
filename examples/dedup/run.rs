//! The runs with the corpus in memory: batch clusters (matched against an --against
//! index, saved with --save-index) and streaming --first-wins.

use crate::Fatal;
use crate::args::{Args, Format, KeepArg, corpus_reader, outputs, pair_ids, text_style};
use crate::output::{commit, report_status, stage_index, summarize};
use crate::progress::{PROGRESS_MIN_BYTES, Progress, on_read_event, watch};
use paradup::corpus::{Corpus, Input};
use paradup::index::exact_key;
use paradup::report::matches::{self, Hit, Names};
use paradup::report::outputs::OutputGuard;
use paradup::report::rewrite::{self, Keep, Removal};
use paradup::report::{self, IndexSummary, Summary};
use paradup::{Clusters, Deduper, Error, ErrorKind, Index, Matches, Paragraph};
use rayon::prelude::*;
use std::collections::HashMap;
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
    index_summary.loaded = loaded.as_ref().map(|(index, _)| index.len());
    index_summary.load_time = load_time;
    let found = if args.first_wins {
        let (index, names) = loaded.unwrap_or_else(|| (Index::new(deduper), Names::new()));
        first_wins(deduper, &corpus, index, names, &mut index_summary)?
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
    status |= commit(staged, guard);
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
    /// The index used (loaded, grown, or built: what --save-index saves) and its
    /// names, which name the hits' matches.
    index_used: Option<(Index, Names)>,
    /// Paragraphs streamed and their bytes (--first-wins).
    paragraphs: (usize, usize),
}

/// Loads the --against index and its names, or says why not.
pub(crate) fn load_index(path: &Path, deduper: &Deduper) -> Result<(Index, Names), Fatal> {
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
pub(crate) fn all_paragraphs(deduper: &Deduper, corpus: &Corpus) -> Result<Vec<Paragraph>, Fatal> {
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
pub(crate) fn distinct(
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
pub(crate) fn batch(
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

pub(crate) fn keys_exhausted() -> Fatal {
    Fatal("the index uses key u64::MAX: no key is left for new paragraphs".to_string())
}

/// An index has room for `u32::MAX` paragraphs.
pub(crate) fn check_room(index: &Index) -> Result<(), Fatal> {
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
pub(crate) const FIRST_WINS_CHUNK: usize = 1 << 13;

/// Streaming first-wins: each paragraph in input order is kept (inserted into the
/// index under the next key) only if it matches nothing in the index. Chunks are
/// sketched in parallel and fed through [`Index::insert_sketch_if_new`] in order, so
/// the result is that of feeding the paragraphs one by one through
/// [`Index::insert_if_new`].
pub(crate) fn first_wins(
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
