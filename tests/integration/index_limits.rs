//! The index against hostile files: crafted headers, truncated and endless inputs,
//! paths that are not files.

use paradup::index::MAX_NUM_PERM;
use paradup::{Deduper, ErrorKind, Index};
use std::io::Read;
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

const GOLDEN: &[u8] = include_bytes!("../data/golden-index-v1.bin");

/// The header fields of a version-1 index, as the golden file has them.
#[derive(Clone, Copy)]
struct Head {
    flags: u8,
    kind: u8,
    reserved: [u8; 2],
    n: u32,
    num_perm: u32,
    bands: u32,
    rows: u32,
    threshold: f64,
    count: u64,
}

const GOOD: Head = Head {
    flags: 7,
    kind: 0,
    reserved: [0, 0],
    n: 3,
    num_perm: 16,
    bands: 5,
    rows: 3,
    threshold: 0.5,
    count: 0,
};

/// A header, then `body`, then a valid checksum: a forgery the checksum cannot catch.
fn forge(h: Head, body: &[u8]) -> Vec<u8> {
    let mut out = b"PARADUPI".to_vec();
    out.extend_from_slice(&1u32.to_le_bytes());
    out.extend_from_slice(&[h.flags, h.kind, h.reserved[0], h.reserved[1]]);
    out.extend_from_slice(&h.n.to_le_bytes());
    out.extend_from_slice(&0x5eedu64.to_le_bytes());
    out.extend_from_slice(&h.num_perm.to_le_bytes());
    out.extend_from_slice(&h.bands.to_le_bytes());
    out.extend_from_slice(&h.rows.to_le_bytes());
    out.extend_from_slice(&h.threshold.to_bits().to_le_bytes());
    out.extend_from_slice(&h.count.to_le_bytes());
    out.extend_from_slice(body);
    let sum = xxhash_rust::xxh3::xxh3_64(&out);
    out.extend_from_slice(&sum.to_le_bytes());
    out
}

/// Runs `f` on another thread and fails the test if it takes over 20 seconds (the old
/// reader blocked on a FIFO and read `/dev/zero` without end).
fn quickly<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(20))
        .expect("did not return within 20 seconds")
}

fn corrupt(bytes: &[u8]) -> String {
    match Index::from_bytes(bytes).unwrap_err().kind() {
        ErrorKind::IndexCorrupt(what) => what.clone(),
        k => panic!("expected IndexCorrupt, got {k:?}"),
    }
}

struct Temp(PathBuf);

