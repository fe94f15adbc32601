"""What runs on the executors: Arrow batches in, Arrow batches out, each step a call
into paradup's own stages (`paradup._paradup.Stages`). Nothing here shingles, hashes
or compares texts in Python.

Every function is a module-level factory returning the function `mapInArrow` runs, so
that Spark pickles a reference to this module (installed on every executor) and a
few plain options, never a native object.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Iterator

import numpy as np
import pyarrow as pa

from .. import _paradup, texts as _texts

# Kinds of the rows that reading makes (column `kind`).
PARAGRAPH, DOCUMENT, PROBLEM = 0, 1, 2

# Paragraph rows per output batch: about 16 MB of text at the usual paragraph sizes.
BATCH_ROWS = 1 << 16

_STAGES: Dict[tuple, Any] = {}


def stages(options: dict, paragraphs: str) -> Any:
    """The stages of a deduper with `options`, built once per Python worker."""
    key = (tuple(sorted(options.items())), paragraphs)
    st = _STAGES.get(key)
    if st is None:
        from .. import Deduper

        st = Deduper(**options)._inner._stages(paragraphs)
        _STAGES[key] = st
    return st


def _i64(data: bytes, n: int) -> pa.Array:
    return pa.Array.from_buffers(pa.int64(), n, [None, pa.py_buffer(data)])


def _strings(data: bytes, offsets: bytes, n: int) -> pa.Array:
    """Texts end to end with n + 1 int64 offsets, as an Arrow `string` array (int32
    offsets, what Spark reads) or `large_string` past 2 GiB."""
    offs = np.frombuffer(offsets, dtype=np.int64)
    if len(data) < 2**31 - 1:
        return pa.Array.from_buffers(
            pa.string(), n, [None, pa.py_buffer(offs.astype(np.int32).tobytes()), pa.py_buffer(data)]
        )
    return pa.Array.from_buffers(pa.large_string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(data)])


# The schema of what reading makes: paragraphs, documents and problems of one unit (a
# file, or a partition of a DataFrame), numbered within the unit.
READ_SCHEMA = pa.schema(
    [
        ("unit", pa.int32()),
        ("kind", pa.int8()),
        ("doc", pa.int64()),  # the document's index in the unit
        ("ord", pa.int64()),  # the paragraph's index in the unit (paragraphs only)
        ("index", pa.int64()),  # the paragraph's index in its document
        ("line", pa.int64()),
        ("start", pa.int64()),
        ("end", pa.int64()),
        ("text", pa.string()),  # the paragraph; the document (with text); the problem
        ("source", pa.string()),
        ("file", pa.string()),
        ("record", pa.int64()),
        # Stages 2–3 of the paragraph, computed where it was read.
        ("hi", pa.int64()),
        ("lo", pa.int64()),
        ("live", pa.bool_()),
        ("keys", pa.binary()),  # `bands` little-endian int64s
    ]
)
READ_DDL = (
    "unit int, kind tinyint, doc long, ord long, index long, line long, start long, "
    "`end` long, text string, source string, file string, record long, "
    "hi long, lo long, live boolean, keys binary"
)


def _paragraph_batches(st: Any, unit: int, cols: dict, doc_base: int, ord_base: int) -> Iterator[pa.RecordBatch]:
    """The paragraph rows of `cols` (from `Stages.read_file` or `Stages.split`), with
    their exact keys and band keys: hashing where the text was read saves moving every
    paragraph to another task first (a shuffle of the whole corpus)."""
    n = cols["n"]
    doc = np.frombuffer(cols["doc"], dtype=np.int64) + doc_base
    text = _strings(cols["data"], cols["offsets"], n)
    r = st.prepare(_texts(text))
    width = 8 * st.bands
    keys = pa.Array.from_buffers(
        pa.binary(),
        n,
        [None, pa.py_buffer(np.arange(0, n * width + 1, width, dtype=np.int32).tobytes()), pa.py_buffer(r["keys"])],
    )
    full = {
        "unit": pa.array(np.full(n, unit, dtype=np.int32)),
        "kind": pa.array(np.full(n, PARAGRAPH, dtype=np.int8)),
        "doc": pa.array(doc),
        "ord": pa.array(np.arange(ord_base, ord_base + n, dtype=np.int64)),
        "index": _i64(cols["index"], n),
        "line": _i64(cols["line"], n),
        "start": _i64(cols["start"], n),
        "end": _i64(cols["end"], n),
        "text": text,
    }
    for name in ("source", "file"):
        full[name] = pa.nulls(n, pa.string())
    full["record"] = pa.nulls(n, pa.int64())
    full["hi"] = _i64(r["hi"], n)
    full["lo"] = _i64(r["lo"], n)
    full["live"] = pa.array(np.frombuffer(r["live"], dtype=np.uint8).astype(bool))
    full["keys"] = keys
    batch = pa.RecordBatch.from_arrays([full[f.name] for f in READ_SCHEMA], schema=READ_SCHEMA)
    for at in range(0, n, BATCH_ROWS):
        yield batch.slice(at, BATCH_ROWS)


def _other_batch(unit: int, kind: int, doc: list, text: list, source: list, file: list, record: list) -> pa.RecordBatch:
    n = len(doc)
    none = pa.nulls(n, pa.int64())
    arrays = {
        "unit": pa.array(np.full(n, unit, dtype=np.int32)),
        "kind": pa.array(np.full(n, kind, dtype=np.int8)),
        "doc": pa.array(doc, pa.int64()),
        "ord": none,
        "index": none,
        "line": none,
        "start": none,
        "end": none,
        "text": pa.array(text, pa.string()),
        "source": pa.array(source, pa.string()),
        "file": pa.array(file, pa.string()),
        "record": pa.array(record, pa.int64()),
        "hi": none,
        "lo": none,
        "live": pa.nulls(n, pa.bool_()),
        "keys": pa.nulls(n, pa.binary()),
    }
    return pa.RecordBatch.from_arrays([arrays[f.name] for f in READ_SCHEMA], schema=READ_SCHEMA)


def read_files(options: dict, paragraphs: str, input_format: str, text_field: str, id_field: str, with_text: bool) -> Callable:
    """Reads the files of `(unit, path)` rows, each file one unit."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        st = stages(options, paragraphs)
        for batch in batches:
            units = batch.column("unit").to_pylist()
            paths = batch.column("path").to_pylist()
            names = batch.column("name").to_pylist()
            for unit, path, name in zip(units, paths, names):
                yield from _read_one(st, unit, path, name, input_format, text_field, id_field, with_text)

    return run


