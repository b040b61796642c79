#!/usr/bin/env bash
# Side-by-side benchmark: fsb vs PyTorch (CPU), same networks, batch, optimizer and threads.
# Each network and configuration runs in its own process so that peak memory is per network.
# Configurations, run alternately --repeats N times per network (so load drifts on a shared
# machine hit all alike):
#   fsb fp32; fsb bf16 (only where this CPU has AMX or AVX512-BF16);
#   PyTorch fp32 NCHW, fp32 channels_last, bf16 autocast + channels_last.
# The table shows each fsb precision against PyTorch's FASTEST configuration of that cell on
# this CPU (per column: training, inference, batch-1 inference), each the median of its N
# runs (peak memory: the largest); every run's rows stay in the raw CSVs.
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
lscpu | grep -E "Model name|Flags" > "$out/cpu.txt" || true

fsb_precisions="fp32"
if .build/release/fsb-bench gemm --precision bf16 --filter square_128 --threads 1 --repeats 1 >/dev/null 2>&1; then
  fsb_precisions="fp32 bf16"
fi
have_torch=0
if "$python" -c "import torch" 2>/dev/null; then have_torch=1; fi
torch_variants=("fp32:" "fp32-cl:--channels-last" "bf16-cl:--channels-last --bf16")
for network in ${networks//,/ }; do
  for run in $(seq 1 "$repeats"); do
    for precision in $fsb_precisions; do
      .build/release/fsb-bench train --networks "$network" --methods "$methods" --threads "$threads" \
        --precision "$precision" --csv "$out/fsb-$precision-$network-run$run.csv"
    done
    if [ $have_torch = 1 ]; then
      for variant in "${torch_variants[@]}"; do
        name="${variant%%:*}"; flags="${variant#*:}"
        # shellcheck disable=SC2086
        OMP_NUM_THREADS=$threads "$python" scripts/bench_pytorch.py --networks "$network" --methods "$methods" \
          --threads "$threads" $flags --csv "$out/pytorch-$name-$network-run$run.csv"
      done
    fi
  done
done
# Merge the runs (one header, `run` and `config` columns), take per-cell medians, print ratios.
"$python" - "$out" "$networks" "$repeats" "$fsb_precisions" "$have_torch" <<'PY'
import csv, sys, os, statistics
out, networks, repeats = sys.argv[1], sys.argv[2].split(","), int(sys.argv[3])
precisions, have_torch = sys.argv[4].split(), sys.argv[5] == "1"
torch_configs = ["fp32", "fp32-cl", "bf16-cl"] if have_torch else []
rates = ["train_images_per_second", "infer_images_per_second", "infer_batch1_images_per_second"]
def load(prefix, config):
    rows = []
    for n in networks:
        for run in range(1, repeats + 1):
            path = os.path.join(out, f"{prefix}-{config}-{n}-run{run}.csv")
            if os.path.exists(path):
                rows += [dict(r, run=str(run), config=config) for r in csv.DictReader(open(path))]
    return rows
def medians(rows):
    cells = {}
    for r in rows: cells.setdefault((r["network"], r["method"]), []).append(r)
    result = {}
    for key, runs in cells.items():
        merged = dict(runs[0])
        for c in rates: merged[c] = statistics.median(float(r[c]) for r in runs)
        merged["peak_rss_mib"] = max(int(float(r["peak_rss_mib"])) for r in runs)
        result[key] = merged
    return result
ours = {p: load("fsb", p) for p in precisions}
theirs = {c: load("pytorch", c) for c in torch_configs}
for name, groups in [("fsb.csv", ours), ("pytorch.csv", theirs)]:
    rows = [r for g in groups.values() for r in g]
    if rows:
        with open(os.path.join(out, name), "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0].keys())); w.writeheader(); w.writerows(rows)
peer = {c: medians(rows) for c, rows in theirs.items()}
print(f"median of {repeats} alternating run(s) per cell; PyTorch: its fastest of {', '.join(torch_configs) or 'none'} per column")
print("| network | method | fsb | fsb train img/s | PyTorch best | ratio | fsb infer img/s | PyTorch best | ratio | fsb batch-1 img/s | PyTorch best | ratio | fsb peak MiB | PyTorch MiB |")
print("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for precision in precisions:
    for key, r in medians(ours[precision]).items():
        cells = [r["network"], r["method"], precision]
        candidates = [(c, peer[c][key]) for c in torch_configs if key in peer[c]]
        for c in rates:
            a = r[c]; cells.append(f"{a:.0f}")
            if candidates:
                config, best = max(candidates, key=lambda item: item[1][c])
                cells += [f"{best[c]:.0f} ({config})", f"{a / best[c]:.2f}x"]
            else: cells += ["-", "-"]
        cells += [str(r["peak_rss_mib"]), str(min(p["peak_rss_mib"] for _, p in candidates)) if candidates else "-"]
        print("| " + " | ".join(cells) + " |")
PY
