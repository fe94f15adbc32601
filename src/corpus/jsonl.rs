//! JSONL records: the one parser of record lines, for reading into memory and for
//! streaming.

use super::*;

impl CorpusReader {
    /// A JSONL line → (id, text, span of the text literal in the line).
    #[allow(clippy::type_complexity)]
    pub(super) fn parse_record(
        &self,
        line: &str,
    ) -> Result<(Option<String>, String, Range<usize>), String> {
        let fields: HashMap<String, &RawValue> =
            serde_json::from_str(line).map_err(|e| format!("malformed JSON record ({e})"))?;
        let raw = fields
            .get(&self.text_field)
            .ok_or_else(|| format!("no {:?} field", self.text_field))?;
        let lit = raw.get();
        let start = lit.as_ptr() as usize - line.as_ptr() as usize;
        let literal = start..start + lit.len();
        if line.get(literal.clone()) != Some(lit) || !lit.starts_with('"') {
            return Err(format!("field {:?} is not a string", self.text_field));
        }
        let text = json::decode_string(lit, 0, None)
            .map_err(|e| format!("field {:?}: {e}", self.text_field))?;
        let id = fields.get(&self.id_field).and_then(|raw| {
            let v = raw.get();
            if v.starts_with('"') {
                json::decode_string(v, 0, None).ok()
            } else if v == "null" {
                None
            } else {
                Some(v.to_string())
            }
        });
        Ok((id, text, literal))
    }
}

/// A JSONL record found by [`JsonlLines::line`].
pub(crate) struct Record {
    /// 0-based line in the file.
    pub(crate) record: u64,
    /// Its id, or `NAME:LINE`.
    pub(crate) id: String,
    /// The decoded text field.
    pub(crate) text: String,
    /// The text field's literal in the line (lossily decoded).
    pub(crate) literal: Range<usize>,
}

/// What reading a JSONL source's lines found besides records.
pub(crate) struct JsonlDone {
    pub(crate) malformed: usize,
    /// Records with invalid UTF-8.
    pub(crate) invalid_utf8: usize,
    /// Malformed lines (the first [`MAX_REPORTED_LINES`], then a count) and invalid
    /// UTF-8, in the order to report them.
    pub(crate) problems: Vec<Problem>,
}

/// The lines of one JSONL source, in order: the one parser of records, for reading
/// into memory and for streaming.
pub(crate) struct JsonlLines<'r> {
    reader: &'r CorpusReader,
    name: &'r str,
    next: u64,
    malformed: usize,
    lossy_lines: usize,
    invalid_utf8: usize,
    first_lossy: Option<(u64, usize, usize)>,
    problems: Vec<Problem>,
}

impl<'r> JsonlLines<'r> {
    pub(crate) fn new(reader: &'r CorpusReader, name: &'r str) -> JsonlLines<'r> {
        JsonlLines {
            reader,
            name,
            next: 0,
            malformed: 0,
            lossy_lines: 0,
            invalid_utf8: 0,
            first_lossy: None,
            problems: Vec::new(),
        }
    }

    /// The next line (without its `\n`), which starts at byte `start` of the source:
    /// its record, or `None` for a blank or malformed line.
    pub(crate) fn line(&mut self, line: &[u8], start: usize) -> Option<Record> {
        let this = self.next;
        self.next += 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            return None;
        }
        let text: Cow<'_, str> = match std::str::from_utf8(line) {
            Ok(s) => Cow::Borrowed(s),
            Err(_) => {
                let (text, _, count, first) = decode_lossy(line);
                self.lossy_lines += 1;
                self.first_lossy
                    .get_or_insert((this + 1, start + first, count));
                Cow::Owned(text)
            }
        };
        match self.reader.parse_record(&text) {
            Ok((id, doc_text, literal)) => {
                if matches!(text, Cow::Owned(_)) {
                    self.invalid_utf8 += 1;
                }
                Some(Record {
                    record: this,
                    id: id.unwrap_or_else(|| format!("{}:{}", self.name, this + 1)),
                    text: doc_text,
                    literal,
                })
            }
            Err(message) => {
                self.malformed += 1;
                if self.malformed <= MAX_REPORTED_LINES {
                    self.problems.push(Problem {
                        kind: ProblemKind::Malformed,
                        source: self.name.to_string(),
                        line: Some(this + 1),
                        offset: Some(start as u64),
                        message: format!("{message}, skipped"),
                    });
                }
                None
            }
        }
    }

    pub(crate) fn finish(mut self) -> JsonlDone {
        let name = self.name;
        if self.malformed > MAX_REPORTED_LINES {
            self.problems.push(Problem {
                kind: ProblemKind::Malformed,
                source: name.to_string(),
                line: None,
                offset: None,
                message: format!(
                    "{} more malformed lines, skipped (the first {MAX_REPORTED_LINES} are reported above)",
                    self.malformed - MAX_REPORTED_LINES
                ),
            });
        }
        if let Some((line, offset, count)) = self.first_lossy {
            let lossy_lines = self.lossy_lines;
            self.problems.push(Problem {
                kind: ProblemKind::InvalidUtf8,
                source: name.to_string(),
                line: Some(line),
                offset: Some(offset as u64),
                message: format!(
                    "invalid UTF-8 in {lossy_lines} line{} ({count} sequence{} in the first), \
                     decoded lossily for hashing; rewritten output keeps the original bytes",
                    plural(lossy_lines),
                    plural(count)
                ),
            });
        }
        JsonlDone {
            malformed: self.malformed,
            invalid_utf8: self.invalid_utf8,
            problems: self.problems,
        }
    }
}
