//! Outputs: checked against the inputs before anything is read, staged whole and
//! renamed into place; the report's and the summary's exit status.

use crate::Fatal;
use crate::args::{Args, outputs};
use paradup::Index;
use paradup::corpus::{Input, OUTPUTS_LIST};
use paradup::fsio::{AtomicFile, FileId, StagedFile};
use paradup::report::Summary;
use paradup::report::matches::{self, Names};
use paradup::report::outputs::OutputGuard;
use paradup::report::rewrite::Output;
use std::io::{self, Write};
use std::path::Path;
use std::time::Instant;

/// The exit status a report's writing adds: 1 when it failed, 0 when it worked or
/// when the reader closed the pipe (`| head` is the reader's choice, not an error).
pub(crate) fn report_status(written: io::Result<()>) -> u8 {
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
pub(crate) fn summarize(
    args: &Args,
    mut summary: Summary,
    guard: &OutputGuard,
    start: Instant,
) -> u8 {
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

/// Checks every output against every input and every other output before anything
/// is read: an output may not be an input (by device and inode: a hard or symbolic
/// link to an input is one), nor be written twice, nor be a directory (or, for
/// --write-deduped and --annotate, a file).
pub(crate) fn check_outputs(args: &Args, inputs: &[Input]) -> Result<OutputGuard, Fatal> {
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
pub(crate) fn commit(staged: Vec<StagedFile>, guard: &OutputGuard) -> u8 {
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

/// Writes the index to a temporary file beside `path` and its names to one beside
/// theirs, for renaming into place with the other outputs: names first, so that a
/// failure between the two renames leaves a pair that --against refuses (the names
/// carry the index's checksum), never a half-written file.
pub(crate) fn stage_index(
    path: &Path,
    index: &Index,
    names: &Names,
) -> Result<Vec<StagedFile>, String> {
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
