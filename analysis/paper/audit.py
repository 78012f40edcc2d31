"""A consistency audit of the paper against itself, after *statcheck* (Nuijten et al. 2016)
and *GRIM* (Brown and Heathers 2017): each printed number is recomputed from the numbers
printed with it.  Claims, with where the paper states them, and the sentences the results
choose are data (``claims.yml``); ``discrepancies.yml`` gives the explanations.
"""

from __future__ import annotations

import ast
import itertools
import math
import operator

import pandas as pd
import yaml

from .. import config
from .. import format as fmt
from ..stats import proportions
from ..stats.consistency import decimals_of, grim, km_feasibility, prints_as
from . import ledger

__all__ = ["STATUSES", "TYPES", "INDEPENDENT", "load_claims", "ci_methods", "identify_ci_method",
           "evaluate", "order_phrase", "audit", "status_counts", "texts", "ci_table",
           "discrepancy_list"]  # fmt: skip

#: The outcome of a check (``not checkable``: it needs the patients' data).
STATUSES: tuple[str, ...] = ("consistent", "discrepancy", "not checkable")
#: Check types of ``claims.yml`` and the fields each needs.
TYPES: dict[str, tuple[str, ...]] = {
    "percent": ("k", "n", "printed"), "grim": ("n", "printed"), "ci": ("k", "n", "lower", "upper"),
    "fisher": ("table", "printed"), "km": ("n", "events", "estimate", "se", "months"),
    "arithmetic": ("expr",), "ledger": ("ledger",)}  # fmt: skip
_CATEGORY = {"percent": "percentage", "grim": "percentage (GRIM)", "ci": "confidence interval",
             "fisher": "test of a 2x2 table", "km": "Kaplan-Meier estimate",
             "arithmetic": "arithmetic", "ledger": "needs patient data",
             "recorded": "recorded"}  # fmt: skip
#: Categories checked from the printed numbers alone, whatever the cohort.
INDEPENDENT = tuple(_CATEGORY[t] for t in TYPES if t != "ledger")


def load_claims(path=None) -> dict:
    """``claims.yml``, validated: ``claims``, ``recorded``, ``main`` and ``sentences``.

    Raises ``ValueError`` for a repeated id, an unknown type, a missing field, or an unknown
    discrepancy, ledger entry or status.
    """
    with open(path or config.CLAIMS_PATH, encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    claims, recorded, seen = data.get("claims", []), data.get("recorded", []), set()
    known, ids = set(ledger.load_discrepancies()["id"]), set(ledger.load_ledger()["id"])
    for c in claims:
        i, t, d = c.get("id", "?"), c.get("type"), c.get("discrepancy")
        fields = (*TYPES.get(t, ()), "statement", *["where"] * (t != "ledger"))
        lacks = [f for f in fields if f not in c]
        for bad, message in ((i in seen, f"duplicate claim id {i}"),
                             (t not in TYPES, f"claim {i}: unknown type {t!r}"),
                             (bool(lacks), f"claim {i} lacks {lacks}"),
                             (bool(d) and d not in known, f"claim {i}: unknown discrepancy {d!r}"),
                             (t == "ledger" and c.get("ledger") not in ids,
                              f"claim {i}: unknown ledger entry {c.get('ledger')!r}")):  # fmt: skip
            if bad:
                raise ValueError(message)
        seen.add(i)
    for r in recorded:
        d, s = r.get("discrepancy"), r.get("status")
        if d not in known or s not in STATUSES:
            raise ValueError(f"recorded {d}: unknown {'status' if d in known else 'discrepancy'}")
    return {"claims": claims, "recorded": recorded, "main": data.get("main", []),
            "sentences": data.get("sentences", {})}  # fmt: skip


def ci_methods(claims: list[dict] | None = None) -> pd.DataFrame:
    """Every interval of the paper by every method of ``proportions.CI_METHODS``: ``id``,
    ``k``, ``n``, ``printed``, ``method``, ``method_label``, ``lower``, ``upper``
    (percent) and ``matches`` (both limits print as the paper's)."""
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
    ok = (ci_methods() if table is None else table).groupby("method", sort=False)["matches"].all()
    return [m for m in proportions.CI_METHODS if ok.get(m, False)]


_CMP = {ast.Eq: ("=", "≠", lambda a, b: math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)),
        ast.LtE: ("≤", ">", operator.le), ast.GtE: ("≥", "<", operator.ge),
        ast.Lt: ("<", "≥", operator.lt), ast.Gt: (">", "≤", operator.gt)}  # fmt: skip
