"""Robustness across reconstructions: which quantities the published numbers pin.

The book's cohort is one of many patient-level data sets that reproduce every number the
paper prints.  :func:`robustness` reconstructs the cohort with other seeds
(:func:`analysis.paper.reconstruct.reconstruct`) and computes on each the quantities of
``robustness.yml``: those the paper prints agree in all of them, the others may differ.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from .. import config
from .. import format as fmt
from ..data import derive, parse_adverse_events, parse_cohort, to_csv_text
from ..paper import load_ledger, metrics
from . import km, sensitivity

__all__ = ["DEFAULT_SEEDS", "QUANTITIES_PATH", "PANELS", "quantities", "cohort_quantities",
           "reconstructions", "robustness", "summarise", "tables", "texts",
           "scope_note", "figure_data", "compute_values", "write_values"]  # fmt: skip

#: Seeds of the reconstructions compared.
DEFAULT_SEEDS = tuple(range(1, 21))
#: The quantities compared (data, like the ledger).
QUANTITIES_PATH = config.PACKAGE / "results" / "robustness.yml"
NAN = float("nan")


def quantities(path=QUANTITIES_PATH) -> pd.DataFrame:
    """The quantities compared (``robustness.yml``, whose header documents the fields),
    indexed by ``key``, with ``unit`` (default by kind) and ``ledger`` (``""`` if none)."""
    q = pd.DataFrame(yaml.safe_load(Path(path).read_text(encoding="utf-8"))).set_index("key")
    units = q["kind"].map({"percent": "%", "months": " months"}).fillna("")
    return q.assign(unit=q["unit"].fillna(units), ledger=q["ledger"].fillna(""))


def _compute(q: pd.Series, cohort, ae, parts: dict) -> float:
    if isinstance(q.get("metric"), str):
        return metrics.compute(q["metric"], cohort, ae, q["args"])
    if isinstance(q.get("hr"), list):
        endpoint, flag = q["hr"]
        return km.comparison(km.endpoint_data(cohort, endpoint), flag)["hr"]
    if isinstance(q.get("transplant"), list):
        return parts["transplant"].loc[tuple(q["transplant"]), "p_value"]
    if isinstance(q.get("followup"), str):
        return parts["followup"].loc[q["followup"], "months"]
    if isinstance(q.get("cif"), str):
        return parts["cif"].loc[q["cif"], "estimate"]
    return getattr(sensitivity, q["function"])(cohort)


def cohort_quantities(cohort, ae, table: pd.DataFrame | None = None) -> dict[str, float]:
    """Every quantity of :func:`quantities` on one cohort (``nan`` where undefined)."""
    table = quantities() if table is None else table
    out = {}
    with derive.flags_cached(cohort):
        comparison = sensitivity.transplant_comparison(cohort, [sensitivity.LANDMARK])
        parts = {"transplant": comparison.set_index(["analysis", "endpoint"]),
                 "followup": sensitivity.followup(cohort),
                 "cif": sensitivity.competing_risks_summary(cohort)}  # fmt: skip
        for key, q in table.iterrows():
            try:
                out[key] = float(_compute(q, cohort, ae, parts))
            except (KeyError, ValueError, ZeroDivisionError, IndexError):
                out[key] = NAN
    return out


def reconstructions(seeds=DEFAULT_SEEDS):
    """``(seed, cohort, adverse_events)`` of :func:`analysis.paper.reconstruct.reconstruct`
    for each seed (about 2 s each), as read back from the CSV files it writes."""
    from ..paper.reconstruct import reconstruct

    def read(df, parse):
        return parse(pd.read_csv(io.StringIO(to_csv_text(df)), dtype=str, keep_default_na=False))

    out = []
    for s in seeds:
        cohort, ae, _ = reconstruct(int(s), quiet=True)
        out.append((int(s), read(cohort, parse_cohort), read(ae, parse_adverse_events)))
    return out


def _fingerprint(seeds, *names) -> str:
    """Hash of the seeds and of the package's files and directories ``names``."""
    digest = hashlib.sha256(",".join(str(int(s)) for s in seeds).encode())
    for name in names:
        path = config.PACKAGE / name
        for f in sorted(path.glob("*.*")) if path.is_dir() else [path]:
            if f.suffix in (".py", ".yml"):
                digest.update(f.name.encode() + b"\0" + f.read_bytes())
    return digest.hexdigest()[:16]


#: What the values depend on: the reconstruction and everything the quantities call.
_INPUTS = ("config.py", "data", "stats", "paper", "results/km.py", "results/sensitivity.py",
           "results/robustness.py", "results/robustness.yml")  # fmt: skip