def _is_parquet(path: str, input_format: str) -> bool:
    return input_format == "parquet" or (input_format == "auto" and path.endswith(".parquet"))


def _read_one(st: Any, unit: int, path: str, name: str, input_format: str, text_field: str, id_field: str, with_text: bool) -> Iterator[pa.RecordBatch]:
    if _is_parquet(path, input_format):
        yield from _read_parquet(st, unit, path, name, text_field, id_field, with_text)
        return
    try:
        r = st.read_file(path, input_format, text_field, id_field, with_text, name)
    except OSError as e:
        yield _other_batch(unit, PROBLEM, [0], [f"{name}: {e}"], [None], [name], [None])
        return
    yield from _paragraph_batches(st, unit, r, 0, 0)
    ndocs = len(r["source"])
    yield _other_batch(
        unit,
        DOCUMENT,
        list(range(ndocs)),
        r["text"] if with_text else [None] * ndocs,
        r["source"],
        r["file"],
        r["record"],
    )
    if r["problems"]:
        k = len(r["problems"])
        yield _other_batch(unit, PROBLEM, list(range(k)), r["problems"], [None] * k, [name] * k, [None] * k)


def _read_parquet(st: Any, unit: int, path: str, name: str, text_field: str, id_field: str, with_text: bool) -> Iterator[pa.RecordBatch]:
    """A Parquet file: each row a document (column `text_field`; its id from column
    `id_field` if there is one, else ``NAME:ROW``, 0-based). Rows whose text is null
    are problems, counted and skipped."""
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
        names = pf.schema_arrow.names
        if text_field not in names:
            raise ValueError(f"no column {text_field!r} (columns: {', '.join(names)})")
        columns = [text_field] + ([id_field] if id_field in names and id_field != text_field else [])
        row, ndoc, nord = 0, 0, 0
        for batch in pf.iter_batches(columns=columns, batch_size=8192):
            text = batch.column(0)
            ids = batch.column(1).cast(pa.string()).to_pylist() if len(columns) > 1 else None
            valid = text.is_valid().to_pylist()
            keep = [i for i, v in enumerate(valid) if v]
            if len(keep) < len(text):
                bad = [row + i for i, v in enumerate(valid) if not v]
                yield _other_batch(unit, PROBLEM, bad, [f"{name}:{r}: null {text_field}, skipped" for r in bad], [None] * len(bad), [name] * len(bad), [None] * len(bad))
            docs = text.take(pa.array(keep, pa.int64())).cast(pa.large_string())
            cols = st.split(_texts(docs))
            yield from _paragraph_batches(st, unit, cols, ndoc, nord)
            sources = [ids[i] if ids is not None and ids[i] is not None else f"{name}:{row + i}" for i in keep]
            yield _other_batch(
                unit,
                DOCUMENT,
                list(range(ndoc, ndoc + len(keep))),
                docs.cast(pa.string()).to_pylist() if with_text else [None] * len(keep),
                sources,
                [name] * len(keep),
                [row + i for i in keep],
            )
            row += len(text)
            ndoc += len(keep)
            nord += cols["n"]
    except (OSError, ValueError, pa.ArrowException) as e:
        yield _other_batch(unit, PROBLEM, [0], [f"{name}: {e}"], [None], [name], [None])


