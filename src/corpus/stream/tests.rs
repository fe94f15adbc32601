use super::*;
use crate::{Deduper, StreamConfig};

const P: &str = "the quick brown fox jumps over the lazy dog by the river bank";

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// Text with CRLF, invalid UTF-8 before and inside duplicates, a long paragraph;
/// JSONL with escapes, ids, malformed lines and invalid UTF-8; gzip; a binary file.
pub(crate) fn inputs() -> Vec<Input> {
    let mut text = b"caf\xe9 opening line\r\n\r\n".to_vec();
    text.extend_from_slice(format!("{P}\r\nwrapped on two lines\r\n\r\n").as_bytes());
    text.extend_from_slice(b"\xff\xfe noise here\n\n");
    text.extend_from_slice(format!("{P}\nwrapped on two lines ").as_bytes());
    text.extend_from_slice(b"\xe9\n\nend\n");
    let long: String = (0..300).map(|i| format!("word{i} ")).collect();
    text.extend_from_slice(format!("\n{long}\n\n{long}x\n").as_bytes());
    let jsonl = format!(
        "{{\"id\":\"a\",\"text\":\"{P}\\n\\ncaf\\u00e9 {P}\"}}\r\n\
         not json\n\
         \n\
         {{\"text\":\"{P}\",\"n\":1}}\n\
         {{\"id\":7,\"text\":\"x \\\"{P}\\\"\"}}"
    );
    let mut jsonl = jsonl.into_bytes();
    jsonl.extend_from_slice(b"\n{\"text\":\"bad \xff byte\"}\n");
    vec![
        Input::Bytes {
            name: "d/t.txt".into(),
            bytes: text.clone(),
        },
        Input::Bytes {
            name: "bin.dat".into(),
            bytes: b"ab\ncd\0".to_vec(),
        },
        Input::Bytes {
            name: "r.jsonl.gz".into(),
            bytes: gz(&jsonl),
        },
        Input::Bytes {
            name: "t2.txt".into(),
            bytes: gz(&text),
        },
        Input::Bytes {
            name: "bad.gz".into(),
            bytes: b"\x1f\x8b\x08\x00xx".to_vec(),
        },
    ]
}

#[test]
fn scan_reports_what_read_reports() {
    let reader = CorpusReader::new();
    let (mut a, mut b) = (Vec::new(), Vec::new());
    let corpus = reader
        .read(&inputs(), |e| {
            if let Event::Problem(p) = e {
                a.push(p.clone())
            }
        })
        .unwrap();
    let scanned = reader
        .scan(&inputs(), |e| {
            if let Event::Problem(p) = e {
                b.push(p.clone())
            }
        })
        .unwrap();
    assert_eq!(a, b);
    assert_eq!(a.len(), 6, "{a:?}");
    assert_eq!(corpus.stats(), scanned.stats());
    assert_eq!(corpus.documents().len(), scanned.documents());
    let names = |s: &[Source]| -> Vec<_> {
        s.iter()
            .map(|s| {
                (
                    s.name().to_string(),
                    s.relative().to_path_buf(),
                    s.format(),
                    s.compression(),
                    s.documents(),
                )
            })
            .collect()
    };
    assert_eq!(names(corpus.sources()), names(scanned.sources()));
}

#[test]
fn feed_and_gather_give_what_the_corpus_gives() {
    let reader = CorpusReader::new();
    let corpus = reader.read(&inputs(), |_| {}).unwrap();
    let scanned = reader.scan(&inputs(), |_| {}).unwrap();
    let deduper = Deduper::new();
    let want = deduper.run_documents(corpus.documents());
    let mut config = StreamConfig::new();
    // Small pieces: text sources are cut inside the file.
    config.piece_bytes(64).batch_bytes(100);
    let got = deduper
        .run_stream(&config, |feed| scanned.feed(feed))
        .unwrap();
    assert_eq!(got.as_slice(), want.as_slice());
    assert!(want.len() >= 3, "{}", want.len());
    let members: Vec<Paragraph> = want
        .iter()
        .flat_map(|c| c.members().iter().map(|m| m.paragraph))
        .collect();
    let g = scanned.gather(&members, &members).unwrap();
    for p in &members {
        let doc = p.doc as usize;
        assert_eq!(g.name_of(doc), corpus.name_of(doc));
        assert_eq!(g.source_name_of(doc), corpus.source_of(doc).name());
        assert_eq!(g.record_of(doc), corpus.documents()[doc].record());
        assert_eq!(g.text_of(p), crate::report::text_of(&corpus, p));
        assert_eq!(g.reported_span(p), crate::report::reported_span(&corpus, p));
    }
    // A text source's spans after invalid UTF-8 are original offsets.
    assert!(
        members
            .iter()
            .any(|p| { p.doc == 0 && crate::report::reported_span(&corpus, p).0 != p.start })
    );
}
