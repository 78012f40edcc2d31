"""One look for every figure of the book, set with :func:`seaborn.set_theme` (``theme.yml``):
text as large as the HTML body text, colours and line styles that mean *roles* (a single
curve, the reference group, the comparison group), retina PNG and byte-stable vector PDF."""

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
    """Apply the book's theme (seaborn) and, in IPython, PNG + PDF inline output (once per
    chapter); ``SOURCE_DATE_EPOCH=0``: PDF and SVG files carry no creation date."""
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
