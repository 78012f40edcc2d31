"""Tests of analysis.plots: Kaplan-Meier figures, their risk tables and the numbers behind them.

Published values are quoted from the paper (shared/paper/study.txt) with the section that
states them; the tolerance is the paper's rounding (half a unit of the last printed digit).
"""

from __future__ import annotations

import re

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex, to_rgb

from analysis import derive, load_cohort, metrics, plots, survival


@pytest.fixture(scope="module")
def cohort():
    return load_cohort()


@pytest.fixture(scope="module")
def os_data(cohort):
    return derive.os_table(cohort).join(derive.flags(cohort))


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def km_lines(ax):
    return [ln for ln in ax.get_lines() if (ln.get_gid() or "").startswith("km-")]


def p_text(ax):
    texts = [t.get_text() for t in ax.texts if t.get_gid() == "logrank-p"]
    assert len(texts) <= 1
    return texts[0] if texts else None


def risk_counts(ax_risk) -> dict[str, dict[float, int]]:
    """Counts drawn in a risk table: role -> {time: count}."""
    out: dict[str, dict[float, int]] = {}
    for t in ax_risk.texts:
        gid = t.get_gid() or ""
        if gid.startswith("at-risk-"):
            x, _ = t.get_position()
            out.setdefault(gid.removeprefix("at-risk-"), {})[float(x)] = int(t.get_text())
    return out


# ----------------------------------------------------------------------------- km_plot


def test_km_plot_returns_the_axes_it_was_given(os_data):
    fig, ax = plt.subplots()
    assert plots.km_plot(os_data, "mrd_response", ax=ax) is ax
    assert fig.axes == [ax]


def test_km_plot_uses_current_axes_by_default(os_data):
    fig, ax = plt.subplots()
    assert plots.km_plot(os_data) is ax


def test_one_step_curve_per_group(os_data):
    fig, ax = plt.subplots()
    plots.km_plot(os_data, "ph_positive", ax=ax)
    lines = km_lines(ax)
    assert len(lines) == 2
    assert all(ln.get_drawstyle() == "steps-post" for ln in lines)
    ax2 = plots.km_plot(os_data, ax=plt.figure().gca())
    assert len(km_lines(ax2)) == 1


def test_curve_is_the_kaplan_meier_estimate(os_data):
    ax = plots.km_plot(os_data, "mrd_response", ax=plt.figure().gca())
    by_role = {ln.get_gid(): ln for ln in km_lines(ax)}
    responders = os_data[os_data["mrd_response"]]
    km = survival.kaplan_meier(responders["time"], responders["event"])
    line = by_role["km-comparison"]
    np.testing.assert_allclose(line.get_xdata(), km["time"])
    np.testing.assert_allclose(line.get_ydata(), km["survival"])


def test_censoring_ticks_at_censored_times(os_data):
    ax = plots.km_plot(os_data, ax=plt.figure().gca())
    (marks,) = [ln for ln in ax.get_lines() if ln.get_gid() == "censor-all"]
    assert marks.get_marker() == "+"
    censored = np.unique(os_data.loc[os_data["event"] == 0, "time"])
    np.testing.assert_allclose(np.sort(marks.get_xdata()), censored)
    # 12 patients alive at last follow-up (Results, Survival outcomes); distinct times here
    assert (os_data["event"] == 0).sum() == 12


def test_legend_gives_group_sizes(os_data):
    ax = plots.km_plot(os_data, "mrd_response", ax=plt.figure().gca())
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    # 12 of 19 MRD responders (Abstract, Results: "63.2% (12/19)")
    assert texts == ["MRD non-responders (n = 7)", "MRD responders (n = 12)"]


def test_axis_labels(os_data):
    ax = plots.km_plot(os_data, ax=plt.figure().gca())
    assert ax.get_xlabel() == "months since start of blinatumomab"
    assert ax.get_ylabel() == "survival probability"
    assert ax.get_ylim() == (0.0, 1.0)
    assert ax.get_xlim()[0] == 0


