"""The consistency audit of the paper (analysis.paper.audit).

Expected values come from the paper (section named) or from statsmodels, scipy and lifelines
called directly; GRIM and Kaplan-Meier feasibility themselves are tested in test_stats.py.
"""

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from analysis import load_adverse_events, load_cohort
from analysis.paper import audit, ledger
from analysis.stats import survival
from analysis.stats.consistency import km_feasibility


@pytest.fixture(scope="module")
def table():
    return audit.audit(load_cohort(), load_adverse_events())


# ------------------------------------------------------------------ intervals


def test_ci_methods_match_statsmodels():
    t = audit.ci_methods()
    assert set(t["id"]) == {"ci_cr_overt", "ci_mrd_response"}
    sm = {"exact": "beta", "wilson": "wilson", "jeffreys": "jeffreys", "wald": "normal"}
    for r in t.itertuples():
        lo, hi = proportion_confint(r.k, r.n, alpha=0.05, method=sm[r.method])
        assert (r.lower, r.upper) == pytest.approx((100 * lo, 100 * min(hi, 1.0)), abs=1e-8)


def test_the_paper_used_exact_intervals():
    # Abstract and Results: 12/15 (51.9-95.7) and 12/19 (38.4-83.7) are Clopper-Pearson
    t = audit.ci_methods()
    assert audit.identify_ci_method(t) == ["exact"]
    wald = t[(t["id"] == "ci_cr_overt") & (t["method"] == "wald")].iloc[0]
    z = stats.norm.ppf(0.975)
    assert wald["lower"] == pytest.approx(100 * (0.8 - z * np.sqrt(0.8 * 0.2 / 15)))
    assert wald["upper"] == 100.0  # 80% + 20.2 points, clipped
    shown = audit.ci_table(t)
    assert shown.columns.tolist() == ["k", "n", "paper", "exact (Clopper-Pearson)", "Wilson",
                                      "Jeffreys", "Wald"]  # fmt: skip
    assert shown["exact (Clopper-Pearson)"].tolist() == ["51.9-95.7 ✓", "38.4-83.7 ✓"]
    assert not shown[["Wilson", "Jeffreys", "Wald"]].stack().str.contains("✓").any()


# ------------------------------------------------------------------ arithmetic


def test_evaluate():
    assert audit.evaluate("12 + 4 + 2 == 19") == (False, "18 ≠ 19")
    assert audit.evaluate("0.625 * 16 == 9 + 1 + 1") == (False, "10 ≠ 11")
    assert audit.evaluate("12 >= (19 + 1) / 2") == (True, "12 ≥ 10")
    assert audit.evaluate("1.7 <= 11.0 <= 28.5") == (True, "1.7 ≤ 11 ≤ 28.5")
    # sides with at most three decimals, rounded half up (not "%.3g": 1234.5 is not "1.23e+03")
    assert audit.evaluate("1234.5 > 1/3 + 0.0005") == (True, "1234.5 > 0.334")
    assert audit.evaluate("1 <= 3 <= 2") == (False, "1 ≤ 3 > 2")
    for bad in ("__import__('os')", "x + 1 == 2", "12 + 4"):
        with pytest.raises(ValueError):
            audit.evaluate(bad)


# ------------------------------------------------------------------ inputs


def test_claims_file_is_valid():
    data = audit.load_claims()
    ids = [c["id"] for c in data["claims"]]
    assert len(ids) == len(set(ids))
    assert {c["type"] for c in data["claims"]} == set(audit.TYPES)


@pytest.mark.parametrize(
    "claim, message",
    [({"id": "x", "type": "nonsense", "where": "w", "statement": "s"}, "unknown type"),
     ({"id": "x", "type": "percent", "k": 1, "n": 2, "where": "w", "statement": "s"}, "lacks"),
     ({"id": "x", "type": "arithmetic", "expr": "1 == 1", "where": "w", "statement": "s",
       "discrepancy": "no_such_id"}, "unknown discrepancy"),
     ({"id": "x", "type": "ledger", "ledger": "no_such_entry", "statement": "s"},
      "unknown ledger entry")],
)  # fmt: skip
def test_bad_claims_are_rejected(tmp_path, claim, message):
    path = tmp_path / "claims.yml"
    path.write_text(yaml.safe_dump({"claims": [claim], "recorded": []}))
    with pytest.raises(ValueError, match=message):
        audit.load_claims(path)


# ------------------------------------------------------------------ the audit table


