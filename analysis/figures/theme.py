"""One look for every figure of the book, set with :func:`seaborn.set_theme` (``theme.yml``).

Text at least as large as the HTML body text in a figure :data:`WIDTH` inches wide; colours
(Okabe and Ito) and line styles that mean *roles*, never a subgroup: black for a single
curve, blue for the reference group, vermillion for the comparison (the patients *with* a
flag); PNG at twice the resolution for the HTML, vector PDF for LaTeX, byte-stable output.
"""

from __future__ import annotations

import os

import seaborn as sns
import yaml

from .. import config

_THEME = yaml.safe_load((config.PACKAGE / "figures" / "theme.yml").read_text(encoding="utf-8"))
#: Colour of each role (Okabe & Ito's colour-blind-safe palette; ``theme.yml``).
PALETTE: dict[str, str] = _THEME["palette"]
#: Line style of each role (``theme.yml``).
LINESTYLES: dict[str, object] = {
    k: v if isinstance(v, str) else (v[0], tuple(v[1])) for k, v in _THEME["linestyles"].items()
}
#: Width of a full-width figure, inches: the HTML book's text column is 672 px at 1280 px,
#: and a figure is shown at 100 px per inch up to that width.
WIDTH = 6.4
#: Base font size, points: at 100 px per inch a point is 1.39 px, so 12 pt (16.7 px) is at
#: least the 16 px body text.
FONT_SIZE = 12.0
#: x-axis label of every figure on the time scale of the study.
XLABEL = "months since start of blinatumomab"
_SIZED = ("font.size", "axes.titlesize", "axes.labelsize", "xtick.labelsize", "ytick.labelsize")
_RC = dict.fromkeys((*_SIZED, "legend.fontsize", "legend.title_fontsize"), FONT_SIZE) | _THEME["rc"]


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
