"""Tests of analysis.display: tables that are real tables in HTML and in the LaTeX PDF,
numbered tables that save their source data, and the data notice of a chapter."""

from __future__ import annotations

import html
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from docutils import nodes
from docutils.core import publish_doctree
from markdown_it import MarkdownIt
from myst_nb.core.render import get_mime_priority
from myst_parser.parsers.docutils_ import Parser as MystParser

from analysis import display as D
from analysis.display import TABLE_CSS_CLASS, NumberedTable, Table, data_notice

ROOT = Path(__file__).resolve().parent.parent
NASTY = [
    "Ph+ <b>x</b>",
    "Blasts ≥50% | *bold*",
    "Cost $5 & 10% \\ `code` _u_",
    "{role}`x` [link](http://a.b) <!-- c -->",
]


@pytest.fixture
def frame():
    return pd.DataFrame(
        {
            "Characteristic": ["Age, years", "Female", "Ph+", "Unknown"],
            "n": [19, 8, 9, 0],
            "Percent": [100.0, 42.106, 47.368, np.nan],
        }
    )


def _bundle(obj):
    from IPython.core.formatters import DisplayFormatter

    data, _ = DisplayFormatter().format(obj)
    return data


def _cells_from_markdown(md: str) -> list[list[str]]:
    """Parse a pipe table with markdown-it (MyST's parser) and return the cell texts."""
    tokens = MarkdownIt("commonmark").enable("table").parse(md)
    rows, row = [], None
    for tok in tokens:
        if tok.type == "tr_open":
            row = []
        elif tok.type == "inline" and row is not None:
            rendered = MarkdownIt("commonmark").renderInline(tok.content)
            row.append(html.unescape(rendered))
        elif tok.type == "tr_close":
            rows.append(row)
            row = None
    return rows


# --- the display bundle ---------------------------------------------------------------------


def test_bundle_has_html_markdown_plain_and_no_latex(frame):
    data = _bundle(Table(frame))
    assert {"text/html", "text/markdown", "text/plain"} <= set(data)
    # myst-nb renders text/latex as display math, and its LaTeX builder would prefer it.
    assert "text/latex" not in data


def _config_overrides():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    sphinx_config = config.get("sphinx", {}).get("config", {}) or {}
    return sphinx_config, sphinx_config.get("nb_mime_priority_overrides", [])


@pytest.mark.parametrize(
    ("builder", "expected"),
    [("html", "text/html"), ("singlehtml", "text/html"), ("latex", "text/markdown")],
)
def test_myst_nb_picks_html_for_html_and_markdown_for_latex(frame, builder, expected):
    """With the book's configuration, myst-nb selects the intended output of a Table."""
    _, overrides = _config_overrides()
    data = _bundle(Table(frame))
    priority = get_mime_priority(builder, overrides)
    chosen = next(m for m in priority if m in data)
    assert chosen == expected


def test_config_renders_markdown_outputs_as_myst():
    """CommonMark, myst-nb's default for text/markdown outputs, has no tables."""
    sphinx_config, _ = _config_overrides()
    assert sphinx_config.get("nb_render_markdown_format") == "myst"


# --- HTML -------------------------------------------------------------------------------------


def test_html_is_a_table_with_class_and_caption(frame):
    out = Table(frame, caption="Baseline <characteristics>").to_html()
    assert out.startswith(f'<table class="{TABLE_CSS_CLASS}">')
    assert "<caption>Baseline &lt;characteristics&gt;</caption>" in out
    assert out.count("<tr>") == 1 + len(frame)
    assert '<th class="num">n</th>' in out
    assert "<td>Age, years</td>" in out


def test_html_escapes_cells():
    out = Table(pd.DataFrame({"x": NASTY})).to_html()
    assert "<b>" not in out and "<!--" not in out
    for text in NASTY:
        assert f"<td>{html.escape(text)}</td>" in out


def test_css_class_is_styled():
    css = (ROOT / "_static" / "book.css").read_text()
    assert f"table.{TABLE_CSS_CLASS}" in css


# --- Markdown ---------------------------------------------------------------------------------


