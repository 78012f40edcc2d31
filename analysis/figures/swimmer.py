"""Swimmer plot of :func:`analysis.results.journeys.swimmer_rows`: a bar per patient, bands
for the infusions, a marker per event; its one computation is layout (markers that would
overlap are stacked above and below the bar, then moved right)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from .. import config
from .. import format as fmt
from ..display import save_source_data
from ..results.journeys import RESPONSE_GROUPS, TEXTS
from ..results.km import time_ticks
from .theme import FONT_SIZE, PALETTE, WIDTH, XLABEL

#: Colour role and hatch of each response group; marker, face and edge colour, size and
#: legend text of each event (``journeys.yml``).
GROUP_STYLE, MARKERS = TEXTS["groups"], TEXTS["markers"]
_LANES, _LANE, _PITCH = (0, -1, 1), 0.33, 0.3  # lanes, lane offset (rows), row pitch (inches)


def _lanes(x: np.ndarray, size: np.ndarray, lane_pt: float) -> tuple[np.ndarray, np.ndarray]:
    """Lane and x (points) of one row's markers, in time order: each takes the first lane
    where it keeps clear of those placed, else lane 0 moved right until it does."""
    lane, x, placed = np.zeros(len(x), int), x.astype(float), []
    for i, s in enumerate(size):
        while not (free := [ln for ln in _LANES if all(
                np.hypot(x[i] - xj, (ln - lj) * lane_pt) >= (s + sj) / 2 + 0.5
                for xj, lj, sj in placed)]):  # fmt: skip
            x[i] += 0.5
        lane[i] = free[0]
        placed.append((x[i], lane[i], s))
    return lane, x


def swimmer_plot(rows: pd.DataFrame, ax=None, *, max_labels: int = 40):
    """Draw swimmer rows on ``ax`` (default: the current axes); returns ``ax``.  One bar per
    patient, top row first; each event one line of markers whose ``gid`` is the event."""
    ax = plt.gca() if ax is None else ax
    bars = rows[rows["element"] == "follow-up"].sort_values("row")
    n, style = len(bars), [(PALETTE[c], h) for c, h in map(GROUP_STYLE.get, bars["group"])]
    drawn = ax.barh(bars["row"], bars["end_months"], height=0.62, alpha=0.45, zorder=1)
    for patch, (colour, hatch) in zip(drawn.patches, style):
        patch.set(facecolor=colour, hatch=hatch, edgecolor=colour, linewidth=0)
    cycles = rows[rows["element"] == "infusion"]
    ax.hlines(cycles["row"], cycles["start_months"], cycles["end_months"], alpha=0.8,
              colors=PALETTE["all"], linewidth=2.2, zorder=2)  # fmt: skip
    ticks = time_ticks(tmax := float(bars["end_months"].max()) if n else 1.0, max_ticks=7)
    ax.set_xticks(ticks, [fmt.number(t, None) for t in ticks])
    ax.set(xlim=(0, max(ticks[-1], tmax) * 1.02), ylim=(n - 0.5, -0.5))
    box = ax.get_window_extent().transformed(ax.figure.dpi_scale_trans.inverted())
    pt = 72 * box.width / np.diff(ax.get_xlim())[0]  # points per month
    ev = rows[rows["element"].isin(list(MARKERS))].sort_values(["row", "start_months"])
    ev = ev.assign(size=ev["element"].map({k: m[3] for k, m in MARKERS.items()}), lane=0,
                   x=ev["start_months"].astype(float))  # fmt: skip
    for _, g in ev.groupby("row"):
        lane, x = _lanes(g["x"].to_numpy() * pt, g["size"].to_numpy(), 72 * box.height / n * _LANE)
        ev.loc[g.index, ["lane", "x"]] = np.c_[lane, x / pt]
    for key, (marker, face, edge, size, _) in MARKERS.items():
        e = ev[ev["element"] == key]
        ax.plot(e["x"], e["row"] + _LANE * e["lane"], ls="none", marker=marker, mfc=face,
                mec=edge, mew=0.9, ms=size, zorder=3, gid=key)  # fmt: skip
    labelled = n <= max_labels
    ax.set_yticks(bars["row"] if labelled else [], bars["patient_id"] if labelled else [])
    ax.tick_params(axis="y", length=0)
    ax.set(ylabel="patients", xlabel=XLABEL)
    ax.grid(axis="x", color="0.88", linewidth=0.6, zorder=0)
    counts = bars.groupby("group", sort=False)["group_n"].first()
    # fmt: off
    handles = [Patch(facecolor=PALETTE[GROUP_STYLE[g][0]], edgecolor=PALETTE[GROUP_STYLE[g][0]],
                     hatch=GROUP_STYLE[g][1], alpha=0.45, linewidth=0,
                     label=f"{g} (n = {counts[g]})") for g in RESPONSE_GROUPS if g in counts]
    handles.append(Line2D([], [], color=PALETTE["all"], alpha=0.8, lw=2.2,
                          label=f"blinatumomab infusion ({config.INFUSION_DAYS} days)"))
    handles += [Line2D([], [], ls="none", marker=m, mfc=f, mec="black", mew=0.9, ms=s,
                       label=text) for m, f, _, s, text in MARKERS.values()]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0), ncol=2,
              borderaxespad=3.6, frameon=False, fontsize=FONT_SIZE, handlelength=1.6,
              columnspacing=1.0)
    # fmt: on
    return ax


def swimmer_figure(rows: pd.DataFrame, *, name: str | None = None):
    """The swimmer plot, 0.3 inches per patient plus the legend, saved as source data ``name``."""
    axes_h, below, above = _PITCH * max(int((rows["element"] == "follow-up").sum()), 1), 2.3, 0.15
    fig, ax = plt.subplots(figsize=(WIDTH, (h := axes_h + below + above)))
    fig.subplots_adjust(left=0.1, right=0.97, bottom=below / h, top=1 - above / h)
    swimmer_plot(rows, ax)
    save_source_data(name, rows)
    return fig
