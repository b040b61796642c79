#!/usr/bin/env bash
# Side-by-side benchmark: fsb vs PyTorch (CPU), same networks, batch, optimizer and threads.
# Each network runs in its own process so that peak memory is per network.
#   scripts/bench.sh [--threads 2] [--networks lenet5,resnet20,vgg-small] [--methods fp,fsb] [--out results/bench]
# PyTorch is used when `python3 -c "import torch"` works (or set PYTHON=/path/to/python).
set -euo pipefail
cd "$(dirname "$0")/.."
threads=2; networks="lenet5,resnet20,vgg-small"; methods="fp,binaryconnect,bwn,fsb"; out="results/bench"
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) threads="$2"; shift 2 ;;
    --networks) networks="$2"; shift 2 ;;
    --methods) methods="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
python="${PYTHON:-python3}"
mkdir -p "$out"
swift build -c release --product fsb-bench >/dev/null

have_torch=0
if "$python" -c "import torch" 2>/dev/null; then have_torch=1; fi
for network in ${networks//,/ }; do
  .build/release/fsb-bench train --networks "$network" --methods "$methods" --threads "$threads" --csv "$out/fsb-$network.csv"
  if [ $have_torch = 1 ]; then
    OMP_NUM_THREADS=$threads "$python" scripts/bench_pytorch.py --networks "$network" --methods "$methods" --threads "$threads" --csv "$out/pytorch-$network.csv"
  fi
done
# Merge per-network files (one header) and print the ratios.
"$python" - "$out" "$networks" "$have_torch" <<'PY'
import csv, sys, os
out, networks, have_torch = sys.argv[1], sys.argv[2].split(","), sys.argv[3] == "1"
def load(prefix):
    rows = []
    for n in networks:
        path = os.path.join(out, f"{prefix}-{n}.csv")
        if os.path.exists(path):
            rows += list(csv.DictReader(open(path)))
    return rows
ours, theirs = load("fsb"), (load("pytorch") if have_torch else [])
for name, rows in [("fsb.csv", ours), ("pytorch.csv", theirs)]:
    if rows:
        with open(os.path.join(out, name), "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0].keys())); w.writeheader(); w.writerows(rows)
peer = {(r["network"], r["method"]): r for r in theirs}
cols = ["train_images_per_second", "infer_images_per_second", "infer_batch1_images_per_second"]
print("| network | method | fsb train img/s | PyTorch | ratio | fsb infer img/s | PyTorch | ratio | fsb batch-1 img/s | PyTorch | ratio | fsb peak MiB | PyTorch MiB |")
print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for r in ours:
    p = peer.get((r["network"], r["method"]))
    cells = [r["network"], r["method"]]
    for c in cols:
        a = float(r[c]); cells.append(f"{a:.0f}")
        if p: b = float(p[c]); cells += [f"{b:.0f}", f"{a / b:.2f}x"]
        else: cells += ["-", "-"]
    cells += [r["peak_rss_mib"], p["peak_rss_mib"] if p else "-"]
    print("| " + " | ".join(cells) + " |")
PY

