//! Word-level diff of two paragraphs, and its shortened rendering for the text report.
//!
//! Words are the runs of non-whitespace, so a diff ignores how lines were wrapped and
//! shows every other change (case, punctuation, spelling). The algorithm is Myers'
//! O((N+M)·D) shortest edit script on the words left after trimming the common prefix
//! and suffix; past [`MAX_EDITS`] edits (paragraphs that share little), the middle is
//! shown as one deletion and one insertion instead.

use super::escape_control;
use std::borrow::Cow;

/// Edits past which the diff gives up on alignment and replaces the middle whole.
pub const MAX_EDITS: usize = 500;

/// What happened to a word.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Change {
    /// In both.
    Same,
    /// Only in the old text.
    Delete,
    /// Only in the new text.
    Insert,
}

/// The word diff from `old` to `new`: every word of both, in order, each with what
/// happened to it.
///
/// ```
/// use paradup::report::diff::{word_diff, Change};
///
/// let d = word_diff("to this weekend’s G20", "to the G20");
/// assert_eq!(d, vec![
///     (Change::Same, "to"),
///     (Change::Delete, "this"),
///     (Change::Delete, "weekend’s"),
///     (Change::Insert, "the"),
///     (Change::Same, "G20"),
/// ]);
/// ```
pub fn word_diff<'a>(old: &'a str, new: &'a str) -> Vec<(Change, &'a str)> {
    let a: Vec<&str> = old.split_whitespace().collect();
    let b: Vec<&str> = new.split_whitespace().collect();
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..]
        .iter()
        .rev()
        .zip(b[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (ma, mb) = (&a[prefix..a.len() - suffix], &b[prefix..b.len() - suffix]);
    let mut out: Vec<(Change, &str)> = a[..prefix].iter().map(|&w| (Change::Same, w)).collect();
    match myers(ma, mb, MAX_EDITS) {
        Some(middle) => out.extend(middle),
        None => {
            out.extend(ma.iter().map(|&w| (Change::Delete, w)));
            out.extend(mb.iter().map(|&w| (Change::Insert, w)));
        }
    }
    out.extend(a[a.len() - suffix..].iter().map(|&w| (Change::Same, w)));
    out
}

/// Myers' greedy shortest edit script, or `None` past `max_d` edits. Deletions come
/// before insertions at each change.
fn myers<'a>(a: &[&'a str], b: &[&'a str], max_d: usize) -> Option<Vec<(Change, &'a str)>> {
    let (n, m) = (a.len() as isize, b.len() as isize);
    let max = (a.len() + b.len()).min(max_d) as isize;
    let off = max + 1;
    let mut v = vec![0isize; 2 * off as usize + 1];
    // trace[d] holds v[k] for k in -d..=d as it was before step d.
    let mut trace: Vec<Vec<isize>> = Vec::new();
    for d in 0..=max {
        trace.push(v[(off - d) as usize..=(off + d) as usize].to_vec());
        let mut k = -d;
        while k <= d {
            let i = (off + k) as usize;
            let mut x = if k == -d || (k != d && v[i - 1] < v[i + 1]) {
                v[i + 1]
            } else {
                v[i - 1] + 1
            };
            let mut y = x - k;
            while x < n && y < m && a[x as usize] == b[y as usize] {
                x += 1;
                y += 1;
            }
            v[i] = x;
            if x >= n && y >= m {
                return Some(backtrack(a, b, &trace, d));
            }
            k += 2;
        }
    }
    None
}

