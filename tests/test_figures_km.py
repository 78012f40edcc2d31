"""analysis.figures.km: KMunicate figures that draw results.km.figure_data and nothing else."""

from __future__ import annotations

import re

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex
from matplotlib.text import Text

from analysis import load_cohort
from analysis.figures import theme
from analysis.figures.km import km_figure, km_plot, risk_rows
from analysis.figures.theme import FONT_SIZE
from analysis.results import km

MRD = km.Panel("os", "mrd_response", title="overall survival by MRD response")


@pytest.fixture(scope="module")
def cohort():
    return load_cohort()


@pytest.fixture(scope="module")
def fd(cohort):
    return km.figure_data(cohort, MRD)


@pytest.fixture(autouse=True)
def _close_figures():
    theme.set_theme(inline=False)
    yield
    plt.close("all")


def km_lines(ax):
    return {ln.get_gid(): ln for ln in ax.get_lines() if (ln.get_gid() or "").startswith("km-")}


def drawn_rows(ax) -> dict[tuple[str, str], dict[float, int]]:
    """Counts drawn under the plot: (column, role) -> {time: count}."""
    out: dict = {}
    for t in ax.texts:
        col, _, role = (t.get_gid() or "").partition("-")
        out.setdefault((col, role), {})[float(t.get_position()[0])] = int(t.get_text())
    return out


def test_km_plot_returns_the_axes(fd):
    fig, ax = plt.subplots()
    assert km_plot(fd, ax) is ax
    assert km_plot(fd) is plt.gca()


def test_curves_are_the_figure_data(fd):
    ax = km_plot(fd, plt.figure().gca())
    lines = km_lines(ax)
    assert set(lines) == {"km-reference", "km-comparison"}
    assert all(ln.get_drawstyle() == "steps-post" for ln in lines.values())
    steps = fd[(fd["table"] == "km") & (fd["role"] == "comparison")]
    np.testing.assert_allclose(lines["km-comparison"].get_xdata(), steps["time"])
    np.testing.assert_allclose(lines["km-comparison"].get_ydata(), steps["survival"])


def test_figure_draws_only_its_data():
    """A hand-made table, not from any cohort, is drawn as given."""
    rows = [
        ("km", "all", "everyone", 0.0, 1.0, 1.0, 1.0, 0, np.nan),
        ("km", "all", "everyone", 2.0, 0.5, 0.2, 0.8, 0, np.nan),
        ("km", "all", "everyone", 3.0, 0.5, 0.2, 0.8, 1, np.nan),
        ("risk", "all", "everyone", 0.0, np.nan, np.nan, np.nan, 0, 2),
        ("risk", "all", "everyone", 4.0, np.nan, np.nan, np.nan, 1, 0),
        ("summary", "all", "everyone", np.nan, np.nan, np.nan, np.nan, 0, 2),
    ]
    cols = ["table", "role", "label", "time", "survival", "ci_lower", "ci_upper", "n_censored", "n"]
    fd = pd.DataFrame(rows, columns=cols).assign(
        at_risk=[0, 0, 0, 2, 0, 0], censored=[0, 0, 0, 0, 1, 0], events=[0, 0, 0, 0, 1, 0],
        ylabel="made-up survival",
    )  # fmt: skip
    fig = km_figure(fd)
    ax, risk = fig.axes
    assert km_lines(ax)["km-all"].get_ydata().tolist() == [1.0, 0.5, 0.5]
    assert ax.get_legend().get_texts()[0].get_text() == "everyone (n = 2)"
    assert ax.get_ylabel() == "made-up survival probability"
    assert drawn_rows(risk)[("at_risk", "all")] == {0.0: 2, 4.0: 0}
    assert ax.get_xticks().tolist() == [0.0, 4.0]
    assert not [t for t in ax.texts if t.get_gid() == "test"]


def test_censoring_marks(fd):
    ax = km_plot(fd, plt.figure().gca())
    (marks,) = [ln for ln in ax.get_lines() if ln.get_gid() == "censor-comparison"]
    assert marks.get_marker() == "+"
    steps = fd[(fd["table"] == "km") & (fd["role"] == "comparison") & (fd["n_censored"] > 0)]
    np.testing.assert_allclose(marks.get_xdata(), steps["time"])


def test_legend_axes_and_band(fd):
    ax = km_plot(fd, plt.figure().gca())
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    # 12 of 19 MRD responders (Abstract, Results: "63.2% (12/19)")
    assert texts == ["MRD non-responders (n = 7)", "MRD responders (n = 12)"]
    assert ax.get_xlabel() == "months since start of blinatumomab"
    assert ax.get_ylabel() == "overall survival probability"
    assert ax.get_ylim() == (0.0, 1.0)
    assert len(ax.collections) == 2  # one 95% band per arm
    assert not km_plot(fd, plt.figure().gca(), ci=False).collections


