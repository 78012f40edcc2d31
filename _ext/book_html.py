"""Local Sphinx extension: two fixes to the HTML that Jupyter Book 1 produces.

* sphinx-thebe adds its configuration script twice, so every page logs
  "Identifier 'THEBE_JS_URL' has already been declared"; identical scripts are kept once.
* pydata-sphinx-theme logs "Got invalid theme mode" on a first visit because the page's
  default colour mode is empty; it becomes ``light`` (readers can still switch).

And one fix to incremental PDF builds:

* Jupyter Book's LaTeX support sets ``numfig_secnum_depth`` to 2 when the builder starts,
  after Sphinx has compared the configuration with the saved environment; the saved value
  then never matches and every PDF build re-read every chapter. Setting it as soon as the
  configuration is read (LaTeX builds only) keeps the environment valid.

Registered in ``_config.yml`` under ``sphinx.local_extensions``.
"""

from __future__ import annotations

from pathlib import Path


def _page_context(app, pagename, templatename, context, doctree):
    if not context.get("default_mode"):
        context["default_mode"] = "light"
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, kept = set(), []
    for js in scripts:
        attributes = getattr(js, "attributes", {}) or {}
        key = (str(getattr(js, "filename", None) or ""), tuple(sorted(attributes.items())))
        if key not in seen:
            seen.add(key)
            kept.append(js)
    scripts[:] = kept


def _latex_numbering(app, config):
    # the builder is not known yet at config-inited; LaTeX goes to _build/latex/tex
    # (scripts/build_edition.py), or _build/latex when Jupyter Book is called directly
    if "latex" in Path(app.outdir).parts[-2:]:
        config.numfig_secnum_depth = 2  # the value sphinx-jupyterbook-latex sets for parts


def setup(app):
    app.connect("config-inited", _latex_numbering)
    # late priority: after the themes and sphinx-thebe have filled the context
    app.connect("html-page-context", _page_context, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
