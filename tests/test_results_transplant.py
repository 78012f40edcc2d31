"""analysis.results.transplant: who was transplanted, by which route, and Figure 3.

Published values are quoted with their section (Results, *Treatment response and
post-blinatumomab treatments*, unless stated otherwise).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis import config, load_cohort
from analysis.data import parse_cohort, read_table
from analysis.results import km, transplant

OPTIONAL = ["hsct_pathway", "pre_hsct_therapy", "hsct_months", "mrd_negative_after_hsct",
            "car_t_after", "car_t_months", "relapse_site", "relapse_months", "course"]  # fmt: skip


@pytest.fixture(scope="module")
def cohort():
    return load_cohort()


@pytest.fixture(scope="module")
def texts(cohort):
    return transplant.texts(cohort)


def test_transplants(cohort):
    t = transplant.transplants(cohort)
    # "11 patients underwent allo-HSCT"; 62.5% of the 16 in CR = 10 in first remission
    # (Abstract, Results; discrepancy hsct_share)
    assert len(t) == 11 and int(t["first_remission"].sum()) == 10
    assert (np.diff(t["hsct_months"]) >= 0).all()
    # the median interval of 26 days (range 7-78)
    assert t["days_from_end"].agg(["median", "min", "max"]).tolist() == [26, 7, 78]
    assert t.loc[t["pathway"] == "bridging", "pre_hsct_therapy"].tolist() == ["imatinib"]
    # all transplanted patients were MRD-negative after the transplant (11 of 11 here)
    assert t["mrd_negative_after"].all()


def test_pathways(cohort):
    p = transplant.pathways(cohort).set_index("pathway")
    # 9 direct (7 MRD responders, 2 non-responders), 1 bridged with imatinib, 1 salvage
    assert p["patients"].to_dict() == {"direct": 9, "bridging": 1, "salvage": 1, "total": 11}
    assert (p.loc["direct", "mrd_responders"], p.loc["direct", "mrd_nonresponders"]) == (7, 2)
    assert p.loc["bridging", "therapies"] == "imatinib"
    assert p.loc["total", ["days_median", "days_min", "days_max"]].tolist() == [26, 7, 78]
    nobody = transplant.pathways(cohort.assign(allo_hsct_after=False)).set_index("pathway")
    assert nobody["patients"].sum() == 0 and np.isnan(nobody.loc["total", "days_median"])


def test_tables_as_shown(cohort):
    t = transplant.transplant_table(cohort)
    assert len(t) == 11
    assert "after bridging therapy (imatinib)" in set(t["Route"])
    assert set(t["MRD-negative after"]) == {"yes"}
    p = transplant.pathway_table(cohort).set_index("Route to allo-HSCT")
    assert p.loc["total", "Days after infusion, median (range)"] == "26 (7–78)"
    assert p.loc["after bridging therapy", "Days after infusion, median (range)"] == "69"
    assert p.loc["total", "Therapy before HSCT"] == "—"
    assert p.loc["direct", "MRD responders / non-responders"] == "7 / 2"


def test_texts_reproduce_the_paper(texts):
    # Abstract, Results: "Of the 16 patients with CR, 62.5% proceeded to allo-HSCT"
    assert (texts["cr"], texts["pct_first_remission"]) == ("16", "62.5%")
    assert texts["pct_any_hsct"] == "68.8%"  # 11 of 16: the discrepancy hsct_share
    assert texts["days_from_end"] == "26 days (range 7–78)"
    assert [texts[k] for k in ("hsct", "direct", "bridging", "salvage")] == ["11", "9", "1", "1"]
    # MRD non-responders MRD-negative after transplant (direct or bridged): 3
    assert texts["mrd_nonresponders_hsct_mrd_negative"] == "3"
    # two patients without CR went on to CAR-T
    assert texts["no_cr_car_t"] == "2"
    assert texts["after_relapse_patients"] == "1 patient"
    # Results, Survival outcomes: no significant difference in OS (3a) or RFS (3b)
    for endpoint in ("os", "rfs"):
        assert float(texts[f"{endpoint}_p"].split("= ")[1]) >= config.ALPHA
        assert texts[f"{endpoint}_hr"].startswith("HR ")
    assert (texts["paper_pct"], texts["paper_n_hsct"]) == ("62.5", "11")


def test_figure_3_panels(cohort):
    assert list(transplant.PANELS) == ["3a", "3b"]
    for panel in transplant.PANELS.values():
        data = km.endpoint_data(cohort, panel.endpoint, panel.among)
        assert len(data) == 16  # "Among the 16 patients obtaining CR" (Survival outcomes)
        assert int(data[panel.split].sum()) == 10


def test_nobody_in_cr(cohort):
    c = cohort.assign(cr=False, mrd_response=False, allo_hsct_after=False)
    t = transplant.texts(c)
    assert t["pct_first_remission"] == t["pct_any_hsct"] == "not defined (no patients)"
    assert t["days_from_end"] == "not applicable (no patients)"
    assert t["os_p"] == "log-rank P not computable"


def test_optional_columns_missing(tmp_path):
    raw = pd.read_csv(config.DEFAULT_COHORT, dtype=str, keep_default_na=False)
    raw.assign(**dict.fromkeys(OPTIONAL, "")).to_csv(tmp_path / "c.csv", index=False)
    c = parse_cohort(read_table(tmp_path / "c.csv"))
    t = transplant.texts(c)
    assert t["hsct"] == "11" and t["months_from_start"] == "not recorded"
    assert transplant.pathways(c).set_index("pathway").loc["not recorded", "patients"] == 11
    assert set(transplant.transplant_table(c)["Route"]) == {"—"}
    assert len(transplant.transplants(c.drop(columns=["pre_hsct_therapy"]))) == 11