def robustness(seeds=DEFAULT_SEEDS, *, reference=None, cache_dir=None, use_cache=True):
    """Every quantity on every reconstruction, in long form: ``seed``, ``key``, ``value``.

    Computing them takes a minute or two, so the values of the default seeds are committed
    (:data:`analysis.config.ROBUSTNESS_VALUES`, written by :func:`write_values`, ``make
    reconstruct``) with the fingerprint of the code and data they depend on, and used while
    the fingerprint matches; other seeds, or changed code, are computed and cached in
    ``cache_dir`` (default ``_build/sensitivity``).  ``reference``, ``(cohort, ae)`` of the
    book's cohort, is added as seed -1.
    """
    key = _fingerprint(seeds, *_INPUTS)
    committed = _committed(seeds)
    path = Path(cache_dir or config.BUILD_DIR / "sensitivity") / f"values-{key}.csv"
    table = quantities()
    if use_cache and committed is not None:
        values = committed
    elif use_cache and path.is_file():
        values = pd.read_csv(path)
    else:
        values = compute_values(seeds, table)
        if use_cache:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f"{path.name}.tmp")
            tmp.write_text(_csv(values), encoding="utf-8")
            tmp.replace(path)  # atomic: a parallel build never reads half a file
    if reference is None:
        return values
    ref = cohort_quantities(*reference, table)
    ref = pd.DataFrame({"seed": -1, "key": list(ref), "value": list(ref.values())})
    return pd.concat([ref, values], ignore_index=True)


def compute_values(seeds=DEFAULT_SEEDS, table=None) -> pd.DataFrame:
    """The quantities on the reconstructions of ``seeds``, in long form (no cache)."""
    table = quantities() if table is None else table
    rows = [(s, k, v) for s, cohort, ae in reconstructions(seeds)
            for k, v in cohort_quantities(cohort, ae, table).items()]  # fmt: skip
    return pd.DataFrame(rows, columns=["seed", "key", "value"])


def _csv(values: pd.DataFrame) -> str:
    return values.to_csv(index=False, float_format="%.17g", lineterminator="\n")


def _committed(seeds):
    """The committed values, if they are for ``seeds`` and the code has not changed since."""
    path, key = config.ROBUSTNESS_VALUES, _fingerprint(seeds, *_INPUTS)
    stamp = path.with_suffix(".sha256")
    if tuple(seeds) != DEFAULT_SEEDS or not stamp.is_file() or stamp.read_text().strip() != key:
        return None
    return pd.read_csv(path)


def write_values(check: bool = False) -> bool:
    """Compute the default seeds' values and write them (``check``: only compare with the
    committed file); return whether the committed file is (now) up to date."""
    text = _csv(compute_values())
    path = config.ROBUSTNESS_VALUES
    same = path.is_file() and path.read_text(encoding="utf-8") == text
    if not check:
        path.write_text(text, encoding="utf-8")
        path.with_suffix(".sha256").write_text(_fingerprint(DEFAULT_SEEDS, *_INPUTS) + "\n")
    return same or not check


def summarise(values: pd.DataFrame) -> pd.DataFrame:
    """Range of each quantity over the reconstructions (seeds >= 0).

    Returns
    -------
    pandas.DataFrame
        :func:`quantities` with ``pinned``, ``printed`` (the paper's value), ``this_cohort``
        (seed -1), ``min``, ``median``, ``max``, ``spread`` (of the defined values), ``n``,
        ``n_undefined`` and ``n_significant`` (P < 0.05; -1 for other kinds).
    """
    q = quantities()
    wide = values.pivot(index="seed", columns="key", values="value").reindex(columns=q.index)
    ok = wide[wide.index >= 0].astype(float)
    ok = ok.where(np.isfinite(ok))
    significant = (ok < config.ALPHA).sum().where(q["kind"] == "p", -1)
    printed = load_ledger().set_index("id")["printed"]
    return q.assign(pinned=q["ledger"] != "", printed=q["ledger"].map(printed).fillna(""),
                    this_cohort=wide.loc[-1] if -1 in wide.index else NAN,
                    min=ok.min(), median=ok.median(), max=ok.max(), spread=ok.max() - ok.min(),
                    n=len(ok), n_undefined=ok.isna().sum(), n_significant=significant)  # fmt: skip


def _value(x, kind: str, unit: str = "") -> str:
    if fmt.is_missing(x):
        return "not reached" if kind == "months" else fmt.DASH
    return fmt.number(x, {"p": 3, "ratio": 2}.get(kind, 1)) + unit


def _span(row, unit: str = "", every: str = " in every one") -> str:
    """'a to b' over the reconstructions, or 'a in every one' when they print alike."""
    lo, hi = (_value(row[c], row["kind"]) for c in ("min", "max"))
    return _value(row["min"], row["kind"], unit) + every if lo == hi else f"{lo} to {hi}{unit}"


