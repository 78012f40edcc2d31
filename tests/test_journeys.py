"""Patient journeys: the flow against the paper, the swimmer rows, the figures, any cohort.

Expected counts are the paper's (section cited); times follow the infusion schedule of the
Methods (28-day infusions, a 2-week gap).  Other cohorts come from
``scripts/make_synthetic_cohort.py`` (300 and 100,000 patients) and from the reconstruction
stripped to the 20 core columns of the data layout (issue 13).
"""

from __future__ import annotations

import importlib.util
import itertools

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.container import BarContainer
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from analysis import config, load_cohort
from analysis.data import parse_cohort
from analysis.figures import flow as flow_fig
from analysis.figures import swimmer, theme
from analysis.results import journeys

_spec = importlib.util.spec_from_file_location(
    "make_synthetic_cohort", config.ROOT / "scripts" / "make_synthetic_cohort.py"
)
synthetic = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(synthetic)

SIX_WEEKS, FOUR_WEEKS = 42 / 30.4375, 28 / 30.4375  # months
#: The 20 core columns of the data layout (issue 13); every other column is optional.
CORE = ["patient_id", "sex", "age_years", "ph_positive", "months_diagnosis_to_blinatumomab",
        "prior_allo_hsct", "prior_car_t", "marrow_blasts_pct", "extramedullary_disease",
        "cycles", "cr", "mrd_response", "allo_hsct_after", "days_to_hsct", "relapse",
        "os_months", "os_event", "rfs_months", "rfs_event", "cause_of_death"]  # fmt: skip


def core_only(path=config.DEFAULT_COHORT) -> pd.DataFrame:
    """The cohort file stripped to the core columns, the others all missing, as the loader
    returns an optional column a file does not have."""
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)[CORE]
    return parse_cohort(raw.reindex(columns=pd.read_csv(path, nrows=0).columns, fill_value=""))


@pytest.fixture(scope="module")
def cohort() -> pd.DataFrame:
    return load_cohort(config.DEFAULT_COHORT)


@pytest.fixture(scope="module")
def flow(cohort) -> pd.DataFrame:
    return journeys.patient_flow(cohort)


@pytest.fixture(scope="module")
def big() -> pd.DataFrame:
    return synthetic.generate(100_000, 11)[0]


@pytest.fixture(autouse=True)
def _close_figures():
    theme.set_theme(inline=False)
    yield
    plt.close("all")


def n_in(flow: pd.DataFrame, *parts: str) -> int:
    """Patients in the boxes whose path contains every part, counted once per patient."""
    hit = flow[[all(p in b.split("/") for p in parts) for b in flow["box"]]]
    return int(hit.loc[hit["last_stage"] == flow["last_stage"].max(), "n"].sum())


def test_flow_counts_equal_the_paper(flow):
    b = flow.set_index("box")["n"]
    # Results, Patient characteristics: 19 patients.  Treatment response: the four with < 5%
    # blasts "all sustained CR", 12 of the 15 with >= 5% reached CR, three did not respond.
    assert (b["treated"], b["treated/cr"], b["treated/no_cr"]) == (19, 16, 3)
    # Abstract: MRD response 12/19, all in CR.
    assert (b["treated/cr/mrd"], b["treated/cr/no_mrd"]) == (12, 4)
    # Post-blinatumomab treatments: 9 direct transplants (7 MRD responders, 2 non-responders)
    # and one non-responder after imatinib bridging: 7 and 3 in first remission.
    assert (b["treated/cr/mrd/hsct"], b["treated/cr/no_mrd/hsct"]) == (7, 3)
    # Two patients without CR went on to CAR-T.
    assert b["treated/no_cr/car_t"] == 2
    # Survival outcomes: 3 relapses (one after allo-HSCT; one MRD non-responder relapsed
    # early and was transplanted after salvage), 7 deaths, 12 alive "all in CR", the three
    # without CR all died.
    assert n_in(flow, "relapse") == 3 and n_in(flow, "hsct", "relapse") == 1
    assert n_in(flow, "no_mrd", "no_hsct", "relapse") == 1
    assert (n_in(flow, "died"), n_in(flow, "alive")) == (7, 12)
    assert n_in(flow, "cr", "alive") == 12 and n_in(flow, "no_cr", "died") == 3


