"""The pages around the results: the intro's headline (from the ledger); the methods' courses,
data and software; the appendix's dictionary, assumptions, timing rules and discrepancies."""

import platform
import sys
from importlib import metadata

import pandas as pd

from .. import config
from .. import format as fmt
from ..data import data_dictionary, load_adverse_events, load_cohort
from ..paper import compare, load_discrepancies, load_ledger, reconstruct
from .baseline import LAYOUT

#: The intro's headline results (ledger id: measure) and the software the methods list.
HEADLINE, SOFTWARE = LAYOUT["headline"], tuple(LAYOUT["software"])


def _plain(text) -> str:
    """Drop Markdown emphasis and code marks: the tables show text literally."""
    return str(text).replace("`", "").replace("*", "")


def _pct_ci(lower, upper) -> str:
    return fmt.ci(lower, upper, sep="% to ") + ("" if fmt.is_missing(lower) else "%")


def intro_texts(report: pd.DataFrame) -> dict[str, str]:
    """Glue-ready headline numbers (keys without ``intro_``) from ``compare(cohort, ae)``."""
    v = (r := report.set_index("id"))["value"]
    return {
        "paper_n": r.loc["n_patients", "printed"], "paper_os_mrd_p": r.loc["os_mrd_p", "printed"],
        "cr_k": fmt.number(v["cr_overt_n"], 0), "cr_n": fmt.number(v["n_overt"], 0),
        "cr_percent": fmt.number(v["cr_overt_pct"]) + "%",
        "cr_ci": _pct_ci(v["cr_overt_ci_lower"], v["cr_overt_ci_upper"]),
        "mrd_k": fmt.number(v["mrd_response_n"], 0), "mrd_n": fmt.number(v["n_patients"], 0),
        "mrd_percent": fmt.number(v["mrd_response_pct"]) + "%",
        "mrd_ci": _pct_ci(v["mrd_response_ci_lower"], v["mrd_response_ci_upper"]),
        "os_1y": fmt.estimate_se(v["os_1y"], v["os_1y_se"]),
        "rfs_1y": fmt.estimate_se(v["rfs_1y"], v["rfs_1y_se"]),
        "os_mrd_p": fmt.p_value(v["os_mrd_p"]),
    }  # fmt: skip


def headline(report: pd.DataFrame) -> pd.DataFrame:
    """The headline results of :data:`HEADLINE`: ``measure``, ``paper``, ``this book``."""
    rows = report.set_index("id").loc[list(HEADLINE)]
    return pd.DataFrame({"measure": list(HEADLINE.values()), "paper": rows["printed"].to_numpy(),
                         "this book": rows["recomputed"].to_numpy()})  # fmt: skip


def methods_texts(cohort: pd.DataFrame) -> dict[str, str]:
    """Glue-ready numbers of the methods chapter (keys without ``methods_``): the ledger, the
    reconstruction's reproduced entries, courses, seed, rules, assumptions and the choices
    behind the courses (``reading_*``), and the data."""
    chosen = reconstruct.assumptions_table().set_index("topic")["choice"]
    recon = compare(load_cohort(config.DEFAULT_COHORT),
                    load_adverse_events(config.DEFAULT_ADVERSE_EVENTS, validate=False))  # fmt: skip
    return {
        "n_ledger": str(len(load_ledger())), "n_reproduced": str(int(recon["reproduced"].sum())),
        "n_unchecked": str(len(load_ledger(unchecked=True)) - len(load_ledger())),
        "n_roles": str(len(reconstruct.ROLES)), "seed": str(reconstruct.DEFAULT_SEED),
        "n_rules": str(len(reconstruct.TIMING_RULES)),
        "n_assumptions": str(len(reconstruct.ASSUMPTIONS)),
        "n_patients": str(len(cohort)), "cohort_file": config.cohort_path().name,
        "is_reconstruction": "the reconstruction" if config.uses_reconstruction()
        else "a cohort supplied with BOOK_COHORT, not the reconstruction",
    } | {f"reading_{k}": _plain(chosen[t]) for k, t in LAYOUT["role_readings"].items()}  # fmt: skip


def roles() -> pd.DataFrame:
    """The courses the search places in time (:data:`analysis.paper.reconstruct.ROLES`)."""
    yes_no = {True: "yes", False: "no"}
    return pd.DataFrame([{
        "Course": r.key, "Blasts at start": "≥ 5%" if r.overt else "< 5%", "CR": yes_no[r.cr],
        "MRD response": yes_no[r.mrd_response], "Previous allo-HSCT": yes_no[r.prior_allo_hsct],
        "Cycles": str(r.cycles), "Course after blinatumomab": r.course,
    } for r in reconstruct.ROLES])  # fmt: skip


def software() -> pd.DataFrame:
    """Python and the versions of :data:`SOFTWARE` installed: ``Software``, ``Version``."""
    have = {d.metadata["Name"].lower().replace("_", "-"): d.version
            for d in metadata.distributions()}  # fmt: skip
    rows = [("Python", platform.python_version())]
    return pd.DataFrame(rows + [(n, have.get(n, "not installed")) for n in SOFTWARE],
                        columns=["Software", "Version"])  # fmt: skip


def platform_text() -> str:
    """Operating system, machine and Python implementation, e.g. "Linux x86_64; Python cpython"."""
    return f"{platform.system()} {platform.machine()}; Python {sys.implementation.name}"


def dictionary(table: str = "cohort") -> pd.DataFrame:
    """A data dictionary in three columns: ``Column``, ``Type and values``, ``Meaning``."""
    d = data_dictionary(table)
    values = d["type"] + d["unit"].map(lambda u: f" ({u})" * bool(u)) + ": " + d["allowed values"]
    return pd.DataFrame({"Column": d["column"], "Type and values": values, "Meaning": d["meaning"]})


def assumptions() -> pd.DataFrame:
    """The reconstruction's choices (``assumptions.yml``): ``Question``, ``Choice``,
    ``Reason`` and ``Alternative`` (what another reading would change)."""
    names = ["Question", "Choice", "Reason", "Alternative"]
    return reconstruct.assumptions_table().map(_plain).set_axis(names, axis=1)


def timing_rules() -> pd.DataFrame:
    """The clinical timing rules (``assumptions.yml``): ``Rule``, ``Constraint``."""
    rows = [tuple(map(_plain, r)) for r in reconstruct.TIMING_RULES]
    return pd.DataFrame(rows, columns=["Rule", "Constraint"])


def discrepancies() -> pd.DataFrame:
    """The paper's inconsistencies (``discrepancies.yml``): ``Where``, ``The paper says``,
    ``Problem``, ``Resolution``."""
    d = load_discrepancies()[["where", "statement", "finding", "resolution"]].map(_plain)
    return d.set_axis(["Where", "The paper says", "Problem", "Resolution"], axis=1)
