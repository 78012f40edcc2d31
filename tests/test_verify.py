"""``make verify``: the source-data comparison and the ledger report.

The full command re-executes every chapter (tests/test_chapters.py covers execution); here
its parts are tested directly, and the command runs without the chapter execution.
"""

from __future__ import annotations

import pandas as pd

from analysis import config, verify
from analysis.data import load_cohort, to_csv_text


def _run(tmp_path, name, files):
    fresh = tmp_path / name
    fresh.mkdir()
    for label, text in files.items():
        (fresh / f"{label}.csv").write_text(text)
    return fresh


def test_source_data_comparison_names_what_changed(tmp_path, capsys):
    vdir = tmp_path / "verify"
    files = {"fig-survival-os": "time,survival\n0,1\n", "tbl-baseline": "a\n1\n"}
    assert verify.record_source_data(_run(tmp_path, "r1", files), vdir, "x") == []
    assert "no previous run" in capsys.readouterr().out
    assert verify.record_source_data(_run(tmp_path, "r2", files), vdir, "x") == []
    assert "identical" in capsys.readouterr().out
    changed = dict(files, **{"fig-survival-os": "time,survival\n0,0.9\n"})
    failures = verify.record_source_data(_run(tmp_path, "r3", changed), vdir, "x")
    assert failures == ["fig-survival-os changed although the inputs did not change"]
    # with other inputs a change is reported, not a failure; a vanished figure is named
    fewer = _run(tmp_path, "r4", {"tbl-baseline": "a\n1\n"})
    assert verify.record_source_data(fewer, vdir, "y") == []
    out = capsys.readouterr().out
    assert "fig-survival-os" in out and "no longer produced" in out


def test_inputs_fingerprint_covers_package_and_chapters():
    files = [p.name for p in verify._files(config.PACKAGE, ("*.py", "*.yml"))]
    assert "survival.py" in files and "published.yml" in files and "km.py" in files
    assert verify.inputs_fingerprint() == verify.inputs_fingerprint()


def test_verify_command_reports_the_ledger(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(verify, "VERIFY_DIR", tmp_path)
    assert verify.main(["--skip-execution"]) == 0
    assert "116 of 116 reproduced" in capsys.readouterr().out
    report = pd.read_csv(tmp_path / "ledger_report.csv")
    assert report["reproduced"].all()


def test_verify_fails_when_a_published_number_is_not_reproduced(tmp_path, monkeypatch, capsys):
    cohort = load_cohort(config.DEFAULT_COHORT, validate=False)
    cohort.loc[0, "sex"] = "female" if cohort.loc[0, "sex"] == "male" else "male"
    (tmp_path / "cohort.csv").write_text(to_csv_text(cohort), encoding="utf-8")
    monkeypatch.setenv("BOOK_COHORT", str(tmp_path / "cohort.csv"))
    monkeypatch.setattr(verify, "VERIFY_DIR", tmp_path / "verify")
    assert verify.main(["--skip-execution"]) == 1
    assert "not reproduced" in capsys.readouterr().err
    assert verify.main(["--skip-execution", "--allow-differences"]) == 0


def test_chapters_are_those_of_the_toc():
    paths = [config.ROOT / f"{d}.md" for d in config.toc_documents()]
    names = [p.stem for p in paths]
    assert names[0] == "intro" and "reproducibility" in names and "survival" in names
    assert all(p.exists() for p in paths)
