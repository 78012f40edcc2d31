"""Layer 5: figures.  Each function draws a results table (layer 4) and computes nothing.

Plot helpers take ``ax`` (default: the current axes) and return it; figure functions return
the figure and, given the figure's label, save the data they draw as its source data
(:func:`analysis.display.save_source_data`), which the HTML links under the figure and
``make verify`` fingerprints.

``theme``    the book's seaborn theme, palette and line styles
``km``       Kaplan-Meier figures in the KMunicate style
``swimmer``  one bar per patient with the events of their course
``flow``     the patient-flow diagram
``forest``   response rates of this cohort and published studies
"""
