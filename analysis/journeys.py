"""Patient journeys: a swimmer plot of every course and a CONSORT-style patient flow.

The swimmer plot draws one horizontal bar per patient from the start of blinatumomab to
death or the last follow-up, with markers for what happened on the way.  The patient
flow counts how the cohort divides at each step of the paper's narrative (marrow blasts,
response, MRD response, transplant, relapse, status at last follow-up) and
:func:`flow_diagram` draws it with matplotlib boxes and arrows (no graphviz).

Timing that the data do not record is approximated, and the approximations are named
here once:

* **Cycles.**  A cycle is a 28-day continuous infusion; cycles start every 6 weeks
  (28 days of infusion and a 14-day treatment-free interval), consecutively from month 0
  (:data:`INFUSION_DAYS`, :data:`CYCLE_DAYS`).  A patient who relapsed and received more
  than one cycle had the first before the relapse and the others from the relapse on
  (the paper: a second cycle after a marrow relapse, Results, *Survival outcomes*).
* **Response.**  The table records *whether* a patient reached CR and MRD negativity,
  not when.  The marker is put at the end of the first cycle (6 weeks, about 1.4 months:
  the marrow is assessed "within two weeks after treatment", Methods), or at the end of
  the first infusion (28 days) when the next event comes earlier than 6 weeks plus a
  small margin (:data:`RESPONSE_MARGIN_MONTHS`), so that the marker stays before it.

Examples
--------
>>> from analysis import load_cohort, journeys
>>> cohort = load_cohort()
>>> flow = journeys.patient_flow(cohort)
>>> flow.n("overt_cr")
12
>>> ax = journeys.swimmer_plot(cohort)  # doctest: +SKIP
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.container import BarContainer
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Patch

from .derive import as_bool, flags
from .plots import PALETTE, XLABEL, time_ticks
from .reconstruct import CYCLE_DAYS as INFUSION_DAYS
from .reconstruct import CYCLE_GAP_DAYS
from .schema import DAYS_PER_MONTH

__all__ = [
    "INFUSION_DAYS",
    "CYCLE_DAYS",
    "RESPONSE_MONTHS",
    "RESPONSE_MARGIN_MONTHS",
    "RESPONSE_GROUPS",
    "GROUP_STYLE",
    "MARKERS",
    "response_group",
    "cycle_table",
    "events_table",
    "swimmer_order",
    "swimmer_plot",
    "course_summary",
    "PatientFlow",
    "FLOW_STAGES",
    "patient_flow",
    "flow_diagram",
]

#: Days from the start of one cycle to the start of the next (28 + 14).
CYCLE_DAYS: int = INFUSION_DAYS + CYCLE_GAP_DAYS

#: Where the response marker goes: the end of cycle 1 (6 weeks), in months.
RESPONSE_MONTHS: float = CYCLE_DAYS / DAYS_PER_MONTH

#: If the next event is within this margin after 6 weeks (or earlier), the response marker
#: moves to the end of the first infusion (28 days) so that it stays before the event.
RESPONSE_MARGIN_MONTHS: float = 0.25

#: Response groups (colours of the bars), in plotting order.
RESPONSE_GROUPS: tuple[str, ...] = ("CR, MRD response", "CR, no MRD response", "no CR")

#: Bar colour and hatch per response group (Okabe-Ito colours of :data:`analysis.plots.PALETTE`;
#: the hatch keeps the groups apart in greyscale).
GROUP_STYLE: dict[str, dict[str, str]] = {
    "CR, MRD response": {"color": PALETTE["reference"], "hatch": ""},
    "CR, no MRD response": {"color": PALETTE["fourth"], "hatch": "...."},
    "no CR": {"color": PALETTE["comparison"], "hatch": "////"},
}

#: Marker of each event type: matplotlib marker, face colour, size (points) and legend text.
#: Shapes differ so that the plot reads in greyscale.
MARKERS: dict[str, dict] = {
    "cr": dict(
        marker="o", mfc="white", mec="black", ms=6.5, label="CR, MRD-positive (≈ end of cycle 1)"
    ),
    "cr_mrd_negative": dict(
        marker="o", mfc="black", mec="white", ms=7, label="CR, MRD-negative (≈ end of cycle 1)"
    ),
    "hsct": dict(marker="*", mfc="black", mec="black", ms=10, label="allo-HSCT"),
    "car_t": dict(marker="D", mfc="white", mec="black", ms=6, label="CAR-T"),
    "relapse": dict(marker="s", mfc="black", mec="white", ms=6.5, label="relapse"),
    "death": dict(marker="X", mfc="black", mec="white", ms=8.5, label="died"),
    "censored": dict(marker=">", mfc="white", mec="black", ms=6.5, label="alive at last follow-up"),
}

_CYCLE_COLOR = "#333333"


def _months(days: float) -> float:
    return days / DAYS_PER_MONTH


def response_group(cohort: pd.DataFrame) -> pd.Series:
    """Response group of every patient (one of :data:`RESPONSE_GROUPS`).

    Parameters
    ----------
    cohort : pandas.DataFrame
        Cohort table (see :data:`analysis.data.COHORT_COLUMNS`).

    Returns
    -------
    pandas.Series
        Ordered categorical, indexed like ``cohort``.
    """
    f = flags(cohort)
    group = np.where(
        f["cr"] & f["mrd_response"],
        RESPONSE_GROUPS[0],
        np.where(f["cr"], RESPONSE_GROUPS[1], RESPONSE_GROUPS[2]),
    )
    return pd.Series(
        pd.Categorical(group, categories=list(RESPONSE_GROUPS), ordered=True),
        index=cohort.index,
        name="response_group",
    )


def cycle_table(cohort: pd.DataFrame) -> pd.DataFrame:
    """Approximate start and end of every blinatumomab cycle (see the module notes).

    Parameters
    ----------
    cohort : pandas.DataFrame
        Cohort table with ``patient_id``, ``cycles``, ``relapse``, ``relapse_months`` and
        ``os_months``.

    Returns
    -------
    pandas.DataFrame
        One row per cycle: ``patient_id``, ``cycle`` (1, 2, ...), ``start_months``,
        ``end_months`` (end of the 28-day infusion, cut at the end of follow-up) and
        ``after_relapse`` (the cycle was given after a relapse).  Cycles that would
        start after the end of follow-up are left out.
    """
    rows = []
    relapse = as_bool(cohort["relapse"])
    for i, (_, p) in enumerate(cohort.iterrows()):
        n = 0 if pd.isna(p["cycles"]) else int(p["cycles"])
        end_fu = float(p["os_months"])
        rel_m = float(p["relapse_months"]) if pd.notna(p["relapse_months"]) else np.nan
        for c in range(1, n + 1):
            after = bool(relapse[i] and c >= 2 and np.isfinite(rel_m))
            start = (
                rel_m + _months((c - 2) * CYCLE_DAYS) if after else _months((c - 1) * CYCLE_DAYS)
            )
            if start >= end_fu:
                continue
            rows.append(
                {
                    "patient_id": p["patient_id"],
                    "cycle": c,
                    "start_months": start,
                    "end_months": min(start + _months(INFUSION_DAYS), end_fu),
                    "after_relapse": after,
                }
            )
    columns = ["patient_id", "cycle", "start_months", "end_months", "after_relapse"]
    return pd.DataFrame(rows, columns=columns)


def _response_time(cohort: pd.DataFrame, cycles: pd.DataFrame) -> np.ndarray:
    """Time of the response marker of every patient (see the module notes)."""
    later = []
    for col in ("hsct_months", "car_t_months", "relapse_months", "os_months"):
        later.append(cohort[col].to_numpy(dtype=float))
    second = (
        cycles[cycles["cycle"] == 2]
        .set_index("patient_id")["start_months"]
        .reindex(cohort["patient_id"])
        .to_numpy(dtype=float)
    )
    # a second cycle given after a relapse is an event; a consecutive one starts at 6 weeks
    after = (
        cycles[cycles["cycle"] == 2]
        .set_index("patient_id")["after_relapse"]
        .astype(bool)
        .reindex(cohort["patient_id"], fill_value=False)
        .to_numpy(dtype=bool)
    )
    later.append(np.where(after, second, np.nan))
    with np.errstate(invalid="ignore"):
        first_next = np.nanmin(np.vstack(later), axis=0)
    early = first_next <= RESPONSE_MONTHS + RESPONSE_MARGIN_MONTHS
    return np.where(early, _months(INFUSION_DAYS), RESPONSE_MONTHS)


def events_table(cohort: pd.DataFrame) -> pd.DataFrame:
    """Every marker of the swimmer plot as tidy data.

    Parameters
    ----------
    cohort : pandas.DataFrame
        Cohort table.

    Returns
    -------
    pandas.DataFrame
        ``patient_id``, ``event`` (a key of :data:`MARKERS`) and ``months``.  Response
        times are approximate (see the module notes); the others come from the table.
    """
    f = flags(cohort)
    cycles = cycle_table(cohort)
    resp_t = _response_time(cohort, cycles)
    ids = cohort["patient_id"].to_numpy()
    died = f["died"].to_numpy()
    parts = [
        ("cr", f["cr"].to_numpy() & ~f["mrd_response"].to_numpy(), resp_t),
        ("cr_mrd_negative", f["cr"].to_numpy() & f["mrd_response"].to_numpy(), resp_t),
        ("hsct", f["hsct"].to_numpy(), cohort["hsct_months"].to_numpy(dtype=float)),
        ("car_t", f["car_t_after"].to_numpy(), cohort["car_t_months"].to_numpy(dtype=float)),
        ("relapse", f["relapse"].to_numpy(), cohort["relapse_months"].to_numpy(dtype=float)),
        ("death", died, cohort["os_months"].to_numpy(dtype=float)),
        ("censored", ~died, cohort["os_months"].to_numpy(dtype=float)),
    ]
    rows = []
    for event, mask, times in parts:
        keep = mask & np.isfinite(times)
        rows.append(pd.DataFrame({"patient_id": ids[keep], "event": event, "months": times[keep]}))
    return pd.concat(rows, ignore_index=True)


def swimmer_order(cohort: pd.DataFrame) -> pd.Index:
    """Row order of the swimmer plot: by response group, then longest follow-up first.

    Returns
    -------
    pandas.Index
        Index labels of ``cohort`` from the top row to the bottom row.
    """
    key = pd.DataFrame(
        {
            "group": response_group(cohort).cat.codes,
            "follow_up": -cohort["os_months"].astype(float),
            "id": cohort["patient_id"].astype(str),
        },
        index=cohort.index,
    )
    return key.sort_values(["group", "follow_up", "id"], kind="mergesort").index


def swimmer_plot(
    cohort: pd.DataFrame, ax=None, *, legend: bool = True, max_labels: int = 40
) -> plt.Axes:
    """One horizontal bar per patient from the start of blinatumomab to death or last contact.

    Parameters
    ----------
    cohort : pandas.DataFrame
        Cohort table (see :data:`analysis.data.COHORT_COLUMNS`).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new 7 x 6 inch figure when omitted.
    legend : bool, default True
        Draw the legend (bar colours and markers) under the axes.
    max_labels : int, default 40
        Show the patient identifiers on the y axis only up to this many patients; beyond
        it, markers and infusion bands shrink with the square root of the crowding.

    Returns
    -------
    matplotlib.axes.Axes
        The axes; ``ax.containers`` holds one :class:`~matplotlib.container.BarContainer`
        with one bar per patient (top row first).

    Notes
    -----
    Bars are coloured (and hatched) by response group and ordered by
    :func:`swimmer_order`; dark bands inside a bar are the 28-day infusions
    (:func:`cycle_table`), markers are the events of :func:`events_table`.  Cycle and
    response times are approximations; see the module notes.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 6))
    order = swimmer_order(cohort)
    c = cohort.loc[order]
    n = len(c)
    y = np.arange(n, dtype=float)
    row = dict(zip(c["patient_id"], y))
    groups = response_group(c)
    follow_up = c["os_months"].to_numpy(dtype=float)
    scale = min(1.0, float(np.sqrt(max_labels / n))) if n else 1.0  # smaller marks when crowded

    bars: BarContainer = ax.barh(
        y,
        follow_up,
        height=0.62,
        color=[GROUP_STYLE[g]["color"] for g in groups],
        alpha=0.45,
        edgecolor="none",
        label="_patients",
        zorder=1,
    )
    for patch, g in zip(bars.patches, groups):
        patch.set_hatch(GROUP_STYLE[g]["hatch"])
        patch.set_edgecolor(GROUP_STYLE[g]["color"])  # the hatch takes the edge colour
        patch.set_linewidth(0)

    cycles = cycle_table(c)
    if len(cycles):
        ax.hlines(
            cycles["patient_id"].map(row),
            cycles["start_months"],
            cycles["end_months"],
            colors=_CYCLE_COLOR,
            linewidth=max(2.2 * scale, 0.5),
            zorder=2,
        )

    events = events_table(c)
    for key, style in MARKERS.items():
        sub = events[events["event"] == key]
        if sub.empty:
            continue
        ax.plot(
            sub["months"],
            sub["patient_id"].map(row),
            linestyle="none",
            marker=style["marker"],
            markerfacecolor=style["mfc"],
            markeredgecolor=style["mec"],
            markeredgewidth=0.9 * scale,
            markersize=max(style["ms"] * scale, 2.0),
            zorder=4 if key in ("death", "censored") else 3,
        )

    tmax = float(np.nanmax(follow_up)) if n else 1.0
    ticks = time_ticks(tmax, max_ticks=8)
    ax.set_xticks(ticks)
    ax.set_xlim(0, max(ticks[-1], tmax) * 1.02)
    ax.set_ylim(n - 0.4, -0.6)
    if n <= max_labels:
        ax.set_yticks(y, c["patient_id"].astype(str))
        ax.tick_params(axis="y", length=0, labelsize=7 if n > 25 else 8)
    else:
        ax.set_yticks([])
    ax.set_ylabel("patients (by response group, then follow-up)")
    ax.set_xlabel(XLABEL)
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="x", color="0.88", linewidth=0.6, zorder=0)
    ax.set_axisbelow(True)

    if legend:
        counts = groups.value_counts()
        handles = [
            Patch(
                facecolor=GROUP_STYLE[g]["color"],
                alpha=0.45,
                hatch=GROUP_STYLE[g]["hatch"],
                edgecolor=GROUP_STYLE[g]["color"],
                linewidth=0,
                label=f"{g} (n = {int(counts.get(g, 0))})",
            )
            for g in RESPONSE_GROUPS
        ]
        handles.append(
            Line2D(
                [], [], color=_CYCLE_COLOR, linewidth=2.2, label="blinatumomab infusion (28 days)"
            )
        )
        handles += [
            Line2D(
                [],
                [],
                linestyle="none",
                marker=s["marker"],
                markerfacecolor=s["mfc"],
                markeredgecolor=s["mec"] if s["mec"] != "white" else "black",
                markeredgewidth=0.9,
                markersize=s["ms"],
                label=s["label"],
            )
            for s in MARKERS.values()
        ]
        ax.legend(
            handles=handles,
            loc="upper center",
            bbox_to_anchor=(0.5, -0.1),
            ncol=3,
            frameon=False,
            fontsize=7.5,
            handlelength=1.8,
            columnspacing=1.2,
        )
    return ax


