"""Invalidate the book's execution cache when what the chapters read has changed.

Jupyter Book's ``execute_notebooks: cache`` keys each chapter on its own code cells only. A
change in ``analysis/``, ``data/``, the pinned environment or the cohort chosen with
``DATA=``/``AES=`` (the ``BOOK_COHORT``/``BOOK_AES`` environment variables) would otherwise
leave stale outputs in the book. This script fingerprints those inputs; when the fingerprint
differs from the one recorded by the previous build, it deletes the execution cache and
Sphinx's saved environment so that every chapter is re-executed and re-read.

It also keeps one Sphinx environment per builder (``--builder html|latex``, see
:func:`use_doctrees`), so that alternating HTML and PDF builds stay incremental.

Usage: python scripts/book_inputs.py [--build-dir _build] [--builder html|latex]
(``make html`` and ``make pdf`` run it)
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INPUT_DIRS = ("analysis", "data")
INPUT_FILES = ("requirements.txt",)
ENV_VARS = ("BOOK_COHORT", "BOOK_AES", "BOOK_MAP", "BOOK_ADAM")
SKIP_PARTS = {"__pycache__", ".ipynb_checkpoints"}
# What a full re-execution needs removed (relative to the build directory).
STALE = (
    ".jupyter_cache",
    ".doctrees",
    ".doctrees-html",
    ".doctrees-latex",
    "jupyter_execute",
    "source_data",
)
DOCTREES = ".doctrees"  # where Jupyter Book 1 keeps Sphinx's environment (not configurable)
BUILDER_MARK = ".doctrees-builder"
RECORD = ".book-inputs.sha256"


def _files() -> Iterator[Path]:
    for name in INPUT_DIRS:
        base = ROOT / name
        if base.is_dir():
            for path in sorted(base.rglob("*")):
                if path.is_file() and not SKIP_PARTS.intersection(path.parts):
                    if path.suffix != ".pyc":
                        yield path
    for name in INPUT_FILES:
        if (ROOT / name).is_file():
            yield ROOT / name


def fingerprint() -> str:
    """SHA-256 over the input files' paths and contents and the cohort variables."""
    digest = hashlib.sha256()
    for path in _files():
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    for var in ENV_VARS:
        value = os.environ.get(var, "")
        digest.update(f"{var}={value}\0".encode())
        if value and Path(value).is_file():
            digest.update(Path(value).read_bytes() + b"\0")
    return digest.hexdigest()


def use_doctrees(build: Path, builder: str) -> None:
    """Put the Sphinx environment of ``builder`` (html or latex) in ``_build/.doctrees``.

    The LaTeX builder of Jupyter Book sets ``numfig_secnum_depth`` to 2 (for its parts),
    so an environment saved by one builder is out of date for the other and every switch
    between ``make html`` and ``make pdf`` re-read and re-wrote every chapter. Each builder
    keeps its own environment; the one not in use waits in ``.doctrees-<builder>``.
    """
    mark = build / BUILDER_MARK
    current = mark.read_text().strip() if mark.is_file() else None
    if current == builder:
        return
    active, parked = build / DOCTREES, build / f"{DOCTREES}-{builder}"
    if current is not None and active.exists():
        shutil.rmtree(build / f"{DOCTREES}-{current}", ignore_errors=True)
        active.rename(build / f"{DOCTREES}-{current}")
    else:
        shutil.rmtree(active, ignore_errors=True)  # unknown owner: let the builder start afresh
    if parked.exists():
        parked.rename(active)
    build.mkdir(parents=True, exist_ok=True)
    mark.write_text(builder + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", type=Path, default=ROOT / "_build")
    parser.add_argument("--builder", choices=["html", "latex"], help="environment to activate")
    args = parser.parse_args(argv)
    build = args.build_dir
    status = _invalidate(build)
    if args.builder:
        use_doctrees(build, args.builder)
    return status


def _invalidate(build: Path) -> int:
    record = build / RECORD
    current = fingerprint()
    previous = record.read_text().strip() if record.is_file() else None
    if current == previous:
        print("book inputs unchanged: keeping the execution cache")
        return 0
    for name in STALE:
        shutil.rmtree(build / name, ignore_errors=True)
    (build / BUILDER_MARK).unlink(missing_ok=True)
    build.mkdir(parents=True, exist_ok=True)
    # Recording now is safe: a chapter that then fails to execute is not cached.
    record.write_text(current + "\n")
    reason = "first build" if previous is None else "analysis/, data/, lock or DATA/AES changed"
    print(f"book inputs: {reason}; cleared the execution cache, all chapters will re-run")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
