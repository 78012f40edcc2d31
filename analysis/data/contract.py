"""The data contract (``make check-data``): every problem of two tables (with a column map) or
an ADaM directory at once, each naming file, row, ``patient_id``, column, value and what was
expected; ``dictionary.yml`` says what is accepted and why."""

from __future__ import annotations

import difflib
import re
import runpy
import warnings
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from .. import config
from ..config import DAYS_PER_MONTH
from . import adam, derive, io
from .dictionary import AE_FIELDS, COHORT_FIELDS, load
from .dictionary import message as msg

__all__ = ["ContractError", "ContractWarning", "RULES", "display_path", "identifier_kind",
           "read_map", "rules_table", "validate_tables"]  # fmt: skip

#: The rules beyond single columns (``rules`` in dictionary.yml), their text filled in.
RULES = [{**r, "text": r["text"].format(days_per_month=DAYS_PER_MONTH)} for r in load()["rules"]]
MAX_PER_RULE: int = load()["max_per_rule"]
FIELDS = {"cohort": COHORT_FIELDS, "adverse_events": AE_FIELDS}
_PRIVACY = load()["privacy"]
_DATES = [d.replace("MON", _PRIVACY["month"]) for d in _PRIVACY["dates"]]
_DATE_VALUE = re.compile("|".join(_DATES + _PRIVACY["short_dates"]), re.I)
_DATE_IN_TEXT = re.compile(rf"(?<![\d.])(?:{'|'.join(_DATES)})(?!\d)", re.I)
_DIGITS = str.maketrans("0123456789", "\x01" * 10)


