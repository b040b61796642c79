#!/bin/bash
# Simulator tables for the trained models of a compare grid: every seed-1 cell's final
# checkpoint (every cell's with ALL_SEEDS=1) on the shipped accelerators (inference, batch 1),
# and for FSB models the bit-accurate datapath check on the first N test images. Cells
# without a finished run (summary.json) are skipped.
#   [ALL_SEEDS=1] scripts/simulate-trained.sh COMPARE_OUTPUT_DIR OUT_DIR VERIFY_IMAGES DATA_ROOT
# Writes OUT_DIR/<cell>/{layers.csv,totals.csv,summary.txt} and, for fsb cells, verify.txt.
# FSB names the fsb executable (default .build/release/fsb).
set -euo pipefail
if [ $# -ne 4 ]; then echo "usage: $0 COMPARE_OUTPUT_DIR OUT_DIR VERIFY_IMAGES DATA_ROOT" >&2; exit 2; fi
source_dir=$1; out=$2; verify=$3; data_root=$4
fsb=${FSB:-.build/release/fsb}
hardware=()
for hw in mac-fp32-os mac-int8-os bwn-int8-os fsb-int8-os fsb-int8-os-codebook16; do
  hardware+=(--hardware "configs/hw/$hw.json")
done
pattern='*seed-1*/'
if [ "${ALL_SEEDS:-0}" = 1 ]; then pattern='*/'; fi
for cell in "$source_dir"/runs/$pattern; do
  name=$(basename "$cell")
  checkpoint="$cell/last.fsbckpt"
  [ -f "$checkpoint" ] || { echo "$0: $checkpoint: missing, skipped" >&2; continue; }
  [ -f "$cell/summary.json" ] || { echo "$0: $cell: not finished, skipped" >&2; continue; }
  "$fsb" simulate-hw --config "$checkpoint" "${hardware[@]}" --mode inference --batch-size 1 --output "$out/$name" > /dev/null
  if grep -q '"method" : "fsb"' "$cell/config.json"; then
    "$fsb" simulate-hw --config "$checkpoint" --hardware configs/hw/fsb-int8-os.json --verify "$verify" \
      --data-root "$data_root" > "$out/$name/verify.txt"
  fi
  echo "$name -> $out/$name"
done
