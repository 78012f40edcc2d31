"""Layer 5: tables that render as real tables in the HTML book (``text/html``) and the LaTeX
PDF (``text/markdown``: myst-nb renders ``text/latex`` as math), and their source data."""

from __future__ import annotations

import html
import math
import numbers
import string
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from . import config
from . import format as fmt

TABLE_CSS_CLASS = "book-table"  # styled in _static/book.css
EMPTY_CELL = "\u200b"  # what an empty cell holds in the Markdown (zero-width space)
LONG_ROWS = 20  # more rows than this: a longtable, which may break across pages
LONG_LINES = 40  # so are tables estimated (table_lines) to be taller than this many lines
LINE_CHARS = 95  # characters of body text on a line of the PDF (A4, 11 pt)
HEADER_SCALE = 1.25  # a header character in body characters (sans-serif is wider)
PADDING = 3  # characters between two columns (LaTeX's tabcolsep on both sides)
SHORT_CELL = 18  # a column with no longer cell keeps its width: numbers and labels never wrap
MIN_TEXT = 12  # least width of a column whose text wraps

_MARKDOWN_SPECIALS = frozenset(string.punctuation)


def _escape_markdown(text: str) -> str:
    """Flatten line breaks and backslash-escape all ASCII punctuation (CommonMark allows it):
    the text is literal, with no emphasis, roles, math, links or table-cell breaks."""
    text = " ".join(text.split())
    return "".join("\\" + ch if ch in _MARKDOWN_SPECIALS else ch for ch in text)


def _is_missing(value: Any) -> bool:
    try:  # None, pandas.NA, NaT and NaN
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # array-like cells
        return False


