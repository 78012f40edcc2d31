"""Layer 6: verify the book by re-execution (``make verify`` / ``python -m analysis.verify``).

Checks the data contract, re-executes every chapter in a fresh kernel, recomputes the ledger
and compares every figure's and table's source data with the previous run's; fails if a
chapter fails, such data changed while the inputs did not, or (unless
``--allow-differences``) a published number is not reproduced.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from . import config

VERIFY_DIR = config.BUILD_DIR / "verify"


def execute_chapter(path: str | Path, timeout: int = 600) -> tuple[str, float, str]:
    """Execute a chapter in a fresh kernel (with this environment): ``(name, seconds, error)``."""
    import jupytext
    from jupyter_client import KernelManager
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    path = Path(path)
    start = time.perf_counter()
    nb = jupytext.read(path)
    km = KernelManager(kernel_name="python3")
    # the kernel's own log level: its TCP-transport warning is noise on a local machine
    options = {"timeout": timeout, "resources": {"metadata": {"path": str(path.parent)}}}
    client = NotebookClient(nb, km=km, extra_arguments=["--log-level=ERROR"], **options)
    try:
        client.execute()
        error = ""
    except CellExecutionError as exc:
        error = str(exc).strip().splitlines()[-1] if str(exc).strip() else repr(exc)
    except Exception as exc:  # kernel died, timeout: report, do not hide
        error = f"{type(exc).__name__}: {exc}"
    finally:
        if km.has_kernel:
            km.shutdown_kernel(now=True)
    return path.stem, time.perf_counter() - start, error


def _files(root: Path, patterns: tuple[str, ...]) -> list[Path]:
    return sorted(p for pat in patterns for p in root.rglob(pat) if "__pycache__" not in p.parts)


def inputs_fingerprint() -> str:
    """SHA-256 of what the figures are computed from: data files, package code, chapters."""
    digest = hashlib.sha256()
    data = [config.cohort_path(), config.adverse_events_path(), config.column_map_path()]
    adam = config.adam_dir()
    data += _files(adam, ("*",)) if adam else []
    for path in (
        [Path(str(p).partition("#")[0]) for p in data if p]
        + _files(config.PACKAGE, ("*.py", "*.yml"))
        + _files(config.ROOT / "book", ("*.md",))
    ):
        if path.is_file():
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _compare_source_data(new: Path, old: Path) -> dict[str, str]:
    """Status of each figure's and table's data against the previous run, by label:
    ``same``, ``changed``, ``new`` (no previous file) or ``gone`` (no longer produced)."""
    names = {p.stem for p in new.glob("*.csv")} | {p.stem for p in old.glob("*.csv")}
    status = {}
    for name in sorted(names):
        a, b = new / f"{name}.csv", old / f"{name}.csv"
        if not (a.exists() and b.exists()):
            status[name] = "new" if a.exists() else "gone"
        else:
            status[name] = "same" if a.read_bytes() == b.read_bytes() else "changed"
    return status


def record_source_data(fresh: Path, verify_dir: Path, fingerprint: str) -> list[str]:
    """Compare a run's source data with the previous run's (printed; kept as the reference);
    return the failures: data that changed although the inputs did not."""
    out, record = verify_dir / "source_data", verify_dir / "inputs.sha256"
    same_inputs = record.exists() and record.read_text().strip() == fingerprint
    out.mkdir(parents=True, exist_ok=True)
    fresh.mkdir(parents=True, exist_ok=True)
    status = _compare_source_data(fresh, out)
    print(f"\nData behind the {len(status)} figures and tables, against the previous run:")
    failures = []
    for name, state in status.items():
        note = {"same": "identical", "new": "no previous run: recorded",
                "gone": "no longer produced", "changed": "CHANGED"}[state]  # fmt: skip
        if state != "same" and not same_inputs:
            note += " (the data, the analysis code or the chapters changed)"
        print(f"  {name:<34} {note}")
        if state != "same" and same_inputs:
            failures.append(f"{name} {state} although the inputs did not change")
    shutil.rmtree(out)
    fresh.rename(out)
    record.write_text(fingerprint + "\n")
    return failures


def main(argv: list[str] | None = None) -> int:
    """Command line entry point (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2, help="chapters executed at once")
    parser.add_argument("--skip-execution", action="store_true", help="contract and ledger only")
    parser.add_argument(
        "--allow-differences", action="store_true",
        help="exit 0 when a published number is not reproduced (another cohort)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    start = time.perf_counter()
    from .data import load_tables
    from .data.contract import ContractError
    from .paper.ledger import compare

    print(f"cohort: {config.cohort_path()}\nadverse events: {config.adverse_events_path()}")
    try:
        cohort, ae = load_tables()
    except ContractError as exc:
        print("The data break the contract:\n" + "\n".join(exc.problems), file=sys.stderr)
        return 2
    failures = []

    fresh = VERIFY_DIR / "source_data.new"
    if not args.skip_execution:
        paths = [config.ROOT / f"{d}.md" for d in config.toc_documents()]
        shutil.rmtree(fresh, ignore_errors=True)
        os.environ["BOOK_SOURCE_DATA"] = str(fresh)  # the kernels inherit it
        print(f"\nRe-executing {len(paths)} chapters from a clean state ({args.jobs} at a time)")
        with ProcessPoolExecutor(max_workers=args.jobs) as pool:
            for name, seconds, error in pool.map(execute_chapter, paths):
                print(f"  {name:<18} {seconds:5.1f} s  {'FAILED: ' + error if error else 'ok'}")
                if error:
                    failures.append(f"chapter {name} failed: {error}")

    report = compare(cohort, ae)
    VERIFY_DIR.mkdir(parents=True, exist_ok=True)
    report.drop(columns=["value"]).to_csv(VERIFY_DIR / "ledger_report.csv", index=False)
    print(f"\nLedger of published numbers ({len(report)} entries)")
    shown = report[["id", "measure", "printed", "recomputed"]].astype(str)
    shown["status"] = report["reproduced"].map({True: "reproduced", False: "NOT REPRODUCED"})
    print(shown.apply(lambda c: c.str.slice(0, 46)).to_string(index=False, justify="left"))
    n_ok, path = int(report["reproduced"].sum()), VERIFY_DIR / "ledger_report.csv"
    print(f"{n_ok} of {len(report)} reproduced; table written to {path}")
    if n_ok < len(report) and not args.allow_differences:
        failures.append(f"{len(report) - n_ok} published numbers not reproduced")

    if not args.skip_execution:
        failures += record_source_data(fresh, VERIFY_DIR, inputs_fingerprint())

    print(f"\nverify took {time.perf_counter() - start:.1f} s")
    if failures:
        print("\nVERIFY FAILED:\n  " + "\n  ".join(failures), file=sys.stderr)
        return 1
    print("VERIFY PASSED: every chapter ran, every published number and figure checks out.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
