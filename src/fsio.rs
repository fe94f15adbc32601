//! Files the user owns, handled so that none is ever lost: inputs known by identity
//! (device and inode), outputs written whole or not at all, temporary files private
//! and removable on a signal.
//!
//! - [`FileId`] names a file by what it is, not by the path that reached it: a hard
//!   link, a symbolic link or `dir/../dir/a.txt` reach the same [`FileId`].
//! - [`AtomicFile`] writes an output to a temporary file in the output's own directory
//!   and renames it into place only when [`commit`](AtomicFile::commit) is called:
//!   a run that fails, is killed by a signal it handles, or fills the disk leaves the
//!   old file (or none) under the final name, never a truncated one. Renaming also
//!   replaces a hard link instead of writing through it into another file.
//! - Every temporary path the crate creates (atomic outputs, spill directories) is
//!   registered while it lives, so that a signal handler can remove them all with
//!   [`remove_temp_files`] before the process exits.
//! - [`parse_size`] reads a size as people write it ("512M") for a memory limit.
//!
//! ```
//! use paradup::fsio::{AtomicFile, FileId};
//! use std::io::Write;
//!
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("report.txt");
//! let mut out = AtomicFile::create(&path)?;
//! out.write_all(b"complete\n")?;
//! assert!(!path.exists()); // nothing under the final name until the commit
//! out.commit()?;
//! assert_eq!(std::fs::read_to_string(&path)?, "complete\n");
//! assert_eq!(FileId::of_path(&path), FileId::of_path(dir.path().join(".").join("report.txt")));
//! # Ok::<(), std::io::Error>(())
//! ```

mod size;

pub use size::{SizeError, parse_size};

use std::fs::{self, File, Metadata};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// A file's identity: device and inode on Unix (elsewhere, its canonical path).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(Id);

#[cfg(unix)]
type Id = (u64, u64);
#[cfg(not(unix))]
type Id = PathBuf;

impl FileId {
    /// The identity of the file `path` reaches (links followed), if it exists.
    pub fn of_path(path: impl AsRef<Path>) -> Option<FileId> {
        let path = path.as_ref();
        let meta = fs::metadata(path).ok()?;
        Self::from_metadata(path, &meta)
    }

    /// The identity of an open file.
    pub fn of_file(file: &File, path: &Path) -> Option<FileId> {
        let meta = file.metadata().ok()?;
        Self::from_metadata(path, &meta)
    }

    /// The identity of the file `meta` describes (reached by `path`).
    #[cfg(unix)]
    pub fn from_metadata(_: &Path, meta: &Metadata) -> Option<FileId> {
        use std::os::unix::fs::MetadataExt;
        Some(FileId((meta.dev(), meta.ino())))
    }

    /// The identity of the file `meta` describes (reached by `path`).
    #[cfg(not(unix))]
    pub fn from_metadata(path: &Path, _: &Metadata) -> Option<FileId> {
        fs::canonicalize(path).ok().map(FileId)
    }
}

/// What tells whether a file changed between two reads: identity, size and
/// modification time (see [`Stamp::of`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stamp {
    id: Option<FileId>,
    len: u64,
    modified: Option<std::time::SystemTime>,
}

impl Stamp {
    /// The stamp of an open file.
    pub fn of(file: &File, path: &Path) -> io::Result<Stamp> {
        let meta = file.metadata()?;
        Ok(Stamp {
            id: FileId::from_metadata(path, &meta),
            len: meta.len(),
            modified: meta.modified().ok(),
        })
    }

    /// The file's identity.
    pub fn id(&self) -> Option<&FileId> {
        self.id.as_ref()
    }

    /// The file's size when stamped.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the file was empty when stamped.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// An input that is not what an earlier pass read any more: the error of a pass that
/// finds it (the message says which).
#[derive(Debug)]
pub(crate) struct InputChanged(pub(crate) String);

impl std::fmt::Display for InputChanged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InputChanged {}

/// Whether `e` says that an input changed between passes.
pub(crate) fn is_changed(e: &io::Error) -> bool {
    e.get_ref().is_some_and(|inner| inner.is::<InputChanged>())
}

/// An I/O error of a pass over the input as the crate's error:
/// [`ErrorKind::ReplayMismatch`](crate::ErrorKind::ReplayMismatch) when the input
/// changed, else [`ErrorKind::Io`](crate::ErrorKind::Io) with `e` as its source.
pub(crate) fn pass_error(e: io::Error) -> crate::Error {
    if is_changed(&e) {
        let message = e
            .get_ref()
            .map_or_else(|| e.to_string(), ToString::to_string);
        crate::ErrorKind::ReplayMismatch(message).into()
    } else {
        e.into()
    }
}

/// The temporary paths alive now, for [`remove_temp_files`].
static LIVE: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn live() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    LIVE.lock().unwrap_or_else(|e| e.into_inner())
}

