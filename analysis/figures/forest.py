"""Forest plot of response rates with exact 95% CIs, this cohort beside the published trials.

Draws :func:`analysis.results.context.forest_rows` and computes nothing.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D

from ..display import save_source_data
from ..results.context import ENDPOINTS
from .theme import PALETTE

__all__ = ["ENDPOINT_MARKERS", "forest_plot", "forest_figure"]

#: Marker of each endpoint.
ENDPOINT_MARKERS: dict[str, str] = dict(zip(ENDPOINTS, ("o", "s", "D", "^", "v")))


def forest_plot(rows: pd.DataFrame, ax=None):
    """Draw forest rows top to bottom on ``ax`` (default: the current axes); returns ``ax``.

    Endpoints differ by marker; this cohort's rows are vermillion on a grey band; open
    markers are counts derived from a rounded percentage; k/n and the rate with its CI are
    written on the right.
    """
    ax = plt.gca() if ax is None else ax
    n = len(rows)
    for i, r in enumerate(rows.itertuples()):
        colour = PALETTE["comparison"] if r.is_cohort else PALETTE["all"]
        if r.is_cohort:
            ax.axhspan(i - 0.5, i + 0.5, color="0.9", zorder=0, linewidth=0)
        if np.isfinite(r.percent):
            ax.hlines(i, r.ci_lower, r.ci_upper, color=colour, linewidth=1.4, zorder=2)
            ax.plot(r.percent, i, marker=ENDPOINT_MARKERS.get(r.endpoint, "o"), ms=7, mew=1.2,
                    mfc="white" if r.derived else colour, mec=colour, ls="none",
                    zorder=3)  # fmt: skip
        ax.text(1.02, i, r.text, transform=ax.get_yaxis_transform(), va="center", ha="left",
                fontsize=8, color=colour)  # fmt: skip
    ax.set_yticks(np.arange(n), rows["label"])
    for tick, cohort in zip(ax.get_yticklabels(), rows["is_cohort"]):
        if cohort:
            tick.set(color=PALETTE["comparison"], fontweight="bold")
    ax.tick_params(axis="y", length=0, labelsize=8.5)
    ax.tick_params(axis="x", labelsize=8)
    ax.set(ylim=(n - 0.5, -0.5), xlim=(0, 100), xticks=np.arange(0, 101, 20),
           xlabel="response rate (%) with exact 95% CI")  # fmt: skip
    ax.xaxis.label.set_size(9)
    ax.grid(axis="x", color="0.88", linewidth=0.6, zorder=0)
    ax.set_axisbelow(True)
    present = [e for e in ENDPOINTS if e in set(rows["endpoint"])]
    handles = [Line2D([], [], ls="none", marker=ENDPOINT_MARKERS[e], mfc=PALETTE["all"],
                      mec=PALETTE["all"], ms=6, label=e) for e in present]  # fmt: skip
    if rows["derived"].any():
        handles.append(Line2D([], [], ls="none", marker="o", mfc="white", mec=PALETTE["all"],
                              ms=6, label="count derived from a rounded %"))  # fmt: skip
    ax.legend(handles=handles, loc="upper center", ncol=3, frameon=False, fontsize=7.5,
              bbox_to_anchor=(0.5, -0.14 if n > 6 else -0.25))  # fmt: skip
    return ax


def forest_figure(rows: pd.DataFrame, *, name: str | None = None, width: float = 4.4):
    """The forest plot (the k/n column sits right of ``width``); saves ``rows`` as the source
    data of figure ``name``.  Returns the figure."""
    fig, ax = plt.subplots(figsize=(width, 0.34 * len(rows) + 1.2))
    forest_plot(rows, ax)
    if name:
        save_source_data(name, rows)
    return fig
