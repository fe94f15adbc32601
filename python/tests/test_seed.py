"""The seed article: lines 10 and 11 are the same paragraph lightly edited."""

import paradup


def test_article_as_a_document_gives_lines_10_and_11(article):
    clusters = paradup.Deduper().run_documents([article])
    assert len(clusters) == 1
    members = clusters[0].members
    assert [m.line for m in members] == [10, 11]
    assert [m.paragraph for m in members] == [9, 10]
    assert [m.doc for m in members] == [0, 0]
    # 46 of 55 distinct word pairs shared, as in the Rust crate docs.
    assert members[0].similarity == 1.0
    assert members[1].similarity == 46 / 55
    assert members[1].exact is False
    edited = article[members[1].start : members[1].end]
    assert "to the G20 summit" in edited
    assert edited == article.splitlines()[10]


def test_article_as_a_list_of_paragraphs_gives_indices_9_and_10(article):
    paragraphs = article.splitlines()
    clusters = paradup.Deduper().run(paragraphs)
    assert [[m.index for m in c.members] for c in clusters] == [[9, 10]]
    assert [m.similarity for m in clusters[0]] == [1.0, 46 / 55]
    keep = paradup.Deduper().keep(paragraphs)
    assert keep == [i for i in range(len(paragraphs)) if i != 10]


def test_character_offsets_and_byte_offsets_name_the_same_text(article):
    (cluster,) = paradup.Deduper().run_documents([article])
    raw = article.encode("utf-8")
    for m in cluster:
        # The article has curly quotes: character and byte offsets differ.
        assert m.byte_start > m.start
        assert article[m.start : m.end] == raw[m.byte_start : m.byte_end].decode("utf-8")
