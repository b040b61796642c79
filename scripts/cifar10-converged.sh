#!/usr/bin/env bash
# Runs (or resumes) the converged CIFAR-10 ResNet-20 grids of results/cifar10-resnet20-converged*:
# first the methods x seeds grid, then the 1-seed ablations (one of which takes the signs of
# the grid's fp seed-1 model). Finished cells are skipped and a partial cell resumes from its
# last.fsbckpt, so the same command continues the grid in every working session; it starts by
# printing each cell's state (fsb compare --status). When every
# cell has finished it writes the simulator tables and datapath checks (results/hw/trained-*).
#
#   scripts/cifar10-converged.sh [--data-root DIR]     (default ../shared/datasets)
#
# It runs a private copy of the release binary (so rebuilding the tool meanwhile does not
# touch the running one), one cell at a time on 2 threads, under nice.
set -euo pipefail
cd "$(dirname "$0")/.."
data_root="../shared/datasets"
if [ "${1:-}" = "--data-root" ]; then data_root="$2"; fi
swift build -c release --product fsb >/dev/null
binary="$(mktemp -d)/fsb"
cp .build/release/fsb "$binary"
specs="configs/compare/cifar10-resnet20-converged.json configs/compare/cifar10-resnet20-converged-ablations.json"
for spec in $specs; do "$binary" compare --spec "$spec" --status; done   # where each cell stands
for spec in $specs; do
  nice -n 10 "$binary" compare --spec "$spec" --data-root "$data_root" --jobs 1
done
# Every cell trained: the simulator tables of each model, and for fsb models the bit-accurate
# datapath check on the full 10,000-image test set (about half an hour per model on a Zen 3).
for grid in cifar10-resnet20-converged cifar10-resnet20-converged-ablations; do
  ALL_SEEDS=1 FSB="$binary" nice -n 10 scripts/simulate-trained.sh "results/$grid" "results/hw/trained-$grid" 10000 "$data_root"
done
