"""Tests of analysis.figures.safety: the adverse-event tiles draw the results table as it is."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import QuadMesh

from analysis import load_adverse_events, load_cohort
from analysis.figures import safety as F
from analysis.figures.theme import FONT_SIZE, set_theme
from analysis.results import safety as S


@pytest.fixture(scope="module")
def tiles():
    set_theme(inline=False)
    return S.tiles(load_cohort(), load_adverse_events())


def test_tiles_draw_every_grade_where_the_table_has_it(tiles):
    fig = F.ae_tiles_figure(tiles)
    ax = fig.axes[0]
    mesh = next(c for c in ax.collections if isinstance(c, QuadMesh))
    drawn = np.ma.filled(mesh.get_array(), np.nan).reshape(tiles["event"].nunique(), -1)
    expected = tiles["grade"].to_numpy().reshape(drawn.shape)  # terms by row, patients by column
    np.testing.assert_array_equal(drawn, expected)
    assert [t.get_text() for t in ax.get_yticklabels()] == list(tiles["event"].unique())
    assert [t.get_text() for t in ax.get_xticklabels()] == list(tiles["patient_id"].unique())
    labels = sorted(t.get_text() for t in ax.texts)
    assert labels == sorted(tiles.loc[tiles["label"] != "", "label"])
    assert len(labels) == len(load_adverse_events())  # one row per patient and term
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["1", "2", "3", "4", "5", "none"]
    assert all(t.get_fontsize() >= FONT_SIZE for t in [*ax.texts, *ax.get_yticklabels()])
    plt.close(fig)


def test_tiles_save_exactly_what_they_draw(tiles, tmp_path, monkeypatch):
    monkeypatch.setenv("BOOK_SOURCE_DATA", str(tmp_path))
    plt.close(F.ae_tiles_figure(tiles, name="fig-safety-tiles"))
    saved = pd.read_csv(tmp_path / "fig-safety-tiles.csv", keep_default_na=False)
    assert saved.columns.tolist() == tiles.columns.tolist()
    assert saved["patient_id"].tolist() == tiles["patient_id"].tolist()
    assert saved["grade"].replace("", np.nan).astype(float).equals(tiles["grade"])


def test_many_patients_are_drawn_without_labels():
    n = F.MAX_LABELLED + 1
    tiles = pd.DataFrame({"patient_id": [f"P{i:03d}" for i in range(n)], "event": "headache",
                          "grade": [1.0] * n, "label": ["1"] * n})  # fmt: skip
    ax = F.ae_tiles(tiles, plt.figure().subplots())
    assert len(ax.texts) == 0 and len(ax.get_xticklabels()) < n
    plt.close(ax.figure)


def test_a_large_cohort_is_drawn_as_a_seeded_sample():
    """Above MAX_TILES patients the tiles show a seeded sample, labelled like a small cohort."""
    ids = [f"Q{i:04d}" for i in range(500)]
    cohort = pd.DataFrame({"patient_id": ids})
    ae = pd.DataFrame({"patient_id": ids[::7], "event": "headache", "grade": 2, "action": "none"})
    tiles = S.tiles(cohort, ae)
    ax = F.ae_tiles(tiles, plt.figure().subplots())
    shown = [t.get_text() for t in ax.get_xticklabels()]
    assert len(shown) == S.MAX_TILES == F.MAX_LABELLED and set(shown) <= set(ids)
    assert sorted(t.get_text() for t in ax.texts) == ["2"] * tiles["grade"].notna().sum()
    plt.close(ax.figure)
