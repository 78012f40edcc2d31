"""A consistency audit of the paper against itself.

In the spirit of *statcheck* (recompute each test statistic's P value from the
numbers reported with it) and of the *GRIM* test (can a percentage of ``n``
patients be printed as it is?), every number the paper prints next to the
numbers it is made of is recomputed from them.  The claims are data,
``analysis/audit_claims.yml``, each with the section of the paper that states
it; the known inconsistencies of ``analysis/discrepancies.yml`` supply the
explanations.

Each check ends in one of three statuses (:data:`STATUSES`):

* ``consistent``: the printed value follows from the numbers the text gives;
* ``discrepancy``: it does not (or the text contradicts itself);
* ``not checkable``: it needs the patients' data (a log-rank P value, a median
  follow-up); the audit shows the value recomputed on the analysed cohort, which
  for the reconstruction reproduces the paper by construction.

References
----------
.. [1] Nuijten MB, Hartgerink CHJ, van Assen MALM, Epskamp S, Wicherts JM. The
   prevalence of statistical reporting errors in psychology (1985-2013). Behav
   Res Methods 2016;48:1205-26 (statcheck).
.. [2] Brown NJL, Heathers JAJ. The GRIM test: a simple technique detects
   numerous anomalies in the reporting of results in psychology. Soc Psychol
   Personal Sci 2017;8:363-9.
"""

from __future__ import annotations

import ast
import math
import operator
from pathlib import Path

import pandas as pd
import yaml
from scipy import stats as sps

from .. import config
from ..format import round_half_up
from ..stats import proportions as stats
from ..stats.consistency import KMFeasibility, decimals_of, grim, km_feasibility, prints_as
from . import ledger
from .ledger import load_discrepancies

__all__ = [
    "CLAIMS_PATH",
    "DISCREPANCIES_PATH",
    "STATUSES",
    "CI_METHODS",
    "TYPES",
    "KMFeasibility",
    "load_claims",
    "load_discrepancies",
    "round_half_up",
    "grim",
    "ci_by_method",
    "ci_methods",
    "identify_ci_method",
    "km_feasibility",
    "evaluate",
    "audit",
    "status_counts",
]

CLAIMS_PATH = config.CLAIMS_PATH
DISCREPANCIES_PATH = config.DISCREPANCIES_PATH

#: The outcome of a check.
STATUSES: tuple[str, ...] = ("consistent", "discrepancy", "not checkable")

#: Interval methods tried for each confidence interval of the paper.
CI_METHODS: tuple[str, ...] = ("exact", "wilson", "jeffreys", "wald")

#: Check types of ``audit_claims.yml`` and the fields each needs.
TYPES: dict[str, tuple[str, ...]] = {
    "percent": ("k", "n", "printed"),
    "grim": ("n", "printed"),
    "ci": ("k", "n", "lower", "upper"),
    "fisher": ("table", "printed"),
    "km": ("n", "events", "estimate", "se", "months"),
    "arithmetic": ("expr",),
    "ledger": ("ledger",),
}

_CATEGORY = {
    "percent": "percentage",
    "grim": "percentage (GRIM)",
    "ci": "confidence interval",
    "fisher": "test of a 2x2 table",
    "km": "Kaplan-Meier estimate",
    "arithmetic": "arithmetic",
    "ledger": "needs patient data",
    "recorded": "recorded",
}

_METHOD_LABELS = {"exact": "exact (Clopper-Pearson)", "wilson": "Wilson",
                  "jeffreys": "Jeffreys", "wald": "Wald"}  # fmt: skip


# ------------------------------------------------------------------------ inputs