def test_p_and_hr_on_the_plot_equal_the_results(cohort, fd):
    ax = km_plot(fd, plt.figure().gca())
    (text,) = [t.get_text() for t in ax.texts if t.get_gid() == "test"]
    data = km.endpoint_data(cohort, "os")
    assert text == km.comparison(data, "mrd_response")["text"]
    # Abstract, Results; Results, Survival outcomes (Figure 1d): P = 0.023
    assert text.startswith("log-rank P = 0.023\nHR ")


def test_risk_rows_equal_the_risk_table(fd):
    fig, ax = plt.subplots()
    drawn = drawn_rows(risk_rows(fd, ax))
    risk = fd[fd["table"] == "risk"]
    for role, rows in risk.groupby("role"):
        for col in ("at_risk", "censored", "events"):
            assert drawn[(col, role)] == dict(zip(rows["time"], rows[col].astype(int)))
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0] == "non-resp.: at risk" and labels[-1] == "resp.: events"
    colours = {to_hex(t.get_color()) for t in ax.get_yticklabels()}
    assert colours == {theme.PALETTE["reference"].lower(), theme.PALETTE["comparison"].lower()}


@pytest.mark.parametrize("own", [True, False])
def test_risk_rows_line_up_with_the_ticks(fd, own):
    fd = fd.assign(own_panel=own)
    fig = km_figure(fd)
    fig.canvas.draw()
    axes = fig.axes
    assert len(axes) == (4 if own else 2)  # each curve in its own panel, or both in one
    for ax, risk_ax in zip(axes[::2], axes[1::2]):
        assert risk_ax.get_shared_x_axes().joined(ax, risk_ax)
        times = sorted({x for counts in drawn_rows(risk_ax).values() for x in counts})
        assert ax.get_xticks().tolist() == times
        a, r = ax.get_position(), risk_ax.get_position()
        assert a.x0 == pytest.approx(r.x0) and r.y1 < a.y0
    drawn = [set(k[1] for k in drawn_rows(r)) for r in axes[1::2]]
    assert drawn == ([{"reference"}, {"comparison"}] if own else [{"reference", "comparison"}])


def test_own_panels_draw_one_band_each(fd):
    top, _, bottom, _ = km_figure(fd.assign(own_panel=True)).axes
    for ax, role, other in ((top, "reference", "comparison"), (bottom, "comparison", "reference")):
        assert len(ax.collections) == 1  # this curve's band only
        band = ax.collections[0].get_facecolor()[0][:3]
        assert to_hex(band) == theme.PALETTE[role].lower()
        lines = km_lines(ax)
        assert lines[f"km-{role}"].get_linewidth() > lines[f"km-{other}"].get_linewidth()
        marks = {ln.get_gid() for ln in ax.get_lines()} - set(lines)
        assert marks == {f"censor-{role}"}
    assert [t.get_gid() for t in top.texts] == ["test"] and not bottom.texts
    assert top.get_legend() is not None and bottom.get_legend() is None


def test_no_censor_marks_when_the_data_say_so(fd):
    ax = km_plot(fd.assign(marks=False), plt.figure().gca())
    assert not [ln for ln in ax.get_lines() if (ln.get_gid() or "").startswith("censor-")]
    assert len(km_lines(ax)) == 2


def test_roles_keep_their_colours(cohort):
    for split in ("ph_positive", "high_blasts", "mrd_response", "hsct_first_remission"):
        ax = km_plot(km.figure_data(cohort, km.Panel("os", split)), plt.figure().gca())
        lines = km_lines(ax)
        assert to_hex(lines["km-comparison"].get_color()) == theme.PALETTE["comparison"].lower()
        assert to_hex(lines["km-reference"].get_color()) == theme.PALETTE["reference"].lower()
        assert lines["km-comparison"].get_linestyle() != lines["km-reference"].get_linestyle()


def test_empty_group_and_no_test(cohort):
    fd = km.figure_data(cohort.assign(ph_positive=False), km.Panel("os", "ph_positive"))
    ax = km_plot(fd, plt.figure().gca())
    assert [t.get_text() for t in ax.get_legend().get_texts()][1] == "Ph-positive (n = 0)"
    (text,) = [t.get_text() for t in ax.texts if t.get_gid() == "test"]
    assert text == "log-rank P not computable\nHR not computable"
    fig, ax = plt.subplots()
    assert risk_rows(fd, ax) is ax
    assert set(drawn_rows(ax)[("at_risk", "comparison")].values()) == {0}


def test_km_figure_saves_what_it_draws(fd, tmp_path, monkeypatch):
    monkeypatch.setenv("BOOK_SOURCE_DATA", str(tmp_path))
    km_figure(fd, name="fig-test-km")
    saved = pd.read_csv(tmp_path / "fig-test-km.csv")
    assert len(saved) == len(fd) and list(saved.columns) == list(fd.columns)
    np.testing.assert_allclose(saved["survival"], fd["survival"].astype(float))
    km_figure(fd)  # without a name nothing is saved
    assert [p.name for p in tmp_path.iterdir()] == ["fig-test-km.csv"]


