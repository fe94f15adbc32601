"""``python -m paradup.spark INPUT... --output DIR``: the example deduper on Spark.

Writes ``DIR/clusters`` (``dedup --format jsonl``'s records, or Parquet rows),
``DIR/deduped`` with ``--write-deduped``, and ``DIR/summary.json``; prints the summary
to standard error. See ``docs/SPARK.md``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import List, Optional


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m paradup.spark",
        description="Find near-duplicate paragraphs with Spark: the clusters of `dedup --format jsonl`.",
    )
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="files and directories: text, JSONL (.gz) or Parquet")
    p.add_argument("--output", required=True, metavar="DIR", help="a new directory (or one without clusters/, deduped/, summary.json)")
    p.add_argument("--format", choices=["jsonl", "parquet"], default="jsonl", help="cluster records (default jsonl)")
    p.add_argument("--master", default=None, help="local[N], spark://HOST:PORT, ... (default: spark-submit's, else local[*])")
    p.add_argument("--input-format", choices=["auto", "text", "jsonl", "parquet"], default="auto")
    p.add_argument("--text-field", default="text", help="JSONL field / Parquet column of the text")
    p.add_argument("--id-field", default="id", help="JSONL field / Parquet column of the document id")
    p.add_argument("--paragraphs", choices=["auto", "blank", "line", "whole"], default="auto")
    p.add_argument("--threshold", type=float, default=0.6)
    p.add_argument("--shingles", default="w2", help="wN (word N-grams) or cN (character N-grams)")
    p.add_argument("--num-perm", type=int, default=128)
    p.add_argument("--lsh", nargs=2, type=int, metavar=("BANDS", "ROWS"), default=None)
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--no-anti-chaining", action="store_true")
    p.add_argument("--write-deduped", action="store_true", help="also write every document without its duplicates")
    p.add_argument("--keep", choices=["first", "longest"], default="first")
    p.add_argument("--shuffle-partitions", type=int, default=None, help="spark.sql.shuffle.partitions (default: 2 per core)")
    p.add_argument(
        "--driver-memory",
        default=None,
        help="spark.driver.memory (default 4g with a local master, where the driver's JVM holds the whole job; else Spark's)",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no summary on standard error")
    return p


def _session(master: Optional[str], shuffle_partitions: Optional[int], driver_memory: Optional[str], quiet: bool) -> object:
    # Executors started from here run this interpreter, which has paradup.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    b = SparkSession.builder.appName("paradup")
    if quiet:
        b = b.config("spark.ui.showConsoleProgress", "false")
    if master:
        b = b.master(master)
    elif "spark.master" not in os.environ.get("PYSPARK_SUBMIT_ARGS", ""):
        b = b.master("local[*]")
        master = "local[*]"
    # Spark's 1g default is small for a local driver, whose JVM holds every checkpoint.
    if driver_memory or (master or "").startswith("local"):
        b = b.config("spark.driver.memory", driver_memory or "4g")
    spark = b.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    cores = spark.sparkContext.defaultParallelism
    spark.conf.set("spark.sql.shuffle.partitions", str(shuffle_partitions or max(2, 2 * cores)))
    return spark


def _summary_lines(s: dict) -> List[str]:
    c = s["counts"]
    shuffle = s.get("shuffle_bytes") or {}
    stages = ", ".join(
        f"{k} {v:.2f} s" + (f" ({shuffle[k] / 1e6:.1f} MB shuffled)" if k in shuffle else "")
        for k, v in s["seconds"].items()
    )
    lines = [
        f"read       {s['files']:,} files, {c['documents']:,} documents, {c['problems']:,} problems (skipped)",
        f"found      {c['paragraphs']:,} paragraphs ({c['bytes'] / 1e6:.2f} MB), {c['distinct']:,} distinct; "
        f"{c['candidates']:,} candidate pairs, {c['verified']:,} verified; "
        f"{c['clusters']:,} clusters with {c['members']:,} members",
        f"removable  {c['duplicates']:,} duplicate paragraphs",
        f"time       {stages}; total {s['total_seconds']:.2f} s on {s['parallelism']} cores",
    ]
    lines += [f"warning: {p}" for p in s.get("problems", [])[:10]]
    return lines


def main(argv: Optional[List[str]] = None) -> int:
    args = _parser().parse_args(argv)
    from . import run_files

    options = dict(
        threshold=args.threshold,
        shingles=args.shingles,
        num_perm=args.num_perm,
        anti_chaining=not args.no_anti_chaining,
    )
    if args.lsh:
        options["lsh"] = tuple(args.lsh)
    if args.seed is not None:
        options["seed"] = args.seed
    start = time.perf_counter()
    try:
        # Options and outputs are checked before Spark starts.
        from . import _check_outputs, _options
        from .. import _paradup

        _options(options)
        inputs = [os.fspath(p) for p in args.inputs]
        _check_outputs([(os.fspath(p), n) for p, n in _paradup.plan_files(inputs)], inputs, args.output)
    except (ValueError, OSError) as e:
        print(f"paradup.spark: {e}", file=sys.stderr)
        return 2
    spark = _session(args.master, args.shuffle_partitions, args.driver_memory, args.quiet)
    try:
        summary = run_files(
            spark,
            args.inputs,
            args.output,
            output_format=args.format,
            paragraphs=args.paragraphs,
            input_format=args.input_format,
            text_field=args.text_field,
            id_field=args.id_field,
            write_deduped=args.write_deduped,
            keep=args.keep,
            **options,
        )
    except (ValueError, OSError) as e:
        print(f"paradup.spark: {e}", file=sys.stderr)
        return 2
    finally:
        spark.stop()
    if not args.quiet:
        for line in _summary_lines(summary):
            print(line, file=sys.stderr)
        print(f"wall       {time.perf_counter() - start:.2f} s with Spark's start-up", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
