"""Every chapter of _toc.yml executes on the book's cohort, its glue is complete, and the build
gave it exactly these outputs.

In the book build a pasted glue key that was never glued, or a ``{glue:text}`` format spec
that does not apply, is only a warning (an error with ``-W``); executing the notebook alone
does not catch it, so it is checked here too.

``scripts/execute_chapters.py`` runs several chapters one after another in one kernel per
worker, resetting the kernel between them; here each chapter runs in a new kernel, as a reader
does.  Every output of every code cell must be the same: text, tables, glued values, warnings,
cell numbers, and the figures' PNG and PDF bytes.  That comparison needs the build (``make
book``; ``make test`` builds it first and sets ``BOOK_REQUIRE_BUILD=1``, so that a missing or
out-of-date build fails instead of skipping).
"""

from __future__ import annotations

import json
import os
import sys
from functools import cache

import jupytext
import pytest
from chapters import ROOT, error_outputs, executed, glue_problems, source, toc_documents
from jupyter_cache import get_cache

sys.path.insert(0, str(ROOT / "scripts"))
import book_inputs  # noqa: E402

pytestmark = [pytest.mark.chapters, pytest.mark.slow]

BUILD = ROOT / "_build"
REQUIRE = os.environ.get("BOOK_REQUIRE_BUILD") == "1"
CHAPTERS = [d for d in toc_documents() if "kernelspec:" in source(d).read_text().split("\n---")[0]]


def _need(ok: bool, message: str) -> None:
    if not ok:
        if REQUIRE:
            pytest.fail(message)
        pytest.skip(message)


@cache
def _built(doc: str):
    """``doc`` with the outputs the build cached for its current code."""
    cache_dir = BUILD / ".jupyter_cache"
    _need((cache_dir / "global.db").is_file(), "no execution cache: run make book")
    record = BUILD / book_inputs.RECORD
    current = record.is_file() and record.read_text().strip() == book_inputs.fingerprint()
    _need(current, "the build predates analysis/, data/ or the cohort: run make book")
    try:
        return get_cache(str(cache_dir)).merge_match_into_notebook(jupytext.read(source(doc)))[1]
    except KeyError:
        _need(False, f"{doc} changed since the build: run make book")


def _outputs(nb) -> list[tuple[str, str]]:
    return [(c.source, json.dumps(c.outputs, sort_keys=True)) for c in nb.cells
            if c.cell_type == "code"]  # fmt: skip


@pytest.mark.parametrize("doc", CHAPTERS)
def test_shared_kernel_outputs_equal_a_fresh_kernels(doc):
    built, fresh = _outputs(_built(doc)), _outputs(executed(doc))
    assert [s for s, _ in built] == [s for s, _ in fresh]
    differing = [s.splitlines()[0] if s else "" for (s, a), (_, b) in zip(built, fresh) if a != b]
    assert differing == [], f"{doc}: cells whose outputs differ (first line): {differing}"


@pytest.mark.parametrize("doc", toc_documents())
def test_chapter_executes(doc):
    assert error_outputs(executed(doc)) == []


@pytest.mark.parametrize("doc", toc_documents())
def test_every_pasted_glue_key_is_glued(doc):
    assert glue_problems(executed(doc)) == []
