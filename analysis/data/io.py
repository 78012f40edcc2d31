"""The one reader of table files (CSV, Excel, SAS transport): :func:`read_table` refuses what
it cannot read safely, :func:`convert` types by the dictionary (its everyday spellings only)."""

from __future__ import annotations

import re
import zipfile
from collections import defaultdict
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from .dictionary import AE_FIELDS, COHORT_FIELDS, FieldSpec, message

__all__ = ["Unreadable", "convert", "parse_adverse_events", "parse_cohort", "read_table",
           "to_csv_text"]  # fmt: skip

_EXCEL = (".xlsx", ".xlsm")


class Unreadable(Exception):
    """The file cannot be read as a table; the message says why and what to do."""

    def __init__(self, key: str, **kw):
        super().__init__(message(key, **kw))


def split_sheet(path) -> tuple[Path, str]:
    """``book.xlsx#cohort`` -> (``book.xlsx``, ``cohort``); other paths have no sheet."""
    head, sep, sheet = str(path).rpartition("#")
    ok = sep and Path(head).suffix.lower() in _EXCEL
    return (Path(head), sheet) if ok else (Path(str(path)), "")


def read_table(path, fields: dict[str, FieldSpec] = COHORT_FIELDS) -> pd.DataFrame:
    """A CSV, Excel (``file.xlsx#sheet``) or ``.xpt`` file as text, rows numbered as in a sheet."""
    path, sheet = split_sheet(path)
    suffix = path.suffix.lower()
    if not path.exists() or path.is_dir():
        raise Unreadable("directory" if path.exists() else "not_found")
    if suffix in (".xls", ".ods", ".numbers"):
        raise Unreadable("suffix", suffix=suffix)
    if suffix in _EXCEL:
        return _read_excel(path, sheet, fields)
    return _read_xpt(path) if suffix == ".xpt" else _read_csv(path)


def _read_csv(path: Path) -> pd.DataFrame:
    with open(path, "rb") as fh:
        head = fh.read(65536)
    utf16 = head.startswith((b"\xff\xfe", b"\xfe\xff")) or head[:200].count(0) > 10
    for test, key in ((not head.strip(b" \t\r\n\xef\xbb\xbf"), "empty_file"),
                      (head.startswith(b"PK\x03\x04"), "zip_as_csv"), (utf16, "utf16"),
                      (head.startswith(b"\xd0\xcf\x11\xe0"), "old_xls")):  # fmt: skip
        if test:
            raise Unreadable(key)
    opts = dict(encoding="utf-8", na_filter=False)
    try:
        header = pd.read_csv(path, header=None, nrows=1, dtype=str, **opts).iloc[0]
        names = [str(x).strip() for x in header]
        if len(names) == 1 and (";" in names[0] or "\t" in names[0]):
            raise Unreadable("separator", sep="semicolons" if ";" in names[0] else "tabs")
        dtype = defaultdict(lambda: "category", {"patient_id": object})
        raw = pd.read_csv(path, header=0, dtype=dtype, skip_blank_lines=False, **opts)
    except UnicodeDecodeError:
        raise _encoding_problem(path) from None
    except pd.errors.EmptyDataError:
        raise Unreadable("empty_file") from None
    except pd.errors.ParserError as exc:
        if m := re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc)):
            raise Unreadable("fields", n=m[1], row=m[2], saw=m[3]) from None
        raise Unreadable("unreadable", what="CSV table", exc=exc) from None
    raw.columns, raw.index = names, pd.RangeIndex(2, 2 + len(raw))
    return raw


def _encoding_problem(path: Path) -> Unreadable:
    data = path.read_bytes()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as err:  # pandas decodes in chunks: find the byte in the file
        pos = err.start
    start, end = data.rfind(b"\n", 0, pos) + 1, data.find(b"\n", pos)
    line = data[start : end if end >= 0 else None].decode("cp1252", errors="replace").strip()
    near = line[max(0, pos - start - 20) : pos - start + 20]
    return Unreadable("encoding", row=data.count(b"\n", 0, pos) + 1, byte=data[pos], near=near)