def course_summary(cohort: pd.DataFrame) -> dict[str, int | float]:
    """Counts and times that describe the courses, for the chapter's prose.

    Parameters
    ----------
    cohort : pandas.DataFrame
        Cohort table.

    Returns
    -------
    dict
        Plain Python ``int`` and ``float`` values (``nan`` when a median has no data):
        group sizes (``n_cr_mrd``, ``n_cr_no_mrd``, ``n_no_cr``), transplants (``n_hsct``
        and by route, ``hsct_months_median``/``_min``/``_max`` from the start of
        blinatumomab, ``n_hsct_in_<group>``), CAR-T, relapses (``n_relapse``,
        ``n_relapse_second_cycle``, ``n_relapse_died``), deaths by group, follow-up
        (``fu_median``, ``fu_max``), cycles (``n_multi_cycle``) and the approximations
        (``infusion_days``, ``cycle_days``, ``response_months``, ``infusion_months``,
        ``n_response_early``: response markers moved to the end of the first infusion).
    """
    f = flags(cohort)
    group = response_group(cohort)
    cycles = cycle_table(cohort)
    events = events_table(cohort)
    resp = events[events["event"].isin(["cr", "cr_mrd_negative"])]
    hsct_m = cohort.loc[f["hsct"], "hsct_months"].astype(float).dropna()
    fu = cohort["os_months"].astype(float).dropna()
    keys = {"CR, MRD response": "cr_mrd", "CR, no MRD response": "cr_no_mrd", "no CR": "no_cr"}

    def med(x: pd.Series, how: str) -> float:
        return float(getattr(x, how)()) if len(x) else float("nan")

    out: dict[str, int | float] = {
        "n": len(cohort),
        "n_low_burden": int(f["low_burden"].sum()),
        "n_overt": int(f["overt"].sum()),
        "n_overt_cr": int((f["overt"] & f["cr"]).sum()),
        "n_mrd_response": int(f["mrd_response"].sum()),
        "n_hsct": int(f["hsct"].sum()),
        "n_hsct_direct": int(f["hsct_direct"].sum()),
        "n_hsct_bridging": int(f["hsct_bridging"].sum()),
        "n_hsct_salvage": int(f["hsct_salvage"].sum()),
        "hsct_months_median": med(hsct_m, "median"),
        "hsct_months_min": med(hsct_m, "min"),
        "hsct_months_max": med(hsct_m, "max"),
        "n_car_t": int(f["car_t_after"].sum()),
        "n_relapse": int(f["relapse"].sum()),
        "n_relapse_second_cycle": int(
            cycles["after_relapse"].astype(bool).groupby(cycles["patient_id"]).any().sum()
        )
        if len(cycles)
        else 0,
        "n_relapse_died": int((f["relapse"] & f["died"]).sum()),
        "n_died": int(f["died"].sum()),
        "n_alive": int(f["alive"].sum()),
        "n_hsct_died": int((f["hsct"] & f["died"]).sum()),
        "n_died_without_relapse_in_cr": int((f["cr"] & ~f["relapse"] & f["died"]).sum()),
        "fu_median": med(fu, "median"),
        "fu_max": med(fu, "max"),
        "n_multi_cycle": int((cohort["cycles"].astype(float) > 1).sum()),
        "infusion_days": int(INFUSION_DAYS),
        "cycle_days": int(CYCLE_DAYS),
        "response_months": float(RESPONSE_MONTHS),
        "infusion_months": float(_months(INFUSION_DAYS)),
        "n_response_early": int((resp["months"] < RESPONSE_MONTHS - 1e-9).sum()),
    }
    multi = (cohort["cycles"].astype(float) > 1).to_numpy()
    fu_all = cohort["os_months"].astype(float).reset_index(drop=True)
    for g, key in keys.items():
        in_g = (group == g).to_numpy()
        out[f"n_{key}"] = int(in_g.sum())
        out[f"n_hsct_in_{key}"] = int((in_g & f["hsct"].to_numpy()).sum())
        out[f"n_car_t_in_{key}"] = int((in_g & f["car_t_after"].to_numpy()).sum())
        out[f"n_died_in_{key}"] = int((in_g & f["died"].to_numpy()).sum())
        out[f"n_alive_in_{key}"] = int((in_g & f["alive"].to_numpy()).sum())
        no_hsct = in_g & ~f["hsct"].to_numpy()
        out[f"n_no_hsct_in_{key}"] = int(no_hsct.sum())
        out[f"n_no_hsct_multi_cycle_in_{key}"] = int((no_hsct & multi).sum())
        out[f"fu_median_in_{key}"] = med(fu_all[in_g], "median")
    return out


