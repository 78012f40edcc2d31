"""``make verify``: the figure-data comparison and the ledger report (issue: verify).

The full command re-executes every chapter; here its parts are tested directly, and the
command itself runs without the chapter execution (which tests/test_chapters.py covers).
"""

from __future__ import annotations

import pandas as pd
import pytest

from analysis import config, verify
from analysis.data import load_adverse_events, load_cohort
from analysis.paper.ledger import compare


@pytest.fixture(scope="module")
def tables():
    return load_cohort(config.DEFAULT_COHORT), load_adverse_events(config.DEFAULT_ADVERSE_EVENTS)


def test_two_runs_give_identical_ledger_and_figure_data(tables):
    cohort, ae = tables
    first, second = compare(cohort, ae), compare(cohort, ae)
    pd.testing.assert_frame_equal(first, second)
    a, b = verify.figure_tables(cohort), verify.figure_tables(cohort)
    assert a.keys() == b.keys() == {"figure_1", "figure_2", "figure_3"}
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name])


def test_figure_data_carry_the_published_p_values(tables):
    # Results, Survival outcomes: Figure 1b-d log-rank P = 0.616, 0.174, 0.023
    fig1 = verify.figure_tables(tables[0])["figure_1"]
    p = fig1[fig1["table"] == "logrank"].set_index("panel")["p_value"].round(3)
    assert (p["b"], p["c"], p["d"]) == (0.616, 0.174, 0.023)


def test_compare_figures_names_the_changed_figure(tables, tmp_path):
    figures = verify.figure_tables(tables[0])
    assert set(verify.compare_figures(figures, tmp_path).values()) == {"new"}
    verify._save_figures(figures, "x", tmp_path)
    assert set(verify.compare_figures(figures, tmp_path).values()) == {"same"}
    changed = dict(figures)
    df = changed["figure_2"].copy()
    df.loc[df.index[0], "survival"] = 0.5
    changed["figure_2"] = df
    status = verify.compare_figures(changed, tmp_path)
    assert status == {"figure_1": "same", "figure_2": "changed", "figure_3": "same"}


def test_verify_command_reports_and_detects(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(verify, "VERIFY_DIR", tmp_path)
    assert verify.main(["--skip-execution"]) == 0
    out = capsys.readouterr().out
    assert "reproduced" in out and "no previous run" in out
    report = pd.read_csv(tmp_path / "ledger_report.csv")
    assert report["reproduced"].all() and len(report) >= 60
    # a second run with the same inputs finds identical figure data
    assert verify.main(["--skip-execution"]) == 0
    assert "identical" in capsys.readouterr().out
    # a figure whose numbers changed while the inputs did not fails the run
    path = tmp_path / "figures" / "figure_3.csv"
    path.write_text(path.read_text().replace("0.", "0.9", 1))
    assert verify.main(["--skip-execution"]) == 1
    assert "figure_3 changed although the inputs did not" in capsys.readouterr().err


def test_verify_fails_when_a_published_number_is_not_reproduced(tmp_path, monkeypatch, capsys):
    cohort = load_cohort(config.DEFAULT_COHORT, validate=False)
    cohort.loc[0, "sex"] = "female" if cohort.loc[0, "sex"] == "male" else "male"
    from analysis.data import to_csv_text

    (tmp_path / "cohort.csv").write_text(to_csv_text(cohort), encoding="utf-8")
    monkeypatch.setenv("BOOK_COHORT", str(tmp_path / "cohort.csv"))
    monkeypatch.setattr(verify, "VERIFY_DIR", tmp_path / "verify")
    assert verify.main(["--skip-execution"]) == 1
    assert "not reproduced" in capsys.readouterr().err
    assert verify.main(["--skip-execution", "--allow-differences"]) == 0


def test_chapters_are_those_of_the_toc():
    names = [p.stem for p in verify.chapters()]
    assert names[0] == "intro" and "reproducibility" in names and "survival" in names
    assert all(p.exists() for p in verify.chapters())
