//! The whole pipeline, text in and clusters out (MB/s), on 1 thread and on all of them;
//! and the same text through `run_stream` (in 1 MiB batches, read twice), in memory
//! and spilling every batch's band keys to disk, on 1 thread; and a duplicate-heavy
//! corpus (most paragraphs near-copies of another, one paragraph per item), on 1
//! thread.

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

/// 1,500 paragraphs and 5 near-copies of each (9,000 paragraphs, 4 MB): 83% of the
/// paragraphs are duplicates, where ordinary text has a few percent.
fn duplicate_heavy(c: &mut Criterion) {
    let (paras, copies) = common::duplicate_heavy(1500, 5, 17);
    let bytes: usize = paras.iter().map(String::len).sum();
    let mut group = c.benchmark_group("pipeline_duplicate_heavy");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.sample_size(10);
    let d = Deduper::builder().threads(1).build().unwrap();
    let want = d.run(&paras);
    assert_eq!((want.len(), want.duplicates()), (1500, copies));
    group.bench_function("threads_1", |b| {
        b.iter(|| {
            let clusters = d.run(black_box(&paras));
            assert_eq!(clusters.as_slice(), want.as_slice());
        })
    });
    group.finish();
}

/// 1,000 paragraphs and 15 near-copies of each (16,000 paragraphs, 7 MB), which pair
/// up 120 ways a group: every pair verified, and only the pairs that join texts (what
/// the example deduper runs, [`DeduperBuilder::all_pairs`](paradup::DeduperBuilder::all_pairs)).
fn large_groups(c: &mut Criterion) {
    let (paras, copies) = common::duplicate_heavy(1000, 15, 23);
    let bytes: usize = paras.iter().map(String::len).sum();
    let mut group = c.benchmark_group("pipeline_duplicate_heavy_16");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.sample_size(10);
    for (name, all) in [("all_pairs_threads_1", true), ("joining_threads_1", false)] {
        let d = Deduper::builder()
            .threads(1)
            .all_pairs(all)
            .build()
            .unwrap();
        let want = d.run(&paras);
        assert_eq!((want.len(), want.duplicates()), (1000, copies));
        group.bench_function(name, |b| {
            b.iter(|| {
                let clusters = d.run(black_box(&paras));
                assert_eq!(clusters.len(), want.len());
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench, duplicate_heavy, large_groups);
criterion_main!(benches);
