"""Reconstruction of a patient-level cohort consistent with every published number.

The paper publishes aggregates only.  A seeded search finds individual data whose recomputed
statistics equal every entry of the ledger (``published.yml``) at the printed precision; its
targets are read from the ledger.  The result is **a** cohort consistent with the
publication, not the patients' records.

Its steps are described in ``book/methods.md`` (*How the cohort was reconstructed*).

``python -m analysis.paper.reconstruct`` (``make reconstruct``) regenerates
``data/reconstructed/``, byte for byte the same for a given seed.
"""

from __future__ import annotations

import itertools
import runpy
import sys
import time
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd
import yaml

from .. import config
from ..config import DAYS_PER_MONTH
from ..data import data_dictionary
from ..stats.consistency import grim, km_feasibility, prints_as, prints_as_each
from ..stats.consistency import logrank_screen as logrank_pvalues
from ..stats.proportions import fisher_exact
from ..stats.survival import kaplan_meier, survival_at
from .ledger import compare, load_ledger

DEFAULT_SEED = 20211101
CYCLE_DAYS = config.INFUSION_DAYS  # continuous infusion of one cycle
CYCLE_GAP_DAYS = config.CYCLE_GAP_DAYS  # treatment-free interval between cycles


@dataclass(frozen=True)
class Role:
    """One patient's course (``assumptions.yml``, ``roles``, whose header explains the fields)."""

    key: str
    overt: bool
    cr: bool
    mrd_response: bool
    prior_allo_hsct: bool
    cycles: int
    pathway: str = ""
    relapse_site: str = ""
    cause_of_death: str = ""
    car_t_after: bool = False
    course: str = ""
    pre_hsct_therapy: str = ""

    @property
    def died(self) -> bool:
        return bool(self.cause_of_death)

    @property
    def mrd_class(self) -> str:
        return ("r" if self.mrd_response else "n") + ("D" if self.died else "C")


_CHOICES = yaml.safe_load(config.ASSUMPTIONS_PATH.read_text(encoding="utf-8"))
#: The 19 courses the search places in time (``assumptions.yml``, ``roles``).
ROLES: tuple[Role, ...] = tuple(Role(**r) for r in _CHOICES["roles"])
#: Clinical timing rules every reconstructed course obeys (``timing_rules``).
TIMING_RULES = tuple((r["rule"], r["constraint"]) for r in _CHOICES["timing_rules"])
#: Choices the paper leaves open, with the reason for each (``assumptions``).
ASSUMPTIONS = tuple((a["topic"], a["choice"], a["reason"]) for a in _CHOICES["assumptions"])
_FLAGS = ("cr", "mrd_response", "overt", "prior_allo_hsct")  # of each course, as arrays:
_CR, _MRD, _OVERT, _PRIOR = (np.array([getattr(r, f) for r in ROLES]) for f in _FLAGS)


def assumptions_table() -> pd.DataFrame:
    """Every assumption: ``topic``, ``choice``, ``reason``, ``alternative``."""
    return pd.DataFrame(_CHOICES["assumptions"], columns=["topic", "choice", "reason",
                                                          "alternative"])  # fmt: skip


def targets() -> dict[str, str]:
    """The printed value of every ledger entry, by id: the search's targets."""
    return dict(_targets(str(config.LEDGER_PATH)))


@cache
def _targets(path: str) -> tuple:
    ledger = load_ledger(path)
    return tuple(zip(ledger["id"], ledger["printed"]))


def _number(key: str) -> float:
    return float(targets()[key])


def km_patterns() -> tuple[str, ...]:
    """Orders of deaths and censorings before one year that print the paper's 1-year OS ± SE."""
    t = targets()
    n, died = int(t["n_patients"]), int(t["n_died"])
    return km_feasibility(n, died, t["os_1y"], t["os_1y_se"]).orders


