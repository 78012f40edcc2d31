"""Jupyter Book's command line, with the LaTeX edition in a directory of its own.

Jupyter Book 1 gives every builder the same Sphinx environment (``_build/.doctrees``) and the
same folder of notebook images (``_build/jupyter_execute``, next to the output directory).
The LaTeX builder changes a setting of that environment (``numfig_secnum_depth``), so HTML
and PDF builds invalidated each other, and they could not run side by side.  Here the LaTeX
builder writes to ``_build/latex/tex`` instead of ``_build/latex``: its environment
(``_build/latex/.doctrees``) and its images (``_build/latex/jupyter_execute``) are its own,
it reads the one execution cache (``_build/.jupyter_cache``), and ``make book`` runs the two
builds at once, one per core.  Everything else is Jupyter
Book's own command line (``jupyter-book build --help``).

Usage: python scripts/build_edition.py build . [options] --builder html|latex
"""

from __future__ import annotations

import sys
from pathlib import Path

import jupyter_book.sphinx
from jupyter_book.cli.main import main

_build_sphinx = jupyter_book.sphinx.build_sphinx
#: Where the LaTeX builder writes, under the directory Jupyter Book would have used.
LATEX_OUT = "tex"


def build_sphinx(sourcedir, outputdir, **kwargs):
    """Jupyter Book's Sphinx build, the LaTeX builder moved one directory down."""
    if kwargs.get("builder") == "latex":
        build = Path(outputdir).parent
        outputdir = Path(outputdir) / LATEX_OUT
        kwargs["doctreedir"] = outputdir.parent / ".doctrees"
        # the one execution cache (myst-nb's default is beside the output directory)
        cache = {"nb_execution_cache_path": str(build / ".jupyter_cache")}
        kwargs["confoverrides"] = {**(kwargs.get("confoverrides") or {}), **cache}
    return _build_sphinx(sourcedir, outputdir, **kwargs)


jupyter_book.sphinx.build_sphinx = build_sphinx  # read by the build command when it runs

if __name__ == "__main__":
    sys.exit(main())