def split_rows(options: dict, paragraphs: str, has_id: bool, with_text: bool) -> Callable:
    """Splits the documents of a DataFrame's partition (columns `text` and, with
    `has_id`, `id`), the partition being the unit: documents and paragraphs are
    numbered in the partition's order."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        from pyspark import TaskContext

        unit = TaskContext.get().partitionId()
        st = stages(options, paragraphs)
        ndoc, nord = 0, 0
        for batch in batches:
            text = batch.column("text")
            if text.null_count:
                text = text.fill_null("")
            cols = st.split(_texts(text))
            yield from _paragraph_batches(st, unit, cols, ndoc, nord)
            k = len(text)
            ids = batch.column("id").cast(pa.string()).to_pylist() if has_id else [None] * k
            yield _other_batch(
                unit,
                DOCUMENT,
                list(range(ndoc, ndoc + k)),
                text.to_pylist() if with_text else [None] * k,
                ids,
                [None] * k,
                [None] * k,
            )
            ndoc += k
            nord += cols["n"]

    return run


PAIRS_DDL = "a long, b long"


BLOB_DDL = "p int, data binary"


def band_blobs(options: dict, parts: int) -> Callable:
    """Stage 4, first half, on `(tid, keys)` rows of distinct live texts: every
    `(band, key, tid)` row packed into one binary value per target partition (by a
    hash of `(band, key)`), so that the engine shuffles a few large values instead of
    `bands` rows per text, each converted to and from Arrow on its own."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        bands = stages(options, "whole").bands
        out: Dict[int, list] = {}
        for batch in batches:
            n = batch.num_rows
            if n == 0:
                continue
            tid = batch.column("tid").to_numpy(zero_copy_only=False).astype(np.int64)
            keys_arr = batch.column("keys")
            data = np.frombuffer(keys_arr.buffers()[2], dtype=np.uint8)
            offs = np.frombuffer(keys_arr.buffers()[1], dtype=np.int32)[keys_arr.offset : keys_arr.offset + n + 1]
            if offs[-1] - offs[0] != n * 8 * bands:
                raise ValueError("band keys of the wrong width")
            # A binary array's values lie end to end: one slice holds them all.
            key = data[offs[0] : offs[-1]].copy().view(np.int64)
            band = np.tile(np.arange(bands, dtype=np.int64), n)
            tids = np.repeat(tid, bands)
            mixed = (key.view(np.uint64) ^ (band.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15))) * np.uint64(0xBF58476D1CE4E5B9)
            target = ((mixed >> np.uint64(32)) % np.uint64(parts)).astype(np.int64)
            order = np.argsort(target, kind="stable")
            target, band, key, tids = target[order], band[order], key[order], tids[order]
            cuts = np.flatnonzero(np.diff(target)) + 1
            for lo, hi in zip(np.append(0, cuts), np.append(cuts, len(target))):
                rows = np.empty((hi - lo, 3), dtype=np.int64)
                rows[:, 0], rows[:, 1], rows[:, 2] = band[lo:hi], key[lo:hi], tids[lo:hi]
                out.setdefault(int(target[lo]), []).append(rows.tobytes())
        if out:
            ps = sorted(out)
            yield pa.RecordBatch.from_arrays(
                [pa.array(ps, pa.int32()), pa.array([b"".join(out[p]) for p in ps], pa.binary())], names=["p", "data"]
            )

    return run


