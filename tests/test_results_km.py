"""analysis.results.km: the Kaplan-Meier panels every survival figure and table draws.

Expected values come from the paper (section named; tolerance: its rounding), from counts
made by hand on the cohort table, or from lifelines and statsmodels called directly.
"""

from __future__ import annotations

import re

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter
from lifelines.plotting import add_at_risk_counts
from scipy import stats
from statsmodels.duration.hazard_regression import PHReg

from analysis import load_cohort
from analysis.results import km


@pytest.fixture(scope="module")
def cohort():
    return load_cohort()


@pytest.fixture(scope="module")
def os_data(cohort):
    return km.endpoint_data(cohort, "os")


def test_endpoint_data_sizes(cohort):
    # Abstract: 19 patients; "Of the 16 patients with CR" (Abstract, Results)
    assert len(km.endpoint_data(cohort, "os")) == 19
    assert len(km.endpoint_data(cohort, "rfs")) == 16
    assert len(km.endpoint_data(cohort, "os", among="cr")) == 16
    assert {"time", "event", "mrd_response", "hsct_first_remission"} <= set(
        km.endpoint_data(cohort, "os").columns
    )
    with pytest.raises(ValueError):
        km.endpoint_data(cohort, "pfs")


def test_groups_and_population(os_data):
    g = km.groups(os_data, "mrd_response")
    # 12 of 19 MRD responders (Abstract, Results: 63.2%, 12/19)
    assert [(x.role, x.label, int(x.mask.sum())) for x in g] == [
        ("reference", "MRD non-responders", 7),
        ("comparison", "MRD responders", 12),
    ]
    assert km.groups(os_data, None)[0].role == "all"
    assert km.population(km.Panel("os")) == "all patients"
    assert km.population(km.Panel("rfs")) == "patients in CR"
    assert km.population(km.Panel("os", among="cr")) == "patients in CR"
    assert km.population(km.Panel("os", among="ph_positive")) == "Ph-positive"


def test_summary_reproduces_figure_1a_and_2a(cohort):
    # Abstract, Results: 1-year OS 64.2% ± 12.1%, 1-year RFS 73.3% ± 11.4%; medians not reached
    for endpoint, printed in (("os", (64.2, 12.1)), ("rfs", (73.3, 11.4))):
        row = km.summary(km.endpoint_data(cohort, endpoint)).iloc[0]
        assert (row["survival"], row["se"]) == pytest.approx(printed, abs=0.05)
        assert np.isnan(row["median"])


def test_summary_events_and_censored(os_data):
    # Results, Survival outcomes: seven patients died, twelve were alive
    row = km.summary(os_data).iloc[0]
    assert (row["n"], row["events"]) == (19, 7)


def test_median_ci_against_log_log_band_by_hand(os_data):
    """The median's 95% CI: where the log(-log) band of Greenwood's variance crosses 1/2."""
    d = os_data[~os_data["mrd_response"]]
    t, e = d["time"].to_numpy(), d["event"].to_numpy()
    times = np.unique(t[e == 1])
    s, v, lows, highs = 1.0, 0.0, [], []
    z = stats.norm.ppf(0.975)
    for x in times:
        n, dx = (t >= x).sum(), ((t == x) & (e == 1)).sum()
        s *= 1 - dx / n
        v += dx / (n * (n - dx)) if n > dx else 0.0
        if 0 < s < 1:
            half = z * np.sqrt(v) / np.log(s)
            lows.append(s ** np.exp(-half))
            highs.append(s ** np.exp(half))
        else:
            lows.append(0.0 if s == 0 else 1.0)
            highs.append(0.0 if s == 0 else 1.0)
    lows, highs = np.array(lows), np.array(highs)
    surv = np.cumprod([1 - ((t == x) & (e == 1)).sum() / (t >= x).sum() for x in times])
    row = km.summary(d).iloc[0]
    assert row["median"] == times[np.argmax(surv <= 0.5)]
    assert row["median_lower"] == times[np.argmax(np.minimum(lows, highs) <= 0.5)]
    assert row["median_upper"] == times[np.argmax(np.maximum(lows, highs) <= 0.5)]


def test_sparse_tail_counted_by_hand(os_data):
    s = km.summary(os_data, "mrd_response").set_index("label")
    non = os_data[~os_data["mrd_response"]]
    last = non.loc[non["event"] == 1, "time"].max()
    assert s.loc["MRD non-responders", "last_event"] == last
    at_risk = int((non["time"] >= last).sum())
    assert s.loc["MRD non-responders", "last_event_at_risk"] == at_risk == 1
    assert s.loc["MRD non-responders", "sparse"]
    assert not s.loc["MRD responders", "sparse"]