class ContractError(ValueError):
    """A table breaks the data contract; ``problems`` lists every violation (one line each)."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class ContractWarning(UserWarning):
    """Something accepted but worth knowing (an extra column, a left-out optional column)."""


_f = lambda s: s.to_numpy(dtype=float, na_value=np.nan)  # noqa: E731
_dated = lambda t: np.asarray(pd.Index(t, dtype=object).str.contains(_DATE_IN_TEXT), dtype=bool)  # noqa: E731


def _holds(d: pd.DataFrame, clause: dict) -> np.ndarray:
    """Which rows meet every condition of a clause: column -> a value, ``given`` or ``empty``."""
    out = np.ones(len(d), bool)
    for c, v in clause.items():
        given = d[c].to_numpy() != "" if d[c].dtype == object else d[c].notna().to_numpy()
        out &= given == (v == "given") if v in ("given", "empty") else _f(d[c]) == float(v)
    return out


def _repeated(values: pd.Series, by: pd.Series | None = None) -> np.ndarray:
    """Which rows repeat a value (within a group of ``by``); Python sets first, fast on text."""
    v = values.to_numpy()
    g = np.zeros(len(v), int) if by is None else pd.factorize(by.to_numpy())[0]
    order = np.argsort(g, kind="stable")
    parts = np.split(v[order], np.flatnonzero(np.diff(g[order])) + 1)
    if all(len(set(p.tolist())) == len(p) for p in parts):
        return np.zeros(len(v), bool)
    return pd.DataFrame({"v": v, "g": g}).duplicated(keep=False).to_numpy()


def _in_cohort(d, pid, cohort):
    values = d[pid].to_numpy()
    if cohort.ids.issuperset(values.tolist()):
        return np.ones(len(d), bool)
    return np.fromiter((x in cohort.ids or x == "" for x in values), bool, len(values))


def _grade5_died(d, pid, grade, cohort):
    ok, fatal, c = np.ones(len(d), bool), _f(d[grade]) == 5, cohort.typed
    alive = set(c["patient_id"].to_numpy()[_f(c["os_event"]) == 0].tolist()) if fatal.any() else ()
    ok[fatal] = [x not in alive for x in d[pid].to_numpy()[fatal]]
    return ok


#: The checks of the rules that are neither ``never`` nor ``le``: (table, *columns, cohort) -> ok.
CHECKS = {
    "in_cohort": _in_cohort,
    "one_row_per_event": lambda d, p, e, c: ~_repeated(d[p], d[e]),
    "grade5_died": _grade5_died,
}


def rules_table() -> pd.DataFrame:
    """Every rule of the contract beyond single columns, as a tidy DataFrame."""
    rows = [(r.get("table", "cohort"), r["id"], ", ".join(r["columns"]), r["text"]) for r in RULES]
    return pd.DataFrame(rows, columns=["table", "rule", "columns", "expected"])


def _personal(texts) -> np.ndarray:
    """Which ids look like phone, id-card or record numbers or e-mail addresses."""
    texts = np.asarray(texts, dtype=object)
    if "@" not in (text := io.joined(texts)) and "\x01" * 10 not in text.translate(_DIGITS):
        return np.zeros(len(texts), bool)
    return np.fromiter((bool(re.search(r"\d{10}|@", str(x))) for x in texts), bool, len(texts))


def _refused(spec, value: str) -> tuple[str, str]:
    """The message of a text that is not a value of its column, and a hint."""
    if spec.name == "patient_id" or spec.free_text:
        return ("id_looks_personal" if spec.name == "patient_id" else "date_in_text"), ""
    if value.lower() in spec.families:
        return "mixed", ""
    if _DATE_VALUE.fullmatch(value):
        return "date_value", ""
    hints = [msg(k) for k, p in load()["hints"].items() if re.fullmatch(p, value)]
    return "text", (hints or [msg("boolean_hint") if spec.type == "boolean" else ""])[0]


def _tokens(name: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return [t for t in re.split(r"[^a-z0-9]+", spaced.lower()) if t]


def identifier_kind(name: str) -> str | None:
    """What direct identifier a column name suggests (``None`` if none)."""
    ids, toks = _PRIVACY["identifiers"], _tokens(name)
    kinds = [ids["words"].get(t) for t in toks]
    kinds += [ids["pairs"].get(f"{a} {b}") for a, b in zip(toks, toks[1:])]
    kinds += [v for k, v in ids["cjk"].items() if k in name]
    return next((k for k in kinds if k), None)


def display_path(path) -> str:
    """``path`` relative to the working directory if it is inside it."""
    full, here = Path(path).resolve(), Path.cwd().resolve()
    return str(full.relative_to(here)) if full.is_relative_to(here) else str(path)


def read_map(path) -> tuple[dict, list[str]]:
    """A column map as ``{table: (header -> column, column -> {label: value})}``, problems."""
    where, out, problems = display_path(path), {}, []
    try:
        doc = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        doc = {"cohort": doc} if {"columns", "values"} & set(doc) else doc
        for table, fields in FIELDS.items():
            section, labels = dict(doc.get(table) or {}), {}
            columns = dict(section.get("columns") or {})
            columns = {str(k).strip(): str(v).strip() for k, v in columns.items()}
            for target in dict.fromkeys(columns.values()):
                headers = [f"'{h}'" for h, t in columns.items() if t == target]
                if target not in fields:
                    kw = dict(header=headers[0], target=target, table=table)
                    problems.append(msg("map_target", **kw))
                if len(headers) > 1:
                    problems.append(msg("map_twice", headers=" and ".join(headers), target=target))
            for column, pairs in dict(section.get("values") or {}).items():
                if column not in fields:
                    problems.append(msg("map_values_column", column=column, table=table))
                    continue
                spec, labels[column] = fields[column], {}
                for label, value in dict(pairs).items():
                    text = str(value).lower() if isinstance(value, bool) else str(value).strip()
                    if not text or io.parse_levels(spec, pd.Index([text]))[1][0]:
                        expected = spec.expected.split(";")[0].removesuffix(", or empty")
                        kw = dict(column=column, label=label, value=text, expected=expected)
                        problems.append(msg("map_value", **kw))
                    labels[column][str(label).strip().lower()] = text
            out[table] = columns, labels
    except (OSError, yaml.YAMLError, AttributeError, TypeError, ValueError) as exc:
        return {}, [f"{where}: " + msg("map_unreadable", exc=" ".join(str(exc).split()))]
    return out, [f"{where}: {p}" for p in problems]


class _Table:
    """One table being checked: its text, its typed columns, and the problems found."""

    def __init__(self, path, kind: str, max_per_rule: int, colmap=None, map_label=None):
        self.path, self.label, self.kind, self.fields = path, display_path(path), kind, FIELDS[kind]
        self.max, self.colmap, self.map_label = max_per_rule, colmap or ({}, {}), map_label
        self.problems, self.warnings, self.seen, self.bad = [], [], Counter(), {}
        self.raw = self.typed = self.cohort_label = None
        self.adam, self.ids, self.absent, self.unmapped = False, set(), set(), set()

    def file(self, text: str) -> bool:
        self.problems.append(((0, len(self.problems)), None, f"{self.label}: {text}"))
        return False

    def warn(self, text: str, label: str | None = None) -> None:
        self.warnings.append(f"{label or self.label}: {text}")

    def rows(self, rows, column: str, check: str, **kw) -> None:
        """Problems of ``rows``: the first ``max`` per column and check listed, all counted."""
        group, pos = (check, column), [*self.fields, column].index(column)
        for row in list(rows)[: max(self.max - self.seen[group], 0)]:
            self.problems.append(((1, int(row), pos), group, self.note(row, column, check, **kw)))
        self.seen[group] += len(rows)

    def cell(self, row, column: str) -> str:
        return str(self.raw.at[row, column]).strip() if column in self.raw.columns else ""

    def note(self, row, column: str, check: str, line=None, columns=None, text="") -> str:
        """The message of one problem (``messages`` in dictionary.yml, keyed by ``check``)."""
        if line:
            return line
        pid, value = self.cell(row, "patient_id"), self.cell(row, column)
        where = f"{self.label}, row {row}" + f" (patient_id {pid})" * bool(pid)
        where += f", column '{column}'" * (len(columns or [column]) == 1)
        if columns:  # a rule
            shown = ", ".join(f"{c} = {self.cell(row, c) or '(empty)'}" for c in columns)
            key = "rule" if len(columns) > 1 else "rule_one"
            return msg(key, where=where, value=value, shown=shown, text=text)
        spec = self.fields[column]
        key, hint = _refused(spec, value) if check == "text" else (check, "")
        kw = dict(value=value, expected=spec.expected, unit=spec.unit, to_months=msg("to_months"))
        return msg(key, where=where, top=load()["plausible_max"].get(spec.unit), **kw) + hint

    def read(self) -> bool:
        """Read the file, apply the column map, check the header and drop empty rows."""
        try:
            raw = io.read_table(self.path, self.fields)
        except io.Unreadable as exc:
            return self.file(str(exc))
        self.warnings += [f"{self.label}: {note}" for note in raw.attrs.get("notes", [])]
        columns, values = self.colmap
        if self.adam:  # ADaM variables, then the map's headers, in any letter case
            upper = {k.upper(): v for k, v in columns.items()}
            columns = adam.column_map(self.kind, raw.columns) | upper
        names = [columns.get(str(c).upper() if self.adam else str(c), str(c)) for c in raw.columns]
        for header, target in columns.items() if self.map_label else ():
            if header not in raw.columns and target not in raw.columns:
                text = msg("map_absent", header=header, target=target, file=self.label)
                self.problems.append(((0, len(self.problems)), None, f"{self.map_label}: {text}"))
                self.unmapped.add(target)
        if "patient_id" not in names:
            heads = {"patient_id", *(h for h, t in columns.items() if t == "patient_id")}
            top = raw.iloc[:20].astype(str).apply(lambda c: c.str.strip()).isin(heads).any(axis=1)
            if top.any():
                return self.file(msg("header_row", row=top.index[top.to_numpy()][0]))
        keep, seen = np.ones(len(names), bool), {}
        for i, name in enumerate(names):
            keep[i] = name not in seen and name != "" and not name.startswith("Unnamed:")
            if name in seen:
                self.file(msg("duplicate_column", name=name, first=seen[name] + 1, second=i + 1))
            elif not keep[i] and (filled := raw.iloc[:, i].astype(str).str.strip() != "").any():
                row = filled.index[filled.to_numpy()][0]
                self.file(msg("unnamed", k=i + 1, row=row, value=raw.iloc[:, i][row]))
            seen.setdefault(name, i)
        raw.columns = names
        raw = raw if keep.all() and not values else raw.iloc[:, keep].copy()
        for c in [c for c in values if c in raw.columns]:
            raw[c] = raw[c].map(lambda v, m=values[c]: m.get(str(v).strip().lower(), v))
        for c in [c for c in raw.columns if raw[c].dtype == object]:
            if (stripped := io.strip(raw[c].to_numpy())) is not raw[c].to_numpy():
                raw[c] = stripped
        empty = np.ones(len(raw), bool)  # a row without an id: is it empty throughout?
        if "patient_id" in raw:
            empty = io.convert(COHORT_FIELDS["patient_id"], raw["patient_id"])[2]
        for c in raw.columns if empty.any() else ():
            codes, cats = io.levels(raw[c][empty])
            empty[empty] = ~np.append(np.asarray(cats != "", dtype=bool), False)[codes]
        self.raw = raw[~empty] if empty.any() else raw
        if self.raw.empty and self.kind != "cohort":
            self.warn(msg("no_events"))
        return self.kind != "cohort" or not self.raw.empty or self.file(msg("no_rows"))

    def guard(self) -> None:
        """The privacy guard, and the columns that are extra, missing or left out."""
        extra, ignored = [str(c) for c in self.raw.columns if c not in self.fields], []
        for c in extra:
            codes, cats = io.levels(self.raw[c])
            hits = np.asarray(cats.str.fullmatch(_DATE_VALUE), dtype=bool)
            birth = "dob" in _tokens(c) or "birth" in c.lower() or "出生" in c
            if kind := identifier_kind(c):
                self.file(msg("identifier", name=c, kind=kind))
            elif self.adam:
                ignored.append(c)
            elif birth or "date" in c.lower() or "日期" in c or hits.any():
                row = self.raw.index[np.append(hits, False)[codes]][0] if hits.any() else None
                example = f" (row {row}: '{self.cell(row, c)}')" if hits.any() else ""
                how = msg("to_age" if birth else "to_months")
                self.file(msg("date_column", name=c, example=example, how=how))
            else:
                unmapped = f" and not mapped by {self.map_label}" if self.map_label else ""
                self.warn(msg("extra", name=c, unmapped=unmapped))
        if ignored:  # ADaM variables the book does not use are not read
            self.raw = self.raw.drop(columns=ignored)
            self.warn(msg("adam_ignored", names=", ".join(ignored)))
        left_out = [n for n in self.fields if n not in self.raw.columns]
        lacking = [n for n in left_out if n not in self.unmapped and self.fields[n].required]
        for spec in [self.fields[n] for n in lacking]:
            close = [c for c in extra if c.lower() == spec.name.lower()]
            close += difflib.get_close_matches(spec.name, extra, 1, 0.8)
            hint = msg("close_hint", found=close[0], name=spec.name) if close else ""
            hint = hint or (msg("map_hint", map=self.map_label) if self.map_label else "")
            what = spec.type + (f", {spec.unit}" if spec.unit else "")
            self.file(msg("missing", name=spec.name, what=what, meaning=spec.meaning) + hint)
        if left_out and not any(self.fields[n].required for n in left_out):
            derived = ", ".join(n for n in left_out if n in derive.DERIVED) or "none"
            missing = ", ".join(n for n in left_out if n not in derive.DERIVED) or "none"
            self.warn(msg("optional", derived=derived, missing=missing))
        self.absent = set(left_out)

    def check_values(self) -> None:
        """Each column's text read as its type, then emptiness, range and plausibility."""
        cols, read_as = {}, []
        for name, spec in self.fields.items():
            if name in self.absent:
                cols[name] = io.empty_column(spec, self.raw.index)
                continue
            if spec.codes:  # everyday spellings, shown with the book's values they are read as
                codes, cats = io.levels(self.raw[name])
                cats = cats[np.unique(codes[codes >= 0])]
                pairs = {t: str(spec.codes.get(t.lower())).lower() for t in cats}
                if shown := [f"{t} -> {v}" for t, v in pairs.items() if t.lower() in spec.codes
                             and t != v]:  # fmt: skip
                    read_as.append(f"{name} " + ", ".join(shown))
            refuse = _personal if name == "patient_id" else _dated if spec.free_text else None
            cols[name], invalid, empty = io.convert(spec, self.raw[name], refuse)
            fails = {"text": invalid, "empty": empty & spec.filled}
            if spec.type in ("integer", "number"):
                x, top = _f(cols[name]), load()["plausible_max"].get(spec.unit, np.inf)
                fails |= {"range": spec.outside(x), "plausible": x > top}
            for check, rows in [(k, v) for k, v in fails.items() if v.any()]:
                rows = rows & ~self.bad[name] if name in self.bad else rows
                self.rows(self.raw.index[rows], name, check)
                self.bad[name] = rows | self.bad.get(name, False)
            if spec.unique:
                self._duplicates(cols[name])
        self.typed = pd.DataFrame(cols, index=self.raw.index, copy=False)
        if read_as:
            self.warn(msg("normalised", pairs="; ".join(read_as)))

    def _duplicates(self, t: pd.Series) -> None:
        self.ids = set(t.to_numpy().tolist())
        if len(self.ids) == len(t):
            return
        twice = t.duplicated(keep=False).to_numpy() & (t.to_numpy() != "")
        groups = pd.Series(self.raw.index[twice]).groupby(t[twice].to_numpy(), sort=False)
        for value, rows in groups:
            rows = list(rows)
            where = f"{self.label}, rows {', '.join(map(str, rows[:-1]))} and {rows[-1]}"
            text = msg("unique", where=f"{where}, column 'patient_id'", value=value, n=len(rows))
            self.rows([rows[0]], "patient_id", "unique", line=text)

    def check_rules(self, cohort: _Table | None = None) -> None:
        """The rules that tie columns (or, with ``cohort``, the two tables) together."""
        for rule in RULES:
            columns, check = rule["columns"], rule.get("check")
            if rule.get("table", "cohort") != self.kind or self.absent & set(columns):
                continue
            if check in ("in_cohort", "grade5_died") and cohort is None:
                continue
            d = self.typed
            if "never" in rule:
                ok = ~np.logical_or.reduce([_holds(d, clause) for clause in rule["never"]])
            elif check == "le":
                scale = getattr(config, rule.get("scale", ""), 1)
                ok = ~(_f(d[columns[0]]) / scale > _f(d[columns[1]]) + rule.get("slack", 0))
            else:
                ok = CHECKS[check](d, *columns, cohort)
            ok = np.logical_or.reduce([ok, *(self.bad[c] for c in columns if c in self.bad)])
            if not ok.all():
                text = rule["text"] + f" ({self.cohort_label})" * (check == "in_cohort")
                self.rows(self.raw.index[~ok], columns[0], rule["id"], columns=columns, text=text)

    def run(self, cohort: _Table | None = None) -> _Table:
        if self.raw is not None or self.read():
            self.guard()
            self.check_values()
            self.check_rules(cohort if cohort is not None and cohort.typed is not None else None)
        return self

    def report(self) -> list[str]:
        problems = sorted(self.problems, key=lambda p: p[0])
        out = [p[2] for p in problems]
        for check, column in dict.fromkeys(p[1] for p in problems if p[1]):
            if (n := self.seen[(check, column)] - self.max) > 0:
                out.append(msg("more", n=n, s="s" * (n != 1), check=check, column=column))
        return out

    def result(self) -> pd.DataFrame:
        extra = {c: self.raw[c].astype(str) for c in self.raw.columns if c not in self.fields}
        out = self.typed.assign(**extra) if extra else self.typed
        out.index = pd.RangeIndex(len(out))
        return derive.complete(out, self.absent) if self.kind == "cohort" else out


