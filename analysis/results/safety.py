"""Adverse events during blinatumomab (the paper's Table 2) and the actions they led to.

A patient counts once per term, at the worst grade (CTCAE v5.0, CRS by ASTCT; Materials and
methods, *Outcomes*); percentages are of all patients treated.  The paper reports counts only:
in the reconstruction, which patient had which event is a choice of the search."""

import numpy as np
import pandas as pd

from .. import format as fmt
from .baseline import note

__all__ = ["CRS_TERM", "ACTIONS", "TERMS", "worst_grades", "table2", "table2_shown", "actions",
           "actions_shown", "tiles", "texts"]  # fmt: skip

#: Adverse-event term of cytokine release syndrome (graded by ASTCT consensus).
CRS_TERM = "cytokine release syndrome"

#: Actions taken with blinatumomab because of an adverse event, in order of severity.
ACTIONS = ("interrupted", "dose reduced", "discontinued")

#: Terms the chapter's prose counts, by glue key.
TERMS = {"any": "any adverse event", "crs": CRS_TERM, "fn": "febrile neutropenia",
         "sepsis": "bacterial sepsis", "heart_failure": "heart failure",
         "cardiac": "cardiac insufficiency", "headache": "headache"}  # fmt: skip


def worst_grades(ae: pd.DataFrame) -> pd.DataFrame:
    """One row per patient and event term: ``patient_id``, ``event``, ``grade`` (the worst)."""
    rows = ae.assign(event=ae["event"].astype(str).str.strip(), grade=ae["grade"].astype(float))
    return rows.groupby(["patient_id", "event"], as_index=False)["grade"].max()


def _terms(worst: pd.DataFrame) -> list[str]:
    """Event terms by decreasing number of patients, then alphabetically."""
    n = worst.groupby("event")["patient_id"].nunique()
    return sorted(n.index, key=lambda term: (-n[term], term))


def table2(ae: pd.DataFrame, n_patients: int) -> pd.DataFrame:
    """Adverse events by term (the paper's Table 2), for ``n_patients`` treated.

    Returns
    -------
    pandas.DataFrame
        ``term``, ``grade`` (set on the grade rows of CRS only), ``n_any``, ``pct_any``
        (patients with the event), ``n_grade3``, ``pct_grade3`` (at grade >= 3),
        ``n_patients``.  First ``any adverse event``, then terms by decreasing frequency.
    """
    worst = worst_grades(ae)

    def row(term, grade, rows):
        return (term, grade, rows["patient_id"].nunique(),
                rows.loc[rows["grade"] >= 3, "patient_id"].nunique())  # fmt: skip

    out = [row("any adverse event", np.nan, worst)]
    for term in _terms(worst):
        rows = worst[worst["event"] == term]
        out.append(row(term, np.nan, rows))
        if term.lower() == CRS_TERM:
            out += [row(term, g, gr) for g, gr in rows.groupby("grade")]
    t2 = pd.DataFrame(out, columns=["term", "grade", "n_any", "n_grade3"])
    t2["grade"] = t2["grade"].astype("Int64")
    for col in ("any", "grade3"):
        t2.insert(t2.columns.get_loc(f"n_{col}") + 1, f"pct_{col}",
                  100.0 * t2[f"n_{col}"] / n_patients if n_patients else np.nan)  # fmt: skip
    return t2.assign(n_patients=int(n_patients))


def table2_shown(t2: pd.DataFrame) -> pd.DataFrame:
    """Table 2 as displayed: ``Adverse event``, ``Any grade, n (%)``, ``Grade ≥ 3, n (%)``."""
    return pd.DataFrame({
        "Adverse event": [t if pd.isna(g) else f"CRS, grade {g}" for t, g in
                          zip(t2["term"], t2["grade"])],
        "Any grade, n (%)": [fmt.n_pct(k, n) for k, n in zip(t2["n_any"], t2["n_patients"])],
        "Grade ≥ 3, n (%)": [fmt.n_pct(k, n) for k, n in zip(t2["n_grade3"], t2["n_patients"])],
    })  # fmt: skip


