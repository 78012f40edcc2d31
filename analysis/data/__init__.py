"""Layer 1: the data, from file to analysis-ready table.

``dictionary``  the columns of both tables, as data (``dictionary.yml``)
``io``          the one reader (CSV, Excel, ``.xpt``), typing by the dictionary, stable CSV
``adam``        ADaM input (ADSL, ADTTE, ADAE) read as the two tables
``contract``    the data contract: every problem of the files at once
``derive``      optional columns a file left out, subgroup flags, survival tables

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
from .dictionary import AE_FIELDS, COHORT_FIELDS, data_dictionary
from .io import parse_adverse_events, parse_cohort, read_table, to_csv_text

__all__ = ["AE_FIELDS", "COHORT_FIELDS", "data_dictionary", "derive", "load_adverse_events",
           "load_cohort", "load_tables", "parse_adverse_events", "parse_cohort", "read_table",
           "to_csv_text"]  # fmt: skip


def load_tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The cohort and adverse events the book analyses, checked by the contract.

    The sources come from :mod:`analysis.config`: ``BOOK_ADAM`` (a directory of ADaM
    datasets), else ``BOOK_COHORT`` and ``BOOK_AES`` (default: the reconstruction), with the
    column map ``BOOK_MAP`` if set.  Raises :class:`analysis.data.contract.ContractError`.
    """
    from .contract import validate_tables  # not at import: `python -m` runs the module

    adam = config.adam_dir()
    ae_path = None if adam else config.adverse_events_path()
    cohort, ae = validate_tables(adam or config.cohort_path(), ae_path,
                                 column_map=config.column_map_path())  # fmt: skip
    return cohort, ae if ae is not None else parse_adverse_events(
        pd.DataFrame(columns=[*AE_FIELDS])
    )


def load_cohort(path: str | Path | None = None, *, validate: bool = True) -> pd.DataFrame:
    """Load the cohort table: one row per patient, every column of the data dictionary.

    Parameters
    ----------
    path : str or Path, optional
        CSV, Excel (``file.xlsx#sheet``) or a directory of ADaM datasets; default
        ``BOOK_ADAM``, ``BOOK_COHORT`` or ``data/reconstructed/cohort.csv``
        (:mod:`analysis.config`), with the column map ``BOOK_MAP`` if set.
    validate : bool
        Check the data contract and raise :class:`analysis.data.contract.ContractError`
        listing every problem (``False``: only read and type a file).

    Notes
    -----
    Optional columns the file leaves out are derived where unambiguous, otherwise missing
    (:func:`analysis.data.derive.complete`; ``attrs["not_recorded"]`` lists them).  Source of
    the default file: the reconstruction of the cohort of 19 patients with relapsed/refractory
    B-ALL treated with blinatumomab at the Aerospace Center Hospital, China (Nov 2021 -
    Nov 2024), published by Wang Y, Chang C, Wang Z, Zhao J, Wang J, Front Oncol
    2025;15:1587185.  Consistent with every published aggregate; not the patients' records.
    """
    from .contract import validate_tables

    if path is None and validate:
        return load_tables()[0]
    path = path or config.adam_dir() or config.cohort_path()
    if validate or Path(path).is_dir():
        return validate_tables(path, None, column_map=config.column_map_path())[0]
    return derive.complete(parse_cohort(read_table(path)))


def load_adverse_events(path: str | Path | None = None, *, validate: bool = True) -> pd.DataFrame:
    """Load the adverse-event table (one row per patient and event).

    Parameters
    ----------
    path : str or Path, optional
        CSV or Excel file; default ``BOOK_AES``, the ADAE of ``BOOK_ADAM`` or
        ``data/reconstructed/adverse_events.csv``.
    validate : bool
        Check the data contract, including that every ``patient_id`` exists in the cohort
        table that :func:`load_cohort` would load.
    """
    from .contract import validate_tables

    if path is None and validate:
        return load_tables()[1]
    if validate:
        adam = config.adam_dir()
        cohort = adam or config.cohort_path()
        return validate_tables(cohort, path, column_map=config.column_map_path())[1]
    return parse_adverse_events(read_table(path or config.adverse_events_path(), AE_FIELDS))
