"""The data contract of the cohort and adverse-event tables (pandera).

Anyone can build the book on their own cohort (``make book DATA=... AES=...``).  Before any
chapter runs, :func:`validate_tables` (or ``python -m analysis.data.contract``) reads both
tables and checks them against this contract; every problem is reported at once, each naming
the file, the row (and ``patient_id``), the column, the value found and what was expected.

The columns, their types, units and allowed values are those of the data dictionary,
:data:`analysis.data.COHORT_COLUMNS` and :data:`analysis.data.AE_COLUMNS`; this module
turns that dictionary into two pandera schemas per table and adds the rules that tie
columns together (:data:`RULES`, shown by ``python -m analysis.data.contract --rules``).

Decisions (what is accepted and why)
------------------------------------
Files
    CSV must be UTF-8 (a UTF-8 byte-order mark is fine).  UTF-16 ("Unicode text"), Latin-1,
    Windows-1252 and GBK files are refused with the row of the first offending byte and how
    to re-save the file; guessing an encoding could silently corrupt text.  Excel workbooks
    (``.xlsx``, ``.xlsm``) are read from their **first sheet**; if that sheet is empty or
    holds something else while another sheet holds the table, the message names that sheet.
    The header is the first row (in Excel, the first non-empty row); rows are numbered as a
    spreadsheet numbers them, the header being row 1.  Completely empty rows are ignored.
Columns
    Every column of the dictionary must be present, spelled exactly (surrounding spaces are
    ignored).  Extra columns are **allowed with a warning** (:class:`ContractWarning`): they
    are kept as text and unused by the analysis, so a hospital's export need not be trimmed
    first -- unless they fail the privacy guard below, which refuses them.
Values
    Booleans: ``true``/``false`` in any letter case (Excel writes ``TRUE``/``FALSE``) or
    ``1``/``0``; nothing else (``yes``/``no``, ``y``/``n``, ``+``/``-`` are refused, so that a
    misread can never be silent).  Integers: whole numbers (``26.0`` is read as 26).  Numbers:
    a decimal point, no unit, no thousands separator, not ``inf``/``nan``.  Categories are
    matched ignoring letter case and surrounding spaces and stored in lower case.  An empty
    cell is a missing value; a column may be empty only where the dictionary says so.
Units
    The unit is part of the column name (``_months``, ``_years``, ``_pct``, ``days_``).
    Times are non-negative; a time above 600 months or 3650 days is refused as a likely
    unit error (days entered as months); ``days_to_hsct`` (from the end of blinatumomab)
    must not exceed ``hsct_months`` (from its start) converted to days.
Privacy guard
    Columns that look like direct identifiers (name, national or hospital id, medical record
    number, phone, address, e-mail, ...) and calendar dates (named ``*date*``, ``dob``,
    ``*birth*``, or holding values that parse as dates) are refused, as are dates written
    inside free-text cells and ``patient_id`` values that look like phone, id-card or
    record numbers (ten or more consecutive digits, or an ``@``).  The message says how to
    convert: dates become months from the start of blinatumomab, a date of birth becomes
    ``age_years``.
Reporting
    Every problem is collected (pandera's lazy validation); a problem caused by an earlier
    one (a value that is not a number cannot also break a time rule) is not repeated.  At
    most ``max_per_rule`` rows (default 20) are listed per column and rule, followed by a
    count of the others, so that a systematic error in a cohort of a million patients
    gives a readable report.

Examples
--------
>>> cohort, ae = validate_tables(config.DEFAULT_COHORT, config.DEFAULT_ADVERSE_EVENTS)
>>> len(cohort), len(ae)
(19, 21)
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import sys
import warnings
import zipfile
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from .. import config
from ..config import DAYS_PER_MONTH
from .dictionary import AE_COLUMNS, COHORT_COLUMNS

__all__ = [
    "ContractError",
    "ContractWarning",
    "FieldSpec",
    "Rule",
    "COHORT_FIELDS",
    "AE_FIELDS",
    "RULES",
    "cohort_schema",
    "ae_schema",
    "rules_table",
    "validate_tables",
    "main",
]

#: Rows listed per column and rule before the rest are only counted.
MAX_PER_RULE = 20
#: Largest plausible value per unit; above it the unit is probably wrong.
PLAUSIBLE_MAX = {"months": 600.0, "days": 3650.0}
_BOOL = {"true": True, "false": False, "1": True, "0": False}
_EXCEL = {".xlsx", ".xlsm"}


class ContractError(ValueError):
    """A table breaks the data contract; ``problems`` lists every violation (one line each)."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class ContractWarning(UserWarning):
    """Something accepted but worth knowing (an extra column that the analysis ignores)."""


# --- the data dictionary as specifications --------------------------------------------------


@dataclass(frozen=True)
class FieldSpec:
    """One column of the contract, parsed from the data dictionary of :mod:`analysis.data`.

    Attributes
    ----------
    name, type, unit, allowed, meaning : str
        The dictionary's entry (``type`` is integer, number, boolean, category or string).
    required : bool
        Every row needs a value (the dictionary does not say "empty").
    unique : bool
        No value may repeat (``patient_id``).
    lo, hi : float or None
        Inclusive range of a number.
    choices : tuple of str or None
        Allowed values of a category or of a coded integer (``0, 1``).
    when_empty : str
        The dictionary's condition for an empty cell ("empty if no HSCT").
    """

    name: str
    type: str
    unit: str
    allowed: str
    meaning: str
    required: bool = True
    unique: bool = False
    lo: float | None = None
    hi: float | None = None
    choices: tuple[str, ...] | None = None
    when_empty: str = ""

    @property
    def free_text(self) -> bool:
        return self.type == "string" and "free text" in self.allowed

    @property
    def expected(self) -> str:
        """What a valid value looks like, in words."""
        unit = f" ({self.unit})" if self.unit else ""
        if self.type == "boolean":
            what = "true or false"
        elif self.type == "category":
            what = "one of: " + ", ".join(self.choices or ())
        elif self.type in ("integer", "number"):
            what = "a whole number" if self.type == "integer" else "a number"
            if self.choices:
                what = " or ".join(self.choices)
            elif self.lo is not None and self.hi is not None:
                what += f" from {_num(self.lo)} to {_num(self.hi)}"
            elif self.lo is not None:
                what += f" >= {_num(self.lo)}"
            what += unit
        elif self.name == "patient_id":
            what = "a study code, unique and non-empty"
        else:
            what = "text"
        if self.when_empty:
            what += f"; {self.when_empty}"
        elif self.required:
            what += "; required"
        else:
            what += ", or empty"
        return what


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def field_spec(entry: tuple[str, str, str, str, str]) -> FieldSpec:
    """Parse one entry of the data dictionary ("allowed values" in words) into a FieldSpec.

    Raises
    ------
    ValueError
        If the wording of "allowed values" is not understood (the dictionary then needs a
        matching rule here: the contract must never silently ignore a constraint).
    """
    name, typ, unit, allowed, meaning = entry
    main, *conditions = [p.strip() for p in allowed.split(";")]
    items = [x.strip() for x in main.split(",")]
    kw: dict = {"when_empty": conditions[0] if conditions else ""}
    required = not conditions
    if "empty" in items:
        items.remove("empty")
        required = False
    if typ == "boolean" and items == ["true", "false"]:
        pass
    elif typ in ("integer", "number"):
        rng = re.fullmatch(r"(-?\d+(?:\.\d+)?)\s*-\s*(\d+(?:\.\d+)?)", ", ".join(items))
        lower = re.fullmatch(r">=\s*(-?\d+(?:\.\d+)?)", ", ".join(items))
        if rng:
            kw["lo"], kw["hi"] = float(rng.group(1)), float(rng.group(2))
        elif lower:
            kw["lo"] = float(lower.group(1))
        elif all(re.fullmatch(r"-?\d+", x) for x in items):
            kw["choices"] = tuple(items)
        else:
            raise ValueError(f"column {name}: allowed values {allowed!r} not understood")
    elif typ == "category":
        kw["choices"] = tuple(items)
    elif typ == "string" and items == ["unique", "non-empty"]:
        kw["unique"] = True
    elif typ == "string" and items in (["free text"], ["an id of the cohort table"]):
        pass
    else:
        raise ValueError(f"column {name}: type {typ!r} / allowed {allowed!r} not understood")
    return FieldSpec(name, typ, unit, allowed, meaning, required=required, **kw)