def _top(sheet: pd.DataFrame) -> int | None:
    filled = np.flatnonzero((sheet != "").any(axis=1).to_numpy())
    return int(filled[0]) if len(filled) else None


def _has_table(sheet: pd.DataFrame, fields) -> bool:
    names = set() if _top(sheet) is None else {str(x).strip() for x in sheet.iloc[_top(sheet)]}
    return "patient_id" in names and len(names & set(fields)) >= len(fields) / 2


def _read_excel(path: Path, sheet: str, fields) -> pd.DataFrame:
    if path.stat().st_size == 0:
        raise Unreadable("empty_workbook")
    try:
        sheets = pd.read_excel(path, sheet_name=None, header=None, dtype=str, na_filter=False)
    except (zipfile.BadZipFile, ValueError, KeyError, OSError) as exc:
        raise Unreadable("unreadable", what=".xlsx workbook", exc=exc) from None
    sheets = {k: v.fillna("").astype(str) for k, v in sheets.items()}
    names, notes = list(sheets), []
    if sheet and sheet not in sheets:
        raise Unreadable("no_sheet", sheet=sheet, sheets=", ".join(names))
    first, top = sheets[sheet or names[0]], _top(sheets[sheet or names[0]])
    if not sheet and not _has_table(first, fields):
        shown = "" if top is None else ", ".join(x for x in first.iloc[top] if x)[:80]
        key = "sheet_empty" if top is None else "sheet_other"
        state = message(key, sheet=names[0], shown=shown)
        for k, other in [(k, n) for k, n in enumerate(names) if _has_table(sheets[n], fields)][:1]:
            kw = dict(sheet=other, k=k + 1, n=len(names), state=state, name=path.name)
            raise Unreadable("other_sheet", **kw)
        if top is None:
            raise Unreadable("no_table", state=state)
    elif not sheet and len(names) > 1:
        notes.append(message("first_sheet", n=len(names), sheet=names[0], name=path.name))
    used = first.loc[:, (first != "").any(axis=0)]
    raw = used.iloc[(top or 0) + 1 :].astype("category")
    raw.columns = [str(x).strip() for x in used.iloc[top or 0]]
    raw.index, raw.attrs["notes"] = pd.RangeIndex((top or 0) + 2, (top or 0) + 2 + len(raw)), notes
    return raw


def _read_xpt(path: Path) -> pd.DataFrame:
    import pyreadstat

    try:
        df, _ = pyreadstat.read_xport(str(path))
    except Exception as exc:  # pyreadstat raises its own error types
        raise Unreadable("unreadable", what="SAS transport (.xpt) file", exc=exc) from None
    text = {c: df[c].map(lambda x: f"{x:.10g}" if x == x else "") if df[c].dtype.kind == "f"
            else df[c].fillna("").astype(str) for c in df}  # fmt: skip
    return pd.DataFrame(text, dtype="category").set_axis(pd.RangeIndex(1, 1 + len(df)))


