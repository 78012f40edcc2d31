"""Checks of a built book (``make book``); skipped when there is no build.

The chapters come from _toc.yml and their titles from the chapter files themselves (first
``# `` heading), so nothing here needs editing when chapters are added or renamed.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from functools import cache
from pathlib import Path

import jupytext
import pytest
from bs4 import BeautifulSoup

from analysis.config import toc_documents

ROOT = Path(__file__).resolve().parent.parent
HTML = ROOT / "_build" / "html"
PDF = ROOT / "_build" / "pdf" / "book.pdf"

pytestmark = pytest.mark.build

needs_html = pytest.mark.skipif(
    not (HTML / "index.html").is_file(), reason="no HTML build (_build/html): run `make book`"
)
needs_pdf = pytest.mark.skipif(
    not PDF.is_file(), reason="no PDF build (_build/pdf/book.pdf): run `make book`"
)
needs_poppler = pytest.mark.skipif(
    not (shutil.which("pdftotext") and shutil.which("pdfinfo")),
    reason="poppler-utils (pdftotext, pdfinfo) not installed: run `make setup`",
)


def toc_chapters() -> list[str]:
    """Documents of the chapters in _toc.yml, in order (without the root page)."""
    return toc_documents()[1:]


def _source(doc: str) -> Path:
    for suffix in (".md", ".ipynb"):
        path = ROOT / f"{doc}{suffix}"
        if path.is_file():
            return path
    raise FileNotFoundError(f"no source for {doc} listed in _toc.yml")


def chapter_title(doc: str) -> str:
    """The first level-1 heading of a chapter's Markdown cells."""
    notebook = jupytext.read(_source(doc))
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                match = re.match(r"^#\s+(.+?)\s*#*\s*$", line)
                if match:
                    return match.group(1)
    raise ValueError(f"{doc} has no '# Title' heading")


def _squash(text: str) -> str:
    return " ".join(text.split()).casefold()


@cache
def pdf_text() -> str:
    out = subprocess.run(["pdftotext", str(PDF), "-"], capture_output=True, text=True, check=True)
    return _squash(out.stdout.replace("-\n", ""))


ALL_DOCS = toc_documents()


def test_toc_lists_the_chapters():
    assert len(toc_chapters()) >= 7
    for doc in ALL_DOCS:
        assert _source(doc).is_file()


@needs_html
@pytest.mark.parametrize("doc", ALL_DOCS)
def test_chapter_in_html(doc):
    page = HTML / f"{doc}.html"
    assert page.is_file(), f"{page} missing from the HTML build"
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    headings = [_squash(h.get_text(" ")) for h in soup.find_all("h1")]
    title = _squash(chapter_title(doc))
    assert any(title in h for h in headings), f"title {title!r} not in <h1>s {headings}"


@needs_pdf
@needs_poppler
@pytest.mark.parametrize("doc", toc_chapters())
def test_chapter_title_in_pdf(doc):
    # The root page (book/intro) becomes untitled front matter in the PDF, so only chapters.
    title = _squash(chapter_title(doc))
    assert title in pdf_text(), f"chapter title {title!r} not found in {PDF.name}"


@needs_pdf
@needs_poppler
def test_pdf_is_a4():
    info = subprocess.run(["pdfinfo", str(PDF)], capture_output=True, text=True, check=True)
    match = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info.stdout)
    assert match, info.stdout
    width, height = map(float, match.groups())
    assert abs(width - 595.28) < 1 and abs(height - 841.89) < 1, info.stdout


EXTERNAL = re.compile(r"^(https?:)?//", re.IGNORECASE)


@needs_html
def test_html_loads_nothing_from_the_network():
    """No page loads a script, stylesheet, image or frame from outside the build."""
    offenders = []
    for page in sorted(HTML.rglob("*.html")):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        for tag, attr in [
            ("script", "src"),
            ("link", "href"),
            ("img", "src"),
            ("iframe", "src"),
            ("source", "src"),
        ]:
            for element in soup.find_all(tag):
                url = element.get(attr) or ""
                if tag == "link" and not {"stylesheet", "preload", "icon", "modulepreload"} & set(
                    element.get("rel") or []
                ):
                    continue
                if EXTERNAL.match(url):
                    offenders.append(f"{page.relative_to(HTML)}: <{tag} {attr}={url!r}>")
    assert offenders == []
