#!/usr/bin/env python3
"""Runs SCALE-Sim 3 on small convolution layers and writes the reference compute cycles
that Tests/FSBHardwareTests check the `mac` accelerator model against.

Setup (its own virtualenv; SCALE-Sim 3.0.0 fails with numpy >= 2.4):
    python3 -m venv /work/venv-scalesim
    /work/venv-scalesim/bin/pip install scalesim 'numpy<2.4'
    /work/venv-scalesim/bin/python scripts/scalesim/run_reference.py \
        > scripts/scalesim/scalesim-reference.csv

SCALE-Sim is driven from Python (its command line always writes traces) with
save_disk_space=True, in CALC bandwidth mode (no stalls). Each case is a one-layer
topology. Columns written:
  case, dataflow, array_rows, array_cols, ifmap_h, ifmap_w, filter_h, filter_w, channels,
  filters, stride, total_cycles (SCALE-Sim "Total Cycles": the compute cycles, a count),
  total_cycles_incl_prefetch (SCALE-Sim "Total Cycles (incl. prefetch)": the index of the
  last OFMAP DRAM write minus the first DRAM read, one less than a count), stall_cycles,
  num_mac (SCALE-Sim's MAC count), ifmap_sram_reads, filter_sram_reads, ofmap_sram_writes.
"""
import contextlib
import io
import os
import sys
import tempfile

from scalesim.scale_sim import scalesim

# (name, ifmap_h, ifmap_w, filter_h, filter_w, channels, filters, stride)
CASES = [
    ("conv3x3_s1", 8, 8, 3, 3, 2, 4, 1),
    ("conv3x3_s2", 9, 9, 3, 3, 3, 8, 2),
    ("conv3x3_s2_trim", 10, 10, 3, 3, 2, 4, 2),   # SCALE-Sim output ceil((10-3+2)/2) = 5
    ("conv1x1", 8, 8, 1, 1, 16, 8, 1),
    ("conv3x3_wide", 12, 12, 3, 3, 4, 6, 1),
    ("conv5x5_rect", 12, 10, 5, 3, 1, 3, 1),
    ("linear", 1, 1, 1, 1, 20, 10, 1),
]
ARRAYS = [(4, 4), (8, 8), (8, 4)]
DATAFLOWS = ["os", "ws", "is"]

CONFIG = """[general]
run_name = ref

[architecture_presets]
ArrayHeight:    {rows}
ArrayWidth:     {cols}
IfmapSramSzkB:    64
FilterSramSzkB:   64
OfmapSramSzkB:    64
IfmapOffset:    0
FilterOffset:   10000000
OfmapOffset:    20000000
Bandwidth : 10
Dataflow : {dataflow}
MemoryBanks:   1
ReadRequestBuffer: 32
WriteRequestBuffer: 32

[layout]
IfmapCustomLayout: False
IfmapSRAMBankBandwidth: 10
IfmapSRAMBankNum: 10
IfmapSRAMBankPort: 2
FilterCustomLayout: False
FilterSRAMBankBandwidth: 10
FilterSRAMBankNum: 10
FilterSRAMBankPort: 2

[sparsity]
SparsitySupport : false
SparseRep : ellpack_block
OptimizedMapping : false
BlockSize : 8
RandomNumberGeneratorSeed : 40

[run_presets]
InterfaceBandwidth: CALC
UseRamulatorTrace: False
"""


def run_case(workdir, case, rows, cols, dataflow):
    name, ih, iw, fh, fw, ch, nf, stride = case
    config_path = os.path.join(workdir, "scale.cfg")
    topo_path = os.path.join(workdir, "topology.csv")
    layout_path = os.path.join(workdir, "layout.csv")
    with open(config_path, "w") as f:
        f.write(CONFIG.format(rows=rows, cols=cols, dataflow=dataflow))
    with open(topo_path, "w") as f:
        f.write("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, "
                "Channels, Num Filter, Strides,\n")
        f.write(f"{name}, {ih}, {iw}, {fh}, {fw}, {ch}, {nf}, {stride},\n")
    with open(layout_path, "w") as f:
        f.write("Layer name, IFMAP SRAM Row size, IFMAP SRAM Col size, IFMAP Intraline factor, "
                "Filter SRAM Row size, Filter SRAM Col size, Filter Intraline factor,\n")
    sim = scalesim(save_disk_space=True, verbose=False, config=config_path,
                   topology=topo_path, layout=layout_path)
    with contextlib.redirect_stdout(io.StringIO()):
        sim.run_scale(top_path=os.path.join(workdir, "out"))
    layer = sim.runner.single_layer_sim_object_list[0]
    overall, total, stalls = layer.get_compute_report_items()[:3]
    return [name, dataflow, rows, cols, ih, iw, fh, fw, ch, nf, stride,
            int(total), int(overall), int(stalls), int(layer.num_compute),
            int(layer.ifmap_sram_reads), int(layer.filter_sram_reads),
            int(layer.ofmap_sram_writes)]


def main():
    header = ["case", "dataflow", "array_rows", "array_cols", "ifmap_h", "ifmap_w",
              "filter_h", "filter_w", "channels", "filters", "stride", "total_cycles",
              "total_cycles_incl_prefetch", "stall_cycles", "num_mac", "ifmap_sram_reads",
              "filter_sram_reads", "ofmap_sram_writes"]
    print(",".join(header))
    with tempfile.TemporaryDirectory() as workdir:
        for case in CASES:
            for rows, cols in ARRAYS:
                for dataflow in DATAFLOWS:
                    row = run_case(workdir, case, rows, cols, dataflow)
                    print(",".join(str(x) for x in row), flush=True)
                    print(f"done {case[0]} {rows}x{cols} {dataflow}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
