"""Local Sphinx extension: the reader's copy of the book in HTML (issue 12).

Every chapter page:

* every code cell is folded ("Show code cell source"), not only those tagged ``hide-input``;
* under every figure and numbered table, a link to the data it shows as CSV (the "source
  data" that ``analysis.display.save_source_data`` wrote under the label) and to the code
  that made it: the ``analysis`` functions the cell calls, shown as highlighted module pages
  (``_modules/analysis/...html``, generated here, anchored at the function);
* figures get their caption's first sentence as alt text instead of a hashed file name;
* at the end of the page, two lines on re-running the chapter in Jupyter and the downloads:
  the executed notebook (``.ipynb`` with outputs, from the execution cache), the chapter's
  source (``.md``) and the book's PDF; the theme's download menu offers the same three (its
  ".pdf" was a browser print);
* the role ``{build-download}`path``` links a file that a make step writes under
  ``_build/`` (e.g. ``adam/adsl.xpt`` for ``_build/adam/adsl.xpt``), copied into
  ``_downloads/``; ``build-finished`` copies the source data, the notebooks, ``_build/adam/``
  and ``_build/pdf/book.pdf``.

The PDF's layout is ``book_pdf.py``. Registered in ``_config.yml`` under
``sphinx.local_extensions``.
"""

from __future__ import annotations

import ast
import html
import importlib
import inspect
import os
import re
import shutil
from datetime import UTC
from functools import cache
from pathlib import Path

from docutils import nodes
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging
from sphinx.util.osutil import relative_uri

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "_build"
DOWNLOADS = "_downloads"
NOTEBOOKS = f"{DOWNLOADS}/notebooks"
SOURCE_DATA = f"{DOWNLOADS}/source_data"
PDF = "book.pdf"
MODULES = "_modules"
#: Directories that make steps fill and the HTML offers for download (``_build/<name>``).
BUILD_DOWNLOADS = ("adam",)
#: Modules that load, display or save rather than compute: not worth a code link.
NOT_PRODUCERS = ("analysis.display", "analysis.figures.theme", "analysis.config", "analysis.data")

logger = logging.getLogger(__name__)


# --------------------------------------------------------------------------- producing code