def order_skeletons(target_p: str | None = None) -> np.ndarray:
    """Orders of OS times (k, 19) giving the published 1-year OS ± SE, an unreached median and
    the MRD log-rank P (``target_p``): the class of each time (``nD``, ``rD``, ``nC``, ``rC``:
    MRD non-responder / responder, died / censored)."""
    target_p = targets()["os_mrd_p"] if target_p is None else target_p  # as printed
    n, out = int(_number("n_patients")), []
    for pattern in km_patterns():
        for late in range(n - len(pattern)):  # one death after a year, the rest censored
            tail = ["C"] * (n - len(pattern))
            tail[late] = "D"
            seq = list(pattern) + tail
            e = np.array([s == "D" for s in seq], dtype=int)
            if kaplan_meier(np.arange(1.0, n + 1), e)["survival"].min() <= 0.5:
                continue  # the median would be reached
            dpos, cpos = np.flatnonzero(e == 1), np.flatnonzero(e == 0)
            pairs = itertools.product(*map(itertools.combinations, (dpos, cpos), (4, 3)))
            labels = np.array([np.isin(np.arange(n), dn + cn) for dn, cn in pairs])
            p = logrank_pvalues(np.arange(1.0, n + 1), e, ~labels)
            for g in labels[prints_as_each(p, target_p)]:
                out.append([("n" if gi else "r") + s for gi, s in zip(g, seq)])
    return np.array(out)


def _on_grid(x: float) -> float:
    """Round up to the 0.1-month grid."""
    return float(np.ceil(round(x * 10, 6)) / 10)


def _draw(rng, lo: float, hi: float) -> float | None:
    """Uniform draw on the 0.1 grid in ``[lo, hi]``; ``None`` if the window is empty."""
    a, b = int(np.ceil(round(lo * 10, 6))), int(np.floor(round(hi * 10, 6)))
    return None if b < a else int(rng.integers(a, b + 1)) / 10


def _rfs_reproduced(time, event) -> bool:
    """1-year RFS and its SE print as the paper's, and the median is not reached."""
    km = kaplan_meier(time, event)
    s, se = survival_at(km, config.HORIZON_MONTHS)
    t = targets()
    return (prints_as(100 * s, t["rfs_1y"]) and prints_as(100 * se, t["rfs_1y_se"])
            and km["survival"].min() > 0.5)  # fmt: skip


def _progress(quiet: bool):
    start = time.perf_counter()
    return lambda msg: (
        quiet or print(f"[{time.perf_counter() - start:6.1f} s] {msg}", file=sys.stderr, flush=True)
    )


_KEYS = [r.key for r in ROLES]
_IX = {k: i for i, k in enumerate(_KEYS)}
_ALIVE_HSCT = [r.key for r in ROLES if r.pathway in ("direct", "bridging") and not r.died]


def _end_of_infusion_days(role: Role) -> int:
    """Day on which the blinatumomab given before transplant ended (consecutive cycles)."""
    c = role.cycles if role.pathway and not role.relapse_site else 1
    return c * CYCLE_DAYS + (c - 1) * CYCLE_GAP_DAYS


