"""The bindings give the Rust answers (golden.json, written by a Rust test)."""

import numpy as np
import paradup


def rows(clusters):
    return [[[m.index, m.similarity, m.exact] for m in c.members] for c in clusters]


def test_clusters_equal_rust(golden):
    assert rows(paradup.Deduper().run(golden["texts"])) == golden["clusters"]
    d = paradup.Deduper(threshold=0.5, shingles="w3")
    assert rows(d.run(golden["texts"])) == golden["clusters_w3_0.5"]


def test_clusters_do_not_depend_on_threads(golden):
    one = rows(paradup.Deduper(threads=1).run(golden["texts"]))
    assert one == golden["clusters"]
    assert rows(paradup.Deduper(threads=3).run(golden["texts"])) == one


def test_document_clusters_equal_rust(golden):
    docs = golden["documents"]
    found = paradup.Deduper().run_documents(docs)
    got = [
        [[m.doc, m.paragraph, m.line, m.byte_start, m.byte_end, m.similarity, m.exact] for m in c]
        for c in found
    ]
    assert got == golden["document_clusters"]
    for c in found:
        for m in c:
            raw = docs[m.doc].encode("utf-8")
            assert docs[m.doc][m.start : m.end] == raw[m.byte_start : m.byte_end].decode("utf-8")


def test_signatures_equal_rust(golden):
    sample = golden["sample"]
    sigs = paradup.MinHasher().signatures(sample)
    assert sigs.dtype == np.uint32 and sigs.shape == (len(sample), 128)
    assert sigs.tolist() == golden["signatures_w2_128"]
    sigs = paradup.MinHasher(64, "c5", seed=1).signatures(sample)
    assert sigs.tolist() == golden["signatures_c5_64_seed1"]
    # No shingles (blank after normalization): every slot at the maximum.
    assert (sigs[sample.index("")] == 2**32 - 1).all()


def test_fingerprints_equal_rust(golden):
    fps = paradup.SimHasher().fingerprints(golden["sample"])
    assert fps.dtype == np.uint64
    assert [str(x) for x in fps.tolist()] == golden["simhash_c4"]


def test_signatures_of_many_texts_equal_one_by_one(golden):
    texts = golden["texts"]
    h = paradup.MinHasher()
    all_at_once = h.signatures(texts)
    for i in (0, 17, 150, 299):
        assert (h.signatures([texts[i]])[0] == all_at_once[i]).all()


def test_estimate_jaccard_is_the_share_of_equal_slots(golden):
    sigs = paradup.MinHasher().signatures(golden["texts"])
    a, b = sigs[3], sigs[279]
    assert paradup.estimate_jaccard(a, b) == float(np.mean(a == b))
    assert paradup.estimate_jaccard(a, a) == 1.0
