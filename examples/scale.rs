//! Throughput and memory of the whole pipeline at scale, for several thread counts.
//!
//! ```text
//! cargo run --release --example scale -- --file corpus.txt.gz --threads 1,2
//! cargo run --release --example scale -- --synthetic 1000000 --threads 1,2
//! cargo run --release --example scale -- --stream --synthetic 10000000 --threads 2
//! cargo run --release --example scale -- --stream --synthetic 10000000 --memory-limit 1G
//! cargo run --release --example scale -- --stream --file corpus.txt.gz
//! ```
//!
//! In memory (the default): reads the corpus (plain or .gz) into memory once, or
//! generates `N` paragraphs from a fixed seed with the benches' generator (every tenth
//! a one-word edit of an earlier one), then runs the default Deduper once per thread
//! count and prints one table row each: paragraphs/s, MB/s, per-stage seconds,
//! clusters, and the process's peak resident memory so far.
//!
//! With `--stream`: nothing is held. `Deduper::run_stream` reads the file in pieces
//! (twice: the second pass verifies candidates), or a streaming generator makes `N`
//! paragraphs of 15–64 words over a 30,000-word Zipf-like vocabulary (every tenth a
//! one-word edit and every 37th an exact copy of one of the 4,096 before it), in
//! documents of 1,000 paragraphs, and makes them again for the second pass (the time
//! spent making text is left out of the seconds; reading a file is not). The row adds
//! the peak RSS per paragraph. Run one thread count per process for a clean peak
//! RSS figure.

use cli::{Command, Opt};
use paradup::Deduper;
use std::io::Read;
use std::path::PathBuf;
use std::time::Instant;

/// The benches' generator: a fixed-seed vocabulary, every tenth paragraph a one-word
/// edit of an earlier one.
#[path = "../benches/common.rs"]
mod common;

#[path = "common/cli.rs"]
mod cli;

/// The options, as parsed; [`Args::parse`] reads them.
#[derive(Debug)]
struct Args {
    file: Option<PathBuf>,
    synthetic: usize,
    threads: Vec<usize>,
    repeat: usize,
    stream: bool,
    memory_limit: Option<usize>,
    temp_dir: Option<PathBuf>,
}

impl Args {
    /// The command line: every option with its help, default and constraints.
    fn command() -> Command {
        Command::new("scale", "Pipeline throughput and memory at scale")
            .version(format!("paradup {}", env!("CARGO_PKG_VERSION")))
            .opt(
                Opt::value(
                    "file",
                    "FILE",
                    "A corpus file (plain text or .gz); paragraphs as the deduper splits them",
                )
                .path()
                .conflicts(&["synthetic"]),
            )
            .opt(
                Opt::value(
                    "synthetic",
                    "SYNTHETIC",
                    "Generate this many synthetic paragraphs instead of reading a file",
                )
                .default(1_000_000)
                .parses::<usize>(),
            )
            .opt(
                Opt::value(
                    "threads",
                    "THREADS",
                    "Thread counts to run, comma-separated",
                )
                .list()
                .default("1,2")
                .parses::<usize>(),
            )
            .opt(
                Opt::value(
                    "repeat",
                    "REPEAT",
                    "Runs per thread count (the fastest is reported)",
                )
                .default(1)
                .parses::<usize>(),
            )
            .opt(Opt::flag(
                "stream",
                "Stream the input through `Deduper::run_stream` instead of holding it",
            ))
            .opt(
                Opt::value(
                    "memory-limit",
                    "MEMORY_LIMIT",
                    "With --stream: keep the state on disk and at most about this many bytes \
                    of it in memory (suffixes K, M, G)",
                )
                .check(|s| parse_size(s).map(drop))
                .requires(&["stream"]),
            )
            .opt(
                Opt::value(
                    "temp-dir",
                    "TEMP_DIR",
                    "With --stream: where spill files go [default: the system's temporary \
                    directory]",
                )
                .path()
                .requires(&["stream"]),
            )
    }

