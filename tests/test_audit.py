"""The consistency audit: GRIM, intervals, Kaplan-Meier feasibility and the audit table."""

import numpy as np
import pandas as pd
import pytest
import yaml
from statsmodels.stats.proportion import proportion_confint

from analysis import audit, load_adverse_events, load_cohort, survival


@pytest.fixture(scope="module")
def table():
    return audit.audit(load_cohort(), load_adverse_events())


# ------------------------------------------------------------------ GRIM and intervals


@pytest.mark.parametrize(
    "printed, n, ks",
    [("62.5", 16, [10]), ("36.8", 19, [7]), ("36.8", 15, []), ("63.2", 19, [12]),
     ("75", 8, [6]), ("80.0", 15, [12]), ("15.8", 19, [3]), ("33", 3, [1])],
)  # fmt: skip
def test_grim(printed, n, ks):
    assert audit.grim(printed, n) == ks


def test_round_half_up():
    assert str(audit.round_half_up(0.125, 2)) == "0.13"  # Python's round() gives 0.12
    assert str(audit.round_half_up(100 * 4 / 19, 1)) == "21.1"


@pytest.mark.parametrize("k, n", [(12, 15), (12, 19), (3, 17), (1, 9), (30, 31)])
@pytest.mark.parametrize("method, sm", [("exact", "beta"), ("wilson", "wilson"),
                                        ("jeffreys", "jeffreys"), ("wald", "normal")])  # fmt: skip
def test_ci_by_method_matches_statsmodels(k, n, method, sm):
    lo, hi = audit.ci_by_method(k, n, method)
    ref = proportion_confint(k, n, alpha=0.05, method=sm)
    assert (lo, hi) == pytest.approx((100 * ref[0], 100 * ref[1]), abs=1e-8)


def test_the_paper_used_exact_intervals():
    # Abstract and Results: 12/15 (51.9-95.7) and 12/19 (38.4-83.7) are Clopper-Pearson
    t = audit.ci_methods()
    assert set(t["id"]) == {"ci_cr_overt", "ci_mrd_response"}
    assert audit.identify_ci_method(t) == ["exact"]
    wald = t[(t["id"] == "ci_cr_overt") & (t["method"] == "wald")].iloc[0]
    assert round(wald["upper"], 1) == 100.0  # 80% +- 20.2 points, clipped


# ------------------------------------------------------------------ Kaplan-Meier feasibility


def test_km_feasibility_of_the_published_survival():
    # the three orders found independently for 1-year OS 64.2% +- 12.1% (BUILD-NOTES)
    os_ = audit.km_feasibility(19, 7, "64.2", "12.1")
    assert set(os_.orders) == {"DDDCCDDCCCD", "DDCDDCDCCCD", "CDDDDDCCCCD"}
    assert os_.orders_half_width == 0  # the "±" is a standard error, not a CI half-width
    # 1-year RFS 73.3% +- 11.4% among 16: one early censoring, then the four events (11/15)
    rfs = audit.km_feasibility(16, 4, "73.3", "11.4")
    assert rfs.orders == ("CDDDD",)


def test_km_feasibility_orders_reproduce_with_kaplan_meier():
    for order in audit.km_feasibility(19, 7, "64.2", "12.1").orders:
        n = 19
        t = np.arange(1.0, n + 1)  # the order's observations, then the rest after 12 months
        e = np.array([ch == "D" for ch in order] + [False] * (n - len(order)), dtype=int)
        km = survival.kaplan_meier(t, e)
        s, se = survival.survival_at(km, len(order))
        assert (round(100 * s, 1), round(100 * se, 1)) == (64.2, 12.1)


def test_km_feasibility_small_cases():
    # two patients, one death first: S = 1/2, Greenwood SE = 1/2 * sqrt(1/(2*1)) = 35.4%;
    # the estimate is attainable, but at 1/2 the median is reached
    f = audit.km_feasibility(2, 1, "50.0", "35.4")
    assert f.orders == () and f.orders_any_median == 1 and not f.feasible
    # three patients, one death first: S = 2/3, SE = 2/3 * sqrt(1/6) = 27.2%; median not reached
    f = audit.km_feasibility(3, 1, "66.7", "27.2")
    assert f.orders == ("D",) and f.feasible and f.orders_half_width == 0
    assert not audit.km_feasibility(5, 1, "50.0", "10.0").feasible


# ------------------------------------------------------------------ arithmetic


def test_evaluate():
    assert audit.evaluate("12 + 4 + 2 == 19") == (False, "18 ≠ 19")
    assert audit.evaluate("0.625 * 16 == 9 + 1 + 1") == (False, "10 ≠ 11")
    assert audit.evaluate("12 >= (19 + 1) / 2") == (True, "12 ≥ 10")
    assert audit.evaluate("1.7 <= 11.0 <= 28.5")[0]
    assert not audit.evaluate("1 <= 3 <= 2")[0]
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
    assert (table["where"].str.len() > 0).all()
    assert (table["statement"].str.len() > 0).all()
    disc = table[table["status"] == "discrepancy"]
    assert (disc["explanation"].str.len() > 0).all()
    row = table.set_index("id").loc["fisher_cr_prior_hsct"]
    assert "P = 0.029" in row["recomputed"]
    row = table.set_index("id").loc["ledger_os_mrd_p"]
    assert row["printed"] == "0.023" and row["recomputed"] == "0.023"
    assert row["where"].startswith("Abstract")  # from the ledger


def test_every_recorded_discrepancy_is_in_the_audit(table):
    recorded = set(audit.load_discrepancies()["id"])
    assert recorded <= set(table["discrepancy"])
    # merged, not duplicated: each recorded id has one row of its own at most
    assert not table.loc[table["category"] == "recorded", "id"].duplicated().any()


def test_a_newly_recorded_discrepancy_appears_unclassified(monkeypatch):
    known = audit.load_discrepancies()
    extra = {"id": "new_one", "where": "Results, Adverse events", "statement": "s",
             "finding": "f.", "resolution": "r."}  # fmt: skip
    monkeypatch.setattr(audit, "load_discrepancies",
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
