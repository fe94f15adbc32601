//! `MinHasher`, `SimHasher`, `jaccard` and `estimate_jaccard`: the library's per-text
//! sketches (normalize, shingle, hash) over many texts in parallel, returned as the
//! bytes of a numpy array that `paradup/__init__.py` views with the right dtype.

use crate::errors::to_py;
use crate::options;
use crate::texts::{self, TextBuf};
use crate::worker;
use paradup::text::shingle::ShingleScratch;
use paradup::{MinHasher, Normalizer, Shingler, SimHashScratch, SimHasher};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyByteArray;
use rayon::prelude::*;
use std::sync::Arc;

/// `bytes` in a new `bytearray` (writable, so numpy's view of it is too): one
/// `memcpy` under the GIL. The parallel loops write the values as native-endian bytes
/// themselves, instead of a copy value by value here.
fn bytearray<'py>(py: Python<'py>, bytes: &[u8]) -> Bound<'py, PyByteArray> {
    PyByteArray::new(py, bytes)
}

/// Writes `values` into `out` as native-endian bytes (`N` per value).
fn put<T: Copy, const N: usize>(out: &mut [u8], values: &[T], to_bytes: impl Fn(T) -> [u8; N]) {
    for (o, &v) in out.chunks_exact_mut(N).zip(values) {
        o.copy_from_slice(&to_bytes(v));
    }
}

/// MinHash signatures of raw texts. See `paradup.MinHasher` (Python).
#[pyclass(frozen, module = "paradup._paradup", name = "MinHasher")]
pub(crate) struct PyMinHasher {
    normalizer: Normalizer,
    shingler: Shingler,
    hasher: MinHasher,
}

#[pymethods]
impl PyMinHasher {
    #[new]
    #[pyo3(signature = (num_perm = 128, shingles = "w2", *, seed = paradup::DEFAULT_SEED))]
    fn new(num_perm: i64, shingles: &str, seed: u64) -> PyResult<PyMinHasher> {
        let num_perm = usize::try_from(num_perm).map_err(|_| {
            PyValueError::new_err(format!("num_perm must be at least 1, got {num_perm}"))
        })?;
        Ok(PyMinHasher {
            normalizer: Normalizer::new(),
            shingler: Shingler::try_new(options::shingles(shingles)?)
                .map_err(to_py)?
                .with_seed(seed),
            hasher: MinHasher::try_new(num_perm, seed).map_err(to_py)?,
        })
    }

    #[getter]
    fn num_perm(&self) -> usize {
        self.hasher.num_perm()
    }

    #[getter]
    fn shingles(&self) -> String {
        options::shingles_name(self.shingler.kind())
    }

    #[getter]
    fn seed(&self) -> u64 {
        self.hasher.seed()
    }

    /// The signatures of `texts`, row after row, as bytes of native-endian `u32`s,
    /// and the number of rows.
    fn _signatures<'py>(
        &self,
        py: Python<'py>,
        texts: &Bound<'py, PyAny>,
    ) -> PyResult<(Bound<'py, PyByteArray>, usize)> {
        let texts = texts::extract(texts)?;
        let (normalizer, shingler, hasher) = (self.normalizer, self.shingler, self.hasher.clone());
        let (n, k) = (texts.len(), hasher.num_perm());
        let work = move || signatures(&normalizer, &shingler, &hasher, &texts);
        // The result's bytearray is allocated (and its pages touched) while the
        // signatures are computed, so the copy into it is a plain memcpy after.
        let out = worker::run_meanwhile(py, work, |result| {
            PyByteArray::new_with(py, n * k * 4, |bytes| {
                bytes.copy_from_slice(&result.wait()?);
                Ok(())
            })
        })?;
        Ok((out, n))
    }
}

