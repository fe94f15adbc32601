//! `paradup.Index`: the library's long-lived `Index` (insert, query, remove, save,
//! load; the same file format), behind a read-write lock so that queries from many
//! Python threads run at once, off the GIL.

use crate::errors::to_py;
use crate::options;
use crate::texts;
use crate::worker;
use paradup::{Deduper, Index, Sketch, SketchScratch};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use rayon::prelude::*;
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// A stored paragraph that matched a query.
#[pyclass(frozen, get_all, module = "paradup._paradup", name = "Match")]
pub(crate) struct PyMatch {
    /// The key it was inserted under.
    key: u64,
    /// 1.0 for an exact match, else the signature estimate of the Jaccard similarity.
    similarity: f64,
    /// Whether its normalized text equals the query's.
    exact: bool,
}

#[pymethods]
impl PyMatch {
    fn __repr__(&self) -> String {
        format!(
            "Match(key={}, similarity={:?}, exact={})",
            self.key,
            self.similarity,
            if self.exact { "True" } else { "False" }
        )
    }
}

/// A persistent near-duplicate index. See `paradup.Index` (Python).
#[pyclass(frozen, module = "paradup._paradup", name = "Index")]
pub(crate) struct PyIndex {
    inner: Arc<RwLock<Index>>,
}

fn read(lock: &RwLock<Index>) -> RwLockReadGuard<'_, Index> {
    lock.read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn write(lock: &RwLock<Index>) -> RwLockWriteGuard<'_, Index> {
    lock.write()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn matches(m: &paradup::Matches) -> Vec<PyMatch> {
    m.iter()
        .map(|m| PyMatch {
            key: m.key,
            similarity: m.similarity,
            exact: m.exact,
        })
        .collect()
}

/// The sketches of many texts, in parallel.
fn sketches(index: &Index, texts: &texts::TextBuf) -> Vec<Sketch> {
    let sketcher = index.sketcher();
    (0..texts.len())
        .into_par_iter()
        .map_init(SketchScratch::default, |scratch, i| {
            let mut out = Sketch {
                exact: 0,
                signature: Vec::new(),
                has_shingles: false,
            };
            sketcher.sketch_into(texts.get(i), scratch, &mut out);
            out
        })
        .collect()
}

#[pymethods]
impl PyIndex {
    #[new]
    #[pyo3(signature = (threshold = 0.6, *, shingles = "w2", num_perm = 128, seed = paradup::DEFAULT_SEED, lsh = None, max_matches = 16))]
    fn new(
        threshold: f64,
        shingles: &str,
        num_perm: i64,
        seed: u64,
        lsh: Option<(i64, i64)>,
        max_matches: i64,
    ) -> PyResult<PyIndex> {
        let positive = |name: &str, n: i64| {
            usize::try_from(n)
                .map_err(|_| PyValueError::new_err(format!("{name} must be at least 0, got {n}")))
        };
        let mut b = Deduper::builder();
        b.threshold(threshold)
            .shingles(options::shingles(shingles)?)
            .num_perm(positive("num_perm", num_perm)?)
            .seed(seed);
        if let Some((bands, rows)) = lsh {
            b.lsh_params(positive("bands", bands)?, positive("rows", rows)?);
        }
        let deduper = b.build().map_err(to_py)?;
        let mut index = Index::new(&deduper);
        let k = NonZeroUsize::new(positive("max_matches", max_matches)?)
            .ok_or_else(|| PyValueError::new_err("max_matches must be at least 1"))?;
        index.set_max_matches(k);
        Ok(PyIndex {
            inner: Arc::new(RwLock::new(index)),
        })
    }

    /// Loads an index saved by `save` (or by the example deduper's `--save-index`).
    #[staticmethod]
    fn load(py: Python<'_>, path: PathBuf) -> PyResult<PyIndex> {
        let index = worker::run(py, move || Index::load_any(&path))?.map_err(to_py)?;
        Ok(PyIndex {
            inner: Arc::new(RwLock::new(index)),
        })
    }

