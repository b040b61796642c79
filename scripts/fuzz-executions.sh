#!/usr/bin/env bash
# Prints the executions recorded for one fuzz target: the sum of libFuzzer's final counts
# ("#N ..." lines) over every run in results/fuzz/TARGET.txt (0 when there is none yet).
# Usage: scripts/fuzz-executions.sh TARGET
set -euo pipefail
cd "$(dirname "$0")/.."
file="results/fuzz/$1.txt"
[ -f "$file" ] || { echo 0; exit 0; }
grep -E '^#[0-9]+' "$file" | sed -E 's/^#([0-9]+).*/\1/' | awk '{s += $1} END {print s + 0}'
