"""The rendered book, tested as a reader would use it (issue: verify by re-execution).

* Headless Chromium (Debian's package, driven by Playwright) opens every HTML page served
  from 127.0.0.1: no console error, no request leaves the machine (every non-local request
  is blocked and recorded), every image loads with a non-zero size, the math is typeset and
  no glue key or cross-reference is left unresolved.
* The PDF (pdftotext, pdfinfo, pdfimages) has a table of contents, every chapter title, the
  headline numbers of the paper and at least as many figures as the HTML.

``make test`` builds the book first and sets ``BOOK_REQUIRE_BUILD=1``, so a missing build
fails these tests instead of skipping them.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import subprocess
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest

from analysis import config
from analysis.paper.ledger import load_ledger

ROOT = config.ROOT
HTML = ROOT / "_build" / "html"
PDF = ROOT / "_build" / "pdf" / "book.pdf"
REQUIRE = os.environ.get("BOOK_REQUIRE_BUILD") == "1"

pytestmark = pytest.mark.build


def _need(path: Path, what: str) -> None:
    if not path.exists():
        message = f"no {what} at {path}: run `make book`"
        if REQUIRE:
            pytest.fail(message)
        pytest.skip(message)


def html_pages() -> list[Path]:
    if not HTML.is_dir():
        return []
    return sorted(p for p in HTML.rglob("*.html") if "_static" not in p.parts)


# ---------------------------------------------------------------------------- browser


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep the test output clean
        pass


@pytest.fixture(scope="module")
def visited():
    """Visit every page once; return {page: observations}."""
    _need(HTML / "index.html", "HTML build")
    if not shutil.which("chromium"):
        pytest.fail("Debian chromium is not installed: run `make setup`")
    from playwright.sync_api import sync_playwright

    handler = functools.partial(_QuietHandler, directory=str(HTML))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    flags = [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ]
    results = {}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=flags)
            context = browser.new_context()
            blocked: list[str] = []

            def route(r):
                host = urlparse(r.request.url).hostname
                if r.request.url.startswith(("data:", "blob:")) or host == "127.0.0.1":
                    r.continue_()
                else:
                    blocked.append(r.request.url)
                    r.abort()

            context.route("**/*", route)
            page = context.new_page()
            for path in html_pages():
                errors: list[str] = []
                failed: list[str] = []
                blocked.clear()
                page.on(
                    "console", lambda m, e=errors: e.append(m.text) if m.type == "error" else None
                )
                page.on("pageerror", lambda exc, e=errors: e.append(str(exc)))
                page.on(
                    "response",
                    lambda r, f=failed: (
                        f.append(f"{r.status} {r.url}") if r.status >= 400 else None
                    ),
                )
                page.goto(f"{base}/{path.relative_to(HTML).as_posix()}", wait_until="networkidle")
                page.evaluate(
                    "() => (window.MathJax && MathJax.startup && MathJax.startup.promise)"
                    " ? MathJax.startup.promise : null"
                )
                obs = page.evaluate(
                    """() => ({
                    images: [...document.images].map(i => [i.getAttribute('src'), i.complete,
                                                            i.naturalWidth, i.naturalHeight]),
                    math: document.querySelectorAll('.math').length,
                    typeset: document.querySelectorAll('mjx-container').length,
                    text: document.querySelector('main') ? document.querySelector('main').innerText
                                                        : document.body.innerText,
                })"""
                )
                obs.update(errors=list(errors), failed=list(failed), blocked=list(blocked))
                results[path.relative_to(HTML).as_posix()] = obs
                page.close()
                page = context.new_page()
            browser.close()
    finally:
        server.shutdown()
    return results


PAGES = [p.relative_to(HTML).as_posix() for p in html_pages()] or ["index.html"]


@pytest.mark.browser
@pytest.mark.parametrize("page", PAGES)
def test_page_loads_cleanly_and_offline(visited, page):
    obs = visited[page]
    assert obs["errors"] == [], f"console errors: {obs['errors']}"
    assert obs["blocked"] == [], f"requests that tried to leave the machine: {obs['blocked']}"
    assert obs["failed"] == [], f"failed requests: {obs['failed']}"


@pytest.mark.browser
@pytest.mark.parametrize("page", PAGES)
def test_images_load_and_math_renders(visited, page):
    obs = visited[page]
    broken = [src for src, complete, w, h in obs["images"] if not (complete and w > 0 and h > 0)]
    assert broken == [], f"images that did not load: {broken}"
    assert obs["typeset"] >= obs["math"], "some math was not typeset by MathJax"


@pytest.mark.browser
@pytest.mark.parametrize("page", PAGES)
def test_no_unresolved_glue_or_reference(visited, page):
    text = visited[page]["text"]
    assert "??" not in text
    assert not re.search(r"\{glue(:\w+)?\}", text), "an unresolved glue role"
    assert "undefined label" not in text.lower()


@pytest.mark.browser
def test_book_has_figures_and_math(visited):
    """The checks above are not vacuous: the book has figures and typeset math."""
    figures = sum(
        len(re.findall(r"^\s*figure:", path.read_text(encoding="utf-8"), flags=re.M))
        for path in (ROOT / "book").glob("*.md")
    )  # captioned figures declared in the chapters' cell metadata (mystnb: figure:)
    assert figures >= 3
    assert sum(len(o["images"]) for o in visited.values()) >= figures
    assert sum(o["typeset"] for o in visited.values()) >= 1


# ---------------------------------------------------------------------------- PDF


@functools.cache
def pdf_text() -> str:
    out = subprocess.run(["pdftotext", "-layout", str(PDF), "-"], capture_output=True, text=True)
    return out.stdout


def _printed(entry_id: str) -> str:
    return str(load_ledger().set_index("id").loc[entry_id, "printed"])


@pytest.fixture
def pdf():
    _need(PDF, "PDF build")
    return pdf_text()


def test_pdf_has_a_table_of_contents(pdf):
    front = subprocess.run(
        ["pdftotext", "-layout", "-l", "8", str(PDF), "-"], capture_output=True, text=True
    ).stdout  # the title page and the contents, before the first chapter
    assert "contents" in front.lower()
    for title in (
        "Methods and data",
        "Overall and relapse-free survival",
        "Reproducibility report",
    ):
        assert re.search(re.escape(title) + r"[ .]+\d+", front), title


@pytest.mark.skipif("BOOK_COHORT" in os.environ, reason="headline numbers are the paper's")
@pytest.mark.parametrize(
    "entry_id",
    # Abstract, Results: CR rate with its CI, 1-year OS and RFS, MRD response, log-rank P
    ["cr_overt_pct", "cr_overt_ci_lower", "cr_overt_ci_upper", "os_1y", "os_1y_se",
     "rfs_1y", "mrd_response_pct", "os_mrd_p"],
)  # fmt: skip
def test_pdf_shows_the_headline_numbers(pdf, entry_id):
    assert _printed(entry_id) in pdf


def test_pdf_has_every_figure_of_the_html(pdf):
    """The figures are vector graphics in the PDF (pdfimages does not see them): every figure
    of the HTML, by its number, has its caption ("Fig. 4.1:") in the PDF."""
    _need(HTML / "index.html", "HTML build")
    html_figures, html_images = set(), 0
    for path in html_pages():
        text = path.read_text(encoding="utf-8")
        html_images += len(re.findall(r"<img [^>]*src=\"[^\"]*_images/", text))
        html_figures |= set(re.findall(r'class="caption-number">Fig\. (\d+\.\d+)', text))
    pdf_figures = set(re.findall(r"^\s*Fig\. (\d+\.\d+):", pdf, flags=re.M))
    assert len(html_figures) == html_images >= 3  # every image of the HTML is a numbered figure
    assert pdf_figures == html_figures