def load_claims(path: str | Path | None = None) -> dict:
    """The claims file, validated.

    Returns
    -------
    dict
        ``claims`` (list of dict) and ``recorded`` (list of dict).

    Raises
    ------
    ValueError
        If a claim repeats an id, has an unknown type, lacks a field of its
        type or (except ``ledger`` claims, whose ledger entry says where) lacks
        ``where`` and ``statement``; or names a discrepancy or ledger entry that
        does not exist.
    """
    with open(path or CLAIMS_PATH, encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    claims, recorded = data.get("claims", []), data.get("recorded", [])
    known = set(load_discrepancies()["id"])
    ledger_ids = set(ledger.load_ledger()["id"])
    seen = set()
    for c in claims:
        cid = c.get("id", "?")
        if cid in seen:
            raise ValueError(f"duplicate claim id {cid}")
        seen.add(cid)
        if c.get("type") not in TYPES:
            raise ValueError(f"claim {cid}: unknown type {c.get('type')!r}")
        needed = TYPES[c["type"]] + (("statement",) if c["type"] == "ledger" else
                                     ("where", "statement"))  # fmt: skip
        missing = [f for f in needed if f not in c]
        if missing:
            raise ValueError(f"claim {cid} lacks {missing}")
        if c.get("discrepancy") and c["discrepancy"] not in known:
            raise ValueError(f"claim {cid}: unknown discrepancy {c['discrepancy']!r}")
        if c["type"] == "ledger" and c["ledger"] not in ledger_ids:
            raise ValueError(f"claim {cid}: unknown ledger entry {c['ledger']!r}")
    for r in recorded:
        if r.get("discrepancy") not in known:
            raise ValueError(f"recorded entry: unknown discrepancy {r.get('discrepancy')!r}")
        if r.get("status") not in STATUSES:
            raise ValueError(f"recorded {r['discrepancy']}: unknown status {r.get('status')!r}")
    return {"claims": claims, "recorded": recorded}


# ------------------------------------------------------------------------ checks


def ci_by_method(k: int, n: int, method: str, alpha: float = 0.05) -> tuple[float, float]:
    """A 95% confidence interval of ``k/n`` in percent.

    Parameters
    ----------
    k, n : int
        Successes and trials.
    method : {"exact", "wilson", "jeffreys", "wald"}
        The first three as in :func:`analysis.stats.proportion_ci`; ``wald`` is
        :math:`\\hat p \\pm z \\sqrt{\\hat p (1 - \\hat p) / n}`, clipped to 0-100
        (as statsmodels' ``normal`` method).
    alpha : float, default 0.05
        One minus the confidence level.

    Returns
    -------
    tuple of float
        Lower and upper limits, percent.

    Examples
    --------
    >>> [round(x, 1) for x in ci_by_method(12, 15, "wald")]
    [59.8, 100.0]
    """
    if method == "wald":
        p = k / n
        half = sps.norm.ppf(1 - alpha / 2) * math.sqrt(p * (1 - p) / n)
        return 100 * max(0.0, float(p - half)), 100 * min(1.0, float(p + half))
    lo, hi = stats.proportion_ci(k, n, method, alpha)
    return 100 * lo, 100 * hi


def ci_methods(claims: list[dict] | None = None) -> pd.DataFrame:
    """Every confidence interval of the paper recomputed by every method.

    Returns
    -------
    pandas.DataFrame
        One row per interval and method: ``id``, ``k``, ``n``, ``printed``
        (``"lower-upper"``), ``method``, ``method_label``, ``lower``, ``upper``
        (percent, unrounded) and ``matches`` (both limits print as the paper's).
    """
    claims = load_claims()["claims"] if claims is None else claims
    rows = []
    for c in claims:
        if c["type"] != "ci":
            continue
        for m in CI_METHODS:
            lo, hi = ci_by_method(c["k"], c["n"], m)
            rows.append(
                {
                    "id": c["id"],
                    "k": c["k"],
                    "n": c["n"],
                    "printed": f"{c['lower']}-{c['upper']}",
                    "method": m,
                    "method_label": _METHOD_LABELS[m],
                    "lower": lo,
                    "upper": hi,
                    "matches": prints_as(lo, c["lower"]) and prints_as(hi, c["upper"]),
                }
            )
    return pd.DataFrame(rows)


def identify_ci_method(table: pd.DataFrame | None = None) -> list[str]:
    """The methods that reproduce *every* interval of :func:`ci_methods`.

    Examples
    --------
    >>> identify_ci_method()
    ['exact']
    """
    table = ci_methods() if table is None else table
    ok = table.groupby("method", sort=False)["matches"].all()
    return [m for m in CI_METHODS if ok.get(m, False)]


_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
        ast.Div: operator.truediv}  # fmt: skip
_CMP = {ast.Eq: "==", ast.LtE: "<=", ast.GtE: ">=", ast.Lt: "<", ast.Gt: ">"}
_CMP_FN = {"==": lambda a, b: math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12),
           "<=": operator.le, ">=": operator.ge, "<": operator.lt, ">": operator.gt}  # fmt: skip


def _value(node) -> float:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return float(node.value)
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        return _OPS[type(node.op)](_value(node.left), _value(node.right))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_value(node.operand)
    raise ValueError(f"unsupported expression: {ast.unparse(node)}")


def _fmt(x: float) -> str:
    return f"{x:g}" if float(x).is_integer() else f"{x:.3g}"


