#!/usr/bin/env bash
# Footprint and cost of the exported C modules (issue 14 item 4): LeNet-5 on MNIST and
# ResNet-20 on CIFAR-10, each fp (int8 MAC), bwn and fsb (packed signs; fsb also with
# regenerated signs). Per model: flash and RAM from `size` of the object file (cc -O2),
# the activation arena and scratch the export reports, the update size, instructions per
# inference (valgrind --tool=callgrind: one inference = the difference between 2 and 1
# classifications of the first test image), and the accuracy of the C module on the full
# test set, next to `fsb eval`'s float accuracy.
#   scripts/footprint.sh WORK_DIR [DATA_ROOT]
# WORK_DIR/<name>/last.fsbckpt are the checkpoints; a missing one is trained first with
# the recipe below (MNIST: the config as is, 15 epochs; CIFAR-10: --epochs 2, a short run).
# DATA_ROOT holds mnist/ and cifar-10/ (default ../shared/datasets). Writes
# results/export/footprint.md and footprint.csv. Needs cc, valgrind, python3 (stdlib only).
# FOOTPRINT_TABLE_ONLY=1 only redraws footprint.md from footprint.csv.
set -euo pipefail
cd "$(dirname "$0")/.."
work="${1:?usage: $0 WORK_DIR [DATA_ROOT]}"
data="${2:-../shared/datasets}"
fsb=.build/release/fsb
cflags=(-std=c99 -O2)
csv=results/export/footprint.csv
if [ "${FOOTPRINT_TABLE_ONLY:-0}" != 1 ]; then
swift build -c release --product fsb >/dev/null
mkdir -p "$work/c"

