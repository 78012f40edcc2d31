"""The PDF's layout, read from the LaTeX log: nothing runs off the page.

LaTeX writes to ``_build/latex/tex/book.log`` every line it could not fit into the text width
("Overfull \\hbox (12.3pt too wide)") and every page whose content is taller than the text
height ("Overfull \\vbox (54.8pt too high)").  A few points are invisible, but a table set
without column widths runs hundreds of points off the page, a wide figure or a long code line
into the margin, and a table that cannot break across pages over the footer.  These tests
build nothing: they read the log of the last ``make pdf`` and skip when there is none.
``make test`` builds the book first and sets ``BOOK_REQUIRE_BUILD=1``, so a missing log then
fails them instead.
"""

from __future__ import annotations

import os
import re

import pytest

from analysis import config

LOG = config.ROOT / "_build" / "latex" / "tex" / "book.log"
REQUIRE = os.environ.get("BOOK_REQUIRE_BUILD") == "1"

#: Widest overrun tolerated, in points (a hyphen or a short word in a narrow table column).
HBOX_TOLERANCE_PT = 30.0

#: Tallest overrun tolerated, in points (about a line of text).
VBOX_TOLERANCE_PT = 12.0

_OVERFULL = re.compile(
    r"^Overfull \\(?P<box>[hv])box \((?P<pt>[\d.]+)pt too (?:wide|high)\)(?P<where>.*)$"
)

pytestmark = pytest.mark.build


def overfull_boxes(log: str) -> list[dict]:
    """Every overfull box of a LaTeX log.

    Returns
    -------
    list of dict
        ``box`` ("h" or "v"), ``pt`` (how far it runs over), ``where`` (the rest of the
        log line, e.g. "in alignment at lines 8876--8894") and ``text`` (the next line of the
        log, which shows the start of the offending material).
    """
    lines = log.splitlines()
    found = []
    for i, line in enumerate(lines):
        m = _OVERFULL.match(line)
        if m:
            text = lines[i + 1].strip() if i + 1 < len(lines) else ""
            found.append(
                {"box": m["box"], "pt": float(m["pt"]), "where": m["where"].strip(), "text": text}
            )
    return found


@pytest.fixture(scope="module")
def log() -> str:
    if not LOG.exists():
        message = f"no LaTeX log at {LOG}: run `make pdf`"
        if REQUIRE:
            pytest.fail(message)
        pytest.skip(message)
    return LOG.read_text(encoding="utf-8", errors="replace")


def test_parser_reads_hbox_and_vbox():
    sample = (
        "Overfull \\hbox (771.65866pt too wide) in alignment at lines 8876--8894\n"
        " [] [] [] [] \n"
        "Overfull \\vbox (54.7604pt too high) has occurred while \\output is active []\n"
    )
    boxes = overfull_boxes(sample)
    assert [(b["box"], b["pt"]) for b in boxes] == [("h", 771.65866), ("v", 54.7604)]
    assert boxes[0]["where"] == "in alignment at lines 8876--8894"


def _describe(boxes: list[dict]) -> str:
    return "\n".join(f"{b['pt']:.0f}pt {b['where']}: {b['text'][:60]}" for b in boxes)


def test_no_line_runs_off_the_page(log):
    """No table, figure or code line is more than a few characters wider than the text."""
    wide = [b for b in overfull_boxes(log) if b["box"] == "h" and b["pt"] > HBOX_TOLERANCE_PT]
    assert not wide, (
        f"{len(wide)} overfull \\hbox over {HBOX_TOLERANCE_PT:.0f}pt in {LOG.name} "
        f"(lines of _build/latex/tex/book.tex):\n{_describe(wide)}"
    )


def test_no_page_runs_over_its_footer(log):
    """No table that cannot break across pages is taller than the page."""
    tall = [b for b in overfull_boxes(log) if b["box"] == "v" and b["pt"] > VBOX_TOLERANCE_PT]
    assert not tall, f"{len(tall)} overfull \\vbox in {LOG.name}:\n{_describe(tall)}"


def test_log_is_of_a_finished_run(log):
    """The checks above are not vacuous: the log is of a complete LaTeX run."""
    assert "Output written on" in log
