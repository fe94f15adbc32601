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
    // Serializing a &str to a String cannot fail.
    out.push_str(&serde_json::to_string(s).unwrap_or_default());
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
    if x.is_finite() {
        format!("{x:?}")
    } else {
        "null".to_string()
    }
}