class Table:
    """A DataFrame shown as a table in the HTML book and the PDF.

    ``index="auto"`` hides an unnamed integer index; float cells get ``precision`` decimals
    (:func:`analysis.format.number`; none in whole-number columns) or ``float_format``;
    ``widths="auto"`` sets PDF column widths (:func:`column_widths`) for a long table or one
    that does not fit the line.  Past :data:`LONG_ROWS` rows or :data:`LONG_LINES` lines it is
    a ``longtable``; empty cells hold :data:`EMPTY_CELL` (an empty LaTeX cell is taller).

    >>> import pandas as pd
    >>> print(Table(pd.DataFrame({"arm": ["A"], "n": [3]}), caption="Patients").to_markdown())
    ~~~{table} Patients
    | arm | n |
    | :-- | --: |
    | A | 3 |
    ~~~
    """

    LONG_ROWS, LONG_LINES = LONG_ROWS, LONG_LINES

    def __init__(
        self,
        data: pd.DataFrame,
        caption: str | None = None,
        *,
        index: bool | str = "auto",
        precision: int = 2,
        float_format: Callable[[float], str] | None = None,
        na_rep: str = "",
        widths: str | list[int] | None = "auto",
    ) -> None:
        if isinstance(data, pd.Series):
            data = data.to_frame()
        if not isinstance(data, pd.DataFrame):
            raise TypeError(f"Table needs a pandas DataFrame, got {type(data).__name__}")
        if index not in (True, False, "auto"):
            raise ValueError(f"index must be True, False or 'auto', got {index!r}")
        if index == "auto":  # hide row numbers
            index = data.index.name is not None or not pd.api.types.is_integer_dtype(data.index)
        if data.shape[1] == 0 and not index:
            raise ValueError("Table needs at least one column to display")
        self.data = data
        self.caption = caption
        self.index = bool(index)
        self.precision = precision
        self.float_format = float_format
        self.na_rep = na_rep

        frame = data.reset_index() if self.index else data
        self.header = [self._label(c) for c in frame.columns]
        cols = [frame.iloc[:, j] for j in range(frame.shape[1])]
        types = pd.api.types
        self.numeric = [types.is_numeric_dtype(c) and not types.is_bool_dtype(c) for c in cols]
        whole = [self._whole_numbers(c) for c in cols]
        self.rows = [
            [self._format(v, w) for v, w in zip(row, whole, strict=True)]
            for row in frame.itertuples(index=False)
        ]
        if isinstance(widths, str):
            if widths != "auto":
                raise ValueError(f"widths must be 'auto', a list of int or None, got {widths!r}")
            many = len(self.rows) > self.LONG_ROWS
            widths = column_widths(self.header, self.rows) if many or not self.fits() else None
        if widths is not None and len(widths) != len(self.header):
            raise ValueError(f"{len(widths)} widths for {len(self.header)} columns")
        self.widths = None if widths is None else [int(w) for w in widths]
        self.long = (
            len(self.rows) > self.LONG_ROWS
            or table_lines(self.header, self.rows, self.widths) > self.LONG_LINES
        )

    def fits(self, line: int = LINE_CHARS) -> bool:
        """Whether every column can keep its longest cell on one line of the PDF."""
        natural, _ = _measure(self.header, self.rows)
        return sum(n + PADDING for n in natural) <= line

    @staticmethod
    def _label(column: Any) -> str:
        if isinstance(column, tuple):
            return " / ".join(str(c) for c in column if str(c) != "")
        return str(column)

    @staticmethod
    def _whole_numbers(column: pd.Series) -> bool:
        if not pd.api.types.is_float_dtype(column):
            return False
        values = column.dropna().to_numpy(dtype=float)
        return values.size > 0 and bool((np.isfinite(values) & (values == np.round(values))).all())

    def _format(self, value: Any, whole: bool = False) -> str:
        if _is_missing(value):
            return self.na_rep
        if isinstance(value, bool | numbers.Integral):
            return str(value)
        if whole and self.float_format is None:
            return str(int(value))
        if isinstance(value, numbers.Real):
            if callable(self.float_format):
                return self.float_format(value)
            return fmt.number(value, self.precision)  # the book's one rounding rule
        return str(value)

    def to_html(self) -> str:
        """HTML ``<table>`` with escaped cells and the class :data:`TABLE_CSS_CLASS`."""

        def cell(tag: str, text: str, numeric: bool) -> str:
            cls = ' class="num"' if numeric else ""
            return f"<{tag}{cls}>{html.escape(text)}</{tag}>"

        def row(tag: str, cells: list[str]) -> str:
            return "".join(cell(tag, c, n) for c, n in zip(cells, self.numeric, strict=True))

        cap = f"\n<caption>{html.escape(self.caption)}</caption>" if self.caption else ""
        head = f"<thead><tr>{row('th', self.header)}</tr></thead>"
        body = "".join(f"\n<tr>{row('td', r)}</tr>" for r in self.rows)
        return f'<table class="{TABLE_CSS_CLASS}">{cap}\n{head}\n<tbody>{body}\n</tbody>\n</table>'

    def to_markdown(self) -> str:
        """MyST pipe table (cells escaped), in a ``{table}`` directive if it has a caption."""

        def line(cells: list[str]) -> str:
            return "| " + " | ".join(_escape_markdown(c) or EMPTY_CELL for c in cells) + " |"

        rule = "| " + " | ".join("--:" if n else ":--" for n in self.numeric) + " |"
        body = [line(self.header), rule] + [line(r) for r in self.rows]
        options = self._directive_options()
        if self.caption or options:
            # A tilde fence: a backtick fence's info string may not contain backticks.
            head = "~~~{table}" + (f" {_escape_markdown(self.caption)}" if self.caption else "")
            body = [head, *options, *body, "~~~"]
        return "\n".join(body)

    def _directive_options(self) -> list[str]:
        """Options of the ``{table}`` directive (none: a plain pipe table will do)."""
        widths = [":widths: " + " ".join(map(str, self.widths))] if self.widths else []
        return [":class: longtable"] * self.long + widths

    def to_text(self) -> str:
        """Plain text (the ``text/plain`` fallback): padded columns, numbers right-aligned."""
        table = [self.header, *self.rows]
        widths = [max(len(r[j]) for r in table) for j in range(len(self.header))]
        out = [self.caption] if self.caption else []
        for r in table:
            cells = map(lambda c, w, n: c.rjust(w) if n else c.ljust(w), r, widths, self.numeric)
            out.append("  ".join(cells).rstrip())
        return "\n".join(out)

    _repr_html_ = to_html
    _repr_markdown_ = to_markdown
    __repr__ = to_text


def _measure(header: list[str], rows: list[list[str]]) -> tuple[list[int], list[int]]:
    """Natural width (longest cell) and longest word of every column, in body characters; a
    header counts by its longest word, scaled by :data:`HEADER_SCALE`."""
    natural, longest_word = [], []
    for j, label in enumerate(header):
        cells = [r[j] for r in rows]
        label_word = math.ceil(HEADER_SCALE * max((len(w) for w in label.split()), default=0))
        longest_word.append(max([label_word, *(len(w) for c in cells for w in c.split())]))
        natural.append(max([label_word, *(len(c) for c in cells)]))
    return natural, longest_word


