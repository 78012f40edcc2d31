"""CR and MRD response, overall and by subgroup (the paper's Table 3).  CR counts the patients
with overt disease (>= 5% blasts), MRD response all patients, each with an exact 95% CI
(Results, *Treatment response*); a patient whose outcome or group is missing is left out."""

import numpy as np
import pandas as pd

from .. import format as fmt
from ..data import derive
from ..stats import compare_proportions, proportion
from .baseline import known, note

__all__ = ["SUBGROUPS", "P_UNDEFINED_NOTE", "summary", "summary_shown", "table3",
           "table3_shown", "texts"]  # fmt: skip

#: Subgroups of Table 3: key, characteristic, (flag, label) of the two groups, source column.
SUBGROUPS = (
    ("sex", "Sex", ("male", "male"), ("female", "female"), "sex"),
    ("age", "Age", ("age_le18", "≤ 18 years"), ("age_gt18", "> 18 years"), "age_years"),
    ("blasts", "Marrow blasts", ("low_blasts", "< 50%"), ("high_blasts", "≥ 50%"),
     "marrow_blasts_pct"),
    ("ph", "Philadelphia chromosome", ("ph_positive", "Ph+"), ("ph_negative", "Ph−"),
     "ph_positive"),
    ("dx", "Time from diagnosis", ("dx_lt12", "< 12 months"), ("dx_ge12", "≥ 12 months"),
     "months_diagnosis_to_blinatumomab"),
    ("emd", "Extramedullary disease", ("emd", "yes"), ("no_emd", "no"), "extramedullary_disease"),
    ("prior_hsct", "Previous allo-HSCT", ("prior_allo_hsct", "yes"), ("no_prior_allo_hsct", "no"),
     "prior_allo_hsct"),
)  # fmt: skip

#: Footnote for the P columns of Table 3 when a P value is undefined.
P_UNDEFINED_NOTE = (f"{fmt.DASH}: no P value, because one of the two groups is empty or every "
                    "patient compared had the same outcome.")  # fmt: skip


def _outcomes(cohort: pd.DataFrame):
    """CR and MRD response (missing read as no), where each is recorded, and overt disease."""
    f = derive.flags(cohort)
    overt = f["overt"].to_numpy() & known(cohort, "marrow_blasts_pct")
    low = f["low_burden"].to_numpy() & known(cohort, "marrow_blasts_pct")
    cr, mrd = derive.as_bool(cohort["cr"]), derive.as_bool(cohort["mrd_response"])
    return f, overt, low, (cr, known(cohort, "cr")), (mrd, known(cohort, "mrd_response"))


def summary(cohort: pd.DataFrame, method: str = "exact") -> pd.DataFrame:
    """CR and MRD response with 95% CIs (``method``: :func:`analysis.stats.proportion`).

    Returns
    -------
    pandas.DataFrame
        Index ``key`` (``cr_overt``, ``mrd_overt``, ``cr_low_burden``, ``mrd_low_burden``,
        ``cr_all``, ``mrd_all``); ``outcome``, ``population``, ``k``, ``n``, ``percent``,
        ``ci_lower``, ``ci_upper`` (percent; ``nan`` when ``n`` is 0).
    """
    _, overt, low, (cr, cr_ok), (mrd, mrd_ok) = _outcomes(cohort)
    spec = [
        ("cr_overt", "CR", "≥ 5% marrow blasts (overt disease)", cr, cr_ok & overt),
        ("mrd_overt", "MRD response", "≥ 5% marrow blasts (overt disease)", mrd, mrd_ok & overt),
        ("cr_low_burden", "sustained CR", "< 5% marrow blasts", cr, cr_ok & low),
        ("mrd_low_burden", "MRD response", "< 5% marrow blasts", mrd, mrd_ok & low),
        ("cr_all", "CR or sustained CR", "all patients", cr, cr_ok),
        ("mrd_all", "MRD response", "all patients", mrd, mrd_ok),
    ]
    ps = [proportion(int((v & m).sum()), int(m.sum()), method) for *_, v, m in spec]
    return pd.DataFrame([(*s[:3], p.k, p.n, p.percent, p.ci_lower, p.ci_upper) for s, p in
                         zip(spec, ps)], columns=["key", "outcome", "population", "k", "n",
                         "percent", "ci_lower", "ci_upper"]).set_index("key")  # fmt: skip


def summary_shown(rs: pd.DataFrame) -> pd.DataFrame:
    """:func:`summary` as displayed: ``Outcome``, ``Patients``, ``n/N (%)``, ``95% CI, %``."""
    return pd.DataFrame({
        "Outcome": rs["outcome"].to_numpy(),
        "Patients": rs["population"].to_numpy(),
        "n/N (%)": [fmt.k_of_n(r.k, r.n) for r in rs.itertuples()],
        "95% CI, %": [fmt.ci(r.ci_lower, r.ci_upper) for r in rs.itertuples()],
    })  # fmt: skip


