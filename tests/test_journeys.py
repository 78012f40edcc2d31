"""Tests of analysis.journeys: the patient flow against the paper, the swimmer plot, any cohort."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.container import BarContainer
from matplotlib.patches import FancyBboxPatch

from analysis import config, journeys, load_cohort

SYNTHETIC = config.DATA_DIR / "synthetic" / "cohort_300.csv"


@pytest.fixture(scope="module")
def cohort() -> pd.DataFrame:
    return load_cohort(config.DEFAULT_COHORT)


@pytest.fixture(scope="module")
def flow(cohort) -> journeys.PatientFlow:
    return journeys.patient_flow(cohort)


@pytest.fixture(scope="module")
def big() -> pd.DataFrame:
    """300 patients: the synthetic example if present, else the cohort resampled with new ids."""
    if SYNTHETIC.is_file():
        return load_cohort(SYNTHETIC, validate=False)
    base = load_cohort(config.DEFAULT_COHORT)
    rng = np.random.default_rng(6)
    out = base.iloc[rng.integers(0, len(base), 300)].reset_index(drop=True)
    out["patient_id"] = [f"R{i:03d}" for i in range(1, 301)]
    return out


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# ------------------------------------------------------------------------- flow counts

# Expected counts as the paper prints them.
PAPER_COUNTS = {
    # Results, Patient characteristics: "four patients had < 5% bone marrow blasts, while 15
    # patients had overt marrow disease with >= 5% blast".
    "treated": 19,
    "low_burden": 4,
    "overt": 15,
    # Results, Treatment response: "Among the four patients with < 5% blast ... all sustained
    # CR"; "Twelve (80.0%) of the 15 patients with >= 5% blast at the start achieved CR ...
    # The other three patients did not response".
    "low_burden_cr": 4,
    "low_burden_no_cr": 0,
    "overt_cr": 12,
    "overt_no_cr": 3,
    # Abstract and Results, Treatment response: MRD response rate 63.2% (12/19).
    "mrd_response": 12,
    "no_mrd_response": 7,
    # Results, Treatment response and post-blinatumomab treatments: "A total of 11 patients
    # underwent allo-HSCT ... 9 patients with CR ... proceeded directly", one after imatinib,
    # one after an early relapse and salvage.
    "hsct_direct": 9,
    "hsct_bridging": 1,
    "hsct_salvage": 1,
    "no_hsct": 8,
    # Results, Survival outcomes: "Seven patients (36.8%) died and three patients (15.8%)
    # experienced relapse"; "12 patients (63.2%) were still alive".
    "relapse": 3,
    "no_relapse": 16,
    "died": 7,
    "alive": 12,
}


@pytest.mark.parametrize(("box", "expected"), PAPER_COUNTS.items())
def test_flow_counts_equal_the_paper(flow, box, expected):
    assert flow.n(box) == expected


def test_flow_transplants_total_11(flow):
    # Results, Treatment response and post-blinatumomab treatments: "A total of 11 patients
    # underwent allo-HSCT during the follow-up period."
    hsct = flow.boxes[flow.boxes["stage"] == "hsct"]
    assert int(hsct.loc[hsct["box"] != "no_hsct", "n"].sum()) == 11


def test_flow_links_reproduce_the_paper(flow):
    # Results, Treatment response: 8 of the 12 with overt disease in CR became MRD-negative,
    # and all four patients with < 5% blasts did.
    assert flow.link("overt_cr", "mrd_response") == 8
    assert flow.link("low_burden_cr", "mrd_response") == 4
    # Results, post-blinatumomab treatments: 7 MRD responders and 2 non-responders went
    # directly to transplant.
    assert flow.link("mrd_response", "hsct_direct") == 7
    assert flow.link("no_mrd_response", "hsct_direct") == 2
    # Results, Survival outcomes: the 12 alive are all without relapse in the reconstruction
    # ("all in CR with MRD negativity"); the three who relapsed died.
    assert flow.link("relapse", "died") == 3


def _check_flow_consistency(flow: journeys.PatientFlow, n: int) -> None:
    boxes = flow.boxes
    assert flow.n("treated") == n
    for stage, group in boxes.groupby("stage"):
        assert int(group["n"].sum()) == n, stage  # every stage divides all patients
    incoming = flow.links.groupby("target")["n"].sum()
    outgoing = flow.links.groupby("source")["n"].sum()
    for _, b in boxes.iterrows():
        if b["level"] > 0:
            assert int(incoming.get(b["box"], 0)) == b["n"], b["box"]
        if b["level"] < boxes["level"].max():
            assert int(outgoing.get(b["box"], 0)) == b["n"], b["box"]
    assert (flow.links["n"] > 0).all()


def test_flow_is_consistent(flow):
    _check_flow_consistency(flow, 19)


def test_flow_unknown_box_raises(flow):
    with pytest.raises(KeyError):
        flow.n("nonexistent")


# ------------------------------------------------------------------------- cycles, events


def test_cycles_follow_the_schedule(cohort):
    cycles = journeys.cycle_table(cohort)
    assert len(cycles) == int(cohort["cycles"].sum())
    six_weeks = 42 / 30.4375
    p08 = cycles[cycles["patient_id"] == "P08"]  # six consecutive cycles
    assert np.allclose(p08["start_months"], np.arange(6) * six_weeks)
    assert np.allclose(p08["end_months"] - p08["start_months"], 28 / 30.4375)


def test_second_cycle_after_relapse(cohort):
    # Results, Survival outcomes: a second cycle was given after the marrow (and CNS) relapse.
    cycles = journeys.cycle_table(cohort)
    relapsed = cohort[cohort["relapse"].fillna(False).astype(bool) & (cohort["cycles"] >= 2)]
    assert len(relapsed) > 0
    for _, p in relapsed.iterrows():
        second = cycles[(cycles["patient_id"] == p["patient_id"]) & (cycles["cycle"] == 2)]
        assert second["after_relapse"].item()
        assert second["start_months"].item() == pytest.approx(p["relapse_months"])


def test_response_marker_before_the_next_event(cohort):
    events = journeys.events_table(cohort)
    resp = events[events["event"].isin(["cr", "cr_mrd_negative"])].set_index("patient_id")
    assert len(resp) == int(cohort["cr"].sum())
    others = events[~events["event"].isin(["cr", "cr_mrd_negative"])]
    first_other = others.groupby("patient_id")["months"].min()
    assert (resp["months"] < first_other.reindex(resp.index)).all()
    assert set(np.round(resp["months"], 3)) <= {round(42 / 30.4375, 3), round(28 / 30.4375, 3)}


def test_events_match_the_table(cohort):
    events = journeys.events_table(cohort)
    counts = events["event"].value_counts()
    assert counts["hsct"] == 11
    assert counts["car_t"] == 2
    assert counts["relapse"] == 3
    assert counts["death"] == 7
    assert counts["censored"] == 12


# ------------------------------------------------------------------------- swimmer plot


def _bars(ax) -> BarContainer:
    bars = [c for c in ax.containers if isinstance(c, BarContainer)]
    assert len(bars) == 1
    return bars[0]


def test_swimmer_returns_ax_with_19_bars(cohort):
    fig, ax = plt.subplots(figsize=(7, 6))
    out = journeys.swimmer_plot(cohort, ax=ax)
    assert out is ax
    bars = _bars(ax)
    assert len(bars) == 19
    order = journeys.swimmer_order(cohort)
    widths = [p.get_width() for p in bars.patches]
    assert np.allclose(widths, cohort.loc[order, "os_months"].to_numpy(dtype=float))
    assert [t.get_text() for t in ax.get_yticklabels()] == list(cohort.loc[order, "patient_id"])
    assert ax.get_legend() is not None
    assert ax.get_xlabel() == "months since start of blinatumomab"


def test_swimmer_order_groups_then_follow_up(cohort):
    order = journeys.swimmer_order(cohort)
    groups = journeys.response_group(cohort).loc[order].cat.codes.to_numpy()
    assert (np.diff(groups) >= 0).all()
    fu = cohort.loc[order, "os_months"].to_numpy(dtype=float)
    for g in np.unique(groups):
        assert (np.diff(fu[groups == g]) <= 0).all()


def test_swimmer_new_figure_when_no_ax(cohort):
    ax = journeys.swimmer_plot(cohort)
    assert tuple(ax.figure.get_size_inches()) == pytest.approx((7, 6))


def test_marker_shapes_differ():
    shapes = [m["marker"] for k, m in journeys.MARKERS.items() if k != "cr"]
    assert len(shapes) == len(set(shapes))  # CR MRD-positive/negative differ by fill only


# ------------------------------------------------------------------------- any cohort


def test_300_patients(big):
    flow = journeys.patient_flow(big)
    _check_flow_consistency(flow, len(big))
    ax = journeys.swimmer_plot(big)
    assert len(_bars(ax)) == len(big)
    assert ax.get_yticks().size == 0  # too many patients to label
    journeys.flow_diagram(flow)


def test_empty_group(cohort):
    no_low = cohort[cohort["marrow_blasts_pct"] >= 5].reset_index(drop=True)
    flow = journeys.patient_flow(no_low)
    assert flow.n("low_burden") == 0
    assert flow.n("low_burden_cr") == 0
    assert not flow.links["source"].eq("low_burden").any()
    _check_flow_consistency(flow, len(no_low))
    ax = journeys.flow_diagram(flow)
    assert len(_boxes(ax)) == len(flow.boxes)
    assert len(_bars(journeys.swimmer_plot(no_low))) == len(no_low)


def test_nobody_responds(cohort):
    none = cohort.copy()
    for col in ("cr", "mrd_response", "allo_hsct_after", "relapse"):
        none[col] = False
    for col in ("hsct_months", "relapse_months"):
        none[col] = np.nan
    none["hsct_pathway"] = ""
    flow = journeys.patient_flow(none)
    assert flow.n("overt_no_cr") == 15 and flow.n("mrd_response") == 0
    _check_flow_consistency(flow, 19)
    ax = journeys.swimmer_plot(none)
    assert len(_bars(ax)) == 19
    assert journeys.events_table(none)["event"].isin(["cr", "cr_mrd_negative"]).sum() == 0


def test_single_patient(cohort):
    one = cohort.iloc[[0]].reset_index(drop=True)
    _check_flow_consistency(journeys.patient_flow(one), 1)
    assert len(_bars(journeys.swimmer_plot(one))) == 1


def test_unnamed_transplant_route_gets_a_box(cohort):
    odd = cohort.copy()
    odd.loc[odd["hsct_pathway"] == "bridging", "hsct_pathway"] = ""
    flow = journeys.patient_flow(odd)
    assert flow.n("hsct_other") == 1
    _check_flow_consistency(flow, 19)


# ------------------------------------------------------------------------- flow diagram


def _boxes(ax) -> list[FancyBboxPatch]:
    return [p for p in ax.patches if isinstance(p, FancyBboxPatch)]


def test_flow_diagram_draws_every_box_and_link(flow):
    fig, ax = plt.subplots(figsize=(7, 7.5))
    out = journeys.flow_diagram(flow, ax=ax)
    assert out is ax
    boxes = _boxes(ax)
    assert sorted(p.get_gid() for p in boxes) == sorted(flow.boxes["box"])
    texts = [t.get_text() for t in ax.texts]
    for _, b in flow.boxes.iterrows():
        assert any(t.endswith(f"n = {b['n']}") for t in texts)
    arrows = [p for p in ax.patches if not isinstance(p, FancyBboxPatch)]
    assert len(arrows) == len(flow.links)
