"""Own cohorts as centres keep them (issue 13): core columns only, everyday encodings, a column
map, Excel sheets, ADaM datasets as CSV and XPT; and the ADaM export (issue 12, part 4).

Each accepted input under ``data/examples/`` holds the reconstructed patients in another form,
so the reference is the reconstruction itself: the contract must read each one into exactly
the tables of ``data/reconstructed/``.  Each broken input gets its exact message.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import frictionless
import numpy as np
import pandas as pd
import pyreadstat
import pytest
import yaml

from analysis import config, data
from analysis.data import adam, contract, derive, dictionary
from analysis.data.contract import ContractError, ContractWarning, validate_tables
from analysis.stats import survival

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "data" / "examples"
sys.path.insert(0, str(ROOT / "scripts"))
import export_adam  # noqa: E402  (scripts/export_adam.py, `make adam`)

MAPS = ROOT / "tests" / "data" / "maps"
MALFORMED = ROOT / "tests" / "data" / "malformed"
#: The 20 core columns named by issue 13 (the only required ones).
CORE = ["patient_id", "sex", "age_years", "ph_positive", "months_diagnosis_to_blinatumomab",
        "prior_allo_hsct", "prior_car_t", "marrow_blasts_pct", "extramedullary_disease", "cycles",
        "cr", "mrd_response", "allo_hsct_after", "days_to_hsct", "relapse", "os_months",
        "os_event", "rfs_months", "rfs_event", "cause_of_death"]  # fmt: skip


@pytest.fixture(scope="module")
def reference():
    return validate_tables(config.DEFAULT_COHORT, config.DEFAULT_ADVERSE_EVENTS)


def _quiet(*args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ContractWarning)
        return validate_tables(*args, **kw)


def _problems(*args, **kw) -> list[str]:
    with pytest.raises(ContractError) as info:
        _quiet(*args, **kw)
    return info.value.problems


# --- the dictionary --------------------------------------------------------------------------


def test_the_20_core_columns_are_required_and_the_others_optional():
    table = data.data_dictionary("cohort")
    assert table.loc[table["required"] == "required", "column"].tolist() == CORE
    assert (table["chapters"] != "").all() and (table["adam"] != "").all()
    assert set(table.loc[table["derived"] != "", "column"]) == set(derive.DERIVED)
    assert list(table.columns[:5]) == ["column", "type", "unit", "allowed values", "meaning"]


def test_field_specs_read_the_allowed_values():
    f = dictionary.COHORT_FIELDS
    assert f["os_event"].choices == ("0", "1") and f["sex"].codes["m"] == "male"
    assert f["cr"].codes["yes"] is True and f["cr"].codes["n"] is False
    assert "2" not in f["cr"].codes
    assert f["hsct_pathway"].expected == "one of: direct, bridging, salvage, or empty"
    x = np.array([-1.0, 0.0, 120.0, 121.0, np.nan])
    assert f["age_years"].outside(x).tolist() == [True, False, False, True, False]


# --- core columns only -------------------------------------------------------------------------


def test_core_columns_load_with_every_column(reference):
    cohort_ref, _ = reference
    with pytest.warns(ContractWarning, match="derived: mrd_positive_at_start, relapse_months"):
        cohort = data.load_cohort(EXAMPLES / "cohort_core.csv")
    assert list(cohort.columns) == list(cohort_ref.columns)
    assert (cohort.dtypes == cohort_ref.dtypes).all()
    assert cohort.attrs["derived"] == ["mrd_positive_at_start", "relapse_months"]
    kept = [c for c in cohort.columns if c not in cohort.attrs["not_recorded"]]
    pd.testing.assert_frame_equal(cohort[kept], cohort_ref[kept])  # derived as recorded
    assert cohort["car_t_after"].isna().all() and (cohort["course"] == "").all()
    assert cohort["hsct_months"].isna().all()


def test_mrd_at_start_is_derived_only_where_unambiguous():
    """True with >= 5% blasts or an MRD response; unknown otherwise (Methods: MRD >= 0.01%)."""
    cohort = pd.DataFrame({
        "marrow_blasts_pct": [60.0, 2.0, 2.0, 5.0],
        "mrd_response": pd.array([False, True, False, False], dtype="boolean"),
        "relapse": pd.array([True, False, False, False], dtype="boolean"),
        "cr": pd.array([True, True, False, False], dtype="boolean"),
        "rfs_months": [3.5, 10.0, np.nan, np.nan],
    })  # fmt: skip
    out = derive.complete(cohort)
    assert out["mrd_positive_at_start"].tolist() == [True, True, pd.NA, True]
    assert out["relapse_months"].tolist()[0] == 3.5 and out["relapse_months"].isna()[1:].all()
    assert list(out.columns) == list(dictionary.COHORT_FIELDS)


def test_load_without_validation_also_has_every_column():
    cohort = data.load_cohort(EXAMPLES / "cohort_core.csv", validate=False)
    assert list(cohort.columns) == list(dictionary.COHORT_FIELDS)


# --- everyday encodings ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["cohort_everyday.csv", "cohort_core.csv"])
def test_everyday_spellings_are_normalised(reference, name):
    cohort = _quiet(EXAMPLES / name)[0]
    cohort_ref = reference[0]
    for c in CORE:
        pd.testing.assert_series_equal(cohort[c], cohort_ref[c])
    assert set(cohort["sex"]) == {"male", "female"}


def test_decimal_comma_needs_the_whole_column(reference):
    cohort = _quiet(MALFORMED / "valid_decimal_comma.csv")[0]
    pd.testing.assert_frame_equal(cohort, reference[0])
    problems = _problems(MALFORMED / "cohort_decimal_comma.csv")  # one comma among points
    assert problems == [
        "tests/data/malformed/cohort_decimal_comma.csv, row 2 (patient_id P01), column "
        "'os_months': '13,8' is not a number >= 0 (months); required (write decimals with a "
        "point, not a comma)"
    ]


@pytest.mark.parametrize(
    "value, accepted",
    [("Yes", True), ("n", True), ("TRUE", True), ("0", True), (" y ", True), ("", False),
     ("2", False), ("+", False), ("ja", False), ("1.0", False)],
)  # fmt: skip
def test_boolean_spellings(tmp_path, value, accepted):
    df = pd.read_csv(config.DEFAULT_COHORT, dtype=str, keep_default_na=False)
    df["prior_car_t"] = value  # one spelling for the whole column
    df.to_csv(tmp_path / "c.csv", index=False)
    if accepted:
        truth = value.strip().lower() in ("yes", "y", "true", "1")
        assert (_quiet(tmp_path / "c.csv")[0]["prior_car_t"] == truth).all()
    else:
        problem = _problems(tmp_path / "c.csv")[0]
        assert "row 2 (patient_id P01), column 'prior_car_t'" in problem


#: Ambiguous encodings: (column, {row: value}, map values) -> the problems (rows from 2).
MIXED = {
    "yn_and_10": ("cr", {3: "1", 5: "0"}, None,
                  ["row 5 (patient_id P04), column 'cr': '1' mixes",
                   "row 7 (patient_id P06), column 'cr': '0' mixes"]),
    "yes_and_positive": ("ph_positive", {0: "Positive"}, None,
                         ["row 2 (patient_id P01), column 'ph_positive': 'Positive' is not true "
                          "or false"]),
    "mapped_positive_and_yes": ("ph_positive", {0: "Positive"}, {"positive": True},
                                ["row 2 (patient_id P01), column 'ph_positive': 'true' mixes"]),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(MIXED))
def test_ambiguous_encodings_are_refused_with_row_and_column(tmp_path, case):
    """A column that mixes spellings (y/n with 1/0, Yes with Positive) is refused, not guessed."""
    column, cells, labels, expected = MIXED[case]
    df = pd.read_csv(EXAMPLES / "cohort_everyday.csv", dtype=str, keep_default_na=False)
    for row, value in cells.items():
        df.loc[row, column] = value
    df.to_csv(tmp_path / "c.csv", index=False)
    column_map = None
    if labels:
        column_map = tmp_path / "map.yml"
        column_map.write_text(yaml.safe_dump({"values": {column: labels}}), encoding="utf-8")
    problems = [p.removeprefix(f"{tmp_path / 'c.csv'}, ") for p in
                _problems(tmp_path / "c.csv", column_map=column_map)]  # fmt: skip
    assert [p[: len(e)] for p, e in zip(problems, expected)] == expected
    assert len(problems) == len(expected)


def test_everyday_spellings_are_shown_as_the_books_values():
    said = "read as the book's values: sex F -> female, m -> male; ph_positive No -> false"
    with pytest.warns(ContractWarning, match=said):
        validate_tables(EXAMPLES / "cohort_everyday.csv")


# --- Excel sheets ------------------------------------------------------------------------------


def test_a_named_sheet_is_read(reference):
    cohort = _quiet(f"{MALFORMED / 'cohort_second_sheet.xlsx'}#cohort")[0]
    pd.testing.assert_frame_equal(cohort, reference[0])
    assert _problems(f"{MALFORMED / 'cohort_second_sheet.xlsx'}#Nope") == [
        "tests/data/malformed/cohort_second_sheet.xlsx#Nope: there is no sheet 'Nope'; the "
        "sheets are: Notes, cohort"
    ]


def test_the_first_of_several_sheets_is_read_with_a_warning():
    with pytest.warns(ContractWarning, match="read the first of 2 sheets, 'cohort'; name another"):
        validate_tables(MALFORMED / "valid_workbook.xlsx")


# --- column maps -------------------------------------------------------------------------------


def test_a_renamed_copy_reads_through_the_example_map(reference):
    with warnings.catch_warnings():
        warnings.simplefilter("error", ContractWarning)  # every header mapped, nothing extra
        warnings.filterwarnings("ignore", ".*read as the book's values", ContractWarning)
        tables = validate_tables(
            EXAMPLES / "cohort_renamed.csv",
            EXAMPLES / "adverse_events_renamed.csv",
            column_map=EXAMPLES / "columns.yml",
        )
    pd.testing.assert_frame_equal(tables[0], reference[0])
    pd.testing.assert_frame_equal(tables[1], reference[1])


def test_the_map_is_read_from_book_map(monkeypatch, reference):
    monkeypatch.setenv("BOOK_COHORT", str(EXAMPLES / "cohort_renamed.csv"))
    monkeypatch.setenv("BOOK_AES", str(EXAMPLES / "adverse_events_renamed.csv"))
    monkeypatch.setenv("BOOK_MAP", str(EXAMPLES / "columns.yml"))
    pd.testing.assert_frame_equal(data.load_cohort(), reference[0])
    pd.testing.assert_frame_equal(data.load_adverse_events(), reference[1])


def test_unmapped_and_unknown_columns_are_named(tmp_path):
    df = pd.read_csv(EXAMPLES / "cohort_renamed.csv", dtype=str, keep_default_na=False)
    df.rename(columns={"OS (months)": "Overall survival"}).to_csv(tmp_path / "c.csv", index=False)
    with warnings.catch_warnings(record=True) as caught, pytest.raises(ContractError) as info:
        warnings.simplefilter("always", ContractWarning)
        validate_tables(tmp_path / "c.csv", column_map=EXAMPLES / "columns.yml")
    assert info.value.problems == [  # a missing source, not also a missing column
        "data/examples/columns.yml: maps 'OS (months)' (to 'os_months') but "
        f"{tmp_path / 'c.csv'} has no such column"
    ]
    said = [str(w.message) for w in caught]
    assert (
        f"{tmp_path / 'c.csv'}: column 'Overall survival' is not in the data dictionary and not "
        "mapped by data/examples/columns.yml; it is kept as text and not used by the analysis"
        in said
    )


#: Broken column maps (tests/data/maps/, for cohort_renamed.csv) -> their one problem.
BAD_MAPS = {
    "map_unknown_target.yml": "maps 'Ph+' to 'ph', which is not a column of the cohort table "
    "(see python -m analysis.data.contract --dictionary)",
    "map_two_headers.yml": "maps 'Gender' and 'Sex' to the same column 'sex'; keep one",
    "map_bad_label.yml": "values of 'ph_positive': 'Negative' -> 'maybe' is not true or false",
    "map_values_unknown_column.yml": "has values for 'blood_group', which is not a column of "
    "the cohort table",
    "map_not_yaml.yml": "not a readable column map (while parsing a flow sequence",
    "map_missing_source.yml": "maps 'OS months' (to 'os_months') but "
    "data/examples/cohort_renamed.csv has no such column",
}


@pytest.mark.parametrize("name", sorted(BAD_MAPS))
def test_bad_maps_are_refused_by_name(name):
    problems = _problems(EXAMPLES / "cohort_renamed.csv", column_map=MAPS / name)
    assert len(problems) == 1
    assert problems[0].startswith(f"tests/data/maps/{name}: {BAD_MAPS[name]}")
    assert set(BAD_MAPS) == {p.name for p in MAPS.iterdir()}


# --- ADaM ------------------------------------------------------------------------------------


def _xpt(source: Path, out: Path) -> Path:
    """The CSV datasets of ``source`` as SAS transport files (v5: names of 8 characters)."""
    out.mkdir()
    for path in source.glob("*.csv"):
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
        for c in ("AGE", "DURDIS", "BLASTPCT", "CYCLES", "HSCTDY", "AVAL", "CNSR", "ATOXGR"):
            if c in df:
                df[c] = pd.to_numeric(df[c].replace("", None))
        pyreadstat.write_xport(df, str(out / f"{path.stem.upper()}.xpt"), file_format_version=5)
    return out


@pytest.mark.parametrize("form", ["csv", "xpt"])
def test_adam_datasets_give_the_two_tables(tmp_path, reference, form):
    directory = EXAMPLES / "adam" if form == "csv" else _xpt(EXAMPLES / "adam", tmp_path / "x")
    with pytest.warns(ContractWarning, match="variables the book does not use, not read: STUDYID"):
        cohort, ae = validate_tables(directory)
    pd.testing.assert_frame_equal(cohort, reference[0])
    pd.testing.assert_frame_equal(ae, reference[1])


def test_adam_is_read_from_book_adam(monkeypatch, reference):
    monkeypatch.setenv("BOOK_ADAM", str(EXAMPLES / "adam"))
    monkeypatch.setenv("BOOK_AES", "")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ContractWarning)
        pd.testing.assert_frame_equal(data.load_cohort(), reference[0])
        pd.testing.assert_frame_equal(data.load_adverse_events(), reference[1])


def _edit(path: Path, row=None, column=None, value=None, drop=None, repeat=False) -> None:
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df = pd.concat([df, df.iloc[[0]]], ignore_index=True) if repeat else df
    if column:
        df.loc[row % len(df), column] = value
    df = df.drop(columns=drop) if drop else df
    df.to_csv(path, index=False)


#: A broken ADaM directory: (file, edit) -> its problems (paths from the directory's parent).
BAD_ADAM = {
    "no_adtte": ("adtte.csv", None, ["adam: no ADTTE dataset (ADTTE.csv or ADTTE.xpt)"]),
    "cnsr_2": ("adtte.csv", dict(row=0, column="CNSR", value="2"),
               ["adam/adtte.csv: row 2 (USUBJID P01): CNSR '2' is not 0 or 1 (1 = censored)"]),
    "no_cnsr": ("adtte.csv", dict(drop="CNSR"),
                ["adam/adtte.csv: missing variable 'CNSR' (1 = censored, 0 = event)"]),
    "two_os": ("adtte.csv", dict(repeat=True),
               ["adam/adtte.csv: rows 2 and 37 (USUBJID P01): two records of PARAMCD OS; "
                "expected one per subject"]),
    "unknown_subject": ("adtte.csv", dict(repeat=True, row=-1, column="USUBJID", value="P99"),
                        ["adam/adtte.csv: row 37: USUBJID 'P99' is not a subject of ADSL"]),
    "age_text": ("adsl.csv", dict(row=1, column="AGE", value="abc"),
                 ["adam/adsl.csv, row 3 (patient_id P02), column 'age_years': 'abc' is not a "
                  "whole number from 0 to 120 (years); required"]),
    "flag_2": ("adsl.csv", dict(row=2, column="CRFL", value="2"),
               ["adam/adsl.csv, row 4 (patient_id P03), column 'cr': '2' is not true or false; "
                "required (true/false, yes/no, y/n and 1/0 are accepted, in any letter case)"]),
    "aeacn": ("adae.csv", dict(row=0, column="AEACN", value="DOSE INCREASED"),
              ["adam/adae.csv, row 2 (patient_id P01), column 'action': 'DOSE INCREASED' is not "
               "one of: none, interrupted, dose reduced, discontinued; required"]),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(BAD_ADAM))
def test_broken_adam_is_reported_like_the_two_tables(tmp_path, case):
    name, edit, expected = BAD_ADAM[case]
    directory = tmp_path / "adam"
    shutil.copytree(EXAMPLES / "adam", directory)
    if edit is None:
        (directory / name).unlink()
    else:
        _edit(directory / name, **edit)
    problems = _problems(directory)
    assert [p.replace(f"{tmp_path}/", "") for p in problems] == expected


def test_unreadable_adtte_is_named(tmp_path):
    shutil.copytree(EXAMPLES / "adam", tmp_path / "adam")
    (tmp_path / "adam" / "adtte.csv").write_bytes("USUBJID,AVAL\n".encode("utf-16"))
    problems = _problems(tmp_path / "adam")
    assert len(problems) == 1 and problems[0].startswith(f"{tmp_path}/adam/adtte.csv: ")
    assert "UTF-16" in problems[0]


# --- command line ----------------------------------------------------------------------------


def _cli(*args):
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "analysis.data.contract", *args], cwd=ROOT,
                          capture_output=True, text=True, env=env, timeout=120)  # fmt: skip


def test_cli_map_and_adam_options():
    aes, columns = "data/examples/adverse_events_renamed.csv", "data/examples/columns.yml"
    run = _cli("--cohort", "data/examples/cohort_renamed.csv", "--aes", aes, "--map", columns)
    assert run.returncode == 0 and "\nOK: data/examples/cohort_renamed.csv" in run.stdout
    run = _cli("--adam", "data/examples/adam")
    assert run.returncode == 0 and "(19 patients)" in run.stdout
    assert "(21 adverse events)" in run.stdout
    bad = "tests/data/maps/map_two_headers.yml"
    run = _cli("--cohort", "data/examples/cohort_renamed.csv", "--map", bad)
    assert run.returncode == 1 and "maps 'Gender' and 'Sex' to the same column 'sex'" in run.stdout
    assert "Traceback" not in run.stdout + run.stderr


def test_cli_dictionary_shows_required_and_optional():
    run = _cli("--dictionary")
    assert run.returncode == 0 and "optional" in run.stdout and "required" in run.stdout
    assert contract.identifier_kind("Study ID") is None  # the example map's id header


# --- ADaM export (issue 12, part 4) ----------------------------------------------------------


@pytest.fixture(scope="module")
def exported(tmp_path_factory, reference):
    """The reconstruction exported as ADaM (CSV, XPT, dictionary, datapackage.json)."""
    out = tmp_path_factory.mktemp("adam_export")
    paths = export_adam.export(*reference, out)
    return out, paths


def test_export_writes_every_file(exported):
    out, paths = exported
    names = {"adsl", "adtte", "adae"}
    expected = {f"{n}.{x}" for n in names for x in ("csv", "xpt")}
    assert {p.name for p in paths} == expected | {"dictionary.csv", "datapackage.json"}
    assert all(p.is_file() and p.stat().st_size > 0 for p in paths)


@pytest.mark.parametrize("form", ["csv", "xpt"])
def test_export_reads_back_as_the_analysed_tables(exported, reference, tmp_path, form):
    """Round trip: the export, given as ``ADAM=``, is read into exactly the tables exported."""
    out, _ = exported
    for name in ("adsl", "adtte", "adae"):
        shutil.copy(out / f"{name}.{form}", tmp_path)
    cohort, ae = _quiet(tmp_path)
    pd.testing.assert_frame_equal(cohort, reference[0])
    pd.testing.assert_frame_equal(ae, reference[1])


def test_export_as_book_adam_rebuilds_the_same_numbers(exported, reference, monkeypatch):
    """Round trip through ``BOOK_ADAM``: every number of the paper's ledger (each with its
    section in analysis/paper/published.yml) is recomputed from the export exactly as from the
    reconstruction, and all of them reproduce the paper."""
    from analysis import compare

    monkeypatch.setenv("BOOK_ADAM", str(exported[0]))
    monkeypatch.setenv("BOOK_AES", "")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ContractWarning)
        tables = data.load_tables()
    again, before = compare(*tables), compare(*reference)
    pd.testing.assert_frame_equal(again, before)
    assert again["reproduced"].all()


def test_xpt_holds_the_cohort(exported, reference):
    """The SAS transport files, read with pyreadstat, hold the cohort's values (CDISC names)."""
    out, _ = exported
    cohort = reference[0]
    adsl, meta = pyreadstat.read_xport(str(out / "adsl.xpt"))
    assert meta.table_name == "ADSL" and len(adsl) == len(cohort) == 19  # Methods: 19 patients
    assert adsl["USUBJID"].tolist() == cohort["patient_id"].tolist()
    assert adsl["AGE"].tolist() == cohort["age_years"].astype(float).tolist()
    assert adsl["SEX"].tolist() == cohort["sex"].map({"male": "M", "female": "F"}).tolist()
    assert adsl["CRFL"].tolist() == cohort["cr"].map({True: "Y", False: "N"}).tolist()
    assert (adsl["CRFL"] == "Y").sum() == 16  # Results: 16 patients in CR
    assert all(len(label) <= 40 for label in meta.column_names_to_labels.values())
    tte, _ = pyreadstat.read_xport(str(out / "adtte.xpt"))
    os_ = tte[tte["PARAMCD"] == "OS"]
    assert os_["AVAL"].tolist() == pytest.approx(cohort["os_months"].tolist())
    assert (os_["CNSR"] == 1 - cohort["os_event"].astype(float)).all()
    assert len(tte[tte["PARAMCD"] == "RFS"]) == 16  # RFS: the patients in CR


