//! Monotone maps between byte offsets of a decoded text and of the bytes it was
//! decoded from.
//!
//! Two decodings change lengths: replacing each invalid UTF-8 sequence by U+FFFD (three
//! bytes for one to three), and undoing JSON string escapes (`\n` is two bytes for one,
//! `\u00e9` six for two). Both copy everything else unchanged, so the map is a list of
//! anchors, one after each replaced or unescaped piece: between two anchors, offsets
//! advance together. Paragraph boundaries always fall on such unchanged bytes (they
//! sit next to line breaks), which is what makes the map exact for them.

/// Maps offsets in a decoded text to offsets in its source bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct OffsetMap {
    /// `(decoded, source)` offset pairs, both ascending; the first is the start.
    anchors: Vec<(usize, usize)>,
}

impl OffsetMap {
    /// A map whose decoded offset 0 is source offset `start`.
    pub(crate) fn starting_at(start: usize) -> OffsetMap {
        OffsetMap {
            anchors: vec![(0, start)],
        }
    }

    /// Records that decoded offset `decoded` is source offset `source`.
    pub(crate) fn push(&mut self, decoded: usize, source: usize) {
        self.anchors.push((decoded, source));
    }

    /// The source offset of decoded offset `pos`. Exact when `pos` is not inside a
    /// replaced or unescaped piece.
    pub(crate) fn map(&self, pos: usize) -> usize {
        let i = self.anchors.partition_point(|&(d, _)| d <= pos);
        // The first anchor is (0, start), so i >= 1.
        let (d, s) = self.anchors[i.max(1) - 1];
        s + (pos - d)
    }
}

/// Decodes `bytes` as UTF-8, replacing each invalid sequence with U+FFFD as
/// [`String::from_utf8_lossy`] does. Returns the text, the map back to `bytes`, the
/// number of invalid sequences and the offset of the first.
pub(crate) fn decode_lossy(bytes: &[u8]) -> (String, OffsetMap, usize, usize) {
    let mut text = String::with_capacity(bytes.len() + 16);
    let mut map = OffsetMap::starting_at(0);
    let (mut count, mut first, mut pos) = (0, usize::MAX, 0);
    for chunk in bytes.utf8_chunks() {
        text.push_str(chunk.valid());
        pos += chunk.valid().len();
        if !chunk.invalid().is_empty() {
            first = first.min(pos);
            count += 1;
            text.push(char::REPLACEMENT_CHARACTER);
            pos += chunk.invalid().len();
            map.push(text.len(), pos);
        }
    }
    (text, map, count, first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lossy_map_points_back_at_the_original_bytes() {
        let bytes = b"caf\xe9 ok\n\xff\xfeline two\n";
        let (text, map, count, first) = decode_lossy(bytes);
        assert_eq!(text, String::from_utf8_lossy(bytes));
        // \xe9 is one invalid sequence, \xff and \xfe one each.
        assert_eq!((count, first), (3, 3));
        // "ok" starts at text offset 7 (3 + 3 + 1) and byte offset 5.
        assert_eq!(&text[7..9], "ok");
        assert_eq!(map.map(7), 5);
        // "line two" follows two replacement characters.
        let t = text.find("line").unwrap();
        assert_eq!(&bytes[map.map(t)..map.map(t) + 8], b"line two");
        assert_eq!(map.map(text.len()), bytes.len());
    }

    #[test]
    fn valid_text_maps_to_itself() {
        let (text, map, count, _) = decode_lossy("héllo\nwörld".as_bytes());
        assert_eq!((text.as_str(), count), ("héllo\nwörld", 0));
        for p in 0..=text.len() {
            assert_eq!(map.map(p), p);
        }
    }
}
