//! Splitting documents into paragraphs, keeping where each came from.
//!
//! A [`Paragraph`] records its document, its 0-based index within the document, the
//! 1-based line number of its first line, and the byte span `start..end` of its text in
//! the original document. The span runs from the start of the paragraph's first line to
//! the end of its last line, without the final line terminator (`\n` or `\r\n`), so
//! `&text[p.start..p.end]` is the paragraph exactly as written, indentation and internal
//! line breaks included.
//!
//! Lines that hold only whitespace (Unicode `White_Space`) are blank. Whitespace-only
//! paragraphs are never produced. A missing final newline and `\r\n` line endings are
//! handled; a lone `\r` is not a line break. A byte order mark (U+FEFF) at the start
//! of a line is not part of it, so removing a file's first paragraph keeps its BOM.
//!
//! # Hard-wrapped paragraphs
//!
//! [`ParagraphMode::Auto`] must not cut a paragraph that was wrapped at a fixed width
//! (`"...the G20\nsummit in Delhi..."`) into lines. A text wrapper (an editor's "fill
//! paragraph", `fold -s`, Python's `textwrap`, GNU `fmt`) breaks a line when the next
//! word would not fit, or nearly so: every line but the last is about as full as the
//! wrap width allows. So a document without blank separator lines is taken as **one
//! hard-wrapped paragraph** ([`ParagraphMode::Whole`]) when all of these hold:
//!
//! - it has 2 to 64 non-blank lines (99.9% of the paragraphs of a Gutenberg corpus
//!   fit in 64 lines of 72 columns);
//! - its widest line is 40 to 100 characters wide (trailing whitespace not counted):
//!   prose is wrapped at 60 to 80 columns, and one paragraph per line makes longer
//!   lines; narrower text is lists, verse or code;
//! - every non-blank line but the last holds at least two words and is *full*: its
//!   width, a space and the next line's first word come to more than 90% of the
//!   widest line. A greedy wrapper always gives more than 100%; the slack is for
//!   wrappers that balance line lengths (`fmt`) and for wide characters;
//! - it reads as prose: some line but the last ends inside a sentence (not with `.`,
//!   `!`, `?`, `:`, `;` or `…`, closing quotes and brackets after them aside), and
//!   some line holds one of `.` `,` `;` `:` `!` `?`.
//!
//! One paragraph per line rarely passes: its lines are as long as their sentences, so
//! some line is wider than 100 characters or ends well short of the widest, and each
//! ends a sentence. Cut into documents of two consecutive lines, the one-paragraph-
//! per-line Gutenberg corpus gives 0.9% of them as wrapped (11% without the prose
//! test), of five lines 0.02%; of its paragraphs over 100 characters, wrapped greedily
//! at 60, 72 or 80 columns, 98.5% are found (the rest are two lines broken after a
//! sentence, or longer than 64 lines). A
//! hard-wrapped document that holds several paragraphs without blank lines between
//! them (a short line ends each) is not full and is cut into lines, as is a document
//! with a line over 100 characters or more than 64 lines. The rule reads at most 65
//! lines of a document.

mod wrap;

/// How a document is cut into paragraphs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ParagraphMode {
    /// Chosen per document ([`ParagraphSplitter::resolve`]): `BlankLines` if the
    /// document has a blank line between two non-blank lines; else `Whole` if it is
    /// one hard-wrapped paragraph (see "Hard-wrapped paragraphs" in the
    /// [module docs](self)); else `Lines`. The default: it does the right thing for
    /// wrapped prose, a single hard-wrapped paragraph and one-paragraph-per-line files.
    ///
    /// Two hard-wrapped copies of a paragraph, given as two documents, are found as
    /// near-duplicates instead of being cut into lines that each match nothing:
    ///
    /// ```
    /// use paradup::{Deduper, ParagraphMode, ParagraphSplitter};
    ///
    /// let a = "His isolation was evident from his failure to turn up to this\n\
    ///          weekend's G20 summit in Delhi, and fewer African leaders recently\n\
    ///          attending a summit in St Petersburg than a similar gathering in 2019.";
    /// let b = "His isolation was evident from his failure to turn up to the G20\n\
    ///          summit in Delhi, and fewer African leaders attending a summit in St\n\
    ///          Petersburg than a similar gathering in 2019.";
    /// assert_eq!(ParagraphSplitter::default().resolve(a), ParagraphMode::Whole);
    /// let clusters = Deduper::new().run_documents(&[a, b]);
    /// assert_eq!(clusters.len(), 1);
    /// let docs: Vec<u32> = clusters.as_slice()[0].members().iter().map(|m| m.paragraph.doc).collect();
    /// assert_eq!(docs, [0, 1]);
    /// assert_eq!(clusters.as_slice()[0].members()[1].paragraph.text(b), b);
    /// ```
    #[default]
    Auto,
    /// Blocks of non-blank lines separated by one or more blank lines; the wrapped lines
    /// inside a block belong to one paragraph.
    BlankLines,
    /// Every non-blank line is a paragraph.
    Lines,
    /// The whole document is one paragraph (if it is not blank).
    Whole,
}

