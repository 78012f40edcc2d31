"""The book's Word edition (issue 12, part 3), from the built HTML: ``make docx``.

* ``_build/docx/book.docx``: every page of ``_toc.yml`` in order, as the HTML shows it
  without its code cells and navigation, converted by pandoc (``pypandoc-binary``): the
  figures as images, the numbered captions ("Fig. 4.1", "Table 4.1") and real Word tables.
* ``_build/docx/tables/<label>.docx``: one journal-ready file per results table (Table 1,
  response, adverse events, transplant), written with python-docx from the table's source
  data (the CSV the table saved when its chapter ran), under its numbered caption.

Usage: python scripts/build_docx.py [--html _build/html] [--out _build/docx]
(``make docx`` builds the HTML first)
"""

from __future__ import annotations

import argparse
import copy
import csv
import re
import sys
from pathlib import Path

import pypandoc
from bs4 import BeautifulSoup
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "_ext"))
from book_pdf import build_stamp  # noqa: E402
from reader_copy import SOURCE_DATA  # noqa: E402

from analysis.config import toc_documents  # noqa: E402

#: The results tables that get a file of their own: label -> file name.
RESULTS_TABLES = {
    "tbl-baseline": "table1_baseline",
    "tbl-response": "response",
    "tbl-safety": "adverse_events",
    "tbl-transplant-groups": "transplant",
}
#: What the HTML shows a reader of the website only: code, navigation, links to downloads.
DROP = (
    "div.cell_input, details.above-input, a.headerlink, div.reader-copy, p.source-data, "
    "script, style, button, .toggle-details, div.prev-next-area, nav, "
    "div.cell_output .stderr"
)


def article(page: Path) -> BeautifulSoup:
    """The page's content as the Word edition shows it (image paths made absolute)."""
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    body = soup.select_one("article.bd-article") or soup.body
    for node in body.select(DROP):
        node.decompose()
    for details in body.select("details"):  # folded admonitions: their content, open
        for summary in details.select("summary"):
            summary.decompose()
        details.name = "div"
    for link in body.select("a.image-reference"):  # an image, not a link to its file
        link.unwrap()
    for img in body.select("img"):
        img["src"] = str((page.parent / img["src"]).resolve())
    for math in body.select(".math"):  # MathJax's \( \) and \[ \] as pandoc's math spans
        text = math.get_text().strip()
        display = text.startswith(r"\[")
        math.string = text[2:-2].strip() if text[:2] in (r"\(", r"\[") else text
        math.name = "span"
        math["class"] = ["math", "display" if display else "inline"]
    return body


def html_counts(pages: list[Path]) -> dict[str, int]:
    """Tables, images and headings of the pages as the Word edition takes them."""
    counts = {"tables": 0, "images": 0, "headings": 0}
    for page in pages:
        body = article(page)
        counts["tables"] += len(body.select("table"))
        counts["images"] += len(body.select("img"))
        counts["headings"] += len(body.select("h1, h2, h3, h4, h5, h6"))
    return counts


def pages(html: Path) -> list[Path]:
    """The HTML page of every document of ``_toc.yml``, in order."""
    return [html / f"{doc}.html" for doc in toc_documents()]


def book_docx(html: Path, target: Path, title: str) -> Path:
    """The whole book as one DOCX (pandoc from the pages' HTML)."""
    parts = []
    for page in pages(html):
        body = article(page)
        parts.append("".join(str(c) for c in copy.copy(body).contents))
    document = "<html><body>" + "\n".join(parts) + "</body></html>"
    stamp = build_stamp()
    subtitle = f"Built {stamp['date']} from commit {stamp['commit']}. {stamp['notice']}".strip()
    target.parent.mkdir(parents=True, exist_ok=True)
    pypandoc.convert_text(
        document,
        "docx",
        format="html",
        outputfile=str(target),
        extra_args=[
            f"--metadata=title:{title}",
            f"--metadata=subtitle:{subtitle}",
            f"--resource-path={html}",
        ],
    )
    return target


def _border(cell, *sides: str) -> None:
    borders = OxmlElement("w:tcBorders")
    for side in sides:
        edge = OxmlElement(f"w:{side}")
        edge.set(qn("w:val"), "single")
        edge.set(qn("w:sz"), "8")
        borders.append(edge)
    cell._tc.get_or_add_tcPr().append(borders)


NUMERIC = re.compile(r"^[\s\d.,%±()–\-<>≥≤/NR†*]+$")


def table_docx(rows: list[list[str]], caption: str, notice: str, target: Path) -> Path:
    """A journal-style table: caption above, rules above and below the header and at the end."""
    document = Document()
    style = document.styles["Normal"]
    style.font.name, style.font.size = "Arial", Pt(9)
    head = document.add_paragraph()
    number, _, text = caption.partition(" ")
    number, _, rest = text.partition(" ")
    head.add_run(f"Table {number.rstrip('.')}. ").bold = True
    head.add_run(rest)
    header, *body = rows
    table = document.add_table(rows=1 + len(body), cols=len(header))
    for i, row in enumerate([header, *body]):
        for j, value in enumerate(row):
            cell = table.cell(i, j)
            cell.text = value
            paragraph = cell.paragraphs[0]
            if i == 0:
                for run in paragraph.runs:
                    run.bold = True
                _border(cell, "top", "bottom")
            elif i == len(body):
                _border(cell, "bottom")
            if j and i and NUMERIC.match(value or "-"):
                paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    if notice:
        document.add_paragraph(notice).runs[0].italic = True
    target.parent.mkdir(parents=True, exist_ok=True)
    document.save(target)
    return target


def captions(html: Path) -> dict[str, str]:
    """``{label: "Table 3.1 caption"}`` of every numbered table of the HTML."""
    found = {}
    for page in pages(html):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        for table in soup.select("table[id^=tbl-]"):
            caption = table.select_one("caption")
            if caption:
                for link in caption.select("a.headerlink"):
                    link.decompose()
                found[table["id"]] = " ".join(caption.get_text(" ").split())
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--html", type=Path, default=ROOT / "_build" / "html")
    parser.add_argument("--out", type=Path, default=ROOT / "_build" / "docx")
    args = parser.parse_args(argv)
    if not (args.html / "index.html").is_file():
        print(f"no HTML build in {args.html}: run `make html` first", file=sys.stderr)
        return 1
    import yaml

    title = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))["title"]
    print(f"DOCX: {book_docx(args.html, args.out / 'book.docx', title)}")
    known = captions(args.html)
    notice = build_stamp()["notice"]
    for label, name in RESULTS_TABLES.items():
        source = args.html / SOURCE_DATA / f"{label}.csv"
        if label not in known or not source.is_file():
            print(f"skipped {label}: not in this build", file=sys.stderr)
            continue
        with source.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle))
        print(
            f"DOCX: {table_docx(rows, known[label], notice, args.out / 'tables' / f'{name}.docx')}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
