"""Kaplan-Meier figures in the KMunicate style (Morris et al., BMJ Open 2019).

Each figure draws one panel's :func:`analysis.results.km.figure_data` and computes nothing:
step curves with their 95% bands, a ``+`` at each censored time, the group sizes in the
legend, the log-rank P and the Cox hazard ratio on the plot, and under the plot, aligned
with the time ticks, each group's number at risk, cumulative censored and cumulative events.

Examples
--------
>>> from analysis import load_cohort
>>> from analysis.results import km
>>> fd = km.figure_data(load_cohort(), km.Panel("os", "mrd_response"))
>>> fig = km_figure(fd)  # doctest: +SKIP
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .. import format as fmt
from ..display import save_source_data
from .theme import PALETTE, WIDTH, XLABEL, role_style

__all__ = ["km_plot", "risk_rows", "km_figure", "ROW_HEIGHT"]

#: Height of one row of the risk table, inches.
ROW_HEIGHT = 0.24
_BOX = {"boxstyle": "square,pad=0.25", "fc": "white", "ec": "none", "alpha": 0.85}
_RISK_ROWS = (("at_risk", "at risk"), ("censored", "censored"), ("events", "events"))


def _part(fd: pd.DataFrame, table: str) -> pd.DataFrame:
    return fd[fd["table"] == table]


def km_plot(fd: pd.DataFrame, ax=None, *, ci: bool = True, legend_title: str | None = None):
    """The curves of a panel's figure data on ``ax`` (default: the current axes); returns it.

    The x ticks are the times of the risk table, so the counts under the plot line up.
    """
    ax = plt.gca() if ax is None else ax
    steps, summary, test = _part(fd, "km"), _part(fd, "summary"), _part(fd, "test")
    handles, labels = [], []
    for role, curve in steps.groupby("role", sort=False):
        style = role_style(role)
        n = int(summary.loc[summary["role"] == role, "n"].iloc[0])
        (line,) = ax.step(curve["time"], curve["survival"], where="post", lw=1.8,
                          clip_on=False, zorder=3, gid=f"km-{role}", **style)  # fmt: skip
        if ci and n:
            ax.fill_between(curve["time"], curve["ci_lower"], curve["ci_upper"], step="post",
                            color=style["color"], alpha=0.14, lw=0, zorder=1)  # fmt: skip
        cens = curve[curve["n_censored"] > 0]
        ax.plot(cens["time"], cens["survival"], ls="none", marker="+", ms=9, mew=1.4,
                color=style["color"], clip_on=False, zorder=4, gid=f"censor-{role}")  # fmt: skip
        handles.append(line)
        labels.append(f"{curve['label'].iloc[0]} (n = {n})")
    if len(test):
        ax.text(0.02, 0.04, test["text"].iloc[0], transform=ax.transAxes, ha="left", va="bottom",
                gid="test", bbox=_BOX)  # fmt: skip
    ticks = np.sort(_part(fd, "risk")["time"].unique())
    ax.set_xticks(ticks, [fmt.number(x, None) for x in ticks])
    ax.set_xlim(0, ticks[-1])
    ax.set_ylim(0, 1.0)
    ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0], ["0", "0.25", "0.50", "0.75", "1.00"])
    ax.set_ylabel(f"{fd['ylabel'].iloc[0]} probability")
    ax.set_xlabel(XLABEL)
    ax.legend(handles, labels, loc="lower left", bbox_to_anchor=(0, 1.0), frameon=False,
              title=legend_title, alignment="left", handlelength=2.6)  # fmt: skip
    return ax


def risk_rows(fd: pd.DataFrame, ax):
    """Number at risk, cumulative censored and cumulative events under each tick; returns ``ax``.

    One block of three rows per group, labelled with the group's short name, in its colour.
    """
    risk = _part(fd, "risk")
    roles = list(dict.fromkeys(risk["role"]))
    labels, y = [], 0
    for role in roles:
        rows = risk[risk["role"] == role]
        head = rows["label"].iloc[0] if len(roles) > 1 else ""
        for col, name in _RISK_ROWS:
            for x, value in zip(rows["time"], rows[col]):
                ax.text(x, y, str(int(value)), ha="center", va="center", gid=f"{col}-{role}",
                        color=PALETTE[role])  # fmt: skip
            labels.append((f"{head}: {name}" if head else name, role))
            y += 1
    ax.set_ylim(y - 0.5, -0.5)
    ax.set_yticks(range(y), [t for t, _ in labels])
    for tick, (_, role) in zip(ax.get_yticklabels(), labels):
        tick.set_color(PALETTE[role])
    ax.tick_params(axis="both", length=0)
    ax.tick_params(axis="y", pad=18)  # clear of the counts centred on time 0
    ax.tick_params(axis="x", labelbottom=False)
    ax.spines[:].set_visible(False)
    return ax


def km_figure(fd: pd.DataFrame, *, ci: bool = True, name: str | None = None, height=3.4):
    """A panel's Kaplan-Meier plot with its risk table underneath, :data:`WIDTH` wide.

    Parameters
    ----------
    fd : pandas.DataFrame
        :func:`analysis.results.km.figure_data` of one panel.
    ci : bool
        Shade each curve's 95% band.
    name : str, optional
        The figure's label (``fig-...``): its data are saved as the figure's source data.
    height : float
        Height of the plot (without the risk table), inches.

    Returns
    -------
    matplotlib.figure.Figure
    """
    table = ROW_HEIGHT * 3 * _part(fd, "risk")["role"].nunique() + 0.1
    fig = plt.figure(figsize=(WIDTH, height + table), layout="constrained")
    grid = fig.add_gridspec(2, 1, height_ratios=[height, table])
    ax = fig.add_subplot(grid[0])
    km_plot(fd, ax, ci=ci)
    risk_rows(fd, fig.add_subplot(grid[1], sharex=ax))
    if name:
        save_source_data(name, fd)
    return fig