#: The cohort's columns, in the dictionary's order.
COHORT_FIELDS: dict[str, FieldSpec] = {e[0]: field_spec(e) for e in COHORT_COLUMNS}
#: The adverse-event table's columns.
AE_FIELDS: dict[str, FieldSpec] = {e[0]: field_spec(e) for e in AE_COLUMNS}


# --- cross-field rules ----------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """A rule that ties columns (or the two tables) together.

    ``check`` takes the typed table and returns a boolean Series, True where the row is fine;
    a row whose inputs are missing or invalid passes (it is reported by its own column).
    """

    id: str
    table: str
    columns: tuple[str, ...]
    text: str
    check: Callable[[pd.DataFrame], pd.Series] = field(repr=False)


def _is_true(s: pd.Series) -> pd.Series:
    return s.fillna(False).astype(bool)


def _is_false(s: pd.Series) -> pd.Series:
    return (~s.fillna(True)).astype(bool)


def _present(s: pd.Series) -> pd.Series:
    if s.dtype == object:
        return pd.Series(s.to_numpy() != "", index=s.index) & s.notna()
    return s.notna()


def _repeated(values) -> np.ndarray:
    """Which items occur more than once (Python's set and Counter: fast on strings)."""
    values = list(values)
    if len(set(values)) == len(values):
        return np.zeros(len(values), bool)
    counts = Counter(values)
    return np.fromiter((counts[v] > 1 for v in values), bool, count=len(values))


def _unique_ids(s: pd.Series) -> pd.Series:
    """True where a non-empty id occurs once."""
    values = s.to_numpy()
    return pd.Series(~_repeated(values) | (values == ""), index=s.index)


def _one_row_per_event(d: pd.DataFrame) -> pd.Series:
    return pd.Series(~_repeated(zip(d["patient_id"], d["event"])), index=d.index)


def _in_cohort(ids: set):
    def check(d):
        v = d["patient_id"].to_numpy()
        if ids.issuperset(v.tolist()):
            return pd.Series(True, index=d.index)
        inside = np.fromiter((x in ids for x in v), bool, count=len(v))
        return pd.Series(inside | (v == ""), index=d.index)

    return check


def _grade5_died(cohort: pd.DataFrame):
    """Check: a grade-5 (fatal) event only for a patient who died (os_event 1)."""

    def check(d):
        fatal = (d["grade"] == 5).fillna(False).to_numpy(dtype=bool)
        ok = np.ones(len(d), bool)
        if fatal.any():
            ids = cohort["patient_id"].to_numpy()
            alive = set(ids[(cohort["os_event"] == 0).fillna(False).to_numpy(dtype=bool)])
            ok[fatal] = [x not in alive for x in d["patient_id"].to_numpy()[fatal]]
        return pd.Series(ok, index=d.index)

    return check


def _le(a: str, b: str):
    return lambda d: ~(d[a].astype(float) > d[b].astype(float))


def _iff(flag: str, col: str):
    def check(d):
        f = d[flag]
        return f.isna() | (f.fillna(False).astype(bool) == _present(d[col]))

    return check


def _implies(a: str, b: str):
    return lambda d: ~(_is_true(d[a]) & _is_false(d[b]))


def _death_iff_cause(d):
    e = d["os_event"]
    return e.isna() | ((e == 1).fillna(False).astype(bool) == _present(d["cause_of_death"]))


def _rfs_event_if_relapse(d):
    bad = _is_true(d["relapse"]) & _is_true(d["cr"]) & (d["rfs_event"] == 0).fillna(False)
    return ~bad


def _rfs_event_needs_relapse_or_death(d):
    bad = (d["rfs_event"] == 1).fillna(False) & _is_false(d["relapse"])
    return ~(bad & (d["os_event"] == 0).fillna(False))


def _after_hsct_needs_hsct(d):
    return ~(_is_false(d["allo_hsct_after"]) & _present(d["mrd_negative_after_hsct"]))


def _days_match_months(d):
    days = d["days_to_hsct"].astype(float)
    return ~(days / DAYS_PER_MONTH > d["hsct_months"].astype(float) + 0.1)


_R = Rule
#: Cross-field rules of the cohort table.
RULES: tuple[Rule, ...] = (
    _R("relapse_by_end", "cohort", ("relapse_months", "os_months"),
       "relapse_months <= os_months (nothing happens after the end of follow-up)",
       _le("relapse_months", "os_months")),
    _R("hsct_by_end", "cohort", ("hsct_months", "os_months"),
       "hsct_months <= os_months (nothing happens after the end of follow-up)",
       _le("hsct_months", "os_months")),
    _R("car_t_by_end", "cohort", ("car_t_months", "os_months"),
       "car_t_months <= os_months (nothing happens after the end of follow-up)",
       _le("car_t_months", "os_months")),
    _R("rfs_by_end", "cohort", ("rfs_months", "os_months"),
       "rfs_months <= os_months (relapse-free survival cannot outlast overall survival)",
       _le("rfs_months", "os_months")),
    _R("rfs_months_iff_cr", "cohort", ("cr", "rfs_months"),
       "rfs_months given exactly for the patients in CR (cr true), empty otherwise",
       _iff("cr", "rfs_months")),
    _R("rfs_event_iff_cr", "cohort", ("cr", "rfs_event"),
       "rfs_event given exactly for the patients in CR (cr true), empty otherwise",
       _iff("cr", "rfs_event")),
    _R("mrd_response_needs_cr", "cohort", ("mrd_response", "cr"),
       "an MRD response only in a patient in CR (mrd_response true needs cr true)",
       _implies("mrd_response", "cr")),
    _R("death_iff_cause", "cohort", ("os_event", "cause_of_death"),
       "cause_of_death given exactly for the patients who died (os_event 1), empty otherwise",
       _death_iff_cause),
    _R("days_to_hsct_iff_hsct", "cohort", ("allo_hsct_after", "days_to_hsct"),
       "days_to_hsct given exactly when allo_hsct_after is true",
       _iff("allo_hsct_after", "days_to_hsct")),
    _R("hsct_months_iff_hsct", "cohort", ("allo_hsct_after", "hsct_months"),
       "hsct_months given exactly when allo_hsct_after is true",
       _iff("allo_hsct_after", "hsct_months")),
    _R("hsct_pathway_iff_hsct", "cohort", ("allo_hsct_after", "hsct_pathway"),
       "hsct_pathway given exactly when allo_hsct_after is true",
       _iff("allo_hsct_after", "hsct_pathway")),
    _R("mrd_after_hsct_needs_hsct", "cohort", ("allo_hsct_after", "mrd_negative_after_hsct"),
       "mrd_negative_after_hsct empty when allo_hsct_after is false",
       _after_hsct_needs_hsct),
    _R("relapse_months_iff_relapse", "cohort", ("relapse", "relapse_months"),
       "relapse_months given exactly when relapse is true",
       _iff("relapse", "relapse_months")),
    _R("car_t_months_iff_car_t", "cohort", ("car_t_after", "car_t_months"),
       "car_t_months given exactly when car_t_after is true",
       _iff("car_t_after", "car_t_months")),
    _R("relapse_needs_cr", "cohort", ("relapse", "cr"),
       "a relapse only after CR (relapse true needs cr true)",
       _implies("relapse", "cr")),
    _R("rfs_event_if_relapse", "cohort", ("relapse", "rfs_event"),
       "rfs_event 1 for a patient who relapsed",
       _rfs_event_if_relapse),
    _R("rfs_event_needs_relapse_or_death", "cohort", ("rfs_event", "relapse", "os_event"),
       "rfs_event 1 only after a relapse or a death",
       _rfs_event_needs_relapse_or_death),
    _R("hsct_days_vs_months", "cohort", ("days_to_hsct", "hsct_months"),
       f"days_to_hsct / {DAYS_PER_MONTH} <= hsct_months (days count from the end of "
       "blinatumomab, months from its start: a larger value suggests swapped units)",
       _days_match_months),
)  # fmt: skip

#: Rules of the adverse-event table (checked against the cohort; see :func:`ae_schema`).
AE_RULE_TEXT = {
    "ae_patient_in_cohort": "a patient_id of the cohort table",
    "ae_one_row_per_event": "one row per patient and event (its highest grade)",
    "ae_grade5_died": "grade 5 (death) only for a patient with os_event 1 in the cohort",
}
_AE_RULE_COLUMNS = {
    "ae_patient_in_cohort": ("patient_id",),
    "ae_one_row_per_event": ("patient_id", "event"),
    "ae_grade5_died": ("patient_id", "grade"),
}


def rules_table() -> pd.DataFrame:
    """Every rule of the contract beyond single columns, as a tidy DataFrame."""
    rows = [(r.table, r.id, ", ".join(r.columns), r.text) for r in RULES]
    rows += [
        ("adverse_events", k, ", ".join(_AE_RULE_COLUMNS[k]), v) for k, v in AE_RULE_TEXT.items()
    ]
    return pd.DataFrame(rows, columns=["table", "rule", "columns", "expected"])


# --- value parsing (on the distinct texts of a column) -------------------------------------

_MON = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_DATE_CORE = (
    r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
    r"|\d{1,2}[-/.]\d{1,2}[-/.]\d{4}"
    rf"|\d{{1,2}}[ -]?{_MON}[ ,-]*\d{{4}}"
    rf"|{_MON} \d{{1,2}},? \d{{4}}"
    rf"|{_MON} \d{{4}}"
    r"|\d{4}年\d{1,2}月(?:\d{1,2}日)?"
)
#: A value that is a date (also 05/03/23 and 20230305).
_DATE_VALUE = re.compile(
    rf"(?:{_DATE_CORE}|\d{{1,2}}[-/.]\d{{1,2}}[-/.]\d{{2}}"
    r"|(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]))",
    re.I,
)
#: A date written inside free text (only unambiguous forms with a four-digit year).
_DATE_IN_TEXT = re.compile(rf"(?<![\d.])(?:{_DATE_CORE})(?![\d])", re.I)
_LONG_NUMBER = re.compile(r"\d{10,}|@")
_SEP = "\x00"  # joins the cells of a column into one string (not whitespace, not in text)
_SPACES = " \t\r\n\v\f\xa0\u3000"


def _edge_space(values: np.ndarray) -> bool:
    """Whether any cell of an object column starts or ends with white space."""
    j = _joined(values)
    if not j or not any(w in j for w in _SPACES):
        return False
    if j[0] in _SPACES or j[-1] in _SPACES:
        return True
    return any(f"{_SEP}{w}" in j or f"{w}{_SEP}" in j for w in _SPACES)


def _joined(values: np.ndarray) -> str:
    """All cells of an object column in one string (a regex then scans them in one pass)."""
    if values.dtype != object:
        return ""
    try:
        return _SEP.join(values.tolist())
    except TypeError:  # a cell that is not text (Excel numbers are read as text: rare)
        return _SEP.join(map(str, values.tolist()))


def _levels(s: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Integer codes and distinct stripped texts of a raw column (code -1 means empty)."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        codes, cats = s.cat.codes.to_numpy(), s.cat.categories
    else:
        codes, cats = pd.factorize(s.fillna("").astype(str), use_na_sentinel=True)
        cats = pd.Index(cats)
    return codes, pd.Index(cats.astype(str)).str.strip()


def _nonempty(s: pd.Series) -> np.ndarray:
    """Rows of a raw column that hold something other than spaces."""
    if s.dtype == object:
        values = s.to_numpy()
        if not _edge_space(values):
            return values != ""
        return np.fromiter((bool(str(x).strip()) for x in values), bool, count=len(s))
    codes, cats = _levels(s)
    return np.append(np.asarray(cats != "", dtype=bool), False)[codes]


def _parse_levels(spec: FieldSpec, cats: pd.Index) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parsed value, invalid flag and empty flag of each distinct text."""
    empty = np.asarray(cats == "", dtype=bool)
    if spec.type in ("integer", "number"):
        values = pd.to_numeric(pd.Series(cats, dtype=object), errors="coerce")
        values = values.astype(float).to_numpy()
        bad = ~empty & ~np.isfinite(values)
        if spec.type == "integer":
            with np.errstate(invalid="ignore"):
                bad |= ~empty & np.isfinite(values) & (values != np.round(values))
        values = np.where(bad | empty, np.nan, values)
    elif spec.type == "boolean":
        mapped = pd.Series(cats.str.lower(), dtype=object).map(_BOOL)
        bad = ~empty & mapped.isna().to_numpy()
        values = mapped.to_numpy(dtype=object)
    elif spec.type == "category":
        low = cats.str.lower()
        bad = ~empty & ~np.asarray(low.isin(spec.choices or ()), dtype=bool)
        values = np.where(bad, "", np.asarray(low, dtype=object))
    else:
        bad = np.zeros(len(cats), bool)
        values = np.asarray(cats, dtype=object)
    return values, np.asarray(bad, dtype=bool), empty


def _invalid(spec: FieldSpec, s: pd.Series) -> np.ndarray:
    """Rows whose text is not a valid value of the column's type (or is refused text)."""
    if spec.name == "patient_id":
        values = s.to_numpy()
        if max(map(len, map(str, values)), default=0) < 10 and "@" not in _joined(values):
            return np.zeros(len(s), bool)
        search = _LONG_NUMBER.search
        values = (str(x) for x in s.to_numpy())
        return np.fromiter(
            (("@" in x) or (len(x) >= 10 and search(x) is not None) for x in values),
            bool,
            count=len(s),
        )
    codes, cats = _levels(s)
    if spec.free_text:
        bad = np.asarray(cats.str.contains(_DATE_IN_TEXT), dtype=bool)
    else:
        bad = _parse_levels(spec, cats)[1]
    return np.append(bad, False)[codes]


def _typed(spec: FieldSpec, s: pd.Series) -> pd.Series:
    """The column converted to its type; invalid cells become missing."""
    if spec.name == "patient_id" or (spec.type == "string" and s.dtype == object):
        values = s.to_numpy()
        if _edge_space(values):
            values = np.array([str(x).strip() for x in values], dtype=object)
        return pd.Series(values, index=s.index, dtype=object)
    codes, cats = _levels(s)
    values, bad, empty = _parse_levels(spec, cats)
    missing = np.append(bad | empty, True)[codes]
    if spec.type in ("integer", "number"):
        arr = np.append(values, np.nan)[codes]
        if spec.type == "number":
            return pd.Series(arr, index=s.index, dtype="float64")
        ints = np.where(missing, 0, arr).astype("int64")
        return pd.Series(pd.arrays.IntegerArray(ints, missing), index=s.index)
    if spec.type == "boolean":
        vals = np.append(np.where(bad | empty, False, values).astype(bool), False)[codes]
        return pd.Series(pd.arrays.BooleanArray(vals, missing), index=s.index)
    return pd.Series(np.append(values, "").astype(object)[codes], index=s.index, dtype=object)


_EMPTY_TYPED = {"integer": "Int64", "number": "float64", "boolean": "boolean"}


def _empty_column(spec: FieldSpec, index: pd.Index) -> pd.Series:
    if spec.type in _EMPTY_TYPED:
        value = np.nan if spec.type == "number" else pd.NA
        return pd.Series(value, index=index, dtype=_EMPTY_TYPED[spec.type])
    return pd.Series("", index=index, dtype=object)


# --- pandera schemas ------------------------------------------------------------------------


def _text_schema(fields: dict[str, FieldSpec], name: str) -> pa.DataFrameSchema:
    """Stage 1: the raw text of every cell can be read as its column's type."""
    cols = {}
    for spec in fields.values():
        check = pa.Check(
            lambda s, spec=spec: pd.Series(~_invalid(spec, s), index=s.index),
            name="text",
            ignore_na=False,
        )
        cols[spec.name] = pa.Column(None, check, nullable=True, required=True)
    return pa.DataFrameSchema(cols, strict=False, name=f"{name} (text)")


def _column(spec: FieldSpec) -> pa.Column:
    """Stage 2 column: type, requiredness, range, plausibility, uniqueness."""
    checks = []
    lo, hi = spec.lo, spec.hi
    if spec.type in ("string", "category") and spec.required:
        checks.append(pa.Check(_present, name="required", ignore_na=False))
    if spec.unique:
        checks.append(pa.Check(_unique_ids, name="unique", ignore_na=False))
    if spec.choices and spec.type in ("integer", "number"):
        allowed = [float(c) for c in spec.choices]
        checks.append(pa.Check(lambda s, a=allowed: s.astype(float).isin(a), name="range"))
    elif lo is not None and hi is not None:
        checks.append(pa.Check(lambda s, lo=lo, hi=hi: (s >= lo) & (s <= hi), name="range"))
    elif lo is not None:
        checks.append(pa.Check(lambda s, lo=lo: s >= lo, name="range"))
    if spec.type == "category":
        choices = (*spec.choices, "")
        checks.append(pa.Check(lambda s, c=choices: s.isin(c), name="text"))
    if spec.unit in PLAUSIBLE_MAX:
        top = PLAUSIBLE_MAX[spec.unit]
        checks.append(pa.Check(lambda s, top=top: s <= top, name="plausible"))
    dtype = {"integer": "Int64", "number": "float64", "boolean": "boolean"}.get(spec.type, object)
    return pa.Column(
        dtype,
        checks,
        nullable=not spec.required or dtype is object,
        title=spec.name,
        description=spec.meaning,
        metadata={"unit": spec.unit, "type": spec.type, "allowed": spec.allowed},
    )


def cohort_schema() -> pa.DataFrameSchema:
    """The pandera schema of the typed cohort table (columns and :data:`RULES`).

    It validates the DataFrame that :func:`analysis.data.load_cohort` returns; the text of a
    file is checked first by :func:`validate_tables`.
    """
    checks = [pa.Check(r.check, name=r.id, ignore_na=False) for r in RULES]
    cols = {name: _column(spec) for name, spec in COHORT_FIELDS.items()}
    return pa.DataFrameSchema(cols, checks=checks, strict=False, name="cohort")


def ae_schema(cohort: pd.DataFrame | None = None) -> pa.DataFrameSchema:
    """The pandera schema of the typed adverse-event table.

    Parameters
    ----------
    cohort : pandas.DataFrame, optional
        The typed cohort; with it, every ``patient_id`` must exist in it and a grade-5 event
        needs ``os_event`` 1.
    """
    checks = [pa.Check(_one_row_per_event, name="ae_one_row_per_event", ignore_na=False)]
    if cohort is not None:
        ids = set(cohort["patient_id"].to_numpy().tolist())
        checks.append(pa.Check(_in_cohort(ids), name="ae_patient_in_cohort", ignore_na=False))
        checks.append(pa.Check(_grade5_died(cohort), name="ae_grade5_died", ignore_na=False))
    cols = {name: _column(spec) for name, spec in AE_FIELDS.items()}
    return pa.DataFrameSchema(cols, checks=checks, strict=False, name="adverse_events")


# --- reading ---------------------------------------------------------------------------------


class _Unreadable(Exception):
    """The file cannot be read as a table; the message says why and what to do."""


_EMPTY_FILE = "the file is empty: expected a header row and one row per record"
_SAVE_UTF8 = (
    "save it as UTF-8: in Excel 'Save As' > 'CSV UTF-8 (Comma delimited)', in LibreOffice tick "
    "'Edit filter settings' and choose 'Unicode (UTF-8)', or convert it with "
    "`iconv -f <encoding> -t UTF-8 old.csv > new.csv`"
)


def _sniff(path: Path) -> None:
    """Refuse what is not a UTF-8 comma-separated text file before pandas reads it."""
    if not path.exists():
        raise _Unreadable("file not found")
    if path.is_dir():
        raise _Unreadable("this is a directory, not a file")
    with open(path, "rb") as fh:
        head = fh.read(65536)
    if not head.strip(b" \t\r\n\xef\xbb\xbf"):
        raise _Unreadable(_EMPTY_FILE)
    if head.startswith(b"PK\x03\x04"):
        raise _Unreadable(
            "the file is an Excel workbook (or another zip file) named like a CSV; "
            "rename it to .xlsx or export the first sheet as 'CSV UTF-8'"
        )
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or head[:200].count(b"\x00") > 10:
        raise _Unreadable(
            f"the file is UTF-16 text (Excel's 'Unicode Text'), not UTF-8; {_SAVE_UTF8}"
        )
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise _Unreadable("the file is an old Excel .xls workbook; save it as .xlsx or CSV UTF-8")


def _encoding_problem(path: Path, exc: UnicodeDecodeError | None) -> str:
    data = path.read_bytes()
    try:
        data.decode("utf-8")
        pos = exc.start if exc is not None else 0
    except UnicodeDecodeError as err:
        pos = err.start
    row = data.count(b"\n", 0, pos) + 1
    start = data.rfind(b"\n", 0, pos) + 1
    end = data.find(b"\n", pos)
    line = data[start : end if end >= 0 else len(data)].decode("cp1252", errors="replace").strip()
    near = line[max(0, pos - start - 20) : pos - start + 20]
    return (
        f"row {row}: byte 0x{data[pos]:02x} is not UTF-8 text (near '{near}' if read as "
        f"Latin-1/Windows-1252); the file is probably Latin-1, Windows-1252 or GBK; {_SAVE_UTF8}"
    )


def _read_csv(path: Path) -> tuple[pd.DataFrame, list[str]]:
    _sniff(path)
    opts = dict(encoding="utf-8", na_filter=False)
    try:
        header = pd.read_csv(path, header=None, nrows=1, dtype=str, **opts)
        names = [str(x).strip() for x in header.iloc[0]]
        if len(names) == 1 and (";" in names[0] or "\t" in names[0]):
            sep = "semicolons" if ";" in names[0] else "tabs"
            raise _Unreadable(f"the columns are separated by {sep}; save the file with commas")
        key = "patient_id"
        raw = pd.read_csv(
            path,
            header=0,
            dtype=defaultdict(lambda: "category", {key: object}),
            skip_blank_lines=False,
            **opts,
        )
    except UnicodeDecodeError as exc:
        raise _Unreadable(_encoding_problem(path, exc)) from None
    except pd.errors.EmptyDataError:
        raise _Unreadable(_EMPTY_FILE) from None
    except pd.errors.ParserError as exc:
        m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        if m:
            n, row, saw = m.groups()
            raise _Unreadable(
                f"row {row} has {saw} values but the header has {n} columns; a value that "
                "contains a comma must be in double quotes"
            ) from None
        raise _Unreadable(f"not a readable CSV table ({exc})") from None
    raw.columns = names
    raw.index = pd.RangeIndex(2, 2 + len(raw))
    return raw, []


def _header_row(sheet: pd.DataFrame) -> int | None:
    filled = np.flatnonzero((sheet != "").any(axis=1).to_numpy())
    return int(filled[0]) if len(filled) else None


def _has_table(sheet: pd.DataFrame, fields: dict[str, FieldSpec]) -> bool:
    top = _header_row(sheet)
    if top is None:
        return False
    names = {str(x).strip() for x in sheet.iloc[top]}
    return "patient_id" in names and len(names & set(fields)) >= len(fields) / 2


def _read_excel(path: Path, fields: dict[str, FieldSpec]) -> tuple[pd.DataFrame, list[str]]:
    if not path.exists():
        raise _Unreadable("file not found")
    if path.stat().st_size == 0:
        raise _Unreadable("the file is empty (0 bytes): expected an Excel workbook")
    try:
        sheets = pd.read_excel(path, sheet_name=None, header=None, dtype=str, na_filter=False)
    except (zipfile.BadZipFile, ValueError, KeyError, OSError) as exc:
        raise _Unreadable(f"not a readable .xlsx workbook ({exc})") from None
    sheets = {k: v.fillna("").astype(str) for k, v in sheets.items()}
    names = list(sheets)
    first = sheets[names[0]]
    if not _has_table(first, fields):
        elsewhere = [n for n in names[1:] if _has_table(sheets[n], fields)]
        top = _header_row(first)
        if top is None:
            state = f"the first sheet '{names[0]}' is empty"
        else:
            shown = ", ".join(x for x in first.iloc[top] if x)[:80]
            state = f"the first sheet '{names[0]}' does not hold it (its first row: {shown})"
        if elsewhere:
            k = names.index(elsewhere[0]) + 1
            raise _Unreadable(
                f"the table is on sheet '{elsewhere[0]}' (sheet {k} of {len(names)}) but only "
                f"the first sheet is read and {state}; move sheet '{elsewhere[0]}' to the "
                "front, or save it as a file of its own (one table per file)"
            )
        if top is None:
            raise _Unreadable(f"{state} and no other sheet holds the table")
    top = _header_row(first)
    used = first.loc[:, (first != "").any(axis=0)]
    raw = used.iloc[top + 1 :].copy()
    raw.columns = [str(x).strip() for x in used.iloc[top]]
    raw.index = pd.RangeIndex(top + 2, top + 2 + len(raw))
    for c in raw.columns:
        if c != "patient_id":
            raw[c] = raw[c].astype("category")
    return raw, []


def _read(path: Path, fields: dict[str, FieldSpec]) -> pd.DataFrame:
    if path.suffix.lower() in _EXCEL:
        raw, _ = _read_excel(path, fields)
    elif path.suffix.lower() in (".xls", ".ods", ".numbers"):
        raise _Unreadable(f"{path.suffix} files are not read; save the table as .xlsx or CSV UTF-8")
    else:
        raw, _ = _read_csv(path)
    return raw


# --- the checks ------------------------------------------------------------------------------

_IDENTIFIER_TOKENS = {
    "name": "a name", "names": "a name", "firstname": "a name", "lastname": "a name",
    "surname": "a name", "forename": "a name", "fullname": "a name", "initials": "initials",
    "mrn": "a medical record number", "ssn": "a social security number",
    "nric": "a national id", "passport": "a passport number", "phone": "a phone number",
    "telephone": "a phone number", "tel": "a phone number", "mobile": "a phone number",
    "fax": "a fax number", "email": "an e-mail address", "mail": "an e-mail address",
    "address": "an address", "street": "an address", "postcode": "a postal code",
    "zipcode": "a postal code", "zip": "a postal code", "idcard": "a national id",
    "nationalid": "a national id", "hospitalid": "a hospital id",
}  # fmt: skip
_IDENTIFIER_PAIRS = {
    ("national", "id"): "a national id", ("id", "card"): "a national id",
    ("id", "number"): "an id number", ("id", "no"): "an id number",
    ("hospital", "id"): "a hospital id", ("hospital", "number"): "a hospital number",
    ("hospital", "no"): "a hospital number", ("medical", "record"): "a medical record number",
    ("record", "number"): "a record number", ("case", "number"): "a case number",
    ("admission", "number"): "an admission number",
    ("inpatient", "number"): "an admission number",
    ("insurance", "number"): "an insurance number",
    ("social", "security"): "a social security number",
    ("health", "card"): "a health-card number",
}  # fmt: skip
_IDENTIFIER_CJK = {
    "姓名": "a name", "名字": "a name", "身份证": "a national id", "住院号": "a hospital number",
    "病案号": "a medical record number", "病历号": "a medical record number",
    "门诊号": "a hospital number", "电话": "a phone number", "手机": "a phone number",
    "地址": "an address", "邮箱": "an e-mail address",
}  # fmt: skip


def _tokens(name: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return [t for t in re.split(r"[^a-z0-9]+", spaced.lower()) if t]


def identifier_kind(name: str) -> str | None:
    """What direct identifier a column name suggests (``None`` if none)."""
    toks = _tokens(name)
    for t in toks:
        if t in _IDENTIFIER_TOKENS:
            return _IDENTIFIER_TOKENS[t]
    for pair in zip(toks, toks[1:]):
        if pair in _IDENTIFIER_PAIRS:
            return _IDENTIFIER_PAIRS[pair]
    for k, v in _IDENTIFIER_CJK.items():
        if k in name:
            return v
    return None


def _date_name(name: str) -> str | None:
    low = name.lower()
    toks = _tokens(name)
    if "dob" in toks or "birth" in low or "birthday" in low or "出生" in name:
        return "birth"
    if "date" in low or "日期" in name:
        return "date"
    return None


_TO_MONTHS = (
    "replace it with the time in months from the start of blinatumomab (days between the two "
    f"dates / {DAYS_PER_MONTH}, one decimal; e.g. relapse_months) and delete the dates"
)
_TO_AGE = "replace it with age_years (age at the start of blinatumomab) and delete it"


@dataclass
class _Problem:
    order: tuple
    group: tuple
    text: str


class _TableCheck:
    """Read one table, check it in two pandera stages and keep every problem."""

    def __init__(self, path, fields, kind: str):
        self.path = Path(path)
        self.fields = fields
        self.kind = kind
        self.label = _display(self.path)
        self.problems: list[_Problem] = []
        self.warnings: list[str] = []
        self.raw: pd.DataFrame | None = None
        self.typed: pd.DataFrame | None = None
        self.invalid: dict[str, np.ndarray] = {}
        self.missing: set[str] = set()
        self.flagged: set[tuple] = set()  # (row, column) already reported in stage 2

    # reporting helpers
    def file_problem(self, text: str) -> None:
        n = len(self.problems)
        self.problems.append(_Problem((0, n), ("file", n), f"{self.label}: {text}"))

    def _pid(self, row) -> str:
        if self.raw is None or "patient_id" not in self.raw.columns:
            return ""
        pid = str(self.raw.at[row, "patient_id"]).strip() if row in self.raw.index else ""
        return f" (patient_id {pid})" if pid else ""

    def _cell(self, row, column) -> str:
        if self.raw is None or column not in self.raw.columns:
            return ""
        return str(self.raw.at[row, column]).strip()

    def _where(self, row) -> str:
        return f"{self.label}, row {row}{self._pid(row)}"

    def row_problem(self, row, column: str, check: str, text: str) -> None:
        pos = list(self.fields).index(column) if column in self.fields else 999
        self.problems.append(_Problem((1, int(row), pos), (check, column), text))

    # stages
    def read(self) -> bool:
        try:
            raw = _read(self.path, self.fields)
        except _Unreadable as exc:
            self.file_problem(str(exc))
            return False
        names = list(raw.columns)
        if "patient_id" not in names:
            top = raw.iloc[:20].astype(str).apply(lambda c: c.str.strip()).eq("patient_id")
            rows = top.index[top.any(axis=1).to_numpy()]
            if len(rows):
                self.file_problem(
                    f"the header must be the first row, but 'patient_id' is on row {rows[0]}: "
                    "delete the rows above the header"
                )
                return False
        keep = np.ones(len(names), bool)
        seen: dict[str, int] = {}
        for i, name in enumerate(names):
            col = raw.iloc[:, i]
            if name == "" or name.startswith("Unnamed:"):
                keep[i] = False
                filled = col.astype(str).str.strip() != ""
                if filled.any():
                    row = filled.index[filled.to_numpy()][0]
                    self.file_problem(
                        f"column {i + 1} has no name in the header but holds values "
                        f"(row {row}: '{col[row]}'); name it or delete it"
                    )
                continue
            if name in seen:
                keep[i] = False
                self.file_problem(
                    f"column '{name}' appears twice (columns {seen[name] + 1} and {i + 1}); "
                    "keep one"
                )
                continue
            seen[name] = i
        if not keep.all():
            raw = raw.iloc[:, keep]
        filled = np.zeros(len(raw), bool)
        for c in raw.columns:
            filled |= _nonempty(raw[c])
        if not filled.all():
            raw = raw[filled]
        self.raw = raw
        if raw.empty and self.kind == "cohort":
            self.file_problem("the header is there but there are no rows: the cohort is empty")
            return False
        if raw.empty:
            self.warnings.append(
                f"{self.label}: no adverse events (a header without rows): every adverse-event "
                "count will be zero"
            )
        return True

    def privacy_and_extras(self) -> None:
        for c in self.raw.columns:
            if c in self.fields:
                continue
            kind = identifier_kind(c)
            if kind:
                self.file_problem(
                    f"column '{c}' looks like {kind}, a direct identifier: personal "
                    "identifiers are not allowed. Delete the column; patient_id must be a "
                    "study code (such as P01) that only the hospital can link to the person"
                )
                continue
            date = _date_name(c)
            codes, cats = _levels(self.raw[c])
            hits = np.asarray(cats.str.fullmatch(_DATE_VALUE), dtype=bool)
            if date or hits.any():
                if hits.any():
                    row = self.raw.index[np.append(hits, False)[codes]][0]
                    example = f" (row {row}: '{self._cell(row, c)}')"
                else:
                    example = ""
                how = _TO_AGE if date == "birth" else _TO_MONTHS
                self.file_problem(
                    f"column '{c}' holds calendar dates{example}; dates identify patients and "
                    f"are not allowed: {how}"
                )
                continue
            self.warnings.append(
                f"{self.label}: column '{c}' is not in the data dictionary; it is kept as text "
                "and not used by the analysis"
            )

    def stage_text(self) -> None:
        """Stage 1 (pandera, lazy): columns present, text readable as the column's type."""
        try:
            _text_schema(self.fields, self.kind).validate(self.raw, lazy=True, inplace=True)
        except SchemaErrors as exc:
            fc = _failures(exc)
            for _, f in fc[fc["check"] == "column_in_dataframe"].iterrows():
                self.missing.add(str(f["failure_case"]))
            for name in self.fields:
                if name in self.missing:
                    self.missing_problem(name)
            text = fc[fc["check"] == "text"]
            for column, grp in text.groupby("column", sort=False):
                rows = pd.unique(grp["index"])
                self.invalid[column] = self.raw.index.isin(rows)
                for row in sorted(rows):
                    self.text_problem(row, column)
            for _, f in fc[~fc["check"].isin(["column_in_dataframe", "text"])].iterrows():
                self.file_problem(f"check {f['check']} failed: {f['failure_case']}")

    def missing_problem(self, name: str) -> None:
        spec = self.fields[name]
        unit = f", {spec.unit}" if spec.unit else ""
        text = f"missing column '{name}' ({spec.type}{unit}: {spec.meaning})"
        cols = [str(c) for c in self.raw.columns if c not in self.fields]
        close = [c for c in cols if c.lower().strip() == name.lower()]
        close += difflib.get_close_matches(name, cols, n=1, cutoff=0.8)
        if close:
            text += f"; found '{close[0]}': rename it to '{name}'"
        self.file_problem(text)

    def text_problem(self, row, column: str) -> None:
        spec = self.fields[column]
        value = self._cell(row, column)
        if column == "patient_id":
            note = (
                f"'{value}' looks like a phone, id-card, record number or e-mail address; "
                "patient_id must be a study code (such as P01) that only the hospital can link "
                "to the person"
            )
        elif spec.free_text:
            note = (
                f"'{value}' contains a calendar date; dates identify patients and are not "
                "allowed: write times in months from the start of blinatumomab"
            )
        else:
            note = f"'{value}' is not {spec.expected}"
            if _DATE_VALUE.fullmatch(value):
                note = f"'{value}' is a calendar date; expected {spec.expected}: " + _TO_MONTHS
            elif re.fullmatch(r"-?\d+,\d+", value):
                note += " (write decimals with a point, not a comma)"
            elif re.fullmatch(r"-?\d+(?:\.\d+)?\s*[^\d\s.,-].*", value):
                note += " (write the number alone, without a unit or sign)"
            elif spec.type == "boolean":
                note += " (TRUE/FALSE and 1/0 are also accepted)"
        self.row_problem(row, column, "text", f"{self._where(row)}, column '{column}': {note}")

    def build_typed(self) -> None:
        cols = {}
        for name, spec in self.fields.items():
            if name in self.missing:
                cols[name] = _empty_column(spec, self.raw.index)
            else:
                cols[name] = _typed(spec, self.raw[name])
        extra = [c for c in self.raw.columns if c not in self.fields]
        for c in extra:
            cols[c] = self.raw[c].astype(str)
        self.typed = pd.DataFrame(cols, index=self.raw.index, copy=False)

    def _suppressed(self, row, columns) -> bool:
        for c in columns:
            if c in self.missing:
                return True
            bad = self.invalid.get(c)
            if bad is not None and bad[self.raw.index.get_loc(row)]:
                return True
            if (row, c) in self.flagged:
                return True
        return False

    def stage_typed(self, schema: pa.DataFrameSchema, rules: dict[str, tuple]) -> None:
        """Stage 2 (pandera, lazy): values, ranges, uniqueness and the cross-field rules."""
        try:
            schema.validate(self.typed, lazy=True, inplace=True)
        except SchemaErrors as exc:
            fc = _failures(exc)
            dups: dict[str, list] = defaultdict(list)
            for (check, column), grp in fc.groupby(["check", "column"], dropna=False, sort=False):
                column = None if pd.isna(column) else column
                rows = pd.unique(grp["index"].dropna())
                if check in rules:
                    continue
                for row in rows:
                    if self._suppressed(row, [column]):
                        continue
                    if check == "unique":
                        dups[self._cell(row, column)].append(row)
                    else:
                        self.value_problem(row, column, check)
                        self.flagged.add((row, column))
            # wide checks appear once per column in the failure cases: one problem per row
            for check in [c for c in pd.unique(fc["check"]) if c in rules]:
                columns, text = rules[check]
                rows = pd.unique(fc.loc[fc["check"] == check, "index"].dropna())
                for row in sorted(rows):
                    if not self._suppressed(row, columns):
                        self.rule_problem(row, check, columns, text)
            for value, rows in dups.items():
                rows = sorted(rows)
                listed = ", ".join(str(r) for r in rows[:-1]) + f" and {rows[-1]}"
                self.row_problem(
                    rows[0], "patient_id", "unique",
                    f"{self.label}, rows {listed}, column 'patient_id': '{value}' appears "
                    f"{len(rows)} times; expected each patient once (a unique study code)",
                )  # fmt: skip

    def value_problem(self, row, column: str, check: str) -> None:
        spec = self.fields[column]
        value = self._cell(row, column)
        where = f"{self._where(row)}, column '{column}'"
        if check in ("not_nullable", "required"):
            text = f"{where}: empty; expected {spec.expected}"
        elif check == "plausible":
            top = _num(PLAUSIBLE_MAX[spec.unit])
            text = (
                f"{where}: '{value}' is more than {top} {spec.unit}; is it in another unit? "
                f"expected {spec.expected}"
            )
        elif check in ("range", "text"):
            text = f"{where}: '{value}' is out of range; expected {spec.expected}"
        else:
            text = f"{where}: check {check} failed on '{value}'; expected {spec.expected}"
        self.row_problem(row, column, check, text)

    def rule_problem(self, row, rule: str, columns, text: str) -> None:
        if len(columns) == 1:
            where = f"{self._where(row)}, column '{columns[0]}'"
            value = self._cell(row, columns[0])
            self.row_problem(row, columns[0], rule, f"{where}: '{value}' is not {text}")
            return
        shown = ", ".join(f"{c} = {self._cell(row, c) or '(empty)'}" for c in columns)
        self.row_problem(row, columns[0], rule, f"{self._where(row)}: {shown}; expected {text}")

    def result(self) -> pd.DataFrame:
        out = self.typed
        out.index = pd.RangeIndex(len(out))
        return out


def _failures(exc: SchemaErrors) -> pd.DataFrame:
    """pandera's failure cases; a check that crashed is a bug here, not a data problem."""
    fc = exc.failure_cases
    crashed = fc["index"].isna() & (fc["check"] != "column_in_dataframe")
    if crashed.any():
        f = fc[crashed].iloc[0]
        raise RuntimeError(f"check {f['check']} on {f['column']} crashed: {f['failure_case']}")
    return fc


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _format(problems: list[_Problem], max_per_rule: int) -> list[str]:
    shown, counts, out = defaultdict(int), defaultdict(int), []
    for p in sorted(problems, key=lambda p: p.order):
        if p.order[0] == 1:
            counts[p.group] += 1
            if counts[p.group] > max_per_rule:
                continue
            shown[p.group] += 1
        out.append(p.text)
    for group, n in counts.items():
        if n > shown[group]:
            check, column = group
            more = n - shown[group]
            out.append(
                f"... and {more} more row{'s' * (more != 1)} with the same problem ({check}) "
                f"in column '{column}'"
            )
    return out


def _check_table(path, fields, kind, typed_schema, rules, cohort=None) -> _TableCheck:
    t = _TableCheck(path, fields, kind)
    if not t.read():
        return t
    t.privacy_and_extras()
    t.stage_text()
    t.build_typed()
    schema = typed_schema(cohort) if cohort is not None else typed_schema()
    t.stage_typed(schema, rules)
    return t


def validate_tables(cohort_path, ae_path=None, *, max_per_rule: int = MAX_PER_RULE):
    """Read, check and type the cohort (and adverse-event) tables.

    Parameters
    ----------
    cohort_path : str or Path
        The cohort table, CSV (UTF-8) or Excel (.xlsx, first sheet).
    ae_path : str or Path, optional
        The adverse-event table; its ``patient_id`` values must exist in the cohort.
    max_per_rule : int, default 20
        Rows listed per column and rule; the others are counted.

    Returns
    -------
    tuple
        ``(cohort, ae)``: typed DataFrames (``ae`` is ``None`` without ``ae_path``), with
        the types of :func:`analysis.data.parse_cohort`, categories in lower case and text
        stripped; columns not in the dictionary are kept as text.

    Raises
    ------
    ContractError
        Listing every problem of both tables, one line each.

    Warns
    -----
    ContractWarning
        For each column that is not in the data dictionary.
    """
    rules = {r.id: (r.columns, r.text) for r in RULES}
    cohort = _check_table(cohort_path, COHORT_FIELDS, "cohort", lambda: cohort_schema(), rules)
    checks = [cohort]
    ae = None
    if ae_path is not None:
        ae_rules = {k: (_AE_RULE_COLUMNS[k], v) for k, v in AE_RULE_TEXT.items()}
        columns, text = ae_rules["ae_patient_in_cohort"]
        ae_rules["ae_patient_in_cohort"] = (columns, f"{text} ({cohort.label})")
        ref = cohort.typed if cohort.typed is not None else None
        ae = _check_table(ae_path, AE_FIELDS, "adverse_events", ae_schema, ae_rules, ref)
        checks.append(ae)
    problems: list[str] = []
    for t in checks:
        problems += _format(t.problems, max_per_rule)
        for w in t.warnings:
            warnings.warn(w, ContractWarning, stacklevel=2)
    if problems:
        raise ContractError(problems)
    return cohort.result(), (ae.result() if ae is not None else None)


# --- command line ----------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """``python -m analysis.data.contract [--cohort PATH] [--aes PATH]``: exit 1 on problems."""
    parser = argparse.ArgumentParser(
        prog="python -m analysis.data.contract",
        description="Check the cohort and adverse-event tables against the data contract.",
    )
    parser.add_argument("--cohort", type=Path, help="cohort table (default: BOOK_COHORT or "
                        "data/reconstructed/cohort.csv)")  # fmt: skip
    parser.add_argument("--aes", type=Path, help="adverse-event table (default: BOOK_AES or "
                        "data/reconstructed/adverse_events.csv)")  # fmt: skip
    parser.add_argument("--max-per-rule", type=int, default=MAX_PER_RULE,
                        help="rows listed per column and rule (default %(default)s)")  # fmt: skip
    parser.add_argument("--rules", action="store_true", help="print the cross-field rules")
    parser.add_argument("--dictionary", action="store_true", help="print the data dictionary")
    args = parser.parse_args(argv)
    if args.rules or args.dictionary:
        from .dictionary import data_dictionary

        with pd.option_context("display.width", 200, "display.max_colwidth", 90):
            if args.dictionary:
                for table in ("cohort", "adverse_events"):
                    print(f"{table}:\n{data_dictionary(table).to_string(index=False)}\n")
            if args.rules:
                print(rules_table().to_string(index=False))
        return 0
    cohort_path = args.cohort or config.cohort_path()
    ae_path = args.aes or config.adverse_events_path()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ContractWarning)
        try:
            cohort, ae = validate_tables(cohort_path, ae_path, max_per_rule=args.max_per_rule)
        except ContractError as exc:
            n = len(exc.problems)
            print(f"The tables break the data contract ({n} problem{'s' * (n != 1)}):")
            for p in exc.problems:
                print(f"- {p}")
            orphan = any("is not a patient_id of the cohort table" in p for p in exc.problems)
            if orphan and args.aes is None and not os.environ.get("BOOK_AES"):
                print("Hint: the adverse events are the default (reconstructed) table; give "
                      "your own with AES=... (make) or --aes.")  # fmt: skip
            print("The data dictionary: python -m analysis.data.contract --dictionary --rules")
            code = 1
        else:
            code = 0
    for w in caught:
        if issubclass(w.category, ContractWarning):
            print(f"warning: {w.message}")
    if code == 0:
        print(
            f"OK: {_display(Path(cohort_path))} ({len(cohort)} patients) and "
            f"{_display(Path(ae_path))} ({len(ae)} adverse events) meet the data contract"
        )
    return code


if __name__ == "__main__":
    sys.exit(main())
