#!/usr/bin/env bash
# Trains the shipped LeNet-5 configs on the full MNIST and copies each run's record
# (resolved config, profile, metrics, summary) into results/mnist-lenet5/<method>/.
#   scripts/reproduce-mnist.sh [--data-root DIR] [methods...]   (default methods: fp binaryconnect bwn fsb)
set -euo pipefail
cd "$(dirname "$0")/.."
root="${FSB_DATA_ROOT:-datasets}"
if [ "${1:-}" = "--data-root" ]; then root="$2"; shift 2; fi
methods=("$@"); [ ${#methods[@]} -eq 0 ] && methods=(fp binaryconnect bwn fsb)
swift build -c release --product fsb >/dev/null
for method in "${methods[@]}"; do
  run="runs/mnist-lenet5-$method"
  [ -f "$run/summary.json" ] || .build/release/fsb train --config "configs/mnist-lenet5-$method.json" --data-root "$root" --output "$run"
  out="results/mnist-lenet5/$method"
  mkdir -p "$out"
  cp "$run/config.json" "$run/profile.txt" "$run/metrics.csv" "$run/summary.csv" "$out/"
  .build/release/fsb eval --checkpoint "$run/last.fsbckpt" --data-root "$root" --output "$out/eval" > "$out/eval.txt"
done
