"""This cohort's response rates beside the published blinatumomab trials.

The trials' figures live in one data file, ``data/literature/blinatumomab_trials.csv``,
each with its source and with what could be checked against the source
(:func:`load_trials`).  This cohort's own rows are computed from the cohort table
(:func:`cohort_rows`), never typed.  :func:`response_table` puts both together with exact
(Clopper-Pearson) 95% confidence intervals from :func:`analysis.stats.proportion`, and
:func:`forest_plot` draws them.  :func:`burden_table` gives the share of patients with a
high tumour burden (>= 50% marrow blasts) and CR by burden group, the comparison the paper
uses to explain its high CR rate.

Examples
--------
>>> from analysis import context, load_cohort
>>> trials = context.load_trials()
>>> table = context.response_table(load_cohort(), trials)
>>> row = table.set_index("key").loc["topp2015"]
>>> [round(float(row[c]), 1) for c in ("percent", "ci_lower", "ci_upper")]
[42.9, 35.7, 50.2]
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D

from . import config
from .derive import flags
from .plots import PALETTE
from .stats import compare_proportions, proportion

__all__ = [
    "TRIALS_PATH",
    "TRIAL_COLUMNS",
    "ENDPOINTS",
    "ENDPOINT_MARKERS",
    "CHECKED_VALUES",
    "STUDY",
    "STUDY_CITATION",
    "load_trials",
    "derived_count",
    "cohort_rows",
    "response_table",
    "format_response_table",
    "burden_table",
    "burden_test",
    "quote_check",
    "forest_plot",
]

#: The literature table (kept as data in the repository).
TRIALS_PATH: Path = config.DATA_DIR / "literature" / "blinatumomab_trials.csv"

#: Column dictionary of the literature table: name, type, meaning.
TRIAL_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("key", "string", "Short unique identifier of the row (used for glue keys and tests)"),
    ("study", "string", "Short name of the study (first author or acronym and year)"),
    ("citation", "string", "Bibliographic reference, as far as it could be verified"),
    ("year", "integer", "Year of publication (empty if not known)"),
    ("population", "string", "Who was treated"),
    ("ph_status", "string", "Philadelphia chromosome status of the population"),
    ("setting", "string", "Disease setting (relapsed/refractory, MRD-positive in remission)"),
    ("endpoint", "category", "CR, CR/CRh, CR/CRh/CRi or complete MRD response"),
    ("arm", "string", "Treatment arm (blinatumomab or the comparator)"),
    (
        "responders",
        "integer",
        "Patients with the endpoint; empty when the source prints only a percentage",
    ),
    ("n", "integer", "Patients in the denominator (as analysed by the source)"),
    ("reported_pct", "number", "Percentage as printed by the source named in source_note"),
    ("reported_ci", "string", "95% CI as printed by that source, 'lower-upper' (empty if none)"),
    (
        "quoted_pct",
        "number",
        "Percentage the paper under study quotes for this trial (empty if none)",
    ),
    ("quoted_where", "string", "Where the paper under study quotes it"),
    (
        "high_blast_pct",
        "number",
        "Share of patients with >= 50% marrow blasts, % (empty if not known)",
    ),
    (
        "count_source",
        "category",
        "reported (count printed), derived (from a rounded percentage), "
        "cited (as stated by the paper under study)",
    ),
    (
        "checked",
        "category",
        "yes: the row's figures were read in a retrieved source text; "
        "partly: some were; no: none could be checked",
    ),
    ("source_note", "string", "What was verified, and where"),
    ("notes", "string", "Caveats, derivations, discrepancies"),
)

#: Endpoints in the order of the plot legend (the cohort's own MRD endpoint last).
ENDPOINTS: tuple[str, ...] = (
    "CR",
    "CR/CRh",
    "CR/CRh/CRi",
    "complete MRD response",
    "MRD response",
)

#: Marker of each endpoint in :func:`forest_plot`.
ENDPOINT_MARKERS: dict[str, str] = {
    "CR": "o",
    "CR/CRh": "s",
    "CR/CRh/CRi": "D",
    "complete MRD response": "^",
    "MRD response": "v",
}

#: Allowed values of the ``checked`` column.
CHECKED_VALUES: tuple[str, ...] = ("yes", "partly", "no")

#: Name of this cohort's rows.
STUDY = "This cohort"

#: The study this book reproduces (its rows are computed from the cohort table).
STUDY_CITATION = (
    "Wang Y, Chang C, Wang Z, Zhao J, Wang J. Efficacy and safety of blinatumomab in Chinese "
    "patients with relapsed/refractory B-cell acute lymphoblastic leukemia: a single-center "
    "retrospective study. Front Oncol. 2025;15:1587185. doi:10.3389/fonc.2025.1587185. "
    "Rows computed from the cohort table the book analyses."
)

_INT = ("year", "responders", "n")
_NUM = ("reported_pct", "quoted_pct", "high_blast_pct")


def derived_count(percent: float, n: int) -> int:
    """The count a rounded percentage stands for: ``percent`` % of ``n``, rounded half up.

    Parameters
    ----------
    percent : float
        Percentage as printed (e.g. 34 for "34%").
    n : int
        Denominator.

    Returns
    -------
    int
        ``floor(percent * n / 100 + 0.5)``.

    Examples
    --------
    TOWER (Kantarjian 2017): CR 34% of the 271 patients randomised to blinatumomab.

    >>> derived_count(34, 271)
    92
    """
    return int(math.floor(percent * n / 100 + 0.5))


def load_trials(path: str | Path | None = None) -> pd.DataFrame:
    """Load the published blinatumomab trials the book compares this cohort with.

    Parameters
    ----------
    path : str or Path, optional
        CSV file; defaults to :data:`TRIALS_PATH`
        (``data/literature/blinatumomab_trials.csv``).

    Returns
    -------
    pandas.DataFrame
        One row per trial arm and endpoint (9 rows in the committed file); columns as in
        :data:`TRIAL_COLUMNS`.  ``responders`` is filled for every row: where the source
        prints only a percentage it is :func:`derived_count` of ``reported_pct`` and ``n``
        (``count_source`` says "derived").

    Notes
    -----
    Source: the publications named in ``citation``, checked as far as the literature
    available to the project allowed (``checked`` and ``source_note`` say what was seen
    where).  Rows in the file:

    * Topp et al., Lancet Oncol 2015: phase 2, Ph-negative R/R adults, CR/CRh 81/189;
    * TOWER, Kantarjian et al., N Engl J Med 2017: CR 34% of 271 (blinatumomab) vs 16% of
      134 (chemotherapy), and CR/CRh/CRi 44% vs 25%: counts derived from the percentages;
    * ALCANTARA, Martinelli et al., J Clin Oncol 2017: Ph-positive, CR/CRh 16/45;
    * BLAST, Gökbuget et al., Blood 2018: MRD-positive in remission, complete MRD response
      88/113;
    * the Chinese registration trial, Zhou et al., Hematology 2022: CR/CRh 41/90.  The
      paper under study quotes 47.8% for it, which is 43/90, the share of patients who
      continued the study (see ``notes``);
    * Shi et al.: CR 6/8 as cited by the paper under study (not checked).

    Column dictionary: :data:`TRIAL_COLUMNS`.

    Examples
    --------
    >>> trials = load_trials()
    >>> zhou = trials.set_index("key").loc["zhou2022"]
    >>> int(zhou["responders"]), int(zhou["n"])
    (41, 90)
    """
    path = Path(path) if path else TRIALS_PATH
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    missing = [c for c, _, _ in TRIAL_COLUMNS if c not in raw.columns]
    if missing:
        raise ValueError(f"{path}: missing columns {missing}")
    df = raw[[c for c, _, _ in TRIAL_COLUMNS]].copy()
    for c in _INT:
        df[c] = pd.to_numeric(df[c].replace("", np.nan)).astype("Int64")
    for c in _NUM:
        df[c] = pd.to_numeric(df[c].replace("", np.nan)).astype(float)
    unknown = set(df["endpoint"]) - set(ENDPOINTS)
    if unknown:
        raise ValueError(f"{path}: unknown endpoints {sorted(unknown)}")
    bad = set(df["checked"]) - set(CHECKED_VALUES)
    if bad:
        raise ValueError(f"{path}: 'checked' must be one of {CHECKED_VALUES}, got {sorted(bad)}")
    todo = df["responders"].isna()
    if (todo & df["reported_pct"].isna()).any():
        raise ValueError(f"{path}: rows without responders need reported_pct")
    df.loc[todo, "responders"] = [
        derived_count(p, int(n)) for p, n in zip(df.loc[todo, "reported_pct"], df.loc[todo, "n"])
    ]
    df.loc[todo, "count_source"] = "derived"
    return df


def cohort_rows(cohort: pd.DataFrame) -> pd.DataFrame:
    """This cohort's rows for the comparison, computed from the cohort table.

    Parameters
    ----------
    cohort : pandas.DataFrame
        Cohort table (see :data:`analysis.data.COHORT_COLUMNS`).

    Returns
    -------
    pandas.DataFrame
        Two rows with the columns of :func:`load_trials`: CR among the patients with
        overt disease (>= 5% marrow blasts; the paper's 12/15) and MRD response among all
        patients (the paper's 12/19).  ``high_blast_pct`` is the share with >= 50% blasts
        in the same denominator.
    """
    f = flags(cohort)
    overt, high = f["overt"], f["high_blasts"]
    n_overt, n_all = int(overt.sum()), len(cohort)

    def share(mask, n):
        return 100.0 * int(mask.sum()) / n if n else float("nan")

    common = {
        "study": STUDY,
        "citation": STUDY_CITATION,
        "year": pd.NA,
        "ph_status": "Ph-positive and Ph-negative",
        "arm": "blinatumomab",
        "reported_pct": np.nan,
        "reported_ci": "",
        "quoted_pct": np.nan,
        "quoted_where": "",
        "count_source": "computed",
        "checked": "yes",
        "source_note": "computed from the cohort table the book analyses",
    }
    rows = [
        {
            **common,
            "key": "cohort_cr",
            "population": "relapsed/refractory B-ALL with >= 5% marrow blasts",
            "setting": "relapsed/refractory",
            "endpoint": "CR",
            "responders": int((overt & f["cr"]).sum()),
            "n": n_overt,
            "high_blast_pct": share(overt & high, n_overt),
            "notes": "CR among the patients with overt marrow disease at the start.",
        },
        {
            **common,
            "key": "cohort_mrd",
            "population": "relapsed/refractory B-ALL, all MRD-positive at the start",
            "setting": "relapsed/refractory, any marrow blast count",
            "endpoint": "MRD response",
            "responders": int(f["mrd_response"].sum()),
            "n": n_all,
            "high_blast_pct": share(high, n_all),
            "notes": "Conversion to MRD < 0.01% (flow cytometry) among all patients.",
        },
    ]
    out = pd.DataFrame(rows, columns=[c for c, _, _ in TRIAL_COLUMNS])
    for c in _INT:
        out[c] = out[c].astype("Int64")
    return out


def response_table(cohort: pd.DataFrame, trials: pd.DataFrame) -> pd.DataFrame:
    """This cohort's response rates and the trials', with exact 95% confidence intervals.

    Parameters
    ----------
    cohort : pandas.DataFrame
        Cohort table.
    trials : pandas.DataFrame
        Output of :func:`load_trials`.

    Returns
    -------
    pandas.DataFrame
        The cohort's rows (:func:`cohort_rows`) then the trials, with the columns of
        :func:`load_trials` and ``percent``, ``ci_lower``, ``ci_upper`` (Clopper-Pearson,
        :func:`analysis.stats.proportion`; ``nan`` when ``n`` is 0) and ``is_cohort``.
    """
    both = pd.concat([cohort_rows(cohort), trials], ignore_index=True)
    stats = [proportion(int(k), int(n)) for k, n in zip(both["responders"], both["n"])]
    both["percent"] = [s.percent for s in stats]
    both["ci_lower"] = [s.ci_lower for s in stats]
    both["ci_upper"] = [s.ci_upper for s in stats]
    both["is_cohort"] = both["study"] == STUDY
    return both


def _labels(table: pd.DataFrame) -> list[str]:
    """Row labels: study, the arm if not blinatumomab, the endpoint if the study has several."""
    several = table.groupby("study")["endpoint"].transform("nunique") > 1
    out = []
    for (_, r), many in zip(table.iterrows(), several):
        arm = "" if r["arm"] == "blinatumomab" else f", {r['arm'].split(' (')[0]}"
        endpoint = f" ({r['endpoint']})" if many else ""
        out.append(f"{r['study']}{arm}{endpoint}")
    return out


def format_response_table(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`response_table` as text columns for :func:`analysis.display.show_table`.

    Returns
    -------
    pandas.DataFrame
        Columns: study, endpoint, responders / n, % (95% CI), >= 50% blasts, checked
        (against the source).  Derived counts are marked "(derived)"; populations and
        sources are in the other columns of :func:`response_table`.
    """

    def ci(r):
        if not np.isfinite(r["percent"]):
            return "–"
        return f"{r['percent']:.1f} ({r['ci_lower']:.1f}–{r['ci_upper']:.1f})"

    def count(r):
        text = f"{int(r['responders'])}/{int(r['n'])}"
        return f"{text} (derived)" if r["count_source"] == "derived" else text

    def blasts(r):
        return "" if pd.isna(r["high_blast_pct"]) else f"{r['high_blast_pct']:.1f}"

    return pd.DataFrame(
        {
            "study": _labels(table),
            "endpoint": table["endpoint"],
            "responders / n": [count(r) for _, r in table.iterrows()],
            "% (95% CI)": [ci(r) for _, r in table.iterrows()],
            "≥ 50% blasts, %": [blasts(r) for _, r in table.iterrows()],
            "checked": table["checked"],
        }
    )


def burden_table(cohort: pd.DataFrame) -> pd.DataFrame:
    """Tumour burden at the start and CR by burden group.

    Parameters
    ----------
    cohort : pandas.DataFrame
        Cohort table.

    Returns
    -------
    pandas.DataFrame
        One row per group (``< 5%``, ``5–49%``, ``≥ 50%`` marrow blasts, then all with
        ``≥ 5%``): ``group`` (flag name), ``label``, ``n``, ``share_all`` (% of all
        patients), ``share_overt`` (% of the patients with >= 5% blasts; ``nan`` for the
        ``< 5%`` group), ``cr`` (patients in CR), ``cr_pct``, ``cr_ci_lower``,
        ``cr_ci_upper`` (exact 95% CI; ``nan`` for an empty group).

    Notes
    -----
    For the ``< 5%`` group "CR" is a sustained CR.  The paper does not print CR by burden
    group (its Table 3 is not in the text); in the reconstructed cohort this split follows
    from the >= 50% blast labels the reconstruction chose among those consistent with the
    paper, so it is a property of the reconstruction, not a published result.
    """
    f = flags(cohort)
    n_all, n_overt = len(cohort), int(f["overt"].sum())
    groups = [
        ("low_burden", "< 5% blasts"),
        ("blasts_5_49", "5–49% blasts"),
        ("high_blasts", "≥ 50% blasts"),
        ("overt", "≥ 5% blasts (all overt disease)"),
    ]
    rows = []
    for flag, label in groups:
        mask = f[flag]
        n = int(mask.sum())
        k = int((mask & f["cr"]).sum())
        p = proportion(k, n)
        rows.append(
            {
                "group": flag,
                "label": label,
                "n": n,
                "share_all": 100.0 * n / n_all if n_all else float("nan"),
                "share_overt": (
                    100.0 * n / n_overt if n_overt and flag != "low_burden" else float("nan")
                ),
                "cr": k,
                "cr_pct": p.percent,
                "cr_ci_lower": p.ci_lower,
                "cr_ci_upper": p.ci_upper,
            }
        )
    return pd.DataFrame(rows)


def burden_test(cohort: pd.DataFrame) -> dict:
    """CR with >= 50% vs 5-49% blasts among the patients with overt disease.

    Returns
    -------
    dict
        As :func:`analysis.stats.compare_proportions` (``k1, n1`` for >= 50% blasts,
        ``k0, n0`` for 5-49%, ``p_value``, ``test``); ``p_value`` is ``nan`` when a group
        is empty.
    """
    f = flags(cohort)
    overt = f["overt"].to_numpy()
    return compare_proportions(f["cr"].to_numpy()[overt], f["high_blasts"].to_numpy()[overt])


def quote_check(trials: pd.DataFrame) -> pd.DataFrame:
    """The trial figures the paper under study quotes, beside what the sources report.

    Parameters
    ----------
    trials : pandas.DataFrame
        Output of :func:`load_trials`.

    Returns
    -------
    pandas.DataFrame
        One row per trial row with a ``quoted_pct``: ``key``, ``study``, ``arm``,
        ``endpoint``, ``quoted_pct``, ``quoted_where``, ``responders``, ``n``,
        ``source_pct`` (``100 * responders / n``), ``agrees`` (``source_pct`` rounded to
        the quote's decimals equals the quote), ``count_source`` and ``checked``.

    Notes
    -----
    Rows with ``count_source`` "derived" agree by construction (their counts come from
    the percentages), and rows "cited" come from the paper itself; only ``reported``
    counts test the quote.

    Examples
    --------
    >>> qc = quote_check(load_trials()).set_index("key")
    >>> bool(qc.at["zhou2022", "agrees"]), bool(qc.at["topp2015", "agrees"])
    (False, True)
    """
    q = trials[trials["quoted_pct"].notna()].copy()

    def decimals(x: float) -> int:
        text = f"{x:g}"
        return len(text.split(".")[1]) if "." in text else 0

    q["source_pct"] = 100.0 * q["responders"].astype(float) / q["n"].astype(float)
    q["agrees"] = [round(s, decimals(p)) == p for s, p in zip(q["source_pct"], q["quoted_pct"])]
    columns = ["key", "study", "arm", "endpoint", "quoted_pct", "quoted_where", "responders",
               "n", "source_pct", "agrees", "count_source", "checked"]  # fmt: skip
    return q[columns].reset_index(drop=True)


def forest_plot(table: pd.DataFrame, ax=None) -> plt.Axes:
    """Response rates with exact 95% CIs, one row per study arm and endpoint.

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`response_table` (drawn top to bottom in its order).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure 7 in wide when omitted.

    Returns
    -------
    matplotlib.axes.Axes
        The axes.  Endpoints differ by marker (:data:`ENDPOINT_MARKERS`); this cohort's rows
        are vermillion on a grey band; open markers are counts derived from a rounded
        percentage; a dagger marks rows that could not be checked against their source.
        The responders/n and the rate with its CI are written on the right.
    """
    n = len(table)
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 0.38 * n + 1.3))
    y = np.arange(n, dtype=float)
    for i, (_, r) in enumerate(table.iterrows()):
        colour = PALETTE["comparison"] if r["is_cohort"] else PALETTE["all"]
        if r["is_cohort"]:
            ax.axhspan(i - 0.5, i + 0.5, color="0.9", zorder=0, linewidth=0)
        if np.isfinite(r["percent"]):
            ax.hlines(i, r["ci_lower"], r["ci_upper"], color=colour, linewidth=1.4, zorder=2)
            derived = r["count_source"] == "derived"
            ax.plot(
                r["percent"],
                i,
                marker=ENDPOINT_MARKERS.get(r["endpoint"], "o"),
                markersize=7,
                markerfacecolor="white" if derived else colour,
                markeredgecolor=colour,
                markeredgewidth=1.2,
                linestyle="none",
                zorder=3,
            )
            text = (
                f"{int(r['responders'])}/{int(r['n'])}   {r['percent']:.1f} "
                f"({r['ci_lower']:.1f}–{r['ci_upper']:.1f})"
            )
        else:
            text = f"{int(r['responders'])}/{int(r['n'])}   –"
        ax.text(
            1.02,
            i,
            text,
            transform=ax.get_yaxis_transform(),
            va="center",
            ha="left",
            fontsize=8,
            color=colour,
        )
    labels = [
        lab + ("†" if r["checked"] == "no" else "")
        for lab, (_, r) in zip(_labels(table), table.iterrows())
    ]
    ax.set_yticks(y, labels)
    for tick, (_, r) in zip(ax.get_yticklabels(), table.iterrows()):
        if r["is_cohort"]:
            tick.set_color(PALETTE["comparison"])
            tick.set_fontweight("bold")
    ax.tick_params(axis="y", length=0, labelsize=8.5)
    ax.set_ylim(n - 0.5, -0.5)
    ax.set_xlim(0, 100)
    ax.set_xticks(np.arange(0, 101, 20))
    ax.set_xlabel("response rate (%) with exact 95% CI")
    ax.grid(axis="x", color="0.88", linewidth=0.6, zorder=0)
    ax.set_axisbelow(True)
    ax.spines[["top", "right"]].set_visible(False)
    present = [e for e in ENDPOINTS if e in set(table["endpoint"])]
    handles = [
        Line2D(
            [],
            [],
            linestyle="none",
            marker=ENDPOINT_MARKERS[e],
            markerfacecolor="black",
            markeredgecolor="black",
            markersize=6,
            label=e,
        )
        for e in present
    ]
    if (table["count_source"] == "derived").any():
        handles.append(
            Line2D(
                [],
                [],
                linestyle="none",
                marker="o",
                markerfacecolor="white",
                markeredgecolor="black",
                markersize=6,
                label="count derived from a rounded %",
            )
        )
    ax.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.14 if n > 6 else -0.25),
        ncol=3,
        frameon=False,
        fontsize=7.5,
    )
    return ax