def tables(summary: pd.DataFrame) -> dict[str, tuple[pd.DataFrame, str, str]]:
    """One table per family, ``{family_key: (table, caption, label)}``, labelled
    ``tbl-robust-<Family-Words>``: the paper's value (if printed), the book's cohort's, the range
    over the reconstructions and a note (how often P < 0.05, or a median not reached)."""
    out = {}
    for family, rows in summary.groupby("family", sort=False):
        n = int(rows["n"].iloc[0])
        t = pd.DataFrame({"quantity": rows["label"], "paper": rows["printed"]})
        t["book's cohort"] = [_value(v, k) for v, k in zip(rows["this_cohort"], rows["kind"])]
        t[f"{n} reconstructions"] = [
            "not reached in all" if r["n_undefined"] == n else _span(r, every="")
            for _, r in rows.iterrows()
        ]
        t["note"] = [
            f"not reached in {r.n_undefined} of {n}" if 0 < r.n_undefined < n
            else f"P < 0.05 in {r.n_significant}/{n}" if r.kind == "p" else ""
            for r in rows.itertuples()
        ]  # fmt: skip
        t = t.drop(columns=[c for c in ("paper", "note") if not t[c].astype(bool).any()])
        words = "".join(c if c.isalnum() else " " for c in family).split()
        caption = f"Across reconstructions: {family}."
        out["_".join(words).lower()] = (t.reset_index(drop=True), caption,
                                        "tbl-robust-" + "-".join(words))  # fmt: skip
    return out


def texts(summary: pd.DataFrame, seeds=DEFAULT_SEEDS) -> dict[str, str]:
    """Glue-ready text: ``robust_<key>`` (each quantity's span, with its unit),
    ``robust_<key>_printed``, and the counts and ranges the findings quote."""
    s, n = summary, len(seeds)
    out = {f"robust_{k}": _span(r, r["unit"]) for k, r in s.iterrows()}
    out.update({f"robust_{k}_printed": p for k, p in s.loc[s["pinned"], "printed"].items()})
    new = [f"{a}_{e}_p" for a in ("landmark", "mantel_byar") for e in ("os", "rfs")]
    groups = {"t3": s[s["family"] == "Table 3"], "naive": s.loc[["naive_os_p", "naive_rfs_p"]],
              "new": s.loc[new]}  # fmt: skip
    for name, g in groups.items():
        out[f"robust_{name}_range"] = (
            f"{_value(g['min'].min(), 'p')} to {_value(g['max'].max(), 'p')}"
        )
    reached = (n - s["n_undefined"]).astype(int)
    other = reached[["rfs_median_mrd_non", "rfs_median_ph_pos"]]
    pinned_p = s.loc[s["pinned"] & (s["kind"] == "p"), "spread"]
    return {**out, "robust_n": str(n), "robust_seeds": f"{min(seeds)} to {max(seeds)}",
            "robust_n_pinned": str(int(s["pinned"].sum())), "robust_n_t3": str(len(groups["t3"])),
            "robust_pinned_p_spread": fmt.number(pinned_p.max(), 4),
            "robust_new_significant": str(int(groups["new"]["n_significant"].sum())),
            "robust_new_cases": str(len(new) * n),
            "robust_high_blasts_reached": str(reached["rfs_median_high_blasts"]),
            "robust_other_medians_reached": "none" if not other.any()
            else " and ".join(map(str, other)) + " respectively"}  # fmt: skip


#: Panels of the robustness figure, by kind of quantity.
PANELS = {"p": "P value", "percent": "percent", "months": "months",
          "ratio": "hazard ratio (Cox)"}  # fmt: skip


def scope_note() -> str:
    """A note for a build on another cohort than the reconstruction ("" otherwise)."""
    if config.uses_reconstruction():
        return ""
    return ("```{note}\nThis build analyses `" + config.cohort_path().name + "`, not the "
            "reconstruction. The reconstructions below are those of the published cohort: "
            "their ranges describe what the paper's numbers leave open, not this cohort, whose "
            "own values are in the column *book's cohort*.\n```")  # fmt: skip


def figure_data(values: pd.DataFrame, summary: pd.DataFrame) -> pd.DataFrame:
    """The values of the quantities the figure shows: those the paper does not print that
    differ between reconstructions (Table 3's P values are left to its table), with
    ``label``, ``kind``, ``panel`` (:data:`PANELS`, in that order) and ``cohort``
    ("reconstruction" or "book's cohort")."""
    s = summary
    lo_hi = s[["min", "max", "kind"]].to_numpy()
    varies = np.array([_value(lo, k) != _value(hi, k) for lo, hi, k in lo_hi])
    keys = s.index[~s["pinned"] & (s["family"] != "Table 3") & varies]
    out = values[values["key"].isin(keys)].join(s[["label", "kind"]], on="key")
    cohort = np.where(out["seed"] < 0, "book's cohort", "reconstruction")
    out = out.assign(panel=out["kind"].map(PANELS), cohort=cohort)
    rank = out["kind"].map({k: i for i, k in enumerate(PANELS)})
    return out.iloc[np.argsort(rank.to_numpy(), kind="stable")].reset_index(drop=True)


if __name__ == "__main__":  # python -m analysis.results.robustness [--check]
    import sys

    check = "--check" in sys.argv
    ok = write_values(check=check)
    done = "identical" if ok else "DIFFER from a fresh computation"
    print(f"{config.ROBUSTNESS_VALUES}: " + (done if check else "written"))
    raise SystemExit(0 if ok else 1)
