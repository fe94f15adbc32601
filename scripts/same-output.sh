#!/usr/bin/env bash
# Runs the deduper on one corpus in the modes a refactor must not change and prints
# one sha256 per mode; `--check FILE` compares with a list printed before.
#
#   scripts/same-output.sh CORPUS [DEDUP_BINARY] > before.sha256   # on the old build
#   scripts/same-output.sh CORPUS [DEDUP_BINARY] --check before.sha256
#
# The list in docs/same-output-gutenberg-48mb.sha256 is for the 48 MB Gutenberg corpus
# of the project's shared data (129 public-domain books, one paragraph per line,
# decompressed), which is not in this repository.
set -euo pipefail
corpus=${1:?usage: same-output.sh CORPUS [DEDUP_BINARY] [--check FILE]}
bin=${2:-target/release/examples/dedup}
check=
if [ "${3:-}" = --check ]; then check=${4:?--check needs a file}; fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
run() {
  local name=$1; shift
  "$bin" "$corpus" -q --format jsonl "$@" > "$tmp/out"
  printf '%s  %s\n' "$(sha256sum < "$tmp/out" | cut -d' ' -f1)" "$name"
}
{
  run default
  run simhash --method simhash
  run containment --similarity containment --threshold 0.8
  run memory-limit --memory-limit 256M --temp-dir "$tmp"
  run stream --stream
  run stream-simhash --stream --method simhash
  run threshold-0.8 --threshold 0.8
} > "$tmp/sums"
if [ -n "$check" ]; then
  diff -u "$check" "$tmp/sums" && echo "same output in every mode"
else
  cat "$tmp/sums"
fi
