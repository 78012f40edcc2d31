"""The data contract's command line: ``make check-data``, ``python -m analysis.data.contract``.

Checks the tables the book reads (or those named by the options) and prints every problem;
exit status 1 if the tables break the contract.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis import config  # noqa: E402
from analysis.data.contract import (  # noqa: E402
    MAX_PER_RULE,
    ContractError,
    ContractWarning,
    display_path,
    rules_table,
    validate_tables,
)
from analysis.data.dictionary import data_dictionary, load, message  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    """Check the tables the book reads; exit 1 on problems."""
    parser = argparse.ArgumentParser("python -m analysis.data.contract", description=__doc__)
    for option, text in load()["options"].items():
        kw = {"action": "store_true"} if option in ("rules", "dictionary") else {}
        parser.add_argument(f"--{option}", help=text, **kw)
    args = parser.parse_args(argv)
    with pd.option_context("display.width", 250, "display.max_colwidth", 90):
        for table in ("cohort", "adverse_events") if args.dictionary else ():
            print(f"{table}:\n{data_dictionary(table).iloc[:, :6].to_string(index=False)}\n")
        print(rules_table().to_string(index=False) if args.rules else "", end="")
    if args.rules or args.dictionary:
        return 0
    adam_dir = args.adam or (None if args.cohort else config.adam_dir())
    cohort_path = adam_dir or args.cohort or config.cohort_path()
    ae_path = args.aes or (None if adam_dir else config.adverse_events_path())
    most = int(args.max_per_rule or MAX_PER_RULE)
    kw = dict(column_map=args.map or config.column_map_path(), max_per_rule=most)
    cohort = ae = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ContractWarning)
        try:
            cohort, ae = validate_tables(cohort_path, ae_path, **kw)
        except ContractError as exc:
            n, problems = len(exc.problems), "".join(f"\n- {p}" for p in exc.problems)
            print(message("cli_header", n=n, s="s" * (n != 1)) + problems)
            hint = "is not a patient_id of the cohort" in problems and not args.aes
            print(
                message("cli_hint") + "\n" if hint and not os.environ.get("BOOK_AES") else "",
                end="",
            )
            print(message("cli_footer"))
    for w in [w for w in caught if w.category is ContractWarning]:
        print(f"warning: {w.message}")
    if cohort is None:
        return 1
    m, ae_label = (0, cohort_path) if ae is None else (len(ae), ae_path or cohort_path)
    print(
        message(
            "cli_ok",
            cohort=display_path(cohort_path),
            n=len(cohort),
            ae=display_path(ae_label),
            m=m,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
