//! Writing JSON by hand, for output whose key order is part of the format (serde_json's
//! maps sort their keys). Strings are escaped by serde_json itself.

/// Appends `s` as a JSON string literal: quotes, `\"`, `\\` and control characters
/// escaped, everything else as UTF-8.
///
/// ```
/// let mut out = String::new();
/// paradup::report::json::push_str(&mut out, "a \"b\"\n\u{1}é");
/// assert_eq!(out, r#""a \"b\"\n\u0001é""#);
/// ```
pub fn push_str(out: &mut String, s: &str) {
    // Most strings (file names) need no escape: copied as they are, without the
    // String that serde_json makes.
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.reserve(s.len() + 2);
        out.push('"');
        out.push_str(s);
        out.push('"');
    } else {
        // Serializing a &str to a String cannot fail.
        out.push_str(&serde_json::to_string(s).unwrap_or_default());
    }
}

/// `s` as a JSON string literal (see [`push_str`]).
pub fn string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    push_str(&mut out, s);
    out
}

/// A float as JSON: Rust's shortest round-trip form, with `.0` on whole numbers
/// (`1.0`, `0.77`); `null` for NaN and infinities, which JSON cannot hold.
///
/// ```
/// use paradup::report::json::number;
/// assert_eq!((number(1.0), number(0.25), number(f64::NAN)), ("1.0".into(), "0.25".into(), "null".into()));
/// ```
pub fn number(x: f64) -> String {
    let mut out = String::new();
    push_number(&mut out, x);
    out
}

/// Appends `x` as JSON (see [`number`]), without a String of its own.
///
/// ```
/// let mut out = String::from("s=");
/// paradup::report::json::push_number(&mut out, 0.5);
/// assert_eq!(out, "s=0.5");
/// ```
pub fn push_number(out: &mut String, x: f64) {
    use std::fmt::Write as _;
    if x.is_finite() {
        // Writing to a String cannot fail.
        let _ = write!(out, "{x:?}");
    } else {
        out.push_str("null");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The fast path writes what serde_json writes, for any string, and for
        /// strings made of the characters that need escapes and their neighbours.
        #[test]
        fn push_str_equals_serde_json(
            any in any::<String>(),
            near in prop::collection::vec(
                prop::sample::select(vec!['"', '\\', '\n', '\u{0}', '\u{1f}', ' ', '\u{7f}', 'a', 'é', '\u{2028}']),
                0..12,
            ),
        ) {
            for s in [any, near.into_iter().collect()] {
                let mut out = String::from("x");
                push_str(&mut out, &s);
                prop_assert_eq!(out, format!("x{}", serde_json::to_string(&s).unwrap()));
            }
        }

        /// `push_number` appends what `number` returns; finite numbers read back
        /// exactly.
        #[test]
        fn push_number_round_trips(x in any::<f64>()) {
            let mut out = String::from("[");
            push_number(&mut out, x);
            prop_assert_eq!(&out[1..], number(x));
            if x.is_finite() {
                prop_assert_eq!(out[1..].parse::<f64>().unwrap(), x);
            } else {
                prop_assert_eq!(&out[1..], "null");
            }
        }
    }
}