def test_markdown_round_trips_nasty_text_literally():
    """Every cell parses back to exactly its text: no emphasis, HTML, math, roles or links."""
    df = pd.DataFrame({"label | pipe": NASTY, "n": [1, 2, 3, 4]})
    rows = _cells_from_markdown(Table(df).to_markdown())
    assert rows[0] == ["label | pipe", "n"]
    assert [r[0] for r in rows[1:]] == NASTY


def test_markdown_alignment_rule(frame):
    md = Table(frame).to_markdown()
    assert md.splitlines()[1] == "| :-- | --: | --: |"


def test_markdown_flattens_newlines():
    md = Table(pd.DataFrame({"x": ["two\nlines"]})).to_markdown()
    assert _cells_from_markdown(md)[1] == ["two lines"]


def _myst_doctree(md: str) -> nodes.document:
    return publish_doctree(md, parser=MystParser(), settings_overrides={"report_level": 4})


def test_markdown_with_caption_is_a_table_directive(frame):
    """MyST parses the output into a docutils table with a title (the LaTeX caption)."""
    caption = "Baseline `characteristics` with _under_ and $5"
    md = Table(frame, caption=caption).to_markdown()
    assert md.startswith("~~~{table} ")  # a backtick fence may not have backticks in its info
    doctree = _myst_doctree(md)
    tables = list(doctree.findall(nodes.table))
    assert len(tables) == 1
    title = next(tables[0].findall(nodes.title))
    assert title.astext() == caption
    entries = [e.astext() for e in tables[0].findall(nodes.entry)]
    assert entries[:3] == ["Characteristic", "n", "Percent"]
    assert len(entries) == 3 * (1 + len(frame))


def test_markdown_without_caption_is_a_plain_table(frame):
    doctree = _myst_doctree(Table(frame).to_markdown())
    assert len(list(doctree.findall(nodes.table))) == 1
    assert not list(doctree.findall(nodes.title))


# --- formatting -------------------------------------------------------------------------------


def test_formatting_defaults(frame):
    t = Table(frame)
    assert t.header == ["Characteristic", "n", "Percent"]
    assert t.rows[0] == ["Age, years", "19", "100.00"]
    assert t.rows[1][2] == "42.11"
    assert t.rows[3][2] == ""  # NaN -> na_rep
    assert t.numeric == [False, True, True]


def test_float_format_callable_and_na_rep(frame):
    assert Table(frame, float_format=lambda v: f"{v:.0f}%").rows[1][2] == "42%"
    assert Table(frame, na_rep="-").rows[3][2] == "-"
    assert Table(frame, precision=0).rows[2][2] == "47"


def test_whole_number_float_column_shows_integers():
    """Counts with a missing value become floats in pandas; they are still shown as counts."""
    t = Table(pd.DataFrame({"n": [19, 7, None], "x": [1.0, np.inf, 2.0]}))
    assert [r[0] for r in t.rows] == ["19", "7", ""]
    assert [r[1] for r in t.rows] == ["1.00", "inf", "2.00"]


def test_index_auto():
    plain = pd.DataFrame({"a": [1, 2]})
    assert Table(plain).header == ["a"]
    # Row numbers left by filtering carry no information: no "index" column.
    assert Table(pd.DataFrame({"a": [1, 2, 3]}).iloc[[0, 2]]).header == ["a"]
    named = plain.set_axis(pd.Index(["x", "y"], name="row"))
    assert Table(named).header == ["row", "a"]
    assert Table(named).rows[0] == ["x", "1"]
    assert Table(named, index=False).header == ["a"]
    assert Table(plain, index=True).header == ["index", "a"]


def test_multiindex_columns_are_joined():
    df = pd.DataFrame([[1, 2]], columns=pd.MultiIndex.from_tuples([("OS", "n"), ("OS", "%")]))
    assert Table(df).header == ["OS / n", "OS / %"]


def test_series_and_bad_input():
    assert Table(pd.Series([1, 2], name="n")).header == ["n"]
    with pytest.raises(TypeError):
        Table([[1, 2]])
    with pytest.raises(ValueError):
        Table(pd.DataFrame({"a": [1]}), index="yes")
    with pytest.raises(ValueError):
        Table(pd.DataFrame(index=range(3)))


def test_text_plain_aligns_columns(frame):
    text = Table(frame, caption="Cap").to_text().splitlines()
    assert text[0] == "Cap"
    assert re.fullmatch(r"Characteristic\s+n\s+Percent", text[1])
    assert text[2].endswith("19   100.00")


