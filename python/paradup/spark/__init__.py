"""paradup on Apache Spark: the clusters of a local run, for corpora larger than one
machine.

The executors run paradup's own stages (`paradup._paradup.Stages`) on Arrow batches
(`mapInArrow`); the engine does what needs the whole corpus: exact duplicates grouped
by key, band buckets grouped by ``(band, key)``, candidate pairs joined with their
texts, connected components by alternating large-star and small-star (Kiveris et al.
2014), and one task per connected group for anti-chaining. Paragraphs are numbered in
corpus order and texts by their first paragraph, so the clusters, their ids and their
representatives are those of ``dedup --format jsonl`` whatever the partitioning.

Three entry points:

- `dedup(df, ...)`: one row per clustered paragraph of a DataFrame of documents;
- `remove_duplicates(df, ...)`: the DataFrame without its duplicate paragraphs;
- `run_files(spark, paths, output, ...)` and ``python -m paradup.spark``: files (text,
  JSONL, gzip, Parquet) to ``dedup``'s JSONL records or Parquet, with a summary.

See ``docs/SPARK.md``.
"""

from __future__ import annotations

import json
import os
import time
import urllib.request
from typing import Any, Dict, Optional, Sequence, Tuple, Union

from .. import Deduper, _paradup
from . import _tasks

__all__ = ["dedup", "remove_duplicates", "run_files", "MEMBER_COLUMNS"]

# The columns of `dedup`'s result, in order.
MEMBER_COLUMNS = [
    "cluster",
    "size",
    "doc",
    "id",
    "paragraph",
    "line",
    "start",
    "end",
    "representative",
    "similarity",
    "exact",
]


def _options(deduper_options: Dict[str, Any]) -> Dict[str, Any]:
    """The deduper's options, checked once on the driver (a bad one fails here, not
    in a task), without `threads` (each task runs on one core)."""
    opts = {k: v for k, v in deduper_options.items() if k != "threads"}
    if opts.get("method", "minhash") != "minhash":
        raise ValueError("paradup.spark runs method='minhash' (SimHash's Hamming search needs every fingerprint in one place)")
    d = Deduper(**opts)
    d._inner._stages("whole")  # refuses the configurations the stages do not cover
    if "lsh" in opts and opts["lsh"] is not None:
        opts["lsh"] = tuple(opts["lsh"])
    return opts


def _shuffle_bytes(spark: Any) -> Optional[int]:
    """Shuffle bytes written so far by this application's completed stages, from
    Spark's REST API; None without the UI."""
    sc = spark.sparkContext
    url = sc.uiWebUrl
    if not url:
        return None
    try:
        with urllib.request.urlopen(f"{url}/api/v1/applications/{sc.applicationId}/stages?status=complete", timeout=5) as r:
            stages = json.load(r)
        return sum(int(s.get("shuffleWriteBytes", 0)) for s in stages)
    except (OSError, ValueError):
        return None


# The most rows of a side that `_Run.small` broadcasts (about 40 MB of ids, spans
# and names at these widths).
BROADCAST_ROWS = 1 << 20