def _adam_tables(directory: Path, ae_path, maps: dict, most: int) -> list[_Table]:
    """ADSL with ADTTE as the cohort, ADAE (or ``ae_path``) as the adverse events."""
    files = adam.find(directory)
    cohort, tte = (_Table(files[n] or directory, "cohort", most) for n in ("adsl", "adtte"))
    why = " in this directory" * (files["adsl"] is files["adtte"])
    for t, name in [(t, n) for t, n in ((cohort, "adsl"), (tte, "adtte")) if files[n] is None]:
        t.file(msg("adam_missing_file", name=name.upper(), why=why))
    cohort.colmap, cohort.adam = maps.get("cohort", ({}, {})), True
    tte_raw = None
    try:
        tte_raw = files["adtte"] and io.read_table(files["adtte"])
    except io.Unreadable as exc:
        tte.file(str(exc))
    if files["adsl"] is None or tte_raw is None:
        return [cohort, tte]
    if cohort.read():
        ids = io.convert(COHORT_FIELDS["patient_id"], cohort.raw["patient_id"])[0].to_numpy()
        columns, bad, problems, notes = adam.survival(tte_raw, ids)
        for name, values in columns.items():
            cohort.raw[name], cohort.bad[name] = pd.Categorical(values), bad[name]
        for row, variable, text in problems:
            if row is None:
                tte.file(text)
            else:
                tte.rows([row], variable, "adam", line=f"{tte.label}: {text}")
        tte.warnings += [f"{tte.label}: {note}" for note in notes]
        cohort.run()
    if files["adae"] is None and ae_path is None:
        cohort.warn(msg("adam_no_ae"), display_path(directory))
        return [cohort, tte]
    columns, values = maps.get("adverse_events", ({}, {}))
    colmap = (columns, load()["adam"]["values"] | values)
    ae = _Table(files["adae"] or ae_path, "adverse_events", most, colmap)
    ae.adam, ae.cohort_label = files["adae"] is not None, cohort.label
    return [cohort, tte, ae.run(cohort)]


