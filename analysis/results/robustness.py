"""Robustness across reconstructions: the quantities of ``robustness.yml`` on the cohorts the
seeded search finds with other seeds (its own family: what does not vary is fixed within it)."""

from __future__ import annotations

import hashlib
import io

import numpy as np
import pandas as pd
import yaml

from .. import config
from .. import format as fmt
from ..data import derive, parse_adverse_events, parse_cohort, to_csv_text
from ..paper import load_ledger, metrics
from . import km, sensitivity
from .sensitivity import say

#: Seeds of the reconstructions compared.
DEFAULT_SEEDS = tuple(range(1, 21))
#: The quantities compared (data, like the ledger).
QUANTITIES_PATH = config.PACKAGE / "results" / "robustness.yml"
#: Panels of the robustness figure, by kind of quantity.
PANELS = {"p": "P value", "percent": "percent", "months": "months", "ratio": "hazard ratio"}
#: What the values depend on: the reconstruction and everything the quantities call.
_INPUTS = ("config.py", "data", "stats", "paper", *(f"results/{f}" for f in (
    "km.py", "sensitivity.py", "sensitivity.yml", "robustness.py", "robustness.yml")))  # fmt: skip


def quantities(path=QUANTITIES_PATH) -> pd.DataFrame:
    """``robustness.yml`` (its header documents the fields), indexed by ``key``."""
    q = pd.DataFrame(yaml.safe_load(path.read_text(encoding="utf-8"))).set_index("key")
    units = q["kind"].map({"percent": "%", "months": " months"}).fillna("")
    return q.assign(unit=q["unit"].fillna(units), ledger=q["ledger"].fillna(""),
                    constrained=q["constrained"].fillna(""))  # fmt: skip


def _compute(q: pd.Series, cohort, ae, parts: dict) -> float:
    if isinstance(q.get("metric"), str):
        return metrics.compute(q["metric"], cohort, ae, q["args"])
    if isinstance(q.get("hr"), list):
        return km.comparison(km.endpoint_data(cohort, q["hr"][0]), q["hr"][1])["hr"]
    for part, column in (("transplant", "p_value"), ("followup", "median, months"),
                         ("cif", "estimate")):  # fmt: skip
        if isinstance(q.get(part), list | str):
            return parts[part].loc[tuple(q[part]) if part == "transplant" else q[part], column]
    return sensitivity.transplant_time(cohort, q["transplant_time"])


def cohort_quantities(cohort, ae, comparison=None, table=None) -> dict[str, float]:
    """Every quantity on one cohort (``nan`` where undefined), reusing ``comparison`` if made."""
    table, out = quantities() if table is None else table, {}
    with derive.flags_cached(cohort):
        c = comparison if comparison is not None else sensitivity.transplant_comparison(
            cohort, [sensitivity.LANDMARK])  # fmt: skip
        c = c[c["landmark"].isna() | (c["landmark"] == sensitivity.LANDMARK)]
        parts = {"transplant": c.set_index(["grouping", "analysis", "endpoint"]),
                 "followup": sensitivity.followup(cohort),
                 "cif": sensitivity.competing_risks_summary(cohort)}  # fmt: skip
        for key, q in table.iterrows():
            try:
                out[key] = float(_compute(q, cohort, ae, parts))
            except (KeyError, ValueError, ZeroDivisionError, IndexError):
                out[key] = np.nan
    return out


def compute_values(seeds=DEFAULT_SEEDS) -> pd.DataFrame:
    """The quantities on each seed's reconstruction (7 s each): ``seed``, ``key``, ``value``."""
    from ..paper.reconstruct import reconstruct

    rows, table = [], quantities()
    for s in seeds:
        cohort, ae = (parse(pd.read_csv(io.StringIO(to_csv_text(df)), dtype=str,
                                        keep_default_na=False))
                      for df, parse in zip(reconstruct(int(s), quiet=True),
                                           (parse_cohort, parse_adverse_events)))  # fmt: skip
        rows += [(int(s), k, v) for k, v in cohort_quantities(cohort, ae, table=table).items()]
    return pd.DataFrame(rows, columns=["seed", "key", "value"])


