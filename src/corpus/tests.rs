use super::*;

fn read(name: &str, bytes: &[u8]) -> Corpus {
    let inputs = [Input::Bytes {
        name: name.to_string(),
        bytes: bytes.to_vec(),
    }];
    CorpusReader::new().read(&inputs, |_| {}).unwrap()
}

#[test]
fn text_is_one_document_and_its_own_original() {
    let c = read("dir/a.txt", b"one\n\ntwo\n");
    assert_eq!(c.documents().len(), 1);
    assert_eq!(c.documents()[0].text(), "one\n\ntwo\n");
    assert_eq!(c.original(0), Some(&b"one\n\ntwo\n"[..]));
    assert_eq!(c.sources()[0].relative(), Path::new("a.txt"));
    assert_eq!(c.sources()[0].format(), InputFormat::Text);
    assert_eq!(c.name_of(0), "dir/a.txt");
    assert_eq!(c.stats().bytes, 9);
}

#[test]
fn invalid_utf8_is_decoded_lossily_and_kept() {
    let bytes = b"ok\ncaf\xe9\nend\n";
    let c = read("l.txt", bytes);
    assert_eq!(c.documents()[0].text(), "ok\ncaf\u{fffd}\nend\n");
    assert_eq!(c.original(0), Some(&bytes[..]));
    assert_eq!(c.stats().invalid_utf8, 1);
    let p = &c.problems()[0];
    assert_eq!(
        (p.kind, p.line, p.offset),
        (ProblemKind::InvalidUtf8, Some(2), Some(6))
    );
    assert!(!p.is_error());
    let loc = c.locator(0).unwrap();
    let end = c.documents()[0].text().find("end").unwrap();
    // "end" is at text offset 10 (after a 3-byte U+FFFD) and byte offset 8.
    assert_eq!((end, loc.original_offset(end)), (10, 8));
}

#[test]
fn binary_files_are_skipped_with_a_note() {
    let c = read("b.bin", b"abc\n\0def");
    assert!(c.documents().is_empty() && c.sources().is_empty());
    assert_eq!(c.stats().binary, 1);
    assert_eq!(
        c.problems()[0].to_string(),
        "b.bin:2: binary file (NUL byte), skipped (byte 4)"
    );
}

#[test]
fn gzip_is_decompressed_by_magic() {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(b"{\"id\":7,\"text\":\"hi\"}\n").unwrap();
    let c = read("r.jsonl.gz", &e.finish().unwrap());
    assert_eq!(c.sources()[0].compression(), Compression::Gzip);
    assert_eq!(c.sources()[0].format(), InputFormat::Jsonl);
    assert_eq!((c.documents()[0].text(), c.name_of(0)), ("hi", "7"));
    assert_eq!(c.stats().bytes, 21);
}

#[test]
fn corrupt_gzip_is_unreadable() {
    let c = read("x.gz", b"\x1f\x8b\x08\x00garbage");
    assert_eq!(c.stats().unreadable, 1);
    assert!(c.problems()[0].is_error());
    assert!(
        c.problems()[0]
            .message
            .starts_with("corrupt gzip stream after 0 decompressed bytes")
    );
}

#[test]
fn jsonl_records_keep_their_lines_and_ids() {
    let src = "{\"id\":\"a\",\"text\":\"x\\ny\",\"n\":1}\r\n\n[1]\n{\"text\":2}\n{\"id\":null,\"text\":\"z\"}";
    let c = read("r.jsonl", src.as_bytes());
    let docs: Vec<_> = c
        .documents()
        .iter()
        .enumerate()
        .map(|(i, d)| (d.record(), c.name_of(i), d.text()))
        .collect();
    assert_eq!(
        docs,
        vec![(Some(0), "a", "x\ny"), (Some(4), "r.jsonl:5", "z")]
    );
    assert_eq!(c.stats().malformed, 2);
    let lines: Vec<_> = c
        .problems()
        .iter()
        .map(|p| (p.line, p.message.clone()))
        .collect();
    assert_eq!(
        lines[1],
        (
            Some(4),
            "field \"text\" is not a string, skipped".to_string()
        )
    );
    // The locator maps "y" back into the escaped line.
    let loc = c.locator(0).unwrap();
    assert_eq!(&src[loc.original_offset(2)..loc.original_offset(3)], "y");
}

#[test]
fn many_malformed_lines_are_counted_and_summarized() {
    let src = "x\n".repeat(13);
    let c = read("m.jsonl", src.as_bytes());
    assert_eq!(c.stats().malformed, 13);
    assert_eq!(c.problems().len(), MAX_REPORTED_LINES + 1);
    assert_eq!(
        c.problems().last().unwrap().message,
        "3 more malformed lines, skipped (the first 10 are reported above)"
    );
}

