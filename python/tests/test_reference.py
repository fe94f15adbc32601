"""Pure-Python references: word-2-gram Jaccard, and clusters by brute force."""

import itertools
import random

import paradup

VOCAB = ["alpha", "beta", "gamma", "delta"]


def shingles(text, n=2):
    words = text.split()
    if not words:
        return set()
    if len(words) < n:
        return {tuple(words)}
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def ref_jaccard(a, b):
    sa, sb = shingles(a), shingles(b)
    union = sa | sb
    return 1.0 if not union else len(sa & sb) / len(union)


def random_text(rng):
    return " ".join(rng.choice(VOCAB) for _ in range(rng.randint(1, 9)))


def test_jaccard_equals_the_reference():
    rng = random.Random(7)
    for _ in range(500):
        a, b = random_text(rng), random_text(rng)
        assert paradup.jaccard(a, b) == ref_jaccard(a, b), (a, b)


def test_jaccard_normalizes_case_and_punctuation():
    assert paradup.jaccard("Alpha, BETA gamma!", "alpha beta gamma") == 1.0
    assert paradup.jaccard("", "") == 1.0
    assert paradup.jaccard("alpha beta", "") == 0.0


def ref_clusters(texts, threshold):
    """Connected components of the pairs at the threshold (no anti-chaining)."""
    parent = list(range(len(texts)))

    def find(x):
        while parent[x] != x:
            x = parent[x]
        return x

    for i, j in itertools.combinations(range(len(texts)), 2):
        if ref_jaccard(texts[i], texts[j]) >= threshold:
            parent[find(j)] = find(i)
    groups = {}
    for i in range(len(texts)):
        groups.setdefault(find(i), []).append(i)
    out = sorted(g for g in groups.values() if len(g) > 1)
    return [[(i, ref_jaccard(texts[g[0]], texts[i])) for i in g] for g in out]


def test_clusters_equal_brute_force_on_small_inputs():
    rng = random.Random(11)
    d = paradup.Deduper(threshold=0.5, anti_chaining=False, candidates="exhaustive")
    nonempty = 0
    for _ in range(60):
        texts = [random_text(rng) for _ in range(rng.randint(2, 14))]
        got = [[(m.index, m.similarity) for m in c] for c in d.run(texts)]
        assert got == ref_clusters(texts, 0.5), texts
        nonempty += bool(got)
    assert nonempty > 20


def test_keep_drops_exactly_the_later_members():
    rng = random.Random(3)
    d = paradup.Deduper(threshold=0.5, anti_chaining=False, candidates="exhaustive")
    for _ in range(30):
        texts = [random_text(rng) for _ in range(10)]
        dropped = {i for c in ref_clusters(texts, 0.5) for i, _ in c[1:]}
        assert d.keep(texts) == [i for i in range(len(texts)) if i not in dropped]