    /// This process's options; prints the help, the version or a usage error (exit
    /// status 2) and exits where those are asked for or due.
    fn parse() -> Args {
        let m = Args::command().parse();
        Args {
            file: m.path("file"),
            synthetic: m.value("synthetic"),
            threads: m.list("threads"),
            repeat: m.value("repeat"),
            stream: m.flag("stream"),
            memory_limit: m.get_with("memory-limit", parse_size),
            temp_dir: m.path("temp-dir"),
        }
    }
}

/// `512M`, `4G`, `100000`: bytes.
fn parse_size(s: &str) -> Result<usize, String> {
    let (num, mul) = match s.trim().to_ascii_uppercase() {
        t if t.ends_with('K') => (t[..t.len() - 1].to_string(), 1usize << 10),
        t if t.ends_with('M') => (t[..t.len() - 1].to_string(), 1 << 20),
        t if t.ends_with('G') => (t[..t.len() - 1].to_string(), 1 << 30),
        t => (t, 1),
    };
    let n: f64 = num
        .parse()
        .map_err(|_| format!("not a size: {s} (try 512M or 2G)"))?;
    if n.is_nan() || n <= 0.0 {
        return Err(format!("size must be positive: {s}"));
    }
    Ok((n * mul as f64) as usize)
}

fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn main() {
    let args = Args::parse();
    if args.stream {
        return stream(&args);
    }
    let start = Instant::now();
    let corpus = match &args.file {
        Some(path) => {
            let mut raw = Vec::new();
            let f = std::fs::File::open(path).unwrap_or_else(|e| {
                eprintln!("scale: {}: {e}", path.display());
                std::process::exit(2)
            });
            let res = if path.extension().is_some_and(|e| e == "gz") {
                flate2::read::GzDecoder::new(f).read_to_end(&mut raw)
            } else {
                std::io::BufReader::new(f).read_to_end(&mut raw)
            };
            if let Err(e) = res {
                eprintln!("scale: {}: {e}", path.display());
                std::process::exit(2)
            }
            // Valid UTF-8 (the usual case) is taken as is; `from_utf8_lossy` copies
            // chunk by chunk (35 M of the 1,129 M instructions of a 5 MB run, callgrind).
            String::from_utf8(raw)
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
        }
        None => common::corpus_with_near_duplicates(args.synthetic, 42).0,
    };
    let mb = corpus.len() as f64 / 1e6;
    eprintln!(
        "input: {mb:.1} MB in {:.1} s",
        start.elapsed().as_secs_f64()
    );
    let rss_input = peak_rss_mib().unwrap_or(0.0);
    println!(
        "| threads | paragraphs | MB | seconds | MB/s | paragraphs/s | exact (with the defaults, band keys too) | signatures | candidates | verify | cluster | clusters | peak RSS MiB (input {rss_input:.0}) |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    let docs = [corpus];
    for &t in &args.threads {
        let d = Deduper::builder().threads(t).build().unwrap_or_else(|e| {
            eprintln!("scale: {e}");
            std::process::exit(2)
        });
        let mut best: Option<(f64, paradup::Clusters)> = None;
        for _ in 0..args.repeat.max(1) {
            let t0 = Instant::now();
            let progress = paradup::Progress::new();
            let (c, by_stage) = with_rss_sampling(&progress, || {
                d.try_run_documents_with_progress(&docs, &progress)
                    .expect("input too large for u32 ids")
            });
            eprintln!("{t} threads: peak RSS by stage (MiB, sampled every 50 ms): {by_stage}");
            let secs = t0.elapsed().as_secs_f64();
            if best.as_ref().is_none_or(|(b, _)| secs < *b) {
                best = Some((secs, c));
            }
        }
        let (secs, c) = best.expect("at least one run");
        let s = c.stats();
        let tm = &s.timings;
        println!(
            "| {t} | {} | {mb:.1} | {secs:.2} | {:.1} | {:.0} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {} | {:.0} |",
            s.paragraphs,
            mb / secs,
            s.paragraphs as f64 / secs,
            (tm.paragraphs + tm.exact).as_secs_f64(),
            tm.signatures.as_secs_f64(),
            tm.candidates.as_secs_f64(),
            tm.verify.as_secs_f64(),
            tm.cluster.as_secs_f64(),
            c.len(),
            peak_rss_mib().unwrap_or(0.0),
        );
    }
}

/// The streaming generator: fixed seed, nothing kept but the last 4,096 paragraphs.
struct Generator {
    rng: paradup::SplitMix64,
    vocab: Vec<String>,
    recent: Vec<String>,
    made: usize,
}

impl Generator {
    const RECENT: usize = 4_096;

    fn new() -> Generator {
        let mut rng = paradup::SplitMix64::new(20_261_127);
        const SYLLABLES: &[&str] = &[
            "an", "be", "ca", "de", "el", "for", "gra", "hi", "in", "jo", "ka", "lo", "mi", "ne",
            "or", "pa", "qui", "re", "sa", "te", "un", "ve", "wa", "xe", "yo", "ze", "th", "st",
            "ing", "er", "ly", "ous", "ment", "tion",
        ];
        let vocab = (0..30_000)
            .map(|i| {
                let n = 1 + (i % 4).min(rng.next_u64() as usize % 4);
                (0..n)
                    .map(|_| SYLLABLES[rng.next_u64() as usize % SYLLABLES.len()])
                    .collect::<String>()
            })
            .collect();
        Generator {
            rng,
            vocab,
            recent: Vec::with_capacity(Self::RECENT),
            made: 0,
        }
    }

    fn word(&mut self) -> &str {
        // Zipf-like: low indices (short, frequent words) dominate.
        let u = (self.rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        &self.vocab[(u * u * u * self.vocab.len() as f64) as usize]
    }

    fn paragraph(&mut self) -> String {
        self.made += 1;
        let pick = |g: &mut Generator| g.rng.next_u64() as usize % g.recent.len();
        let p = if self.made.is_multiple_of(37) && !self.recent.is_empty() {
            {
                let at = pick(self);
                self.recent[at].clone()
            }
        } else if self.made.is_multiple_of(10) && !self.recent.is_empty() {
            let at = pick(self);
            let src = self.recent[at].clone();
            let mut words: Vec<&str> = src.split(' ').collect();
            let at = self.rng.next_u64() as usize % words.len();
            let w = self.word().to_string();
            words[at] = &w;
            words.join(" ")
        } else {
            let n = 15 + self.rng.next_u64() as usize % 50;
            let mut p = String::with_capacity(n * 7);
            for i in 0..n {
                if i > 0 {
                    p.push(' ');
                }
                let w = self.rng.next_u64();
                p.push_str(self.word());
                if w.is_multiple_of(13) {
                    p.push(',');
                }
            }
            p.push('.');
            p
        };
        if self.recent.len() < Self::RECENT {
            self.recent.push(p.clone());
        } else {
            let at = self.made % Self::RECENT;
            self.recent[at] = p.clone();
        }
        p
    }
}

fn stream(args: &Args) {
    let mut config = paradup::StreamConfig::new();
    if let Some(limit) = args.memory_limit {
        config.memory_limit(limit);
    }
    if let Some(dir) = &args.temp_dir {
        config.temp_dir(dir);
    }
    println!(
        "| threads | paragraphs | MB | seconds | MB/s | paragraphs/s | paragraphs+exact | signatures | candidates | verify (2nd pass) | cluster | clusters | peak RSS MiB | peak RSS bytes/paragraph |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for &t in &args.threads {
        let d = Deduper::builder().threads(t).build().unwrap_or_else(|e| {
            eprintln!("scale: {e}");
            std::process::exit(2)
        });
        let mut bytes = 0usize;
        // Time spent making the synthetic text (both passes), not deduplicating it.
        let mut making = std::time::Duration::ZERO;
        let mut making_second = std::time::Duration::ZERO;
        let mut pass = 0;
        let t0 = Instant::now();
        let progress = paradup::Progress::new();
        let (result, by_stage) = with_rss_sampling(&progress, || {
            d.run_stream_with_progress(&config, &progress, |feed| {
                bytes = 0;
                pass += 1;
                match &args.file {
                    Some(path) => {
                        let f = std::fs::File::open(path).map_err(|e| {
                            paradup::ErrorKind::Io(format!("{}: {e}", path.display()))
                        })?;
                        let reader = std::io::BufReader::with_capacity(1 << 20, f);
                        bytes = std::fs::metadata(path).map_or(0, |m| m.len() as usize);
                        if path.extension().is_some_and(|e| e == "gz") {
                            feed.push_reader(flate2::read::MultiGzDecoder::new(reader))
                        } else {
                            feed.push_reader(reader)
                        }
                    }
                    None => {
                        let mut g = Generator::new();
                        let mut left = args.synthetic;
                        while left > 0 {
                            let n = left.min(1_000);
                            let made = Instant::now();
                            let mut doc = String::with_capacity(n * 300);
                            for i in 0..n {
                                if i > 0 {
                                    doc.push_str("\n\n");
                                }
                                doc.push_str(&g.paragraph());
                            }
                            bytes += doc.len();
                            let spent = made.elapsed();
                            making += spent;
                            if pass == 2 {
                                making_second += spent;
                            }
                            feed.push(&doc)?;
                            left -= n;
                        }
                        Ok(())
                    }
                }
            })
        });
        let secs = t0.elapsed().as_secs_f64() - making.as_secs_f64();
        let c = result.unwrap_or_else(|e| {
            eprintln!("scale: {e}");
            std::process::exit(1)
        });
        eprintln!("peak RSS by stage (MiB, sampled every 50 ms): {by_stage}");
        let s = c.stats();
        let tm = &s.timings;
        // For a file, the text's size is what the paragraphs span.
        let mb = if args.file.is_some() { s.bytes } else { bytes } as f64 / 1e6;
        let rss = peak_rss_mib().unwrap_or(0.0);
        println!(
            "| {t} | {} | {mb:.1} | {secs:.2} | {:.1} | {:.0} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {} | {rss:.0} | {:.0} |",
            s.paragraphs,
            mb / secs,
            s.paragraphs as f64 / secs,
            (tm.paragraphs + tm.exact).as_secs_f64(),
            tm.signatures.as_secs_f64(),
            tm.candidates.as_secs_f64(),
            (tm.verify - making_second).as_secs_f64(),
            tm.cluster.as_secs_f64(),
            c.len(),
            rss * 1048576.0 / s.paragraphs.max(1) as f64,
        );
    }
}

/// Runs `f` while a thread samples the resident set every 50 ms; returns `f`'s result
/// and the largest sample in each stage that `progress` went through, in order.
fn with_rss_sampling<R>(progress: &paradup::Progress, f: impl FnOnce() -> R) -> (R, String) {
    use std::sync::atomic::{AtomicBool, Ordering};
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let sampler = scope.spawn(|| {
            let mut peaks: Vec<(String, f64)> = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let stage = format!("{:?}", progress.stage());
                let rss = current_rss_mib().unwrap_or(0.0);
                match peaks.iter_mut().find(|(s, _)| *s == stage) {
                    Some((_, peak)) => *peak = peak.max(rss),
                    None => peaks.push((stage, rss)),
                }
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            peaks
        });
        let result = f();
        stop.store(true, Ordering::Relaxed);
        let peaks = sampler.join().expect("sampler thread");
        let text = peaks
            .iter()
            .map(|(stage, mib)| format!("{stage} {mib:.0}"))
            .collect::<Vec<_>>()
            .join(", ");
        (result, text)
    })
}

fn current_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}