def _fingerprint(seeds) -> str:
    """Hash of the seeds and of the package's files the values depend on (:data:`_INPUTS`)."""
    digest = hashlib.sha256(",".join(str(int(s)) for s in seeds).encode())
    for name in _INPUTS:
        path = config.PACKAGE / name
        for f in sorted(path.glob("*.*")) if path.is_dir() else [path]:
            if f.suffix in (".py", ".yml"):
                digest.update(f.name.encode() + b"\0" + f.read_bytes())
    return digest.hexdigest()[:16]


def robustness(seeds=DEFAULT_SEEDS, *, reference=None) -> pd.DataFrame:
    """:func:`compute_values` (committed while its code is unchanged), ``reference`` as seed -1."""
    stamp = config.ROBUSTNESS_VALUES.with_suffix(".sha256")
    committed = stamp.is_file() and stamp.read_text().strip() == _fingerprint(DEFAULT_SEEDS)
    committed &= tuple(seeds) == DEFAULT_SEEDS
    values = (pd.read_csv(config.ROBUSTNESS_VALUES, float_precision="round_trip") if committed
              else compute_values(seeds))  # fmt: skip
    if reference is None:
        return values
    ref = pd.Series(cohort_quantities(*reference)).rename_axis("key").reset_index(name="value")
    return pd.concat([ref.assign(seed=-1)[["seed", "key", "value"]], values], ignore_index=True)


def summarise(values: pd.DataFrame) -> pd.DataFrame:
    """:func:`quantities` with ``pinned``, ``printed``, ``this_cohort`` (seed -1) and, over the
    reconstructions, ``min``, ``median``, ``max``, ``spread``, ``n``, ``n_undefined``,
    ``n_significant``."""
    q = quantities()
    wide = values.pivot(index="seed", columns="key", values="value").reindex(columns=q.index)
    ok = wide[wide.index >= 0].astype(float).replace([np.inf, -np.inf], np.nan)
    printed = load_ledger().set_index("id")["printed"]
    return q.assign(pinned=q["ledger"] != "", printed=q["ledger"].map(printed).fillna(""),
                    this_cohort=wide.loc[-1] if -1 in wide.index else np.nan,
                    min=ok.min(), median=ok.median(), max=ok.max(), spread=ok.max() - ok.min(),
                    n=len(ok), n_undefined=ok.isna().sum(),
                    n_significant=(ok < config.ALPHA).sum().where(q["kind"] == "p",
                                                                  -1))  # fmt: skip


def _value(x, kind: str, unit: str = "") -> str:
    if fmt.is_missing(x):
        return "not reached" if kind == "months" else fmt.DASH
    return fmt.number(x, {"p": 3, "ratio": 2}.get(kind, 1)) + unit


def _fixed(row) -> bool:  # the quantity prints alike in every reconstruction
    return _value(row["min"], row["kind"]) == _value(row["max"], row["kind"])


def _span(row, unit: str = "", every: str = " in every one") -> str:  # 'a to b' or 'a in every one'
    lo, hi = _value(row["min"], row["kind"]), _value(row["max"], row["kind"])
    return _value(row["min"], row["kind"], unit) + every if lo == hi else f"{lo} to {hi}{unit}"


def tables(summary: pd.DataFrame) -> dict[str, tuple[pd.DataFrame, str, str]]:
    """One table per family, ``{key: (table, caption, label)}`` (``tbl-robust-<Family>``):
    the paper's value, the book's cohort's, the range and how often P < 0.05."""
    out = {}
    for family, rows in summary.groupby("family", sort=False):
        n = int(rows["n"].iloc[0])
        note = [f"not reached in {r.n_undefined} of {n}" if 0 < r.n_undefined < n else
                f"P < {config.ALPHA} in {r.n_significant}/{n}" if r.kind == "p" else ""
                for r in rows.itertuples()]  # fmt: skip
        span = ["not reached in all" if r["n_undefined"] == n else _span(r, every="")
                for _, r in rows.iterrows()]  # fmt: skip
        cohort = [_value(v, k) for v, k in zip(rows["this_cohort"], rows["kind"])]
        t = pd.DataFrame({"quantity": rows["label"], "paper": rows["printed"],
                          "book's cohort": cohort, f"{n} reconstructions": span,
                          "note": note})  # fmt: skip
        t = t.drop(columns=[c for c in ("paper", "note") if not t[c].astype(bool).any()])
        words = "".join(c if c.isalnum() else " " for c in family).split()
        out["_".join(words).lower()] = (t.reset_index(drop=True), f"Across reconstructions: "
                                        f"{family}.", "tbl-robust-" + "-".join(words))  # fmt: skip
    return out


