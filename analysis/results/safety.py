"""The paper's Table 2 by MedDRA system organ class (SOC) and preferred term (PT), coded with
``analysis/data/ae_terms.yml``, each patient once per term at the worst grade, percentages of
all patients treated; the grades each term allows; the actions the events led to."""

import numpy as np
import pandas as pd
import yaml

from .. import config
from .. import format as fmt
from .baseline import ASSUMED, LAYOUT, SAY

#: The term mapping (``ae_terms.yml``, one row per PT; its header gives the sources).
CODING = pd.DataFrame(yaml.safe_load(config.AE_TERMS_PATH.read_bytes())["terms"])
_INDEX = {w.lower(): i for i, r in CODING.iterrows() for w in [r.pt, *r.verbatim]}
_ASSUMED = {a["pt"]: set(a["grades"]) for a in LAYOUT["assumed"]["table2"]}
_SHORT = dict(zip(CODING["pt"], CODING["short"].fillna(CODING["pt"])))
CRS = "Cytokine release syndrome"
#: Actions taken with blinatumomab because of an adverse event, in order of severity.
ACTIONS = ("interrupted", "dose reduced", "discontinued")
#: Terms as the paper words them that the chapter's prose counts, by glue key.
TERMS: dict[str, str] = LAYOUT["safety_terms"]
#: Grades; most patients the tiles show (a seeded sample above); most rows a listing shows.
GRADES, MAX_TILES, MAX_LISTED, _SEED = (1, 2, 3, 4, 5), 40, 30, 1


def coded(ae: pd.DataFrame) -> pd.DataFrame:
    """``ae`` with its terms coded: adds ``pt``, ``soc``, ``ctcae``, ``grading``, ``label``
    (short PT) and ``defined`` (the grades the term allows; NaN where it is not mapped)."""
    event = ae["event"].astype(str).str.strip()
    m = CODING.reindex(event.str.lower().map(_INDEX).fillna(-1).astype(int).to_numpy())
    pt = m["pt"].fillna(pd.Series(event.str[:1].str.upper() + event.str[1:]).set_axis(m.index))
    return ae.assign(event=event, grade=ae["grade"].astype(float), pt=pt.to_numpy(),
                     soc=m["soc"].fillna("Not coded (term not in the mapping)").to_numpy(),
                     ctcae=m["ctcae"].fillna("").to_numpy(), defined=m["grades"].to_numpy(),
                     grading=m["grading"].fillna("not stated").to_numpy(),
                     label=[_SHORT.get(p, p) for p in pt])  # fmt: skip


def worst_grades(ae: pd.DataFrame, term: str = "event") -> pd.DataFrame:
    """One row per patient and ``term`` (``event`` as recorded, or ``pt``): the worst grade."""
    return coded(ae).groupby(["patient_id", term], as_index=False)["grade"].max()


def _row(level, soc, pt, events, pts) -> dict:
    g = events.groupby("patient_id")["grade"].max().value_counts()
    assumed = tuple(sorted(set().union(*(_ASSUMED.get(p, set()) for p in pts))))
    return {"level": level, "soc": soc, "pt": pt, "n_any": events["patient_id"].nunique(),
            **{f"n_grade{k}": int(g.get(k, 0)) for k in GRADES}, "assumed": assumed}  # fmt: skip


def table2(ae: pd.DataFrame, n_patients: int) -> pd.DataFrame:
    """Patients with each adverse event at any and by worst grade (Table 2): a row for any event,
    then per SOC (most frequent first) a row and one per PT: ``level``, ``soc``, ``pt``,
    ``n_any``, ``n_grade1`` ... ``n_grade5``, ``assumed`` (grades resting on assumptions),
    ``verbatim`` (recorded terms other than the PT), ``grading``, ``n_patients``."""
    c = coded(ae)
    always = CODING.loc[CODING["always"].eq(True), ["pt", "soc", "grading"]]
    terms = pd.concat([c[["pt", "soc", "grading"]], always]).drop_duplicates("pt")
    n_pt, n_soc = (c.groupby(k)["patient_id"].nunique() for k in ("pt", "soc"))
    terms = terms.assign(n=terms["pt"].map(n_pt).fillna(0), n_soc=terms["soc"].map(n_soc).fillna(0))
    terms = terms.sort_values(["n_soc", "soc", "n", "pt"], ascending=[False, True, False, True])
    rows = [_row("any", "Any adverse event", "", c, terms["pt"])]
    for soc, group in terms.groupby("soc", sort=False):
        rows += [_row("soc", soc, "", c[c["soc"] == soc], group["pt"])]
        rows += [_row("pt", soc, pt, c[c["pt"] == pt], [pt]) for pt in group["pt"]]
    out = pd.DataFrame(rows)
    differ = c[c["event"].str.lower() != c["pt"].str.lower()]
    verbatim = differ.groupby("pt")["event"].agg(lambda e: "; ".join(sorted(set(e))))
    return out.assign(verbatim=out["pt"].map(verbatim).fillna(""),
                      grading=out["pt"].map(terms.set_index("pt")["grading"]).fillna(""),
                      n_patients=int(n_patients))  # fmt: skip


