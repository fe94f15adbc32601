//! Sizes as people write them ("512M", "2G"): for a memory limit given on a command
//! line or in a configuration file.

use std::fmt;

/// Parses a size in bytes: a whole number, or one followed by `K`, `M`, `G` or `T`
/// (powers of 1024, either case), optionally followed by `B` or `iB`; spaces around
/// the number are allowed. For [`StreamConfig::memory_limit`](crate::StreamConfig::memory_limit).
///
/// # Errors
/// A [`SizeError`] for anything else, for 0, and for a size that does not fit in a
/// `usize`; never a panic.
///
/// ```
/// use paradup::fsio::parse_size;
///
/// assert_eq!(parse_size("512M"), Ok(512 << 20));
/// assert_eq!(parse_size("2GiB"), Ok(2 << 30));
/// assert_eq!(parse_size("100000"), Ok(100_000));
/// assert!(parse_size("1.5G").is_err()); // whole numbers only
/// assert!(parse_size("0").is_err());
/// ```
pub fn parse_size(s: &str) -> Result<usize, SizeError> {
    let t = s.trim();
    let t = t
        .strip_suffix("iB")
        .or_else(|| t.strip_suffix('B'))
        .unwrap_or(t);
    // The suffix is one ASCII byte, so slicing it off stays on a char boundary.
    let (digits, shift) = match t.chars().last().map(|c| c.to_ascii_uppercase()) {
        Some('K') => (&t[..t.len() - 1], 10),
        Some('M') => (&t[..t.len() - 1], 20),
        Some('G') => (&t[..t.len() - 1], 30),
        Some('T') => (&t[..t.len() - 1], 40),
        _ => (t, 0),
    };
    let error = |kind| SizeError {
        input: s.to_string(),
        kind,
    };
    let n: usize = digits
        .trim()
        .parse()
        .map_err(|_| error(SizeErrorKind::NotASize))?;
    n.checked_mul(1usize << shift)
        .filter(|&b| b > 0)
        .ok_or_else(|| error(SizeErrorKind::OutOfRange))
}

/// A string that [`parse_size`] does not take: the string, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SizeError {
    input: String,
    kind: SizeErrorKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SizeErrorKind {
    NotASize,
    OutOfRange,
}

impl SizeError {
    /// Whether the string was a size, but 0 or more than a `usize` holds.
    pub fn is_out_of_range(&self) -> bool {
        self.kind == SizeErrorKind::OutOfRange
    }
}

impl fmt::Display for SizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            SizeErrorKind::NotASize => write!(
                f,
                "{:?} is not a size (bytes, or a number with K, M, G or T)",
                self.input
            ),
            SizeErrorKind::OutOfRange => write!(
                f,
                "{:?}: the size must be at least 1 byte and fit in memory",
                self.input
            ),
        }
    }
}

impl std::error::Error for SizeError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffixes_are_powers_of_1024_in_either_case() {
        assert_eq!(parse_size("1k"), Ok(1024));
        assert_eq!(parse_size(" 3 M "), Ok(3 << 20));
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert!(parse_size("1gb").is_err(), "the byte suffix is B, not b");
        assert_eq!(parse_size("7KB"), Ok(7 << 10));
        assert_eq!(parse_size("1TiB"), Ok(1 << 40));
        assert_eq!(parse_size("42B"), Ok(42));
    }

    #[test]
    fn bad_input_is_an_error_with_the_input_quoted() {
        for s in [
            "", "M", "iB", "-1M", "1.5G", "12X", "1é", "é", "1 2", "0x10",
        ] {
            let e = parse_size(s).unwrap_err();
            assert!(!e.is_out_of_range(), "{s}");
            assert_eq!(
                e.to_string(),
                format!("{s:?} is not a size (bytes, or a number with K, M, G or T)")
            );
        }
    }

    #[test]
    fn zero_and_overflow_are_out_of_range() {
        let big = format!("{}", usize::MAX);
        assert_eq!(parse_size(&big), Ok(usize::MAX));
        for s in ["0", "0K", &format!("{big}K"), "16777216T"] {
            assert!(parse_size(s).unwrap_err().is_out_of_range(), "{s}");
        }
        // More digits than a usize holds is not a number at all.
        assert!(
            !parse_size("99999999999999999999999T")
                .unwrap_err()
                .is_out_of_range()
        );
        let e = parse_size("0").unwrap_err();
        assert_eq!(
            e.to_string(),
            "\"0\": the size must be at least 1 byte and fit in memory"
        );
        assert!(
            parse_size(&format!("{}T", usize::MAX >> 39))
                .unwrap_err()
                .is_out_of_range()
        );
    }
}