def test_audit_statuses(table):
    status = table.set_index("id")["status"]
    assert set(status.unique()) <= set(audit.STATUSES)
    for key in ("sum_cycles", "grim_cr_to_hsct", "share_transplants", "blast_inequality",
                "hsct_interval"):  # fmt: skip
        assert status[key] == "discrepancy", key
    for key in ("fisher_cr_prior_hsct", "fisher_mrd_prior_hsct", "ci_cr_overt", "km_os_1y",
                "km_rfs_1y", "sum_transplants", "sum_alive_dead", "pct_cr_overt",
                "grim_high_burden", "discontinuation_vs_inclusion"):  # fmt: skip
        assert status[key] == "consistent", key
    assert status["ledger_os_mrd_p"] == "not checkable"


def test_audit_rows_say_where_and_why(table):
    assert (table["where"].str.len() > 0).all() and (table["statement"].str.len() > 0).all()
    assert (table.loc[table["status"] == "discrepancy", "explanation"].str.len() > 0).all()
    rows = table.set_index("id")
    # Results, Treatment response: Fisher's exact test, P = 0.029 (0 of 2 against 12 of 13)
    p = stats.fisher_exact([[0, 2], [12, 1]]).pvalue
    assert (
        f"P = {p:.3f}"
        in rows.loc["fisher_cr_prior_hsct", "recomputed"]
        == ("Fisher two-sided P = 0.029 (chi-square 0.002, with Yates' correction 0.037)")
    )
    # the 62.5% of 16 that are 10, against the 11 transplants the text describes (68.8%)
    assert rows.loc["grim_cr_to_hsct", "recomputed"] == "k = 10 of 16; the text gives 11 (68.8%)"
    row = rows.loc["ledger_os_mrd_p"]
    assert row["printed"] == "0.023" and row["recomputed"] == "0.023"
    assert row["where"].startswith("Abstract")  # from the ledger


def test_kaplan_meier_rows_reproduce_with_lifelines(table):
    # each order of deaths (D) and censorings (C) the audit lists gives the paper's
    # 64.2% +- 12.1% (Abstract) when estimated with lifelines
    assert "3 orders" in table.set_index("id").loc["km_os_1y", "recomputed"]
    for order in km_feasibility(19, 7, "64.2", "12.1").orders:
        t = np.arange(1.0, 20)
        e = np.array([ch == "D" for ch in order] + [False] * (19 - len(order)), dtype=int)
        s, se = survival.survival_at(survival.kaplan_meier(t, e), len(order))
        assert (round(100 * s, 1), round(100 * se, 1)) == (64.2, 12.1)


def test_every_recorded_discrepancy_is_in_the_audit(table):
    assert set(ledger.load_discrepancies()["id"]) <= set(table["discrepancy"])
    assert not table.loc[table["category"] == "recorded", "id"].duplicated().any()
    recorded = [r["discrepancy"] for r in audit.load_claims()["recorded"]]
    assert table.loc[table["category"] == "recorded", "id"].tolist()[: len(recorded)] == recorded


def test_a_newly_recorded_discrepancy_appears_unclassified(monkeypatch):
    known = ledger.load_discrepancies()
    extra = {"id": "new_one", "where": "Results, Adverse events", "statement": "s",
             "finding": "f.", "resolution": "r."}  # fmt: skip
    monkeypatch.setattr(ledger, "load_discrepancies",
                        lambda path=None: pd.concat([known, pd.DataFrame([extra])]))  # fmt: skip
    row = audit.audit().set_index("id").loc["new_one"]
    assert row["status"] == "discrepancy" and row["where"] == "Results, Adverse events"
    assert row["explanation"] == "f. Most likely: r."


def test_audit_without_a_cohort_and_counts():
    t = audit.audit()
    assert (t.loc[t["category"] == "needs patient data", "recomputed"] == "no cohort given").all()
    counts = audit.status_counts(t)
    assert counts.loc["all", "all"] == len(t)
    assert counts.loc["all", list(audit.STATUSES)].sum() == len(t)


