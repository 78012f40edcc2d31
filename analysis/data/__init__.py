"""Layer 1: the data, from file to analysis-ready table.

``dictionary``  the columns of both tables, as data (``dictionary.yml``)
``io``          the one reader (CSV, Excel, ``.xpt``), typing by the dictionary, stable CSV
``adam``        ADaM datasets (ADSL, ADTTE, ADAE) read as the two tables
``contract``    the data contract: every problem of the files at once
``derive``      optional columns a file left out, subgroup flags, survival tables

The default tables are the *reconstructed* cohort in ``data/reconstructed/`` (see
:mod:`analysis.paper.reconstruct`): 19 patients with relapsed/refractory B-ALL treated with
blinatumomab (Wang et al., Front Oncol 2025;15:1587185), consistent with every aggregate the
paper prints.  They are **not** the patients' records.
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


def _validated(cohort, ae=None):
    from .contract import validate_tables  # not at import: `python -m` runs the module

    return validate_tables(cohort, ae, column_map=config.column_map_path())


def load_tables(ae: str | Path | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The cohort and adverse-event tables the book analyses, checked by the contract.

    The sources come from :mod:`analysis.config`: ``BOOK_ADAM`` (ADaM datasets), else
    ``BOOK_COHORT`` and ``BOOK_AES`` (the reconstruction), with the column map ``BOOK_MAP``.
    The cohort has every dictionary column (:func:`analysis.data.derive.complete`); without
    adverse events (ADaM without ADAE) the second table is empty.
    """
    adam = config.adam_dir()
    cohort, events = _validated(
        adam or config.cohort_path(), ae or (None if adam else config.adverse_events_path())
    )
    return cohort, parse_adverse_events(
        pd.DataFrame(columns=[*AE_FIELDS])
    ) if events is None else events


def load_cohort(path: str | Path | None = None, *, validate: bool = True) -> pd.DataFrame:
    """The cohort table: one row per patient, every column of the data dictionary.

    ``path``: CSV, Excel (``file.xlsx#sheet``) or a directory of ADaM datasets (default as
    :func:`load_tables`); ``validate=False`` reads and types a file without the contract.
    """
    path = path or config.adam_dir() or config.cohort_path()
    if validate or Path(path).is_dir():
        return _validated(path)[0]
    return derive.complete(parse_cohort(read_table(path)))


def load_adverse_events(path: str | Path | None = None, *, validate: bool = True) -> pd.DataFrame:
    """The adverse-event table, one row per patient and event (default as :func:`load_tables`).

    Validated, every ``patient_id`` must exist in the cohort :func:`load_cohort` loads.
    """
    if validate:
        return load_tables(path)[1]
    return parse_adverse_events(read_table(path or config.adverse_events_path(), AE_FIELDS))