# --- layout in the PDF: column widths, longtable, empty cells ---------------------------------


def _directive(md: str) -> tuple[str, list[str]]:
    """The ``{table}`` fence line and its option lines."""
    lines = md.splitlines()
    return lines[0], [line for line in lines[1:] if line.startswith(":")]


def test_short_table_that_fits_is_left_to_sphinx(frame):
    t = Table(frame, caption="c")
    assert t.fits() and t.widths is None and not t.long
    assert _directive(t.to_markdown())[1] == []


def test_wide_table_gets_widths_that_keep_short_columns_whole():
    """A table wider than the line gets widths (a tabular), so tabulary cannot squeeze
    "reproduced" or "consistent" into three hyphenated lines."""
    df = pd.DataFrame(
        {"statement": ["Twelve (80.0%) of the 15 patients with overt marrow disease achieved CR"],
         "printed": ["80.0%"], "recomputed": ["80.0%"], "status": ["consistent"]}
    )  # fmt: skip
    t = Table(df, caption="Percentages")
    assert not t.fits() and not t.long
    assert t.widths == D.column_widths(t.header, t.rows)
    assert t.widths[3] >= len("consistent") + D.PADDING
    head, options = _directive(t.to_markdown())
    assert head == "~~~{table} Percentages"
    assert options == [":widths: " + " ".join(map(str, t.widths))]
    table = next(_myst_doctree(t.to_markdown()).findall(nodes.table))
    assert [c["colwidth"] for c in table.findall(nodes.colspec)] == t.widths


def test_table_without_caption_keeps_its_layout():
    df = pd.DataFrame({"a": ["word " * 30], "b": ["more words " * 10]})
    md = Table(df).to_markdown()
    assert md.startswith("~~~{table}\n:widths: ")
    doctree = _myst_doctree(md)
    assert len(list(doctree.findall(nodes.table))) == 1
    assert not list(doctree.findall(nodes.title))


def test_many_rows_make_a_longtable_with_widths():
    n = D.LONG_ROWS + 1
    t = Table(pd.DataFrame({"id": [f"check_{i}" for i in range(n)], "n": range(n)}))
    assert t.long and t.widths is not None
    assert ":class: longtable" in t.to_markdown()
    table = next(_myst_doctree(t.to_markdown()).findall(nodes.table))
    assert "longtable" in table["classes"]


def test_few_tall_rows_make_a_longtable():
    """Nine rows of long text are taller than a page: a tabular cannot break, so the table
    must be a longtable (else it runs over the page's footer)."""
    text = "a sentence of about sixty characters that has to wrap a lot. " * 6
    df = pd.DataFrame({c: [text] * 9 for c in ("where", "says", "problem", "resolution")})
    t = Table(df)
    assert len(t.rows) <= D.LONG_ROWS
    assert D.table_lines(t.header, t.rows, t.widths) > D.LONG_LINES
    assert t.long and ":class: longtable" in t.to_markdown()


def test_widths_can_be_given_or_switched_off():
    df = pd.DataFrame({"a": ["word " * 30], "b": ["x"]})
    assert Table(df, widths=[3, 1]).widths == [3, 1]
    assert Table(df, widths=None).widths is None
    assert Table(df, widths=None).to_markdown().startswith("| a | b |")
    with pytest.raises(ValueError):
        Table(df, widths=[1])
    with pytest.raises(ValueError):
        Table(df, widths="grid")


def test_empty_cells_are_a_zero_width_space(frame):
    md = Table(frame).to_markdown()
    assert f"| Unknown | 0 | {D.EMPTY_CELL} |" in md
    assert _cells_from_markdown(md)[4] == ["Unknown", "0", D.EMPTY_CELL]


def test_header_words_count_wider_than_cells():
    """Headers are set in the wider sans-serif font: "Course" needs more than 6 characters."""
    assert D.column_widths(["Course"], [["L1"]]) == [math.ceil(6 * D.HEADER_SCALE) + D.PADDING]


# --- numbered tables, source data, data notice -------------------------------------------------