class _Run:
    """One run on the engine: the options, and per stage its time and shuffle bytes."""

    def __init__(self, spark: Any, options: Dict[str, Any]) -> None:
        from pyspark import StorageLevel

        self.spark = spark
        self.options = options
        self.level = StorageLevel.MEMORY_AND_DISK
        self.times: Dict[str, float] = {}
        self.shuffle: Dict[str, int] = {}
        self.counts: Dict[str, int] = {}
        self._clock = time.perf_counter()
        self._shuffled = _shuffle_bytes(spark)

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.times[stage] = self.times.get(stage, 0.0) + now - self._clock
        self._clock = now
        total = _shuffle_bytes(self.spark)
        if total is not None and self._shuffled is not None:
            self.shuffle[stage] = self.shuffle.get(stage, 0) + total - self._shuffled
        self._shuffled = total

    def hold(self, df: Any, count: Optional[str] = None) -> Any:
        """`df` computed now and kept on the executors (its row count under `count`).
        A local checkpoint, not `persist`: it also cuts the plan, which otherwise
        grows with every stage and every component iteration (each cached relation
        prints its whole lineage, and the planner ran out of heap on those strings)."""
        df = df.localCheckpoint(eager=True)
        if count:
            self.counts[count] = df.count()
        return df

    def small(self, df: Any, count: str) -> Any:
        """`df`, marked for a broadcast join when `counts[count]` rows are few: the
        other side (every paragraph) is then read where it lies instead of shuffled.
        Spark's adaptive plan cannot know it in time: both sides' shuffles have run."""
        from pyspark.sql import functions as F

        return F.broadcast(df) if self.counts.get(count, BROADCAST_ROWS + 1) <= BROADCAST_ROWS else df

    @property
    def shuffle_partitions(self) -> int:
        return int(self.spark.conf.get("spark.sql.shuffle.partitions", "200"))

    @property
    def parallelism(self) -> int:
        return max(1, self.spark.sparkContext.defaultParallelism)

    def find(self, read: Any) -> Tuple[Any, Any]:
        """The members (one row per clustered paragraph, `MEMBER_COLUMNS` and the
        internal `pid`, `unit`, `udoc`, `file`, `record`) and the documents of `read`,
        the rows of `_tasks.READ_SCHEMA`."""
        from pyspark.sql import functions as F

        opts = self.options
        read = self.hold(read)
        per_unit = (
            read.groupBy("unit")
            .agg(
                F.sum((F.col("kind") == _tasks.PARAGRAPH).cast("long")).alias("p"),
                F.sum((F.col("kind") == _tasks.DOCUMENT).cast("long")).alias("d"),
                F.sum((F.col("kind") == _tasks.PROBLEM).cast("long")).alias("x"),
                F.sum(F.when(F.col("kind") == _tasks.PARAGRAPH, F.col("end") - F.col("start"))).alias("b"),
            )
            .collect()
        )
        # Paragraphs and documents numbered in corpus order: each unit's own numbers
        # after those of the units before it.
        bases, p_at, d_at = [], 0, 0
        for row in sorted(per_unit, key=lambda r: r["unit"]):
            bases.append((row["unit"], p_at, d_at))
            p_at += row["p"]
            d_at += row["d"]
        self.counts.update(
            paragraphs=p_at,
            documents=d_at,
            problems=sum(r["x"] for r in per_unit),
            bytes=sum(r["b"] or 0 for r in per_unit),
        )
        base = self.spark.createDataFrame(bases or [(0, 0, 0)], "unit int, pbase long, dbase long")
        rows = read.join(F.broadcast(base), "unit")
        paras = rows.where(F.col("kind") == _tasks.PARAGRAPH).select(
            (F.col("pbase") + F.col("ord")).alias("pid"),
            (F.col("dbase") + F.col("doc")).alias("doc"),
            "unit",
            F.col("doc").alias("udoc"),
            "index",
            "line",
            "start",
            "end",
            "text",
            "hi",
            "lo",
            "live",
            "keys",
        )
        docs = rows.where(F.col("kind") == _tasks.DOCUMENT).select(
            (F.col("dbase") + F.col("doc")).alias("doc"), "unit", F.col("doc").alias("udoc"), "source", "file", "record", "text"
        )
        self.problem_sample = []
        if self.counts["problems"]:
            problems = read.where(F.col("kind") == _tasks.PROBLEM).orderBy("unit", "doc").select("text")
            self.problem_sample = [r["text"] for r in problems.limit(20).collect()]
        self.lap("read")

        # Exact duplicates: a text is named by its first paragraph (`tid`). Grouped by
        # key with the count and first paragraph summed up where the paragraphs lie,
        # then joined back (broadcast when the texts are few): a window over the key
        # would move every paragraph with its band keys.
        keyed = self.hold(
            paras.groupBy("hi", "lo").agg(F.min("pid").alias("tid"), F.count("*").alias("n")),
            "distinct",
        )
        # With each paragraph its copies' count and its provenance, so that the
        # cluster stage needs no join with the paragraphs; band keys only on the
        # first paragraph of a text, the one stage 4 reads.
        texts_of = self.hold(
            paras.join(self.small(keyed, "distinct"), ["hi", "lo"]).select(
                "pid",
                "tid",
                "n",
                "live",
                F.when(F.col("pid") == F.col("tid"), F.col("keys")).alias("keys"),
                "doc",
                "unit",
                "udoc",
                "index",
                "line",
                "start",
                "end",
            )
        )
        self.lap("exact")

        # Stage 4: band buckets of the distinct live texts, pairs by the local rule.
        parts = self.shuffle_partitions
        candidates = self.hold(
            texts_of.where((F.col("pid") == F.col("tid")) & F.col("live"))
            .select("tid", "keys")
            .mapInArrow(_tasks.band_blobs(opts, parts), _tasks.BLOB_DDL)
            .repartition(parts, "p")
            .mapInArrow(_tasks.bucket_blobs(opts), _tasks.PAIRS_DDL)
            .distinct(),
            "candidates",
        )

        # Stage 5: each pair with its two texts, verified on the executors. Only the
        # texts of candidate pairs move (a semi-join with their ids, broadcast when
        # few), not every paragraph's.
        text = paras.select(F.col("pid").alias("t"), "text")
        ids = candidates.select(F.col("a").alias("t")).unionByName(candidates.select(F.col("b").alias("t"))).distinct()
        needed = text.join(self.small(ids, "candidates"), "t", "left_semi")
        pairs = candidates.join(needed.select(F.col("t").alias("a"), F.col("text").alias("ta")), "a").join(
            needed.select(F.col("t").alias("b"), F.col("text").alias("tb")), "b"
        )
        verified = self.hold(
            pairs.select("a", "b", "ta", "tb")
            .mapInArrow(_tasks.verify(opts), _tasks.VERIFIED_DDL)
            .where(~F.isnan("sim")),
            "verified",
        )
        self.lap("candidates_verify")

        # Stage 6: connected components on the engine, then anti-chaining per group.
        comp, iterations = connected_components(verified.select("a", "b"), self)
        self.counts["component_iterations"] = iterations
        self.lap("components")
        nodes = (
            text.select(F.col("t").alias("tid"), "text").join(self.small(comp, "grouped_texts"), "tid")
            .groupBy("comp")
            .agg(F.collect_list(F.struct("tid", "text")).alias("nodes"))
        )
        edges = (
            verified.join(comp.select(F.col("tid").alias("a"), "comp"), "a")
            .groupBy("comp")
            .agg(F.collect_list(F.struct("a", "b")).alias("edges"))
        )
        grouped = nodes.join(edges, "comp").select("nodes", "edges").mapInArrow(
            _tasks.split_groups(opts), _tasks.ASSIGN_DDL
        )
        # A text of two paragraphs or more in no group is a cluster of its own.
        repeated = texts_of.where((F.col("pid") == F.col("tid")) & (F.col("n") >= 2)).select("tid")
        alone = repeated.join(comp.select("tid"), "tid", "left_anti").select(
            "tid", F.col("tid").alias("rep"), F.lit(1.0).alias("sim")
        )
        placed = self.hold(grouped.unionByName(alone), "placed_texts")
        assigned = texts_of.select("pid", "tid", "doc", "unit", "udoc", "index", "line", "start", "end").join(
            self.small(placed, "placed_texts"), "tid"
        )
        # Read twice (sizes, members): a broadcast join is redone where the
        # paragraphs lie, cheaper than holding every clustered paragraph; a
        # shuffled one is not.
        if self.counts["placed_texts"] > BROADCAST_ROWS:
            assigned = self.hold(assigned)
        sizes = assigned.groupBy("rep").agg(F.count("*").alias("size")).where(F.col("size") >= 2)
        numbered = _numbered(self, sizes, "rep", "cluster")
        members = (
            assigned.join(self.small(numbered, "clusters"), "rep")
            .join(self.small(docs.select("doc", "source", "file", "record"), "documents"), "doc")
            .select(
                "cluster",
                "size",
                "doc",
                F.col("source").alias("id"),
                F.col("index").alias("paragraph"),
                "line",
                "start",
                "end",
                (F.col("pid") == F.col("rep")).alias("representative"),
                F.col("sim").alias("similarity"),
                (F.col("tid") == F.col("rep")).alias("exact"),
                "pid",
                "unit",
                "udoc",
                "file",
                "record",
            )
        )
        # In the order of the output (whole clusters per partition, in order), so that
        # writing them needs no shuffle of its own; not held: a caller that reads them
        # once (the command without `--write-deduped`) makes them as it writes.
        members = members.repartitionByRange(self.shuffle_partitions, "cluster").sortWithinPartitions("cluster", "pid")
        self.counts["duplicates"] = self.counts["members"] - self.counts["clusters"]
        self.lap("cluster")
        return members, docs