def evaluate(expr: str) -> tuple[bool, str]:
    """Evaluate a relation between numbers of the text.

    Parameters
    ----------
    expr : str
        Numbers with ``+ - * /`` and parentheses, related by ``==``, ``<=``,
        ``>=``, ``<`` or ``>`` (chains allowed).

    Returns
    -------
    tuple
        Whether the relation holds, and the sides as computed (``"18 ≠ 19"``).

    Examples
    --------
    >>> evaluate("12 + 4 + 2 == 19")
    (False, '18 ≠ 19')
    >>> evaluate("1.7 <= 11.0 <= 28.5")
    (True, '1.7 ≤ 11 ≤ 28.5')
    """
    tree = ast.parse(expr, mode="eval").body
    if not isinstance(tree, ast.Compare):
        raise ValueError(f"not a relation: {expr!r}")
    values = [_value(tree.left)] + [_value(c) for c in tree.comparators]
    ops = [_CMP[type(o)] for o in tree.ops]
    holds = all(_CMP_FN[o](a, b) for o, a, b in zip(ops, values, values[1:]))
    sym = {"==": "=", "<=": "≤", ">=": "≥", "<": "<", ">": ">"}
    neg = {"==": "≠", "<=": ">", ">=": "<", "<": "≥", ">": "≤"}
    text = _fmt(values[0])
    for o, a, b in zip(ops, values, values[1:]):
        text += f" {sym[o] if _CMP_FN[o](a, b) else neg[o]} {_fmt(b)}"
    return holds, text


# ------------------------------------------------------------------------ the audit


def _row(c, category, check, printed, recomputed, status, explanation="", where=None,
         statement=None) -> dict:  # fmt: skip
    return {
        "id": c["id"],
        "category": category,
        "where": where if where is not None else c.get("where", ""),
        "statement": statement if statement is not None else c.get("statement", ""),
        "check": check,
        "printed": printed,
        "recomputed": recomputed,
        "status": status,
        "discrepancy": c.get("discrepancy", ""),
        "explanation": explanation,
    }


def _check(c: dict, ledger_rows: pd.DataFrame | None) -> dict:
    t = c["type"]
    note = c.get("note", "")
    if t == "percent":
        value = 100 * c["k"] / c["n"]
        ok = prints_as(value, c["printed"])
        return _row(c, _CATEGORY[t], f"100 × {c['k']}/{c['n']}", f"{c['printed']}%",
                    f"{round_half_up(value, decimals_of(c['printed']))}%",
                    "consistent" if ok else "discrepancy", note)  # fmt: skip
    if t == "grim":
        ks = grim(c["printed"], c["n"])
        text_k = c.get("text_k")
        ok = bool(ks) and (text_k is None or text_k in ks)
        found = ", ".join(str(k) for k in ks) or "none"
        recomputed = f"k = {found} of {c['n']}"
        if text_k is not None:
            recomputed += f"; the text gives {text_k} ({100 * text_k / c['n']:.1f}%)"
        return _row(c, _CATEGORY[t], f"which k of {c['n']} print as {c['printed']}%",
                    f"{c['printed']}% of {c['n']}", recomputed,
                    "consistent" if ok else "discrepancy", note)  # fmt: skip
    if t == "ci":
        table = ci_methods([c])
        hit = table.loc[table["matches"], "method_label"].tolist()
        parts = [f"{r.method_label} {r.lower:.1f}-{r.upper:.1f}" for r in table.itertuples()]
        recomputed = "; ".join(parts)
        check = f"95% CI of {c['k']}/{c['n']} by {len(CI_METHODS)} methods"
        explanation = f"Matches: {', '.join(hit)}." if hit else "No method matches."
        return _row(c, _CATEGORY[t], check, f"{c['lower']}-{c['upper']}", recomputed,
                    "consistent" if hit else "discrepancy",
                    " ".join(x for x in (explanation, note) if x))  # fmt: skip
    if t == "fisher":
        tab = c["table"]
        p = stats.fisher_exact(tab)
        chi = stats.chi_square(tab)
        yates = stats.chi_square(tab, correction=True)
        if c["printed"] == "not significant":
            ok = p >= 0.05
        elif c["printed"] == "significant":
            ok = p < 0.05
        else:
            ok = prints_as(p, c["printed"])
        recomputed = (f"Fisher two-sided P = {p:.3f} (chi-square {chi:.3f}, "
                      f"with Yates' correction {yates:.3f})")  # fmt: skip
        (a, b), (cc, d) = tab
        check = f"Fisher's exact test of {a}/{a + b} vs {cc}/{cc + d}"
        return _row(c, _CATEGORY[t], check, c["printed"], recomputed,
                    "consistent" if ok else "discrepancy", note)  # fmt: skip
    if t == "km":
        f = km_feasibility(c["n"], c["events"], c["estimate"], c["se"])
        k = len(f.orders)
        recomputed = (f"{k} order{'s' if k != 1 else ''} of events (D) and censorings (C) "
                      f"before {c['months']} months: {', '.join(f.orders) or 'none'}; "
                      f"{f.orders_half_width or 'none'} if ± were a 95% CI half-width")  # fmt: skip
        check = (f"Kaplan-Meier estimate and Greenwood SE with {c['n']} patients and "
                 f"{c['events']} events; median not reached")  # fmt: skip
        explanation = ("± is the Greenwood standard error." if f.feasible and not
                       f.orders_half_width else "")  # fmt: skip
        return _row(c, _CATEGORY[t], check, f"{c['estimate']}% ± {c['se']}%", recomputed,
                    "consistent" if f.feasible else "discrepancy",
                    " ".join(x for x in (explanation, note) if x))  # fmt: skip
    if t == "arithmetic":
        ok, text = evaluate(c["expr"])
        relation = (c["expr"].replace("==", "=").replace("<=", "≤").replace(">=", "≥")
                    .replace("*", "×"))  # fmt: skip
        return _row(c, _CATEGORY[t], "the numbers of the text add up", relation, text,
                    "consistent" if ok else "discrepancy", note)  # fmt: skip
    if t == "ledger":
        e = ledger.load_ledger().set_index("id").loc[c["ledger"]]
        if ledger_rows is not None and c["ledger"] in ledger_rows.index:
            r = ledger_rows.loc[c["ledger"]]
            on_cohort = str(r["recomputed"])
        else:
            on_cohort = "no cohort given"
        why = ("Needs the patients' data. The reconstruction was searched to reproduce this "
               "value, so agreement there is by construction.")  # fmt: skip
        return _row(c, _CATEGORY[t], e["measure"], e["printed"], on_cohort, "not checkable",
                    " ".join(x for x in (why, note) if x), where=e["where"])  # fmt: skip
    raise ValueError(f"unknown claim type {t!r}")  # pragma: no cover - load_claims rejects it