    /// Saves the index (atomically: a temporary file renamed into place).
    fn save(&self, py: Python<'_>, path: PathBuf) -> PyResult<()> {
        let inner = self.inner.clone();
        worker::run(py, move || read(&inner).save(&path))?.map_err(to_py)
    }

    /// Inserts `text` under `key`, replacing what `key` held.
    fn insert(&self, py: Python<'_>, key: u64, text: &str) {
        py.detach(|| write(&self.inner).insert(key, text));
    }

    /// Inserts `texts[i]` under `keys[i]`; sketches are computed in parallel.
    fn insert_many(
        &self,
        py: Python<'_>,
        keys: Vec<u64>,
        texts: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let texts = texts::extract(texts)?;
        if keys.len() != texts.len() {
            return Err(PyValueError::new_err(format!(
                "{} keys for {} texts: give one key per text",
                keys.len(),
                texts.len()
            )));
        }
        let inner = self.inner.clone();
        worker::run(py, move || {
            let sketches = sketches(&read(&inner), &texts);
            let mut index = write(&inner);
            for (key, sketch) in keys.iter().zip(&sketches) {
                index.insert_sketch(*key, sketch);
            }
        })
    }

    /// The stored paragraphs that match `text`, best first (at most `k`, default the
    /// index's `max_matches`).
    #[pyo3(signature = (text, k = None))]
    fn query(&self, py: Python<'_>, text: &str, k: Option<usize>) -> Vec<PyMatch> {
        py.detach(|| {
            let index = read(&self.inner);
            matches(&match k {
                Some(k) => index.query_top_k(text, k),
                None => index.query(text),
            })
        })
    }

    /// `query` for each of `texts`, in parallel.
    #[pyo3(signature = (texts, k = None))]
    fn query_many(
        &self,
        py: Python<'_>,
        texts: &Bound<'_, PyAny>,
        k: Option<usize>,
    ) -> PyResult<Vec<Vec<PyMatch>>> {
        let texts = texts::extract(texts)?;
        let inner = self.inner.clone();
        worker::run(py, move || {
            let index = read(&inner);
            let k = k.unwrap_or(index.max_matches());
            let sketches = sketches(&index, &texts);
            sketches
                .par_iter()
                .map(|s| matches(&index.query_sketch_top_k(s, k)))
                .collect()
        })
    }

    /// Removes `key`; returns whether it was stored.
    fn remove(&self, py: Python<'_>, key: u64) -> bool {
        py.detach(|| write(&self.inner).remove(key))
    }

    /// The most matches a query returns.
    #[getter]
    fn max_matches(&self, py: Python<'_>) -> usize {
        py.detach(|| read(&self.inner).max_matches())
    }

    /// The similarity threshold of a match.
    #[getter]
    fn threshold(&self, py: Python<'_>) -> f64 {
        py.detach(|| read(&self.inner).params().threshold)
    }

    /// The LSH banding, `(bands, rows)`.
    #[getter]
    fn lsh(&self, py: Python<'_>) -> (usize, usize) {
        let p = py.detach(|| read(&self.inner).params().lsh);
        (p.bands, p.rows)
    }

    /// MinHash permutations.
    #[getter]
    fn num_perm(&self, py: Python<'_>) -> usize {
        py.detach(|| read(&self.inner).params().num_perm)
    }

    // Even these short reads wait for the lock without the GIL: a writer may hold it
    // for a long `insert_many`, and other Python threads must run meanwhile.
    fn __len__(&self, py: Python<'_>) -> usize {
        py.detach(|| read(&self.inner).len())
    }

    fn __contains__(&self, py: Python<'_>, key: u64) -> bool {
        py.detach(|| read(&self.inner).contains(key))
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        let (len, threshold, num_perm) = py.detach(|| {
            let index = read(&self.inner);
            (
                index.len(),
                index.params().threshold,
                index.params().num_perm,
            )
        });
        format!("Index(len={len}, threshold={threshold}, num_perm={num_perm})")
    }
}
