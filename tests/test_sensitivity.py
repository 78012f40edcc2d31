"""Sensitivity analyses against lifelines, statsmodels and hand calculations."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from lifelines import AalenJohansenFitter, KaplanMeierFitter
from statsmodels.duration.hazard_regression import PHReg
from statsmodels.stats.proportion import proportion_confint

from analysis import derive, load_adverse_events, load_cohort, sensitivity, survival


@pytest.fixture(scope="module")
def cohort():
    return load_cohort()


# ------------------------------------------------------------------ confidence intervals


@pytest.mark.parametrize("k, n", [(1, 5), (12, 15), (12, 19), (16, 19), (3, 40), (57, 60)])
@pytest.mark.parametrize("method, sm", [("exact", "beta"), ("wilson", "wilson"),
                                        ("jeffreys", "jeffreys")])  # fmt: skip
def test_intervals_match_statsmodels(k, n, method, sm):
    t = sensitivity.proportion_cis({"x": (k, n)}, methods=[method])
    lo, hi = proportion_confint(k, n, alpha=0.05, method=sm)
    assert t.loc[0, "ci_lower"] == pytest.approx(100 * lo, abs=1e-8)
    assert t.loc[0, "ci_upper"] == pytest.approx(100 * hi, abs=1e-8)
    assert t.loc[0, "width"] == pytest.approx(100 * (hi - lo), abs=1e-8)


def test_jeffreys_boundaries_and_empty_denominator():
    # Brown, Cai and DasGupta's modification: the limit is 0 (1) when k = 0 (k = n);
    # statsmodels leaves the beta quantile there, so only the other limit is compared.
    t = sensitivity.proportion_cis({"none": (0, 5), "all": (5, 5), "empty": (0, 0)},
                                   methods=["jeffreys"]).set_index("rate")  # fmt: skip
    assert t.loc["none", "ci_lower"] == 0.0
    assert t.loc["none", "ci_upper"] == pytest.approx(
        100 * proportion_confint(0, 5, method="jeffreys")[1]
    )
    assert t.loc["all", "ci_upper"] == 100.0
    assert np.isnan(t.loc["empty", "ci_lower"]) and np.isnan(t.loc["empty", "percent"])


def test_response_cis_reproduce_the_paper(cohort):
    # Abstract and Results: CR 12/15, 80.0% (51.9-95.7); MRD response 12/19, 63.2% (38.4-83.7)
    t = sensitivity.response_cis(cohort).set_index(["key", "method"])
    cr = t.loc[("cr_overt", "exact")]
    assert (cr.k, cr.n) == (12, 15)
    assert [round(cr.ci_lower, 1), round(cr.ci_upper, 1)] == [51.9, 95.7]
    mrd = t.loc[("mrd_all", "exact")]
    assert [round(mrd.ci_lower, 1), round(mrd.ci_upper, 1)] == [38.4, 83.7]
    # Wilson 12/15 by hand: (p + z^2/2n +- z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n)
    z, p, n = 1.959963984540054, 0.8, 15
    centre, half = p + z * z / (2 * n), z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    w = t.loc[("cr_overt", "wilson")]
    assert w.ci_lower == pytest.approx(100 * (centre - half) / (1 + z * z / n))
    assert w.ci_upper == pytest.approx(100 * (centre + half) / (1 + z * z / n))
    assert set(t.index.get_level_values("method")) == set(sensitivity.CI_METHODS)


# ------------------------------------------------------------------ follow-up


def test_followup_summary(cohort):
    fu = sensitivity.followup_summary(cohort)
    assert round(fu.loc["observed", "months"], 1) == 11.0  # Results, Survival outcomes
    os_ = derive.os_table(cohort)
    kmf = KaplanMeierFitter().fit(os_["time"], 1 - os_["event"])
    assert fu.loc["reverse_km", "months"] == pytest.approx(kmf.median_survival_time_)
    alive = os_["event"] == 0
    assert fu.loc["survivors", "months"] == pytest.approx(os_.loc[alive, "time"].median())
    assert fu.loc["survivors", "n"] == alive.sum() == 12
    # the reverse Kaplan-Meier median is never below the median among survivors' times here
    assert fu.loc["reverse_km", "months"] > fu.loc["observed", "months"]


# ------------------------------------------------------------------ competing risks


@pytest.mark.parametrize("seed", range(4))
def test_aalen_johansen_matches_lifelines(seed):
    rng = np.random.default_rng(seed)
    t = rng.exponential(10, 80)  # continuous: no ties, so lifelines does not jitter
    c = rng.integers(0, 3, 80)
    aj = sensitivity.aalen_johansen(t, c, {1: "a", 2: "b"})
    for k, name in ((1, "a"), (2, "b")):
        ref = AalenJohansenFitter(calculate_variance=False).fit(t, c, event_of_interest=k)
        ref = ref.cumulative_density_[f"CIF_{k}"]
        ours = aj.set_index("time")[f"cif_{name}"]
        assert ours.to_numpy() == pytest.approx(ref.reindex(ours.index).to_numpy(), abs=1e-12)
    total = aj["cif_a"] + aj["cif_b"] + aj["survival"]
    assert total.to_numpy() == pytest.approx(1.0)


def test_aalen_johansen_by_hand_with_ties():
    # times 1 (relapse), 2 (death), 2 (relapse), 3 (censored), 4 (relapse)
    aj = sensitivity.aalen_johansen([1, 2, 2, 3, 4], [1, 2, 1, 0, 1], {1: "r", 2: "d"})
    # S(1) = 4/5; at 2: 2 events among 4 -> relapse += 4/5 * 1/4, death += 4/5 * 1/4
    # S(2) = 4/5 * 2/4 = 2/5; at 4: 1 of 1 -> relapse += 2/5
    assert aj["cif_r"].tolist() == pytest.approx([0, 0.2, 0.4, 0.4, 0.8])
    assert aj["cif_d"].tolist() == pytest.approx([0, 0, 0.2, 0.2, 0.2])
    with pytest.raises(ValueError):
        sensitivity.aalen_johansen([1, 2], [1, -1])


def test_competing_risks_split_one_minus_rfs(cohort):
    table = sensitivity.competing_risks(cohort)
    assert (table["cif_relapse"] + table["cif_nrm"]).to_numpy() == pytest.approx(
        table["one_minus_rfs"].to_numpy()
    )
    km = survival.kaplan_meier(*derive.rfs_table(cohort).to_numpy().T)
    s12, _ = survival.survival_at(km, 12)
    summary = sensitivity.competing_risks_summary(cohort)
    assert summary.loc["one_minus_rfs", "estimate"] == pytest.approx(100 * (1 - s12))
    assert round(100 - summary.loc["one_minus_rfs", "estimate"], 1) == 73.3  # 1-year RFS
    # three relapses and one death in remission among the 16 patients in CR (Results)
    assert summary.loc["relapse", "events"] == 3 and summary.loc["nrm", "events"] == 1
    # censoring the death in remission overstates the incidence of relapse
    assert summary.loc["naive_relapse", "estimate"] >= summary.loc["relapse", "estimate"]
    data = sensitivity.competing_risks_data(cohort)
    assert len(data) == 16


# ------------------------------------------------------------------ transplant


def _counting_process(seed, n=40):
    """Random counting-process data: some subjects switch to group 1 at a random time."""
    rng = np.random.default_rng(seed)
    T = rng.exponential(10, n)
    e = (rng.random(n) < 0.7).astype(int)
    h = rng.exponential(6, n)
    switch = (rng.random(n) < 0.5) & (h < T)
    rows = []
    for Ti, ei, hi, si in zip(T, e, h, switch):
        if si:
            rows += [(0.0, hi, 0, False), (hi, Ti, ei, True)]
        else:
            rows.append((0.0, Ti, ei, False))
    return pd.DataFrame(rows, columns=["start", "stop", "event", "group"])


@pytest.mark.parametrize("seed", range(4))
def test_mantel_byar_is_the_cox_score_test(seed):
    # Without ties the log-rank statistic is the score test of a Cox model at beta = 0;
    # statsmodels' PHReg handles the delayed entry of the counting-process rows.
    d = _counting_process(seed)
    ours = sensitivity.logrank_time_dependent(d.start, d.stop, d.event, d.group)
    model = PHReg(d.stop.to_numpy(), d.group.to_numpy(float)[:, None], status=d.event.to_numpy(),
                  entry=d.start.to_numpy())  # fmt: skip
    score = model.score(np.zeros(1))[0]
    info = -model.hessian(np.zeros(1))[0, 0]
    assert ours.statistic == pytest.approx(score**2 / info, rel=1e-9)
    assert ours.observed[1] - ours.expected[1] == pytest.approx(score, rel=1e-9)


def test_mantel_byar_by_hand_and_without_switching():
    r = sensitivity.logrank_time_dependent([0, 0, 0, 2], [1, 3, 2, 4], [1, 1, 0, 1],
                                           [False, False, False, True])  # fmt: skip
    # t=1: 3 at risk, none in group 1; t=3: 2 at risk, 1 in group 1 (E1 = 1/2, V = 1/4);
    # t=4: 1 at risk, in group 1 (E1 = 1, V = 0) -> O1 = 1, E1 = 3/2, chi2 = 1
    assert r.expected[1] == pytest.approx(1.5)
    assert r.statistic == pytest.approx(1.0)
    rng = np.random.default_rng(7)
    t = np.round(rng.exponential(5, 50))  # ties
    e = (rng.random(50) < 0.6).astype(int)
    g = rng.random(50) < 0.4
    fixed = sensitivity.logrank_time_dependent(np.zeros(50), t + 0.5, e, g)
    assert fixed.p_value == pytest.approx(survival.logrank(t + 0.5, e, g).p_value, rel=1e-12)


def test_simon_makuch_without_switching_is_kaplan_meier():
    rng = np.random.default_rng(3)
    t = rng.exponential(5, 30) + 0.1
    e = (rng.random(30) < 0.6).astype(int)
    g = rng.random(30) < 0.5
    sm = sensitivity.simon_makuch(np.zeros(30), t, e, g)
    for value in (False, True):
        km = survival.kaplan_meier(t[g == value], e[g == value]).set_index("time")["survival"]
        curve = sm[sm["group"] == value].set_index("time")["survival"]
        assert curve.to_numpy() == pytest.approx(km.reindex(curve.index).ffill().to_numpy())


def test_simon_makuch_by_hand():
    # subject 3 enters group True at 2 and dies at 4: the True curve starts at 1 at time 2
    sm = sensitivity.simon_makuch([0, 0, 0, 0, 2], [1, 3, 2, 2, 4], [1, 1, 0, 0, 1],
                                  [False, False, False, False, True])  # fmt: skip
    true = sm[sm["group"]]
    assert true["time"].tolist() == [2.0, 4.0]
    assert true["survival"].tolist() == pytest.approx([1.0, 0.0])
    false = sm[~sm["group"]].set_index("time")["survival"]
    assert false.loc[1.0] == pytest.approx(3 / 4)
    assert false.loc[3.0] == pytest.approx(0.0)


def test_transplant_periods_keep_each_patients_time(cohort):
    for endpoint in ("os", "rfs"):
        p = sensitivity.transplant_periods(cohort, endpoint)
        f = derive.flags(cohort)
        assert p["patient_id"].nunique() == int(f["cr"].sum()) == 16
        per = p.groupby("patient_id").agg(time=("stop", "max"), event=("event", "sum"),
                                          rows=("stop", "size"))  # fmt: skip
        data = derive.os_table(cohort) if endpoint == "os" else derive.rfs_table(cohort)
        data = data.assign(patient_id=cohort.loc[data.index, "patient_id"]).set_index("patient_id")
        assert per["time"].to_dict() == pytest.approx(data.loc[per.index, "time"].to_dict())
        assert (per["event"] == data.loc[per.index, "event"]).all()
        # two rows exactly for the patients transplanted in first remission
        hs = cohort.loc[f["hsct_first_remission"], "patient_id"]
        assert set(per.index[per["rows"] == 2]) == set(hs)
        switched = p[p["transplanted"]]
        assert (switched["start"] > 0).all()


def test_landmark_definition(cohort):
    lm = sensitivity.landmark(cohort, 3.0, "os")
    rfs = derive.rfs_table(cohort)
    eligible = rfs.index[rfs["time"] > 3.0]
    assert list(lm.data.index) == list(eligible)
    assert lm.excluded == 16 - len(eligible)
    h = cohort.loc[eligible, "hsct_months"]
    hs = derive.flags(cohort).loc[eligible, "hsct_first_remission"]
    assert (lm.data["transplanted"] == (hs & (h <= 3.0))).all()
    assert (lm.data["time"] == cohort.loc[eligible, "os_months"] - 3.0).all()
    assert sum(lm.n) == len(eligible)
    with pytest.raises(ValueError):
        sensitivity.landmark(cohort, 3.0, "efs")


def test_transplant_comparison_and_immortal_time(cohort):
    t = sensitivity.transplant_comparison(cohort, landmarks=[3.0])
    assert list(t["analysis"]) == ["naive (Figure 3)", "landmark", "Mantel-Byar"] * 2
    naive_os = t.iloc[0]
    f = derive.flags(cohort)
    g = f.loc[f["cr"], "hsct_first_remission"]
    os_ = derive.os_table(cohort)[f["cr"]]
    assert naive_os["p_value"] == pytest.approx(survival.logrank(os_.time, os_.event, g).p_value)
    assert (naive_os["n_none"], naive_os["n_transplant"]) == (int((~g).sum()), int(g.sum()))
    mb = t.iloc[2]
    assert mb["n_none"] == 16 and mb["n_transplant"] == int(g.sum())
    h = cohort.loc[f["hsct_first_remission"], "hsct_months"]
    assert sensitivity.immortal_time(cohort) == pytest.approx(h.sum())
    assert sensitivity.median_transplant_time(cohort) == pytest.approx(h.median())


def test_oe_ratio():
    r = survival.LogRankResult(1.0, 0.3, observed=(2.0, 4.0), expected=(4.0, 2.0))
    assert sensitivity.oe_ratio(r) == 4.0
    r0 = survival.LogRankResult(1.0, 0.3, observed=(0.0, 4.0), expected=(2.0, 2.0))
    assert np.isnan(sensitivity.oe_ratio(r0))


def test_degenerate_cohort_gives_nan_not_errors(cohort):
    # nobody transplanted, nobody relapsed: the analyses still run
    c = cohort.copy()
    c["allo_hsct_after"] = False
    c["hsct_months"] = np.nan
    t = sensitivity.transplant_comparison(c)
    assert t["p_value"].isna().all()
    assert np.isnan(sensitivity.median_transplant_time(c))
    q = sensitivity.cohort_quantities(c, load_adverse_events())
    assert np.isnan(q["mantel_byar_os_p"]) and np.isfinite(q["os_1y"])


# ------------------------------------------------------------------ plots


def test_plots_return_axes(cohort):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3)
    assert sensitivity.plot_cumulative_incidence(cohort, ax=axes[0]) is axes[0]
    assert sensitivity.plot_simon_makuch(cohort, "os", ax=axes[1]) is axes[1]
    lm = sensitivity.landmark(cohort, 3.0, "rfs")
    assert sensitivity.plot_landmark(lm, ax=axes[2]) is axes[2]
    assert any(t.get_text().startswith("Mantel-Byar P") for t in axes[1].texts)
    plt.close(fig)


# ------------------------------------------------------------------ robustness


def test_uses_reconstruction(monkeypatch, tmp_path):
    monkeypatch.delenv("BOOK_COHORT", raising=False)
    assert sensitivity.uses_reconstruction()
    monkeypatch.setenv("BOOK_COHORT", str(tmp_path / "other.csv"))
    assert not sensitivity.uses_reconstruction()


@pytest.mark.slow
def test_robustness_pins_the_published_numbers(tmp_path, monkeypatch, cohort):
    seeds = [1, 2]
    values = sensitivity.robustness(seeds, reference=(cohort, load_adverse_events()),
                                    cache_dir=tmp_path)  # fmt: skip
    assert len(list(tmp_path.glob("cohorts-*.csv"))) == 1
    summary = sensitivity.summarise_robustness(values)
    pinned = summary[summary["pinned"]]
    for key, row in pinned.iterrows():
        decimals = len(row["printed"].split(".")[1]) if "." in row["printed"] else 0
        for v in (row["min"], row["max"], row["this_cohort"]):
            assert f"{v:.{decimals}f}" == row["printed"], key
    assert (summary["n"] == len(seeds)).all()
    # a second call reads the cache and does not reconstruct again
    import analysis.reconstruct

    def fail(*args, **kwargs):
        raise AssertionError("reconstructed although cached")

    monkeypatch.setattr(analysis.reconstruct, "reconstruct", fail)
    again = sensitivity.robustness(seeds, cache_dir=tmp_path)
    first = values[values["seed"] >= 0].reset_index(drop=True)
    pd.testing.assert_frame_equal(again, first)