/// One paragraph of a document, with its provenance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub struct Paragraph {
    /// Index of the document in the input, 0-based.
    pub doc: u32,
    /// Index of the paragraph within its document, 0-based.
    pub index: u32,
    /// 1-based line number of the paragraph's first line.
    pub line: u64,
    /// Byte offset of the paragraph's first byte in the document.
    pub start: usize,
    /// Byte offset one past the paragraph's last byte (its final line terminator excluded).
    pub end: usize,
}

impl Paragraph {
    /// A paragraph of document `doc`: its index in the document, the line it starts
    /// on (1-based) and its byte span `start..end`. For naming a paragraph found
    /// elsewhere (a removal, a stored result); splitting makes them otherwise.
    pub fn new(doc: u32, index: u32, line: u64, start: usize, end: usize) -> Paragraph {
        Paragraph {
            doc,
            index,
            line,
            start,
            end,
        }
    }

    /// The paragraph's text, given the document it was split from.
    ///
    /// # Panics
    /// If `document` is not the document this paragraph was split from and the span
    /// does not fall on character boundaries of it.
    pub fn text<'t>(&self, document: &'t str) -> &'t str {
        &document[self.start..self.end]
    }

    /// Length of the paragraph in bytes.
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    /// Always false: empty paragraphs are never produced. Present for clippy's
    /// `len_without_is_empty` and for spans built by hand.
    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }
}

/// One line of a document: `start..end` is its content, without the terminator.
#[derive(Clone, Copy, Debug)]
struct Line {
    start: usize,
    end: usize,
    blank: bool,
}

/// U+FEFF in UTF-8.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The lines of a text, in order.
#[derive(Clone, Debug)]
struct LineIter<'t> {
    text: &'t str,
    pos: usize,
}

fn lines(text: &str) -> LineIter<'_> {
    LineIter { text, pos: 0 }
}

impl Iterator for LineIter<'_> {
    type Item = Line;

    fn next(&mut self) -> Option<Line> {
        let bytes = self.text.as_bytes();
        if self.pos >= bytes.len() {
            return None;
        }
        // A byte order mark opening a line (a file's first, or one of a file
        // concatenated to another) is no part of the paragraph: cutting the paragraph
        // out must keep it.
        let start = if bytes[self.pos..].starts_with(BOM) {
            self.pos + BOM.len()
        } else {
            self.pos
        };
        // memchr instead of `iter().position`, which made splitting about twice as slow.
        let (end, next) = match memchr::memchr(b'\n', &bytes[start..]) {
            Some(i) => {
                let nl = start + i;
                let end = if nl > start && bytes[nl - 1] == b'\r' {
                    nl - 1
                } else {
                    nl
                };
                (end, nl + 1)
            }
            None => (bytes.len(), bytes.len()),
        };
        self.pos = next;
        let blank = self.text[start..end].trim().is_empty();
        Some(Line { start, end, blank })
    }
}

/// Whether `text` has a blank line between two non-blank lines.
fn has_blank_separator(text: &str) -> bool {
    let mut seen_text = false;
    let mut blank_after_text = false;
    for line in lines(text) {
        if line.blank {
            blank_after_text |= seen_text;
        } else if blank_after_text {
            return true;
        } else {
            seen_text = true;
        }
    }
    false
}

