"""The analysed cohort as CDISC ADaM datasets (``make adam``).

``python scripts/export_adam.py [directory]`` writes ADSL, ADTTE and ADAE (CSV and SAS transport
v5), their ``dictionary.csv`` and a frictionless ``datapackage.json`` (default ``_build/adam``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis import config  # noqa: E402
from analysis.data import adam, load_tables  # noqa: E402
from analysis.data.dictionary import load  # noqa: E402


def _fields(d: pd.DataFrame) -> list[dict]:
    """Frictionless fields of ``d``: the labels of ``export.variables``, else of the column."""
    labels = {k: tuple(v) for k, v in load()["adam"]["export"]["variables"].items()}
    for e in [e for e in load()["cohort"] + load()["adverse_events"] if adam.variables(e)]:
        text = (e.get("label", e["meaning"]), f"{e['meaning']} (column {e['name']})")
        labels.setdefault(adam.variables(e)[0], text)
    kind = {"i": "integer", "f": "number"}
    return [{"name": v, "title": labels.get(v, (v,))[0], "description": labels.get(v, (v, v))[1],
             "type": kind.get(d[v].dtype.kind, "string")} for v in d.columns]  # fmt: skip


def export(cohort: pd.DataFrame, ae: pd.DataFrame, out) -> list[Path]:
    """Write ADSL, ADTTE, ADAE as CSV and SAS transport v5 (``.xpt``), ``dictionary.csv`` and a
    frictionless ``datapackage.json`` into ``out`` (unless equal files are there already)."""
    import pyreadstat

    out, tables, spec = Path(out), adam.datasets(cohort, ae), load()["adam"]["export"]
    fields = {k: _fields(d) for k, d in tables.items()}
    rows = [(k.upper(), f["name"], f["title"], f["type"], f["description"])
            for k in tables for f in fields[k]]  # fmt: skip
    rows = pd.DataFrame(rows, columns=["dataset", "variable", "label", "type", "description"])
    tables_all = {**tables, "dictionary": rows}
    texts = {f"{k}.csv": d.to_csv(index=False, lineterminator="\n") for k, d in tables_all.items()}
    resources = [{"name": k, "path": f"{k}.csv", "format": "csv", "mediatype": "text/csv",
                  "schema": {"fields": fields.get(k) or _fields(d), **spec["keys"].get(k, {})}}
                 for k, d in tables_all.items()]  # fmt: skip
    package = {**spec["package"], "resources": resources}
    texts["datapackage.json"] = json.dumps(package, indent=2, ensure_ascii=False) + "\n"
    paths = [out / name for name in [*texts, *(f"{k}.xpt" for k in tables)]]
    if all(p.is_file() for p in paths) and all((out / k).read_text() == texts[k] for k in texts):
        return paths
    out.mkdir(parents=True, exist_ok=True)
    for name, text in texts.items():
        (out / name).write_text(text, encoding="utf-8")
    for name, d in tables.items():  # SAS transport: numbers are doubles
        d = d.astype({v: float for v in d.columns if d[v].dtype.kind == "i"})
        labels = [f["title"] for f in fields[name]]
        pyreadstat.write_xport(d, str(out / f"{name}.xpt"), file_format_version=5,
                               table_name=name.upper(), column_labels=labels)  # fmt: skip
    return paths


if __name__ == "__main__":
    directory = Path(sys.argv[1] if len(sys.argv) > 1 else config.BUILD_DIR / "adam")
    print(f"ADaM datasets: {len(export(*load_tables(), directory))} files in {directory}")
