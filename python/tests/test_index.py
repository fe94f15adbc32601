"""The Index binding: insert, query, top-k, remove, save and load (the Rust format)."""

import pathlib

import paradup

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_insert_query_remove(article):
    lines = article.splitlines()
    index = paradup.Index()
    index.insert_many(range(100, 100 + len(lines)), lines)
    assert len(index) == len(lines)
    assert 110 in index and 99 not in index
    best = index.query(lines[10])
    assert [(m.key, m.exact) for m in best] == [(110, True), (109, False)]
    assert best[1].similarity == paradup.estimate_jaccard(
        *paradup.MinHasher().signatures([lines[9], lines[10]])
    )
    assert [m.key for m in index.query(lines[10], k=1)] == [110]
    assert [[m.key for m in ms] for ms in index.query_many([lines[9], "nothing like it"])] == [[109, 110], []]
    assert index.remove(110) is True
    assert index.remove(110) is False
    assert [m.key for m in index.query(lines[10])] == [109]
    index.insert(5, lines[10])
    assert [m.key for m in index.query(lines[10])] == [5, 109]


def test_save_load_round_trip(tmp_path, article):
    lines = article.splitlines()
    index = paradup.Index(threshold=0.5, shingles="w3", num_perm=64)
    index.insert_many(range(len(lines)), lines)
    path = tmp_path / "article.idx"
    index.save(path)
    loaded = paradup.Index.load(path)
    assert len(loaded) == len(index)
    assert (loaded.threshold, loaded.num_perm, loaded.lsh) == (0.5, 64, index.lsh)
    for text in lines:
        assert [(m.key, m.similarity, m.exact) for m in loaded.query(text)] == [
            (m.key, m.similarity, m.exact) for m in index.query(text)
        ]
    # Saved again, the same bytes.
    again = tmp_path / "again.idx"
    loaded.save(again)
    assert again.read_bytes() == path.read_bytes()


def test_reads_and_writes_the_rust_golden_index(tmp_path):
    golden = ROOT / "tests" / "data" / "golden-index-v1.bin"
    index = paradup.Index.load(golden)
    assert len(index) > 0
    out = tmp_path / "copy.idx"
    index.save(out)
    assert out.read_bytes() == golden.read_bytes()
