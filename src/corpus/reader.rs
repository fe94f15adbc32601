//! [`CorpusReader`]: inputs read into a [`Corpus`], by the rules of the module docs.

use super::*;

/// Reads inputs into a [`Corpus`]; see the [module docs](crate::corpus) for the rules.
///
/// ```
/// use paradup::corpus::{CorpusReader, Input};
///
/// let jsonl = br#"{"id":"a","text":"One.\n\nTwo."}
/// not json
/// {"text":"Three."}
/// "#;
/// let inputs = [Input::Bytes { name: "x.jsonl".into(), bytes: jsonl.to_vec() }];
/// let corpus = CorpusReader::new().read(&inputs, |_| {}).unwrap();
/// assert_eq!(corpus.documents().len(), 2);
/// assert_eq!(corpus.documents()[0].text(), "One.\n\nTwo.");
/// assert_eq!(corpus.name_of(1), "x.jsonl:3");
/// assert_eq!(corpus.stats().malformed, 1);
/// assert_eq!(corpus.problems()[0].to_string(), "x.jsonl:2: malformed JSON record (expected ident at line 1 column 2), skipped (byte 33)");
/// ```
#[derive(Clone, Debug)]
pub struct CorpusReader {
    pub(super) format: InputFormat,
    pub(super) text_field: String,
    pub(super) id_field: String,
    pub(super) keep_original: bool,
    pub(super) spool_dir: Option<PathBuf>,
    pub(super) threads: usize,
}

impl Default for CorpusReader {
    fn default() -> CorpusReader {
        CorpusReader {
            format: InputFormat::Auto,
            text_field: "text".to_string(),
            id_field: "id".to_string(),
            keep_original: true,
            spool_dir: None,
            threads: 1,
        }
    }
}

impl CorpusReader {
    /// A reader with the defaults.
    pub fn new() -> CorpusReader {
        CorpusReader::default()
    }

    /// How to read inputs. Default: [`InputFormat::Auto`].
    pub fn format(&mut self, format: InputFormat) -> &mut Self {
        self.format = format;
        self
    }

    /// The JSONL field holding the text. Default: `text`.
    pub fn text_field(&mut self, name: &str) -> &mut Self {
        self.text_field = name.to_string();
        self
    }

    /// The JSONL field holding the id. Default: `id`.
    pub fn id_field(&mut self, name: &str) -> &mut Self {
        self.id_field = name.to_string();
        self
    }

    /// Whether to keep the original bytes of JSONL sources and of text sources that
    /// are not valid UTF-8, which writing back needs. Text sources in valid UTF-8 are
    /// their own original and cost nothing. Default: true.
    pub fn keep_original(&mut self, keep: bool) -> &mut Self {
        self.keep_original = keep;
        self
    }

    /// Tasks that read a large plain file (8 MiB or more, not compressed), a megabyte
    /// piece at a time by positional reads, so that the kernel's copy, the page faults
    /// of the buffer and the UTF-8 check are shared out. They run on the current rayon
    /// pool (the calling thread runs one), so at most as many run at once as the pool
    /// has threads. The result is the same for any count. Default: 1.
    ///
    /// Reading the 48 MB corpus takes about 0.035 s on one thread and 0.018 s on two
    /// (`docs/PERFORMANCE.md`).
    pub fn threads(&mut self, threads: usize) -> &mut Self {
        self.threads = threads.max(1);
        self
    }

