"""Layer 0: every path (from one project root) and every shared constant, defined once.

The cohort is chosen with environment variables (``make book DATA=... AES=... MAP=...
ADAM=...``): ``BOOK_COHORT`` and ``BOOK_AES``, the tables (CSV, or ``.xlsx`` with an optional
``#sheet``); ``BOOK_MAP``, a YAML map from a centre's headers and labels to the book's;
``BOOK_ADAM``, a directory of CDISC ADaM datasets (ADSL, ADTTE, ADAE) instead.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

PACKAGE = Path(__file__).resolve().parent
ROOT = PACKAGE.parent
DATA_DIR = ROOT / "data"
RECONSTRUCTED_DIR = DATA_DIR / "reconstructed"
DEFAULT_COHORT = RECONSTRUCTED_DIR / "cohort.csv"
DEFAULT_ADVERSE_EVENTS = RECONSTRUCTED_DIR / "adverse_events.csv"
# The robustness analysis's values on 20 other reconstructions (regenerated with them by
# `make reconstruct`), and the fingerprint of the code they were computed with.
ROBUSTNESS_VALUES = RECONSTRUCTED_DIR / "robustness.csv"
LITERATURE_PATH = DATA_DIR / "literature" / "blinatumomab_trials.csv"
BUILD_DIR = ROOT / "_build"

# The paper's own statements and our reading of them (layer 3, analysis.paper).
PAPER_DIR = PACKAGE / "paper"
LEDGER_PATH = PAPER_DIR / "published.yml"
DISCREPANCIES_PATH = PAPER_DIR / "discrepancies.yml"
CLAIMS_PATH = PAPER_DIR / "claims.yml"
ASSUMPTIONS_PATH = PAPER_DIR / "assumptions.yml"
# The data dictionary (layer 1, analysis.data).
DICTIONARY_PATH = PACKAGE / "data" / "dictionary.yml"
AE_TERMS_PATH = PACKAGE / "data" / "ae_terms.yml"  # CTCAE term -> MedDRA PT and SOC

#: Two-sided significance level (Materials and methods, *Statistical analysis*: P < 0.05).
ALPHA = 0.05
#: Time at which the paper reads its survival estimates ("1-year OS and RFS"), months.
HORIZON_MONTHS = 12.0
#: Average days per month (365.25 / 12): the one conversion between days and months.
DAYS_PER_MONTH = 30.4375
#: Days of continuous infusion in one cycle (Materials and methods, *Blinatumomab treatment*).
INFUSION_DAYS = 28
#: Treatment-free days between two cycles (the drug's label: 2 weeks).
CYCLE_GAP_DAYS = 14
#: Start of one cycle to the start of the next.
CYCLE_DAYS = INFUSION_DAYS + CYCLE_GAP_DAYS
#: Days after the infusion within which the marrow is assessed (Materials and methods).
MRD_ASSESSMENT_DAYS = 14
#: Cycles within which an MRD response is reached (Results: MRD negativity "after 1-2 cycles").
MRD_RESPONSE_CYCLES = 2
#: Marrow-blast cut-offs of the paper: overt disease and high tumour burden (percent).
OVERT_BLASTS_PCT = 5.0
HIGH_BLASTS_PCT = 50.0


def _env_path(name: str, default: Path | None) -> Path | None:
    value = os.environ.get(name)
    if not value:
        return default
    path, _, sheet = value.partition("#")
    return Path(Path(path).resolve().as_posix() + (f"#{sheet}" if sheet else ""))


def cohort_path() -> Path:
    """The cohort table the book analyses (``BOOK_COHORT`` or the reconstruction)."""
    return _env_path("BOOK_COHORT", DEFAULT_COHORT)


def adverse_events_path() -> Path:
    """The adverse-event table (``BOOK_AES`` or the reconstruction)."""
    return _env_path("BOOK_AES", DEFAULT_ADVERSE_EVENTS)


def column_map_path() -> Path | None:
    """A column map (``BOOK_MAP``), or ``None``."""
    return _env_path("BOOK_MAP", None)


def adam_dir() -> Path | None:
    """A directory of ADaM datasets (``BOOK_ADAM``), or ``None``."""
    return _env_path("BOOK_ADAM", None)


def source_data_dir() -> Path | None:
    """Where figures and tables save their data (``BOOK_SOURCE_DATA``), or ``None``."""
    value = os.environ.get("BOOK_SOURCE_DATA")
    return Path(value).resolve() if value else None


def uses_reconstruction() -> bool:
    """Whether the book analyses the default, reconstructed cohort."""
    return adam_dir() is None and cohort_path() == DEFAULT_COHORT


def toc_documents() -> list[str]:
    """The root page and every chapter of ``_toc.yml``, in order (``"book/intro"``, ...)."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))

    def walk(entries):  # a part lists chapters, a chapter sections
        for e in entries or []:
            yield from [e["file"]] if "file" in e else []
            yield from walk(e.get("sections") or e.get("chapters"))

    return [toc["root"], *walk(toc.get("parts")), *walk(toc.get("chapters"))]
