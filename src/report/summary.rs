//! The run's summary (standard error and `--stats-json`) and the progress lines.

use super::*;

/// What a run read, found and took, for the end-of-run summary ([`fmt::Display`]) and
/// `--stats-json` ([`Summary::to_json`]).
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct Summary {
    /// From reading.
    pub read: ReadStats,
    /// From the deduper, stage timings included.
    pub run: RunStats,
    /// Clusters found.
    pub clusters: usize,
    /// Paragraphs in clusters, representatives included.
    pub members: usize,
    /// Paragraphs a deduper removes (members but the kept one of each cluster).
    pub duplicate_paragraphs: usize,
    /// Bytes of those paragraphs.
    pub bytes_removable: u64,
    /// Threads the deduper ran on.
    pub threads: usize,
    /// Time to read the inputs.
    pub read_time: Duration,
    /// Time to write reports and outputs.
    pub write_time: Duration,
    /// Wall-clock time of the whole run.
    pub total_time: Duration,
    /// What was done with an [`Index`](crate::Index), when one was used.
    pub index: Option<IndexSummary>,
}

/// The index part of a [`Summary`]: loaded, matched against, saved.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct IndexSummary {
    /// Paragraphs in the index loaded, when one was.
    pub loaded: Option<usize>,
    /// Paragraphs of the input that matched a paragraph seen before: in the index
    /// loaded, or (streaming first-wins) kept earlier in the run; `None` when nothing
    /// was matched against an index (an index only saved).
    pub matched: Option<usize>,
    /// Paragraphs kept by a streaming first-wins pass, which has no clusters; `None`
    /// for a batch run.
    pub kept: Option<usize>,
    /// Paragraphs in the index saved, when one was.
    pub saved: Option<usize>,
    /// Time to load the index and its names.
    pub load_time: Duration,
    /// Time to sketch the input and match it against the index (first-wins: the whole
    /// streaming pass).
    pub match_time: Duration,
    /// Time to build the index to save (beyond the matching) and write it with its
    /// names.
    pub save_time: Duration,
}

impl Summary {
    /// The counts of a run; `removed` are the paragraphs it drops
    /// ([`rewrite::removals`]). Times are zero: set them.
    pub fn new(corpus: &Corpus, clusters: &Clusters, removed: &[rewrite::Removal]) -> Summary {
        Summary::from_read(corpus.stats(), clusters, removed)
    }

    /// [`Summary::new`] from the read counts alone (of a
    /// [`StreamCorpus`](crate::corpus::StreamCorpus), say).
    pub fn from_read(
        read: &ReadStats,
        clusters: &Clusters,
        removed: &[rewrite::Removal],
    ) -> Summary {
        Summary {
            read: *read,
            run: *clusters.stats(),
            clusters: clusters.len(),
            members: clusters.iter().map(|c| c.len()).sum(),
            duplicate_paragraphs: removed.len(),
            bytes_removable: removed.iter().map(|r| r.paragraph.len() as u64).sum(),
            ..Summary::default()
        }
    }

    /// One JSON object:
    ///
    /// ```json
    /// {"files":1,"documents":1,"paragraphs":24,"bytes":4370,"paragraph_bytes":4290,
    ///  "exact_duplicates":0,"clusters":1,"members":2,"duplicate_paragraphs":1,
    ///  "bytes_removable":296,"candidate_pairs":1,"verified_pairs":1,
    ///  "skipped":{"unreadable":0,"binary":0,"malformed":0},
    ///  "invalid_utf8":0,"threads":2,
    ///  "seconds":{"read":…,"paragraphs":…,"exact":…,"signatures":…,"candidates":…,
    ///             "verify":…,"cluster":…,"write":…,"total":…}}
    /// ```
    ///
    /// `bytes` counts the inputs after decompression, `paragraph_bytes` the text of
    /// their paragraphs; `candidate_pairs` and `verified_pairs` count pairs of distinct
    /// texts ([`RunStats`](crate::RunStats)); `seconds.total` is the wall-clock time of
    /// the whole run.
    ///
    /// With an index ([`Summary::index`]), two more members close the object:
    /// `"index":{"loaded":…,"matched":…,"kept":…,"saved":…}` (each `null` when no index
    /// was loaded, matched against, streamed through first-wins or saved) and
    /// `"index_seconds":{"load":…,"match":…,"save":…}`.
    pub fn to_json(&self) -> String {
        let mut out = self.to_json_without_index();
        if let Some(ix) = &self.index {
            let secs = |d: Duration| format!("{:.6}", d.as_secs_f64());
            let opt = |n: Option<usize>| n.map_or("null".to_string(), |n| n.to_string());
            out.pop();
            let _ = write!(
                out,
                ",\"index\":{{\"loaded\":{},\"matched\":{},\"kept\":{},\"saved\":{}}},\
                 \"index_seconds\":{{\"load\":{},\"match\":{},\"save\":{}}}}}",
                opt(ix.loaded),
                opt(ix.matched),
                opt(ix.kept),
                opt(ix.saved),
                secs(ix.load_time),
                secs(ix.match_time),
                secs(ix.save_time)
            );
        }
        out
    }