# ------------------------------------------------------------------------------ flow

#: Stages of the flow: key and title, top to bottom.
FLOW_STAGES: tuple[tuple[str, str], ...] = (
    ("treated", "treated"),
    ("blasts", "marrow blasts at start"),
    ("response", "response to blinatumomab"),
    ("mrd", "MRD response"),
    ("hsct", "allo-HSCT after blinatumomab"),
    ("relapse", "relapse during follow-up"),
    ("status", "status at last follow-up"),
)


@dataclass(frozen=True)
class PatientFlow:
    """Counts of a CONSORT-style patient flow.

    Attributes
    ----------
    boxes : pandas.DataFrame
        One row per box: ``stage`` (a key of :data:`FLOW_STAGES`), ``level`` (0 at the
        top), ``box`` (unique key), ``label`` and ``n`` (patients).  The boxes of a stage
        divide all patients, except that the response stage divides each blast group.
    links : pandas.DataFrame
        One row per arrow: ``source`` and ``target`` (box keys of consecutive stages) and
        ``n``, the patients in both; only links with at least one patient are listed.
    """

    boxes: pd.DataFrame
    links: pd.DataFrame

    def n(self, box: str) -> int:
        """Patients in ``box`` (a key of :attr:`boxes`)."""
        hit = self.boxes.loc[self.boxes["box"] == box, "n"]
        if hit.empty:
            raise KeyError(f"no box {box!r}; boxes: {', '.join(self.boxes['box'])}")
        return int(hit.iloc[0])

    def link(self, source: str, target: str) -> int:
        """Patients moving from box ``source`` to box ``target`` (0 when there is no arrow)."""
        hit = self.links.loc[(self.links["source"] == source) & (self.links["target"] == target)]
        return int(hit["n"].sum())


