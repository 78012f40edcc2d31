"""Time the book build: cold, no-change and after a prose edit in one chapter.

1. cold: ``rm -rf _build`` (which holds the Jupyter cache), then ``make book`` (HTML and PDF);
2. no-change: ``make book`` again, nothing edited;
3. prose edit: a sentence appended to one chapter (changes the HTML and the LaTeX), then
   ``make book`` again.

By default this runs in a temporary copy of the working tree (the project's .venv is used), so
neither your ``_build`` nor a chapter someone is editing is touched; ``--in-place`` builds in
the repository itself (and restores the edited chapter afterwards).

Prints a summary and writes JSON to ``bench/results/build-<UTC time>.json`` (ignored by git).

Usage: python scripts/bench_build.py [--chapter book/methods.md] [--in-place]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
VENV = ROOT / ".venv"
NOT_COPIED = (".git", ".venv", "_build", "bench", ".pytest_cache", ".ruff_cache", "__pycache__")


def _make(workdir: Path, target: str) -> float:
    """Run ``make <target>`` quietly; return its wall time in seconds (raise on failure).

    The setup stamp is disabled (``SETUP_STAMP=``): setup is done once, before timing, and a
    copy must never re-run ``pip install -e .`` against the shared venv.
    """
    cmd = ["make", "--no-print-directory", f"VENV={VENV}", "SETUP_STAMP=", target]
    start = time.perf_counter()
    env = dict(os.environ)
    if workdir != ROOT:  # chapters import the copy's analysis/, not the editable install's
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(workdir), env.get("PYTHONPATH")]))
    proc = subprocess.run(cmd, cwd=workdir, capture_output=True, env=env)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout.decode(errors="replace")[-5000:])
        sys.stderr.write(proc.stderr.decode(errors="replace")[-5000:])
        raise SystemExit(f"make {target} failed (exit {proc.returncode})")
    return elapsed


def _build(workdir: Path) -> dict[str, float]:
    return {"total_s": round(_make(workdir, "book"), 2)}


def _run(workdir: Path, chapter: Path) -> dict[str, object]:
    shutil.rmtree(workdir / "_build", ignore_errors=True)
    results: dict[str, object] = {"cold": _build(workdir), "no_change": _build(workdir)}
    original = chapter.read_bytes()
    try:
        with chapter.open("a") as fh:
            fh.write(f"\nA sentence added by bench_build.py at {time.time():.0f}.\n")
        results["prose_edit"] = _build(workdir)
    finally:
        chapter.write_bytes(original)
    return results


def _git_commit() -> str | None:
    proc = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return proc.stdout.strip() or None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chapter", default="book/methods.md", help="chapter to edit")
    parser.add_argument("--in-place", action="store_true", help="build in the repository")
    args = parser.parse_args(argv)

    subprocess.run(["make", "--no-print-directory", "setup"], cwd=ROOT, check=True)  # untimed
    with tempfile.TemporaryDirectory(prefix="bench-build-") as tmp:
        workdir = ROOT
        if not args.in_place:
            workdir = Path(tmp) / "book"
            shutil.copytree(ROOT, workdir, ignore=shutil.ignore_patterns(*NOT_COPIED))
        results = _run(workdir, workdir / args.chapter)

    record = {
        "when_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "git_commit": _git_commit(),
        "edited_chapter": args.chapter,
        "in_place": args.in_place,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "machine": platform.machine(),
        **results,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS / f"build-{stamp}.json"
    out.write_text(json.dumps(record, indent=2) + "\n")

    print(f"{'make book':<12}{'s':>9}")
    for name in ("cold", "no_change", "prose_edit"):
        print(f"{name:<12}{results[name]['total_s']:>9.1f}")
    print(f"written to {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
