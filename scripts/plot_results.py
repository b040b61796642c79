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

Energy and size axes are logarithmic when the values span a factor of 10 or more, else
linear from 0. Point labels are placed clear of other labels, points and error bars (with a
leader line when they must move away); dots with error bars at (nearly) the same x are
drawn side by side, and the plot says so. Every figure is written as PNG and SVG.
"""
import argparse
import collections
import csv
import json
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


def run_labels(runs):
    """Legend labels for run folders, and a legend title. Compare cells (with a cell.json)
    are labelled by the axis values that differ between the runs, the axis named in the
    title when only one differs (`model.method`: `fp`, `fsb`; shared values such as
    `seed=1` go to the title too); other runs by their folder name."""
    names = [os.path.basename(os.path.normpath(run)) for run in runs]
    settings = []
    for run in runs:
        path = os.path.join(run, "cell.json")
        if not os.path.exists(path):
            return names, None
        settings.append(json.load(open(path)).get("settings", {}))
    keys = list(settings[0])
    if len(runs) < 2 or any(list(s) != keys for s in settings):
        return names, None
    varying = [k for k in keys if len({s[k] for s in settings}) > 1]
    shared = ", ".join(f"{k}={value_label(settings[0][k])}" for k in keys if k not in varying)
    if len(varying) == 1:
        title = varying[0] + (f" ({shared})" if shared else "")
        return [value_label(s[varying[0]]) for s in settings], title
    return [", ".join(f"{k}={value_label(s[k])}" for k in varying) for s in settings], shared or None


def curves(runs, out):
    plt = need_matplotlib()
    fig, (loss_ax, acc_ax) = plt.subplots(1, 2, figsize=(11, 4))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    labels, title = run_labels(runs)
    for index, (run, label) in enumerate(zip(runs, labels)):
        rows = list(csv.DictReader(open(os.path.join(run, "metrics.csv"))))
        epochs = [int(r["epoch"]) for r in rows]
        color = colors[index % len(colors)]  # one colour per run: dashed train, solid test
        for key, style in (("train", "--"), ("test", "-")):
            loss_ax.plot(epochs, [float(r[f"{key}_loss"]) for r in rows], style, color=color, label=f"{label} {key}")
            acc_ax.plot(epochs, [float(r[f"{key}_acc"]) for r in rows], style, color=color, label=f"{label} {key}")
    loss_ax.set(xlabel="epoch", ylabel="loss", yscale="log", title="loss")
    acc_ax.set(xlabel="epoch", ylabel="accuracy (%)", title="accuracy")
    from matplotlib.ticker import MaxNLocator
    plain_log_ticks(loss_ax.yaxis)  # 0.5, 1, 2, not 5x10^-1 and 2x10^0
    for ax in (loss_ax, acc_ax):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # whole epochs
        ax.grid(alpha=0.3)
    # Outside the axes, so it never hides a curve.
    acc_ax.legend(fontsize=7, title=title, title_fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1))
    save(plt, fig, out)


# The accelerator family each weight method runs on (hardware config names start with it).
ACCELERATOR_OF_METHOD = {"fp": "mac", "binaryconnect": "bwn", "bwn": "bwn", "fsb": "fsb"}


def magnitude_axis(ax, values, label):
    """An x axis for a positive magnitude (energy, size): log scale when the values span at
    least a factor of 10, else linear from 0, so distances read as ratios; plain ticks."""
    from matplotlib.ticker import MaxNLocator, ScalarFormatter
    ax.set_xlabel(label)
    if min(values) > 0 and max(values) / min(values) >= 10:
        ax.set_xscale("log")
        ax.set_xlim(min(values) / 1.8, max(values) * 1.8)  # room for labels on both sides
        plain_log_ticks(ax.xaxis)
    else:
        ax.set_xlim(0, max(values) * 1.15)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=6))
        ax.xaxis.set_major_formatter(ScalarFormatter(useOffset=False))


def dodged(ax, xs, stds, step=7):
    """Transforms that shift points sharing (within 5 pixels) an x position sideways by
    `step` points each, centred on it, so their error bars do not hide one another (no
    shift when no point has an error bar); the x axis limits must be set. The shift is
    drawn, never added to the values."""
    from matplotlib.transforms import offset_copy
    if not any(std > 0 for std in stds):
        return [ax.transData] * len(xs)
    pixels = [ax.transData.transform((x, 1))[0] for x in xs]
    order = sorted(range(len(xs)), key=lambda i: pixels[i])
    clusters = []
    for i in order:
        if clusters and pixels[i] - pixels[clusters[-1][-1]] < 5:
            clusters[-1].append(i)
        else:
            clusters.append([i])
    shifts = [0.0] * len(xs)
    if any(len(cluster) > 1 for cluster in clusters):
        ax.text(0.01, 0.01, "dots at (nearly) the same x are drawn side by side", transform=ax.transAxes,
                fontsize=6, color="0.4", ha="left", va="bottom")
    for cluster in clusters:
        for rank, i in enumerate(sorted(cluster, key=lambda i: (xs[i], i))):  # in the order of the values
            shifts[i] = (rank - (len(cluster) - 1) / 2) * step
    return [offset_copy(ax.transData, fig=ax.figure, x=shift, y=0, units="points") for shift in shifts]


def dot_with_error_bar(ax, x, y, std, transform, **style):
    """One dot with its error bar, drawn with `transform` (from `dodged`); the y axis is
    scaled to include it (matplotlib leaves artists with such transforms out)."""
    marker = style.pop("marker", "o")
    ax.errorbar([x], [y], yerr=[std], fmt=marker, capsize=3, transform=transform, **style)
    ax.update_datalim([(x, y - std), (x, y + std)], updatex=False)
    ax.autoscale_view(scalex=False)


def label_points(ax, points, transforms=None, fontsize=7):
    """Writes each (x, y, text, std) label next to its point, at the first of a few
    positions around it that stays inside the axes, covers no other label, point or error
    bar, and is nearer its own point than any other (so it cannot be read as another's).
    `transforms`: each point's, when drawn dodged (see `dodged`)."""
    from matplotlib.text import Text
    from matplotlib.transforms import Bbox
    fig = ax.figure
    fig.canvas.draw()  # fixes the axis limits the positions depend on
    renderer = fig.canvas.get_renderer()
    inside = ax.get_window_extent(renderer)
    pt = fig.dpi / 72  # offsets are in points, extents in pixels
    transforms = transforms or [ax.transData] * len(points)
    centers = [t.transform((x, y)) for (x, y, _, _), t in zip(points, transforms)]
    taken = []
    for (x, y, _, std), (px, py), t in zip(points, centers, transforms):
        taken.append(Bbox.from_extents(px - 4 * pt, py - 4 * pt, px + 4 * pt, py + 4 * pt))
        if std > 0:
            low, high = t.transform((x, y - std))[1], t.transform((x, y + std))[1]
            taken.append(Bbox.from_extents(px - 3 * pt, low - 1, px + 3 * pt, high + 1))

    def distance(box, center):
        dx = max(box.x0 - center[0], 0, center[0] - box.x1)
        dy = max(box.y0 - center[1], 0, center[1] - box.y1)
        return (dx * dx + dy * dy) ** 0.5

    spots = [(6, 0, "left", "center"), (-6, 0, "right", "center"), (5, 4, "left", "bottom"),
             (5, -4, "left", "top"), (-5, 4, "right", "bottom"), (-5, -4, "right", "top"),
             (6, 10, "left", "bottom"), (6, -10, "left", "top"), (-6, 10, "right", "bottom"),
             (-6, -10, "right", "top")]
    # Farther out, with a leader line to the point.
    spots += [(dx * 24, dy * 18, "left" if dx > 0 else "right", "center")
              for dx, dy in ((1, 1), (-1, 1), (1, -1), (-1, -1), (1, 2), (-1, 2), (1, -2), (-1, -2))]
    order = sorted(range(len(points)), key=lambda i: (-points[i][1], points[i][0]))
    for i in order:
        x, y, text, _ = points[i]
        box = None
        for dx, dy, ha, va in spots:
            leader = dict(arrowstyle="-", lw=0.5, color="0.4", shrinkA=0, shrinkB=3) if abs(dx) > 10 else None
            note = ax.annotate(text, (x, y), xycoords=transforms[i], xytext=(dx, dy), textcoords="offset points",
                               fontsize=fontsize, ha=ha, va=va, arrowprops=leader)
            note.update_positions(renderer)
            box = Text.get_window_extent(note, renderer)  # the text alone, not its leader line
            fits = inside.x0 <= box.x0 and box.x1 <= inside.x1 and inside.y0 <= box.y0 and box.y1 <= inside.y1
            own = distance(box, centers[i])
            nearest = all(own < distance(box, c) for j, c in enumerate(centers) if j != i)
            if fits and nearest and not any(box.overlaps(t) for t in taken):
                break
            note.remove()
            box = None
        if box is None:  # nowhere free: the first position
            dx, dy, ha, va = spots[0]
            note = ax.annotate(text, (x, y), xycoords=transforms[i], xytext=(dx, dy), textcoords="offset points",
                               fontsize=fontsize, ha=ha, va=va)
            box = note.get_window_extent(renderer)
            print(f"plot_results.py: label {text!r} overlaps another", file=sys.stderr)
        taken.append(box)


def plain_log_ticks(axis):
    """Log scale with ticks written as plain numbers (3, 10, 30) rather than 10^x."""
    from matplotlib.ticker import FuncFormatter, LogLocator
    axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    axis.set_minor_formatter(FuncFormatter(lambda v, _: ""))


def value_label(text):
    """A runs.csv axis value as a plot label: an object value (a whole config section, as
    the sign-init grids set) as `key=value` lines, file paths shortened to their last two
    parts; anything else as it is."""
    try:
        value = json.loads(text)
    except ValueError:
        return text
    if not isinstance(value, dict):
        return text

    def short(v):
        if isinstance(v, str) and "/" in v:
            return "…/" + "/".join(v.split("/")[-2:])
        return v if isinstance(v, str) else json.dumps(v)
    items = sorted(value.items(), key=lambda kv: isinstance(kv[1], str) and "/" in kv[1])  # paths last
    return "\n".join(f"{k}={short(v)}" for k, v in items)


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
    labels = [",".join(value_label(v) for v in k) for k in groups]
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
        for (key, g), label, mean, std in zip(groups.items(), labels, means, stds):
            family = ACCELERATOR_OF_METHOD.get(g[0]["method"])
            for hw in hardware:
                if family and hw.startswith(family + "-") and g[0][f"{hw}_energy_uj"]:
                    series.setdefault(hw, []).append((float(g[0][f"{hw}_energy_uj"]), mean, label, std))
        if not series:
            sys.exit(f"plot_results.py: {folder}/runs.csv has no accelerator matching the methods "
                     f"(hardware {', '.join(hardware)}; methods run on {ACCELERATOR_OF_METHOD})")
        # One colour per accelerator family, the same in every grid's plot.
        colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
        family_color = {"mac": colors[0], "bwn": colors[1], "fsb": colors[2]}
        points = [p + (hw,) for hw, ps in series.items() for p in ps]
        # A method on more than one accelerator (fp on the fp32 and int8 MAC arrays) gets one
        # point per accelerator: its label names the accelerator, its marker tells them apart.
        appearances = collections.Counter(point[2] for point in points)
        points = [(x, y, f"{text} on {hw}" if appearances[text] > 1 else text, std, hw)
                  for x, y, text, std, hw in points]
        family_hardware = {}
        for hw in series:
            family_hardware.setdefault(hw.split("-")[0], []).append(hw)
        marker = {hw: "osD^v"[hws.index(hw) % 5] for hws in family_hardware.values() for hw in hws}
        magnitude_axis(ax, [p[0] for p in points], "energy per inference (µJ), each method on its accelerator")
        transforms = dodged(ax, [p[0] for p in points], [p[3] for p in points])
        shown = set()
        for (x, y, _, std, hw), transform in zip(points, transforms):
            dot_with_error_bar(ax, x, y, std, transform, label=None if hw in shown else hw,
                               color=family_color.get(hw.split("-")[0]), marker=marker[hw])
            shown.add(hw)
        ax.set(ylabel=f"final test accuracy (%), {spread}")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, title="accelerator", title_fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1))
        label_points(ax, [p[:4] for p in points], transforms)
        save(plt, fig, f"{out}-accuracy-vs-energy")

    # Accuracy against the size of a model update (what a device sends per training round).
    fig, ax = plt.subplots(figsize=(6, 4))
    sizes = [int(g[0]["update_bits"]) / 8192 for g in groups.values()]
    magnitude_axis(ax, sizes, "model-update size (KiB)")
    transforms = dodged(ax, sizes, stds)
    for x, y, std, transform in zip(sizes, means, stds, transforms):
        dot_with_error_bar(ax, x, y, std, transform, color="C0")
    ax.set(ylabel=f"final test accuracy (%), {spread}")
    ax.grid(alpha=0.3)
    label_points(ax, list(zip(sizes, means, labels, stds)), transforms)
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
