//! `--stream`: the corpus read again for each pass instead of held.

use crate::Fatal;
use crate::args::{
    Args, Format, KeepArg, SimilarityArg, corpus_reader, outputs, pair_ids, text_style,
};
use crate::output::{commit, report_status, summarize};
use crate::progress::{PROGRESS_MIN_BYTES, Progress, on_read_event, watch};
use paradup::corpus::Input;
use paradup::report::outputs::OutputGuard;
use paradup::report::rewrite::{self, Keep};
use paradup::report::{self, Summary};
use paradup::{Deduper, StreamConfig};
use std::io::{self, IsTerminal, Write};
use std::time::Instant;

/// `--stream`: the same run, reports and outputs, with the corpus read again for each
/// pass instead of held ([`paradup::corpus::StreamCorpus`]), under `memory_limit`
/// (`--memory-limit`, or the default budget's). Returns the exit status (0 or 1).
pub(crate) fn run_streamed(
    args: &Args,
    memory_limit: Option<usize>,
    deduper: &Deduper,
    inputs: &[Input],
    guard: &OutputGuard,
    start: Instant,
) -> Result<u8, Fatal> {
    if args.similarity == SimilarityArg::Containment && memory_limit.is_some() {
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
    if let Some(limit) = memory_limit {
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
    // Held through the write only when files are rewritten; else made for the summary.
    let staging = !outputs(args).is_empty();
    let removed = if staging {
        rewrite::removals(&clusters, keep)
    } else {
        Vec::new()
    };

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
    // texts of the members the text report lists, read from the clusters as they are
    // (a list of millions of members beside them would set the run's peak).
    let members = clusters
        .iter()
        .flat_map(|c| c.members().iter().map(|m| &m.paragraph));
    let pairs = match args.format {
        Format::Pairs => clusters.pairs(),
        _ => &[],
    };
    let shown = |c: &paradup::Cluster| match (args.format, args.max_members) {
        (Format::Text, 0) => c.len(),
        (Format::Text, n) => n.clamp(1, c.len()),
        _ => 0,
    };
    let gathered = corpus
        .gather(
            members.chain(pairs.iter().flat_map(|p| [&p.a, &p.b])),
            clusters
                .iter()
                .flat_map(|c| c.members()[..shown(c)].iter().map(|m| &m.paragraph)),
        )
        .map_err(|e| Fatal(e.to_string()))?;
    status |= commit(staged, guard);
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let written = match args.format {
        Format::Text => report::write_text(&mut out, &gathered, &clusters, &text_style(args)),
        Format::Jsonl => report::write_jsonl(&mut out, &gathered, &clusters),
        Format::Pairs => {
            report::write_pairs(&mut out, &gathered, &clusters, pair_ids(args), args.pairs)
        }
    }
    .and_then(|()| out.flush());
    drop(out);
    status |= report_status(written);
    let write_time = write_start.elapsed();

    // Summarize.
    drop(gathered);
    let removed = if staging {
        removed
    } else {
        rewrite::removals(&clusters, keep)
    };
    let mut summary = Summary::from_read(corpus.stats(), &clusters, &removed);
    summary.read_time = read_time;
    summary.write_time = write_time;
    status |= summarize(args, summary, guard, start);
    Ok(status)
}
