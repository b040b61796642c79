#!/usr/bin/env bash
# Bit-identity check for refactorings that must not change results (issue 15).
#
#   scripts/check-bit-identity.sh record DIR [FSB]   # run the reference set into DIR
#   scripts/check-bit-identity.sh compare REF NEW    # compare two recorded sets
#
# `record` runs, with the release binary FSB (default .build/release/fsb, build it first:
# `swift build -c release --product fsb`) and 2 threads:
#   - the README's quick start (configs/quickstart.json, 12 epochs on the MNIST sample),
#     then `fsb eval` and `fsb simulate-hw --verify 100` of its checkpoint;
#   - LeNet-5 on the MNIST sample and ResNet-20 on the CIFAR-10 sample, 1 epoch each with
#     small limits, for fp, binaryconnect, bwn, fsb (kernel), fsb with element and with
#     filter granularity, fsb with a 4-pattern sign codebook, fsb with free factor signs,
#     and every further method named in EXTRA_METHODS (e.g. EXTRA_METHODS=twn).
# `compare` checks, run by run: metrics.csv (without the epoch_seconds and
# images_per_second columns), summary.json (without wallSeconds), profile.txt,
# profile.csv, and every tensor of last.fsbckpt and best.fsbckpt (name, kind, dtype,
# shape and bytes), plus the eval and simulate-hw outputs; it prints one line per run and
# exits non-zero on any difference. Runs present in only one set are listed and skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }

record() {
  local out="$1" fsb="${2:-.build/release/fsb}"
  [ -x "$fsb" ] || { echo "no fsb binary at $fsb; build with: swift build -c release --product fsb" >&2; exit 1; }
  [ -e "$out" ] && { echo "$out exists; choose a new folder" >&2; exit 1; }
  mkdir -p "$out"
  local common=(--set training.threads=2 --quiet)
  "$fsb" train --config configs/quickstart.json --set training.threads=2 --quiet --output "$out/quickstart"
  "$fsb" eval --checkpoint "$out/quickstart/last.fsbckpt" --output "$out/quickstart/eval" > "$out/quickstart/eval.txt"
  "$fsb" simulate-hw --config "$out/quickstart/last.fsbckpt" --hardware configs/hw/mac-int8-os.json \
      --hardware configs/hw/fsb-int8-os.json --verify 100 --output "$out/quickstart/hw" > "$out/quickstart/hw.txt"
  local variants=(
    "fp|--set model.method=fp"
    "binaryconnect|--set model.method=binaryconnect"
    "bwn|--set model.method=bwn"
    "fsb|--set model.method=fsb"
    "fsb-element|--set model.method=fsb --set model.fsb.granularity=element"
    "fsb-filter|--set model.method=fsb --set model.fsb.granularity=filter"
    "fsb-codebook4|--set model.method=fsb --set model.fsb.signCodebook=4"
    "fsb-free|--set model.method=fsb --set model.fsb.alphaSign=free"
  )
  for extra in ${EXTRA_METHODS:-}; do variants+=("$extra|--set model.method=$extra"); done
  for variant in "${variants[@]}"; do
    local name="${variant%%|*}" args
    read -r -a args <<< "${variant#*|}"
    "$fsb" train --config configs/mnist-lenet5-fsb.json --data-root datasets/samples "${common[@]}" "${args[@]}" \
        --set training.epochs=1 --set dataset.trainLimit=2000 --set dataset.testLimit=500 \
        --output "$out/lenet5-$name"
    "$fsb" train --config configs/cifar10-resnet20-fsb.json --data-root datasets/samples "${common[@]}" "${args[@]}" \
        --set training.epochs=1 --set dataset.trainLimit=256 --set dataset.testLimit=128 \
        --set training.batchSize=64 --set training.schedule.warmupEpochs=0 --output "$out/resnet20-$name"
  done
  echo "recorded $(ls "$out" | wc -l) runs in $out"
}