    fn to_json_without_index(&self) -> String {
        let t = &self.run.timings;
        let secs = |d: Duration| format!("{:.6}", d.as_secs_f64());
        format!(
            "{{\"files\":{},\"documents\":{},\"paragraphs\":{},\"bytes\":{},\"paragraph_bytes\":{},\
             \"exact_duplicates\":{},\"clusters\":{},\"members\":{},\"duplicate_paragraphs\":{},\
             \"bytes_removable\":{},\"candidate_pairs\":{},\"verified_pairs\":{},\"skipped\":{{\"unreadable\":{},\"binary\":{},\"malformed\":{}}},\
             \"invalid_utf8\":{},\"threads\":{},\"seconds\":{{\"read\":{},\"paragraphs\":{},\
             \"exact\":{},\"signatures\":{},\"candidates\":{},\"verify\":{},\"cluster\":{},\
             \"write\":{},\"total\":{}}}}}",
            self.read.sources,
            self.read.documents,
            self.run.paragraphs,
            self.read.bytes,
            self.run.bytes,
            self.run.exact_duplicates,
            self.clusters,
            self.members,
            self.duplicate_paragraphs,
            self.bytes_removable,
            self.run.candidates,
            self.run.verified,
            self.read.unreadable,
            self.read.binary,
            self.read.malformed,
            self.read.invalid_utf8,
            self.threads,
            secs(self.read_time),
            secs(t.paragraphs),
            secs(t.exact),
            secs(t.signatures),
            secs(t.candidates),
            secs(t.verify),
            secs(t.cluster),
            secs(self.write_time),
            secs(self.total_time),
        )
    }
}

/// `1234567` → `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A size in bytes, kB, MB or GB (powers of 10).
fn mb(bytes: u64) -> String {
    let b = bytes as f64;
    if b >= 1e9 {
        format!("{:.2} GB", b / 1e9)
    } else if b >= 1e6 {
        format!("{:.2} MB", b / 1e6)
    } else if b >= 1e3 {
        format!("{:.1} kB", b / 1e3)
    } else {
        format!("{bytes} bytes")
    }
}

/// `N things`, with `thing` made plural unless N is 1.
fn count(n: usize, thing: &str) -> String {
    let s = if n == 1 { "" } else { "s" };
    format!("{} {thing}{s}", thousands(n as u64))
}

fn rate(bytes: u64, d: Duration) -> String {
    let s = d.as_secs_f64();
    if s > 0.0 {
        format!("{:.1} MB/s", bytes as f64 / 1e6 / s)
    } else {
        "- MB/s".to_string()
    }
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

impl fmt::Display for Summary {
    /// The end-of-run summary, a few lines for people.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = &self.read;
        let t = &self.run.timings;
        writeln!(
            f,
            "read       {}, {}, {} in {} ({})",
            count(r.sources, "file"),
            mb(r.bytes),
            count(r.documents, "document"),
            secs(self.read_time),
            rate(r.bytes, self.read_time)
        )?;
        if r.unreadable + r.binary + r.malformed + r.invalid_utf8 > 0 {
            writeln!(
                f,
                "skipped    {} unreadable, {} binary, {} malformed JSONL lines; {} decoded lossily (invalid UTF-8)",
                r.unreadable, r.binary, r.malformed, r.invalid_utf8
            )?;
        }
        let pct = if self.run.bytes > 0 {
            100.0 * self.bytes_removable as f64 / self.run.bytes as f64
        } else {
            0.0
        };
        let groups = match self.index.and_then(|ix| ix.kept) {
            Some(kept) => format!("first-wins kept {}", thousands(kept as u64)),
            None => format!(
                "{} with {}",
                count(self.clusters, "cluster"),
                count(self.members, "member")
            ),
        };
        writeln!(
            f,
            "found      {} ({}): {}; {groups}",
            count(self.run.paragraphs, "paragraph"),
            mb(self.run.bytes as u64),
            count(self.run.exact_duplicates, "exact duplicate"),
        )?;
        if self.run.oversized_clusters > 0 {
            writeln!(
                f,
                "oversized  {} over the size limit (largest: {}): check them for chaining or boilerplate",
                count(self.run.oversized_clusters, "cluster"),
                count(self.run.largest_cluster, "member")
            )?;
        }
        writeln!(
            f,
            "removable  {}, {} ({pct:.2}% of paragraph bytes)",
            count(self.duplicate_paragraphs, "duplicate paragraph"),
            mb(self.bytes_removable)
        )?;
        writeln!(
            f,
            "time       read {}, paragraphs {}, exact {}, signatures {}, candidates {}, verify {}, cluster {}, write {}; total {}",
            secs(self.read_time),
            secs(t.paragraphs),
            secs(t.exact),
            secs(t.signatures),
            secs(t.candidates),
            secs(t.verify),
            secs(t.cluster),
            secs(self.write_time),
            secs(self.total_time)
        )?;
        if let Some(ix) = &self.index {
            writeln!(f, "index      {}", index_line(ix))?;
        }
        let total = self.total_time.as_secs_f64();
        let per_sec = if total > 0.0 {
            self.run.paragraphs as f64 / total
        } else {
            0.0
        };
        write!(
            f,
            "throughput {}, {} paragraphs/s on {}",
            rate(r.bytes, self.total_time),
            thousands(per_sec as u64),
            count(self.threads, "thread")
        )
    }
}

