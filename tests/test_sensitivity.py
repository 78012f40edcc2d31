"""Sensitivity analyses (results.sensitivity, results.robustness, figures.sensitivity).

Expected values come from the paper (section named), from hand calculation on small
examples, or from an independent implementation (scipy's beta quantiles, statsmodels,
lifelines called directly, a partial likelihood maximised here) - never from the code tested.
"""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from lifelines import CoxPHFitter, KaplanMeierFitter
from lifelines.statistics import logrank_test
from scipy import stats
from scipy.optimize import minimize_scalar
from statsmodels.duration.hazard_regression import PHReg
from statsmodels.stats.proportion import proportion_confint
from test_journeys import core_only, synthetic

from analysis import load_adverse_events, load_cohort, load_ledger
from analysis.data import derive
from analysis.figures import sensitivity as figures
from analysis.results import robustness, sensitivity
from analysis.stats import survival

Z = stats.norm.ppf(0.975)


@pytest.fixture(scope="module")
def cohort():
    return load_cohort()


@pytest.fixture(scope="module")
def comparison(cohort):
    return sensitivity.transplant_comparison(cohort)


def _km_by_hand(start, stop, event, times):
    """Product-limit estimate on the risk sets start < t <= stop (Mantel-Byar), at ``times``."""
    s, out = 1.0, []
    for t in times:
        at_risk = ((start < t) & (stop >= t)).sum()
        d = ((stop == t) & (event == 1)).sum()
        s *= 1 - d / at_risk if at_risk else 1.0
        out.append(s)
    return np.array(out)


# ------------------------------------------------------------------ confidence intervals


def test_response_cis_reproduce_the_paper(cohort):
    # Abstract and Results: CR 12/15, 80.0% (51.9-95.7); MRD response 12/19, 63.2% (38.4-83.7)
    t = sensitivity.response_cis(cohort).set_index(["key", "method"])
    cr, mrd = t.loc[("cr_overt", "exact")], t.loc[("mrd_all", "exact")]
    assert (cr.k, cr.n, mrd.k, mrd.n) == (12, 15, 12, 19)
    assert [round(x, 1) for x in (cr.ci_lower, cr.ci_upper, mrd.ci_lower, mrd.ci_upper)] == [
        51.9, 95.7, 38.4, 83.7]  # fmt: skip
    # Clopper-Pearson from beta quantiles; Wilson by its formula; Jeffreys from statsmodels
    for (_, method), r in t.iterrows():
        k, n = r.k, r.n
        if method == "exact":
            ref = (stats.beta.ppf(0.025, k, n - k + 1), stats.beta.ppf(0.975, k + 1, n - k))
        elif method == "wilson":
            p = k / n
            centre, half = p + Z**2 / (2 * n), Z * np.sqrt(p * (1 - p) / n + Z**2 / (4 * n * n))
            ref = ((centre - half) / (1 + Z**2 / n), (centre + half) / (1 + Z**2 / n))
        else:
            ref = proportion_confint(k, n, method="jeffreys")
        assert (r.ci_lower, r.ci_upper) == pytest.approx((100 * ref[0], 100 * ref[1]), abs=1e-7)
        assert r.width == pytest.approx(r.ci_upper - r.ci_lower)
    assert list(t.index.get_level_values("method").unique()) == ["exact", "wilson", "jeffreys"]


def test_jeffreys_upper_limit_when_everyone_responds(cohort):
    # statsmodels' Jeffreys limit at k = n is the plain beta quantile, below 100%: the
    # Brown-Cai-DasGupta modification (upper limit 1) is not applied.
    everyone = cohort.assign(cr=True)
    t = sensitivity.response_cis(everyone).set_index(["key", "method"])
    upper = t.loc[("cr_all", "jeffreys"), "ci_upper"]
    assert upper == pytest.approx(100 * stats.beta.ppf(0.975, 19.5, 0.5)) and upper < 100


def test_ci_table_and_texts(cohort):
    cis = sensitivity.response_cis(cohort)
    table = sensitivity.ci_table(cis)
    assert list(table.columns) == ["rate", "k/n", "exact (Clopper-Pearson)", "Wilson", "Jeffreys"]
    assert table.iloc[0].tolist()[:3] == ["CR, patients with overt disease", "12/15", "51.9–95.7"]
    texts = sensitivity.texts(cohort)
    assert (texts["cr_overt_percent"], texts["mrd_all_percent"]) == ("80.0", "63.2")
    assert texts["cr_overt_exact_ci_lower"] == texts["cr_lowest_lower"] == "51.9"
    assert texts["cr_above_half"] == "above"
    # largest distance of a Wilson or Jeffreys limit from the exact one, over the three rates
    shifts = [abs(100 * (a - b)) for k, n in ((12, 15), (12, 19), (16, 19))
              for m in ("wilson", "jeffreys")
              for a, b in zip(proportion_confint(k, n, method=m),
                              proportion_confint(k, n, method="beta"))]  # fmt: skip
    assert texts["ci_max_shift"] == f"{max(shifts):.1f}"
    # every interval (exact 51.9-95.7, 38.4-83.7, 60.4-96.6) lies on the same side of 50%
    # whichever method: the reading does not change, and the others are narrower here
    assert texts["ci_reading"].startswith("lead to the same reading")
    assert texts["ci_narrower"] == "narrower than the exact intervals for every rate"


