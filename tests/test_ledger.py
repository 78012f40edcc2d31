"""The ledger of published numbers, recomputed on the committed reconstructed cohort.

Every expected value here is the value printed in the paper, stored once in
``analysis/published.yml`` with the section that prints it.
"""

import re
from pathlib import Path

import pandas as pd
import pytest

from analysis import config
from analysis.data import load_adverse_events, load_cohort
from analysis.paper.ledger import compare, format_value, is_reproduced, load_ledger

LEDGER = load_ledger()
PAPER = config.ROOT.parent / "shared" / "paper" / "study.txt"


@pytest.fixture(scope="module")
def tables():
    return load_cohort(config.DEFAULT_COHORT), load_adverse_events(config.DEFAULT_ADVERSE_EVENTS)


@pytest.fixture(scope="module")
def report(tables):
    return compare(*tables).set_index("id")


def test_ledger_is_complete_and_well_formed():
    assert len(LEDGER) >= 60
    assert LEDGER["id"].is_unique
    toc = (config.ROOT / "_toc.yml").read_text()
    for chapter in LEDGER["chapter"].unique():
        assert f"book/{chapter}" in toc, chapter
    for row in LEDGER.itertuples():
        assert row.where.strip() and row.measure.strip()
        if row.kind == "value":
            decimals = len(row.printed.split(".")[1]) if "." in row.printed else 0
            assert decimals == row.decimals, f"{row.id}: printed {row.printed} vs {row.decimals}"


@pytest.mark.parametrize("entry_id", LEDGER["id"])
def test_every_published_number_is_reproduced(report, entry_id):
    row = report.loc[entry_id]
    assert row["reproduced"], f"{entry_id}: paper {row['printed']}, recomputed {row['recomputed']}"


@pytest.mark.skipif(not PAPER.exists(), reason="the paper (../shared/paper) is not beside the repo")
def test_every_number_of_the_abstract_results_is_in_the_ledger():
    text = PAPER.read_text(encoding="utf-8")
    results = text.split("Results", 1)[1].split("Conclusion", 1)[0]
    numbers = set(re.findall(r"\d+(?:\.\d+)?", results))
    # not results: the 95% confidence level and the 5% blast threshold
    numbers -= {"95", "5"}
    printed = set(LEDGER["printed"])
    missing = sorted(n for n in numbers if n not in printed)
    assert not missing, f"abstract numbers without a ledger entry: {missing}"


def test_format_and_match_rules():
    assert format_value(0.0235, "value", 3) == "0.024"  # half up, as printed
    assert is_reproduced(0.0234, "value", "0.023", 3)
    assert not is_reproduced(0.0236, "value", "0.023", 3)
    assert is_reproduced(float("nan"), "not_reached", "not reached")
    assert not is_reproduced(30.0, "not_reached", "not reached")
    assert is_reproduced(0.2, "not_significant", "not significant")
    assert not is_reproduced(0.04, "not_significant", "not significant")
    assert is_reproduced(0.04, "significant", "significant")


# Columns whose every single-cell change moves a published number (shown below); the
# remaining columns hold choices the paper leaves open, which the regeneration test
# (tests/test_reconstruct.py) pins byte for byte.
PINNED_BY_LEDGER = [
    "sex", "ph_positive", "prior_allo_hsct", "prior_car_t", "mrd_positive_at_start", "cr",
    "mrd_response", "allo_hsct_after", "relapse", "os_event",
]  # fmt: skip


def _flip(df, i, column):
    out = df.copy()
    if column == "sex":
        out.at[i, column] = "female" if out.at[i, column] == "male" else "male"
    elif column == "os_event":
        out.at[i, column] = 1 - out.at[i, column]
    else:
        out.at[i, column] = not bool(out.at[i, column])
    return out


@pytest.mark.parametrize("column", PINNED_BY_LEDGER)
def test_ledger_detects_any_single_change(tables, column):
    cohort, ae = tables
    for i in range(len(cohort)):
        rep = compare(_flip(cohort, i, column), ae)
        assert not rep["reproduced"].all(), f"changing {column} of row {i} went unnoticed"


def test_ledger_detects_a_changed_survival_time(tables):
    cohort, ae = tables
    for i in range(len(cohort)):
        changed = cohort.copy()
        changed.at[i, "os_months"] = 0.5  # shorter than any published follow-up
        assert not compare(changed, ae)["reproduced"].all()


def test_ledger_detects_a_changed_adverse_event(tables):
    cohort, ae = tables
    for i in range(len(ae)):
        if ae.at[i, "event"] == "bacterial sepsis":
            continue  # the paper gives no grade for sepsis (an assumption, see the appendix)
        changed = ae.copy()
        changed.at[i, "grade"] = 5 if changed.at[i, "grade"] != 5 else 1
        assert not compare(cohort, changed)["reproduced"].all(), ae.iloc[i].to_dict()


def test_report_columns(report):
    assert {"printed", "recomputed", "reproduced", "where", "chapter"} <= set(report.columns)
    assert isinstance(report, pd.DataFrame)


def test_ledger_file_is_the_single_source():
    assert Path(config.LEDGER_PATH).name == "published.yml"
