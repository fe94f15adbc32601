//! Option strings of the Python API → the library's enums, with `ValueError`s that
//! list the accepted values.

use paradup::{
    CandidateSearch, Keep, Method, ParagraphMode, ShingleKind, Similarity, Verification, Weighting,
};
use pyo3::PyResult;
use pyo3::exceptions::PyValueError;

/// `wN` (word N-grams) or `cN` (character N-grams), as the measuring examples take
/// them (`examples/common/mod.rs`, `parse_kind`; the library has no parser of its
/// own). `N = 0` passes here and is refused by the library's builder with its message.
pub(crate) fn shingles(s: &str) -> PyResult<ShingleKind> {
    let bad = || {
        PyValueError::new_err(format!(
            "bad shingles {s:?}: use wN (word N-grams) or cN (character N-grams), e.g. \"w2\" or \"c5\""
        ))
    };
    let (k, n) = s.split_at(s.len().min(1));
    let n: usize = n.parse().map_err(|_| bad())?;
    match k {
        "w" => Ok(ShingleKind::Words(n)),
        "c" => Ok(ShingleKind::Chars(n)),
        _ => Err(bad()),
    }
}

/// The `wN`/`cN` spelling of a shingle kind.
pub(crate) fn shingles_name(kind: ShingleKind) -> String {
    match kind {
        ShingleKind::Words(n) => format!("w{n}"),
        ShingleKind::Chars(n) => format!("c{n}"),
        _ => format!("{kind:?}"),
    }
}

fn choice<T: Copy>(what: &str, s: &str, choices: &[(&str, T)]) -> PyResult<T> {
    choices
        .iter()
        .find(|(name, _)| *name == s)
        .map(|&(_, v)| v)
        .ok_or_else(|| {
            let names: Vec<String> = choices.iter().map(|(n, _)| format!("{n:?}")).collect();
            PyValueError::new_err(format!("bad {what} {s:?}: use one of {}", names.join(", ")))
        })
}

/// `method`: `"minhash"` or `"simhash"` (with `max_hamming`, default the library's).
pub(crate) fn method(s: &str, max_hamming: Option<u32>) -> PyResult<Method> {
    match choice("method", s, &[("minhash", false), ("simhash", true)])? {
        false if max_hamming.is_some() => Err(PyValueError::new_err(
            "max_hamming applies to method=\"simhash\" only",
        )),
        false => Ok(Method::MinHash),
        true => Ok(match max_hamming {
            Some(k) => Method::SimHash { max_hamming: k },
            None => Method::simhash(),
        }),
    }
}

pub(crate) fn similarity(s: &str) -> PyResult<Similarity> {
    choice(
        "similarity",
        s,
        &[
            ("jaccard", Similarity::Jaccard),
            ("containment", Similarity::Containment),
        ],
    )
}

pub(crate) fn verification(s: &str) -> PyResult<Verification> {
    choice(
        "verification",
        s,
        &[
            ("exact", Verification::Exact),
            ("signature", Verification::Signature),
        ],
    )
}

pub(crate) fn candidates(s: &str) -> PyResult<CandidateSearch> {
    choice(
        "candidates",
        s,
        &[
            ("lsh", CandidateSearch::Lsh),
            ("exhaustive", CandidateSearch::Exhaustive),
            ("prefix_filter", CandidateSearch::PrefixFilter),
        ],
    )
}

/// `paragraphs`, as the example deduper's `--paragraphs` spells them.
pub(crate) fn paragraphs(s: &str) -> PyResult<ParagraphMode> {
    choice(
        "paragraphs",
        s,
        &[
            ("auto", ParagraphMode::Auto),
            ("blank", ParagraphMode::BlankLines),
            ("line", ParagraphMode::Lines),
            ("whole", ParagraphMode::Whole),
        ],
    )
}

pub(crate) fn keep(s: &str) -> PyResult<Keep> {
    choice(
        "keep",
        s,
        &[("first", Keep::First), ("longest", Keep::Longest)],
    )
}

pub(crate) fn weighting(s: &str) -> PyResult<Weighting> {
    choice(
        "weighting",
        s,
        &[
            ("tf", Weighting::TermFrequency),
            ("uniform", Weighting::Uniform),
        ],
    )
}
