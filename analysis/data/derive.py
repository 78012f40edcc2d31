"""Derived patient-level variables (flags) used by every chapter and by the ledger.

All subgroup definitions live here, once: for example *overt disease* is
``marrow_blasts_pct >= 5`` and *high tumour burden* is ``marrow_blasts_pct >= 50``
(the paper's cut-offs).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["flags", "flags_cached", "as_bool", "FLAG_LABELS", "rfs_table", "os_table"]

_CACHE: dict[int, pd.DataFrame] = {}

#: Human-readable meaning of every flag (used in tables and the ledger).
FLAG_LABELS: dict[str, str] = {
    "all": "all patients",
    "male": "male",
    "female": "female",
    "age_le18": "age <= 18 years",
    "age_gt18": "age > 18 years",
    "ph_positive": "Ph-positive",
    "ph_negative": "Ph-negative",
    "prior_allo_hsct": "previous allo-HSCT",
    "no_prior_allo_hsct": "no previous allo-HSCT",
    "prior_car_t": "previous CAR-T",
    "low_burden": "< 5% marrow blasts",
    "overt": ">= 5% marrow blasts (overt disease)",
    "blasts_5_49": "5-49% marrow blasts",
    "high_blasts": ">= 50% marrow blasts",
    "low_blasts": "< 50% marrow blasts",
    "emd": "extramedullary disease",
    "no_emd": "no extramedullary disease",
    "dx_lt12": "< 12 months from diagnosis",
    "dx_ge12": ">= 12 months from diagnosis",
    "mrd_positive_start": "MRD-positive at start",
    "one_cycle": "1 cycle",
    "two_cycles": "2 cycles",
    "six_cycles": "6 cycles",
    "cr": "CR",
    "no_cr": "no CR",
    "no_response": "no CR (overt disease)",
    "mrd_response": "MRD responder",
    "mrd_nonresponse": "MRD non-responder",
    "hsct": "allo-HSCT after blinatumomab",
    "hsct_direct": "direct allo-HSCT",
    "hsct_bridging": "allo-HSCT after bridging",
    "hsct_salvage": "allo-HSCT after relapse and salvage",
    "hsct_first_remission": "allo-HSCT in first remission",
    "no_hsct_first_remission": "no allo-HSCT in first remission",
    "mrd_negative_after_hsct": "MRD-negative after allo-HSCT",
    "car_t_after": "CAR-T after blinatumomab",
    "relapse": "relapse",
    "died": "died",
    "alive": "alive",
    "alive_cr_mrd_negative": "alive in CR and MRD-negative",
}


def as_bool(s: pd.Series) -> np.ndarray:
    """A nullable boolean column as a numpy bool array, missing read as False."""
    return s.fillna(False).astype(bool).to_numpy()


class flags_cached:  # noqa: N801 - used as a context manager, reads like a function
    """Within the block, :func:`flags` of ``cohort`` is computed once.

    The ledger evaluates over a hundred metrics on the same table; the cache
    is bound to this object and cleared when the block ends.
    """

    def __init__(self, cohort: pd.DataFrame):
        self.key = id(cohort)
        self.cohort = cohort

    def __enter__(self):
        _CACHE[self.key] = _flags(self.cohort)
        return self

    def __exit__(self, *exc):
        _CACHE.pop(self.key, None)
        return False


def flags(cohort: pd.DataFrame) -> pd.DataFrame:
    """Boolean flags for every subgroup the book uses (see :func:`_flags`)."""
    cached = _CACHE.get(id(cohort))
    return cached if cached is not None else _flags(cohort)


def _flags(cohort: pd.DataFrame) -> pd.DataFrame:
    """Boolean flags for every subgroup the book uses.

    Parameters
    ----------
    cohort : pandas.DataFrame
        Cohort table (see :data:`analysis.data.COHORT_COLUMNS`).

    Returns
    -------
    pandas.DataFrame
        One boolean column per key of :data:`FLAG_LABELS`, indexed like ``cohort``.

    Notes
    -----
    *Allo-HSCT in first remission* is a transplant before any relapse; the one
    patient transplanted after relapse and salvage is excluded.  This is the
    reading under which "62.5% of the 16 patients with CR proceeded to
    allo-HSCT" holds (10 of 16; see the audit chapter).
    """
    c = cohort
    blasts = c["marrow_blasts_pct"].to_numpy(dtype=float)
    hsct = as_bool(c["allo_hsct_after"])
    relapse = as_bool(c["relapse"])
    hsct_m = c["hsct_months"].to_numpy(dtype=float)
    rel_m = c["relapse_months"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        before_relapse = ~relapse | (hsct_m < rel_m)
    pathway = c["hsct_pathway"].fillna("").astype(str).to_numpy()
    cr = as_bool(c["cr"])
    mrd = as_bool(c["mrd_response"])
    died = c["os_event"].to_numpy(dtype=float) == 1
    mrd_neg_after = as_bool(c["mrd_negative_after_hsct"])
    f = {
        "all": np.ones(len(c), bool),
        "male": (c["sex"] == "male").to_numpy(),
        "female": (c["sex"] == "female").to_numpy(),
        "age_le18": c["age_years"].to_numpy(dtype=float) <= 18,
        "ph_positive": as_bool(c["ph_positive"]),
        "prior_allo_hsct": as_bool(c["prior_allo_hsct"]),
        "prior_car_t": as_bool(c["prior_car_t"]),
        "low_burden": blasts < 5,
        "high_blasts": blasts >= 50,
        "emd": as_bool(c["extramedullary_disease"]),
        "dx_ge12": c["months_diagnosis_to_blinatumomab"].to_numpy(dtype=float) >= 12,
        "mrd_positive_start": as_bool(c["mrd_positive_at_start"]),
        "one_cycle": c["cycles"].to_numpy(dtype=float) == 1,
        "two_cycles": c["cycles"].to_numpy(dtype=float) == 2,
        "six_cycles": c["cycles"].to_numpy(dtype=float) == 6,
        "cr": cr,
        "mrd_response": mrd,
        "hsct": hsct,
        "hsct_direct": hsct & (pathway == "direct"),
        "hsct_bridging": hsct & (pathway == "bridging"),
        "hsct_salvage": hsct & (pathway == "salvage"),
        "hsct_first_remission": hsct & cr & before_relapse,
        "mrd_negative_after_hsct": hsct & mrd_neg_after,
        "car_t_after": as_bool(c["car_t_after"]),
        "relapse": relapse,
        "died": died,
    }
    f["age_gt18"] = ~f["age_le18"]
    f["female"] = f["female"]
    f["ph_negative"] = ~f["ph_positive"]
    f["no_prior_allo_hsct"] = ~f["prior_allo_hsct"]
    f["overt"] = ~f["low_burden"]
    f["blasts_5_49"] = f["overt"] & ~f["high_blasts"]
    f["low_blasts"] = ~f["high_blasts"]
    f["no_emd"] = ~f["emd"]
    f["dx_lt12"] = ~f["dx_ge12"]
    f["no_cr"] = ~cr
    f["no_response"] = f["overt"] & ~cr
    f["mrd_nonresponse"] = ~mrd
    f["no_hsct_first_remission"] = ~f["hsct_first_remission"]
    f["alive"] = ~died
    # MRD-negative at last contact: an MRD response, or MRD-negative after transplant,
    # and (after any relapse) a renewed CR; alive patients are never left in relapse here
    f["alive_cr_mrd_negative"] = ~died & cr & (mrd | f["mrd_negative_after_hsct"])
    out = pd.DataFrame(f, index=c.index)
    return out[list(FLAG_LABELS)]


def os_table(cohort: pd.DataFrame) -> pd.DataFrame:
    """Overall survival: ``time`` (months) and ``event`` for every patient."""
    return pd.DataFrame(
        {"time": cohort["os_months"].astype(float), "event": cohort["os_event"].astype(int)}
    )


def rfs_table(cohort: pd.DataFrame) -> pd.DataFrame:
    """Relapse-free survival for the patients in CR: ``time`` and ``event``."""
    in_cr = as_bool(cohort["cr"])
    sub = cohort[in_cr]
    return pd.DataFrame(
        {"time": sub["rfs_months"].astype(float), "event": sub["rfs_event"].astype(int)},
        index=sub.index,
    )
