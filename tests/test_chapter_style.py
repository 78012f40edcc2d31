"""Chapters are narrative plus short calls into the package (issue 9, STYLE.md).

No function or class is defined in a chapter, no cell builds Markdown from f-strings, and
every chapter applies the book's figure theme.
"""

from __future__ import annotations

import ast

import jupytext
import pytest
from chapters import source, toc_documents

DOCS = toc_documents()


def _code_cells(doc):
    return [c.source for c in jupytext.read(source(doc)).cells if c.cell_type == "code"]


@pytest.mark.parametrize("doc", DOCS)
def test_no_definitions_in_chapters(doc):
    found = [
        f"{type(n).__name__} {n.name}"
        for cell in _code_cells(doc)
        for n in ast.walk(ast.parse(cell))
        if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    ]
    assert found == []


@pytest.mark.parametrize("doc", DOCS)
def test_no_markdown_built_from_f_strings(doc):
    # an f-string holding Markdown structure (headings, admonitions, tables, roles), or one
    # handed to IPython's Markdown(): prose belongs in the chapter, numbers are glued (a note
    # that results returns may be displayed)
    offenders = []
    for cell in _code_cells(doc):
        for node in ast.walk(ast.parse(cell)):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Markdown":
                if any(isinstance(a, ast.JoinedStr | ast.BinOp) for a in node.args):
                    offenders.append(ast.unparse(node)[:60])
            if isinstance(node, ast.JoinedStr):
                text = "".join(v.value for v in node.values if isinstance(v, ast.Constant))
                if any(m in text for m in ("```", "\n#", "{numref}", "{doc}", "| ", "**")):
                    offenders.append(ast.unparse(node)[:60])
    assert offenders == []


@pytest.mark.parametrize("doc", DOCS)
def test_chapters_with_figures_use_the_theme(doc):
    code = "\n".join(_code_cells(doc))
    if "figure" in code or "plt." in code:
        assert "set_theme()" in code
