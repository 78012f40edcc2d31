"""The STROBE checklist for cohort studies (von Elm et al., 2007; ``analysis/paper/strobe.yml``)
against the paper, by our reading, and the book."""

import re

import pandas as pd
import yaml

from .. import config

#: How the paper addresses an item (our reading), in the order the chapter counts them.
STATUS = ("yes", "partly", "no", "not applicable")
_ROLE = re.compile(r"\{(?:doc|ref|numref)\}`([^`]+)`")


def checklist() -> pd.DataFrame:
    """Every item: ``item``, ``section``, ``topic``, ``text``, ``paper`` (:data:`STATUS`),
    ``where`` (in the paper), ``book`` (MyST references) and ``book_targets`` (their targets)."""
    df = pd.DataFrame(yaml.safe_load((config.PAPER_DIR / "strobe.yml").read_bytes())["items"])
    return df.assign(book_targets=df["book"].map(lambda b: "; ".join(_ROLE.findall(" ".join(b)))),
                     book=df["book"].map("; ".join))  # fmt: skip


def coverage(items: pd.DataFrame) -> dict[str, str]:
    """Glue-ready counts (keys without ``strobe_``): ``n_items``, ``n_in_book`` and
    ``n_<status>`` (spaces as underscores)."""
    n = items["paper"].value_counts()
    return {"n_items": str(len(items)), "n_in_book": str(int((items["book"] != "").sum()))} | {
        f"n_{s.replace(' ', '_')}": str(int(n.get(s, 0))) for s in STATUS}  # fmt: skip


def myst_table(items: pd.DataFrame, caption: str, name: str):
    """The checklist as a numbered MyST list-table with links (``IPython.display.Markdown``)."""
    from IPython.display import Markdown

    rows = [["Item", "What the item asks for (our words)", "In the paper (our reading)",
             "In this book"]] + [[r.item, f"{r.topic}: {r.text}", f"*{r.paper}*. {r.where}",
                                  r.book or "—"] for r in items.itertuples()]  # fmt: skip
    body = "\n".join("* - " + "\n  - ".join(str(c).replace("\n", " ") for c in r) for r in rows)
    head = f":name: {name}\n:header-rows: 1\n:widths: 6 34 40 20\n:class: longtable"
    return Markdown(f"~~~{{list-table}} {caption}\n{head}\n\n{body}\n~~~")