def check_flow(flow: pd.DataFrame, n: int) -> None:
    """Every stage is divided by its boxes, children divide their parent into contiguous
    leaves, and no box is empty."""
    assert (flow["n"] > 0).all()
    for s in range(int(flow["last_stage"].max()) + 1):
        assert flow.loc[(flow["stage"] <= s) & (s <= flow["last_stage"]), "n"].sum() == n, s
    for parent, kids in flow[flow["parent"] != ""].groupby("parent", sort=False):
        p = flow.set_index("box").loc[parent]
        assert kids["n"].sum() == p["n"] and (kids["stage"] == p["last_stage"] + 1).all()
        spans = sorted(zip(kids["first"], kids["last"]))
        assert spans[0][0] == p["first"] and spans[-1][1] == p["last"]
        assert all(b[0] == a[1] + 1 for a, b in itertools.pairwise(spans))


def test_flow_adds_up(flow):
    check_flow(flow, 19)
    titles = ["start", "response", "MRD", "consolidation", "relapse", "status at last follow-up"]
    assert list(flow.drop_duplicates("stage")["title"]) == titles
    # MRD response and relapse do not apply without CR: that box spans those stages
    assert flow.set_index("box").loc["treated/no_cr", "last_stage"] == 2


def _segments(ax):
    """Connector segments in data coordinates, each with the box it leads to."""
    segs = []
    for line in ax.lines:
        xy = line.get_xydata()
        segs += [(line.get_gid(), a, b) for a, b in zip(xy[:-1], xy[1:])]
    for p in ax.patches:
        if isinstance(p, FancyArrowPatch):
            xy = ax.transData.inverted().transform(p.get_path().vertices[[0, 1]])
            segs.append((p.get_gid(), *xy))
    return segs


def _overlap(a0, a1, b0, b1, eps=0.0) -> bool:
    """Whether two axis-aligned boxes (given by opposite corners) meet, ``eps`` inside."""
    return all(max(min(a0[i], a1[i]), min(b0[i], b1[i])) + eps
               <= min(max(a0[i], a1[i]), max(b0[i], b1[i])) - eps for i in (0, 1))  # fmt: skip


def check_flow_figure(flow: pd.DataFrame) -> None:
    """Every box drawn once with its text inside; no connector meets another group's
    connector or passes through a box other than its ends."""
    ax = flow_fig.flow_figure(flow).axes[0]
    ax.figure.canvas.draw()
    boxes = {p.get_gid(): p for p in ax.patches if isinstance(p, FancyBboxPatch)}
    assert sorted(boxes) == sorted(flow["box"])
    parent = flow.set_index("box")["parent"].to_dict()
    for t in ax.texts:
        anchor = ax.transData.transform(t.get_position())
        for p in [p for p in boxes.values() if p.contains_point(anchor)]:  # a box's text
            tb, pb = t.get_window_extent(), p.get_window_extent()
            assert pb.x0 <= tb.x0 and tb.x1 <= pb.x1 and pb.y0 <= tb.y0 and tb.y1 <= pb.y1, t
    segs = _segments(ax)
    assert len(segs) == 3 * (len(flow) - 1)
    for (g1, a0, a1), (g2, b0, b1) in itertools.combinations(segs, 2):
        if parent[g1] != parent[g2]:
            assert not _overlap(a0, a1, b0, b1), (g1, g2)
    for gid, a0, a1 in segs:
        for key, p in boxes.items():
            if key not in (gid, parent[gid]):
                x, y, w, h = p.get_x(), p.get_y(), p.get_width(), p.get_height()
                assert not _overlap(a0, a1, (x, y), (x + w, y + h), eps=1e-9), (gid, key)


def test_flow_figure(flow, tmp_path, monkeypatch):
    monkeypatch.setenv("BOOK_SOURCE_DATA", str(tmp_path))
    check_flow_figure(flow)
    fig = flow_fig.flow_figure(flow, name="fig-flow")
    assert fig.get_size_inches()[0] == theme.WIDTH
    assert min(t.get_fontsize() for t in fig.axes[0].texts) >= theme.FONT_SIZE
    assert "CR\nn = 16" in [t.get_text() for t in fig.axes[0].texts]
    assert len(pd.read_csv(tmp_path / "fig-flow.csv")) == len(flow)


