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

mod args;
mod budget;
#[path = "../common/cli.rs"]
mod cli;
mod output;
mod progress;
mod run;
mod stream;

use args::{Args, build_deduper, cap_threads, inputs};
use output::check_outputs;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// A run that cannot go on: message for standard error, exit status 2.
pub(crate) struct Fatal(pub(crate) String);

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
    let default_limit = budget::default_limit(args, &inputs).map_err(Fatal)?;
    // Everything parallel (reading included) runs on the global pool, and this thread
    // is its first worker: it works instead of waiting for the pool. With a pool of its
    // own, the deduper woke both its workers at once while this thread still held a
    // core, and now and then the scheduler left both on one core and the other idle
    // (figures in docs/PERFORMANCE.md and commit 7f1d8be).
    let mut pool = rayon::ThreadPoolBuilder::new().use_current_thread();
    if let Some(n) = threads {
        pool = pool.num_threads(n);
    }
    let _ = pool.build_global();
    if args.stream || args.memory_limit.is_some() || args.temp_dir.is_some() {
        return stream::run_streamed(args, args.memory_limit, &deduper, &inputs, &guard, start);
    }
    if default_limit.is_some() {
        return stream::run_streamed(args, default_limit, &deduper, &inputs, &guard, start);
    }
    run::run_in_memory(args, &deduper, &inputs, &guard, start)
}
