//! `Progress::cancel`: a cancelled run returns `ErrorKind::Cancelled`, before it starts
//! or part way through a stage, which then skips the rest of its work.

use paradup::{Deduper, ErrorKind, Method, Progress, Stage};

const ARTICLE: &str = include_str!("../data/putin-kim-article.txt");

#[test]
fn a_run_cancelled_before_it_starts_does_nothing() {
    for d in [
        Deduper::new(),
        Deduper::builder()
            .method(Method::simhash())
            .build()
            .unwrap(),
    ] {
        let progress = Progress::new();
        progress.cancel();
        assert!(progress.is_cancelled());
        let err = d
            .try_run_documents_with_progress([ARTICLE], &progress)
            .unwrap_err();
        assert_eq!(err.kind(), &ErrorKind::Cancelled);
        assert_eq!(err.to_string(), "the run was cancelled");
        assert_eq!(progress.paragraphs(), 0);
        assert_eq!(progress.stage(), Stage::Done);
        let lines: Vec<&str> = ARTICLE.lines().collect();
        let err = d.try_run_with_progress(&lines, &progress).unwrap_err();
        assert_eq!(err.kind(), &ErrorKind::Cancelled);
    }
    // Not cancelled: the same answer as without a progress.
    let progress = Progress::new();
    let d = Deduper::new();
    assert_eq!(
        d.try_run_documents_with_progress([ARTICLE], &progress)
            .unwrap(),
        d.run_documents([ARTICLE])
    );
    assert!(!progress.is_cancelled());
}

#[test]
fn a_run_cancelled_during_a_stage_skips_the_rest_of_it() {
    // 200,000 paragraphs on one thread: seconds of work in the exact stage, of which
    // the watcher lets one batch pass.
    let n = 200_000usize;
    let doc: String = (0..n)
        .map(|i| format!("paragraph {i} says {} and {}\n\n", i * 7 % 1000, i % 13))
        .collect();
    let d = Deduper::builder().threads(1).build().unwrap();
    let progress = Progress::new();
    let (result, most) = std::thread::scope(|s| {
        let watcher = s.spawn(|| {
            while progress.done() < 1024 && progress.stage() != Stage::Done {
                std::thread::yield_now();
            }
            progress.cancel();
            // The most paragraphs the exact stage counts from then on.
            let mut most = 0;
            while progress.stage() == Stage::Exact {
                most = most.max(progress.done());
                std::thread::yield_now();
            }
            most
        });
        let result = d.try_run_documents_with_progress([doc.as_str()], &progress);
        (result, watcher.join().unwrap())
    });
    assert_eq!(result.unwrap_err().kind(), &ErrorKind::Cancelled);
    assert_eq!(progress.paragraphs(), n as u64);
    assert!(
        (1024..n as u64 / 2).contains(&most),
        "{most} of {n} paragraphs hashed by the exact stage after the cancel"
    );
}