def table2_shown(t2: pd.DataFrame, mark_assumed: bool = False) -> pd.DataFrame:
    """Table 2 as displayed: SOC or "– PT" (‡ if graded by ASTCT consensus), verbatim
    term, ``n (%)`` at any grade (N in the header) and by worst grade, :data:`ASSUMED` on
    counts that rest on an assumption if ``mark_assumed``."""
    n, astct = int(t2["n_patients"].iloc[0]), np.where(t2["grading"].str[:5] == "ASTCT", " ‡", "")
    label = np.where(t2["level"] == "pt", "– " + t2["pt"] + astct, t2["soc"])
    out = {"System organ class / – preferred term": label, "Verbatim term": t2["verbatim"]}
    for g in ("any", *GRADES):
        counts = t2["n_any" if g == "any" else f"n_grade{g}"]
        cells = [f"{k} ({fmt.number(100 * k / n)})" if k else "0" for k in counts]
        marks = [f" {ASSUMED}" if mark_assumed and g in a else "" for a in t2["assumed"]]
        out[f"Grade {g}" if g != "any" else f"Any grade (N = {n})"] = np.char.add(cells, marks)
    return pd.DataFrame(out)


def grade_plausibility(ae: pd.DataFrame) -> pd.DataFrame:
    """Each recorded term and grade against the grades its grading system defines: ``event``,
    ``pt``, ``grading``, ``ctcae``, ``grade``, ``n_patients``, ``defined`` ("1, 2, 3") and
    ``plausible`` (<NA> if not in the mapping; the findings: ``.query("plausible == False")``)."""
    c = coded(ae)
    out = c.groupby(["event", "pt", "grading", "ctcae", "grade"], as_index=False)["patient_id"]
    out = out.nunique().rename(columns={"patient_id": "n_patients"})
    defined = out["event"].map(c.drop_duplicates("event").set_index("event")["defined"])
    ok = [g in d if isinstance(d, list) else pd.NA for g, d in zip(out["grade"], defined)]
    return out.assign(defined=[", ".join(map(str, d)) if isinstance(d, list) else "" for d in
                               defined], plausible=pd.array(ok, dtype="boolean"))  # fmt: skip


def actions(ae: pd.DataFrame) -> pd.DataFrame:
    """One row per action (ordered as :data:`ACTIONS`) and patient: ``action``,
    ``patient_id``, ``events`` behind it (``term (grade g)``, worst first), ``max_grade``."""
    rank = {a: i for i, a in enumerate(ACTIONS)}
    rows = ae.assign(action=ae["action"].fillna("").astype(str).str.strip())
    rows = rows[~rows["action"].isin(["", "none"])]
    grade = rows["grade"].map(lambda g: f" (grade {fmt.number(g, 0)})")
    rows = rows.assign(rank=rows["action"].map(rank).fillna(len(rank)), worst=-rows["grade"],
                       text=rows["event"] + grade)  # fmt: skip
    rows = rows.sort_values(["rank", "action", "patient_id", "worst", "event"])
    out = rows.groupby(["action", "patient_id"], sort=False, as_index=False).agg(
        events=("text", "; ".join), max_grade=("grade", "max"))  # fmt: skip
    return out.astype({"max_grade": "Int64"})


def actions_shown(acts: pd.DataFrame, max_rows: int = MAX_LISTED) -> pd.DataFrame:
    """The first ``max_rows`` actions as displayed, ``Action`` once per group."""
    acts = acts.head(max_rows)
    return pd.DataFrame({"Action": acts["action"].where(~acts["action"].duplicated(), ""),
                         "Patient": acts["patient_id"],
                         "Adverse events behind it": acts["events"]})  # fmt: skip


