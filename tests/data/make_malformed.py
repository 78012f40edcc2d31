"""Write the malformed input files (``tests/data/``) and the examples (``data/examples/``).

Each file under ``tests/data/malformed/`` is the reconstructed cohort
(``data/reconstructed/cohort.csv``) or adverse-event table with one deliberate fault (a few
files combine several), so that ``tests/test_schema.py`` can assert the exact message the data
contract gives for it.  The ``valid_*`` files are variants the contract must accept (Excel
booleans, spaces around values, a workbook, a decimal comma).  ``tests/data/maps/`` holds
broken column maps.  ``data/examples/`` holds the reconstruction as a centre might keep it: a
renamed copy read with the hand-written ``columns.yml``, the 20 core columns only, everyday
spellings, and ADaM datasets.  Everything is deterministic; re-run this script after changing
it and commit the files with the script:

    .venv/bin/python tests/data/make_malformed.py

Naming: ``cohort_<fault>.csv`` / ``.xlsx`` are checked as the cohort (with the reconstructed
adverse events), ``ae_<fault>.csv`` as the adverse-event table (with the reconstructed
cohort).
"""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from pathlib import Path

import openpyxl
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).resolve().parent / "malformed"
COHORT = ROOT / "data" / "reconstructed" / "cohort.csv"
AES = ROOT / "data" / "reconstructed" / "adverse_events.csv"
MAPS = Path(__file__).resolve().parent / "maps"
EXAMPLES = ROOT / "data" / "examples"
#: The 20 core columns of issue 13 (the only required ones).
CORE = ["patient_id", "sex", "age_years", "ph_positive", "months_diagnosis_to_blinatumomab",
        "prior_allo_hsct", "prior_car_t", "marrow_blasts_pct", "extramedullary_disease", "cycles",
        "cr", "mrd_response", "allo_hsct_after", "days_to_hsct", "relapse", "os_months",
        "os_event", "rfs_months", "rfs_event", "cause_of_death"]  # fmt: skip
#: ADSL variable of each cohort column (ADTTE gives os_* and rfs_*).
ADSL = {"patient_id": "USUBJID", "sex": "SEX", "age_years": "AGE", "ph_positive": "PHFL",
        "months_diagnosis_to_blinatumomab": "DURDIS", "prior_allo_hsct": "PRHSCTFL",
        "prior_car_t": "PRCARTFL", "marrow_blasts_pct": "BLASTPCT",
        "extramedullary_disease": "EMDFL", "mrd_positive_at_start": "MRDBLFL", "cycles": "CYCLES",
        "cr": "CRFL", "mrd_response": "MRDRFL", "allo_hsct_after": "HSCTFL",
        "hsct_pathway": "HSCTPATH", "pre_hsct_therapy": "PREHSCTT", "days_to_hsct": "HSCTDY",
        "hsct_months": "HSCTMO", "mrd_negative_after_hsct": "MRDNHSFL", "car_t_after": "CARTFL",
        "car_t_months": "CARTMO", "relapse": "RELFL", "relapse_site": "RELSITE",
        "relapse_months": "RELMO", "cause_of_death": "DTHCAUS", "course": "COURSE"}  # fmt: skip
AEACN = {"none": "DOSE NOT CHANGED", "interrupted": "DRUG INTERRUPTED",
         "dose reduced": "DOSE REDUCED", "discontinued": "DRUG WITHDRAWN"}  # fmt: skip


def _base(path=COHORT) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _row(df: pd.DataFrame, pid: str) -> int:
    return int(df.index[df["patient_id"] == pid][0])


def _csv(df: pd.DataFrame, name) -> None:
    df.to_csv(OUT / name, index=False, lineterminator="\n")


def _edit(name: str, edits: dict, *, drop=(), add=None, path=COHORT) -> None:
    """Copy the table with ``edits`` {(patient_id, column): text}, dropped and added columns."""
    df = _base(path)
    for (pid, column), value in edits.items():
        df.loc[_row(df, pid), column] = value
    df = df.drop(columns=list(drop))
    for column, values in (add or {}).items():
        df[column] = values
    _csv(df, name)


