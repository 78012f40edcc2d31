"""CDISC ADaM (``adam`` in ``dictionary.yml``): ADSL, ADTTE and ADAE read as the book's two
tables, and made from them (:func:`datasets`; ``make adam`` writes them) in the same variables."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from .. import config
from ..config import DAYS_PER_MONTH
from .dictionary import load, message
from .io import levels

__all__ = ["column_map", "datasets", "find", "survival", "variables"]


def find(directory) -> dict[str, Path | None]:
    """The ADSL, ADTTE and ADAE files of a directory (``.csv`` or ``.xpt``, any letter case)."""
    files = {p.stem.lower(): p for p in sorted(Path(directory).iterdir())}
    files = {k: p for k, p in files.items() if p.suffix.lower() in (".csv", ".xpt")}
    return {name: files.get(name) for name in ("adsl", "adtte", "adae")}


def variables(entry: dict) -> list[str]:
    """The ADaM variables a dictionary entry is read from (``AETERM or AEDECOD``)."""
    return [v for v in entry.get("adam", "").split(" or ") if re.fullmatch(r"\w+", v)]


def column_map(table: str, header) -> dict[str, str]:
    """Upper-case variable of ``header`` -> the book's column (its name, or its ADaM variable)."""
    present, out = [str(h).upper() for h in header], {}
    for e in load()[table]:
        names = [v for v in [e["name"].upper(), *variables(e)] if v in present]
        out.update({names[0]: e["name"]} if names else {})
    return out


def _text(raw: pd.DataFrame, name: str) -> np.ndarray:
    codes, cats = levels(raw[name])
    return np.append(np.asarray(cats, dtype=object), "")[codes]


def survival(raw: pd.DataFrame, ids: np.ndarray) -> tuple[dict, dict, list, list]:
    """OS and RFS text columns from ADTTE aligned with ``ids``: columns, bad, problems, notes."""
    spec, n, names = load()["adam"], len(ids), {str(c).upper(): c for c in raw.columns}
    columns = {c: np.full(n, "", dtype=object) for p in spec["parameters"].values() for c in p}
    bad = {c: np.zeros(n, bool) for c in columns}
    problems = [(None, v, message("adam_variable", var=v, what=w))
                for v, w in spec["variables"].items() if v not in names]  # fmt: skip
    if problems:
        return columns, {c: ~b for c, b in bad.items()}, problems, []
    used = [v for v in [*spec["variables"], "AVALU"] if v in names]
    t = pd.DataFrame({v: _text(raw, names[v]) for v in used}, index=raw.index)
    t["PARAMCD"] = t["PARAMCD"].str.upper()
    days = {k: (v or DAYS_PER_MONTH) / DAYS_PER_MONTH for k, v in spec["units"].items()}
    factor = t.get("AVALU", pd.Series("MONTHS", t.index)).str.upper().map(days)
    problems = [(r, "AVALU", message("adam_unit", row=r, value=u, units=", ".join(days)))
                for r, u in t.loc[factor.isna(), "AVALU"].items()]  # fmt: skip
    pos = pd.Series(np.arange(n), index=ids)
    t = t[t["PARAMCD"].isin(spec["parameters"])].assign(pos=t["USUBJID"].map(
        pos[~pos.index.duplicated()]))  # fmt: skip
    if not (t["PARAMCD"] == "OS").any():
        problems.append((None, "PARAMCD", message("adam_paramcd", param="OS", what="os_months")))
        bad["os_months"][:] = bad["os_event"][:] = True
    problems += [(r, "USUBJID", message("adam_subject", row=r, id=i))
                 for r, i in t.loc[t["pos"].isna(), "USUBJID"].items()]  # fmt: skip
    t = t[t["pos"].notna()].assign(twice=lambda d: d.duplicated(["USUBJID", "PARAMCD"], False))
    for (i, code), g in t[t["twice"]].groupby(["USUBJID", "PARAMCD"], sort=False):
        rows = ", ".join(map(str, g.index[:-1])) + f" and {g.index[-1]}"
        problems.append((g.index[0], "PARAMCD", message("adam_twice", rows=rows, id=i, param=code)))
    cnsr = ~t["CNSR"].isin(["0", "1"])
    problems += [(r, "CNSR", message("adam_cnsr", row=r, id=i, value=v))
                 for r, i, v in t.loc[cnsr, ["USUBJID", "CNSR"]].itertuples()]  # fmt: skip
    f, time = factor.reindex(t.index), t["AVAL"]
    if (f != 1).any():  # AVAL in days, weeks or years
        number = pd.to_numeric(time, errors="coerce") * f
        time = time.where(~np.isfinite(number), number.map("{:.10g}".format))
    event, unit = np.where(t["CNSR"] == "1", "0", "1"), f.isna()
    for code, cols in spec["parameters"].items():
        sel, ok = (t["PARAMCD"] == code).to_numpy(), ~t["twice"].to_numpy()
        at = t["pos"].to_numpy()[sel].astype(int)
        for col, text, b in zip(cols, (time.to_numpy(), event), (unit.to_numpy(), cnsr.to_numpy())):
            columns[col][at[ok[sel]]], bad[col][at] = text[sel & ok], ~ok[sel] | b[sel]
    return columns, bad, problems, [] if "AVALU" in names else [message("adam_no_unit")]


