"""Loading the cohort and adverse-event tables, and their data dictionary.

The default tables are the *reconstructed* cohort in ``data/reconstructed/``:
individual patient data found by :mod:`analysis.reconstruct` so that every
aggregate the paper prints is reproduced.  They are consistent with the
publication; they are **not** the patients' records.  Point the environment
variables ``BOOK_COHORT`` and ``BOOK_AES`` at other files (CSV or Excel) to
analyse another cohort.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd

from . import config

__all__ = [
    "COHORT_COLUMNS",
    "AE_COLUMNS",
    "data_dictionary",
    "load_cohort",
    "load_adverse_events",
    "parse_cohort",
    "parse_adverse_events",
    "read_table",
    "to_csv_text",
]

# name, type, unit, allowed values, meaning
COHORT_COLUMNS: tuple[tuple[str, str, str, str, str], ...] = (
    ("patient_id", "string", "", "unique, non-empty", "Study identifier (no personal identifier)"),
    ("sex", "category", "", "male, female", "Sex"),
    ("age_years", "integer", "years", "0-120", "Age at the start of blinatumomab"),
    ("ph_positive", "boolean", "", "true, false", "Philadelphia chromosome-positive B-ALL"),
    ("months_diagnosis_to_blinatumomab", "integer", "months", ">= 0",
     "Time from diagnosis to the start of blinatumomab"),
    ("prior_allo_hsct", "boolean", "", "true, false", "Allogeneic HSCT before blinatumomab"),
    ("prior_car_t", "boolean", "", "true, false", "CAR-T therapy before blinatumomab"),
    ("marrow_blasts_pct", "number", "%", "0-100",
     "Bone-marrow blasts at the start of blinatumomab"),
    ("extramedullary_disease", "boolean", "", "true, false",
     "Extramedullary disease before blinatumomab"),
    ("mrd_positive_at_start", "boolean", "", "true, false",
     "MRD >= 0.01% by flow cytometry at the start"),
    ("cycles", "integer", "cycles", ">= 1", "Blinatumomab cycles received"),
    ("cr", "boolean", "", "true, false", "CR (or sustained CR) after blinatumomab"),
    ("mrd_response", "boolean", "", "true, false",
     "MRD response: MRD-positive to MRD-negative (< 0.01%) after blinatumomab"),
    ("allo_hsct_after", "boolean", "", "true, false", "Allogeneic HSCT during follow-up"),
    ("hsct_pathway", "category", "", "direct, bridging, salvage, empty",
     "Route to transplant: directly, after bridging therapy, or after relapse and salvage"),
    ("pre_hsct_therapy", "string", "", "free text, empty", "Therapy between blinatumomab and HSCT"),
    ("days_to_hsct", "integer", "days", ">= 0; empty if no HSCT",
     "Days from the end of blinatumomab to allo-HSCT (the paper's interval)"),
    ("hsct_months", "number", "months", ">= 0; empty if no HSCT",
     "Time of allo-HSCT from the start of blinatumomab"),
    ("mrd_negative_after_hsct", "boolean", "", "true, false; empty if no HSCT",
     "MRD-negative after transplant"),
    ("car_t_after", "boolean", "", "true, false", "CAR-T after blinatumomab"),
    ("car_t_months", "number", "months", ">= 0; empty if none",
     "Time of CAR-T from the start of blinatumomab"),
    ("relapse", "boolean", "", "true, false", "Relapse during follow-up"),
    ("relapse_site", "string", "", "free text, empty", "Site of relapse"),
    ("relapse_months", "number", "months", ">= 0; empty if no relapse",
     "Time of relapse from the start of blinatumomab"),
    ("os_months", "number", "months", ">= 0",
     "Overall survival time: start of blinatumomab to death or last follow-up"),
    ("os_event", "integer", "", "0, 1", "1 = died, 0 = alive at last follow-up"),
    ("rfs_months", "number", "months", ">= 0; empty if no CR",
     "Relapse-free survival time (patients in CR)"),
    ("rfs_event", "integer", "", "0, 1; empty if no CR", "1 = relapse or death, 0 = censored"),
    ("cause_of_death", "string", "", "free text; empty if alive", "Cause of death"),
    ("course", "string", "", "free text", "One-line summary of the patient's course"),
)  # fmt: skip

AE_COLUMNS: tuple[tuple[str, str, str, str, str], ...] = (
    ("patient_id", "string", "", "an id of the cohort table", "Patient"),
    ("event", "string", "", "free text", "Adverse event term (CTCAE v5.0; CRS by ASTCT)"),
    ("grade", "integer", "", "1-5", "Highest grade of the event during blinatumomab"),
    ("action", "category", "", "none, interrupted, dose reduced, discontinued",
     "Action taken with blinatumomab"),
)  # fmt: skip

#: Average days per month (365.25 / 12): the one conversion between days and months.
DAYS_PER_MONTH = 30.4375

_BOOL = [c[0] for c in COHORT_COLUMNS if c[1] == "boolean"]
_INT = [c[0] for c in COHORT_COLUMNS if c[1] == "integer"]
_NUM = [c[0] for c in COHORT_COLUMNS if c[1] == "number"]
_STR = [c[0] for c in COHORT_COLUMNS if c[1] in ("string", "category")]
_ONE_DECIMAL = {"marrow_blasts_pct", "hsct_months", "car_t_months", "relapse_months",
                "os_months", "rfs_months"}  # fmt: skip


def data_dictionary(table: str = "cohort") -> pd.DataFrame:
    """The data dictionary of ``"cohort"`` or ``"adverse_events"`` as a tidy DataFrame."""
    rows = COHORT_COLUMNS if table == "cohort" else AE_COLUMNS
    return pd.DataFrame(rows, columns=["column", "type", "unit", "allowed values", "meaning"])


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV (UTF-8) or Excel (.xlsx, first sheet) file as strings."""
    path = Path(path)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return pd.read_excel(path, sheet_name=0, dtype=str, keep_default_na=False)
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")


