"""Analysis package for the blinatumomab R/R B-ALL reproducibility book.

Modules
-------
config       paths and the choice of cohort (``BOOK_COHORT`` / ``BOOK_AES``)
data         loading the tables, the data dictionary
schema       the data contract
derive       derived variables (subgroup flags, OS and RFS tables)
stats        proportions, exact CIs, Fisher / chi-square
survival     Kaplan-Meier with Greenwood SE, log-rank
metrics      named computations behind the ledger
ledger       the published numbers and their comparison with a cohort
reconstruct  the seeded search for a cohort consistent with the paper
display      tables that render in HTML and PDF
tables       Table 1, response, Table 3, adverse events (tidy DataFrames)
plots        Kaplan-Meier figures with number-at-risk tables (take ax, return ax)
outcomes     survival summaries, deaths and relapses, transplant tables
journeys     swimmer plot and patient-flow diagram
context      published blinatumomab trials and the forest plot
sensitivity  other CIs, reverse-KM follow-up, competing risks, time-dependent transplant
audit        the consistency audit of the paper against itself
verify       ``make verify``
"""

from .data import load_adverse_events, load_cohort
from .ledger import chapter_report, compare, load_ledger
from .stats import proportion, proportion_ci
from .survival import kaplan_meier, logrank

__all__ = [
    "load_cohort",
    "load_adverse_events",
    "load_ledger",
    "compare",
    "chapter_report",
    "proportion",
    "proportion_ci",
    "kaplan_meier",
    "logrank",
]
