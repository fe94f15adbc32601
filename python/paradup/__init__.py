"""paradup finds near-duplicate paragraphs: MinHash and LSH with verified,
deterministic clusters, in Rust.

>>> import paradup
>>> texts = [
...     "His isolation was evident from his failure to turn up to this weekend's G20 "
...     "summit in Delhi, and fewer African leaders recently attending a summit.",
...     "Something else entirely.",
...     "His isolation was evident from his failure to turn up to the G20 summit in "
...     "Delhi, and fewer African leaders attending a summit.",
... ]
>>> [[m.index for m in c.members] for c in paradup.Deduper().run(texts)]
[[0, 2]]
>>> paradup.Deduper().keep(texts)
[0, 1]

Every computation runs in Rust with the GIL released (threads calling it run in
parallel) and can be interrupted with Ctrl-C. See docs/PYTHON.md.
"""

from __future__ import annotations

import json
import os
import warnings
from typing import Any, Iterable, List, Optional, Sequence, Tuple, Union

import numpy as np

from . import _paradup
from ._paradup import (
    DEFAULT_SEED,
    Cluster,
    Match,
    Member,
    ParagraphMember,
    Texts,
    __version__,
)

__all__ = [
    "DEFAULT_SEED",
    "Cluster",
    "Deduper",
    "Index",
    "Match",
    "Member",
    "MinHasher",
    "ParagraphMember",
    "SimHasher",
    "Texts",
    "estimate_jaccard",
    "jaccard",
    "texts",
    "__version__",
]

TextsLike = Union[Texts, Iterable[str], Any]
PathLike = Union[str, "os.PathLike[str]"]


def _arrow_chunks(arr: Any) -> Optional[list]:
    """The buffers of a pyarrow string array (or chunked array), or None."""
    module = type(arr).__module__ or ""
    if not module.startswith("pyarrow"):
        return None
    import pyarrow as pa

    chunks = arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]
    out = []
    for chunk in chunks:
        if pa.types.is_string(chunk.type):
            width = 4
        elif pa.types.is_large_string(chunk.type):
            width = 8
        else:
            raise TypeError(f"expected a pyarrow string array, got {chunk.type}")
        if chunk.null_count:
            raise TypeError(f"the array holds {chunk.null_count} nulls, not str")
        _, offsets, data = chunk.buffers()
        out.append(
            (
                data.to_pybytes() if data is not None else b"",
                offsets.to_pybytes() if offsets is not None else b"\0" * width,
                width,
                chunk.offset,
                len(chunk),
            )
        )
    return out


def texts(items: TextsLike) -> Texts:
    """Converts texts once, for several calls: a list, tuple or any iterable of `str`,
    a numpy array of `str` (object or unicode dtype), or a pyarrow string array
    (read from its buffers, without a Python string per item).

    >>> t = paradup.texts(["a b c", "d e f"])
    >>> len(t), t[1]
    (2, 'd e f')
    """
    if isinstance(items, Texts):
        return items
    chunks = _arrow_chunks(items)
    if chunks is not None:
        return Texts.from_arrow(chunks)
    if isinstance(items, np.ndarray):
        if items.ndim != 1:
            raise TypeError(f"expected a one-dimensional array, got {items.ndim} dimensions")
        # `tolist` makes the list in C; the Rust side then reads it without a Python loop.
        return Texts(items.tolist())
    return Texts(items)


def _native(items: TextsLike) -> Any:
    """What the native functions take: lists and tuples as they are (read in Rust),
    everything else converted by `texts`."""
    if isinstance(items, (list, tuple, Texts)):
        return items
    return texts(items)


