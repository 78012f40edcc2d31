"""The data dictionary: every column of the cohort and adverse-event tables.

Each entry gives the column's name, type, unit, allowed values and meaning; the data
contract (:mod:`analysis.data.contract`) is generated from it and the book's appendix shows
it.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["COHORT_COLUMNS", "AE_COLUMNS", "data_dictionary"]

# name, type, unit, allowed values, meaning
COHORT_COLUMNS: tuple[tuple[str, str, str, str, str], ...] = (
    ("patient_id", "string", "", "unique, non-empty", "Study identifier (no personal identifier)"),
    ("sex", "category", "", "male, female", "Sex"),
    ("age_years", "integer", "years", "0-120", "Age at the start of blinatumomab"),
    ("ph_positive", "boolean", "", "true, false", "Philadelphia chromosome-positive B-ALL"),
    ("months_diagnosis_to_blinatumomab", "integer", "months", ">= 0",
     "Time from diagnosis to the start of blinatumomab"),
    ("prior_allo_hsct", "boolean", "", "true, false", "Allogeneic HSCT before blinatumomab"),
    ("prior_car_t", "boolean", "", "true, false", "CAR-T therapy before blinatumomab"),
    ("marrow_blasts_pct", "number", "%", "0-100",
     "Bone-marrow blasts at the start of blinatumomab"),
    ("extramedullary_disease", "boolean", "", "true, false",
     "Extramedullary disease before blinatumomab"),
    ("mrd_positive_at_start", "boolean", "", "true, false",
     "MRD >= 0.01% by flow cytometry at the start"),
    ("cycles", "integer", "cycles", ">= 1", "Blinatumomab cycles received"),
    ("cr", "boolean", "", "true, false", "CR (or sustained CR) after blinatumomab"),
    ("mrd_response", "boolean", "", "true, false",
     "MRD response: MRD-positive to MRD-negative (< 0.01%) after blinatumomab"),
    ("allo_hsct_after", "boolean", "", "true, false", "Allogeneic HSCT during follow-up"),
    ("hsct_pathway", "category", "", "direct, bridging, salvage, empty",
     "Route to transplant: directly, after bridging therapy, or after relapse and salvage"),
    ("pre_hsct_therapy", "string", "", "free text, empty", "Therapy between blinatumomab and HSCT"),
    ("days_to_hsct", "integer", "days", ">= 0; empty if no HSCT",
     "Days from the end of blinatumomab to allo-HSCT (the paper's interval)"),
    ("hsct_months", "number", "months", ">= 0; empty if no HSCT",
     "Time of allo-HSCT from the start of blinatumomab"),
    ("mrd_negative_after_hsct", "boolean", "", "true, false; empty if no HSCT",
     "MRD-negative after transplant"),
    ("car_t_after", "boolean", "", "true, false", "CAR-T after blinatumomab"),
    ("car_t_months", "number", "months", ">= 0; empty if none",
     "Time of CAR-T from the start of blinatumomab"),
    ("relapse", "boolean", "", "true, false", "Relapse during follow-up"),
    ("relapse_site", "string", "", "free text, empty", "Site of relapse"),
    ("relapse_months", "number", "months", ">= 0; empty if no relapse",
     "Time of relapse from the start of blinatumomab"),
    ("os_months", "number", "months", ">= 0",
     "Overall survival time: start of blinatumomab to death or last follow-up"),
    ("os_event", "integer", "", "0, 1", "1 = died, 0 = alive at last follow-up"),
    ("rfs_months", "number", "months", ">= 0; empty if no CR",
     "Relapse-free survival time (patients in CR)"),
    ("rfs_event", "integer", "", "0, 1; empty if no CR", "1 = relapse or death, 0 = censored"),
    ("cause_of_death", "string", "", "free text; empty if alive", "Cause of death"),
    ("course", "string", "", "free text", "One-line summary of the patient's course"),
)  # fmt: skip

AE_COLUMNS: tuple[tuple[str, str, str, str, str], ...] = (
    ("patient_id", "string", "", "an id of the cohort table", "Patient"),
    ("event", "string", "", "free text", "Adverse event term (CTCAE v5.0; CRS by ASTCT)"),
    ("grade", "integer", "", "1-5", "Highest grade of the event during blinatumomab"),
    ("action", "category", "", "none, interrupted, dose reduced, discontinued",
     "Action taken with blinatumomab"),
)  # fmt: skip


def data_dictionary(table: str = "cohort") -> pd.DataFrame:
    """The data dictionary of ``"cohort"`` or ``"adverse_events"`` as a tidy DataFrame."""
    rows = COHORT_COLUMNS if table == "cohort" else AE_COLUMNS
    return pd.DataFrame(rows, columns=["column", "type", "unit", "allowed values", "meaning"])