def _draw_candidate(rng, skeleton, ordered):
    """Complete one candidate from an order skeleton and ordered times, or return ``None``.

    Roles go to positions of their class (the death in remission first), each uniformly
    among the roles whose earliest admissible time has passed (nested sets: uniform over
    the admissible matchings)."""
    n = len(ROLES)
    c_pos = [j for j in range(n) if skeleton[j].endswith("C")]
    c1, c2 = ordered[c_pos[0]], ordered[c_pos[1]]
    upper = min(c2 - 0.1, config.HORIZON_MONTHS)
    if c1 > 2.4:  # the first censoring must precede the early relapse (<= 2.5 months)
        return None
    # transplant days: 11 values with the paper's median, minimum and maximum (the maximum
    # for the salvage patient)
    dmin, dmed, dmax = (int(_number(f"days_to_hsct_{k}")) for k in ("min", "median", "max"))
    days = np.concatenate([[dmin], rng.integers(dmin + 1, dmed, 4), [dmed],
                           rng.integers(dmed, 71, 4)])  # fmt: skip
    hsct_keys = [r.key for r in ROLES if r.pathway in ("direct", "bridging")]
    m3_options = np.flatnonzero(days >= 30)
    if len(m3_options) == 0:
        return None
    j3 = int(rng.choice(m3_options))
    rest = rng.permutation(np.delete(days, j3))
    day = {"M3": int(days[j3])}
    day.update({k: int(v) for k, v in zip([k for k in hsct_keys if k != "M3"], rest)})
    day["D7"] = dmax
    hsct = {k: (_end_of_infusion_days(ROLES[_IX[k]]) + d) / DAYS_PER_MONTH for k, d in day.items()}
    hsct["D7"] = (CYCLE_DAYS + dmax) / DAYS_PER_MONTH

    lb = {"L1": 2.4, "L2": 1.7, "S1": 8.5, "S2": 8.5, "N1": 1.7, "N2": 2.0, "N3": 2.8}
    lb |= {k: _on_grid(hsct[k] + 1.0) for k in (*_ALIVE_HSCT, "D7")}
    r5_lo = max(1.4, c1 + 0.1)
    lb["D5"] = r5_lo + 1.5
    r6_lo = max(_on_grid(hsct["D6"] + 2.0), c1 + 0.1)
    if r6_lo > upper:
        return None
    lb["D6"] = r6_lo + 3.0
    lb["D4"] = max(_on_grid(hsct["D4"] + 0.3), c1 + 0.1)

    role_at = [None] * n
    free = {cls: [k for k in _KEYS if ROLES[_IX[k]].mrd_class == cls] for cls in set(skeleton)}
    # the death in remission (an RFS event) must fall between the first two censorings
    d4_pos = [j for j in range(n) if skeleton[j] == "rD" and lb["D4"] <= ordered[j] <= upper]
    if not d4_pos:
        return None
    j4 = int(rng.choice(d4_pos))
    role_at[j4] = "D4"
    free["rD"].remove("D4")
    for j in range(n):
        if role_at[j] is not None:
            continue
        eligible = [k for k in free[skeleton[j]] if lb[k] <= ordered[j] + 1e-9]
        if not eligible:
            return None
        k = eligible[int(rng.integers(len(eligible)))]
        role_at[j] = k
        free[skeleton[j]].remove(k)
    t = np.asarray(ordered, float)[np.argsort([_IX[k] for k in role_at])]
    rel = {
        "D7": _draw(rng, max(1.2, c1 + 0.1), min(2.5, upper, hsct["D7"] - 1.0)),
        "D5": _draw(rng, r5_lo, min(t[_IX["D5"]] - 1.5, upper)),
        "D6": _draw(rng, r6_lo, min(t[_IX["D6"]] - 3.0, upper)),
    }
    if any(v is None for v in rel.values()):
        return None
    e = np.array([int(r.died) for r in ROLES])
    hs, dd, rl = (np.array([m.get(k, np.nan) for k in _KEYS], float) for m in (hsct, day, rel))
    return t, e, hs, dd, rl


def _ordered_times(rng, batch):
    """Ordered OS times in tenths of a month: the shortest, 8 before the median, the median
    (the 10th time), 1 up to one year, 7 after it and the longest (the paper's follow-up)."""
    lo, med, hi = (round(10 * _number(f"followup_{k}")) for k in ("min", "median", "max"))
    year = round(10 * config.HORIZON_MONTHS)
    early = np.sort(_distinct_loguniform(rng, lo + 1, med - 1, 8, batch), 1)
    late = np.sort(_distinct_loguniform(rng, year + 1, hi - 1, 7, batch), 1)
    mid = rng.integers(med + 1, year + 1, batch)[:, None]
    return np.concatenate(
        [np.full((batch, 1), lo), early, np.full((batch, 1), med), mid, late,
         np.full((batch, 1), hi)], axis=1) / 10  # fmt: skip


def _distinct_loguniform(rng, lo, hi, k, batch):
    """``k`` distinct grid points (tenths) per row from ``lo..hi``, log-uniform weights (early
    follow-up is crowded with events, so admissible orders are found far more often)."""
    grid = np.arange(lo, hi + 1)
    w = np.log(grid + 1.0) - np.log(grid.astype(float))
    keys = rng.random((batch, len(grid))) ** (1.0 / w)  # weighted sampling without replacement
    pick = np.argpartition(-keys, k - 1, axis=1)[:, :k]
    return grid[pick]