def test_estimate_not_carried_beyond_the_data(cohort):
    # The four MRD non-responders in CR: nobody followed for 12 months (the old chapter's
    # table said "not estimable (nobody followed for 12 months)")
    rfs = km.endpoint_data(cohort, "rfs")
    row = km.summary(rfs, "mrd_response").iloc[0]
    assert row["n"] == 4 and rfs.loc[~rfs["mrd_response"], "time"].max() < 12
    assert np.isnan(row["survival"])
    text = km.estimate_texts(row)
    assert text["estimate"] == "not estimable (nobody followed for 12 months)"


def test_estimate_texts():
    row = {"n": 19, "survival": 64.2375, "se": 12.0896, "median": np.nan, "median_lower": 4.1,
           "median_upper": np.nan}  # fmt: skip
    assert km.estimate_texts(row) == {
        "estimate": "64.2% ± 12.1%",
        "median": "not reached (95% CI 4.1–not reached)",
    }
    row |= {"median": 16.25, "median_lower": 1.7, "median_upper": 16.25}  # half up: 16.3
    assert km.estimate_texts(row)["median"] == "16.3 months (95% CI 1.7–16.3)"
    row |= {"median": np.nan, "median_lower": np.nan, "median_upper": np.nan}
    assert km.estimate_texts(row)["median"] == "not reached"
    empty = km.estimate_texts({**row, "n": 0})
    assert set(empty.values()) == {"not estimable (no patients)"}


@pytest.mark.parametrize(
    "split, printed",
    [("ph_positive", "0.616"), ("high_blasts", "0.174"), ("mrd_response", "0.023")],
)
def test_comparison_reproduces_figure_1(os_data, split, printed):
    # Results, Survival outcomes: P = 0.616 (Figure 1b), 0.174 (1c), 0.023 (1d)
    c = km.comparison(os_data, split)
    assert c["p_text"] == printed
    assert c["text"].split("\n")[0] == f"log-rank P = {printed}"


def test_hazard_ratio_against_statsmodels(os_data):
    """Cox HR of MRD responders against non-responders, Efron ties, as statsmodels fits it."""
    c = km.comparison(os_data, "mrd_response")
    x = os_data["mrd_response"].to_numpy(float)[:, None]
    fit = PHReg(os_data["time"].to_numpy(), x, status=os_data["event"].to_numpy(), ties="efron")
    res = fit.fit()
    lo, hi = np.exp(res.conf_int()[0])
    assert (c["hr"], c["hr_lower"], c["hr_upper"]) == pytest.approx(
        (np.exp(res.params[0]), lo, hi), rel=1e-4
    )
    assert c["hr"] < 1  # MRD responders had better OS (Abstract, Results)
    assert c["text"].split("\n")[1] == f"HR {c['hr_text'].replace('(', '(95% CI ')}"


def test_comparison_not_computable(os_data):
    nobody = os_data.assign(ph_positive=False)
    c = km.comparison(nobody, "ph_positive")
    assert np.isnan(c["p_value"]) and np.isnan(c["hr"])
    assert c["text"] == "log-rank P not computable\nHR not computable"
    assert c["p_text"] == c["hr_text"] == "—"


def test_risk_table_counted_by_hand(os_data):
    t, e = os_data["time"].to_numpy(), os_data["event"].to_numpy()
    risk = km.risk_table(os_data, None, [0.0, 12.0, 24.0, 30.0, *t[:5]])  # and at exact times
    for row in risk.itertuples():
        assert row.at_risk == (t >= row.time).sum()
        assert row.censored == ((t < row.time) & (e == 0)).sum()
        assert row.events == ((t < row.time) & (e == 1)).sum()
        assert row.at_risk + row.censored + row.events == len(t)  # the rows partition n
    # Abstract: 19 patients; Results: 12 alive, 7 died by the end of follow-up (28.5 months)
    assert risk.set_index("time").loc[30.0, ["at_risk", "censored", "events"]].tolist() == [
        0,
        12,
        7,
    ]
    assert risk.set_index("time").loc[0.0, "at_risk"] == 19


