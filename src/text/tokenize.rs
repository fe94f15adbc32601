//! Splitting normalized text into words.
//!
//! [`Normalizer`](crate::Normalizer) output is words separated by single spaces, so a
//! word is a maximal run of non-space bytes. [`words`] also tolerates text that was not
//! normalized (runs of ASCII whitespace are skipped), which makes it safe to call on
//! anything.

/// The words of `text`: maximal runs of bytes other than ASCII whitespace.
///
/// ```
/// let w: Vec<&str> = paradup::text::tokenize::words(" the  g20 summit ").collect();
/// assert_eq!(w, ["the", "g20", "summit"]);
/// ```
pub fn words(text: &str) -> Words<'_> {
    Words { rest: text }
}

/// Iterator over words, from [`words`].
#[derive(Clone, Debug)]
pub struct Words<'t> {
    rest: &'t str,
}

impl<'t> Iterator for Words<'t> {
    type Item = &'t str;

    #[inline]
    fn next(&mut self) -> Option<&'t str> {
        let bytes = self.rest.as_bytes();
        let start = bytes.iter().position(|b| !b.is_ascii_whitespace())?;
        let len = bytes[start..]
            .iter()
            .position(|b| b.is_ascii_whitespace())
            .unwrap_or(bytes.len() - start);
        // Both cut points sit next to ASCII bytes, so they are char boundaries.
        let word = &self.rest[start..start + len];
        self.rest = &self.rest[start + len..];
        Some(word)
    }
}