def _rfs_arrays(t, e, rel):
    return np.where(np.isnan(rel), t, rel)[..., _CR], np.where(np.isnan(rel), e, 1)[..., _CR]


def _search_times(rng, progress, max_candidates=2_000_000, batch=2000):
    """Yield timelines that satisfy every time-only statement of the paper."""
    skeletons = order_skeletons()
    t = targets()
    progress(f"{len(skeletons)} order skeletons reproduce OS {t['os_1y']}% +/- {t['os_1y_se']}% "
             f"and P = {t['os_mrd_p']}")  # fmt: skip
    tried = 0
    while tried < max_candidates:
        sk_idx = rng.integers(0, len(skeletons), batch)
        times = _ordered_times(rng, batch)
        for b in range(batch):
            tried += 1
            cand = _draw_candidate(rng, skeletons[sk_idx[b]], times[b])
            if cand is None:
                continue
            t, e, hsct, days, rel = cand
            rt, re_ = _rfs_arrays(t, e, rel)
            if not _rfs_reproduced(rt, re_):
                continue
            # "not significant" statements that involve times only
            hs = (~np.isnan(hsct) & (np.isnan(rel) | (hsct < rel)))[_CR]  # HSCT in 1st remission
            p = logrank_pvalues(rt, re_, np.vstack([_MRD[_CR], hs]))
            p_os = logrank_pvalues(t[_CR], e[_CR], hs)[0]
            if min(p.min(), p_os) < config.ALPHA:
                continue
            progress(f"timeline found after {tried} candidates")
            yield t, e, hsct, days, rel
    raise RuntimeError(f"no timeline found in {tried} candidates")


def _fisher_by_count(k_total: int, n_total: int, n_group: int) -> dict[int, float]:
    """Fisher P for every possible count of responders in a group of fixed size."""
    out = {}
    for a in range(max(0, n_group - (n_total - k_total)), min(n_group, k_total) + 1):
        table = [[a, n_group - a], [k_total - a, n_total - n_group - (k_total - a)]]
        out[a] = fisher_exact(table)
    return out


def _not_significant_fisher(labels: np.ndarray) -> np.ndarray:
    """Rows of ``labels`` (k x 19 bool) for which CR (overt and all) and MRD response (all) do
    not differ (Fisher P >= 0.05)."""
    labels = np.atleast_2d(labels)
    ok, everyone = np.ones(len(labels), dtype=bool), np.ones(len(ROLES), bool)
    for outcome, subset in ((_CR, _OVERT), (_CR, everyone), (_MRD, everyone)):
        y = outcome[subset]
        g = labels[:, subset]
        k_total, n_total = int(y.sum()), int(subset.sum())
        n_group = g.sum(axis=1)
        a = (g & y).sum(axis=1)
        for m in np.unique(n_group):
            if m == 0 or m == n_total:
                continue
            table = _fisher_by_count(k_total, n_total, int(m))
            rows = n_group == m
            ok[rows] &= np.array([table[int(x)] >= config.ALPHA for x in a[rows]])
    return ok


def _label_search(rng, t, e, rel, *, size, eligible, forced, target_p, progress, name):
    """Enumerate labellings of ``size`` patients; keep those reproducing the paper's P values."""
    rt, re_ = _rfs_arrays(t, e, rel)
    forced_idx = [_IX[k] for k in forced]
    pool = [i for i in range(len(ROLES)) if eligible[i] and i not in forced_idx]
    combos = np.array(list(itertools.combinations(pool, size - len(forced_idx))))
    labels = np.zeros((len(combos), len(ROLES)), dtype=bool)
    labels[np.arange(len(combos))[:, None], combos] = True
    labels[:, forced_idx] = True
    p_os = logrank_pvalues(t, e, labels)
    keep = prints_as_each(p_os, target_p)
    keep &= logrank_pvalues(rt, re_, labels[:, _CR]) >= config.ALPHA
    keep &= _not_significant_fisher(labels)
    progress(f"{name}: {keep.sum()} of {len(labels)} labellings reproduce P = {target_p}")
    if not keep.any():
        return None
    return labels[rng.choice(np.flatnonzero(keep))]


