#!/usr/bin/env python3
"""Plots for fsb results (matplotlib; `pip install matplotlib`).

    scripts/plot_results.py curves RUN_DIR [RUN_DIR ...] [--out PREFIX]
        training curves (train/test loss and accuracy per epoch) from each run's metrics.csv
        (default PREFIX: RUN_DIR/curves of the first run)
    scripts/plot_results.py grid COMPARE_DIR [--out PREFIX]
        from a compare output folder (default PREFIX: COMPARE_DIR/plot): final test accuracy
        per group as dots with error bars (mean ± std over seeds, from runs.csv); accuracy
        against energy per inference, each group on the accelerator of its method (fp on
        the MAC arrays, binaryconnect and bwn on the BWN array, fsb on the FSB array); and
        accuracy against model-update size

Every figure is written as PNG and SVG.
"""
import argparse
import csv
import os
import statistics
import sys


def need_matplotlib():
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        return plt
    except ImportError:
        sys.exit("plot_results.py: matplotlib is not installed (pip install matplotlib)")


def save(plt, fig, out):
    os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
    for ext in ("png", "svg"):
        fig.savefig(f"{out}.{ext}", bbox_inches="tight", dpi=150)
    plt.close(fig)
    print(f"wrote {out}.png and {out}.svg")


def curves(runs, out):
    plt = need_matplotlib()
    fig, (loss_ax, acc_ax) = plt.subplots(1, 2, figsize=(11, 4))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for index, run in enumerate(runs):
        rows = list(csv.DictReader(open(os.path.join(run, "metrics.csv"))))
        label = os.path.basename(os.path.normpath(run))
        epochs = [int(r["epoch"]) for r in rows]
        color = colors[index % len(colors)]  # one colour per run: dashed train, solid test
        for key, style in (("train", "--"), ("test", "-")):
            loss_ax.plot(epochs, [float(r[f"{key}_loss"]) for r in rows], style, color=color, label=f"{label} {key}")
            acc_ax.plot(epochs, [float(r[f"{key}_acc"]) for r in rows], style, color=color, label=f"{label} {key}")
    loss_ax.set(xlabel="epoch", ylabel="loss", yscale="log", title="loss")
    acc_ax.set(xlabel="epoch", ylabel="accuracy (%)", title="accuracy")
    acc_ax.legend(fontsize=7)
    save(plt, fig, out)


# The accelerator family each weight method runs on (hardware config names start with it).
ACCELERATOR_OF_METHOD = {"fp": "mac", "binaryconnect": "bwn", "bwn": "bwn", "fsb": "fsb"}


def plain_log_ticks(axis):
    """Log scale with ticks written as plain numbers (3, 10, 30) rather than 10^x."""
    from matplotlib.ticker import FuncFormatter, LogLocator
    axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    axis.set_minor_formatter(FuncFormatter(lambda v, _: ""))


def grid(folder, out):
    plt = need_matplotlib()
    rows = [r for r in csv.DictReader(open(os.path.join(folder, "runs.csv"))) if r["status"] == "done"]
    if not rows:
        sys.exit(f"plot_results.py: {folder}/runs.csv has no finished runs")
    header = list(rows[0].keys())
    axes = header[: header.index("folder")]
    group_axes = [a for a in axes if a != "seed"]
    groups = {}
    for r in rows:
        groups.setdefault(tuple(r[a] for a in group_axes), []).append(r)
    labels = [",".join(k) for k in groups]
    accs = [[float(r["final_test_acc"]) for r in g] for g in groups.values()]
    means = [statistics.mean(a) for a in accs]
    stds = [statistics.stdev(a) if len(a) > 1 else 0 for a in accs]
    seeds = max(len(a) for a in accs)

    # Accuracy per group: dots with error bars (a bar would have to start at 0 to be read).
    fig, ax = plt.subplots(figsize=(max(5, len(labels) * 0.9), 4))
    ax.errorbar(range(len(labels)), means, yerr=stds, fmt="o", capsize=4)
    ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
    ax.set_xlim(-0.5, len(labels) - 0.5)
    spread = "mean ± std over seeds" if seeds > 1 else "one seed"
    ax.set(ylabel=f"final test accuracy (%), {spread}", title=" x ".join(group_axes))
    ax.grid(axis="y", alpha=0.3)
    save(plt, fig, out + "-accuracy")

    # Accuracy against energy: each group on the accelerator(s) of its method.
    hardware = [h[: -len("_energy_uj")] for h in header if h.endswith("_energy_uj")]
    if hardware:
        fig, ax = plt.subplots(figsize=(6, 4))
        series = {}
        for (key, g), label, mean in zip(groups.items(), labels, means):
            family = ACCELERATOR_OF_METHOD.get(g[0]["method"])
            for hw in hardware:
                if family and hw.startswith(family + "-") and g[0][f"{hw}_energy_uj"]:
                    series.setdefault(hw, []).append((float(g[0][f"{hw}_energy_uj"]), mean, label))
        if not series:
            sys.exit(f"plot_results.py: {folder}/runs.csv has no accelerator matching the methods "
                     f"(hardware {', '.join(hardware)}; methods run on {ACCELERATOR_OF_METHOD})")
        for hw, points in series.items():
            ax.scatter([p[0] for p in points], [p[1] for p in points], label=hw)
            for x, y, label in points:
                ax.annotate(label, (x, y), fontsize=7, xytext=(3, 3), textcoords="offset points")
        ax.set(xlabel="energy per inference (µJ), each method on its accelerator", ylabel="final test accuracy (%)", xscale="log")
        plain_log_ticks(ax.xaxis)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
        save(plt, fig, f"{out}-accuracy-vs-energy")

    # Accuracy against the size of a model update (what a device sends per training round).
    fig, ax = plt.subplots(figsize=(6, 4))
    sizes = [int(g[0]["update_bits"]) / 8192 for g in groups.values()]
    ax.scatter(sizes, means)
    for x, y, label in zip(sizes, means, labels):
        ax.annotate(label, (x, y), fontsize=7, xytext=(3, 3), textcoords="offset points")
    ax.set(xlabel="model-update size (KiB)", ylabel="final test accuracy (%)", xscale="log")
    plain_log_ticks(ax.xaxis)
    ax.grid(alpha=0.3)
    save(plt, fig, f"{out}-accuracy-vs-update")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("curves")
    c.add_argument("runs", nargs="+")
    c.add_argument("--out", help="output prefix (default: RUN_DIR/curves of the first run)")
    g = sub.add_parser("grid")
    g.add_argument("folder")
    g.add_argument("--out", help="output prefix (default: COMPARE_DIR/plot)")
    args = parser.parse_args()
    if args.command == "curves":
        curves(args.runs, args.out or os.path.join(args.runs[0], "curves"))
    else:
        grid(args.folder, args.out or os.path.join(args.folder, "plot"))


if __name__ == "__main__":
    main()
