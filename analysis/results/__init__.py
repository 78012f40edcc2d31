"""Layer 4: results, one module per chapter, as tidy DataFrames and glue-ready text.

Each module turns the cohort (layer 1) into what its chapter shows, with the statistics of
layer 2 and, where the paper prints a number, the ledger of layer 3.  Functions return tidy
DataFrames (one row per group, curve or patient) or dicts of strings formatted by
:mod:`analysis.format`, ready to glue; they never draw and never print.

``km``  the Kaplan-Meier panels shared by every survival figure and table
"""
