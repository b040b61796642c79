#!/usr/bin/env bash
# Trains each tiny config of results/export/matrix-configs/ (1 epoch on 256 shipped sample
# images, --data-root datasets/samples), exports it with `fsb export --format onnx` and compares onnxruntime with
# `fsb eval` on 200 sample test images (scripts/check_onnx.py). Writes the reports to
# results/export/onnx-architectures-methods.txt. Needs python with onnx, onnxruntime, numpy:
#   PYTHON=/path/to/venv/bin/python scripts/check-onnx-matrix.sh [WORK_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
python="${PYTHON:-python3}"
work="${1:-$(mktemp -d)}"
fsb=.build/release/fsb
swift build -c release --product fsb >/dev/null
report=results/export/onnx-architectures-methods.txt
echo "# every architecture and method: tiny runs (1 epoch, 256 sample training images, 200 sample test images), scripts/check_onnx.py on the shipped samples" > "$report.tmp"
for config in results/export/matrix-configs/*.json; do
  name="$(basename "$config" .json)"
  dataset="$("$python" -c "import json,sys; print(json.load(open(sys.argv[1]))['dataset']['name'])" "$config")"
  "$fsb" train --config "$config" --data-root datasets/samples --output "$work/$name" --quiet >/dev/null
  "$fsb" export --checkpoint "$work/$name/last.fsbckpt" --format onnx --output "$work/$name.onnx" >/dev/null
  echo "== $name" >> "$report.tmp"
  "$python" scripts/check_onnx.py --fsb "$fsb" --model "$work/$name.onnx" --checkpoint "$work/$name/last.fsbckpt" \
    --data "datasets/samples/$dataset" --data-root datasets/samples | tail -3 >> "$report.tmp"
done
mv "$report.tmp" "$report"
cat "$report"