def validate_tables(cohort_path, ae_path=None, *, column_map=None, max_per_rule=MAX_PER_RULE):
    """``(cohort, ae)`` checked and typed (a file, or ADaM directory); :class:`ContractError`."""
    maps, problems = read_map(column_map) if column_map else ({}, [])
    if problems:
        raise ContractError(problems)
    if io.split_sheet(cohort_path)[0].is_dir():
        checks = _adam_tables(Path(cohort_path), ae_path, maps, max_per_rule)
    else:
        checks, label = [], display_path(column_map) if column_map else None
        paths = [("cohort", cohort_path), ("adverse_events", ae_path)]
        for kind, path in paths[: 1 + bool(ae_path)]:
            t = _Table(path, kind, max_per_rule, maps.get(kind), label)
            t.cohort_label = checks[0].label if checks else None
            checks.append(t.run(*checks))
    for t in checks:
        problems += t.report()
        for w in t.warnings:
            warnings.warn(w, ContractWarning, stacklevel=2)
    if problems:
        raise ContractError(problems)
    tables = [t.result() for t in checks if t.typed is not None] + [None]
    return tables[0], tables[1]


if __name__ == "__main__":  # the command line is scripts/check_data.py
    runpy.run_path(str(config.ROOT / "scripts" / "check_data.py"), run_name="__main__")
