"""Kaplan-Meier figures: step curves, censoring ticks, log-rank P and a number-at-risk table.

One look for every survival figure of the book, after R's *survminer*:

* one palette (:data:`PALETTE`, Okabe-Ito, colour-blind safe) in which a colour means a
  *role*, never a particular subgroup: black for a single curve (all patients), blue for
  the **reference** group and vermillion for the **comparison** group.  For a boolean
  subgroup flag of :func:`analysis.derive.flags` the patients *with* the flag (Ph-positive,
  >= 50% blasts, MRD responders, allo-HSCT in first remission) are always the comparison
  group, those without it the reference group;
* a line style per role as well (:data:`LINESTYLES`), so the curves stay apart in
  greyscale print;
* group sizes in the legend ("MRD responders (n = 12)"), the log-rank P on the plot;
* a number-at-risk table under each plot, on its own axes sharing the x axis, so the
  counts sit exactly under the time ticks.

Every number drawn comes from :mod:`analysis.survival`; :func:`figure_data` returns the
same numbers as a tidy DataFrame so that a build can be checked against the previous one.
The figures of the paper are listed in :data:`PAPER_FIGURES` (built by
:func:`paper_panels`), so the chapters and the checks draw the same panels.

Examples
--------
>>> from analysis import load_cohort, plots
>>> cohort = load_cohort()
>>> fig, axes, risk_axes = plots.km_grid(plots.paper_panels(cohort, 1))  # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib import pyplot as plt
from matplotlib.lines import Line2D

from . import derive, outcomes, survival

__all__ = [
    "PALETTE",
    "LINESTYLES",
    "ROLES",
    "XLABEL",
    "YLABELS",
    "RC",
    "SPLIT_LABELS",
    "SPLIT_SHORT_LABELS",
    "SPLIT_TITLES",
    "PAPER_FIGURES",
    "KMPanel",
    "PanelSpec",
    "set_style",
    "save_figure",
    "time_ticks",
    "format_p",
    "group_table",
    "logrank_p",
    "km_plot",
    "risk_table",
    "km_figure",
    "km_grid",
    "cohort_panels",
    "paper_panels",
    "figure_data",
    "panel_summary",
]

# ------------------------------------------------------------------------------ style

#: Colour of each curve role (Okabe & Ito's colour-blind-safe palette).
PALETTE: dict[str, str] = {
    "all": "#000000",  # a single curve: black
    "reference": "#0072B2",  # blue: patients without the flag (e.g. Ph-negative)
    "comparison": "#D55E00",  # vermillion: patients with the flag (e.g. Ph-positive)
    "third": "#009E73",  # bluish green
    "fourth": "#CC79A7",  # reddish purple
}

#: Line style of each role, so that the roles also differ in greyscale.
LINESTYLES: dict[str, str | tuple] = {
    "all": "-",
    "reference": "-",
    "comparison": (0, (5, 2)),  # dashed
    "third": (0, (5, 1.5, 1, 1.5)),  # dash-dot
    "fourth": (0, (1, 1.2)),  # dotted
}

#: Roles of the groups in their order (group 1, group 2, ...); one group is ``"all"``.
ROLES: tuple[str, ...] = ("reference", "comparison", "third", "fourth")

#: x-axis label of every survival figure.
XLABEL = "months since start of blinatumomab"

#: y-axis label by endpoint.
YLABELS: dict[str, str] = {
    "os": "overall survival probability",
    "rfs": "relapse-free survival probability",
}

#: rcParams for reproducible files: fixed SVG ids, embedded TrueType in PDF, sizes.
RC: dict[str, object] = {
    "svg.hashsalt": "blinatumomab-book",  # SVG element ids do not change between runs
    "svg.fonttype": "path",
    "pdf.fonttype": 42,
    "ps.fonttype": 42,
    "font.size": 9,
    "axes.titlesize": 9,
    "axes.labelsize": 9,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 8,
}

#: File metadata that would otherwise carry a date or a version string.
_METADATA: dict[str, dict[str, None]] = {
    "png": {"Software": None},
    "pdf": {"Creator": None, "Producer": None, "CreationDate": None},
    "svg": {"Creator": None, "Date": None},
}

#: Legend labels (without the flag, with the flag) of the subgroup flags the book splits by.
SPLIT_LABELS: dict[str, tuple[str, str]] = {
    "ph_positive": ("Ph-negative", "Ph-positive"),
    "high_blasts": ("< 50% marrow blasts", "≥ 50% marrow blasts"),
    "mrd_response": ("MRD non-responders", "MRD responders"),
    "hsct_first_remission": ("no allo-HSCT in first CR", "allo-HSCT in first CR"),
    "hsct": ("no allo-HSCT", "allo-HSCT"),
    "cr": ("no CR", "CR"),
    "male": ("female", "male"),
    "age_le18": ("age > 18 years", "age ≤ 18 years"),
    "emd": ("no extramedullary disease", "extramedullary disease"),
    "prior_allo_hsct": ("no previous allo-HSCT", "previous allo-HSCT"),
}

#: Short labels of the same groups for the rows of the number-at-risk tables.
SPLIT_SHORT_LABELS: dict[str, tuple[str, str]] = {
    "ph_positive": ("Ph−", "Ph+"),
    "high_blasts": ("< 50%", "≥ 50%"),
    "mrd_response": ("non-resp.", "resp."),
    "hsct_first_remission": ("no allo-HSCT", "allo-HSCT"),
    "hsct": ("no allo-HSCT", "allo-HSCT"),
    "age_le18": ("> 18 years", "≤ 18 years"),
    "emd": ("no EMD", "EMD"),
    "prior_allo_hsct": ("no prior HSCT", "prior HSCT"),
}

#: Panel titles by split (``None``: no split).
SPLIT_TITLES: dict[str | None, str] = {
    None: "",
    "ph_positive": "by Ph status",
    "high_blasts": "by marrow blasts",
    "mrd_response": "by MRD response",
    "hsct_first_remission": "by allo-HSCT",
    "hsct": "by allo-HSCT",
    "cr": "by response",
}


def set_style(*, inline: bool = True) -> None:
    """Apply :data:`RC` and, in IPython, drop the PNG ``Software`` metadata of inline figures.

    Parameters
    ----------
    inline : bool, default True
        Also select the inline backend's ``retina`` PNG (as
        :func:`analysis.display.setup_figures` does) with no ``Software`` metadata.

    Returns
    -------
    None

    Notes
    -----
    Matplotlib writes no timestamp into PNG; it writes one into PDF and SVG unless the
    metadata is removed, as :func:`save_figure` does.  With the same library versions
    and fonts, the same figure then gives the same bytes on every build.
    """
    mpl.rcParams.update(RC)
    if not inline:
        return
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency of the book
        return
    if get_ipython() is None:
        return
    from matplotlib_inline.backend_inline import set_matplotlib_formats

    set_matplotlib_formats("retina", metadata=dict(_METADATA["png"]))


def save_figure(fig, path: str | Path, **kwargs) -> Path:
    """Save ``fig`` without dates or version strings in the file (PNG, PDF or SVG).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    path : str or Path
        Output file; the suffix selects the format.
    **kwargs
        Passed to :meth:`matplotlib.figure.Figure.savefig` (``dpi``, ...).

    Returns
    -------
    pathlib.Path
        The path written.
    """
    path = Path(path)
    fmt = path.suffix.lstrip(".").lower()
    kwargs.setdefault("metadata", dict(_METADATA.get(fmt, {})))
    with mpl.rc_context({"svg.hashsalt": RC["svg.hashsalt"]}):
        fig.savefig(path, **kwargs)
    return path


# ------------------------------------------------------------------------------ helpers


def time_ticks(tmax: float, max_ticks: int = 7) -> np.ndarray:
    """Evenly spaced time ticks from 0 covering ``tmax`` (steps of 1, 2, 3, 6, 12... months).

    Parameters
    ----------
    tmax : float
        Longest time to cover.
    max_ticks : int, default 7
        Most ticks wanted (including 0).

    Returns
    -------
    numpy.ndarray
        Ticks ``0, s, 2s, ...`` with the last one ``>= tmax``.

    Examples
    --------
    >>> time_ticks(28.5).tolist()
    [0.0, 6.0, 12.0, 18.0, 24.0, 30.0]
    """
    if not np.isfinite(tmax) or tmax <= 0:
        return np.array([0.0, 1.0])
    for step in (0.25, 0.5, 1, 2, 3, 6, 12, 24, 36, 60, 120, 240, 600, 1200):
        n = math.ceil(tmax / step - 1e-9)
        if n + 1 <= max_ticks:
            return np.arange(n + 1, dtype=float) * step
    step = 10 ** math.ceil(math.log10(tmax / (max_ticks - 1)))
    return np.arange(math.ceil(tmax / step) + 1, dtype=float) * step


def format_p(p: float, *, prefix: str = "log-rank P") -> str:
    """The log-rank P as printed on the figures: ``"log-rank P = 0.023"``.

    Three decimals, ``"< 0.001"`` below 0.001, and ``"... not computable"`` for ``nan``
    (a group without patients, or no events).

    Examples
    --------
    >>> format_p(0.02291)
    'log-rank P = 0.023'
    >>> format_p(float("nan"))
    'log-rank P not computable'
    """
    text = _p_value(p)
    return f"{prefix} = {text}" if text[0].isdigit() else f"{prefix} {text}"


def _p_value(p: float) -> str:
    """``"0.023"``, ``"< 0.001"`` or ``"not computable"``."""
    if p is None or not np.isfinite(p):
        return "not computable"
    if p < 0.001:
        return "< 0.001"
    return f"{p:.3f}"


def _is_boolean(values: pd.Series) -> bool:
    if pd.api.types.is_bool_dtype(values):
        return True
    present = values.dropna()
    return len(present) > 0 and set(present.unique()) <= {True, False}


@dataclass(frozen=True)
class _Group:
    role: str
    value: object
    label: str
    mask: np.ndarray
    short: str = ""


def _group_values(data: pd.DataFrame, group) -> tuple[str | None, pd.Series | None]:
    if group is None:
        return None, None
    if isinstance(group, str):
        if group not in data.columns:
            raise KeyError(f"group column {group!r} not in the data")
        return group, data[group]
    values = pd.Series(np.asarray(group), index=data.index)
    if len(values) != len(data):
        raise ValueError("group must have one value per row of data")
    return None, values


def _groups(data: pd.DataFrame, group=None, labels=None) -> list[_Group]:
    """Split ``data`` into curves: role, value, label and row mask of each."""
    name, values = _group_values(data, group)
    if values is None:
        if isinstance(labels, str):
            label = labels
        elif isinstance(labels, Sequence) and len(labels) == 1:
            label = str(labels[0])
        else:
            label = "all patients"
        return [_Group("all", None, label, np.ones(len(data), bool), label)]
    if _is_boolean(values):
        levels: list = [False, True]
        defaults = SPLIT_LABELS.get(name or "")
        if defaults is None and name in derive.FLAG_LABELS:
            defaults = (f"not {derive.FLAG_LABELS[name]}", derive.FLAG_LABELS[name])
        defaults = defaults or ("no", "yes")
        default_label = dict(zip(levels, defaults))
    else:
        levels = list(labels) if isinstance(labels, Mapping) else sorted(values.dropna().unique())
        default_label = {v: str(v) for v in levels}
    if len(levels) > len(ROLES):
        raise ValueError(f"at most {len(ROLES)} groups can be drawn, got {len(levels)}")
    if isinstance(labels, Mapping):
        text = {v: str(labels.get(v, default_label[v])) for v in levels}
    elif labels is not None and not isinstance(labels, str):
        if len(labels) != len(levels):
            raise ValueError(f"need {len(levels)} labels for the groups {levels}")
        text = {v: str(lab) for v, lab in zip(levels, labels)}
    else:
        text = default_label
    short = dict(text)
    if labels is None and name in SPLIT_SHORT_LABELS and levels == [False, True]:
        short = dict(zip(levels, SPLIT_SHORT_LABELS[name]))
    out = []
    for role, v in zip(ROLES, levels):
        mask = (values == v).fillna(False).to_numpy(dtype=bool)
        out.append(_Group(role, v, text[v], mask, short[v]))
    return out


def _time_event(data: pd.DataFrame, time: str, event: str) -> tuple[np.ndarray, np.ndarray]:
    return data[time].to_numpy(dtype=float), data[event].to_numpy(dtype=float)


def group_table(
    data: pd.DataFrame, group=None, *, labels=None, time: str = "time", event: str = "event"
) -> pd.DataFrame:
    """Size, events and censorings of each curve.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per patient with the ``time`` and ``event`` columns.
    group : str, array-like or None
        Column of ``data`` (or values aligned with it) defining the curves.
    labels : sequence, mapping or str, optional
        Curve labels; see :func:`km_plot`.

    Returns
    -------
    pandas.DataFrame
        Columns ``role``, ``label``, ``n``, ``events``, ``censored``, ``color``.
    """
    t, e = _time_event(data, time, event)
    rows = []
    for g in _groups(data, group, labels):
        rows.append(
            {
                "role": g.role,
                "label": g.label,
                "n": int(g.mask.sum()),
                "events": int(e[g.mask].sum()),
                "censored": int((1 - e[g.mask]).sum()),
                "color": PALETTE[g.role],
            }
        )
    return pd.DataFrame(rows)


def logrank_p(
    data: pd.DataFrame, group, *, time: str = "time", event: str = "event", labels=None
) -> float:
    """Two-group log-rank P of :func:`analysis.survival.logrank`; ``nan`` when not computable.

    ``nan`` when there are not exactly two groups, a group has no patients, or there is
    no event.
    """
    groups = _groups(data, group, labels)
    if len(groups) != 2 or not all(g.mask.any() for g in groups):
        return float("nan")
    keep = groups[0].mask | groups[1].mask
    t, e = _time_event(data, time, event)
    return float(survival.logrank(t[keep], e[keep], groups[1].mask[keep]).p_value)


# ------------------------------------------------------------------------------ drawing


def km_plot(
    data: pd.DataFrame,
    group=None,
    *,
    ax=None,
    labels=None,
    time: str = "time",
    event: str = "event",
    title: str | None = None,
    ci: bool = False,
    censor: bool = True,
    pvalue: bool = True,
    xticks=None,
    xlabel: str = XLABEL,
    ylabel: str = "survival probability",
    legend: bool = True,
):
    """Kaplan-Meier curves of ``data``, one per group.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per patient with a ``time`` (months) and an ``event`` (0/1) column, for
        example :func:`analysis.derive.os_table` joined with :func:`analysis.derive.flags`.
    group : str, array-like or None
        Column of ``data`` (or values aligned with it) splitting the curves.  A boolean
        column gives two curves, without (reference) and with the flag (comparison),
        both always listed, even when one has no patients.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on (default: the current axes).
    labels : sequence, mapping or str, optional
        Curve labels, by group value (mapping) or in group order (sequence; for a
        boolean group ``(without, with)``); a str for a single curve.  Defaults to
        :data:`SPLIT_LABELS`, then to :data:`analysis.derive.FLAG_LABELS`.
    time, event : str
        Column names.
    title : str, optional
        Title shown above the legend (panel letter and subject).
    ci : bool, default False
        Shade the pointwise 95% confidence band (log(-log), as in Stata).
    censor : bool, default True
        Mark censored times with a ``+`` on the curve.
    pvalue : bool, default True
        Print the two-group log-rank P (:func:`format_p`) in the lower left corner.
    xticks : array-like, optional
        Time ticks (default :func:`time_ticks` of the longest time); the x axis runs from
        0 to the last tick.
    xlabel, ylabel : str
        Axis labels.
    legend : bool, default True
        Draw the legend ("label (n = k)") above the plot.

    Returns
    -------
    matplotlib.axes.Axes
        ``ax``, with the curves, the legend and (``gid="logrank-p"``) the P text.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from analysis import derive, load_cohort
    >>> cohort = load_cohort()
    >>> data = derive.os_table(cohort).join(derive.flags(cohort))
    >>> ax = km_plot(data, "mrd_response", ax=plt.figure().gca())
    >>> [t.get_text() for t in ax.texts]
    ['log-rank P = 0.023']
    """
    ax = plt.gca() if ax is None else ax
    t, e = _time_event(data, time, event)
    groups = _groups(data, group, labels)
    handles, texts = [], []
    for g in groups:
        color, ls = PALETTE[g.role], LINESTYLES[g.role]
        n = int(g.mask.sum())
        handle = Line2D([], [], color=color, linestyle=ls, linewidth=1.6)
        if n:
            km = survival.kaplan_meier(t[g.mask], e[g.mask])
            ax.step(
                km["time"],
                km["survival"],
                where="post",
                color=color,
                linestyle=ls,
                linewidth=1.6,
                gid=f"km-{g.role}",
                clip_on=False,
                zorder=3,
            )
            if ci:
                ax.fill_between(
                    km["time"],
                    km["ci_lower"],
                    km["ci_upper"],
                    step="post",
                    color=color,
                    alpha=0.15,
                    linewidth=0,
                    zorder=1,
                )
            if censor:
                cens = km[km["n_censored"] > 0]
                ax.plot(
                    cens["time"],
                    cens["survival"],
                    linestyle="none",
                    marker="+",
                    markersize=7,
                    markeredgewidth=1.2,
                    color=color,
                    clip_on=False,
                    gid=f"censor-{g.role}",
                    zorder=4,
                )
        handles.append(handle)
        texts.append(f"{g.label} (n = {n})")
    if pvalue and len(groups) == 2:
        p = logrank_p(data, group, time=time, event=event, labels=labels)
        ax.text(
            0.02,
            0.03,
            format_p(p),
            transform=ax.transAxes,
            ha="left",
            va="bottom",
            fontsize=8,
            gid="logrank-p",
            zorder=5,
            bbox={
                "boxstyle": "square,pad=0.2",
                "facecolor": "white",
                "edgecolor": "none",
                "alpha": 0.85,
            },
        )
    if len(data) == 0:
        ax.text(
            0.5,
            0.5,
            "no patients",
            transform=ax.transAxes,
            ha="center",
            va="center",
            color="0.4",
            gid="no-patients",
        )
    ticks = np.asarray(
        time_ticks(float(np.max(t)) if len(t) else 0.0) if xticks is None else xticks, dtype=float
    )
    ax.set_xticks(ticks)
    ax.set_xticklabels([f"{x:g}" for x in ticks])
    ax.set_xlim(0, ticks[-1])
    ax.set_ylim(0, 1.0)
    ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0])
    ax.set_yticklabels(["0", "0.25", "0.50", "0.75", "1.00"])
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.spines[["top", "right"]].set_visible(False)
    ax.spines[["left", "bottom"]].set_position(("outward", 3))
    ax.tick_params(direction="out", length=3)
    if legend:
        leg = ax.legend(
            handles,
            texts,
            loc="lower left",
            bbox_to_anchor=(0.0, 1.02),
            borderaxespad=0.0,
            frameon=False,
            handlelength=2.6,
            title=title,
            alignment="left",
        )
        if title:
            leg.get_title().set_fontsize(mpl.rcParams["axes.titlesize"])
    elif title:
        ax.set_title(title, loc="left")
    return ax


def risk_table(
    ax,
    data: pd.DataFrame,
    group=None,
    *,
    at,
    labels=None,
    time: str = "time",
    title: str = "number at risk",
):
    """Number-at-risk table on ``ax``: one row per curve, one count under each time in ``at``.

    Rows are labelled with the short group labels (:data:`SPLIT_SHORT_LABELS`) in the
    curves' colours, in the order of the legend.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Axes under the Kaplan-Meier plot, sharing its x axis (see :func:`km_figure`).
    data, group, labels, time
        As for :func:`km_plot`.
    at : array-like
        Times of the counts (the x ticks of the plot).
    title : str
        Heading of the table.

    Returns
    -------
    matplotlib.axes.Axes
        ``ax``; each count is a text with ``gid="at-risk-<role>"``.

    Notes
    -----
    The counts are :func:`analysis.survival.at_risk_counts`: patients whose time is
    ``>= t``, as in survminer and lifelines.
    """
    at = np.asarray(at, dtype=float)
    tt = data[time].to_numpy(dtype=float)
    groups = _groups(data, group, labels)
    for row, g in enumerate(groups):
        counts = survival.at_risk_counts(tt[g.mask], at)
        for x, c in zip(at, counts):
            ax.text(
                x,
                row,
                str(int(c)),
                ha="center",
                va="center",
                fontsize=8,
                color=PALETTE[g.role],
                gid=f"at-risk-{g.role}",
            )
    ax.set_ylim(len(groups) - 0.5, -0.5)
    ax.set_yticks(range(len(groups)))
    ax.set_yticklabels([g.short or g.label for g in groups], fontsize=8)
    for tick, g in zip(ax.get_yticklabels(), groups):
        tick.set_color(PALETTE[g.role])
    ax.tick_params(axis="both", length=0)
    ax.tick_params(axis="y", pad=12)  # clear of the counts centred on t = 0
    ax.tick_params(axis="x", labelbottom=False)
    for side in ("top", "right", "bottom", "left"):
        ax.spines[side].set_visible(False)
    ax.set_title(title, loc="left", fontsize=8, pad=2)
    return ax


def _risk_height(n_groups: int) -> float:
    return 0.18 * n_groups + 0.22


@dataclass(frozen=True)
class KMPanel:
    """One Kaplan-Meier panel: the data, how to split it, and its text.

    Attributes
    ----------
    data : pandas.DataFrame
        One row per patient with ``time``, ``event`` and the ``group`` column.
    group : str or None
        Column splitting the curves (``None``: one curve).
    labels : sequence, mapping or str, optional
        Curve labels (see :func:`km_plot`).
    title : str
        Subject of the panel, shown after its letter.
    ylabel : str
        y-axis label.
    ci : bool
        Shade the confidence band.
    """

    data: pd.DataFrame
    group: str | None = None
    labels: object = None
    title: str = ""
    ylabel: str = "survival probability"
    ci: bool = False


def _panel_title(letter: str, title: str) -> str:
    head = rf"$\mathbf{{{letter}}}$" if letter else ""
    return f"{head}  {title}".strip()


def km_figure(
    data: pd.DataFrame,
    group=None,
    *,
    labels=None,
    title: str | None = None,
    figsize: tuple[float, float] = (5.0, 4.2),
    risk: bool = True,
    **kwargs,
):
    """A Kaplan-Meier plot with its number-at-risk table underneath.

    Parameters
    ----------
    data, group, labels, title
        As for :func:`km_plot`.
    figsize : tuple of float
        Figure size in inches.
    risk : bool, default True
        Add the number-at-risk table.
    **kwargs
        Passed to :func:`km_plot` (``ci``, ``ylabel``, ``xticks``, ...).

    Returns
    -------
    tuple
        ``(fig, ax, ax_risk)``; ``ax_risk`` is ``None`` without a risk table.
    """
    n_groups = len(_groups(data, group, labels))
    fig = plt.figure(figsize=figsize, layout="constrained")
    if risk:
        gs = fig.add_gridspec(
            2, 1, height_ratios=[figsize[1] - _risk_height(n_groups), _risk_height(n_groups)]
        )
        ax = fig.add_subplot(gs[0])
        ax_risk = fig.add_subplot(gs[1], sharex=ax)
    else:
        ax, ax_risk = fig.add_subplot(), None
    km_plot(data, group, ax=ax, labels=labels, title=title, **kwargs)
    if ax_risk is not None:
        risk_table(
            ax_risk, data, group, at=ax.get_xticks(), labels=labels, time=kwargs.get("time", "time")
        )
    return fig, ax, ax_risk


def _common_ticks(panels: Sequence[KMPanel]) -> np.ndarray:
    tmax = max((float(p.data["time"].max()) for p in panels if len(p.data)), default=0.0)
    return time_ticks(tmax)


def km_grid(
    panels: Sequence[KMPanel],
    *,
    ncols: int = 2,
    panel_size=(3.1, 3.4),
    letters: str = "abcdefghijkl",
    risk: bool = True,
):
    """Panels a, b, c, ... of Kaplan-Meier plots, each with its number-at-risk table.

    Parameters
    ----------
    panels : sequence of KMPanel
        The panels in reading order (see :func:`cohort_panels`, :func:`paper_panels`).
    ncols : int, default 2
        Panels per row.
    panel_size : tuple of float
        Width and height of one panel (plot, legend and risk table) in inches.
    letters : str
        Panel letters, in order.
    risk : bool, default True
        Add the number-at-risk tables.

    Returns
    -------
    tuple
        ``(fig, axes, risk_axes)``: lists with one plot axes and one risk-table axes (or
        ``None``) per panel.  All panels share the same time ticks.
    """
    panels = list(panels)
    if not panels:
        raise ValueError("km_grid needs at least one panel")
    ncols = min(ncols, len(panels))
    nrows = math.ceil(len(panels) / ncols)
    width, height = panel_size
    fig = plt.figure(figsize=(width * ncols, height * nrows), layout="constrained")
    ticks = _common_ticks(panels)
    n_rows_risk = max(len(_groups(p.data, p.group, p.labels)) for p in panels)
    # One grid for all plots and risk tables, so that constrained layout aligns the
    # columns of every row (sub-grids would each get their own margins).
    if risk:
        ratios = [height - _risk_height(n_rows_risk), _risk_height(n_rows_risk)] * nrows
        grid = fig.add_gridspec(2 * nrows, ncols, height_ratios=ratios)
    else:
        grid = fig.add_gridspec(nrows, ncols)
    axes, risk_axes = [], []
    for i, panel in enumerate(panels):
        row, col = divmod(i, ncols)
        title = _panel_title(letters[i], panel.title)
        if risk:
            ax = fig.add_subplot(grid[2 * row, col])
            ax_risk = fig.add_subplot(grid[2 * row + 1, col], sharex=ax)
        else:
            ax, ax_risk = fig.add_subplot(grid[row, col]), None
        km_plot(
            panel.data,
            panel.group,
            ax=ax,
            labels=panel.labels,
            title=title,
            ci=panel.ci,
            xticks=ticks,
            ylabel=panel.ylabel,
        )
        if ax_risk is not None:
            risk_table(ax_risk, panel.data, panel.group, at=ticks, labels=panel.labels)
        axes.append(ax)
        risk_axes.append(ax_risk)
    return fig, axes, risk_axes


# ------------------------------------------------------------------------------ the paper's panels


@dataclass(frozen=True)
class PanelSpec:
    """A panel of the paper: endpoint, split and population.

    Attributes
    ----------
    endpoint : {"os", "rfs"}
        Overall survival (all patients) or relapse-free survival (patients in CR).
    split : str or None
        Flag of :func:`analysis.derive.flags` splitting the curves.
    among : str or None
        Flag restricting the patients (e.g. ``"cr"``).
    """

    endpoint: str
    split: str | None = None
    among: str | None = None


#: The Kaplan-Meier figures of the paper (Results, Survival outcomes; Figures 1-3).
PAPER_FIGURES: dict[int, tuple[PanelSpec, ...]] = {
    1: tuple(PanelSpec("os", s) for s in (None, "ph_positive", "high_blasts", "mrd_response")),
    2: tuple(PanelSpec("rfs", s) for s in (None, "ph_positive", "high_blasts", "mrd_response")),
    3: (PanelSpec("os", "hsct_first_remission", "cr"), PanelSpec("rfs", "hsct_first_remission")),
}


def _endpoint_data(cohort: pd.DataFrame, endpoint: str, among: str | None) -> pd.DataFrame:
    flags = derive.flags(cohort)
    if endpoint == "os":
        data = derive.os_table(cohort)
    elif endpoint == "rfs":
        data = derive.rfs_table(cohort)
    else:
        raise ValueError(f"unknown endpoint {endpoint!r}; use 'os' or 'rfs'")
    data = data.join(flags, how="left")
    if among is not None:
        data = data[data[among].to_numpy(dtype=bool)]
    return data


def _population(endpoint: str, among: str | None) -> str:
    base = "all patients" if endpoint == "os" else "patients in CR"
    if among and not (endpoint == "rfs" and among == "cr"):
        base = "patients in CR" if among == "cr" else derive.FLAG_LABELS.get(among, among)
    return base


def cohort_panels(
    cohort: pd.DataFrame,
    endpoint: str = "os",
    splits: Sequence[str | None] = (None,),
    among: str | None = None,
) -> list[KMPanel]:
    """Panels of one endpoint of a cohort, one per split.

    Parameters
    ----------
    cohort : pandas.DataFrame
        Cohort table (:func:`analysis.data.load_cohort`).
    endpoint : {"os", "rfs"}
        Overall survival (every patient) or relapse-free survival (patients in CR,
        :func:`analysis.derive.rfs_table`).
    splits : sequence of str or None
        Flags of :func:`analysis.derive.flags` to split by; ``None`` for one curve.
    among : str, optional
        Flag restricting the patients, e.g. ``"cr"``.

    Returns
    -------
    list of KMPanel
    """
    data = _endpoint_data(cohort, endpoint, among)
    population = _population(endpoint, among)
    panels = []
    for split in splits:
        title = SPLIT_TITLES.get(split, f"by {derive.FLAG_LABELS.get(split, split)}")
        panels.append(
            KMPanel(
                data=data,
                group=split,
                labels=population if split is None else None,
                title=f"{population}, {title}" if title else population,
                ylabel=YLABELS[endpoint],
                ci=split is None,
            )
        )
    return panels


def paper_panels(cohort: pd.DataFrame, figure: int) -> list[KMPanel]:
    """The panels of the paper's Figure ``figure`` (1, 2 or 3) for a cohort.

    See :data:`PAPER_FIGURES` for what each panel shows.
    """
    try:
        specs = PAPER_FIGURES[int(figure)]
    except KeyError:
        raise KeyError(f"no Figure {figure}; the paper has {sorted(PAPER_FIGURES)}") from None
    panels: list[KMPanel] = []
    for spec in specs:
        panels += cohort_panels(cohort, spec.endpoint, [spec.split], spec.among)
    return panels


# ------------------------------------------------------------------------------ numbers


_DATA_COLUMNS = [
    "panel",
    "title",
    "table",
    "role",
    "label",
    "n",
    "time",
    "n_at_risk",
    "n_event",
    "n_censored",
    "survival",
    "se",
    "ci_lower",
    "ci_upper",
    "statistic",
    "p_value",
]


def _one_panel_data(data, group, labels, at, time, event) -> pd.DataFrame:
    t, e = _time_event(data, time, event)
    groups = _groups(data, group, labels)
    parts = []
    for g in groups:
        n = int(g.mask.sum())
        if n:
            km = survival.kaplan_meier(t[g.mask], e[g.mask])
            parts.append(km.assign(table="km", role=g.role, label=g.label, n=n))
        counts = survival.at_risk_counts(t[g.mask], at)
        parts.append(
            pd.DataFrame(
                {
                    "table": "at_risk",
                    "role": g.role,
                    "label": g.label,
                    "n": n,
                    "time": at,
                    "n_at_risk": counts,
                }
            )
        )
    if len(groups) == 2:
        p, stat = float("nan"), float("nan")
        if all(g.mask.any() for g in groups):
            keep = groups[0].mask | groups[1].mask
            res = survival.logrank(t[keep], e[keep], groups[1].mask[keep])
            p, stat = res.p_value, res.statistic
        parts.append(
            pd.DataFrame(
                {
                    "table": ["logrank"],
                    "role": ["comparison"],
                    "label": [f"{groups[1].label} vs {groups[0].label}"],
                    "n": [int(sum(g.mask.sum() for g in groups))],
                    "statistic": [stat],
                    "p_value": [p],
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def figure_data(
    data, group=None, *, labels=None, at=None, time: str = "time", event: str = "event"
) -> pd.DataFrame:
    """The numbers behind a Kaplan-Meier figure as one tidy DataFrame.

    Parameters
    ----------
    data : pandas.DataFrame or sequence of KMPanel
        The data of one plot (with ``group`` and ``labels`` as for :func:`km_plot`), or
        the panels of a figure (as for :func:`km_grid`, with the same common ticks).
    group, labels, time, event
        As for :func:`km_plot` (one plot only).
    at : array-like, optional
        Times of the at-risk counts; default the figure's x ticks.

    Returns
    -------
    pandas.DataFrame
        One row per number, with ``table`` saying which:

        * ``km``: the Kaplan-Meier table of each curve (:func:`analysis.survival.kaplan_meier`:
          ``time``, ``n_at_risk``, ``n_event``, ``n_censored``, ``survival``, ``se``,
          ``ci_lower``, ``ci_upper``);
        * ``at_risk``: the counts of the risk table (``time``, ``n_at_risk``);
        * ``logrank``: the two-group test (``statistic``, ``p_value``; ``nan`` when not
          computable).

        ``panel`` (letter; empty for one plot), ``title``, ``role``, ``label`` and ``n``
        (patients in the curve) identify the rows.  The row order is fixed, so two builds
        can be compared with :meth:`pandas.DataFrame.equals` or as CSV.

    Examples
    --------
    >>> from analysis import load_cohort
    >>> d = figure_data(paper_panels(load_cohort(), 1))
    >>> round(float(d.query("panel == 'd' and table == 'logrank'").p_value.iloc[0]), 3)
    0.023
    """
    if isinstance(data, pd.DataFrame):
        ticks = time_ticks(float(data[time].max()) if len(data) else 0.0) if at is None else at
        out = _one_panel_data(data, group, labels, np.asarray(ticks, float), time, event)
        out = out.assign(panel="", title="")
    else:
        panels = list(data)
        ticks = _common_ticks(panels) if at is None else np.asarray(at, float)
        frames = []
        for letter, p in zip("abcdefghijkl", panels):
            frames.append(
                _one_panel_data(p.data, p.group, p.labels, ticks, "time", "event").assign(
                    panel=letter, title=p.title
                )
            )
        out = pd.concat(frames, ignore_index=True)
    out = out.reindex(columns=_DATA_COLUMNS)
    for c in ("n", "n_at_risk", "n_event", "n_censored"):
        out[c] = out[c].astype("Int64")
    for c in ("time", "survival", "se", "ci_lower", "ci_upper", "statistic", "p_value"):
        out[c] = out[c].astype(float)
    return out


def panel_summary(panels: Sequence[KMPanel], months: float = 12.0) -> pd.DataFrame:
    """One row per curve of a figure: size, events, estimate at ``months``, median, log-rank P.

    Parameters
    ----------
    panels : sequence of KMPanel
        The panels of a figure, lettered a, b, ... in order (as :func:`km_grid` does).
    months : float, default 12
        Landmark of the survival estimate.

    Returns
    -------
    pandas.DataFrame
        Display-ready columns ``Panel``, ``Patients``, ``n``, ``Events``, the estimate at
        ``months`` (``"64.2% ± 12.1%"``, Greenwood SE, or why it is not estimable),
        ``Median`` and ``Log-rank P`` (on the first row of each two-group comparison).
        :func:`figure_data` has the same numbers unrounded.
    """
    rows = []
    for letter, panel in zip("abcdefghijkl", panels):
        groups = _groups(panel.data, panel.group, panel.labels)
        p = ""
        if len(groups) == 2:
            p = _p_value(logrank_p(panel.data, panel.group, labels=panel.labels))
        for i, g in enumerate(groups):
            s = outcomes.km_summary(panel.data[g.mask], months)
            rows.append(
                {
                    "Panel": letter if i == 0 else "",
                    "Patients": g.label,
                    "n": s["n"],
                    "Events": s["events"],
                    f"{months:g}-month estimate ± SE": s["survival_text"],
                    "Median": s["median_text"],
                    "Log-rank P": p if i == 0 else "",
                }
            )
    return pd.DataFrame(rows)
