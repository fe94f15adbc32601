//! Python texts → one owned UTF-8 buffer, read under the GIL in one pass so that the
//! computation can run without it (and on another thread, see `worker`).
//!
//! A `list` or `tuple` of `str` is read item by item in Rust (no Python-level loop); any
//! other iterable through the iterator protocol. `pyarrow` string arrays arrive as
//! their data and offset buffers (`paradup/__init__.py` takes them apart), so no
//! Python string is made for them at all.

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyString, PyTuple};
use std::sync::Arc;

/// Texts end to end in one buffer, and where each ends.
#[derive(Debug, Default)]
pub(crate) struct TextBuf {
    data: String,
    ends: Vec<usize>,
}

impl TextBuf {
    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    /// The `i`-th text.
    pub(crate) fn get(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.data[start..self.ends[i]]
    }

    /// Every text, in order.
    pub(crate) fn strs(&self) -> Vec<&str> {
        (0..self.len()).map(|i| self.get(i)).collect()
    }
}

/// Texts being read: UTF-8 bytes end to end, checked once at the end.
#[derive(Default)]
struct Builder {
    data: Vec<u8>,
    ends: Vec<usize>,
}

impl Builder {
    /// Room for `items` texts of about `chars` characters in all (exact for ASCII):
    /// growing a buffer of tens of megabytes by doubling copied it several times.
    fn reserve(&mut self, items: usize, chars: usize) {
        self.ends.reserve(items);
        self.data.reserve(chars);
    }

    fn push_item(&mut self, i: usize, item: &Bound<'_, PyAny>) -> PyResult<()> {
        let s = item.cast::<PyString>().map_err(|_| {
            let ty = item
                .get_type()
                .name()
                .map_or_else(|_| "?".to_string(), |n| n.to_string());
            PyTypeError::new_err(format!("item {i} is {ty}, not str"))
        })?;
        // With the stable ABI of Python 3.9 a string's UTF-8 comes as a new `bytes`
        // object (`to_str`, which borrows it, needs 3.10): copied once, from there.
        self.data.extend_from_slice(s.encode_utf8()?.as_bytes());
        self.ends.push(self.data.len());
        Ok(())
    }

    fn finish(self) -> PyResult<TextBuf> {
        // Python's encoder gives valid UTF-8; checked once here rather than per item.
        let data = String::from_utf8(self.data)
            .map_err(|e| PyValueError::new_err(format!("texts are not valid UTF-8: {e}")))?;
        Ok(TextBuf {
            data,
            ends: self.ends,
        })
    }
}

/// A batch of texts converted once, to pass to several calls without converting
/// again (`paradup.Texts`).
#[pyclass(frozen, module = "paradup._paradup", name = "Texts")]
pub(crate) struct PyTexts {
    pub(crate) buf: Arc<TextBuf>,
}

#[pymethods]
impl PyTexts {
    #[new]
    fn new(texts: &Bound<'_, PyAny>) -> PyResult<PyTexts> {
        Ok(PyTexts {
            buf: extract(texts)?,
        })
    }

    /// Texts from the buffers of Arrow string arrays: for each chunk, its data buffer,
    /// its offsets buffer, the offset width in bytes (4 for `string`, 8 for
    /// `large_string`), the array's offset into the buffers and its length.
    #[staticmethod]
    #[allow(clippy::type_complexity)]
    fn from_arrow(
        chunks: Vec<(Bound<'_, PyBytes>, Bound<'_, PyBytes>, usize, usize, usize)>,
    ) -> PyResult<PyTexts> {
        let mut buf = TextBuf::default();
        for (data, offsets, width, offset, len) in chunks {
            push_arrow(
                &mut buf,
                data.as_bytes(),
                offsets.as_bytes(),
                width,
                offset,
                len,
            )?;
        }
        Ok(PyTexts { buf: Arc::new(buf) })
    }

    fn __len__(&self) -> usize {
        self.buf.len()
    }