def test_adtte_gives_the_books_kaplan_meier_estimates(exported, reference):
    """OS and RFS from ADTTE alone: the book's estimates and the paper's (Results, *Survival
    outcomes*: 1-year OS 64.2% +/- 12.1%, 1-year RFS 73.3% +/- 11.4% among the 16 in CR)."""
    tte = pd.read_csv(exported[0] / "adtte.csv")
    cohort = reference[0]
    book = {"OS": derive.os_table(cohort), "RFS": derive.rfs_table(cohort)}
    for code, paper in (("OS", (64.2, 12.1)), ("RFS", (73.3, 11.4))):
        rows = tte[tte["PARAMCD"] == code]
        km = survival.kaplan_meier(rows["AVAL"], 1 - rows["CNSR"])
        ref = survival.kaplan_meier(book[code]["time"], book[code]["event"])
        pd.testing.assert_frame_equal(km, ref)
        estimate, se = survival.survival_at(km, 12.0)
        assert (round(100 * estimate, 1), round(100 * se, 1)) == paper, code
    assert set(tte["EVNTDESC"]) == {
        "DEATH", "ALIVE AT LAST FOLLOW-UP", "RELAPSE", "DEATH IN REMISSION",
        "IN REMISSION AT LAST FOLLOW-UP",
    }  # fmt: skip