def test_ci_reading_flips_when_a_method_crosses_half(cohort):
    # 14 of 19 in CR among overt disease: exact 48.8-90.9 contains 50%, Wilson (51.2-88.2)
    # and Jeffreys lie above it (scipy: beta.ppf(0.025, 14, 6) = 0.488)
    assert stats.beta.ppf(0.025, 14, 6) < 0.5 < proportion_confint(14, 19, method="wilson")[0]
    overt = cohort.assign(marrow_blasts_pct=30.0, cr=[True] * 14 + [False] * 5,
                          rfs_months=cohort["rfs_months"].fillna(cohort["os_months"]),
                          rfs_event=cohort["rfs_event"].fillna(cohort["os_event"]))  # fmt: skip
    texts = sensitivity.texts(overt)
    assert texts["ci_reading"].startswith("change the reading of CR, patients with overt disease")
    assert texts["cr_above_half"] == "not above"


# ------------------------------------------------------------------ follow-up


def test_followup(cohort):
    fu = sensitivity.followup(cohort)
    assert round(fu.loc["observed", "median, months"], 1) == 11.0  # Results, Survival outcomes
    os_ = derive.os_table(cohort)
    kmf = KaplanMeierFitter().fit(os_["time"], 1 - os_["event"])
    assert fu.loc["reverse_km", "median, months"] == pytest.approx(kmf.median_survival_time_)
    alive = os_["event"] == 0
    assert fu.loc["survivors", "median, months"] == pytest.approx(os_.loc[alive, "time"].median())
    assert fu.loc["survivors", "patients"] == alive.sum() == 12  # Results: 12 patients alive
    assert list(fu.columns) == ["definition", "median, months", "patients"]
    texts = sensitivity.texts(cohort)
    assert texts["followup_printed"] == texts["followup_observed"] == "11.0"
    assert texts["followup_match"].startswith("as printed in the paper")
    # a month more for everyone: the median of observed times is 12.0, not the paper's 11.0
    later = sensitivity.texts(cohort.assign(os_months=cohort["os_months"] + 1))
    assert later["followup_observed"] == "12.0"
    assert later["followup_match"].startswith("where the paper prints 11.0 months")


# ------------------------------------------------------------------ competing risks


def _tiny_cr_cohort(times, events, relapses):
    """Patients in CR with RFS ``times``, ``events`` and whether the event is a relapse."""
    times = np.asarray(times, float)
    relapse_months = np.where(relapses, times, np.nan)
    return pd.DataFrame({"cr": True, "rfs_months": times, "rfs_event": events,
                         "relapse": relapses, "relapse_months": relapse_months})  # fmt: skip


def test_competing_risks_by_hand():
    # relapses at 1, 2 and 2 (a tie of one cause, as in the reconstruction), a death in
    # remission at 3, a censoring at 4, a relapse at 5
    c = _tiny_cr_cohort(
        [1, 2, 2, 3, 4, 5], [1, 1, 1, 1, 0, 1], [True, True, True, False, False, True]
    )
    assert sensitivity.competing_risks_data(c)["cause"].tolist() == [1, 1, 1, 2, 0, 1]
    curves = sensitivity.competing_risks(c).pivot(index="time", columns="curve", values="value")
    # all-cause S: 5/6 after 1, 5/6 * 3/5 = 1/2 after 2, 1/2 * 2/3 = 1/3 after 3, 0 after 5.
    # Relapse: 1/6 at 1, + S(2-) * 2/5 = 1/3 at 2, + S(5-) * 1 = 1/3 at 5; death: S(3-) * 1/3
    assert curves["relapse"].tolist() == pytest.approx([0, 1 / 6, 1 / 2, 1 / 2, 1 / 2, 5 / 6])
    assert curves["nrm"].tolist() == pytest.approx([0, 0, 0, 1 / 6, 1 / 6, 1 / 6])
    assert curves["one_minus_rfs"].tolist() == pytest.approx([0, 1 / 6, 1 / 2, 2 / 3, 2 / 3, 1])
    # deaths censored: 1 - 5/6, 1 - 5/6 * 3/5, then 1 at 5
    assert curves["naive_relapse"].tolist() == pytest.approx([0, 1 / 6, 1 / 2, 1 / 2, 1 / 2, 1])
    summary = sensitivity.competing_risks_summary(c, months=3.5)
    assert summary.loc["relapse", "estimate"] == pytest.approx(50.0)
    assert summary["events"].to_dict() == {"one_minus_rfs": 5, "relapse": 4, "nrm": 1,
                                           "naive_relapse": 4}  # fmt: skip


