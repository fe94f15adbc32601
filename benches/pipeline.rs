//! The whole pipeline, text in and clusters out (MB/s), on 1 thread and on all of them;
//! and the same text through `run_stream` (in 1 MiB batches, read twice), in memory
//! and spilling every batch's band keys to disk, on 1 thread.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use paradup::{Deduper, StreamConfig};
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
                let clusters = d.run_documents(black_box(&docs));
                assert!(
                    clusters.duplicates() >= planted,
                    "{}",
                    clusters.duplicates()
                );
            })
        });
    }
    let d = Deduper::builder().threads(1).build().unwrap();
    let want = d.run_documents(&docs);
    for (name, limit) in [
        ("stream_threads_1", None),
        ("stream_spill_threads_1", Some(1)),
    ] {
        let mut config = StreamConfig::new();
        config.batch_bytes(1 << 20);
        if let Some(l) = limit {
            config.memory_limit(l);
        }
        group.bench_function(name, |b| {
            b.iter(|| {
                let clusters = d
                    .run_stream(&config, |feed| {
                        feed.push_reader(black_box(docs[0].as_bytes()))
                    })
                    .unwrap();
                assert_eq!(clusters.as_slice(), want.as_slice());
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
