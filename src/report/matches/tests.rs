use super::*;
use crate::Deduper;
use crate::corpus::{CorpusReader, Input};

const A: &str = "the quick brown fox jumps over the lazy dog by the river bank at dawn";
const B: &str = "a completely different paragraph about trains and timetables in winter";

fn corpus(name: &str, text: &str) -> Corpus {
    let inputs = [Input::Bytes {
        name: name.to_string(),
        bytes: text.as_bytes().to_vec(),
    }];
    CorpusReader::new().read(&inputs, |_| {}).unwrap()
}

/// An index of `text`'s paragraphs under keys 0, 1, …, its names, and the checksum
/// of its encoding.
fn indexed(c: &Corpus) -> (Index, Names, u64) {
    let d = Deduper::new();
    let mut index = Index::new(&d);
    let mut names = Names::new();
    let ps: Vec<Paragraph> = d.splitter().split(0, c.documents()[0].text()).collect();
    for (k, p) in ps.iter().enumerate() {
        index.insert(k as u64, text_of(c, p));
        names.insert_paragraph(k as u64, c, p);
    }
    let bytes = index.to_bytes();
    let sum = u64::from_le_bytes(bytes[bytes.len() - 8..].try_into().unwrap());
    (index, names, sum)
}

fn written(names: &Names, sum: u64) -> String {
    let mut out = Vec::new();
    names.write_to(&mut out, sum).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn names_round_trip_and_share_source_names() {
    let c = corpus("dir/a\tb.txt", &format!("{A}\n\n{B}\n"));
    let (index, names, sum) = indexed(&c);
    let text = written(&names, sum);
    assert_eq!(
        text,
        format!(
            "{{\"paradup_names\":1,\"index_checksum\":\"{sum:016x}\",\"entries\":2}}\n\
             {{\"key\":0,\"source\":\"dir/a\\tb.txt\",\"paragraph\":0,\"line\":1,\"start\":0,\"end\":{}}}\n\
             {{\"key\":1,\"source\":\"dir/a\\tb.txt\",\"paragraph\":1,\"line\":3,\"start\":{},\"end\":{}}}\n",
            A.len(),
            A.len() + 2,
            A.len() + 2 + B.len()
        )
    );
    let back = Names::read_from(text.as_bytes(), &index, sum).unwrap();
    assert_eq!(back.len(), 2);
    assert_eq!(back.get(1), names.get(1));
    assert_eq!(back.get(1).unwrap().label(), "dir/a\tb.txt:3");
    assert!(Arc::ptr_eq(
        &back.get(0).unwrap().source,
        &back.get(1).unwrap().source
    ));
    assert_eq!(back.next_key(), Some(2));
    assert_eq!(Names::new().next_key(), Some(0));
}

#[test]
fn jsonl_records_keep_file_and_record() {
    let jsonl = format!("{{\"id\":\"r7\",\"text\":\"{A}\"}}\n");
    let c = corpus("x.jsonl", &jsonl);
    let (index, names, sum) = indexed(&c);
    let text = written(&names, sum);
    assert!(
        text.ends_with(&format!(
            "{{\"key\":0,\"source\":\"r7\",\"file\":\"x.jsonl\",\"record\":0,\"paragraph\":0,\"line\":1,\"start\":0,\"end\":{}}}\n",
            A.len()
        )),
        "{text}"
    );
    let back = Names::read_from(text.as_bytes(), &index, sum).unwrap();
    assert_eq!(back.get(0).unwrap().file.as_deref(), Some("x.jsonl"));
    assert_eq!(back.get(0).unwrap().record, Some(0));
}

#[test]
fn bad_names_files_are_errors_with_lines() {
    let c = corpus("a.txt", &format!("{A}\n\n{B}\n"));
    let (index, names, sum) = indexed(&c);
    let good = written(&names, sum);
    let lines: Vec<&str> = good.lines().collect();
    let read = |s: &str| {
        Names::read_from(s.as_bytes(), &index, sum)
            .unwrap_err()
            .to_string()
    };
    assert_eq!(read(""), "empty file, no header");
    assert!(read("garbage\n").starts_with("line 1: not a names header ("));
    assert_eq!(
        read(&good.replace("\"paradup_names\":1", "\"paradup_names\":9")),
        "line 1: names format version 9 is not supported (this build reads version 1)"
    );
    assert_eq!(
        Names::read_from(good.as_bytes(), &index, sum ^ 1)
            .unwrap_err()
            .to_string(),
        format!(
            "line 1: written for another index (index checksum {sum:016x}, but the index file's is {:016x})",
            sum ^ 1
        )
    );
    // One entry short.
    assert_eq!(
        read(&format!("{}\n{}\n", lines[0], lines[1])),
        "truncated: the header promises 2 entries, the file holds 1"
    );
    assert_eq!(
        read(&format!("{}\n{}\n{}\n", lines[0], lines[1], lines[1])),
        "line 3: key 0 is named twice"
    );
    assert_eq!(
        read(&good.replace("\"key\":1", "\"key\":5")),
        "line 3: key 5 is not in the index"
    );
    assert_eq!(
        read(&good.replace("\"line\":3", "\"line\":-3")),
        "line 3: field \"line\" missing or not an unsigned integer"
    );
    assert_eq!(
        read(&good.replace("\"start\":0", "\"start\":999")),
        format!("line 2: span 999..{} ends before it starts", A.len())
    );
    assert!(read(&format!("{}\n{{\"key\":0,", lines[0])).starts_with("line 2: not a JSON entry"));
    assert_eq!(
        read(&good.replace("\"entries\":2", "\"entries\":3")),
        "line 1: names 3 paragraphs, but the index holds 2"
    );
}

#[test]
fn removals_against_drop_whole_clusters_that_hit_the_index() {
    // Paragraphs 0 and 2 are one cluster; 1 stands alone; 3 is another cluster
    // with 4.
    let text = format!(
        "{A}\n\n{B}\n\n{A}\n\nunique words one two three four five\n\nunique words one two three four five\n"
    );
    let c = corpus("n.txt", &text);
    let d = Deduper::new();
    let clusters = d.run_documents(c.documents());
    assert_eq!(clusters.len(), 2);
    let ps: Vec<Paragraph> = d.splitter().split(0, c.documents()[0].text()).collect();
    let m = |key| {
        let mut index = Index::new(&d);
        index.insert(key, A);
        index.query(A)
    };
    // The later member of the first cluster and the lone paragraph hit the index.
    let hits = [
        Hit {
            paragraph: ps[1],
            matches: m(8),
        },
        Hit {
            paragraph: ps[2],
            matches: m(9),
        },
    ];
    let got: Vec<(u32, usize)> = removals_against(&clusters, Keep::First, &hits)
        .iter()
        .map(|r| (r.paragraph.index, r.cluster))
        .collect();
    assert_eq!(got, [(0, 0), (1, 2), (2, 0), (4, 1)]);
}

#[test]
fn match_reports_escape_controls_and_backslashes() {
    // The index names a file with ESC, BEL and a backslash; the run's paragraph
    // holds an OSC sequence.
    let old = corpus("o\x1b]0;x\x07\\t.txt", &format!("{A}\n\n{B}\n"));
    let (index, names, _) = indexed(&old);
    let new = corpus("n\x1b[2J.txt", &format!("{B} \x1b]0;pwned\x07\n"));
    let p = Deduper::new()
        .splitter()
        .split(0, new.documents()[0].text())
        .next()
        .unwrap();
    let hits = vec![Hit {
        paragraph: p,
        matches: index.query(B),
    }];
    let mut out = Vec::new();
    write_text(&mut out, &new, &names, &hits, &TextStyle::default()).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(
        text,
        format!(
            "match 0: n\\x1b[2J.txt:1\n    {B} \\x1b]0;pwned\\x07\n  \
             o\\x1b]0;x\\x07\\t.txt:3  exact duplicate\n\n"
        )
    );
    let mut out = Vec::new();
    write_pairs(&mut out, &new, &names, &hits, PairIds::Paragraphs).unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "n\x1b[2J.txt:1\to\x1b]0;x\x07\\\\t.txt:3\t1.0\n"
    );
}

