use super::super::files::encode_paragraph;
use super::super::spill::Disk;
use super::*;
use std::fs;

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("paradup-disk-{name}-{}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn run(dir: &Path, name: &str, records: &[[u8; 12]]) -> (PathBuf, u64) {
    let mut out = Out::create(dir.join(name)).unwrap();
    for r in records {
        out.put(r).unwrap();
    }
    out.finish().unwrap()
}

/// 150 sorted runs (more than the fan-in, so they are merged in two rounds) give
/// every record once, in order, and the intermediate files are removed.
#[test]
fn narrowing_and_merging_many_runs_keeps_every_record_in_order() {
    let dir = temp("merge");
    let mut all = Vec::new();
    let mut runs = Vec::new();
    let mut x: u64 = 7;
    for r in 0..150 {
        let mut recs: Vec<[u8; 12]> = (0..(r % 9))
            .map(|_| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let mut rec = [0u8; 12];
                rec[..8].copy_from_slice(&(x >> 40).to_be_bytes());
                rec[8..].copy_from_slice(&(r as u32).to_be_bytes());
                rec
            })
            .collect();
        recs.sort_unstable();
        all.extend_from_slice(&recs);
        runs.push(run(&dir, &format!("r{r}.bin"), &recs));
    }
    all.sort_unstable();
    let narrowed = narrow::<12>(runs, &dir, "t").unwrap();
    assert_eq!(narrowed.len(), 3);
    let mut merge = Merge::<12>::open(&narrowed).unwrap();
    let mut got = Vec::new();
    while let Some(rec) = merge.next().unwrap() {
        got.push(rec);
    }
    assert_eq!(got, all);
    assert_eq!(
        fs::read_dir(&dir).unwrap().count(),
        3,
        "merged runs removed"
    );
    fs::remove_dir_all(&dir).unwrap();
}

/// A key in several runs maps its later ids to its first; others map to themselves.
#[test]
fn canonical_ids_come_from_equal_keys_in_different_runs() {
    let dir = temp("canonical");
    let mut disk = Disk::new(&dir).unwrap();
    let mut seen = KeyMap::default();
    for (key, id) in [(5u128, 0u32), (9, 1), (2, 2)] {
        seen.insert(key, id);
    }
    disk.spill_keys(&mut seen).unwrap();
    assert!(seen.is_empty());
    for (key, id) in [(9u128, 3u32), (4, 4), (5, 5)] {
        seen.insert(key, id);
    }
    disk.spill_keys(&mut seen).unwrap();
    seen.insert(9, 6);
    disk.spill_keys(&mut seen).unwrap();
    let c = Canonical::resolve(disk.key_runs, &dir, 7).unwrap();
    assert_eq!(c.dups, vec![(3, 1), (5, 0), (6, 1)]);
    let mapped: Vec<u32> = (0..7).map(|p| c.of(p)).collect();
    assert_eq!(mapped, vec![0, 1, 2, 1, 4, 0, 1]);
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn paragraphs_round_trip_through_their_records() {
    let p = Paragraph {
        doc: u32::MAX,
        index: 3,
        line: u64::MAX - 1,
        start: 1 << 40,
        end: (1 << 40) + 17,
    };
    assert_eq!(decode_paragraph(&encode_paragraph(&p)), p);
}

/// Near-copies of near-copies (so some members fail their representative and
/// anti-chaining reads the candidates among them), in `docs` documents.
fn chained_corpus(docs: usize) -> Vec<String> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut below = |n: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % n
    };
    let mut pool: Vec<Vec<String>> = Vec::new();
    let mut out = Vec::new();
    for _ in 0..docs {
        let mut paras = Vec::new();
        for _ in 0..1 + below(6) {
            let words = if pool.is_empty() || below(3) == 0 {
                (0..10 + below(10))
                    .map(|_| format!("w{}", below(500)))
                    .collect()
            } else {
                let mut words = pool[below(pool.len() as u64) as usize].clone();
                let at = below(words.len() as u64) as usize;
                words[at] = format!("v{}", below(500));
                words
            };
            paras.push(words.join(" "));
            pool.push(words);
        }
        out.push(paras.join("\n\n"));
    }
    out
}

/// Under a memory limit, verification in rounds of a few pairs with windows of a
/// few texts verifies the same pairs as the in-memory run, and the clusters (split
/// by anti-chaining from the candidates among the failed members) are the same.
#[test]
fn joining_rounds_under_a_limit_verify_the_pairs_of_the_in_memory_run() {
    let docs = chained_corpus(150);
    for anti_chaining in [true, false] {
        for round in [1, 3, 64] {
            let mut d = crate::Deduper::builder()
                .all_pairs(false)
                .anti_chaining(anti_chaining)
                .paragraphs(crate::ParagraphMode::BlankLines)
                .build()
                .unwrap();
            d.join_round = round;
            let want = d.run_documents(&docs);
            let all = crate::Deduper::builder()
                .anti_chaining(anti_chaining)
                .paragraphs(crate::ParagraphMode::BlankLines)
                .build()
                .unwrap()
                .run_documents(&docs);
            assert!(want.len() >= 20, "{}", want.len());
            assert!(want.stats().verified < all.stats().verified);
            assert_eq!(want.as_slice(), all.as_slice());
            if anti_chaining {
                assert!(want.stats().split_off > 0, "no chain split");
            }
            let mut config = StreamConfig::new();
            config.batch_bytes(500).memory_limit(1);
            let got = d
                .run_stream(&config, |feed| {
                    docs.iter().try_for_each(|doc| feed.push(doc))
                })
                .unwrap();
            assert_eq!(got, want, "round {round}, anti-chaining {anti_chaining}");
        }
    }
}
