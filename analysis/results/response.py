"""CR and MRD response, overall and by subgroup (the paper's Table 3).  CR counts the patients
with overt disease (>= 5% blasts), MRD response all patients, each with an exact 95% CI
(Results, *Treatment response*); a patient whose outcome or group is missing is left out."""

import numpy as np
import pandas as pd

from .. import format as fmt
from ..data import derive
from ..stats import compare_proportions, proportion
from .baseline import LAYOUT, SAY, known

#: Subgroups of Table 3: key, characteristic, (flag, label) of the two groups, source column.
SUBGROUPS = tuple((k, c, tuple(a), tuple(b), col) for k, c, a, b, col in LAYOUT["table3"])

#: Footnote for the P columns of Table 3 when a P value is undefined.
P_UNDEFINED_NOTE = SAY["p_undefined"].format(dash=fmt.DASH)


def _outcomes(cohort: pd.DataFrame):
    """CR and MRD response (missing read as no), where each is recorded, and overt disease."""
    f = derive.flags(cohort)
    overt = f["overt"].to_numpy() & known(cohort, "marrow_blasts_pct")
    low = f["low_burden"].to_numpy() & known(cohort, "marrow_blasts_pct")
    cr, mrd = derive.as_bool(cohort["cr"]), derive.as_bool(cohort["mrd_response"])
    return f, overt, low, (cr, known(cohort, "cr")), (mrd, known(cohort, "mrd_response"))


def summary(cohort: pd.DataFrame, method: str = "exact") -> pd.DataFrame:
    """CR and MRD response with 95% CIs (``method``: :func:`analysis.stats.proportion`), by
    ``key`` (``cr_overt``, ``mrd_all``, ...): ``outcome``, ``population``, ``k``, ``n``,
    ``percent``, ``ci_lower``, ``ci_upper`` (percent; ``nan`` when ``n`` is 0)."""
    _, overt, low, cr, mrd = _outcomes(cohort)
    who, what = {"overt": overt, "low": low, "all": True}, {"cr": cr, "mrd": mrd}
    rows = LAYOUT["response_summary"]
    spec = [(k, o, p, what[v][0], what[v][1] & who[g]) for k, o, p, v, g in rows]
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
    """CR (overt disease) and MRD response (all) by subgroup, tested with ``test``
    (:func:`analysis.stats.compare_proportions`; discrepancy ``table3_denominator``): two rows
    per subgroup, ``subgroup``, ``characteristic``, ``group``, ``cr_`` and ``mrd_`` ``k``,
    ``n``, ``test``, ``p`` (``nan`` if a group is empty or the outcome does not vary)."""
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
    ``prior_*`` (previous transplant), the caption's ``p_note`` and ``note_*`` ("" if none)."""
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
    return out | {
        "cr_ci_width": fmt.number(cr.ci_upper - cr.ci_lower), "no_cr_overt": str(cr.n - cr.k),
        "n_subgroups": str(len(SUBGROUPS)), "n_tests": str(len(tests)),
        "n_fisher": str(sum(t.startswith("Fisher") for t in tests)),
        "prior_cr_p": fmt.p_value(prior.loc["yes", "cr_p"]),
        "prior_cr_test": prior.loc["yes", "cr_test"],
        "prior_mrd_p": fmt.p_value(prior.loc["yes", "mrd_p"]),
        "p_note": f" {P_UNDEFINED_NOTE}" if undefined else "",
        "note_no_overt": SAY["no_overt"].format(dash=fmt.DASH) * (int(cr.n) == 0),
        "note_undefined_p": SAY["undefined_p"].format(k=undefined) * bool(undefined),
    }  # fmt: skip
