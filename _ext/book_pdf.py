"""Local Sphinx extension: the book's PDF (LaTeX) without the website's furniture (issue 12).

* no code cells (the outputs stay);
* the root page is a titled, unnumbered chapter in the contents;
* the bibliography stays in the references chapter, in author-year form without labels
  (Sphinx would gather it into a second, labelled "Bibliography" at the end);
* lists of figures and tables with the captions' first sentences (``_latex/booklayout.sty``
  puts them after the contents);
* a title page with the commit, the build date, each cohort file with the prefix of its
  SHA-256 and, on the default cohort, the notice that the data are reconstructed, not the
  patients' records.

Registered in ``_config.yml`` under ``sphinx.local_extensions``.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from docutils import nodes
from reader_copy import first_sentence
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.writers.latex import LaTeXTranslator

ROOT = Path(__file__).resolve().parent.parent

# --------------------------------------------------------------------------- build stamp


#: Hex digits of a file's SHA-256 on the title page (``sha256sum`` prints all 64).
FINGERPRINT = 16


def _analysis_config():
    """``analysis/config.py`` alone: importing the package would load pandas and lifelines."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("_book_config", ROOT / "analysis" / "config.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build_stamp() -> dict[str, str]:
    """What the title page says about this build: commit, date, data files and fingerprints.

    Returns
    -------
    dict
        ``commit`` (short hash, "+ changes" when the work tree differs from it), ``date``
        (UTC, or ``SOURCE_DATE_EPOCH``), ``data`` (the cohort's files, relative to the
        repository when inside it, each with the first hex digits of its SHA-256: "path
        sha256:1a2b...", joined by ", ") and ``notice`` (the reconstruction notice on the
        default cohort, else "").
    """
    config = _analysis_config()

    def git(*args: str) -> str:
        out = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return out.stdout.strip() if out.returncode == 0 else ""

    commit = git("rev-parse", "--short=12", "HEAD") or "not a git checkout"
    if commit != "not a git checkout" and git("status", "--porcelain", "--untracked-files=no"):
        commit += " + uncommitted changes"
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    when = datetime.fromtimestamp(int(epoch), UTC) if epoch else datetime.now(UTC)
    adam = config.adam_dir()
    if adam is not None:
        files = sorted(p for p in adam.iterdir() if p.is_file())
    else:
        files = [
            Path(str(p).split("#")[0]) for p in (config.cohort_path(), config.adverse_events_path())
        ]
    files = [p for p in files if p.is_file()]

    def shown(path: Path) -> str:
        return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)

    return {
        "commit": commit,
        "date": when.strftime("%Y-%m-%d %H:%M UTC"),
        "data": ", ".join(
            f"{shown(p)} sha256:{hashlib.sha256(p.read_bytes()).hexdigest()[:FINGERPRINT]}"
            for p in files
        ),
        "notice": "The patient-level data are reconstructed, not the patients' records."
        if config.uses_reconstruction()
        else "",
    }