def test_competing_risks_with_a_tie_of_two_causes_by_hand():
    # relapse at 1, death in remission and relapse at 2, censored at 3, relapse at 4
    c = _tiny_cr_cohort([1, 2, 2, 3, 4], [1, 1, 1, 0, 1], [True, False, True, False, True])
    curves = sensitivity.competing_risks(c).pivot(index="time", columns="curve", values="value")
    # S(2-) = 4/5; at 2 each cause adds 4/5 * 1/4 (however the tie is broken); S(4-) = 2/5
    assert curves["relapse"].tolist() == pytest.approx([0, 0.2, 0.4, 0.4, 0.8])
    assert curves["nrm"].tolist() == pytest.approx([0, 0, 0.2, 0.2, 0.2])


def test_competing_risks_on_the_cohort(cohort):
    s = sensitivity.competing_risks_summary(cohort)
    # Results, Survival outcomes: three relapses and one death in remission among the 16 in CR;
    # the two incidences add up to 1 - RFS, whose complement is the paper's 73.3% at 1 year
    assert (s.loc["relapse", "events"], s.loc["nrm", "events"]) == (3, 1)
    assert s.loc["relapse", "estimate"] + s.loc["nrm", "estimate"] == pytest.approx(
        s.loc["one_minus_rfs", "estimate"])  # fmt: skip
    texts = sensitivity.texts(cohort)
    assert (texts["rfs_1y"], texts["cr_n"], texts["cif_relapse"]) == ("73.3", "16", "20.0")
    assert (texts["cif_relapse_events"], texts["cif_nrm_events"]) == ("3", "1")
    assert s.loc["naive_relapse", "estimate"] > s.loc["relapse", "estimate"]
    assert texts["naive_relapse_bias"].startswith("censoring a competing event overstates")
    # without the death in remission the naive estimate is the Aalen-Johansen one
    nrm = derive.rfs_table(cohort).query("event == 1").index.difference(
        cohort.index[cohort["relapse"].astype(bool)])  # fmt: skip
    assert len(nrm) == 1
    none = sensitivity.texts(cohort.assign(rfs_event=cohort["rfs_event"].where(
        ~cohort.index.isin(nrm), 0)))  # fmt: skip
    assert none["cif_nrm_events"] == "0" and none["naive_relapse_bias"].startswith("here the two")


def test_cif_figure_data_counts_under_the_ticks(cohort):
    fd = sensitivity.cif_figure_data(cohort)
    risk = fd[fd["table"] == "risk"].pivot(index="time", columns="row", values="count")
    d = sensitivity.competing_risks_data(cohort)
    for t, row in risk.iterrows():  # by hand: at risk has time >= t; the others time <= t
        assert row["at risk"] == (d["time"] >= t).sum()
        assert row["censored"] == ((d["time"] <= t) & (d["cause"] == 0)).sum()
        assert row["relapse"] == ((d["time"] <= t) & (d["cause"] == 1)).sum()
        assert row["death in remission"] == ((d["time"] <= t) & (d["cause"] == 2)).sum()
    assert risk.iloc[-1][["relapse", "death in remission"]].tolist() == [3, 1]  # Results
    assert set(fd.loc[fd["table"] == "cif", "curve"]) == {"relapse", "nrm", "one_minus_rfs",
                                                          "naive_relapse"}  # fmt: skip


# ------------------------------------------------------------------ transplant


def test_transplant_periods_keep_each_patients_time(cohort):
    f = derive.flags(cohort)
    for endpoint in ("os", "rfs"):
        p = sensitivity.transplant_periods(cohort, endpoint)
        assert p["patient_id"].nunique() == int(f["cr"].sum()) == 16
        per = p.groupby("patient_id").agg(time=("stop", "max"), event=("event", "sum"),
                                          rows=("stop", "size"))  # fmt: skip
        data = derive.os_table(cohort) if endpoint == "os" else derive.rfs_table(cohort)
        data = data.assign(patient_id=cohort.loc[data.index, "patient_id"]).set_index("patient_id")
        assert per["time"].to_dict() == pytest.approx(data.loc[per.index, "time"].to_dict())
        assert (per["event"] == data.loc[per.index, "event"]).all()
        hs = cohort.loc[f["hsct_first_remission"], "patient_id"]
        assert set(per.index[per["rows"] == 2]) == set(hs)
        assert (p.loc[p["transplanted"], "start"] > 0).all()


