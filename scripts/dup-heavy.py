#!/usr/bin/env python3
"""A duplicate-heavy corpus from a plain one, as issue 19 describes: every paragraph of
INPUT (one per line, blank lines between), then copies of them in order, cycling, each
with one random word replaced by a word of the first 2,000 paragraphs (fixed seed),
until N paragraphs. With N = 1,000,000 and the shared 48 MB corpus: 276 MB, 85% of the
paragraphs in clusters.

    zcat ../shared/corpora/gutenberg-48mb.txt.gz > target/g48.txt
    python3 scripts/dup-heavy.py target/g48.txt 1000000 target/dup1m.txt

With a fourth argument SHARE, each word of a copy is replaced with that probability
instead: SHARE = 0.5 makes ordinary text of the same size, paragraph lengths and
words, whose copies are not near-duplicates (the baseline of the same size).
"""
import random
import sys


def main() -> None:
    src, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    share = float(sys.argv[4]) if len(sys.argv) > 4 else None
    with open(src, encoding="utf-8") as f:
        paras = [line for line in f.read().split("\n") if line.strip()]
    rng = random.Random(7)
    vocab = [w for p in paras[:2000] for w in p.split()]
    with open(out, "w", encoding="utf-8") as f:
        for p in paras:
            f.write(p + "\n\n")
        k, i = len(paras), 0
        while k < n:
            words = paras[i % len(paras)].split()
            i += 1
            if share is not None:
                words = [rng.choice(vocab) if rng.random() < share else w for w in words]
            elif len(words) > 1:
                j = rng.randrange(len(words))
                words[j] = rng.choice(vocab)
            f.write(" ".join(words) + "\n\n")
            k += 1


if __name__ == "__main__":
    main()