def _module_file(module: str) -> Path | None:
    base = ROOT.joinpath(*module.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


@cache
def _module_tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"))


def _imports(tree: ast.AST, module: str = "") -> dict[str, str]:
    """``{local name: "package.module" or "package.module:object"}`` of a tree's imports."""
    names: dict[str, str] = {}
    package = module if module.count(".") == 0 or _is_package(module) else module.rsplit(".", 1)[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            for alias in node.names:
                target = f"{base}.{alias.name}"
                names[alias.asname or alias.name] = (
                    target if _module_file(target) else f"{base}:{alias.name}"
                )
        elif isinstance(node, ast.Import):
            for alias in node.names:
                names[alias.asname or alias.name.split(".")[0]] = alias.name
    return names


def _is_package(module: str) -> bool:
    return (ROOT.joinpath(*module.split(".")) / "__init__.py").is_file()


def resolve(module: str, name: str, depth: int = 0) -> tuple[str, str, int] | None:
    """Where ``module.name`` is defined: (module, name, line), following re-exports."""
    path = _module_file(module)
    if path is None or depth > 5:
        return None
    tree = _module_tree(path)
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef) and node.name == name:
            return module, name, node.lineno
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                return module, name, node.lineno
    target = _imports(tree, module).get(name)
    if target and ":" in target:
        other, obj = target.split(":")
        return resolve(other, obj, depth + 1)
    try:  # a name the module provides when asked (the package's lazily imported loaders)
        obj = inspect.unwrap(getattr(importlib.import_module(module), name))
        return obj.__module__, obj.__qualname__, obj.__code__.co_firstlineno
    except (ImportError, AttributeError):
        return None


def _calls(tree: ast.AST, imports: dict[str, str]) -> list[tuple[str, str]]:
    """(module, name) of every call in ``tree`` to a function of the ``analysis`` package."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in imports:
            target = imports[func.id]
            if ":" in target:
                found.append(tuple(target.split(":")))
        elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            target = imports.get(func.value.id)
            if target and ":" not in target:
                found.append((target, func.attr))
    return [(m, n) for m, n in found if m.startswith("analysis")]


def _cell_tree(source: str) -> ast.AST | None:
    try:
        return ast.parse(
            "\n".join(
                line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))
            )
        )
    except SyntaxError:
        return None


def producers(source_path: Path) -> dict[str, list[tuple[str, str, int]]]:
    """``{label: [(module, function, line), ...]}`` for the figures and tables of a chapter.

    The cell that makes a label is the one whose figure metadata names it, or else the one
    whose code contains it as a string; its calls into ``analysis`` (and those that made the
    variables it reads, one cell back) are the producing code.
    """
    import jupytext

    cells = [c for c in jupytext.read(source_path).cells if c.cell_type == "code"]
    trees = [_cell_tree(c.source) for c in cells]
    imports: dict[str, str] = {}
    for tree in trees:
        if tree is not None:
            imports.update(_imports(tree))
    assigned: dict[str, list[tuple[str, str]]] = {}
    result: dict[str, list[tuple[str, str, int]]] = {}
    for cell, tree in zip(cells, trees, strict=True):
        if tree is None:
            continue
        figure = (cell.metadata.get("mystnb") or {}).get("figure") or {}
        labels = {figure["name"]} if figure.get("name") else set()
        labels |= {
            n.value
            for n in ast.walk(tree)
            if isinstance(n, ast.Constant)
            and isinstance(n.value, str)
            and re.fullmatch(r"(fig|tbl)-[\w-]+", n.value)
        }
        calls = _calls(tree, imports)
        reads = dict.fromkeys(  # in the order of the code, not of a set: the same page each build
            n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
        )
        for name in reads:
            calls += assigned.get(name, [])
        refs = []
        for module, name in dict.fromkeys(calls):
            where = resolve(module, name)
            if where and not where[0].startswith(NOT_PRODUCERS) and where not in refs:
                refs.append(where)
        for label in labels:
            result[label.lower()] = refs
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        assigned[target.id] = _calls(node.value, imports)
    return result


# --------------------------------------------------------------------------- HTML transforms


def first_sentence(text: str, limit: int = 250) -> str:
    text = " ".join(text.split())
    match = re.search(r"(?<![A-Z]\.)(?<!\be\.g)(?<!\bi\.e)\.\s+(?=[A-Z(])", text)
    first = text[: match.start() + 1] if match else text
    return first if len(first) <= limit else first[: limit - 1].rstrip() + "…"


class FoldCode(SphinxPostTransform):
    """Fold every code cell's source in the HTML, as ``hide-input`` does."""

    default_priority = 190  # before myst-nb's HideInputCells (199)
    formats = ("html",)

    def run(self, **kwargs) -> None:
        config = self.env.mystnb_config
        for node in self.document.findall(nodes.container):
            if (
                node.get("nb_element") == "cell_code"
                and not node.get("hide_mode")
                and node.children
                and node.children[0].get("nb_element") == "cell_code_source"
            ):
                node["hide_mode"] = "input"
                node["prompt_show"] = config.code_prompt_show
                node["prompt_hide"] = config.code_prompt_hide
                node["classes"].append("tag_hide-input")


def _link(text: str, uri: str, *, download: bool = False, literal: bool = True) -> nodes.Node:
    inner = nodes.literal(text, text) if literal else nodes.Text(text)
    ref = nodes.reference("", "", inner, refuri=uri, internal=False)
    if download:
        ref["classes"].append("download")
    return ref


class ReaderLinks(SphinxPostTransform):
    """Source data, producing code and alt text under every figure and numbered table."""

    default_priority = 800
    formats = ("html",)

    def run(self, **kwargs) -> None:
        app, docname = self.app, self.env.docname
        here = app.builder.get_target_uri(docname)
        data = _source_data(app)
        code = _producers_of(app, docname)
        for node in list(
            self.document.findall(lambda n: isinstance(n, nodes.figure | nodes.table))
        ):
            labels = [i for i in node["ids"] if i.startswith(("fig-", "tbl-"))]
            if isinstance(node, nodes.figure):
                caption = next(iter(node.findall(nodes.caption)), None)
                for image in node.findall(nodes.image):
                    if caption is not None:
                        image["alt"] = first_sentence(caption.astext())
            if not labels:
                continue
            label = labels[0]
            csv = data.get(label)
            if csv is None:
                if isinstance(node, nodes.table) or any(node.findall(nodes.image)):
                    logger.warning(
                        f"{label} has no source data ({label}.csv): figures pass name= to the "
                        "figure function, tables are analysis.display.NumberedTable",
                        location=node,
                        type="reader_copy",
                        subtype="source_data",
                    )
                continue
            para = nodes.paragraph(classes=["source-data"])
            uri = relative_uri(here, f"{SOURCE_DATA}/{csv.name}")
            para += [nodes.Text("Data: "), _link(csv.name, uri, download=True)]
            refs = code.get(label, [])
            if refs:
                para += nodes.Text(" · Code: ")
                for i, (module, name, line) in enumerate(refs):
                    page = f"{MODULES}/{module.replace('.', '/')}.html"
                    if i:
                        para += nodes.Text(", ")
                    para += _link(f"{module}.{name}", f"{relative_uri(here, page)}#L-{line}")
            node.parent.insert(node.parent.index(node) + 1, para)
        if _has_code(self.env, docname) or docname == app.config.root_doc:
            self._rerun_box(docname, here)

    def _rerun_box(self, docname: str, here: str) -> None:
        sections = [s for s in self.document.children if isinstance(s, nodes.section)]
        if not sections:
            return
        stem = Path(docname).name
        has_code = _has_code(self.env, docname)
        box = nodes.container(classes=["reader-copy"])
        if has_code:
            box += nodes.paragraph(
                "",
                "",
                nodes.strong("", "Re-run this chapter in Jupyter: "),
                nodes.Text("in a clone of the repository, "),
                nodes.literal("", "make lab"),
                nodes.Text(f" opens it as a notebook ({docname}.md) and "),
                nodes.literal("", f"make notebook CHAPTER={stem}"),
                nodes.Text(" executes it into "),
                nodes.literal("", f"_build/notebooks/{stem}.ipynb"),
                nodes.Text("."),
            )
            box += nodes.paragraph(
                "",
                "",
                nodes.Text("Add "),
                nodes.literal("", "DATA=cohort.csv AES=adverse_events.csv"),
                nodes.Text(" to either command to run it on your own cohort (see the README)."),
            )
        downloads = nodes.paragraph("", "", nodes.strong("", "Downloads: "))
        if has_code:
            notebook = relative_uri(here, f"{NOTEBOOKS}/{stem}.ipynb")
            downloads += [
                _link(f"{stem}.ipynb", notebook, download=True),
                nodes.Text(" (executed notebook) · "),
            ]
        source = relative_uri(here, f"_sources/{docname}.md")
        downloads += [
            _link(f"{stem}.md", source, download=True),
            nodes.Text(" (chapter source) · "),
            _link(PDF, relative_uri(here, PDF), download=True),
            nodes.Text(" (the whole book)"),
        ]
        box += downloads
        sections[0] += box


def _has_code(env, docname: str) -> bool:
    path = Path(env.doc2path(docname))
    head = path.read_text(encoding="utf-8").split("\n---", 1)[0] if path.is_file() else ""
    return "kernelspec:" in head


def _source_data(app) -> dict[str, Path]:
    """``{lower-case label: CSV}`` of the build's source data (ids are lower case)."""
    if not hasattr(app, "_reader_source_data"):
        folder = Path(os.environ.get("BOOK_SOURCE_DATA") or BUILD / "source_data")
        files = sorted(folder.glob("*.csv")) if folder.is_dir() else []
        app._reader_source_data = {p.stem.lower(): p for p in files}
    return app._reader_source_data


def _producers_of(app, docname: str) -> dict[str, list[tuple[str, str, int]]]:
    found = getattr(app, "_reader_producers", None)
    if found is None:
        found = app._reader_producers = {}
    if docname not in found:
        path = Path(app.env.doc2path(docname))
        found[docname] = producers(path) if _has_code(app.env, docname) else {}
    return found[docname]


def _download_menu(app, pagename, templatename, context, doctree) -> None:
    """The theme's download menu: executed notebook, source and the book's PDF."""
    buttons = context.get("header_buttons") or []
    for group in buttons:
        if group.get("label") != "download-buttons":
            continue
        pathto = context["pathto"]
        kept = [b for b in group["buttons"] if b.get("label") == "download-source-button"]
        if doctree is not None and _has_code(app.env, pagename):
            stem = Path(pagename).name
            kept.insert(
                0,
                {
                    "type": "link",
                    "url": pathto(f"{NOTEBOOKS}/{stem}.ipynb", 1),
                    "text": ".ipynb",
                    "icon": "fas fa-code",
                    "label": "download-notebook-button",
                    "tooltip": "Executed notebook",
                },
            )
        kept.append(
            {
                "type": "link",
                "url": pathto(PDF, 1),
                "text": ".pdf",
                "icon": "fas fa-file-pdf",
                "label": "download-pdf-button",
                "tooltip": "The whole book as PDF",
            }
        )
        group["buttons"] = kept


def _module_pages(app):
    """Highlighted source of every module a code link points at (``_modules/...``)."""
    if app.builder.format != "html" or app.builder.name == "singlehtml":
        return
    from pygments import highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import PythonLexer

    modules = set()
    for docname in sorted(app.env.found_docs):
        for refs in _producers_of(app, docname).values():
            modules.update(module for module, _, _ in refs)
    formatter = HtmlFormatter(lineanchors="L", linenos="inline", anchorlinenos=True)
    for module in sorted(modules):
        path = _module_file(module)
        name = str(path.relative_to(ROOT))
        body = (
            f"<h1>{html.escape(name)}</h1>\n<p>Module <code>{module}</code> of the book's "
            "<code>analysis</code> package, as built.</p>\n"
            + highlight(path.read_text(encoding="utf-8"), PythonLexer(), formatter)
        )
        yield f"{MODULES}/{module.replace('.', '/')}", {"title": name, "body": body}, "page.html"


def _copy_if_newer(source: Path, target: Path) -> None:
    if target.exists() and target.stat().st_mtime >= source.stat().st_mtime:
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source, target)


