//! Normalization and shingling throughput (MB/s of paragraph text).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use paradup::{Normalizer, ShingleKind, ShingleScratch, Shingler};
use std::hint::black_box;

#[path = "common.rs"]
mod common;

fn bench(c: &mut Criterion) {
    let paras = common::paragraphs(2000, 100, 7);
    let bytes: usize = paras.iter().map(String::len).sum();
    let ascii: Vec<String> = paras
        .iter()
        .map(|p| p.replace(['“', '”', '’'], "'"))
        .collect();
    let ascii_bytes: usize = ascii.iter().map(String::len).sum();
    let norm = Normalizer::new();
    let expected_words: usize = ascii
        .iter()
        .map(|p| norm.normalize(p).split(' ').count())
        .sum();

    let mut g = c.benchmark_group("normalize");
    g.throughput(Throughput::Bytes(ascii_bytes as u64));
    g.bench_function("ascii", |b| {
        let mut out = String::new();
        b.iter(|| {
            let mut words = 0;
            for p in &ascii {
                norm.normalize_into(black_box(p), &mut out);
                words += out.split(' ').count();
            }
            assert_eq!(words, expected_words);
        })
    });
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("unicode", |b| {
        let mut out = String::new();
        b.iter(|| {
            let mut total = 0;
            for p in &paras {
                norm.normalize_into(black_box(p), &mut out);
                total += out.len();
            }
            assert!(total > 0);
        })
    });
    g.finish();

    let normalized: Vec<String> = ascii.iter().map(|p| norm.normalize(p)).collect();
    let mut g = c.benchmark_group("shingle");
    g.throughput(Throughput::Bytes(ascii_bytes as u64));
    for kind in [ShingleKind::Words(3), ShingleKind::Chars(5)] {
        let sh = Shingler::new(kind);
        let expected: usize = normalized.iter().map(|p| sh.shingles(p).len()).sum();
        g.bench_function(format!("{kind:?}"), |b| {
            let mut scratch = ShingleScratch::default();
            let mut out = Vec::new();
            b.iter(|| {
                let mut total = 0;
                for p in &normalized {
                    sh.shingles_into(black_box(p), &mut scratch, &mut out);
                    total += out.len();
                }
                assert_eq!(total, expected);
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
