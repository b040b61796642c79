#!/bin/bash
# Copies a finished `fsb compare` output folder into results/ without checkpoints, then
# draws its plots (error bars, accuracy vs energy/update size, seed-1 training curves).
#   scripts/export-results.sh COMPARE_OUTPUT_DIR results/NAME
# The tables are the compare's own files (runs.csv, table.csv, table.md, verdicts.txt);
# each cell keeps config.json, cell.json, metrics.csv, summary.json/.csv and profile.txt.
set -euo pipefail
if [ $# -ne 2 ]; then echo "usage: $0 COMPARE_OUTPUT_DIR RESULTS_DIR" >&2; exit 2; fi
source_dir=$1; target=$2
for f in runs.csv table.csv table.md verdicts.txt; do
  [ -f "$source_dir/$f" ] || { echo "$0: $source_dir/$f: missing (is the compare finished?)" >&2; exit 1; }
done
mkdir -p "$target/runs"
cp "$source_dir"/{runs.csv,table.csv,table.md,verdicts.txt} "$target/"
for cell in "$source_dir"/runs/*/; do
  name=$(basename "$cell"); mkdir -p "$target/runs/$name"
  for f in cell.json config.json metrics.csv summary.json summary.csv profile.txt error.txt; do
    [ -f "$cell/$f" ] && cp "$cell/$f" "$target/runs/$name/"
  done
done
python3 "$(dirname "$0")/plot_results.py" grid "$target" --out "$target/plot"
# Curves of seed 1 only (every seed would crowd the figure).
curve_runs=("$target"/runs/*seed-1/)
python3 "$(dirname "$0")/plot_results.py" curves "${curve_runs[@]}" --out "$target/curves"