def _executed_notebooks(app, out: Path) -> None:
    """Each chapter as an ``.ipynb`` with the outputs of the build (from the execution cache)."""
    import jupytext
    import nbformat
    from jupyter_cache import get_cache

    cache_dir = Path(app.config.nb_execution_cache_path or BUILD / ".jupyter_cache")
    if not (cache_dir / "global.db").is_file():
        return
    cache_ = get_cache(str(cache_dir))
    for docname in sorted(app.env.found_docs):
        if not _has_code(app.env, docname):
            continue
        source = Path(app.env.doc2path(docname))
        target = out / NOTEBOOKS / f"{Path(docname).name}.ipynb"
        notebook = jupytext.read(source)
        try:
            record = cache_.match_cache_notebook(notebook)
        except KeyError:
            logger.warning(
                f"{docname} is not in the execution cache: no executed notebook",
                type="reader_copy",
                subtype="notebook",
            )
            continue
        created = record.created
        if created.tzinfo is None:  # jupyter-cache stores UTC without a zone
            created = created.replace(tzinfo=UTC)
        newest = max(source.stat().st_mtime, created.timestamp())
        if target.exists() and target.stat().st_mtime >= newest:
            continue
        _, notebook = cache_.merge_match_into_notebook(notebook)
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, target)


