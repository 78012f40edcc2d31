"""Invalidate the book's execution cache when what the chapters read has changed.

Jupyter Book's ``execute_notebooks: cache`` keys each chapter on its own code cells only. A
change in ``analysis/``, ``data/``, the pinned environment, the executor
(``scripts/execute_chapters.py``) or the cohort chosen with
``DATA=``/``AES=`` (the ``BOOK_COHORT``/``BOOK_AES`` environment variables) would otherwise
leave stale outputs in the book. This script fingerprints those inputs; when the fingerprint
differs from the one recorded by the previous build, it deletes the execution cache and
Sphinx's saved environment so that every chapter is re-executed and re-read.

Usage: python scripts/book_inputs.py [--build-dir _build]
(``make html``, ``make pdf`` and ``make book`` run it once)
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
INPUT_FILES = ("requirements.txt", "scripts/execute_chapters.py")  # the lock, the executor
ENV_VARS = ("BOOK_COHORT", "BOOK_AES", "BOOK_MAP", "BOOK_ADAM")
SKIP_PARTS = {"__pycache__", ".ipynb_checkpoints"}
# What a full re-execution needs removed (relative to the build directory).
STALE = (
    ".jupyter_cache",
    ".doctrees",
    "latex",  # its own .doctrees and jupyter_execute (scripts/build_edition.py)
    "jupyter_execute",
    "source_data",
)
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", type=Path, default=ROOT / "_build")
    args = parser.parse_args(argv)
    build = args.build_dir
    return _invalidate(build)


def _invalidate(build: Path) -> int:
    record = build / RECORD
    current = fingerprint()
    previous = record.read_text().strip() if record.is_file() else None
    if current == previous:
        print("book inputs unchanged: keeping the execution cache")
        return 0
    for name in STALE:
        shutil.rmtree(build / name, ignore_errors=True)
    build.mkdir(parents=True, exist_ok=True)
    # Recording now is safe: a chapter that then fails to execute is not cached.
    record.write_text(current + "\n")
    reason = "first build" if previous is None else "analysis/, data/, lock or DATA/AES changed"
    print(f"book inputs: {reason}; cleared the execution cache, all chapters will re-run")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
