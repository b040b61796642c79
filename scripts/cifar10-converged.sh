#!/usr/bin/env bash
# Runs (or resumes) the converged CIFAR-10 ResNet-20 grids of results/cifar10-resnet20-converged*:
# first the methods x seeds grid, then the 1-seed ablations (one of which takes the signs of
# the grid's fp seed-1 model). Finished cells are skipped and a partial cell resumes from its
# last.fsbckpt, so the same command continues the grid in every working session.
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
for spec in configs/compare/cifar10-resnet20-converged.json configs/compare/cifar10-resnet20-converged-ablations.json; do
  nice -n 10 "$binary" compare --spec "$spec" --data-root "$data_root" --jobs 1
done
