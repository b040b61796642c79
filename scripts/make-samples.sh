#!/usr/bin/env bash
# Builds the small dataset samples shipped in datasets/samples/ from the full originals.
# Dev tool (needs python3), not used by CI. The samples keep the ORIGINAL formats and file
# names, gzipped (mtime 0, so re-running gives identical bytes):
#   mnist/, fashion-mnist/: first 5,000 training and first 1,000 test images (IDX headers
#                           rewritten with the new counts);
#   cifar-10/:              data_batch_1..5.bin.gz with the first 200 records of each batch,
#                           test_batch.bin.gz with the first 500 records.
#
# Usage: scripts/make-samples.sh [--from DIR] [--fashion-mnist-from DIR]
#   --from DIR                 folder with mnist/ and cifar-10/ (default: datasets, else /work/shared/datasets)
#   --fashion-mnist-from DIR   folder with the Fashion-MNIST .gz files
#                              (default: DIR/fashion-mnist, else /usr/share/datasets/fashion-mnist)
set -euo pipefail
cd "$(dirname "$0")/.."

source_root=""
fashion_root=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --from) source_root="$2"; shift 2 ;;
        --fashion-mnist-from) fashion_root="$2"; shift 2 ;;
        -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
        *) echo "make-samples.sh: unknown argument '$1'" >&2; exit 2 ;;
    esac
done
if [[ -z "$source_root" ]]; then
    if [[ -d datasets/mnist && -d datasets/cifar-10 ]]; then source_root=datasets; else source_root=/work/shared/datasets; fi
fi
if [[ -z "$fashion_root" ]]; then
    if [[ -d "$source_root/fashion-mnist" ]]; then fashion_root="$source_root/fashion-mnist"; else fashion_root=/usr/share/datasets/fashion-mnist; fi
fi

python3 - "$source_root" "$fashion_root" datasets/samples <<'PY'
import gzip, os, struct, sys

source_root, fashion_root, out_root = sys.argv[1:4]

def read(path):
    for candidate in (path, path + ".gz"):
        if os.path.exists(candidate):
            with open(candidate, "rb") as f:
                data = f.read()
            return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
    sys.exit(f"make-samples.sh: missing {path}[.gz]")

def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(gzip.compress(data, compresslevel=9, mtime=0))
    print(f"wrote {path} ({len(data)} bytes uncompressed, {os.path.getsize(path)} gzipped)")

def idx_subset(data, count, magic):
    found, total = struct.unpack(">II", data[:8])
    assert found == magic, f"bad magic {found}"
    if magic == 2051:
        rows, cols = struct.unpack(">II", data[8:16])
        return struct.pack(">IIII", magic, count, rows, cols) + data[16:16 + count * rows * cols]
    return struct.pack(">II", magic, count) + data[8:8 + count]

for name, folder in (("mnist", os.path.join(source_root, "mnist")), ("fashion-mnist", fashion_root)):
    for prefix, count in (("train", 5000), ("t10k", 1000)):
        for kind, magic in (("images-idx3-ubyte", 2051), ("labels-idx1-ubyte", 1 + 2048)):
            file = f"{prefix}-{kind}"
            write(os.path.join(out_root, name, file + ".gz"), idx_subset(read(os.path.join(folder, file)), count, magic))

for file, records in [(f"data_batch_{i}.bin", 200) for i in range(1, 6)] + [("test_batch.bin", 500)]:
    data = read(os.path.join(source_root, "cifar-10", file))
    write(os.path.join(out_root, "cifar-10", file + ".gz"), data[:records * 3073])
PY
du -sh datasets/samples
