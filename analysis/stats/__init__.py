"""Layer 2: statistics, as thin wrappers over lifelines, scipy and statsmodels.

``proportions``  binomial CIs (scipy ``binomtest``, statsmodels ``proportion_confint``),
                 Fisher's exact and chi-square tests, medians and ranges
``survival``     Kaplan-Meier with Greenwood SE, median CI, log-rank, Cox hazard ratios,
                 Aalen-Johansen, Simon-Makuch and Mantel-Byar (lifelines)
``consistency``  what no library does: GRIM and Kaplan-Meier feasibility of printed values
"""

from . import consistency, proportions, survival
from .proportions import compare_proportions, fisher_exact, median_range, proportion
from .survival import hazard_ratio, kaplan_meier, logrank, median_ci, survival_at
