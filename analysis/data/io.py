"""Reading a table file as text, converting it to the dictionary's types, writing it back."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd

from .dictionary import COHORT_COLUMNS

__all__ = [
    "parse_cohort",
    "parse_adverse_events",
    "read_table",
    "to_csv_text",
]


_BOOL = [c[0] for c in COHORT_COLUMNS if c[1] == "boolean"]
_INT = [c[0] for c in COHORT_COLUMNS if c[1] == "integer"]
_NUM = [c[0] for c in COHORT_COLUMNS if c[1] == "number"]
_STR = [c[0] for c in COHORT_COLUMNS if c[1] in ("string", "category")]
_ONE_DECIMAL = {"marrow_blasts_pct", "hsct_months", "car_t_months", "relapse_months",
                "os_months", "rfs_months"}  # fmt: skip


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
