"""Patient-flow diagram of :func:`analysis.results.journeys.patient_flow`: stages as columns,
a box per row, an elbow arrow from each box to each child (contiguous leaves: no crossings)."""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from .. import format as fmt
from ..display import save_source_data
from .theme import FONT_SIZE, PALETTE, WIDTH

_GAP, _PITCH, _LINE = 0.05, 0.68, 0.176  # gap (stage units), leaf pitch and line (inches)


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width, break_on_hyphens=False))


def flow_diagram(flow: pd.DataFrame, ax=None):
    """Draw the patient flow on ``ax`` (default: the current axes), stages left to right;
    returns ``ax``.  The ``gid`` of a box (:class:`~matplotlib.patches.FancyBboxPatch`) is its
    ``box``, that of a connector (line and arrow) the ``box`` it leads to."""
    ax = plt.gca() if ax is None else ax
    y = dict(zip(flow["box"], (flow["first"] + flow["last"]) / 2))
    last = dict(zip(flow["box"], flow["last_stage"]))
    line = {"color": PALETTE["all"], "linewidth": 1.0, "zorder": 2}
    for r in flow.itertuples():
        x0, x1, yy = r.stage + _GAP, r.last_stage + 1 - _GAP, y[r.box]
        text = f"{_wrap(r.label, 11 * (r.last_stage - r.stage + 1))}\nn = {fmt.number(r.n, 0)}"
        h = (_LINE * (text.count("\n") + 1) + 0.1) / _PITCH
        ax.add_patch(FancyBboxPatch((x0, yy - h / 2), x1 - x0, h, gid=r.box, zorder=3,
                                    boxstyle="round,pad=0,rounding_size=0.08", linewidth=0.9,
                                    facecolor="white", edgecolor=PALETTE["all"]))  # fmt: skip
        ax.text((x0 + x1) / 2, yy, text, ha="center", va="center", fontsize=FONT_SIZE,
                linespacing=1.1, zorder=4)  # fmt: skip
        if r.parent:  # stub, spine at the column boundary, arrow into the box
            ax.plot([last[r.parent] + 1 - _GAP, r.stage, r.stage], [y[r.parent]] * 2 + [yy],
                    gid=r.box, **line)  # fmt: skip
            arrow = FancyArrowPatch((r.stage, yy), (x0, yy), arrowstyle="-|>", shrinkA=0,
                                    shrinkB=0, mutation_scale=10, gid=r.box, **line)  # fmt: skip
            ax.add_patch(arrow)
    for s, title in flow.drop_duplicates("stage")[["stage", "title"]].itertuples(index=False):
        ax.text(s + 0.5, -0.6, _wrap(title, 14), ha="center", va="bottom", fontsize=FONT_SIZE,
                fontweight="bold", color=PALETTE["grey"])  # fmt: skip
    ax.set(xlim=(0, flow["last_stage"].max() + 1), ylim=(flow["last"].max() + 0.5, -1.6))
    ax.set_axis_off()
    return ax


def flow_figure(flow: pd.DataFrame, *, name: str | None = None):
    """The patient-flow diagram, as tall as its leaves need, saved as source data ``name``."""
    fig, ax = plt.subplots(figsize=(WIDTH, _PITCH * (flow["last"].max() + 2.1) / 0.98))
    fig.subplots_adjust(left=0.01, right=0.99, top=0.99, bottom=0.01)
    flow_diagram(flow, ax)
    save_source_data(name, flow)
    return fig
