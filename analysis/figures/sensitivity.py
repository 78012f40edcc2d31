"""Figures of the sensitivity chapter; each draws a results table and computes nothing.

- :func:`cif_figure`: cumulative incidence curves of
  :func:`analysis.results.sensitivity.competing_risks`;
- :func:`transplant_figure`: a Kaplan-Meier-type panel of transplant (the paper's Figure 3,
  a landmark analysis or Simon-Makuch curves) in the KMunicate style of
  :func:`analysis.figures.km.km_figure`;
- :func:`robustness_figure`: each quantity over the reconstructions (seaborn strip and box
  plots), from :func:`analysis.results.robustness.figure_data`.
"""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import seaborn as sns
from matplotlib.lines import Line2D

from .. import format as fmt
from ..display import save_source_data
from ..results.km import time_ticks
from .km import km_figure
from .theme import PALETTE, WIDTH, XLABEL, role_style

__all__ = ["cif_plot", "cif_figure", "transplant_figure", "robustness_plot", "robustness_figure"]


def cif_plot(curves, ax=None):
    """Step curves of a long table (``curve``, ``label``, ``role``, ``time``, ``value``)."""
    ax = plt.gca() if ax is None else ax
    for curve, c in curves.groupby("curve", sort=False):
        ax.step(c["time"], c["value"], where="post", lw=1.8, label=c["label"].iloc[0],
                gid=f"cif-{curve}", clip_on=False, **role_style(c["role"].iloc[0]))  # fmt: skip
    ticks = time_ticks(float(curves["time"].max()) if len(curves) else 0.0)
    ax.set_xticks(ticks, [fmt.number(x, None) for x in ticks])
    ax.set_xlim(0, ticks[-1])
    ax.set_ylim(0, min(1.0, max(0.5, float(curves["value"].max()) + 0.05)))
    ax.set_xlabel(XLABEL)
    ax.set_ylabel("cumulative incidence")
    ax.legend(loc="upper left", frameon=False)
    return ax


def cif_figure(curves, *, name: str | None = None, height: float = 4.0):
    """:func:`cif_plot` as a figure :data:`~analysis.figures.theme.WIDTH` wide."""
    fig, ax = plt.subplots(figsize=(WIDTH, height), layout="constrained")
    cif_plot(curves, ax)
    if name:
        save_source_data(name, curves)
    return fig


def transplant_figure(fd, *, name: str | None = None):
    """:func:`analysis.figures.km.km_figure` of a transplant panel; a landmark panel (with a
    ``landmark`` column) is timed from the landmark, a panel without bands drawn without."""
    km_rows = fd[fd["table"] == "km"]
    ci = "ci_lower" in fd and km_rows["ci_lower"].notna().any()
    fig = km_figure(fd, ci=ci, name=name)
    if "landmark" in fd:
        at = fmt.number(fd["landmark"].iloc[0], None)
        fig.axes[0].set_xlabel(f"months since the landmark ({at} months)")
    return fig


def robustness_plot(data, ax=None, *, kind: str = "p"):
    """One panel of :func:`robustness_figure`: the quantities of one ``kind``."""
    ax = plt.gca() if ax is None else ax
    sub = data[data["kind"] == kind].assign(label=lambda d: d["label"].map(_wrap))
    order = list(dict.fromkeys(sub["label"]))
    recon, book = sub[sub["seed"] >= 0], sub[sub["seed"] < 0]
    common = {"x": "value", "y": "label", "order": order, "ax": ax, "legend": False}
    sns.boxplot(recon, **common, whis=(0, 100), width=0.6, fill=False, linewidth=1,
                color=PALETTE["grey"], showcaps=False)  # fmt: skip
    sns.stripplot(recon, **common, size=4, jitter=0.15, alpha=0.6, color=PALETTE["reference"])
    sns.stripplot(book, **common, size=7, jitter=False, marker="D", color=PALETTE["comparison"])
    if kind in ("p", "ratio"):
        ax.axvline(0.05 if kind == "p" else 1, color=PALETTE["grey"], ls=":", lw=1)
    if kind == "p":
        ax.set_xlim(0, 1)
    if kind == "ratio":
        ax.set_xscale("log")
        ticks = {0.125: 3, 0.25: 2, 0.5: 1, 1: 0, 2: 0, 4: 0, 8: 0}  # value: decimals
        ax.set_xticks(list(ticks), [fmt.number(x, d) for x, d in ticks.items()])
        ax.minorticks_off()
    ax.set(xlabel=sub["panel"].iloc[0], ylabel="")
    return ax


def _wrap(label: str, width: int = 34) -> str:
    return "\n".join(textwrap.wrap(label, width))


def robustness_figure(data, *, name: str | None = None, row_height: float = 0.42):
    """Each quantity over the reconstructions (points; box: quartiles, whiskers: range) and
    on the book's cohort (diamond), a panel per kind of quantity."""
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
    if name:
        save_source_data(name, data)
    return fig
