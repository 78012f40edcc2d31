"""The reconstruction's command line: ``make reconstruct``, ``-m analysis.paper.reconstruct``.

Runs the seeded search and writes ``data/reconstructed/`` (identical bytes for a seed), or with
``--check`` only compares the files on disk with a fresh search (exit status 1 if they differ).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis import config  # noqa: E402
from analysis.data.io import to_csv_text  # noqa: E402
from analysis.paper import reconstruct  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m analysis.paper.reconstruct [--seed N] [--out DIR] [--check]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=reconstruct.DEFAULT_SEED)
    parser.add_argument("--out", type=Path, default=config.RECONSTRUCTED_DIR)
    parser.add_argument("--quiet", action="store_true")
    parser.add_argument(
        "--check", action="store_true",
        help="do not write; exit 1 if the files on disk differ from a fresh search",
    )  # fmt: skip
    args = parser.parse_args(argv)
    cohort, ae, _ = reconstruct.reconstruct(args.seed, quiet=args.quiet)
    # CSV with a fixed, locale-free format: byte for byte the same for a seed
    texts = {"cohort.csv": to_csv_text(cohort), "adverse_events.csv": to_csv_text(ae)}
    paths = {name: args.out / name for name in texts}
    if args.check:
        differ = [n for n, p in paths.items() if not p.exists() or p.read_text("utf-8") != texts[n]]
        for name in differ:
            print(f"{paths[name]} DIFFERS from a fresh reconstruction (seed {args.seed})")
        print("identical" if not differ else "check failed")
        return 0 if not differ else 1
    args.out.mkdir(parents=True, exist_ok=True)
    for name, path in paths.items():
        path.write_text(texts[name], encoding="utf-8", newline="")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
