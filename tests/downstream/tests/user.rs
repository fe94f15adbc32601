//! What a new user writes first, each against the public API only.

use paradup::{Deduper, Index, Keep, SimHasher, Sketcher, StreamConfig};
use std::io::Write;

const A: &str = "His isolation was evident from his failure to turn up to this weekend's G20 \
                 summit in Delhi, and fewer African leaders recently attending a summit in \
                 St Petersburg than a similar gathering in 2019.";
const B: &str = "His isolation was evident from his failure to turn up to the G20 summit in \
                 Delhi, and fewer African leaders attending a summit in St Petersburg than a \
                 similar gathering in 2019.";
const C: &str = "Kim Jong Un arrived by armoured train for talks at the cosmodrome.";

#[test]
fn dedup_a_vec_of_strings_and_keep_one_per_group() {
    let items: Vec<String> = vec![A.into(), C.into(), B.into(), A.into()];
    let clusters = Deduper::new().run(&items);
    assert_eq!(clusters.len(), 1);
    let mask = clusters.keep_mask(Keep::First, items.len());
    let unique: Vec<&str> = items
        .iter()
        .zip(mask)
        .filter(|(_, keep)| *keep)
        .map(|(s, _)| s.as_str())
        .collect();
    assert_eq!(unique, [A, C]);
    let dropped: Vec<u32> = clusters
        .dropped(Keep::First)
        .iter()
        .map(|p| p.doc)
        .collect();
    assert_eq!(dropped, [2, 3]);
    for cluster in &clusters {
        assert_eq!(cluster.len(), 3);
    }
}

#[test]
fn minhash_and_exact_jaccard_of_two_strings() {
    // Exact: shared word pairs over all distinct ones, as computed from the sets here.
    let exact = paradup::jaccard(A, B);
    let s = Sketcher::default();
    let (sa, sb) = (s.shingles(A), s.shingles(B));
    let shared = sa.iter().filter(|h| sb.contains(h)).count();
    assert_eq!(exact, shared as f64 / (sa.len() + sb.len() - shared) as f64);
    assert_eq!(exact, 0.75);
    // MinHash: an estimate within a few standard errors (0.03 at 128 permutations).
    let estimate = s.signature(A).jaccard(&s.signature(B));
    assert!((estimate - exact).abs() < 0.15, "{estimate} vs {exact}");
    assert_eq!(paradup::jaccard(A, C), 0.0);
}

#[test]
fn simhash_distance_of_two_raw_strings() {
    let h = SimHasher::default();
    let near = paradup::hamming(h.fingerprint_text(A), h.fingerprint_text(B));
    let far = paradup::hamming(h.fingerprint_text(A), h.fingerprint_text(C));
    assert!(near < far, "{near} vs {far}");
    assert!(near <= 10, "{near}");
    // Raw text is normalized: case and punctuation do not count.
    let shouted = A.to_uppercase().replace(',', ";");
    assert_eq!(h.fingerprint_text(&shouted), h.fingerprint_text(A));
}

#[test]
fn build_save_load_and_query_an_index_with_top_k() -> paradup::Result<()> {
    let deduper = Deduper::new();
    let ids = ["a", "c", "b"];
    let mut index = Index::new(&deduper);
    deduper.insert_batch(&mut index, &[0, 1, 2], &[A, C, B])?;
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("paragraphs.idx");
    index.save(&path)?;
    let loaded = Index::load(&path, &deduper)?;
    assert_eq!(loaded.len(), 3);
    let top: Vec<&str> = loaded
        .query_top_k(A, 2)
        .iter()
        .map(|m| ids[m.key as usize])
        .collect();
    assert_eq!(top, ["a", "b"]);
    assert_eq!(loaded.query_top_k(A, 1).len(), 1);
    assert!(loaded.query("Nothing like any of them at all.").is_empty());
    Ok(())
}

#[test]
fn stream_a_file_with_question_marks_on_io_errors() -> paradup::Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("corpus.txt");
    let mut file = std::fs::File::create(&path)?;
    write!(file, "{A}\n\n{C}\n\n{B}\n")?;
    drop(file);
    let clusters = Deduper::new().run_stream(&StreamConfig::new(), |feed| {
        feed.push_reader(std::fs::File::open(&path)?)?;
        Ok(())
    })?;
    let lines: Vec<u64> = clusters[0]
        .members()
        .iter()
        .map(|m| m.paragraph.line)
        .collect();
    assert_eq!(lines, [1, 5]);
    // A missing file is an error, not a panic.
    let missing = dir.path().join("missing.txt");
    let err = Deduper::new()
        .run_stream(&StreamConfig::new(), |feed| {
            feed.push_reader(std::fs::File::open(&missing)?)
        })
        .unwrap_err();
    assert!(matches!(err.kind(), paradup::ErrorKind::Io(_)));
    Ok(())
}

#[test]
fn use_from_the_callers_own_rayon_pool() {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    let deduper = Deduper::new();
    let items = vec![A, C, B];
    let inside = pool.install(|| deduper.run(&items));
    assert_eq!(inside, deduper.run(&items));
    assert_eq!(inside.len(), 1);
    // And a clone moved into the pool's threads.
    let d2 = deduper.clone();
    let got = pool.install(move || d2.run(items));
    assert_eq!(got, inside);
}