def test_crossing_check_can_fail():
    # two groups whose connectors cross: the check must catch it
    bad = pd.DataFrame({"box": ["r", "r/a", "r/b", "r/a/x", "r/b/y"],
                        "parent": ["", "r", "r", "r/a", "r/b"], "stage": [0, 1, 1, 2, 2],
                        "last_stage": [0, 1, 1, 2, 2], "title": "t", "label": "l",
                        "n": [2, 1, 1, 1, 1], "first": [0, 0, 1, 1, 0],
                        "last": [1, 0, 1, 1, 0]})  # fmt: skip
    with pytest.raises(AssertionError, match="r/a/x"):
        check_flow_figure(bad)


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
    assert list(bars["row"]) == list(range(19)) and set(bars["patient_id"]) == set(
        cohort["patient_id"]
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
                "infusion_months": "0.9", "car_t_in_no_cr": "2 went on to CAR-T cells",
                "hsct_routes": "9 directly, 1 after bridging therapy and 1 after a relapse and "
                "salvage treatment", "swimmer_sample": "All 19 patients are drawn.",
                "not_recorded": "Every column the chapter uses is recorded."}  # fmt: skip
    assert {k: t[k] for k in expected} == expected


def test_data_note_follows_the_cohort(cohort, monkeypatch):
    monkeypatch.delenv("BOOK_COHORT", raising=False)
    assert journeys.texts(cohort)["data_note"] == "Reconstructed data, not the patients' records."
    monkeypatch.setenv("BOOK_COHORT", str(config.DATA_DIR / "synthetic" / "cohort_300.csv"))
    t = journeys.texts(cohort)
    assert t["data_note"] == "Data: cohort_300.csv." and "reconstructed" not in t["caveat"]


def swimmer_markers_apart(ax) -> None:
    """No two drawn markers overlap: centres at least the mean of their sizes apart."""
    to_pt = 72 / ax.figure.dpi
    marks = [(xy * to_pt, line.get_markersize()) for line in ax.lines if line.get_gid()
             for xy in ax.transData.transform(line.get_xydata())]  # fmt: skip
    assert len(marks) > 1
    for (a, sa), (b, sb) in itertools.combinations(marks, 2):
        assert np.hypot(*(a - b)) >= (sa + sb) / 2, (a, b)


def test_swimmer_figure(cohort, tmp_path, monkeypatch):
    monkeypatch.setenv("BOOK_SOURCE_DATA", str(tmp_path))
    rows = journeys.swimmer_rows(cohort)
    fig = swimmer.swimmer_figure(rows, name="fig-swimmer")
    ax = fig.axes[0]
    fig.canvas.draw()
    assert fig.get_size_inches()[0] == theme.WIDTH
    (bars,) = [c for c in ax.containers if isinstance(c, BarContainer)]
    drawn = rows[rows["element"] == "follow-up"].sort_values("row")["end_months"]
    assert [p.get_width() for p in bars.patches] == pytest.approx(drawn.tolist())
    swimmer_markers_apart(ax)
    legend = ax.get_legend()
    texts = [t.get_text() for t in legend.get_texts()]
    assert "CR, MRD response (n = 12)" in texts and "blinatumomab infusion (28 days)" in texts
    assert min(t.get_fontsize() for t in legend.get_texts()) >= theme.FONT_SIZE
    box, fig_box = legend.get_window_extent(), fig.bbox
    assert fig_box.x0 <= box.x0 and box.x1 <= fig_box.x1 and fig_box.y0 <= box.y0
    assert box.y1 <= ax.xaxis.label.get_window_extent().y0  # below the axis label
    assert ax.get_xlabel() == "months since start of blinatumomab"
    saved = pd.read_csv(tmp_path / "fig-swimmer.csv")
    assert len(saved) == len(rows) and list(saved.columns) == list(rows.columns)


def test_swimmer_markers_apart_when_events_coincide(cohort):
    # four events at nearly the same time: three lanes, then a step to the right
    one = cohort.iloc[[0]].assign(hsct_months=1.4, relapse_months=1.45, car_t_after=True,
                                  car_t_months=1.5, relapse=True, os_months=1.6,
                                  os_event=1)  # fmt: skip
    ax = swimmer.swimmer_figure(journeys.swimmer_rows(one)).axes[0]
    assert sum(len(line.get_xdata()) for line in ax.lines if line.get_gid()) == 5
    swimmer_markers_apart(ax)


def test_marker_check_can_fail():
    _, ax = plt.subplots()
    ax.plot([1.0, 1.02], [0, 0], ls="none", marker="o", ms=7, gid="cr")
    ax.set(xlim=(0, 30), ylim=(-1, 1))
    with pytest.raises(AssertionError):
        swimmer_markers_apart(ax)


def test_marker_shapes_differ():
    shapes = [m[0] for k, m in swimmer.MARKERS.items() if k != "cr"]
    assert len(shapes) == len(set(shapes))  # CR MRD-positive/negative differ by fill only


