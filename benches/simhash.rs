//! SimHash: the per-feature kernel (features/s), text → fingerprint (MB/s), and the
//! Hamming search of all pairs within 3 bits among a million fingerprints.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use paradup::simhash::{Accumulator, hamming};
use paradup::{
    HammingIndex, HammingParams, HammingSearch, Normalizer, ShingleKind, SimHashScratch, SimHasher,
    SplitMix64,
};
use std::hint::black_box;

#[path = "common.rs"]
mod common;

fn kernel(c: &mut Criterion) {
    // 1000 paragraphs of 100 random feature hashes each.
    let mut g = SplitMix64::new(21);
    let sets: Vec<Vec<u64>> = (0..1000)
        .map(|_| (0..100).map(|_| g.next_u64()).collect())
        .collect();
    // The expected answer from single additions; the bench times `add_all`, the path
    // the fingerprints of paragraphs take.
    let fingerprint = |s: &[u64]| {
        let mut acc = Accumulator::new();
        for &h in s {
            acc.add(h);
        }
        acc.fingerprint()
    };
    let expected: u64 = sets.iter().fold(0, |x, s| x ^ fingerprint(s));
    let mut group = c.benchmark_group("simhash_kernel");
    group.throughput(Throughput::Elements(100 * 1000));
    group.bench_function("byte_lanes_100_features", |b| {
        let mut acc = Accumulator::new();
        b.iter(|| {
            let mut check = 0u64;
            for s in &sets {
                acc.clear();
                acc.add_all(black_box(s));
                check ^= acc.fingerprint();
            }
            assert_eq!(check, expected);
        })
    });
    group.finish();
}

fn text(c: &mut Criterion) {
    // Text → fingerprint, normalization included, one thread.
    let paras = common::paragraphs(2000, 100, 11);
    let bytes: usize = paras.iter().map(String::len).sum();
    let norm = Normalizer::new();
    let mut group = c.benchmark_group("text_to_simhash");
    group.throughput(Throughput::Bytes(bytes as u64));
    for (name, kind) in [
        ("words1_tf", ShingleKind::Words(1)),
        ("chars4_tf", ShingleKind::Chars(4)),
    ] {
        let hasher = SimHasher::new(kind);
        let expected: u64 = paras.iter().fold(0, |x, p| {
            x ^ hasher.fingerprint_normalized(&norm.normalize(p))
        });
        group.bench_function(name, |b| {
            let mut text = String::new();
            let mut scratch = SimHashScratch::default();
            b.iter(|| {
                let mut check = 0u64;
                for p in &paras {
                    norm.normalize_into(black_box(p), &mut text);
                    check ^= hasher.fingerprint_normalized_with(&text, &mut scratch);
                }
                assert_eq!(check, expected);
            })
        });
    }
    group.finish();
}

/// A million random fingerprints, in which fingerprint `2i + 1` is fingerprint `2i`
/// with 1 to 3 bits flipped for `i < 1000`: those 1000 pairs are the answer at k = 3
/// (two random fingerprints are within 3 bits with probability 2.4e-15, so among the
/// 5e11 other pairs no more are expected, and the setup checks there are none).
fn planted_million() -> (Vec<u64>, Vec<(u32, u32)>) {
    let mut g = SplitMix64::new(33);
    let mut fps: Vec<u64> = (0..1_000_000).map(|_| g.next_u64()).collect();
    let mut planted = Vec::new();
    for i in 0..1000 {
        let mut near = fps[2 * i];
        while hamming(near, fps[2 * i]) == 0 {
            for _ in 0..1 + g.next_u64() % 3 {
                near ^= 1 << (g.next_u64() % 64);
            }
        }
        fps[2 * i + 1] = near;
        planted.push((2 * i as u32, 2 * i as u32 + 1));
    }
    (fps, planted)
}

fn search(c: &mut Criterion) {
    let (fps, planted) = planted_million();
    let params = HammingParams::for_size(3, fps.len());
    let search = HammingSearch::new(params);
    assert_eq!(search.all_pairs(&fps), planted);
    let mut group = c.benchmark_group("hamming_search");
    group.sample_size(10);
    group.throughput(Throughput::Elements(fps.len() as u64));
    group.bench_function("all_pairs_1m_k3", |b| {
        b.iter(|| {
            let pairs = search.all_pairs(black_box(&fps));
            assert_eq!(pairs.len(), planted.len());
            assert_eq!(pairs[999], (1998, 1999));
        })
    });
    // Incremental: insert 100,000, then query each planted one.
    let n = 100_000;
    group.throughput(Throughput::Elements(n as u64));
    group.bench_function("index_insert_100k_query_k3", |b| {
        b.iter(|| {
            let mut index = HammingIndex::new(HammingParams::for_size(3, n));
            for (i, &fp) in fps[..n].iter().enumerate() {
                index.insert(i as u32, fp);
            }
            let found: usize = (0..1000).map(|i| index.query(fps[2 * i]).len()).sum();
            assert_eq!(found, 2000);
        })
    });
    group.finish();
}

criterion_group!(benches, kernel, text, search);
criterion_main!(benches);
