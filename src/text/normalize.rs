//! Normalization applied to a paragraph before it is shingled.
//!
//! With every option on (the default), normalization:
//! 1. applies Unicode compatibility normalization (NFKC), so that ligatures (`ﬁ`),
//!    full-width forms (`Ａ`), superscripts and other compatibility characters compare
//!    equal to their plain forms; and folds the typographic variants that NFKC leaves
//!    alone: curly quotes to straight ones (`’` → `'`, `“` → `"`) and dashes to `-`;
//! 2. case-folds: Unicode lowercase, plus full case folding where it differs from
//!    lowercase (`ß` → `ss`, final sigma `ς` → `σ`);
//! 3. turns every character that is not a letter, digit or combining mark into a
//!    separator (punctuation and symbols → space);
//! 4. collapses runs of separators and whitespace into one space and trims both ends.
//!
//! The result is a sequence of words separated by single spaces. Normalization is
//! idempotent (tested). ASCII paragraphs take a byte-level fast path that does none of
//! the Unicode work, and NFKC is skipped for text that passes the NFKC quick check.
//!
//! Spans ([`Paragraph`](crate::Paragraph)) always refer to the original text: the
//! normalized form is only ever an input to hashing.

use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfkc_quick};

/// Normalizes paragraphs into space-separated words. See the [module docs](self).
///
/// ```
/// use paradup::Normalizer;
///
/// let mut out = String::new();
/// Normalizer::new().normalize_into("“Straße”, ﬁne — ＦＵＬＬ-width!", &mut out);
/// assert_eq!(out, "strasse fine full width");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Normalizer {
    lowercase: bool,
    nfkc: bool,
    punctuation: bool,
}

impl Default for Normalizer {
    fn default() -> Normalizer {
        Normalizer::new()
    }
}

impl Normalizer {
    /// A normalizer with every step on.
    pub fn new() -> Normalizer {
        Normalizer {
            lowercase: true,
            nfkc: true,
            punctuation: true,
        }
    }

    /// Case-fold (Unicode lowercase plus full folding). Default: `true`.
    pub fn lowercase(mut self, yes: bool) -> Normalizer {
        self.lowercase = yes;
        self
    }

    /// Apply NFKC and fold quote and dash variants. Default: `true`.
    pub fn nfkc(mut self, yes: bool) -> Normalizer {
        self.nfkc = yes;
        self
    }

    /// Turn punctuation and symbols into separators. Default: `true`. When off, they
    /// are kept as word characters and only whitespace separates words.
    pub fn strip_punctuation(mut self, yes: bool) -> Normalizer {
        self.punctuation = yes;
        self
    }

    /// Whether case folding is on.
    pub fn is_lowercase(&self) -> bool {
        self.lowercase
    }

    /// Whether NFKC is on.
    pub fn is_nfkc(&self) -> bool {
        self.nfkc
    }

    /// Whether punctuation is stripped.
    pub fn is_strip_punctuation(&self) -> bool {
        self.punctuation
    }

    /// Normalizes `text` into `out`, replacing what `out` held.
    pub fn normalize_into(&self, text: &str, out: &mut String) {
        out.clear();
        if text.is_ascii() {
            self.ascii(text.as_bytes(), out);
        } else {
            self.unicode(text, out);
        }
    }

    /// Normalizes `text` into a new string. Prefer [`normalize_into`](Self::normalize_into)
    /// in loops.
    pub fn normalize(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        self.normalize_into(text, &mut out);
        out
    }

    /// The ASCII fast path: one pass over the bytes through a 256-entry table, no
    /// Unicode tables, writing bytes into `out`'s buffer.
    ///
    /// Tried: pushing `char`s into the `String` one at a time (110 MB/s on bench
    /// `normalize/ascii`); the table plus a byte buffer is several times faster.
    fn ascii(&self, bytes: &[u8], out: &mut String) {
        let table = self.ascii_table();
        let mut buf = std::mem::take(out).into_bytes();
        buf.clear();
        buf.reserve(bytes.len());
        let mut pending_space = false;
        for &b in bytes {
            let c = table[b as usize];
            if c != 0 {
                if pending_space && !buf.is_empty() {
                    buf.push(b' ');
                }
                pending_space = false;
                buf.push(c);
            } else {
                pending_space = true;
            }
        }
        // Every byte written is ASCII, so this cannot fail; `from_utf8` validates ASCII
        // at memory speed.
        *out = String::from_utf8(buf).expect("ASCII bytes are UTF-8");
    }