def test_landmark_data(cohort):
    lm = sensitivity.landmark_data(cohort, 3.0, "os")
    rfs = derive.rfs_table(cohort)
    eligible = rfs.index[rfs["time"] > 3.0]
    assert list(lm.index) == list(eligible)
    h = cohort.loc[eligible, "hsct_months"]
    hs = derive.flags(cohort).loc[eligible, "hsct_first_remission"]
    assert (lm["hsct_first_remission"] == (hs & (h <= 3.0))).all()
    assert (lm["time"] == cohort.loc[eligible, "os_months"] - 3.0).all()


def test_naive_and_landmark_comparisons_match_lifelines(cohort, comparison):
    flags = derive.flags(cohort)
    ours = comparison[comparison["grouping"] == "hsct_first_remission"]
    rows = ours.set_index(["analysis", "endpoint", "landmark"]).sort_index()
    for endpoint in ("os", "rfs"):
        naive = derive.os_table(cohort) if endpoint == "os" else derive.rfs_table(cohort)
        naive = naive[flags.loc[naive.index, "cr"]]
        naive_g = flags.loc[naive.index, "hsct_first_remission"].to_numpy()
        landmark = sensitivity.landmark_data(cohort, 3.0, endpoint)
        for key, d, g in (
            (("naive (Figure 3)", endpoint, np.nan), naive, naive_g),
            (("landmark", endpoint, 3.0), landmark, landmark["hsct_first_remission"].to_numpy()),
        ):
            row = rows.loc[key] if key[0] == "landmark" else rows.xs(key[:2]).iloc[0]
            ref = logrank_test(d["time"][g], d["time"][~g], d["event"][g], d["event"][~g])
            assert row["p_value"] == pytest.approx(ref.p_value)
            assert (row["n_none"], row["n_transplant"]) == ((~g).sum(), g.sum())
            if d["event"][g].sum() and d["event"][~g].sum():
                cox = CoxPHFitter().fit(d[["time", "event"]].assign(g=g.astype(float)), "time",
                                        "event")  # fmt: skip
                assert row["hr"] == pytest.approx(np.exp(cox.params_["g"]), rel=1e-5)
            else:  # landmark at 3 months: no event without transplant, no finite HR
                assert np.isnan(row["hr"])
    # Results, Survival outcomes (Figure 3): no significant difference by transplant
    naive = comparison[comparison["analysis"] == "naive (Figure 3)"]
    assert (naive["p_value"] >= 0.05).all()


def test_the_other_reading_of_figure_3(cohort, comparison):
    # any transplant: the patient transplanted after relapse and salvage joins the transplanted
    # (Results, Treatment response: 11 transplants, 10 of them in first remission)
    flags = derive.flags(cohort)
    rows = comparison.set_index(["grouping", "analysis", "endpoint"])
    naive = rows.xs("naive (Figure 3)", level="analysis")
    assert naive.loc[("hsct", "os"), "n_transplant"] == 11
    assert naive.loc[("hsct_first_remission", "os"), "n_transplant"] == 10
    d = derive.os_table(cohort)[flags["cr"]]
    g = flags.loc[d.index, "hsct"].to_numpy()
    ref = logrank_test(d["time"][g], d["time"][~g], d["event"][g], d["event"][~g]).p_value
    assert naive.loc[("hsct", "os"), "p_value"] == pytest.approx(ref)
    # by definition the readings coincide for every landmark and for RFS by Mantel-Byar
    lm = comparison[comparison["analysis"] == "landmark"].set_index(["grouping", "endpoint",
                                                                     "landmark"])  # fmt: skip
    cols = ["n_none", "n_transplant", "events_none", "events_transplant", "p_value"]
    pd.testing.assert_frame_equal(lm.loc["hsct", cols], lm.loc["hsct_first_remission", cols])
    mb = rows.xs("Mantel-Byar", level="analysis")
    assert mb.loc[("hsct", "rfs"), "p_value"] == mb.loc[("hsct_first_remission", "rfs"), "p_value"]
    assert mb.loc[("hsct", "os"), "p_value"] != mb.loc[("hsct_first_remission", "os"), "p_value"]


def test_mantel_byar_hazard_ratio_maximises_the_partial_likelihood(cohort, comparison):
    for endpoint in ("os", "rfs"):
        p = sensitivity.transplant_periods(cohort, endpoint)
        st, sp, ev = (p[c].to_numpy(float) for c in ("start", "stop", "event"))
        g = p["transplanted"].to_numpy(float)

        def nll(b, st=st, sp=sp, ev=ev, g=g):  # Breslow, risk sets start < t <= stop
            out = 0.0
            for t in np.unique(sp[ev == 1]):
                r, d = (st < t) & (sp >= t), (sp == t) & (ev == 1)
                out += d.sum() * np.log(np.exp(b * g[r]).sum()) - (b * g[d]).sum()
            return out

        row = comparison[(comparison["analysis"] == "Mantel-Byar")
                         & (comparison["endpoint"] == endpoint)].iloc[0]  # fmt: skip
        assert row["grouping"] == "hsct_first_remission"
        best = minimize_scalar(nll, bounds=(-5, 5), method="bounded", options={"xatol": 1e-8}).x
        tol = 1e-4 if endpoint == "os" else 0.05  # RFS has tied events: lifelines uses Efron
        assert row["hr"] == pytest.approx(np.exp(best), rel=tol)
        assert row["hr_lower"] < row["hr"] < row["hr_upper"]
        assert (row["n_none"], row["n_transplant"]) == (16, 10)


