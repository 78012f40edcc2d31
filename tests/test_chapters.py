"""Every chapter of _toc.yml executes on the book's cohort, and its glue is complete.

In the book build a pasted glue key that was never glued, or a ``{glue:text}`` format spec
that does not apply, is only a warning (an error with ``-W``); executing the notebook alone
does not catch it, so it is checked here too.
"""

from __future__ import annotations

import pytest
from chapters import error_outputs, executed, glue_problems, toc_documents

pytestmark = [pytest.mark.chapters, pytest.mark.slow]


@pytest.mark.parametrize("doc", toc_documents())
def test_chapter_executes(doc):
    assert error_outputs(executed(doc)) == []


@pytest.mark.parametrize("doc", toc_documents())
def test_every_pasted_glue_key_is_glued(doc):
    assert glue_problems(executed(doc)) == []
