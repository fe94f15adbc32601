//! Long computations off the interpreter's thread: the GIL is released while they run,
//! and the calling thread wakes every few milliseconds to let Python handle signals,
//! so Ctrl-C raises `KeyboardInterrupt` in the caller at once.
//!
//! A run of the deduper is given a `Progress` ([`run_cancellable`]): on an interrupt
//! it is cancelled, and the run stops within a batch of paragraphs per thread. Other
//! work (signatures, index queries) finishes on its own thread in the background and
//! its result is dropped; the work owns all its data (`'static`) for that reason.

use paradup::Progress;
use pyo3::prelude::*;
use std::sync::{Arc, mpsc};
use std::time::Duration;

/// How long the caller waits between two checks for signals. Python's own default
/// check interval (`sys.getswitchinterval`) is 5 ms; 20 ms keeps Ctrl-C immediate to a
/// person and the wake-ups negligible.
const SLICE: Duration = Duration::from_millis(20);

/// Runs `work` on a thread of its own with the GIL released, checking for signals
/// while it runs. Returns its result, or the signal handler's exception
/// (`KeyboardInterrupt`). A panic in `work` becomes a `RuntimeError`.
pub(crate) fn run<T, F>(py: Python<'_>, work: F) -> PyResult<T>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    run_inner(py, None, work)
}

/// [`run`] for work that watches `progress`: an interrupt cancels it
/// ([`Progress::cancel`]) before the exception is raised, so the deduper stops instead
/// of running on in the background.
pub(crate) fn run_cancellable<T, F>(py: Python<'_>, progress: Arc<Progress>, work: F) -> PyResult<T>
where
    T: Send + 'static,
    F: FnOnce(&Progress) -> T + Send + 'static,
{
    let p = progress.clone();
    run_inner(py, Some(progress), move || work(&p))
}

/// [`run`], with `meanwhile` done on the calling thread (with the GIL) while `work`
/// runs; `meanwhile` gets the [`Wait`] for `work`'s result.
pub(crate) fn run_meanwhile<'py, T, F, R>(
    py: Python<'py>,
    work: F,
    meanwhile: impl FnOnce(Wait<'py, T>) -> PyResult<R>,
) -> PyResult<R>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let rx = spawn(work)?;
    meanwhile(Wait { py, rx })
}

/// The result of a [`run_meanwhile`] worker, to wait for.
pub(crate) struct Wait<'py, T> {
    py: Python<'py>,
    rx: Outcome<T>,
}

impl<T: Send + 'static> Wait<'_, T> {
    /// The worker's result, waited for as [`run`] waits.
    pub(crate) fn wait(self) -> PyResult<T> {
        wait(self.py, None, self.rx)
    }
}

/// The channel a worker thread's result (or panic) arrives on.
type Outcome<T> = mpsc::Receiver<std::thread::Result<T>>;

fn run_inner<T, F>(py: Python<'_>, cancel: Option<Arc<Progress>>, work: F) -> PyResult<T>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let rx = spawn(work)?;
    wait(py, cancel, rx)
}

/// Starts `work` on a thread of its own.
fn spawn<T, F>(work: F) -> PyResult<Outcome<T>>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let (tx, rx) = mpsc::sync_channel(1);
    std::thread::Builder::new()
        .name("paradup-python".into())
        .spawn(move || {
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work));
            // The caller is gone after an interrupt: nobody to tell.
            let _ = tx.send(result);
        })
        .map_err(|e| {
            pyo3::exceptions::PyRuntimeError::new_err(format!("cannot start a thread: {e}"))
        })?;
    Ok(rx)
}

/// Waits for the result on `rx` with the GIL released, checking for signals (an
/// interrupt cancels `cancel` and raises).
fn wait<T: Send + 'static>(
    py: Python<'_>,
    cancel: Option<Arc<Progress>>,
    mut rx: Outcome<T>,
) -> PyResult<T> {
    loop {
        // The receiver moves in and out: it is `Send` but not `Sync`.
        let (back, received) = py.detach(move || {
            let r = rx.recv_timeout(SLICE);
            (rx, r)
        });
        rx = back;
        match received {
            Ok(Ok(value)) => return Ok(value),
            Ok(Err(panic)) => {
                let msg = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "unknown panic".into());
                return Err(pyo3::exceptions::PyRuntimeError::new_err(format!(
                    "paradup panicked: {msg}"
                )));
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if let Err(e) = py.check_signals() {
                    if let Some(p) = &cancel {
                        p.cancel();
                    }
                    return Err(e);
                }
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                return Err(pyo3::exceptions::PyRuntimeError::new_err(
                    "paradup's worker thread ended without a result",
                ));
            }
        }
    }
}
