//! The clusters a run returns, as Python objects: `Cluster`, whose `members` are
//! `Member`s (one paragraph per input item) or `ParagraphMember`s (paragraphs of
//! documents, with their provenance).

use crate::texts::TextBuf;
use paradup::{Clusters, Direction, Paragraph};
use pyo3::prelude::*;
use pyo3::types::PyTuple;

/// A member of a cluster of `Deduper.run`: one input item.
#[pyclass(frozen, get_all, module = "paradup._paradup", name = "Member")]
pub(crate) struct PyMember {
    /// Position of the item in the input.
    index: usize,
    /// Similarity to the cluster's representative (1.0 for itself and exact copies).
    similarity: f64,
    /// Whether the normalized text equals the representative's.
    exact: bool,
    /// Under containment, which of representative and member is in the other:
    /// `"a_in_b"`, `"b_in_a"` or `"mutual"` (always `"mutual"` for Jaccard).
    direction: &'static str,
}

#[pymethods]
impl PyMember {
    fn __repr__(&self) -> String {
        format!(
            "Member(index={}, similarity={}, exact={})",
            self.index,
            float(self.similarity),
            py_bool(self.exact)
        )
    }
}

/// A member of a cluster of `Deduper.run_documents`: a paragraph of a document.
#[pyclass(frozen, get_all, module = "paradup._paradup", name = "ParagraphMember")]
pub(crate) struct PyParagraphMember {
    /// Position of the document in the input.
    doc: usize,
    /// 0-based index of the paragraph in its document.
    paragraph: usize,
    /// 1-based line of the paragraph's first line.
    line: u64,
    /// Character (code point) offset of the paragraph's start: `docs[doc][start:end]`.
    start: usize,
    /// Character offset one past the paragraph's end.
    end: usize,
    /// UTF-8 byte offset of the start, as the Rust API and the JSONL report give it.
    byte_start: usize,
    /// UTF-8 byte offset one past the end.
    byte_end: usize,
    similarity: f64,
    exact: bool,
    direction: &'static str,
}

#[pymethods]
impl PyParagraphMember {
    fn __repr__(&self) -> String {
        format!(
            "ParagraphMember(doc={}, paragraph={}, line={}, start={}, end={}, similarity={}, exact={})",
            self.doc,
            self.paragraph,
            self.line,
            self.start,
            self.end,
            float(self.similarity),
            py_bool(self.exact)
        )
    }
}

/// A group of near-duplicates: `members` in document order, the representative (first
/// occurrence) first.
#[pyclass(frozen, module = "paradup._paradup", name = "Cluster")]
pub(crate) struct PyCluster {
    members: Py<PyTuple>,
}

#[pymethods]
impl PyCluster {
    /// The members, representative first.
    #[getter]
    fn members(&self, py: Python<'_>) -> Py<PyTuple> {
        self.members.clone_ref(py)
    }

    /// The first member: the first occurrence.
    #[getter]
    fn representative<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.members.bind(py).get_item(0)
    }

    fn __len__(&self, py: Python<'_>) -> usize {
        self.members.bind(py).len()
    }

    fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(self.members.bind(py).as_any().try_iter()?.into_any())
    }

    fn __getitem__<'py>(&self, py: Python<'py>, i: isize) -> PyResult<Bound<'py, PyAny>> {
        self.members.bind(py).as_any().get_item(i)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "Cluster(members={})",
            self.members.bind(py).repr()?
        ))
    }
}

fn float(x: f64) -> String {
    // Python's repr of a float: shortest round trip, with a ".0" on whole numbers.
    if x.fract() == 0.0 && x.is_finite() {
        format!("{x:.1}")
    } else {
        format!("{x}")
    }
}

fn py_bool(b: bool) -> &'static str {
    if b { "True" } else { "False" }
}

/// A member as computed off the GIL.
pub(crate) struct Found {
    p: Paragraph,
    similarity: f64,
    exact: bool,
    direction: Direction,
    /// Character offsets of the span (computed only for `run_documents`).
    chars: (usize, usize),
}

/// The clusters as plain data, with character offsets when `texts` is given.
pub(crate) fn found(clusters: &Clusters, texts: Option<&TextBuf>) -> Vec<Vec<Found>> {
    let mut out: Vec<Vec<Found>> = clusters
        .iter()
        .map(|c| {
            c.members()
                .iter()
                .map(|m| Found {
                    p: m.paragraph,
                    similarity: m.similarity,
                    exact: m.exact,
                    direction: m.direction,
                    chars: (0, 0),
                })
                .collect()
        })
        .collect();
    if let Some(texts) = texts {
        char_offsets(&mut out, texts);
    }
    out
}

/// Fills in the character offsets: per document, every needed byte offset in order,
/// counted in one pass over the document (linear in its length, however many members
/// it holds).
fn char_offsets(found: &mut [Vec<Found>], texts: &TextBuf) {
    // (doc, byte offset, cluster, member, is_end)
    let mut need: Vec<(u32, usize, usize, usize, bool)> = Vec::new();
    for (c, members) in found.iter().enumerate() {
        for (m, f) in members.iter().enumerate() {
            need.push((f.p.doc, f.p.start, c, m, false));
            need.push((f.p.doc, f.p.end, c, m, true));
        }
    }
    need.sort_unstable();
    let mut cur: Option<(u32, usize, usize)> = None; // (doc, byte, chars)
    for (doc, byte, c, m, is_end) in need {
        let text = texts.get(doc as usize);
        let (from_byte, from_chars) = match cur {
            Some((d, b, n)) if d == doc => (b, n),
            _ => (0, 0),
        };
        let chars = from_chars + text[from_byte..byte].chars().count();
        cur = Some((doc, byte, chars));
        let f = &mut found[c][m];
        if is_end {
            f.chars.1 = chars;
        } else {
            f.chars.0 = chars;
        }
    }
}

/// The Python clusters: `Member`s for one paragraph per item, else `ParagraphMember`s.
pub(crate) fn to_python(
    py: Python<'_>,
    found: Vec<Vec<Found>>,
    per_item: bool,
) -> PyResult<Vec<PyCluster>> {
    found
        .into_iter()
        .map(|members| {
            let items: Vec<Bound<'_, PyAny>> = members
                .into_iter()
                .map(|f| {
                    let direction = f.direction.as_str();
                    if per_item {
                        Bound::new(
                            py,
                            PyMember {
                                index: f.p.doc as usize,
                                similarity: f.similarity,
                                exact: f.exact,
                                direction,
                            },
                        )
                        .map(Bound::into_any)
                    } else {
                        Bound::new(
                            py,
                            PyParagraphMember {
                                doc: f.p.doc as usize,
                                paragraph: f.p.index as usize,
                                line: f.p.line,
                                start: f.chars.0,
                                end: f.chars.1,
                                byte_start: f.p.start,
                                byte_end: f.p.end,
                                similarity: f.similarity,
                                exact: f.exact,
                                direction,
                            },
                        )
                        .map(Bound::into_any)
                    }
                })
                .collect::<PyResult<_>>()?;
            Ok(PyCluster {
                members: PyTuple::new(py, items)?.unbind(),
            })
        })
        .collect()
}
