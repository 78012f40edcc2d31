"""The data dictionary (``dictionary.yml``, whose header explains it): both tables' columns."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

import numpy as np
import pandas as pd
import yaml

from .. import config

__all__ = ["AE_FIELDS", "COHORT_FIELDS", "FieldSpec", "data_dictionary", "field_spec", "load"]


@cache
def load() -> dict:
    """``dictionary.yml`` as a dict (read once)."""
    return yaml.safe_load(config.DICTIONARY_PATH.read_text(encoding="utf-8"))


def message(key: str, **kw) -> str:
    """A message of the contract (``messages`` in ``dictionary.yml``), filled in."""
    msg = load()["messages"]
    return msg[key].format(save_utf8=msg["save_utf8"], days_per_month=config.DAYS_PER_MONTH, **kw)


@dataclass(frozen=True)
class FieldSpec:
    """One column; ``codes``: lower-case spelling -> value; ``filled``: no empty cell."""

    name: str
    type: str
    unit: str = ""
    meaning: str = ""
    required: bool = True
    filled: bool = True
    unique: bool = False
    lo: float | None = None
    hi: float | None = None
    choices: tuple[str, ...] = ()
    when_empty: str = ""
    codes: dict = field(default_factory=dict, compare=False)
    families: dict = field(default_factory=dict, compare=False)
    free_text: bool = False

    def outside(self, x: np.ndarray) -> np.ndarray:
        """Which numbers are not allowed (not a choice, or out of range); NaN never is."""
        if self.choices and self.type != "category":
            return ~np.isnan(x) & ~np.isin(x, [float(c) for c in self.choices])
        return (x < (-np.inf if self.lo is None else self.lo)) | (x > (self.hi or np.inf))

    @property
    def expected(self) -> str:
        """What a valid value looks like, in words."""
        what = {"boolean": "true or false", "string": "text"}.get(self.type, "")
        if self.type == "category":
            what = "one of: " + ", ".join(self.choices)
        elif self.type in ("integer", "number"):
            lo, hi = (f"{x:g}" if x is not None else x for x in (self.lo, self.hi))
            what = " or ".join(self.choices) or f"a {'whole ' * (self.type == 'integer')}number"
            what += f" from {lo} to {hi}" if hi else f" >= {lo}" if lo else ""
            what += f" ({self.unit})" if self.unit else ""
        elif self.unique:
            what = "a study code, unique and non-empty"
        if self.when_empty:
            return f"{what}; {self.when_empty}"
        return what + ("; required" if self.filled else ", or empty")


def field_spec(entry: dict) -> FieldSpec:
    """One dictionary entry parsed; ``ValueError`` if "allowed" is not understood."""
    name, typ, allowed = entry["name"], entry["type"], str(entry["allowed"])
    main, *conditions = [p.strip() for p in allowed.split(";")]
    items = [x.strip() for x in main.split(",")]
    kw = {"when_empty": "; ".join(conditions), "filled": not conditions and "empty" not in items}
    items = [x for x in items if x != "empty"]
    number, spellings = typ in ("integer", "number"), load()["spellings"]
    if typ == "boolean" and items == ["true", "false"]:
        kw["codes"] = {str(w).lower(): w == p[0] for p in spellings["boolean"] for w in p}
        kw["families"] = {str(w).lower(): i for i, p in enumerate(spellings["boolean"]) for w in p}
    elif number and (m := re.fullmatch(r"(-?[\d.]+)\s*-\s*([\d.]+)", main)):
        kw["lo"], kw["hi"] = float(m[1]), float(m[2])
    elif number and (m := re.fullmatch(r">=\s*(-?[\d.]+)", main)):
        kw["lo"] = float(m[1])
    elif number and all(re.fullmatch(r"-?\d+", x) for x in items):
        kw["choices"] = tuple(items)
    elif typ == "category":
        kw["choices"], kw["codes"] = tuple(items), {c: c for c in items} | spellings.get(name, {})
    elif typ == "string" and items == ["unique", "non-empty"]:
        kw["unique"] = True
    elif typ != "string" or items not in (["free text"], ["an id of the cohort table"]):
        raise ValueError(f"column {name}: type {typ!r} / allowed {allowed!r} not understood")
    kw["free_text"] = items == ["free text"]
    return FieldSpec(name, typ, entry.get("unit", ""), entry["meaning"], entry["required"], **kw)


#: The cohort's and the adverse-event table's columns, in the dictionary's order.
COHORT_FIELDS: dict[str, FieldSpec] = {e["name"]: field_spec(e) for e in load()["cohort"]}
AE_FIELDS: dict[str, FieldSpec] = {e["name"]: field_spec(e) for e in load()["adverse_events"]}


def data_dictionary(table: str = "cohort") -> pd.DataFrame:
    """The dictionary of ``"cohort"`` or ``"adverse_events"`` as a table (one row a column)."""
    keys = ["name", "type", "unit", "allowed", "meaning", "required", "derived", "adam", "chapters"]
    d = pd.DataFrame(load()[table]).reindex(columns=keys).fillna("").astype({"allowed": str})
    d["required"] = d["required"].map({True: "required", False: "optional"})
    d["chapters"] = d["chapters"].map(", ".join)
    return d.rename(columns={"name": "column", "allowed": "allowed values"})