_ARITHMETIC = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Constant, ast.Add, ast.Sub, ast.Mult,
               ast.Div, ast.USub)  # fmt: skip


def evaluate(expr: str) -> tuple[bool, str]:
    """Whether a relation (``==``, ``<=``, ``>=``, ``<``, ``>``, chains allowed) between
    arithmetic of numbers holds, and its sides as computed.

    >>> evaluate("12 + 4 + 2 == 19")
    (False, '18 ≠ 19')
    """
    tree = ast.parse(expr, mode="eval").body
    sides = [ast.Expression(n) for n in (tree.left, *tree.comparators)] if isinstance(
        tree, ast.Compare) else []  # fmt: skip
    if not sides or not all(isinstance(n, _ARITHMETIC) for s in sides for n in ast.walk(s)):
        raise ValueError(f"not a relation between numbers: {expr!r}")
    values = [float(eval(compile(s, "<claim>", "eval"))) for s in sides]  # numbers only
    ops, short = [_CMP[type(o)] for o in tree.ops], [f"{x:.3g}" for x in values]
    holds = [f(a, b) for (_, _, f), a, b in zip(ops, values, values[1:])]
    text = "".join(f" {o[not ok]} {b}" for o, ok, b in zip(ops, holds, short[1:]))
    return all(holds), short[0] + text


def order_phrase(order: str) -> str:
    """An order of deaths (D) and censorings (C) in words.

    >>> order_phrase("CDDDD")
    '1 censoring, then 4 events'
    """
    runs = [(k, len(list(g))) for k, g in itertools.groupby(order)]
    words = [fmt.count_phrase(n, "event" if k == "D" else "censoring") for k, n in runs]
    return ", then ".join(words)


def _check(c: dict, on_cohort) -> tuple[str, str, str, bool | None, str]:
    """``(check, printed, recomputed, consistent, explanation)`` of one claim."""
    t, note, k, n = c["type"], c.get("note", ""), c.get("k"), c.get("n")
    if t == "percent":
        v = 100 * k / n
        shown = fmt.number(v, decimals_of(c["printed"]))
        return f"100 × {k}/{n}", f"{c['printed']}%", f"{shown}%", prints_as(v, c["printed"]), note
    if t == "grim":
        ks, text_k = grim(c["printed"], n), c.get("text_k")
        said = "" if text_k is None else f"; the text gives {text_k} ({fmt.percent(text_k, n)})"
        return (f"which k of {n} print as {c['printed']}%", f"{c['printed']}% of {n}",
                f"k = {', '.join(map(str, ks)) or 'none'} of {n}{said}",
                bool(ks) and text_k in (None, *ks), note)  # fmt: skip
    if t == "ci":
        table = ci_methods([c])
        hit = ", ".join(table.loc[table["matches"], "method_label"])
        shown = "; ".join(f"{r.method_label} {fmt.ci(r.lower, r.upper, sep='-')}"
                          for r in table.itertuples())  # fmt: skip
        found = f"Matches: {hit}." if hit else "No method matches."
        return (f"95% CI of {k}/{n} by {len(table)} methods", f"{c['lower']}-{c['upper']}", shown,
                bool(hit), f"{found} {note}".strip())  # fmt: skip
    if t == "fisher":
        tab, printed = c["table"], c["printed"]
        p, chi, yates = _tests(tab)
        ok = (p >= config.ALPHA if printed == "not significant" else p < config.ALPHA
              if printed == "significant" else prints_as(p, printed))  # fmt: skip
        (a, b), (cc, d) = tab
        return (f"Fisher's exact test of {a}/{a + b} vs {cc}/{cc + d}", printed,
                f"Fisher two-sided P = {fmt.number(p, 3)} (chi-square {fmt.number(chi, 3)}, "
                f"with Yates' correction {fmt.number(yates, 3)})", ok, note)  # fmt: skip
    if t == "km":
        f = km_feasibility(n, c["events"], c["estimate"], c["se"])
        why = "± is the Greenwood standard error. " * (f.feasible and not f.orders_half_width)
        return (f"Kaplan-Meier estimate and Greenwood SE with {n} patients and {c['events']} "
                "events; median not reached", f"{c['estimate']}% ± {c['se']}%",
                f"{fmt.count_phrase(len(f.orders), 'order')} of events (D) and censorings (C) "
                f"before {c['months']} months: {', '.join(f.orders) or 'none'}; "
                f"{f.orders_half_width or 'none'} if ± were a 95% CI half-width", f.feasible,
                f"{why}{note}".strip())  # fmt: skip
    if t == "arithmetic":
        relation = c["expr"]
        for a, b in (("==", "="), ("<=", "≤"), (">=", "≥"), ("*", "×")):
            relation = relation.replace(a, b)
        ok, text = evaluate(c["expr"])
        return "the numbers of the text add up", relation, text, ok, note
    e = ledger.load_ledger().set_index("id").loc[c["ledger"]]
    value = str((on_cohort if on_cohort is not None else {}).get(c["ledger"], "no cohort given"))
    why = "Needs the patients' data; on the reconstruction it agrees by construction."
    return e["measure"], e["printed"], value, None, f"{why} {note}".strip()


