"""Bad options and inputs are Python exceptions with the Rust message, never a crash."""

import pytest

import paradup


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(threshold=0), "threshold must be in (0, 1], got 0"),
        (dict(threshold=float("nan")), "threshold must be in (0, 1]"),
        (dict(shingles="x2"), 'bad shingles "x2"'),
        (dict(shingles="w"), 'bad shingles "w"'),
        (dict(shingles="w0"), "shingle size n must be at least 1"),
        (dict(num_perm=0), "num_perm must be at least 1"),
        (dict(num_perm=-3), "num_perm must be at least 0, got -3"),
        (dict(threads=0), "threads must be at least 1"),
        (dict(method="lsh"), 'bad method "lsh": use one of "minhash", "simhash"'),
        (dict(similarity="cosine"), 'bad similarity "cosine"'),
        (dict(lsh=(100, 100)), "bands * rows <= num_perm"),
        (dict(lsh_recall=1.5), "recall"),
        (dict(similarity="containment", method="simhash"), "containment similarity needs the MinHash method"),
        (dict(method="simhash", max_hamming=65), "65"),
        (dict(max_hamming=3), "max_hamming applies to method=\"simhash\" only"),
        (dict(verification="maybe"), 'bad verification "maybe"'),
    ],
)
def test_bad_options_are_value_errors(kwargs, message):
    with pytest.raises(ValueError) as e:
        paradup.Deduper(**kwargs)
    assert message in str(e.value)


def test_bad_call_arguments():
    d = paradup.Deduper()
    with pytest.raises(ValueError, match='bad keep "last"'):
        d.keep(["a"], keep="last")
    with pytest.raises(ValueError, match='bad paragraphs "lines"'):
        d.run_documents(["a"], paragraphs="lines")
    with pytest.raises(ValueError):
        paradup.MinHasher(num_perm=0)
    with pytest.raises(ValueError):
        paradup.SimHasher(weighting="idf")
    with pytest.raises(ValueError, match="same, non-zero length"):
        paradup.estimate_jaccard([1, 2], [1])


@pytest.mark.parametrize("bad", [["a", 3], ["a", None], [b"bytes"]])
def test_non_str_items_are_type_errors(bad):
    with pytest.raises(TypeError, match=f"item {len(bad) - 1} is"):
        paradup.Deduper().run(bad)
    with pytest.raises(TypeError):
        paradup.MinHasher().signatures(iter(bad))


def test_a_single_str_or_a_non_iterable_is_a_type_error():
    with pytest.raises(TypeError, match="single str"):
        paradup.Deduper().run("one paragraph")
    with pytest.raises(TypeError, match="iterable of str"):
        paradup.Deduper().run(42)


def test_file_errors_are_os_errors(tmp_path):
    with pytest.raises(OSError, match="No such file"):
        paradup.Index.load(tmp_path / "missing.idx")
    with pytest.raises(OSError):
        paradup.Index().save(tmp_path / "no" / "such" / "dir.idx")
    with pytest.raises(OSError):
        paradup.Deduper().run_files([tmp_path / "missing.txt"])
    with pytest.raises(OSError, match="not a regular file"):
        paradup.Index.load(tmp_path)


def test_a_file_that_is_not_an_index_is_a_value_error(tmp_path):
    p = tmp_path / "junk.idx"
    p.write_bytes(b"not an index at all, just some bytes" * 4)
    with pytest.raises(ValueError):
        paradup.Index.load(p)


def test_an_exception_in_an_iterator_propagates():
    def texts():
        yield "a b c"
        raise RuntimeError("from the generator")

    with pytest.raises(RuntimeError, match="from the generator"):
        paradup.Deduper().run(texts())
