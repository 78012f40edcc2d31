"""Layer 5: figures.  Each draws a results table (layer 4) and computes nothing: plot helpers
take ``ax`` and return it; figure functions return the figure and save what they draw as the
source data of their label (``name=``), which ``make verify`` fingerprints."""