def test_risk_table_equals_lifelines_add_at_risk_counts(os_data):
    # lifelines' own risk table, read from the tick labels it draws; at ticks between observed
    # times (it counts a patient leaving at the tick itself as gone, the book as still at risk)
    t = np.sort(os_data["time"].to_numpy(float))
    ticks = [0.0, *((t[1:] + t[:-1]) / 2)[::3]]
    assert len(ticks) > 5
    risk = km.risk_table(os_data, "mrd_response", ticks)
    for role, rows in risk.groupby("role"):
        g = os_data[os_data["mrd_response"] == (role == "comparison")]
        fig, ax = plt.subplots()
        kmf = KaplanMeierFitter().fit(g["time"], g["event"])
        add_at_risk_counts(kmf, ax=kmf.plot_survival_function(ax=ax), xticks=ticks)
        labels = [x.get_text() for x in fig.axes[-1].get_xticklabels()]
        drawn = [[int(n) for n in re.findall(r"\d+", lbl.split("\n", 1)[1])] for lbl in labels]
        plt.close(fig)
        assert rows[["at_risk", "censored", "events"]].to_numpy().tolist() == drawn


def test_steps_are_the_lifelines_estimate(os_data):
    steps = km.steps(os_data, "mrd_response")
    resp = os_data[os_data["mrd_response"]]
    kmf = KaplanMeierFitter().fit(resp["time"], resp["event"])
    mine = steps[steps["role"] == "comparison"].set_index("time")["survival"]
    ref = kmf.survival_function_["KM_estimate"].reindex(mine.index)
    np.testing.assert_allclose(mine.to_numpy(), ref.to_numpy())


@pytest.mark.parametrize(
    "tmax, expected",
    [(28.5, [0, 6, 12, 18, 24, 30]), (11.0, [0, 2, 4, 6, 8, 10, 12]), (0.0, [0, 1]),
     (100.0, [0, 24, 48, 72, 96, 120]), (3.0, [0, 0.5, 1, 1.5, 2, 2.5, 3])],
)  # fmt: skip
def test_time_ticks(tmax, expected):
    assert km.time_ticks(tmax).tolist() == expected


def test_figure_data_is_tidy_and_complete(cohort):
    panel = km.Panel("os", "mrd_response", title="overall survival by MRD response")
    fd = km.figure_data(cohort, panel)
    assert set(fd["table"]) == {"km", "risk", "summary", "test"}
    assert fd.columns[0] == "table"
    # default ticks cover the longest follow-up, 28.5 months (Results, Survival outcomes)
    assert sorted(fd.loc[fd["table"] == "risk", "time"].unique()) == [0, 6, 12, 18, 24, 30]
    test = fd[fd["table"] == "test"].iloc[0]
    data = km.endpoint_data(cohort, "os")
    assert test["text"] == km.comparison(data, "mrd_response")["text"]
    assert set(fd["panel"]) == {panel.title} and set(fd["ylabel"]) == {"overall survival"}
    assert km.figure_data(cohort, panel).equals(fd)
    single = km.figure_data(cohort, km.Panel("rfs"), ticks=[0, 12])
    assert "test" not in set(single["table"])
    assert sorted(single.loc[single["table"] == "risk", "time"]) == [0, 12]


def test_panel_table(cohort):
    panels = {"1a": km.Panel("os"), "1d": km.Panel("os", "mrd_response")}
    t = km.panel_table(cohort, panels)
    assert t["Panel"].tolist() == ["1a", "1d", ""]
    assert t["n"].tolist() == [19, 7, 12]
    first = t.iloc[0]
    assert first["12-month estimate ± SE"] == "64.2% ± 12.1%"  # Figure 1a (Abstract)
    assert first["Log-rank P"] == first["HR (95% CI)"] == ""
    assert t.iloc[1]["Log-rank P"] == "0.023"  # Figure 1d (Results, Survival outcomes)
    assert t.iloc[1]["HR (95% CI)"].startswith("0.")
    assert t.iloc[2]["Log-rank P"] == ""
    assert t["Median, months (95% CI)"].tolist() == [
        "NR (4.1–NR)",
        "16.2 (1.7–16.2)",
        "NR (4.1–NR)",
    ]


def test_empty_cohort_gives_words_not_errors(cohort):
    empty = cohort.iloc[:0]
    fd = km.figure_data(empty, km.Panel("os", "mrd_response"))
    assert (fd.loc[fd["table"] == "risk", "at_risk"] == 0).all()
    t = km.panel_table(empty, {"1d": km.Panel("os", "mrd_response")})
    assert set(t["12-month estimate ± SE"]) == {"not estimable (no patients)"}
    assert t.iloc[0]["Log-rank P"] == "—"


# ----------------------------------------------------------------------------- phase B


def tiled(cohort, k: int):
    """The cohort repeated ``k`` times with distinct patient ids (a large cohort, same shape)."""
    parts = [cohort.assign(patient_id=cohort["patient_id"] + f"-{i}") for i in range(k)]
    return pd.concat(parts, ignore_index=True)


