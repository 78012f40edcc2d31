"""Layer 5: tables that render well in both the HTML book and the LaTeX PDF.

A pandas DataFrame shown in a notebook offers ``text/html`` and ``text/plain``. The HTML
book uses the first, but the LaTeX builder of myst-nb 1.4 cannot use HTML: its output
priority is ``application/pdf``, ``image/png``, ``image/jpeg``, ``text/latex``,
``text/markdown``, ``text/plain``, so a DataFrame ends up in the PDF as monospace text.

:class:`Table` offers ``text/html`` (escaped, with a CSS class) and ``text/markdown`` (a
MyST pipe table). With ``nb_render_markdown_format: myst`` in ``_config.yml`` the LaTeX
builder turns the Markdown into a real ``tabular``. It deliberately offers no ``text/latex``:
myst-nb renders ``text/latex`` as display *math*, and the LaTeX builder would prefer it.

A table that would not fit the PDF's line is given column widths (:func:`column_widths`), and
a long one is marked ``longtable`` so that it can break across pages; the HTML book leaves the
layout to the browser.

:class:`NumberedTable` is a captioned, labelled table that Sphinx numbers; it saves the data
it shows as the table's source data (:func:`save_source_data`).  :func:`data_notice` says at
the top of a chapter which data it shows.
"""

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

from . import config
from . import format as fmt

__all__ = [
    "Table",
    "show_table",
    "NumberedTable",
    "data_notice",
    "save_source_data",
    "column_widths",
    "table_lines",
    "TABLE_CSS_CLASS",
    "EMPTY_CELL",
    "LONG_ROWS",
    "LONG_LINES",
    "LINE_CHARS",
]

#: CSS class of every table :class:`Table` writes (styled in ``_static/book.css``).
TABLE_CSS_CLASS = "book-table"

#: What an empty cell holds in the Markdown of a :class:`Table` (zero-width space).
EMPTY_CELL = "\u200b"

#: Tables with more rows than this may break across pages in the PDF (``longtable``).
LONG_ROWS = 20

#: So may tables whose text is estimated (:func:`table_lines`) to take more lines than this:
#: a table that cannot break and is taller than a page runs over the page's footer.
LONG_LINES = 40

#: Characters of body text on a line of the PDF (A4, 11 pt): the unit of :func:`column_widths`.
LINE_CHARS = 95

#: Width of a header character in body characters: LaTeX sets table headers in the
#: sans-serif font, about a quarter wider than the serif of the cells.
HEADER_SCALE = 1.25

#: Characters between two columns (LaTeX's ``\tabcolsep`` on both sides).
PADDING = 3

_MARKDOWN_SPECIALS = frozenset(string.punctuation)


def _escape_markdown(text: str) -> str:
    """Backslash-escape every ASCII punctuation character and flatten line breaks.

    CommonMark (and so MyST) allows any ASCII punctuation to be backslash-escaped, which
    makes the text literal: no emphasis, roles, ``$`` math, links or table-cell breaks.
    """
    text = " ".join(text.split())
    return "".join("\\" + ch if ch in _MARKDOWN_SPECIALS else ch for ch in text)


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # array-like cells
        return False