@pytest.mark.parametrize("seed", range(3))
def test_mantel_byar_is_the_cox_score_test(seed):
    # without ties the log-rank statistic is the score test of a Cox model at beta = 0;
    # statsmodels' PHReg handles the delayed entry of counting-process rows
    rng = np.random.default_rng(seed)
    n = 40
    T, h = rng.exponential(10, n), rng.exponential(6, n)
    e = (rng.random(n) < 0.7).astype(int)
    switch = (rng.random(n) < 0.5) & (h < T)
    rows = []
    for Ti, ei, hi, si in zip(T, e, h, switch):
        rows += [(0.0, hi, 0, False), (hi, Ti, ei, True)] if si else [(0.0, Ti, ei, False)]
    d = pd.DataFrame(rows, columns=["start", "stop", "event", "group"])
    test, _ = survival.mantel_byar(d.start, d.stop, d.event, d.group)
    model = PHReg(d.stop.to_numpy(), d.group.to_numpy(float)[:, None], status=d.event.to_numpy(),
                  entry=d.start.to_numpy())  # fmt: skip
    score, info = model.score(np.zeros(1))[0], -model.hessian(np.zeros(1))[0, 0]
    assert test.statistic == pytest.approx(score**2 / info, rel=1e-9)


def test_simon_makuch_tie_convention_by_hand():
    # C switches at 1 and dies at 2 in the transplanted group, when A switches.  lifelines
    # removes the events at a time before adding the patients who enter then, so A is not at
    # risk for C's death: the transplanted curve drops to 0 at 2, as on the Mantel-Byar risk
    # sets start < t <= stop (with A counted it would be 1/2).  The docstring says so.
    start, stop = [0, 2, 0, 1, 0], [2, 5, 1, 2, 6]
    event, group = [0, 1, 0, 1, 0], [False, True, False, True, False]
    sm = survival.simon_makuch(start, stop, event, group)
    hsct = sm[sm["group"]].set_index("time")["survival"]
    by_hand = _km_by_hand(np.array([2, 1]), np.array([5, 2]), np.array([1, 1]), [1.0, 2.0, 5.0])
    assert hsct.loc[[1.0, 2.0, 5.0]].tolist() == pytest.approx(by_hand.tolist()) == [1, 0, 0]
    none = sm[~sm["group"]].set_index("time")["survival"]  # A, B and E; C until 1
    assert none.loc[1.0] == 1.0 and none.loc[2.0] == 1.0  # no death while untransplanted


def test_simon_makuch_figure_data_equals_the_mantel_byar_risk_sets(cohort):
    for endpoint in ("os", "rfs"):
        fd = sensitivity.simon_makuch_figure_data(cohort, endpoint)
        p = sensitivity.transplant_periods(cohort, endpoint)
        for role, flag in (("reference", False), ("comparison", True)):
            q = p[p["transplanted"] == flag]
            curve = fd[(fd["table"] == "km") & (fd["role"] == role)]
            ref = _km_by_hand(q["start"].to_numpy(), q["stop"].to_numpy(), q["event"].to_numpy(),
                              curve["time"].to_numpy())  # fmt: skip
            assert curve["survival"].to_numpy() == pytest.approx(ref)
        # under the plot, every patient followed up to a tick is in exactly one state
        risk = fd[fd["table"] == "risk"].pivot(index="time", columns="role", values="at_risk")
        followed = [(p.groupby("patient_id")["stop"].max() >= t).sum() for t in risk.index]
        assert (risk.sum(axis=1).to_numpy() == followed).all()
        assert risk.loc[0.0, "comparison"] == 0
        test = fd[fd["table"] == "test"].iloc[0]
        assert test["p_value"] == pytest.approx(
            survival.mantel_byar(p["start"], p["stop"], p["event"], p["transplanted"])[0].p_value
        )


def test_landmark_figure_data(cohort):
    fd = sensitivity.landmark_figure_data(cohort)
    summary = fd[fd["table"] == "summary"].set_index("role")
    assert (summary.loc["reference", "n"], summary.loc["comparison", "n"]) == (6, 7)
    assert summary["label"].str.endswith("by the landmark").all()
    assert (fd["landmark"] == 3.0).all() and set(fd["table"]) == {"km", "risk", "summary", "test"}


