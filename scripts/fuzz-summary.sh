#!/usr/bin/env bash
# Prints the README's fuzzing table from the records of scripts/fuzz.sh (results/fuzz/*.txt):
# per target the runs, the executions summed over them, the share of the 10 million asked for,
# cov/ft/exec/s of the latest run (libFuzzer's last status line) and the runs that failed.
# Usage: scripts/fuzz-summary.sh [RESULTS_DIR]   (default results/fuzz)
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-results/fuzz}"
targets="gzip tar idx cifar checkpoint checkpoint-crc config compare hardware topology"
echo "| target | runs | executions | of 10 M | cov | ft | exec/s | failed runs |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for t in $targets; do
  file="$dir/$t.txt"
  [ -f "$file" ] || { echo "fuzz-summary.sh: $file: missing" >&2; exit 1; }
  awk -v target="$t" '
    function group(n,   s) { s = sprintf("%d", n); while (s ~ /[0-9][0-9][0-9][0-9]/) sub(/[0-9][0-9][0-9]($|,)/, ",&", s); return s }
    /^## / { runs++ }
    /^#[0-9]+/ {
      n = substr($1, 2) + 0; executions += n
      for (i = 2; i <= NF; i++) {
        if ($i == "cov:") cov = $(i + 1)
        if ($i == "ft:") ft = $(i + 1)
        if ($i == "exec/s:") rate = $(i + 1)
      }
    }
    /^FAILED/ { failed++ }
    END {
      printf "| `%s` | %d | %s | %.1f%% | %s | %s | %s | %d |\n", target, runs, group(executions),
             100 * executions / 1e7, group(cov), group(ft), group(rate), failed
    }' "$file"
done
