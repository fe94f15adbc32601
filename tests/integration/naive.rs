//! Naive reference implementations, written for clarity rather than speed, that the
//! property tests (`props.rs`) and accuracy tests (`scale.rs`) compare the library
//! against. Nothing here shares code with `src/` beyond the public primitives named in
//! each function's docs.

use paradup::{Clusters, MinHasher, Normalizer, ParagraphMode, Shingler};
use std::collections::BTreeSet;

/// Word n-grams of normalized text, each the n words joined by single spaces. A text
/// with at least one but fewer than `n` words gives one shingle of all its words; an
/// empty text gives none.
pub fn word_shingles(normalized: &str, n: usize) -> BTreeSet<String> {
    let words: Vec<&str> = normalized.split(' ').filter(|w| !w.is_empty()).collect();
    if words.is_empty() {
        return BTreeSet::new();
    }
    if words.len() < n {
        return BTreeSet::from([words.join(" ")]);
    }
    words.windows(n).map(|w| w.join(" ")).collect()
}

/// Character n-grams of normalized text (spaces included). A text with at least one but
/// fewer than `n` characters gives one shingle, the whole text.
pub fn char_shingles(normalized: &str, n: usize) -> BTreeSet<String> {
    let chars: Vec<char> = normalized.chars().collect();
    if chars.is_empty() {
        return BTreeSet::new();
    }
    if chars.len() < n {
        return BTreeSet::from([normalized.to_string()]);
    }
    chars.windows(n).map(|w| w.iter().collect()).collect()
}

/// Exact Jaccard `|A ∩ B| / |A ∪ B|`; two empty sets have similarity 1.0 (the library's
/// convention).
pub fn jaccard<T: Ord>(a: &BTreeSet<T>, b: &BTreeSet<T>) -> f64 {
    let inter = a.intersection(b).count();
    let union = a.union(b).count();
    if union == 0 {
        1.0
    } else {
        inter as f64 / union as f64
    }
}

/// MinHash by the definition: slot `i` is the minimum over the shingles `x` of
/// `(a_i·x + b_i) >> 32` (64-bit wrapping), with the parameters of
/// [`MinHasher::params`]; `u32::MAX` for the empty set.
pub fn minhash(hasher: &MinHasher, shingles: &[u64]) -> Vec<u32> {
    let (a, b) = hasher.params();
    a.iter()
        .zip(b)
        .map(|(&a, &b)| {
            shingles
                .iter()
                .map(|&x| (a.wrapping_mul(x).wrapping_add(b) >> 32) as u32)
                .min()
                .unwrap_or(u32::MAX)
        })
        .collect()
}

/// A paragraph found by [`split`]: 0-based index, 1-based first line, byte span.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NaiveParagraph {
    pub index: u32,
    pub line: u64,
    pub start: usize,
    pub end: usize,
}

/// The lines of `text` as byte spans without their terminator: cut at every `\n`, drop
/// a `\r` just before a `\n`, and drop the empty piece after a final `\n`.
pub fn lines(text: &str) -> Vec<(usize, usize)> {
    let pieces: Vec<&str> = text.split('\n').collect();
    let mut out = Vec::new();
    let mut start = 0;
    for (i, piece) in pieces.iter().enumerate() {
        let last = i + 1 == pieces.len();
        if last && piece.is_empty() {
            break;
        }
        let mut end = start + piece.len();
        if !last && piece.ends_with('\r') {
            end -= 1;
        }
        out.push((start, end));
        start += piece.len() + 1;
    }
    out
}