def _numbered(run: "_Run", df: Any, key: str, name: str) -> Any:
    """`df` with `name`, the rank of each row by `key` (distinct) from 0: a range
    sort, each row's position in its partition (`monotonically_increasing_id` holds
    the partition in its upper bits), and each partition's row count added up in
    order on the driver (one number per partition)."""
    from pyspark.sql import functions as F

    ranked = run.hold(
        df.repartitionByRange(run.shuffle_partitions, key)
        .sortWithinPartitions(key)
        .withColumn("__part", F.spark_partition_id())
        .withColumn("__at", F.monotonically_increasing_id())
    )
    counts = sorted(
        (r["__part"], r["n"], r["size"] or 0)
        for r in ranked.groupBy("__part").agg(F.count("*").alias("n"), F.sum("size").alias("size")).collect()
    )
    bases, total = [], 0
    for part, n, _ in counts:
        bases.append((part, total))
        total += n
    run.counts["clusters"] = total
    run.counts["members"] = sum(c[2] for c in counts)
    base = run.spark.createDataFrame(bases or [(0, 0)], "__part int, __base long")
    return ranked.join(F.broadcast(base), "__part").select(
        *df.columns,
        (F.col("__base") + F.col("__at") - F.shiftleft(F.col("__part").cast("long"), 33)).alias(name),
    )