def _high_blast_count() -> int:
    """Patients with >= 50% blasts: the one count whose percentage prints as the paper's (GRIM)."""
    (k,) = grim(targets()["pct_high_blasts"], int(_number("n_patients")))
    return k


def _draw_baseline(rng):
    """Sex, age, time from diagnosis, extramedullary disease and prior CAR-T for 19 patients."""
    n = len(ROLES)
    for _ in range(10_000):
        sex_male = np.zeros(n, bool)
        sex_male[rng.choice(n, int(_number("n_male")), replace=False)] = True
        amin, amed, amax = (int(_number(f"age_{k}")) for k in ("min", "median", "max"))
        ages = np.concatenate(  # a second patient <= 18 years old: an assumption
            [[amin, 16], rng.integers(19, amed + 1, 7), [amed], rng.integers(amed, amax, 8),
             [amax]]
        )  # fmt: skip
        ages = rng.permutation(ages)
        mmin, mmed, mmax = (int(_number(f"dx_months_{k}")) for k in ("min", "median", "max"))
        months = np.concatenate([[mmin], rng.integers(mmin + 1, mmed, 8), [mmed],
                                 rng.integers(mmed, mmax, 8), [mmax]])  # fmt: skip
        # a previous transplant takes time: those patients were diagnosed >= 9 months earlier
        order = rng.permutation(n)
        months = months[order]
        if (months[_PRIOR] < 9).any():
            continue
        emd = np.zeros(n, bool)
        emd[rng.choice(n, 3, replace=False)] = True
        groups = np.vstack([sex_male, ages <= 18, months >= 12, emd])
        if _not_significant_fisher(groups).all():
            car_t = np.zeros(n, bool)
            car_t[rng.choice(n, int(_number("n_prior_car_t")), replace=False)] = True
            return sex_male, ages, months, emd, car_t
    raise RuntimeError("no baseline draw satisfied the 'no difference' statements")


def _adverse_events(rng, ids, overt, high_blasts, cycles, adult, transplanted):
    """Adverse events as the paper describes them, assigned with the seed: CRS to overt
    disease (grade 3 preferably with >= 50% blasts), the dose reduction to an adult, the
    discontinuation to a one-cycle untransplanted patient; the rest from ``assumptions.yml``."""
    n = len(ids)
    overt_idx = np.flatnonzero(overt)
    crs = rng.choice(overt_idx, int(_number("n_crs")), replace=False)
    crs_high = [i for i in crs if high_blasts[i]]
    crs3 = int(rng.choice(crs_high if crs_high else crs))
    others = [int(i) for i in crs if i != crs3]
    grades = rng.permutation([1] * 7 + [2] * 3)
    one_cycle = [i for i in others if cycles[i] == 1 and not transplanted[i]]
    disc = int(rng.choice(one_cycle))
    rest = [i for i in others if i != disc]
    dose_red = int(rng.choice([i for i in rest if adult[i]]))
    rest = [i for i in rest if i != dose_red]
    fn_more = [int(i) for i in rng.choice(rest, 2, replace=False)]
    headache = int(rng.choice([i for i in rest if i not in fn_more]))
    hepato = int(rng.choice([i for i in range(n) if i not in crs]))
    rows = [(i, "cytokine release syndrome", int(g), "none") for i, g in zip(others, grades)]
    picks = (crs3, disc, dose_red, *fn_more, headache, hepato)
    who = dict(zip(("crs3", "disc", "dose_red", "fn0", "fn1", "headache", "hepato"), picks))
    rows += [(who[w], *event) for w, *event in _CHOICES["adverse_events"]]
    ae = pd.DataFrame(rows, columns=["row", "event", "grade", "action"])
    ae.insert(0, "patient_id", [ids[i] for i in ae.pop("row")])
    return ae.sort_values(["patient_id", "event"], kind="stable").reset_index(drop=True)


