//! The index against hostile files and huge buckets: crafted headers, truncated and
//! endless inputs, paths that are not files, and the top-k cap on matches.

use paradup::index::{CANDIDATE_LIMIT, DEFAULT_MAX_MATCHES, MAX_NUM_PERM};
use paradup::{Deduper, ErrorKind, Index, Match, Sketch, SplitMix64};
use std::io::Read;
use std::num::NonZeroUsize;
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

// ---- top-k ----

/// A random base signature of the default 128 permutations.
fn base_signature(seed: u64) -> Vec<u32> {
    let mut g = SplitMix64::new(seed);
    (0..128).map(|_| g.next_u64() as u32).collect()
}

/// `base` with `d` slots (spread by `salt`) replaced by values no other entry has.
fn edited(base: &[u32], d: usize, salt: u64) -> Vec<u32> {
    let mut sig = base.to_vec();
    let mut g = SplitMix64::new(salt ^ 0xed17);
    let mut changed = 0;
    while changed < d {
        let at = (g.next_u64() % 128) as usize;
        if sig[at] == base[at] {
            sig[at] = base[at] ^ (g.next_u64() as u32 | 1);
            changed += 1;
        }
    }
    sig
}

fn sketch(exact: u128, signature: Vec<u32>) -> Sketch {
    Sketch {
        exact,
        signature,
        has_shingles: true,
    }
}

fn summary(m: &[Match]) -> Vec<(u64, bool, f64)> {
    m.iter().map(|m| (m.key, m.exact, m.similarity)).collect()
}

#[test]
fn a_bucket_of_20000_near_identical_paragraphs_yields_the_best_k() {
    let d = Deduper::new();
    let mut index = Index::new(&d);
    let base = base_signature(1);
    // Entry i differs from the base in i % 40 slots (all still match at 0.6); keys in
    // insertion order, so a reloaded index numbers its slots the same way.
    for i in 0..20_000u64 {
        index.insert_sketch(i, &sketch(i as u128, edited(&base, (i % 40) as usize, i)));
    }
    // Three exact copies of the query's text, stored last.
    const COPY: u128 = u128::MAX - 1;
    for key in [20_002, 20_000, 20_001] {
        index.insert_sketch(key, &sketch(COPY, edited(&base, 5, key)));
    }
    let query = sketch(COPY, base.clone());
    let got = index.query_sketch(&query);
    assert_eq!(got.len(), DEFAULT_MAX_MATCHES);
    assert_eq!(DEFAULT_MAX_MATCHES, 16);
    // Exact copies first by key, then the base's identical signatures (every 40th key).
    let mut want: Vec<(u64, bool, f64)> = (20_000..20_003).map(|k| (k, true, 1.0)).collect();
    want.extend((0..13).map(|j| (40 * j, false, 1.0)));
    assert_eq!(summary(got.as_slice()), want);
    // Deterministic: again, on a clone, and after a save and load.
    assert_eq!(index.query_sketch(&query), got);
    assert_eq!(index.clone().query_sketch(&query), got);
    let reloaded = Index::from_bytes(&index.to_bytes()).unwrap();
    assert_eq!(reloaded.query_sketch(&query), got);

    // Without exact copies: the identical signatures, by key (each is among the first
    // CANDIDATE_LIMIT slots of band 0's bucket, since its key is below 2,048).
    let near = sketch(u128::MAX - 5, base.clone());
    assert!(index.query_sketch_top_k(&near, 0).is_empty());
    let got = index.query_sketch_top_k(&near, 40);
    let want_near: Vec<(u64, bool, f64)> = (0..40).map(|j| (40 * j, false, 1.0)).collect();
    assert!(40 * 39 < CANDIDATE_LIMIT as u64);
    assert_eq!(summary(got.as_slice()), want_near);

    // The cap can be set, and first-wins reports at most that many.
    index.set_max_matches(NonZeroUsize::new(3).unwrap());
    assert_eq!(index.max_matches(), 3);
    assert_eq!(summary(index.query_sketch(&query).as_slice()), want[..3]);
    let m = index.insert_sketch_if_new(99_999, &sketch(5, edited(&base, 2, 5)));
    assert_eq!(m.len(), 3);
    assert!(!index.contains(99_999));
}

/// The matches of `q` worked out over every stored sketch: exact copies, and sketches
/// that share a band and reach the threshold; best first, the first `k`.
fn naive(
    stored: &std::collections::BTreeMap<u64, Sketch>,
    q: &Sketch,
    index: &Index,
    k: usize,
) -> Vec<(u64, bool, f64)> {
    let p = index.params();
    let (bands, rows) = (p.lsh.bands, p.lsh.rows);
    let mut all: Vec<(u64, bool, f64)> = Vec::new();
    for (&key, s) in stored {
        if s.exact == q.exact {
            all.push((key, true, 1.0));
            continue;
        }
        let share = (0..bands).any(|b| {
            s.signature[b * rows..(b + 1) * rows] == q.signature[b * rows..(b + 1) * rows]
        });
        let equal = s
            .signature
            .iter()
            .zip(&q.signature)
            .filter(|(a, b)| a == b)
            .count();
        let sim = equal as f64 / s.signature.len() as f64;
        if share && sim >= p.threshold {
            all.push((key, false, sim));
        }
    }
    all.sort_by(|a, b| b.1.cmp(&a.1).then(b.2.total_cmp(&a.2)).then(a.0.cmp(&b.0)));
    all.truncate(k);
    all
}

#[test]
fn top_k_equals_a_naive_reference_below_the_limits() {
    let d = Deduper::new();
    let mut index = Index::new(&d);
    let mut stored = std::collections::BTreeMap::new();
    let bases = [base_signature(11), base_signature(12), base_signature(13)];
    for i in 0..600u64 {
        // 0 to 89 slots edited: some near, some below the threshold, some in no band.
        let sig = edited(&bases[(i % 3) as usize], ((i * 37) % 90) as usize, i);
        let exact = if i % 50 == 7 { 7777 } else { i as u128 };
        let s = sketch(exact, sig);
        index.insert_sketch(i, &s);
        stored.insert(i, s);
    }
    for key in (0..600u64).step_by(11) {
        assert!(index.remove(key));
        stored.remove(&key);
    }
    let mut queries: Vec<Sketch> = bases.iter().map(|b| sketch(1, b.clone())).collect();
    queries.push(sketch(7777, edited(&bases[1], 3, 1)));
    queries.extend((0..600u64).step_by(37).map(|k| {
        let s = stored.get(&k).unwrap_or_else(|| &stored[&(k + 1)]);
        sketch(s.exact, s.signature.clone())
    }));
    let mut total = 0;
    for q in &queries {
        for k in [1, 3, DEFAULT_MAX_MATCHES, 1000] {
            let got = index.query_sketch_top_k(q, k);
            let want = naive(&stored, q, &index, k);
            assert_eq!(summary(got.as_slice()), want, "k {k}");
            total += want.len();
        }
        assert_eq!(
            summary(index.query_sketch(q).as_slice()),
            naive(&stored, q, &index, DEFAULT_MAX_MATCHES)
        );
    }
    // The reference is not trivially empty, and the cap bit somewhere.
    assert!(total > 1000, "{total}");
    assert!(
        queries
            .iter()
            .any(|q| naive(&stored, q, &index, 1000).len() > DEFAULT_MAX_MATCHES)
    );
}
