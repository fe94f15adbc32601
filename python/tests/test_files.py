"""`run_files`: the example deduper's JSONL cluster records."""

import json
import pathlib
import subprocess

import pytest

import paradup


def test_run_files_gives_the_dedup_records(tmp_path, article):
    src = tmp_path / "article.txt"
    src.write_text(article, encoding="utf-8")
    out = tmp_path / "clusters.jsonl"
    records = paradup.Deduper().run_files([src], output=out)
    assert len(records) == 1
    rec = records[0]
    assert (rec["cluster"], rec["size"]) == (0, 2)
    assert [m["line"] for m in rec["members"]] == [10, 11]
    assert [m["source"] for m in rec["members"]] == [str(src)] * 2
    assert rec["members"][1]["similarity"] == 46 / 55
    # Byte offsets, as in the JSONL report.
    raw = article.encode("utf-8")
    m = rec["members"][1]
    assert "to the G20 summit" in raw[m["start"] : m["end"]].decode("utf-8")
    assert [json.loads(line) for line in out.read_text().splitlines()] == records


def test_run_files_reads_jsonl_with_ids(tmp_path, article):
    lines = article.splitlines()
    path = tmp_path / "docs.jsonl"
    path.write_text("".join(json.dumps({"id": f"p{i}", "text": t}) + "\n" for i, t in enumerate(lines)))
    records = paradup.Deduper().run_files(path)
    assert [[(m["source"], m["record"]) for m in r["members"]] for r in records] == [[("p9", 9), ("p10", 10)]]


def test_run_files_warns_about_bad_records(tmp_path, article):
    path = tmp_path / "docs.jsonl"
    path.write_text(json.dumps({"text": article}) + "\n{not json\n")
    with pytest.warns(UserWarning):
        records = paradup.Deduper().run_files([path])
    assert [m["line"] for m in records[0]["members"]] == [10, 11]


def dedup_binary():
    root = pathlib.Path(__file__).resolve().parents[2]
    for profile in ("debug", "release"):
        p = root / "target" / profile / "examples" / "dedup"
        if p.is_file():
            return p
    return None


@pytest.mark.skipif(dedup_binary() is None, reason="the example deduper is not built (cargo build --example dedup)")
def test_run_files_writes_what_dedup_prints(tmp_path, article):
    src = tmp_path / "article.txt"
    src.write_text(article + "\n\n" + article.replace("Kim", "Kim Jong-un"), encoding="utf-8")
    jsonl = tmp_path / "docs.jsonl"
    jsonl.write_text("".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in enumerate(article.splitlines())))
    ours = tmp_path / "ours.jsonl"
    paradup.Deduper().run_files([src, jsonl], output=ours)
    theirs = subprocess.run(
        [str(dedup_binary()), "--format", "jsonl", "-q", str(src), str(jsonl)], capture_output=True, check=False
    )
    assert theirs.returncode == 0, theirs.stderr
    assert ours.read_bytes() == theirs.stdout
    assert len(theirs.stdout.splitlines()) >= 2


def test_run_files_never_writes_over_an_input(tmp_path, article):
    src = tmp_path / "article.txt"
    src.write_text(article, encoding="utf-8")
    link = tmp_path / "same-file.txt"
    link.hardlink_to(src)
    for output in (src, link):
        with pytest.raises(ValueError, match="it is the input"):
            paradup.Deduper().run_files([src], output=output)
        assert src.read_text(encoding="utf-8") == article
    # A directory given as input: a file inside it is an input too.
    with pytest.raises(ValueError, match="it is the input"):
        paradup.Deduper().run_files([tmp_path], output=src)
    assert src.read_text(encoding="utf-8") == article
    assert sorted(p.name for p in tmp_path.iterdir()) == ["article.txt", "same-file.txt"]
