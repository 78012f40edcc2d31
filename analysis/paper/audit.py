"""A consistency audit of the paper against itself, after *statcheck* (Nuijten et al. 2016)
and the *GRIM* test (Brown and Heathers 2017): every number the paper prints next to the
numbers it is made of is recomputed from them.  The claims are data (``claims.yml``, each
with where the paper states it); ``discrepancies.yml`` supplies the explanations.  A check
is ``consistent``, a ``discrepancy`` (or the text contradicts itself), or ``not checkable``
(it needs the patients' data: the value recomputed on the analysed cohort is shown).
"""

from __future__ import annotations

import ast
import math
import operator

import pandas as pd
import yaml

from .. import config
from .. import format as fmt
from ..stats import proportions
from ..stats.consistency import decimals_of, grim, km_feasibility, prints_as
from . import ledger

__all__ = ["STATUSES", "TYPES", "load_claims", "ci_methods", "identify_ci_method", "evaluate",
           "audit", "status_counts", "texts", "ci_table", "discrepancy_list"]  # fmt: skip

#: The outcome of a check.
STATUSES: tuple[str, ...] = ("consistent", "discrepancy", "not checkable")

#: Check types of ``claims.yml`` and the fields each needs.
TYPES: dict[str, tuple[str, ...]] = {
    "percent": ("k", "n", "printed"), "grim": ("n", "printed"), "ci": ("k", "n", "lower", "upper"),
    "fisher": ("table", "printed"), "km": ("n", "events", "estimate", "se", "months"),
    "arithmetic": ("expr",), "ledger": ("ledger",),
}  # fmt: skip

_CATEGORY = {"percent": "percentage", "grim": "percentage (GRIM)", "ci": "confidence interval",
             "fisher": "test of a 2x2 table", "km": "Kaplan-Meier estimate",
             "arithmetic": "arithmetic", "ledger": "needs patient data",
             "recorded": "recorded"}  # fmt: skip


def load_claims(path=None) -> dict:
    """The claims file, validated: ``claims`` and ``recorded`` (lists of dict).

    Raises ``ValueError`` if a claim repeats an id, has an unknown type, lacks a field of its
    type (or ``where`` and ``statement``; a ``ledger`` claim takes ``where`` from its ledger
    entry), or names a discrepancy or ledger entry that does not exist.
    """
    with open(path or config.CLAIMS_PATH, encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    claims, recorded = data.get("claims", []), data.get("recorded", [])
    known = set(ledger.load_discrepancies()["id"])
    ledger_ids = set(ledger.load_ledger()["id"])
    seen = set()
    for c in claims:
        cid = c.get("id", "?")
        if cid in seen:
            raise ValueError(f"duplicate claim id {cid}")
        seen.add(cid)
        if c.get("type") not in TYPES:
            raise ValueError(f"claim {cid}: unknown type {c.get('type')!r}")
        extra = ("statement",) if c["type"] == "ledger" else ("where", "statement")
        missing = [f for f in TYPES[c["type"]] + extra if f not in c]
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


def ci_methods(claims: list[dict] | None = None) -> pd.DataFrame:
    """Every confidence interval of the paper recomputed by every method of
    :data:`analysis.stats.proportions.CI_METHODS` (exact, Wilson, Jeffreys, Wald).

    Returns one row per interval and method: ``id``, ``k``, ``n``, ``printed``
    (``"lower-upper"``), ``method``, ``method_label``, ``lower``, ``upper`` (percent,
    unrounded) and ``matches`` (both limits print as the paper's).
    """
    claims = load_claims()["claims"] if claims is None else claims
    rows = []
    for c in (c for c in claims if c["type"] == "ci"):
        for method, label in proportions.CI_METHODS.items():
            lo, hi = (100 * x for x in proportions.proportion_ci(c["k"], c["n"], method))
            ok = prints_as(lo, c["lower"]) and prints_as(hi, c["upper"])
            rows.append((c["id"], c["k"], c["n"], f"{c['lower']}-{c['upper']}", method, label,
                         lo, hi, ok))  # fmt: skip
    return pd.DataFrame(rows, columns=["id", "k", "n", "printed", "method", "method_label",
                                       "lower", "upper", "matches"])  # fmt: skip


def identify_ci_method(table: pd.DataFrame | None = None) -> list[str]:
    """The methods that reproduce *every* interval of :func:`ci_methods`.

    >>> identify_ci_method()
    ['exact']
    """
    table = ci_methods() if table is None else table
    ok = table.groupby("method", sort=False)["matches"].all()
    return [m for m in proportions.CI_METHODS if ok.get(m, False)]


_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
        ast.Div: operator.truediv}  # fmt: skip