/// Splits documents into [`Paragraph`]s.
///
/// ```
/// use paradup::{ParagraphMode, ParagraphSplitter};
///
/// let text = "First paragraph,\nwrapped.\n\n\nSecond one.\r\n";
/// let paras: Vec<_> = ParagraphSplitter::new(ParagraphMode::Auto).split(0, text).collect();
/// assert_eq!(paras.len(), 2);
/// assert_eq!(paras[0].text(text), "First paragraph,\nwrapped.");
/// assert_eq!((paras[1].index, paras[1].line), (1, 5));
/// assert_eq!(paras[1].text(text), "Second one.");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ParagraphSplitter {
    mode: ParagraphMode,
}

impl ParagraphSplitter {
    /// A splitter with the given mode.
    pub const fn new(mode: ParagraphMode) -> ParagraphSplitter {
        ParagraphSplitter { mode }
    }

    /// The mode this splitter was built with.
    pub fn mode(&self) -> ParagraphMode {
        self.mode
    }

    /// The mode that applies to `text`: `Auto` resolved to `BlankLines`, `Whole` (one
    /// hard-wrapped paragraph) or `Lines` (see [`ParagraphMode::Auto`]); any other mode
    /// as it is. Reads the whole text at most twice, stopping early in most cases.
    ///
    /// ```
    /// use paradup::{ParagraphMode, ParagraphSplitter};
    ///
    /// let auto = ParagraphSplitter::new(ParagraphMode::Auto);
    /// assert_eq!(auto.resolve("One.\n\nTwo.\n"), ParagraphMode::BlankLines);
    /// let wrapped = "Vladimir Putin's increasing isolation on the world stage and\n\
    ///                struggle to feed his war machine were laid bare on Wednesday as\n\
    ///                he met North Korean leader Kim Jong-un.\n";
    /// assert_eq!(auto.resolve(wrapped), ParagraphMode::Whole);
    /// // Short lines of varied width: one paragraph per line.
    /// let per_line = "Breaking news from the summit.\n\
    ///                 The summit opened on Monday in Delhi with a speech by the host.\n";
    /// assert_eq!(auto.resolve(per_line), ParagraphMode::Lines);
    /// ```
    pub fn resolve(&self, text: &str) -> ParagraphMode {
        match self.mode {
            ParagraphMode::Auto if has_blank_separator(text) => ParagraphMode::BlankLines,
            ParagraphMode::Auto if wrap::is_hard_wrapped(text) => ParagraphMode::Whole,
            ParagraphMode::Auto => ParagraphMode::Lines,
            m => m,
        }
    }

    /// The paragraphs of `text`, in order, labelled with document id `doc`.
    pub fn split<'t>(&self, doc: u32, text: &'t str) -> Paragraphs<'t> {
        Paragraphs {
            lines: lines(text),
            mode: self.resolve(text),
            doc,
            index: 0,
            line_no: 0,
        }
    }
}

/// Iterator over the paragraphs of one document, from [`ParagraphSplitter::split`].
#[derive(Clone, Debug)]
pub struct Paragraphs<'t> {
    lines: LineIter<'t>,
    mode: ParagraphMode,
    doc: u32,
    index: u32,
    /// Number of lines consumed so far.
    line_no: u64,
}

impl Paragraphs<'_> {
    fn next_line(&mut self) -> Option<(Line, u64)> {
        let line = self.lines.next()?;
        self.line_no += 1;
        Some((line, self.line_no))
    }

    fn emit(&mut self, line: u64, start: usize, end: usize) -> Paragraph {
        let p = Paragraph {
            doc: self.doc,
            index: self.index,
            line,
            start,
            end,
        };
        self.index = self.index.saturating_add(1);
        p
    }
}

