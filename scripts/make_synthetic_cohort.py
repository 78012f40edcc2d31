"""Synthetic cohorts that meet the data contract, of any size, seeded and deterministic.

The patients are invented.  They are drawn so that the relationships the book studies are
plausible: overt disease (>= 5% marrow blasts) responds less often than a low burden, high
burden and a previous transplant less still; MRD responses occur only in CR; patients in CR
may proceed to allo-HSCT (directly, after bridging, or after relapse and salvage); relapses
and deaths follow exponential times whose medians depend on response; follow-up ends at an
administrative censoring time (staggered entry over three years).  Adverse events (CRS,
neurotoxicity, febrile neutropenia, infections, liver enzymes, headache) get grades and the
action taken with blinatumomab.  No number here is fitted to the paper: these tables exist to
exercise the code (empty subgroups, groups without events, a million patients), not to
reproduce the study.

Every draw comes from one ``numpy.random.default_rng(seed)`` in a fixed order and the whole
generation is vectorised, so the same ``n``, ``seed`` and ``empty`` give byte-identical files
on any machine (a million patients in a few seconds).

``--empty FLAG`` leaves the subgroup FLAG without patients (flags as in
:data:`analysis.data.derive.FLAG_LABELS`: ph_positive, ph_negative, low_burden, overt,
prior_allo_hsct, prior_car_t, emd, age_le18, cr, mrd_response, hsct, relapse, died,
car_t_after); for example ``--empty ph_positive`` gives a cohort with no Ph-positive patient
and ``--empty died`` one in which nobody dies (no OS event).

Usage
-----
python scripts/make_synthetic_cohort.py                   # 300 patients -> data/synthetic/
python scripts/make_synthetic_cohort.py --n 1000000 --out /tmp/big
python scripts/make_synthetic_cohort.py --n 300 --empty ph_positive
python scripts/make_synthetic_cohort.py --examples        # rewrite the committed examples
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from analysis.config import DAYS_PER_MONTH  # noqa: E402

OUT_DIR = ROOT / "data" / "synthetic"
DEFAULT_N = 300
DEFAULT_SEED = 20240501
EMPTY_CHOICES = (
    "ph_positive", "ph_negative", "low_burden", "overt", "prior_allo_hsct", "prior_car_t",
    "emd", "age_le18", "cr", "mrd_response", "hsct", "relapse", "died", "car_t_after",
)  # fmt: skip
#: The examples committed under data/synthetic/: (n, seed, empty subgroups).
EXAMPLES = (
    (DEFAULT_N, DEFAULT_SEED, ()),
    (DEFAULT_N, DEFAULT_SEED, ("ph_positive",)),
    (DEFAULT_N, DEFAULT_SEED, ("low_burden",)),
)


def _exp(rng, median, n):
    """Exponential times with the given median (array or scalar)."""
    return rng.exponential(np.asarray(median, dtype=float) / np.log(2), n)


def _ceil1(x):
    """Round up to the 0.1 grid (so that an interval in days never exceeds it)."""
    return np.ceil(np.round(np.asarray(x, dtype=float) * 10, 6)) / 10


def generate(n: int = DEFAULT_N, seed: int = DEFAULT_SEED, empty=()) -> tuple:
    """Draw a cohort and its adverse events.

    Parameters
    ----------
    n : int
        Number of patients.
    seed : int
        Seed of the random generator.
    empty : iterable of str
        Subgroups (see ``EMPTY_CHOICES``) to leave without patients.

    Returns
    -------
    tuple of pandas.DataFrame
        ``(cohort, adverse_events)`` with the columns of the data dictionary, typed as
        :func:`analysis.data.parse_cohort` types them.
    """
    empty = set(empty)
    unknown = empty - set(EMPTY_CHOICES)
    if unknown:
        raise ValueError(f"unknown subgroup(s) {sorted(unknown)}; choose from {EMPTY_CHOICES}")
    for a, b in (("ph_positive", "ph_negative"), ("low_burden", "overt")):
        if {a, b} <= empty:
            raise ValueError(f"{a} and {b} cannot both be empty")
    rng = np.random.default_rng(seed)

    def u():
        return rng.random(n)

    # baseline
    male = u() < 0.5
    child = (u() < 0.15) & ("age_le18" not in empty)
    age = np.where(
        child, rng.integers(2, 18, n), np.clip(np.round(rng.normal(45, 14, n)), 19, 80)
    ).astype(int)
    ph = u() < np.where(child, 0.05, 0.3)
    ph = np.where("ph_positive" in empty, False, np.where("ph_negative" in empty, True, ph))
    dx = np.clip(np.round(rng.lognormal(np.log(12), 0.9, n)), 0, 300).astype(int)
    prior_hsct = (u() < 0.15) & ("prior_allo_hsct" not in empty)
    prior_cart = (u() < 0.10) & ("prior_car_t" not in empty)
    low = u() < 0.2
    low = np.where("low_burden" in empty, False, np.where("overt" in empty, True, low))
    blasts = np.where(
        low,
        np.round(rng.uniform(0, 4.9, n), 1),
        np.clip(np.round(5 + 94.9 * rng.beta(1.2, 1.5, n), 1), 5.0, 99.9),
    )
    emd = (u() < 0.1) & ("emd" not in empty)
    mrd_start = ~low | (u() < 0.95)
    cycles = rng.choice([1, 2, 3, 4, 5, 6], n, p=[0.55, 0.2, 0.08, 0.05, 0.04, 0.08])

    # response
    p_cr = np.where(low, 0.9, np.where(blasts < 50, 0.75, 0.6))
    p_cr = p_cr * np.where(prior_hsct, 0.6, 1.0) * np.where(emd, 0.8, 1.0)
    cr = (u() < p_cr) & ("cr" not in empty)
    mrd = cr & mrd_start & (u() < np.where(low, 0.85, 0.7)) & ("mrd_response" not in empty)

    # times (months from the start of blinatumomab)
    censor = rng.uniform(1.0, 36.0, n)
    death = np.where(cr, _exp(rng, np.where(mrd, 60.0, 30.0), n), _exp(rng, 5.0, n))
    if "died" in empty:
        death[:] = np.inf
    rel_t = np.where(cr, _exp(rng, np.where(mrd, 24.0, 9.0), n), np.inf)
    relapse = cr & (rel_t < np.minimum(death, censor)) & ("relapse" not in empty)
    after_relapse = rel_t + _exp(rng, 6.0, n)
    death = np.where(relapse & ("died" not in empty), np.minimum(death, after_relapse), death)
    end = np.minimum(death, censor)
    os_m = np.maximum(np.round(end, 1), 0.1)
    died = death <= censor
    rel_m = np.where(relapse, np.minimum(np.round(rel_t, 1), os_m), np.nan)

    # transplant: in first remission (direct or after bridging), or after relapse and salvage
    blina_end = 0.92 + (cycles - 1) * 1.38
    bridging = u() < 0.15
    days1 = np.where(bridging, rng.integers(40, 121, n), rng.integers(7, 91, n))
    t1 = _ceil1(blina_end + days1 / DAYS_PER_MONTH)
    first = cr & (u() < 0.6) & (t1 <= os_m) & (~relapse | (t1 < rel_m))
    t2 = _ceil1(np.nan_to_num(rel_m, nan=0.0) + rng.uniform(1.0, 3.0, n))
    salvage = relapse & ~first & (u() < 0.25) & (t2 <= os_m)
    hsct = (first | salvage) & ("hsct" not in empty)
    first &= hsct
    salvage &= hsct
    hsct_m = np.where(first, t1, np.where(salvage, t2, np.nan))
    days2 = np.floor(np.maximum(t2 - blina_end, 0) * DAYS_PER_MONTH).astype(int)
    days = np.where(first, days1, np.where(salvage, days2, 0))
    pathway = np.where(first & bridging, "bridging", np.where(first, "direct", "salvage"))
    pathway = np.where(hsct, pathway, "")
    bridge_drug = np.where(ph, "imatinib", "chemotherapy")
    pre = np.where(first & bridging, bridge_drug, np.where(salvage, "salvage chemotherapy", ""))
    mrd_after = np.where(hsct, u() < 0.9, False)

    # CAR-T after blinatumomab: after no response, or after a relapse without transplant
    ct_no_cr = _ceil1(rng.uniform(0.8, 2.5, n))
    ct_rel = _ceil1(np.nan_to_num(rel_m, nan=0.0) + rng.uniform(0.5, 2.0, n))
    p_ct = u()
    car_t = (~cr & (p_ct < 0.35) & (ct_no_cr <= os_m)) | (
        relapse & ~hsct & (p_ct < 0.2) & (ct_rel <= os_m)
    )
    car_t &= "car_t_after" not in empty
    car_t_m = np.where(car_t, np.where(cr, ct_rel, ct_no_cr), np.nan)

    # relapse-free survival (patients in CR)
    rfs_m = np.where(cr, np.where(relapse, rel_m, os_m), np.nan)
    rfs_e = np.where(relapse | died, 1, 0)
    site = rng.choice(
        ["bone marrow", "CNS", "bone marrow and CNS", "extramedullary"], n, p=[0.7, 0.1, 0.1, 0.1]
    )
    cause = np.where(
        ~died,
        "",
        np.where(
            ~cr | relapse,
            "disease progression",
            np.where(hsct, np.where(u() < 0.5, "infection after allo-HSCT", "GVHD"), "infection"),
        ),
    )
    resp = np.where(mrd, "CR MRD-negative", np.where(cr, "CR MRD-positive", "no response"))
    course = pd.Series(resp)
    for mask, text in (
        (first & ~bridging, ", direct allo-HSCT"),
        (first & bridging, ", bridging, allo-HSCT"),
        (relapse, ", relapse"),
        (salvage, ", salvage, allo-HSCT"),
        (car_t, ", CAR-T"),
        (died, ", died"),
    ):
        course = course.where(~mask, course + text)

    width = max(3, len(str(n)))
    ids = pd.Series(np.arange(1, n + 1)).map(lambda i: f"S{i:0{width}d}")
    cohort = pd.DataFrame(
        {
            "patient_id": ids.to_numpy(dtype=object),
            "sex": np.where(male, "male", "female").astype(object),
            "age_years": pd.array(age, dtype="Int64"),
            "ph_positive": pd.array(ph, dtype="boolean"),
            "months_diagnosis_to_blinatumomab": pd.array(dx, dtype="Int64"),
            "prior_allo_hsct": pd.array(prior_hsct, dtype="boolean"),
            "prior_car_t": pd.array(prior_cart, dtype="boolean"),
            "marrow_blasts_pct": blasts.astype(float),
            "extramedullary_disease": pd.array(emd, dtype="boolean"),
            "mrd_positive_at_start": pd.array(mrd_start, dtype="boolean"),
            "cycles": pd.array(cycles, dtype="Int64"),
            "cr": pd.array(cr, dtype="boolean"),
            "mrd_response": pd.array(mrd, dtype="boolean"),
            "allo_hsct_after": pd.array(hsct, dtype="boolean"),
            "hsct_pathway": pathway.astype(object),
            "pre_hsct_therapy": pre.astype(object),
            "days_to_hsct": pd.array(np.where(hsct, days, 0), dtype="Int64"),
            "hsct_months": hsct_m,
            "mrd_negative_after_hsct": pd.array(mrd_after, dtype="boolean"),
            "car_t_after": pd.array(car_t, dtype="boolean"),
            "car_t_months": car_t_m,
            "relapse": pd.array(relapse, dtype="boolean"),
            "relapse_site": np.where(relapse, site, "").astype(object),
            "relapse_months": rel_m,
            "os_months": os_m,
            "os_event": pd.array(died.astype(int), dtype="Int64"),
            "rfs_months": rfs_m,
            "rfs_event": pd.array(rfs_e, dtype="Int64"),
            "cause_of_death": cause.astype(object),
            "course": course.to_numpy(dtype=object),
        }
    )
    cohort.loc[~hsct, ["days_to_hsct", "mrd_negative_after_hsct"]] = pd.NA
    cohort.loc[~cr, "rfs_event"] = pd.NA
    return cohort, _adverse_events(rng, cohort)


def _adverse_events(rng, cohort: pd.DataFrame) -> pd.DataFrame:
    """Adverse events during blinatumomab: one row per patient and event (highest grade)."""
    n = len(cohort)
    events = (
        # term, probability, grade probabilities (1..4)
        ("cytokine release syndrome", 0.55, [0.6, 0.3, 0.08, 0.02]),
        ("neurotoxicity", 0.10, [0.5, 0.3, 0.15, 0.05]),
        ("febrile neutropenia", 0.20, [0.0, 0.0, 0.8, 0.2]),
        ("bacterial sepsis", 0.08, [0.0, 0.0, 0.5, 0.5]),
        ("elevated liver enzymes", 0.10, [0.4, 0.3, 0.2, 0.1]),
        ("headache", 0.10, [0.7, 0.3, 0.0, 0.0]),
    )
    parts = []
    for k, (_term, p, grades) in enumerate(events):
        who = np.flatnonzero(rng.random(n) < p)
        grade = rng.choice([1, 2, 3, 4], len(who), p=grades)
        draw = rng.random(len(who))
        action = np.where(
            grade <= 2,
            "none",
            np.where(
                grade == 3,
                np.where(draw < 0.5, "none", np.where(draw < 0.85, "interrupted", "dose reduced")),
                np.where(draw < 0.5, "interrupted", "discontinued"),
            ),
        )
        parts.append(pd.DataFrame({"row": who, "k": k, "grade": grade, "action": action}))
    ae = pd.concat(parts, ignore_index=True).sort_values(["row", "k"], kind="stable")
    terms = np.array([e[0] for e in events], dtype=object)
    return pd.DataFrame(
        {
            "patient_id": cohort["patient_id"].to_numpy()[ae["row"].to_numpy()],
            "event": terms[ae["k"].to_numpy()],
            "grade": pd.array(ae["grade"].to_numpy(), dtype="Int64"),
            "action": ae["action"].to_numpy(dtype=object),
        }
    )


def to_csv(df: pd.DataFrame, path: Path) -> None:
    """Write with the project's conventions (true/false, empty missing values, one decimal)."""
    out = df.copy()
    for c in out.columns:
        if out[c].dtype == "boolean":
            v = out[c]
            out[c] = np.where(v.isna(), "", np.where(v.fillna(False), "true", "false"))
    out.to_csv(path, index=False, float_format="%.1f", na_rep="", lineterminator="\n")


