"""Kaplan-Meier figures in the KMunicate style (Morris et al., BMJ Open 2019): they draw a
panel's :func:`analysis.results.km.figure_data` and compute nothing."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .. import format as fmt
from ..display import save_source_data
from .theme import FONT_SIZE, PALETTE, WIDTH, XLABEL, role_style

#: Height of one row of the risk table, inches.
ROW_HEIGHT = 0.25
_BOX = {"boxstyle": "square,pad=0.25", "fc": "white", "ec": "none", "alpha": 0.85}
_CENSOR = {"ls": "none", "marker": "+", "ms": 9, "mew": 1.4, "clip_on": False, "zorder": 4}
_RISK_ROWS = (("at_risk", "at risk"), ("censored", "censored"), ("events", "events"))


def _part(fd: pd.DataFrame, table: str) -> pd.DataFrame:
    return fd[fd["table"] == table]


def km_plot(fd: pd.DataFrame, ax=None, *, ci=True, legend_title=None, band=None, legend=True):
    """The curves of ``fd`` on ``ax`` (default: the current axes), x ticks at the risk table's
    times; ``band``: the one role drawn in full (band, marks), the others thin. Returns ``ax``."""
    ax = plt.gca() if ax is None else ax
    steps, summary, test = _part(fd, "km"), _part(fd, "summary"), _part(fd, "test")
    marks, handles, labels = bool(np.all(summary.get("marks", True))), [], []
    for role, curve in steps.groupby("role", sort=False):
        style, full = role_style(role), band in (None, role)
        n = int(summary.loc[summary["role"] == role, "n"].iloc[0])
        (line,) = ax.step(curve["time"], curve["survival"], where="post", lw=1.8 if full else 1,
                          clip_on=False, zorder=3, gid=f"km-{role}", **style)  # fmt: skip
        if ci and n and full:
            ax.fill_between(curve["time"], curve["ci_lower"], curve["ci_upper"], step="post",
                            color=style["color"], alpha=0.14, lw=0, zorder=1)  # fmt: skip
        cens = curve[(curve["n_censored"] > 0) & (marks and full)]
        if len(cens):  # an empty line with clip_on=False breaks the constrained layout
            marks_style = _CENSOR | {"color": style["color"], "gid": f"censor-{role}"}
            ax.plot(cens["time"], cens["survival"], **marks_style)
        handles.append(line)
        labels.append(f"{curve['label'].iloc[0]} (n = {n})")
    if len(test) and legend:
        ax.text(0.02, 0.04, test["text"].iloc[0], transform=ax.transAxes, ha="left", va="bottom",
                gid="test", bbox=_BOX)  # fmt: skip
    ticks = np.sort(_part(fd, "risk")["time"].unique())
    ax.set_xticks(ticks, [fmt.number(x, None) for x in ticks])
    ax.set(xlim=(0, ticks[-1]), ylim=(0, 1), xlabel=XLABEL)
    ax.set_ylabel(f"{fd['ylabel'].iloc[0]} probability")
    ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0], ["0", "0.25", "0.50", "0.75", "1.00"])
    if legend:
        ax.legend(handles, labels, loc="lower left", bbox_to_anchor=(0, 1.0), frameon=False,
                  title=legend_title, alignment="left", handlelength=2.6)  # fmt: skip
    return ax


def risk_rows(fd: pd.DataFrame, ax, roles=None, gap: int = 0):
    """At risk, cumulative censored and cumulative events of ``roles`` (default all) under
    each tick, in each group's colour, with ``gap`` empty rows below. Returns ``ax``."""
    risk = _part(fd, "risk")
    labels, several = [], risk["role"].nunique() > 1
    for role in roles or list(dict.fromkeys(risk["role"])):
        rows = risk[risk["role"] == role]
        for col, name in _RISK_ROWS:
            for x, value in zip(rows["time"], rows[col]):
                ax.text(x, len(labels), str(int(value)), ha="center", va="center",
                        gid=f"{col}-{role}", color=PALETTE[role])  # fmt: skip
            labels.append((f"{rows['label'].iloc[0]}: " * several + name, role))
    ax.set_ylim(len(labels) - 0.5 + gap, -0.5)
    ax.set_yticks(range(len(labels)), [t for t, _ in labels])
    for tick, (_, role) in zip(ax.get_yticklabels(), labels):
        tick.set_color(PALETTE[role])
    ax.tick_params(length=0, labelbottom=False)
    digits = len(str(int(risk["at_risk"].max()))) if len(risk) else 1
    ax.tick_params(axis="y", pad=4 + 0.33 * FONT_SIZE * digits)  # clear of the counts at 0
    ax.spines[:].set_visible(False)
    return ax


def km_figure(fd: pd.DataFrame, *, ci: bool = True, name: str | None = None, height=3.4):
    """A panel's plot (``height`` inches) with its risk table underneath, or, if ``own_panel``,
    one plot per curve, each followed by its rows; saved as source data ``name`` if given."""
    roles = list(dict.fromkeys(_part(fd, "risk")["role"]))
    own = ci and bool(np.any(_part(fd, "summary").get("own_panel", False)))
    blocks, gap = ([(r, [r]) for r in roles], 1) if own else ([(None, roles)], 0)
    heights = [h for _, rs in blocks for h in (height * (0.75 if own else 1),
                                               ROW_HEIGHT * (3 * len(rs) + gap) + 0.1)]  # fmt: skip
    fig = plt.figure(figsize=(WIDTH, sum(heights)), layout="constrained")
    grid, first = fig.add_gridspec(len(heights), 1, height_ratios=heights), None
    for i, (band, rs) in enumerate(blocks):
        ax = km_plot(fd, fig.add_subplot(grid[2 * i], sharex=first), ci=ci, band=band,
                     legend=first is None)  # fmt: skip
        risk_rows(fd, fig.add_subplot(grid[2 * i + 1], sharex=ax), rs, gap)
        first = first or ax
    save_source_data(name, fd)
    return fig
