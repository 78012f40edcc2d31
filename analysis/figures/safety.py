"""Adverse-event tiles, each patient's worst grade of each term (seaborn heatmap): draws
:func:`analysis.results.safety.tiles` and computes nothing."""

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch

from ..display import save_source_data
from .theme import WIDTH

#: Colours of grades 1-5, light to dark (sequential, readable in greyscale); of no event.
GRADE_COLOURS, NO_EVENT = ("#fdd49e", "#fc8d59", "#d7301f", "#7f0000", "#000000"), "#eeeeee"
#: Most patients whose tiles are labelled with the grade and every patient id.
MAX_LABELLED = 40


def ae_tiles(tiles: pd.DataFrame, ax=None):
    """Tiles of ``tiles`` (terms by row, patients by column) on ``ax``; returns ``ax``."""
    ax = plt.gca() if ax is None else ax
    rows, columns = tiles["event"].unique(), tiles["patient_id"].unique()
    grid, labels = (tiles.pivot(index="event", columns="patient_id", values=v)
                    .reindex(index=rows, columns=columns) for v in ("grade", "label"))  # fmt: skip
    few = len(columns) <= MAX_LABELLED  # else no grade in the tiles, no gaps, fewer ticks
    sns.heatmap(grid, ax=ax, vmin=0.5, vmax=5.5, cmap=ListedColormap(GRADE_COLOURS), cbar=False,
                linewidths=2 * few, linecolor="white", xticklabels=True if few else "auto",
                annot=labels if few else None, fmt="")  # fmt: skip
    ax.set_facecolor(NO_EVENT)
    ax.set(xlabel="patient", ylabel="")
    ax.tick_params(axis="both", length=0)
    ax.tick_params(axis="x", labelrotation=90)
    handles = [Patch(color=c, label=str(g)) for g, c in enumerate(GRADE_COLOURS, 1)]
    ax.legend(handles=[*handles, Patch(color=NO_EVENT, label="none")], ncols=6, frameon=False,
              loc="lower left", bbox_to_anchor=(0, 1), title="worst grade",
              alignment="left", handlelength=1, columnspacing=1.2)  # fmt: skip
    return ax


def ae_tiles_figure(tiles: pd.DataFrame, *, name: str | None = None):
    """The tiles, saved as source data ``name``."""
    size = (WIDTH, 1.6 + 0.34 * tiles["event"].nunique())
    fig, ax = plt.subplots(figsize=size, layout="constrained")
    ae_tiles(tiles, ax)
    save_source_data(name, tiles)
    return fig
