"""analysis.results.transplant: who was transplanted, by which route, and Figure 3.

Published values are quoted with their section (Results, *Treatment response and
post-blinatumomab treatments*, unless stated otherwise).
"""

from __future__ import annotations

import numpy as np
import pytest
from lifelines.statistics import logrank_test
from test_results_survival import core_only, tiled

from analysis import config, load_cohort
from analysis.results import km, transplant


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
    assert (np.diff(t["months"]) >= 0).all()
    # the median interval of 26 days (range 7-78)
    assert t["days"].agg(["median", "min", "max"]).tolist() == [26, 7, 78]
    assert t.loc[t["pathway"] == "bridging", "therapy"].tolist() == ["imatinib"]
    # all transplanted patients were MRD-negative after the transplant (11 of 11 here)
    assert set(t["mrd_after"]) == {"yes"}


def test_pathway_table(cohort):
    p = transplant.pathway_table(cohort).set_index("Route to allo-HSCT")
    # 9 direct (7 MRD responders, 2 non-responders), 1 bridged with imatinib, 1 salvage
    assert p["Patients"].to_dict() == {"direct": 9, "after bridging therapy": 1,
                                       "after relapse and salvage": 1, "total": 11}  # fmt: skip
    assert p.loc["direct", "MRD responders / non-responders"] == "7 / 2"
    assert p.loc["after bridging therapy", "Therapy before HSCT"] == "imatinib"
    assert p.loc["total", "Days after infusion, median (range)"] == "26 (7–78)"
    assert p.loc["after bridging therapy", "Days after infusion, median (range)"] == "69"
    assert p.loc["total", "Therapy before HSCT"] == "—"
    nobody = transplant.pathway_table(cohort.assign(allo_hsct_after=False))
    assert nobody["Route to allo-HSCT"].tolist() == ["total"] and nobody["Patients"].sum() == 0


def test_transplant_table(cohort):
    t = transplant.transplant_table(cohort)
    assert len(t) == 11 and t.attrs["note"] == "Reconstructed, not the patients' records."
    assert "after bridging therapy (imatinib)" in set(t["Route"])
    assert set(t["MRD-negative after"]) == {"yes"}
    big = transplant.transplant_table(tiled(cohort, 30))
    assert (
        len(big) == 40
        and big.attrs["note"]
        == "The first 40 of 330 rows. Reconstructed, not the patients' records."
    )


def test_texts_reproduce_the_paper(texts):
    # Abstract, Results: "Of the 16 patients with CR, 62.5% proceeded to allo-HSCT"
    assert (texts["cr"], texts["pct_first_remission"]) == ("16", "62.5%")
    assert texts["pct_any_hsct"] == "68.8%"  # 11 of 16: the discrepancy hsct_share
    assert texts["share"].startswith("The paper's percentage is what counting only")
    assert texts["days_from_end"] == "26 days (range 7–78)"
    assert [texts[k] for k in ("hsct", "direct", "bridging", "salvage")] == [
        "11", "9 patients", "1 patient", "1 patient"]  # fmt: skip
    # "All of these three MRD non-responders achieved MRD negativity post-transplant"
    assert texts["mrd_after"].endswith("3 of 3 were.")
    # "Two patients who did not achieve CR ... received further therapies followed by CAR-T"
    assert texts["car_t"].startswith("2 of them went on")
    assert texts["after_relapse_patients"] == "1 patient"
    # Results, Survival outcomes: no significant difference in OS (3a) or RFS (3b)
    for endpoint in ("os", "rfs", "os_any", "rfs_any"):
        assert float(texts[f"{endpoint}_p"].split("= ")[1]) >= config.ALPHA
        assert texts[f"{endpoint}_hr"].startswith("HR ")
    assert (texts["paper_pct"], texts["paper_n_hsct"]) == ("62.5", "11")
    # Abstract: "Of the 16 patients with CR", "62.5% proceeded": 62.5% of 16 is 10, not 11
    assert (texts["paper_cr"], texts["paper_pct_of_cr"]) == ("16", "10")
    assert texts["listing_caption"] == "Reconstructed, not the patients' records."