images() { # dataset -> work/<dataset>-images.bin, -labels.bin (the full test set, raw)
  python3 - "$1" "$data" "$work" <<'EOF'
import gzip, os, sys
name, data, work = sys.argv[1:]
def read(path):
    plain = os.path.join(data, name, path)
    return open(plain, 'rb').read() if os.path.exists(plain) else gzip.open(plain + '.gz').read()
if name == 'mnist':
    pixels, labels = read('t10k-images-idx3-ubyte')[16:], read('t10k-labels-idx1-ubyte')[8:]
else:
    raw = read('test_batch.bin')
    pixels = b''.join(raw[i * 3073 + 1:(i + 1) * 3073] for i in range(len(raw) // 3073))
    labels = bytes(raw[i * 3073] for i in range(len(raw) // 3073))
open(os.path.join(work, name + '-images.bin'), 'wb').write(pixels)
open(os.path.join(work, name + '-labels.bin'), 'wb').write(labels)
EOF
}
images mnist
images cifar-10

echo "model,dataset,method,signs,text,data,bss,flash,ram_activations,ram_scratch,ram_static,update_bytes,instructions,float_acc,c_acc,c_vs_integer_model" > "$csv.tmp"
for model in mnist-lenet5-fp mnist-lenet5-bwn mnist-lenet5-fsb cifar10-resnet20-fp cifar10-resnet20-bwn cifar10-resnet20-fsb; do
  method="${model##*-}"
  case "$model" in mnist-*) dataset=mnist; config="configs/$model.json"; epochs=() ;;
                   *) dataset=cifar-10; config="configs/$model.json"; epochs=(--epochs 2) ;; esac
  checkpoint="$work/$model/last.fsbckpt"
  if [ ! -f "$checkpoint" ]; then
    nice -n 5 "$fsb" train --config "$config" "${epochs[@]}" --data-root "$data" --output "$work/$model" --quiet
  fi
  float=$("$fsb" eval --checkpoint "$checkpoint" --data-root "$data" | sed -n 's/^test accuracy: \([0-9.]*\)%.*/\1/p')
  update="$work/c/$model.fsbupd"
  # The update between two checkpoints of one model has this size whatever they hold.
  "$fsb" export --update --base "$checkpoint" --checkpoint "$checkpoint" --output "$update" --data-root "$data" >/dev/null
  update_bytes=$(wc -c < "$update")
  modes=(packed); [ "$method" = fsb ] && modes=(packed regenerate)
  for signs in "${modes[@]}"; do
    dir="$work/c/$model-$signs"
    summary=$("$fsb" export --checkpoint "$checkpoint" --format c --output "$dir" --signs "$signs" --data-root "$data")
    arena=$(echo "$summary" | sed -n 's/.*activations \([0-9]*\) + scratch \([0-9]*\) bytes.*/\1/p')
    scratch=$(echo "$summary" | sed -n 's/.*activations \([0-9]*\) + scratch \([0-9]*\) bytes.*/\2/p')
    cc "${cflags[@]}" -c "$dir/fsb_model.c" -o "$dir/fsb_model.o"
    read -r text data_bytes bss _ < <(size "$dir/fsb_model.o" | tail -1)
    cc "${cflags[@]}" -I "$dir" -o "$dir/harness" Tests/Fixtures/cexport/harness.c "$dir/fsb_model.c"
    "$dir/harness" "$work/$dataset-images.bin" > "$dir/scores.txt"
    accuracy=$(python3 -c "
import sys
labels = open(sys.argv[1], 'rb').read()
predicted = [int(line.split()[0]) for line in open(sys.argv[2])]
print('%.2f' % (100 * sum(p == l for p, l in zip(predicted, labels)) / len(labels)))" "$work/$dataset-labels.bin" "$dir/scores.txt")
    image_bytes=$([ "$dataset" = mnist ] && echo 784 || echo 3072)
    head -c "$image_bytes" "$work/$dataset-images.bin" > "$work/$dataset-one.bin"
    count() { valgrind --tool=callgrind --callgrind-out-file=/dev/null "$dir/harness" "$work/$dataset-one.bin" --repeat "$1" 2>&1 | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'; }
    instructions=$(( $(count 2) - $(count 1) ))
    # The Swift integer model on the first 500 test images: the same classes, image by image.
    "$fsb" simulate-hw --config "$checkpoint" --hardware configs/hw/fsb-int8-os.json --verify 500 --data-root "$data" \
      --output "$dir/verify" >/dev/null
    agree=$(python3 -c "
import sys
c = [int(line.split()[0]) for line in open(sys.argv[1])][:500]
s = [int(row.split(',')[2]) for row in open(sys.argv[2]).read().split()[1:]]
print('%d/%d' % (sum(a == b for a, b in zip(c, s)), len(s)))" "$dir/scores.txt" "$dir/verify/predictions.csv")
    echo "$model,$dataset,$method,$signs,$text,$data_bytes,$bss,$((text + data_bytes)),$arena,$scratch,$((data_bytes + bss)),$update_bytes,$instructions,$float,$accuracy,$agree" >> "$csv.tmp"
  done
done
mv "$csv.tmp" "$csv"
fi

python3 - "$csv" "$(cc --version | head -1)" "$(valgrind --version)" > results/export/footprint.md <<'EOF'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
n = lambda v: '{:,}'.format(int(v))
print('# Footprint and cost of the C modules (`fsb export --format c`)\n')
print('Produced by `scripts/footprint.sh WORK_DIR DATA_ROOT`; compiler: %s, `-std=c99 -O2`, x86-64; %s.\n' % (sys.argv[2], sys.argv[3]))
print('| model | method | signs | flash (text + data) | RAM: activations + scratch | RAM: static total (data + bss) | update | instructions / inference | float accuracy | C module accuracy |')
print('| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |')
for r in rows:
    name = 'LeNet-5 MNIST' if r['dataset'] == 'mnist' else 'ResNet-20 CIFAR-10'
    print('| %s | %s | %s | %s | %s + %s | %s | %s | %s | %s%% | %s%% |' % (
        name, r['method'], r['signs'], n(r['flash']), n(r['ram_activations']), n(r['ram_scratch']),
        n(r['ram_static']), n(r['update_bytes']), n(r['instructions']), '%.2f' % float(r['float_acc']), r['c_acc']))
print('\nColumns (bytes unless noted): flash = `size` text (code, signs, constants) + data (the')
print('initial parameters); RAM activations = the arena of simultaneously live activation tensors,')
print('scratch = accumulator planes and scores; RAM static total = data (parameters, writable for')
print('updates) + bss (arena and scratch with `FSB_MODEL_STATIC_BUFFERS 1`); update = the')
print('`fsb export --update` file for this model; instructions = callgrind Ir of one')
print('`fsb_model_classify`; accuracy on the full test set (10,000 images). The C module gave the')
print('Swift integer model\'s class on every one of the first 500 test images (`%s`).' % ', '.join(sorted({r['c_vs_integer_model'] for r in rows})))
print('\nA bwn update has this size only between checkpoints with the same signs: retraining a bwn')
print('model changes its signs, and `fsb export --update` refuses that (the device needs a new')
print('module); fsb signs never change, so its updates always apply. Built with')
print('`-DFSB_MODEL_UPDATABLE=0` the parameters are constant: the data moves to flash (text) and')
print('RAM is the bss alone. On x86 (and on a Cortex-M4 with single-cycle multiply-accumulate) a')
print('multiply costs one instruction like an add, so the FSB datapath\'s saving of `K` times fewer')
print('multiplications shows in instructions only as far as fewer instructions per tap go; the')
print('saving the paper targets is multiplier energy and area in hardware (`docs/hardware.md`).')
print("""
## Commands

```sh
# checkpoints (what the script trains when WORK/<name>/last.fsbckpt is missing)
fsb train --config configs/mnist-lenet5-$m.json --data-root DATA --output WORK/mnist-lenet5-$m              # m = fp, bwn, fsb
fsb train --config configs/cifar10-resnet20-$m.json --epochs 2 --data-root DATA --output WORK/cifar10-resnet20-$m
scripts/footprint.sh WORK DATA
# per model it runs: fsb eval (float accuracy); fsb export --update (a same-model update);
# fsb export --format c [--signs regenerate]; cc -std=c99 -O2 -c fsb_model.c and size;
# Tests/Fixtures/cexport/harness.c on the full test set; valgrind --tool=callgrind on 1 and
# 2 inferences; fsb simulate-hw --verify 500 (the Swift integer model's classes)
scripts/footprint-cortex-m.sh WORK    # optional: Cortex-M4 under QEMU, footprint-cortex-m.md
```""")
EOF
cat results/export/footprint.md
