"""Write requirements.txt and environment.yml from a virtual environment.

The venv must have been created from ``requirements.in`` alone (``make lock`` does this in a
fresh temporary venv). ``requirements.txt`` is its ``pip freeze`` minus this project;
``environment.yml`` is a conda environment with the same Python minor version and the very
same pins, installed by pip (tests/test_environment.py checks the two agree).

Usage: python scripts/lock.py [--venv PATH]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROJECT = "blinatumomab-analysis"  # [project].name in pyproject.toml
ENV_NAME = "blinatumomab-book"


def freeze(venv: Path) -> tuple[list[str], str]:
    """Return the pinned requirement lines and the ``major.minor`` Python version of ``venv``."""
    python = venv / "bin" / "python"
    out = subprocess.run(
        [str(python), "-m", "pip", "freeze", "--exclude-editable", "--exclude", PROJECT],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    pins = sorted(
        (line.strip() for line in out.splitlines() if "==" in line),
        key=lambda s: s.lower(),
    )
    version = subprocess.run(
        [str(python), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return pins, version


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--venv", type=Path, default=ROOT / ".venv")
    args = parser.parse_args(argv)
    pins, python = freeze(args.venv)
    if not pins:
        print(f"no pinned packages found in {args.venv}", file=sys.stderr)
        return 1
    (ROOT / "requirements.txt").write_text(
        "# Fully pinned lock of requirements.in (pip freeze of a fresh venv, Python "
        f"{python}).\n# Regenerate with `make lock`; do not edit by hand.\n"
        + "\n".join(pins)
        + "\n"
    )
    pip_lines = "".join(f"      - {p}\n" for p in pins)
    (ROOT / "environment.yml").write_text(
        "# Conda environment equivalent to .venv: the same pins as requirements.txt,\n"
        "# installed by pip. Regenerate with `make lock`; do not edit by hand.\n"
        f"# Then: `conda activate {ENV_NAME} && pip install -e . --no-deps`.\n"
        f"name: {ENV_NAME}\n"
        "channels:\n  - conda-forge\n"
        f"dependencies:\n  - python={python}\n  - pip\n  - pip:\n" + pip_lines
    )
    print(f"wrote requirements.txt and environment.yml: {len(pins)} pins, Python {python}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