def audit(cohort=None, ae=None, claims_path=None) -> pd.DataFrame:
    """Every check of ``claims.yml`` and the recorded discrepancies; with ``cohort`` and
    ``ae``, the checks that need patient data show the value recomputed on them.

    Returns
    -------
    pandas.DataFrame
        ``id``, ``category``, ``where`` (in the paper), ``statement``, ``check``,
        ``printed``, ``recomputed``, ``status`` (:data:`STATUSES`), ``discrepancy`` (id in
        ``discrepancies.yml``) and ``explanation``.
    """
    data, disc = load_claims(claims_path), ledger.load_discrepancies().set_index("id")
    on = None if cohort is None or ae is None else ledger.compare(cohort, ae)
    on = None if on is None else on.set_index("id")["recomputed"]
    where, rows = ledger.load_ledger().set_index("id")["where"], []
    for c in data["claims"]:
        check, printed, recomputed, ok, why = _check(c, on)
        if c.get("discrepancy"):
            d = disc.loc[c["discrepancy"]]
            why = f"{d['finding']} Most likely: {d['resolution']} {why}".strip()
        status = STATUSES[2 if ok is None else 0 if ok else 1]
        rows.append((c["id"], _CATEGORY[c["type"]], c.get("where") or where[c.get("ledger")],
                     c["statement"], check, printed, recomputed, status,
                     c.get("discrepancy", ""), why))  # fmt: skip
    recorded = [(r["discrepancy"], r["status"], r.get("check", "")) for r in data["recorded"]]
    covered = {r[8] for r in rows} | {r[0] for r in recorded}
    recorded += [(i, "discrepancy", "recorded (no status assigned in claims.yml)")
                 for i in disc.index if i not in covered]  # fmt: skip
    for i, status, check in recorded:
        d = disc.loc[i]
        rows.append((i, "recorded", d["where"], d["statement"], check, "", "", status, i,
                     f"{d['finding']} Most likely: {d['resolution']}"))  # fmt: skip
    columns = ["id", "category", "where", "statement", "check", "printed", "recomputed"]
    out = pd.DataFrame(rows, columns=[*columns, "status", "discrepancy", "explanation"])
    return out.assign(status=pd.Categorical(out["status"], categories=list(STATUSES)))


def status_counts(table: pd.DataFrame) -> pd.DataFrame:
    """Checks by category and status (a row per category, a column per status, totals)."""
    counts = pd.crosstab(table["category"], table["status"], margins=True, margins_name="all")
    return counts.reindex(columns=[*STATUSES, "all"], fill_value=0)


def _tests(tab) -> tuple[float, float, float]:
    """Fisher's two-sided P, and the chi-square P without and with Yates' correction."""
    chi = (proportions.chi_square(tab, correction=y) for y in (False, True))
    return proportions.fisher_exact(tab), *chi


def _quoted(rows: pd.DataFrame) -> str:
    return "; ".join(f"“{r.statement}” ({r.recomputed})" for r in rows.itertuples())


