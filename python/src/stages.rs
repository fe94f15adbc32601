//! `paradup._paradup.Stages`: the library's stage API (`paradup::pipeline::stages`)
//! for engines that move data between machines themselves (`paradup.spark`). Every
//! function takes and returns columns: lists, or little-endian bytes that the Python
//! side wraps as Arrow or numpy arrays without a Python object per value.

use crate::errors::to_py;
use crate::texts;
use crate::worker;
use paradup::corpus::{CorpusReader, Input, InputFormat};
use paradup::report::ReportSource;
use paradup::{Deduper, Paragraph};
use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};
use std::path::PathBuf;
use std::sync::Arc;

/// One deduper's stages, on one thread (an engine gives each task one core).
#[pyclass(frozen, module = "paradup._paradup", name = "Stages")]
pub(crate) struct PyStages {
    deduper: Arc<Deduper>,
}

impl PyStages {
    /// Checks that `deduper` has stages (MinHash with Jaccard and exact verification,
    /// or SimHash) and wraps it.
    pub(crate) fn new(deduper: Deduper) -> PyResult<PyStages> {
        deduper.stages().map_err(to_py)?;
        Ok(PyStages {
            deduper: Arc::new(deduper),
        })
    }
}

/// Paragraph columns: per paragraph its document (index in the batch or file), index
/// in the document, line, reported byte span, and its text end to end with offsets.
#[derive(Default)]
struct ParagraphColumns {
    doc: Vec<i64>,
    index: Vec<i64>,
    line: Vec<i64>,
    start: Vec<i64>,
    end: Vec<i64>,
    data: Vec<u8>,
    offsets: Vec<i64>,
}

impl ParagraphColumns {
    fn new() -> ParagraphColumns {
        ParagraphColumns {
            offsets: vec![0],
            ..ParagraphColumns::default()
        }
    }

    fn push(&mut self, p: &Paragraph, doc: usize, span: (usize, usize), text: &str) {
        self.doc.push(doc as i64);
        self.index.push(i64::from(p.index));
        self.line.push(p.line as i64);
        self.start.push(span.0 as i64);
        self.end.push(span.1 as i64);
        self.data.extend_from_slice(text.as_bytes());
        self.offsets.push(self.data.len() as i64);
    }

    fn into_dict<'py>(self, py: Python<'py>, out: &Bound<'py, PyDict>) -> PyResult<()> {
        out.set_item("n", self.doc.len())?;
        for (name, col) in [
            ("doc", &self.doc),
            ("index", &self.index),
            ("line", &self.line),
            ("start", &self.start),
            ("end", &self.end),
            ("offsets", &self.offsets),
        ] {
            out.set_item(name, le_bytes(py, col))?;
        }
        out.set_item("data", PyBytes::new(py, &self.data))?;
        Ok(())
    }
}

fn le_bytes<'py>(py: Python<'py>, col: &[i64]) -> Bound<'py, PyBytes> {
    let bytes: Vec<u8> = col.iter().flat_map(|v| v.to_le_bytes()).collect();
    PyBytes::new(py, &bytes)
}

fn i64s(bytes: &[u8], what: &str) -> PyResult<Vec<i64>> {
    if !bytes.len().is_multiple_of(8) {
        return Err(PyValueError::new_err(format!(
            "{what}: {} bytes, not a whole number of int64s",
            bytes.len()
        )));
    }
    Ok(bytes
        .chunks_exact(8)
        .map(|c| i64::from_le_bytes(c.try_into().unwrap_or_default()))
        .collect())
}

fn format_of(s: &str) -> PyResult<InputFormat> {
    match s {
        "auto" => Ok(InputFormat::Auto),
        "text" => Ok(InputFormat::Text),
        "jsonl" => Ok(InputFormat::Jsonl),
        _ => Err(PyValueError::new_err(format!(
            "bad input_format {s:?}: use one of \"auto\", \"text\", \"jsonl\""
        ))),
    }
}

#[pymethods]
impl PyStages {
    /// The number of LSH band keys per paragraph (0 with SimHash).
    #[getter]
    fn bands(&self) -> PyResult<usize> {
        Ok(self.deduper.stages().map_err(to_py)?.bands())
    }