def tiles(cohort: pd.DataFrame, ae: pd.DataFrame, max_patients: int = MAX_TILES) -> pd.DataFrame:
    """The adverse-event tiles: one row per PT (short, in the order of :func:`table2`) and
    patient (at most ``max_patients``, a seeded sample above): ``patient_id``, ``event``,
    ``grade`` (worst; ``nan`` if none) and ``label`` (the grade as written, or "")."""
    ids = sorted(cohort["patient_id"].astype(str))
    if len(ids) > max_patients:
        ids = sorted(np.random.default_rng(_SEED).choice(ids, max_patients, replace=False))
    pts = table2(ae, len(cohort)).query("level == 'pt'")["pt"].map(lambda p: _SHORT.get(p, p))
    worst = coded(ae).groupby(["label", "patient_id"])["grade"].max()
    grid = pd.MultiIndex.from_product([pts, ids], names=worst.index.names)
    out = worst.reindex(grid).rename_axis(["event", "patient_id"]).reset_index()
    out["label"] = [fmt.number(g, 0) if pd.notna(g) else "" for g in out["grade"]]
    return out[["patient_id", "event", "grade", "label"]]


def _plausibility(gp: pd.DataFrame) -> str:
    bad, unmapped = gp[gp["plausible"].eq(False)], gp.loc[gp["plausible"].isna(), "event"]
    found = "; ".join(f"grade {fmt.number(r.grade, 0)} {r.event} "
                      f"({fmt.count_phrase(r.n_patients, 'patient')}; {r.grading} {r.ctcae} "
                      f"defines grades {r.defined})" for r in bad.itertuples())  # fmt: skip
    text = SAY["grades_undefined"].format(k=len(bad), n=len(gp), found=found) * (len(bad) > 0)
    unmapped = ", ".join(sorted(set(unmapped)))
    more = SAY["grades_unmapped"].format(terms=unmapped) * (unmapped != "")
    return (text or SAY["grades_defined"]) + more


def texts(cohort: pd.DataFrame, ae: pd.DataFrame) -> dict[str, str]:
    """Glue-ready text of the safety chapter (keys without ``safety_``): patients with each term
    of :data:`TERMS` (``n_<key>``; ``n_<key>_grade3`` at grade >= 3) and action; sentences
    (``plausibility``, ``footnote``, ``tiles_sample``, ``listing``, ``note_*``; "" if none)."""
    n, acts, worst, by_pt = len(cohort), actions(ae), worst_grades(ae), worst_grades(ae, "pt")
    anyg = worst.groupby("event")["patient_id"].nunique()
    grade3 = worst[worst["grade"] >= 3].groupby("event")["patient_id"].nunique()
    crs, per_action = by_pt[by_pt["pt"] == CRS], acts.groupby("action")["patient_id"].nunique()
    k, k3 = worst["patient_id"].nunique(), worst.loc[worst["grade"] >= 3, "patient_id"].nunique()
    out = {"n_patients": str(n), "n_any": str(k), "n_any_grade3": str(k3),
           "n_terms": str(by_pt["pt"].nunique()), "pct_any": fmt.percent(k, n),
           "pct_crs": fmt.percent(len(crs), n), "n_crs_grade12": str((crs["grade"] <= 2).sum()),
           "plausibility": _plausibility(grade_plausibility(ae)),
           "footnote": SAY["ae_footnote"] + SAY["ae_assumed_footnote"].format(mark=ASSUMED)
           * config.uses_reconstruction(),
           "tiles_sample": SAY["tiles_sample"].format(k=MAX_TILES, n=n, seed=_SEED)
           * (n > MAX_TILES),
           "listing": SAY["listing"].format(k=MAX_LISTED, n=len(acts)) * (len(acts) > MAX_LISTED),
           "note_no_events": SAY["no_events"] * ae.empty,
           "note_no_actions": SAY["no_actions"] * acts.empty}  # fmt: skip
    for key, term in TERMS.items():
        out[f"n_{key}"], out[f"n_{key}_grade3"] = str(anyg.get(term, 0)), str(grade3.get(term, 0))
    return out | {f"n_{a.replace(' ', '_')}": str(per_action.get(a, 0)) for a in ACTIONS}