@pytest.mark.parametrize(
    "flag, printed, where",
    [
        ("mrd_response", "0.023", "Abstract, Results; Results, Survival outcomes (Figure 1d)"),
        ("ph_positive", "0.616", "Results, Survival outcomes (Figure 1b)"),
        ("high_blasts", "0.174", "Results, Survival outcomes (Figure 1c)"),
    ],
)
def test_p_text_matches_logrank_and_the_paper(os_data, flag, printed, where):
    ax = plots.km_plot(os_data, flag, ax=plt.figure().gca())
    result = survival.logrank(os_data["time"], os_data["event"], os_data[flag])
    assert p_text(ax) == f"log-rank P = {result.p_value:.3f}"
    assert p_text(ax) == f"log-rank P = {printed}", where
    assert abs(result.p_value - float(printed)) <= 0.0005


def test_p_is_the_ledger_value(cohort, os_data):
    ax = plots.km_plot(os_data, "mrd_response", ax=plt.figure().gca())
    p = metrics.logrank_p(cohort, None, "os", "mrd_response")
    assert p_text(ax) == plots.format_p(p)


def test_no_p_for_one_curve_or_when_switched_off(os_data):
    assert p_text(plots.km_plot(os_data, ax=plt.figure().gca())) is None
    ax = plots.km_plot(os_data, "mrd_response", ax=plt.figure().gca(), pvalue=False)
    assert p_text(ax) is None


def test_format_p():
    assert plots.format_p(0.0230893) == "log-rank P = 0.023"
    assert plots.format_p(0.00001) == "log-rank P < 0.001"
    assert plots.format_p(float("nan")) == "log-rank P not computable"
    assert plots.format_p(0.5, prefix="P") == "P = 0.500"


def test_confidence_band_only_when_asked(os_data):
    ax = plots.km_plot(os_data, ax=plt.figure().gca())
    assert not ax.collections
    ax = plots.km_plot(os_data, ax=plt.figure().gca(), ci=True)
    assert len(ax.collections) == 1


# ----------------------------------------------------------------------------- palette


def test_palette_is_okabe_ito_and_roles_differ_in_style():
    okabe_ito = {
        "#000000",
        "#e69f00",
        "#56b4e9",
        "#009e73",
        "#f0e442",
        "#0072b2",
        "#d55e00",
        "#cc79a7",
    }
    assert {c.lower() for c in plots.PALETTE.values()} <= okabe_ito
    styles = [str(plots.LINESTYLES[r]) for r in plots.ROLES]
    assert len(set(styles)) == len(styles)
    assert plots.LINESTYLES["reference"] != plots.LINESTYLES["comparison"]


def test_same_role_same_colour_in_every_split(os_data):
    """The flagged group is always the comparison group (vermillion, dashed)."""
    for flag in ("ph_positive", "high_blasts", "mrd_response", "hsct_first_remission"):
        ax = plots.km_plot(os_data, flag, ax=plt.figure().gca())
        by_role = {ln.get_gid(): ln for ln in km_lines(ax)}
        comp = by_role["km-comparison"]
        ref = by_role["km-reference"]
        assert to_hex(comp.get_color()) == plots.PALETTE["comparison"].lower()
        assert to_hex(ref.get_color()) == plots.PALETTE["reference"].lower()
        assert comp.get_linestyle() != ref.get_linestyle()
        flagged = os_data[os_data[flag]]
        np.testing.assert_allclose(
            comp.get_ydata(), survival.kaplan_meier(flagged["time"], flagged["event"])["survival"]
        )


def test_colours_differ_in_greyscale_or_style():
    def grey(c):
        r, g, b = to_rgb(c)
        return 0.299 * r + 0.587 * g + 0.114 * b

    ref, comp = plots.PALETTE["reference"], plots.PALETTE["comparison"]
    # Similar greys: the line style has to tell them apart, which it does.
    assert abs(grey(ref) - grey(comp)) < 0.2
    assert plots.LINESTYLES["reference"] != plots.LINESTYLES["comparison"]