class Deduper:
    """Finds clusters of near-duplicate paragraphs.

    The keyword arguments mirror the Rust `DeduperBuilder`; invalid values raise
    `ValueError` with the Rust message.

    Args:
        threshold: similarity at or above which two paragraphs are near-duplicates,
            in (0, 1]. Default 0.6.
        shingles: ``"wN"`` (word N-grams) or ``"cN"`` (character N-grams). Default
            ``"w2"``.
        num_perm: MinHash permutations. Default 128.
        method: ``"minhash"`` (MinHash + banded LSH, the default) or ``"simhash"``
            (64-bit fingerprints and a Hamming search, radius ``max_hamming``).
        similarity: ``"jaccard"`` (default) or ``"containment"`` (the smaller
            paragraph's shingles found in the larger; try ``threshold=0.8``).
        anti_chaining: split clusters so that every member reaches the threshold
            against its representative. Default True.
        threads: size of a private thread pool; None (default) uses all cores.
        seed: seed of shingle hashes and permutations. Default `DEFAULT_SEED`.
        lsh: explicit banding ``(bands, rows)``; default: chosen from the threshold.
        lsh_recall: least probability that a pair at the threshold is proposed
            (default 0.99); the banding follows from it.
        verification: ``"exact"`` (default: exact similarity of the shingle sets) or
            ``"signature"`` (the MinHash estimate).
        candidates: ``"lsh"`` (default), ``"prefix_filter"`` (exact all pairs) or
            ``"exhaustive"`` (every pair; small inputs).
        max_hamming: SimHash radius in bits (``method="simhash"`` only).
        max_cluster_size: clusters larger than this are reported as oversized.

    >>> d = paradup.Deduper(threshold=0.5, shingles="w3")
    >>> d.lsh
    (35, 3)
    >>> paradup.Deduper(threshold=1.5)
    Traceback (most recent call last):
    ...
    ValueError: threshold must be in (0, 1], got 1.5
    """

    def __init__(
        self,
        threshold: float = 0.6,
        *,
        shingles: str = "w2",
        num_perm: int = 128,
        method: str = "minhash",
        similarity: str = "jaccard",
        anti_chaining: bool = True,
        threads: Optional[int] = None,
        seed: int = DEFAULT_SEED,
        lsh: Optional[Tuple[int, int]] = None,
        lsh_recall: Optional[float] = None,
        verification: str = "exact",
        candidates: str = "lsh",
        max_hamming: Optional[int] = None,
        max_cluster_size: int = 10_000,
    ) -> None:
        self._inner = _paradup.Deduper(
            threshold,
            shingles=shingles,
            num_perm=num_perm,
            method=method,
            similarity=similarity,
            anti_chaining=anti_chaining,
            threads=threads,
            seed=seed,
            lsh=lsh,
            lsh_recall=lsh_recall,
            verification=verification,
            candidates=candidates,
            max_hamming=max_hamming,
            max_cluster_size=max_cluster_size,
        )

    def __repr__(self) -> str:
        return repr(self._inner)

    @property
    def threshold(self) -> float:
        """The similarity threshold."""
        return self._inner.threshold

    @property
    def lsh(self) -> Tuple[int, int]:
        """The LSH banding in use, ``(bands, rows)``."""
        return self._inner.lsh

    @property
    def shingles(self) -> str:
        """The shingles, ``"wN"`` or ``"cN"``."""
        return self._inner.shingles

    @property
    def num_perm(self) -> int:
        """MinHash permutations."""
        return self._inner.num_perm

    def run(self, texts: TextsLike) -> List[Cluster]:
        """Clusters of near-duplicate items, each item one paragraph.

        Clusters come in the order of their first member; members in input order,
        the representative (first occurrence) first. Each member has ``.index`` (its
        position in `texts`), ``.similarity`` (to the representative) and ``.exact``
        (equal after normalization). Items that are blank or equal after
        normalization to an earlier one are handled as the Rust `Deduper` does.

        >>> d = paradup.Deduper()
        >>> c = d.run(["the cat sat on the mat today", "x", "The cat sat on the mat today!"])
        >>> [(m.index, m.similarity, m.exact) for m in c[0].members]
        [(0, 1.0, True), (2, 1.0, True)]
        """
        return self._inner.run(_native(texts))

    def run_documents(self, docs: TextsLike, paragraphs: str = "auto") -> List[Cluster]:
        """Clusters of near-duplicate paragraphs of documents.

        `paragraphs` is how documents are cut: ``"auto"`` (default: blank-line
        blocks if the document has any, else one hard-wrapped paragraph or every
        line), ``"blank"``, ``"line"`` or ``"whole"``. Members are `ParagraphMember`s:
        ``.doc``, ``.paragraph`` (0-based in its document), ``.line`` (1-based),
        ``.start``/``.end`` (character offsets: ``docs[m.doc][m.start:m.end]`` is the
        paragraph) and ``.byte_start``/``.byte_end`` (UTF-8 byte offsets, as in the
        Rust API and the JSONL report).
        """
        return self._inner.run_documents(_native(docs), paragraphs)

    def keep(self, texts: TextsLike, keep: str = "first") -> List[int]:
        """The indices of the items to keep, in order: every item but the
        near-duplicates of an earlier one (``keep="first"``) or of a longer one
        (``keep="longest"``, longest in UTF-8 bytes, the first on a tie).

        >>> paradup.Deduper().keep(["a b c d", "A b c d!", "e f"])
        [0, 2]
        """
        return self._inner.keep(_native(texts), keep)

    def run_files(
        self,
        paths: Union[PathLike, Sequence[PathLike]],
        output: Optional[PathLike] = None,
        *,
        paragraphs: str = "auto",
        input_format: str = "auto",
        text_field: str = "text",
        id_field: str = "id",
    ) -> List[dict]:
        """Reads files and directories as the example deduper (``dedup``) does (text
        or JSONL, gzip recognized) and returns its ``--format jsonl`` cluster records,
        parsed; with `output`, writes them there too, byte for byte as ``dedup``
        prints them: to a temporary file beside `output`, renamed into place when
        complete. An `output` that is one of the inputs (by device and inode, also
        through a link or inside an input directory) raises `ValueError` before
        anything is read. A missing path raises `OSError`; problems with single files
        (unreadable, binary, malformed JSONL) are issued as warnings, as ``dedup``
        prints them, and reading goes on.
        """
        if isinstance(paths, (str, os.PathLike)):
            paths = [paths]
        report, problems = self._inner._run_files(
            [os.fspath(p) for p in paths],
            None if output is None else os.fspath(output),
            paragraphs,
            input_format,
            text_field,
            id_field,
        )
        for problem in problems:
            warnings.warn(problem, stacklevel=2)
        return [json.loads(line) for line in report.splitlines()]


