//! The example deduper's accuracy options: `--similarity containment` (pairs and
//! members with their direction), `--chaining`, and the cluster-size guard.
//!
//! Fixture: `tests/data/dedup/containment.jsonl`, four records: the first half of a
//! paragraph (`minutes-1`), the whole paragraph (`minutes-full`), its second half
//! (`minutes-2`) and an unrelated one (`weather`). Each half is entirely inside the
//! whole, so its containment there is 1.0 whatever the shingles.

use super::dedup;

const RECORDS: &str = "tests/data/dedup/containment.jsonl";

fn containment(extra: &[&str]) -> super::Run {
    let mut args = vec![
        RECORDS,
        "--paragraphs",
        "whole",
        "--similarity",
        "containment",
        "--threshold",
        "0.8",
        "-q",
    ];
    args.extend_from_slice(extra);
    dedup(&args)
}

#[test]
fn containment_pairs_name_records_and_carry_their_direction() {
    let run = containment(&["--format", "pairs"]);
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
    assert_eq!(
        run.stdout,
        "minutes-1\tminutes-full\t1.0\ta_in_b\n\
         minutes-full\tminutes-2\t1.0\tb_in_a\n"
    );
}

#[test]
fn containment_members_carry_their_direction_and_do_not_chain() {
    // The first half is the representative; the second half shares nothing with it,
    // so anti-chaining leaves it out.
    let head = "{\"cluster\":0,\"size\":2,\"members\":[\
        {\"source\":\"minutes-1\",\"file\":\"tests/data/dedup/containment.jsonl\",\
        \"record\":0,\"paragraph\":0,\"line\":1,\"start\":0,\"end\":141,\"similarity\":1.0,\"direction\":\"mutual\"},\
        {\"source\":\"minutes-full\",\"file\":\"tests/data/dedup/containment.jsonl\",\
        \"record\":1,\"paragraph\":0,\"line\":1,\"start\":0,\"end\":304,\"similarity\":1.0,\"direction\":\"a_in_b\"}";
    let run = containment(&["--format", "jsonl"]);
    assert_eq!(run.code, 0);
    assert_eq!(run.stdout, format!("{head}]}}\n"));
    // With --chaining the second half joins through the whole, at similarity 0 to the
    // representative.
    let run = containment(&["--format", "jsonl", "--chaining"]);
    assert_eq!(run.code, 0);
    let chained = head.replace("\"size\":2", "\"size\":3");
    assert_eq!(
        run.stdout,
        format!(
            "{chained},{{\"source\":\"minutes-2\",\"file\":\"tests/data/dedup/containment.jsonl\",\
             \"record\":2,\"paragraph\":0,\"line\":1,\"start\":0,\"end\":162,\"similarity\":0.0,\"direction\":\"a_in_b\"}}]}}\n"
        )
    );
}

#[test]
fn containment_is_for_batch_runs_only() {
    for extra in [
        &["--first-wins"][..],
        &["--save-index", "/nonexistent/x.idx"],
    ] {
        let run = containment(extra);
        assert_eq!(run.code, 2, "{extra:?}");
        assert!(run.stdout.is_empty());
        assert!(
            run.stderr
                .contains("--similarity containment works on batch runs only"),
            "{}",
            run.stderr
        );
    }
    let run = containment(&["--method", "simhash"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("needs the MinHash method"),
        "{}",
        run.stderr
    );
}

#[test]
fn the_summary_names_oversized_clusters() {
    let run = dedup(&[
        RECORDS,
        "--paragraphs",
        "whole",
        "--similarity",
        "containment",
        "--threshold",
        "0.8",
        "--max-cluster-size",
        "1",
        "--format",
        "pairs",
    ]);
    assert_eq!(run.code, 0);
    assert!(
        run.stderr.contains(
            "oversized  1 cluster over the size limit (largest: 2 members): check them for \
             chaining or boilerplate\n"
        ),
        "{}",
        run.stderr
    );
    let quiet = containment(&["--format", "pairs"]);
    assert!(!quiet.stderr.contains("oversized"));
}
