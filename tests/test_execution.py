"""The build's shared kernels give every chapter exactly the outputs of a kernel of its own.

``scripts/execute_chapters.py`` runs several chapters one after another in one kernel per
worker, resetting the kernel between them; the chapter tests (``tests/chapters.py``) run each
chapter in a new kernel, as a reader does.  Every output of every code cell must be the same:
text, tables, glued values, warnings, cell numbers, and the figures' PNG and PDF bytes.

Needs the build (``make book``; ``make test`` builds it first and sets ``BOOK_REQUIRE_BUILD=1``,
so that a missing or out-of-date build fails instead of skipping).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from functools import cache

import jupytext
import pytest
from chapters import ROOT, executed, source, toc_documents
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


HEAD = "---\nkernelspec:\n  name: python3\n  display_name: Python 3\n---\n\n"
CELL = "```{{code-cell}} ipython3\n{}\n```\n\n"
LIBRARY = "import warnings\n\n\ndef warn():\n    warnings.warn('a library warning')\n"
FIRST = """import os, matplotlib as mpl, library  # this chapter runs first: its code is longer
x = 1
mpl.rcParams["lines.linewidth"] = 9.0
library.warn()
print(os.getpid())"""
SECOND = """import os, matplotlib as mpl, library
library.warn()
print(os.getpid(), "x" in dir(), mpl.rcParams["lines.linewidth"])"""


def _chapters(tmp_path, *codes):
    (tmp_path / "library.py").write_text(LIBRARY)
    paths = []
    for i, code in enumerate(codes):
        paths.append(tmp_path / f"chapter{i}.md")
        paths[-1].write_text(HEAD + "".join(CELL.format(c) for c in code))
    return paths


def _execute(tmp_path, paths, *options):
    cmd = [sys.executable, str(ROOT / "scripts" / "execute_chapters.py"), "--jobs", "1",
           "--build-dir", str(tmp_path / "_build"), *options, *map(str, paths)]  # fmt: skip
    env = dict(os.environ, IPYTHONDIR=str(ROOT / "config" / "ipython"))
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)


def test_a_shared_kernel_is_reset_between_chapters(tmp_path):
    """The second chapter runs in the first one's kernel (same process) but sees none of its
    variables or settings, is numbered from cell 1 and is shown the same library warning."""
    paths = _chapters(tmp_path, [FIRST], [SECOND, "2 + 2"])
    run = _execute(tmp_path, paths)
    assert run.returncode == 0, run.stderr
    cache = get_cache(str(tmp_path / "_build" / ".jupyter_cache"))
    first, second = (cache.merge_match_into_notebook(jupytext.read(p))[1] for p in paths)
    streams = [{o.get("name"): o["text"] for o in nb.cells[0].outputs} for nb in (first, second)]
    pid, out = streams[0]["stdout"].split()[0], streams[1]
    assert out["stdout"].split() == [pid, "False", "1.5"]  # matplotlib's default width
    assert "a library warning" in out["stderr"]
    assert [c.execution_count for c in second.cells if c.cell_type == "code"] == [1, 2]
    assert second.cells[-1].outputs[0]["execution_count"] == 2  # Out[2], as in a new kernel


def test_a_failing_chapter_stops_execution_with_its_name(tmp_path):
    """A cell error is reported with the chapter's file, exit status 1, and nothing cached for
    that chapter; the other chapter is still executed and cached."""
    paths = _chapters(tmp_path, ["x = 1  # the longer chapter, executed first"], ["1 / 0"])
    run = _execute(tmp_path, paths)
    assert run.returncode == 1
    assert str(paths[1]) in run.stderr and "ZeroDivisionError" in run.stderr
    cache = get_cache(str(tmp_path / "_build" / ".jupyter_cache"))
    cache.match_cache_notebook(jupytext.read(paths[0]))
    with pytest.raises(KeyError):
        cache.match_cache_notebook(jupytext.read(paths[1]))
