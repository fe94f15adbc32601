//! From the inputs given to the files to read: directories expanded in sorted order,
//! a file reached twice planned once, what is not a regular file inside a directory
//! and what paradup wrote left out.

use super::*;

/// A file found, not read yet.
pub(super) enum Planned {
    File {
        path: PathBuf,
        relative: PathBuf,
        /// A regular file (else a FIFO, a device: read once, like standard input).
        regular: bool,
        /// Its size when planned (0 if not regular).
        size: u64,
    },
    Stdin,
    Bytes {
        name: String,
        bytes: Vec<u8>,
    },
}

/// Whether the name says JSONL: `.jsonl` or `.ndjson`, before an optional `.gz`.
pub(super) fn is_jsonl_name(relative: &Path) -> bool {
    let name = relative.to_string_lossy().to_ascii_lowercase();
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    name.ends_with(".jsonl") || name.ends_with(".ndjson")
}

/// The name of a path in reports: the path as given, with each byte that is not
/// UTF-8 written `\xNN`, so that two names that differ only there stay different.
pub(crate) fn path_name(path: &Path) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let bytes = path.as_os_str().as_bytes();
        if std::str::from_utf8(bytes).is_err() {
            let mut name = String::with_capacity(bytes.len() + 8);
            for chunk in bytes.utf8_chunks() {
                name.push_str(chunk.valid());
                for b in chunk.invalid() {
                    name.push_str(&format!("\\x{b:02x}"));
                }
            }
            return name;
        }
    }
    path.display().to_string()
}

/// Checks `inputs` (errors before anything is read), expands directories, and
/// returns the files to read and a progress counter over their total size (unknown
/// with standard input). A file reached twice is planned once.
pub(super) fn plan(
    inputs: &[Input],
    corpus: &mut Corpus,
    on_event: &mut dyn FnMut(Event<'_>),
) -> Result<(Vec<Planned>, ProgressCounter), ReadError> {
    let mut stdin_seen = false;
    for input in inputs {
        match input {
            Input::Path(p) => {
                if matches!(fs::metadata(p), Err(e) if e.kind() == io::ErrorKind::NotFound) {
                    return Err(ReadError {
                        kind: ReadErrorKind::NotFound(p.clone()),
                    });
                }
            }
            Input::Stdin if stdin_seen => {
                return Err(ReadError {
                    kind: ReadErrorKind::StdinTwice,
                });
            }
            Input::Stdin => stdin_seen = true,
            Input::Bytes { .. } => {}
        }
    }
    let mut planner = Planner {
        planned: Vec::new(),
        seen: HashMap::new(),
        corpus,
        on_event,
    };
    for input in inputs {
        match input {
            Input::Path(p) => planner.path(p),
            Input::Stdin => planner.planned.push(Planned::Stdin),
            Input::Bytes { name, bytes } => planner.planned.push(Planned::Bytes {
                name: name.clone(),
                bytes: bytes.clone(),
            }),
        }
    }
    let planned = planner.planned;
    let total = if stdin_seen {
        None
    } else {
        Some(
            planned
                .iter()
                .map(|p| match p {
                    Planned::File { size, .. } => *size,
                    Planned::Bytes { bytes, .. } => bytes.len() as u64,
                    Planned::Stdin => 0,
                })
                .sum(),
        )
    };
    let progress = ProgressCounter {
        done: 0,
        reported: 0,
        total,
    };
    Ok((planned, progress))
}

/// A file that reading some inputs reads ([`plan_files`]).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct PlannedFile {
    /// Its name in reports.
    pub name: String,
    /// Its path.
    pub path: PathBuf,
    /// Its path under an output directory (see [`Source::relative`]).
    pub relative: PathBuf,
    /// Its identity, if it can be known.
    pub id: Option<FileId>,
}

/// The files that [`CorpusReader::read`] or [`CorpusReader::scan`] would read for
/// `inputs` (directories expanded, files reached twice once; standard input and
/// in-memory inputs are not files), without reading them: for checking outputs before
/// anything is read.
///
/// Errors: as [`CorpusReader::read`].
pub fn plan_files(inputs: &[Input]) -> Result<Vec<PlannedFile>, ReadError> {
    let mut corpus = Corpus::default();
    let (planned, _) = plan(inputs, &mut corpus, &mut |_| {})?;
    Ok(planned
        .into_iter()
        .filter_map(|p| match p {
            Planned::File { path, relative, .. } => Some(PlannedFile {
                name: path_name(&path),
                id: FileId::of_path(&path),
                path,
                relative,
            }),
            _ => None,
        })
        .collect())
}

/// The list of files that paradup wrote into a directory, kept in that directory
/// when it is inside an input directory; directory walks skip the files it names.
pub const OUTPUTS_LIST: &str = ".paradup-outputs";

/// The most bytes of an [`OUTPUTS_LIST`] that are read (a longer one is read that far).
pub(super) const OUTPUTS_LIST_MAX: u64 = 1 << 20;

