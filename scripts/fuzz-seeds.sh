#!/usr/bin/env bash
# Writes the generated seed inputs of one fuzz target (scripts/fuzz.sh) into FOLDER, from the
# shipped samples, configs and fixtures: small gzip members (whole, truncated, concatenated),
# tar archives, IDX and CIFAR files of a few records, format-1 and format-2 checkpoints,
# configs, specs with an inline base, hardware configs and topologies. FOLDER is git-ignored
# (Fuzz/corpus/); the few seeds worth keeping are committed in Fuzz/seeds/.
# Usage: scripts/fuzz-seeds.sh TARGET FOLDER [FSB_FUZZ_BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
target="$1"; out="$2"; binary="${3:-.build-fuzz/release/fsb-fuzz}"
mkdir -p "$out"
samples=datasets/samples
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# The first BYTES uncompressed bytes of a shipped sample.
prefix() { gzip -dc "$1" | head -c "$2" || true; }
# A big-endian 32-bit integer as 4 bytes.
be32() { printf "\\x$(printf %02x $(( ($1 >> 24) & 255 )))\\x$(printf %02x $(( ($1 >> 16) & 255 )))\\x$(printf %02x $(( ($1 >> 8) & 255 )))\\x$(printf %02x $(( $1 & 255 )))"; }

case "$target" in
  gzip)
    prefix $samples/mnist/t10k-labels-idx1-ubyte.gz 2000 > "$work/labels"
    gzip -9c "$work/labels" > "$out/member.gz"
    head -c 300 "$out/member.gz" > "$out/truncated-member.gz"
    head -c 12 "$out/member.gz" > "$out/truncated-header.gz"
    { gzip -c "$work/labels"; printf 'second member' | gzip -c; } > "$out/two-members.gz"
    gzip -c < /dev/null > "$out/empty-member.gz"
    printf 'raw bytes, not gzip' > "$out/raw"
    gzip -c --name "$work/labels" > "$out/with-name.gz"
    ;;
  tar)
    mkdir -p "$work/t/cifar-10-batches-bin"
    printf 'first member' > "$work/t/cifar-10-batches-bin/a.bin"
    prefix $samples/cifar-10/test_batch.bin.gz 700 > "$work/t/cifar-10-batches-bin/b.bin"
    ln -s a.bin "$work/t/cifar-10-batches-bin/link"
    tar -C "$work/t" -cf "$out/archive.tar" cifar-10-batches-bin
    gzip -c "$out/archive.tar" > "$out/archive.tar.gz"
    tar -C "$work/t" --format=gnu -cf "$out/gnu.tar" cifar-10-batches-bin/a.bin
    head -c 1000 "$out/archive.tar" > "$out/truncated.tar"
    ;;
  idx)
    { be32 2049; be32 10; prefix $samples/mnist/t10k-labels-idx1-ubyte.gz 18 | tail -c 10; } > "$out/labels-idx1"
    { be32 2051; be32 2; be32 28; be32 28; prefix $samples/mnist/t10k-images-idx3-ubyte.gz $((16 + 2 * 784)) | tail -c $((2 * 784)); } > "$out/images-idx3"
    gzip -c "$out/labels-idx1" > "$out/labels-idx1.gz"
    gzip -c "$out/images-idx3" > "$out/images-idx3.gz"
    ;;
  cifar)
    prefix $samples/cifar-10/test_batch.bin.gz $((2 * 3073)) > "$out/cifar10-2-records.bin"
    gzip -c "$out/cifar10-2-records.bin" > "$out/cifar10-2-records.bin.gz"
    { printf '\x03\x2a'; prefix $samples/cifar-10/test_batch.bin.gz 3073 | tail -c 3072; } > "$out/cifar100-1-record.bin"
    ;;
  checkpoint|checkpoint-crc)
    fixture=Tests/Fixtures/format-v1-compare/runs/seed-1/last.fsbckpt
    cp "$fixture" "$out/format-1.fsbckpt"
    FSB_FUZZ_REENCODE="$fixture:$out/format-2.fsbckpt" "$binary"
    # A small format-2 seed: the same header with one 4-value tensor (valid CRCs), so that
    # mutations are cheap to run.
    python3 - "$out/format-2.fsbckpt" "$out/format-2-one-tensor.fsbckpt" <<'PY'
import json, struct, sys, zlib
data = open(sys.argv[1], "rb").read()
length = struct.unpack_from("<Q", data, 12)[0]
header = json.loads(data[24:24 + length])
payload = struct.pack("<4f", 0.5, -1.0, 2.0, 0.25)
entry = dict(header["tensorEntries"][0])
entry.update(name="w", shape=[2, 2], offset=0, bytes=len(payload), crc32=zlib.crc32(payload), dtype="f32")
header["tensorEntries"] = [entry]
body = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
preamble = data[:12] + struct.pack("<Q", len(body))
crc = zlib.crc32(preamble + body)
open(sys.argv[2], "wb").write(preamble + struct.pack("<I", crc) + body + payload)
PY
    ;;
  config)
    cp configs/*.json "$out/"
    ;;
  compare)
    python3 - "$out" <<'PY'
import json, os, sys
out = sys.argv[1]
root = os.getcwd()
base = json.load(open("configs/quickstart.json"))
base["dataset"]["path"] = os.path.join(root, "datasets/samples/mnist")
specs = {
    "methods.json": {"name": "methods", "base": base,
                     "axes": [{"path": "model.method", "values": ["fp", "bwn", "fsb"], "reference": "bwn"},
                              {"path": "seed", "values": [1, 2]}],
                     "hardware": [os.path.join(root, "configs/hw/mac-int8-os.json")]},
    "base-path.json": {"name": "base-path", "base": os.path.join(root, "configs/quickstart.json"),
                       "axes": [{"path": "training.epochs", "values": [1, 2]}]},
    "no-axes.json": {"name": "plain", "base": base},
}
for name, spec in specs.items():
    json.dump(spec, open(os.path.join(out, name), "w"), indent=2)
PY
    ;;
  hardware)
    # The scratch folder holds no energy table: the seeds name the shipped one by the path
    # that resolves against the working directory (the repository root).
    for config in configs/hw/*-*.json; do
      [ "$(basename "$config")" = energy-horowitz-45nm.json ] && continue
      sed 's|"energyTable": *"[^"]*"|"energyTable": "configs/hw/energy-horowitz-45nm.json"|' "$config" > "$out/$(basename "$config")"
    done
    # ... and one still names it beside the config, as the shipped configs do.
    cp configs/hw/fsb-int8-os.json "$out/table-beside-config.json"
    ;;
  topology)
    cp configs/hw/topologies/*.csv "$out/"
    printf 'Layer, M, N, K,\nfc1, 64, 10, 128,\n' > "$out/gemm.csv"
    ;;
  *)
    echo "fuzz-seeds.sh: unknown target \"$target\"" >&2; exit 2 ;;
esac