def _range(rows: pd.DataFrame) -> str:
    return f"{_value(rows['min'].min(), 'p')} to {_value(rows['max'].max(), 'p')}"


def texts(summary: pd.DataFrame, seeds=DEFAULT_SEEDS) -> dict[str, str]:
    """Glue-ready text: ``robust_<key>`` (each quantity's span), ``robust_<key>_printed``,
    counts and ranges, and the findings' sentences chosen from the ranges."""
    s, n = summary, len(seeds)
    out = {f"robust_{k}": _span(r, r["unit"]) for k, r in s.iterrows()}
    pinned, constrained = s[s["pinned"]], s[s["constrained"] != ""]
    out |= {f"robust_{k}_printed": p for k, p in pinned["printed"].items()}
    new = s[(s["family"] == "transplant") & (s["kind"] == "p") & (s["constrained"] == "")]
    agree = [all(fmt.number(v, len(p.partition(".")[2])) == p for v in (lo, hi))
             for lo, hi, p in pinned[["min", "max", "printed"]].to_numpy()]  # fmt: skip
    hr = s.loc[["os_hr_ph", "os_hr_blasts"]]
    cross = dict(zip(("ph", "blasts"), (hr["min"] < 1) & (hr["max"] > 1)))
    reached = (n - s["n_undefined"]).astype(int)
    other = reached[["rfs_median_mrd_non", "rfs_median_ph_pos"]]
    spread = fmt.number(pinned.loc[pinned["kind"] == "p", "spread"].max(), 4)
    out |= {
        "robust_n": str(n), "robust_seeds": f"{min(seeds)} to {max(seeds)}",
        "robust_n_pinned": str(len(pinned)), "robust_n_constrained": str(len(constrained)),
        "robust_n_t3": str(int((s["family"] == "Table 3").sum())),
        "robust_t3_range": _range(s[s["family"] == "Table 3"]),
        "robust_naive_range": _range(s.loc[["naive_os_p", "naive_rfs_p"]]),
        "robust_pinned": say("robust_pinned", all(agree), n=n, spread=spread,
                             keys=", ".join(pinned.index[~np.array(agree, bool)])),
        "robust_mrd": say("robust_mrd", _fixed(s.loc["os_hr_mrd"]),
                          p=out["robust_os_mrd_p_printed"]),
        "robust_constrained": say("robust_constrained", not any(constrained["n_significant"] > 0),
                                  k=int((constrained["n_significant"] > 0).sum())),
        "robust_new": say("robust_new", not new["n_significant"].any(), range=_range(new),
                          k=int(new["n_significant"].sum()), cases=len(new) * n),
        "robust_cif": say("robust_cif", _fixed(s.loc["cif_relapse_12"])
                          and _fixed(s.loc["cif_nrm_12"])),
        "robust_direction_summary": say("robust_direction_summary", any(cross.values())),
        "robust_high_blasts_reached": str(reached["rfs_median_high_blasts"]),
        "robust_other_medians_reached": " and ".join(map(str, other)) + " respectively"
        if other.any() else "none"}  # fmt: skip
    scope = say("robust_scope", config.uses_reconstruction(), file=config.cohort_path().name)
    return (
        out
        | {f"robust_direction_{k}": say("robust_direction", v) for k, v in cross.items()}
        | {"robust_scope": scope}
    )  # Markdown: a note when the book analyses another cohort


def figure_data(values: pd.DataFrame, summary: pd.DataFrame) -> pd.DataFrame:
    """The values the figure shows (quantities not printed by the paper that vary, Table 3's
    left to its table), with ``label``, ``kind``, ``panel`` (:data:`PANELS`) and ``cohort``."""
    s = summary
    varies = np.array([not _fixed(r) for _, r in s.iterrows()], bool)
    keys = s.index[~s["pinned"] & (s["family"] != "Table 3") & varies]
    out = values[values["key"].isin(keys)].join(s[["label", "kind"]], on="key")
    cohort = np.where(out["seed"] < 0, "book's cohort", "reconstruction")
    out = out.assign(panel=out["kind"].map(PANELS), cohort=cohort)
    rank = out["kind"].map({k: i for i, k in enumerate(PANELS)}).to_numpy()
    return out.iloc[np.argsort(rank, kind="stable")].reset_index(drop=True)
