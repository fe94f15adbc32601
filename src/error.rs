//! The crate's error type.
//!
//! Errors come from two places only: building a [`Deduper`](crate::Deduper) (or one of the
//! low-level types) from an invalid configuration (a `PARADUP_KERNEL` this CPU cannot
//! honour included), and input that cannot be represented (more than `u32::MAX`
//! paragraphs). Once built, the hot path cannot fail. Reading and writing can, and so
//! can the caller's own code that feeds a stream: an [`std::io::Error`] converts with
//! `?`, and any other error goes in with [`Error::other`]. Both stay reachable as the
//! error's [`source`](std::error::Error::source), with their own source chain.

use std::fmt;
use std::sync::Arc;

use crate::arch::{ForcedKernelError, Kernel};

/// The index file format version this build writes and reads
/// ([`index::FORMAT_VERSION`](crate::index::FORMAT_VERSION)); here, at the bottom of
/// the crate, so that the error's message can name it.
pub(crate) const INDEX_FORMAT_VERSION: u32 = 1;

/// A specialised `Result` for this crate.
pub type Result<T> = std::result::Result<T, Error>;

/// An error from building or running a near-duplicate search.
///
/// The kind is boxed so that `Result<T>` stays one pointer wide on the happy path.
/// An error converted from an [`std::io::Error`] or made by [`Error::other`] keeps
/// that error as its [`source`](std::error::Error::source). Errors compare by
/// [kind](Error::kind) only.
///
/// ```
/// use paradup::{Deduper, ErrorKind, StreamConfig};
/// use std::error::Error as _;
///
/// let missing = std::env::temp_dir().join("paradup-doctest-no-such-dir/a.txt");
/// let err = Deduper::new()
///     .run_stream(&StreamConfig::new(), |feed| {
///         // `?` turns the I/O error into a paradup::Error.
///         feed.push_reader(std::fs::File::open(&missing)?)
///     })
///     .unwrap_err();
/// assert!(matches!(err.kind(), ErrorKind::Io(_)));
/// let io = err.source().and_then(|e| e.downcast_ref::<std::io::Error>()).unwrap();
/// assert_eq!(io.kind(), std::io::ErrorKind::NotFound);
/// ```
#[derive(Clone, Debug)]
pub struct Error(Box<Inner>);

#[derive(Clone, Debug)]
struct Inner {
    kind: ErrorKind,
    // An `Arc`, not a `Box`: `Error` is `Clone`, and the caller's error need not be.
    source: Option<Arc<dyn std::error::Error + Send + Sync>>,
}