def _flow_masks(cohort: pd.DataFrame) -> list[tuple[str, list[tuple[str, str, np.ndarray]]]]:
    """Stage key and its boxes (key, label, patient mask), top to bottom."""
    f = flags(cohort)
    low, overt = f["low_burden"].to_numpy(), f["overt"].to_numpy()
    cr, mrd = f["cr"].to_numpy(), f["mrd_response"].to_numpy()
    hsct = f["hsct"].to_numpy()
    direct, bridging = f["hsct_direct"].to_numpy(), f["hsct_bridging"].to_numpy()
    salvage = f["hsct_salvage"].to_numpy()
    other = hsct & ~(direct | bridging | salvage)
    relapse, died = f["relapse"].to_numpy(), f["died"].to_numpy()
    hsct_boxes = [
        ("hsct_direct", "allo-HSCT, direct", direct),
        ("hsct_bridging", "allo-HSCT after bridging", bridging),
        ("hsct_salvage", "allo-HSCT after relapse, salvage", salvage),
    ]
    if other.any():  # a pathway the data dictionary does not name
        hsct_boxes.append(("hsct_other", "allo-HSCT, other route", other))
    hsct_boxes.append(("no_hsct", "no allo-HSCT", ~hsct))
    return [
        ("treated", [("treated", "treated with blinatumomab", np.ones(len(cohort), bool))]),
        (
            "blasts",
            [
                ("low_burden", "< 5% blasts, MRD-positive", low),
                ("overt", "≥ 5% blasts (overt disease)", overt),
            ],
        ),
        (
            "response",
            [
                ("low_burden_cr", "CR sustained", low & cr),
                ("low_burden_no_cr", "CR not sustained", low & ~cr),
                ("overt_cr", "CR", overt & cr),
                ("overt_no_cr", "no CR", overt & ~cr),
            ],
        ),
        (
            "mrd",
            [("mrd_response", "MRD response", mrd), ("no_mrd_response", "no MRD response", ~mrd)],
        ),
        ("hsct", hsct_boxes),
        ("relapse", [("relapse", "relapse", relapse), ("no_relapse", "no relapse", ~relapse)]),
        (
            "status",
            [("died", "died", died), ("alive", "alive at last follow-up", ~died)],
        ),
    ]