def connected_components(edges: Any, run: _Run) -> Tuple[Any, int]:
    """The connected components of the graph of `edges` (columns `a`, `b`): `(tid,
    comp)` for every node, `comp` the smallest node of its component. Alternates
    large-star and small-star (Kiveris et al. 2014, "Connected Components in MapReduce
    and Beyond") until an iteration changes nothing; the graph never leaves the engine.
    Returns the components and the number of iterations."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    by_u = Window.partitionBy("u")
    # Each edge once, as (larger, smaller).
    e = run.hold(edges.select(F.greatest("a", "b").alias("u"), F.least("a", "b").alias("v")).distinct())
    iterations = 0
    while True:
        iterations += 1
        # Large-star: each node's larger neighbours move to the smallest of its
        # neighbourhood (itself included). Windows, not a group-by and a join: one
        # shuffle each instead of two.
        both = e.unionByName(e.select(F.col("v").alias("u"), F.col("u").alias("v")))
        large = (
            both.select("u", "v", F.least(F.min("v").over(by_u), F.col("u")).alias("m"))
            .where(F.col("v") > F.col("u"))
            .select(F.col("v").alias("u"), F.col("m").alias("v"))
        )
        # Small-star: each node and its smaller neighbours move to the smallest of them.
        low = large.select("u", "v", F.min("v").over(by_u).alias("m"))
        small = (
            low.select(F.col("v").alias("n"), "m")
            .unionByName(low.select(F.col("u").alias("n"), "m"))
            .where(F.col("n") != F.col("m"))
            .select(F.greatest("n", "m").alias("u"), F.least("n", "m").alias("v"))
            .distinct()
        )
        e = run.hold(small)
        # Done when the graph is stars around their smallest nodes: no node has two
        # edges to smaller ones, nor one to a smaller and one from a larger. One job.
        ends = e.select(F.col("u").alias("n"), F.lit(1).alias("up"), F.lit(0).alias("down")).unionByName(
            e.select(F.col("v").alias("n"), F.lit(0).alias("up"), F.lit(1).alias("down"))
        )
        unsettled = (
            ends.groupBy("n")
            .agg(F.sum("up").alias("up"), F.sum("down").alias("down"))
            .where((F.col("up") > 1) | ((F.col("up") > 0) & (F.col("down") > 0)))
        )
        if unsettled.limit(1).count() == 0:
            break
    comp = e.select(F.col("u").alias("tid"), F.col("v").alias("comp")).unionByName(
        e.select(F.col("v").alias("tid"), F.col("v").alias("comp"))
    )
    comp = run.hold(comp.distinct(), "grouped_texts")
    return comp, iterations


def _documents(df: Any, text_col: str, id_col: Optional[str]) -> Any:
    from pyspark.sql import functions as F

    cols = [F.col(text_col).cast("string").alias("text")]
    if id_col is not None:
        cols.append(F.col(id_col).cast("string").alias("id"))
    return df.select(*cols)


def dedup(
    df: Any,
    text_col: str = "text",
    id_col: Optional[str] = None,
    paragraphs: str = "auto",
    **deduper_options: Any,
) -> Any:
    """Near-duplicate paragraphs of a DataFrame of documents, found on the cluster.

    Documents are in the DataFrame's order (partition by partition, row by row; sort
    it first for another order), cut into paragraphs by `paragraphs` (``"auto"``,
    ``"blank"``, ``"line"``, ``"whole"``). The options are `paradup.Deduper`'s
    (``threshold``, ``shingles``, ``num_perm``, ``lsh``, ``seed``, ``anti_chaining``,
    ...; MinHash with exact Jaccard verification).

    Returns a DataFrame with one row per clustered paragraph, ordered by cluster and
    position: ``cluster`` (0-based, clusters in order of first member), ``size``,
    ``doc`` (the document's 0-based position), ``id`` (its `id_col`, as a string, or
    null), ``paragraph`` (0-based in the document), ``line`` (1-based), ``start`` and
    ``end`` (UTF-8 byte offsets in the document), ``representative`` (the cluster's
    first occurrence), ``similarity`` (to the representative) and ``exact`` (equal to
    it after normalization). The result is computed and persisted; call
    ``unpersist()`` on it when done.
    """
    opts = _options(deduper_options)
    run = _Run(df.sparkSession, opts)
    read = _documents(df, text_col, id_col).mapInArrow(
        _tasks.split_rows(opts, paragraphs, id_col is not None, False), _tasks.READ_DDL
    )
    members, docs = run.find(read)
    # Ordered by cluster and position already (`_Run.find`).
    out = members.select(*MEMBER_COLUMNS).persist(run.level)
    out.count()
    out.paradup_counts = dict(run.counts)  # type: ignore[attr-defined]
    return out


def _kept(members: Any, keep: str) -> Any:
    """`members` with `kept`: the representative (``"first"``) or the longest member
    in bytes, the first of those on a tie (``"longest"``)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    if keep == "first":
        return members.withColumn("kept", F.col("representative"))
    if keep == "longest":
        w = Window.partitionBy("cluster").orderBy((F.col("end") - F.col("start")).desc(), F.col("pid"))
        return members.withColumn("kept", F.row_number().over(w) == 1)
    raise ValueError(f'bad keep {keep!r}: use one of "first", "longest"')