    /// Reads one file as the example deduper reads it (text or JSONL, gzip
    /// recognized; unreadable, binary and malformed parts skipped and reported) and
    /// splits its documents. Returns a dict: per document `source` (the name the
    /// report uses), `file` and `record` (JSONL only, else None) and, with
    /// `with_text`, `text`; the paragraph columns (see `ParagraphColumns`); the
    /// problems as strings and the counts of skipped parts.
    /// `name` is the file's name in reports (the path as the user gave it; default the
    /// path read).
    #[pyo3(signature = (path, input_format = "auto", text_field = "text", id_field = "id", with_text = false, name = None))]
    #[allow(clippy::too_many_arguments)]
    fn read_file<'py>(
        &self,
        py: Python<'py>,
        path: PathBuf,
        input_format: &str,
        text_field: &str,
        id_field: &str,
        with_text: bool,
        name: Option<String>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let format = format_of(input_format)?;
        let (text_field, id_field) = (text_field.to_string(), id_field.to_string());
        let deduper = self.deduper.clone();
        type Docs = (Vec<String>, Vec<Option<String>>, Vec<Option<u64>>);
        type Read = (Docs, Vec<String>, ParagraphColumns, Vec<String>, [usize; 3]);
        let read = worker::run(py, move || -> PyResult<Read> {
            let mut reader = CorpusReader::new();
            reader
                .format(format)
                .text_field(&text_field)
                .id_field(&id_field)
                .threads(1);
            let corpus = reader
                .read(&[Input::Path(path)], |_| {})
                .map_err(|e| PyOSError::new_err(e.to_string()))?;
            let stages = deduper.stages().map_err(to_py)?;
            let n = corpus.documents().len();
            let mut docs: Docs = (
                Vec::with_capacity(n),
                Vec::with_capacity(n),
                Vec::with_capacity(n),
            );
            let mut cols = ParagraphColumns::new();
            let mut texts = Vec::new();
            for (i, d) in corpus.documents().iter().enumerate() {
                let record = corpus.record_of(i);
                let read_as = corpus.source_name_of(i);
                let file = name.as_deref().unwrap_or(read_as);
                // A record without an id is named `FILE:LINE`: by the name given.
                let doc_name = match record {
                    Some(r) if d.id() == Some(format!("{read_as}:{}", r + 1).as_str()) => {
                        format!("{file}:{}", r + 1)
                    }
                    Some(_) => corpus.name_of(i).to_string(),
                    None => file.to_string(),
                };
                docs.0.push(doc_name);
                docs.1.push(record.map(|_| file.to_string()));
                docs.2.push(record);
                if with_text {
                    texts.push(d.text().to_string());
                }
                for p in stages.split(i as u32, d.text()) {
                    cols.push(&p, i, corpus.span_of(&p), p.text(d.text()));
                }
            }
            let stats = corpus.stats();
            let problems = corpus.problems().iter().map(|p| p.to_string()).collect();
            Ok((
                docs,
                texts,
                cols,
                problems,
                [stats.unreadable, stats.binary, stats.malformed],
            ))
        })??;
        let ((source, file, record), texts, cols, problems, skipped) = read;
        let out = PyDict::new(py);
        out.set_item("source", source)?;
        out.set_item("file", file)?;
        out.set_item("record", record)?;
        if with_text {
            out.set_item("text", texts)?;
        }
        cols.into_dict(py, &out)?;
        out.set_item("problems", problems)?;
        out.set_item("unreadable", skipped[0])?;
        out.set_item("binary", skipped[1])?;
        out.set_item("malformed", skipped[2])?;
        Ok(out)
    }

    /// The paragraphs of a batch of documents (`doc` is the index in the batch; spans
    /// are byte offsets in the document's UTF-8 text).
    fn split<'py>(
        &self,
        py: Python<'py>,
        docs: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let docs = texts::extract(docs)?;
        let deduper = self.deduper.clone();
        let cols = worker::run(py, move || -> PyResult<ParagraphColumns> {
            let stages = deduper.stages().map_err(to_py)?;
            let mut cols = ParagraphColumns::new();
            for i in 0..docs.len() {
                let text = docs.get(i);
                for p in stages.split(i as u32, text) {
                    cols.push(&p, i, (p.start, p.end), p.text(text));
                }
            }
            Ok(cols)
        })??;
        let out = PyDict::new(py);
        cols.into_dict(py, &out)?;
        Ok(out)
    }

    /// Stages 2–3 of a batch of paragraph texts: the exact key of each as two int64
    /// halves (`hi`, `lo`), whether it has shingles (`live`, one byte each), and its
    /// band keys (`keys`, `bands` int64s per paragraph) or SimHash fingerprint
    /// (`fingerprint`, one int64).
    fn prepare<'py>(
        &self,
        py: Python<'py>,
        texts: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let texts = texts::extract(texts)?;
        let deduper = self.deduper.clone();
        let prepared = worker::run(py, move || -> PyResult<_> {
            let stages = deduper.stages().map_err(to_py)?;
            Ok(stages.prepare(&texts.strs()))
        })??;
        let out = PyDict::new(py);
        let hi: Vec<i64> = prepared.exact.iter().map(|k| (k >> 64) as i64).collect();
        let lo: Vec<i64> = prepared.exact.iter().map(|&k| k as i64).collect();
        out.set_item("hi", le_bytes(py, &hi))?;
        out.set_item("lo", le_bytes(py, &lo))?;
        let live: Vec<u8> = prepared.live.iter().map(|&l| u8::from(l)).collect();
        out.set_item("live", PyBytes::new(py, &live))?;
        let keys: Vec<i64> = prepared.band_keys.iter().map(|&k| k as i64).collect();
        out.set_item("keys", le_bytes(py, &keys))?;
        let fps: Vec<i64> = prepared.fingerprints.iter().map(|&k| k as i64).collect();
        out.set_item("fingerprint", le_bytes(py, &fps))?;
        Ok(out)
    }

    /// Stage 4 per bucket: `values` are the text ids (int64) of every bucket end to
    /// end, `offsets` where each bucket starts and ends (n + 1 int64s). Returns the
    /// candidate pairs `(lo, hi)` of all buckets as two int64 columns, by the rule of
    /// the local run (every pair in a bucket of at most 16 texts, else each text with
    /// the smallest).
    fn bucket_pairs<'py>(
        &self,
        py: Python<'py>,
        values: &[u8],
        offsets: &[u8],
    ) -> PyResult<(Bound<'py, PyBytes>, Bound<'py, PyBytes>)> {
        let (values, offsets) = (i64s(values, "values")?, i64s(offsets, "offsets")?);
        let stages = self.deduper.stages().map_err(to_py)?;
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for w in offsets.windows(2) {
            let (lo, hi) = (w[0], w[1]);
            if lo < 0 || hi < lo || hi as usize > values.len() {
                return Err(PyValueError::new_err(format!(
                    "bucket {lo}..{hi} outside {} values",
                    values.len()
                )));
            }
            let mut ids: Vec<i64> = values[lo as usize..hi as usize].to_vec();
            ids.sort_unstable();
            ids.dedup();
            if ids.len() > u32::MAX as usize {
                return Err(PyValueError::new_err("a bucket of more than 2^32 texts"));
            }
            let mut local: Vec<u32> = (0..ids.len() as u32).collect();
            for (x, y) in stages.bucket_candidates(&mut local) {
                a.push(ids[x as usize]);
                b.push(ids[y as usize]);
            }
        }
        Ok((le_bytes(py, &a), le_bytes(py, &b)))
    }

    /// Stage 5 for pairs of paragraph texts: the similarity of each pair that reaches
    /// the threshold, NaN for the others (float64 bytes).
    fn verify<'py>(
        &self,
        py: Python<'py>,
        a: &Bound<'py, PyAny>,
        b: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let (a, b) = (texts::extract(a)?, texts::extract(b)?);
        if a.len() != b.len() {
            return Err(PyValueError::new_err(format!(
                "{} texts against {}",
                a.len(),
                b.len()
            )));
        }
        let deduper = self.deduper.clone();
        let sims = worker::run(py, move || -> PyResult<Vec<u8>> {
            let stages = deduper.stages().map_err(to_py)?;
            let mut out = Vec::with_capacity(a.len() * 8);
            for i in 0..a.len() {
                let (x, y) = (stages.shingle_set(a.get(i)), stages.shingle_set(b.get(i)));
                let s = stages.verify(&x, &y).unwrap_or(f64::NAN);
                out.extend_from_slice(&s.to_le_bytes());
            }
            Ok(out)
        })??;
        Ok(PyBytes::new(py, &sims))
    }

    /// Stage 6 for one connected group: `texts` are its distinct texts in ascending
    /// id order, `edges` the verified pairs as positions in `texts` (`lo < hi`).
    /// Returns, per text, the position of its part's representative and its
    /// similarity to it (see `Stages::split_group`).
    fn split_group(
        &self,
        py: Python<'_>,
        texts: &Bound<'_, PyAny>,
        edges: Vec<(u32, u32)>,
    ) -> PyResult<(Vec<u32>, Vec<f64>)> {
        let texts = texts::extract(texts)?;
        let deduper = self.deduper.clone();
        worker::run(py, move || -> PyResult<(Vec<u32>, Vec<f64>)> {
            let stages = deduper.stages().map_err(to_py)?;
            let sets: Vec<Vec<u64>> = (0..texts.len())
                .map(|i| stages.shingle_set(texts.get(i)))
                .collect();
            let parts = stages.split_group(&sets, &edges).map_err(to_py)?;
            let (mut rep, mut sim) = (vec![0; texts.len()], vec![0.0; texts.len()]);
            for part in &parts {
                for &(c, s) in part {
                    rep[c as usize] = part[0].0;
                    sim[c as usize] = s;
                }
            }
            Ok((rep, sim))
        })?
    }
}

