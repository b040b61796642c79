#!/usr/bin/env bash
# Side-by-side benchmark: fsb vs PyTorch (CPU), same networks, batch, optimizer and threads.
# Each network runs in its own process so that peak memory is per network. With --repeats N
# the two frameworks run alternately N times per network (fsb, PyTorch, fsb, PyTorch, ...),
# so load drifts on a shared machine hit both alike; the table shows the median of the N runs
# of each cell (peak memory: the largest), and every run's rows stay in the raw CSVs.
#   scripts/bench.sh [--threads 2] [--networks lenet5,resnet20,vgg-small] [--methods fp,fsb]
#                    [--repeats 1] [--out results/bench]
# PyTorch is used when `python3 -c "import torch"` works (or set PYTHON=/path/to/python).
set -euo pipefail
cd "$(dirname "$0")/.."
threads=2; networks="lenet5,resnet20,vgg-small"; methods="fp,binaryconnect,bwn,fsb"; out="results/bench"; repeats=1
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) threads="$2"; shift 2 ;;
    --networks) networks="$2"; shift 2 ;;
    --methods) methods="$2"; shift 2 ;;
    --repeats) repeats="$2"; shift 2 ;;
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
  for run in $(seq 1 "$repeats"); do
    .build/release/fsb-bench train --networks "$network" --methods "$methods" --threads "$threads" \
      --csv "$out/fsb-$network-run$run.csv"
    if [ $have_torch = 1 ]; then
      OMP_NUM_THREADS=$threads "$python" scripts/bench_pytorch.py --networks "$network" --methods "$methods" \
        --threads "$threads" --csv "$out/pytorch-$network-run$run.csv"
    fi
  done
done
# Merge the runs (one header, a `run` column), take per-cell medians and print the ratios.
"$python" - "$out" "$networks" "$repeats" "$have_torch" <<'PY'
import csv, sys, os, statistics
out, networks, repeats, have_torch = sys.argv[1], sys.argv[2].split(","), int(sys.argv[3]), sys.argv[4] == "1"
rates = ["train_images_per_second", "infer_images_per_second", "infer_batch1_images_per_second"]
def load(prefix):
    rows = []
    for n in networks:
        for run in range(1, repeats + 1):
            path = os.path.join(out, f"{prefix}-{n}-run{run}.csv")
            if os.path.exists(path):
                rows += [dict(r, run=str(run)) for r in csv.DictReader(open(path))]
    return rows
def medians(rows):
    cells = {}
    for r in rows: cells.setdefault((r["network"], r["method"]), []).append(r)
    result = {}
    for key, runs in cells.items():
        merged = dict(runs[0])
        for c in rates: merged[c] = statistics.median(float(r[c]) for r in runs)
        merged["peak_rss_mib"] = max(int(float(r["peak_rss_mib"])) for r in runs)
        merged["runs"] = len(runs)
        result[key] = merged
    return result
ours, theirs = load("fsb"), (load("pytorch") if have_torch else [])
for name, rows in [("fsb.csv", ours), ("pytorch.csv", theirs)]:
    if rows:
        with open(os.path.join(out, name), "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0].keys())); w.writeheader(); w.writerows(rows)
mine, peer = medians(ours), medians(theirs)
print(f"median of {repeats} alternating run(s) per cell")
print("| network | method | fsb train img/s | PyTorch | ratio | fsb infer img/s | PyTorch | ratio | fsb batch-1 img/s | PyTorch | ratio | fsb peak MiB | PyTorch MiB |")
print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for key, r in mine.items():
    p = peer.get(key)
    cells = [r["network"], r["method"]]
    for c in rates:
        a = r[c]; cells.append(f"{a:.0f}")
        if p: b = p[c]; cells += [f"{b:.0f}", f"{a / b:.2f}x"]
        else: cells += ["-", "-"]
    cells += [str(r["peak_rss_mib"]), str(p["peak_rss_mib"]) if p else "-"]
    print("| " + " | ".join(cells) + " |")
PY
