#!/usr/bin/env bash
# Optional part of the footprint table: the C modules that scripts/footprint.sh exported
# into WORK_DIR/c/, cross-compiled for a Cortex-M4 and run under QEMU (scripts/cortex-m.sh:
# mps2-an386, -icount), on the first 100 MNIST / 20 CIFAR-10 test images. Writes
# results/export/footprint-cortex-m.md.
#   scripts/footprint-cortex-m.sh WORK_DIR
# Needs gcc-arm-none-eabi, libnewlib-arm-none-eabi and qemu-system-arm (Debian packages).
set -euo pipefail
cd "$(dirname "$0")/.."
work="${1:?usage: $0 WORK_DIR}"
out=results/export/footprint-cortex-m.md
n() { echo "$1" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'; } # 1234567 -> 1,234,567
{
  echo "# The C modules on a Cortex-M4 (QEMU mps2-an386)"
  echo
  echo "Produced by \`scripts/footprint-cortex-m.sh WORK_DIR\` after \`scripts/footprint.sh WORK_DIR\`;"
  echo "$(arm-none-eabi-gcc --version | head -1), \`-mcpu=cortex-m4 -mthumb -O2\`; $(qemu-system-arm --version | head -1)."
  echo "Instructions: QEMU's \`-icount\` virtual clock read through the APB timer (calibrated"
  echo "by a loop of 2,000,000 instructions; exact to one timer tick, 40 instructions)."
  echo
  echo "| model | method | signs | text | data | bss | flash (text + data) | instructions / inference | images | classes equal to x86 |"
  echo "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
} > "$out.tmp"
for name in mnist-lenet5-{fp,bwn}-packed mnist-lenet5-fsb-{packed,regenerate} \
            cifar10-resnet20-{fp,bwn}-packed cifar10-resnet20-fsb-{packed,regenerate}; do
  dir="$work/c/$name"
  [ -d "$dir" ] || continue
  case "$name" in mnist-*) dataset=mnist; count=100; label="LeNet-5 MNIST" ;; *) dataset=cifar-10; count=20; label="ResNet-20 CIFAR-10" ;; esac
  signs="${name##*-}"; base="${name%-*}"; method="${base##*-}"
  report="$(scripts/cortex-m.sh "$dir" "$work/$dataset-images.bin" "$work/$dataset-labels.bin" "$count" "$dir/scores.txt")"
  echo "$report" > "$dir/cortex-m.txt"
  read -r text data bss < <(echo "$report" | sed -n 's/.*text \([0-9]*\), data \([0-9]*\), bss \([0-9]*\).*/\1 \2 \3/p')
  instructions=$(echo "$report" | sed -n 's/^instructions per inference (QEMU icount): \([0-9]*\).*/\1/p')
  equal=$(echo "$report" | sed -n 's/^classes equal to the x86 run: \(.*\)/\1/p')
  printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$label" "$method" "$signs" \
    "$(n "$text")" "$(n "$data")" "$(n "$bss")" "$(n $((text + data)))" "$(n "$instructions")" "$count" "$equal" >> "$out.tmp"
done
mv "$out.tmp" "$out"
cat "$out"