def actions(ae: pd.DataFrame) -> pd.DataFrame:
    """Interruptions, dose reductions and discontinuations, with the events behind them.

    Returns
    -------
    pandas.DataFrame
        One row per action (ordered as :data:`ACTIONS`) and patient: ``action``,
        ``patient_id``, ``events`` (``term (grade g)``, worst first), ``max_grade``.
    """
    rank = {a: i for i, a in enumerate(ACTIONS)}
    rows = ae.assign(action=ae["action"].fillna("").astype(str).str.strip())
    rows = rows[~rows["action"].isin(["", "none"])]
    rows = rows.assign(rank=rows["action"].map(rank).fillna(len(rank)), worst=-rows["grade"])
    rows = rows.sort_values(["rank", "action", "patient_id", "worst", "event"])
    out = [(a, p, "; ".join(f"{e} (grade {fmt.number(gr, 0)})" for e, gr in
                            zip(g["event"], g["grade"])), g["grade"].max())
           for (a, p), g in rows.groupby(["action", "patient_id"], sort=False)]  # fmt: skip
    out = pd.DataFrame(out, columns=["action", "patient_id", "events", "max_grade"])
    return out.astype({"max_grade": "Int64"})


def actions_shown(acts: pd.DataFrame) -> pd.DataFrame:
    """The actions as displayed: ``Action`` (once per group), ``Patient``, and the events."""
    return pd.DataFrame({
        "Action": acts["action"].where(~acts["action"].duplicated(), ""),
        "Patient": acts["patient_id"],
        "Adverse events behind it": acts["events"],
    })  # fmt: skip


def tiles(cohort: pd.DataFrame, ae: pd.DataFrame) -> pd.DataFrame:
    """Every patient's worst grade of every term: the data of the adverse-event tiles.

    Returns
    -------
    pandas.DataFrame
        One row per term (ordered as in :func:`table2`) and patient (by id): ``patient_id``,
        ``event``, ``grade`` (``nan`` if none) and ``label`` (the grade as written, or "").
    """
    worst = worst_grades(ae)
    grid = pd.MultiIndex.from_product([_terms(worst), sorted(cohort["patient_id"].astype(str))],
                                      names=["event", "patient_id"])  # fmt: skip
    out = worst.set_index(["event", "patient_id"])["grade"].reindex(grid).reset_index()
    out["label"] = [fmt.number(g, 0) if pd.notna(g) else "" for g in out["grade"]]
    return out[["patient_id", "event", "grade", "label"]]


def texts(cohort: pd.DataFrame, ae: pd.DataFrame) -> dict[str, str]:
    """Glue-ready text of the safety chapter (keys without the ``safety_`` prefix): patients
    with each term of :data:`TERMS` (``n_<key>``, and ``n_<key>_grade3`` at grade >= 3), with
    each action, percentages, and MyST ``note_no_events``, ``note_no_actions`` ("" if any)."""
    t2, n, acts = table2(ae, len(cohort)), len(cohort), actions(ae)
    terms = t2[t2["grade"].isna()].set_index("term")
    crs = t2[(t2["term"] == CRS_TERM) & t2["grade"].notna()]
    per_action = acts.groupby("action")["patient_id"].nunique()
    out = {"n_patients": str(n), "n_terms": str(len(terms) - 1),
           "pct_any": fmt.percent(terms["n_any"].get(TERMS["any"], 0), n),
           "pct_crs": fmt.percent(terms["n_any"].get(CRS_TERM, 0), n),
           "n_crs_grade12": str(crs.loc[crs["grade"] <= 2, "n_any"].sum()),
           "note_no_events": "" if len(ae) else
           note("No adverse event is recorded for this cohort."),
           "note_no_actions": "" if len(acts) else note("No adverse event in this cohort led to "
                                                        "a change of treatment.")}  # fmt: skip
    for key, term in TERMS.items():
        out[f"n_{key}"] = str(terms["n_any"].get(term, 0))
        out[f"n_{key}_grade3"] = str(terms["n_grade3"].get(term, 0))
    return out | {f"n_{a.replace(' ', '_')}": str(per_action.get(a, 0)) for a in ACTIONS}