def test_transplant_table_and_texts(cohort, comparison):
    table = sensitivity.transplant_table(comparison)
    assert table["endpoint"].tolist() == ["OS", "", "", "", "RFS", "", "", ""] * 2
    assert table["reading of Figure 3"].tolist()[::8] == [
        "transplant in first remission (our reading)",
        "any transplant, including after relapse and salvage"]  # fmt: skip
    assert table["analysis"].tolist()[:4] == ["naive (Figure 3)", "landmark, 2.2 months",
                                              "landmark, 3.0 months", "Mantel-Byar"]  # fmt: skip
    texts = sensitivity.transplant_texts(cohort, comparison)
    assert texts["fr_lm3_os_hr"] == "—"  # no event without transplant after the landmark
    h = cohort.loc[derive.flags(cohort)["hsct_first_remission"], "hsct_months"]
    assert texts["immortal"] == f"{h.sum():.1f}" and texts["hsct_median"] == f"{h.median():.1f}"
    keys = ("hsct_n", "landmark_n_none", "landmark_n_hsct", "landmark_excluded", "n_salvage")
    assert [texts[k] for k in keys] == ["10", "6", "7", "3", "1 patient"]
    # Results, Survival outcomes (Figure 3): no significant difference, and none here
    assert texts["verdict"] == "None of these comparisons is"
    assert texts["evidence"].endswith("not evidence that transplant does not help.")
    assert texts["same_either_way"].startswith(
        "the conclusion (no significant difference) is the same in every comparison, under both"
    )
    assert texts["times_note"] == texts["figure_note"] == ""
    assert "Mantel-Byar test P = " + texts["fr_mb_os_p"] in texts["results"]


def test_transplant_conclusions_flip_when_the_untransplanted_die_early(cohort):
    # every patient in CR not transplanted in first remission dies in remission within months:
    # the naive comparisons become significant, and the landmark ones (which drop the early
    # deaths) do not, so the conclusion is no longer the same either way
    f = derive.flags(cohort)
    early = f["cr"] & ~f["hsct_first_remission"]
    t = np.where(early, 1.0 + np.arange(len(cohort)) / 10, cohort["os_months"])
    dying = cohort.assign(os_months=t, os_event=np.where(early, 1, cohort["os_event"]),
                          rfs_months=np.where(early, t, cohort["rfs_months"]),
                          rfs_event=np.where(early, 1, cohort["rfs_event"]),
                          relapse=cohort["relapse"] & ~early,
                          allo_hsct_after=cohort["allo_hsct_after"] & ~early)  # fmt: skip
    c = sensitivity.transplant_comparison(dying)
    naive = c[c["analysis"] == "naive (Figure 3)"]
    assert (naive["p_value"] < 0.05).all() and (c["p_value"] >= 0.05).any()
    texts = sensitivity.transplant_texts(dying, c)
    k = int((c["p_value"] < 0.05).sum())
    assert texts["verdict"] == f"{k} of these {c['p_value'].notna().sum()} comparisons are"
    assert texts["evidence"].endswith("an association, not an effect of transplant.")
    assert texts["same_either_way"].startswith("the conclusion depends on the analysis")
    assert "naive (Figure 3) of OS by transplant in first remission" in texts["same_either_way"]


def test_degenerate_cohort_gives_nan_not_errors(cohort):
    c = cohort.assign(allo_hsct_after=False, hsct_months=np.nan)  # nobody transplanted
    t = sensitivity.transplant_comparison(c)
    assert t["p_value"].isna().all() and t["hr"].isna().all()
    assert np.isnan(sensitivity.transplant_time(c))
    texts = sensitivity.transplant_texts(c, t)
    assert texts["verdict"].startswith("None of these comparisons could be computed")
    assert texts["same_either_way"] == "no comparison by transplant can be computed"
    q = robustness.cohort_quantities(c, load_adverse_events())
    assert np.isnan(q["mantel_byar_os_p"]) and q["os_1y"] == pytest.approx(64.2, abs=0.05)


def test_core_columns_only():
    # no transplant or relapse times: the time-dependent analyses are skipped and say why,
    # the naive comparison by any transplant remains, competing risks need no time column
    bare = core_only()
    assert bare["hsct_months"].isna().all() and not sensitivity.times_recorded(bare)
    c = sensitivity.transplant_comparison(bare)
    assert set(c["grouping"]) == {"hsct"} and set(c["analysis"]) == {"naive (Figure 3)"}
    texts = sensitivity.transplant_texts(bare, c)
    assert "does not record transplant times (column hsct_months)" in texts["times_note"]
    assert "are skipped" in texts["times_note"] and texts["figure_note"]
    assert texts["results"].startswith("For overall survival the naive log-rank P by any")
    assert "the only grouping this cohort allows" in texts["same_either_way"]
    assert sensitivity.texts(bare)["cif_relapse"] == sensitivity.texts(load_cohort())["cif_relapse"]
    for fd in (sensitivity.landmark_figure_data(bare),
               sensitivity.simon_makuch_figure_data(bare, "os")):  # fmt: skip
        figures.transplant_figure(fd)  # one group: nobody is known to be transplanted


