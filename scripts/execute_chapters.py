"""Execute the book's chapters into Jupyter Book's execution cache, two kernels at a time.

Jupyter Book 1 (myst-nb, ``execute_notebooks: cache``) executes the chapters one after
another while Sphinx reads them, each in a new kernel that spends about three seconds
importing pandas, scipy, lifelines, statsmodels, matplotlib and seaborn before the chapter's
own work begins.  This script runs before the build: it reads every chapter of ``_toc.yml``
as myst-nb does, skips those whose code the cache already holds, and executes the others in
``--jobs`` worker processes (default 2), the longest chapters first.

Each worker keeps one kernel for all the chapters it runs (``--fresh-kernels`` starts one
per chapter instead).  Before a chapter, the kernel is brought back to the state of a new
kernel with the libraries already imported: :data:`RESET` clears the user namespace and
IPython's history (so cell numbers start at 1 again), closes every figure, restores
matplotlib's settings and the inline figure formats, and lets every warning be shown again.
The tests execute each chapter in a kernel of its own and check that its outputs equal the
ones this script cached (``tests/test_chapters.py``), so sharing a kernel cannot change a
number, table or figure without a test failing.

The executed notebooks go into the cache the build reads; a failing cell stops here with its
traceback, exit status 1, before Sphinx starts, as ``raise_on_error`` would.

Usage: python scripts/execute_chapters.py [--build-dir _build] [--jobs 2] [--fresh-kernels]
       [chapter.md ...]
(``make html`` and ``make pdf`` run it)
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing.util import Finalize
from pathlib import Path

import nbformat
import yaml
from jupyter_cache import get_cache
from jupyter_cache.base import CacheBundleIn
from jupyter_core.utils import run_sync
from myst_nb.core.read import read_myst_markdown_notebook
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from analysis.config import toc_documents  # noqa: E402

#: Run once in a worker's kernel before its first chapter: what every chapter imports, then
#: a snapshot of the settings :data:`RESET` restores.
WARM = """\
import warnings as _w
import matplotlib as _mpl
import matplotlib.pyplot as _plt
from matplotlib_inline.backend_inline import InlineBackend as _IB
import lifelines, myst_nb, pandas, scipy.stats, seaborn, statsmodels.api  # noqa
import analysis, analysis.display, analysis.results  # noqa
_formats = tuple(_IB.instance().figure_formats)
get_ipython().book_state = (_w.filters[:], dict(_mpl.rcParams), _formats)
"""
#: Run before every further chapter in the same kernel.
RESET = """\
import warnings as _w
import matplotlib as _mpl
import matplotlib.pyplot as _plt
from matplotlib_inline.backend_inline import set_matplotlib_formats as _formats
_filters, _rc, _figure_formats = get_ipython().book_state
_plt.close("all")
_mpl.rcParams.update(_rc)
_formats(*_figure_formats)
_w.filters[:] = _filters
_w.filterwarnings("default", message="__book_reset__")  # a change of filters: every
_w.filters.pop(0)                                        # warning is shown again
get_ipython().reset(new_session=True)
get_ipython().execution_count = 1  # the next cell is number 1 (set after the reset)
"""
_KERNEL: NotebookClient | None = None  # one per worker process


def _read(path: Path):
    return read_myst_markdown_notebook(path.read_text("utf8"), add_source_map=True, path=str(path))


def _code_size(path: Path) -> int:
    """Characters of code: the order of execution, longest (usually slowest) first."""
    return sum(len(c.source) for c in _read(path).cells if c.cell_type == "code")


def _client(nb, cwd: Path, timeout: int) -> NotebookClient:
    return NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=False,
                          record_timing=False,  # cell metadata is part of the cache key
                          resources={"metadata": {"path": str(cwd)}})  # fmt: skip


def _run(client: NotebookClient, nb) -> None:
    client.nb = nb
    client.execute(cleanup_kc=False)


def _kernel(cwd: Path, timeout: int) -> NotebookClient:
    """This worker's kernel, reset for a new chapter (started, warmed and registered for
    shutdown on first use)."""
    global _KERNEL
    if _KERNEL is None or not run_sync(_KERNEL.km.is_alive)():
        client = _client(nbformat.v4.new_notebook(), cwd, timeout)
        client.km = client.create_kernel_manager()
        client.start_new_kernel(cwd=str(cwd))
        client.start_new_kernel_client()
        Finalize(client, client._cleanup_kernel, exitpriority=10)
        _run(client, nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(WARM)]))
        _KERNEL = client
    _run(_KERNEL, nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(RESET)]))
    return _KERNEL


def _execute(task: tuple[Path, bool]):
    path, fresh = task
    timeout = yaml.safe_load((ROOT / "_config.yml").read_text())["execute"].get("timeout", 300)
    nb = _read(path)
    start = time.perf_counter()
    error = None
    try:
        if fresh:
            _client(nb, path.parent, timeout).execute()
        else:
            _run(_kernel(path.parent, timeout), nb)
    except CellExecutionError as exc:
        error = str(exc)
    except Exception as exc:  # a dead kernel, a timeout: report it with the chapter's name
        error = f"{type(exc).__name__}: {exc}"
    return path, nb, time.perf_counter() - start, error


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", type=Path, default=ROOT / "_build")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--fresh-kernels", action="store_true", help="a new kernel per chapter")
    parser.add_argument("chapters", nargs="*", type=Path, help="default: those of _toc.yml")
    args = parser.parse_args(argv)
    cache = get_cache(str(args.build_dir / ".jupyter_cache"))
    todo = []
    for path in args.chapters or [ROOT / f"{doc}.md" for doc in toc_documents()]:
        path = path.resolve()
        if "kernelspec:" not in path.read_text("utf8").split("\n---", 1)[0]:
            continue  # a page without code
        try:
            cache.match_cache_notebook(_read(path))
        except KeyError:
            todo.append(path)
    if not todo:
        return 0
    todo.sort(key=_code_size, reverse=True)
    kernels = "a kernel per chapter" if args.fresh_kernels else "one kernel per worker"
    print(f"executing {len(todo)} chapters, {args.jobs} at a time ({kernels})")
    failed = []
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        tasks = [(path, args.fresh_kernels) for path in todo]
        for path, nb, seconds, error in pool.map(_execute, tasks):
            print(f"  {path.stem:<18} {seconds:5.1f} s  {'FAILED' if error else 'ok'}")
            if error:
                failed.append(f"{path}:\n{error}")
                continue
            bundle = CacheBundleIn(nb, str(path), data={"execution_seconds": seconds})
            cache.cache_notebook_bundle(bundle, check_validity=False, overwrite=True)
    print(f"  {'all':<18} {time.perf_counter() - start:5.1f} s")
    for message in failed:
        print(f"\nExecuting {message}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
