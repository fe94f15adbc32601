//! Telling one hard-wrapped paragraph from one paragraph per line, for
//! [`ParagraphMode::Auto`](super::ParagraphMode::Auto).
//!
//! The rule is documented in the parent module ("Hard-wrapped paragraphs"); it reads
//! the lines at most twice and stops at the first one that decides against wrapping.

/// The least width of the widest line of a hard-wrapped document, in characters.
const MIN_WIDTH: usize = 40;

/// The greatest width of any line of a hard-wrapped document, in characters.
const MAX_WIDTH: usize = 100;

/// The most lines of one hard-wrapped paragraph (99.9% of the Gutenberg corpus's
/// paragraphs fit at 72 columns); it also bounds the work on a long document.
const MAX_LINES: usize = 64;

/// Marks of which prose holds at least one.
const PUNCTUATION: [char; 6] = ['.', ',', ';', ':', '!', '?'];

/// What a line that ends a sentence or clause ends with ...
const ENDS: [char; 6] = ['.', '!', '?', ':', ';', '…'];

/// ... before any of these closing quotes and brackets.
const CLOSERS: [char; 7] = ['"', '\'', '”', '’', ')', ']', '»'];

/// Whether `text` (which has no blank line between two non-blank lines) is one
/// hard-wrapped paragraph, by the rule of the parent module docs.
pub(super) fn is_hard_wrapped(text: &str) -> bool {
    let rows = || {
        super::lines(text)
            .filter(|l| !l.blank)
            .map(|l| text[l.start..l.end].trim_end())
    };
    let mut widest = 0;
    let mut count = 0usize;
    for row in rows() {
        let w = width(row);
        count += 1;
        if w > MAX_WIDTH || count > MAX_LINES {
            return false;
        }
        widest = widest.max(w);
    }
    if count < 2 || widest < MIN_WIDTH {
        return false;
    }
    let mut prev: Option<&str> = None;
    let (mut mid_sentence, mut punctuated) = (false, false);
    for row in rows() {
        if let Some(p) = prev {
            if !is_full(p, row, widest) {
                return false;
            }
            mid_sentence |= !ends_sentence(p);
        }
        punctuated |= row.contains(PUNCTUATION);
        prev = Some(row);
    }
    mid_sentence && punctuated
}

/// Whether `row` ends a sentence or clause: its last character, past closing quotes
/// and brackets, is one of [`ENDS`].
fn ends_sentence(row: &str) -> bool {
    let mut rev = row
        .trim_end()
        .chars()
        .rev()
        .skip_while(|c| CLOSERS.contains(c));
    rev.next().is_some_and(|c| ENDS.contains(&c))
}

/// Whether `row` is full: at least two words, and the first word of `next` would
/// (nearly) not have fit after it within `widest` characters.
fn is_full(row: &str, next: &str, widest: usize) -> bool {
    // One "word" per line is text without spaces (Chinese, Japanese): not wrapped prose.
    if !row.trim_start().contains(char::is_whitespace) {
        return false;
    }
    let word = next.split_whitespace().next().unwrap_or("");
    10 * (width(row) + 1 + width(word)) > 9 * widest
}