def test_texts_and_discrepancy_list(table):
    texts = audit.texts(table)
    assert all(isinstance(v, str) for v in texts.values())
    counts = table["status"].value_counts()
    assert texts["n_checks"] == str(len(table)) and texts["n_discrepancy"] == str(
        counts["discrepancy"])  # fmt: skip
    # Discussion: "36.8% of patients had high tumor burden" is 7 of 19, and no count of 15
    assert (texts["grim_high_burden_ks"], texts["grim_high_burden_alt_ks"]) == ("7", "no count")
    # Abstract: 62.5% of 16 is 10; the text describes 11 transplants (68.8%)
    assert (texts["grim_cr_to_hsct_ks"], texts["grim_cr_to_hsct_text_k"],
            texts["grim_cr_to_hsct_text_pct"]) == ("10", "11", "68.8%")  # fmt: skip
    assert (texts["ci_method"], texts["wald_upper"], texts["fisher_cr_prior_hsct_p"]) == (
        "exact", "100.0", "0.029")  # fmt: skip
    assert texts["fisher_cr_prior_hsct_verdict"] == "consistent with the paper"
    assert (texts["km_os_1y_orders"], texts["km_rfs_1y_list"], texts["km_os_1y_half"]) == (
        "3 orders", "CDDDD", "0")  # fmt: skip
    # the one RFS order: one patient censored first, then all four events
    assert texts["km_rfs_1y_phrase"] == "1 censoring, then 4 events"
    assert texts["km_se_reading"] == "the paper's “±” is the Greenwood standard error"
    assert "(18 ≠ 19)" in texts["arithmetic_failures"]  # Results: 12 + 4 + 2 patients of 19
    assert (
        texts["pct_exceptions"] == "; not consistent: 62.5% of 16 (k = 10 of 16; the text "
        "gives 11 (68.8%))"
    )
    assert texts["main_results"].startswith("None concerns the results we count as main")
    assert texts["needs_construction"].startswith("For the reconstruction they agree")
    listed = audit.discrepancy_list(table)
    found = table[table["status"] == "discrepancy"]
    assert listed["statement"].tolist() == found["statement"].tolist()
    assert list(listed.columns) == ["where", "statement", "recomputed", "explanation"]
    assert listed["explanation"].str.contains("Most likely:").all()


def test_order_phrase():
    assert audit.order_phrase("CDDDD") == "1 censoring, then 4 events"
    assert audit.order_phrase("DDCDD") == "2 events, then 1 censoring, then 2 events"


def test_audit_sentences_flip_with_the_claims(tmp_path, monkeypatch):
    # claims that the paper would print otherwise: a wrong main percentage, a Fisher P that
    # does not follow, and an RFS "±" that is a 95% half-width (1.96 x 11.4 = 22.4)
    data = yaml.safe_load(audit.config.CLAIMS_PATH.read_text(encoding="utf-8"))
    for c in data["claims"]:
        if c["id"] == "pct_cr_overt":
            c["printed"] = "81.0"
        if c["id"] == "fisher_cr_prior_hsct":
            c["printed"] = "0.290"
        if c["id"] == "km_rfs_1y":
            c["se"] = "22.4"
    path = tmp_path / "claims.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    monkeypatch.setattr(audit.config, "CLAIMS_PATH", path)
    monkeypatch.setenv("BOOK_COHORT", str(tmp_path / "own.csv"))  # not the reconstruction
    texts = audit.texts(audit.audit())
    assert texts["main_results"].startswith("Main results are among them: pct_cr_overt, ")
    assert "fisher_cr_prior_hsct" in texts["main_results"] and "km_rfs_1y" in texts["main_results"]
    assert texts["fisher_cr_prior_hsct_verdict"] == "not consistent with the paper"
    assert texts["km_rfs_1y_orders"] == "0 orders" and texts["km_rfs_1y_half"] == "1"
    assert texts["km_se_reading"].startswith("the text does not settle")
    assert "81.0% (80.0%)" in texts["pct_exceptions"]  # recomputed: 80.0%, not 81.0
    assert texts["needs_construction"].startswith("This cohort is not the reconstruction")


# ------------------------------------------------------------------ the reproducibility report


def test_reproducibility_report(monkeypatch, tmp_path):
    from analysis import compare
    from analysis.results import reproducibility

    cohort, ae = load_cohort(), load_adverse_events()
    report, checks = compare(cohort, ae, unchecked=True), audit.audit()
    summary = reproducibility.summary(report, checks)
    n_unchecked = int((report["status"] == "not checkable").sum())
    independent = int(checks["category"].isin(audit.INDEPENDENT).sum())
    assert summary["entries"].tolist() == [len(report) - n_unchecked, n_unchecked, independent]
    assert "searched to reproduce them" in summary["part"].iloc[0]
    texts = reproducibility.texts(report, checks, cohort)
    assert texts["n_reproduced"] == texts["n_entries"] and texts["n_differ"] == "0"
    assert texts["notice"].endswith("so its agreement with the paper holds by construction")
    assert texts["cohort"] == "the reconstructed cohort"
    assert len(reproducibility.unchecked(report)) == n_unchecked > 0
    # another cohort: a difference is not an error, and nothing holds by construction
    monkeypatch.setenv("BOOK_COHORT", str(tmp_path / "own.csv"))
    other = cohort.assign(os_months=cohort["os_months"] + 1)
    report = compare(other, ae, unchecked=True)
    texts = reproducibility.texts(report, checks, other)
    assert texts["n_differ"] != "0" and texts["notice"].startswith("another cohort than the")
    assert texts["cohort"] == "own.csv"
    assert "searched" not in reproducibility.summary(report, checks)["part"].iloc[0]