class Table:
    """A DataFrame displayed as a real table in the HTML book and in the LaTeX PDF.

    Parameters
    ----------
    data : pandas.DataFrame
        The table. Cells are shown as formatted text; format percentages, confidence
        intervals and the like into strings beforehand if they need a special layout.
    caption : str, optional
        Caption, shown above the table (``<caption>`` in HTML, a ``{table}`` directive
        caption in the PDF, where LaTeX numbers it).
    index : bool or "auto", default "auto"
        Whether to show the row index as leading column(s). ``"auto"`` shows it unless it
        is unnamed and holds integers (a ``RangeIndex`` 0, 1, 2, ... or the row numbers
        left by filtering one), which carry no information for a reader.
    precision : int, default 2
        Decimals of floating-point cells (rounded half up by :func:`analysis.format.number`)
        when ``float_format`` is not given.
        A floating-point column whose values are all whole numbers (typically counts
        with missing values) is shown without decimals.
    float_format : callable, optional
        Function of a floating-point cell returning its text.
    na_rep : str, default ""
        Text for missing cells (``None``, ``NaN``, ``NA``, ``NaT``).
    widths : "auto", list of int or None, default "auto"
        Relative column widths in the PDF.  ``"auto"`` derives them from the text
        (:func:`column_widths`) when the table is long or would not fit the line, and
        otherwise leaves the layout to Sphinx; ``None`` always leaves it to Sphinx.

    Attributes
    ----------
    header : list of str
        Column labels as displayed (MultiIndex levels joined with ``" / "``).
    rows : list of list of str
        Formatted cells, row by row, including the index column(s) when shown.
    numeric : list of bool
        For each displayed column, whether it holds numbers (right-aligned).
    widths : list of int or None
        The column widths written to the Markdown (``:widths:``), if any.
    long : bool
        Whether the table is marked ``longtable`` (more than :data:`LONG_ROWS` rows or,
        by :func:`table_lines`, more than :data:`LONG_LINES` lines of text).

    See Also
    --------
    show_table : Display a DataFrame as a :class:`Table`.

    Notes
    -----
    The display bundle has ``text/html``, ``text/markdown`` and ``text/plain``. myst-nb
    picks ``text/html`` for HTML builders and ``text/markdown`` for the LaTeX builder,
    which parses it as MyST only with ``nb_render_markdown_format: myst`` (the default,
    ``commonmark``, has no tables). A ``Table`` can be glued: ``glue("key", Table(df),
    display=False)`` and pasted with ``{glue:figure}``.

    In the PDF, a short table without widths is a ``tabulary``, which balances its columns
    itself but squeezes short columns (``reproduced`` broken over three lines) when the text
    does not fit the line; such a table is therefore given widths.  A table with widths is a
    ``tabular``; neither can break across pages.  A long table is marked ``longtable`` so
    that it can, and is given widths: without them Sphinx sets a longtable's columns without
    wrapping, and wide text runs off the page.  The widths apply to the PDF only: MyST marks
    a Markdown table ``colwidths-auto``, so the HTML writer leaves the layout to the browser.
    Empty cells are written as :data:`EMPTY_CELL`: Sphinx's LaTeX writer turns an empty cell
    into an empty paragraph, which makes its row a line taller in the PDF.

    Examples
    --------
    >>> import pandas as pd
    >>> t = Table(pd.DataFrame({"arm": ["A"], "n": [3]}), caption="Patients")
    >>> print(t.to_markdown())
    ~~~{table} Patients
    | arm | n |
    | :-- | --: |
    | A | 3 |
    ~~~
    """

    #: Tables with more rows than this may break across pages in the PDF.
    LONG_ROWS = LONG_ROWS

    #: Tables estimated to take more lines of text than this may break across pages too.
    LONG_LINES = LONG_LINES

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
        if index == "auto":
            index = not (
                data.index.name is None
                and data.index.nlevels == 1
                and (
                    isinstance(data.index, pd.RangeIndex)
                    or pd.api.types.is_integer_dtype(data.index.dtype)
                )
            )
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
        self.numeric = [
            pd.api.types.is_numeric_dtype(frame.iloc[:, j])
            and not pd.api.types.is_bool_dtype(frame.iloc[:, j])
            for j in range(frame.shape[1])
        ]
        whole = [self._whole_numbers(frame.iloc[:, j]) for j in range(frame.shape[1])]
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
        """Whether every column can keep its longest cell on one line of the PDF.

        Returns
        -------
        bool
            True when the natural widths (:func:`column_widths`' measure) add up to at
            most ``line`` characters.
        """
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
        """HTML ``<table>`` with escaped cells and the class :data:`TABLE_CSS_CLASS`.

        Returns
        -------
        str
            The HTML fragment.
        """

        def cell(tag: str, text: str, numeric: bool) -> str:
            cls = ' class="num"' if numeric else ""
            return f"<{tag}{cls}>{html.escape(text)}</{tag}>"

        lines = [f'<table class="{TABLE_CSS_CLASS}">']
        if self.caption:
            lines.append(f"<caption>{html.escape(self.caption)}</caption>")
        head = "".join(cell("th", h, n) for h, n in zip(self.header, self.numeric, strict=True))
        lines.append(f"<thead><tr>{head}</tr></thead>")
        lines.append("<tbody>")
        for row in self.rows:
            tds = "".join(cell("td", v, n) for v, n in zip(row, self.numeric, strict=True))
            lines.append(f"<tr>{tds}</tr>")
        lines.append("</tbody>")
        lines.append("</table>")
        return "\n".join(lines)

    def to_markdown(self) -> str:
        """MyST Markdown pipe table, inside a ``{table}`` directive when there is a caption.

        Returns
        -------
        str
            The Markdown; every cell is escaped so it is shown literally.
        """

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
        options = []
        if self.long:
            options.append(":class: longtable")
        if self.widths:
            options.append(":widths: " + " ".join(str(w) for w in self.widths))
        return options

    def to_text(self) -> str:
        """Plain-text rendering (the ``text/plain`` fallback).

        Returns
        -------
        str
            Columns padded to a common width; numbers right-aligned.
        """
        table = [self.header, *self.rows]
        widths = [max(len(r[j]) for r in table) for j in range(len(self.header))]
        out = [self.caption] if self.caption else []
        for r in table:
            cells = [
                c.rjust(w) if n else c.ljust(w)
                for c, w, n in zip(r, widths, self.numeric, strict=True)
            ]
            out.append("  ".join(cells).rstrip())
        return "\n".join(out)

    def _repr_html_(self) -> str:
        return self.to_html()

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def __repr__(self) -> str:
        return self.to_text()


