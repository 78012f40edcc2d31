"""Every chapter of _toc.yml executes.

Each chapter is read with jupytext and executed with nbclient in its own directory (as
Jupyter Book does), without building the book.
"""

from __future__ import annotations

from pathlib import Path

import jupytext
import pytest
import yaml
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [pytest.mark.chapters, pytest.mark.slow]


def toc_documents() -> list[str]:
    """The root page and every chapter of _toc.yml, in order."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    docs = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                docs.append(entry["file"])
            walk(entry.get("sections"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return docs


def source(doc: str) -> Path:
    for suffix in (".md", ".ipynb"):
        path = ROOT / f"{doc}{suffix}"
        if path.is_file():
            return path
    raise FileNotFoundError(doc)


def execute(path: Path):
    nb = jupytext.read(path)
    client = NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    client.execute()
    return nb


@pytest.mark.parametrize("doc", toc_documents())
def test_chapter_executes(doc):
    nb = execute(source(doc))
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert errors == []