def patient_flow(cohort: pd.DataFrame) -> PatientFlow:
    """Counts of the patient flow: treated, blasts, response, MRD, transplant, relapse, status.

    Parameters
    ----------
    cohort : pandas.DataFrame
        Cohort table (see :data:`analysis.data.COHORT_COLUMNS`).

    Returns
    -------
    PatientFlow
        ``boxes`` and ``links`` as tidy DataFrames (see :class:`PatientFlow`).

    Notes
    -----
    Every subgroup is a flag of :func:`analysis.derive.flags` (``< 5%`` blasts is
    ``low_burden``, transplant routes come from ``hsct_pathway``), so the counts are the
    book's counts everywhere.  Boxes with no patient are kept (``n = 0``); arrows with no
    patient are not listed.

    Examples
    --------
    >>> from analysis import load_cohort
    >>> flow = patient_flow(load_cohort())
    >>> flow.n("overt"), flow.n("overt_cr"), flow.n("died")
    (15, 12, 7)
    """
    stages = _flow_masks(cohort)
    box_rows, link_rows = [], []
    for level, (stage, boxes) in enumerate(stages):
        for key, label, mask in boxes:
            box_rows.append(
                {"stage": stage, "level": level, "box": key, "label": label, "n": int(mask.sum())}
            )
        if level == 0:
            continue
        for src_key, _, src in stages[level - 1][1]:
            for key, _, mask in boxes:
                k = int((src & mask).sum())
                if stage == "response" and not key.startswith(src_key):
                    k = 0  # the response boxes belong to one blast group each
                if k:
                    link_rows.append({"source": src_key, "target": key, "n": k})
    boxes_df = pd.DataFrame(box_rows, columns=["stage", "level", "box", "label", "n"])
    links_df = pd.DataFrame(link_rows, columns=["source", "target", "n"])
    return PatientFlow(boxes_df, links_df)


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width)) if len(text) > width else text