def _assemble(rng, t, e, hsct, days, rel, ph, high):
    """Build the cohort and adverse-event tables from a complete solution."""
    n = len(ROLES)
    sex_male, ages, months, emd, car_t_prior = _draw_baseline(rng)
    blasts = np.where(
        ~_OVERT, rng.integers(1, 50, n) / 10,
        np.where(high, rng.integers(500, 951, n) / 10, rng.integers(50, 500, n) / 10),
    )  # fmt: skip
    car_t_months = np.full(n, np.nan)
    car_t_months[_IX["N2"]] = t[_IX["N2"]] - _draw(rng, 0.2, min(1.0, t[_IX["N2"]] - 1.8))
    car_t_months[_IX["N3"]] = _draw(rng, 2.3, t[_IX["N3"]] - 0.5)
    ids = [f"P{rank + 1:02d}" for rank in np.argsort(rng.permutation(n))]
    rfs_t = np.where(np.isnan(rel), t, rel)
    rfs_e = np.where(np.isnan(rel), e, 1)
    roles = pd.DataFrame(ROLES).rename(columns={"pathway": "hsct_pathway"})
    cohort = roles.assign(
        patient_id=ids,
        sex=np.where(sex_male, "male", "female"),
        age_years=ages.astype(int),
        ph_positive=ph,
        months_diagnosis_to_blinatumomab=months.astype(int),
        prior_car_t=car_t_prior,
        marrow_blasts_pct=blasts,
        extramedullary_disease=emd,
        mrd_positive_at_start=np.ones(n, bool),
        allo_hsct_after=~np.isnan(hsct),
        days_to_hsct=pd.array(np.where(np.isnan(days), pd.NA, days), dtype="Int64"),
        hsct_months=np.round(hsct, 1),
        mrd_negative_after_hsct=pd.array(np.where(np.isnan(hsct), pd.NA, True), dtype="boolean"),
        car_t_months=np.round(car_t_months, 1),
        relapse=~np.isnan(rel),
        relapse_months=np.round(rel, 1),
        os_months=np.round(t, 1),
        os_event=e.astype(int),
        rfs_months=np.where(_CR, np.round(rfs_t, 1), np.nan),
        rfs_event=pd.array(np.where(_CR, rfs_e, pd.NA), dtype="Int64"),
    )[list(data_dictionary("cohort")["column"])]
    ae = _adverse_events(
        rng, ids, _OVERT, high, cohort["cycles"].to_numpy(), ages > 18, ~np.isnan(hsct)
    )
    cohort = cohort.sort_values("patient_id").reset_index(drop=True)
    return cohort, ae


def reconstruct(seed: int = DEFAULT_SEED, *, quiet: bool = False):
    """Search for a cohort reproducing every published number (same seed, same cohort): returns
    ``cohort, adverse_events`` (as ``data/reconstructed/``) and their ledger ``report``."""
    rng = np.random.default_rng(seed)
    progress = _progress(quiet)
    for attempt, (t, e, hsct, days, rel) in enumerate(_search_times(rng, progress), 1):
        ph = _label_search(
            rng, t, e, rel, size=int(_number("n_ph_positive")), eligible=np.ones(len(ROLES), bool),
            forced=("D7", "M3"), target_p=targets()["os_ph_p"], progress=progress, name="Ph+",
        )  # fmt: skip
        if ph is None:
            continue
        high = _label_search(
            rng, t, e, rel, size=_high_blast_count(), eligible=_OVERT, forced=(),
            target_p=targets()["os_blasts_p"], progress=progress, name=">=50% blasts",
        )  # fmt: skip
        if high is None:
            continue
        cohort, ae = _assemble(rng, t, e, hsct, days, rel, ph, high)
        report = compare(cohort, ae)
        bad = report[~report["reproduced"]]
        if len(bad):
            progress(f"candidate {attempt} misses {len(bad)} ledger entries: "
                     f"{', '.join(bad['id'][:5])}")  # fmt: skip
            continue
        progress(f"all {len(report)} ledger entries reproduced (candidate {attempt})")
        return cohort, ae, report
    raise RuntimeError("search exhausted")


if __name__ == "__main__":  # the command line is scripts/reconstruct.py
    runpy.run_path(str(config.ROOT / "scripts" / "reconstruct.py"), run_name="__main__")