/// Registers a temporary file or directory for [`remove_temp_files`].
pub(crate) fn register(path: &Path) {
    live().push(path.to_path_buf());
}

/// Forgets a temporary path (removed, or renamed into place).
pub(crate) fn unregister(path: &Path) {
    let mut v = live();
    if let Some(i) = v.iter().rposition(|p| p == path) {
        v.swap_remove(i);
    }
}

/// Removes every temporary file and directory the crate has created and not yet
/// removed or renamed into place: for a SIGINT or SIGTERM handler to call before the
/// process exits (destructors do not run then).
///
/// Other threads may still be writing: a path that could not be removed stays
/// registered, so that calling again (after a moment) removes what was added
/// meanwhile. Returns how many paths are still registered.
pub fn remove_temp_files() -> usize {
    let paths = std::mem::take(&mut *live());
    let left: Vec<PathBuf> = paths
        .into_iter()
        .filter(|p| {
            let gone = if p.is_dir() {
                fs::remove_dir_all(p)
            } else {
                fs::remove_file(p)
            };
            gone.is_err_and(|e| e.kind() != io::ErrorKind::NotFound)
        })
        .collect();
    let mut v = live();
    v.extend(left);
    v.len()
}

/// A private temporary directory (mode 0700, an unpredictable name, created anew:
/// never one that already existed) under `base`, removed on drop and by
/// [`remove_temp_files`].
#[derive(Debug)]
pub struct TempDir {
    dir: Option<tempfile::TempDir>,
}

impl TempDir {
    /// Creates `base/PREFIXxxxxxx`. `base` must exist.
    pub fn new_in(base: &Path, prefix: &str) -> io::Result<TempDir> {
        let mut builder = tempfile::Builder::new();
        builder.prefix(prefix);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(fs::Permissions::from_mode(0o700));
        }
        let dir = builder.tempdir_in(base)?;
        register(dir.path());
        Ok(TempDir { dir: Some(dir) })
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        self.dir.as_ref().expect("alive until dropped").path()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if let Some(dir) = self.dir.take() {
            unregister(dir.path());
            let _ = dir.close();
        }
    }
}

/// An output written to a temporary file beside its final path and renamed into place
/// by [`commit`](Self::commit); dropped uncommitted, it is removed and the final path
/// is untouched. Writes are buffered.
///
/// A destination that exists and is not a regular file (`/dev/null`, `/dev/stdout`, a
/// FIFO) is written directly instead: renaming over it would replace the device or
/// the FIFO with a file.
#[derive(Debug)]
pub struct AtomicFile {
    out: Option<BufWriter<Target>>,
    dest: PathBuf,
    /// The temporary file, when there is one.
    tmp: Option<PathBuf>,
}

/// Where an [`AtomicFile`] writes.
#[derive(Debug)]
enum Target {
    Temp(tempfile::NamedTempFile),
    Direct(File),
}

impl Write for Target {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Target::Temp(f) => f.write(buf),
            Target::Direct(f) => f.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Target::Temp(f) => f.flush(),
            Target::Direct(f) => f.flush(),
        }
    }
}

impl AtomicFile {
    /// Starts `dest` (whose directory must exist): a temporary file in its directory
    /// (hidden, named after `dest`, created anew, with the mode a new file gets: 0666
    /// less the umask); or `dest` itself, opened for writing, if it exists and is not
    /// a regular file (or a directory, which is an error).
    pub fn create(dest: impl AsRef<Path>) -> io::Result<AtomicFile> {
        let dest = dest.as_ref().to_path_buf();
        if let Ok(meta) = fs::metadata(&dest)
            && !meta.is_file()
            && !meta.is_dir()
        {
            let file = fs::OpenOptions::new().write(true).open(&dest)?;
            return Ok(AtomicFile {
                out: Some(BufWriter::with_capacity(1 << 16, Target::Direct(file))),
                dest,
                tmp: None,
            });
        }
        let parent = match dest.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = dest
            .file_name()
            .map_or_else(|| "output".into(), |n| n.to_string_lossy().into_owned());
        let prefix = format!(".{name}.");
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).suffix(TEMP_SUFFIX);
        // An output gets the mode any new file gets (0666 less the umask), not the
        // 0600 of a private temporary file.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(fs::Permissions::from_mode(0o666));
        }
        let file = builder.tempfile_in(&parent)?;
        let tmp = file.path().to_path_buf();
        register(&tmp);
        Ok(AtomicFile {
            out: Some(BufWriter::with_capacity(1 << 16, Target::Temp(file))),
            dest,
            tmp: Some(tmp),
        })
    }

    /// The final path.
    pub fn path(&self) -> &Path {
        &self.dest
    }

    /// Flushes the data to the temporary file and closes it, keeping it for a later
    /// rename: a [`StagedFile`], so that many outputs can be made first and renamed
    /// together once all of them are complete (no open file per staged output). A
    /// destination written directly is complete here.
    pub fn finish(mut self) -> io::Result<StagedFile> {
        let out = self.out.take().expect("present until finished");
        let target = out.into_inner().map_err(io::IntoInnerError::into_error)?;
        let tmp = match target {
            Target::Temp(file) => {
                file.as_file().sync_data()?;
                Some(file.into_temp_path())
            }
            Target::Direct(mut file) => {
                file.flush()?;
                None
            }
        };
        Ok(StagedFile {
            tmp,
            dest: std::mem::take(&mut self.dest),
        })
    }

    /// Flushes and renames the file into place.
    pub fn commit(self) -> io::Result<()> {
        self.finish()?.commit()
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.out
            .as_mut()
            .expect("present until finished")
            .write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.out
            .as_mut()
            .expect("present until finished")
            .write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.as_mut().expect("present until finished").flush()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        // Finished files unregister themselves when they are renamed or dropped.
        if self.out.take().is_some()
            && let Some(tmp) = &self.tmp
        {
            let _ = fs::remove_file(tmp);
            unregister(tmp);
        }
    }
}

