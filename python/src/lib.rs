//! The native module of the `paradup` Python package (`paradup._paradup`): bindings of
//! the paradup library. The Pythonic layer (argument conversion from numpy and
//! pyarrow, numpy results, docstrings) is `paradup/__init__.py`.
//!
//! Every computation runs with the GIL released, on a worker thread that the caller
//! watches for signals (`worker`), over texts copied out of Python objects in one pass
//! (`texts`).

mod clusters;
mod deduper;
mod errors;
mod index;
mod options;
mod sketch;
mod stages;
mod texts;
mod worker;

use pyo3::prelude::*;

#[pymodule]
fn _paradup(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<deduper::PyDeduper>()?;
    m.add_class::<clusters::PyCluster>()?;
    m.add_class::<clusters::PyMember>()?;
    m.add_class::<clusters::PyParagraphMember>()?;
    m.add_class::<texts::PyTexts>()?;
    m.add_class::<sketch::PyMinHasher>()?;
    m.add_class::<sketch::PySimHasher>()?;
    m.add_class::<index::PyIndex>()?;
    m.add_class::<index::PyMatch>()?;
    m.add_class::<stages::PyStages>()?;
    m.add_function(wrap_pyfunction!(stages::cluster_lines, m)?)?;
    m.add_function(wrap_pyfunction!(stages::cut_paragraphs, m)?)?;
    m.add_function(wrap_pyfunction!(stages::plan_files, m)?)?;
    m.add_function(wrap_pyfunction!(sketch::jaccard, m)?)?;
    m.add_function(wrap_pyfunction!(sketch::estimate_jaccard, m)?)?;
    m.add("DEFAULT_SEED", paradup::DEFAULT_SEED)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