def table3(cohort: pd.DataFrame, test: str = "auto") -> pd.DataFrame:
    """CR (overt disease) and MRD response (all patients) by subgroup, each difference
    tested (``test``: :func:`analysis.stats.compare_proportions`).  Table 3 is not in the
    text; its denominators are a reading (discrepancy ``table3_denominator``).

    Returns
    -------
    pandas.DataFrame
        Two rows per subgroup of :data:`SUBGROUPS`: ``subgroup``, ``characteristic``,
        ``group``; for ``cr`` and ``mrd``: ``_k``, ``_n``, ``_test`` and ``_p``
        (on both rows; ``nan`` if a group is empty or the outcome does not vary).
    """
    f, overt, _, (cr, cr_ok), (mrd, mrd_ok) = _outcomes(cohort)
    rows = []
    for key, characteristic, (flag_a, label_a), (flag_b, label_b), column in SUBGROUPS:
        a, b = f[flag_a].to_numpy(), f[flag_b].to_numpy()
        pair = (a | b) & known(cohort, column)
        tests = {name: compare_proportions(v[m & pair], a[m & pair], test=test)
                 for name, v, m in (("cr", cr, cr_ok & overt), ("mrd", mrd, mrd_ok))}  # fmt: skip
        for label, g in ((label_a, 1), (label_b, 0)):
            row = {"subgroup": key, "characteristic": characteristic, "group": label}
            for name, r in tests.items():
                row |= {f"{name}_k": r[f"k{g}"], f"{name}_n": r[f"n{g}"],
                        f"{name}_test": r["test"], f"{name}_p": r["p_value"]}  # fmt: skip
            rows.append(row)
    return pd.DataFrame(rows)


def table3_shown(t3: pd.DataFrame) -> pd.DataFrame:
    """Table 3 as displayed: ``k/n (%)`` per group; once per subgroup the P value and test,
    as ``0.029 (Fisher)`` or ``0.412 (chi-square)`` (``—`` where undefined)."""
    first = ~t3["subgroup"].duplicated().to_numpy()
    out = {"Characteristic": t3["characteristic"].where(first, "").to_numpy(),
           "Group": t3["group"].to_numpy()}  # fmt: skip
    for name, label in (("cr", "CR"), ("mrd", "MRD response")):
        k, n, p, test = (t3[f"{name}_{c}"] for c in ("k", "n", "p", "test"))
        ps = [f"{fmt.p_value(a)} ({b})" for a, b in zip(p, test.str.removesuffix("'s exact"))]
        out[f"{label}, n/N (%)"] = [fmt.k_of_n(*kn) for kn in zip(k, n)]
        out[f"P ({label})"] = np.where(first, np.where(p.isna(), fmt.DASH, ps), "")
    return pd.DataFrame(out)


def texts(cohort: pd.DataFrame) -> dict[str, str]:
    """Glue-ready text of the response chapter (keys without the ``response_`` prefix): per
    :func:`summary` key ``_k``, ``_n``, ``_percent``, ``_ci`` ("51.9% to 95.7%"); counts,
    ``prior_*`` (previous transplant), the caption's ``p_note`` and MyST ``note_*`` ("" if none).
    """
    rs, t3, out = summary(cohort), table3(cohort), {}
    for key, r in rs.iterrows():
        ci = fmt.ci(r.ci_lower, r.ci_upper, sep="% to ")
        out |= {f"{key}_k": str(r.k), f"{key}_n": str(r.n), f"{key}_percent":
                fmt.percent(r.k, r.n), f"{key}_ci": ci + ("%" if r.n else "")}  # fmt: skip
    cr = rs.loc["cr_overt"]
    once = t3.drop_duplicates("subgroup")
    tests, undefined = once[["cr_test", "mrd_test"]].to_numpy().ravel(), once[["cr_p", "mrd_p"]]
    undefined = int(undefined.isna().to_numpy().sum())
    prior = t3[t3["subgroup"] == "prior_hsct"].set_index("group")
    out |= {f"prior_{g}_{x}": str(prior.loc[g, f"cr_{x}"]) for g in ("yes", "no") for x in "kn"}
    no_overt = "No patient in this cohort started with overt disease, so the CR rate among "
    no_overt += f"such patients is undefined (shown as {fmt.DASH})."
    undefined_p = f"{undefined} of the comparisons in the table have no P value: one of the "
    undefined_p += "two groups is empty, or every patient compared had the same outcome."
    return out | {
        "cr_ci_width": fmt.number(cr.ci_upper - cr.ci_lower), "no_cr_overt": str(cr.n - cr.k),
        "n_subgroups": str(len(SUBGROUPS)), "n_tests": str(len(tests)),
        "n_fisher": str(sum(t.startswith("Fisher") for t in tests)),
        "prior_cr_p": fmt.p_value(prior.loc["yes", "cr_p"]),
        "prior_cr_test": prior.loc["yes", "cr_test"],
        "prior_mrd_p": fmt.p_value(prior.loc["yes", "mrd_p"]),
        "p_note": f" {P_UNDEFINED_NOTE}" if undefined else "",
        "note_no_overt": note(no_overt) if cr.n == 0 else "",
        "note_undefined_p": note(undefined_p) if undefined else "",
    }  # fmt: skip