/// The names listed in `dir`'s [`OUTPUTS_LIST`], if it has one.
pub(crate) fn listed_outputs(dir: &Path) -> HashSet<std::ffi::OsString> {
    let mut text = String::new();
    let list = fs::File::open(dir.join(OUTPUTS_LIST))
        .and_then(|f| f.take(OUTPUTS_LIST_MAX).read_to_string(&mut text));
    if list.is_err() {
        return HashSet::new();
    }
    text.lines()
        .filter(|l| !l.is_empty())
        .map(std::ffi::OsString::from)
        .collect()
}

/// Expands the paths given as inputs into the files to read.
pub(super) struct Planner<'a> {
    planned: Vec<Planned>,
    /// Each file planned, by identity, with its name: for files reached twice.
    seen: HashMap<FileId, String>,
    corpus: &'a mut Corpus,
    on_event: &'a mut dyn FnMut(Event<'_>),
}

impl Planner<'_> {
    pub(super) fn note(&mut self, path: &Path, message: String) {
        let problem = Problem {
            kind: ProblemKind::Skipped,
            source: path_name(path),
            line: None,
            offset: None,
            message,
        };
        self.corpus.report(problem, self.on_event);
    }

    pub(super) fn unreadable(&mut self, path: &Path, e: &dyn fmt::Display) {
        let problem = Problem {
            kind: ProblemKind::Unreadable,
            source: path_name(path),
            line: None,
            offset: None,
            message: format!("cannot read: {e}; skipped"),
        };
        self.corpus.report(problem, self.on_event);
    }

    /// A path given as input: a file (of any kind: a FIFO or `/dev/stdin` given by
    /// name is read like standard input), or a directory's files in sorted order.
    pub(super) fn path(&mut self, path: &Path) {
        match fs::metadata(path) {
            Err(e) => self.unreadable(path, &e),
            Ok(m) if m.is_dir() => {
                let mut files = Vec::new();
                let mut dirs = HashSet::new();
                self.walk(path, &mut files, &mut dirs);
                files.sort_by(|a, b| a.0.cmp(&b.0));
                for (f, m) in files {
                    let relative = f.strip_prefix(path).unwrap_or(&f).to_path_buf();
                    self.file(f, relative, &m);
                }
            }
            Ok(m) => {
                let relative = path
                    .file_name()
                    .map_or_else(|| path.to_path_buf(), PathBuf::from);
                self.file(path.to_path_buf(), relative, &m);
            }
        }
    }

    /// Plans one file, unless the same file was planned before.
    pub(super) fn file(&mut self, path: PathBuf, relative: PathBuf, meta: &fs::Metadata) {
        let id = FileId::from_metadata(&path, meta);
        if let Some(id) = &id {
            if let Some(first) = self.seen.get(id) {
                let message = format!("the same file as {first}; read once");
                return self.note(&path, message);
            }
            self.seen.insert(id.clone(), path_name(&path));
        }
        let size = if meta.is_file() { meta.len() } else { 0 };
        self.planned.push(Planned::File {
            path,
            relative,
            regular: meta.is_file(),
            size,
        });
    }

    /// Collects the regular files under `dir`, following links, visiting each
    /// directory once, leaving out what paradup wrote.
    pub(super) fn walk(
        &mut self,
        dir: &Path,
        files: &mut Vec<(PathBuf, fs::Metadata)>,
        dirs: &mut HashSet<PathBuf>,
    ) {
        match fs::canonicalize(dir) {
            Ok(c) => {
                if !dirs.insert(c) {
                    return;
                }
            }
            Err(e) => return self.unreadable(dir, &e),
        }
        let entries = match fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) => return self.unreadable(dir, &e),
        };
        let outputs = listed_outputs(dir);
        let mut own = 0;
        for entry in entries {
            let entry = match entry {
                Ok(entry) => entry,
                Err(e) => {
                    self.unreadable(dir, &e);
                    continue;
                }
            };
            let (path, name) = (entry.path(), entry.file_name());
            if name == OUTPUTS_LIST
                || outputs.contains(&name)
                || name.to_string_lossy().ends_with(crate::fsio::TEMP_SUFFIX)
            {
                own += 1;
                continue;
            }
            match fs::metadata(&path) {
                Ok(m) if m.is_dir() => self.walk(&path, files, dirs),
                Ok(m) if m.is_file() => files.push((path, m)),
                Ok(_) => self.note(
                    &path,
                    "not a regular file (a FIFO, a device or a socket) inside a directory; \
                     skipped (name it as an input to read it)"
                        .to_string(),
                ),
                Err(e) => self.unreadable(&path, &e),
            }
        }
        if own > 0 {
            let message = format!(
                "{own} file{} that paradup wrote (temporary outputs, {OUTPUTS_LIST} and \
                 the files it lists) left out",
                plural(own)
            );
            self.note(dir, message);
        }
    }
}