#[test]
fn match_pairs_qualify_an_id_used_in_two_files() {
    let rec = |id: &str, text: &str| format!("{{\"id\":\"{id}\",\"text\":\"{text}\"}}\n");
    let old = corpus("old.jsonl", &rec("r1", B));
    let (index, names, _) = indexed(&old);
    let new = corpus("new.jsonl", &format!("{}{}", rec("r1", B), rec("r2", B)));
    let split = |doc: u32| {
        Deduper::new()
            .splitter()
            .split(doc, new.documents()[doc as usize].text())
            .next()
            .unwrap()
    };
    let hits: Vec<Hit> = (0..2)
        .map(|doc| Hit {
            paragraph: split(doc),
            matches: index.query(B),
        })
        .collect();
    let mut out = Vec::new();
    write_pairs(&mut out, &new, &names, &hits, PairIds::Documents).unwrap();
    // r1 is in both files, r2 in one.
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "new.jsonl:r1\told.jsonl:r1\t1.0\nr2\told.jsonl:r1\t1.0\n"
    );
    let mut out = Vec::new();
    write_jsonl(&mut out, &new, &names, &hits[..1]).unwrap();
    assert!(
        String::from_utf8(out)
            .unwrap()
            .starts_with("{\"match\":0,\"source\":\"r1\",\"file\":\"new.jsonl\",\"record\":0,")
    );
}

#[test]
fn reports_name_matches_through_the_table() {
    let old = corpus("old.txt", &format!("{A}\n\n{B}\n"));
    let (index, names, _) = indexed(&old);
    let new = corpus("new.txt", &format!("x y z\n\n{B}\n"));
    let p = Deduper::new()
        .splitter()
        .split(0, new.documents()[0].text())
        .nth(1)
        .unwrap();
    let mut hits = vec![Hit {
        paragraph: p,
        matches: index.query(B),
    }];
    let mut out = Vec::new();
    write_pairs(&mut out, &new, &names, &hits, PairIds::Paragraphs).unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "new.txt:3\told.txt:3\t1.0\n"
    );
    let mut out = Vec::new();
    write_jsonl(&mut out, &new, &names, &hits).unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        format!(
            "{{\"match\":0,\"source\":\"new.txt\",\"paragraph\":1,\"line\":3,\"start\":7,\"end\":{},\"matches\":[\
             {{\"key\":1,\"source\":\"old.txt\",\"paragraph\":1,\"line\":3,\"start\":{},\"end\":{},\"similarity\":1.0,\"exact\":true}}]}}\n",
            7 + B.len(),
            A.len() + 2,
            A.len() + 2 + B.len()
        )
    );
    // A key the table does not name is still reported, by key.
    hits[0].matches = {
        let mut other = Index::new(&Deduper::new());
        other.insert(77, B);
        other.query(B)
    };
    let mut out = Vec::new();
    write_text(&mut out, &new, &names, &hits, &TextStyle::default()).unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        format!("match 0: new.txt:3\n    {B}\n  index key 77  exact duplicate\n\n")
    );
}