    fn __getitem__(&self, i: isize) -> PyResult<String> {
        let n = self.buf.len() as isize;
        let j = if i < 0 { i + n } else { i };
        if !(0..n).contains(&j) {
            return Err(pyo3::exceptions::PyIndexError::new_err(
                "index out of range",
            ));
        }
        Ok(self.buf.get(j as usize).to_string())
    }
}

/// One Arrow chunk's texts appended to `buf`, every offset checked.
fn push_arrow(
    buf: &mut TextBuf,
    data: &[u8],
    offsets: &[u8],
    width: usize,
    offset: usize,
    len: usize,
) -> PyResult<()> {
    let bad = |what: &str| PyValueError::new_err(format!("malformed Arrow string array: {what}"));
    if width != 4 && width != 8 {
        return Err(bad("offset width is not 4 or 8"));
    }
    let need = offset
        .checked_add(len)
        .and_then(|n| n.checked_add(1))
        .and_then(|n| n.checked_mul(width))
        .ok_or_else(|| bad("length overflows"))?;
    if offsets.len() < need {
        return Err(bad("offsets buffer too short"));
    }
    let at = |i: usize| -> PyResult<usize> {
        let b = &offsets[i * width..(i + 1) * width];
        let v = if width == 4 {
            i64::from(i32::from_le_bytes(b.try_into().expect("4 bytes")))
        } else {
            i64::from_le_bytes(b.try_into().expect("8 bytes"))
        };
        usize::try_from(v).map_err(|_| bad("negative offset"))
    };
    let first = at(offset)?;
    let last = at(offset + len)?;
    if first > last || last > data.len() {
        return Err(bad("offsets out of the data buffer"));
    }
    let text =
        std::str::from_utf8(&data[first..last]).map_err(|e| bad(&format!("invalid UTF-8: {e}")))?;
    let base = buf.data.len();
    buf.data.push_str(text);
    let mut prev = first;
    for i in offset + 1..=offset + len {
        let end = at(i)?;
        if end < prev || end > last || !text.is_char_boundary(end - first) {
            return Err(bad("offsets not increasing or not on character boundaries"));
        }
        buf.ends.push(base + end - first);
        prev = end;
    }
    Ok(())
}

/// The texts of a Python argument: a `Texts`, a `str` (refused: a string is an
/// iterable of characters, never what the caller meant), a list or tuple, or any
/// iterable of `str`. Non-`str` items are a `TypeError` naming the first.
pub(crate) fn extract(obj: &Bound<'_, PyAny>) -> PyResult<Arc<TextBuf>> {
    if let Ok(t) = obj.cast::<PyTexts>() {
        return Ok(t.get().buf.clone());
    }
    if obj.is_instance_of::<PyString>() {
        return Err(PyTypeError::new_err(
            "expected an iterable of str, got a single str (wrap it in a list)",
        ));
    }
    let mut buf = Builder::default();
    if let Ok(list) = obj.cast::<PyList>() {
        let chars = list.iter().map(|item| item.len().unwrap_or(0)).sum();
        buf.reserve(list.len(), chars);
        for (i, item) in list.iter().enumerate() {
            buf.push_item(i, &item)?;
        }
    } else if let Ok(tuple) = obj.cast::<PyTuple>() {
        let chars = tuple.iter().map(|item| item.len().unwrap_or(0)).sum();
        buf.reserve(tuple.len(), chars);
        for (i, item) in tuple.iter().enumerate() {
            buf.push_item(i, &item)?;
        }
    } else {
        let iter = obj.try_iter().map_err(|_| {
            PyTypeError::new_err(format!(
                "expected an iterable of str, got {}",
                obj.get_type()
                    .name()
                    .map_or_else(|_| "?".to_string(), |n| n.to_string())
            ))
        })?;
        for (i, item) in iter.enumerate() {
            buf.push_item(i, &item?)?;
        }
    }
    Ok(Arc::new(buf.finish()?))
}
