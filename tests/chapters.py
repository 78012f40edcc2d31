"""Shared helpers for the tests that execute chapters (imported by several test modules).

A chapter is read with jupytext and executed with nbclient in its own directory, as Jupyter
Book does. :func:`executed` caches the result per (chapter, cohort files), so a chapter runs
once per cohort however many tests read its outputs.
"""

from __future__ import annotations

import os
import re
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import jupytext
from myst_nb.core.variables import format_plain_text
from nbclient import NotebookClient

from analysis.config import toc_documents  # noqa: F401 - re-exported for the tests

ROOT = Path(__file__).resolve().parent.parent
IPYTHONDIR = ROOT / "config" / "ipython"


def source(doc: str) -> Path:
    for suffix in (".md", ".ipynb"):
        path = ROOT / f"{doc}{suffix}"
        if path.is_file():
            return path
    raise FileNotFoundError(doc)


@contextmanager
def _environment(cohort: str | None, aes: str | None):
    saved = {k: os.environ.get(k) for k in ("BOOK_COHORT", "BOOK_AES", "IPYTHONDIR")}
    try:
        for key, value in (("BOOK_COHORT", cohort), ("BOOK_AES", aes)):
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        os.environ["IPYTHONDIR"] = str(IPYTHONDIR)
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@cache
def executed(doc: str, cohort: str | None = None, aes: str | None = None):
    """The notebook of ``doc`` executed on the given cohort files (default: the book's)."""
    path = source(doc)
    nb = jupytext.read(path)
    with _environment(cohort, aes):
        NotebookClient(
            nb,
            timeout=600,
            kernel_name="python3",
            resources={"metadata": {"path": str(path.parent)}},
        ).execute()
    return nb


def error_outputs(nb) -> list:
    return [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]


# {glue}`key`, {glue:text}`key:.1f`, {glue:md}`key` ... and ```{glue:md} key, {glue:figure} key
ROLE = re.compile(r"\{glue(?::(\w+))?\}`([^`]+)`")
DIRECTIVE = re.compile(r"^\s*(?:```+|~~~+|:::+)\s*\{glue(?::\w+)?\}\s+(\S+)", re.MULTILINE)


def glued_data(nb) -> dict[str, dict]:
    """Glue keys set by an executed notebook, with their output data (mime prefix removed)."""
    out = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            meta = output.get("metadata", {}).get("scrapbook")
            if meta:
                prefix = meta.get("mime_prefix", "")
                data = output.get("data", {})
                out[meta["name"]] = {m[len(prefix) :]: v for m, v in data.items()}
    return out


def glue_problems(nb) -> list[str]:
    """Pasted keys that were never glued, and ``{glue:text}`` specs that fail to format."""
    keys = glued_data(nb)
    problems = []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for kind, ref in ROLE.findall(cell.source):
            key, _, spec = ref.partition(":") if kind == "text" else (ref, "", "")
            if key not in keys:
                problems.append(f"glue key {key!r} is pasted but never glued")
            elif kind == "text":
                try:
                    format_plain_text(keys[key].get("text/plain", ""), spec)
                except Exception as exc:  # noqa: BLE001 - any failure is the finding
                    problems.append(f"{{glue:text}}`{ref}` cannot be formatted: {exc}")
        for key in DIRECTIVE.findall(cell.source):
            if key not in keys:
                problems.append(f"glue key {key!r} is pasted but never glued")
    return problems


def variant_cohort(variant: str, path: Path, big=None) -> Path:
    """Write a centre-like cohort for a chapter test: ``core_only`` (the reconstruction with the
    20 core columns only) or ``100000`` (``big``, or a seeded synthetic cohort of that size)."""
    import pandas as pd
    from test_journeys import CORE, synthetic

    from analysis import config

    if variant == "core_only":
        raw = pd.read_csv(config.DEFAULT_COHORT, dtype=str, keep_default_na=False)
        raw[CORE].to_csv(path, index=False)
    else:
        synthetic.to_csv(synthetic.generate(100_000, 11)[0] if big is None else big, path)
    return path