# ----------------------------------------------------------------------------- risk table


def test_risk_table_counts_equal_at_risk_counts(os_data):
    fig, ax, ax_risk = plots.km_figure(os_data, "mrd_response")
    ticks = ax.get_xticks()
    drawn = risk_counts(ax_risk)
    for role, value in (("reference", False), ("comparison", True)):
        times = os_data.loc[os_data["mrd_response"] == value, "time"]
        expected = survival.at_risk_counts(times, ticks)
        assert [drawn[role][float(t)] for t in ticks] == expected.tolist()


def test_risk_table_whole_cohort_starts_with_everyone(os_data):
    fig, ax, ax_risk = plots.km_figure(os_data)
    counts = risk_counts(ax_risk)["all"]
    assert counts[0.0] == 19  # "A total of 19 patients" (Abstract, Methods)
    assert list(counts) == ax.get_xticks().tolist()


def test_risk_table_is_aligned_with_the_plot(os_data):
    fig, ax, ax_risk = plots.km_figure(os_data, "ph_positive")
    fig.canvas.draw()
    assert ax_risk.get_shared_x_axes().joined(ax, ax_risk)
    assert ax.get_xlim() == ax_risk.get_xlim()
    a, r = ax.get_position(), ax_risk.get_position()
    assert a.x0 == pytest.approx(r.x0) and a.x1 == pytest.approx(r.x1)
    assert r.y1 < a.y0  # underneath


def test_risk_rows_follow_legend_order_and_colours(os_data):
    fig, ax, ax_risk = plots.km_figure(os_data, "ph_positive")
    labels = [t.get_text() for t in ax_risk.get_yticklabels()]
    assert labels == ["Ph−", "Ph+"]
    colours = [to_hex(t.get_color()) for t in ax_risk.get_yticklabels()]
    assert colours == [plots.PALETTE["reference"].lower(), plots.PALETTE["comparison"].lower()]


# ----------------------------------------------------------------------------- grids


def test_paper_figure_panels(cohort):
    f1 = plots.paper_panels(cohort, 1)
    assert [p.group for p in f1] == [None, "ph_positive", "high_blasts", "mrd_response"]
    assert all(len(p.data) == 19 for p in f1)
    f2 = plots.paper_panels(cohort, 2)
    assert all(len(p.data) == 16 for p in f2)  # "Of the 16 patients with CR" (Abstract)
    f3 = plots.paper_panels(cohort, 3)
    assert [len(p.data) for p in f3] == [16, 16]
    # 62.5% of 16 = 10 transplanted in first remission (Abstract, Results; discrepancy
    # hsct_share)
    assert [int(p.data["hsct_first_remission"].sum()) for p in f3] == [10, 10]
    with pytest.raises(KeyError):
        plots.paper_panels(cohort, 4)


def test_km_grid_aligns_columns_and_shares_ticks(cohort):
    fig, axes, risk_axes = plots.km_grid(plots.paper_panels(cohort, 1))
    assert len(axes) == len(risk_axes) == 4
    fig.canvas.draw()
    ticks = [tuple(ax.get_xticks()) for ax in axes]
    assert len(set(ticks)) == 1
    for col in (0, 1):
        x0 = {round(a.get_position().x0, 6) for a in axes[col::2] + risk_axes[col::2]}
        assert len(x0) == 1, f"column {col} not aligned: {x0}"
    titles = [ax.get_legend().get_title().get_text() for ax in axes]
    assert [t.split("}$")[0][-1] for t in titles] == ["a", "b", "c", "d"]
    for ax, r in zip(axes, risk_axes):
        assert ax.get_xlabel() == plots.XLABEL
        assert risk_counts(r)