def column_widths(header: list[str], rows: list[list[str]]) -> list[int]:
    """Relative column widths (characters) across :data:`LINE_CHARS`: a column with cells of at
    most :data:`SHORT_CELL` keeps its width, the others get their longest word (at least
    :data:`MIN_TEXT`) and share the rest in proportion to their longest cells.

    >>> column_widths(["measure", "paper"], [["patients analysed" * 5, "19"]])
    [85, 10]
    """
    natural, longest_word = _measure(header, rows)
    widths: list[int | None] = [n + PADDING if n <= SHORT_CELL else None for n in natural]
    text = [j for j, w in enumerate(widths) if w is None]
    if text:
        floor = {j: max(MIN_TEXT, longest_word[j] + PADDING) for j in text}
        room = max(0, LINE_CHARS - sum(w for w in widths if w is not None) - sum(floor.values()))
        wrap = {j: max(0, natural[j] + PADDING - floor[j]) for j in text}  # text that wraps
        total = sum(wrap.values()) or 1
        for j in text:
            widths[j] = floor[j] + round(room * wrap[j] / total)
    return [max(1, int(w)) for w in widths]


def table_lines(header: list[str], rows: list[list[str]], widths: list[int] | None = None) -> int:
    """Estimated height of a table in the PDF, in lines of text (a lower bound): each row
    takes as many lines as its most wrapped cell needs in its column of ``widths``."""
    if not widths:
        return 1 + len(rows)
    total = sum(widths)
    room = [max(1.0, LINE_CHARS * w / total - PADDING) for w in widths]

    def height(cells: list[str], scale: float = 1.0) -> int:
        return max([1, *(math.ceil(scale * len(c) / k) for c, k in zip(cells, room, strict=True))])

    return height(header, HEADER_SCALE) + sum(height(r) for r in rows)


def save_source_data(name: str | None, data: pd.DataFrame) -> Path | None:
    """Write ``data`` as ``<name>.csv`` into the build's source-data directory
    (``BOOK_SOURCE_DATA``, set by ``make html``, which links it under the figure or table);
    returns the path, or ``None`` outside such a build or without a ``name``."""
    out = config.source_data_dir()
    if out is None or not name:
        return None
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name}.csv"
    path.write_text(data.to_csv(index=False, lineterminator="\n"), encoding="utf-8")
    return path


class NumberedTable(Table):
    """A :class:`Table` with a caption and a label (``tbl-...``) that Sphinx numbers; glued and
    pasted with ``{glue:md}``, ``:format: myst``; it saves its source data.

    >>> import pandas as pd
    >>> print(NumberedTable(pd.DataFrame({"n": [3]}), "Patients", "tbl-n").to_markdown())
    ~~~{table} Patients
    :name: tbl-n
    | n |
    | --: |
    | 3 |
    ~~~
    """

    def __init__(
        self, data: pd.DataFrame, caption: str, name: str, *, widths="auto", **kwargs
    ) -> None:
        if not caption:
            raise ValueError("a numbered table needs a caption")
        if not name or any(ch.isspace() for ch in name):
            raise ValueError(f"table name must be a non-empty word, got {name!r}")
        super().__init__(data, caption, widths=widths, **kwargs)
        self.name = name
        save_source_data(name, data)

    def _directive_options(self) -> list[str]:
        return [f":name: {self.name}", *super()._directive_options()]


def data_notice():
    """An admonition for the top of a results chapter saying which data it shows: an
    ``{important}`` box for the reconstruction, a ``{note}`` naming the file otherwise."""
    from IPython.display import Markdown

    notice = yaml.safe_load((config.PACKAGE / "display.yml").read_text(encoding="utf-8"))
    if config.uses_reconstruction():
        return Markdown(notice["reconstruction"])
    adam, cohort = config.adam_dir(), config.cohort_path()
    source = (f"the ADaM datasets in `{adam.name}/` (set with `BOOK_ADAM`)" if adam
              else f"the cohort file `{cohort.name}` (set with `BOOK_COHORT`)")  # fmt: skip
    return Markdown(notice["other"].format(source=source))
