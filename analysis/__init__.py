"""Analysis package for the blinatumomab R/R B-ALL reproducibility book."""