/// Every text's signature, as the library computes one text's: normalized, shingled,
/// hashed. In parallel, with scratch per rayon task.
fn signatures(
    normalizer: &Normalizer,
    shingler: &Shingler,
    hasher: &MinHasher,
    texts: &TextBuf,
) -> Vec<u8> {
    let k = hasher.num_perm();
    let mut out = vec![0u8; texts.len() * k * 4];
    out.par_chunks_mut(k * 4).enumerate().for_each_init(
        || {
            (
                String::new(),
                ShingleScratch::default(),
                Vec::new(),
                vec![0u32; k],
            )
        },
        |(norm, scratch, set, sig), (i, bytes)| {
            normalizer.normalize_into(texts.get(i), norm);
            // Unsorted, with repeats: a signature ignores both (the pipeline's path).
            shingler.hashes_into(norm, scratch, set);
            hasher.signature_into(set, sig);
            put(bytes, sig, u32::to_ne_bytes);
        },
    );
    out
}

/// SimHash fingerprints of raw texts. See `paradup.SimHasher` (Python).
#[pyclass(frozen, module = "paradup._paradup", name = "SimHasher")]
pub(crate) struct PySimHasher {
    normalizer: Normalizer,
    simhasher: SimHasher,
}

#[pymethods]
impl PySimHasher {
    #[new]
    #[pyo3(signature = (features = "c4", weighting = "tf", *, seed = paradup::DEFAULT_SEED))]
    fn new(features: &str, weighting: &str, seed: u64) -> PyResult<PySimHasher> {
        Ok(PySimHasher {
            normalizer: Normalizer::new(),
            simhasher: SimHasher::try_new(options::shingles(features)?)
                .map_err(to_py)?
                .with_weighting(options::weighting(weighting)?)
                .with_seed(seed),
        })
    }

    /// The fingerprints of `texts` as bytes of native-endian `u64`s.
    fn _fingerprints<'py>(
        &self,
        py: Python<'py>,
        texts: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyByteArray>> {
        let texts = texts::extract(texts)?;
        let (normalizer, simhasher) = (self.normalizer, self.simhasher);
        let fps = worker::run(py, move || fingerprints(&normalizer, &simhasher, &texts))?;
        Ok(bytearray(py, &fps))
    }
}

fn fingerprints(normalizer: &Normalizer, simhasher: &SimHasher, texts: &Arc<TextBuf>) -> Vec<u8> {
    let mut out = vec![0u8; texts.len() * 8];
    out.par_chunks_mut(8).enumerate().for_each_init(
        || (String::new(), SimHashScratch::default()),
        |(norm, scratch), (i, bytes)| {
            normalizer.normalize_into(texts.get(i), norm);
            let fp = simhasher.fingerprint_normalized_with(norm, scratch);
            put(bytes, &[fp], u64::to_ne_bytes);
        },
    );
    out
}

/// The exact Jaccard similarity of the shingle sets of two texts (normalized as the
/// deduper normalizes them). Two texts without shingles have similarity 1.0.
#[pyfunction]
#[pyo3(signature = (a, b, shingles = "w2", *, seed = paradup::DEFAULT_SEED))]
pub(crate) fn jaccard(
    py: Python<'_>,
    a: &str,
    b: &str,
    shingles: &str,
    seed: u64,
) -> PyResult<f64> {
    let shingler = Shingler::try_new(options::shingles(shingles)?)
        .map_err(to_py)?
        .with_seed(seed);
    let norm = Normalizer::new();
    Ok(py.detach(|| {
        let set = |t: &str| shingler.shingles(&norm.normalize(t));
        paradup::text::shingle::jaccard(&set(a), &set(b))
    }))
}

/// The Jaccard estimate of two signatures: the fraction of slots that agree.
#[pyfunction]
pub(crate) fn estimate_jaccard(a: Vec<u32>, b: Vec<u32>) -> PyResult<f64> {
    if a.len() != b.len() || a.is_empty() {
        return Err(PyValueError::new_err(format!(
            "signatures must have the same, non-zero length (got {} and {})",
            a.len(),
            b.len()
        )));
    }
    Ok(paradup::estimate_jaccard(&a, &b))
}