class MinHasher:
    """MinHash signatures of raw texts, exactly as the Rust `MinHasher` computes them
    on the normalized, shingled text (the same values as the deduper's).

    >>> sigs = paradup.MinHasher(num_perm=64).signatures(["a b c", "a b c d"])
    >>> sigs.shape, sigs.dtype
    ((2, 64), dtype('uint32'))
    """

    def __init__(self, num_perm: int = 128, shingles: str = "w2", *, seed: int = DEFAULT_SEED) -> None:
        self._inner = _paradup.MinHasher(num_perm, shingles, seed=seed)

    @property
    def num_perm(self) -> int:
        return self._inner.num_perm

    @property
    def shingles(self) -> str:
        return self._inner.shingles

    @property
    def seed(self) -> int:
        return self._inner.seed

    def signatures(self, texts: TextsLike) -> np.ndarray:
        """The signatures, one row per text: shape ``(n, num_perm)``, dtype uint32.
        A text without shingles (blank after normalization) has every slot at
        ``2**32 - 1``. Computed in parallel."""
        buf, n = self._inner._signatures(_native(texts))
        return np.frombuffer(buf, dtype=np.uint32).reshape(n, self._inner.num_perm)


class SimHasher:
    """64-bit SimHash fingerprints of raw texts, as the deduper's ``method="simhash"``
    computes them. `features`: ``"cN"`` or ``"wN"`` (default ``"c4"``); `weighting`:
    ``"tf"`` (term frequency, default) or ``"uniform"``."""

    def __init__(self, features: str = "c4", weighting: str = "tf", *, seed: int = DEFAULT_SEED) -> None:
        self._inner = _paradup.SimHasher(features, weighting, seed=seed)

    def fingerprints(self, texts: TextsLike) -> np.ndarray:
        """The fingerprints, shape ``(n,)``, dtype uint64."""
        return np.frombuffer(self._inner._fingerprints(_native(texts)), dtype=np.uint64)