/// The summary's `index` line: what was loaded, matched and saved, with times.
fn index_line(ix: &IndexSummary) -> String {
    let mut parts = Vec::new();
    if let Some(n) = ix.loaded {
        parts.push(format!(
            "loaded {} in {}",
            count(n, "paragraph"),
            secs(ix.load_time)
        ));
    }
    if let Some(n) = ix.matched {
        parts.push(format!(
            "{} matched one seen before ({})",
            count(n, "paragraph"),
            secs(ix.match_time)
        ));
    }
    if let Some(n) = ix.saved {
        parts.push(format!(
            "saved {} in {}",
            count(n, "paragraph"),
            secs(ix.save_time)
        ));
    }
    parts.join("; ")
}

/// One line of progress while reading: `reading 12.30 / 48.00 MB  25%  92.1 MB/s  ETA
/// 0:04`, or without the total, percentage and ETA when the total is unknown.
pub fn progress_line(done: u64, total: Option<u64>, elapsed: Duration) -> String {
    let speed = rate(done, elapsed);
    match total {
        Some(total) if total > 0 => {
            let frac = (done as f64 / total as f64).min(1.0);
            let s = elapsed.as_secs_f64();
            let eta = if done > 0 && s > 0.0 {
                let left = (total.saturating_sub(done)) as f64 / (done as f64 / s);
                format!("{}:{:02}", left as u64 / 60, left as u64 % 60)
            } else {
                "-:--".to_string()
            };
            format!(
                "reading {:.2} / {:.2} MB  {:3.0}%  {speed}  ETA {eta}",
                done as f64 / 1e6,
                total as f64 / 1e6,
                frac * 100.0
            )
        }
        _ => format!("reading {:.2} MB  {speed}", done as f64 / 1e6),
    }
}

/// One line of progress while the deduper runs, from a [`Progress`](crate::Progress):
/// `signatures 120,000 / 165,288 paragraphs  73%  51,200 paragraphs/s  ETA 0:01` in the
/// per-paragraph stages (`elapsed` is the time spent in the current stage), and the
/// stage's name alone in the others.
pub fn stage_progress_line(
    stage: crate::Stage,
    done: u64,
    total: u64,
    elapsed: Duration,
) -> String {
    use crate::Stage;
    let name = match stage {
        Stage::Waiting => "starting",
        Stage::Paragraphs => "splitting paragraphs",
        Stage::Exact => "exact duplicates",
        Stage::Signatures => "signatures",
        Stage::Candidates => "finding candidates",
        Stage::Verify => "verifying candidates",
        Stage::Cluster => "clustering",
        _ => "done",
    };
    if total == 0 || !matches!(stage, Stage::Exact | Stage::Signatures) {
        return format!("{name}…");
    }
    let s = elapsed.as_secs_f64();
    let per_s = if s > 0.0 { done as f64 / s } else { 0.0 };
    let eta = if per_s > 0.0 {
        let left = total.saturating_sub(done) as f64 / per_s;
        format!("{}:{:02}", left as u64 / 60, left as u64 % 60)
    } else {
        "-:--".to_string()
    };
    format!(
        "{name} {} / {} paragraphs  {:3.0}%  {} paragraphs/s  ETA {eta}",
        thousands(done),
        thousands(total),
        (done as f64 / total as f64).min(1.0) * 100.0,
        thousands(per_s as u64)
    )
}