/// The lines of `dedup --format jsonl` (without their newlines) of member rows sorted by
/// cluster and position: per row its cluster, document name (`source`), JSONL file
/// (`file`, used where `record` is not negative), record, paragraph, line, span and
/// similarity, the integers as int64 bytes and the similarity as float64 bytes.
/// Returns the cluster of each line (int64 bytes), and the lines end to end with
/// their n + 1 int64 offsets.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
pub(crate) fn cluster_lines<'py>(
    py: Python<'py>,
    cluster: &[u8],
    source: &Bound<'py, PyAny>,
    file: &Bound<'py, PyAny>,
    record: &[u8],
    paragraph: &[u8],
    line: &[u8],
    start: &[u8],
    end: &[u8],
    similarity: &[u8],
) -> PyResult<(
    Bound<'py, PyBytes>,
    Bound<'py, PyBytes>,
    Bound<'py, PyBytes>,
)> {
    use paradup::report::json;
    use std::fmt::Write as _;
    let (source, file) = (texts::extract(source)?, texts::extract(file)?);
    let cols = [
        i64s(cluster, "cluster")?,
        i64s(record, "record")?,
        i64s(paragraph, "paragraph")?,
        i64s(line, "line")?,
        i64s(start, "start")?,
        i64s(end, "end")?,
    ];
    let sims = i64s(similarity, "similarity")?;
    let n = cols[0].len();
    if cols.iter().any(|c| c.len() != n) || sims.len() != n || source.len() != n || file.len() != n
    {
        return Err(PyValueError::new_err("columns of different lengths"));
    }
    let [cluster, record, paragraph, line_no, start, end] = cols;
    let (mut ids, mut data, mut offsets) = (Vec::new(), String::new(), vec![0i64]);
    let mut i = 0;
    while i < n {
        let c = cluster[i];
        let j = i + cluster[i..].iter().take_while(|&&x| x == c).count();
        let _ = write!(data, "{{\"cluster\":{c},\"size\":{},\"members\":[", j - i);
        for k in i..j {
            if k > i {
                data.push(',');
            }
            data.push_str("{\"source\":");
            json::push_str(&mut data, source.get(k));
            if record[k] >= 0 {
                data.push_str(",\"file\":");
                json::push_str(&mut data, file.get(k));
                let _ = write!(data, ",\"record\":{}", record[k]);
            }
            let _ = write!(
                data,
                ",\"paragraph\":{},\"line\":{},\"start\":{},\"end\":{},\"similarity\":",
                paragraph[k], line_no[k], start[k], end[k]
            );
            json::push_number(&mut data, f64::from_bits(sims[k] as u64));
            data.push('}');
        }
        data.push_str("]}");
        ids.push(c);
        offsets.push(data.len() as i64);
        i = j;
    }
    Ok((
        le_bytes(py, &ids),
        PyBytes::new(py, data.as_bytes()),
        le_bytes(py, &offsets),
    ))
}

