"""A consistency audit of the paper against itself, after *statcheck* (Nuijten et al. 2016)
and *GRIM* (Brown and Heathers 2017); the claims and their wording are data (``claims.yml``)."""

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

#: The outcome of a check (``not checkable``: it needs the patients' data).
STATUSES: tuple[str, ...] = ("consistent", "discrepancy", "not checkable")
_TYPES = yaml.safe_load(config.CLAIMS_PATH.read_text(encoding="utf-8"))["types"]
#: Check types: the category shown and the fields each needs (``claims.yml``, ``types``).
TYPES: dict[str, tuple[str, tuple[str, ...]]] = {t: (c, tuple(f)) for t, (c, f) in _TYPES.items()}
#: Categories checked from the printed numbers alone, whatever the cohort.
INDEPENDENT = tuple(category for t, (category, _) in TYPES.items() if t != "ledger")


def load_claims(path=None) -> dict:
    """``claims.yml`` (``claims``, ``recorded``, ``main``, ``templates``, ``sentences``);
    ``ValueError`` for a repeated id or an unknown type, field, discrepancy, entry or status."""
    with open(path or config.CLAIMS_PATH, encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    claims, recorded, seen = data.get("claims", []), data.get("recorded", []), set()
    known, ids = set(ledger.load_discrepancies()["id"]), set(ledger.load_ledger()["id"])
    for c in claims:
        i, t, d = c.get("id", "?"), c.get("type"), c.get("discrepancy")
        fields = (*TYPES.get(t, ("", ()))[1], "statement", *["where"] * (t != "ledger"))
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
    return {"claims": claims, "recorded": recorded} | {
        k: data.get(k, {}) for k in ("main", "templates", "sentences")}  # fmt: skip


def ci_methods(claims: list[dict] | None = None) -> pd.DataFrame:
    """The paper's intervals by every method: ``id``, ``k``, ``n``, ``printed``, ``method``,
    ``method_label``, ``lower``, ``upper`` (percent), ``matches`` (prints as the paper's)."""
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
    """The methods that reproduce *every* interval of :func:`ci_methods` (the paper: exact)."""
    ok = (ci_methods() if table is None else table).groupby("method", sort=False)["matches"].all()
    return [m for m in proportions.CI_METHODS if ok.get(m, False)]


_CMP = {ast.Eq: ("=", "≠", lambda a, b: math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)),
        ast.LtE: ("≤", ">", operator.le), ast.GtE: ("≥", "<", operator.ge),
        ast.Lt: ("<", "≥", operator.lt), ast.Gt: (">", "≤", operator.gt)}  # fmt: skip
_ARITHMETIC = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Constant, ast.Add, ast.Sub, ast.Mult,
               ast.Div, ast.USub)  # fmt: skip


def evaluate(expr: str) -> tuple[bool, str]:
    """Whether a relation between numbers holds, and its sides: ``(False, '18 ≠ 19')``."""
    tree = ast.parse(expr, mode="eval").body
    sides = [ast.Expression(n) for n in (tree.left, *tree.comparators)] if isinstance(
        tree, ast.Compare) else []  # fmt: skip
    if not sides or not all(isinstance(n, _ARITHMETIC) for s in sides for n in ast.walk(s)):
        raise ValueError(f"not a relation between numbers: {expr!r}")
    values = [float(eval(compile(s, "<claim>", "eval"))) for s in sides]  # numbers only
    ops = [_CMP[type(o)] for o in tree.ops]  # sides as written, at most 3 decimals, half up
    short = [fmt.number(x, min(3, len(repr(x).partition(".")[2].rstrip("0")))) for x in values]
    holds = [f(a, b) for (_, _, f), a, b in zip(ops, values, values[1:])]
    text = "".join(f" {o[not ok]} {b}" for o, ok, b in zip(ops, holds, short[1:]))
    return all(holds), short[0] + text


def order_phrase(order: str) -> str:
    """An order of deaths (D) and censorings (C) in words: "CDDDD", '1 censoring, then 4 events'."""
    runs = [(k, len(list(g))) for k, g in itertools.groupby(order)]
    words = [fmt.count_phrase(n, "event" if k == "D" else "censoring") for k, n in runs]
    return ", then ".join(words)


