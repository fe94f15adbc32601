use super::*;
use crate::report::matches::Origin;

const FOX: &str = "The quick brown fox jumps over the lazy dog near the river bank.";
const FOX_EDITED: &str = "The quick brown fox jumps over the lazy dog near the river bend.";
const OTHER: &str = "Something else entirely, with words of its own.";

fn corpus(files: &[(&str, &str)]) -> Corpus {
    crate::corpus::test_corpus(files)
}

fn labels(named: &NamedIndex) -> Vec<(u64, String)> {
    let mut keys: Vec<u64> = (0..100)
        .filter(|&k| named.names().get(k).is_some())
        .collect();
    keys.sort_unstable();
    keys.into_iter()
        .map(|k| (k, named.names().get(k).unwrap().label()))
        .collect()
}

/// Saves the pair as the example deduper does: the index, then its names with the
/// index file's checksum.
fn save(named: &NamedIndex, path: &Path) {
    named.index().save(path).unwrap();
    let mut f = std::fs::File::create(names_path(path)).unwrap();
    let sum = file_checksum(path).unwrap();
    named.names().write_to(&mut f, sum).unwrap();
}

#[test]
fn from_corpus_keys_distinct_texts_in_input_order() {
    let text = format!("{FOX}\n\n{OTHER}\n\n{}\n", FOX.to_uppercase());
    let c = corpus(&[("a.txt", &text), ("b.txt", FOX_EDITED)]);
    let d = Deduper::new();
    let named = NamedIndex::from_corpus(&d, &c).unwrap();
    assert_eq!(named.len(), 3);
    assert!(!named.is_empty());
    let want = [(0, "a.txt:1"), (1, "a.txt:3"), (2, "b.txt:1")];
    let want: Vec<(u64, String)> = want.iter().map(|(k, l)| (*k, l.to_string())).collect();
    assert_eq!(labels(&named), want);
    assert!(NamedIndex::new(&d).is_empty());
}

#[test]
fn load_reads_back_a_saved_pair_and_names_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("i.idx");
    let d = Deduper::new();
    let named = NamedIndex::from_corpus(&d, &corpus(&[("a.txt", FOX)])).unwrap();

    let missing = NamedIndex::load(&path, &d).unwrap_err();
    assert!(matches!(&missing, LoadError::Index(e) if matches!(e.kind(), ErrorKind::Io(_))));

    named.index().save(&path).unwrap();
    match NamedIndex::load(&path, &d).unwrap_err() {
        LoadError::NamesMissing { path: p, error } => {
            assert_eq!(p, names_path(&path));
            assert_eq!(error.kind(), io::ErrorKind::NotFound);
        }
        e => panic!("{e}"),
    }

    std::fs::write(names_path(&path), "{}\n").unwrap();
    let bad = NamedIndex::load(&path, &d).unwrap_err();
    assert!(matches!(&bad, LoadError::Names { error, .. } if error.line == 1));
    assert!(
        bad.to_string()
            .ends_with("i.idx.names.jsonl: line 1: not a names header (no \"paradup_names\")")
    );

    save(&named, &path);
    let loaded = NamedIndex::load(&path, &d).unwrap();
    assert_eq!(labels(&loaded), labels(&named));

    let other = Deduper::builder().threshold(0.8).build().unwrap();
    let mismatch = NamedIndex::load(&path, &other).unwrap_err();
    assert!(
        matches!(&mismatch, LoadError::Index(e) if matches!(e.kind(), ErrorKind::IndexMismatch { .. }))
    );
}

#[test]
fn lookup_finds_matches_and_insert_new_adds_only_inexact_texts() {
    let d = Deduper::new();
    let mut named = NamedIndex::from_corpus(&d, &corpus(&[("old.txt", FOX)])).unwrap();
    let text = format!("{OTHER}\n\n{FOX_EDITED}\n\n{FOX}\n\n{OTHER}\n");
    let c = corpus(&[("new.txt", &text)]);
    let lookup = named.lookup(&d, &c).unwrap();
    let hits: Vec<(u64, u64, bool)> = lookup
        .hits()
        .iter()
        .map(|h| {
            let m = h.matches.best().unwrap();
            (h.paragraph.line, m.key, m.exact)
        })
        .collect();
    assert_eq!(hits, [(3, 0, false), (5, 0, true)]);
    // OTHER and FOX_EDITED are new; FOX is held exactly.
    assert_eq!(named.insert_new(&c, &lookup).unwrap(), 2);
    let want = [(0, "old.txt:1"), (1, "new.txt:1"), (2, "new.txt:3")];
    let want: Vec<(u64, String)> = want.iter().map(|(k, l)| (*k, l.to_string())).collect();
    assert_eq!(labels(&named), want);
    assert_eq!(lookup.into_hits().len(), 2);
}

#[test]
fn first_wins_keeps_first_occurrences_and_counts() {
    let d = Deduper::new();
    let mut named = NamedIndex::from_corpus(&d, &corpus(&[("old.txt", OTHER)])).unwrap();
    let text = format!("{FOX}\n\n{OTHER}\n\n{FOX_EDITED}\n");
    let c = corpus(&[("new.txt", &text)]);
    let run = named.first_wins(&d, &c).unwrap();
    assert_eq!((run.paragraphs(), run.kept()), (3, 1));
    assert_eq!(run.bytes(), FOX.len() + OTHER.len() + FOX_EDITED.len());
    let got: Vec<(u64, u64)> = run
        .hits()
        .iter()
        .map(|h| (h.paragraph.line, h.matches.best().unwrap().key))
        .collect();
    assert_eq!(got, [(3, 0), (5, 1)]);
    let removals = run.removals();
    assert_eq!(removals.len(), 2);
    assert_eq!((removals[0].cluster, removals[0].similarity), (0, 1.0));
    assert_eq!(removals[1].cluster, 1);
    assert!(removals[1].similarity < 1.0 && removals[1].similarity > 0.6);
    assert_eq!(run.into_hits().len(), 2);
    assert_eq!(named.len(), 2);
}

#[test]
fn no_key_left_is_an_error_not_a_panic() {
    let d = Deduper::new();
    let c = corpus(&[("a.txt", FOX)]);
    let mut named = NamedIndex::new(&d);
    named.index.insert(u64::MAX, OTHER);
    let p = c.paragraphs(d.splitter()).unwrap()[0];
    named.names.insert(u64::MAX, Origin::of(&c, &p));
    let e = named.first_wins(&d, &c).unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::IndexKeysExhausted);
    let lookup = named.lookup(&d, &c).unwrap();
    let e = named.insert_new(&c, &lookup).unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::IndexKeysExhausted);
    assert_eq!(
        e.to_string(),
        "the index uses key u64::MAX: no key is left for new paragraphs"
    );
    assert_eq!(named.len(), 1);
}
