"""The reader's copy (issue 12): Jupyter, downloads, source data, DOCX, a clean PDF.

The checks of built files skip without a build (``make html``, ``make pdf``, ``make docx``),
or fail with ``BOOK_REQUIRE_BUILD=1`` as ``make test`` sets it.  The Jupyter tests run the
commands a reader runs: ``make notebook`` (jupytext's ``--execute`` in the venv's kernel) and
``make lab`` (JupyterLab, queried through its REST API and a kernel's websocket).
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from functools import cache
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup

from analysis import config
from analysis.config import toc_documents

ROOT = config.ROOT
BUILD = ROOT / "_build"
HTML = BUILD / "html"
PDF = BUILD / "pdf" / "book.pdf"
DOCX = BUILD / "docx"
REQUIRE = os.environ.get("BOOK_REQUIRE_BUILD") == "1"
CHAPTER = "survival"  # the chapter the Jupyter tests execute (Kaplan-Meier figures and tables)
MAKE_ENV = {k: v for k, v in os.environ.items() if not k.startswith("BOOK_")}

sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "_ext"))


def _need(path: Path, what: str, step: str = "make book") -> None:
    if not path.exists():
        message = f"no {what} at {path}: run `{step}`"
        if REQUIRE:
            pytest.fail(message)
        pytest.skip(message)


def _soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def _has_code(doc: str) -> bool:
    return "kernelspec:" in (ROOT / f"{doc}.md").read_text(encoding="utf-8").split("\n---", 1)[0]


CHAPTERS = [doc for doc in toc_documents() if _has_code(doc)]


# ---------------------------------------------------------------------------- Jupyter


@pytest.fixture(scope="module")
def notebook_run(tmp_path_factory):
    """``make notebook CHAPTER=survival`` into a temporary directory: (notebook, source data)."""
    out = tmp_path_factory.mktemp("notebooks")
    run = subprocess.run(
        ["make", "notebook", f"CHAPTER={CHAPTER}", f"NOTEBOOKS={out}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=MAKE_ENV,
        timeout=900,
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-4000:]
    return nbformat.read(out / f"{CHAPTER}.ipynb", as_version=4), out / "source_data"


@pytest.mark.slow
@pytest.mark.chapters
def test_make_notebook_executes_a_chapter(notebook_run):
    notebook, _ = notebook_run
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert code and all(c.get("execution_count") for c in code), "every code cell ran"
    outputs = [o for c in code for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert sum("image/png" in o.get("data", {}) for o in outputs) >= 4  # the KM figures


@pytest.mark.slow
@pytest.mark.chapters
def test_reexecuted_chapter_gives_the_linked_source_data(notebook_run):
    """The CSVs the HTML links equal what the figures and tables draw on a fresh execution."""
    _, data = notebook_run
    _need(HTML / "index.html", "HTML build", "make html")
    page = _soup(HTML / "book" / f"{CHAPTER}.html")
    linked = {a["href"].rsplit("/", 1)[-1] for a in page.select("p.source-data a.download")}
    fresh = {p.name for p in data.glob("*.csv")}
    assert fresh and linked == fresh, linked ^ fresh
    for name in fresh:
        served = (HTML / "_downloads" / "source_data" / name).read_bytes()
        assert served == (data / name).read_bytes(), name


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, token: str) -> dict:
    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def _run_in_kernel(base: str, token: str, code: str) -> str:
    """Start a kernel through the REST API, run ``code`` over its websocket, return stdout."""
    import websocket

    request = urllib.request.Request(
        f"{base}/api/kernels",
        data=b'{"name": "python3"}',
        method="POST",
        headers={"Authorization": f"token {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        kernel = json.loads(response.read())["id"]
    ws = websocket.create_connection(
        f"{base.replace('http', 'ws')}/api/kernels/{kernel}/channels?token={token}", timeout=60
    )
    msg_id = uuid.uuid4().hex
    ws.send(
        json.dumps(
            {
                "header": {
                    "msg_id": msg_id,
                    "msg_type": "execute_request",
                    "username": "test",
                    "session": uuid.uuid4().hex,
                    "version": "5.3",
                },
                "parent_header": {},
                "metadata": {},
                "channel": "shell",
                "content": {
                    "code": code,
                    "silent": False,
                    "store_history": False,
                    "user_expressions": {},
                    "allow_stdin": False,
                },
            }
        )
    )
    out, deadline = [], time.time() + 60
    while time.time() < deadline:
        msg = json.loads(ws.recv())
        if msg.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "stream":
            out.append(msg["content"]["text"])
        if msg["msg_type"] == "error":
            raise AssertionError("\n".join(msg["content"]["traceback"]))
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
    ws.close()
    return "".join(out)


@pytest.mark.long
@pytest.mark.slow
def test_make_lab_serves_chapters_as_notebooks_offline(tmp_path):
    """JupyterLab from the venv, with no network (a dead proxy): a chapter opens as a notebook
    and its kernel imports ``analysis`` and sees ``DATA=``."""
    port, token = _free_port(), uuid.uuid4().hex
    dead = "http://127.0.0.1:9"
    env = MAKE_ENV | {
        "HTTP_PROXY": dead,
        "HTTPS_PROXY": dead,
        "http_proxy": dead,
        "https_proxy": dead,
        "JUPYTER_RUNTIME_DIR": str(tmp_path),
    }
    cohort = ROOT / "data" / "reconstructed" / "cohort.csv"
    log = (tmp_path / "lab.log").open("w")
    lab = subprocess.Popen(
        [
            "make",
            "lab",
            f"DATA={cohort}",
            f"LAB_ARGS=--no-browser --port={port} --IdentityProvider.token={token}",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                _get(f"{base}/api/status", token)
                break
            except OSError:
                assert lab.poll() is None, (tmp_path / "lab.log").read_text()[-3000:]
                time.sleep(1)
        else:
            pytest.fail("JupyterLab did not start in 120 s")
        model = _get(f"{base}/api/contents/book/{CHAPTER}.md?type=notebook&content=1", token)
        assert model["type"] == "notebook"
        cells = model["content"]["cells"]
        assert sum(c["cell_type"] == "code" for c in cells) >= 3
        assert model["content"]["metadata"]["kernelspec"]["name"] == "python3"
        with urllib.request.urlopen(f"{base}/lab?token={token}", timeout=10) as page:
            assert page.status == 200
        out = _run_in_kernel(
            base,
            token,
            "import os, analysis; print(analysis.__file__); print(os.environ['BOOK_COHORT'])",
        )
        assert str(ROOT / "analysis") in out and str(cohort) in out
    finally:
        if lab.poll() is None:  # make and JupyterLab, the process group this test started
            os.killpg(lab.pid, signal.SIGTERM)
            try:
                lab.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(lab.pid, signal.SIGKILL)
        log.close()


# ---------------------------------------------------------------------------- HTML downloads


def _resolve(page: Path, href: str) -> Path:
    return (page.parent / href.split("#")[0]).resolve()


@pytest.mark.build
@pytest.mark.parametrize("doc", CHAPTERS)
def test_chapter_page_offers_notebook_source_and_pdf(doc):
    _need(HTML / "index.html", "HTML build", "make html")
    _need(HTML / "book.pdf", "PDF in the HTML", "make html pdf")
    page = HTML / f"{doc}.html"
    hrefs = {a["href"] for a in _soup(page).select("a[href]")}
    stem = Path(doc).name
    wanted = {f"{stem}.ipynb": None, f"{stem}.md": None, "book.pdf": None}
    for href in hrefs:
        name = href.split("#")[0].rsplit("/", 1)[-1]
        if name in wanted:
            wanted[name] = _resolve(page, href)
    assert all(wanted.values()), f"missing links: {[k for k, v in wanted.items() if not v]}"
    assert all(p.is_file() for p in wanted.values()), wanted
    assert wanted["book.pdf"].read_bytes()[:5] == b"%PDF-"
    notebook = nbformat.read(wanted[f"{stem}.ipynb"], as_version=4)
    assert any(c.get("outputs") for c in notebook.cells if c.cell_type == "code"), "executed"


def _short(text: str) -> str:
    from reader_copy import first_sentence

    return first_sentence(text)


@pytest.mark.build
def test_every_figure_and_numbered_table_links_its_source_data():
    _need(HTML / "index.html", "HTML build", "make html")
    written = BUILD / "source_data"  # where the chapters saved them at execution (Makefile)
    checked = {"fig": 0, "tbl": 0}
    for doc in toc_documents():
        page = HTML / f"{doc}.html"
        for node in _soup(page).select("figure[id^=fig-], table[id^=tbl-]"):
            label = node["id"]
            link = node.find_next_sibling("p", class_="source-data")
            assert link is not None, f"{doc}: {label} has no source-data link"
            href = link.select_one("a.download")["href"]
            served = _resolve(page, href)
            assert served.name.lower() == f"{label}.csv", (label, href)  # ids are lower case
            assert served.is_file(), f"{doc}: {href} does not resolve"
            assert served.read_bytes() == (written / served.name).read_bytes(), label
            with served.open(encoding="utf-8", newline="") as handle:
                assert len(list(csv.reader(handle))) >= 2, f"{label}.csv has no rows"
            if node.name == "figure":
                caption = node.select_one(".caption-text").get_text()
                for img in node.select("img"):
                    assert img["alt"] == _short(caption), label
                    assert len(img["alt"]) > 20 and ".png" not in img["alt"]
            checked[label[:3]] += 1
    assert checked["fig"] >= 15 and checked["tbl"] >= 30, checked


def test_code_links_follow_the_packages_lazily_imported_names():
    """``from analysis import chapter_report`` links the function where it is defined, though
    ``analysis/__init__.py`` imports it only when asked (compared with :mod:`inspect`)."""
    import inspect

    import reader_copy

    import analysis

    for name in ("chapter_report", "compare", "load_cohort"):
        obj = inspect.unwrap(getattr(analysis, name))
        line = inspect.getsourcelines(obj)[1]
        assert reader_copy.resolve("analysis", name) == (obj.__module__, name, line)
    assert reader_copy.resolve("analysis", "no_such_function") is None


@pytest.mark.build
@pytest.mark.browser
def test_glued_text_is_not_bold():
    _need(HTML / "index.html", "HTML build", "make html")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=shutil.which("chromium"),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page()
        page.route("http*://**", lambda r: r.abort())  # file:// only
        page.goto((HTML / "book" / f"{CHAPTER}.html").as_uri())
        weights = page.evaluate(
            """() => [...document.querySelectorAll('p span.pasted-text')].map(s =>
                [getComputedStyle(s).fontWeight, getComputedStyle(s.parentElement).fontWeight])"""
        )
        browser.close()
    assert len(weights) >= 10
    assert all(own == parent for own, parent in weights), weights


# ---------------------------------------------------------------------------- DOCX


@pytest.mark.build
def test_docx_edition_has_the_html_tables_images_and_headings():
    from build_docx import html_counts, pages
    from docx import Document

    _need(DOCX / "book.docx", "DOCX edition", "make docx")
    document = Document(DOCX / "book.docx")
    tables = [t for t in document.tables if not t._tbl.xpath(".//w:drawing")]
    headings = [p for p in document.paragraphs if p.style.name.startswith("Heading")]
    counts = html_counts(pages(HTML))
    assert counts["images"] >= 15 and counts["tables"] >= 30
    assert {
        "tables": len(tables),
        "images": len(document.inline_shapes),
        "headings": len(headings),
    } == counts
    captions = [p.text for p in document.paragraphs if "Caption" in p.style.name]
    assert sum(bool(re.match(r"Fig\. \d+\.\d+ ", c)) for c in captions) == counts["images"]
    assert sum(bool(re.match(r"Table \d+\.\d+ ", c)) for c in captions) >= 30


@pytest.mark.build
def test_one_docx_per_results_table_from_its_source_data():
    from build_docx import RESULTS_TABLES
    from docx import Document

    _need(DOCX / "book.docx", "DOCX edition", "make docx")
    for label, name in RESULTS_TABLES.items():
        document = Document(DOCX / "tables" / f"{name}.docx")
        assert len(document.tables) == 1, name
        with (HTML / "_downloads" / "source_data" / f"{label}.csv").open(newline="") as handle:
            rows = list(csv.reader(handle))
        cells = [[c.text for c in row.cells] for row in document.tables[0].rows]
        assert cells == rows, name
        assert re.match(r"Table \d+\.\d+\. \S", document.paragraphs[0].text), name


# ---------------------------------------------------------------------------- PDF


@cache
def pdf_pages() -> list[str]:
    out = subprocess.run(
        ["pdftotext", "-layout", str(PDF), "-"], capture_output=True, text=True, check=True
    ).stdout
    return out.split("\f")[:-1]


def blank_pages(texts: list[str], image_pages: set[int], words: int = 3) -> list[int]:
    """1-based numbers of the pages with at most ``words`` words (a running head, a page
    number) and no image."""
    return [i for i, t in enumerate(texts, 1) if len(t.split()) <= words and i not in image_pages]


def test_blank_pages_are_found():
    assert blank_pages(["Title page text here\n", " 2\n", "x\n"], {3}) == [2]


@pytest.mark.build
def test_pdf_has_no_blank_pages():
    _need(PDF, "PDF build", "make pdf")
    listing = subprocess.run(
        ["pdfimages", "-list", str(PDF)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    images = {int(line.split()[0]) for line in listing}
    assert len(pdf_pages()) > 50
    assert blank_pages(pdf_pages(), images) == []


@pytest.mark.build
def test_pdf_front_matter():
    """Title page with commit, date, data fingerprint and notice; the intro, the lists of
    figures and tables and one References chapter in the contents."""
    _need(PDF, "PDF build", "make pdf")
    title = " ".join(pdf_pages()[0].split())
    commit = re.search(r"Commit ([0-9a-f]{12})", title)
    assert commit, title
    known = subprocess.run(["git", "cat-file", "-e", commit.group(1)], cwd=ROOT)
    assert known.returncode == 0, "the title page names a commit of this repository"
    assert re.search(r"Built \d{4}-\d\d-\d\d \d\d:\d\d UTC", title)
    for name in (config.cohort_path(), config.adverse_events_path()):  # sha256sum's prefix
        path = Path(str(name).split("#")[0])
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert f"{path.name} sha256:{digest[:16]}" in title, path
    notice = "reconstructed, not the patients' records"
    assert (notice in title) == config.uses_reconstruction()
    front = " ".join(" ".join(pdf_pages()[1:8]).split())
    intro = re.search(r"^# (.+)$", (ROOT / "book" / "intro.md").read_text(), flags=re.M)[1]
    for entry in ("List of Figures", "List of Tables", intro, "References"):
        assert re.search(re.escape(entry) + r"[ .]+[ivx\d]+", front), entry
    assert len(re.findall(r"\bReferences [.\s]*\d+", front)) == 1


@pytest.mark.build
def test_pdf_has_no_code_and_one_author_year_bibliography():
    _need(PDF, "PDF build", "make pdf")
    text = "\n".join(pdf_pages())
    for code in ("from analysis", "import ", "glue(", "km_figure(", "NumberedTable("):
        assert code not in text, code
    assert "Show code cell" not in " ".join(text.split())
    assert not re.search(r"^\s*Bibliography\s*$", text, flags=re.M), "a second bibliography"
    assert not re.search(r"\[[A-Z][A-Za-z]*\+?\d{2}\]", text), "alpha citation labels"
