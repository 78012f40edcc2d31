"""One look for every figure of the book, set with :func:`seaborn.set_theme`.

- seaborn's ``ticks`` style and ``notebook`` context, with text sized so that in the HTML
  book, where a figure :data:`WIDTH` inches wide is shown at its natural size, the smallest
  text of a figure is at least as large as the body text;
- one colour-blind-safe palette (Okabe and Ito) whose colours mean *roles*, never a
  particular subgroup: black for a single curve, blue for the reference group, vermillion
  for the comparison group (the patients *with* a flag), then green and purple;
- a line style per role as well, so that curves stay apart in greyscale print;
- output the same byte for byte on every build: the HTML gets PNG at twice the nominal
  resolution, the PDF gets vector PDF (myst-nb picks ``application/pdf`` for LaTeX), with
  fixed SVG ids and no creation dates (``SOURCE_DATE_EPOCH``).
"""

from __future__ import annotations

import os

import seaborn as sns

__all__ = ["PALETTE", "LINESTYLES", "WIDTH", "FONT_SIZE", "XLABEL", "set_theme", "role_style"]

#: Colour of each role (Okabe & Ito's colour-blind-safe palette).
PALETTE: dict[str, str] = {
    "all": "#000000",
    "reference": "#0072B2",  # blue
    "comparison": "#D55E00",  # vermillion
    "third": "#009E73",  # bluish green
    "fourth": "#CC79A7",  # reddish purple
    "grey": "#7F7F7F",
}

#: Line style of each role.
LINESTYLES: dict[str, object] = {
    "all": "-",
    "reference": "-",
    "comparison": (0, (5, 2)),
    "third": (0, (5, 1.5, 1, 1.5)),
    "fourth": (0, (1, 1.2)),
}

#: Width of a full-width figure, inches: the HTML book's text column is 672 px at 1280 px,
#: and a figure is shown at 100 px per inch up to that width.
WIDTH = 6.4
#: Base font size, points: at 100 px per inch a point is 1.39 px, so 12 pt (16.7 px) is at
#: least the 16 px body text.
FONT_SIZE = 12.0
#: x-axis label of every figure on the time scale of the study.
XLABEL = "months since start of blinatumomab"

_RC = {
    "font.size": FONT_SIZE,
    "axes.titlesize": FONT_SIZE,
    "axes.labelsize": FONT_SIZE,
    "xtick.labelsize": FONT_SIZE,
    "ytick.labelsize": FONT_SIZE,
    "legend.fontsize": FONT_SIZE,
    "legend.title_fontsize": FONT_SIZE,
    "figure.dpi": 100,
    "savefig.dpi": 200,
    "svg.hashsalt": "blinatumomab-book",
    "svg.fonttype": "path",
    "pdf.fonttype": 42,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


def set_theme(*, inline: bool = True) -> None:
    """Apply the book's theme (seaborn) and, in IPython, PNG + PDF inline output.

    Call once in a chapter's imports cell.  ``SOURCE_DATE_EPOCH`` is set to 0 so that PDF
    and SVG files carry no creation date.
    """
    os.environ.setdefault("SOURCE_DATE_EPOCH", "0")
    sns.set_theme(context="notebook", style="ticks", palette=list(PALETTE.values())[1:],
                  font="DejaVu Sans", rc=_RC)  # fmt: skip
    if not inline:
        return
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency of the book
        return
    if get_ipython() is not None:
        from matplotlib_inline.backend_inline import set_matplotlib_formats

        set_matplotlib_formats("retina", "pdf")


def role_style(role: str) -> dict:
    """Colour and line style of a role, as keyword arguments for ``ax.plot``/``ax.step``."""
    return {"color": PALETTE[role], "linestyle": LINESTYLES.get(role, "-")}