def levels(s: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Integer codes and distinct stripped texts of a raw column (code -1: missing)."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        codes, cats = s.cat.codes.to_numpy(), s.cat.categories
    else:
        codes, cats = pd.factorize(s.fillna("").astype(str), use_na_sentinel=True)
    return codes, pd.Index(pd.Index(cats).astype(str)).str.strip()


def parse_levels(spec: FieldSpec, cats: pd.Index) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Value, invalid flag and empty flag of each distinct text of a column."""
    empty = np.asarray(cats == "", dtype=bool)
    if spec.type in ("integer", "number"):
        filled = cats[~empty]
        if filled.str.contains(",").any() and filled.str.fullmatch(r"-?\d+(?:,\d+)?").all():
            cats = cats.str.replace(",", ".")  # a decimal comma throughout the column
        values = pd.to_numeric(pd.Series(cats, dtype=object), errors="coerce").to_numpy(float)
        with np.errstate(invalid="ignore"):
            whole = (spec.type == "number") | (values == np.round(values))
        bad = ~empty & ~(np.isfinite(values) & whole)
        return np.where(bad | empty, np.nan, values), bad, empty
    if spec.codes:
        mapped = pd.Series(cats.str.lower(), dtype=object).map(spec.codes)
        bad = ~empty & mapped.isna().to_numpy()
        return np.where(bad | empty, "", mapped.to_numpy(dtype=object)), bad, empty
    return np.asarray(cats, dtype=object), np.zeros(len(cats), bool), empty


def joined(values: np.ndarray) -> str:
    """The cells of a text column in one string (a search then scans them in one pass)."""
    try:
        return "\x00".join(values.tolist())
    except TypeError:  # a cell that is not text
        return "\x00".join(map(str, values.tolist()))


def strip(values: np.ndarray) -> np.ndarray:
    """Text cells without surrounding spaces (the same array if none has any)."""
    text = joined(values)
    if not any(w in text for w in " \t\r\n\v\f\xa0\u3000"):
        return values
    return np.array([str(x).strip() for x in values], dtype=object)


def convert(spec: FieldSpec, s: pd.Series, refuse=None) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """A raw column typed; which cells are invalid (or ``refuse``d), which empty."""
    if spec.type == "string" and not isinstance(s.dtype, pd.CategoricalDtype):
        values = strip(s.to_numpy(dtype=object))
        bad = refuse(values) if refuse else np.zeros(len(s), bool)
        return pd.Series(values, index=s.index, dtype=object), bad, values == ""
    codes, cats = levels(s)
    values, bad, empty = parse_levels(spec, cats)
    if spec.families:  # one spelling per column: the other spellings are refused
        family = pd.Series(cats.str.lower(), dtype=object).map(spec.families).to_numpy(float)
        count = np.bincount(codes[codes >= 0], minlength=len(cats))
        used = ~np.isnan(family) & (count > 0)
        if len(kinds := set(family[used])) > 1:
            bad = bad | used & (family != max(kinds, key=lambda k: count[family == k].sum()))
    bad = bad | refuse(cats) if refuse else bad
    bad, empty = np.append(bad, False), np.append(empty, True)  # code -1: missing
    invalid, blank = (a[codes] if a.any() else np.zeros(len(codes), bool) for a in (bad, empty))
    if spec.type == "number":
        out = np.append(values, np.nan)[codes]
    elif spec.type == "integer":
        ints = np.append(np.nan_to_num(values).astype("int64"), 0)[codes]
        out = pd.arrays.IntegerArray(ints, invalid | blank)
    elif spec.type == "boolean":
        truth = np.array([v is True for v in values] + [False])
        out = pd.arrays.BooleanArray(truth[codes], invalid | blank)
    else:
        out = np.append(values, "").astype(object)[codes]
    return pd.Series(out, index=s.index), invalid, blank


def empty_column(spec: FieldSpec, index: pd.Index) -> pd.Series:
    """A column of missing values of the dictionary's type (``""`` for text)."""
    dtype = {"integer": "Int64", "number": "float64", "boolean": "boolean"}.get(spec.type, object)
    return pd.Series({"float64": np.nan, object: ""}.get(dtype, pd.NA), index, dtype)


def parse_cohort(raw: pd.DataFrame, fields=COHORT_FIELDS) -> pd.DataFrame:
    """A table of text in the dictionary's types, without validation (invalid cells missing)."""
    cols = {c: convert(fields[c], raw[c])[0] if c in fields else raw[c].astype(str) for c in raw}
    return pd.DataFrame(cols).reset_index(drop=True)


#: :func:`parse_cohort` for the adverse-event table.
parse_adverse_events = partial(parse_cohort, fields=AE_FIELDS)


def _cell(column: str, value) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if column in COHORT_FIELDS and COHORT_FIELDS[column].type == "number":
        return f"{float(value):.1f}"
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def to_csv_text(df: pd.DataFrame) -> str:
    """CSV text with ``true``/``false`` booleans, empty missing values and one decimal."""
    out = pd.DataFrame({c: [_cell(c, v) for v in df[c]] for c in df})
    return out.to_csv(index=False, lineterminator="\n")
