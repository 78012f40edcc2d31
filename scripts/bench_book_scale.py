"""Whole-book scale benchmark: the cold build of the default book and of a 100,000-patient book.

Issue 13, part 5: the whole book, not only its functions, builds on a synthetic cohort of
100,000 patients, in at most twice the time of the default cold build.  In one run this script

1. writes a synthetic cohort of ``--n`` patients and its adverse events with
   ``scripts/make_synthetic_cohort.py`` (seeded; not timed);
2. builds, each in its own temporary copy of the working tree from an empty ``_build`` (the
   project's ``.venv``, as ``scripts/bench_build.py`` does), ``make html`` of the default book
   (the reconstruction, 19 patients) and ``make html DATA=... AES=...`` of the synthetic one
   (``--pdf``: ``make book``, HTML and PDF);
3. times each phase of the build from the moment make starts its command (the contract, the
   ADaM export, the chapters' execution with each chapter's time, Jupyter Book), prints the
   two builds side by side with their ratio and writes JSON to
   ``bench/results/book-scale-<UTC time>.json`` (git-ignored).

The two builds run one after the other, never in parallel, so that they share the machine
the same way; the load average before and after is recorded.

Usage: python scripts/bench_book_scale.py [--n 100000] [--seed S] [--pdf]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import make_synthetic_cohort as synthetic  # noqa: E402

RESULTS = ROOT / "bench" / "results"
VENV = ROOT / ".venv"
NOT_COPIED = (".git", ".venv", "_build", "bench", ".pytest_cache", ".ruff_cache", "__pycache__",
              "*.egg-info")  # fmt: skip
#: Output lines that start a phase of ``make html`` (the commands make echoes), in order.
PHASES = {
    "contract": "-m analysis.data.contract",
    "adam": "scripts/export_adam.py",
    "inputs": "scripts/book_inputs.py",
    "chapters": "scripts/execute_chapters.py",
    "jupyter-book html": "--builder html",
    "jupyter-book pdf": "--builder latex",
}
TARGET = 2.0


def copy_tree(dest: Path) -> Path:
    """A copy of the working tree without the venv, the build or git (the chapters import it)."""
    shutil.copytree(ROOT, dest, ignore=shutil.ignore_patterns(*NOT_COPIED))
    return dest


def make(workdir: Path, target: str, *args: str) -> dict:
    """Run ``make <target> args`` in ``workdir``; the wall time of the whole and of each phase.

    The setup stamp is disabled (``SETUP_STAMP=``): setup is done once, before timing, and a
    copy must never re-install the package into the shared venv.  Raises on failure.
    """
    cmd = ["make", "--no-print-directory", f"VENV={VENV}", "SETUP_STAMP=", target, *args]
    env = dict(os.environ, PYTHONPATH=str(workdir))  # the chapters import the copy's analysis/
    start, marks, chapters, lines = time.perf_counter(), [], {}, []
    with subprocess.Popen(cmd, cwd=workdir, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True) as proc:  # fmt: skip
        for line in proc.stdout:
            lines.append(line)
            now = time.perf_counter() - start
            for phase, marker in PHASES.items():
                if marker in line and str(VENV) in line:
                    marks.append((phase, now))
            if m := re.match(r"\s+(\w+)\s+([\d.]+) s\s+(ok|FAILED)", line):
                chapters[m[1]] = float(m[2])
    total = time.perf_counter() - start
    if proc.returncode != 0:
        sys.stderr.write("".join(lines[-80:]))
        raise SystemExit(f"make {target} {' '.join(args)} failed (exit {proc.returncode})")
    ends = [t for _, t in marks[1:]] + [total]
    phases = {p: round(end - t, 2) for (p, t), end in zip(marks, ends)}
    return {"total_s": round(total, 2), "phases_s": phases, "chapters_s": chapters}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="patients of the large cohort")
    parser.add_argument("--seed", type=int, default=synthetic.DEFAULT_SEED)
    parser.add_argument("--pdf", action="store_true", help="make book (HTML and PDF)")
    args = parser.parse_args(argv)
    target = "book" if args.pdf else "html"
    subprocess.run(["make", "--no-print-directory", "setup"], cwd=ROOT, check=True)  # untimed
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-book-scale-") as tmp:
        tmp = Path(tmp)
        cohort, ae = synthetic.generate(args.n, args.seed)
        paths = tmp / f"cohort_{args.n}.csv", tmp / f"adverse_events_{args.n}.csv"
        synthetic.to_csv(cohort, paths[0])
        synthetic.to_csv(ae, paths[1])
        del cohort, ae
        print(f"cold make {target}: default book ...", flush=True)
        default = make(copy_tree(tmp / "default"), target)
        print(f"cold make {target}: {args.n} patients ...", flush=True)
        large = make(copy_tree(tmp / "large"), target, f"DATA={paths[0]}", f"AES={paths[1]}")
    ratio = large["total_s"] / default["total_s"]
    record = {
        "when_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "target": f"make {target}",
        "n": args.n,
        "seed": args.seed,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
        "default": default,
        "large": large,
        "ratio": round(ratio, 2),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"book-scale-{dt.datetime.now(dt.UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    out.write_text(json.dumps(record, indent=2) + "\n")
    print(f"\n{'':20}{'default s':>11}{f'n={args.n} s':>14}")
    for phase in PHASES:
        if phase in default["phases_s"] or phase in large["phases_s"]:
            a, b = default["phases_s"].get(phase, 0.0), large["phases_s"].get(phase, 0.0)
            print(f"{phase:20}{a:>11.1f}{b:>14.1f}")
    for name in sorted(set(default["chapters_s"]) | set(large["chapters_s"])):
        a, b = default["chapters_s"].get(name, 0.0), large["chapters_s"].get(name, 0.0)
        print(f"  chapter {name:10}{a:>11.1f}{b:>14.1f}")
    print(f"{'total':20}{default['total_s']:>11.1f}{large['total_s']:>14.1f}")
    verdict = "target met" if ratio <= TARGET else "TARGET MISSED"
    print(f"ratio {ratio:.2f} (target at most {TARGET:g}x): {verdict}")
    print(f"load average before {load_before}, after {record['load_average_after']}")
    print(f"written to {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
