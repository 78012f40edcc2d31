"""The data contract (analysis.data.contract): every malformed input gets its specific message.

The corpus under tests/data/malformed/ is written by tests/data/make_malformed.py from the
reconstructed cohort; each file breaks the contract in one way (cohort_many_problems.csv in
several).  For each file the test asserts the exact problems reported: their number (so a
fault is reported once, not echoed by the rules it trips) and the text naming the file, row,
patient, column, value and what was expected.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pandas as pd
import pytest

from analysis import config, data
from analysis.data import contract as schema
from analysis.data import dictionary

ROOT = Path(__file__).resolve().parent.parent
MALFORMED = ROOT / "tests" / "data" / "malformed"
COHORT = config.DEFAULT_COHORT
AES = config.DEFAULT_ADVERSE_EVENTS
SYNTHETIC = ROOT / "data" / "synthetic"
EXAMPLES = ROOT / "data" / "examples"

_EXPECT_NUMBER = "expected a number >= 0 (months); required"
_IDENT = (
    "a direct identifier: personal identifiers are not allowed. Delete the column; patient_id "
    "must be a study code (such as P01) that only the hospital can link to the person"
)
_TO_MONTHS = (
    "dates identify patients and are not allowed: replace it with the time in months from "
    "the start of blinatumomab (days between the two dates / 30.4375, one decimal; e.g. "
    "relapse_months) and delete the dates"
)
_END = "(nothing happens after the end of follow-up)"
_UTF8 = "save it as UTF-8: in Excel 'Save As' > 'CSV UTF-8 (Comma delimited)'"
_BOOLEANS = "(true/false, yes/no, y/n and 1/0 are accepted, in any letter case)"

#: file -> every problem expected (each a substring of one reported line, in report order).
CASES: dict[str, list[str]] = {
    # columns
    "cohort_missing_column.csv": [
        "cohort_missing_column.csv: missing column 'os_months' (number, months: Overall "
        "survival time: start of blinatumomab to death or last follow-up)"
    ],
    "cohort_misspelled_column.csv": [
        "cohort_misspelled_column.csv: missing column 'os_months' (number, months: Overall "
        "survival time: start of blinatumomab to death or last follow-up); found 'OS_months': "
        "rename it to 'os_months'"
    ],
    "cohort_duplicate_column.csv": [
        "cohort_duplicate_column.csv: column 'age_years' appears twice (columns 3 and 31); keep one"
    ],
    "cohort_unnamed_column.csv": [
        "cohort_unnamed_column.csv: column 31 has no name in the header but holds values "
        "(row 20: 'stray note'); name it or delete it"
    ],
    # types and values
    "cohort_age_not_integer.csv": [
        "cohort_age_not_integer.csv, row 4 (patient_id P03), column 'age_years': 'forty-four' "
        "is not a whole number from 0 to 120 (years); required"
    ],
    "cohort_cycles_fractional.csv": [
        "cohort_cycles_fractional.csv, row 9 (patient_id P08), column 'cycles': '1.5' is not a "
        "whole number >= 1 (cycles); required"
    ],
    "cohort_decimal_comma.csv": [
        "cohort_decimal_comma.csv, row 2 (patient_id P01), column 'os_months': '13,8' is not a "
        "number >= 0 (months); required (write decimals with a point, not a comma)"
    ],
    "cohort_unit_in_value.csv": [
        "cohort_unit_in_value.csv, row 3 (patient_id P02), column 'os_months': '20.8 months' is "
        "not a number >= 0 (months); required (write the number alone, without a unit or sign)"
    ],
    # ambiguous encodings (yes/no, y/n, 1/0 and m/f are accepted: tests/test_data_inputs.py)
    "cohort_boolean_2.csv": [
        "cohort_boolean_2.csv, row 5 (patient_id P04), column 'ph_positive': '2' is not true or "
        f"false; required {_BOOLEANS}"
    ],
    "cohort_boolean_plus.csv": [
        "cohort_boolean_plus.csv, row 6 (patient_id P05), column 'cr': '+' is not true or false; "
        f"required {_BOOLEANS}"
    ],
    "cohort_sex_code.csv": [
        "cohort_sex_code.csv, row 7 (patient_id P06), column 'sex': 'X' is not one of: male, "
        "female; required"
    ],
    "cohort_pathway_unknown.csv": [
        "cohort_pathway_unknown.csv, row 10 (patient_id P09), column 'hsct_pathway': 'haplo' is "
        "not one of: direct, bridging, salvage, or empty"
    ],
    "cohort_age_impossible.csv": [
        "cohort_age_impossible.csv, row 8 (patient_id P07), column 'age_years': '150' is out of "
        "range; expected a whole number from 0 to 120 (years); required"
    ],
    "cohort_negative_time.csv": [
        "cohort_negative_time.csv, row 12 (patient_id P11), column 'os_months': '-4.0' is out "
        f"of range; {_EXPECT_NUMBER}"
    ],
    "cohort_blasts_over_100.csv": [
        "cohort_blasts_over_100.csv, row 13 (patient_id P12), column 'marrow_blasts_pct': "
        "'120.5' is out of range; expected a number from 0 to 100 (%); required"
    ],
    "cohort_cycles_zero.csv": [
        "cohort_cycles_zero.csv, row 14 (patient_id P13), column 'cycles': '0' is out of range; "
        "expected a whole number >= 1 (cycles); required"
    ],
    "cohort_os_event_2.csv": [
        "cohort_os_event_2.csv, row 15 (patient_id P14), column 'os_event': '2' is out of "
        "range; expected 0 or 1; required"
    ],
    "cohort_months_in_days.csv": [
        "cohort_months_in_days.csv, row 17 (patient_id P16), column 'os_months': '867' is more "
        f"than 600 months; is it in another unit? {_EXPECT_NUMBER}"
    ],
    "cohort_required_empty.csv": [
        "cohort_required_empty.csv, row 19 (patient_id P18), column 'cr': empty; expected true "
        "or false; required"
    ],
    "cohort_patient_id_empty.csv": [
        "cohort_patient_id_empty.csv, row 5, column 'patient_id': empty; expected a study code, "
        "unique and non-empty; required"
    ],
    "cohort_duplicate_id.csv": [
        "cohort_duplicate_id.csv, rows 3 and 4, column 'patient_id': 'P02' appears 2 times; "
        "expected each patient once (a unique study code)"
    ],
    # cross-field rules
    "cohort_relapse_after_end.csv": [
        "cohort_relapse_after_end.csv, row 6 (patient_id P05): relapse_months = 20.0, "
        f"os_months = 16.2; expected relapse_months <= os_months {_END}"
    ],
    "cohort_hsct_after_end.csv": [
        "cohort_hsct_after_end.csv, row 10 (patient_id P09): hsct_months = 3.0, os_months = "
        f"2.3; expected hsct_months <= os_months {_END}"
    ],
    "cohort_car_t_after_end.csv": [
        "cohort_car_t_after_end.csv, row 4 (patient_id P03): car_t_months = 4.0, os_months = "
        f"3.2; expected car_t_months <= os_months {_END}"
    ],
    "cohort_rfs_after_end.csv": [
        "cohort_rfs_after_end.csv, row 2 (patient_id P01): rfs_months = 14.5, os_months = "
        "13.8; expected rfs_months <= os_months (relapse-free survival cannot outlast overall "
        "survival)"
    ],
    "cohort_rfs_without_cr.csv": [
        "cohort_rfs_without_cr.csv, row 4 (patient_id P03): cr = false, rfs_months = 3.2; "
        "expected rfs_months given exactly for the patients in CR (cr true), empty otherwise"
    ],
    "cohort_rfs_missing_in_cr.csv": [
        "cohort_rfs_missing_in_cr.csv, row 3 (patient_id P02): cr = true, rfs_months = "
        "(empty); expected rfs_months given exactly for the patients in CR"
    ],
    "cohort_rfs_event_missing_in_cr.csv": [
        "cohort_rfs_event_missing_in_cr.csv, row 3 (patient_id P02): cr = true, rfs_event = "
        "(empty); expected rfs_event given exactly for the patients in CR"
    ],
    "cohort_mrd_response_without_cr.csv": [
        "cohort_mrd_response_without_cr.csv, row 4 (patient_id P03): mrd_response = true, cr = "
        "false; expected an MRD response only in a patient in CR (mrd_response true needs cr "
        "true)"
    ],
    "cohort_death_without_cause.csv": [
        "cohort_death_without_cause.csv, row 18 (patient_id P17): os_event = 1, cause_of_death "
        "= (empty); expected cause_of_death given exactly for the patients who died (os_event "
        "1), empty otherwise"
    ],
    "cohort_cause_without_death.csv": [
        "cohort_cause_without_death.csv, row 2 (patient_id P01): os_event = 0, cause_of_death = "
        "sepsis; expected cause_of_death given exactly for the patients who died"
    ],
    "cohort_hsct_without_days.csv": [
        "cohort_hsct_without_days.csv, row 2 (patient_id P01): allo_hsct_after = true, "
        "days_to_hsct = (empty); expected days_to_hsct given exactly when allo_hsct_after is "
        "true"
    ],
    "cohort_days_without_hsct.csv": [
        "cohort_days_without_hsct.csv, row 4 (patient_id P03): allo_hsct_after = false, "
        "days_to_hsct = 30; expected days_to_hsct given exactly when allo_hsct_after is true"
    ],
    "cohort_hsct_pathway_missing.csv": [
        "cohort_hsct_pathway_missing.csv, row 3 (patient_id P02): allo_hsct_after = true, "
        "hsct_pathway = (empty); expected hsct_pathway given exactly when allo_hsct_after is true"
    ],
    "cohort_hsct_months_without_hsct.csv": [
        "cohort_hsct_months_without_hsct.csv, row 8 (patient_id P07): allo_hsct_after = false, "
        "hsct_months = 2.0; expected hsct_months given exactly when allo_hsct_after is true"
    ],
    "cohort_mrd_after_hsct_without_hsct.csv": [
        "cohort_mrd_after_hsct_without_hsct.csv, row 9 (patient_id P08): allo_hsct_after = "
        "false, mrd_negative_after_hsct = true; expected mrd_negative_after_hsct empty when "
        "allo_hsct_after is false"
    ],
    "cohort_relapse_without_months.csv": [
        "cohort_relapse_without_months.csv, row 11 (patient_id P10): relapse = true, "
        "relapse_months = (empty); expected relapse_months given exactly when relapse is true"
    ],
    "cohort_relapse_months_without_relapse.csv": [
        "cohort_relapse_months_without_relapse.csv, row 2 (patient_id P01): relapse = false, "
        "relapse_months = 5.0; expected relapse_months given exactly when relapse is true"
    ],
    "cohort_car_t_without_months.csv": [
        "cohort_car_t_without_months.csv, row 7 (patient_id P06): car_t_after = true, "
        "car_t_months = (empty); expected car_t_months given exactly when car_t_after is true"
    ],
    "cohort_rfs_event_0_after_relapse.csv": [
        "cohort_rfs_event_0_after_relapse.csv, row 14 (patient_id P13): relapse = true, "
        "rfs_event = 0; expected rfs_event 1 for a patient who relapsed"
    ],
    "cohort_relapse_without_cr.csv": [
        "cohort_relapse_without_cr.csv, row 18 (patient_id P17): relapse = true, cr = false; "
        "expected a relapse only after CR (relapse true needs cr true)"
    ],
    "cohort_rfs_event_without_reason.csv": [
        "cohort_rfs_event_without_reason.csv, row 8 (patient_id P07): rfs_event = 1, relapse = "
        "false, os_event = 0; expected rfs_event 1 only after a relapse or a death"
    ],
    "cohort_days_exceed_months.csv": [
        "cohort_days_exceed_months.csv, row 5 (patient_id P04): days_to_hsct = 270, hsct_months "
        "= 1.8; expected days_to_hsct / 30.4375 <= hsct_months (days count from the end of "
        "blinatumomab, months from its start: a larger value suggests swapped units)"
    ],
    # privacy
    "cohort_name_column.csv": [
        f"cohort_name_column.csv: column 'patient_name' looks like a name, {_IDENT}"
    ],
    "cohort_mrn_column.csv": [
        f"cohort_mrn_column.csv: column 'MRN' looks like a medical record number, {_IDENT}"
    ],
    "cohort_phone_column.csv": [
        f"cohort_phone_column.csv: column 'phone' looks like a phone number, {_IDENT}"
    ],
    "cohort_dob_column.csv": [
        "cohort_dob_column.csv: column 'date_of_birth' holds calendar dates (row 2: "
        "'1980-01-01'); dates identify patients and are not allowed: replace it with age_years "
        "(age at the start of blinatumomab) and delete it"
    ],
    "cohort_date_values.csv": [
        "cohort_date_values.csv: column 'first_dose' holds calendar dates (row 2: "
        f"'2022-01-01'); {_TO_MONTHS}"
    ],
    "cohort_excel_dates.xlsx": [
        "cohort_excel_dates.xlsx: column 'first_dose' holds calendar dates (row 2: "
        f"'2022-01-01 00:00:00'); {_TO_MONTHS}"
    ],
    "cohort_date_in_number.csv": [
        "cohort_date_in_number.csv, row 6 (patient_id P05), column 'relapse_months': "
        "'2022-03-14' is a calendar date; expected a number >= 0 (months); empty if no relapse: "
        "replace it with the time in months from the start of blinatumomab"
    ],
    "cohort_date_in_text.csv": [
        "cohort_date_in_text.csv, row 9 (patient_id P08), column 'course': 're-induction on "
        "12/03/2022' contains a calendar date; dates identify patients and are not allowed: "
        "write times in months from the start of blinatumomab"
    ],
    "cohort_id_is_phone.csv": [
        "cohort_id_is_phone.csv, row 12 (patient_id 13812345678), column 'patient_id': "
        "'13812345678' looks like a phone, id-card, record number or e-mail address; patient_id "
        "must be a study code (such as P01)"
    ],
    # files
    "cohort_empty.csv": [
        "cohort_empty.csv: the file is empty: expected a header row and one row per record"
    ],
    "cohort_blank_lines.csv": [
        "cohort_blank_lines.csv: the file is empty: expected a header row and one row per record"
    ],
    "cohort_header_only.csv": [
        "cohort_header_only.csv: the header is there but there are no rows: the cohort is empty"
    ],
    "cohort_latin1.csv": [
        "cohort_latin1.csv: row 9: byte 0xe9 is not UTF-8 text (near 'e,,,26.8,0,26.8,0,,"
        "r\u00e9-induction then 5 c' if read as Latin-1/Windows-1252); the file is probably "
        f"Latin-1, Windows-1252 or GBK; {_UTF8}"
    ],
    "cohort_utf16.csv": [
        f"cohort_utf16.csv: the file is UTF-16 text (Excel's 'Unicode Text'), not UTF-8; {_UTF8}"
    ],
    "cohort_semicolons.csv": [
        "cohort_semicolons.csv: the columns are separated by semicolons; save the file with commas"
    ],
    "cohort_unquoted_comma.csv": [
        "cohort_unquoted_comma.csv: row 6 has 34 values but the header has 30 columns; a value "
        "that contains a comma must be in double quotes"
    ],
    "cohort_title_rows.xlsx": [
        "cohort_title_rows.xlsx: the header must be the first row, but 'patient_id' is on row "
        "3: delete the rows above the header"
    ],
    "cohort_second_sheet.xlsx": [
        "cohort_second_sheet.xlsx: the table is on sheet 'cohort' (sheet 2 of 2) but the first "
        "sheet is read and the first sheet 'Notes' does not hold it (its first row: exported "
        "2024); name the sheet (cohort_second_sheet.xlsx#cohort), or save it as a file of its own"
    ],
    "cohort_first_sheet_empty.xlsx": [
        "cohort_first_sheet_empty.xlsx: the table is on sheet 'cohort' (sheet 2 of 2) but the "
        "first sheet is read and the first sheet 'Sheet1' is empty; name the sheet "
        "(cohort_first_sheet_empty.xlsx#cohort)"
    ],
    "cohort_empty_workbook.xlsx": [
        "cohort_empty_workbook.xlsx: the first sheet 'Sheet1' is empty and no other sheet holds "
        "the table"
    ],
    "cohort_old_excel.xls": [
        "cohort_old_excel.xls: .xls files are not read; save the table as .xlsx or CSV UTF-8"
    ],
    "cohort_workbook_named_csv.csv": [
        "cohort_workbook_named_csv.csv: the file is an Excel workbook (or another zip file) "
        "named like a CSV; rename it to .xlsx or export the first sheet as 'CSV UTF-8'"
    ],
    # several problems at once: all reported, none echoed
    "cohort_many_problems.csv": [
        "cohort_many_problems.csv: column 'hospital_number' looks like a hospital number, "
        f"{_IDENT}",
        "cohort_many_problems.csv, row 3 (patient_id P02), column 'age_years': 'abc' is not a "
        "whole number from 0 to 120 (years); required",
        "cohort_many_problems.csv, row 4 (patient_id P03), column 'os_months': '-1.0' is out "
        f"of range; {_EXPECT_NUMBER}",
        "cohort_many_problems.csv, row 6 (patient_id P05): relapse_months = 30.0, os_months = "
        f"16.2; expected relapse_months <= os_months {_END}",
        "cohort_many_problems.csv, row 7 (patient_id P06), column 'sex': 'unknown' is not one "
        "of: male, female; required",
        "cohort_many_problems.csv, row 10 (patient_id P09), column 'cycles': empty; expected a "
        "whole number >= 1 (cycles); required",
        "cohort_many_problems.csv, rows 12 and 13, column 'patient_id': 'P11' appears 2 times; "
        "expected each patient once (a unique study code)",
    ],
    # adverse events (checked with the reconstructed cohort)
    "ae_orphan_patient.csv": [
        "ae_orphan_patient.csv, row 5 (patient_id P99), column 'patient_id': 'P99' is not a "
        "patient_id of the cohort table (",
    ],
    "ae_grade_6.csv": [
        "ae_grade_6.csv, row 2 (patient_id P01), column 'grade': '6' is out of range; expected "
        "a whole number from 1 to 5; required"
    ],
    "ae_grade_roman.csv": [
        "ae_grade_roman.csv, row 3 (patient_id P02), column 'grade': 'III' is not a whole "
        "number from 1 to 5; required"
    ],
    "ae_action_unknown.csv": [
        "ae_action_unknown.csv, row 4 (patient_id P02), column 'action': 'stopped' is not one "
        "of: none, interrupted, dose reduced, discontinued; required"
    ],
    "ae_grade5_alive.csv": [
        "ae_grade5_alive.csv, row 2 (patient_id P01): patient_id = P01, grade = 5; expected "
        "grade 5 (death) only for a patient with os_event 1 in the cohort"
    ],
    "ae_event_empty.csv": [
        "ae_event_empty.csv, row 7 (patient_id P03), column 'event': empty; expected text; required"
    ],
    "ae_duplicate_event.csv": [
        "ae_duplicate_event.csv, row 2 (patient_id P01): patient_id = P01, event = cytokine "
        "release syndrome; expected one row per patient and event (its highest grade)",
        "ae_duplicate_event.csv, row 23 (patient_id P01): patient_id = P01, event = cytokine "
        "release syndrome; expected one row per patient and event (its highest grade)",
    ],
    "ae_missing_grade.csv": [
        "ae_missing_grade.csv: missing column 'grade' (integer: Highest grade of the event "
        "during blinatumomab)"
    ],
}

#: Files the contract accepts (with the table they are checked as).
VALID = {
    "valid_spellings.csv": "cohort",
    "valid_workbook.xlsx": "cohort",
    "valid_extra_column.csv": "cohort",
    "valid_decimal_comma.csv": "cohort",
    "valid_ae_spaces.csv": "adverse_events",
    "ae_header_only.csv": "adverse_events",
}


def _tables(name: str) -> tuple[Path, Path | None]:
    path = MALFORMED / name
    if name.startswith(("ae_", "valid_ae")):
        return COHORT, path
    return path, None


def _problems(name: str) -> list[str]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", schema.ContractWarning)
        with pytest.raises(schema.ContractError) as info:
            schema.validate_tables(*_tables(name))
    return info.value.problems


def test_corpus_is_large_and_fully_covered():
    files = {p.name for p in MALFORMED.iterdir()}
    assert len(CASES) >= 30
    assert files == set(CASES) | set(VALID), "every corpus file needs an expectation"


@pytest.mark.parametrize("name", sorted(CASES))
def test_malformed_file_gets_its_message(name):
    problems = _problems(name)
    expected = CASES[name]
    assert len(problems) == len(expected), "\n".join(problems)
    for want, got in zip(expected, problems):
        assert want in got
    assert all("Traceback" not in p for p in problems)


def test_reconstructed_cohort_passes_and_is_typed_like_parse_cohort():
    cohort, ae = schema.validate_tables(COHORT, AES)
    pd.testing.assert_frame_equal(cohort, data.parse_cohort(data.read_table(COHORT)))
    pd.testing.assert_frame_equal(ae, data.parse_adverse_events(data.read_table(AES)))
    assert len(cohort) == 19 and len(ae) == 21


def test_load_functions_use_the_contract(tmp_path):
    assert len(data.load_cohort()) == 19
    with pytest.raises(schema.ContractError, match="'forty-four' is not a whole number"):
        data.load_cohort(MALFORMED / "cohort_age_not_integer.csv")


@pytest.mark.parametrize(
    "name", ["valid_spellings.csv", "valid_workbook.xlsx", "valid_decimal_comma.csv"]
)
def test_accepted_spellings_give_the_same_table(name):
    """TRUE/False/1/0, capitalised categories, spaces around ids, Excel cells, decimal commas."""
    reference, _ = schema.validate_tables(COHORT)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", schema.ContractWarning)  # the sheet read
        cohort, _ = schema.validate_tables(MALFORMED / name)
    pd.testing.assert_frame_equal(cohort, reference)


def test_spaces_around_adverse_event_ids():
    _, ae = schema.validate_tables(COHORT, MALFORMED / "valid_ae_spaces.csv")
    assert ae["patient_id"].tolist() == data.read_table(AES)["patient_id"].tolist()


def test_extra_column_is_kept_with_a_warning():
    with pytest.warns(schema.ContractWarning, match="column 'weight_kg' is not in the data"):
        cohort, _ = schema.validate_tables(MALFORMED / "valid_extra_column.csv")
    assert cohort["weight_kg"].iloc[0] == "50"


def test_adverse_event_table_without_rows_is_allowed_with_a_warning():
    with pytest.warns(schema.ContractWarning, match="no adverse events"):
        _, ae = schema.validate_tables(COHORT, MALFORMED / "ae_header_only.csv")
    assert ae.empty and list(ae.columns) == ["patient_id", "event", "grade", "action"]


def test_file_not_found(tmp_path):
    with pytest.raises(schema.ContractError, match="missing.csv: file not found"):
        schema.validate_tables(tmp_path / "missing.csv")


def test_many_rows_with_one_problem_are_counted_not_all_listed(tmp_path):
    df = pd.read_csv(COHORT, dtype=str, keep_default_na=False)
    df["age_years"] = "old"
    df.to_csv(tmp_path / "c.csv", index=False)
    with pytest.raises(schema.ContractError) as info:
        schema.validate_tables(tmp_path / "c.csv", max_per_rule=5)
    problems = info.value.problems
    assert len(problems) == 6
    assert problems[-1] == "... and 14 more rows with the same problem (text) in column 'age_years'"


def test_problems_of_both_tables_are_reported_together():
    problems = schema.ContractError
    with pytest.raises(problems) as info:
        schema.validate_tables(MALFORMED / "cohort_sex_code.csv", MALFORMED / "ae_grade_roman.csv")
    text = "\n".join(info.value.problems)
    assert "'X' is not one of: male, female" in text and "'III' is not a whole number" in text


def test_loaded_tables_have_the_dictionary_types():
    cohort, ae = schema.validate_tables(COHORT, AES)
    kinds = {"boolean": "boolean", "integer": "Int64", "number": "float64"}
    for table, fields in ((cohort, data.COHORT_FIELDS), (ae, data.AE_FIELDS)):
        assert list(table.columns) == list(fields)
        for name, spec in fields.items():
            assert str(table[name].dtype) == kinds.get(spec.type, "object"), name


def test_every_dictionary_column_is_understood_and_never_refused():
    fields = data.COHORT_FIELDS
    for name in list(fields) + list(data.AE_FIELDS):
        assert schema.identifier_kind(name) is None, name
    assert fields["age_years"].lo == 0 and fields["age_years"].hi == 120
    assert not fields["rfs_months"].filled and fields["rfs_months"].required
    assert fields["patient_id"].unique
    with pytest.raises(ValueError, match="not understood"):
        dictionary.field_spec({"name": "x", "type": "integer", "allowed": "a few", "meaning": "?"})


@pytest.mark.parametrize(
    "name, kind",
    [
        ("patient_name", "a name"),
        ("Name", "a name"),
        ("LastName", "a name"),
        ("national_id", "a national id"),
        ("ID card number", "a national id"),
        ("hospital_no", "a hospital number"),
        ("MRN", "a medical record number"),
        ("medical record no", "a medical record number"),
        ("e-mail", "an e-mail address"),
        ("email", "an e-mail address"),
        ("home address", "an address"),
        ("mobile", "a phone number"),
        ("\u8eab\u4efd\u8bc1\u53f7", "a national id"),
        ("\u59d3\u540d", "a name"),
        ("weight_kg", None),
        ("event", None),
        ("relapse_site", None),
    ],
)
def test_identifier_column_names(name, kind):
    assert schema.identifier_kind(name) == kind


@pytest.mark.parametrize(
    "value, is_date",
    [
        ("2022-03-14", True),
        ("2022/3/4", True),
        ("14/03/2022", True),
        ("14.03.22", True),
        ("14 Mar 2022", True),
        ("March 14, 2022", True),
        ("Mar 2022", True),
        ("20220314", True),
        ("2022\u5e743\u670814\u65e5", True),
        ("2022-01-01 00:00:00", True),
        ("13.8", False),
        ("2.4", False),
        ("1-6", False),
        ("P01", False),
        ("20.8 months", False),
    ],
)
def test_date_values(value, is_date):
    assert bool(schema._DATE_VALUE.fullmatch(value)) is is_date


def test_rules_table_lists_every_rule():
    table = schema.rules_table()
    assert len(table) == len(schema.RULES) == 21
    assert set(table["table"]) == {"cohort", "adverse_events"}
    assert table["rule"].is_unique


def test_synthetic_examples_pass_the_contract():
    for cohort_file in sorted(SYNTHETIC.glob("cohort_*.csv")):
        ae_file = SYNTHETIC / cohort_file.name.replace("cohort_", "adverse_events_")
        cohort, ae = schema.validate_tables(cohort_file, ae_file)
        assert len(cohort) == 300 and len(ae) > 0


def test_corpus_matches_its_generator(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location(
        "make_malformed", ROOT / "tests" / "data" / "make_malformed.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "OUT", tmp_path / "malformed")
    module.main()
    module.maps(tmp_path / "maps")
    module.examples(tmp_path / "examples")
    committed = {"malformed": MALFORMED, "maps": MALFORMED.parent / "maps", "examples": EXAMPLES}
    for folder, where in committed.items():
        fresh = {p.relative_to(tmp_path / folder) for p in (tmp_path / folder).rglob("*.*")}
        assert fresh == {p.relative_to(where) for p in where.rglob("*.*")} - {
            Path("columns.yml"),
            Path("README.md"),
        }
        for name in fresh:  # workbooks carry their creation time
            data = (tmp_path / folder / name).read_bytes()
            assert data.startswith(b"PK") or data == (where / name).read_bytes(), name


# --- command line ----------------------------------------------------------------------------


def _cli(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "analysis.data.contract", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        timeout=120,
    )


def test_cli_reports_every_problem_and_exits_1():
    run = _cli("--cohort", str(MALFORMED / "cohort_many_problems.csv"), "--aes", str(AES))
    assert run.returncode == 1
    assert "Traceback" not in run.stdout + run.stderr
    assert "The tables break the data contract (7 problems):" in run.stdout
    for want in CASES["cohort_many_problems.csv"]:
        assert want in run.stdout


def test_cli_unreadable_file_exits_1_without_traceback():
    run = _cli("--cohort", str(MALFORMED / "cohort_utf16.csv"))
    assert run.returncode == 1
    assert "the file is UTF-16 text" in run.stdout
    assert "Traceback" not in run.stdout + run.stderr


def test_cli_ok_is_one_line_and_reads_the_environment():
    run = _cli()
    assert run.returncode == 0, run.stdout
    assert run.stdout.strip().count("\n") == 0
    assert run.stdout.startswith("OK: ") and "(19 patients)" in run.stdout
    env = {
        "BOOK_COHORT": str(SYNTHETIC / "cohort_300.csv"),
        "BOOK_AES": str(SYNTHETIC / "adverse_events_300.csv"),
    }
    run = _cli(env=env)
    assert run.returncode == 0 and "(300 patients)" in run.stdout


def test_cli_hints_at_the_adverse_events_of_another_cohort():
    run = _cli(env={"BOOK_COHORT": str(SYNTHETIC / "cohort_300.csv"), "BOOK_AES": ""})
    assert run.returncode == 1
    assert "is not a patient_id of the cohort table" in run.stdout
    assert "Hint: the adverse events are the default (reconstructed) table" in run.stdout


def test_cli_prints_rules_and_dictionary():
    run = _cli("--rules", "--dictionary")
    assert run.returncode == 0
    assert "relapse_by_end" in run.stdout and "marrow_blasts_pct" in run.stdout