def _check(c: dict, on_cohort) -> tuple[dict, bool | None]:
    """The claim's fields with what its check computes, and whether it is consistent."""
    t, v, k, n = c["type"], dict(c), c.get("k"), c.get("n")
    if t == "percent":
        x = 100 * k / n
        return v | {"value": fmt.number(x, decimals_of(c["printed"]))}, prints_as(x, c["printed"])
    if t == "grim":
        ks, text_k = grim(c["printed"], n), c.get("text_k")
        for key, m in (("ks", n), ("alt_ks", c.get("alt_n"))):
            v[key] = ", ".join(map(str, grim(c["printed"], m))) or "no count" if m else ""
        v["text_pct"] = "" if text_k is None else fmt.percent(text_k, n)
        v["said"] = "" if text_k is None else f"; the text gives {text_k} ({v['text_pct']})"
        return v, bool(ks) and text_k in (None, *ks)
    if t == "ci":
        table = ci_methods([c])
        hit = ", ".join(table.loc[table["matches"], "method_label"])
        shown = "; ".join(f"{r.method_label} {fmt.ci(r.lower, r.upper, sep='-')}"
                          for r in table.itertuples())  # fmt: skip
        found = f"Matches: {hit}." if hit else "No method matches."
        return v | {"n_methods": len(table), "shown": shown, "found": found}, bool(hit)
    if t == "fisher":
        (a, b), (cc, d) = tab = c["table"]
        p = proportions.fisher_exact(tab)
        chi = (proportions.chi_square(tab, correction=y) for y in (False, True))
        v |= dict(zip(("a", "n1", "c", "n0"), (a, a + b, cc, cc + d)))
        v |= {k: fmt.number(x, 3) for k, x in zip(("p", "chi", "yates"), (p, *chi))}
        ok = {"not significant": p >= config.ALPHA, "significant": p < config.ALPHA}
        return v, ok[c["printed"]] if c["printed"] in ok else prints_as(p, c["printed"])
    if t == "km":
        f = km_feasibility(n, c["events"], c["estimate"], c["se"])
        one = order_phrase(f.orders[0]) if len(f.orders) == 1 else "not a single order"
        why = "± is the Greenwood standard error." * (f.feasible and not f.orders_half_width)
        return v | {"orders": fmt.count_phrase(len(f.orders), "order"), "phrase": one,
                    "list": ", ".join(f.orders) or "none", "half": f.orders_half_width,
                    "half_text": f.orders_half_width or "none", "why": why}, f.feasible  # fmt: skip
    if t == "arithmetic":
        ok, text = evaluate(c["expr"])
        relation = c["expr"]
        for a, b in (("==", "="), ("<=", "≤"), (">=", "≥"), ("*", "×")):
            relation = relation.replace(a, b)
        return v | {"relation": relation, "text": text}, ok
    e = ledger.load_ledger().set_index("id").loc[c["ledger"]]
    value = str((on_cohort if on_cohort is not None else {}).get(c["ledger"], "no cohort given"))
    return v | {"measure": e["measure"], "ledger_printed": e["printed"], "value": value}, None


def audit(cohort=None, ae=None, claims_path=None) -> pd.DataFrame:
    """Every check and recorded discrepancy (with a cohort, the ledger's values on it): ``id``,
    ``category``, ``where``, ``statement``, ``check``, ``printed``, ``recomputed``, ``status``,
    ``discrepancy``, ``explanation``, ``fields`` (a dict)."""
    data, disc = load_claims(claims_path), ledger.load_discrepancies().set_index("id")
    on = None if ae is None else ledger.compare(cohort, ae).set_index("id")["recomputed"]
    where, rows = ledger.load_ledger().set_index("id")["where"], []
    for c in data["claims"]:
        v, ok = _check(c, on)
        shown = {k: x.format(**v) for k, x in data["templates"][c["type"]].items()}
        why = f"{shown.get('why', '')} {c.get('note', '')}".strip()
        if c.get("discrepancy"):
            d = disc.loc[c["discrepancy"]]
            why = f"{d['finding']} Most likely: {d['resolution']} {why}".strip()
        status = STATUSES[2 if ok is None else 0 if ok else 1]
        rows.append((c["id"], TYPES[c["type"]][0], c.get("where") or where[c.get("ledger")],
                     c["statement"], shown["check"], shown["printed"], shown["recomputed"], status,
                     c.get("discrepancy", ""), why, v))  # fmt: skip
    recorded = [(r["discrepancy"], r["status"], r.get("check", "")) for r in data["recorded"]]
    covered = {r[8] for r in rows} | {r[0] for r in recorded}
    recorded += [(i, "discrepancy", "recorded (no status assigned in claims.yml)")
                 for i in disc.index if i not in covered]  # fmt: skip
    for i, status, check in recorded:
        d = disc.loc[i]
        rows.append((i, "recorded", d["where"], d["statement"], check, "", "", status, i,
                     f"{d['finding']} Most likely: {d['resolution']}", {}))  # fmt: skip
    columns = ["id", "category", "where", "statement", "check", "printed", "recomputed", "status"]
    out = pd.DataFrame(rows, columns=[*columns, "discrepancy", "explanation", "fields"])
    return out.assign(status=pd.Categorical(out["status"], categories=list(STATUSES)))


