"""CDISC ADaM: ADSL, ADTTE and ADAE read as the book's two tables, and written from them.

The variables are those of ``adam`` in ``dictionary.yml``: ADSL one row per subject (flags
Y/N), ADTTE the OS and RFS records (PARAMCD, AVAL in the unit of AVALU, CNSR 1 = censored),
ADAE one row per event.  :func:`export` writes the analysed tables (``make adam``) in the
same variables, so that reading the export gives them back.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from .. import config
from ..config import DAYS_PER_MONTH
from .dictionary import load, message
from .io import levels

__all__ = ["column_map", "datasets", "export", "find", "survival"]


def find(directory) -> dict[str, Path | None]:
    """The ADSL, ADTTE and ADAE files of a directory (``.csv`` or ``.xpt``, any letter case)."""
    paths = sorted(Path(directory).iterdir())
    files = {p.stem.lower(): p for p in paths if p.suffix.lower() in (".csv", ".xpt")}
    return {name: files.get(name) for name in ("adsl", "adtte", "adae")}


def _variables(entry: dict) -> list[str]:
    return [v for v in entry.get("adam", "").split(" or ") if re.fullmatch(r"\w+", v)]


def column_map(table: str, header) -> dict[str, str]:
    """Upper-case variable of ``header`` -> the book's column: the book's own name, else the
    first of its ADaM variables present (``AETERM or AEDECOD``)."""
    present = [str(h).upper() for h in header]
    out = {}
    for e in load()[table]:
        names = [v for v in [e["name"].upper(), *_variables(e)] if v in present]
        out.update({names[0]: e["name"]} if names else {})
    return out


def _text(raw: pd.DataFrame, name: str) -> np.ndarray:
    codes, cats = levels(raw[name])
    return np.append(np.asarray(cats, dtype=object), "")[codes]


def survival(raw: pd.DataFrame, ids: np.ndarray) -> tuple[dict, dict, list, list]:
    """The OS and RFS columns of the cohort, as text aligned with ``ids``, from ADTTE.

    Returns ``(columns, reported, problems, notes)``: {column: text}, {column: cells whose
    problem is reported here}, ``(row, variable, text)`` (``row`` None: the whole file), notes.
    """
    spec, n, names = load()["adam"], len(ids), {str(c).upper(): c for c in raw.columns}
    columns = {c: np.full(n, "", dtype=object) for p in spec["parameters"].values() for c in p}
    reported = {c: np.zeros(n, bool) for c in columns}
    problems = [(None, v, message("adam_variable", var=v, what=w))
                for v, w in spec["variables"].items() if v not in names]  # fmt: skip
    if problems:
        return columns, {c: ~r for c, r in reported.items()}, problems, []
    uid, aval, cnsr, param = (_text(raw, names[v]) for v in ("USUBJID", "AVAL", "CNSR", "PARAMCD"))
    days, rows = {k: v or DAYS_PER_MONTH for k, v in spec["units"].items()}, raw.index.to_numpy()
    unit = _text(raw, names["AVALU"]) if "AVALU" in names else np.full(len(raw), "MONTHS", object)
    factor = pd.Series(unit).str.upper().map(days).to_numpy(dtype=float) / DAYS_PER_MONTH
    problems = [(r, "AVALU", message("adam_unit", row=r, value=u, units=", ".join(days)))
                for r, u in zip(rows[np.isnan(factor)], unit[np.isnan(factor)])]  # fmt: skip
    first = pd.Series(np.arange(n), index=ids)
    first = first[~first.index.duplicated()]
    for code, (time_col, event_col) in spec["parameters"].items():
        sel = pd.Series(param).str.upper().to_numpy() == code
        if code == "OS" and not sel.any():
            problems.append((None, "PARAMCD", message("adam_paramcd", param=code, what=time_col)))
            reported[time_col][:] = reported[event_col][:] = True
        pos = first.reindex(uid[sel]).to_numpy(dtype=float)
        r, u, c, f, known = rows[sel], uid[sel], cnsr[sel], factor[sel], ~np.isnan(pos)
        problems += [(x, "USUBJID", message("adam_subject", row=x, id=i))
                     for x, i in zip(r[~known], u[~known])]  # fmt: skip
        twice = pd.Series(u).duplicated(keep=False).to_numpy() & known
        for i, g in pd.Series(r[twice]).groupby(u[twice], sort=False):
            listed = ", ".join(map(str, g.iloc[:-1])) + f" and {g.iloc[-1]}"
            problems += [
                (g.iloc[0], "PARAMCD", message("adam_twice", rows=listed, id=i, param=code))
            ]
        bad_c = (c != "0") & (c != "1")
        problems += [(x, "CNSR", message("adam_cnsr", row=x, id=i, value=v))
                     for x, i, v in zip(r[bad_c], u[bad_c], c[bad_c])]  # fmt: skip
        time = aval[sel]
        if (f != 1).any():  # AVAL in days, weeks or years
            number = pd.to_numeric(pd.Series(time), errors="coerce").to_numpy() * f
            time = np.where(np.isfinite(number), np.char.mod("%.10g", number), time)
        ok, at = known & ~twice, pos[known & ~twice].astype(int)
        for col, text, bad in (
            (time_col, time, np.isnan(f)),
            (event_col, np.where(c == "1", "0", "1"), bad_c),
        ):
            columns[col][at], reported[col][at] = text[ok], bad[ok]
            reported[col][pos[twice].astype(int)] = True
    return columns, reported, problems, [] if "AVALU" in names else [message("adam_no_unit")]


def _flag(s: pd.Series) -> np.ndarray:
    return np.select([s.fillna(False).to_numpy(bool), s.notna().to_numpy()], ["Y", "N"], "")


def datasets(cohort: pd.DataFrame, ae: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """ADSL, ADTTE and ADAE of the analysed tables (a column not recorded is left out).

    ADTTE: PARAMCD OS and RFS (patients in CR), AVAL in months, CNSR 1 = censored, EVNTDESC;
    ADAE: AETERM as recorded, AEDECOD and AEBODSYS coded by ``analysis/paper/ae_terms.yml``.
    """
    spec, x, skip = load()["adam"], load()["adam"]["export"], cohort.attrs.get("not_recorded", ())
    study = {"STUDYID": x["studyid"]}
    adsl = pd.DataFrame({**study, "USUBJID": cohort["patient_id"], **x["adsl"]})
    for e in [e for e in load()["cohort"][1:] if _variables(e) and e["name"] not in skip]:
        s = cohort[e["name"]].replace(x["values"].get(e["name"], {}))
        adsl[_variables(e)[0]] = _flag(s) if e["type"] == "boolean" else s
    tte = []
    for code, (time, event) in spec["parameters"].items():
        d = cohort[cohort[time].notna()]
        e, relapse = d[event].astype(int).to_numpy(), d["relapse"].fillna(False).to_numpy(bool)
        kind = np.select([e == 0, relapse & (code == "RFS")], ["censored", "relapse"], "event")
        tte.append(pd.DataFrame({**study, "USUBJID": d["patient_id"], "PARAMCD": code,
            "PARAM": x["param"][code], "AVAL": d[time].astype(float), "AVALU": "MONTHS",
            "CNSR": 1 - e, "EVNTDESC": [x["evntdesc"][code][k] for k in kind]}))  # fmt: skip
    terms = yaml.safe_load((config.PAPER_DIR / "ae_terms.yml").read_text(encoding="utf-8"))["terms"]
    pt = {w.lower(): t["pt"] for t in terms for w in [t["pt"], *t["verbatim"]]}
    decod, soc = ae["event"].str.strip().str.lower().map(pt), {t["pt"]: t["soc"] for t in terms}
    adae = pd.DataFrame({**study, "USUBJID": ae["patient_id"], "AETERM": ae["event"],
        "AEDECOD": decod.fillna(""), "AEBODSYS": decod.map(soc).fillna(""),
        "ATOXGR": ae["grade"].astype(str), "AEACN": ae["action"].replace(x["values"]["action"]),
        **x["adae"]})  # fmt: skip
    out = {"adsl": adsl, "adtte": pd.concat(tte), "adae": adae}
    return {k: d.reset_index(drop=True) for k, d in out.items()}


def _labels() -> dict[str, tuple[str, str]]:
    """ADaM variable -> (label of at most 40 characters, description)."""
    out = {k: tuple(v) for k, v in load()["adam"]["export"]["variables"].items()}
    for e in [e for e in load()["cohort"] + load()["adverse_events"] if _variables(e)]:
        text = (e.get("label", e["meaning"]), f"{e['meaning']} (column {e['name']})")
        out.setdefault(_variables(e)[0], text)
    return out


def _fields(d: pd.DataFrame, labels: dict) -> list[dict]:
    kind, labels = {"i": "integer", "f": "number"}, {v: (v, v) for v in d.columns} | labels
    return [{"name": v, "title": labels[v][0], "description": labels[v][1],
             "type": kind.get(d[v].dtype.kind, "string")} for v in d.columns]  # fmt: skip


def export(cohort: pd.DataFrame, ae: pd.DataFrame, out) -> list[Path]:
    """Write ADSL, ADTTE, ADAE as CSV and SAS transport v5 (``.xpt``), ``dictionary.csv`` and a
    frictionless ``datapackage.json`` into ``out`` (unless equal files are there already)."""
    import pyreadstat

    out, tables, labels, spec = Path(out), datasets(cohort, ae), _labels(), load()["adam"]["export"]
    texts = {f"{k}.csv": d.to_csv(index=False, lineterminator="\n") for k, d in tables.items()}
    rows = [(k.upper(), f["name"], f["title"], f["type"], f["description"])
            for k, d in tables.items() for f in _fields(d, labels)]  # fmt: skip
    rows = pd.DataFrame(rows, columns=["dataset", "variable", "label", "type", "description"])
    texts["dictionary.csv"] = rows.to_csv(index=False, lineterminator="\n")
    resources = [{"name": k, "path": f"{k}.csv", "format": "csv", "mediatype": "text/csv",
                  "schema": {"fields": _fields(d, labels), **spec["keys"].get(k, {})}}
                 for k, d in {**tables, "dictionary": rows}.items()]  # fmt: skip
    package = json.dumps({**spec["package"], "resources": resources}, indent=2, ensure_ascii=False)
    texts["datapackage.json"] = package + "\n"
    paths = [out / name for name in [*texts, *(f"{k}.xpt" for k in tables)]]
    if all(p.is_file() for p in paths) and all((out / k).read_text() == texts[k] for k in texts):
        return paths
    out.mkdir(parents=True, exist_ok=True)
    for name, text in texts.items():
        (out / name).write_text(text, encoding="utf-8")
    for name, d in tables.items():
        kw = dict(table_name=name.upper(), column_labels=[labels[v][0] for v in d])
        d = d.astype({v: float for v in d.columns if d[v].dtype.kind == "i"})  # SAS: all doubles
        pyreadstat.write_xport(d, str(out / f"{name}.xpt"), file_format_version=5, **kw)
    return paths


if __name__ == "__main__":  # python -m analysis.data.adam [directory]: the book's tables
    from . import load_tables

    directory = Path(sys.argv[1] if len(sys.argv) > 1 else config.BUILD_DIR / "adam")
    print(f"ADaM datasets: {len(export(*load_tables(), directory))} files in {directory}")
