"""Layer 1: the data, file to table: ``dictionary``, ``io``, ``adam``, ``contract``, ``derive``.

The default tables, ``data/reconstructed/``, are the *reconstructed* cohort of the paper's 19
patients (:mod:`analysis.paper.reconstruct`), **not** the patients' records."""

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


def load_tables(ae=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The checked cohort and adverse events (``BOOK_ADAM``, else ``BOOK_COHORT``, ``BOOK_AES``)."""
    adam = config.adam_dir()
    ae = ae or (None if adam else config.adverse_events_path())
    cohort, events = _validated(adam or config.cohort_path(), ae)
    none = events is None  # ADaM without ADAE
    return cohort, parse_adverse_events(pd.DataFrame(columns=[*AE_FIELDS])) if none else events


def load_cohort(path=None, *, validate: bool = True) -> pd.DataFrame:
    """The cohort (a file or ADaM directory); ``validate=False``: typed without the contract."""
    path = path or config.adam_dir() or config.cohort_path()
    if validate or Path(path).is_dir():
        return _validated(path)[0]
    return derive.complete(parse_cohort(read_table(path)))


def load_adverse_events(path=None, *, validate: bool = True) -> pd.DataFrame:
    """The adverse events, one row per patient and event (default as :func:`load_tables`)."""
    if validate:
        return load_tables(path)[1]
    return parse_adverse_events(read_table(path or config.adverse_events_path(), AE_FIELDS))
