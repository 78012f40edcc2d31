"""Layer 4: results, one module per chapter, as tidy DataFrames and glue-ready text.

Each module turns the cohort (layer 1) into what its chapter shows, with the statistics of
layer 2 and, where the paper prints a number, the ledger of layer 3.  Functions return tidy
DataFrames (one row per group, curve or patient) or dicts of strings formatted by
:mod:`analysis.format`, ready to glue; they never draw and never print.

``km``          the Kaplan-Meier panels shared by every survival figure and table
``survival``    overall and relapse-free survival (the paper's Figures 1 and 2), follow-up
``transplant``  transplants, their routes and timing (the paper's Figure 3)
``journeys``    each patient's course: cycles, events, swimmer rows, patient flow
``context``     published blinatumomab studies, tumour burden
"""