def _xlsx(name: str, sheets: dict) -> None:
    """A workbook with ``sheets`` {title: DataFrame or None (empty)} in order."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, df in sheets.items():
        ws = wb.create_sheet(title)
        if df is None:
            continue
        if isinstance(df, list):
            for row in df:
                ws.append(row)
            continue
        ws.append(list(df.columns))
        for row in df.itertuples(index=False):
            ws.append([_excel_value(v) for v in row])
    wb.save(OUT / name)


def _excel_value(text):
    """Cells as Excel users type them: numbers as numbers, booleans as TRUE/FALSE."""
    if not isinstance(text, str):
        return text
    if text in ("true", "false"):
        return text == "true"
    if text == "":
        return None
    try:
        number = float(text)
    except ValueError:
        return text
    return int(number) if number.is_integer() and "." not in text else number


def main() -> None:
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    n = len(_base())
    aes = _base(AES)

    # --- columns ---------------------------------------------------------------------------
    _edit("cohort_missing_column.csv", {}, drop=["os_months"])
    df = _base().rename(columns={"os_months": "OS_months"})
    _csv(df, "cohort_misspelled_column.csv")
    _csv(pd.concat([_base(), _base()[["age_years"]]], axis=1), "cohort_duplicate_column.csv")
    df = _base()
    df[""] = [""] * (n - 1) + ["stray note"]
    _csv(df, "cohort_unnamed_column.csv")

    # --- types and values -------------------------------------------------------------------
    _edit("cohort_age_not_integer.csv", {("P03", "age_years"): "forty-four"})
    _edit("cohort_cycles_fractional.csv", {("P08", "cycles"): "1.5"})
    _edit("cohort_decimal_comma.csv", {("P01", "os_months"): "13,8"})
    _edit("cohort_unit_in_value.csv", {("P02", "os_months"): "20.8 months"})
    _edit("cohort_boolean_2.csv", {("P04", "ph_positive"): "2"})
    _edit("cohort_boolean_plus.csv", {("P05", "cr"): "+"})
    _edit("cohort_sex_code.csv", {("P06", "sex"): "X"})
    _edit("cohort_pathway_unknown.csv", {("P09", "hsct_pathway"): "haplo"})
    _edit("cohort_age_impossible.csv", {("P07", "age_years"): "150"})
    _edit("cohort_negative_time.csv", {("P11", "os_months"): "-4.0"})
    _edit("cohort_blasts_over_100.csv", {("P12", "marrow_blasts_pct"): "120.5"})
    _edit("cohort_cycles_zero.csv", {("P13", "cycles"): "0"})
    _edit("cohort_os_event_2.csv", {("P14", "os_event"): "2"})
    _edit("cohort_months_in_days.csv", {("P16", "os_months"): "867"})
    _edit("cohort_required_empty.csv", {("P18", "cr"): ""})
    _edit("cohort_patient_id_empty.csv", {("P04", "patient_id"): ""})
    _edit("cohort_duplicate_id.csv", {("P03", "patient_id"): "P02"})

    # --- cross-field rules ------------------------------------------------------------------
    _edit("cohort_relapse_after_end.csv", {("P05", "relapse_months"): "20.0"})
    _edit("cohort_hsct_after_end.csv", {("P09", "hsct_months"): "3.0"})
    _edit("cohort_car_t_after_end.csv", {("P03", "car_t_months"): "4.0"})
    _edit("cohort_rfs_after_end.csv", {("P01", "rfs_months"): "14.5"})
    _edit("cohort_rfs_without_cr.csv", {("P03", "rfs_months"): "3.2"})
    _edit("cohort_rfs_missing_in_cr.csv", {("P02", "rfs_months"): ""})
    _edit("cohort_rfs_event_missing_in_cr.csv", {("P02", "rfs_event"): ""})
    _edit("cohort_mrd_response_without_cr.csv", {("P03", "mrd_response"): "true"})
    _edit("cohort_death_without_cause.csv", {("P17", "cause_of_death"): ""})
    _edit("cohort_cause_without_death.csv", {("P01", "cause_of_death"): "sepsis"})
    _edit("cohort_hsct_without_days.csv", {("P01", "days_to_hsct"): ""})
    _edit("cohort_days_without_hsct.csv", {("P03", "days_to_hsct"): "30"})
    _edit("cohort_hsct_pathway_missing.csv", {("P02", "hsct_pathway"): ""})
    _edit("cohort_hsct_months_without_hsct.csv", {("P07", "hsct_months"): "2.0"})
    _edit("cohort_mrd_after_hsct_without_hsct.csv", {("P08", "mrd_negative_after_hsct"): "true"})
    _edit("cohort_relapse_without_months.csv", {("P10", "relapse_months"): ""})
    _edit("cohort_relapse_months_without_relapse.csv", {("P01", "relapse_months"): "5.0"})
    _edit("cohort_car_t_without_months.csv", {("P06", "car_t_months"): ""})
    _edit("cohort_rfs_event_0_after_relapse.csv", {("P13", "rfs_event"): "0"})
    _edit(
        "cohort_relapse_without_cr.csv",
        {("P17", "relapse"): "true", ("P17", "relapse_months"): "1.0"},
    )
    _edit("cohort_rfs_event_without_reason.csv", {("P07", "rfs_event"): "1"})
    _edit("cohort_days_exceed_months.csv", {("P04", "days_to_hsct"): "270"})

    # --- privacy ----------------------------------------------------------------------------
    names = [f"Patient {chr(65 + i)}" for i in range(n)]
    _edit("cohort_name_column.csv", {}, add={"patient_name": names})
    _edit("cohort_mrn_column.csv", {}, add={"MRN": [f"H{100200 + i}" for i in range(n)]})
    _edit("cohort_phone_column.csv", {}, add={"phone": [f"1381234{i:04d}" for i in range(n)]})
    _edit("cohort_dob_column.csv", {}, add={"date_of_birth": ["1980-01-01"] * n})
    dates = [f"2022-{1 + i % 12:02d}-{1 + i:02d}" for i in range(n)]
    _edit("cohort_date_values.csv", {}, add={"first_dose": dates})
    _edit("cohort_date_in_number.csv", {("P05", "relapse_months"): "2022-03-14"})
    _edit("cohort_date_in_text.csv", {("P08", "course"): "re-induction on 12/03/2022"})
    _edit("cohort_id_is_phone.csv", {("P11", "patient_id"): "13812345678"})
    df = _base().astype(object)
    df["first_dose"] = [datetime(2022, 1, 1) + timedelta(days=7 * i) for i in range(n)]
    _xlsx("cohort_excel_dates.xlsx", {"cohort": df})

    # --- files ------------------------------------------------------------------------------
    (OUT / "cohort_empty.csv").write_bytes(b"")
    (OUT / "cohort_blank_lines.csv").write_text("\n\n  \n")
    (OUT / "cohort_header_only.csv").write_text(",".join(_base().columns) + "\n")
    text = COHORT.read_text(encoding="utf-8").replace("imatinib", "imatinib (Glivec\u00ae)")
    text = text.replace("re-induction then 5", "r\u00e9-induction then 5")
    (OUT / "cohort_latin1.csv").write_bytes(text.encode("latin-1"))
    (OUT / "cohort_utf16.csv").write_bytes(COHORT.read_text(encoding="utf-8").encode("utf-16"))
    _base().to_csv(OUT / "cohort_semicolons.csv", sep=";", index=False, lineterminator="\n")
    lines = COHORT.read_text(encoding="utf-8").splitlines()
    i = next(k for k, line in enumerate(lines) if "early marrow relapse" in line)
    quoted = lines[i][lines[i].index('"CR MRD-positive') :]
    lines[i] = lines[i].replace(quoted, quoted.strip('"'))  # a course with commas, unquoted
    (OUT / "cohort_unquoted_comma.csv").write_text("\n".join(lines) + "\n")
    title = [["Blinatumomab cohort export"], [], list(_base().columns)]
    _xlsx("cohort_title_rows.xlsx", {"export": title + _base().to_numpy().tolist()})
    _xlsx("cohort_second_sheet.xlsx", {"Notes": [["exported 2024"]], "cohort": _base()})
    _xlsx("cohort_first_sheet_empty.xlsx", {"Sheet1": None, "cohort": _base()})
    _xlsx("cohort_empty_workbook.xlsx", {"Sheet1": None})
    (OUT / "cohort_old_excel.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504)
    shutil.copy(OUT / "cohort_second_sheet.xlsx", OUT / "cohort_workbook_named_csv.csv")

    # --- several problems at once ------------------------------------------------------------
    _edit(
        "cohort_many_problems.csv",
        {
            ("P02", "age_years"): "abc",
            ("P03", "os_months"): "-1.0",
            ("P05", "relapse_months"): "30.0",
            ("P06", "sex"): "unknown",
            ("P09", "cycles"): "",
            ("P12", "patient_id"): "P11",
        },
        add={"hospital_number": [f"{900000 + i}" for i in range(n)]},
    )

    # --- adverse events ---------------------------------------------------------------------
    def ae_edit(name, row, column, value):
        df = aes.copy()
        df.loc[row, column] = value
        _csv(df, name)

    ae_edit("ae_orphan_patient.csv", 3, "patient_id", "P99")
    ae_edit("ae_grade_6.csv", 0, "grade", "6")
    ae_edit("ae_grade_roman.csv", 1, "grade", "III")
    ae_edit("ae_action_unknown.csv", 2, "action", "stopped")
    ae_edit("ae_grade5_alive.csv", 0, "grade", "5")
    ae_edit("ae_event_empty.csv", 5, "event", "")
    _csv(pd.concat([aes, aes.iloc[[0]]], ignore_index=True), "ae_duplicate_event.csv")
    _csv(aes.drop(columns=["grade"]), "ae_missing_grade.csv")
    _csv(aes.iloc[:0], "ae_header_only.csv")

    # --- variants the contract accepts ------------------------------------------------------
    df = _base()
    for c in ("ph_positive", "cr", "relapse"):
        df[c] = df[c].map({"true": "TRUE", "false": "False"})
    df["prior_car_t"] = df["prior_car_t"].map({"true": "1", "false": "0"})
    df["sex"] = df["sex"].str.capitalize()
    df["patient_id"] = " " + df["patient_id"] + " "
    df["hsct_pathway"] = df["hsct_pathway"].str.upper()
    _csv(df, "valid_spellings.csv")
    aes_spaced = aes.copy()
    aes_spaced["patient_id"] = aes_spaced["patient_id"] + " "
    _csv(aes_spaced, "valid_ae_spaces.csv")
    _xlsx("valid_workbook.xlsx", {"cohort": _base(), "notes": [["anything"]]})
    _edit("valid_extra_column.csv", {}, add={"weight_kg": [str(50 + i) for i in range(n)]})
    df = _base()
    for c in ("marrow_blasts_pct", "hsct_months", "relapse_months", "os_months", "rfs_months"):
        df[c] = df[c].str.replace(".", ",")  # a decimal comma in whole columns (quoted in CSV)
    _csv(df, "valid_decimal_comma.csv")
    print(f"wrote {len(list(OUT.iterdir()))} files to {OUT}")


def maps(out: Path = MAPS) -> None:
    """Broken column maps, each for ``data/examples/cohort_renamed.csv``."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    cohort = yaml.safe_load((EXAMPLES / "columns.yml").read_text(encoding="utf-8"))["cohort"]

    def write(name, doc):
        (out / name).write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))

    write("map_unknown_target.yml", {"cohort": {"columns": {**cohort["columns"], "Ph+": "ph"}}})
    write("map_two_headers.yml", {"cohort": {"columns": {**cohort["columns"], "Sex": "sex"}}})
    labels = {**cohort["values"], "ph_positive": {"Positive": True, "Negative": "maybe"}}
    write("map_bad_label.yml", {"cohort": {"columns": cohort["columns"], "values": labels}})
    labels = {**cohort["values"], "blood_group": {"A": "a"}}
    write("map_values_unknown_column.yml", {"cohort": {**cohort, "values": labels}})
    renamed = {("OS months" if h == "OS (months)" else h): t for h, t in cohort["columns"].items()}
    write("map_missing_source.yml", {"cohort": {**cohort, "columns": renamed}})
    (out / "map_not_yaml.yml").write_text("cohort:\n  columns: [Ph+: ph_positive\n")
    print(f"wrote {len(list(out.iterdir()))} column maps to {out}")


