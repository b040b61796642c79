#!/usr/bin/env python3
"""Runs an ONNX model written by `fsb export --format onnx` with onnxruntime on a test set
and compares its predictions and logits with `fsb eval` on the same checkpoint.

Optional tooling, never needed to build or test fsb. Needs: onnx, onnxruntime, numpy
(`python3 -m venv venv && venv/bin/pip install onnx onnxruntime numpy`).

The images are read here from the dataset's original files (IDX for MNIST/Fashion-MNIST,
binary batches for CIFAR-10/100, plain or gzipped) in the folder given by --data, fed as
raw pixels / 255 (the model normalises them itself). fsb eval is run with --logits on the
checkpoint (or its CSV is given with --logits); its rows are the first N test images in
file order, and their labels are checked against the ones read here.

Examples:
  scripts/check_onnx.py --model lenet5.onnx --checkpoint runs/quickstart/last.fsbckpt \\
      --data datasets/samples/mnist
  scripts/check_onnx.py --model lenet5.onnx --logits eval-logits.csv \\
      --data ../shared/datasets/mnist --output results/export/mnist-lenet5-fsb.txt
"""
import argparse
import gzip
import os
import subprocess
import sys
import tempfile

import numpy as np


def open_original(folder, name):
    """The file `name` or `name.gz` in `folder`, as bytes."""
    for candidate, opener in ((name + ".gz", gzip.open), (name, open)):
        path = os.path.join(folder, candidate)
        if os.path.exists(path):
            with opener(path, "rb") as handle:
                return handle.read()
    sys.exit(f"error: {folder}: expected {name} or {name}.gz, found neither")


def read_idx_test(folder):
    images = open_original(folder, "t10k-images-idx3-ubyte")
    labels = open_original(folder, "t10k-labels-idx1-ubyte")
    count, rows, cols = (int.from_bytes(images[i:i + 4], "big") for i in (4, 8, 12))
    pixels = np.frombuffer(images, dtype=np.uint8, offset=16).reshape(count, 1, rows, cols)
    return pixels, np.frombuffer(labels, dtype=np.uint8, offset=8).astype(np.int64)


def read_cifar_test(folder, name, label_bytes, label_index):
    data = np.frombuffer(open_original(folder, name), dtype=np.uint8)
    records = data.reshape(-1, label_bytes + 3072)
    return records[:, label_bytes:].reshape(-1, 3, 32, 32), records[:, label_index].astype(np.int64)


def read_test_set(dataset, folder):
    if dataset in ("mnist", "fashion-mnist"):
        return read_idx_test(folder)
    if dataset == "cifar-10":
        return read_cifar_test(folder, "test_batch.bin", 1, 0)
    if dataset == "cifar-100":
        return read_cifar_test(folder, "test.bin", 2, 1)
    sys.exit(f"error: unknown dataset {dataset!r} in the model's fsb.dataset metadata")


def read_logits_csv(path):
    with open(path) as handle:
        header = handle.readline().strip().split(",")
        if header[:3] != ["index", "label", "predicted"]:
            sys.exit(f"error: {path}: expected a header index,label,predicted,logit_0,..., found {header[:3]}")
        rows = np.loadtxt(handle, delimiter=",", ndmin=2)
    return rows[:, 1].astype(np.int64), rows[:, 2].astype(np.int64), rows[:, 3:].astype(np.float32)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="ONNX file from fsb export")
    parser.add_argument("--data", required=True, help="folder with the dataset's original test files")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--checkpoint", help="checkpoint to run fsb eval --logits on")
    source.add_argument("--logits", help="CSV written by fsb eval --logits")
    parser.add_argument("--fsb", default=".build/release/fsb", help="fsb executable (default: %(default)s)")
    parser.add_argument("--data-root", help="--data-root passed to fsb eval")
    parser.add_argument("--batch", type=int, default=500, help="images per onnxruntime run")
    parser.add_argument("--output", help="also write the report to this file")
    args = parser.parse_args()

    import onnx
    import onnxruntime as ort

    model = onnx.load(args.model)
    onnx.checker.check_model(model, full_check=True)
    metadata = {entry.key: entry.value for entry in model.metadata_props}
    dataset = metadata.get("fsb.dataset")
    if dataset is None:
        sys.exit(f"error: {args.model}: no fsb.dataset metadata; not a model written by fsb export")

    if args.checkpoint:
        with tempfile.TemporaryDirectory() as folder:
            csv = os.path.join(folder, "logits.csv")
            command = [args.fsb, "eval", "--checkpoint", args.checkpoint, "--logits", csv]
            if args.data_root:
                command += ["--data-root", args.data_root]
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
            labels_fsb, predicted_fsb, logits_fsb = read_logits_csv(csv)
    else:
        labels_fsb, predicted_fsb, logits_fsb = read_logits_csv(args.logits)

    pixels, labels = read_test_set(dataset, args.data)
    count = len(labels_fsb)
    if count > len(labels):
        sys.exit(f"error: fsb eval has {count} images, {args.data} only {len(labels)}")
    pixels, labels = pixels[:count], labels[:count]
    if not np.array_equal(labels, labels_fsb):
        first = int(np.argmax(labels != labels_fsb))
        sys.exit(f"error: image {first}: label {labels[first]} in {args.data}, {labels_fsb[first]} in fsb eval; not the same images")

    session = ort.InferenceSession(args.model, providers=["CPUExecutionProvider"])
    outputs = []
    for start in range(0, count, args.batch):
        batch = pixels[start:start + args.batch].astype(np.float32) / np.float32(255)
        outputs.append(session.run(["logits"], {"images": batch})[0])
    logits_onnx = np.concatenate(outputs)
    predicted_onnx = np.argmax(logits_onnx, axis=1)

    difference = np.abs(logits_onnx - logits_fsb)
    worst = np.unravel_index(int(np.argmax(difference)), difference.shape)
    relative = difference / np.maximum(np.abs(logits_fsb), 1e-6)
    lines = [
        f"model: {args.model} ({metadata.get('fsb.architecture')}, {metadata.get('fsb.method')}, {dataset})",
        f"checkpoint: {metadata.get('fsb.checkpoint')} (sha256 {metadata.get('fsb.checkpoint_sha256')})",
        f"onnxruntime {ort.__version__}, onnx {onnx.__version__}, {count} test images from {args.data}",
        f"accuracy: onnxruntime {100 * np.mean(predicted_onnx == labels):.2f}%, fsb eval {100 * np.mean(predicted_fsb == labels):.2f}%",
        f"predictions that differ: {int(np.sum(predicted_onnx != predicted_fsb))} of {count}",
        f"largest |logit difference|: {difference.max():.3g} (image {worst[0]}, class {worst[1]}; "
        f"fsb {logits_fsb[worst]:.6g}, onnxruntime {logits_onnx[worst]:.6g}); mean {difference.mean():.3g}; "
        f"largest relative to |logit| >= 1: {relative[np.abs(logits_fsb) >= 1].max(initial=0):.3g}",
    ]
    report = "\n".join(lines) + "\n"
    print(report, end="")
    if args.output:
        with open(args.output, "w") as handle:
            handle.write(report)


if __name__ == "__main__":
    main()