fn backtrack<'a>(
    a: &[&'a str],
    b: &[&'a str],
    trace: &[Vec<isize>],
    last: isize,
) -> Vec<(Change, &'a str)> {
    let (mut x, mut y) = (a.len() as isize, b.len() as isize);
    let mut rev = Vec::new();
    for d in (0..=last).rev() {
        let v = &trace[d as usize];
        let at = |k: isize| v[(k + d) as usize];
        let k = x - y;
        let prev_k = if k == -d || (k != d && at(k - 1) < at(k + 1)) {
            k + 1
        } else {
            k - 1
        };
        let (px, py) = if d == 0 {
            (0, 0)
        } else {
            (at(prev_k), at(prev_k) - prev_k)
        };
        while x > px && y > py {
            rev.push((Change::Same, a[x as usize - 1]));
            x -= 1;
            y -= 1;
        }
        if d > 0 {
            if x == px {
                rev.push((Change::Insert, b[y as usize - 1]));
            } else {
                rev.push((Change::Delete, a[x as usize - 1]));
            }
        }
        x = px;
        y = py;
    }
    rev.reverse();
    // Within each change, deletions first.
    let mut out = Vec::with_capacity(rev.len());
    let mut i = 0;
    while i < rev.len() {
        if rev[i].0 == Change::Same {
            out.push(rev[i]);
            i += 1;
            continue;
        }
        let j = rev[i..]
            .iter()
            .position(|c| c.0 == Change::Same)
            .map_or(rev.len(), |p| i + p);
        out.extend(rev[i..j].iter().filter(|c| c.0 == Change::Delete));
        out.extend(rev[i..j].iter().filter(|c| c.0 == Change::Insert));
        i = j;
    }
    out
}

/// How a diff is rendered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DiffStyle {
    /// ANSI colours (red deletions, green insertions) around the markers.
    pub color: bool,
    /// Unchanged words kept on each side of a change (at least 1); longer unchanged
    /// runs are shortened to `…`.
    pub context: usize,
}

impl Default for DiffStyle {
    /// No colour, 6 words of context.
    fn default() -> DiffStyle {
        DiffStyle {
            color: false,
            context: 6,
        }
    }
}

/// Renders a diff on one line: deletions as `[-words-]`, insertions as `{+words+}`
/// (wdiff's markers), unchanged runs longer than the context shortened around the
/// changes with `…`. Control characters in the words are escaped
/// ([`escape_control`]: `\x1b`, `\u{9b}`, …); the colours of [`DiffStyle::color`] are
/// not.
///
/// ```
/// use paradup::report::diff::{render_diff, word_diff, DiffStyle};
///
/// let d = word_diff("a b c d e f g h i j", "a b c d e X g h i j");
/// let style = DiffStyle { color: false, context: 2 };
/// assert_eq!(render_diff(&d, &style), "… d e [-f-] {+X+} g h …");
/// ```
pub fn render_diff(diff: &[(Change, &str)], style: &DiffStyle) -> String {
    let mut out = String::new();
    let mut i = 0;
    let c = style.context.max(1);
    while i < diff.len() {
        let kind = diff[i].0;
        let j = diff[i..]
            .iter()
            .position(|w| w.0 != kind)
            .map_or(diff.len(), |p| i + p);
        // Escaped word by word, so that the colour sequences added below stay as
        // they are and the words' own controls cannot act on a terminal.
        let words: Vec<Cow<str>> = diff[i..j].iter().map(|w| escape_control(w.1)).collect();
        if !out.is_empty() {
            out.push(' ');
        }
        match kind {
            Change::Same => {
                let (first, last) = (i == 0, j == diff.len());
                if first && words.len() > c {
                    out.push_str("… ");
                    out.push_str(&words[words.len() - c..].join(" "));
                } else if last && words.len() > c {
                    out.push_str(&words[..c].join(" "));
                    out.push_str(" …");
                } else if !first && !last && words.len() > 2 * c + 1 {
                    out.push_str(&words[..c].join(" "));
                    out.push_str(" … ");
                    out.push_str(&words[words.len() - c..].join(" "));
                } else {
                    out.push_str(&words.join(" "));
                }
            }
            Change::Delete => marked(&mut out, "[-", &words, "-]", "\x1b[31m", style.color),
            Change::Insert => marked(&mut out, "{+", &words, "+}", "\x1b[32m", style.color),
        }
        i = j;
    }
    out.trim().to_string()
}

fn marked(out: &mut String, open: &str, words: &[Cow<str>], close: &str, ansi: &str, color: bool) {
    if color {
        out.push_str(ansi);
    }
    out.push_str(open);
    out.push_str(&words.join(" "));
    out.push_str(close);
    if color {
        out.push_str("\x1b[0m");
    }
}