def _flag(values: pd.Series, yes="Y", no="N") -> pd.Series:
    return values.map({"true": yes, "false": no, "": ""})


def _booleans(df: pd.DataFrame) -> list[str]:
    return [c for c in df.columns if set(df[c]) <= {"true", "false", ""}]


def examples(out: Path = EXAMPLES) -> None:
    """The reconstruction as a centre might keep it (see ``data/examples/README.md``)."""
    out.mkdir(parents=True, exist_ok=True)
    cohort, aes = _base(), _base(AES)
    spec = yaml.safe_load((EXAMPLES / "columns.yml").read_text(encoding="utf-8"))
    for name, table in (("cohort_renamed.csv", cohort), ("adverse_events_renamed.csv", aes)):
        section = spec["cohort" if name.startswith("cohort") else "adverse_events"]
        df = table.copy()
        for column, labels in section.get("values", {}).items():
            back = {str(v).lower() if isinstance(v, bool) else str(v): k for k, v in labels.items()}
            df[column] = df[column].map(lambda x, b=back: b.get(x, x))
        for column in _booleans(df):
            df[column] = _flag(df[column], "Yes", "No")
        if "sex" in df:
            df["sex"] = df["sex"].map({"male": "M", "female": "F"})
        _csv(df.rename(columns={v: k for k, v in section["columns"].items()}), out / name)
    _csv(cohort[CORE], out / "cohort_core.csv")
    df = cohort.copy()
    spellings = [("Yes", "No"), ("y", "n"), ("TRUE", "False"), ("1", "0")]
    for k, column in enumerate(_booleans(df)):
        df[column] = _flag(df[column], *spellings[k % 4])
    df["sex"] = df["sex"].map({"male": "m", "female": "F"})
    df = df.map(lambda x: " " if x == "" else x)  # blank cells
    df["patient_id"] = " " + df["patient_id"]
    _csv(df, out / "cohort_everyday.csv")
    adam = out / "adam"
    adam.mkdir(exist_ok=True)
    adsl = cohort[list(ADSL)].rename(columns=ADSL)
    for column in _booleans(adsl):
        adsl[column] = _flag(adsl[column])
    adsl["SEX"] = adsl["SEX"].map({"male": "M", "female": "F"})
    adsl.insert(0, "STUDYID", "BLINA-RR-BALL")
    _csv(adsl, adam / "adsl.csv")
    rows = []
    params = (("OS", "Overall survival", "os"), ("RFS", "Relapse-free survival", "rfs"))
    for _, r in cohort.iterrows():
        for code, label, p in params:
            if r[f"{p}_months"]:
                days = str(round(float(r[f"{p}_months"]) * 30.4375, 4))
                cnsr = str(1 - int(r[f"{p}_event"]))
                rows.append(["BLINA-RR-BALL", r["patient_id"], code, label, days, "DAYS", cnsr])
    columns = ["STUDYID", "USUBJID", "PARAMCD", "PARAM", "AVAL", "AVALU", "CNSR"]
    _csv(pd.DataFrame(rows, columns=columns), adam / "adtte.csv")
    adae = pd.DataFrame({"STUDYID": "BLINA-RR-BALL", "USUBJID": aes["patient_id"],
                         "AEDECOD": aes["event"], "ATOXGR": aes["grade"],
                         "AEACN": aes["action"].map(AEACN)})  # fmt: skip
    _csv(adae, adam / "adae.csv")
    print(f"wrote the examples to {out}")


if __name__ == "__main__":
    main()
    maps()
    examples()
