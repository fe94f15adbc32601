use super::*;
use crate::corpus::{CorpusReader, Input};
use crate::{Deduper, ParagraphMode};

fn corpus(name: &str, bytes: &[u8]) -> Corpus {
    let inputs = [Input::Bytes {
        name: name.to_string(),
        bytes: bytes.to_vec(),
    }];
    CorpusReader::new().read(&inputs, |_| {}).unwrap()
}

fn dedup(c: &Corpus, mode: ParagraphMode, keep: Keep) -> (Vec<Removal>, Vec<u8>) {
    let clusters = Deduper::builder()
        .paragraphs(mode)
        .build()
        .unwrap()
        .run_documents(c.documents());
    let r = removals(&clusters, keep);
    let mut out = Vec::new();
    write_deduped(c, 0, &r, &mut out).unwrap();
    (r, out)
}

const P: &str = "the quick brown fox jumps over the lazy dog by the river bank";

/// `#` stands for the byte 0xff, which is not UTF-8.
fn with_ff(s: &str) -> Vec<u8> {
    s.bytes()
        .map(|b| if b == b'#' { 0xff } else { b })
        .collect()
}

#[test]
fn text_removal_takes_the_lines_and_nothing_else() {
    // The invalid byte before the removed paragraph shifts the decoded offsets.
    let bytes = with_ff(&format!(
        "{P}\r\n\r\n  other words caf# here\r\n\r\n{P}\r\n\r\nend line\n"
    ));
    let c = corpus("t.txt", &bytes);
    let (r, out) = dedup(&c, ParagraphMode::Auto, Keep::First);
    assert_eq!(r.len(), 1);
    let want = with_ff(&format!(
        "{P}\r\n\r\n  other words caf# here\r\n\r\n\r\nend line\n"
    ));
    assert_eq!(out, want);
}

#[test]
fn keep_longest_keeps_the_longer_member() {
    let src = format!("{P}\n{P} and then some\n");
    let c = corpus("t.txt", src.as_bytes());
    let (r, out) = dedup(&c, ParagraphMode::Lines, Keep::Longest);
    assert_eq!(r[0].paragraph.line, 1);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        format!("{P} and then some\n")
    );
}

#[test]
fn jsonl_cuts_inside_the_literal_and_drops_emptied_records() {
    let src = format!(
        "{{\"id\":1,\"text\":\"{P}\",\"x\":[1, 2]}}\n\
         \n\
         {{\"text\": \"keep\\u0020this\\n\\n{P}\" , \"id\":\"b\"}}\r\n\
         broken\n\
         {{\"id\":3,\"text\":\"{P}\"}}\n"
    );
    let c = corpus("r.jsonl", src.as_bytes());
    let (r, out) = dedup(&c, ParagraphMode::Auto, Keep::First);
    assert_eq!(r.len(), 2);
    let want = "{\"id\":1,\"text\":\"".to_string()
        + P
        + "\",\"x\":[1, 2]}\n\n{\"text\": \"keep\\u0020this\\n\\n\" , \"id\":\"b\"}\r\nbroken\n";
    assert_eq!(String::from_utf8(out).unwrap(), want);
    let mut ann = Vec::new();
    write_annotations(&c, 0, &r, &mut ann).unwrap();
    let ann = String::from_utf8(ann).unwrap();
    let lines: Vec<&str> = ann.lines().collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(
        lines[0],
        "{\"id\":\"1\",\"source\":\"r.jsonl\",\"record\":0,\"attributes\":{\"paradup__duplicate\":[],\"paradup__cluster\":[]}}"
    );
    assert_eq!(
        lines[1],
        format!(
            "{{\"id\":\"b\",\"source\":\"r.jsonl\",\"record\":2,\"attributes\":{{\"paradup__duplicate\":[[11,{},1.0]],\"paradup__cluster\":[[11,{},0]]}}}}",
            11 + P.len(),
            11 + P.len()
        )
    );
}

#[test]
fn streamed_rewrite_and_annotations_equal_the_in_memory_ones() {
    let inputs = crate::corpus::stream_test_inputs();
    let reader = CorpusReader::new();
    let c = reader.read(&inputs, |_| {}).unwrap();
    let s = reader.scan(&inputs, |_| {}).unwrap();
    for mode in [ParagraphMode::Auto, ParagraphMode::Lines] {
        let clusters = Deduper::builder()
            .paragraphs(mode)
            .build()
            .unwrap()
            .run_documents(c.documents());
        for keep in [Keep::First, Keep::Longest] {
            let r = removals(&clusters, keep);
            assert!(r.len() >= 4);
            let ps: Vec<Paragraph> = r.iter().map(|r| r.paragraph).collect();
            let spans = s.gather(&ps, &[]).unwrap();
            for i in 0..c.sources().len() {
                let (mut a, mut b) = (Vec::new(), Vec::new());
                write_deduped(&c, i, &r, &mut a).unwrap();
                write_deduped_stream(&s, i, &r, &mut b).unwrap();
                assert_eq!(a, b, "source {i}, {mode:?}, {keep:?}");
                let (mut a, mut b) = (Vec::new(), Vec::new());
                write_annotations(&c, i, &r, &mut a).unwrap();
                write_annotations_stream(&s, &spans, i, &r, &mut b).unwrap();
                assert_eq!(a, b, "source {i}, {mode:?}, {keep:?}");
            }
        }
    }
}

#[test]
fn outputs_may_not_collide_or_overwrite_inputs() {
    let inputs = [
        Input::Bytes {
            name: "x/a.txt".into(),
            bytes: b"one".to_vec(),
        },
        Input::Bytes {
            name: "y/a.txt".into(),
            bytes: b"two".to_vec(),
        },
    ];
    let c = CorpusReader::new().read(&inputs, |_| {}).unwrap();
    let err = plan_outputs(&c, Path::new("out"), Output::Deduped).unwrap_err();
    assert_eq!(
        err.to_string(),
        "x/a.txt and y/a.txt would both be written to out/a.txt"
    );
    assert_eq!(
        output_path(&c.sources()[0], Output::Annotations),
        PathBuf::from("a.txt.jsonl")
    );
}