@pytest.mark.slow
def test_100000_patients_stay_fast():
    import time

    big, _ = synthetic.generate(100_000, 11)
    start = time.perf_counter()
    c = sensitivity.transplant_comparison(big, naive_only=True)
    texts = sensitivity.texts(big)
    figures.cif_figure(sensitivity.cif_figure_data(big))
    assert time.perf_counter() - start < 60
    assert len(c) == 4 and texts["cr_n"] == str(int(derive.flags(big)["cr"].sum()))
    assert sensitivity.transplant_periods(big, "rfs")["stop"].gt(0).all()  # no empty period


# ------------------------------------------------------------------ figures


def test_figures_draw_and_save_their_data(cohort, tmp_path, monkeypatch):
    import matplotlib.pyplot as plt

    monkeypatch.setenv("BOOK_SOURCE_DATA", str(tmp_path))
    fd = sensitivity.cif_figure_data(cohort)
    fig = figures.cif_figure(fd, name="fig-x")
    assert {line.get_gid() for line in fig.axes[0].lines} >= {"cif-relapse", "cif-nrm"}
    counts = [t.get_text() for t in fig.axes[1].texts if t.get_gid() == "risk"]
    assert counts == [str(int(v)) for v in fd.loc[fd["table"] == "risk", "count"]]
    assert len(pd.read_csv(tmp_path / "fig-x.csv")) == len(fd)
    fig = figures.transplant_figure(sensitivity.landmark_figure_data(cohort), name="fig-lm")
    assert fig.axes[0].get_xlabel() == "months since the landmark (3 months)"
    fig = figures.transplant_figure(sensitivity.simon_makuch_figure_data(cohort, "rfs"))
    assert not fig.axes[0].collections  # no confidence band
    plt.close("all")


# ------------------------------------------------------------------ robustness


def test_quantities_file():
    q = robustness.quantities()
    assert q.index.is_unique and len(q) == 47
    assert set(q["kind"]) == {"p", "percent", "months", "ratio"}
    pinned, constrained = q.loc[q["ledger"] != ""], q.loc[q["constrained"] != ""]
    assert set(pinned["ledger"]) <= set(load_ledger()["id"]) and len(pinned) == 7
    # the ledger's "not significant" statements the search keeps (Results: RFS by Ph, blasts,
    # MRD; the 12 of Table 3; Figure 3a and 3b)
    assert set(constrained["constrained"]) <= set(load_ledger()["id"]) and len(constrained) == 17
    assert q.loc["immortal_time", "unit"] == " person-months" and q.loc["os_1y", "unit"] == "%"


def test_pinned_quantities_on_the_cohort_print_as_the_paper(cohort):
    q = robustness.quantities()
    values = robustness.cohort_quantities(cohort, load_adverse_events(), table=q)
    printed = load_ledger().set_index("id")["printed"]
    for key, ledger_id in q.loc[q["ledger"] != "", "ledger"].items():
        decimals = len(printed[ledger_id].split(".")[1])
        assert f"{values[key]:.{decimals}f}" == printed[ledger_id], key


def test_scope_note(monkeypatch, tmp_path):
    monkeypatch.delenv("BOOK_COHORT", raising=False)
    assert robustness.texts(robustness.summarise(_values()), seeds=[1, 2])["robust_scope"] == ""
    monkeypatch.setenv("BOOK_COHORT", str(tmp_path / "other.csv"))
    texts = robustness.texts(robustness.summarise(_values()), seeds=[1, 2])
    assert texts["robust_scope"].startswith("This build analyses other.csv, not the reconstruction")


def _values(**spans):
    """Values of every quantity on two seeds: the paper's value where it prints one, 0.5
    otherwise (a hazard ratio of 0.5 and 2.0), then ``spans`` (key: (seed 1, seed 2))."""
    q, printed = robustness.quantities(), load_ledger().set_index("id")["printed"]
    rows = []
    for key, r in q.iterrows():
        other = (0.5, 2.0) if r["kind"] == "ratio" else (0.5, 0.5)
        pair = (float(printed[r["ledger"]]),) * 2 if r["ledger"] else other
        rows += [(s, key, v) for s, v in zip((1, 2), spans.get(key, pair))]
    return pd.DataFrame(rows, columns=["seed", "key", "value"])