/// Paragraphs of `text` by the documented rules: blank lines hold only whitespace;
/// `Lines` makes every non-blank line a paragraph, `BlankLines` every run of
/// consecutive non-blank lines, `Whole` one paragraph from the first to the last
/// non-blank line, and `Auto` is `BlankLines` when the non-blank lines are not
/// consecutive (a blank line lies between two of them), else `Whole` when they are
/// one [hard-wrapped](hard_wrapped) paragraph, else `Lines`.
pub fn split(text: &str, mode: ParagraphMode) -> Vec<NaiveParagraph> {
    let lines = lines(text);
    let non_blank: Vec<usize> = (0..lines.len())
        .filter(|&i| !text[lines[i].0..lines[i].1].trim().is_empty())
        .collect();
    // Runs of consecutive line numbers among the non-blank lines.
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for &i in &non_blank {
        match runs.last_mut() {
            Some(run) if run.1 + 1 == i => run.1 = i,
            _ => runs.push((i, i)),
        }
    }
    let mode = match mode {
        ParagraphMode::Auto if runs.len() > 1 => ParagraphMode::BlankLines,
        ParagraphMode::Auto
            if hard_wrapped(
                &non_blank
                    .iter()
                    .map(|&i| &text[lines[i].0..lines[i].1])
                    .collect::<Vec<_>>(),
            ) =>
        {
            ParagraphMode::Whole
        }
        ParagraphMode::Auto => ParagraphMode::Lines,
        m => m,
    };
    let groups: Vec<(usize, usize)> = match mode {
        ParagraphMode::Lines => non_blank.iter().map(|&i| (i, i)).collect(),
        ParagraphMode::BlankLines => runs,
        ParagraphMode::Whole => match (non_blank.first(), non_blank.last()) {
            (Some(&first), Some(&last)) => vec![(first, last)],
            _ => Vec::new(),
        },
        m => panic!("no naive splitter for {m:?}"),
    };
    groups
        .iter()
        .enumerate()
        .map(|(index, &(first, last))| NaiveParagraph {
            index: index as u32,
            line: first as u64 + 1,
            start: lines[first].0,
            end: lines[last].1,
        })
        .collect()
}

/// Whether consecutive non-blank lines are one hard-wrapped paragraph, as the
/// `paradup::paragraph` docs ("Hard-wrapped paragraphs") state it: 2 to 64 lines;
/// the widest 40 to 100 characters (trailing whitespace not counted); every line but
/// the last has two words or more and, with a space and the next line's first word,
/// more than 90% of the widest line's characters; some line but the last does not
/// end in `. ! ? : ; …` once closing quotes and brackets are taken off; and some line
/// holds one of `. , ; : ! ?`.
pub fn hard_wrapped(rows: &[&str]) -> bool {
    let rows: Vec<&str> = rows.iter().map(|r| r.trim_end()).collect();
    let width = |s: &str| s.chars().count();
    let widest = rows.iter().map(|r| width(r)).max().unwrap_or(0);
    if !(2..=64).contains(&rows.len()) || !(40..=100).contains(&widest) {
        return false;
    }
    let body = &rows[..rows.len() - 1];
    let full = body.iter().zip(&rows[1..]).all(|(row, next)| {
        let first_word = next.split_whitespace().next().unwrap_or("");
        row.split_whitespace().count() >= 2
            && 10 * (width(row) + 1 + width(first_word)) > 9 * widest
    });
    let ends_sentence = |row: &str| {
        let bare = row.trim_end_matches(['"', '\'', '”', '’', ')', ']', '»']);
        bare.ends_with(['.', '!', '?', ':', ';', '…'])
    };
    let prose = rows
        .iter()
        .any(|row| row.contains(['.', ',', ';', ':', '!', '?']));
    full && !body.iter().all(|row| ends_sentence(row)) && prose
}

/// The configuration the naive clustering follows (the same knobs a `Deduper` has).
pub struct Config<'a> {
    pub mode: ParagraphMode,
    pub normalizer: &'a Normalizer,
    pub shingler: &'a Shingler,
    pub threshold: f64,
    /// `None`: verify by exact Jaccard of the shingle sets. `Some`: by the fraction of
    /// equal slots of the [naive MinHash](minhash) signatures with this hasher.
    pub signatures: Option<&'a MinHasher>,
}

/// One paragraph as the naive clustering sees it.
struct Para {
    doc: u32,
    index: u32,
    /// What makes two paragraphs exact duplicates: the normalized text, or the trimmed
    /// raw text when nothing is left after normalization.
    key: (bool, String),
    set: BTreeSet<u64>,
}

/// A cluster member: `(doc, index, similarity to the representative, exact)`.
pub type NaiveMember = (u32, u32, f64, bool);

/// A verified pair: `((doc, index), (doc, index), similarity)`.
pub type NaivePair = ((u32, u32), (u32, u32), f64);

fn paragraphs<S: AsRef<str>>(docs: &[S], config: &Config<'_>) -> Vec<Para> {
    let mut out = Vec::new();
    for (d, doc) in docs.iter().enumerate() {
        let doc = doc.as_ref();
        for p in split(doc, config.mode) {
            let raw = &doc[p.start..p.end];
            let normalized = config.normalizer.normalize(raw);
            let set: BTreeSet<u64> = config.shingler.shingles(&normalized).into_iter().collect();
            let key = if normalized.is_empty() {
                (false, raw.trim().to_string())
            } else {
                (true, normalized)
            };
            out.push(Para {
                doc: d as u32,
                index: p.index,
                key,
                set,
            });
        }
    }
    out
}

