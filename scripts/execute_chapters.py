"""Execute the book's chapters two at a time into Jupyter Book's execution cache.

Jupyter Book 1 (myst-nb, ``execute_notebooks: cache``) executes the chapters one after
another while Sphinx reads them.  This script runs before the build: it reads every chapter
of ``_toc.yml`` as myst-nb does, skips those whose code the cache already holds, executes
the others in parallel kernels (``--jobs``, default 2), and stores the executed notebooks in
the same cache.  The build then finds every chapter cached.  A failing cell stops here with
its traceback, exit status 1, before Sphinx starts, as ``raise_on_error`` would.

Usage: python scripts/execute_chapters.py [--build-dir _build] [--jobs 2]
(``make html`` and ``make pdf`` run it)
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import yaml
from jupyter_cache import get_cache
from jupyter_cache.base import CacheBundleIn
from jupyter_cache.executors.utils import single_nb_execution
from myst_nb.core.read import read_myst_markdown_notebook

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from analysis.verify import toc_documents  # noqa: E402


def _read(path: Path):
    return read_myst_markdown_notebook(path.read_text("utf8"), add_source_map=True, path=str(path))


def _execute(path: Path):
    config = yaml.safe_load((ROOT / "_config.yml").read_text())["execute"]
    nb = _read(path)
    start = time.perf_counter()
    result = single_nb_execution(nb, cwd=str(path.parent), timeout=config.get("timeout", 300),
                                 allow_errors=False)  # fmt: skip
    return path, nb, time.perf_counter() - start, result.exc_string if result.err else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", type=Path, default=ROOT / "_build")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    cache = get_cache(str(args.build_dir / ".jupyter_cache"))
    todo = []
    for doc in toc_documents():
        path = ROOT / f"{doc}.md"
        if "kernelspec:" not in path.read_text("utf8").split("\n---", 1)[0]:
            continue  # a page without code
        try:
            cache.match_cache_notebook(_read(path))
        except KeyError:
            todo.append(path)
    if not todo:
        return 0
    print(f"executing {len(todo)} chapters, {args.jobs} at a time")
    failed = []
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        for path, nb, seconds, error in pool.map(_execute, todo):
            print(f"  {path.stem:<18} {seconds:5.1f} s  {'FAILED' if error else 'ok'}")
            if error:
                failed.append(f"{path.relative_to(ROOT)}:\n{error}")
                continue
            bundle = CacheBundleIn(nb, str(path), data={"execution_seconds": seconds})
            cache.cache_notebook_bundle(bundle, check_validity=False, overwrite=True)
    for message in failed:
        print(f"\nExecuting {message}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
