#!/bin/bash
# fsb-bench train A/B of the staged packing-free tiles: BASE (built from commit 0565164) and NEW
# (built from commit 90b3170), alternating, five runs each, the CIFAR-10 grid stopped meanwhile.
#   BASE=/path/to/old/fsb-bench NEW=/path/to/new/fsb-bench results/bench-zen3/staging-ab/run.sh
cd "$(dirname "$0")"
for r in 1 2 3 4 5; do
  for v in base new; do
    if [ $v = base ]; then b="$BASE"; else b="$NEW"; fi
    "$b" train --networks resnet20 --methods fp,fsb --threads 2 --steps 12 --csv "ab2-$v-$r.csv" >/dev/null 2>&1
    echo "$v run $r: $(tail -n +2 "ab2-$v-$r.csv" | cut -d, -f3,6,7,8 | tr '\n' ' ')"
  done
done