/// `text` without the paragraphs at byte spans `starts[i]..ends[i]` (sorted, apart),
/// each with the line terminator after it: the `--write-deduped` cut of a document.
#[pyfunction]
pub(crate) fn cut_paragraphs(text: &str, starts: Vec<usize>, ends: Vec<usize>) -> PyResult<String> {
    if starts.len() != ends.len() {
        return Err(PyValueError::new_err("as many starts as ends"));
    }
    let spans: Vec<std::ops::Range<usize>> =
        starts.into_iter().zip(ends).map(|(s, e)| s..e).collect();
    paradup::report::rewrite::cut_paragraphs(text, &spans)
        .ok_or_else(|| PyValueError::new_err("spans not sorted, apart and inside the text"))
}

/// The files that reading `paths` reads (directories expanded in sorted order, a file
/// met twice read once), as `(path, name in reports)`.
#[pyfunction]
pub(crate) fn plan_files(paths: Vec<PathBuf>) -> PyResult<Vec<(PathBuf, String)>> {
    let inputs: Vec<Input> = paths.into_iter().map(Input::Path).collect();
    let files =
        paradup::corpus::plan_files(&inputs).map_err(|e| PyOSError::new_err(e.to_string()))?;
    Ok(files.into_iter().map(|f| (f.path, f.name)).collect())
}
