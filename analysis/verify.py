"""Verify the book by re-execution: ``make verify`` / ``python -m analysis.verify``.

1. Checks the data contract of the chosen cohort.
2. Re-executes every chapter of ``_toc.yml`` from a clean state (a fresh kernel per
   chapter, no execution cache), two at a time; any failing cell is reported.
3. Recomputes every entry of the ledger of published numbers and prints a table (id,
   measure, printed, recomputed, reproduced), written also to
   ``_build/verify/ledger_report.csv``; the book's "Reproducibility report" chapter
   shows the same table.
4. Computes the numbers behind every Kaplan-Meier figure (KM tables, at-risk counts,
   P values) and compares them with the previous run (``_build/verify/figures/``):
   with the same inputs (data files and package code) they must be identical; the
   figures that changed are named.

The exit status is non-zero if a chapter fails, a figure's numbers changed while the
inputs did not, or (unless ``--allow-differences``, for another centre's cohort) a
published number is not reproduced.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pandas as pd
import yaml

from . import config

__all__ = [
    "toc_documents",
    "chapters",
    "execute_chapter",
    "figure_tables",
    "compare_figures",
    "main",
]

VERIFY_DIR = config.BUILD_DIR / "verify"


def toc_documents() -> list[str]:
    """The root page and every chapter of ``_toc.yml``, in order (``"book/intro"``, ...)."""
    toc = yaml.safe_load((config.ROOT / "_toc.yml").read_text(encoding="utf-8"))
    docs = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                docs.append(entry["file"])
            walk(entry.get("sections"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return docs


def chapters() -> list[Path]:
    """Source files of the root page and every chapter in ``_toc.yml``, in order."""
    return [config.ROOT / f"{d}.md" for d in toc_documents()]


def execute_chapter(path: str | Path, timeout: int = 600) -> tuple[str, float, str]:
    """Execute one chapter in a fresh kernel; return ``(name, seconds, error or "")``."""
    import jupytext
    from jupyter_client import KernelManager
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    path = Path(path)
    start = time.perf_counter()
    nb = jupytext.read(path)
    km = KernelManager(kernel_name="python3")
    client = NotebookClient(
        nb,
        km=km,
        timeout=timeout,
        resources={"metadata": {"path": str(path.parent)}},
        # the kernel's own log: its TCP-transport warning is noise on a local machine
        extra_arguments=["--log-level=ERROR"],
    )
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


def figure_tables(cohort: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The numbers behind the paper's Figures 1-3 (one tidy table per figure)."""
    from .plots import figure_data, paper_panels

    return {f"figure_{k}": figure_data(paper_panels(cohort, k)) for k in (1, 2, 3)}


def _table_text(df: pd.DataFrame) -> str:
    return df.to_csv(index=False, float_format="%.12g", lineterminator="\n")


def inputs_fingerprint() -> str:
    """SHA-256 of what the figures are computed from: the two data files and the package code."""
    digest = hashlib.sha256()
    for path in (config.cohort_path(), config.adverse_events_path()):
        digest.update(str(path).encode() + b"\0" + Path(path).read_bytes() + b"\0")
    package = Path(__file__).resolve().parent
    for path in sorted(package.glob("*.py")) + sorted(package.glob("*.yml")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def compare_figures(tables: dict[str, pd.DataFrame], previous_dir: Path) -> dict[str, str]:
    """Status of each figure against the previous run: ``same``, ``changed`` or ``new``."""
    status = {}
    for name, df in tables.items():
        old = previous_dir / f"{name}.csv"
        if not old.exists():
            status[name] = "new"
        else:
            status[name] = (
                "same" if old.read_text(encoding="utf-8") == _table_text(df) else "changed"
            )
    return status


def _save_figures(tables, fingerprint, out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, df in tables.items():
        (out_dir / f"{name}.csv").write_text(_table_text(df), encoding="utf-8")
    (out_dir / "inputs.json").write_text(json.dumps({"inputs_sha256": fingerprint}) + "\n")


def _print_table(report: pd.DataFrame) -> None:
    width = {"id": 34, "measure": 46, "printed": 15, "recomputed": 15}
    head = "  ".join(f"{k:<{w}}" for k, w in width.items()) + "  status"
    print(head)
    print("-" * len(head))
    for r in report.itertuples():
        cells = [str(getattr(r, k))[:w] for k, w in width.items()]
        status = "reproduced" if r.reproduced else "NOT REPRODUCED"
        print("  ".join(f"{c:<{w}}" for c, w in zip(cells, width.values())) + f"  {status}")


def main(argv: list[str] | None = None) -> int:
    """Command line entry point (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2, help="chapters executed at once")
    parser.add_argument("--skip-execution", action="store_true", help="only ledger and figures")
    parser.add_argument(
        "--allow-differences", action="store_true",
        help="exit 0 when a published number is not reproduced (another cohort)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    start = time.perf_counter()
    from .ledger import compare
    from .schema import ContractError, validate_tables

    print(f"cohort: {config.cohort_path()}\nadverse events: {config.adverse_events_path()}")
    try:
        cohort, ae = validate_tables(config.cohort_path(), config.adverse_events_path())
    except ContractError as exc:
        print("The data break the contract:\n" + "\n".join(exc.problems), file=sys.stderr)
        return 2
    failures = []

    if not args.skip_execution:
        paths = chapters()
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
    _print_table(report)
    n_ok = int(report["reproduced"].sum())
    print(
        f"{n_ok} of {len(report)} reproduced; table written to {VERIFY_DIR / 'ledger_report.csv'}"
    )
    if n_ok < len(report) and not args.allow_differences:
        failures.append(f"{len(report) - n_ok} published numbers not reproduced")

    tables = figure_tables(cohort)
    fingerprint = inputs_fingerprint()
    fig_dir = VERIFY_DIR / "figures"
    previous = (
        json.loads((fig_dir / "inputs.json").read_text())
        if (fig_dir / "inputs.json").exists()
        else {}
    )
    same_inputs = previous.get("inputs_sha256") == fingerprint
    status = compare_figures(tables, fig_dir)
    print("\nNumbers behind the figures, against the previous run:")
    for name, s in status.items():
        changed = "CHANGED" + ("" if same_inputs else " (the data or the analysis code changed)")
        note = {"same": "identical", "new": "no previous run: recorded", "changed": changed}[s]
        print(f"  {name:<10} {note}")
        if s == "changed" and same_inputs:
            failures.append(f"{name} changed although the inputs did not")
    _save_figures(tables, fingerprint, fig_dir)

    print(f"\nverify took {time.perf_counter() - start:.1f} s")
    if failures:
        print("\nVERIFY FAILED:\n  " + "\n  ".join(failures), file=sys.stderr)
        return 1
    print("VERIFY PASSED: every chapter ran, every published number and figure checks out.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