def names(n: int, empty=()) -> tuple[str, str]:
    """File names of a cohort and its adverse events (``cohort_300_no_ph_positive.csv``)."""
    suffix = "".join(f"_no_{e}" for e in sorted(empty))
    return f"cohort_{n}{suffix}.csv", f"adverse_events_{n}{suffix}.csv"


def write(n, seed, empty, out: Path, check: bool = True) -> tuple[Path, Path]:
    """Generate, write and (optionally) check one cohort against the data contract."""
    cohort, ae = generate(n, seed, empty)
    out.mkdir(parents=True, exist_ok=True)
    c_name, a_name = names(n, empty)
    to_csv(cohort, out / c_name)
    to_csv(ae, out / a_name)
    if check:
        from analysis.data.contract import validate_tables

        validate_tables(out / c_name, out / a_name)
    return out / c_name, out / a_name


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=DEFAULT_N, help="patients (default %(default)s)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--empty", nargs="*", default=[], choices=EMPTY_CHOICES, metavar="FLAG",
                        help="subgroups to leave without patients")  # fmt: skip
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    parser.add_argument("--no-check", action="store_true", help="skip the contract check")
    parser.add_argument("--examples", action="store_true",
                        help="rewrite the examples committed under data/synthetic/")  # fmt: skip
    args = parser.parse_args(argv)
    jobs = EXAMPLES if args.examples else ((args.n, args.seed, tuple(args.empty)),)
    for n, seed, empty in jobs:
        c, a = write(n, seed, empty, OUT_DIR if args.examples else args.out, not args.no_check)
        print(f"wrote {c} and {a}" + ("" if args.no_check else " (contract OK)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
