//! paradup's errors as Python exceptions: file errors are `OSError`, everything else
//! (options, ids, index files that are not indexes) `ValueError`, with the Rust message.

use paradup::{Error, ErrorKind};
use pyo3::PyErr;
use pyo3::exceptions::{PyOSError, PyValueError};

/// The Python exception for a paradup error.
pub(crate) fn to_py(e: Error) -> PyErr {
    match e.kind() {
        ErrorKind::Io(_) => PyOSError::new_err(e.to_string()),
        _ => PyValueError::new_err(e.to_string()),
    }
}