_TEX_SPECIALS = {c: "\\" + c for c in "&%$#_{}"} | {
    "\\": r"\textbackslash{}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}


def tex_escape(text: str) -> str:
    """``text`` with LaTeX's special characters escaped (Sphinx's escape needs its builder)."""
    return "".join(_TEX_SPECIALS.get(c, c) for c in text)


def title_page(title: str, author: str, stamp: dict[str, str]) -> str:
    """LaTeX of the title page; ``title`` and ``author`` are LaTeX already."""
    e = tex_escape
    notice = (
        r"\fbox{\parbox{0.8\linewidth}{\centering\large " + e(stamp["notice"]) + r"}}\par"
        if stamp["notice"]
        else ""
    )
    data = r"\\ ".join(r"\texttt{" + e(f) + "}" for f in stamp["data"].split(", "))
    rows = [
        ("Built", e(stamp["date"])),
        ("Commit", r"\texttt{" + e(stamp["commit"]) + "}"),
        ("Data", r"\begin{tabular}[t]{@{}l@{}}" + data + r"\end{tabular}"),
    ]
    table = "\n".join(rf"\textbf{{{k}}} & {v}\\[3pt]" for k, v in rows)
    return rf"""
\begin{{titlepage}}
\centering
\vspace*{{3cm}}
{{\sffamily\bfseries\Huge {title}\par}}
\vspace{{1.5cm}}
{{\Large {author}\par}}
\vspace{{2cm}}
{notice}
\vfill
{{\small\begin{{tabular}}{{@{{}}r l@{{}}}}
{table}
\end{{tabular}}\par}}
\vspace*{{1cm}}
\end{{titlepage}}
"""


# --------------------------------------------------------------------------- LaTeX


class DropCode(SphinxPostTransform):
    """No code cells in the PDF: only their outputs (figures, tables, notes) remain."""

    default_priority = 190
    formats = ("latex",)

    def run(self, **kwargs) -> None:
        for node in list(self.document.findall(nodes.container)):
            if node.get("nb_element") == "cell_code_source":
                node.parent.remove(node)


class IntroChapter(SphinxPostTransform):
    """The root page as a titled, unnumbered chapter of the contents, its headings as sections.

    Runs after sphinx-jupyterbook-latex, which drops the root page's title and sets its
    headings as bold lines (``RootHeader``).
    """

    default_priority = 710
    formats = ("latex",)

    def run(self, **kwargs) -> None:
        from sphinx_jupyterbook_latex.nodes import RootHeader

        root = self.app.config.root_doc
        if self.app.project.path2doc(self.document["source"]) != root:
            return
        title = tex_escape(self.env.titles[root].astext())
        for header in list(self.document.findall(RootHeader)):
            level = "section" if header["level"] <= 2 else "subsection"
            text = tex_escape(header.astext())
            header.replace_self(nodes.raw("", rf"\{level}*{{{text}}}" + "\n", format="latex"))
        section = next(iter(self.document.findall(nodes.section)), None)
        if section is None:
            return
        opening = (
            rf"\chapter*{{{title}}}\phantomsection\addcontentsline{{toc}}{{chapter}}"
            rf"{{{title}}}\markboth{{{title}}}{{{title}}}" + "\n"
        )
        index = 1 if section.children and isinstance(section[0], nodes.title) else 0
        section.insert(index, nodes.raw("", opening, format="latex"))


class SortBibliography(SphinxPostTransform):
    """Author-year references in alphabetical order of their text (first author, year).

    The alpha label style orders entries by label, which puts a corporate author such as
    "National Cancer Institute" (label "NationalCInstitute17") after "Zhou".
    """

    default_priority = 730

    def run(self, **kwargs) -> None:
        import unicodedata

        def key(citation: nodes.citation) -> str:
            text = " ".join(c.astext() for c in citation.children if not isinstance(c, nodes.label))
            return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()

        parents = {id(c.parent): c.parent for c in self.document.findall(nodes.citation)}
        for parent in parents.values():
            citations = [c for c in parent.children if isinstance(c, nodes.citation)]
            if len(citations) < 2:
                continue
            first = parent.index(citations[0])
            others = [c for c in parent.children if not isinstance(c, nodes.citation)]
            if parent.children[first : first + len(citations)] != citations:
                continue  # citations mixed with other content: leave them
            parent.children = others[:first] + sorted(citations, key=key) + others[first:]


#: Set inside a paragraph, this indents all its lines but the first (TeX reads it at the end).
HANGING = r"\hangindent=1.5em\hangafter=1\relax "


class BibliographyInPlace(SphinxPostTransform):
    """The references chapter keeps its entries, author-year, with hanging indents.

    Sphinx's LaTeX builder moves every citation to one labelled list at the end of the book
    (``BibliographyTransform``, priority 750), a second "Bibliography" with alpha labels
    beside the "References" chapter.  Each citation becomes a paragraph here, with the
    anchor ``cite.<doc>:<id>`` that sphinxcontrib-bibtex's in-text citations link to.
    """

    default_priority = 740
    formats = ("latex",)

    def run(self, **kwargs) -> None:
        for citation in list(self.document.findall(nodes.citation)):
            anchors = "".join(
                rf"\hypertarget{{cite.{citation['docname']}:{i}}}{{}}" for i in citation["ids"]
            )
            body = [c for c in citation.children if not isinstance(c, nodes.label)]
            para = nodes.paragraph(classes=["bibliography-entry"])
            para += nodes.raw("", r"\phantomsection" + anchors + HANGING, format="latex")
            for child in body:
                para.extend(child.children if isinstance(child, nodes.paragraph) else [child])
            citation.replace_self(para)


class Translator(LaTeXTranslator):
    """The title page; short captions (first sentences) in the lists of figures and tables."""

    def __init__(self, document, builder, theme) -> None:
        super().__init__(document, builder, theme)
        # title and author as the LaTeX template gets them (Jupyter Book fills them in late)
        self.elements["maketitle"] = title_page(
            self.elements["title"], self.elements["author"], build_stamp()
        )

    def visit_caption(self, node) -> None:
        super().visit_caption(node)
        if self.body and self.body[-1] == r"\caption{" and isinstance(node.parent, nodes.figure):
            self.body[-1] = r"\caption[" + self._short(node) + "]{"

    def depart_table(self, node) -> None:
        title = next((c for c in node.children if isinstance(c, nodes.title)), None)
        super().depart_table(node)
        if title is None:
            return
        short = self._short(title)
        for i in range(len(self.body) - 1, -1, -1):
            chunk = self.body[i]
            for command in (r"\caption{", r"\sphinxcaption{"):
                if command in chunk:
                    self.body[i] = chunk.replace(command, f"{command[:-1]}[{short}]{{", 1)
                    return

    def _short(self, node) -> str:
        return "{" + self.escape(first_sentence(node.astext(), 160)) + "}"


def setup(app):
    app.add_post_transform(DropCode)
    app.add_post_transform(IntroChapter)
    app.add_post_transform(SortBibliography)
    app.add_post_transform(BibliographyInPlace)
    app.set_translator("latex", Translator, override=True)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