def remove_duplicates(
    df: Any,
    text_col: str = "text",
    keep: str = "first",
    paragraphs: str = "auto",
    **deduper_options: Any,
) -> Any:
    """`df` without its duplicate paragraphs: in each cluster of `dedup`, every
    member but the kept one (``keep="first"``, the first occurrence, or
    ``"longest"``) is cut out of its document with the line terminator after it,
    as ``dedup --write-deduped`` cuts; every other byte of the text and every other
    column stay as they were. A document left with nothing but whitespace is dropped.
    Rows keep the DataFrame's order. `df` is persisted for the run (its rows are
    matched to the result by position) and released at the end.
    """
    from pyspark.sql import functions as F

    if keep not in ("first", "longest"):
        raise ValueError(f'bad keep {keep!r}: use one of "first", "longest"')
    opts = _options(deduper_options)
    row = "__paradup_row"
    base = df.withColumn(row, F.monotonically_increasing_id()).persist()
    try:
        run = _Run(df.sparkSession, opts)
        read = _documents(base, text_col, row).mapInArrow(
            _tasks.split_rows(opts, paragraphs, True, False), _tasks.READ_DDL
        )
        members, _ = run.find(read)
        cuts = (
            _kept(members, keep)
            .where(~F.col("kept"))
            .groupBy(F.col("id").cast("long").alias(row))
            .agg(F.collect_list("start").alias("__starts"), F.collect_list("end").alias("__ends"))
        )
        joined = base.join(cuts, row, "left").orderBy(row)
        schema = joined.schema
        out = (
            joined.mapInArrow(_tasks.cut_documents(text_col), schema)
            .where(F.col(text_col).isNotNull() | F.col("__starts").isNull())
            .select(*df.columns)
        )
        out = out.persist(run.level)
        out.count()
        return out
    finally:
        base.unpersist()


