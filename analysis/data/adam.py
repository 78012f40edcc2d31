"""ADaM input: a directory with ADSL and ADTTE (and ADAE) read as the book's two tables.

ADSL gives one row per subject, from the variables the dictionary names (``adam`` in
``dictionary.yml``: ``USUBJID``, ``SEX``, ``AGE``, flags such as ``CRFL`` with Y/N) or the
book's own column names; ADTTE gives OS and RFS (PARAMCD ``OS``, ``RFS``) from AVAL, in the
unit of AVALU, and CNSR; ADAE the adverse events (AEDECOD, ATOXGR, AEACN).  The converted
tables pass the same contract as the two-table layout; other variables are not read.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..config import DAYS_PER_MONTH
from .dictionary import load, message
from .io import levels

__all__ = ["column_map", "find", "survival"]


def find(directory) -> dict[str, Path | None]:
    """The ADSL, ADTTE and ADAE files of a directory (``.csv`` or ``.xpt``, any letter case)."""
    paths = sorted(Path(directory).iterdir())
    files = {p.stem.lower(): p for p in paths if p.suffix.lower() in (".csv", ".xpt")}
    return {name: files.get(name) for name in ("adsl", "adtte", "adae")}


def column_map(table: str) -> dict[str, str]:
    """Upper-case ADaM variable (or the book's own name) -> the book's column."""
    entries = load()[table]
    out = {e["name"].upper(): e["name"] for e in entries}
    out.update({e["adam"]: e["name"] for e in entries if re.fullmatch(r"\w+", e.get("adam", ""))})
    return out


def _text(raw: pd.DataFrame, name: str) -> np.ndarray:
    codes, cats = levels(raw[name])
    return np.append(np.asarray(cats, dtype=object), "")[codes]


def survival(raw: pd.DataFrame, ids: np.ndarray) -> tuple[dict, dict, list, list]:
    """The OS and RFS columns of the cohort, as text aligned with ``ids``, from ADTTE.

    Returns ``(columns, reported, problems, notes)``: {column: text}, {column: cells whose
    problem is reported here, so that the contract does not report it again}, a list of
    ``(row, variable, text)`` (``row`` None for the whole file), and notes for warnings.
    """
    spec, n = load()["adam"], len(ids)
    names = {str(c).upper(): c for c in raw.columns}
    columns = {
        c: np.full(n, "", dtype=object) for pair in spec["parameters"].values() for c in pair
    }
    reported = {c: np.zeros(n, bool) for c in columns}
    problems = [(None, v, message("adam_variable", var=v, what=w))
                for v, w in spec["variables"].items() if v not in names]  # fmt: skip
    if problems:
        return columns, {c: ~r for c, r in reported.items()}, problems, []
    uid, aval, cnsr, param = (_text(raw, names[v]) for v in ("USUBJID", "AVAL", "CNSR", "PARAMCD"))
    rows, notes, factor = raw.index.to_numpy(), [], np.ones(len(raw))
    if "AVALU" in names:
        unit, days = (
            _text(raw, names["AVALU"]),
            {k: v or DAYS_PER_MONTH for k, v in spec["units"].items()},
        )
        factor = pd.Series(unit).str.upper().map(days).to_numpy(dtype=float) / DAYS_PER_MONTH
        for row, u in zip(rows[np.isnan(factor)], unit[np.isnan(factor)]):
            problems.append(
                (row, "AVALU", message("adam_unit", row=row, value=u, units=", ".join(days)))
            )
    else:
        notes.append(message("adam_no_unit"))
    first = pd.Series(np.arange(n), index=ids)
    first = first[~first.index.duplicated()]
    for code, (time_col, event_col) in spec["parameters"].items():
        sel = pd.Series(param).str.upper().to_numpy() == code
        if code == "OS" and not sel.any():
            problems.append((None, "PARAMCD", message("adam_paramcd", param=code, what=time_col)))
            reported[time_col][:] = reported[event_col][:] = True
        pos = first.reindex(uid[sel]).to_numpy(dtype=float)
        r, u, c, f, known = rows[sel], uid[sel], cnsr[sel], factor[sel], ~np.isnan(pos)
        problems += [
            (row, "USUBJID", message("adam_subject", row=row, id=i))
            for row, i in zip(r[~known], u[~known])
        ]
        twice = pd.Series(u).duplicated(keep=False).to_numpy() & known
        for i, group in pd.Series(r[twice]).groupby(u[twice], sort=False):
            listed = ", ".join(map(str, group.iloc[:-1])) + f" and {group.iloc[-1]}"
            problems.append(
                (group.iloc[0], "PARAMCD", message("adam_twice", rows=listed, id=i, param=code))
            )
        bad_c = (c != "0") & (c != "1")
        problems += [
            (row, "CNSR", message("adam_cnsr", row=row, id=i, value=v))
            for row, i, v in zip(r[bad_c], u[bad_c], c[bad_c])
        ]
        time = aval[sel]
        if (f != 1).any():  # AVAL in days, weeks or years
            number = pd.to_numeric(pd.Series(time), errors="coerce").to_numpy() * f
            time = np.where(np.isfinite(number), np.char.mod("%.10g", number), time)
        ok, at = known & ~twice, pos[known & ~twice].astype(int)
        for col, values, bad in (
            (time_col, time, np.isnan(f)),
            (event_col, np.where(c == "1", "0", "1"), bad_c),
        ):
            columns[col][at], reported[col][at] = values[ok], bad[ok]
            reported[col][pos[twice].astype(int)] = True
    return columns, reported, problems, notes
