"""Patient-flow diagram: one row of boxes per stage, arrows carrying the patients between them.

Draws :func:`analysis.results.journeys.patient_flow` with matplotlib boxes and arrows and
computes nothing but the layout.
"""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from .. import format as fmt
from ..display import save_source_data
from .theme import PALETTE, WIDTH

__all__ = ["flow_diagram", "flow_figure"]

_BOX_H = 0.5


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width))


def _ports(arrows: pd.DataFrame, where: dict, end: str, other: str) -> dict:
    """x of each arrow where it meets box ``arrows[end]``: a box's arrows spread over the
    middle 60% of its edge, ordered by the box at their other end, so that they do not cross
    needlessly."""
    out = {}
    for key, group in arrows.groupby(end, sort=False):
        x, _, width = where[key]
        order = sorted(group.index, key=lambda i: where[arrows.at[i, other]][0])
        for j, i in enumerate(order):
            out[i] = x if len(order) == 1 else x - 0.3 * width + 0.6 * width * j / (len(order) - 1)
    return out


def flow_diagram(flow: pd.DataFrame, ax=None, *, stage_labels: bool = True):
    """Draw the boxes and arrows of a patient flow on ``ax`` (default: the current axes).

    Empty boxes are grey; arrow widths grow with the patients they carry.  Each box is a
    :class:`~matplotlib.patches.FancyBboxPatch` whose ``gid`` is the box key.  Returns ``ax``.
    """
    ax = plt.gca() if ax is None else ax
    boxes, arrows = flow[flow["kind"] == "box"], flow[flow["kind"] == "arrow"]
    levels = int(boxes["level"].max()) + 1 if len(boxes) else 0
    total = max(int(boxes.loc[boxes["level"] == 0, "n"].sum()), 1)
    x0 = 0.2 if stage_labels else 0.0
    where: dict[str, tuple[float, float, float]] = {}  # box -> (x, y, width)
    for level, row in boxes.groupby("level"):
        slot, y = (1 - x0) / len(row), levels - 1 - level
        width = min(0.9 * slot, 0.34)
        for j, b in enumerate(row.itertuples()):
            x = x0 + slot * (j + 0.5)
            where[b.box] = (x, y, width)
            ax.add_patch(FancyBboxPatch((x - width / 2, y - _BOX_H / 2), width, _BOX_H,
                                        boxstyle="round,pad=0.005,rounding_size=0.03",
                                        facecolor="white" if b.n > 0 else "0.92", linewidth=0.8,
                                        edgecolor=PALETTE["all"], gid=b.box, zorder=3))  # fmt: skip
            label = _wrap(b.label, 18 if len(row) >= 4 else 30)
            ax.text(x, y, f"{label}\nn = {fmt.number(b.n, 0)}", ha="center", va="center",
                    fontsize=7.5, zorder=4, linespacing=1.15)  # fmt: skip
        if stage_labels:
            ax.text(0.0, y, _wrap(row["title"].iloc[0], 16), ha="left", va="center",
                    fontsize=7.5, color=PALETTE["grey"])  # fmt: skip
    start_x = _ports(arrows, where, "box", "target")
    end_x = _ports(arrows, where, "target", "box")
    for i, a in arrows.iterrows():
        start = (start_x[i], where[a["box"]][1] - _BOX_H / 2)
        end = (end_x[i], where[a["target"]][1] + _BOX_H / 2)
        ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=7, shrinkA=0,
                                     shrinkB=1, lw=0.6 + 2.4 * a["n"] / total, zorder=2,
                                     color=PALETTE["all"], alpha=0.75))  # fmt: skip
        # the count sits near the source, before arrows from neighbouring boxes cross
        t = float(np.clip(0.05 / max(abs(end[0] - start[0]), 1e-9), 0.13, 0.25))
        ax.text(start[0] + t * (end[0] - start[0]), start[1] + t * (end[1] - start[1]),
                fmt.number(a["n"], 0), ha="center", va="center", fontsize=7, zorder=5,
                bbox={"boxstyle": "round,pad=0.12", "fc": "white", "ec": "none"})  # fmt: skip
    ax.set_xlim(-0.01, 1.01)
    ax.set_ylim(-0.5, levels - 0.5)
    ax.set_axis_off()
    return ax


def flow_figure(flow: pd.DataFrame, *, name: str | None = None, height: float = 7.5):
    """The patient-flow diagram, :data:`~analysis.figures.theme.WIDTH` wide; saves ``flow`` as
    the source data of figure ``name``.  Returns the figure."""
    fig, ax = plt.subplots(figsize=(WIDTH, height))
    flow_diagram(flow, ax)
    if name:
        save_source_data(name, flow)
    return fig