@pytest.mark.parametrize("fmt", ["png", "svg"])
def test_output_is_deterministic(fd, tmp_path, fmt):
    outputs = []
    for i in range(2):
        fig = km_figure(fd)
        path = tmp_path / f"f{i}.{fmt}"
        fig.savefig(path, dpi=50, metadata={"Software": None} if fmt == "png" else {"Date": None})
        outputs.append(path.read_bytes())
        plt.close(fig)
    assert outputs[0] == outputs[1]
    if fmt == "svg":
        assert not re.search(r"<dc:date>", outputs[0].decode())


# ----------------------------------------------------------------------------- legibility

#: Measured in Chromium at a 1280 px wide window on the HTML build (book/survival.html):
#: body text 16 px; a figure is shown at most 672 px wide (the content column), otherwise at
#: its natural size. test_html_text_at_least_body_size re-measures both on a build.
BODY_PX, COLUMN_PX = 16.0, 672.0


def displayed_text_px(fig) -> float:
    """Size in CSS px of the smallest text of ``fig`` as the HTML book shows it.

    The inline backend saves the figure with ``bbox_inches="tight"`` and the theme's "retina"
    PNG, which the page shows at ``figure.dpi`` CSS px per inch, scaled down to the column.
    """
    fig.canvas.draw()
    per_inch = plt.rcParams["figure.dpi"]  # set by the theme
    width = fig.get_tightbbox().width + 2 * plt.rcParams["savefig.pad_inches"]
    shown = min(COLUMN_PX, width * per_inch) / width  # CSS px per inch as displayed
    texts = [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]
    return min(t.get_fontsize() for t in texts) / 72 * shown


def _panels():
    from analysis.results import survival, transplant

    return {**survival.PANELS["os"], **survival.PANELS["rfs"], **transplant.PANELS}


@pytest.mark.parametrize("key", sorted(_panels()))
def test_text_at_least_body_size(cohort, key):
    fig = km_figure(km.figure_data(cohort, _panels()[key]))
    assert displayed_text_px(fig) >= BODY_PX


def test_counts_fit_at_registry_size(cohort):
    """At 100,000 patients the counts under the plot still fit side by side."""
    big = pd.concat(
        [cohort.assign(patient_id=cohort["patient_id"] + f"-{i}") for i in range(5264)],
        ignore_index=True,
    )
    fd = km.figure_data(big, km.Panel("os", "mrd_response"))
    assert fd.loc[fd["table"] == "risk", "at_risk"].max() >= 60_000
    fig = km_figure(fd)
    fig.canvas.draw()
    assert displayed_text_px(fig) >= BODY_PX
    for risk_ax in fig.axes[1::2]:
        rows: dict = {}
        for t in risk_ax.texts:
            rows.setdefault(t.get_position()[1], []).append(t.get_window_extent())
        labels = [t.get_window_extent() for t in risk_ax.get_yticklabels()]
        for y, boxes in rows.items():
            boxes.sort(key=lambda b: b.x0)
            assert all(a.x1 < b.x0 for a, b in zip(boxes, boxes[1:])), f"counts overlap in row {y}"
            assert max(b.x1 for b in labels) < boxes[0].x0  # row label clear of the counts


@pytest.mark.build
def test_html_text_at_least_body_size():
    """On a build, Chromium at 1280 px: body text and each KM figure's scale as assumed."""
    import shutil

    from analysis.config import ROOT

    html = ROOT / "_build" / "html"
    pages = [p for p in html.rglob("*.html") if "fig-survival-os" in p.read_text("utf-8")]
    if not pages or not shutil.which("chromium"):
        pytest.skip("no HTML build with the survival chapter, or no chromium")
    from playwright.sync_api import sync_playwright

    flags = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
             "--disable-background-networking", "--disable-component-update"]  # fmt: skip
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=flags)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(pages[0].as_uri())
        body = page.evaluate(
            "() => parseFloat(getComputedStyle(document.querySelector('main p')).fontSize)"
        )
        figs = page.evaluate("""() => [...document.querySelectorAll('figure img')].map(
            i => [i.closest('figure').id, i.getBoundingClientRect().width, i.naturalWidth])""")
        browser.close()
    assert body == BODY_PX
    km_figs = [f for f in figs if f[0].startswith("fig-survival")]
    assert km_figs
    for name, shown, natural in km_figs:
        # natural px at the retina 200 dpi: inches = natural / 200; shown px per inch
        px = FONT_SIZE / 72 * shown / (natural / 200)
        assert shown <= COLUMN_PX and px >= BODY_PX, name
