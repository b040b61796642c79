#!/usr/bin/env bash
# Re-derives the recorded accuracy of every finished cell of a compare output folder that
# keeps its final checkpoint (the converged CIFAR-10 grids): `fsb eval --checkpoint` of
# runs/<cell>/last.fsbckpt against summary.json's final test accuracy. Prints one line per
# cell (recorded, re-evaluated) and exits 1 when any differs or cannot be evaluated (a bf16
# cell on a CPU without bf16 instructions: FSB_BF16_PATH=portable evaluates it, slowly).
# A cell trained on another CPU may differ by a few images (its kernels rounded differently:
# see the README, "Quick start"); the line says so rather than hiding it.
#   scripts/check-recorded-accuracy.sh COMPARE_OUTPUT_DIR [DATA_ROOT]   (default ../shared/datasets)
# FSB names the fsb executable (default .build/release/fsb).
set -euo pipefail
if [ $# -lt 1 ] || [ $# -gt 2 ]; then echo "usage: $0 COMPARE_OUTPUT_DIR [DATA_ROOT]" >&2; exit 2; fi
grid=$1; data_root=${2:-../shared/datasets}
fsb=${FSB:-.build/release/fsb}
[ -d "$grid/runs" ] || { echo "$0: $grid/runs: no such folder (expected the output folder of fsb compare)" >&2; exit 2; }
checked=0; differ=0
for cell in "$grid"/runs/*/; do
  name=$(basename "$cell")
  [ -f "$cell/summary.json" ] || continue
  if [ ! -f "$cell/last.fsbckpt" ]; then echo "$name: finished, but its checkpoint is not kept: skipped"; continue; fi
  recorded=$(python3 -c 'import json, sys; print("%.4f" % json.load(open(sys.argv[1]))["finalTestAccuracy"])' "$cell/summary.json")
  checked=$((checked + 1))
  if ! output=$("$fsb" eval --checkpoint "$cell/last.fsbckpt" --data-root "$data_root" 2>&1); then
    differ=$((differ + 1))
    echo "$name: recorded $recorded%, fsb eval failed: $(tail -1 <<< "$output")"
    continue
  fi
  line=$(grep '^test accuracy: ' <<< "$output")
  evaluated=$(sed -n 's/^test accuracy: \([0-9.]*\)%.*/\1/p' <<< "$line")
  if [ "$recorded" = "$evaluated" ]; then
    echo "$name: recorded $recorded%, fsb eval $evaluated%: same"
  else
    differ=$((differ + 1))
    echo "$name: recorded $recorded%, fsb eval $evaluated% (${line#test accuracy: }): DIFFERS"
  fi
done
echo "$checked finished cells checked, $differ differ or failed"
[ "$differ" -eq 0 ]