    /// For each byte: the byte to write (lowercased when asked) or 0 for a separator.
    fn ascii_table(&self) -> &'static [u8; 256] {
        const fn build(lower: bool, keep_punct: bool) -> [u8; 256] {
            let mut t = [0u8; 256];
            let mut i = 0;
            while i < 128 {
                let b = i as u8;
                let word = b.is_ascii_alphanumeric() || (keep_punct && b.is_ascii_graphic());
                if word {
                    t[i] = if lower { b.to_ascii_lowercase() } else { b };
                }
                i += 1;
            }
            t
        }
        static TABLES: [[u8; 256]; 4] = [
            build(false, false),
            build(true, false),
            build(false, true),
            build(true, true),
        ];
        &TABLES[self.lowercase as usize | (!self.punctuation as usize) << 1]
    }

    /// The Unicode path. ASCII characters still go through the byte table; only the
    /// others pay for case folding and classification.
    fn unicode(&self, text: &str, out: &mut String) {
        let table = self.ascii_table();
        let mut sink = Sink {
            out,
            pending_space: false,
            punctuation: self.punctuation,
        };
        let (lowercase, nfkc) = (self.lowercase, self.nfkc);
        let mut push = |c: char| {
            let c = if nfkc { fold_typography(c) } else { c };
            if c.is_ascii() {
                match table[c as usize] {
                    0 => sink.pending_space = true,
                    b => sink.push_word_char(b as char),
                }
            } else if lowercase {
                fold_case(c, |f| sink.push(f));
            } else {
                sink.push(c);
            }
        };
        // ASCII characters are NFKC-stable with combining class 0, so the quick check
        // only needs the others: leaving a class-0 character out can turn a "yes" into
        // a "no" (then NFKC runs and changes nothing), never hide a needed change.
        if nfkc && !nfkc_quick_yes(text) {
            text.nfkc().for_each(&mut push);
        } else {
            text.chars().for_each(&mut push);
        }
        // Lowercasing can (rarely) produce text that NFKC would change again, e.g. a
        // capital whose lowercase is a decomposed sequence; renormalize then, so that
        // normalization stays idempotent.
        if nfkc && lowercase && !sink.out.is_ascii() && !nfkc_quick_yes(sink.out) {
            let again: String = sink.out.nfkc().collect();
            sink.out.clear();
            sink.pending_space = false;
            again.chars().for_each(|c| sink.push(c));
        }
    }
}

/// Whether the NFKC quick check says "yes" for the non-ASCII characters of `text`.
fn nfkc_quick_yes(text: &str) -> bool {
    is_nfkc_quick(text.chars().filter(|c| !c.is_ascii())) == IsNormalized::Yes
}

struct Sink<'a> {
    out: &'a mut String,
    pending_space: bool,
    punctuation: bool,
}

impl Sink<'_> {
    #[inline]
    fn push(&mut self, c: char) {
        if is_word_char(c, self.punctuation) {
            self.push_word_char(c);
        } else {
            self.pending_space = true;
        }
    }

    #[inline]
    fn push_word_char(&mut self, c: char) {
        if self.pending_space && !self.out.is_empty() {
            self.out.push(' ');
        }
        self.pending_space = false;
        self.out.push(c);
    }
}

/// Whether `c` belongs to a word: letters, digits and combining marks (so that
/// scripts with vowel signs, like Devanagari, keep their words whole); and, when
/// punctuation is kept, anything that is not whitespace or a control character.
#[inline]
fn is_word_char(c: char, strip_punctuation: bool) -> bool {
    if c.is_alphanumeric() || unicode_normalization::char::is_combining_mark(c) {
        true
    } else {
        !strip_punctuation && !c.is_whitespace() && !c.is_control()
    }
}

/// Folds typographic variants that NFKC leaves distinct.
#[inline]
fn fold_typography(c: char) -> char {
    match c {
        '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' | '\u{2032}' | '\u{02BC}' => '\'',
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' | '\u{2033}' | '\u{00AB}'
        | '\u{00BB}' => '"',
        '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2015}'
        | '\u{2212}' => '-',
        c => c,
    }
}

/// Full case folding: lowercase, except where Unicode's full case folding differs.
#[inline]
fn fold_case(c: char, mut emit: impl FnMut(char)) {
    match c {
        'ß' | 'ẞ' => {
            emit('s');
            emit('s');
        }
        'ς' => emit('σ'),
        c if c.is_ascii() => emit(c.to_ascii_lowercase()),
        c => c.to_lowercase().for_each(emit),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> String {
        Normalizer::new().normalize(s)
    }

    #[test]
    fn ascii_path() {
        assert_eq!(
            n("  Hello,   World!! It's--fine.\r\n"),
            "hello world it s fine"
        );
        assert_eq!(n(""), "");
        assert_eq!(n("!!! ..."), "");
    }

    #[test]
    fn unicode_path_matches_ascii_for_typographic_variants() {
        assert_eq!(n("Putin’s “war” — ended"), n("Putin's \"war\" -- ended"));
        assert_eq!(n("ﬁnal ＡＢＣ"), "final abc");
        assert_eq!(n("STRASSE Straße"), "strasse strasse");
        assert_eq!(n("ΟΔΟΣ οδος"), "οδοσ οδοσ");
    }

    #[test]
    fn options_can_be_turned_off() {
        let keep = Normalizer::new().strip_punctuation(false);
        assert_eq!(keep.normalize("It's  fine."), "it's fine.");
        assert_eq!(keep.normalize("It’s"), "it's");
        let case = Normalizer::new().lowercase(false);
        assert_eq!(case.normalize("Hello Ärger"), "Hello Ärger");
        let raw = Normalizer::new().nfkc(false);
        assert_eq!(raw.normalize("ﬁ"), "ﬁ");
    }

    #[test]
    fn cjk_and_marks_stay_words() {
        assert_eq!(n("東京都、日本。"), "東京都 日本");
        assert_eq!(n("नमस्ते दुनिया"), "नमस्ते दुनिया");
    }
}
