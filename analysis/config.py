"""One source of truth for the project's paths.

Every path the package, the book and the tests use is built here from a
single project root.  The cohort the book analyses can be switched with the
environment variables ``BOOK_COHORT`` and ``BOOK_AES`` (see README).
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"
RECONSTRUCTED_DIR = DATA_DIR / "reconstructed"
DEFAULT_COHORT = RECONSTRUCTED_DIR / "cohort.csv"
DEFAULT_ADVERSE_EVENTS = RECONSTRUCTED_DIR / "adverse_events.csv"
LEDGER_PATH = Path(__file__).resolve().parent / "published.yml"
DISCREPANCIES_PATH = Path(__file__).resolve().parent / "discrepancies.yml"
BUILD_DIR = ROOT / "_build"


def cohort_path() -> Path:
    """Path of the cohort table the book analyses (``BOOK_COHORT`` or the reconstruction)."""
    value = os.environ.get("BOOK_COHORT")
    return Path(value).resolve() if value else DEFAULT_COHORT


def adverse_events_path() -> Path:
    """Path of the adverse-event table (``BOOK_AES`` or the reconstruction)."""
    value = os.environ.get("BOOK_AES")
    return Path(value).resolve() if value else DEFAULT_ADVERSE_EVENTS
