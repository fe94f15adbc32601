//! The default memory budget: a run without `--stream` or `--memory-limit` whose
//! inputs may not fit in memory runs as with `--memory-limit` instead of being killed.

use crate::args::{Args, SimilarityArg};
use paradup::corpus::Input;
use std::path::Path;

/// Bytes held in memory per byte of plain input text by the in-memory run, at its
/// peak, on the corpora measured (`docs/PERFORMANCE.md`): about 2 on ordinary text,
/// 6.5 on a duplicate-heavy one where most paragraphs are in clusters.
const HELD_PER_BYTE: u64 = 4;
/// Plain bytes per byte of a gzip file, for the estimate (text compresses 3 to 4 times).
const GZIP_RATIO: u64 = 4;

/// What the environment says the run may use: `PARADUP_MEMORY_BUDGET` (a size, or
/// `off` for no budget), else half of the smaller of the cgroup's memory limit and
/// the system's available memory. `None`: no budget (unset and nothing known, or `off`).
pub(crate) fn budget() -> Result<Option<u64>, String> {
    if let Some(value) = std::env::var_os("PARADUP_MEMORY_BUDGET") {
        let value = value.to_string_lossy();
        if value.eq_ignore_ascii_case("off") {
            return Ok(None);
        }
        return paradup::fsio::parse_size(&value)
            .map(|n| Some(n as u64))
            .map_err(|e| format!("PARADUP_MEMORY_BUDGET: {e}"));
    }
    let known = [cgroup_limit(), mem_available()];
    Ok(known.into_iter().flatten().min().map(|n| n / 2))
}

/// The memory limit of this process's cgroup (v2, then v1), if it has one.
fn cgroup_limit() -> Option<u64> {
    let own = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    let v2 = own.lines().find_map(|l| l.strip_prefix("0::")).map(|p| {
        Path::new("/sys/fs/cgroup")
            .join(p.trim_start_matches('/'))
            .join("memory.max")
    });
    let v1 = Path::new("/sys/fs/cgroup/memory/memory.limit_in_bytes").to_path_buf();
    let paths = v2
        .into_iter()
        .chain([Path::new("/sys/fs/cgroup/memory.max").to_path_buf(), v1]);
    paths
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .filter_map(|s| s.trim().parse::<u64>().ok())
        // cgroup v1 writes "no limit" as a number near 2^63.
        .find(|&n| n < 1 << 60)
}

/// `MemAvailable` of `/proc/meminfo`, in bytes.
fn mem_available() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// The in-memory run's estimated peak for `inputs` (`None`: standard input, whose
/// size is unknown), from the files' sizes: plain bytes (a gzip file's size times
/// [`GZIP_RATIO`]) times [`HELD_PER_BYTE`], once more with outputs that keep the
/// original bytes (`--write-deduped`, `--annotate`).
pub(crate) fn estimate(args: &Args, inputs: &[Input]) -> Option<u64> {
    if inputs.iter().any(|i| matches!(i, Input::Stdin)) {
        return None;
    }
    let files = paradup::corpus::plan_files(inputs).ok()?;
    let plain: u64 = files
        .iter()
        .filter_map(|f| {
            let len = std::fs::metadata(&f.path).ok()?.len();
            let gz = f
                .path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("gz"));
            Some(if gz {
                len.saturating_mul(GZIP_RATIO)
            } else {
                len
            })
        })
        .sum();
    let copies = HELD_PER_BYTE + u64::from(args.write_deduped.is_some() || args.annotate.is_some());
    Some(plain.saturating_mul(copies))
}

/// The `--memory-limit` to run with when none was asked for: the budget, when the
/// estimate for the inputs exceeds it and the run can be limited; with a note on
/// stderr (unless `-q`) saying so.
pub(crate) fn default_limit(args: &Args, inputs: &[Input]) -> Result<Option<usize>, String> {
    let explicit = args.stream || args.memory_limit.is_some() || args.temp_dir.is_some();
    let unlimitable = args.against.is_some()
        || args.save_index.is_some()
        || args.first_wins
        || args.similarity == SimilarityArg::Containment;
    if explicit || unlimitable {
        return Ok(None);
    }
    let Some(budget) = budget()? else {
        return Ok(None);
    };
    let Some(need) = estimate(args, inputs) else {
        return Ok(None);
    };
    if need <= budget {
        return Ok(None);
    }
    let (limit, shown) = round_size(budget);
    if !args.quiet {
        eprintln!(
            "dedup: note: the inputs may need about {} in memory, over the budget of {shown} \
             (half of the available memory, or PARADUP_MEMORY_BUDGET); running as with \
             --memory-limit {shown} (give --memory-limit, or PARADUP_MEMORY_BUDGET=off, to \
             choose)",
            round_size(need).1
        );
    }
    Ok(Some(usize::try_from(limit).unwrap_or(usize::MAX)))
}

/// `n` rounded down to whole MiB, else KiB, else bytes, and how `--memory-limit`
/// writes it (`12M`, `64K`, `900`).
fn round_size(n: u64) -> (u64, String) {
    for (unit, suffix) in [(1u64 << 20, "M"), (1 << 10, "K")] {
        if n >= unit {
            return (n / unit * unit, format!("{}{suffix}", n / unit));
        }
    }
    (n, n.to_string())
}