_CMP = {ast.Eq: "==", ast.LtE: "<=", ast.GtE: ">=", ast.Lt: "<", ast.Gt: ">"}
_CMP_FN = {"==": lambda a, b: math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12),
           "<=": operator.le, ">=": operator.ge, "<": operator.lt, ">": operator.gt}  # fmt: skip
_SYM = {"==": ("=", "≠"), "<=": ("≤", ">"), ">=": ("≥", "<"), "<": ("<", "≥"), ">": (">", "≤")}


def _value(node) -> float:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return float(node.value)
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        return _OPS[type(node.op)](_value(node.left), _value(node.right))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_value(node.operand)
    raise ValueError(f"unsupported expression: {ast.unparse(node)}")


def _short(x: float) -> str:
    return f"{x:g}" if float(x).is_integer() else f"{x:.3g}"


def evaluate(expr: str) -> tuple[bool, str]:
    """Whether a relation between numbers of the text holds, and its sides as computed.

    ``expr`` holds numbers with ``+ - * /`` and parentheses, related by ``==``, ``<=``,
    ``>=``, ``<`` or ``>`` (chains allowed).

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
    holds = [_CMP_FN[o](a, b) for o, a, b in zip(ops, values, values[1:])]
    text = _short(values[0])
    for o, b, ok in zip(ops, values[1:], holds):
        text += f" {_SYM[o][0] if ok else _SYM[o][1]} {_short(b)}"
    return all(holds), text


def _check(c: dict, ledger_rows: pd.DataFrame | None) -> tuple[str, str, str, bool, str]:
    """``(check, printed, recomputed, consistent, explanation)`` of one claim."""
    t, note = c["type"], c.get("note", "")
    if t == "percent":
        value = 100 * c["k"] / c["n"]
        return (f"100 × {c['k']}/{c['n']}", f"{c['printed']}%",
                f"{fmt.number(value, decimals_of(c['printed']))}%", prints_as(value, c["printed"]),
                note)  # fmt: skip
    if t == "grim":
        ks, text_k = grim(c["printed"], c["n"]), c.get("text_k")
        recomputed = f"k = {', '.join(map(str, ks)) or 'none'} of {c['n']}"
        if text_k is not None:
            recomputed += f"; the text gives {text_k} ({fmt.percent(text_k, c['n'])})"
        return (f"which k of {c['n']} print as {c['printed']}%", f"{c['printed']}% of {c['n']}",
                recomputed, bool(ks) and (text_k is None or text_k in ks), note)  # fmt: skip
    if t == "ci":
        table = ci_methods([c])
        hit = table.loc[table["matches"], "method_label"].tolist()
        recomputed = "; ".join(f"{r.method_label} {fmt.ci(r.lower, r.upper, sep='-')}"
                               for r in table.itertuples())  # fmt: skip
        found = f"Matches: {', '.join(hit)}. {note}" if hit else f"No method matches. {note}"
        return (f"95% CI of {c['k']}/{c['n']} by {len(table)} methods",
                f"{c['lower']}-{c['upper']}", recomputed, bool(hit), found.strip())  # fmt: skip
    if t == "fisher":
        tab, printed = c["table"], c["printed"]
        p = proportions.fisher_exact(tab)
        ok = (p >= config.ALPHA if printed == "not significant" else
              p < config.ALPHA if printed == "significant" else prints_as(p, printed))  # fmt: skip
        chi, yates = (proportions.chi_square(tab, correction=y) for y in (False, True))
        recomputed = (f"Fisher two-sided P = {fmt.number(p, 3)} (chi-square {fmt.number(chi, 3)}"
                      f", with Yates' correction {fmt.number(yates, 3)})")  # fmt: skip
        (a, b), (cc, d) = tab
        return (f"Fisher's exact test of {a}/{a + b} vs {cc}/{cc + d}", printed, recomputed, ok,
                note)  # fmt: skip
    if t == "km":
        f = km_feasibility(c["n"], c["events"], c["estimate"], c["se"])
        k = len(f.orders)
        recomputed = (f"{fmt.count_phrase(k, 'order')} of events (D) and censorings (C) before "
                      f"{c['months']} months: {', '.join(f.orders) or 'none'}; "
                      f"{f.orders_half_width or 'none'} if ± were a 95% CI half-width")  # fmt: skip
        why = "± is the Greenwood standard error." if f.feasible and not f.orders_half_width else ""
        return (f"Kaplan-Meier estimate and Greenwood SE with {c['n']} patients and "
                f"{c['events']} events; median not reached", f"{c['estimate']}% ± {c['se']}%",
                recomputed, f.feasible, f"{why} {note}".strip())  # fmt: skip
    if t == "arithmetic":
        ok, text = evaluate(c["expr"])
        relation = c["expr"]
        for a, b in (("==", "="), ("<=", "≤"), (">=", "≥"), ("*", "×")):
            relation = relation.replace(a, b)
        return "the numbers of the text add up", relation, text, ok, note
    on_cohort = "no cohort given"  # a ledger claim
    if ledger_rows is not None and c["ledger"] in ledger_rows.index:
        on_cohort = str(ledger_rows.loc[c["ledger"], "recomputed"])
    why = ("Needs the patients' data. The reconstruction was searched to reproduce this value, "
           "so agreement there is by construction.")  # fmt: skip
    e = ledger.load_ledger().set_index("id").loc[c["ledger"]]
    return e["measure"], e["printed"], on_cohort, None, f"{why} {note}".strip()


def audit(cohort=None, ae=None, claims_path=None) -> pd.DataFrame:
    """Run every check of ``claims.yml`` and merge the recorded discrepancies.

    ``cohort`` and ``ae``, if given, are the analysed cohort: the checks that need patient
    data show the value recomputed on it (:func:`analysis.paper.ledger.compare`).

    Returns
    -------
    pandas.DataFrame
        One row per check: ``id``, ``category``, ``where`` (in the paper), ``statement``,
        ``check`` (what was recomputed), ``printed``, ``recomputed``, ``status``
        (:data:`STATUSES`), ``discrepancy`` (id in ``discrepancies.yml``) and
        ``explanation`` (for a discrepancy, the finding and the most likely explanation).
    """
    data = load_claims(claims_path)
    disc = ledger.load_discrepancies().set_index("id")
    on_cohort = None if cohort is None or ae is None else ledger.compare(cohort, ae).set_index("id")
    where = ledger.load_ledger().set_index("id")["where"]
    rows = []
    for c in data["claims"]:
        check, printed, recomputed, ok, explanation = _check(c, on_cohort)
        status = "not checkable" if ok is None else "consistent" if ok else "discrepancy"
        if c.get("discrepancy"):
            d = disc.loc[c["discrepancy"]]
            explanation = f"{d['finding']} Most likely: {d['resolution']} {explanation}".strip()
        rows.append((c["id"], _CATEGORY[c["type"]], c.get("where") or where[c.get("ledger")],
                     c["statement"], check, printed, recomputed, status,
                     c.get("discrepancy", ""), explanation))  # fmt: skip
    recorded = [(r["discrepancy"], r["status"], r.get("check", "")) for r in data["recorded"]]
    covered = {r[8] for r in rows} | {r[0] for r in recorded}
    unclassified = "recorded (no status assigned in claims.yml)"  # recorded after claims.yml
    recorded += [(did, "discrepancy", unclassified) for did in disc.index if did not in covered]
    for did, st, check in recorded:
        d = disc.loc[did]
        rows.append((did, _CATEGORY["recorded"], d["where"], d["statement"], check, "", "", st,
                     did, f"{d['finding']} Most likely: {d['resolution']}"))  # fmt: skip
    columns = ["id", "category", "where", "statement", "check", "printed", "recomputed", "status",
               "discrepancy", "explanation"]  # fmt: skip
    out = pd.DataFrame(rows, columns=columns)
    out["status"] = pd.Categorical(out["status"], categories=list(STATUSES))
    return out


def status_counts(table: pd.DataFrame) -> pd.DataFrame:
    """Checks by category and status (a row per category, a column per status, totals)."""
    counts = pd.crosstab(table["category"], table["status"], margins=True, margins_name="all")
    return counts.reindex(columns=[*STATUSES, "all"], fill_value=0)


def texts(table: pd.DataFrame) -> dict[str, str]:
    """Glue-ready text of the audit chapter: counts by status and kind, and the numbers of the
    GRIM, interval, Fisher, Kaplan-Meier and arithmetic checks it quotes."""
    claims = {c["id"]: c for c in load_claims()["claims"]}
    counts, cat, by_id = status_counts(table), table["category"], table.set_index("id")
    pct, arithmetic = table[cat.str.startswith("percentage")], table[cat == "arithmetic"]
    hsct, burden, ci = claims["grim_cr_to_hsct"], claims["grim_high_burden"], ci_methods()
    overt_n = claims["ci_cr_overt"]["n"]
    found = table[table["status"] == "discrepancy"]
    problems = found["discrepancy"].where(found["discrepancy"] != "", found["id"])
    out = {f"n_{s.replace(' ', '_')}": counts.loc["all", s] for s in STATUSES}
    out.update(n_checks=len(table), n_recorded=(cat == "recorded").sum(), n_percent=len(pct),
               n_percent_ok=(pct["status"] == "consistent").sum(), hsct_printed=hsct["printed"],
               hsct_n=hsct["n"], hsct_k=", ".join(map(str, grim(hsct["printed"], hsct["n"]))),
               hsct_text_k=hsct["text_k"],
               hsct_text_pct=fmt.number(100 * hsct["text_k"] / hsct["n"]),
               burden_printed=burden["printed"], burden_n=burden["n"], overt_n=overt_n,
               burden_k=", ".join(map(str, grim(burden["printed"], burden["n"]))),
               burden_overt_k=", ".join(map(str, grim(burden["printed"], overt_n))) or "no count",
               ci_method=" and ".join(identify_ci_method(ci)) or "none of the four",
               ci_n=ci["id"].nunique(), wald_upper=fmt.number(
                   ci.set_index(["id", "method"]).loc[("ci_cr_overt", "wald"), "upper"]),
               n_arithmetic=len(arithmetic),
               n_arithmetic_bad=(arithmetic["status"] == "discrepancy").sum(),
               cycles_relation=by_id.loc["sum_cycles", "printed"],
               cycles_result=by_id.loc["sum_cycles", "recomputed"],
               n_needs=(cat == "needs patient data").sum(), n_found=len(found),
               n_found_ids=problems.nunique(),
               fisher_printed=claims["fisher_cr_prior_hsct"]["printed"])  # fmt: skip
    for name, key in (("fisher", "fisher_cr_prior_hsct"), ("mrd", "fisher_mrd_prior_hsct")):
        (a, b), (c, d) = tab = claims[key]["table"]
        out.update({f"{name}_a": a, f"{name}_n1": a + b, f"{name}_c": c, f"{name}_n0": c + d,
                    f"{name}_p": fmt.number(proportions.fisher_exact(tab), 3)})  # fmt: skip
        if name == "fisher":
            out.update({f"{k}_p": fmt.number(proportions.chi_square(tab, correction=y), 3)
                        for k, y in (("chi", False), ("yates", True))})  # fmt: skip
    for name in ("os", "rfs"):
        c = claims[f"km_{name}_1y"]
        f = km_feasibility(c["n"], c["events"], c["estimate"], c["se"])
        out.update({f"km_{name}_{k}": c[k] for k in ("estimate", "se", "n", "events")})
        out.update({f"km_{name}_orders": len(f.orders), f"km_{name}_half": f.orders_half_width,
                    f"km_{name}_list": ", ".join(f.orders) or "none"})  # fmt: skip
    return {k: str(v) for k, v in out.items()}


def ci_table(ci: pd.DataFrame | None = None) -> pd.DataFrame:
    """:func:`ci_methods` as shown: a row per interval, a column per method (✓: reproduces
    the paper)."""
    ci = ci_methods() if ci is None else ci
    shown = [fmt.ci(lo, hi, sep="-") + (" ✓" if ok else "")
             for lo, hi, ok in ci[["lower", "upper", "matches"]].to_numpy()]  # fmt: skip
    wide = ci.assign(interval=shown).pivot_table(
        index=["k", "n", "printed"], columns="method_label", values="interval", aggfunc="first",
        sort=False)  # fmt: skip
    return wide.reset_index().rename_axis(columns=None).rename(columns={"printed": "paper"})


def discrepancy_list(table: pd.DataFrame) -> str:
    """The checks that found a discrepancy as a Markdown list: where, the statement, what was
    recomputed and the explanation."""
    found = table[table["status"] == "discrepancy"]
    return "\n".join(f"- **{r.where}.** “{r.statement}”"
                     + (f" Recomputed: {r.recomputed}." if r.recomputed else "")
                     + f"\n\n  {r.explanation}" for r in found.itertuples())  # fmt: skip
