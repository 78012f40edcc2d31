"""Layer 3: the paper: what it prints (``published.yml``), claims, discrepancies and assumptions,
the metrics and ledger that recompute it, the audit and the reconstruction."""

from . import ledger, metrics
from .ledger import chapter_report, compare, load_discrepancies, load_ledger