def test_figure_3_both_groupings(cohort, texts):
    assert list(transplant.PANELS) == ["3a", "3b", "3a (any)", "3b (any)"]
    for key, panel in transplant.PANELS.items():
        data = km.endpoint_data(cohort, panel.endpoint, panel.among)
        assert len(data) == 16  # "Among the 16 patients obtaining CR" (Survival outcomes)
        assert int(data[panel.split].sum()) == (11 if "any" in key else 10)
    # the any-transplant grouping, by hand with lifelines
    cr = cohort[cohort["cr"].astype(bool)]
    h = cr["allo_hsct_after"].astype(bool)
    p = logrank_test(cr["os_months"][h], cr["os_months"][~h], cr["os_event"][h], cr["os_event"][~h])
    assert texts["os_any_p"] == f"log-rank P = {p.p_value:.3f}"
    # the ledger's entries use the first-remission grouping (published.yml)
    assert texts["grouping"] == (
        "The ledger's entries os_by_hsct_ns and rfs_by_hsct_ns use the grouping by allo-HSCT in "
        "first remission. On these data the log-rank test is not significant for panel 3a, "
        "panel 3b, panel 3a (any) and panel 3b (any)."
    )


def test_grouping_text_flips(cohort):
    # the patients in CR never transplanted all die at 2 months: OS differs under both groupings
    cr, h = cohort["cr"].astype(bool), cohort["allo_hsct_after"].astype(bool)
    worse = cohort.assign(os_months=np.where(cr & ~h, 2.0, cohort["os_months"]),
                          os_event=np.where(cr & ~h, 1, cohort["os_event"]))  # fmt: skip
    text = transplant.texts(worse)["grouping"]
    assert "the log-rank test is significant for panel 3a" in text
    assert "panel 3a (any)" in text.split("not significant")[0]


def test_share_flips(cohort):
    # one more transplant in first remission: 11 of 16, not the paper's 62.5%
    other = cohort.copy()
    i = other.index[other["cr"].astype(bool) & ~other["allo_hsct_after"].astype(bool)][0]
    other.loc[i, ["allo_hsct_after", "hsct_pathway", "hsct_months", "days_to_hsct"]] = [
        True, "direct", 2.0, 20]  # fmt: skip
    t = transplant.texts(other)
    assert t["share"] == (
        "Counting only the transplants in first remission gives 11 of 16, or 68.8%, not the "
        "paper's 62.5%."
    )


def test_nobody_in_cr(cohort):
    c = cohort.assign(cr=False, mrd_response=False, allo_hsct_after=False)
    t = transplant.texts(c)
    assert t["pct_first_remission"] == t["pct_any_hsct"] == "not defined (no patients)"
    assert t["days_from_end"] == "not applicable (no patients)"
    assert t["os_p"] == "log-rank P not computable"


def test_core_columns_only():
    c = core_only()
    t = transplant.texts(c)
    assert t["hsct"] == "11" and t["months_from_start"] == "not recorded"
    assert [t[k] for k in ("direct", "mrd_negative_after", "no_cr_car_t")] == ["not recorded"] * 3
    assert (
        t["mrd_after"]
        == "Whether the transplanted patients were MRD-negative afterwards is not recorded."
    )
    assert t["car_t"] == "Whether they went on to CAR-T cells is not recorded"
    lacking = "hsct_pathway, pre_hsct_therapy, hsct_months, relapse_months"
    assert t["not_recorded"].startswith(f"The cohort table has no value in {lacking}")
    p = transplant.pathway_table(c).set_index("Route to allo-HSCT")
    assert (
        p.loc["not recorded", "Patients"] == 11 and p.loc["total", "MRD-negative after HSCT"] == "—"
    )
    table = transplant.transplant_table(c)
    assert set(table["Route"]) == {"—"} and set(table["MRD-negative after"]) == {"—"}