#[test]
fn missing_paths_stop_before_reading() {
    let err = CorpusReader::new()
        .read(&[Input::Path("no/such/file.txt".into())], |_| {})
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "no/such/file.txt: no such file or directory"
    );
    let err = CorpusReader::new()
        .read(&[Input::Stdin, Input::Stdin], |_| {})
        .unwrap_err();
    assert!(matches!(err.kind(), ReadErrorKind::StdinTwice));
}

/// A file of `bytes` in the temporary folder, removed on drop.
struct TempFile(PathBuf);

impl TempFile {
    fn new(tag: &str, bytes: &[u8]) -> TempFile {
        let name = format!("paradup-corpus-{}-{tag}", std::process::id());
        let path = std::env::temp_dir().join(name);
        fs::write(&path, bytes).unwrap();
        TempFile(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

    /// Read in pieces, a file is what `fs::read` gives, or nothing when compressed.
    #[test]
    fn pieces_equal_whole_read(
        bytes in proptest::prop_oneof![
            proptest::collection::vec(proptest::prelude::any::<u8>(), 0..5000),
            proptest::prelude::Strategy::prop_map("[a-zé€😀 \n\u{0}]{0,600}", String::into_bytes),
        ],
        threads in 1usize..6,
        piece in proptest::prop_oneof![1usize..16, proptest::prelude::Just(CHECK_PIECE)],
    ) {
        let file = TempFile::new(&format!("pieces-{threads}"), &bytes);
        let f = fs::File::open(&file.0).unwrap();
        let got = read_pieces(&f, bytes.len() as u64, threads, piece);
        if bytes.len() >= 2 && bytes[..2] == [0x1f, 0x8b] {
            proptest::prop_assert!(got.is_none());
        } else if bytes.len() >= 4 {
            let Some(Content::Checked(checked, nul_free)) = got else {
                panic!("read in pieces");
            };
            proptest::prop_assert_eq!(nul_free, !bytes.contains(&0));
            let whole = fs::read(&file.0).unwrap();
            proptest::prop_assert_eq!(
                checked.as_ref().map(String::as_str).map_err(|e| e.utf8_error()),
                std::str::from_utf8(&whole)
            );
            proptest::prop_assert_eq!(Content::Checked(checked, nul_free).into_bytes(), whole);
        }
        // Told the wrong size (the file changed), it declines.
        if bytes.len() >= 4 {
            proptest::prop_assert!(read_pieces(&f, bytes.len() as u64 - 1, threads, piece).is_none());
            proptest::prop_assert!(read_pieces(&f, bytes.len() as u64 + 1, threads, piece).is_none());
        }
    }
}

#[test]
fn large_file_read_on_threads_is_the_same_corpus() {
    // Past the size read in pieces, multi-byte characters across the cuts.
    let unit = "Ein schönes Wort, ein gutes Wort.\n\nΚαλημέρα κόσμε 🌍 end.\n\n";
    let text = unit.repeat((PIECES_FROM as usize) / unit.len() + 3);
    let file = TempFile::new("large", text.as_bytes());
    let input = [Input::Path(file.0.clone())];
    let one = CorpusReader::new().read(&input, |_| {}).unwrap();
    let three = CorpusReader::new().threads(3).read(&input, |_| {}).unwrap();
    assert_eq!(one.documents().len(), 1);
    assert_eq!(three.documents()[0].text(), one.documents()[0].text());
    assert_eq!(three.documents()[0].text(), text);
    assert_eq!(three.stats().bytes, one.stats().bytes);

    // A NUL byte in the last piece: binary on any thread count, at the same place.
    let mut bytes = text.into_bytes();
    let at = bytes.len() - 100;
    bytes[at] = 0;
    let file = TempFile::new("large-nul", &bytes);
    let input = [Input::Path(file.0.clone())];
    let one = CorpusReader::new().read(&input, |_| {}).unwrap();
    let three = CorpusReader::new().threads(3).read(&input, |_| {}).unwrap();
    assert!(one.documents().is_empty() && three.documents().is_empty());
    assert_eq!(three.problems(), one.problems());
    assert_eq!(one.problems()[0].offset, Some(at as u64));

    // A bad byte inside a multi-byte character in the middle: the same lossy text
    // and the same report on any thread count.
    bytes[at] = b' ';
    let mid = bytes.len() / 2;
    let mid = mid + bytes[mid..].iter().position(|&b| b >= 0xC0).unwrap() + 1;
    bytes[mid] = 0xFF;
    let file = TempFile::new("large-bad", &bytes);
    let input = [Input::Path(file.0.clone())];
    let one = CorpusReader::new().read(&input, |_| {}).unwrap();
    let three = CorpusReader::new().threads(3).read(&input, |_| {}).unwrap();
    assert_eq!(one.stats().invalid_utf8, 1);
    assert_eq!(three.stats().invalid_utf8, 1);
    assert_eq!(three.documents()[0].text(), one.documents()[0].text());
    assert_eq!(three.problems(), one.problems());
    assert_eq!(one.documents()[0].text(), String::from_utf8_lossy(&bytes));
}
