"""Layer 4: results, one module per chapter, as tidy DataFrames and glue-ready text.

Each module turns the cohort (layer 1) into what its chapter shows, with the statistics of
layer 2 and the ledger of layer 3: tidy DataFrames (one row per group, curve or patient) or
dicts of strings formatted by :mod:`analysis.format`; they never draw and never print.
``km`` holds the Kaplan-Meier panels every survival figure and table shares.
"""