/// The similarity of two paragraphs that are not exact duplicates.
fn estimate(a: &Para, b: &Para, config: &Config<'_>) -> f64 {
    match config.signatures {
        None => jaccard(&a.set, &b.set),
        Some(hasher) => {
            let sig = |p: &Para| minhash(hasher, &p.set.iter().copied().collect::<Vec<_>>());
            let (x, y) = (sig(a), sig(b));
            let equal = x.iter().zip(&y).filter(|(x, y)| x == y).count();
            equal as f64 / x.len() as f64
        }
    }
}

/// Whether two paragraphs are linked: exact duplicates, or both have shingles and
/// their similarity is at least the threshold.
fn linked(a: &Para, b: &Para, config: &Config<'_>) -> bool {
    a.key == b.key
        || (!a.set.is_empty() && !b.set.is_empty() && estimate(a, b, config) >= config.threshold)
}

fn similarity(rep: &Para, p: &Para, config: &Config<'_>) -> f64 {
    if rep.key == p.key {
        1.0
    } else {
        estimate(rep, p, config)
    }
}

/// All-pairs clustering: the connected components (of two or more paragraphs) of the
/// graph whose edges are the [linked](linked) pairs, members in document order,
/// components sorted by first member; each member with its similarity to the first.
pub fn clusters<S: AsRef<str>>(docs: &[S], config: &Config<'_>) -> Vec<Vec<NaiveMember>> {
    let paras = paragraphs(docs, config);
    let n = paras.len();
    // Component labels by repeated relaxation until nothing changes: slow and obvious.
    let mut label: Vec<usize> = (0..n).collect();
    loop {
        let mut changed = false;
        for i in 0..n {
            for j in 0..n {
                if label[j] < label[i] && linked(&paras[i], &paras[j], config) {
                    label[i] = label[j];
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    let mut out = Vec::new();
    for root in 0..n {
        let members: Vec<usize> = (0..n).filter(|&i| label[i] == root).collect();
        if members.len() < 2 {
            continue;
        }
        let rep = &paras[members[0]];
        out.push(
            members
                .iter()
                .map(|&i| {
                    let p = &paras[i];
                    (p.doc, p.index, similarity(rep, p, config), rep.key == p.key)
                })
                .collect(),
        );
    }
    out
}

/// All-pairs verified pairs, as [`Clusters::pairs`] documents them: every exact
/// duplicate with the first paragraph of its text, and every pair of first occurrences
/// of two texts that both have shingles and whose similarity is at least the
/// threshold.
/// Sorted by `(a, b)`.
pub fn pairs<S: AsRef<str>>(docs: &[S], config: &Config<'_>) -> Vec<NaivePair> {
    let paras = paragraphs(docs, config);
    let pos = |p: &Para| (p.doc, p.index);
    let first_of = |i: usize| (0..=i).find(|&j| paras[j].key == paras[i].key).unwrap();
    let firsts: Vec<usize> = (0..paras.len()).filter(|&i| first_of(i) == i).collect();
    let mut out = Vec::new();
    for i in 0..paras.len() {
        let f = first_of(i);
        if f != i {
            out.push((pos(&paras[f]), pos(&paras[i]), 1.0));
        }
    }
    for (x, &i) in firsts.iter().enumerate() {
        for &j in &firsts[x + 1..] {
            let (a, b) = (&paras[i], &paras[j]);
            if !a.set.is_empty() && !b.set.is_empty() {
                let s = estimate(a, b, config);
                if s >= config.threshold {
                    out.push((pos(a), pos(b), s));
                }
            }
        }
    }
    out.sort_by_key(|&(a, b, _)| (a, b));
    out
}

/// Counts a run should report: `(paragraphs, bytes of paragraph text, distinct texts,
/// distinct texts with at least one shingle)`.
pub fn summary<S: AsRef<str>>(docs: &[S], config: &Config<'_>) -> (usize, usize, usize, usize) {
    let bytes = docs
        .iter()
        .flat_map(|d| split(d.as_ref(), config.mode))
        .map(|p| p.end - p.start)
        .sum();
    let paras = paragraphs(docs, config);
    let distinct: BTreeSet<&(bool, String)> = paras.iter().map(|p| &p.key).collect();
    let live: BTreeSet<&(bool, String)> = paras
        .iter()
        .filter(|p| !p.set.is_empty())
        .map(|p| &p.key)
        .collect();
    (paras.len(), bytes, distinct.len(), live.len())
}

/// The library's clusters in the naive form, for comparison.
pub fn clusters_of(clusters: &Clusters) -> Vec<Vec<NaiveMember>> {
    clusters
        .iter()
        .map(|c| {
            c.members()
                .iter()
                .map(|m| (m.paragraph.doc, m.paragraph.index, m.similarity, m.exact))
                .collect()
        })
        .collect()
}

/// The library's pairs in the naive form, for comparison.
pub fn pairs_of(clusters: &Clusters) -> Vec<NaivePair> {
    clusters
        .pairs()
        .iter()
        .map(|p| ((p.a.doc, p.a.index), (p.b.doc, p.b.index), p.similarity))
        .collect()
}

/// A small deterministic generator for fixed-seed corpora (the library's own
/// SplitMix64, so corpora never change with a dependency's version).
pub struct Rng(paradup::SplitMix64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(paradup::SplitMix64::new(seed))
    }

    /// Uniform in `0..n` (n small, so the modulo bias is negligible).
    pub fn below(&mut self, n: usize) -> usize {
        (self.0.next_u64() % n as u64) as usize
    }
}

#[test]
fn naive_hard_wrap_rule_on_hand_made_lines() {
    let row = "the quick brown fox jumps over the lazy dog and";
    assert_eq!(row.len(), 47);
    // 47 + 1 + 3 = 51 > 0.9 × 47: full; the first line ends inside a sentence.
    assert!(hard_wrapped(&[row, "the cat."]));
    assert!(hard_wrapped(&[&format!("{row}  "), "the cat."]));
    // No punctuation anywhere: not prose.
    assert!(!hard_wrapped(&[row, "the cat"]));
    // 64 lines, and 65.
    let many = vec![format!("{row},"); 65];
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    assert!(hard_wrapped(&many[..64]));
    assert!(!hard_wrapped(&many));
    // Every line but the last ends a sentence (closing quote aside).
    assert!(!hard_wrapped(&[&format!("{row}.”"), "the cat."]));
    // A 42-character line before "the": 42 + 1 + 3 = 46, more than 90% of a widest
    // line of 51 (45.9), not of 52 (46.8).
    let short = "the quick brown fox, jumps over the lazy d";
    assert!(hard_wrapped(&[
        short,
        "the cat sat on the mat and then it slept"
    ]));
    assert!(hard_wrapped(&[short, &format!("the {row}")]));
    assert!(!hard_wrapped(&[short, &format!("the {row}s")]));
    // Widths out of 40..=100, one line, one word.
    assert!(!hard_wrapped(&[
        "the quick brown fox jumps over",
        "the cat."
    ]));
    assert!(!hard_wrapped(&[&format!("{row} {row} {row}"), "the cat."]));
    assert!(!hard_wrapped(&[&format!("{row}.")]));
    assert!(!hard_wrapped(&[&"x".repeat(45), "the cat."]));
}

#[test]
fn naive_references_agree_with_hand_computed_values() {
    assert_eq!(
        word_shingles("a b c d", 2),
        BTreeSet::from(["a b".to_string(), "b c".into(), "c d".into()])
    );
    assert_eq!(word_shingles("a b", 3), BTreeSet::from(["a b".to_string()]));
    assert!(word_shingles("", 3).is_empty());
    assert_eq!(
        char_shingles("abcd", 3),
        BTreeSet::from(["abc".to_string(), "bcd".into()])
    );
    assert_eq!(
        jaccard(&BTreeSet::from([1, 2, 3]), &BTreeSet::from([2, 3, 4])),
        0.5
    );
    assert_eq!(lines("a\r\n\nb\rc"), vec![(0, 1), (3, 3), (4, 7)]);
    let spans = |t: &str, m| -> Vec<(u64, usize, usize)> {
        split(t, m)
            .iter()
            .map(|p| (p.line, p.start, p.end))
            .collect()
    };
    let t = "x\ny\n \nz\n";
    assert_eq!(
        spans(t, ParagraphMode::Lines),
        vec![(1, 0, 1), (2, 2, 3), (4, 6, 7)]
    );
    assert_eq!(
        spans(t, ParagraphMode::BlankLines),
        vec![(1, 0, 3), (4, 6, 7)]
    );
    assert_eq!(spans(t, ParagraphMode::Auto), vec![(1, 0, 3), (4, 6, 7)]);
    assert_eq!(spans(t, ParagraphMode::Whole), vec![(1, 0, 7)]);
    let h = MinHasher::new(4);
    let (a, b) = h.params();
    assert_eq!(
        minhash(&h, &[7])[2],
        (a[2].wrapping_mul(7).wrapping_add(b[2]) >> 32) as u32
    );
    assert_eq!(minhash(&h, &[]), vec![u32::MAX; 4]);
}
