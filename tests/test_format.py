"""One rounding rule for prose, tables and figures (issue 9): half up, on the printed value.

A value at a half (6.25, 0.0235, 0.125) goes through each path a number takes into the book:
the glued prose, a table cell and the text of a figure.
"""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from myst_nb.core.variables import format_plain_text  # noqa: E402

from analysis import format as fmt  # noqa: E402
from analysis.display import Table  # noqa: E402
from analysis.figures import km as figkm  # noqa: E402

BOOK = Path(__file__).resolve().parent.parent / "book"


@pytest.mark.parametrize(
    ("value", "decimals", "text"),
    [(6.25, 1, "6.3"), (0.0235, 3, "0.024"), (0.125, 2, "0.13"), (0.0285, 3, "0.029"),
     (2.5, 0, "3"), (-6.25, 1, "-6.3"), (12.05, 1, "12.1")],
)  # fmt: skip
def test_half_rounds_up(value, decimals, text):
    assert fmt.number(value, decimals) == text


def test_composite_formats_use_the_rule():
    assert fmt.estimate_se(6.25, 0.125 * 100) == "6.3% ± 12.5%"
    assert fmt.p_value(0.0235) == "0.024" and fmt.ci(6.25, 8.35) == "6.3–8.4"
    assert fmt.ratio_ci(0.125, 0.025, 6.245) == "0.13 (0.03–6.25)"
    assert fmt.n_pct(1, 16) == "1 (6.3%)"  # 6.25%


def test_prose_glue_specs_would_round_to_even_so_chapters_use_none():
    # myst-nb formats a glued float with Python's format(): half to even on the binary value
    assert format_plain_text("6.25", ".1f") == "6.2"
    specs = [(p.name, m) for p in BOOK.glob("*.md")
             for m in re.findall(r"\{glue:text\}`[^`:]+:([^`]+)`", p.read_text())]  # fmt: skip
    assert specs == [], "glue strings made by analysis.format, not floats with a format spec"


def test_table_cells_use_the_rule():
    html = Table(pd.DataFrame({"estimate": [6.25]}), precision=1).to_html()
    assert ">6.3<" in html and "6.2" not in html
    assert ">0.024<" in Table(pd.DataFrame({"p": [0.0235]}), precision=3).to_html()


def test_figure_text_uses_the_rule(monkeypatch):
    # the log-rank P and hazard ratio a Kaplan-Meier figure prints, at a half, through
    # results.km (which formats them) and figures.km (which draws them)
    from analysis import load_cohort
    from analysis.results import km
    from analysis.stats import survival

    monkeypatch.setattr(survival, "logrank", lambda *a: survival.LogRankResult(4.0, 0.0235))
    monkeypatch.setattr(survival, "hazard_ratio",
                        lambda *a: survival.HazardRatio(0.125, 0.025, 6.245, 0.1))  # fmt: skip
    fd = km.figure_data(load_cohort(), km.Panel("os", "mrd_response"), ticks=[0, 6.25])
    ax = figkm.km_plot(fd, plt.figure().gca())
    texts = " ".join(t.get_text() for t in ax.texts)
    assert "P = 0.024" in texts and "HR 0.13 (95% CI 0.03–6.25)" in texts
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "6.3"]
    plt.close("all")
