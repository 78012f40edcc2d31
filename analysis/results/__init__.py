"""Layer 4: results, one module per chapter: tidy DataFrames and glue-ready text formatted by
:mod:`analysis.format`; they never draw and never print."""
