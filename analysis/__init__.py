"""The analysis package of the blinatumomab R/R B-ALL reproducibility book, read top-down in
layers (config and format, data, stats, paper, results, figures and display, verify), each
importing only those before it; ``README.md`` draws them."""

from . import config, format
from .data import load_adverse_events, load_cohort
from .paper import chapter_report, compare, load_ledger