/// `text` on one line (whitespace runs as single spaces), shortened to its first and
/// last words with `…` between when it has more than `max_words`. Control characters
/// left in the words are escaped ([`escape_control`]).
///
/// ```
/// use paradup::report::diff::shorten;
///
/// assert_eq!(shorten("one  two\nthree", 5), "one two three");
/// assert_eq!(shorten("a b c d e f g h", 4), "a b c … h");
/// assert_eq!(shorten("\x1b[2J clear", 5), "\\x1b[2J clear");
/// ```
pub fn shorten(text: &str, max_words: usize) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    let shown = if words.len() <= max_words || max_words < 2 {
        words.join(" ")
    } else {
        let tail = (max_words / 4).max(1);
        let head = max_words - tail;
        format!(
            "{} … {}",
            words[..head].join(" "),
            words[words.len() - tail..].join(" ")
        )
    };
    // Escaping after the layout is safe: it adds no whitespace and the `…` is not a
    // control character.
    match escape_control(&shown) {
        Cow::Borrowed(_) => shown,
        Cow::Owned(escaped) => escaped,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Applying the diff gives back both texts, and it is never longer than the
    /// naive one (delete all, insert all).
    fn check(old: &str, new: &str) {
        let d = word_diff(old, new);
        let olds: Vec<&str> = d
            .iter()
            .filter(|c| c.0 != Change::Insert)
            .map(|c| c.1)
            .collect();
        let news: Vec<&str> = d
            .iter()
            .filter(|c| c.0 != Change::Delete)
            .map(|c| c.1)
            .collect();
        assert_eq!(
            olds.join(" "),
            old.split_whitespace().collect::<Vec<_>>().join(" ")
        );
        assert_eq!(
            news.join(" "),
            new.split_whitespace().collect::<Vec<_>>().join(" ")
        );
    }

    #[test]
    fn diffs_reconstruct_both_sides() {
        let cases = [
            ("", ""),
            ("a", ""),
            ("", "b"),
            ("a b c", "a b c"),
            ("a b c", "c b a"),
            ("the cat sat on the mat", "the dog sat on a mat today"),
            ("x y z x y z", "y z x y"),
        ];
        for (a, b) in cases {
            check(a, b);
        }
    }

    #[test]
    fn minimal_edit_on_the_seed_pair() {
        let a = "up to this weekend’s G20 summit in Delhi, and fewer African leaders recently attending a summit";
        let b = "up to the G20 summit in Delhi, and fewer African leaders attending a summit";
        let d = word_diff(a, b);
        let edits: Vec<_> = d.iter().filter(|c| c.0 != Change::Same).copied().collect();
        assert_eq!(
            edits,
            vec![
                (Change::Delete, "this"),
                (Change::Delete, "weekend’s"),
                (Change::Insert, "the"),
                (Change::Delete, "recently"),
            ]
        );
        let style = DiffStyle {
            color: false,
            context: 2,
        };
        assert_eq!(
            render_diff(&d, &style),
            "up to [-this weekend’s-] {+the+} G20 summit … African leaders [-recently-] attending a …"
        );
    }

    #[test]
    fn too_many_edits_fall_back_to_replacing_the_middle() {
        let a: String = (0..2000).map(|i| format!("a{i} ")).collect();
        let b: String = (0..2000).map(|i| format!("b{i} ")).collect();
        let (old, new) = (format!("start {a} end"), format!("start {b} end"));
        let d = word_diff(&old, &new);
        assert_eq!(d.len(), 4002);
        assert_eq!(d[0], (Change::Same, "start"));
        assert!(d[1..2001].iter().all(|c| c.0 == Change::Delete));
        assert!(d[2001..4001].iter().all(|c| c.0 == Change::Insert));
        assert_eq!(d[4001], (Change::Same, "end"));
    }

    #[test]
    fn words_are_escaped_but_the_colours_are_not() {
        let d = word_diff("a \x1b]0;x\x07 b\u{9b}", "a \x1b[2J b\u{9b}");
        let style = DiffStyle {
            color: true,
            context: 6,
        };
        assert_eq!(
            render_diff(&d, &style),
            "a \x1b[31m[-\\x1b]0;x\\x07-]\x1b[0m \x1b[32m{+\\x1b[2J+}\x1b[0m b\\u{9b}"
        );
        assert_eq!(shorten("x\x7f y\x1bz \u{85}w", 2), "x\\x7f … w");
    }

    #[test]
    fn colour_wraps_the_markers() {
        let d = word_diff("a b", "a c");
        let style = DiffStyle {
            color: true,
            context: 6,
        };
        assert_eq!(
            render_diff(&d, &style),
            "a \x1b[31m[-b-]\x1b[0m \x1b[32m{+c+}\x1b[0m"
        );
    }
}