def test_landmark_keeps_those_followed_beyond_it(cohort):
    data = km.endpoint_data(cohort, "os", landmark=3.0)
    t = cohort["os_months"].to_numpy()
    assert len(data) == (t > 3.0).sum() and (data["time"] > 3.0).all()
    assert km.population(km.Panel("os", "mrd_response", landmark=3.0)) == (
        "all patients alive at 3.0 months"
    )


def test_p_hr_lines():
    assert km.p_hr_lines(0.0231, 0.194, 0.041, 0.914) == (
        "log-rank P = 0.023",
        "HR 0.19 (95% CI 0.04–0.91)",
    )
    assert km.p_hr_lines(0.0004, 2, 1, 3, "Mantel-Byar")[0] == "Mantel-Byar P < 0.001"
    nan = float("nan")
    assert km.p_hr_lines(nan, nan, nan, nan) == ("log-rank P not computable", "HR not computable")


def _steps(lower_a, upper_a, lower_b, upper_b):
    """Two made-up curves with one event each at t = 1 and the given bands after it."""
    rows = []
    for role, lo, hi in (("reference", lower_a, upper_a), ("comparison", lower_b, upper_b)):
        rows += [(role, 0.0, 0, 1.0, 1.0, 1.0), (role, 1.0, 1, 0.5, lo, hi),
                 (role, 2.0, 0, 0.5, lo, hi)]  # fmt: skip
    cols = ["role", "time", "n_event", "survival", "ci_lower", "ci_upper"]
    return pd.DataFrame(rows, columns=cols)


def test_bands_overlap():
    assert km.bands_overlap(_steps(0.1, 0.4, 0.35, 0.9))
    assert not km.bands_overlap(_steps(0.1, 0.3, 0.35, 0.9))
    # before both curves have an event, both bands are [1, 1]: that is not an overlap
    one_event = _steps(0.1, 0.3, 0.35, 0.9)
    one_event.loc[one_event["role"] == "comparison", "n_event"] = 0
    assert not km.bands_overlap(one_event)


def test_own_panels_and_marks_in_the_figure_data(cohort):
    fd = km.figure_data(cohort, km.Panel("os", "mrd_response"))
    s = fd[fd["table"] == "summary"]
    # the bands of Figure 1d overlap (checked on the curves: the responders' band at 12
    # months reaches below the non-responders' upper limit)
    steps = fd[fd["table"] == "km"]
    at = {
        r: steps[(steps["role"] == r) & (steps["time"] <= 12)].iloc[-1]
        for r in ("reference", "comparison")
    }
    assert at["comparison"]["ci_lower"] <= at["reference"]["ci_upper"]
    assert s["own_panel"].all() and s["marks"].all()
    big = km.figure_data(tiled(cohort, 30), km.Panel("os", "mrd_response"))
    assert not big.loc[big["table"] == "summary", "marks"].any()  # 570 > MARKS_MAX


def test_figure_note(cohort, monkeypatch):
    fd = km.figure_data(cohort, km.Panel("os", "mrd_response"))
    note = km.figure_note(fd)
    # the non-responders' last death leaves one patient at risk (test_sparse_tail_counted...)
    assert note.startswith("Fragile tail: the median of the curve for MRD non-responders, "
                           "16.2 months, rests on 1 patient at risk.")  # fmt: skip
    assert "each curve has its own panel" in note
    assert note.endswith("Reconstructed, not the patients' records.")
    assert km.figure_note(km.figure_data(cohort, km.Panel("os"))) == (
        "Reconstructed, not the patients' records."
    )
    big = km.figure_note(km.figure_data(tiled(cohort, 30), km.Panel("os")))
    assert f"not marked on the curves above {km.MARKS_MAX} patients" in big
    monkeypatch.setenv("BOOK_COHORT", "/elsewhere/cohort.csv")
    assert km.figure_note(fd).endswith("From the cohort table of this build.")


def test_summary_median_is_the_fit_median(os_data):
    """The median and its CI come from the same lifelines fit as the curve."""
    d = os_data[~os_data["mrd_response"]]
    kmf = KaplanMeierFitter().fit(d["time"], d["event"])
    row = km.summary(d).iloc[0]
    assert row["median"] == kmf.median_survival_time_


def test_medians_text(os_data):
    # the medians and their CIs checked by hand in test_median_ci_against_log_log_band_by_hand
    # and test_panel_table: 16.2 (1.7-16.2) for non-responders, not reached (4.1-NR) otherwise
    assert km.medians_text(km.summary(os_data, "mrd_response")) == (
        "16.2 months (95% CI 1.7–16.2) for MRD non-responders and not reached (95% CI "
        "4.1–not reached) for MRD responders"
    )
    assert (
        km.medians_text(km.summary(os_data.iloc[:0]))
        == "not estimable (no patients) for all patients"
    )
