"""Scale benchmark: the book's computations on synthetic cohorts of 10^3, 10^5 and 10^6 patients.

For each size a synthetic cohort and its adverse events are written to CSV (not timed), then
six steps are timed with the ``analysis`` package and, where a library does the same job, by
calling that library directly on the same arrays:

validate   ``analysis.data.contract.validate_tables`` on the two CSV files (reading included);
           reference: ``pandas.read_csv`` of the two files without any check
derive     the subgroup flags and the OS / RFS tables (``derive``), computed once per cohort
           as a chapter does; no direct counterpart (the direct calls get these arrays)
table1     Table-1-like summary: subgroup counts and median (range) of age, time from
           diagnosis, blasts and cycles (``stats.median_range``); direct: numpy
response   CR and MRD-response proportions with exact 95% CIs and Fisher tests by subgroup
           (``stats``); direct: ``scipy.stats.binomtest(...).proportion_ci`` and
           ``scipy.stats.fisher_exact``
km         Kaplan-Meier of OS and RFS, 1-year estimate, median (``attrs["median"]`` of
           ``analysis.stats.survival.kaplan_meier``) and at-risk counts every 6 months;
           direct: lifelines ``KaplanMeierFitter``
logrank    OS by MRD response and by Ph status, RFS by MRD response (``survival.logrank``);
           direct: lifelines ``logrank_test``

Each step is run ``--repeat`` times and the best wall time is kept; the peak memory of each
step is measured in a separate run under ``tracemalloc`` (which slows Python code, so it is
never used for timing).  Results of the two implementations are compared, so that the
timings are of the same computation.  This is a measurement, not a test: it prints a table,
checks the targets of issue 13 at 10^6 patients (validation at most 1.5x the bare
``read_csv``; the analysis set, the five steps after validation, at most 5 s; each analysis
step from 10^5 within 1.5x of the direct calls) and writes
``bench/results/scale-<UTC time>.json`` (git-ignored).

Usage: python scripts/bench_scale.py [--sizes 1000 100000 1000000] [--repeat N]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import sys
import tempfile
import time
import tracemalloc
import warnings
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import lifelines  # noqa: E402
import make_synthetic_cohort as synthetic  # noqa: E402
import scipy  # noqa: E402
from lifelines import KaplanMeierFitter  # noqa: E402
from lifelines.statistics import logrank_test  # noqa: E402
from scipy import stats as sps  # noqa: E402

from analysis.data import contract, derive  # noqa: E402
from analysis.stats import proportions as stats  # noqa: E402
from analysis.stats import survival  # noqa: E402

RESULTS = ROOT / "bench" / "results"
AT = np.arange(0, 37, 6.0)  # at-risk counts every 6 months
COUNT_FLAGS = ("male", "ph_positive", "prior_allo_hsct", "prior_car_t", "emd", "low_burden",
               "high_blasts", "mrd_positive_start", "one_cycle")  # fmt: skip
MEDIANS = ("age_years", "months_diagnosis_to_blinatumomab", "marrow_blasts_pct", "cycles")
BY = ("ph_positive", "high_blasts", "prior_allo_hsct")


# --- the steps, with the package -------------------------------------------------------------
# After validation and derivation, both implementations work on the same arrays: the subgroup
# flags and the (time, event) tables the package derives, as a chapter computes them once.


def pkg_validate(paths, state):
    state["cohort"], state["ae"] = contract.validate_tables(*paths)


def pkg_derive(paths, state):
    c = state["cohort"]
    state["flags"] = derive.flags(c)
    state["os"], state["rfs"] = derive.os_table(c), derive.rfs_table(c)


def _arrays(state) -> dict:
    """Plain numpy arrays of the derived data, for the direct calls (prepared untimed)."""
    c, f = state["cohort"], state["flags"]
    return {
        "flags": {k: f[k].to_numpy() for k in f.columns},
        "columns": {k: c[k].to_numpy(dtype=float, na_value=np.nan) for k in MEDIANS},
        "os": (state["os"]["time"].to_numpy(), state["os"]["event"].to_numpy()),
        "rfs": (state["rfs"]["time"].to_numpy(), state["rfs"]["event"].to_numpy()),
        "rfs_mrd": f.loc[state["rfs"].index, "mrd_response"].to_numpy(),
    }


def pkg_table1(paths, state):
    f, columns = state["flags"], state["arrays"]["columns"]
    out = {k: int(v) for k, v in f[list(COUNT_FLAGS)].sum().items()}
    out.update({k: stats.median_range(columns[k]) for k in MEDIANS})
    state["table1"] = out


def pkg_response(paths, state):
    f = state["flags"]
    overt, low, cr, mrd = (f[k].to_numpy() for k in ("overt", "low_burden", "cr", "mrd_response"))
    out = {
        "cr_overt": stats.proportion(int((cr & overt).sum()), int(overt.sum())),
        "cr_low": stats.proportion(int((cr & low).sum()), int(low.sum())),
        "mrd_all": stats.proportion(int(mrd.sum()), len(mrd)),
    }
    for by in BY:
        out[f"cr_by_{by}"] = stats.compare_proportions(cr, f[by].to_numpy(), test="fisher")
    state["response"] = out


def pkg_km(paths, state):
    out = {}
    for name in ("os", "rfs"):
        d = state[name]
        km = survival.kaplan_meier(d["time"], d["event"])
        out[name] = {
            "s12": survival.survival_at(km, 12.0),
            "median": km.attrs["median"][0],
            "at_risk": survival.at_risk_counts(d["time"], AT).tolist(),
            "ci_lower": km["ci_lower"].to_numpy(),
        }
    state["km"] = out


def pkg_logrank(paths, state):
    f, os_, rfs = state["flags"], state["os"], state["rfs"]
    out = {}
    for by in ("mrd_response", "ph_positive"):
        out[f"os_{by}"] = survival.logrank(os_["time"], os_["event"], f[by].to_numpy()).statistic
    g = f.loc[rfs.index, "mrd_response"].to_numpy()
    out["rfs_mrd_response"] = survival.logrank(rfs["time"], rfs["event"], g).statistic
    state["logrank"] = out


# --- the same computations, calling numpy / scipy / lifelines directly on the same arrays --------


def ref_read(paths, state):
    for p in paths:
        pd.read_csv(p)


def ref_table1(paths, state):
    a = state["arrays"]
    out = {k: int(np.count_nonzero(a["flags"][k])) for k in COUNT_FLAGS}
    for k, v in a["columns"].items():
        v = v[~np.isnan(v)]
        out[k] = (float(np.median(v)), float(v.min()), float(v.max()))
    state["table1_ref"] = out


def _exact(k, n):
    ci = sps.binomtest(k, n).proportion_ci(method="exact")
    return 100 * k / n, 100 * ci.low, 100 * ci.high


def ref_response(paths, state):
    f = state["arrays"]["flags"]
    overt, low, cr, mrd = f["overt"], f["low_burden"], f["cr"], f["mrd_response"]
    out = {
        "cr_overt": _exact(int((cr & overt).sum()), int(overt.sum())),
        "cr_low": _exact(int((cr & low).sum()), int(low.sum())),
        "mrd_all": _exact(int(mrd.sum()), len(mrd)),
    }
    for by in BY:
        g = f[by]
        table = [[(cr & g).sum(), (~cr & g).sum()], [(cr & ~g).sum(), (~cr & ~g).sum()]]
        out[f"cr_by_{by}"] = sps.fisher_exact(table).pvalue
    state["response_ref"] = out


def ref_km(paths, state):
    out = {}
    for name in ("os", "rfs"):
        t, e = state["arrays"][name]
        kmf = KaplanMeierFitter().fit(t, e)
        out[name] = {
            "s12": float(kmf.predict(12.0)),
            "median": float(kmf.median_survival_time_),
            "at_risk": [int(np.count_nonzero(t >= a)) for a in AT],
            "ci_lower": kmf.confidence_interval_.iloc[:, 0].to_numpy(),
        }
    state["km_ref"] = out


def ref_logrank(paths, state):
    a = state["arrays"]
    t, e = a["os"]
    out = {}
    for by in ("mrd_response", "ph_positive"):
        g = a["flags"][by]
        out[f"os_{by}"] = logrank_test(t[g], t[~g], e[g], e[~g]).test_statistic
    rt, re_ = a["rfs"]
    g = a["rfs_mrd"]
    out["rfs_mrd_response"] = logrank_test(rt[g], rt[~g], re_[g], re_[~g]).test_statistic
    state["logrank_ref"] = out


STEPS = (
    ("validate", pkg_validate, ref_read),
    ("derive", pkg_derive, None),
    ("table1", pkg_table1, ref_table1),
    ("response", pkg_response, ref_response),
    ("km", pkg_km, ref_km),
    ("logrank", pkg_logrank, ref_logrank),
)


# --- measuring -------------------------------------------------------------------------------


def _best_time(fn, paths, state, repeat):
    times = []
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        fn(paths, state)
        times.append(time.perf_counter() - t0)
    return min(times), float(np.median(times))


def _peak_mb(fn, paths, state):
    gc.collect()
    tracemalloc.start()
    fn(paths, state)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 1e6


def _agreement(state) -> dict:
    """Largest differences between the package's results and the direct calls."""
    t1, r1 = state["table1"], state["table1_ref"]
    km, kr = state["km"], state["km_ref"]
    resp, rr = state["response"], state["response_ref"]
    lr, lref = state["logrank"], state["logrank_ref"]
    ci_diff = 0.0
    for k in ("cr_overt", "cr_low", "mrd_all"):
        p = resp[k]
        if p.n:
            ci_diff = max(ci_diff, *np.abs(np.subtract((p.percent, p.ci_lower, p.ci_upper), rr[k])))
    fisher = [abs(resp[f"cr_by_{b}"]["p_value"] - rr[f"cr_by_{b}"]) for b in BY]
    out = {
        "table1_equal": all(
            t1[k] == r1[k] if k in COUNT_FLAGS else np.allclose(t1[k], r1[k]) for k in r1
        ),
        "response_ci_max_abs_diff": float(ci_diff),
        "fisher_p_max_abs_diff": float(np.nanmax(fisher)),
        "km_s12_max_abs_diff": max(abs(km[k]["s12"][0] - kr[k]["s12"]) for k in km),
        "km_at_risk_equal": all(km[k]["at_risk"] == kr[k]["at_risk"] for k in km),
        "logrank_stat_max_rel_diff": max(abs(lr[k] / lref[k] - 1) for k in lr if lref[k]),
    }
    return out


