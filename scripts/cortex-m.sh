#!/usr/bin/env bash
# Optional (not a test dependency): an exported C module cross-compiled for a Cortex-M4
# (arm-none-eabi-gcc -mcpu=cortex-m4 -mthumb -O2) and run under QEMU (machine mps2-an386,
# semihosting, -icount shift=0) on the first N test images. Prints the object's size on
# the Cortex-M, the instructions of one inference (the APB timer, whose ticks count a fixed
# number of virtual instructions under -icount, calibrated by a loop of 2,000,000) and
# the classes, compared with the x86 run.
#   scripts/cortex-m.sh MODULE_DIR IMAGES.bin LABELS.bin N [X86_SCORES.txt]
# Debian: apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)/cortex-m"
module="$1"; images="$2"; labels="$3"; count="$4"; x86="${5:-}"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
python3 - "$module/fsb_model.h" "$images" "$labels" "$count" > "$work/images.h" <<'PY'
import re, sys
header, images, labels, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
defs = dict(re.findall(r'#define FSB_MODEL_(CHANNELS|HEIGHT|WIDTH) (\d+)', open(header).read()))
size = int(defs['CHANNELS']) * int(defs['HEIGHT']) * int(defs['WIDTH'])
pixels, classes = open(images, 'rb').read(), open(labels, 'rb').read()
print('#define FSB_IMAGE_COUNT %d' % count)
print('static const uint8_t fsb_images[%d][%d] = {' % (count, size))
for i in range(count):
    print('{' + ','.join(str(b) for b in pixels[i * size:(i + 1) * size]) + '},')
print('};')
print('static const uint8_t fsb_labels[%d] = {%s};' % (count, ','.join(str(b) for b in classes[:count])))
PY
flags=(-mcpu=cortex-m4 -mthumb -O2 -std=c99 -Wall -Wextra -Werror -ffunction-sections -fdata-sections)
arm-none-eabi-gcc "${flags[@]}" -c "$module/fsb_model.c" -o "$work/fsb_model.o"
echo "Cortex-M4 object (arm-none-eabi-gcc -O2): $(arm-none-eabi-size "$work/fsb_model.o" | tail -1 | awk '{print "text " $1 ", data " $2 ", bss " $3}')"
arm-none-eabi-gcc "${flags[@]}" -Wno-error -I "$module" -I "$work" -nostartfiles --specs=nano.specs --specs=nosys.specs \
  -T "$here/link.ld" -Wl,--gc-sections -o "$work/model.elf" "$here/main.c" "$module/fsb_model.c"
timeout 3600 qemu-system-arm -machine mps2-an386 -cpu cortex-m4 -nographic -monitor none -serial none \
  -icount shift=0,align=off,sleep=off -chardev file,id=semihosting,path="$work/out.txt" \
  -semihosting-config enable=on,target=native,chardev=semihosting -kernel "$work/model.elf"
ticks=$(sed -n 's/^ticks //p' "$work/out.txt")
calibration=$(sed -n 's/^calibration_ticks //p' "$work/out.txt")
echo "instructions per inference (QEMU icount): $((ticks * 2000000 / calibration)) (timer ticks $ticks; 2,000,000 instructions = $calibration ticks)"
echo "correct: $(sed -n 's/^correct //p' "$work/out.txt") of $count"
if [ -n "$x86" ]; then
  python3 - "$work/out.txt" "$x86" "$count" <<'PY'
import sys
arm = [int(l.split()[1]) for l in open(sys.argv[1]) if l.startswith('class ')]
x86 = [int(l.split()[0]) for l in open(sys.argv[2])][:int(sys.argv[3])]
print('classes equal to the x86 run: %d of %d' % (sum(a == b for a, b in zip(arm, x86)), len(arm)))
PY
fi
