//! The notes a source can get about its content (invalid UTF-8, lone carriage
//! returns).

use super::*;

pub(super) fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

pub(super) fn invalid_utf8(name: &str, bytes: &[u8], count: usize, first: usize) -> Problem {
    let line = 1 + bytes[..first].iter().filter(|&&b| b == b'\n').count() as u64;
    invalid_utf8_at(name, line, count, first)
}

/// The note for a text source with `count` invalid sequences, the first at byte
/// `first` on line `line`.
pub(super) fn invalid_utf8_at(name: &str, line: u64, count: usize, first: usize) -> Problem {
    Problem {
        kind: ProblemKind::InvalidUtf8,
        source: name.to_string(),
        line: Some(line),
        offset: Some(first as u64),
        message: format!(
            "invalid UTF-8 ({count} sequence{}), decoded lossily for hashing; rewritten output \
             keeps the original bytes",
            plural(count)
        ),
    }
}

/// The carriage returns of `bytes` not followed by a line feed: how many, and the
/// first one's offset.
pub(super) fn lone_crs(bytes: &[u8]) -> Option<(usize, usize)> {
    let mut found = memchr::memchr_iter(b'\r', bytes).filter(|&i| bytes.get(i + 1) != Some(&b'\n'));
    let first = found.next()?;
    Some((1 + found.count(), first))
}

/// The note for a text source with `count` lone carriage returns, the first at byte
/// `first` on line `line`.
pub(super) fn lone_cr_note(name: &str, line: u64, count: usize, first: usize) -> Problem {
    Problem {
        kind: ProblemKind::LoneCarriageReturn,
        source: name.to_string(),
        line: Some(line),
        offset: Some(first as u64),
        message: format!(
            "{count} carriage return{} without a line feed (old Mac line ends?): not line \
             breaks, so the lines around {} read as one",
            plural(count),
            if count == 1 { "it" } else { "them" }
        ),
    }
}