def run_size(n: int, repeat: int, workdir: Path, seed: int) -> dict:
    t0 = time.perf_counter()
    cohort, ae = synthetic.generate(n, seed)
    paths = (workdir / f"cohort_{n}.csv", workdir / f"adverse_events_{n}.csv")
    synthetic.to_csv(cohort, paths[0])
    synthetic.to_csv(ae, paths[1])
    setup = time.perf_counter() - t0
    del cohort, ae
    state: dict = {}
    rows = {}
    for name, pkg, ref in STEPS:
        best, med = _best_time(pkg, paths, state, repeat)
        rbest, rmed = _best_time(ref, paths, state, repeat) if ref else (float("nan"),) * 2
        rows[name] = {"package_s": best, "package_median_s": med, "direct_s": rbest,
                      "direct_median_s": rmed}  # fmt: skip
        if name == "derive":
            state["arrays"] = _arrays(state)
    for name, pkg, ref in STEPS:
        rows[name]["package_peak_mb"] = _peak_mb(pkg, paths, state)
        rows[name]["direct_peak_mb"] = _peak_mb(ref, paths, state) if ref else float("nan")
    # one end-to-end pass, as the book would run it
    gc.collect()
    fresh: dict = {}
    end_to_end = 0.0
    for name, pkg, _ in STEPS:
        t0 = time.perf_counter()
        pkg(paths, fresh)
        end_to_end += time.perf_counter() - t0
        if name == "derive":
            fresh["arrays"] = _arrays(fresh)
    return {
        "n": n,
        "adverse_events": len(state["ae"]),
        "csv_mb": sum(p.stat().st_size for p in paths) / 1e6,
        "setup_s": setup,
        "steps": rows,
        "total_package_s": sum(r["package_s"] for r in rows.values()),
        "analysis_s": sum(r["package_s"] for k, r in rows.items() if k != "validate"),
        "total_direct_s": float(np.nansum([r["direct_s"] for r in rows.values()])),
        "end_to_end_s": end_to_end,
        "agreement": _agreement(state),
    }


