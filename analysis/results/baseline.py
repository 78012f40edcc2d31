"""The paper's Table 1 (rows from Results, *Patient characteristics*, in
``analysis/paper/tables.yml``), percentages of all patients, an ``unknown`` row where values
are missing; and the helpers the results chapters share."""

import numpy as np
import pandas as pd
import yaml

from .. import config
from .. import format as fmt
from ..data import derive
from ..stats import median_range

#: How the book lays out the paper's tables (``analysis/paper/tables.yml``).
LAYOUT = yaml.safe_load((config.PAPER_DIR / "tables.yml").read_bytes())
#: The sentences the chapters choose between (``tables.yml``, ``sentences``).
SAY: dict[str, str] = LAYOUT["sentences"]
#: Mark of a cell whose value, on the reconstruction, comes from an assumption.
ASSUMED = "†"


def known(cohort: pd.DataFrame, column: str) -> np.ndarray:
    """Rows where ``column`` is recorded (not missing, not blank)."""
    s = cohort[column]
    ok = s.notna().to_numpy(bool)
    if s.dtype == object or pd.api.types.is_string_dtype(s):
        ok &= s.fillna("").astype(str).str.strip().ne("").to_numpy()
    return ok


def note(text: str) -> list:
    """``text`` as a MyST ``{note}`` to display (``[]`` if there is no text)."""
    from IPython.display import Markdown

    return [Markdown(f"```{{note}}\n{text}\n```")] if text else []


def records_caption() -> str:
    """Caption ending of a patient-level table: the default cohort is not the records."""
    return " Reconstructed, not the patients' records." if config.uses_reconstruction() else ""


def ledger_texts(report: pd.DataFrame) -> dict[str, str]:
    """``ledger_counts`` and ``ledger_meaning``: what a comparison with the paper (a
    ``chapter_report`` or ``compare`` table, with ``status``) shows on this cohort."""
    s, n = report["status"].value_counts(), len(report)
    unchecked, agree = int(s.get("not checkable", 0)), int(s.get("reproduced", 0))
    counts = SAY["ledger_counts"].format(agree=agree, checkable=n - unchecked)
    counts += SAY["ledger_unchecked"].format(unchecked=unchecked) * bool(unchecked)
    meaning = SAY["ledger_reconstruction"].format(
        consistent=SAY["ledger_consistent"] * (agree == n - unchecked)
    )
    return {
        "ledger_counts": counts + ".",
        "ledger_meaning": meaning if config.uses_reconstruction() else SAY["ledger_other"],
    }


def table1(cohort: pd.DataFrame) -> pd.DataFrame:
    """Table 1, one row per category in display order: ``characteristic``, ``category``,
    ``statistic`` (``n (%)`` or ``median (range)``), ``n``, ``denominator``, ``percent``,
    ``median``, ``min``, ``max``, ``assumption`` (that the reconstruction's value rests on)."""
    c, total, cyc = cohort, len(cohort), cohort["cycles"].astype(float)
    f = derive.flags(c).assign(c1=cyc == 1, c2=cyc == 2, c3_5=cyc.between(3, 5), c6=cyc >= 6)
    rows = [("Patients", "all", "n (%)", total, np.nan, np.nan, np.nan)]
    for spec in LAYOUT["table1"]:
        label, column, ok = spec["characteristic"], spec["column"], known(c, spec["column"])
        if spec.get("summary"):
            rows.append((label, "median (range)", "median (range)", pd.NA,
                         *median_range(c.loc[ok, column].astype(float))))  # fmt: skip
        for category, flag in spec["categories"]:
            yes = derive.as_bool(c[column]) if flag in ("yes", "no") else f[flag].to_numpy(bool)
            k = int((ok & (~yes if flag == "no" else yes)).sum())
            rows.append((label, category, "n (%)", k, np.nan, np.nan, np.nan))
        if not ok.all():
            rows.append((label, "unknown", "n (%)", int((~ok).sum()), np.nan, np.nan, np.nan))
    out = pd.DataFrame(rows, columns=["characteristic", "category", "statistic", "n",
                                      "median", "min", "max"]).astype({"n": "Int64"})  # fmt: skip
    out.insert(4, "denominator", total)
    out.insert(5, "percent", 100.0 * out["n"].astype(float) / total if total else np.nan)
    assumed = {(a["characteristic"], cat): a["assumption"] for a in LAYOUT["assumed"]["table1"]
               for cat in a["categories"]}  # fmt: skip
    return out.assign(assumption=[assumed.get(k, "") for k in
                                  zip(out["characteristic"], out["category"])])  # fmt: skip


def table1_shown(t1: pd.DataFrame, mark_assumed: bool = False) -> pd.DataFrame:
    """Table 1 as displayed: ``Characteristic`` (once per group), ``Category``, the value
    (followed by :data:`ASSUMED` where it rests on an assumption, if ``mark_assumed``)."""
    values = [
        fmt.median_range(r.median, r.min, r.max) if r.statistic == "median (range)"
        else str(r.n) if r.category == "all" else fmt.n_pct(r.n, r.denominator)
        for r in t1.itertuples(index=False)
    ]  # fmt: skip
    marks = np.where((t1["assumption"] != "") & mark_assumed, f" {ASSUMED}", "")
    return pd.DataFrame({
        "Characteristic": t1["characteristic"].where(~t1["characteristic"].duplicated(), ""),
        "Category": t1["category"], "Patients, n (%) or median (range)": values + marks,
    })  # fmt: skip


def texts(cohort: pd.DataFrame) -> dict[str, str]:
    """Glue-ready text of the baseline chapter (keys without ``baseline_``): counts ("not
    recorded" if nobody's is), ``mrd_sentence``, ``assumed_note``, ``footnote``."""
    t = table1(cohort)
    t1, total = t.set_index(["characteristic", "category"])["n"], len(cohort)

    def n(characteristic, *categories):
        if total and t1.get((characteristic, "unknown"), 0) == total:
            return "not recorded"
        return str(sum(int(t1.get((characteristic, c), 0)) for c in categories))

    out = {"n": str(total)} | {k: n(*spec) for k, spec in LAYOUT["table1_counts"].items()}
    out["pct_high_blasts"] = fmt.percent(t1.get(("Marrow blasts at start", "≥ 50%"), 0), total)
    out["pct_one_cycle"] = fmt.percent(t1.get(("Blinatumomab cycles", "1"), 0), total)
    m = t[t["statistic"] == "median (range)"].set_index("characteristic")
    for s in filter(lambda s: "summary" in s, LAYOUT["table1"]):
        row = m.loc[s["characteristic"]]
        out |= {f"{s['summary']}_{x}": fmt.number(row[x], None) for x in ("median", "min", "max")}
    mrd = "mrd_not_recorded" if out["n_mrd_positive"] == "not recorded" else "mrd_recorded"
    out["mrd_sentence"] = SAY[mrd].format(n=out["n_mrd_positive"])
    rows = [f"{a['characteristic'].split(',')[0].lower()} ({', '.join(a['categories'])})"
            for a in LAYOUT["assumed"]["table1"]]  # fmt: skip
    recon = config.uses_reconstruction() and bool((t["assumption"] != "").any())
    note = SAY["assumed_rows" if recon else "own_records"]
    out["assumed_note"] = note.format(rows=" and ".join(rows), mark=ASSUMED)
    return out | {"footnote": SAY["assumed_footnote"].format(mark=ASSUMED) * recon}
