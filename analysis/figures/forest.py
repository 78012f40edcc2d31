"""Forest plot of :func:`analysis.results.context.forest_rows`: response rates with exact 95%
CIs by endpoint, text columns beside them; an open square is a count derived from a rounded
percentage, colour marks this cohort."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.transforms import ScaledTranslation, blended_transform_factory

from ..display import save_source_data
from .theme import FONT_SIZE, PALETTE, WIDTH

#: Text columns: field, header, anchor (0: the axes' left edge, 1: its right), offset (inches)
COLUMNS = (("study", "study", 0, -3.3, "left"), ("n_of_n", "n/N", 0, -0.12, "right"),
           ("rate", "rate, %", 1, 0.55, "right"), ("ci", "95% CI", 1, 0.67, "left"))  # fmt: skip
_LEFT, _RIGHT, _PITCH = 3.35, 1.6, 0.3  # margins and row pitch, inches


def forest_plot(rows: pd.DataFrame, ax=None):
    """Draw forest rows top to bottom on ``ax`` (default: the current axes); returns ``ax``."""
    ax = plt.gca() if ax is None else ax
    at = {(a, dx): blended_transform_factory(ax.transAxes, ax.transData) + ScaledTranslation(
        dx, 0, ax.figure.dpi_scale_trans) for _, _, a, dx, _ in COLUMNS}  # fmt: skip
    for r in rows.itertuples():
        colour = PALETTE["comparison"] if r.is_cohort else PALETTE["all"]
        if r.kind == "study" and np.isfinite(r.percent):
            ax.hlines(r.row, r.ci_lower, r.ci_upper, color=colour, linewidth=1.4, zorder=2)
            ax.plot(r.percent, r.row, marker="s", ms=7, mew=1.3, ls="none", zorder=3,
                    mfc="white" if r.derived else colour, mec=colour)  # fmt: skip
        for field, _, a, dx, ha in COLUMNS:
            ax.text(a, r.row, getattr(r, field), transform=at[a, dx], ha=ha, va="center",
                    fontsize=FONT_SIZE, color=colour,
                    fontweight="bold" if r.kind == "endpoint" else "normal")  # fmt: skip
    for _, head, a, dx, ha in COLUMNS:
        ax.text(a, -1.2, head, transform=at[a, dx], ha=ha, va="center", fontsize=FONT_SIZE,
                fontweight="bold", color=PALETTE["grey"])  # fmt: skip
    ax.set(ylim=(len(rows) - 0.5, -1.7), xlim=(0, 100), xticks=[0, 25, 50, 75, 100], yticks=[],
           xlabel="response rate, % (exact 95% CI)")  # fmt: skip
    ax.grid(axis="x", color="0.88", linewidth=0.6, zorder=0)
    ax.spines["left"].set_visible(False)
    fills = {PALETTE["all"]: "count published or computed",
             "white": "count derived from a rounded %"}  # fmt: skip
    handles = [Line2D([], [], ls="none", marker="s", ms=7, mew=1.3, mec=PALETTE["all"], mfc=fc,
                      label=text) for fc, text in fills.items()]  # fmt: skip
    ax.legend(handles=handles[: 1 + bool(rows["derived"].any())], loc="lower center", ncol=2,
              bbox_to_anchor=(0.5, 0), bbox_transform=ax.figure.transFigure, frameon=False,
              fontsize=FONT_SIZE)  # fmt: skip
    return ax


def forest_figure(rows: pd.DataFrame, *, name: str | None = None):
    """The forest plot, text columns outside the axes, saved as source data ``name``."""
    axes_h, below, above = _PITCH * (len(rows) + 1.2), 1.15, 0.1
    fig, ax = plt.subplots(figsize=(WIDTH, h := axes_h + below + above))
    fig.subplots_adjust(left=_LEFT / WIDTH, right=1 - _RIGHT / WIDTH, bottom=below / h,
                        top=1 - above / h)  # fmt: skip
    forest_plot(rows, ax)
    save_source_data(name, rows)
    return fig
