//! Live progress of a run, for progress displays.
//!
//! [`Deduper::try_run_documents_with_progress`](crate::Deduper::try_run_documents_with_progress) updates a
//! [`Progress`] as it goes; another thread reads it (all reads are lock-free loads).
//! The per-paragraph stages (exact duplicates, signatures) count their paragraphs in
//! batches of [`BATCH`] per worker thread, so the counting costs one atomic add per
//! batch, not per paragraph.
//!
//! ```
//! use paradup::{Deduper, Progress, Stage};
//!
//! let progress = Progress::new();
//! let docs = ["one paragraph\n\nand another one"];
//! let clusters = Deduper::new().try_run_documents_with_progress(&docs, &progress)?;
//! assert!(clusters.is_empty());
//! assert_eq!(progress.stage(), Stage::Done);
//! assert_eq!(progress.paragraphs(), 2);
//! # Ok::<(), paradup::Error>(())
//! ```

use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Paragraphs a worker thread handles between two updates of the shared counter.
pub const BATCH: u64 = 1024;

/// A stage of a run, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Stage {
    /// Not started.
    Waiting,
    /// Splitting documents into paragraphs.
    Paragraphs,
    /// Normalizing and hashing paragraphs to find exact duplicates.
    Exact,
    /// Shingles and signatures of the distinct texts (over at once when they were
    /// made in [`Stage::Exact`], as with MinHash, banded LSH and exact verification).
    Signatures,
    /// Finding candidate pairs.
    Candidates,
    /// Verifying candidate pairs.
    Verify,
    /// Building clusters.
    Cluster,
    /// Finished.
    Done,
}

const STAGES: [Stage; 8] = [
    Stage::Waiting,
    Stage::Paragraphs,
    Stage::Exact,
    Stage::Signatures,
    Stage::Candidates,
    Stage::Verify,
    Stage::Cluster,
    Stage::Done,
];

/// Counters of a run in progress. `Sync`: share it by reference with a display thread.
#[derive(Debug)]
pub struct Progress {
    base: Instant,
    stage: AtomicU8,
    /// Nanoseconds from `base` to the start of the current stage.
    stage_start: AtomicU64,
    paragraphs: AtomicU64,
    done: AtomicU64,
    total: AtomicU64,
    cancelled: AtomicBool,
}

impl Default for Progress {
    fn default() -> Progress {
        Progress::new()
    }
}

impl Progress {
    /// Counters at zero, stage [`Stage::Waiting`].
    pub fn new() -> Progress {
        Progress {
            base: Instant::now(),
            stage: AtomicU8::new(0),
            stage_start: AtomicU64::new(0),
            paragraphs: AtomicU64::new(0),
            done: AtomicU64::new(0),
            total: AtomicU64::new(0),
            cancelled: AtomicBool::new(false),
        }
    }

    /// Asks the run to stop: from another thread (a Ctrl-C handler, a caller that gave
    /// up). The run skips the rest of its work, in steps of at most a batch of
    /// [`BATCH`] paragraphs per thread, and returns
    /// [`ErrorKind::Cancelled`](crate::ErrorKind::Cancelled). Honoured by
    /// [`Deduper::try_run_with_progress`](crate::Deduper::try_run_with_progress) and
    /// [`Deduper::try_run_documents_with_progress`](crate::Deduper::try_run_documents_with_progress).
    ///
    /// ```
    /// use paradup::{Deduper, ErrorKind, Progress};
    ///
    /// let progress = Progress::new();
    /// progress.cancel();
    /// let err = Deduper::new().try_run_with_progress(["a b c"], &progress).unwrap_err();
    /// assert_eq!(err.kind(), &ErrorKind::Cancelled);
    /// ```
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::Relaxed);
    }

    /// Whether [`cancel`](Self::cancel) was called.
    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed)
    }

    /// Time spent in the current stage so far.
    pub fn stage_elapsed(&self) -> Duration {
        let start = Duration::from_nanos(self.stage_start.load(Ordering::Relaxed));
        self.base.elapsed().saturating_sub(start)
    }

    /// The current stage.
    pub fn stage(&self) -> Stage {
        STAGES[(self.stage.load(Ordering::Relaxed) as usize).min(STAGES.len() - 1)]
    }

    /// Paragraphs found (known once splitting is over; 0 before).
    pub fn paragraphs(&self) -> u64 {
        self.paragraphs.load(Ordering::Relaxed)
    }

    /// Units of the current stage done so far: paragraphs in [`Stage::Exact`], distinct
    /// texts in [`Stage::Signatures`]; other stages report 0 until they end.
    pub fn done(&self) -> u64 {
        self.done.load(Ordering::Relaxed)
    }

    /// Units of the current stage in all (0 when unknown).
    pub fn total(&self) -> u64 {
        self.total.load(Ordering::Relaxed)
    }

    pub(crate) fn enter(&self, stage: Stage, total: u64) {
        let now = u64::try_from(self.base.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.stage_start.store(now, Ordering::Relaxed);
        self.done.store(0, Ordering::Relaxed);
        self.total.store(total, Ordering::Relaxed);
        self.stage.store(stage as u8, Ordering::Relaxed);
    }

    pub(crate) fn set_paragraphs(&self, n: u64) {
        self.paragraphs.store(n, Ordering::Relaxed);
    }

    pub(crate) fn add(&self, n: u64) {
        self.done.fetch_add(n, Ordering::Relaxed);
    }
}

/// A per-thread tally that adds to a [`Progress`] every [`BATCH`] items.
#[derive(Debug, Default)]
pub(crate) struct Tally(u64);

impl Tally {
    #[inline]
    pub(crate) fn tick(&mut self, progress: Option<&Progress>) {
        if let Some(p) = progress {
            self.0 += 1;
            if self.0 == BATCH {
                p.add(BATCH);
                self.0 = 0;
            }
        }
    }
}