def test_numbered_table_is_a_named_myst_table():
    t = NumberedTable(pd.DataFrame({"n": [3]}), "Patients ≥ 18", "tbl-n")
    md = t.to_markdown()
    assert md.splitlines()[:2] == ["~~~{table} Patients ≥ 18", ":name: tbl-n"]
    assert ":widths:" not in md and "longtable" not in md  # short: left to Sphinx
    doctree = publish_doctree(md, parser=MystParser(), settings_overrides={"report_level": 4})
    table = next(doctree.findall(nodes.table))
    assert "tbl-n" in table["names"]
    assert "<caption>Patients ≥ 18</caption>" in t._repr_html_()
    assert _bundle(t)["text/markdown"] == md


def test_long_numbered_table_breaks_across_pages_with_widths():
    n = NumberedTable.LONG_ROWS + 1
    df = pd.DataFrame({"measure": ["a rather long description of a measure"] * n, "n": ["19"] * n})
    md = NumberedTable(df, "Long", "tbl-long").to_markdown()
    assert ":class: longtable" in md and ":widths: " in md
    doctree = publish_doctree(md, parser=MystParser(), settings_overrides={"report_level": 4})
    table = next(doctree.findall(nodes.table))
    assert "longtable" in table["classes"]
    assert [c["colwidth"] for c in table.findall(nodes.colspec)] == D.column_widths(
        ["measure", "n"], [[r, "19"] for r in df["measure"]]
    )


def test_column_widths_keep_short_columns_whole():
    header = ["measure", "paper", "this cohort", "status", "where"]
    rows = [["word " * 12, "not significant", "P = 0.603", "reproduced", "words " * 12]]
    widths = D.column_widths(header, rows)
    assert widths[1:4] == [18, 12, 13]  # longest cell + 3 for the column gap
    assert sum(widths) <= 95 + 3 and widths[0] >= 12 and widths[4] > widths[0]
    assert D.column_widths(["n"], []) == [5]  # a header letter counts 1.25, rounded up, + 3


def test_column_widths_leave_room_for_identifiers():
    rows = [["months_diagnosis_to_blinatumomab", "integer (months): >= 0", "x " * 40]]
    widths = D.column_widths(["Column", "Type and values", "Meaning"], rows)
    assert widths[0] >= len(rows[0][0]) + 3


def test_numbered_table_widths_can_be_given():
    df = pd.DataFrame({"a": ["x"], "b": ["y"]})
    assert ":widths: 3 1" in NumberedTable(df, "C", "tbl-w", widths=[3, 1]).to_markdown()
    with pytest.raises(ValueError):
        NumberedTable(df, "C", "tbl-w", widths=[1])
    with pytest.raises(ValueError):
        NumberedTable(df, "C", "tbl-w", widths="grid")


@pytest.mark.parametrize(("caption", "name"), [("", "tbl-x"), ("Caption", ""), ("C", "a b")])
def test_numbered_table_needs_caption_and_name(caption, name):
    with pytest.raises(ValueError):
        NumberedTable(pd.DataFrame({"n": [1]}), caption, name)


def test_numbered_table_saves_its_source_data(tmp_path, monkeypatch):
    df = pd.DataFrame({"Outcome": ["CR"], "n/N (%)": ["12/15 (80.0%)"]})
    monkeypatch.delenv("BOOK_SOURCE_DATA", raising=False)
    assert D.save_source_data("tbl-x", df) is None  # outside a build: nothing written
    monkeypatch.setenv("BOOK_SOURCE_DATA", str(tmp_path / "sd"))
    NumberedTable(df, "Response", "tbl-response")
    text = (tmp_path / "sd" / "tbl-response.csv").read_text(encoding="utf-8")
    assert text == "Outcome,n/N (%)\nCR,12/15 (80.0%)\n"


def test_data_notice_says_which_data(tmp_path, monkeypatch):
    monkeypatch.delenv("BOOK_COHORT", raising=False)
    monkeypatch.delenv("BOOK_ADAM", raising=False)
    default = data_notice().data
    assert default.startswith("```{important}") and "**reconstruction**" in default
    monkeypatch.setenv("BOOK_COHORT", str(tmp_path / "centre.csv"))
    other = data_notice().data
    assert other.startswith("```{note}") and "`centre.csv`" in other
    assert "reconstruction of the published cohort" in other
    monkeypatch.setenv("BOOK_ADAM", str(tmp_path / "adam"))
    assert "ADaM datasets in `adam/`" in data_notice().data
