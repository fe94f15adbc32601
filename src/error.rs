//! The crate's error type.
//!
//! Errors come from two places only: building a [`Deduper`](crate::Deduper) (or one of the
//! low-level types) from an invalid configuration (a `PARADUP_KERNEL` this CPU cannot
//! honour included), and input that cannot be represented (more than `u32::MAX`
//! paragraphs). Once built, the hot path cannot fail.

use std::fmt;

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
#[derive(Clone, Debug, PartialEq)]
pub struct Error(Box<ErrorKind>);

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
    /// Reading or writing a file failed (the message names the file).
    Io(String),
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
        &self.0
    }

    pub(crate) fn new(kind: ErrorKind) -> Error {
        Error(Box::new(kind))
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
        match &*self.0 {
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
                write!(f, "{what} cannot be streamed; use Deduper::run")
            }
            ErrorKind::StagesUnsupported(what) => {
                write!(f, "the stage API does not cover {what}; use Deduper::run")
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
        }
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arch::{CpuFeatures, choose};

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
