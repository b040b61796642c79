#!/usr/bin/env python3
"""Plots for fsb results (matplotlib; `pip install matplotlib`).

    scripts/plot_results.py curves RUN_DIR [RUN_DIR ...] --out results/plots/curves
        training curves (train/test loss and accuracy per epoch) from each run's metrics.csv
    scripts/plot_results.py grid COMPARE_DIR --out results/plots/grid
        from a compare output folder: final test accuracy per group with error bars (mean ± std
        over seeds, from runs.csv), and accuracy against energy and against update size
        for every hardware config in runs.csv

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
    fig, ax = plt.subplots(figsize=(max(5, len(labels) * 0.9), 4))
    ax.bar(range(len(labels)), means, yerr=stds, capsize=4)
    ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
    low = min(m - s for m, s in zip(means, stds))
    ax.set(ylabel="final test accuracy (%)", ylim=(max(0, low - 1), 100), title=" x ".join(group_axes))
    save(plt, fig, out + "-accuracy")
    hardware = [h[: -len("_energy_uj")] for h in header if h.endswith("_energy_uj")]
    for what, column, unit in [("energy", None, "energy per inference (µJ)"), ("update", "update_bits", "update size (KiB)")]:
        fig, ax = plt.subplots(figsize=(6, 4))
        for hw in (hardware if what == "energy" else [None]):
            xs, ys = [], []
            for key, g in groups.items():
                value = g[0][f"{hw}_energy_uj"] if hw else str(int(g[0][column]) / 8192)
                if value:
                    xs.append(float(value))
                    ys.append(statistics.mean(float(r["final_test_acc"]) for r in g))
            ax.scatter(xs, ys, label=hw or "model update")
            for x, y, label in zip(xs, ys, labels):
                ax.annotate(label, (x, y), fontsize=7)
        ax.set(xlabel=unit, ylabel="final test accuracy (%)", xscale="log")
        ax.legend(fontsize=7)
        save(plt, fig, f"{out}-accuracy-vs-{what}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("curves")
    c.add_argument("runs", nargs="+")
    c.add_argument("--out", required=True)
    g = sub.add_parser("grid")
    g.add_argument("folder")
    g.add_argument("--out", required=True)
    args = parser.parse_args()
    if args.command == "curves":
        curves(args.runs, args.out)
    else:
        grid(args.folder, args.out)


if __name__ == "__main__":
    main()