def bucket_blobs(options: dict) -> Callable:
    """Stage 4, second half, on a partition of `band_blobs`' values: the rows sorted,
    each run of one `(band, key)` with two texts or more a bucket, its pairs by the
    local rule (`Stages.bucket_pairs`)."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        st = stages(options, "whole")
        blobs = [v for b in batches for v in b.column("data").to_pylist()]
        if not blobs:
            return
        rows = np.frombuffer(b"".join(blobs), dtype=np.int64).reshape(-1, 3)
        n = len(rows)
        order = np.lexsort((rows[:, 2], rows[:, 1], rows[:, 0]))
        band, key, tid = rows[order, 0], rows[order, 1], rows[order, 2]
        new = np.ones(n, dtype=bool)
        new[1:] = (band[1:] != band[:-1]) | (key[1:] != key[:-1])
        starts = np.flatnonzero(new)
        lengths = np.diff(np.append(starts, n))
        multi = lengths > 1
        values = np.ascontiguousarray(tid[np.repeat(multi, lengths)])
        offsets = np.concatenate([[0], np.cumsum(lengths[multi])]).astype(np.int64)
        a, b = st.bucket_pairs(values.tobytes(), offsets.tobytes())
        m = len(a) // 8
        yield pa.RecordBatch.from_arrays([_i64(a, m), _i64(b, m)], names=["a", "b"])

    return run


VERIFIED_DDL = "a long, b long, sim double"


def verify(options: dict) -> Callable:
    """Stage 5: `(a, b, ta, tb)` → each pair with its similarity, NaN if it fails."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        st = stages(options, "whole")
        for batch in batches:
            sims = np.frombuffer(st.verify(_texts(batch.column("ta")), _texts(batch.column("tb"))), dtype=np.float64)
            yield pa.RecordBatch.from_arrays(
                [batch.column("a"), batch.column("b"), pa.array(sims)], names=["a", "b", "sim"]
            )

    return run


ASSIGN_DDL = "tid long, rep long, sim double"


def split_groups(options: dict) -> Callable:
    """Stage 6 per connected group: `(nodes: [(tid, text)], edges: [(a, b)])` → each
    text's representative and similarity to it."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        st = stages(options, "whole")
        for batch in batches:
            tids, reps, sims = [], [], []
            for nodes, edges in zip(batch.column("nodes").to_pylist(), batch.column("edges").to_pylist()):
                nodes.sort(key=lambda x: x["tid"])
                ids = [x["tid"] for x in nodes]
                at = {t: i for i, t in enumerate(ids)}
                local = sorted({(at[e["a"]], at[e["b"]]) for e in edges})
                rep, sim = st.split_group([x["text"] for x in nodes], local)
                tids.extend(ids)
                reps.extend(ids[r] for r in rep)
                sims.extend(sim)
            yield pa.RecordBatch.from_arrays(
                [pa.array(tids, pa.int64()), pa.array(reps, pa.int64()), pa.array(sims, pa.float64())],
                names=["tid", "rep", "sim"],
            )

    return run


RECORD_DDL = "cluster long, line string"


def record_lines() -> Callable:
    """Member rows of whole clusters, sorted by cluster and position (a range
    partition by cluster, sorted within) → the lines of ``dedup --format jsonl``,
    formatted in Rust (`cluster_lines`) from the columns, in order."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        parts = [b for b in batches if b.num_rows]
        if not parts:
            return
        t = pa.Table.from_batches(parts).combine_chunks()

        def col(name: str, dtype: Any = np.int64) -> bytes:
            return t.column(name).fill_null(-1).to_numpy().astype(dtype).tobytes()

        ids, data, offsets = _paradup.cluster_lines(
            col("cluster"),
            _texts(t.column("source").fill_null("")),
            _texts(t.column("file").fill_null("")),
            col("record"),
            col("paragraph"),
            col("line"),
            col("start"),
            col("end"),
            t.column("similarity").to_numpy().astype(np.float64).tobytes(),
        )
        n = len(ids) // 8
        batch = pa.RecordBatch.from_arrays([_i64(ids, n), _strings(data, offsets, n)], names=["cluster", "line"])
        for at in range(0, n, BATCH_ROWS):
            yield batch.slice(at, BATCH_ROWS)

    return run


def cut_documents(text_col: str) -> Callable:
    """`(text, starts, ends)` of each document → its text without those paragraphs
    (the ``--write-deduped`` cut), null where nothing but whitespace is left."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            out = []
            for text, starts, ends in zip(
                batch.column(text_col).to_pylist(),
                batch.column("__starts").to_pylist(),
                batch.column("__ends").to_pylist(),
            ):
                if not starts or text is None:
                    out.append(text)
                    continue
                order = sorted(range(len(starts)), key=starts.__getitem__)
                left = _paradup.cut_paragraphs(text, [starts[i] for i in order], [ends[i] for i in order])
                out.append(left if left.strip() else None)
            cols = [batch.column(i) for i in range(batch.num_columns)]
            names = list(batch.schema.names)
            cols[names.index(text_col)] = pa.array(out, pa.string())
            yield pa.RecordBatch.from_arrays(cols, names=names)

    return run

