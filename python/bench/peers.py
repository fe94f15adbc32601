#!/usr/bin/env python3
"""paradup from Python against datasketch and rensa, in one process on one corpus.

    python python/bench/peers.py CORPUS [--limit N] [--repeat R] [--rust-dedup PATH]

CORPUS holds one paragraph per line (blank lines are ignored; `.gz` is read as
gzip). MB/s counts the UTF-8 bytes of the paragraphs, the same for every row.

Rows (median of R runs each; datasketch once, it is slow):
  paradup Deduper.run           end to end from a list of str: conversion, normalization,
                                word 2-grams, MinHash, LSH, exact verification, clusters
  paradup MinHasher.signatures  128 slots per paragraph from raw text (normalized, shingled)
  rust Deduper::run             the same paragraphs and settings in the example deduper
                                (`--rust-dedup`, on one JSONL record per paragraph with
                                --paragraphs whole): the sum of its pipeline stages
                                from --stats-json (reading and writing excluded)
  rensa end to end              Python shingling + RMinHash.from_token_sets + RMinHashLSH
                                insert_many + query_all (candidates, unverified)
  rensa signatures              from ready-made shingles (shingling not timed): the
                                faster of from_token_sets and digest_matrix_from_token_sets
  datasketch end to end         Python shingling + MinHash.bulk + MinHashLSH insert + query

The peers use the shingling of ../shared/tools/peers/bench_peers.py (lowercase,
whitespace split, word 5-grams as strings), 128 permutations, and the banding
datasketch's rule picks at --threshold (for rensa, among bands that divide 128).
paradup runs at its defaults (word 2-grams, threshold 0.6, recall-first banding,
exact verification). Install datasketch and rensa in the venv that runs this; they
are not needed by paradup or its tests.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import paradup

K = 128
SHINGLE = 5


def load(path: str, limit: int | None) -> list[str]:
    opener = gzip.open if path.endswith(".gz") else open
    out = []
    with opener(path, "rt", encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.strip():
                out.append(line)
                if limit is not None and len(out) >= limit:
                    break
    return out


def shingle(p: str) -> list[str]:
    # As bench_peers.py: lowercase, whitespace split, distinct word 5-grams.
    toks = p.lower().split()
    if len(toks) < SHINGLE:
        return [" ".join(toks)]
    return list(dict.fromkeys(" ".join(toks[i : i + SHINGLE]) for i in range(len(toks) - SHINGLE + 1)))


def lsh_params(threshold: float, divisible: bool) -> tuple[int, int]:
    from datasketch.lsh import _false_negative_probability as fn
    from datasketch.lsh import _false_positive_probability as fp
    from datasketch.lsh import _optimal_param

    if not divisible:
        return _optimal_param(threshold, K, 0.5, 0.5)
    best = min(
        (0.5 * fp(threshold, b, K // b) + 0.5 * fn(threshold, b, K // b), b)
        for b in range(1, K + 1)
        if K % b == 0
    )
    return best[1], K // best[1]


def timed(f, repeat: int):
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


class RustRun:
    """The example deduper on the same paragraphs: one JSONL record per paragraph,
    each one paragraph (--paragraphs whole), the same call as `Deduper.run(paras)`."""

    def __init__(self, binary: str, paras: list[str], tmp: str) -> None:
        self.binary, self.tmp = binary, tmp
        self.corpus = os.path.join(tmp, "paragraphs.jsonl")
        with open(self.corpus, "w", encoding="utf-8") as f:
            f.writelines(json.dumps({"text": p}) + "\n" for p in paras)

    def seconds(self) -> tuple[float, int]:
        """The sum of the pipeline stages from --stats-json (reading and writing
        excluded), and the clusters."""
        stats = os.path.join(self.tmp, "stats.json")
        with open(os.path.join(self.tmp, "out.jsonl"), "wb") as sink:
            cmd = [self.binary, "--paragraphs", "whole", "--format", "jsonl", "--stats-json", stats, "-q", self.corpus]
            subprocess.run(cmd, stdout=sink, check=False)
        with open(stats) as f:
            s = json.load(f)
        sec = s["seconds"]
        return sum(sec[k] for k in ("paragraphs", "exact", "signatures", "candidates", "verify", "cluster")), s["clusters"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus")
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threshold", type=float, default=0.6, help="the peers' LSH threshold")
    ap.add_argument("--rust-dedup", help="the example deduper binary (target/release/examples/dedup)")
    ap.add_argument("--skip", action="append", default=[], help="datasketch or rensa")
    a = ap.parse_args()

    paras = load(a.corpus, a.limit)
    mb = sum(len(p.encode("utf-8")) for p in paras) / 1e6
    print(f"{len(paras):,} paragraphs, {mb:.2f} MB; median of {a.repeat} runs; paradup {paradup.__version__}")
    rows = []

    def row(name, seconds, note=""):
        rows.append((name, seconds))
        print(f"  {name:<34} {seconds:8.3f} s {mb / seconds:9.1f} MB/s  {note}", flush=True)

    d = paradup.Deduper()
    with tempfile.TemporaryDirectory() as tmp:
        rust = RustRun(a.rust_dedup, paras, tmp) if a.rust_dedup else None
        # Python and Rust runs alternate, so that both see the same machine.
        py_times, rust_times = [], []
        for _ in range(a.repeat):
            s, clusters = timed(lambda: d.run(paras), 1)
            py_times.append(s)
            if rust:
                s, n = rust.seconds()
                rust_times.append(s)
        row("paradup Deduper.run", statistics.median(py_times), f"{len(clusters):,} clusters")
        if rust:
            row("rust Deduper::run", statistics.median(rust_times), f"{n:,} clusters")
    h = paradup.MinHasher()
    s, _ = timed(lambda: h.signatures(paras), a.repeat)
    row("paradup MinHasher.signatures", s)

    if "rensa" not in a.skip:
        from rensa import RMinHash, RMinHashLSH

        b, r = lsh_params(a.threshold, divisible=True)

        def rensa_e2e():
            sh = [shingle(p) for p in paras]
            ms = RMinHash.from_token_sets(sh, K, 42)
            lsh = RMinHashLSH(a.threshold, K, b)
            lsh.insert_many(ms)
            return lsh.query_all(ms)

        s, _ = timed(rensa_e2e, a.repeat)
        row("rensa end to end", s, f"b={b} r={r}, candidates unverified")
        sh = [shingle(p) for p in paras]
        s1, _ = timed(lambda: RMinHash.from_token_sets(sh, K, 42), a.repeat)
        s2, _ = timed(lambda: RMinHash.digest_matrix_from_token_sets(sh, K, 42), a.repeat)
        row("rensa signatures (shingles given)", min(s1, s2), f"from_token_sets {s1:.3f} s, matrix {s2:.3f} s")

    if "datasketch" not in a.skip:
        from datasketch import MinHash, MinHashLSH

        def datasketch_e2e():
            sh = [shingle(p) for p in paras]
            ms = MinHash.bulk([[x.encode("utf-8") for x in s] for s in sh], num_perm=K)
            lsh = MinHashLSH(threshold=a.threshold, num_perm=K)
            with lsh.insertion_session() as sess:
                for i, m in enumerate(ms):
                    sess.insert(i, m)
            return [lsh.query(m) for m in ms]

        s, _ = timed(datasketch_e2e, 1)
        row("datasketch end to end", s, "one run")

    t = dict(rows)
    print("ratios:")
    run = t["paradup Deduper.run"]
    if "rust Deduper::run" in t:
        print(f"  Deduper.run / Rust Deduper::run throughput: {t['rust Deduper::run'] / run:.2f}x")
    if "rensa end to end" in t:
        print(f"  Deduper.run / rensa end to end: {t['rensa end to end'] / run:.1f}x")
        sig = t["paradup MinHasher.signatures"]
        print(f"  MinHasher.signatures / rensa signatures: {t['rensa signatures (shingles given)'] / sig:.1f}x")
    if "datasketch end to end" in t:
        print(f"  Deduper.run / datasketch end to end: {t['datasketch end to end'] / run:.1f}x")


if __name__ == "__main__":
    sys.exit(main())