def test_300_patients_a_seeded_sample():
    big = load_cohort(config.DATA_DIR / "synthetic" / "cohort_300.csv", validate=False)
    check_flow(journeys.patient_flow(big), 300)
    rows = journeys.swimmer_rows(big)
    assert rows["row"].nunique() == journeys.SWIMMER_MAX
    assert rows.equals(journeys.swimmer_rows(big))  # seeded: the same sample every time
    assert "30 of the 300 patients" in journeys.texts(big)["swimmer_sample"]
    swimmer_markers_apart(swimmer.swimmer_figure(rows).axes[0])
    check_flow_figure(journeys.patient_flow(big))


def test_100000_patients(big):
    flow = journeys.patient_flow(big)
    check_flow(flow, 100_000)
    assert journeys.swimmer_rows(big)["row"].nunique() == journeys.SWIMMER_MAX
    assert journeys.texts(big)["n"] == "100000"
    flow_fig.flow_figure(flow)


def test_core_columns_only():
    """A centre's cohort with the 20 core columns: what cannot be drawn is said, computed."""
    bare = core_only()
    t = journeys.texts(bare)
    for column in ("hsct_months", "hsct_pathway", "relapse_months", "car_t_after"):
        assert f"column {column}" in t["not_recorded"]
    assert t["hsct_routes"] == "their routes to transplant were not recorded"
    assert t["hsct_timing"] == "No transplant time is recorded"
    assert t["car_t_in_no_cr"] == "whether any went on to CAR-T cells was not recorded"
    assert t["n"] == "19" and t["n_hsct"] == "11" and t["n_died"] == "7"
    assert not journeys.events_table(bare)["event"].isin(["hsct", "car_t", "relapse"]).any()
    assert len(journeys.cycle_table(bare)) == int(bare["cycles"].sum())  # none after relapse
    flow = journeys.patient_flow(bare).set_index("box")
    check_flow(flow.reset_index(), 19)
    # the relapsed transplanted patients cannot be placed before or after their relapse
    assert flow.filter(like="hsct_unknown", axis=0)["n"].iloc[0] > 0
    assert flow.loc["treated/no_cr", "last_stage"] == 4  # not divided by CAR-T
    swimmer_markers_apart(swimmer.swimmer_figure(journeys.swimmer_rows(bare)).axes[0])


def test_core_columns_of_a_synthetic_cohort(tmp_path):
    cohort, _ = synthetic.generate(300, 5)
    synthetic.to_csv(cohort, tmp_path / "c.csv")
    bare = core_only(tmp_path / "c.csv")
    check_flow(journeys.patient_flow(bare), 300)
    assert "column relapse_months" in journeys.texts(bare)["not_recorded"]


def test_single_patient(cohort):
    one = cohort.iloc[[0]].reset_index(drop=True)
    check_flow(journeys.patient_flow(one), 1)
    assert len(swimmer.swimmer_plot(journeys.swimmer_rows(one)).containers[0]) == 1


def test_nobody_responds(cohort):
    none = cohort.assign(cr=False, mrd_response=False, allo_hsct_after=False, relapse=False,
                         hsct_months=np.nan, relapse_months=np.nan, hsct_pathway="")  # fmt: skip
    flow = journeys.patient_flow(none)
    check_flow(flow, 19)
    assert set(flow["box"].str.split("/").str[1].dropna()) == {"no_cr"}
    rows = journeys.swimmer_rows(none)
    assert not rows["element"].isin(["cr", "cr_mrd_negative", "hsct", "relapse"]).any()
    assert set(rows["group"]) == {"no CR"}


def test_empty_group(cohort):
    no_low = cohort[cohort["marrow_blasts_pct"] >= 5].reset_index(drop=True)
    check_flow(journeys.patient_flow(no_low), 15)
    assert journeys.texts(no_low)["n_low_burden"] == "0"


@pytest.mark.long
@pytest.mark.slow
@pytest.mark.chapters
@pytest.mark.parametrize("variant", ["core_only", "100000"])
def test_chapter_builds(variant, big, tmp_path_factory):
    from chapters import error_outputs, executed, glue_problems, glued_data, variant_cohort

    path = variant_cohort(variant, tmp_path_factory.mktemp(variant) / "cohort.csv", big)
    nb = executed("book/journeys", str(path), str(config.DEFAULT_ADVERSE_EVENTS))
    assert error_outputs(nb) == [] and glue_problems(nb) == []
    glued = glued_data(nb)
    assert "reconstructed" not in glued["journeys_data_note"]["text/plain"]
    if variant == "100000":
        assert "30 of the 100000 patients" in glued["journeys_swimmer_sample"]["text/plain"]