def texts(table: pd.DataFrame) -> dict[str, str]:
    """Glue-ready text of the audit chapter: counts by status and category, every claim's
    fields (``<claim id>_<field>``), what the GRIM, Fisher and Kaplan-Meier checks find, and
    the sentences chosen from the results (``pct_exceptions``, ``main_results``, ...)."""
    data = load_claims()
    say = lambda key, case, **v: data["sentences"][key][not case].format(**v)  # noqa: E731
    counts, by_id, cat = status_counts(table), table.set_index("id"), table["category"]
    bad, arith = table["status"] == "discrepancy", cat == "arithmetic"
    pct = cat.str.startswith("percentage")
    main = by_id.loc[[i for i in data["main"] if i in by_id.index], "status"] == "discrepancy"
    problems = table.loc[bad, "discrepancy"].where(table["discrepancy"] != "", table["id"])
    out = {f"n_{s.replace(' ', '_')}": counts.loc["all", s] for s in STATUSES} | {
        "n_checks": len(table), "n_recorded": (cat == "recorded").sum(), "n_percent": pct.sum(),
        "n_percent_ok": (pct & ~bad).sum(), "n_arithmetic": arith.sum(),
        "n_arithmetic_bad": (arith & bad).sum(), "n_found": bad.sum(),
        "arithmetic_failures": _quoted(table[arith & bad]) or "none",
        "pct_exceptions": say("pct_exceptions", not (pct & bad).any(),
                              list=_quoted(table[pct & bad])),
        "n_needs": (cat == "needs patient data").sum(), "n_found_ids": problems.nunique(),
        "ci_method": " and ".join(identify_ci_method()) or "none of the four",
        "main_results": say("main_results", not main.any(), ids=", ".join(main.index[main])),
        "needs_construction": say("needs_construction", config.uses_reconstruction())}  # fmt: skip
    half = 0
    for c in data["claims"]:
        i = c["id"]
        out |= {f"{i}_{k}": v for k, v in c.items() if isinstance(v, int | str)}
        for suffix, n in (("ks", c.get("n")), ("alt_ks", c.get("alt_n"))):
            if c["type"] == "grim" and n:
                out[f"{i}_{suffix}"] = ", ".join(map(str, grim(c["printed"], n))) or "no count"
        if "text_k" in c:
            out[f"{i}_text_pct"] = fmt.percent(c["text_k"], c["n"])
        if c["type"] == "fisher":
            (a, b), (cc, d) = c["table"]
            ok = by_id.loc[i, "status"] == "consistent"
            values = (a, a + b, cc, cc + d, say("fisher_verdict", ok), *_tests(c["table"]))
            keys = ("a", "n1", "c", "n0", "verdict", "p", "chi", "yates")
            out |= {f"{i}_{k}": fmt.number(v, 3) if isinstance(v, float) else v
                    for k, v in zip(keys, values)}  # fmt: skip
        if c["type"] == "km":
            f = km_feasibility(c["n"], c["events"], c["estimate"], c["se"])
            half += f.orders_half_width
            one = order_phrase(f.orders[0]) if len(f.orders) == 1 else "not a single order"
            out |= {f"{i}_orders": fmt.count_phrase(len(f.orders), "order"), f"{i}_phrase": one,
                    f"{i}_half": f.orders_half_width,
                    f"{i}_list": ", ".join(f.orders) or "none"}  # fmt: skip
    ci = ci_methods()
    wald = ci.set_index(["id", "method"]).loc[("ci_cr_overt", "wald"), "upper"]
    out |= {"wald_upper": fmt.number(wald), "ci_n": ci["id"].nunique(),
            "km_se_reading": say("km_se_reading", half == 0)}  # fmt: skip
    return {k: str(v) for k, v in out.items()}


def ci_table(ci: pd.DataFrame | None = None) -> pd.DataFrame:
    """:func:`ci_methods` as shown: a row per interval, a column per method (✓: the paper's)."""
    ci = ci_methods() if ci is None else ci
    shown = [fmt.ci(lo, hi, sep="-") + " ✓" * ok
             for lo, hi, ok in ci[["lower", "upper", "matches"]].to_numpy()]  # fmt: skip
    wide = ci.assign(interval=shown).pivot_table(index=["k", "n", "printed"], values="interval",
                                                 columns="method_label", aggfunc="first",
                                                 sort=False)  # fmt: skip
    return wide.reset_index().rename_axis(columns=None).rename(columns={"printed": "paper"})


def discrepancy_list(table: pd.DataFrame) -> str:
    """The checks that found a discrepancy as a Markdown list: where, the statement, what was
    recomputed and the explanation."""
    found = table[table["status"] == "discrepancy"]
    return "\n".join(f"- **{r.where}.** “{r.statement}”" + f" Recomputed: {r.recomputed}." *
                     bool(r.recomputed) + f"\n\n  {r.explanation}"
                     for r in found.itertuples())  # fmt: skip
