"""paradup.spark against the local run: the same clusters, byte for byte, on the seed
article, on generated corpora (text, JSONL with malformed lines, several files), from a
DataFrame, and on a standalone cluster of a master and two workers started here.

Needs pyspark and Java; skipped without them (CI installs pyspark, see `.ci/run`).
"""

import json
import os
import pathlib
import random
import shutil
import socket
import subprocess
import sys
import time

import pytest

pyspark = pytest.importorskip("pyspark")
if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
    pytest.skip("no Java for Spark", allow_module_level=True)

import paradup  # noqa: E402
import paradup.spark as ps  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
SEED = ROOT / "tests" / "data" / "putin-kim-article.txt"


@pytest.fixture(scope="module")
def spark():
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    s = (
        SparkSession.builder.master("local[2]")
        .appName("paradup-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.driver.memory", "1g")
        .getOrCreate()
    )
    s.sparkContext.setLogLevel("ERROR")
    yield s
    s.stop()


def words(rng, n):
    vocab = [f"w{i}" for i in range(400)]
    return " ".join(rng.choice(vocab) for _ in range(n))


def edited(rng, text, k):
    ws = text.split()
    for _ in range(k):
        ws[rng.randrange(len(ws))] = f"x{rng.randrange(10**6)}"
    return " ".join(ws)


def corpus(seed, docs=30):
    """Documents of blank-line paragraphs: unique ones, exact copies, light edits,
    and chains of edits (which anti-chaining cuts)."""
    rng = random.Random(seed)
    pool = [words(rng, rng.randrange(12, 40)) for _ in range(60)]
    out = []
    for _ in range(docs):
        paras = []
        for _ in range(rng.randrange(1, 8)):
            r = rng.random()
            base = rng.choice(pool)
            if r < 0.3:
                paras.append(base)
            elif r < 0.55:
                paras.append(edited(rng, base, 1))
            elif r < 0.7:
                paras.append(edited(rng, edited(rng, base, 2), 2))
            else:
                paras.append(words(rng, rng.randrange(5, 30)))
        out.append("\n\n".join(paras) + "\n")
    return out


def spark_records(spark, paths, out, **kw):
    summary = ps.run_files(spark, [str(p) for p in paths], str(out), **kw)
    lines = []
    for part in sorted((out / "clusters").glob("part-*")):
        lines.extend(part.read_text(encoding="utf-8").splitlines())
    return lines, summary


def local_records(paths, **kw):
    """`dedup --format jsonl`'s lines, through the Python binding of the same run."""
    records = paradup.Deduper(**kw).run_files([str(p) for p in paths])
    return [json.dumps(r, separators=(",", ":")) for r in records]


def as_records(lines):
    return [json.loads(line) for line in lines]


def test_seed_groups_exactly_lines_10_and_11(spark, tmp_path):
    lines, summary = spark_records(spark, [SEED], tmp_path / "out")
    recs = as_records(lines)
    assert len(recs) == 1
    assert [m["line"] for m in recs[0]["members"]] == [10, 11]
    assert recs[0]["members"][1]["similarity"] == pytest.approx(0.8363636363636363)
    assert summary["counts"]["paragraphs"] == 24
    assert summary["counts"]["clusters"] == 1 and summary["counts"]["duplicates"] == 1
    # Byte for byte what `dedup --format jsonl` prints.
    assert (tmp_path / "out" / "summary.json").exists()
    assert as_records(lines) == as_records(local_records([SEED]))


def test_write_deduped_cuts_line_11_of_the_seed(spark, tmp_path):
    """`write_deduped`: each document without its duplicate paragraphs, by dedup's
    `--write-deduped` rule: the seed loses line 11 (and its newline), nothing else."""
    lines, summary = spark_records(spark, [SEED], tmp_path / "out", write_deduped=True)
    docs = [json.loads(l) for p in sorted((tmp_path / "out" / "deduped").glob("part-*")) for l in p.open(encoding="utf-8")]
    seed = SEED.read_text(encoding="utf-8")
    kept = seed.splitlines(keepends=True)
    del kept[10]
    assert docs == [{"id": str(SEED), "text": "".join(kept)}]
    assert summary["counts"]["duplicates"] == 1


@pytest.mark.parametrize("seed", [1, 2])
def test_generated_corpora_equal_the_local_run(spark, tmp_path, seed):
    docs = corpus(seed)
    paths = []
    for i in range(3):
        p = tmp_path / f"t{i}.txt"
        p.write_text("".join(docs[i * 10 : (i + 1) * 10]), encoding="utf-8")
        paths.append(p)
    lines, summary = spark_records(spark, paths, tmp_path / "out")
    local = local_records(paths)
    assert len(local) >= 5  # the corpus has clusters to find
    assert as_records(lines) == as_records(local)
    assert summary["counts"]["clusters"] == len(local)