PathLike = Union[str, "os.PathLike[str]"]


def _check_outputs(files: Sequence[Tuple[str, str]], inputs: Sequence[str], output: str) -> None:
    """Refuses an output directory that is an input, holds one, or lies inside an
    input directory, and output paths that exist already: Spark would write over
    them. Before anything is read."""
    out = os.path.realpath(output)
    if os.path.exists(output) and not os.path.isdir(output):
        raise ValueError(f"output {output}: not a directory")
    for path, name in files:
        real = os.path.realpath(path)
        if real == out or real.startswith(out + os.sep):
            raise ValueError(f"refusing to write into {output}: it holds the input {name}")
    for p in inputs:
        if os.path.isdir(p):
            d = os.path.realpath(p)
            if out == d or out.startswith(d + os.sep):
                raise ValueError(f"refusing to write into {output}: it is inside the input directory {p}")
    for sub in ("clusters", "deduped", "summary.json"):
        if os.path.exists(os.path.join(output, sub)):
            raise ValueError(f"{os.path.join(output, sub)} exists: paradup.spark writes only new paths")


def _write_atomic(path: str, text: str) -> None:
    """`text` to a temporary file beside `path`, renamed into place once complete."""
    import tempfile

    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".paradup-", dir=d)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def run_files(
    spark: Any,
    paths: Union[PathLike, Sequence[PathLike]],
    output: PathLike,
    *,
    output_format: str = "jsonl",
    paragraphs: str = "auto",
    input_format: str = "auto",
    text_field: str = "text",
    id_field: str = "id",
    write_deduped: bool = False,
    keep: str = "first",
    **deduper_options: Any,
) -> Dict[str, Any]:
    """Reads files and directories (text, JSONL, gzip-compressed or not, and Parquet:
    one task per file, on the executors, which must see the same paths) and writes
    under `output`:

    - ``clusters/``: with ``output_format="jsonl"``, the records of ``dedup --format
      jsonl``, one cluster per line, in order across the part files (their
      concatenation is ``dedup``'s output); with ``"parquet"``, `dedup`'s rows;
    - ``deduped/`` (with `write_deduped`): every document as ``{"id", "text"}`` without
      its duplicate paragraphs (JSONL, or Parquet), in corpus order;
    - ``summary.json``: the counts, and per stage the time and the shuffle bytes.

    Malformed JSONL lines, binary and unreadable files are counted and skipped, as
    ``dedup`` does, not a failed job. Returns the summary.
    """
    from pyspark.sql import functions as F

    if output_format not in ("jsonl", "parquet"):
        raise ValueError(f'bad output_format {output_format!r}: use "jsonl" or "parquet"')
    if keep not in ("first", "longest"):
        raise ValueError(f'bad keep {keep!r}: use one of "first", "longest"')
    if input_format not in ("auto", "text", "jsonl", "parquet"):
        raise ValueError(f'bad input_format {input_format!r}: use one of "auto", "text", "jsonl", "parquet"')
    opts = _options(deduper_options)
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    inputs = [os.fspath(p) for p in paths]
    files = _paradup.plan_files(inputs)
    output = os.fspath(output)
    _check_outputs([(os.fspath(p), n) for p, n in files], inputs, output)
    start = time.perf_counter()
    run = _Run(spark, opts)
    table = [(i, os.path.abspath(p), n) for i, (p, n) in enumerate(files)]
    # One task per file (`parallelize` cuts a list into slices in order): the units
    # of `_Run.find`.
    rdd = spark.sparkContext.parallelize(table, max(1, len(table)))
    units = spark.createDataFrame(rdd, "unit int, path string, name string")
    read = units.mapInArrow(
        _tasks.read_files(opts, paragraphs, input_format, text_field, id_field, write_deduped), _tasks.READ_DDL
    )
    members, docs = run.find(read)
    if write_deduped:
        # Read twice: the records and the cuts.
        members = run.hold(members)
    os.makedirs(output, exist_ok=True)
    clusters_dir = os.path.join(output, "clusters")
    if output_format == "jsonl":
        # `members` come in this order already: whole clusters per partition.
        lines = (
            members.select(
                "cluster", "pid", F.col("id").alias("source"), "file", "record", "paragraph", "line", "start", "end", "similarity"
            )
            .mapInArrow(_tasks.record_lines(), _tasks.RECORD_DDL)
            .select("line")
        )
        lines.write.text(clusters_dir)
    else:
        members.select(*MEMBER_COLUMNS).write.parquet(clusters_dir)
    run.lap("write")
    if write_deduped:
        cuts = (
            _kept(members, keep)
            .where(~F.col("kept"))
            .groupBy("doc")
            .agg(F.collect_list("start").alias("__starts"), F.collect_list("end").alias("__ends"))
        )
        joined = docs.join(cuts, "doc", "left").orderBy("doc").select("doc", F.col("source").alias("id"), "text", "__starts", "__ends")
        deduped = (
            joined.mapInArrow(_tasks.cut_documents("text"), joined.schema)
            .where(F.col("text").isNotNull() | F.col("__starts").isNull())
            .select("id", "text")
        )
        target = os.path.join(output, "deduped")
        if output_format == "jsonl":
            deduped.write.json(target)
        else:
            deduped.write.parquet(target)
        run.lap("write_deduped")
    summary = {
        "counts": dict(run.counts),
        "seconds": {k: round(v, 3) for k, v in run.times.items()},
        "shuffle_bytes": dict(run.shuffle) if run.shuffle else None,
        "total_seconds": round(time.perf_counter() - start, 3),
        "problems": run.problem_sample,
        "files": len(files),
        "parallelism": run.parallelism,
    }
    _write_atomic(os.path.join(output, "summary.json"), json.dumps(summary, indent=1) + "\n")
    return summary
