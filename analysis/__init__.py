"""The analysis package of the blinatumomab R/R B-ALL reproducibility book, read top-down in
layers (config and format, data, stats, paper, results, figures and display, verify), each
importing only those before it; ``README.md`` draws them. The loaders and the ledger are
imported on first use: ``analysis.config`` or ``analysis.data`` alone stays quick to import."""

from importlib import import_module

from . import config, format

_LAZY = dict.fromkeys(("load_adverse_events", "load_cohort"), "data") | dict.fromkeys(
    ("chapter_report", "compare", "load_ledger"), "paper")  # fmt: skip


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f".{_LAZY[name]}", __name__), name)
