"""The shape of the package (issue 9): layers, no cycles, the libraries, the size.

The layers, top-down (README, "The package in layers"): 0 config and format; 1 data; 2 stats;
3 paper; 4 results; 5 figures and display; 6 verify.  A module may import only modules of
its own layer or the layers below.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "analysis"
LAYER = {"config": 0, "format": 0, "data": 1, "stats": 2, "paper": 3, "results": 4,
         "figures": 5, "display": 5, "verify": 6}  # fmt: skip
MAX_LINES = 6000


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def _imports(name: str, path: Path) -> set[str]:
    """Modules of the package imported anywhere in ``path`` (function-local imports too)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            targets = [mod] + [f"{mod}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        else:
            continue
        mods = _modules()
        found |= {t for t in targets if t in mods and t != name}
    return found


def _layer(module: str) -> int | None:
    parts = module.split(".")
    return LAYER.get(parts[1]) if len(parts) > 1 else None


GRAPH = {name: _imports(name, path) for name, path in _modules().items()}


@pytest.mark.parametrize("module", sorted(m for m in GRAPH if _layer(m) is not None))
def test_no_module_imports_an_upper_layer(module):
    upward = [t for t in GRAPH[module] if (_layer(t) or 0) > _layer(module)]
    assert upward == [], f"{module} (layer {_layer(module)}) imports {upward}"


def test_no_import_cycles():
    # package __init__ files re-export their submodules: they are not nodes of a cycle
    graph = {m: {t for t in ts if not _modules()[t].name == "__init__.py"}
             for m, ts in GRAPH.items() if _modules()[m].name != "__init__.py"}  # fmt: skip
    state: dict[str, int] = {}

    def visit(node, stack):
        state[node] = 1
        for nxt in graph.get(node, ()):
            if state.get(nxt) == 1:
                raise AssertionError("import cycle: " + " -> ".join(stack + [node, nxt]))
            if nxt not in state:
                visit(nxt, stack + [node])
        state[node] = 2

    for node in graph:
        if node not in state:
            visit(node, [])


def test_every_module_belongs_to_a_layer():
    unplaced = [m for m in GRAPH if m != "analysis" and _layer(m) is None]
    assert unplaced == []


def test_package_size():
    lines = sum(len(p.read_text(encoding="utf-8").splitlines()) for p in PACKAGE.rglob("*.py"))
    assert lines <= MAX_LINES, f"analysis/ has {lines} lines of Python (at most {MAX_LINES})"


def test_the_named_libraries_are_used():
    text = "\n".join(p.read_text(encoding="utf-8") for p in PACKAGE.rglob("*.py"))
    for pattern in (r"^from lifelines import", r"^import seaborn", r"^from scipy import stats",
                    r"^from statsmodels\.stats\.proportion import"):  # fmt: skip
        assert re.search(pattern, text, re.MULTILINE), pattern


# What a hand-written estimator looks like, and the only places allowed to have one:
# stats/consistency.py (what no library does: KM feasibility of printed numbers, the search's
# batched log-rank screen) and stats/survival.py (Greenwood's SE from lifelines' event table,
# the Mantel-Byar statistic, which lifelines lacks).
ESTIMATOR = re.compile(r"cumprod|\(n - d\)|\(n - 1\)|n \* \(n - d\)|d / n\b")
ALLOWED = {"analysis/stats/consistency.py", "analysis/stats/survival.py"}


def test_no_hand_written_estimators_outside_the_statistics_layer():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(ROOT).as_posix()
        if rel in ALLOWED:
            continue
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if ESTIMATOR.search(line.split("#")[0]):
                offenders.append(f"{rel}:{i}: {line.strip()}")
    assert offenders == []
