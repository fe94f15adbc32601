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

    /// Finds the word's end eight bytes at a time (`whitespace_mask`); its start is
    /// nearly always the first or second byte.
    #[inline]
    fn next(&mut self) -> Option<&'t str> {
        let bytes = self.rest.as_bytes();
        let start = match bytes.first() {
            Some(b) if !b.is_ascii_whitespace() => 0,
            _ => find(bytes, 0, true)?,
        };
        let end = find(bytes, start, false).unwrap_or(bytes.len());
        // Both cut points sit next to ASCII bytes, so they are char boundaries.
        let word = &self.rest[start..end];
        self.rest = &self.rest[end..];
        Some(word)
    }
}

/// Whether `text` holds ASCII whitespace other than the space (tab, line feed, form
/// feed, carriage return): when it does not, its [`words`] are its runs of non-space
/// bytes, which [`word_hashes`](crate::text::shingle) finds faster. Normalized text
/// never does.
#[inline]
pub(crate) fn has_control_whitespace(text: &[u8]) -> bool {
    let mut chunks = text.chunks_exact(8);
    let found = chunks.by_ref().fold(0, |acc, c| {
        let x = u64::from_le_bytes(c.try_into().expect("8 bytes"));
        acc | (whitespace_mask(x) & !byte_eq(x, b' '))
    });
    found != 0
        || chunks
            .remainder()
            .iter()
            .any(|&b| b != b' ' && b.is_ascii_whitespace())
}

/// Bit 7 of every byte.
const HIGH_BITS: u64 = 0x8080_8080_8080_8080;
/// The low seven bits of every byte.
const LOW_SEVEN: u64 = 0x7f7f_7f7f_7f7f_7f7f;
/// Bit 0 of every byte.
const LOW_BITS: u64 = 0x0101_0101_0101_0101;

/// Bit 7 set in each byte of `x` equal to `b`, other bits clear (exact: no borrow
/// crosses bytes).
#[inline(always)]
fn byte_eq(x: u64, b: u8) -> u64 {
    let v = x ^ (LOW_BITS * u64::from(b));
    !(((v & LOW_SEVEN) + LOW_SEVEN) | v) & HIGH_BITS
}

/// Bit 7 set in each byte of `x` that is ASCII whitespace (`u8::is_ascii_whitespace`:
/// space, tab, line feed, form feed, carriage return), other bits clear.
#[inline(always)]
fn whitespace_mask(x: u64) -> u64 {
    // Bytes 0x09..=0x0d of the low seven bits, without the high-bit bytes and 0x0b.
    let low = x & LOW_SEVEN;
    let ge = low + LOW_BITS * 0x77; // bit 7 set when low >= 0x09
    let gt = low + LOW_BITS * 0x72; // bit 7 set when low > 0x0d
    let controls = ge & !gt & !x & HIGH_BITS & !byte_eq(x, 0x0b);
    controls | byte_eq(x, b' ')
}

/// The index of the first byte at or after `i` that is not whitespace (`skip_spaces`) or
/// that is (otherwise), or `None`.
#[inline(always)]
fn find(bytes: &[u8], mut i: usize, skip_spaces: bool) -> Option<usize> {
    while let Some(chunk) = bytes.get(i..i + 8) {
        let ws = whitespace_mask(u64::from_le_bytes(chunk.try_into().expect("8 bytes")));
        let hits = if skip_spaces { !ws & HIGH_BITS } else { ws };
        if hits != 0 {
            return Some(i + hits.trailing_zeros() as usize / 8);
        }
        i += 8;
    }
    bytes[i..]
        .iter()
        .position(|b| b.is_ascii_whitespace() != skip_spaces)
        .map(|k| i + k)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn words_equal_naive(
            text in proptest::collection::vec(
                prop_oneof![
                    4 => proptest::char::range('a', 'z'),
                    2 => proptest::sample::select(vec![' ', '\t', '\n', '\r', '\x0b', '\x0c']),
                    1 => proptest::char::any(),
                ],
                0..60,
            )
        ) {
            let text: String = text.into_iter().collect();
            let want: Vec<&str> = text
                .split(|c: char| c.is_ascii() && (c as u8).is_ascii_whitespace())
                .filter(|w| !w.is_empty())
                .collect();
            prop_assert_eq!(words(&text).collect::<Vec<_>>(), want);
        }

        #[test]
        fn control_whitespace_is_found(text in "[a-z \t\n\r\x0b\x0c\u{e9}]{0,40}") {
            let want = text.bytes().any(|b| b != b' ' && b.is_ascii_whitespace());
            prop_assert_eq!(has_control_whitespace(text.as_bytes()), want);
        }

        #[test]
        fn whitespace_mask_is_exact(x in any::<u64>(), spaces in any::<u8>()) {
            // Put some whitespace in, to hit both answers often.
            let mut b = x.to_le_bytes();
            for (i, byte) in b.iter_mut().enumerate() {
                if spaces >> i & 1 == 1 {
                    *byte = b" \t\n\x0b\x0c\r\x09\x20"[i];
                }
            }
            let x = u64::from_le_bytes(b);
            let want = b
                .iter()
                .enumerate()
                .filter(|&(_, b)| b.is_ascii_whitespace())
                .fold(0u64, |m, (i, _)| m | 0x80 << (8 * i));
            prop_assert_eq!(whitespace_mask(x), want);
        }
    }
}