def test_km_grid_needs_panels():
    with pytest.raises(ValueError):
        plots.km_grid([])


# ----------------------------------------------------------------------------- figure_data


def test_figure_data_matches_the_drawing(cohort):
    panels = plots.paper_panels(cohort, 1)
    data = plots.figure_data(panels)
    fig, axes, risk_axes = plots.km_grid(panels)
    for letter, ax, r in zip("abcd", axes, risk_axes):
        d = data[data["panel"] == letter]
        drawn = risk_counts(r)
        for role, rows in d[d["table"] == "at_risk"].groupby("role"):
            assert dict(zip(rows["time"], rows["n_at_risk"].astype(int))) == drawn[role]
        lr = d[d["table"] == "logrank"]
        if len(lr):
            assert p_text(ax) == plots.format_p(float(lr["p_value"].iloc[0]))
        else:
            assert p_text(ax) is None


def test_figure_data_reproduces_the_published_figures(cohort):
    """Figure 1a and 2a values and Figure 1b-d P values as printed in the paper."""
    f1 = plots.figure_data(plots.paper_panels(cohort, 1))
    f2 = plots.figure_data(plots.paper_panels(cohort, 2))

    def at12(d, panel):
        km = d[(d["panel"] == panel) & (d["table"] == "km")]
        return survival.survival_at(km, 12.0)

    s, se = at12(f1, "a")  # 64.2% ± 12.1% (Abstract, Results; Results, Survival outcomes)
    assert round(100 * s, 1) == 64.2 and round(100 * se, 1) == 12.1
    s, se = at12(f2, "a")  # 73.3% ± 11.4% (Abstract, Results)
    assert round(100 * s, 1) == 73.3 and round(100 * se, 1) == 11.4
    p = f1[f1["table"] == "logrank"].set_index("panel")["p_value"]
    assert [round(p[k], 3) for k in "bcd"] == [0.616, 0.174, 0.023]  # Figure 1b, 1c, 1d
    rfs_p = f2[f2["table"] == "logrank"]["p_value"]
    assert (rfs_p >= 0.05).all()  # "No significant differences in RFS" (Figures 2b-d)
    f3 = plots.figure_data(plots.paper_panels(cohort, 3))
    assert (f3[f3["table"] == "logrank"]["p_value"] >= 0.05).all()  # Figure 3a-b


def test_figure_data_equals_ledger_p_values(cohort):
    f1 = plots.figure_data(plots.paper_panels(cohort, 1))
    p = f1[f1["table"] == "logrank"].set_index("panel")["p_value"]
    for panel, flag in zip("bcd", ("ph_positive", "high_blasts", "mrd_response")):
        assert p[panel] == pytest.approx(metrics.logrank_p(cohort, None, "os", flag), abs=1e-12)


def test_figure_data_is_tidy_and_stable(cohort, os_data):
    a = plots.figure_data(plots.paper_panels(cohort, 2))
    b = plots.figure_data(plots.paper_panels(cohort, 2))
    assert a.equals(b)
    assert set(a["table"]) == {"km", "at_risk", "logrank"}
    assert list(a.columns[:5]) == ["panel", "title", "table", "role", "label"]
    one = plots.figure_data(os_data, "mrd_response")
    assert set(one["panel"]) == {""}
    km = one[(one["table"] == "km") & (one["role"] == "comparison")]
    responders = os_data[os_data["mrd_response"]]
    expected = survival.kaplan_meier(responders["time"], responders["event"])
    np.testing.assert_allclose(km["survival"], expected["survival"])
    np.testing.assert_allclose(km["se"], expected["se"])


# ----------------------------------------------------------------------------- any cohort