/// Width in characters (Unicode scalar values).
fn width(s: &str) -> usize {
    s.chars().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PARA: &str = "His isolation was evident from his failure to turn up to this \
        weekend's G20 summit in Delhi, and fewer African leaders recently attending a \
        summit in St Petersburg than a similar gathering in 2019.";

    /// Greedy wrapping of `text` at `limit` characters, as `textwrap.fill` does.
    fn wrap(text: &str, limit: usize) -> String {
        let mut out = String::new();
        let mut line = 0;
        for word in text.split_whitespace() {
            if line > 0 && line + 1 + word.len() > limit {
                out.push('\n');
                line = 0;
            } else if line > 0 {
                out.push(' ');
                line += 1;
            }
            out.push_str(word);
            line += word.len();
        }
        out
    }

    #[test]
    fn greedy_wrapping_at_40_to_100_columns_is_detected() {
        for limit in [40, 60, 72, 80, 100] {
            let text = wrap(PARA, limit);
            assert!(text.lines().count() >= 2, "{limit}");
            assert!(is_hard_wrapped(&text), "{limit}:\n{text}");
            assert!(is_hard_wrapped(&format!("\n{text}\r\n\n")), "{limit}");
        }
    }

    #[test]
    fn balanced_wrapping_within_the_slack_is_detected() {
        // GNU `fmt -w 80` output of the seed article's first line: the first line
        // ends short of the greedy fill (69 + 1 + 2 = 72 against a widest line of 74),
        // within the slack (72 > 66.6).
        let fmt = "Vladimir Putin’s increasing isolation on the world stage and struggle\n\
                   to feed his war machine were laid bare on Wednesday as he met North Korean\n\
                   leader Kim Jong-un.";
        assert_eq!(fmt.lines().map(width).collect::<Vec<_>>(), [69, 74, 19]);
        assert!(is_hard_wrapped(fmt));
    }

    #[test]
    fn one_paragraph_per_line_is_not_wrapped() {
        // A line wider than MAX_WIDTH.
        assert!(!is_hard_wrapped(&format!("{PARA}\nShort one.")));
        // Sentences of varied width: "Short." ends far from the widest line.
        let per_line = "The summit opened on Monday with a speech by the host.\n\
                        Short.\n\
                        Delegates from forty countries attended the session.";
        assert!(!is_hard_wrapped(per_line));
        // Narrow lines: a list or verse.
        assert!(!is_hard_wrapped(
            "one two three\nfour five six\nseven eight"
        ));
        // One line.
        assert!(!is_hard_wrapped(&wrap(PARA, 200)));
        assert!(!is_hard_wrapped(""));
    }

    #[test]
    fn lines_that_each_end_a_sentence_are_not_wrapped() {
        // Full by width (52 + 1 + 3 > 0.9 × 53), but each line is a sentence.
        let dialogue = "\"Perhaps he has his reasons,\" he said meditatively.\n\
                        \"Is he thought to be rich?\" he asked, after a pause.";
        assert!(!is_hard_wrapped(dialogue));
        // The same break inside a sentence.
        let wrapped = "\"Perhaps he has his reasons,\" he said meditatively, and\n\
                       \"is he thought to be rich?\" he asked, after a pause.";
        assert!(is_hard_wrapped(wrapped));
        assert!(ends_sentence("rich?\")  "));
        assert!(ends_sentence("so it went…”"));
        assert!(!ends_sentence("meditatively, and"));
        assert!(!ends_sentence("\u{201d}"));
    }

    #[test]
    fn long_documents_and_text_without_punctuation_are_not_wrapped() {
        let long = wrap(&[PARA; 30].join(" "), 72);
        let lines: Vec<&str> = long.lines().collect();
        assert!(lines.len() > MAX_LINES);
        assert!(is_hard_wrapped(&lines[..MAX_LINES].join("\n")));
        assert!(!is_hard_wrapped(&lines[..MAX_LINES + 1].join("\n")));
        // Words of one width without a mark: a list, not prose.
        let words = "w1234 w5678 w9012 w3456 w7890 w2345 w6789 w0123 w4567 w8901 w1111";
        assert!(!is_hard_wrapped(&format!("{words}\n{words}\n{words}")));
        assert!(is_hard_wrapped(&format!("{words}\n{words},\n{words}")));
    }

    #[test]
    fn several_wrapped_paragraphs_without_blank_lines_are_not_one() {
        let two = format!("{}\n{}", wrap(PARA, 72), wrap(PARA, 72));
        assert!(!is_hard_wrapped(&two));
    }

    #[test]
    fn lines_without_spaces_are_not_wrapped_prose() {
        let row = "普京的孤立显而易见".repeat(5);
        let text = format!("{row}\n{row}\n{row}");
        assert_eq!(width(&row), 45);
        assert!(!is_hard_wrapped(&text));
    }

    #[test]
    fn the_full_test_uses_the_next_lines_first_word() {
        // 40 + 1 + 5 = 46 > 0.9 × 50 = 45; with a 3-letter word 44 is not.
        let row = "a".repeat(38) + " b";
        assert!(is_full(&row, "eeeee and more", 50));
        assert!(!is_full(&row, "eee and more", 50));
        assert!(!is_full(&"a".repeat(40), "eeeeeeeee", 50));
    }
}
