"""Patient journeys: the flow against the paper, the swimmer rows, the figures, any cohort.

Expected counts are the paper's (section cited); times follow the infusion schedule of the
Methods (28-day infusions, a 2-week gap).
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.container import BarContainer
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from analysis import config, load_cohort
from analysis.figures import flow as flow_fig
from analysis.figures import swimmer
from analysis.results import journeys

SYNTHETIC = config.DATA_DIR / "synthetic" / "cohort_300.csv"
SIX_WEEKS, FOUR_WEEKS = 42 / 30.4375, 28 / 30.4375  # months
OPTIONAL = ["hsct_pathway", "pre_hsct_therapy", "hsct_months", "mrd_negative_after_hsct",
            "car_t_after", "car_t_months", "relapse_site", "relapse_months", "course"]  # fmt: skip


@pytest.fixture(scope="module")
def cohort() -> pd.DataFrame:
    return load_cohort(config.DEFAULT_COHORT)


@pytest.fixture(scope="module")
def flow(cohort) -> pd.DataFrame:
    return journeys.patient_flow(cohort)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def boxes(flow: pd.DataFrame) -> pd.Series:
    return flow[flow["kind"] == "box"].set_index("box")["n"]


def arrow(flow: pd.DataFrame, source: str, target: str) -> int:
    hit = flow[(flow["kind"] == "arrow") & (flow["box"] == source) & (flow["target"] == target)]
    return int(hit["n"].sum())


PAPER_COUNTS = {
    # Results, Patient characteristics: "four patients had < 5% bone marrow blasts, while 15
    # patients had overt marrow disease with >= 5% blast".
    "treated": 19, "low_burden": 4, "overt": 15,
    # Results, Treatment response: the four with < 5% blasts "all sustained CR"; "Twelve
    # (80.0%) of the 15 patients with >= 5% blast ... achieved CR"; three did not respond.
    "low_burden_cr": 4, "low_burden_no_cr": 0, "overt_cr": 12, "overt_no_cr": 3,
    # Abstract: MRD response rate 63.2% (12/19).
    "mrd_response": 12, "no_mrd_response": 7,
    # Results, post-blinatumomab treatments: 11 allo-HSCT, 9 directly, one after imatinib
    # bridging, one after an early relapse and salvage.
    "hsct_direct": 9, "hsct_bridging": 1, "hsct_salvage": 1, "no_hsct": 8,
    # Results, Survival outcomes: "Seven patients (36.8%) died and three patients (15.8%)
    # experienced relapse"; "12 patients (63.2%) were still alive".
    "relapse": 3, "no_relapse": 16, "died": 7, "alive": 12,
}  # fmt: skip


@pytest.mark.parametrize(("box", "expected"), PAPER_COUNTS.items())
def test_flow_counts_equal_the_paper(flow, box, expected):
    assert boxes(flow)[box] == expected


def test_flow_arrows_reproduce_the_paper(flow):
    # Results, Treatment response: 8 of the 12 with overt disease in CR became MRD-negative,
    # and all four with < 5% blasts did.
    assert arrow(flow, "overt_cr", "mrd_response") == 8
    assert arrow(flow, "low_burden_cr", "mrd_response") == 4
    # Results, post-blinatumomab treatments: 7 MRD responders and 2 non-responders went
    # directly to transplant.
    assert arrow(flow, "mrd_response", "hsct_direct") == 7
    assert arrow(flow, "no_mrd_response", "hsct_direct") == 2
    # Results, Survival outcomes: the three who relapsed died.
    assert arrow(flow, "relapse", "died") == 3
    assert arrow(flow, "overt", "low_burden_cr") == 0  # the response row splits each group


def check_flow(flow: pd.DataFrame, n: int) -> None:
    """Every stage divides all patients; what enters and leaves a box is what it holds."""
    b, a = flow[flow["kind"] == "box"], flow[flow["kind"] == "arrow"]
    assert (b.groupby("stage")["n"].sum() == n).all()
    into, out = a.groupby("target")["n"].sum(), a.groupby("box")["n"].sum()
    for _, r in b.iterrows():
        if r["level"] > 0:
            assert into.get(r["box"], 0) == r["n"], r["box"]
        if r["level"] < b["level"].max():
            assert out.get(r["box"], 0) == r["n"], r["box"]
    assert (a["n"] > 0).all()


def test_flow_is_consistent(flow):
    check_flow(flow, 19)
    assert list(flow["stage"].unique()) == ["treated", "blasts", "response", "mrd", "hsct",
                                            "relapse", "status"]  # fmt: skip


def test_cycles_follow_the_schedule(cohort):
    cycles = journeys.cycle_table(cohort)
    assert len(cycles) == int(cohort["cycles"].sum())
    p08 = cycles[cycles["patient_id"] == "P08"]  # six consecutive cycles
    assert np.allclose(p08["start_months"], np.arange(6) * SIX_WEEKS)
    assert np.allclose(p08["end_months"] - p08["start_months"], FOUR_WEEKS)


def test_second_cycle_after_relapse(cohort):
    # Results, Survival outcomes: two patients received a second cycle after a marrow relapse.
    cycles = journeys.cycle_table(cohort).set_index(["patient_id", "cycle"])
    relapsed = cohort[cohort["relapse"].fillna(False).astype(bool) & (cohort["cycles"] >= 2)]
    assert len(relapsed) == 2
    for _, p in relapsed.iterrows():
        assert cycles.loc[(p["patient_id"], 2), "after_relapse"]
        assert cycles.loc[(p["patient_id"], 2), "start_months"] == pytest.approx(
            p["relapse_months"]
        )


def test_response_marker_before_the_next_event(cohort):
    events = journeys.events_table(cohort)
    is_resp = events["event"].isin(["cr", "cr_mrd_negative"])
    resp = events[is_resp].set_index("patient_id")["months"]
    assert len(resp) == 16  # Results: CR in 16 of 19 (12 of 15 plus the 4 with < 5% blasts)
    first_other = events[~is_resp].groupby("patient_id")["months"].min()
    assert (resp < first_other.reindex(resp.index)).all()
    assert set(resp.round(6)) <= {round(SIX_WEEKS, 6), round(FOUR_WEEKS, 6)}


def test_events_match_the_paper(cohort):
    # Results: 11 allo-HSCT, 2 CAR-T after blinatumomab, 3 relapses, 7 deaths, 12 alive.
    counts = journeys.events_table(cohort)["event"].value_counts()
    assert (counts["hsct"], counts["car_t"], counts["relapse"]) == (11, 2, 3)
    assert (counts["death"], counts["censored"]) == (7, 12)
    assert counts["cr"] + counts["cr_mrd_negative"] == 16 and counts["cr_mrd_negative"] == 12


def test_swimmer_rows_and_order(cohort):
    rows = journeys.swimmer_rows(cohort)
    bars = rows[rows["element"] == "follow-up"].sort_values("row")
    assert list(bars["row"]) == list(range(19))
    assert list(bars["patient_id"]) == list(
        cohort.loc[journeys.swimmer_order(cohort), "patient_id"]
    )
    codes = pd.Categorical(bars["group"], categories=journeys.RESPONSE_GROUPS).codes
    assert (np.diff(codes) >= 0).all()  # response groups top to bottom, then longest first
    for _, g in bars.groupby("group"):
        assert (np.diff(g["end_months"]) <= 0).all()
    # Results: 12 MRD responders (all in CR), 4 in CR without, 3 without CR.
    assert bars.groupby("group")["group_n"].first().to_dict() == {
        "CR, MRD response": 12, "CR, no MRD response": 4, "no CR": 3}  # fmt: skip
    assert (rows["element"] == "infusion").sum() == int(cohort["cycles"].sum())


def test_course_texts_are_the_papers_numbers(cohort):
    t = journeys.texts(cohort)
    assert all(isinstance(v, str) for v in t.values())
    # Results: 19 patients, 11 allo-HSCT (9 direct, 1 bridging, 1 salvage), 3 relapses, all
    # three died, 7 deaths; 2 CAR-T among the 3 without CR; median follow-up 11.0 months,
    # range to 28.5 (Abstract).
    expected = {"n": "19", "n_hsct": "11", "n_hsct_direct": "9", "n_hsct_bridging": "1",
                "n_hsct_salvage": "1", "n_relapse": "3", "n_relapse_died": "3", "n_died": "7",
                "n_car_t_in_no_cr": "2", "n_no_cr": "3", "fu_median": "11.0", "fu_max": "28.5",
                "infusion_days": "28", "cycle_days": "42", "response_months": "1.4",
                "infusion_months": "0.9"}  # fmt: skip
    assert {k: t[k] for k in expected} == expected


def test_swimmer_figure_draws_the_rows(cohort, tmp_path, monkeypatch):
    monkeypatch.setenv("BOOK_SOURCE_DATA", str(tmp_path))
    rows = journeys.swimmer_rows(cohort)
    fig = swimmer.swimmer_figure(rows, name="fig-swimmer")
    ax = fig.axes[0]
    assert tuple(fig.get_size_inches()) == pytest.approx((7, 6))
    (bars,) = [c for c in ax.containers if isinstance(c, BarContainer)]
    assert [p.get_width() for p in bars.patches] == pytest.approx(
        cohort.loc[journeys.swimmer_order(cohort), "os_months"].astype(float).tolist()
    )
    assert [t.get_text() for t in ax.get_yticklabels()][:2] == ["P16", "P08"]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "CR, MRD response (n = 12)" in legend and "blinatumomab infusion (28 days)" in legend
    assert ax.get_xlabel() == "months since start of blinatumomab"
    saved = pd.read_csv(tmp_path / "fig-swimmer.csv")
    assert len(saved) == len(rows) and list(saved.columns) == list(rows.columns)


def test_marker_shapes_differ():
    shapes = [m[0] for k, m in swimmer.MARKERS.items() if k != "cr"]
    assert len(shapes) == len(set(shapes))  # CR MRD-positive/negative differ by fill only


def test_flow_figure_draws_every_box_and_arrow(flow, tmp_path, monkeypatch):
    monkeypatch.setenv("BOOK_SOURCE_DATA", str(tmp_path))
    ax = flow_fig.flow_figure(flow, name="fig-flow").axes[0]
    drawn = [p for p in ax.patches if isinstance(p, FancyBboxPatch)]
    assert sorted(p.get_gid() for p in drawn) == sorted(flow.loc[flow["kind"] == "box", "box"])
    assert (
        sum(isinstance(p, FancyArrowPatch) for p in ax.patches) == (flow["kind"] == "arrow").sum()
    )
    texts = [t.get_text() for t in ax.texts]
    assert "treated with blinatumomab\nn = 19" in texts and "MRD response\nn = 12" in texts
    assert len(pd.read_csv(tmp_path / "fig-flow.csv")) == len(flow)


def test_300_patients():
    big = load_cohort(SYNTHETIC, validate=False)
    flow = journeys.patient_flow(big)
    check_flow(flow, 300)
    ax = swimmer.swimmer_plot(journeys.swimmer_rows(big))
    assert len(ax.containers[0]) == 300 and ax.get_yticks().size == 0  # too many to label
    flow_fig.flow_diagram(flow)


def test_empty_group(cohort):
    no_low = cohort[cohort["marrow_blasts_pct"] >= 5].reset_index(drop=True)
    flow = journeys.patient_flow(no_low)
    assert boxes(flow)["low_burden"] == 0 and boxes(flow)["low_burden_cr"] == 0
    assert not flow["box"].eq("low_burden").loc[flow["kind"] == "arrow"].any()
    check_flow(flow, 15)
    ax = flow_fig.flow_diagram(flow)
    assert sum(isinstance(p, FancyBboxPatch) for p in ax.patches) == (flow["kind"] == "box").sum()


def test_nobody_responds(cohort):
    none = cohort.assign(cr=False, mrd_response=False, allo_hsct_after=False, relapse=False,
                         hsct_months=np.nan, relapse_months=np.nan, hsct_pathway="")  # fmt: skip
    flow = journeys.patient_flow(none)
    assert boxes(flow)["overt_no_cr"] == 15 and boxes(flow)["mrd_response"] == 0
    check_flow(flow, 19)
    rows = journeys.swimmer_rows(none)
    assert not rows["element"].isin(["cr", "cr_mrd_negative", "hsct", "relapse"]).any()
    assert set(rows["group"]) == {"no CR"}
    swimmer.swimmer_plot(rows)


def test_optional_columns_empty(tmp_path):
    """Another centre's cohort without transplant, CAR-T or relapse details: no crash."""
    raw = pd.read_csv(config.DEFAULT_COHORT, dtype=str, keep_default_na=False)
    raw.assign(**dict.fromkeys(OPTIONAL, "")).to_csv(tmp_path / "bare.csv", index=False)
    bare = load_cohort(tmp_path / "bare.csv", validate=False)
    t = journeys.texts(bare)
    assert t["hsct_months_median"] == "—" and t["n_hsct_direct"] == "0" and t["n"] == "19"
    assert not journeys.events_table(bare)["event"].isin(["hsct", "car_t", "relapse"]).any()
    assert len(journeys.cycle_table(bare)) == int(bare["cycles"].sum())  # none after relapse
    check_flow(journeys.patient_flow(bare), 19)
    swimmer.swimmer_plot(journeys.swimmer_rows(bare))


def test_single_patient(cohort):
    one = cohort.iloc[[0]].reset_index(drop=True)
    check_flow(journeys.patient_flow(one), 1)
    assert len(swimmer.swimmer_plot(journeys.swimmer_rows(one)).containers[0]) == 1


def test_unnamed_transplant_route_gets_a_box(cohort):
    odd = cohort.copy()
    odd.loc[odd["hsct_pathway"] == "bridging", "hsct_pathway"] = ""
    flow = journeys.patient_flow(odd)
    assert boxes(flow)["hsct_other"] == 1
    check_flow(flow, 19)