def test_adae_is_coded_by_the_term_mapping(exported, reference):
    """AEDECOD and AEBODSYS: MedDRA PT and SOC of analysis/data/ae_terms.yml (CTCAE v5.0)."""
    adae = pd.read_csv(exported[0] / "adae.csv", keep_default_na=False)
    assert adae["AETERM"].tolist() == reference[1]["event"].tolist()
    assert adae["ATOXGR"].tolist() == reference[1]["grade"].tolist()
    row = adae[adae["AETERM"] == "cardiac insufficiency"].iloc[0]
    assert (row["AEDECOD"], row["AEBODSYS"]) == ("Cardiac failure", "Cardiac disorders")
    crs = adae[adae["AEDECOD"] == "Cytokine release syndrome"]
    assert crs["USUBJID"].nunique() == 11  # Abstract: CRS in 11 patients
    assert set(crs["AEBODSYS"]) == {"Immune system disorders"}
    assert set(adae["TRTEMFL"]) == {"Y"} and (adae["AEDECOD"] != "").all()


def test_datapackage_is_a_valid_frictionless_package(exported):
    package = frictionless.Package(str(exported[0] / "datapackage.json"))
    assert [r.name for r in package.resources] == ["adsl", "adtte", "adae", "dictionary"]
    report = frictionless.validate(str(exported[0] / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:10]
    dictionary_ = pd.read_csv(exported[0] / "dictionary.csv")
    assert set(dictionary_["dataset"]) == {"ADSL", "ADTTE", "ADAE"}
    assert (dictionary_["label"].str.len() <= 40).all()


def test_a_broken_export_fails_frictionless(exported, tmp_path):
    """The validation can fail: a censoring flag of 2 is not an integer of the schema's type."""
    for p in exported[0].glob("*.*"):
        shutil.copy(p, tmp_path)
    text = (
        (tmp_path / "adtte.csv").read_text(encoding="utf-8").replace(",MONTHS,1,", ",MONTHS,x,", 1)
    )
    (tmp_path / "adtte.csv").write_text(text, encoding="utf-8")
    assert not frictionless.validate(str(tmp_path / "datapackage.json")).valid


def test_export_keeps_equal_files_untouched(exported, reference):
    out, paths = exported
    before = {p: p.stat().st_mtime_ns for p in paths}
    export_adam.export(*reference, out)
    assert {p: p.stat().st_mtime_ns for p in paths} == before


def test_export_of_the_core_columns_leaves_out_what_was_not_recorded(tmp_path, reference):
    cohort = _quiet(EXAMPLES / "cohort_core.csv")[0]
    tables = adam.datasets(cohort, reference[1])
    assert {"HSCTPATH", "CARTFL", "COURSE"}.isdisjoint(tables["adsl"].columns)
    assert {"MRDBLFL", "RELMO"} <= set(tables["adsl"].columns)  # derived, so exported
    export_adam.export(cohort, reference[1], tmp_path)
    back = _quiet(tmp_path)[0]
    pd.testing.assert_frame_equal(back, cohort)
    assert back.attrs["not_recorded"] == cohort.attrs["not_recorded"]


def test_make_adam_writes_the_books_tables(tmp_path):
    run = subprocess.run([sys.executable, "scripts/export_adam.py", str(tmp_path)], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "ADaM datasets: 8 files" in run.stdout
    assert len(pd.read_csv(tmp_path / "adsl.csv")) == 19