def jaccard(a: str, b: str, shingles: str = "w2", *, seed: int = DEFAULT_SEED) -> float:
    """The exact Jaccard similarity of two texts' shingle sets (normalized as the
    deduper normalizes them).

    >>> paradup.jaccard("the cat sat", "The cat sat!")
    1.0
    >>> paradup.jaccard("a b c", "a b d")
    0.3333333333333333
    """
    return _paradup.jaccard(a, b, shingles, seed=seed)


def estimate_jaccard(a: Any, b: Any) -> float:
    """The Jaccard estimate of two signature rows (from `MinHasher.signatures`): the
    fraction of slots that agree."""
    return _paradup.estimate_jaccard(np.asarray(a, dtype=np.uint32).tolist(), np.asarray(b, dtype=np.uint32).tolist())


class Index:
    """A persistent near-duplicate index: insert, query, remove, save and load, in the
    Rust `Index`'s file format (``dedup --save-index`` and ``--against`` read it).

    It keeps no text: a match is an exact copy (after normalization) or a stored
    paragraph whose signature estimate of the Jaccard similarity reaches the
    threshold. Queries may run from many threads at once.

    >>> index = paradup.Index()
    >>> index.insert(7, "the quick brown fox jumps over the lazy dog")
    >>> [(m.key, m.exact) for m in index.query("The quick brown fox jumps over the lazy dog.")]
    [(7, True)]
    """

    def __init__(
        self,
        threshold: float = 0.6,
        *,
        shingles: str = "w2",
        num_perm: int = 128,
        seed: int = DEFAULT_SEED,
        lsh: Optional[Tuple[int, int]] = None,
        max_matches: int = 16,
        _inner: Any = None,
    ) -> None:
        self._inner = _inner if _inner is not None else _paradup.Index(
            threshold, shingles=shingles, num_perm=num_perm, seed=seed, lsh=lsh, max_matches=max_matches
        )

    @classmethod
    def load(cls, path: PathLike) -> "Index":
        """Loads an index saved by `save` or by ``dedup --save-index``."""
        return cls(_inner=_paradup.Index.load(os.fspath(path)))

    def save(self, path: PathLike) -> None:
        """Saves the index to `path` (the Rust file format)."""
        self._inner.save(os.fspath(path))

    def insert(self, key: int, text: str) -> None:
        """Inserts `text` under `key` (an unsigned 64-bit integer), replacing what
        `key` held."""
        self._inner.insert(key, text)

    def insert_many(self, keys: Iterable[int], texts: TextsLike) -> None:
        """Inserts ``texts[i]`` under ``keys[i]``; the sketches are computed in
        parallel."""
        self._inner.insert_many(list(keys), _native(texts))

    def query(self, text: str, k: Optional[int] = None) -> List[Match]:
        """The stored paragraphs that match `text`, best first (exact, then higher
        similarity, then smaller key): at most `k`, default `max_matches`."""
        return self._inner.query(text, k)

    def query_many(self, texts: TextsLike, k: Optional[int] = None) -> List[List[Match]]:
        """`query` for each text, in parallel."""
        return self._inner.query_many(_native(texts), k)

    def remove(self, key: int) -> bool:
        """Removes `key`; returns whether it was stored."""
        return self._inner.remove(key)

    @property
    def threshold(self) -> float:
        return self._inner.threshold

    @property
    def lsh(self) -> Tuple[int, int]:
        return self._inner.lsh

    @property
    def num_perm(self) -> int:
        return self._inner.num_perm

    @property
    def max_matches(self) -> int:
        return self._inner.max_matches

    def __len__(self) -> int:
        return len(self._inner)

    def __contains__(self, key: int) -> bool:
        return key in self._inner

    def __repr__(self) -> str:
        return repr(self._inner)
