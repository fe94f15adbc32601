//! `paradup.Deduper`: the library's `Deduper`, configured by keyword arguments that
//! mirror `DeduperBuilder`, run off the GIL (see `worker`).

use crate::clusters::{self, PyCluster};
use crate::errors::to_py;
use crate::options;
use crate::stages::PyStages;
use crate::texts::{self, TextBuf};
use crate::worker;
use paradup::corpus::{CorpusReader, Input, InputFormat};
use paradup::fsio::AtomicFile;
use paradup::report::outputs::OutputGuard;
use paradup::{Deduper, DeduperBuilder, Keep, LshTuning, ParagraphMode, Progress};
use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::prelude::*;
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// Finds clusters of near-duplicate paragraphs. See `paradup.Deduper` (Python) for the
/// documentation.
#[pyclass(frozen, module = "paradup._paradup", name = "Deduper")]
pub(crate) struct PyDeduper {
    builder: DeduperBuilder,
    /// The library's dedupers built so far, one per paragraph mode: `run` needs
    /// `Whole`, `run_documents` the mode it is given.
    built: Mutex<Vec<(ParagraphMode, Arc<Deduper>)>>,
    repr: String,
}

/// A count argument: negative values are a `ValueError` rather than an `OverflowError`.
fn count(name: &str, n: i64) -> PyResult<usize> {
    usize::try_from(n)
        .map_err(|_| PyValueError::new_err(format!("{name} must be at least 0, got {n}")))
}

impl PyDeduper {
    /// The library's deduper for `mode`, built once.
    fn deduper(&self, mode: ParagraphMode) -> PyResult<Arc<Deduper>> {
        let mut built = self
            .built
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((_, d)) = built.iter().find(|(m, _)| *m == mode) {
            return Ok(d.clone());
        }
        let d = Arc::new(
            self.builder
                .clone()
                .paragraphs(mode)
                .build()
                .map_err(to_py)?,
        );
        built.push((mode, d.clone()));
        Ok(d)
    }

    /// Runs `deduper` on `texts` off the GIL and returns the plain clusters.
    fn find(
        py: Python<'_>,
        deduper: Arc<Deduper>,
        texts: Arc<TextBuf>,
        offsets: bool,
    ) -> PyResult<Vec<Vec<clusters::Found>>> {
        worker::run_cancellable(py, Arc::new(Progress::new()), move |progress| {
            let strs = texts.strs();
            let found = deduper.try_run_documents_with_progress(&strs, progress)?;
            Ok(clusters::found(&found, offsets.then_some(&*texts)))
        })?
        .map_err(to_py)
    }
}

