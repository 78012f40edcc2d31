"""Layer 3: the paper: what it prints, what it says, and how the reconstruction meets it.

``published.yml``      the ledger: every number the paper prints, where, how it is recomputed
``claims.yml``         statements the audit checks against each other
``discrepancies.yml``  the paper's inconsistencies and how the book resolves them
``assumptions.yml``    what the book chose where the paper is silent (with reasons)
``metrics``            the named computations behind the ledger
``ledger``             recomputing the ledger on a cohort
``audit``              checking the paper against itself
``reconstruct``        the seeded search for a cohort consistent with the paper
"""

from . import ledger, metrics
from .ledger import chapter_report, compare, discrepancy, load_discrepancies, load_ledger
