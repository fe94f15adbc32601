//! JSON string literals: decoding with a map back to the escaped bytes, so that a
//! paragraph of a JSONL record's text can be cut out of the record as written.
//!
//! serde_json finds the literal (and checks the record's syntax); this decoder turns
//! the literal into text. It is the only decoder of text fields, so the text that is
//! hashed and the map used to rewrite the record can never disagree.

use super::offsets::OffsetMap;

/// Decodes the JSON string literal `literal` (quotes included). With `map`, records
/// the offset in `literal` of each decoded offset after an escape, starting from
/// `(0, base + 1)`: offsets come out relative to `base`, the literal's position in its
/// line. A lone surrogate escape decodes to U+FFFD.
pub(crate) fn decode_string(
    literal: &str,
    base: usize,
    mut map: Option<&mut OffsetMap>,
) -> Result<String, &'static str> {
    let bytes = literal.as_bytes();
    if bytes.len() < 2 || bytes[0] != b'"' || bytes[bytes.len() - 1] != b'"' {
        return Err("not a string");
    }
    let end = bytes.len() - 1;
    if let Some(m) = map.as_deref_mut() {
        *m = OffsetMap::starting_at(base + 1);
    }
    let mut out = String::with_capacity(end);
    let mut i = 1;
    while i < end {
        let run = bytes[i..end]
            .iter()
            .position(|&b| b == b'\\')
            .map_or(end, |p| i + p);
        out.push_str(&literal[i..run]);
        i = run;
        if i == end {
            break;
        }
        let (ch, len) = escape(&bytes[i..end])?;
        out.push(ch);
        i += len;
        if let Some(m) = map.as_deref_mut() {
            m.push(out.len(), base + i);
        }
    }
    Ok(out)
}

/// One escape at the start of `s` (which starts with a backslash): the character and
/// the escape's length in bytes.
fn escape(s: &[u8]) -> Result<(char, usize), &'static str> {
    let c = match s.get(1) {
        Some(b'"') => '"',
        Some(b'\\') => '\\',
        Some(b'/') => '/',
        Some(b'b') => '\u{8}',
        Some(b'f') => '\u{c}',
        Some(b'n') => '\n',
        Some(b'r') => '\r',
        Some(b't') => '\t',
        Some(b'u') => {
            let hi = hex4(&s[2..])?;
            if (0xD800..0xDC00).contains(&hi) && s.get(6) == Some(&b'\\') && s.get(7) == Some(&b'u')
            {
                let lo = hex4(&s[8..])?;
                if (0xDC00..0xE000).contains(&lo) {
                    let c = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                    return Ok((char::from_u32(c).ok_or("bad escape")?, 12));
                }
            }
            return Ok((char::from_u32(hi).unwrap_or(char::REPLACEMENT_CHARACTER), 6));
        }
        _ => return Err("bad escape"),
    };
    Ok((c, 2))
}

fn hex4(s: &[u8]) -> Result<u32, &'static str> {
    let digits = s.get(..4).ok_or("short \\u escape")?;
    let mut v = 0;
    for &d in digits {
        v = v * 16 + (d as char).to_digit(16).ok_or("bad \\u escape")?;
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_like_serde_json() {
        for lit in [
            r#""""#,
            r#""plain""#,
            r#""a\nb\r\n\tc \"q\" \\ \/ \b\f""#,
            r#""caf\u00e9 \u20ac \ud83d\ude00 é""#,
            r#""\u0041\u004a""#,
        ] {
            let want: String = serde_json::from_str(lit).unwrap();
            assert_eq!(decode_string(lit, 0, None).unwrap(), want, "{lit}");
        }
    }

    #[test]
    fn lone_surrogate_is_replaced() {
        assert_eq!(
            decode_string(r#""a\ud800b""#, 0, None).unwrap(),
            "a\u{fffd}b"
        );
    }

    #[test]
    fn map_points_at_the_escaped_bytes() {
        // {"text":"one\ntwo\u00e9\nthree"}
        let line = r#"{"text":"one\ntwo\u00e9\nthree"}"#;
        let start = line.find("\"one").unwrap();
        let lit = &line[start..line.len() - 1];
        let mut map = OffsetMap::starting_at(0);
        let text = decode_string(lit, start, Some(&mut map)).unwrap();
        assert_eq!(text, "one\ntwoé\nthree");
        // "two" starts at decoded 4; in the line, after `one\n`.
        assert_eq!(&line[map.map(4)..map.map(4) + 3], "two");
        let three = text.find("three").unwrap();
        assert_eq!(&line[map.map(three)..map.map(text.len())], "three");
        // Removing "two\u00e9\n" (decoded 4..10) leaves a valid literal.
        let (a, b) = (map.map(4), map.map(10));
        let cut = format!("{}{}", &line[..a], &line[b..]);
        assert_eq!(cut, r#"{"text":"one\nthree"}"#);
    }

    #[test]
    fn rejects_bad_escapes() {
        assert!(decode_string(r#""a\x""#, 0, None).is_err());
        assert!(decode_string(r#""\u12""#, 0, None).is_err());
        assert!(decode_string("abc", 0, None).is_err());
    }
}