def datasets(cohort: pd.DataFrame, ae: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """ADSL, ADTTE (OS; RFS of the patients in CR) and ADAE of the analysed tables."""
    spec, x, skip = load()["adam"], load()["adam"]["export"], cohort.attrs.get("not_recorded", ())
    study = {"STUDYID": x["studyid"]}
    adsl = pd.DataFrame({**study, "USUBJID": cohort["patient_id"], **x["adsl"]})
    for e in [e for e in load()["cohort"][1:] if variables(e) and e["name"] not in skip]:
        s = cohort[e["name"]].replace(x["values"].get(e["name"], {}))
        if e["type"] == "boolean":  # Y, N or empty
            s = np.select([s.fillna(False).to_numpy(bool), s.notna().to_numpy()], ["Y", "N"], "")
        adsl[variables(e)[0]] = s
    tte = []
    for code, (time, event) in spec["parameters"].items():
        d = cohort[cohort[time].notna()]
        e, relapse = d[event].astype(int).to_numpy(), d["relapse"].fillna(False).to_numpy(bool)
        kind = np.select([e == 0, relapse & (code == "RFS")], ["censored", "relapse"], "event")
        tte.append(pd.DataFrame({**study, "USUBJID": d["patient_id"], "PARAMCD": code,
            "PARAM": x["param"][code], "AVAL": d[time].astype(float), "AVALU": "MONTHS",
            "CNSR": 1 - e, "EVNTDESC": [x["evntdesc"][code][k] for k in kind]}))  # fmt: skip
    terms = yaml.safe_load(config.AE_TERMS_PATH.read_text(encoding="utf-8"))["terms"]
    pt = {w.lower(): t["pt"] for t in terms for w in [t["pt"], *t["verbatim"]]}
    decod, soc = ae["event"].str.strip().str.lower().map(pt), {t["pt"]: t["soc"] for t in terms}
    adae = pd.DataFrame({**study, "USUBJID": ae["patient_id"], "AETERM": ae["event"],
        "AEDECOD": decod.fillna(""), "AEBODSYS": decod.map(soc).fillna(""),
        "ATOXGR": ae["grade"].astype(str), "AEACN": ae["action"].replace(x["values"]["action"]),
        **x["adae"]})  # fmt: skip
    out = {"adsl": adsl, "adtte": pd.concat(tte), "adae": adae}
    return {k: d.reset_index(drop=True) for k, d in out.items()}
