"""Layer 5: figures.  Each function draws a results table (layer 4) and computes nothing.

Plot helpers take ``ax`` (default: the current axes) and return it; figure functions return
the figure and, given its label, save the data they draw as its source data
(:func:`analysis.display.save_source_data`), which ``make verify`` fingerprints; ``theme``
is the book's seaborn theme, palette and line styles.
"""