def show_table(data: pd.DataFrame, caption: str | None = None, **kwargs: Any) -> None:
    """Display a DataFrame as a table in both the HTML book and the PDF.

    Parameters
    ----------
    data : pandas.DataFrame
        The table to show.
    caption : str, optional
        Caption shown above the table.
    **kwargs
        Passed to :class:`Table` (``index``, ``precision``, ``float_format``, ``na_rep``,
        ``widths``).

    Returns
    -------
    None
        The table is displayed with :func:`IPython.display.display`, so a cell ending
        in ``show_table(df)`` shows it once. To glue a table, use :class:`Table`.

    Examples
    --------
    >>> import pandas as pd
    >>> show_table(pd.DataFrame({"n": [19]}), caption="Cohort size")  # doctest: +SKIP
    """
    from IPython.display import display

    display(Table(data, caption, **kwargs))


def _measure(header: list[str], rows: list[list[str]]) -> tuple[list[int], list[int]]:
    """Natural width (longest cell) and longest word of every column, in body characters.

    A header counts by its longest word (it may wrap between words), scaled by
    :data:`HEADER_SCALE`.
    """
    natural, longest_word = [], []
    for j, label in enumerate(header):
        cells = [r[j] for r in rows]
        label_word = math.ceil(HEADER_SCALE * max((len(w) for w in label.split()), default=0))
        longest_word.append(max([label_word, *(len(w) for c in cells for w in c.split())]))
        natural.append(max([label_word, *(len(c) for c in cells)]))
    return natural, longest_word


def column_widths(
    header: list[str],
    rows: list[list[str]],
    *,
    line: int = LINE_CHARS,
    padding: int = PADDING,
    short: int = 18,
    min_text: int = 12,
) -> list[int]:
    """Relative column widths, in characters, for a table set across a page of text.

    A column whose longest cell has at most ``short`` characters keeps the width of that
    cell (numbers, ``k/n (%)``, short labels must not wrap).  Every other column gets at
    least its longest word (an identifier such as ``months_diagnosis_to_blinatumomab``
    cannot wrap) and ``min_text``; what is left of ``line`` characters is shared in
    proportion to how much longer than that the columns' longest cells are.  Every column
    gets ``padding`` for the space between columns.  A header counts by its longest word,
    since it may wrap between words, and a quarter more (:data:`HEADER_SCALE`), since it is
    set in the wider sans-serif font.

    Returns
    -------
    list of int
        One width per column (Sphinx uses them as proportions of the line).

    Examples
    --------
    >>> column_widths(["measure", "paper"], [["patients analysed" * 5, "19"]])
    [85, 10]
    """
    natural, longest_word = _measure(header, rows)
    widths: list[int | None] = [n + padding if n <= short else None for n in natural]
    text = [j for j, w in enumerate(widths) if w is None]
    if text:
        floor = {j: max(min_text, longest_word[j] + padding) for j in text}
        room = max(0, line - sum(w for w in widths if w is not None) - sum(floor.values()))
        wrap = {j: max(0, natural[j] + padding - floor[j]) for j in text}  # text that wraps
        total = sum(wrap.values()) or 1
        for j in text:
            widths[j] = floor[j] + round(room * wrap[j] / total)
    return [max(1, int(w)) for w in widths]


