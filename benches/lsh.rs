//! LSH candidate search: band keys and sort-based buckets over precomputed signatures.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use paradup::lsh::banded::{band_key, bucket_edges};
use paradup::{LshIndex, LshParams, MinHasher, SplitMix64};
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let hasher = MinHasher::new(128);
    let params = LshParams::optimal(0.5, 128, Default::default()).unwrap();
    let mut g = SplitMix64::new(5);
    // 20,000 signatures of random 80-shingle sets; every 10th a copy of the one before
    // with 4 shingles changed (Jaccard ≈ 0.9), so each of those pairs is found.
    let mut sets: Vec<Vec<u64>> = Vec::new();
    for i in 0..20_000 {
        if i % 10 == 9 {
            let mut s: Vec<u64> = sets[i - 1].clone();
            for x in s.iter_mut().take(4) {
                *x = g.next_u64();
            }
            sets.push(s);
        } else {
            sets.push((0..80).map(|_| g.next_u64()).collect());
        }
    }
    let sigs: Vec<u32> = sets
        .iter()
        .flat_map(|s| hasher.signature(s).slots().to_vec())
        .collect();
    let n = sets.len();

    let mut group = c.benchmark_group("lsh");
    group.throughput(Throughput::Elements(n as u64));
    group.bench_function("batch_candidates_20k", |b| {
        let mut buf = Vec::new();
        b.iter(|| {
            let mut edges = Vec::new();
            for band in 0..params.bands {
                let mut keys: Vec<(u64, u32)> = (0..n)
                    .map(|i| {
                        (
                            band_key(params, band, &sigs[i * 128..(i + 1) * 128], &mut buf),
                            i as u32,
                        )
                    })
                    .collect();
                bucket_edges(black_box(&mut keys), &mut edges);
            }
            edges.sort_unstable();
            edges.dedup();
            let planted = (9..n)
                .step_by(10)
                .filter(|&i| edges.binary_search(&(i as u32 - 1, i as u32)).is_ok())
                .count();
            assert_eq!(planted, n / 10);
        })
    });
    group.bench_function("index_insert_query_20k", |b| {
        b.iter(|| {
            let mut index = LshIndex::new(params);
            for i in 0..n {
                index.insert(i as u32, &sigs[i * 128..(i + 1) * 128]);
            }
            let found = index.query(&sigs[19 * 128..20 * 128]);
            assert!(found.contains(&18) && found.contains(&19));
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
