"""Local Sphinx extension: two fixes to the HTML that Jupyter Book 1 produces.

* sphinx-thebe adds its configuration script twice, so every page logs
  "Identifier 'THEBE_JS_URL' has already been declared"; identical scripts are kept once.
* pydata-sphinx-theme logs "Got invalid theme mode" on a first visit because the page's
  default colour mode is empty; it becomes ``light`` (readers can still switch).

Registered in ``_config.yml`` under ``sphinx.local_extensions``.
"""

from __future__ import annotations


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


def setup(app):
    # late priority: after the themes and sphinx-thebe have filled the context
    app.connect("html-page-context", _page_context, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