    /// Reads `inputs` in order, pushing progress and problems to `on_event`.
    ///
    /// Errors, before anything is read: a path that does not exist, or `-` twice.
    /// Everything else is a [`Problem`] and reading goes on.
    pub fn read(
        &self,
        inputs: &[Input],
        mut on_event: impl FnMut(Event<'_>),
    ) -> Result<Corpus, ReadError> {
        let on_event: &mut dyn FnMut(Event<'_>) = &mut on_event;
        let mut corpus = Corpus::default();
        let (planned, mut progress) = plan(inputs, &mut corpus, on_event)?;
        for p in planned {
            let (name, path, relative, loaded, id, bytes) = match p {
                Planned::File { path, relative, .. } => {
                    let name = path_name(&path);
                    let mut id = None;
                    let loaded = fs::File::open(&path)
                        .map_err(|e| e.to_string())
                        .and_then(|f| {
                            let meta = f.metadata().ok();
                            id = meta.as_ref().and_then(|m| FileId::from_metadata(&path, m));
                            let size = meta.filter(fs::Metadata::is_file).map_or(0, |m| m.len());
                            match load_pieces(&f, size, self.threads) {
                                Some(content) => {
                                    progress.done += size;
                                    progress.report(on_event, false);
                                    Ok((content, Compression::None))
                                }
                                None => load(f, size, &mut progress, on_event)
                                    .map(|(b, c)| (Content::Bytes(b), c)),
                            }
                        });
                    (name, Some(path), relative, loaded, id, None)
                }
                Planned::Stdin => {
                    let loaded = load(io::stdin().lock(), 0, &mut progress, on_event)
                        .map(|(b, c)| (Content::Bytes(b), c));
                    let compression = match loaded {
                        Ok((_, c)) => c,
                        Err(_) => Compression::None,
                    };
                    let relative = stdin_relative(self.format, compression);
                    ("-".to_string(), None, relative, loaded, None, None)
                }
                Planned::Bytes { name, bytes } => {
                    let relative = Path::new(&name)
                        .file_name()
                        .map_or_else(|| PathBuf::from("input"), PathBuf::from);
                    let loaded = load(&bytes[..], bytes.len() as u64, &mut progress, on_event)
                        .map(|(b, c)| (Content::Bytes(b), c));
                    (name, None, relative, loaded, None, Some(bytes))
                }
            };
            match loaded {
                Err(message) => corpus.report(
                    Problem {
                        kind: ProblemKind::Unreadable,
                        source: name,
                        line: None,
                        offset: None,
                        message: format!("{message}; skipped"),
                    },
                    on_event,
                ),
                Ok((content, compression)) => {
                    let source = Source {
                        name,
                        path,
                        relative,
                        format: InputFormat::Auto,
                        compression,
                        documents: 0..0,
                        original: Original::Dropped,
                        id,
                    };
                    self.add_source(&mut corpus, source, content, bytes, on_event);
                }
            }
        }
        progress.report(on_event, true);
        corpus.stats.documents = corpus.documents.len();
        Ok(corpus)
    }

    /// Adds one loaded source (or skips it as binary; `raw`: an in-memory input's
    /// bytes, kept if it is skipped).
    fn add_source(
        &self,
        corpus: &mut Corpus,
        mut source: Source,
        content: Content,
        raw: Option<Vec<u8>>,
        on_event: &mut dyn FnMut(Event<'_>),
    ) {
        let bytes = content.as_bytes();
        if !content.nul_free()
            && let Some(nul) = memchr::memchr(0, bytes)
        {
            let line = 1 + bytes[..nul].iter().filter(|&&b| b == b'\n').count() as u64;
            corpus.skip_binary(source, raw, nul as u64, line, on_event);
            return;
        }
        source.format = match self.format {
            InputFormat::Auto if is_jsonl_name(&source.relative) => InputFormat::Jsonl,
            InputFormat::Auto => InputFormat::Text,
            f => f,
        };
        let index = corpus.sources.len() as u32;
        let first = corpus.documents.len();
        corpus.stats.sources += 1;
        corpus.stats.bytes += bytes.len() as u64;
        match source.format {
            InputFormat::Jsonl => {
                let bytes = content.into_bytes();
                self.add_records(corpus, index, &source.name, &bytes, on_event);
                source.original = if self.keep_original {
                    Original::Bytes(bytes)
                } else {
                    Original::Dropped
                };
            }
            _ => {
                let crs = lone_crs(bytes).map(|(count, first)| {
                    let line = 1 + memchr::memchr_iter(b'\n', &bytes[..first]).count() as u64;
                    lone_cr_note(&source.name, line, count, first)
                });
                let checked = match content {
                    Content::Checked(checked, _) => checked,
                    Content::Bytes(bytes) => crate::arch::utf8_string(bytes, self.threads),
                };
                let (text, map) = match checked {
                    Ok(text) => {
                        source.original = Original::Text;
                        (text, None)
                    }
                    Err(e) => {
                        let bytes = e.into_bytes();
                        let (text, map, count, first_bad) = decode_lossy(&bytes);
                        corpus.stats.invalid_utf8 += 1;
                        corpus.report(
                            invalid_utf8(&source.name, &bytes, count, first_bad),
                            on_event,
                        );
                        source.original = if self.keep_original {
                            Original::Bytes(bytes)
                        } else {
                            Original::Dropped
                        };
                        (text, Some(map))
                    }
                };
                if let Some(note) = crs {
                    corpus.report(note, on_event);
                }
                corpus.documents.push(Document {
                    source: index,
                    record: None,
                    id: None,
                    text,
                    origin: Origin::Text(map),
                });
            }
        }
        source.documents = first..corpus.documents.len();
        corpus.sources.push(source);
    }

    /// The records of a JSONL source.
    fn add_records(
        &self,
        corpus: &mut Corpus,
        source: u32,
        name: &str,
        bytes: &[u8],
        on_event: &mut dyn FnMut(Event<'_>),
    ) {
        let mut lines = JsonlLines::new(self, name);
        let mut pos = 0;
        while pos < bytes.len() {
            let end = bytes[pos..]
                .iter()
                .position(|&b| b == b'\n')
                .map_or(bytes.len(), |i| pos + i);
            let start = pos;
            pos = end + 1;
            if let Some(r) = lines.line(&bytes[start..end], start) {
                corpus.documents.push(Document {
                    source,
                    record: Some(r.record),
                    id: Some(r.id),
                    text: r.text,
                    origin: Origin::Jsonl {
                        line: start..end,
                        literal: r.literal,
                    },
                });
            }
        }
        let done = lines.finish();
        corpus.stats.malformed += done.malformed;
        corpus.stats.invalid_utf8 += done.invalid_utf8;
        for p in done.problems {
            corpus.report(p, on_event);
        }
    }
}
