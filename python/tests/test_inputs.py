"""Every kind of input gives the same answer: lists, tuples, iterators, numpy and
pyarrow arrays, and `paradup.Texts`."""

import numpy as np
import pytest

import paradup


def answer(texts):
    return [[m.index for m in c] for c in paradup.Deduper().run(texts)]


def test_sequences_iterators_and_numpy(article):
    lines = article.splitlines()
    expected = answer(lines)
    assert expected == [[9, 10]]
    assert answer(tuple(lines)) == expected
    assert answer(iter(lines)) == expected
    assert answer(line for line in lines) == expected
    assert answer(np.array(lines, dtype=object)) == expected
    assert answer(np.array(lines)) == expected
    t = paradup.texts(lines)
    assert len(t) == len(lines) and t[10] == lines[10] and t[-1] == lines[-1]
    assert answer(t) == expected
    assert paradup.Deduper().keep(t) == paradup.Deduper().keep(lines)
    assert (paradup.MinHasher().signatures(t) == paradup.MinHasher().signatures(lines)).all()
    assert answer([]) == []
    assert paradup.MinHasher().signatures([]).shape == (0, 128)


def test_pyarrow_string_arrays(article):
    pa = pytest.importorskip("pyarrow")
    lines = article.splitlines()
    expected = answer(lines)
    assert answer(pa.array(lines)) == expected
    assert answer(pa.array(lines, type=pa.large_string())) == expected
    assert answer(pa.chunked_array([lines[:10], lines[10:]])) == expected
    # A slice starts at an offset into the buffers.
    sliced = pa.array(["x"] * 3 + lines)[3:]
    assert answer(sliced) == expected
    assert paradup.texts(sliced)[0] == lines[0]
    with pytest.raises(TypeError, match="nulls"):
        answer(pa.array(["a", None]))
    with pytest.raises(TypeError, match="string array"):
        answer(pa.array([1, 2]))


def test_non_ascii_and_empty_texts():
    texts = ["Ça va très bien, merci beaucoup mon ami.", "", "   ", "ça va très bien merci beaucoup mon ami", "日本語のテキスト"]
    clusters = paradup.Deduper().run(texts)
    assert [[(m.index, m.exact) for m in c] for c in clusters] == [[(0, True), (3, True)]]
