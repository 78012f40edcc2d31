"""Data contract for the cohort and adverse-event tables (provisional).

PROVISIONAL: parses types and checks that the required columns exist.  The full
pandera contract (issue 5) replaces this module.
"""

from __future__ import annotations

from pathlib import Path

from .data import AE_COLUMNS, COHORT_COLUMNS, parse_adverse_events, parse_cohort, read_table


class ContractError(ValueError):
    """A table breaks the data contract; ``problems`` lists every violation."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


def validate_tables(cohort_path, ae_path=None):
    """Read, parse and check the tables; return ``(cohort, ae_or_None)``."""
    raw = read_table(Path(cohort_path))
    missing = [c[0] for c in COHORT_COLUMNS if c[0] not in raw.columns]
    problems = [f"{cohort_path}: missing column {c!r}" for c in missing]
    ae = None
    if ae_path is not None:
        raw_ae = read_table(Path(ae_path))
        problems += [f"{ae_path}: missing column {c[0]!r}" for c in AE_COLUMNS
                     if c[0] not in raw_ae.columns]  # fmt: skip
        if not problems:
            ae = parse_adverse_events(raw_ae)
    if problems:
        raise ContractError(problems)
    return parse_cohort(raw), ae