/// The suffix of every temporary output file (`.NAME.XXXXXX.paradup-tmp`), which
/// directory walks skip.
pub const TEMP_SUFFIX: &str = ".paradup-tmp";

/// A complete output in its temporary file, waiting for [`commit`](Self::commit);
/// removed if dropped uncommitted. (An output written directly has no temporary file.)
#[derive(Debug)]
pub struct StagedFile {
    tmp: Option<tempfile::TempPath>,
    dest: PathBuf,
}

impl StagedFile {
    /// The final path.
    pub fn path(&self) -> &Path {
        &self.dest
    }

    /// Renames the file into place (replacing what was there); nothing to do for a
    /// destination written directly.
    pub fn commit(mut self) -> io::Result<()> {
        let Some(tmp) = self.tmp.take() else {
            return Ok(());
        };
        let path = tmp.to_path_buf();
        match tmp.persist(&self.dest) {
            Ok(()) => {
                unregister(&path);
                Ok(())
            }
            Err(e) => {
                // Dropping the TempPath removes the temporary file.
                drop(e.path);
                unregister(&path);
                Err(e.error)
            }
        }
    }
}

impl Drop for StagedFile {
    fn drop(&mut self) {
        if let Some(tmp) = self.tmp.take() {
            let path = tmp.to_path_buf();
            drop(tmp);
            unregister(&path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dropped_outputs_leave_nothing_and_keep_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.txt");
        fs::write(&path, "old").unwrap();
        let mut f = AtomicFile::create(&path).unwrap();
        f.write_all(b"new, half written").unwrap();
        drop(f);
        let staged = {
            let mut f = AtomicFile::create(&path).unwrap();
            f.write_all(b"new").unwrap();
            f.finish().unwrap()
        };
        assert_eq!(fs::read_to_string(&path).unwrap(), "old");
        drop(staged);
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "only a.txt is left");
        assert_eq!(fs::read_to_string(&path).unwrap(), "old");
    }

    #[test]
    fn commit_replaces_a_hard_link_instead_of_writing_through_it() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.txt");
        let output = dir.path().join("out.txt");
        fs::write(&input, "the input").unwrap();
        fs::hard_link(&input, &output).unwrap();
        assert_eq!(FileId::of_path(&input), FileId::of_path(&output));
        let mut f = AtomicFile::create(&output).unwrap();
        f.write_all(b"the output").unwrap();
        f.commit().unwrap();
        assert_eq!(fs::read_to_string(&input).unwrap(), "the input");
        assert_eq!(fs::read_to_string(&output).unwrap(), "the output");
        assert_ne!(FileId::of_path(&input), FileId::of_path(&output));
    }

    #[test]
    fn a_fifo_is_written_to_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .is_ok_and(|s| s.success());
        if !made {
            return; // no mkfifo here
        }
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || fs::read(fifo).unwrap())
        };
        let mut f = AtomicFile::create(&fifo).unwrap();
        f.write_all(b"through the fifo").unwrap();
        f.commit().unwrap();
        assert_eq!(reader.join().unwrap(), b"through the fifo");
        assert!(!fs::metadata(&fifo).unwrap().is_file(), "still a FIFO");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn temp_dirs_are_private_and_removed_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let spill = TempDir::new_in(dir.path(), "paradup-test-").unwrap();
        let other = TempDir::new_in(dir.path(), "paradup-test-").unwrap();
        assert_ne!(spill.path(), other.path());
        fs::write(spill.path().join("x"), "x").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(spill.path()).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o700);
        }
        let path = spill.path().to_path_buf();
        assert!(live().contains(&path));
        drop(spill);
        assert!(!path.exists());
        assert!(!live().contains(&path));
    }
}
