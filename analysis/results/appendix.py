"""The pages around the results: the intro's headline results (from the ledger), the methods'
courses, data and software, and the appendix's data dictionary, assumptions, timing rules and
discrepancies (from ``analysis/paper/*.yml``)."""

import platform
import sys
from importlib import metadata

import pandas as pd

from .. import config
from .. import format as fmt
from ..data import data_dictionary, load_adverse_events, load_cohort
from ..paper import compare, load_discrepancies, load_ledger, reconstruct

__all__ = ["HEADLINE", "SOFTWARE", "intro_texts", "headline", "methods_texts", "roles",
           "software", "platform_text", "dictionary", "assumptions", "timing_rules",
           "discrepancies"]  # fmt: skip

#: The intro's headline results: ledger id and measure.
HEADLINE = {
    "cr_overt_pct": "CR rate, overt disease, %",
    "cr_overt_ci_lower": "CR rate, 95% CI lower limit, %",
    "cr_overt_ci_upper": "CR rate, 95% CI upper limit, %",
    "mrd_response_pct": "MRD response rate, %",
    "mrd_response_ci_lower": "MRD response, 95% CI lower limit, %",
    "mrd_response_ci_upper": "MRD response, 95% CI upper limit, %",
    "os_1y": "1-year OS, %",
    "os_1y_se": "1-year OS, standard error, %",
    "rfs_1y": "1-year RFS (patients in CR), %",
    "rfs_1y_se": "1-year RFS, standard error, %",
    "os_mrd_p": "log-rank P, OS by MRD response",
}

#: Packages whose versions the methods chapter lists.
SOFTWARE = ("numpy", "pandas", "scipy", "statsmodels", "lifelines", "matplotlib", "seaborn",
            "jupyter-book", "myst-nb", "sphinx", "jupytext")  # fmt: skip


def _plain(text) -> str:
    """Drop Markdown emphasis and code marks: the tables show text literally."""
    return str(text).replace("`", "").replace("*", "")


def _pct_ci(lower, upper) -> str:
    return fmt.ci(lower, upper, sep="% to ") + ("" if fmt.is_missing(lower) else "%")


def intro_texts(report: pd.DataFrame) -> dict[str, str]:
    """Glue-ready headline numbers (keys without ``intro_``) from ``compare(cohort, ae)``."""
    r = report.set_index("id")
    v = r["value"]
    return {
        "paper_n": r.loc["n_patients", "printed"],
        "cr_k": fmt.number(v["cr_overt_n"], 0), "cr_n": fmt.number(v["n_overt"], 0),
        "cr_percent": fmt.number(v["cr_overt_pct"]) + "%",
        "cr_ci": _pct_ci(v["cr_overt_ci_lower"], v["cr_overt_ci_upper"]),
        "mrd_k": fmt.number(v["mrd_response_n"], 0), "mrd_n": fmt.number(v["n_patients"], 0),
        "mrd_percent": fmt.number(v["mrd_response_pct"]) + "%",
        "mrd_ci": _pct_ci(v["mrd_response_ci_lower"], v["mrd_response_ci_upper"]),
        "os_1y": fmt.estimate_se(v["os_1y"], v["os_1y_se"]),
        "rfs_1y": fmt.estimate_se(v["rfs_1y"], v["rfs_1y_se"]),
        "os_mrd_p": fmt.p_value(v["os_mrd_p"]),
        "n_ledger": str(len(r)), "n_reproduced": str(int(r["reproduced"].sum())),
    }  # fmt: skip


def headline(report: pd.DataFrame) -> pd.DataFrame:
    """The headline results of :data:`HEADLINE`: ``measure``, ``paper``, ``this book``."""
    rows = report.set_index("id").loc[list(HEADLINE)]
    return pd.DataFrame({"measure": list(HEADLINE.values()), "paper": rows["printed"].to_numpy(),
                         "this book": rows["recomputed"].to_numpy()})  # fmt: skip


def methods_texts(cohort: pd.DataFrame) -> dict[str, str]:
    """Glue-ready numbers of the methods chapter (keys without ``methods_``): the ledger, the
    reconstruction's reproduced entries, courses, seed, rules and assumptions, and the data."""
    recon = compare(load_cohort(config.DEFAULT_COHORT),
                    load_adverse_events(config.DEFAULT_ADVERSE_EVENTS, validate=False))  # fmt: skip
    return {
        "n_ledger": str(len(load_ledger())), "n_reproduced": str(int(recon["reproduced"].sum())),
        "n_roles": str(len(reconstruct.ROLES)), "seed": str(reconstruct.DEFAULT_SEED),
        "n_rules": str(len(reconstruct.TIMING_RULES)),
        "n_assumptions": str(len(reconstruct.ASSUMPTIONS)),
        "n_patients": str(len(cohort)), "cohort_file": config.cohort_path().name,
        "is_reconstruction": "the reconstruction" if config.uses_reconstruction()
        else "a cohort supplied with BOOK_COHORT, not the reconstruction",
    }  # fmt: skip


def roles() -> pd.DataFrame:
    """The courses the paper's text fixes (:data:`analysis.paper.reconstruct.ROLES`)."""
    yes_no = {True: "yes", False: "no"}
    return pd.DataFrame([{
        "Course": r.key, "Blasts at start": "≥ 5%" if r.overt else "< 5%", "CR": yes_no[r.cr],
        "MRD response": yes_no[r.mrd_response], "Previous allo-HSCT": yes_no[r.prior_allo_hsct],
        "Cycles": str(r.cycles), "Course after blinatumomab": r.course,
    } for r in reconstruct.ROLES])  # fmt: skip


def software() -> pd.DataFrame:
    """Python and the versions of :data:`SOFTWARE` installed: ``Software``, ``Version``."""

    def version(name):
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "not installed"

    rows = [("Python", platform.python_version())] + [(n, version(n)) for n in SOFTWARE]
    return pd.DataFrame(rows, columns=["Software", "Version"])


def platform_text() -> str:
    """Operating system, machine and Python implementation, e.g. "Linux x86_64; Python cpython"."""
    return f"{platform.system()} {platform.machine()}; Python {sys.implementation.name}"


def dictionary(table: str = "cohort") -> pd.DataFrame:
    """A data dictionary in three columns that fit a page: ``Column``, ``Type and values``,
    ``Meaning``."""
    d = data_dictionary(table)
    unit = d["unit"].map(lambda u: f" ({u})" if u else "")
    values = d["type"] + unit + ": " + d["allowed values"]
    return pd.DataFrame({"Column": d["column"], "Type and values": values, "Meaning": d["meaning"]})


def assumptions() -> pd.DataFrame:
    """The reconstruction's choices (``assumptions.yml``): ``Question``, ``Choice``, ``Reason``."""
    rows = [tuple(map(_plain, a)) for a in reconstruct.ASSUMPTIONS]
    return pd.DataFrame(rows, columns=["Question", "Choice", "Reason"])


def timing_rules() -> pd.DataFrame:
    """The clinical timing rules (``assumptions.yml``): ``Rule``, ``Constraint``."""
    rows = [tuple(map(_plain, r)) for r in reconstruct.TIMING_RULES]
    return pd.DataFrame(rows, columns=["Rule", "Constraint"])


def discrepancies() -> pd.DataFrame:
    """The paper's inconsistencies (``discrepancies.yml``): ``Where``, ``The paper says``,
    ``Problem``, ``Resolution``."""
    d = load_discrepancies()
    columns = {"where": "Where", "statement": "The paper says", "finding": "Problem",
               "resolution": "Resolution"}  # fmt: skip
    return d[list(columns)].map(_plain).rename(columns=columns)
