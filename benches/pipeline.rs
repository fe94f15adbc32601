//! The whole pipeline, text in and clusters out (MB/s), on 1 thread and on all of them.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use paradup::Deduper;
use std::hint::black_box;

#[path = "common.rs"]
mod common;

fn bench(c: &mut Criterion) {
    let (corpus, planted) = common::corpus_with_near_duplicates(5000, 13);
    let docs = [corpus];
    let mut group = c.benchmark_group("pipeline");
    group.throughput(Throughput::Bytes(docs[0].len() as u64));
    group.sample_size(10);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    for t in [1, threads] {
        let d = Deduper::builder().threads(t).build().unwrap();
        group.bench_function(format!("threads_{t}"), |b| {
            b.iter(|| {
                let clusters = d.run(black_box(&docs));
                assert!(
                    clusters.duplicates() >= planted,
                    "{}",
                    clusters.duplicates()
                );
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