def test_robustness_findings_are_chosen_from_the_ranges():
    texts = robustness.texts(robustness.summarise(_values()), seeds=[1, 2])
    assert texts["robust_pinned"].startswith("agree to their printed precision in all 2")
    assert texts["robust_direction_ph"] == "which group did better is not determined by the paper"
    assert texts["robust_mrd"].startswith("the printed P = 0.023 leaves it some freedom")
    assert texts["robust_constrained"].startswith("None is below 0.05")
    assert texts["robust_new"].endswith("makes the transplant groups differ significantly.")
    assert texts["robust_cif"].startswith("are the same in every reconstruction")
    assert texts["robust_direction_summary"].startswith("For the reconstruction, which Ph")
    flipped = _values(os_1y=(64.2, 70.0), os_hr_ph=(1.5, 2.5), os_hr_blasts=(1.2, 1.4),
                      os_hr_mrd=(0.19, 0.19), rfs_ph_p=(0.5, 0.01), landmark_os_p=(0.3, 0.02),
                      cif_nrm_12=(6.7, 12.5))  # fmt: skip
    texts = robustness.texts(robustness.summarise(flipped), seeds=[1, 2])
    assert (
        texts["robust_pinned"] == "do not all agree to their printed precision: os_1y differ "
        "between reconstructions"
    )
    assert texts["robust_direction_ph"].startswith("the same group did better in every")
    assert texts["robust_mrd"].startswith("together with the 1-year OS, the printed P = 0.023")
    assert texts["robust_constrained"].startswith("1 of them are below 0.05")
    assert "below 0.05 in 1 of the 14 cases" in texts["robust_new"]
    assert texts["robust_cif"] == "differ between reconstructions"
    assert texts["robust_direction_summary"].startswith("Within the search's family the same")


@pytest.mark.slow
def test_robustness_across_two_seeds(cohort):
    seeds = [1, 2]
    values = robustness.robustness(seeds, reference=(cohort, load_adverse_events()))
    summary = robustness.summarise(values)
    assert (summary["n"] == 2).all()
    for key, row in summary[summary["pinned"]].iterrows():  # every reconstruction: the paper
        decimals = len(row["printed"].split(".")[1])
        for v in (row["min"], row["max"], row["this_cohort"]):
            assert f"{v:.{decimals}f}" == row["printed"], key
    tables = robustness.tables(summary)
    assert [label for _, _, label in tables.values()] == [
        "tbl-robust-printed-by-the-paper", "tbl-robust-survival-by-subgroup",
        "tbl-robust-Table-3", "tbl-robust-transplant",
        "tbl-robust-follow-up-and-competing-risks"]  # fmt: skip
    texts = robustness.texts(summary, seeds)
    assert texts["robust_os_1y"] == "64.2% in every one" and texts["robust_n"] == "2"
    drawn = robustness.figure_data(values, summary)
    assert not drawn["key"].isin(summary.index[summary["pinned"]]).any()
    assert set(drawn["cohort"]) == {"reconstruction", "book's cohort"}
    fig = figures.robustness_figure(drawn)
    assert len(fig.axes) == drawn["kind"].nunique()


def test_committed_robustness_values_are_current_and_recomputable():
    # the committed values are used only while the code they depend on is unchanged: a stale
    # file means `make reconstruct` was not run after a change
    stamp = robustness.config.ROBUSTNESS_VALUES.with_suffix(".sha256").read_text().strip()
    assert stamp == robustness._fingerprint(robustness.DEFAULT_SEEDS), (
        "data/reconstructed/robustness.csv is stale: make reconstruct")  # fmt: skip
    committed = pd.read_csv(robustness.config.ROBUSTNESS_VALUES)
    fresh = robustness.compute_values([1])
    pd.testing.assert_frame_equal(
        committed[committed["seed"] == 1].reset_index(drop=True), fresh, check_exact=False,
        rtol=1e-12,
    )  # fmt: skip


@pytest.mark.long
@pytest.mark.slow
@pytest.mark.chapters
@pytest.mark.parametrize("variant", ["core_only", "100000"])
@pytest.mark.parametrize("doc", ["book/sensitivity", "book/audit", "book/reproducibility"])
def test_chapter_builds(doc, variant, tmp_path_factory):
    """The chapters on a centre's cohort: the 20 core columns, or 100,000 patients."""
    from chapters import error_outputs, executed, glue_problems, glued_data
    from test_journeys import CORE

    from analysis import config

    path = tmp_path_factory.getbasetemp() / f"{variant}.csv"
    aes = tmp_path_factory.getbasetemp() / f"{variant}_aes.csv"
    if variant == "core_only":
        aes = config.DEFAULT_ADVERSE_EVENTS
        raw = pd.read_csv(config.DEFAULT_COHORT, dtype=str, keep_default_na=False)
        raw[CORE].to_csv(path, index=False)
    elif not path.is_file():
        for table, to in zip(synthetic.generate(100_000, 11), (path, aes)):
            synthetic.to_csv(table, to)
    nb = executed(doc, str(path), str(aes))
    assert error_outputs(nb) == [] and glue_problems(nb) == []
    glued = {k: v.get("text/plain", "") for k, v in glued_data(nb).items()}
    if doc == "book/sensitivity" and variant == "core_only":
        assert "does not record transplant times" in glued["sensitivity_times_note"]
    if doc == "book/reproducibility":
        assert "another cohort than the reconstruction" in glued["repro_notice"]