def _copy_downloads(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    out = Path(app.outdir)
    for csv in _source_data(app).values():
        _copy_if_newer(csv, out / SOURCE_DATA / csv.name)
    _executed_notebooks(app, out)
    for name in BUILD_DOWNLOADS:
        folder = BUILD / name
        if folder.is_dir():
            for path in folder.rglob("*"):
                if path.is_file():
                    _copy_if_newer(path, out / DOWNLOADS / path.relative_to(BUILD))
    if (BUILD / "pdf" / PDF).is_file():
        _copy_if_newer(BUILD / "pdf" / PDF, out / PDF)


def build_download_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    """``{build-download}`adam/adsl.xpt``` links ``_build/adam/adsl.xpt`` (HTML) or names it."""
    env = inliner.document.settings.env
    app = env.app
    path = text.strip()
    node = nodes.literal(path, Path(path).name)
    if app.builder.format != "html":
        return [node], []
    if not (BUILD / path).is_file():
        logger.warning(
            f"{{build-download}} {path}: no _build/{path} (run the make step that "
            "writes it before the HTML build)",
            location=(env.docname, lineno),
            type="reader_copy",
            subtype="download",
        )
    here = app.builder.get_target_uri(env.docname)
    ref = nodes.reference(
        rawtext,
        "",
        node,
        internal=False,
        refuri=relative_uri(here, f"{DOWNLOADS}/{path}"),
        classes=["download"],
    )
    return [ref], []


def setup(app):
    app.add_post_transform(FoldCode)
    app.add_post_transform(ReaderLinks)
    app.add_role("build-download", build_download_role)
    app.connect("html-page-context", _download_menu, priority=900)
    app.connect("html-collect-pages", _module_pages)
    app.connect("build-finished", _copy_downloads)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
