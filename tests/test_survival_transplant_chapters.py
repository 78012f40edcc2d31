"""The survival and transplant chapters: published values, and cohorts unlike the paper's.

Complements ``tests/test_chapters.py`` (every chapter executes) and
``tests/test_chapter_cohorts.py`` (glue complete; chapters run on a resampled, a low-burden
and an event-free cohort). Here the survival and transplant chapters are executed with
nbclient and their glued values checked: on the reconstruction, against the numbers the paper
prints (quoted with their section); on cohorts with an empty subgroup, no deaths or relapses,
or nobody in CR, that what cannot be estimated is said in words, never pasted as ``nan``.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from chapters import executed

from analysis import config, load_adverse_events, load_cohort
from analysis.data import to_csv_text
from analysis.data.contract import ContractError

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = ["book/survival", "book/transplant"]
CORE = ["patient_id", "sex", "age_years", "ph_positive", "months_diagnosis_to_blinatumomab",
        "prior_allo_hsct", "prior_car_t", "marrow_blasts_pct", "extramedullary_disease", "cycles",
        "cr", "mrd_response", "allo_hsct_after", "days_to_hsct", "relapse", "os_months",
        "os_event", "rfs_months", "rfs_event", "cause_of_death"]  # fmt: skip
GLUE_ROLE = re.compile(r"\{glue:text\}`([^`:]+)(?::[^`]*)?`")

pytestmark = [pytest.mark.chapters, pytest.mark.slow]


def glued(nb) -> dict[str, str]:
    """Key -> text/plain of every value glued in an executed notebook."""
    out = {}
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            meta = o.get("metadata", {}).get("scrapbook")
            if meta:
                key = meta.get("mime_prefix", "") + "text/plain"
                out[meta["name"]] = o.get("data", {}).get(key, "")
    return out


def figures(nb) -> int:
    return sum("image/png" in o.get("data", {}) for c in nb.cells for o in c.get("outputs", []))


def prose_values(doc: str, nb) -> dict[str, str]:
    """Glued values, after checking that none the prose pastes is ``nan``."""
    values = glued(nb)
    used = set(GLUE_ROLE.findall((ROOT / f"{doc}.md").read_text(encoding="utf-8")))
    assert used and used <= set(values)
    nan = sorted(k for k in used if values[k].strip("'\"").lower() in ("nan", "<na>"))
    assert nan == [], f"{doc}: the prose would show nan for {nan}"
    return values


# ----------------------------------------------------------------------------- the reconstruction


def test_survival_chapter_reproduces_the_paper():
    nb = executed("book/survival")
    assert figures(nb) == 8  # the paper's Figures 1a-d and 2a-d, one panel each
    v = prose_values("book/survival", nb)
    # Abstract, Results: 1-year OS 64.2% ± 12.1%, RFS 73.3% ± 11.4%; MRD response P = 0.023
    assert v["survival_os_estimate"] == "'64.2% ± 12.1%'"
    assert v["survival_rfs_estimate"] == "'73.3% ± 11.4%'"
    assert v["survival_os_p_mrd_response"] == "'log-rank P = 0.023'"
    # Results, Survival outcomes: P = 0.616 (Ph), 0.174 (blasts); medians not reached;
    # follow-up 11.0 months (range 1.7-28.5); 7 deaths, 12 alive, 3 relapses
    assert v["survival_os_p_ph_positive"] == "'log-rank P = 0.616'"
    assert v["survival_os_p_high_blasts"] == "'log-rank P = 0.174'"
    assert v["survival_os_median"].startswith("'not reached")
    assert v["survival_rfs_median"].startswith("'not reached")
    followup = [v[f"survival_followup_{k}"] for k in ("median", "min", "max")]
    assert followup == ["'11.0'", "'1.7'", "'28.5'"]
    assert [v[f"survival_os_{k}"] for k in ("events", "censored")] == ["'7'", "'12'"]
    assert v["survival_rfs_relapses"] == "'3'"
    # The MRD non-responders' last death (P05, Results: heart and renal failure) leaves one
    # patient at risk; the caption of Figure 1d says so, computed
    assert "MRD non-responders, 16.2 months, rests on 1 patient at risk" in v["survival_note_1d"]
    assert v["survival_mrd_finding"] == "'MRD responders lived longer than non-responders'"
    assert v["survival_os_medians_mrd_response"].startswith(
        "'16.2 months (95% CI 1.7–16.2) for MRD"
    )
    conclusion = v["survival_mrd_conclusion"]  # chosen from the three tests' P values
    assert conclusion.startswith("'On these data the difference is")
    assert all(a in conclusion for a in ("landmark", "time-dependent", "within the patients in CR"))
    assert "reproduced by construction" in v["survival_by_construction"]
    assert v["survival_n_reproduced"] == v["survival_n_statements"]


def test_transplant_chapter_reproduces_the_paper():
    nb = executed("book/transplant")
    assert figures(nb) == 4  # the paper's Figures 3a and 3b, under both groupings
    v = prose_values("book/transplant", nb)
    # Abstract, Results: "Of the 16 patients with CR, 62.5% proceeded to allo-HSCT"
    assert v["transplant_pct_first_remission"] == "'62.5%'"
    assert v["transplant_cr"] == "'16'"
    # Results, Treatment response and post-blinatumomab treatments: 11 transplants, 26 days
    # (range 7-78), 9 direct, 1 bridged with imatinib, 1 after relapse and salvage
    assert v["transplant_hsct"] == "'11'"
    assert v["transplant_days_from_end"] == "'26 days (range 7–78)'"
    routes = [v[f"transplant_{k}"] for k in ("direct", "bridging", "salvage")]
    assert routes == ["'9 patients'", "'1 patient'", "'1 patient'"]
    # Results, Survival outcomes (Figure 3): no significant difference in OS or RFS, under
    # either grouping here
    for endpoint in ("os", "rfs", "os_any", "rfs_any"):
        assert float(v[f"transplant_{endpoint}_p"].strip("'").split("= ")[1]) >= 0.05
    assert "not significant for panel 3a, panel 3b, panel 3a (any)" in v["transplant_grouping"]
    assert "reproduced by construction" in v["transplant_by_construction"]
    assert v["transplant_n_reproduced"] == v["transplant_n_statements"]


@pytest.mark.parametrize("doc", CHAPTERS)
def test_figures_are_vector_for_the_pdf(doc):
    """Every figure offers PDF (what the LaTeX builder picks) besides the HTML's PNG."""
    outputs = [o for c in executed(doc).cells for o in c.get("outputs", [])
               if "image/png" in o.get("data", {})]  # fmt: skip
    assert outputs and all("application/pdf" in o["data"] for o in outputs)


