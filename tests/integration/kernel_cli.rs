//! `PARADUP_KERNEL` checked against the CPU: the example deduper run with a forced
//! kernel this CPU lacks, or a name no kernel has, exits 2 with the message of
//! `DeduperBuilder::build`'s error; every kernel the CPU has gives the same output.
//!
//! The variable is set on the child process only (tests run in parallel, and the
//! library reads it once per process).

use crate::dedup_cli::dedup_bin;
use paradup::minhash::kernel::{CpuFeatures, Kernel};
use std::process::{Command, Stdio};

/// The dedup example's exit status, standard output and standard error on the test
/// corpus, with `PARADUP_KERNEL` set to `kernel` (`None`: removed).
fn dedup_with_kernel(kernel: Option<&str>) -> (i32, String, String) {
    let mut cmd = Command::new(dedup_bin());
    cmd.args(["--format", "jsonl", "tests/data/dedup/corpus"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::null());
    match kernel {
        Some(k) => cmd.env("PARADUP_KERNEL", k),
        None => cmd.env_remove("PARADUP_KERNEL"),
    };
    let out = cmd.output().expect("run the dedup example");
    (
        out.status.code().expect("exit status"),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// The kernels this CPU can run, as the message lists them.
fn available() -> String {
    let names: Vec<&str> = CpuFeatures::detect()
        .available()
        .iter()
        .map(|k| k.name())
        .collect();
    names.join(", ")
}

#[test]
fn a_forced_kernel_this_cpu_lacks_exits_2_naming_it() {
    if Kernel::Avx512.available() {
        eprintln!("skipped: this CPU has AVX-512");
        return;
    }
    let (code, stdout, stderr) = dedup_with_kernel(Some("avx512"));
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(stdout, "");
    assert_eq!(
        stderr,
        format!(
            "dedup: error: PARADUP_KERNEL=avx512: this CPU lacks AVX-512 (F, DQ, BW); \
             available: {}\n",
            available()
        )
    );
}

#[test]
fn an_unknown_kernel_exits_2_naming_the_kernels() {
    let (code, stdout, stderr) = dedup_with_kernel(Some("bogus"));
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(stdout, "");
    assert_eq!(
        stderr,
        format!(
            "dedup: error: PARADUP_KERNEL=bogus: no such kernel (known: scalar, avx2, \
             avx512); available: {}\n",
            available()
        )
    );
}

#[test]
fn every_kernel_this_cpu_has_gives_the_same_output() {
    let (code, want, stderr) = dedup_with_kernel(None);
    assert_eq!(code, 0, "{stderr}");
    assert!(want.contains("\"cluster\":1"), "{want}");
    for k in Kernel::ALL.into_iter().filter(|k| k.available()) {
        let (code, got, stderr) = dedup_with_kernel(Some(k.name()));
        assert_eq!(code, 0, "{k:?}: {stderr}");
        assert_eq!(got, want, "{k:?}");
    }
    // An empty value is no value.
    assert_eq!(dedup_with_kernel(Some("")).1, want);
}
