"""Layer 2: statistics, as thin wrappers over lifelines, scipy and statsmodels, plus the
consistency checks no library has (``README.md``, *The package in layers*)."""

from . import consistency, proportions, survival
from .proportions import compare_proportions, fisher_exact, median_range, proportion
from .survival import hazard_ratio, kaplan_meier, logrank, median_ci, survival_at