# ----------------------------------------------------------------------------- other cohorts


def _no_ph_positive(c: pd.DataFrame) -> pd.DataFrame:
    return c.assign(ph_positive=False)


def _no_events(c: pd.DataFrame) -> pd.DataFrame:
    cr = c["cr"].fillna(False).astype(bool)
    return c.assign(
        os_event=0,
        rfs_event=pd.array([0 if x else pd.NA for x in cr], dtype="Int64"),
        cause_of_death="",
        relapse=False,
        relapse_site="",
        relapse_months=np.nan,
    )


def _nobody_in_cr(c: pd.DataFrame) -> pd.DataFrame:
    n = len(c)
    return c.assign(
        cr=False,
        mrd_response=False,
        rfs_months=np.nan,
        rfs_event=pd.array([pd.NA] * n, dtype="Int64"),
        relapse=False,
        relapse_site="",
        relapse_months=np.nan,
        allo_hsct_after=False,
        hsct_pathway="",
        pre_hsct_therapy="",
        days_to_hsct=pd.array([pd.NA] * n, dtype="Int64"),
        hsct_months=np.nan,
        mrd_negative_after_hsct=pd.array([pd.NA] * n, dtype="boolean"),
    )


def _flipped(c: pd.DataFrame) -> pd.DataFrame:
    """The conclusions turned over: MRD non-responders do not die (OS by MRD response no
    longer differs); patients in CR never transplanted die at 3 months and transplanted ones
    do not (Figure 3 differs under both groupings)."""
    c = c.copy()
    cr, hsct, relapse = (c[k].astype(bool) for k in ("cr", "allo_hsct_after", "relapse"))
    spared = (~c["mrd_response"].astype(bool) | hsct) & (c["os_event"] == 1)
    c.loc[spared & ~relapse & (c["rfs_event"] == 1), "rfs_event"] = 0
    c.loc[spared, ["os_event", "cause_of_death"]] = [0, ""]
    dying = cr & ~hsct & ~relapse
    c.loc[dying, ["os_event", "rfs_event", "cause_of_death"]] = [1, 1, "disease progression"]
    c.loc[dying, ["os_months", "rfs_months"]] = [3.0, 3.0]
    return c


VARIANTS = {
    "no_ph_positive": _no_ph_positive,
    "no_events": _no_events,
    "nobody_in_cr": _nobody_in_cr,
    "flipped": _flipped,
}


