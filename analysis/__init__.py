"""The analysis package of the blinatumomab R/R B-ALL reproducibility book.

Read it top-down, in layers; a layer imports only the layers above it in this list:

0. ``config``, ``format``   paths and constants; how every number is written
1. ``data``                 dictionary, reader, contract, derived flags
2. ``stats``                lifelines, scipy and statsmodels, plus consistency checks
3. ``paper``                the published numbers, claims, discrepancies, reconstruction
4. ``results``              one module per chapter: tidy DataFrames and glue-ready text
5. ``figures``, ``display`` figures that draw results; tables that render in HTML and PDF
6. ``verify``               ``make verify``
"""

from . import config, format
from .data import load_adverse_events, load_cohort
from .paper import chapter_report, compare, load_ledger