impl Iterator for Paragraphs<'_> {
    type Item = Paragraph;

    fn next(&mut self) -> Option<Paragraph> {
        // Skip blank lines to the first line of the next paragraph.
        let (first, first_no) = loop {
            let (line, no) = self.next_line()?;
            if !line.blank {
                break (line, no);
            }
        };
        match self.mode {
            ParagraphMode::Lines | ParagraphMode::Auto => {
                Some(self.emit(first_no, first.start, first.end))
            }
            ParagraphMode::BlankLines => {
                let mut end = first.end;
                while let Some((line, _)) = self.next_line() {
                    if line.blank {
                        break;
                    }
                    end = line.end;
                }
                Some(self.emit(first_no, first.start, end))
            }
            ParagraphMode::Whole => {
                let mut end = first.end;
                while let Some((line, _)) = self.next_line() {
                    if !line.blank {
                        end = line.end;
                    }
                }
                Some(self.emit(first_no, first.start, end))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(mode: ParagraphMode, text: &str) -> Vec<(u32, u64, &str)> {
        ParagraphSplitter::new(mode)
            .split(7, text)
            .map(|p| {
                assert_eq!(p.doc, 7);
                (p.index, p.line, p.text(text))
            })
            .collect()
    }

    #[test]
    fn lines_mode_skips_blank_and_whitespace_lines() {
        let t = "a b\n  \n\tc\r\nd";
        assert_eq!(
            texts(ParagraphMode::Lines, t),
            vec![(0, 1, "a b"), (1, 3, "\tc"), (2, 4, "d")]
        );
    }

    #[test]
    fn blank_lines_mode_joins_wrapped_lines() {
        let t = "\n\none\ntwo\r\n \r\nthree\n\n\n";
        assert_eq!(
            texts(ParagraphMode::BlankLines, t),
            vec![(0, 3, "one\ntwo"), (1, 6, "three")]
        );
    }

    #[test]
    fn auto_picks_blank_lines_only_with_a_separator() {
        let wrapped = "one\ntwo\n\nthree\n";
        assert_eq!(
            ParagraphSplitter::default().resolve(wrapped),
            ParagraphMode::BlankLines
        );
        // Leading and trailing blank lines are not separators.
        let per_line = "\n\none\ntwo\n\n";
        assert_eq!(
            ParagraphSplitter::default().resolve(per_line),
            ParagraphMode::Lines
        );
        assert_eq!(
            texts(ParagraphMode::Auto, per_line),
            vec![(0, 3, "one"), (1, 4, "two")]
        );
    }

    #[test]
    fn auto_keeps_a_hard_wrapped_paragraph_whole() {
        let t = "\n  Vladimir Putin's increasing isolation on the world stage and\r\n\
                 struggle to feed his war machine were laid bare on Wednesday as\n\
                 he met North Korean leader Kim Jong-un.  \n\n";
        assert_eq!(
            ParagraphSplitter::default().resolve(t),
            ParagraphMode::Whole
        );
        let paras = texts(ParagraphMode::Auto, t);
        assert_eq!(paras.len(), 1);
        assert_eq!((paras[0].0, paras[0].1), (0, 2));
        assert!(paras[0].2.starts_with("  Vladimir"));
        assert!(paras[0].2.ends_with("Kim Jong-un.  "));
        // The same lines with a blank line between them: two paragraphs.
        let two = t.replacen("\r\n", "\r\n\n", 1);
        assert_eq!(texts(ParagraphMode::Auto, &two).len(), 2);
    }

    #[test]
    fn whole_mode_is_one_paragraph() {
        let t = "\n one\n\ntwo\n\n";
        assert_eq!(texts(ParagraphMode::Whole, t), vec![(0, 2, " one\n\ntwo")]);
    }

    #[test]
    fn empty_and_blank_documents_have_no_paragraphs() {
        for mode in [
            ParagraphMode::Auto,
            ParagraphMode::Lines,
            ParagraphMode::BlankLines,
            ParagraphMode::Whole,
        ] {
            assert!(texts(mode, "").is_empty());
            assert!(texts(mode, " \n\t\r\n\u{3000}\n").is_empty());
        }
    }

    #[test]
    fn a_byte_order_mark_is_not_part_of_the_paragraph() {
        let t = "\u{feff}first line\n\u{feff}\nsecond\n\u{feff}third";
        assert_eq!(
            texts(ParagraphMode::Lines, t),
            vec![(0, 1, "first line"), (1, 3, "second"), (2, 4, "third")]
        );
        let p = ParagraphSplitter::new(ParagraphMode::BlankLines)
            .split(0, t)
            .next()
            .unwrap();
        assert_eq!((p.start, p.end), (3, 13));
        assert!(texts(ParagraphMode::Whole, "\u{feff}\n").is_empty());
    }

    #[test]
    fn lone_cr_is_not_a_line_break() {
        assert_eq!(texts(ParagraphMode::Lines, "a\rb\n"), vec![(0, 1, "a\rb")]);
    }
}