@pytest.fixture(scope="module", params=sorted(VARIANTS))
def other_cohort(request, tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp(request.param)
    cohort = VARIANTS[request.param](load_cohort(config.DEFAULT_COHORT, validate=False))
    ae = load_adverse_events(config.DEFAULT_ADVERSE_EVENTS, validate=False)
    for name, df in (("cohort.csv", cohort), ("adverse_events.csv", ae)):
        (tmp_path / name).write_text(to_csv_text(df), encoding="utf-8", newline="")
    return request.param, str(tmp_path / "cohort.csv"), str(tmp_path / "adverse_events.csv")


@pytest.mark.parametrize("doc", CHAPTERS)
def test_chapter_says_what_cannot_be_estimated(doc, other_cohort):
    other_cohort, cohort_path, ae_path = other_cohort
    v = prose_values(doc, executed(doc, cohort_path, ae_path))
    if doc == "book/survival":
        if other_cohort == "no_ph_positive":
            assert v["survival_os_p_ph_positive"] == "'log-rank P not computable'"
            assert v["survival_os_hr_ph_positive"] == "'HR not computable'"
        if other_cohort == "no_events":
            assert v["survival_os_median"] == "'not reached'"
            assert v["survival_os_p_mrd_response"] == "'log-rank P not computable'"
            assert v["survival_n_listed"] == "'0'"
            assert v["survival_followup_reverse_km"] != "'not reached (every patient died)'"
        if other_cohort == "nobody_in_cr":
            assert v["survival_rfs_estimate"] == "'not estimable (no patients)'"
            assert v["survival_rfs_p_mrd_response"] == "'log-rank P not computable'"
    else:
        if other_cohort == "nobody_in_cr":
            assert v["transplant_pct_first_remission"] == "'not defined (no patients)'"
            assert v["transplant_days_from_end"] == "'not applicable (no patients)'"
            assert v["transplant_os_p"] == "'log-rank P not computable'"
            assert v["transplant_hsct"] == "'0'"
    if other_cohort == "flipped":  # the conclusions follow the data (issue 11, part 2)
        if doc == "book/survival":
            finding = "'OS did not differ significantly between MRD responders and non-responders'"
            assert v["survival_mrd_finding"] == finding
            assert v["survival_mrd_conclusion"].startswith("'On these data the difference is not")
            assert "On this cohort it shows where" in v["survival_by_construction"]
        else:
            assert "log-rank test is significant for panel 3a, panel 3b" in v["transplant_grouping"]
            assert v["transplant_listing_caption"] == "'From the cohort table of this build.'"


# ----------------------------------------------------------------------------- own data


@pytest.mark.parametrize("doc", CHAPTERS)
def test_chapter_on_the_core_columns(doc, tmp_path):
    """A centre's table with only the 20 core columns: the chapter says what it skips."""
    raw = pd.read_csv(config.DEFAULT_COHORT, dtype=str, keep_default_na=False)
    raw[CORE].to_csv(tmp_path / "cohort.csv", index=False)
    (tmp_path / "ae.csv").write_bytes(config.DEFAULT_ADVERSE_EVENTS.read_bytes())
    try:
        load_cohort(tmp_path / "cohort.csv")
    except ContractError:
        pytest.skip("the data contract does not accept the core columns alone yet (issue 13.1)")
    v = prose_values(doc, executed(doc, str(tmp_path / "cohort.csv"), str(tmp_path / "ae.csv")))
    key = doc.split("/")[1] + "_not_recorded"
    assert v[key].startswith("'The cohort table has no value in ")


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    """A synthetic cohort of 100,000 patients (scripts/make_synthetic_cohort.py)."""
    out = tmp_path_factory.mktemp("registry")
    # the script writes both tables before it validates them (its check is the contract's)
    script = ROOT / "scripts" / "make_synthetic_cohort.py"
    args = [sys.executable, str(script), "--n", "100000", "--out", str(out)]
    subprocess.run(args, check=False, capture_output=True)
    paths = [out / f"{name}_100000.csv" for name in ("cohort", "adverse_events")]
    assert all(p.is_file() for p in paths)
    return tuple(str(p) for p in paths)


@pytest.mark.parametrize("doc", CHAPTERS)
def test_chapter_at_registry_size(doc, registry):
    """At 100,000 patients: listings truncated with a note, no per-patient censor marks."""
    nb = executed(doc, *registry)
    v = prose_values(doc, nb)
    notes = [v[k] for k in v if "_note_" in k]
    assert notes and all("not marked on the curves above 500 patients" in n for n in notes)
    caption = v[
        "survival_events_caption" if doc == "book/survival" else "transplant_listing_caption"
    ]
    assert caption.startswith("'The first 40 of ")