impl Temp {
    fn new(tag: &str) -> Temp {
        let p = std::env::temp_dir().join(format!("paradup-limits-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Temp(p)
    }
}

impl Drop for Temp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn forged_headers_are_errors_before_any_allocation() {
    // The forgery of the golden header with no entries loads: the helper is right.
    let empty = Index::from_bytes(&forge(GOOD, &[])).unwrap();
    assert_eq!(empty.len(), 0);
    // 2^32 − 1 permutations aborted on allocation; 2^30 allocated 16 GiB.
    for num_perm in [u32::MAX, 1 << 30, MAX_NUM_PERM as u32 + 1, 0] {
        let bytes = forge(Head { num_perm, ..GOOD }, &[]);
        let what = quickly(move || corrupt(&bytes));
        assert_eq!(what, format!("num_perm {num_perm} (must be 1 to 65536)"));
    }
    let cases: [(Head, &str); 9] = [
        (
            Head { bands: 6, ..GOOD },
            "LSH banding 6 bands × 3 rows (must be at least 1 each, with bands × rows <= \
             num_perm = 16)",
        ),
        (
            Head {
                bands: u32::MAX,
                rows: u32::MAX,
                ..GOOD
            },
            "LSH banding 4294967295 bands × 4294967295 rows (must be at least 1 each, with \
             bands × rows <= num_perm = 16)",
        ),
        (
            Head { rows: 0, ..GOOD },
            "LSH banding 5 bands × 0 rows (must be at least 1 each, with bands × rows <= \
             num_perm = 16)",
        ),
        (
            Head {
                threshold: f64::NAN,
                ..GOOD
            },
            "threshold NaN (must be in (0, 1])",
        ),
        (Head { n: 0, ..GOOD }, "shingle size 0 (must be 1 to 65536)"),
        (
            Head {
                n: u32::MAX,
                ..GOOD
            },
            "shingle size 4294967295 (must be 1 to 65536)",
        ),
        (Head { kind: 2, ..GOOD }, "shingle kind 2 (must be 0 or 1)"),
        (Head { flags: 8, ..GOOD }, "normalizer flags 0x08"),
        (
            Head {
                reserved: [0, 1],
                ..GOOD
            },
            "reserved bytes 14..16 (not zero)",
        ),
    ];
    for (head, want) in cases {
        assert_eq!(corrupt(&forge(head, &[])), want);
    }
    // More entries than a u32 slot can name, whatever the length.
    assert_eq!(
        corrupt(&forge(
            Head {
                count: u64::MAX,
                ..GOOD
            },
            &[]
        )),
        "entry count 18446744073709551615 (at most 4294967295)"
    );
}

#[test]
fn entry_counts_beyond_the_input_are_truncation_errors() {
    // 2^32 − 1 entries of 65,536 permutations claimed by a 64-byte file.
    let bytes = forge(
        Head {
            num_perm: MAX_NUM_PERM as u32,
            bands: 1,
            rows: 1,
            count: u32::MAX as u64,
            ..GOOD
        },
        &[],
    );
    let want = ErrorKind::IndexTruncated {
        expected: 56 + (u32::MAX as usize) * (24 + 4 * MAX_NUM_PERM) + 8,
        found: 64,
    };
    assert_eq!(Index::from_bytes(&bytes).unwrap_err().kind(), &want);
    // The same through a file and through a reader.
    let dir = Temp::new("counts");
    let path = dir.0.join("forged.idx");
    std::fs::write(&path, &bytes).unwrap();
    assert_eq!(Index::load_any(&path).unwrap_err().kind(), &want);
    let err = Index::read_from(&bytes[..], &Deduper::new()).unwrap_err();
    assert_eq!(
        err.kind(),
        &ErrorKind::IndexTruncated {
            expected: want_expected(&want),
            found: 64,
        }
    );
    // A file cut inside its entries: an error naming both lengths, from every reader.
    let cut = &GOLDEN[..GOLDEN.len() - 20];
    std::fs::write(&path, cut).unwrap();
    let want = ErrorKind::IndexTruncated {
        expected: GOLDEN.len(),
        found: GOLDEN.len() - 20,
    };
    assert_eq!(Index::load_any(&path).unwrap_err().kind(), &want);
    assert_eq!(Index::from_bytes(cut).unwrap_err().kind(), &want);
    assert_eq!(
        Index::read_from(cut, &Deduper::new()).unwrap_err().kind(),
        &want
    );
    // A forged num_perm in a file is refused like in memory.
    let huge = forge(
        Head {
            num_perm: 1 << 30,
            ..GOOD
        },
        &[],
    );
    std::fs::write(&path, &huge).unwrap();
    let err = quickly(move || Index::load_any(&path).unwrap_err());
    assert_eq!(
        err.kind(),
        &ErrorKind::IndexCorrupt("num_perm 1073741824 (must be 1 to 65536)".to_string())
    );
}

fn want_expected(k: &ErrorKind) -> usize {
    match k {
        ErrorKind::IndexTruncated { expected, .. } => *expected,
        _ => unreachable!(),
    }
}

/// The golden bytes, then zeros without end; panics once `limit` bytes were read.
struct Endless {
    at: usize,
    limit: usize,
}

impl Read for Endless {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        assert!(self.at < self.limit, "read {} bytes", self.at);
        let n = buf.len().min(self.limit - self.at).min(1 << 16);
        for (i, b) in buf[..n].iter_mut().enumerate() {
            *b = GOLDEN.get(self.at + i).copied().unwrap_or(0);
        }
        self.at += n;
        Ok(n)
    }
}

#[test]
fn a_reader_is_read_no_further_than_the_index_and_a_bounded_tail() {
    let small = Deduper::builder()
        .num_perm(16)
        .lsh_params(5, 3)
        .shingles(paradup::ShingleKind::Words(3))
        .threshold(0.5)
        .build()
        .unwrap();
    // An index followed by an endless stream: a padded input, told after 1 MiB more.
    let reader = Endless {
        at: 0,
        limit: GOLDEN.len() + (4 << 20),
    };
    let err = Index::read_from(reader, &small).unwrap_err();
    assert_eq!(
        err.kind(),
        &ErrorKind::IndexTruncated {
            expected: GOLDEN.len(),
            found: GOLDEN.len() + (1 << 20),
        }
    );
    // The golden file alone still loads from a reader.
    assert_eq!(Index::read_from(GOLDEN, &small).unwrap().len(), 3);
}

#[cfg(target_os = "linux")]
#[test]
fn dev_zero_a_directory_and_a_fifo_are_refused_without_reading() {
    let err = quickly(|| Index::load_any("/dev/zero").unwrap_err());
    assert_eq!(
        err.to_string(),
        "I/O error: /dev/zero: not a regular file (a device, FIFO or socket); an index \
         is a regular file"
    );
    let err = quickly(|| Index::load("/dev/zero", &Deduper::new()).unwrap_err());
    assert!(matches!(err.kind(), ErrorKind::Io(_)), "{err}");
    let dir = Temp::new("special");
    let d = dir.0.clone();
    let err = quickly(move || Index::load_any(&d).unwrap_err());
    assert!(
        err.to_string()
            .ends_with("not a regular file (a directory); an index is a regular file"),
        "{err}"
    );
    // Opening a FIFO with no writer blocks: the check comes before the open.
    let fifo = dir.0.join("fifo");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if made.is_ok_and(|s| s.success()) {
        let err = quickly(move || Index::load_any(&fifo).unwrap_err());
        assert!(err.to_string().contains("not a regular file"), "{err}");
    }
}
