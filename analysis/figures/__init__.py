"""Layer 5: figures. Each draws a results table and computes nothing: plot helpers take ``ax``
and return it; a figure function saves what it draws as its label's data (``make verify``)."""
