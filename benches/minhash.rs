//! MinHash throughput: the kernel alone (shingles/s) and text → signature (MB/s).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use paradup::minhash::kernel::{Kernel, update_with};
use paradup::{MinHasher, Normalizer, ShingleKind, ShingleScratch, Shingler, SplitMix64};
use std::hint::black_box;

#[path = "common.rs"]
mod common;

fn bench(c: &mut Criterion) {
    // Kernel: 1000 sets of 100 random shingles, 128 permutations.
    let mut g = SplitMix64::new(3);
    let sets: Vec<Vec<u64>> = (0..1000)
        .map(|_| (0..100).map(|_| g.next_u64()).collect())
        .collect();
    let hasher = MinHasher::new(128);
    let expected: u64 = sets
        .iter()
        .map(|s| hasher.signature(s).slots()[0] as u64)
        .sum();
    let mut group = c.benchmark_group("minhash_kernel");
    group.throughput(Throughput::Elements(100 * 1000));
    group.bench_function("128_perm_100_shingles", |b| {
        let mut sig = vec![0u32; 128];
        b.iter(|| {
            let mut check = 0u64;
            for s in &sets {
                hasher.signature_into(black_box(s), &mut sig);
                check += sig[0] as u64;
            }
            assert_eq!(check, expected);
        })
    });
    // Each kernel explicitly, on the same input, for same-run ratios.
    let (a, bp) = hasher.params();
    for kernel in [Kernel::Scalar, Kernel::Avx2, Kernel::Avx512] {
        if !kernel.available() {
            continue;
        }
        group.bench_function(format!("{kernel:?}"), |b| {
            let mut sig = vec![0u32; 128];
            b.iter(|| {
                let mut check = 0u64;
                for s in &sets {
                    sig.fill(u32::MAX);
                    update_with(kernel, a, bp, black_box(s), &mut sig);
                    check += sig[0] as u64;
                }
                assert_eq!(check, expected);
            })
        });
    }
    group.finish();

    // Text → signature, normalization and shingling included, one thread: word 2-grams
    // (the Deduper's default) and 3-grams.
    let paras = common::paragraphs(2000, 100, 11);
    let bytes: usize = paras.iter().map(String::len).sum();
    let norm = Normalizer::new();
    let mut group = c.benchmark_group("text_to_minhash");
    group.throughput(Throughput::Bytes(bytes as u64));
    for (name, n) in [("words2_128_perm", 2), ("words3_128_perm", 3)] {
        let sh = Shingler::new(ShingleKind::Words(n));
        let expected: u64 = paras
            .iter()
            .map(|p| hasher.signature(&sh.shingles(&norm.normalize(p))).slots()[1] as u64)
            .sum();
        group.bench_function(name, |b| {
            let mut text = String::new();
            let mut scratch = ShingleScratch::default();
            let mut set = Vec::new();
            let mut sig = vec![0u32; 128];
            b.iter(|| {
                let mut check = 0u64;
                for p in &paras {
                    norm.normalize_into(black_box(p), &mut text);
                    sh.hashes_into(&text, &mut scratch, &mut set);
                    hasher.signature_into(&set, &mut sig);
                    check += sig[1] as u64;
                }
                assert_eq!(check, expected);
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