def audit(cohort: pd.DataFrame | None = None, ae: pd.DataFrame | None = None,
          claims_path=None) -> pd.DataFrame:  # fmt: skip
    """Run every check of ``audit_claims.yml`` and merge the recorded discrepancies.

    Parameters
    ----------
    cohort, ae : pandas.DataFrame, optional
        The analysed cohort: the checks that need patient data show the value
        recomputed on it (:func:`analysis.ledger.compare`).
    claims_path : str or Path, optional
        Claims file (default :data:`CLAIMS_PATH`).

    Returns
    -------
    pandas.DataFrame
        One row per check: ``id``, ``category``, ``where`` (in the paper),
        ``statement``, ``check`` (what was recomputed), ``printed``,
        ``recomputed``, ``status`` (:data:`STATUSES`), ``discrepancy`` (id in
        ``discrepancies.yml``) and ``explanation`` (for a discrepancy: the
        finding and the most likely explanation).
    """
    data = load_claims(claims_path)
    disc = load_discrepancies().set_index("id")  # read here, so tests can replace it
    ledger_rows = None
    if cohort is not None and ae is not None:
        ledger_rows = ledger.compare(cohort, ae).set_index("id")
    rows = []
    for c in data["claims"]:
        row = _check(c, ledger_rows)
        if c.get("discrepancy"):
            d = disc.loc[c["discrepancy"]]
            row["explanation"] = " ".join(
                x for x in (d["finding"], f"Most likely: {d['resolution']}", row["explanation"])
                if x
            )  # fmt: skip
        rows.append(row)
    for r in data["recorded"]:
        d = disc.loc[r["discrepancy"]]
        rows.append(
            _row(
                {"id": r["discrepancy"], "discrepancy": r["discrepancy"]},
                _CATEGORY["recorded"],
                r.get("check", ""),
                "",
                "",
                r["status"],
                f"{d['finding']} Most likely: {d['resolution']}",
                where=d["where"],
                statement=d["statement"],
            )  # fmt: skip
        )
    # a discrepancy recorded after the claims file was written still appears, unclassified
    covered = {r["discrepancy"] for r in rows if r["discrepancy"]}
    for did, d in disc.iterrows():
        if did not in covered:
            rows.append(
                _row(
                    {"id": did, "discrepancy": did},
                    _CATEGORY["recorded"],
                    "recorded (no status assigned in audit_claims.yml)",
                    "",
                    "",
                    "discrepancy",
                    f"{d['finding']} Most likely: {d['resolution']}",
                    where=d["where"],
                    statement=d["statement"],
                )  # fmt: skip
            )
    out = pd.DataFrame(rows)
    out["status"] = pd.Categorical(out["status"], categories=list(STATUSES))
    return out


def status_counts(table: pd.DataFrame) -> pd.DataFrame:
    """Checks by category and status (a row per category, a column per status, totals)."""
    counts = pd.crosstab(table["category"], table["status"], margins=True, margins_name="all")
    return counts.reindex(columns=[*STATUSES, "all"], fill_value=0)
