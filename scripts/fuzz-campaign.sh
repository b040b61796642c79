#!/usr/bin/env bash
# Fuzzes the targets one after the other (never two at once) in runs of CHUNK seconds
# (scripts/fuzz.sh TARGET CHUNK) until each has at least EXECUTIONS executions recorded in
# results/fuzz/TARGET.txt (summed over every run there, so a campaign continues across working
# sessions), then prints the table of scripts/fuzz-summary.sh. Stops at the first failed run
# (a crash, hang, leak or unclean error: its artifact is in Fuzz/artifacts/), exit 1. A failed
# build (sources edited while it compiled) is retried after 2 minutes, up to 10 times in a row.
# Usage: scripts/fuzz-campaign.sh EXECUTIONS CHUNK [TARGET ...]   (default: every target)
set -uo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 2 ] || ! [[ "$1" =~ ^[0-9]+$ ]] || ! [[ "$2" =~ ^[0-9]+$ ]] || [ "$2" -lt 1 ]; then
  echo "usage: scripts/fuzz-campaign.sh EXECUTIONS CHUNK_SECONDS [TARGET ...]" >&2; exit 2
fi
wanted="$1"; chunk="$2"; shift 2
targets="${*:-gzip tar config hardware compare topology idx cifar checkpoint checkpoint-crc}"
recorded() { scripts/fuzz-executions.sh "$1"; }
for target in $targets; do
  build_failures=0
  while [ "$(recorded "$target")" -lt "$wanted" ]; do
    scripts/fuzz.sh "$target" "$chunk"
    status=$?
    if [ "$status" -eq 3 ] && [ "$build_failures" -lt 10 ]; then
      build_failures=$((build_failures + 1)); sleep 120; continue
    fi
    [ "$status" -eq 0 ] || { echo "fuzz-campaign.sh: $target: a run failed; see results/fuzz/$target.txt" >&2; exit 1; }
    build_failures=0
  done
  echo "fuzz-campaign.sh: $target: $(recorded "$target") executions recorded" >&2
done
scripts/fuzz-summary.sh