def _ports(links: pd.DataFrame, centres: dict, end: str, other: str) -> dict:
    """x position of each link where it meets the box ``links[end]``.

    The links of one box are spread over the middle 60% of its edge, ordered by the
    position of the box at their other end, so that they neither start from one point
    nor cross needlessly.
    """
    out = {}
    for key, group in links.groupby(end, sort=False):
        x, _, width = centres[key]
        order = sorted(group.index, key=lambda i: centres[links.at[i, other]][0])
        m = len(order)
        for j, i in enumerate(order):
            out[i] = x if m == 1 else x - 0.3 * width + 0.6 * width * j / (m - 1)
    return out


def flow_diagram(flow: PatientFlow, ax=None, *, stage_labels: bool = True) -> plt.Axes:
    """Draw a :class:`PatientFlow` as boxes and arrows (one row of boxes per stage).

    Parameters
    ----------
    flow : PatientFlow
        Output of :func:`patient_flow`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new 7 x 7.5 inch figure when omitted.
    stage_labels : bool, default True
        Write the stage titles in the left margin.

    Returns
    -------
    matplotlib.axes.Axes
        The axes (axis lines off); one :class:`~matplotlib.patches.FancyBboxPatch` per box
        (``gid`` is the box key) and one arrow per link, labelled with its count.

    Notes
    -----
    Boxes with patients have a white face, empty boxes a light grey one.  Arrow widths
    grow with the number of patients they carry.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 7.5))
    boxes = flow.boxes
    levels = int(boxes["level"].max()) + 1 if len(boxes) else 0
    total = max(int(boxes.loc[boxes["level"] == 0, "n"].sum()), 1) if len(boxes) else 1
    x0, x1 = (0.2 if stage_labels else 0.0), 1.0
    box_h = 0.5
    centres: dict[str, tuple[float, float, float]] = {}  # key -> (x, y, width)
    for level in range(levels):
        row = boxes[boxes["level"] == level]
        k = len(row)
        slot = (x1 - x0) / k
        width = min(0.9 * slot, 0.34)
        y = levels - 1 - level
        for j, (_, b) in enumerate(row.iterrows()):
            x = x0 + slot * (j + 0.5)
            centres[b["box"]] = (x, y, width)
            label = _wrap(str(b["label"]), 18 if k >= 4 else 30)
            patch = FancyBboxPatch(
                (x - width / 2, y - box_h / 2),
                width,
                box_h,
                boxstyle="round,pad=0.005,rounding_size=0.03",
                facecolor="white" if b["n"] > 0 else "0.92",
                edgecolor="black",
                linewidth=0.8,
                gid=str(b["box"]),
                zorder=3,
            )
            ax.add_patch(patch)
            ax.text(
                x,
                y,
                f"{label}\nn = {int(b['n'])}",
                ha="center",
                va="center",
                fontsize=7.5,
                zorder=4,
                linespacing=1.15,
            )
        if stage_labels:
            title = dict(FLOW_STAGES).get(row["stage"].iloc[0], row["stage"].iloc[0])
            ax.text(0.0, y, _wrap(title, 16), ha="left", va="center", fontsize=7.5, color="0.35")
    links = flow.links[flow.links["source"].isin(centres) & flow.links["target"].isin(centres)]
    start_x = _ports(links, centres, "source", "target")
    end_x = _ports(links, centres, "target", "source")
    for i, link in links.iterrows():
        _, ys, _ = centres[link["source"]]
        _, yt, _ = centres[link["target"]]
        start = (start_x[i], ys - box_h / 2)
        end = (end_x[i], yt + box_h / 2)
        lw = 0.6 + 2.4 * float(link["n"]) / total
        arrow = FancyArrowPatch(
            start,
            end,
            arrowstyle="-|>",
            mutation_scale=7,
            linewidth=lw,
            color="0.25",
            shrinkA=0,
            shrinkB=1,
            zorder=2,
        )
        ax.add_patch(arrow)
        # the count sits near the source, before arrows from neighbouring boxes cross
        t = float(np.clip(0.05 / max(abs(end[0] - start[0]), 1e-9), 0.13, 0.25))
        ax.text(
            start[0] + t * (end[0] - start[0]),
            start[1] + t * (end[1] - start[1]),
            str(int(link["n"])),
            ha="center",
            va="center",
            fontsize=7,
            zorder=5,
            bbox=dict(boxstyle="round,pad=0.12", facecolor="white", edgecolor="none"),
        )
    ax.set_xlim(-0.01, 1.01)
    ax.set_ylim(-0.5, levels - 0.5)
    ax.set_axis_off()
    return ax
