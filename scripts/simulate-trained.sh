#!/bin/bash
# Simulator tables for the trained models of a compare grid: every seed-1 cell's final
# checkpoint (every cell's with ALL_SEEDS=1) on the shipped MAC accelerators and on the
# accelerators built for its method (binaryconnect and bwn: bwn-int8-os; fsb: fsb-int8-os and
# fsb-int8-os-codebook16; inference, batch 1), and for FSB models the bit-accurate datapath
# check on the first N test images. Cells without a finished run (summary.json) are skipped.
#   [ALL_SEEDS=1] [VERIFY=0] scripts/simulate-trained.sh COMPARE_OUTPUT_DIR OUT_DIR VERIFY_IMAGES DATA_ROOT
# Writes OUT_DIR/<cell>/{layers.csv,totals.csv,summary.txt} and, for fsb cells, verify.txt.
# The tables need only the model's shapes and methods: with VERIFY=0 the cell's config.json
# stands in for a missing checkpoint and no datapath check runs (a shipped results folder has
# no checkpoints). A cell whose tables (and, for an fsb cell, the datapath check on the same
# number of images) are already in OUT_DIR is skipped, so a grid's final step does not redo
# the cells checked in an earlier session; delete OUT_DIR/<cell> to redo one.
# FSB names the fsb executable (default .build/release/fsb).
set -euo pipefail
if [ $# -ne 4 ]; then echo "usage: $0 COMPARE_OUTPUT_DIR OUT_DIR VERIFY_IMAGES DATA_ROOT" >&2; exit 2; fi
source_dir=$1; out=$2; verify=$3; data_root=$4
fsb=${FSB:-.build/release/fsb}
verify_fsb=${VERIFY:-1}
pattern='*seed-1*/'
if [ "${ALL_SEEDS:-0}" = 1 ]; then pattern='*/'; fi
for cell in "$source_dir"/runs/$pattern; do
  name=$(basename "$cell")
  checkpoint="$cell/last.fsbckpt"
  if [ ! -f "$checkpoint" ]; then
    if [ "$verify_fsb" = 0 ] && [ -f "$cell/config.json" ]; then checkpoint="$cell/config.json"
    else echo "$0: $checkpoint: missing, skipped" >&2; continue; fi
  fi
  [ -f "$cell/summary.json" ] || { echo "$0: $cell: not finished, skipped" >&2; continue; }
  method=$(sed -n 's/^    "method" : "\([a-z]*\)",*$/\1/p' "$cell/config.json")
  is_fsb=0; if [ "$verify_fsb" != 0 ] && [ "$method" = fsb ]; then is_fsb=1; fi
  if [ -f "$out/$name/totals.csv" ] && { [ "$is_fsb" = 0 ] ||
       grep -q "^bit-accurate FSB datapath check: $verify test images," "$out/$name/verify.txt" 2>/dev/null; }; then
    echo "$name: already in $out/$name, skipped" >&2; continue
  fi
  accelerators="mac-fp32-os mac-int8-os"
  case "$method" in
    binaryconnect|bwn) accelerators+=" bwn-int8-os" ;;
    fsb) accelerators+=" fsb-int8-os fsb-int8-os-codebook16" ;;
  esac
  hardware=()
  for hw in $accelerators; do hardware+=(--hardware "configs/hw/$hw.json"); done
  "$fsb" simulate-hw --config "$checkpoint" "${hardware[@]}" --mode inference --batch-size 1 --output "$out/$name" > /dev/null
  if [ "$is_fsb" = 1 ]; then
    "$fsb" simulate-hw --config "$checkpoint" --hardware configs/hw/fsb-int8-os.json --verify "$verify" \
      --data-root "$data_root" > "$out/$name/verify.txt.partial"
    mv "$out/$name/verify.txt.partial" "$out/$name/verify.txt"   # only a finished check counts
  fi
  echo "$name -> $out/$name"
done