#[pymethods]
impl PyDeduper {
    #[new]
    #[pyo3(signature = (
        threshold = 0.6,
        *,
        shingles = "w2",
        num_perm = 128,
        method = "minhash",
        similarity = "jaccard",
        anti_chaining = true,
        threads = None,
        seed = paradup::DEFAULT_SEED,
        lsh = None,
        lsh_recall = None,
        verification = "exact",
        candidates = "lsh",
        max_hamming = None,
        max_cluster_size = paradup::pipeline::DEFAULT_MAX_CLUSTER_SIZE as i64,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        threshold: f64,
        shingles: &str,
        num_perm: i64,
        method: &str,
        similarity: &str,
        anti_chaining: bool,
        threads: Option<i64>,
        seed: u64,
        lsh: Option<(i64, i64)>,
        lsh_recall: Option<f64>,
        verification: &str,
        candidates: &str,
        max_hamming: Option<u32>,
        max_cluster_size: i64,
    ) -> PyResult<PyDeduper> {
        let mut b = Deduper::builder();
        b.threshold(threshold)
            .shingles(options::shingles(shingles)?)
            .num_perm(count("num_perm", num_perm)?)
            .method(options::method(method, max_hamming)?)
            .similarity(options::similarity(similarity)?)
            .anti_chaining(anti_chaining)
            // Python gets clusters, never pairs: the pairs that join texts give the
            // same clusters, for less work on duplicate-heavy text.
            .all_pairs(false)
            .seed(seed)
            .verification(options::verification(verification)?)
            .candidates(options::candidates(candidates)?)
            .max_cluster_size(count("max_cluster_size", max_cluster_size)?);
        if let Some(n) = threads {
            b.threads(count("threads", n)?);
        }
        if let Some((bands, rows)) = lsh {
            b.lsh_params(count("bands", bands)?, count("rows", rows)?);
        }
        if let Some(r) = lsh_recall {
            if lsh.is_some() {
                return Err(PyValueError::new_err("give lsh or lsh_recall, not both"));
            }
            b.lsh_tuning(LshTuning::Recall(r));
        }
        let repr = format!(
            "Deduper(threshold={threshold}, shingles={shingles:?}, num_perm={num_perm}, \
             method={method:?}, similarity={similarity:?}, anti_chaining={})",
            if anti_chaining { "True" } else { "False" }
        );
        let d = PyDeduper {
            builder: b,
            built: Mutex::new(Vec::new()),
            repr,
        };
        // Validates the whole configuration now: a bad option fails here, not on the
        // first run.
        d.deduper(ParagraphMode::Whole)?;
        Ok(d)
    }

    /// Clusters of near-duplicate items, each item one paragraph.
    fn run(&self, py: Python<'_>, texts: &Bound<'_, PyAny>) -> PyResult<Vec<PyCluster>> {
        let texts = texts::extract(texts)?;
        let deduper = self.deduper(ParagraphMode::Whole)?;
        let found = Self::find(py, deduper, texts, false)?;
        clusters::to_python(py, found, true)
    }

    /// Clusters of near-duplicate paragraphs of documents.
    #[pyo3(signature = (docs, paragraphs = "auto"))]
    fn run_documents(
        &self,
        py: Python<'_>,
        docs: &Bound<'_, PyAny>,
        paragraphs: &str,
    ) -> PyResult<Vec<PyCluster>> {
        let mode = options::paragraphs(paragraphs)?;
        let texts = texts::extract(docs)?;
        let deduper = self.deduper(mode)?;
        let found = Self::find(py, deduper, texts, true)?;
        clusters::to_python(py, found, false)
    }

    /// The indices of the items to keep: every item but the duplicates.
    #[pyo3(signature = (texts, keep = "first"))]
    fn keep(&self, py: Python<'_>, texts: &Bound<'_, PyAny>, keep: &str) -> PyResult<Vec<usize>> {
        let keep: Keep = options::keep(keep)?;
        let texts = texts::extract(texts)?;
        let deduper = self.deduper(ParagraphMode::Whole)?;
        worker::run_cancellable(py, Arc::new(Progress::new()), move |progress| {
            let strs = texts.strs();
            let clusters = deduper.try_run_documents_with_progress(&strs, progress)?;
            let mask = clusters.keep_mask(keep, strs.len());
            Ok(mask
                .iter()
                .enumerate()
                .filter_map(|(i, &k)| k.then_some(i))
                .collect())
        })?
        .map_err(to_py)
    }

    /// Reads files as the example deduper does and returns its `--format jsonl`
    /// report and the problems met (warnings), writing the report to `output` too.
    #[pyo3(signature = (paths, output = None, paragraphs = "auto", input_format = "auto", text_field = "text", id_field = "id"))]
    #[allow(clippy::too_many_arguments)]
    fn _run_files(
        &self,
        py: Python<'_>,
        paths: Vec<PathBuf>,
        output: Option<PathBuf>,
        paragraphs: &str,
        input_format: &str,
        text_field: &str,
        id_field: &str,
    ) -> PyResult<(String, Vec<String>)> {
        let (text_field, id_field) = (text_field.to_string(), id_field.to_string());
        let mode = options::paragraphs(paragraphs)?;
        let format = match input_format {
            "auto" => InputFormat::Auto,
            "text" => InputFormat::Text,
            "jsonl" => InputFormat::Jsonl,
            _ => {
                return Err(PyValueError::new_err(format!(
                    "bad input_format {input_format:?}: use one of \"auto\", \"text\", \"jsonl\""
                )));
            }
        };
        let deduper = self.deduper(mode)?;
        worker::run_cancellable(
            py,
            Arc::new(Progress::new()),
            move |progress| -> PyResult<(String, Vec<String>)> {
                let inputs: Vec<Input> = paths.iter().cloned().map(Input::Path).collect();
                // The output is checked against every input (by device and inode) before
                // anything is read, as the example deduper does: never write over an input.
                if let Some(path) = &output {
                    let files = paradup::corpus::plan_files(&inputs)
                        .map_err(|e| PyOSError::new_err(e.to_string()))?;
                    let mut guard = OutputGuard::new();
                    guard.input_files(&files);
                    for p in &paths {
                        guard.input_path(p);
                    }
                    guard
                        .file(path, "the JSONL report")
                        .map_err(|e| PyValueError::new_err(e.to_string()))?;
                }
                let mut reader = CorpusReader::new();
                reader
                    .format(format)
                    .text_field(&text_field)
                    .id_field(&id_field)
                    .threads(rayon::current_num_threads());
                let corpus = reader
                    .read(&inputs, |_| {})
                    .map_err(|e| PyOSError::new_err(e.to_string()))?;
                let problems = corpus.problems().iter().map(|p| p.to_string()).collect();
                let clusters = deduper
                    .try_run_documents_with_progress(corpus.documents(), progress)
                    .map_err(to_py)?;
                let mut out = Vec::new();
                paradup::report::write_jsonl(&mut out, &corpus, &clusters)
                    .map_err(|e| PyOSError::new_err(e.to_string()))?;
                if let Some(path) = output {
                    // A temporary file beside it, renamed into place once complete.
                    AtomicFile::create(&path)
                        .and_then(|mut f| {
                            f.write_all(&out)?;
                            f.commit()
                        })
                        .map_err(|e| PyOSError::new_err(format!("{}: {e}", path.display())))?;
                }
                let text =
                    String::from_utf8(out).map_err(|e| PyValueError::new_err(e.to_string()))?;
                Ok((text, problems))
            },
        )?
    }

    /// This deduper's stages with paragraph mode `paragraphs`, on one thread (for an
    /// engine's tasks, `paradup.spark`).
    #[pyo3(signature = (paragraphs = "auto"))]
    fn _stages(&self, paragraphs: &str) -> PyResult<PyStages> {
        let mode = options::paragraphs(paragraphs)?;
        let deduper = self
            .builder
            .clone()
            .paragraphs(mode)
            .threads(1)
            .build()
            .map_err(to_py)?;
        PyStages::new(deduper)
    }

    /// The similarity threshold.
    #[getter]
    fn threshold(&self) -> PyResult<f64> {
        Ok(self.deduper(ParagraphMode::Whole)?.threshold())
    }

    /// The LSH banding in use, `(bands, rows)`.
    #[getter]
    fn lsh(&self) -> PyResult<(usize, usize)> {
        let p = self.deduper(ParagraphMode::Whole)?.lsh_params();
        Ok((p.bands, p.rows))
    }

    /// The shingles, as `"wN"` or `"cN"`.
    #[getter]
    fn shingles(&self) -> PyResult<String> {
        Ok(options::shingles_name(
            self.deduper(ParagraphMode::Whole)?.shingler().kind(),
        ))
    }

    /// MinHash permutations.
    #[getter]
    fn num_perm(&self) -> PyResult<usize> {
        Ok(self.deduper(ParagraphMode::Whole)?.hasher().num_perm())
    }

    fn __repr__(&self) -> String {
        self.repr.clone()
    }
}