def test_jsonl_with_malformed_lines_is_counted_not_failed(spark, tmp_path):
    docs = corpus(3, docs=40)
    p = tmp_path / "docs.jsonl"
    with p.open("w", encoding="utf-8") as f:
        for i, d in enumerate(docs):
            f.write(json.dumps({"id": f"d{i}", "text": d}) + "\n")
            if i % 9 == 4:
                f.write('{"id": "broken", "text": \n')
        f.write("not json at all\n")
    q = tmp_path / "more.jsonl.gz"
    import gzip

    with gzip.open(q, "wt", encoding="utf-8") as f:
        for i, d in enumerate(docs[:10]):
            f.write(json.dumps({"text": d}) + "\n")
    lines, summary = spark_records(spark, [p, q], tmp_path / "out")
    assert summary["counts"]["problems"] == 5  # four broken records and a line of prose
    assert any("malformed JSON" in s for s in summary["problems"])
    local = local_records([p, q])
    assert len(local) >= 10
    assert as_records(lines) == as_records(local)
    # Records carry file and record, as dedup's do.
    assert all("file" in m and "record" in m for r in as_records(lines) for m in r["members"])


def test_parquet_reads_as_the_same_records_as_jsonl(spark, tmp_path):
    """A Parquet file of `(id, text)` rows gives the records of the same documents as
    JSONL lines, but for the file's name; a row with a null text is a problem."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    docs = corpus(6, docs=30)
    ids = [f"p{i}" for i in range(len(docs))]
    j = tmp_path / "docs.jsonl"
    j.write_text("".join(json.dumps({"id": i, "text": d}) + "\n" for i, d in zip(ids, docs)), encoding="utf-8")
    q = tmp_path / "docs.parquet"
    pq.write_table(pa.table({"id": ids + ["none"], "text": docs + [None]}), q)
    lines, summary = spark_records(spark, [q], tmp_path / "out")
    assert summary["counts"]["problems"] == 1
    want = as_records(local_records([j]))
    assert len(want) >= 5
    for r in want:
        for m in r["members"]:
            m["file"] = str(q)
    assert as_records(lines) == want


def test_empty_input_gives_no_clusters(spark, tmp_path):
    p = tmp_path / "empty.txt"
    p.write_text("", encoding="utf-8")
    lines, summary = spark_records(spark, [p], tmp_path / "out")
    assert lines == [] and summary["counts"]["paragraphs"] == 0 and summary["counts"]["clusters"] == 0
    df = spark.createDataFrame([], "text string")
    assert ps.dedup(df).count() == 0


def test_options_reach_the_executors(spark, tmp_path):
    docs = corpus(4)
    p = tmp_path / "a.txt"
    p.write_text("".join(docs), encoding="utf-8")
    kw = dict(threshold=0.5, shingles="w3", num_perm=64, anti_chaining=False)
    lines, _ = spark_records(spark, [p], tmp_path / "out", **kw)
    assert as_records(lines) == as_records(local_records([p], **kw))
    default, _ = spark_records(spark, [p], tmp_path / "out2")
    assert lines != default


def test_dataframe_dedup_equals_run_documents(spark):
    docs = corpus(5, docs=24)
    df = spark.createDataFrame([(f"id{i}", d) for i, d in enumerate(docs)], "id string, text string").repartition(3)
    # The documents' order is the DataFrame's: take it as Spark has it.
    ordered = [(r["id"], r["text"]) for r in df.collect()]
    rows = ps.dedup(df, id_col="id").collect()
    local = paradup.Deduper().run_documents([t for _, t in ordered])
    got = {}
    for r in rows:
        got.setdefault(r["cluster"], []).append((r["doc"], r["paragraph"], r["start"], r["end"], r["similarity"], r["representative"]))
    want = {
        i: [(m.doc, m.paragraph, m.byte_start, m.byte_end, m.similarity, j == 0) for j, m in enumerate(c.members)]
        for i, c in enumerate(local)
    }
    assert len(want) >= 5
    assert got == want
    assert all(r["id"] == ordered[r["doc"]][0] for r in rows)
    assert [r["size"] for r in rows if r["representative"]] == [len(c.members) for c in local]


def test_remove_duplicates_cuts_the_duplicates_and_nothing_else(spark):
    a = "The cat sat on the mat and looked out of the window at the rain.\n\nA dog barked twice.\n"
    b = "Another story begins here.\r\n\r\nThe cat sat on the mat and looked out of the window at the snow.\r\n\r\nThe end.\n"
    c = "A dog barked twice!!\n"
    df = spark.createDataFrame([(1, a, "x"), (2, b, "y"), (3, c, "z")], "n long, text string, other string").coalesce(1)
    out = ps.remove_duplicates(df).collect()
    assert [(r["n"], r["text"], r["other"]) for r in out] == [
        (1, a, "x"),
        (2, "Another story begins here.\r\n\r\n\r\nThe end.\n", "y"),
    ]
    # The longer copy of the dog is kept: the first document loses its own.
    longest = ps.remove_duplicates(df, keep="longest").collect()
    assert [(r["n"], r["text"]) for r in longest] == [
        (1, "The cat sat on the mat and looked out of the window at the rain.\n\n"),
        (2, "Another story begins here.\r\n\r\n\r\nThe end.\n"),
        (3, c),
    ]


def test_bad_options_and_outputs_are_refused_before_work(spark, tmp_path):
    with pytest.raises(ValueError, match="minhash"):
        ps.run_files(spark, [str(SEED)], str(tmp_path / "o"), method="simhash")
    with pytest.raises(ValueError, match="threshold"):
        ps.run_files(spark, [str(SEED)], str(tmp_path / "o"), threshold=2.0)
    d = tmp_path / "in"
    d.mkdir()
    shutil.copy(SEED, d / "a.txt")
    with pytest.raises(ValueError, match="holds the input"):
        ps.run_files(spark, [str(d / "a.txt")], str(d))
    with pytest.raises(ValueError, match="inside the input directory"):
        ps.run_files(spark, [str(d)], str(d / "out"))
    (tmp_path / "o2" / "clusters").mkdir(parents=True)
    with pytest.raises(ValueError, match="exists"):
        ps.run_files(spark, [str(SEED)], str(tmp_path / "o2"))
    assert (d / "a.txt").read_bytes() == SEED.read_bytes()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, seconds=60):
    end = time.time() + seconds
    while time.time() < end:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.3)
    raise TimeoutError(f"nothing listens on {port}")


def test_standalone_cluster_equals_local(tmp_path):
    """A Spark master and two workers on 127.0.0.1 (pyspark's own launch classes), the
    command run against them, its clusters equal to local[2]'s and dedup's."""
    home = pathlib.Path(pyspark.__file__).parent
    cp = str(home / "jars" / "*")
    java = shutil.which("java") or os.path.join(os.environ["JAVA_HOME"], "bin", "java")
    # SPARK_SCALA_VERSION: without it the worker looks for a source build to launch executors.
    env = dict(os.environ, SPARK_HOME=str(home), SPARK_LOCAL_IP="127.0.0.1", SPARK_SCALA_VERSION="2.12", PYSPARK_PYTHON=sys.executable)
    port = free_port()
    master_url = f"spark://127.0.0.1:{port}"
    procs = [
        subprocess.Popen(
            [java, "-Xmx256m", "-cp", cp, "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", str(port), "--webui-port", str(free_port())],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    ]
    try:
        wait_port(port)
        for i in range(2):
            work = tmp_path / f"work{i}"
            procs.append(
                subprocess.Popen(
                    [java, "-Xmx256m", "-cp", cp, "org.apache.spark.deploy.worker.Worker", master_url, "--host", "127.0.0.1", "--cores", "1", "--memory", "1g", "--work-dir", str(work), "--webui-port", str(free_port())],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        docs = corpus(7, docs=40)
        paths = []
        for i in range(2):
            p = tmp_path / f"c{i}.txt"
            p.write_text("".join(docs[i * 20 : (i + 1) * 20]), encoding="utf-8")
            paths.append(str(p))
        out = tmp_path / "out"
        run = subprocess.run(
            [sys.executable, "-m", "paradup.spark", *paths, "--output", str(out), "--master", master_url],
            env=dict(env, PYSPARK_SUBMIT_ARGS="--conf spark.executor.memory=512m --conf spark.driver.memory=512m pyspark-shell"),
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert run.returncode == 0, run.stderr[:4000]
        assert "clusters with" in run.stderr
        lines = []
        for part in sorted((out / "clusters").glob("part-*")):
            lines.extend(part.read_text(encoding="utf-8").splitlines())
        local = local_records(paths)
        assert len(local) >= 5
        assert as_records(lines) == as_records(local)
        # Both workers took part: each ran an executor for the application.
        apps = [d for w in ("work0", "work1") for d in (tmp_path / w).glob("app-*")]
        assert len(apps) == 2
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
