"""Figures of the sensitivity chapter: they draw results tables and compute nothing."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
from matplotlib.lines import Line2D

from .. import config
from .. import format as fmt
from ..display import save_source_data
from .km import ROW_HEIGHT, km_figure
from .theme import PALETTE, WIDTH, XLABEL, role_style


def cif_figure(fd, *, name: str | None = None, height: float = 3.4):
    """The curves (``table`` "cif") and, under each tick, the counts of the ``risk`` rows."""
    curves, risk = fd[fd["table"] == "cif"], fd[fd["table"] == "risk"]
    rows, ticks = list(dict.fromkeys(risk["row"])), np.sort(risk["time"].unique())
    fig = plt.figure(figsize=(WIDTH, height + ROW_HEIGHT * len(rows) + 0.1), layout="constrained")
    grid = fig.add_gridspec(2, 1, height_ratios=[height, ROW_HEIGHT * len(rows) + 0.1])
    ax, low = fig.add_subplot(grid[0]), fig.add_subplot(grid[1])
    for curve, c in curves.groupby("curve", sort=False):
        ax.step(c["time"], c["value"], where="post", lw=1.8, label=c["label"].iloc[0],
                gid=f"cif-{curve}", clip_on=False, **role_style(c["role"].iloc[0]))  # fmt: skip
    for r in risk.itertuples():
        low.text(r.time, rows.index(r.row), str(int(r.count)), ha="center", va="center",
                 color=PALETTE[r.role], gid="risk")  # fmt: skip
    for a in (ax, low):
        a.set_xticks(ticks, [fmt.number(x, None) for x in ticks])
        a.set_xlim(0, ticks[-1])
    ax.set(ylim=(0, min(1.0, max(0.5, curves["value"].max() + 0.05))), xlabel=XLABEL,
           ylabel="cumulative incidence")  # fmt: skip
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), frameon=False, handlelength=2.6)
    low.set(ylim=(len(rows) - 0.5, -0.5), yticks=range(len(rows)), yticklabels=rows)
    low.tick_params(length=0, pad=18, labelbottom=False)
    low.spines[:].set_visible(False)
    save_source_data(name, fd)
    return fig


def transplant_figure(fd, *, name: str | None = None):
    """:func:`analysis.figures.km.km_figure` of a transplant panel; a landmark panel (with a
    ``landmark`` column) is timed from the landmark, a panel without bands drawn without."""
    fig = km_figure(fd, ci="ci_lower" in fd and fd["ci_lower"].notna().any(), name=name)
    if "landmark" in fd:
        at = fmt.number(fd["landmark"].iloc[0], None)
        fig.axes[0].set_xlabel(f"months since the landmark ({at} months)")
    return fig


def robustness_plot(data, ax=None, *, kind: str = "p"):
    """One panel of :func:`robustness_figure`: the quantities of one ``kind``."""
    ax = plt.gca() if ax is None else ax
    sub = data[data["kind"] == kind].assign(label=lambda d: d["label"].str.wrap(34))
    order = list(dict.fromkeys(sub["label"]))
    recon, book = sub[sub["seed"] >= 0], sub[sub["seed"] < 0]
    common = {"x": "value", "y": "label", "order": order, "ax": ax, "legend": False}
    sns.boxplot(recon, **common, whis=(0, 100), width=0.6, fill=False, linewidth=1,
                color=PALETTE["grey"], showcaps=False)  # fmt: skip
    state = np.random.get_state()  # seaborn jitters with NumPy's global generator: seeded
    np.random.seed(0)  # here, for the same figure in every build and kernel, then restored
    sns.stripplot(recon, **common, size=4, jitter=0.15, alpha=0.6, color=PALETTE["reference"])
    np.random.set_state(state)
    sns.stripplot(book, **common, size=7, jitter=False, marker="D", color=PALETTE["comparison"])
    if kind in ("p", "ratio"):
        ax.axvline(config.ALPHA if kind == "p" else 1, color=PALETTE["grey"], ls=":", lw=1)
    if kind == "p":
        ax.set_xlim(0, 1)
    if kind == "ratio":
        ax.set_xscale("log")
        ticks = {0.125: 3, 0.25: 2, 0.5: 1, 1: 0, 2: 0, 4: 0, 8: 0}  # value: decimals
        ax.set_xticks(list(ticks), [fmt.number(x, d) for x, d in ticks.items()])
        ax.minorticks_off()
    ax.set(xlabel=sub["panel"].iloc[0], ylabel="")
    return ax


def robustness_figure(data, *, kinds=None, name: str | None = None, row_height: float = 0.42):
    """Each quantity over the reconstructions and on the book's cohort, a panel per kind (of
    ``kinds``, default all: a figure short enough to print at full width has fewer)."""
    data = data if kinds is None else data[data["kind"].isin(kinds)]
    kinds = list(dict.fromkeys(data["kind"]))
    rows = [data.loc[data["kind"] == k, "label"].nunique() for k in kinds]
    height = row_height * sum(rows) + 0.8 * len(kinds) + 0.4
    fig, axes = plt.subplots(len(kinds), 1, figsize=(WIDTH, height), height_ratios=rows,
                             layout="constrained", squeeze=False)  # fmt: skip
    for ax, kind in zip(axes[:, 0], kinds):
        robustness_plot(data, ax, kind=kind)
    marks = [Line2D([], [], ls="none", marker=m, color=PALETTE[r], ms=s)
             for m, r, s in (("o", "reference", 5), ("D", "comparison", 7))]  # fmt: skip
    fig.legend(marks, ["reconstructions", "book's cohort"], loc="outside upper center", ncols=2,
               frameon=False)  # fmt: skip
    save_source_data(name, data)
    return fig