def test_empty_group_is_drawn_and_said(os_data):
    no_ph = os_data[~os_data["ph_positive"]]
    fig, ax, ax_risk = plots.km_figure(no_ph, "ph_positive")
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert texts == ["Ph-negative (n = 10)", "Ph-positive (n = 0)"]
    assert p_text(ax) == "log-rank P not computable"
    assert set(risk_counts(ax_risk)["comparison"].values()) == {0}
    d = plots.figure_data(no_ph, "ph_positive")
    assert np.isnan(d.loc[d["table"] == "logrank", "p_value"]).all()


def test_no_events(os_data):
    alive = os_data[os_data["event"] == 0]
    ax = plots.km_plot(alive, "mrd_response", ax=plt.figure().gca())
    assert p_text(ax) == "log-rank P not computable"
    for line in km_lines(ax):
        assert set(line.get_ydata()) == {1.0}


def test_no_patients_at_all(os_data):
    empty = os_data.iloc[:0]
    fig, ax, ax_risk = plots.km_figure(empty, "mrd_response")
    assert "no patients" in [t.get_text() for t in ax.texts]
    assert not km_lines(ax)
    d = plots.figure_data(empty, "mrd_response")
    assert (d.loc[d["table"] == "at_risk", "n_at_risk"] == 0).all()


def test_large_cohort_and_long_follow_up():
    rng = np.random.default_rng(1)
    n = 500
    data = pd.DataFrame(
        {
            "time": np.round(rng.exponential(40, n), 1),
            "event": rng.integers(0, 2, n),
            "arm": rng.integers(0, 2, n).astype(bool),
        }
    )
    fig, ax, ax_risk = plots.km_figure(data, "arm", labels=("control", "treated"))
    ticks = ax.get_xticks()
    assert ticks[0] == 0 and ticks[-1] >= data["time"].max() and len(ticks) <= 7
    assert risk_counts(ax_risk)["reference"][0.0] == int((~data["arm"]).sum())
    expected = survival.logrank(data["time"], data["event"], data["arm"]).p_value
    assert p_text(ax) == plots.format_p(expected)


def test_categorical_groups_and_labels():
    data = pd.DataFrame(
        {
            "time": [1, 2, 3, 4, 5, 6.0],
            "event": [1, 0, 1, 1, 0, 1],
            "route": ["a", "b", "c", "a", "b", "c"],
        }
    )
    ax = plots.km_plot(data, "route", ax=plt.figure().gca(), labels={"a": "A", "b": "B", "c": "C"})
    assert len(km_lines(ax)) == 3
    assert p_text(ax) is None  # the log-rank test here compares two groups
    with pytest.raises(ValueError):
        plots.km_plot(data, "route", ax=plt.figure().gca(), labels=["only one"])


@pytest.mark.parametrize(
    "tmax, expected",
    [
        (28.5, [0, 6, 12, 18, 24, 30]),
        (11.0, [0, 2, 4, 6, 8, 10, 12]),
        (0.0, [0, 1]),
        (100.0, [0, 24, 48, 72, 96, 120]),
        (3.0, [0, 0.5, 1, 1.5, 2, 2.5, 3]),
    ],
)
def test_time_ticks(tmax, expected):
    assert plots.time_ticks(tmax).tolist() == expected


# ----------------------------------------------------------------------------- determinism


@pytest.mark.parametrize("fmt", ["png", "svg", "pdf"])
def test_output_is_deterministic(cohort, tmp_path, fmt):
    plots.set_style(inline=False)
    outputs = []
    for i in range(2):
        fig, *_ = plots.km_grid(plots.paper_panels(cohort, 1))
        path = plots.save_figure(fig, tmp_path / f"f{i}.{fmt}", dpi=50)
        outputs.append(path.read_bytes())
        plt.close(fig)
    assert outputs[0] == outputs[1]
    if fmt == "svg":
        text = outputs[0].decode()
        assert "<dc:date>" not in text and not re.search(r"Matplotlib v\d", text)
    if fmt == "pdf":
        assert b"CreationDate" not in outputs[0]
    if fmt == "png":
        assert b"Software" not in outputs[0]