compare() {
  python3 - "$1" "$2" <<'PY'
import json, os, struct, sys

ref, new = sys.argv[1], sys.argv[2]
TIMING = {"epoch_seconds", "images_per_second", "wall_seconds", "wallSeconds"}

def read(path):
    # The set's own folder appears in eval outputs (the checkpoint path); neutralise it.
    root = ref if path.startswith(ref.rstrip("/") + "/") else new
    return open(path).read().replace(os.path.abspath(root), "<set>").replace(root, "<set>")

def csv_without_timing(path):
    lines = read(path).splitlines()
    header = lines[0].split(",")
    keep = [i for i, h in enumerate(header) if h not in TIMING]
    return [[row.split(",")[i] for i in keep] for row in lines]

def summary(path):
    data = json.load(open(path))
    return {k: v for k, v in data.items() if k not in TIMING}

def tensors(path):
    blob = open(path, "rb").read()
    assert blob[:8] == b"FSBCKPT\0", path
    version, = struct.unpack_from("<I", blob, 8)
    length, = struct.unpack_from("<Q", blob, 12)
    start = 24 if version >= 2 else 20
    header = json.loads(blob[start:start + length])
    data = blob[start + length:]
    result = {}
    for entry in header["tensorEntries"]:
        bytes_ = data[entry["offset"]:entry["offset"] + entry["bytes"]]
        result[entry["name"]] = (entry["kind"], entry["dtype"], tuple(entry["shape"]), bytes_)
    return result

def text_without_timing(path):
    return [line for line in read(path).splitlines() if "seconds" not in line]

def files(run):
    names = []
    for name in ["config.json", "metrics.csv", "summary.json", "profile.txt", "profile.csv", "last.fsbckpt", "best.fsbckpt",
                 "eval.txt", "hw.txt", "eval/eval.csv", "eval/per_class.csv", "eval/confusion.csv",
                 "hw/verify.txt", "hw/predictions.csv", "hw/layers.csv", "hw/totals.csv", "hw/summary.txt"]:
        if os.path.exists(os.path.join(ref, run, name)):
            names.append(name)
    return names

failed = False
runs = sorted(set(os.listdir(ref)) | set(os.listdir(new)))
for run in runs:
    if not os.path.isdir(os.path.join(ref, run)) or not os.path.isdir(os.path.join(new, run)):
        print(f"{run}: only in {'the reference' if os.path.isdir(os.path.join(ref, run)) else 'the new set'}; skipped")
        continue
    problems, checked, tensor_count = [], [], 0
    for name in files(run):
        a, b = os.path.join(ref, run, name), os.path.join(new, run, name)
        if not os.path.exists(b):
            problems.append(f"{name} missing"); continue
        if name.endswith(".fsbckpt"):
            ta, tb = tensors(a), tensors(b)
            if ta.keys() != tb.keys():
                problems.append(f"{name}: tensor names differ: {sorted(set(ta) ^ set(tb))}")
            for key in sorted(set(ta) & set(tb)):
                if ta[key] != tb[key]:
                    problems.append(f"{name}: tensor {key} differs")
            tensor_count += len(ta)
        elif name.endswith(".csv"):
            if csv_without_timing(a) != csv_without_timing(b): problems.append(f"{name} differs")
        elif name.endswith(".json"):
            if summary(a) != summary(b): problems.append(f"{name} differs")
        else:
            if text_without_timing(a) != text_without_timing(b): problems.append(f"{name} differs")
        checked.append(name)
    if problems:
        failed = True
        print(f"{run}: DIFFERENT: " + "; ".join(problems))
    else:
        print(f"{run}: identical ({len(checked)} files, {tensor_count} checkpoint tensors)")
sys.exit(1 if failed else 0)
PY
}

case "${1:-}" in
  record) [ $# -ge 2 ] || usage; record "$2" "${3:-}" ;;
  compare) [ $# -eq 3 ] || usage; compare "$2" "$3" ;;
  *) usage ;;
esac
