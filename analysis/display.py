"""Tables and figures that render well in both the HTML book and the LaTeX PDF.

A pandas DataFrame shown in a notebook offers ``text/html`` and ``text/plain``. The HTML
book uses the first, but the LaTeX builder of myst-nb 1.4 cannot use HTML: its output
priority is ``application/pdf``, ``image/png``, ``image/jpeg``, ``text/latex``,
``text/markdown``, ``text/plain``, so a DataFrame ends up in the PDF as monospace text.

:class:`Table` offers ``text/html`` (escaped, with a CSS class) and ``text/markdown`` (a
MyST pipe table). With ``nb_render_markdown_format: myst`` in ``_config.yml`` the LaTeX
builder turns the Markdown into a real ``tabular``. It deliberately offers no ``text/latex``:
myst-nb renders ``text/latex`` as display *math*, and the LaTeX builder would prefer it.

:func:`setup_figures` makes matplotlib's inline backend emit high-resolution PNG
(``retina``), which the LaTeX builder can include (it cannot include SVG).
"""

from __future__ import annotations

import html
import numbers
import string
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["Table", "show_table", "setup_figures", "TABLE_CSS_CLASS"]

#: CSS class of every table :class:`Table` writes (styled in ``_static/book.css``).
TABLE_CSS_CLASS = "book-table"

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
        is an unnamed ``RangeIndex`` (0, 1, 2, ...).
    precision : int, default 2
        Number of decimals for floating-point cells when ``float_format`` is not given.
        A floating-point column whose values are all whole numbers (typically counts
        with missing values) is shown without decimals.
    float_format : str or callable, optional
        Format of floating-point cells: a format string such as ``"{:.1f}"`` or a
        function of the value returning a string.
    na_rep : str, default ""
        Text for missing cells (``None``, ``NaN``, ``NA``, ``NaT``).

    Attributes
    ----------
    header : list of str
        Column labels as displayed (MultiIndex levels joined with ``" / "``).
    rows : list of list of str
        Formatted cells, row by row, including the index column(s) when shown.
    numeric : list of bool
        For each displayed column, whether it holds numbers (right-aligned).

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

    def __init__(
        self,
        data: pd.DataFrame,
        caption: str | None = None,
        *,
        index: bool | str = "auto",
        precision: int = 2,
        float_format: str | Callable[[float], str] | None = None,
        na_rep: str = "",
    ) -> None:
        if isinstance(data, pd.Series):
            data = data.to_frame()
        if not isinstance(data, pd.DataFrame):
            raise TypeError(f"Table needs a pandas DataFrame, got {type(data).__name__}")
        if index not in (True, False, "auto"):
            raise ValueError(f"index must be True, False or 'auto', got {index!r}")
        if index == "auto":
            index = not (isinstance(data.index, pd.RangeIndex) and data.index.name is None)
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
            if self.float_format is None:
                return f"{value:.{self.precision}f}"
            if callable(self.float_format):
                return self.float_format(value)
            return self.float_format.format(value)
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
            return "| " + " | ".join(_escape_markdown(c) for c in cells) + " |"

        rule = "| " + " | ".join("--:" if n else ":--" for n in self.numeric) + " |"
        body = [line(self.header), rule] + [line(r) for r in self.rows]
        if self.caption:
            # A tilde fence: a backtick fence's info string may not contain backticks.
            body = [f"~~~{{table}} {_escape_markdown(self.caption)}", *body, "~~~"]
        return "\n".join(body)

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
        Passed to :class:`Table` (``index``, ``precision``, ``float_format``, ``na_rep``).

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


def setup_figures(dpi: int = 100, font_size: float = 10.0) -> None:
    """Make matplotlib figures sharp PNGs in both the HTML book and the PDF.

    Selects the inline backend's ``retina`` format: a PNG at twice ``dpi``, displayed at
    its nominal size. The LaTeX builder of myst-nb cannot include SVG, and PNG is what it
    prefers after PDF.

    Parameters
    ----------
    dpi : int, default 100
        Nominal figure resolution (the PNG is rendered at twice this).
    font_size : float, default 10.0
        Base font size in points.

    Returns
    -------
    None

    Notes
    -----
    Call once in a chapter's imports cell. Outside IPython only the rcParams change.
    """
    import matplotlib as mpl

    mpl.rcParams["figure.dpi"] = dpi
    mpl.rcParams["font.size"] = font_size
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency of the book
        return
    if get_ipython() is None:
        return
    from matplotlib_inline.backend_inline import set_matplotlib_formats

    set_matplotlib_formats("retina")