def table_lines(
    header: list[str],
    rows: list[list[str]],
    widths: list[int] | None = None,
    *,
    line: int = LINE_CHARS,
    padding: int = PADDING,
) -> int:
    """Estimated height of a table in the PDF, in lines of text.

    Each row takes as many lines as its most wrapped cell needs in a column of ``widths``
    (shares of ``line`` characters, less ``padding``); without widths every cell is taken
    to fit its column.  Words are not kept whole, so this is a lower bound.

    Returns
    -------
    int
        Lines of the header and of every row.
    """
    if not widths:
        return 1 + len(rows)
    total = sum(widths)
    room = [max(1.0, line * w / total - padding) for w in widths]

    def height(cells: list[str], scale: float = 1.0) -> int:
        return max([1, *(math.ceil(scale * len(c) / k) for c, k in zip(cells, room, strict=True))])

    return height(header, HEADER_SCALE) + sum(height(r) for r in rows)


def save_source_data(name: str, data: pd.DataFrame) -> Path | None:
    """Write ``data`` as ``<name>.csv`` into the build's source-data directory.

    Every numbered table and every figure saves the data it shows, under its label, when the
    build asks for it (``BOOK_SOURCE_DATA``, set by ``make html``); the HTML links the file
    under the figure or table.  Returns the path written, or ``None`` outside such a build.
    """
    out = config.source_data_dir()
    if out is None:
        return None
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name}.csv"
    path.write_text(data.to_csv(index=False, lineterminator="\n"), encoding="utf-8")
    return path


class NumberedTable(Table):
    """A :class:`analysis.display.Table` that Sphinx numbers and ``{numref}`` can find.

    Parameters
    ----------
    data : pandas.DataFrame
        The table (format numbers into strings beforehand, see the ``format_*`` functions).
    caption : str
        Caption (required: Sphinx numbers captioned tables only).
    name : str
        Label, e.g. ``"tbl-baseline"``; refer to it with ``{numref}`tbl-baseline```.
    widths : "auto", list of int or None, default "auto"
        Relative column widths in the PDF, as for :class:`~analysis.display.Table`:
        ``"auto"`` gives a long table, or one that would not fit the line, widths derived
        from its text (:func:`column_widths`); ``None`` always leaves them to Sphinx.
    **kwargs
        Passed to :class:`~analysis.display.Table`.

    Notes
    -----
    Glue it and paste it as MyST Markdown::

        glue("baseline_table1", NumberedTable(df, "Baseline characteristics",
             "tbl-baseline"), display=False)

    and, in the Markdown, a ``{glue:md}`` directive with ``:format: myst``.  The pasted
    Markdown (a ``{table}`` directive with ``:name:``) becomes a Sphinx table in the HTML
    and the LaTeX builds alike, numbered within the chapter.  Displayed directly, the table
    renders as a plain :class:`~analysis.display.Table` in the HTML (no number, no label).

    The PDF layout (``longtable`` for a long table, column widths) is that of
    :class:`~analysis.display.Table`; :data:`LONG_ROWS`, :data:`EMPTY_CELL` and
    :func:`column_widths` live in :mod:`analysis.display` and are re-exported here.

    Examples
    --------
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

    def _repr_markdown_(self) -> str:
        return self.to_markdown()


def data_notice():
    """An admonition for the top of a results chapter saying which data it shows.

    A MyST ``{important}`` box when the data are the reconstruction (not the patients'
    records), a ``{note}`` naming the file or ADaM directory otherwise; myst-nb renders it in
    the HTML and the PDF (``nb_render_markdown_format: myst``).
    """
    from IPython.display import Markdown

    if config.uses_reconstruction():
        return Markdown(
            "```{important}\n"
            "The patient-level data shown here are a **reconstruction**, not the patients' "
            "records. The paper publishes only summaries; a seeded search "
            "(`analysis/paper/reconstruct.py`) found individual data that reproduce every one of "
            "them. Anything finer than what the paper prints (a single patient's values, "
            "a subgroup the paper does not report) is a consequence of that search, not an "
            "observation.\n```"
        )
    adam, cohort = config.adam_dir(), config.cohort_path()
    source = (f"the ADaM datasets in `{adam.name}/` (set with `BOOK_ADAM`)" if adam
              else f"the cohort file `{cohort.name}` (set with `BOOK_COHORT`)")  # fmt: skip
    return Markdown(
        f"```{{note}}\nThis build analyses {source}, not the reconstruction of the published "
        "cohort. The comparison with the paper at the end of the chapter shows where its results "
        "differ from the published ones.\n```"
    )
