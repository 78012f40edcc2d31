"""Layer 1: the data, from file to analysis-ready table.

``dictionary``  the columns of both tables (type, unit, allowed values, meaning)
``io``          reading a CSV or Excel file as text, parsing it, writing stable CSV
``contract``    the data contract: every problem of a file at once (pandera)
``derive``      the subgroup flags and survival tables every chapter uses

The default tables are the *reconstructed* cohort in ``data/reconstructed/``: individual
patient data found by :mod:`analysis.paper.reconstruct` so that every aggregate the paper
prints is reproduced.  They are consistent with the publication; they are **not** the
patients' records.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .. import config
from . import derive
from .dictionary import AE_COLUMNS, COHORT_COLUMNS, data_dictionary
from .io import parse_adverse_events, parse_cohort, read_table, to_csv_text

__all__ = [
    "AE_COLUMNS",
    "COHORT_COLUMNS",
    "data_dictionary",
    "derive",
    "load_adverse_events",
    "load_cohort",
    "parse_adverse_events",
    "parse_cohort",
    "read_table",
    "to_csv_text",
]


def load_cohort(path: str | Path | None = None, *, validate: bool = True) -> pd.DataFrame:
    """Load the cohort table.

    Parameters
    ----------
    path : str or Path, optional
        CSV or Excel file; defaults to :func:`analysis.config.cohort_path`
        (``BOOK_COHORT`` or ``data/reconstructed/cohort.csv``).
    validate : bool
        Check the data contract (:mod:`analysis.schema`) and raise
        :class:`analysis.schema.ContractError` listing every problem.

    Returns
    -------
    pandas.DataFrame
        One row per patient; columns as in :data:`COHORT_COLUMNS`.

    Notes
    -----
    Source of the default file: the reconstruction of the cohort of 19 patients with
    relapsed/refractory B-ALL treated with blinatumomab at the Aerospace Center
    Hospital, China (Nov 2021 - Nov 2024), published by Wang Y, Chang C, Wang Z,
    Zhao J, Wang J, Front Oncol 2025;15:1587185.  Consistent with
    every published aggregate; not the patients' records.
    """
    path = Path(path) if path else config.cohort_path()
    if validate:
        from .contract import validate_tables

        cohort, _ = validate_tables(path, None)
        return cohort
    return parse_cohort(read_table(path))


def load_adverse_events(path: str | Path | None = None, *, validate: bool = True) -> pd.DataFrame:
    """Load the adverse-event table (one row per patient and event).

    Parameters
    ----------
    path : str or Path, optional
        CSV or Excel file; defaults to :func:`analysis.config.adverse_events_path`.
    validate : bool
        Check the data contract, including that every ``patient_id`` exists in
        the cohort table that :func:`load_cohort` would load.
    """
    path = Path(path) if path else config.adverse_events_path()
    if validate:
        from .contract import validate_tables

        _, ae = validate_tables(config.cohort_path(), path)
        return ae
    return parse_adverse_events(read_table(path))