def _to_bool(s: pd.Series) -> pd.Series:
    lowered = s.astype(str).str.strip().str.lower()
    mapping = {"true": True, "false": False, "": pd.NA, "1": True, "0": False}
    return lowered.map(mapping).astype("boolean")


def parse_cohort(raw: pd.DataFrame) -> pd.DataFrame:
    """Convert a table of strings to the cohort's column types (no validation)."""
    df = raw.copy()
    for c in df.columns:
        if c in _BOOL:
            df[c] = _to_bool(df[c])
        elif c in _INT:
            df[c] = pd.to_numeric(df[c].replace("", np.nan)).astype("Int64")
        elif c in _NUM:
            df[c] = pd.to_numeric(df[c].replace("", np.nan)).astype(float)
        elif c in _STR:
            df[c] = df[c].fillna("").astype(str)
    return df


def parse_adverse_events(raw: pd.DataFrame) -> pd.DataFrame:
    """Convert the adverse-event table of strings to its column types (no validation)."""
    df = raw.copy()
    if "grade" in df:
        df["grade"] = pd.to_numeric(df["grade"].replace("", np.nan)).astype("Int64")
    return df


def load_cohort(path: str | Path | None = None, *, validate: bool = True) -> pd.DataFrame:
    """Load the cohort table.

    Parameters
    ----------
    path : str or Path, optional
        CSV or Excel file; defaults to :func:`analysis.config.cohort_path`
        (``BOOK_COHORT`` or ``data/reconstructed/cohort.csv``).
    validate : bool
        Check the data contract (:mod:`analysis.schema`) and raise
        :class:`analysis.schema.ContractError` listing every problem.

    Returns
    -------
    pandas.DataFrame
        One row per patient; columns as in :data:`COHORT_COLUMNS`.

    Notes
    -----
    Source of the default file: the reconstruction of the cohort of 19 patients with
    relapsed/refractory B-ALL treated with blinatumomab at the Aerospace Center
    Hospital, China (Nov 2021 - Nov 2024), published by Wang Y, Chang C, Wang Z,
    Zhao J, Wang J, Front Oncol 2025;15:1587185.  Consistent with
    every published aggregate; not the patients' records.
    """
    path = Path(path) if path else config.cohort_path()
    if validate:
        from .schema import validate_tables

        cohort, _ = validate_tables(path, None)
        return cohort
    return parse_cohort(read_table(path))


def load_adverse_events(path: str | Path | None = None, *, validate: bool = True) -> pd.DataFrame:
    """Load the adverse-event table (one row per patient and event).

    Parameters
    ----------
    path : str or Path, optional
        CSV or Excel file; defaults to :func:`analysis.config.adverse_events_path`.
    validate : bool
        Check the data contract, including that every ``patient_id`` exists in
        the cohort table that :func:`load_cohort` would load.
    """
    path = Path(path) if path else config.adverse_events_path()
    if validate:
        from .schema import validate_tables

        _, ae = validate_tables(config.cohort_path(), path)
        return ae
    return parse_adverse_events(read_table(path))


def _format_cell(column: str, value) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if column in _ONE_DECIMAL:
        return f"{float(value):.1f}"
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def to_csv_text(df: pd.DataFrame) -> str:
    """CSV text with ``true``/``false`` booleans, empty missing values and fixed decimals."""
    out = pd.DataFrame({c: [_format_cell(c, v) for v in df[c]] for c in df.columns})
    buf = io.StringIO()
    out.to_csv(buf, index=False, lineterminator="\n")
    return buf.getvalue()
