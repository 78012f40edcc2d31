"""``scripts/execute_chapters.py``: chapters share a kernel, reset between them, and a failing
chapter stops the build with its name.  (That the build's shared kernels give every chapter of
the book exactly the outputs of a kernel of its own is tested in ``tests/test_chapters.py``.)
"""

from __future__ import annotations

import os
import subprocess
import sys

import jupytext
import pytest
from chapters import ROOT
from jupyter_cache import get_cache

pytestmark = [pytest.mark.slow]

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
