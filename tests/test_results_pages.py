"""Tests of analysis.results.appendix: the intro's headline, the methods' and the appendix's
tables, against the paper and the YAML files they read."""

from importlib import metadata

import pytest
import yaml

from analysis import compare, config, load_adverse_events, load_cohort
from analysis.data import data_dictionary
from analysis.paper import load_discrepancies, load_ledger
from analysis.results import appendix as A


@pytest.fixture(scope="module")
def report():
    return compare(load_cohort(), load_adverse_events())


def test_intro_texts_are_the_papers_headline(report):
    """Abstract, Results: CR 80.0% (12/15, 95% CI 51.9-95.7), MRD response 63.2% (12/19,
    95% CI 38.4-83.7), 1-year OS 64.2% +/- 12.1%, RFS 73.3% +/- 11.4%; Results, Survival
    outcomes: MRD responders lived longer (P = 0.023)."""
    t = A.intro_texts(report)
    assert t["paper_n"] == "19"
    assert (t["cr_k"], t["cr_n"], t["cr_percent"], t["cr_ci"]) == (
        "12", "15", "80.0%", "51.9% to 95.7%")  # fmt: skip
    assert (t["mrd_k"], t["mrd_n"], t["mrd_percent"], t["mrd_ci"]) == (
        "12", "19", "63.2%", "38.4% to 83.7%")  # fmt: skip
    assert (t["os_1y"], t["rfs_1y"], t["os_mrd_p"]) == ("64.2% ± 12.1%", "73.3% ± 11.4%", "0.023")
    assert t["n_ledger"] == str(len(load_ledger())) == t["n_reproduced"]


def test_intro_texts_of_a_cohort_without_patients_in_cr(report):
    r = report.copy()
    r.loc[r["id"].isin(["rfs_1y", "rfs_1y_se"]), "value"] = float("nan")
    r.loc[r["id"] == "cr_overt_ci_lower", "value"] = float("nan")
    t = A.intro_texts(r)
    assert t["rfs_1y"] == "—" and t["cr_ci"] == "—"


def test_headline_sets_paper_against_book(report):
    h = A.headline(report)
    assert h.columns.tolist() == ["measure", "paper", "this book"]
    assert h["measure"].tolist() == list(A.HEADLINE.values())
    assert h.loc[0, "paper"] == "80.0" and h.loc[10, "paper"] == "0.023"  # Abstract, Results
    assert (h["paper"] == h["this book"]).all()  # the reconstruction reproduces them


def test_methods_texts():
    t = A.methods_texts(load_cohort())
    assert t["n_ledger"] == t["n_reproduced"] == str(len(load_ledger()))
    assert t["n_roles"] == t["n_patients"] == "19"  # Abstract, Methods: 19 patients
    assert (t["cohort_file"], t["is_reconstruction"]) == ("cohort.csv", "the reconstruction")
    choices = yaml.safe_load(config.ASSUMPTIONS_PATH.read_text(encoding="utf-8"))
    assert t["n_rules"] == str(len(choices["timing_rules"]))
    assert t["n_assumptions"] == str(len(choices["assumptions"]))


def test_roles_are_the_courses_the_paper_describes():
    """Results: four patients < 5% blasts; 16 in CR; MRD response 12 of 19; four previous
    allo-HSCT; 12 had one cycle."""
    r = A.roles()
    assert len(r) == 19
    assert (r["Blasts at start"] == "< 5%").sum() == 4
    assert (r["CR"] == "yes").sum() == 16
    assert (r["MRD response"] == "yes").sum() == 12
    assert (r["Previous allo-HSCT"] == "yes").sum() == 4
    assert (r["Cycles"] == "1").sum() == 12


def test_software_reads_the_installed_versions():
    s = A.software()
    assert s["Software"].tolist() == ["Python", *A.SOFTWARE]
    assert s.set_index("Software").loc["pandas", "Version"] == metadata.version("pandas")
    assert A.platform_text().count(";") == 1


def test_dictionary_in_three_columns():
    d = A.dictionary("cohort")
    assert d.columns.tolist() == ["Column", "Type and values", "Meaning"]
    assert d["Column"].tolist() == data_dictionary("cohort")["column"].tolist()
    age = d.set_index("Column").loc["age_years", "Type and values"]
    assert age == "integer (years): 0-120"
    assert len(A.dictionary("adverse_events")) == 4


def test_yaml_tables_are_plain_text():
    choices = yaml.safe_load(config.ASSUMPTIONS_PATH.read_text(encoding="utf-8"))
    tables = {
        "assumptions": (A.assumptions(), len(choices["assumptions"])),
        "timing_rules": (A.timing_rules(), len(choices["timing_rules"])),
        "discrepancies": (A.discrepancies(), len(load_discrepancies())),
    }
    for name, (table, n) in tables.items():
        assert len(table) == n, name
        text = " ".join(table.astype(str).to_numpy().ravel())
        assert "`" not in text and "*" not in text, name
    assert A.timing_rules().columns.tolist() == ["Rule", "Constraint"]
    assert A.discrepancies().columns.tolist() == ["Where", "The paper says", "Problem",
                                                  "Resolution"]  # fmt: skip