/// What went wrong.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The similarity threshold was not in `(0, 1]`.
    InvalidThreshold(f64),
    /// `num_perm` was zero (a MinHash signature needs at least one slot).
    ZeroPermutations,
    /// The shingle size `n` was zero.
    ZeroShingleSize,
    /// `bands * rows` needs more slots than the signature has, or a factor was zero.
    InvalidLshParams {
        /// Number of bands asked for.
        bands: usize,
        /// Rows per band asked for.
        rows: usize,
        /// Slots in the signature.
        num_perm: usize,
    },
    /// The false-positive / false-negative weights were negative, not finite, or both zero.
    InvalidWeights {
        /// Weight of the false-positive mass.
        false_positive: f64,
        /// Weight of the false-negative mass.
        false_negative: f64,
    },
    /// The least recall of [`LshTuning::Recall`](crate::LshTuning::Recall) was not in
    /// `(0, 1]`.
    InvalidLshRecall(f64),
    /// [`Similarity::Containment`](crate::Similarity::Containment) was asked for with a
    /// method other than MinHash (SimHash fingerprints cannot find containment).
    ContainmentNeedsMinHash,
    /// A private thread pool could not be created.
    ThreadPool(String),
    /// `threads(0)` was asked for.
    ZeroThreads,
    /// The SimHash search radius of [`Method::SimHash`](crate::Method::SimHash) was
    /// more than 64, the bits of a fingerprint.
    InvalidMaxHamming(u32),
    /// The input held more paragraphs than a `u32` id can name.
    TooManyParagraphs(usize),
    /// The input held more documents than a `u32` id can name.
    TooManyDocuments(usize),
    /// The run was cancelled through its [`Progress`](crate::Progress)
    /// ([`Progress::cancel`](crate::Progress::cancel)).
    Cancelled,
    /// Reading or writing failed: the message (naming the file where the crate opened
    /// it). Converted from an [`std::io::Error`], the error keeps it as its source.
    Io(String),
    /// An error of the caller's own code, made by [`Error::other`]: its message. The
    /// caller's error is the [`source`](std::error::Error::source).
    Other(String),
    /// The file does not start with the index magic bytes: not a paradup index.
    IndexMagic,
    /// The index file has a format version this crate does not read.
    IndexVersion(u32),
    /// The index file is shorter or longer than its header says.
    IndexTruncated {
        /// Bytes the header implies.
        expected: usize,
        /// Bytes found.
        found: usize,
    },
    /// The index file's checksum does not match its contents.
    IndexChecksum,
    /// The index file passed its checksum but holds values no index can have.
    IndexCorrupt(String),
    /// An index holds `u32::MAX - 1` paragraphs (the count): it has no room for more.
    IndexFull(usize),
    /// An index uses key `u64::MAX`: no key is left to number new paragraphs after it.
    IndexKeysExhausted,
    /// A [`StreamConfig`](crate::StreamConfig) setting out of range.
    InvalidStreamConfig(&'static str),
    /// A configuration that [`Deduper::run_stream`](crate::Deduper::run_stream) cannot
    /// stream (see the [`stream`](crate::pipeline::stream) module docs).
    StreamUnsupported(&'static str),
    /// The second pass of [`Deduper::run_stream`](crate::Deduper::run_stream) pushed
    /// other documents than the first.
    ReplayMismatch(String),
    /// A configuration that the [`stages`](crate::pipeline::stages) do not cover
    /// (they cover what streams without a memory limit, with exact verification).
    StagesUnsupported(&'static str),
    /// Data given to a stage of [`stages`](crate::pipeline::stages) that does not fit
    /// together (ids out of range, a candidate text without its shingle set, ...).
    InvalidStageInput(String),
    /// `PARADUP_KERNEL` forces a kernel this CPU cannot run, or names no kernel (see
    /// [`check_forced`](crate::minhash::kernel::check_forced)).
    KernelUnavailable {
        /// The value of `PARADUP_KERNEL`.
        requested: String,
        /// The kernel it names, which this CPU lacks; `None` when no kernel has the name.
        kernel: Option<Kernel>,
        /// The kernels this CPU can run, the portable one first.
        available: Vec<Kernel>,
    },
    /// [`Deduper::insert_batch`](crate::Deduper::insert_batch) was given a different
    /// number of keys than texts.
    KeyCountMismatch {
        /// Number of keys.
        keys: usize,
        /// Number of texts.
        texts: usize,
    },
    /// The index was built with parameters that differ from the deduper's.
    IndexMismatch {
        /// The first parameter that differs.
        parameter: &'static str,
        /// Its value in the index.
        index: String,
        /// Its value in the deduper.
        deduper: String,
    },
}

impl Error {
    /// The kind of error.
    pub fn kind(&self) -> &ErrorKind {
        &self.0.kind
    }

    pub(crate) fn new(kind: ErrorKind) -> Error {
        Error(Box::new(Inner { kind, source: None }))
    }

    /// An error of the caller's own code (in a [`run_stream`](crate::Deduper::run_stream)
    /// source, say), kept whole: [`ErrorKind::Other`] with its message, and the error
    /// itself as the [`source`](std::error::Error::source), its own source chain
    /// included. Takes what [`std::io::Error::other`] takes: any error, or a message.
    ///
    /// ```
    /// use paradup::{Error, ErrorKind};
    /// use std::error::Error as _;
    ///
    /// #[derive(Debug)]
    /// struct BadRecord(u64);
    /// impl std::fmt::Display for BadRecord {
    ///     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
    ///         write!(f, "bad record {}", self.0)
    ///     }
    /// }
    /// impl std::error::Error for BadRecord {}
    ///
    /// let err = Error::other(BadRecord(7));
    /// assert_eq!(err.kind(), &ErrorKind::Other("bad record 7".into()));
    /// assert_eq!(err.to_string(), "bad record 7");
    /// let inner = err.source().and_then(|e| e.downcast_ref::<BadRecord>()).unwrap();
    /// assert_eq!(inner.0, 7);
    /// ```
    pub fn other<E>(error: E) -> Error
    where
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let error: Box<dyn std::error::Error + Send + Sync> = error.into();
        Error(Box::new(Inner {
            kind: ErrorKind::Other(error.to_string()),
            source: Some(Arc::from(error)),
        }))
    }
}

impl PartialEq for Error {
    fn eq(&self, other: &Error) -> bool {
        // The sources are opaque (`dyn Error` has no equality); the kind holds their message.
        self.kind() == other.kind()
    }
}

impl From<std::io::Error> for Error {
    /// [`ErrorKind::Io`] with the error's message, and the error as the source.
    fn from(e: std::io::Error) -> Error {
        Error(Box::new(Inner {
            kind: ErrorKind::Io(e.to_string()),
            source: Some(Arc::new(e)),
        }))
    }
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Error {
        Error::new(kind)
    }
}

impl From<ForcedKernelError> for Error {
    fn from(e: ForcedKernelError) -> Error {
        Error::new(ErrorKind::KernelUnavailable {
            requested: e.requested,
            kernel: e.kernel,
            available: e.available,
        })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0.kind {
            ErrorKind::InvalidThreshold(t) => {
                write!(f, "threshold must be in (0, 1], got {t}")
            }
            ErrorKind::ZeroPermutations => write!(f, "num_perm must be at least 1"),
            ErrorKind::ZeroShingleSize => write!(f, "shingle size n must be at least 1"),
            ErrorKind::InvalidLshParams {
                bands,
                rows,
                num_perm,
            } => write!(
                f,
                "LSH needs bands >= 1, rows >= 1 and bands * rows <= num_perm, \
                 got {bands} bands * {rows} rows with num_perm = {num_perm}"
            ),
            ErrorKind::InvalidWeights {
                false_positive,
                false_negative,
            } => write!(
                f,
                "LSH weights must be finite, >= 0 and not both 0, got false_positive = \
                 {false_positive}, false_negative = {false_negative}"
            ),
            ErrorKind::InvalidLshRecall(r) => {
                write!(f, "LSH recall must be in (0, 1], got {r}")
            }
            ErrorKind::ContainmentNeedsMinHash => write!(
                f,
                "containment similarity needs the MinHash method (SimHash cannot find it)"
            ),
            ErrorKind::ThreadPool(msg) => write!(f, "could not build thread pool: {msg}"),
            ErrorKind::ZeroThreads => write!(f, "threads must be at least 1"),
            ErrorKind::InvalidMaxHamming(k) => write!(
                f,
                "max_hamming must be at most 64 (the bits of a SimHash fingerprint), got {k}"
            ),
            ErrorKind::TooManyParagraphs(n) => write!(
                f,
                "input has {n} paragraphs, more than the {} a u32 id can name",
                u32::MAX
            ),
            ErrorKind::Io(msg) => write!(f, "I/O error: {msg}"),
            ErrorKind::Other(msg) => f.write_str(msg),
            ErrorKind::IndexMagic => write!(f, "not a paradup index (wrong magic bytes)"),
            ErrorKind::IndexVersion(v) => write!(
                f,
                "index format version {v} is not supported (this build reads version {})",
                INDEX_FORMAT_VERSION
            ),
            ErrorKind::IndexTruncated { expected, found } => write!(
                f,
                "index file is truncated or padded: expected {expected} bytes, found {found}"
            ),
            ErrorKind::IndexChecksum => write!(f, "index file is corrupt (checksum mismatch)"),
            ErrorKind::IndexCorrupt(what) => write!(f, "index file is corrupt: invalid {what}"),
            ErrorKind::IndexFull(n) => write!(f, "the index is full ({n} paragraphs)"),
            ErrorKind::KeyCountMismatch { keys, texts } => {
                write!(f, "{keys} keys for {texts} texts: give one key per text")
            }
            ErrorKind::IndexKeysExhausted => write!(
                f,
                "the index uses key u64::MAX: no key is left for new paragraphs"
            ),
            ErrorKind::IndexMismatch {
                parameter,
                index,
                deduper,
            } => write!(
                f,
                "index was built with {parameter} = {index}, but the deduper uses {deduper}"
            ),
            ErrorKind::InvalidStreamConfig(what) => {
                write!(f, "invalid stream configuration: {what}")
            }
            ErrorKind::StreamUnsupported(what) => {
                write!(f, "{what} cannot be streamed; use Deduper::run_documents")
            }
            ErrorKind::StagesUnsupported(what) => {
                write!(
                    f,
                    "the stage API does not cover {what}; use Deduper::run_documents"
                )
            }
            ErrorKind::InvalidStageInput(what) => write!(f, "invalid stage input: {what}"),
            ErrorKind::ReplayMismatch(what) => write!(
                f,
                "the input changed between the two passes of the stream: {what}"
            ),
            ErrorKind::KernelUnavailable {
                requested,
                kernel,
                available,
            } => crate::arch::write_forced_error(f, requested, *kernel, available),
            ErrorKind::TooManyDocuments(n) => write!(
                f,
                "input has {n} documents, more than the {} a u32 id can name",
                u32::MAX
            ),
            ErrorKind::Cancelled => write!(f, "the run was cancelled"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        let source: &(dyn std::error::Error + 'static) = self.0.source.as_deref()?;
        Some(source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arch::{CpuFeatures, choose};

    use std::error::Error as _;

    /// A caller's error with a source of its own.
    #[derive(Debug)]
    struct Outer(std::io::Error);

    impl fmt::Display for Outer {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("loading the batch failed")
        }
    }

    impl std::error::Error for Outer {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn an_io_error_converts_with_question_mark_and_stays_the_source() {
        let read = || -> Result<String> {
            Ok(std::fs::read_to_string(
                std::env::temp_dir().join("paradup-no-such-dir/missing.txt"),
            )?)
        };
        let err = read().unwrap_err();
        let ErrorKind::Io(msg) = err.kind() else {
            panic!("not an Io error: {err:?}");
        };
        let io = err
            .source()
            .unwrap()
            .downcast_ref::<std::io::Error>()
            .unwrap();
        assert_eq!(io.kind(), std::io::ErrorKind::NotFound);
        assert_eq!(msg, &io.to_string());
        assert_eq!(err.to_string(), format!("I/O error: {io}"));
        // Clones share the source; equality is by kind.
        let copy = err.clone();
        assert!(copy.source().unwrap().is::<std::io::Error>());
        assert_eq!(copy, err);
        assert_eq!(err, Error::from(ErrorKind::Io(msg.clone())));
    }

    #[test]
    fn a_callers_error_keeps_its_source_chain() {
        let inner = std::io::Error::new(std::io::ErrorKind::InvalidData, "byte 12");
        let err = Error::other(Outer(inner));
        assert_eq!(
            err.kind(),
            &ErrorKind::Other("loading the batch failed".into())
        );
        assert_eq!(err.to_string(), "loading the batch failed");
        let outer = err.source().unwrap();
        assert!(outer.is::<Outer>());
        let io = outer
            .source()
            .unwrap()
            .downcast_ref::<std::io::Error>()
            .unwrap();
        assert_eq!(
            (io.kind(), io.to_string()),
            (std::io::ErrorKind::InvalidData, "byte 12".into())
        );
        // A message alone is an error too.
        let msg = Error::other("no such shard");
        assert_eq!(msg.to_string(), "no such shard");
        assert_eq!(msg.source().unwrap().to_string(), "no such shard");
    }

    #[test]
    fn errors_of_the_crate_have_no_source() {
        let err = Error::from(ErrorKind::ZeroThreads);
        assert!(err.source().is_none());
        assert_eq!(
            std::mem::size_of::<Result<()>>(),
            std::mem::size_of::<usize>()
        );
    }

    #[test]
    fn a_rejected_kernel_keeps_its_fields_and_message() {
        let cpu = CpuFeatures {
            avx2: true,
            avx512: false,
        };
        for value in ["avx512", "bogus"] {
            let forced = choose(Some(value), cpu).unwrap_err();
            let err = Error::from(forced.clone());
            assert_eq!(err.to_string(), forced.to_string());
            assert_eq!(
                err.kind(),
                &ErrorKind::KernelUnavailable {
                    requested: value.to_string(),
                    kernel: Kernel::from_name(value),
                    available: vec![Kernel::Scalar, Kernel::Avx2],
                }
            );
        }
    }
}