def status_counts(table: pd.DataFrame) -> pd.DataFrame:
    """Checks by category and status (a row per category, a column per status, totals)."""
    counts = pd.crosstab(table["category"], table["status"], margins=True, margins_name="all")
    return counts.reindex(columns=[*STATUSES, "all"], fill_value=0)


def texts(table: pd.DataFrame) -> dict[str, str]:
    """Glue-ready text: counts, each claim's fields and findings (``<claim id>_<field>``,
    ``<claim id>_verdict``), and the sentences chosen from the results."""
    data = load_claims()
    say = lambda key, case, **v: data["sentences"][key][not case].format(**v)  # noqa: E731
    quote = lambda t: "; ".join(f"{p} ({r})" for p, r in t[["printed", "recomputed"]].values)  # noqa: E731
    counts, by_id, cat = status_counts(table), table.set_index("id"), table["category"]
    bad, arith, pct = table["status"] == "discrepancy", cat == "arithmetic", cat.str[:4] == "perc"
    main = by_id.loc[[i for i in data["main"] if i in by_id.index], "status"] == "discrepancy"
    problems = table.loc[bad, "discrepancy"].where(table["discrepancy"] != "", table["id"])
    ci = ci_methods().set_index(["id", "method"])
    out = {f"n_{s.replace(' ', '_')}": counts.loc["all", s] for s in STATUSES}
    for r in table.itertuples():
        out |= {f"{r.id}_{k}": x for k, x in r.fields.items() if isinstance(x, int | str)}
        out[f"{r.id}_verdict"] = say("verdict", r.status == "consistent")
    half = sum(f.get("half", 0) for f in table["fields"])
    return {k: str(x) for k, x in (out | {
        "n_checks": len(table), "n_recorded": (cat == "recorded").sum(), "n_percent": pct.sum(),
        "n_percent_ok": (pct & ~bad).sum(), "n_arithmetic": arith.sum(),
        "n_arithmetic_bad": (arith & bad).sum(), "n_found": bad.sum(),
        "arithmetic_failures": quote(table[arith & bad]) or "none",
        "pct_exceptions": say("pct_exceptions", not any(pct & bad), list=quote(table[pct & bad])),
        "n_needs": (cat == "needs patient data").sum(), "n_found_ids": problems.nunique(),
        "ci_method": " and ".join(identify_ci_method()) or "none of the four",
        "ci_n": ci.index.get_level_values("id").nunique(),
        "wald_upper": fmt.number(ci.loc[("ci_cr_overt", "wald"), "upper"]),
        "km_se_reading": say("km_se_reading", half == 0),
        "main_results": say("main_results", not main.any(), ids=", ".join(main.index[main])),
        "needs_construction": say("needs_construction", config.uses_reconstruction()),
    }).items()}  # fmt: skip


def ci_table(ci: pd.DataFrame | None = None) -> pd.DataFrame:
    """:func:`ci_methods` as shown: a row per interval, a column per method (✓: the paper's)."""
    ci = ci_methods() if ci is None else ci
    shown = [fmt.ci(lo, hi, sep="-") + " ✓" * ok
             for lo, hi, ok in ci[["lower", "upper", "matches"]].to_numpy()]  # fmt: skip
    wide = ci.assign(interval=shown).pivot_table(index=["k", "n", "printed"], values="interval",
                                                 columns="method_label", aggfunc="first",
                                                 sort=False)  # fmt: skip
    return wide.reset_index().rename_axis(columns=None).rename(columns={"printed": "paper"})


def discrepancy_list(table: pd.DataFrame) -> pd.DataFrame:
    """The discrepancies as shown: ``where``, ``statement``, ``recomputed``, ``explanation``."""
    found = table.loc[table["status"] == "discrepancy", ["where", "statement", "recomputed"]]
    return found.assign(explanation=table["explanation"]).reset_index(drop=True)
