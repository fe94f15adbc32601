//! Checking every output of a run before the run starts: no output may be an input
//! (by identity, so a hard link, a symbolic link or another spelling of an input's
//! path is caught), no two outputs may share a path, a file output may not be a
//! directory and an output directory may not be a file.
//!
//! ```
//! use paradup::report::outputs::OutputGuard;
//!
//! let dir = tempfile::tempdir()?;
//! let input = dir.path().join("in.txt");
//! std::fs::write(&input, "text")?;
//! std::fs::hard_link(&input, dir.path().join("link.txt"))?;
//! let mut guard = OutputGuard::new();
//! guard.input_path(&input);
//! assert!(guard.file(&dir.path().join("stats.json"), "--stats-json").is_ok());
//! let err = guard.file(&dir.path().join("link.txt"), "--save-index").unwrap_err();
//! assert!(err.to_string().contains("it is the input"));
//! let err = guard.file(&dir.path().join("stats.json"), "--save-index").unwrap_err();
//! assert!(err.to_string().contains("written twice"));
//! # Ok::<(), std::io::Error>(())
//! ```

use super::rewrite::{Output, OutputError, output_relative};
use crate::corpus::{OUTPUTS_LIST, PlannedFile, listed_outputs};
use crate::fsio::{AtomicFile, FileId};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};

/// The inputs of a run and the outputs claimed so far (see the [module docs](self)).
#[derive(Debug, Default)]
pub struct OutputGuard {
    inputs: HashMap<FileId, String>,
    /// Input directories, resolved, with their names.
    input_dirs: Vec<(PathBuf, String)>,
    /// Outputs claimed, resolved, with what claimed them.
    claimed: HashMap<PathBuf, String>,
    /// Output files inside an input directory, to list in [`OUTPUTS_LIST`].
    inside: Vec<PathBuf>,
}

fn refuse(message: String) -> Result<(), OutputError> {
    Err(OutputError::new(message))
}

impl OutputGuard {
    /// A guard with no inputs.
    pub fn new() -> OutputGuard {
        OutputGuard::default()
    }

    /// An input file or directory, by path (one that does not exist is ignored).
    pub fn input_path(&mut self, path: &Path) {
        if path.is_dir() {
            self.input_dirs
                .push((resolve(path), path.display().to_string()));
        } else if let Some(id) = FileId::of_path(path) {
            self.inputs.insert(id, path.display().to_string());
        }
    }

    /// The files a reader will read ([`crate::corpus::plan_files`]).
    pub fn input_files(&mut self, files: &[PlannedFile]) {
        for f in files {
            if let Some(id) = &f.id {
                self.inputs.insert(id.clone(), f.name.clone());
            }
        }
    }

    /// Claims an output file, written by `what` (for messages).
    ///
    /// Errors: it is an input, a directory, or claimed already.
    pub fn file(&mut self, path: &Path, what: &str) -> Result<(), OutputError> {
        if path.is_dir() {
            return refuse(format!("{what} {}: is a directory", path.display()));
        }
        if let Some(input) = FileId::of_path(path).and_then(|id| self.inputs.get(&id)) {
            return refuse(format!(
                "refusing to write {} ({what}): it is the input {input}",
                path.display()
            ));
        }
        let resolved = resolve(path);
        if let Some(other) = self.claimed.get(&resolved) {
            return refuse(format!(
                "{} would be written twice: by {other} and by {what}",
                path.display()
            ));
        }
        if self.input_dirs.iter().any(|(d, _)| resolved.starts_with(d)) {
            self.inside.push(path.to_path_buf());
        }
        self.claimed.insert(resolved, what.to_string());
        Ok(())
    }

    /// Claims an output directory and the file `what` writes in it for each of
    /// `files` ([`Output`]: their paths relative to it).
    ///
    /// Errors: `dir` is a file; or one of the files is, as [`file`](Self::file) says.
    pub fn tree(
        &mut self,
        dir: &Path,
        output: Output,
        what: &str,
        files: &[PlannedFile],
    ) -> Result<(), OutputError> {
        if dir.exists() && !dir.is_dir() {
            return refuse(format!("{what} {}: not a directory", dir.display()));
        }
        let mut seen: HashMap<PathBuf, &str> = HashMap::new();
        for f in files {
            let path = dir.join(output_relative(&f.relative, output));
            if let Some(other) = seen.insert(path.clone(), &f.name) {
                return refuse(format!(
                    "{other} and {} would both be written to {}",
                    f.name,
                    path.display()
                ));
            }
            self.file(&path, what)?;
        }
        Ok(())
    }

    /// The input directories that hold an output (for a note), by name, sorted.
    pub fn input_dirs_with_outputs(&self) -> Vec<&str> {
        let set: BTreeSet<&str> = self
            .input_dirs
            .iter()
            .filter(|(d, _)| self.inside.iter().any(|p| resolve(p).starts_with(d)))
            .map(|(_, name)| name.as_str())
            .collect();
        set.into_iter().collect()
    }

    /// Adds the outputs written inside input directories (those of `written`, which
    /// are renamed into place) to the [`OUTPUTS_LIST`] of their directories, so that
    /// a later run over those directories leaves them out.
    ///
    /// Errors: a list that cannot be written.
    pub fn record(&self, written: &[PathBuf]) -> io::Result<()> {
        let written: BTreeSet<PathBuf> = written.iter().map(|p| resolve(p)).collect();
        let mut by_dir: BTreeMap<PathBuf, BTreeSet<String>> = BTreeMap::new();
        for p in &self.inside {
            let resolved = resolve(p);
            if !written.contains(&resolved) {
                continue;
            }
            if let (Some(dir), Some(name)) = (resolved.parent(), resolved.file_name()) {
                by_dir
                    .entry(dir.to_path_buf())
                    .or_default()
                    .insert(name.to_string_lossy().into_owned());
            }
        }
        for (dir, names) in by_dir {
            let mut all: BTreeSet<String> = listed_outputs(&dir)
                .into_iter()
                .map(|n| n.to_string_lossy().into_owned())
                .collect();
            let before = all.len();
            all.extend(names);
            if all.len() == before && dir.join(OUTPUTS_LIST).exists() {
                continue;
            }
            let mut out = AtomicFile::create(dir.join(OUTPUTS_LIST))?;
            for name in &all {
                // A name with a line break cannot be listed; it stays readable.
                if !name.contains('\n') {
                    writeln!(out, "{name}")?;
                }
            }
            out.commit()?;
        }
        Ok(())
    }
}

/// `path` made absolute, with its longest existing ancestor's links resolved, and
/// `.` and `..` resolved in the rest, so that two spellings of one output compare
/// equal whether or not it exists yet.
pub fn resolve(path: &Path) -> PathBuf {
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().map_or_else(|_| path.to_path_buf(), |d| d.join(path))
    };
    let mut rest = Vec::new();
    let mut cur = abs.as_path();
    loop {
        if let Ok(base) = fs::canonicalize(cur) {
            let mut out = base;
            for c in rest.iter().rev() {
                match c {
                    Component::ParentDir => {
                        out.pop();
                    }
                    Component::CurDir => {}
                    c => out.push(c),
                }
            }
            return out;
        }
        match (cur.parent(), cur.components().next_back()) {
            (Some(parent), Some(last)) => {
                rest.push(last);
                cur = parent;
            }
            _ => return abs,
        }
    }
}