def _report(results: list[dict], out: Path) -> list[str]:
    lines = [f"{'n':>9} {'step':9} {'package s':>10} {'direct s':>9} {'ratio':>6} "
             f"{'pkg peak MB':>12} {'direct peak MB':>15}"]  # fmt: skip
    failures = []
    for r in results:
        for name, s in r["steps"].items():
            ratio = s["package_s"] / s["direct_s"] if s["direct_s"] else float("nan")
            lines.append(
                f"{r['n']:>9} {name:9} {s['package_s']:>10.3f} {s['direct_s']:>9.3f} "
                f"{ratio:>6.2f} {s['package_peak_mb']:>12.1f} {s['direct_peak_mb']:>15.1f}"
            )
            if name not in ("validate", "derive") and r["n"] >= 10**5 and ratio > 1.5:
                failures.append(f"n={r['n']} {name}: {ratio:.2f}x the direct calls (> 1.5x)")
        lines.append(
            f"{r['n']:>9} {'total':9} {r['total_package_s']:>10.3f} {r['total_direct_s']:>9.3f}"
            f"   end-to-end {r['end_to_end_s']:.2f} s; {r['adverse_events']} adverse events;"
            f" {r['csv_mb']:.0f} MB of CSV"
        )
        lines.append(f"{'':>9} agreement: {r['agreement']}")
        v = r["steps"]["validate"]
        ratio = v["package_s"] / v["direct_s"]
        lines.append(f"{'':>9} validation {ratio:.2f}x read_csv; analysis set (the steps "
                     f"after validation) {r['analysis_s']:.2f} s")  # fmt: skip
        if r["n"] == 10**6 and ratio > 1.5:
            failures.append(f"n=10^6: validation {ratio:.2f}x read_csv (> 1.5x)")
        if r["n"] == 10**6 and r["analysis_s"] > 5:
            failures.append(f"n=10^6: the analysis set takes {r['analysis_s']:.2f} s (> 5 s)")
    lines.append(
        f"max RSS of the process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3:.0f} MB"
    )
    lines += [f"TARGET MISSED: {f}" for f in failures] or ["targets met"]
    lines.append(f"written to {out}")
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10**3, 10**5, 10**6])
    parser.add_argument("--repeat", type=int, default=None,
                        help="runs per step, best kept (7 below 10^6, 3 at 10^6)")  # fmt: skip
    parser.add_argument("--seed", type=int, default=synthetic.DEFAULT_SEED)
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", contract.ContractWarning)
    load_before = os.getloadavg()
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        for n in args.sizes:
            print(f"n = {n} ...", flush=True)
            repeat = args.repeat or (7 if n < 10**6 else 3)
            results.append(run_size(n, repeat, Path(tmp), args.seed))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"scale-{stamp}.json"
    meta = {
        "created": stamp,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "load_average_before": load_before, "load_average_after": os.getloadavg()},
        "versions": {"python": platform.python_version(), "numpy": np.__version__,
                     "pandas": pd.__version__, "scipy": scipy.__version__,
                     "lifelines": lifelines.__version__},
        "repeat": args.repeat or "7 below 10^6, 3 at 10^6",
        "seed": args.seed,
    }  # fmt: skip
    out.write_text(json.dumps({**meta, "results": results}, indent=2, default=float) + "\n")
    print("\n".join(_report(results, out.relative_to(ROOT))))
    print(f"load average before {load_before}, after {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
