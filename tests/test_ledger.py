"""The ledger of published numbers: its entries against the paper, and what it pins.

Every expected value is the paper's: either stored once in ``analysis/paper/published.yml``
with the section and a verbatim anchor (checked against the paper's text below), or cited in
the test (Abstract, Results; Results, *Survival outcomes*; Results, *Adverse events*).
"""

import re
from decimal import Decimal

import pandas as pd
import pytest
import yaml

from analysis import config
from analysis.data import load_adverse_events, load_cohort
from analysis.paper.ledger import (
    NOT_RECORDED,
    chapter_report,
    compare,
    format_value,
    is_reproduced,
    load_ledger,
)

LEDGER = load_ledger(unchecked=True)
CHECKABLE = LEDGER[LEDGER["checkable"]]
PAPER = config.ROOT.parent / "shared" / "paper" / "study.txt"


@pytest.fixture(scope="module")
def tables():
    return load_cohort(config.DEFAULT_COHORT), load_adverse_events(config.DEFAULT_ADVERSE_EVENTS)


@pytest.fixture(scope="module")
def report(tables):
    return compare(*tables).set_index("id")


def _subset(ids) -> pd.DataFrame:
    return LEDGER[LEDGER["id"].isin(ids)]


# ---------------------------------------------------------------- the entries


def test_ledger_is_complete_and_well_formed():
    assert LEDGER["id"].is_unique
    toc = (config.ROOT / "_toc.yml").read_text()
    for chapter in LEDGER["chapter"].unique():
        assert f"book/{chapter}" in toc, chapter
    for row in LEDGER.itertuples():
        assert row.where.strip() and row.measure.strip()
        if row.kind == "value" and pd.isna(row.reads_as):
            decimals = len(row.printed.split(".")[1]) if "." in row.printed else 0
            assert decimals == row.decimals, f"{row.id}: printed {row.printed} vs {row.decimals}"


@pytest.mark.parametrize("entry_id", CHECKABLE["id"])
def test_every_published_number_is_reproduced(report, entry_id):
    row = report.loc[entry_id]
    assert row["reproduced"], f"{entry_id}: paper {row['printed']}, recomputed {row['recomputed']}"


def test_statements_the_tables_do_not_record_are_listed_as_not_checkable():
    """Results, Adverse events: "both resumed treatment", the dose "reduced from 28 μg/day
    (days 8-10) to 14 μg/day (days 11-28)", "discontinued treatment after 14 days of
    infusion"; Results, Treatment response: MRD negativity "after 1–2 cycles"."""
    unchecked = LEDGER[~LEDGER["checkable"]].set_index("id")
    assert set(unchecked.index) == {
        "interrupted_resumed",
        "dose_reduction_schedule",
        "days_to_discontinuation",
        "cycles_to_mrd_negativity",
    }
    assert unchecked["reason"].str.len().gt(40).all()
    assert unchecked["compute"].isna().all()


def test_compare_counts_checkable_entries_and_lists_the_others_apart(tables):
    full = compare(*tables, unchecked=True).set_index("id")
    default = compare(*tables)
    assert set(default["id"]) == set(CHECKABLE["id"])
    assert "not checkable" not in set(default["status"])
    unchecked = full[full["status"] == "not checkable"]
    assert set(unchecked.index) == set(LEDGER.loc[~LEDGER["checkable"], "id"])
    assert not unchecked["reproduced"].any()
    assert (unchecked["recomputed"] == NOT_RECORDED).all()
    assert (unchecked["note"].str.len() > 0).all()  # the reason


def test_chapter_report_statuses_follow_a_changed_grade(tables):
    """Abstract, Results: CRS "10 with grade 1–2 and 1 with grade 3"; Results, Adverse events:
    an interruption "due to grade 3 CRS". Regrading that CRS to 1 breaks exactly these three,
    and the statements the tables do not record stay "not checkable"."""
    cohort, ae = tables
    changed = ae.copy()
    crs3 = (changed["event"] == "cytokine release syndrome") & (changed["grade"] == 3)
    assert crs3.sum() == 1
    changed.loc[crs3, "grade"] = 1
    rep = chapter_report("safety", cohort, changed)
    assert list(rep.columns) == ["measure", "paper", "this cohort", "status", "where"]
    safety = LEDGER[LEDGER["chapter"] == "safety"]
    assert len(rep) == len(safety)
    status = dict(zip(safety["id"], rep["status"]))
    differs = {"n_crs_grade12", "n_crs_grade3", "n_interrupted_crs3"}
    unchecked = set(safety.loc[~safety["checkable"], "id"])
    assert {k for k, v in status.items() if v == "differs"} == differs
    assert {k for k, v in status.items() if v == "not checkable"} == unchecked
    assert {k for k, v in status.items() if v == "reproduced"} == set(status) - differs - unchecked
    recomputed = dict(zip(safety["id"], rep["this cohort"]))
    assert recomputed["n_crs_grade12"] == "11" and recomputed["n_crs_grade3"] == "0"


def test_format_and_match_rules():
    assert format_value(0.0235, "value", 3) == "0.024"  # half up, as printed
    # the book's one rounding rule (half up) and P-value style, in the "recomputed" column too
    assert format_value(16.25, "not_reached") == "16.3 months"
    assert format_value(0.0235, "not_significant") == "P = 0.024"
    assert format_value(0.0002, "significant") == "P < 0.001"
    assert is_reproduced(0.0234, "value", "0.023", 3)
    assert not is_reproduced(0.0236, "value", "0.023", 3)
    assert is_reproduced(float("nan"), "not_reached", "not reached")
    assert not is_reproduced(30.0, "not_reached", "not reached")
    assert is_reproduced(0.2, "not_significant", "not significant")
    assert not is_reproduced(0.04, "not_significant", "not significant")
    assert is_reproduced(0.04, "significant", "significant")
    # "both did not obtain CR" (Results, Treatment response) is compared as 0
    assert is_reproduced(0.0, "value", 0, 0) and not is_reproduced(1.0, "value", 0, 0)
    assert not is_reproduced(14.0, "not_checkable", "14 days")
    assert format_value(14.0, "not_checkable") == NOT_RECORDED


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda e: e.pop("anchor"), "lacks"),
        (lambda e: e.update(kind="not_checkable"), "reason"),
        (lambda e: e.update(printed="all"), "reads_as"),
        (lambda e: e.update(compute="nope"), "unknown metric"),
        (lambda e: e.update(kind="roughly"), "unknown kind"),
    ],
)
def test_load_ledger_rejects_malformed_entries(tmp_path, change, message):
    entry = {
        "id": "x", "chapter": "baseline", "measure": "m", "printed": "19", "kind": "value",
        "decimals": 0, "compute": "count", "args": {"flag": "all"},
        "where": "Results, Patient characteristics",
        "anchor": {"Results, Patient characteristics": "A total of 19 R/R B-ALL patients"},
    }  # fmt: skip
    path = tmp_path / "ledger.yml"
    path.write_text(yaml.safe_dump([entry]), encoding="utf-8")
    assert load_ledger(path)["id"].tolist() == ["x"]
    change(entry)
    path = tmp_path / "changed.yml"
    path.write_text(yaml.safe_dump([entry]), encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        load_ledger(path, unchecked=True)


# ---------------------------------------------------------------- the anchors and the paper

_WORDS = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
        "fifteen sixteen seventeen eighteen nineteen twenty".split()
    )
}
_WORDS |= {"both": 2, "another": 1}  # "both" of two patients; "another" (one more) patient
_ALL = "all"  # a count stated as the whole of a group: its value is the entry's reads_as
_NUMBER = re.compile(
    r"\d+(?:\.\d+)?|\b(?:"
    + "|".join(f"[{w[0].upper()}{w[0]}]{w[1:]}" for w in [*_WORDS, _ALL])
    + r")\b"
)  # digits and number words, in lower case or capitalised ("ALL", the leukaemia, is not one)

#: Numbers in the abstract and the Results that are not results, each with its reason.
#: Each pattern is context, not a bare number: it matches the words around the number.
EXCLUDED = [
    (r"(?:Tables?|Figures?)\s\d+[a-d]?(?:[–-][a-d])?", "figure and table numbers"),
    (r"95% ?(?:confidence interval|CI)", "the confidence level of an interval, not a result"),
    (r"[<>≥≤] ?5% (?:bone marrow )?blasts?", "the 5% marrow-blast threshold of overt disease"),
    (r"[<>≥≤] ?50%", "the 50% marrow-blast threshold of high tumour burden"),
    (r"\(≥ 0\.01%\)", "the MRD positivity threshold (Methods, Outcomes)"),
    (r"\(≤ 18 vs\. > 18 years\)", "the age threshold of a Table 3 subgroup"),
    (r"\(< 12 months vs\. ≥ 12 months\)", "the time-from-diagnosis threshold of Table 3"),
    (r"\b[Gg]rade \d(?:[–-]\d)?", "a grade: part of the event counted (grade_min, grade_max)"),
    (r"\b1-years?\b", "the horizon of a survival estimate (the entry's months: 12)"),
    (r"November 20\d\d", "the study period (Abstract, Methods), not a result"),
    (r"at least one AEs", "the definition of the patients counted (any adverse event)"),
    (r"\b(?:one|two|five) cycles?\b", "cycles defining a group counted, or timing a course"),
    (r"\bCD22\b", "the name of an antigen (a CD22 monoclonal antibody)"),
    (r"\bboth effective\b", "a conjunction (Abstract, Conclusion), not a count"),
    (r"rate of all patients", "the denominator of the MRD response rate, printed as 12/19"),
]


def _sections(text: str) -> dict[str, tuple[int, int]]:
    """Character spans of the paper's sections, named as the ledger's ``where`` names them.

    A heading is a short line without a final full stop or a "|" (captions have one). The
    abstract runs up to "Introduction"; Methods and Results are split by subsection heading,
    the Introduction and the Discussion by paragraph.
    """
    top_level = {"Background", "Methods", "Results", "Conclusion", "Introduction",
                 "Materials and methods", "Discussion"}  # fmt: skip
    spans, name, top, abstract, para, pos = {}, None, None, True, 0, 0
    for line in text.splitlines(keepends=True):
        start, pos = pos, pos + len(line)
        s = line.strip()
        if not s:
            continue
        if "|" not in s and not s.endswith(".") and len(s) < 60:  # a heading
            abstract = abstract and s != "Introduction"
            if s in top_level:
                top, para = s.replace("Materials and methods", "Methods"), 0
                name = f"Abstract, {s}" if abstract else top
            else:
                name = f"{top}, {s}"
            spans[name] = [start, pos]
        elif top in ("Introduction", "Discussion") and not abstract:
            para += 1
            name = f"{top}, paragraph {para}"
            spans[name] = [start, pos]
        else:
            spans[name][1] = pos
    return {k: tuple(v) for k, v in spans.items()}


def _where_sections(where: str) -> list[str]:
    return [re.sub(r"\s*\(.*\)$", "", part.strip()) for part in where.split(";")]


def _excerpts(anchor: dict):
    for section, excerpts in anchor.items():
        for excerpt in [excerpts] if isinstance(excerpts, str) else excerpts:
            yield section, excerpt


def _value(token: str):
    word = token.lower()
    if word == _ALL:
        return _ALL
    return Decimal(_WORDS[word]) if word in _WORDS else Decimal(token)


def _entry_values(entry) -> set:
    """The values an entry prints: its number and every number in its printed words."""
    values = {_value(m.group()) for m in _NUMBER.finditer(entry.printed)}
    number = entry.printed if pd.isna(entry.reads_as) else entry.reads_as
    try:
        values.add(Decimal(str(number)))
    except ArithmeticError:
        pass
    return values


@pytest.fixture(scope="module")
def paper():
    if not PAPER.exists():
        pytest.skip(
            f"the paper is not beside the repository ({PAPER}); CI checks it out as "
            "../shared, a fresh clone without it cannot check the anchors"
        )
    text = PAPER.read_text(encoding="utf-8")
    return text, _sections(text)


def test_the_paper_is_split_into_the_sections_the_ledger_names(paper):
    _, sections = paper
    named = {s for w in LEDGER["where"] for s in _where_sections(w)}
    assert named <= set(sections), named - set(sections)
    for heading in ("Patient characteristics", "Adverse events", "Survival outcomes",
                    "Treatment response and post-blinatumomab treatments"):  # fmt: skip
        assert f"Results, {heading}" in sections
    assert {"Abstract, Methods", "Abstract, Results", "Discussion, paragraph 4"} <= set(sections)


_CUES = {
    "not_significant": r"\b(?:no|not) significant(?:ly)?\b",
    "significant": r"\bsignificantly\b",
    "not_reached": r"\bnot reached\b",
}


@pytest.mark.parametrize("entry_id", LEDGER["id"])
def test_each_anchor_is_in_the_section_named_and_shows_the_printed_value(paper, entry_id):
    text, sections = paper
    entry = next(LEDGER[LEDGER["id"] == entry_id].itertuples())
    assert _where_sections(entry.where) == list(entry.anchor), "where and anchor disagree"
    number = entry.printed if pd.isna(entry.reads_as) else entry.reads_as
    for section, excerpt in _excerpts(entry.anchor):
        assert len(excerpt) <= 90, f"anchor too long: {excerpt!r}"
        start, end = sections[section]
        hits = [m.start() for m in re.finditer(re.escape(excerpt), text[start:end])]
        assert len(hits) == 1, f"{excerpt!r} found {len(hits)} times in {section}"
        if entry.kind in _CUES:
            assert re.search(_CUES[entry.kind], excerpt, re.I), excerpt
            if entry.kind == "significant":
                assert not re.search(_CUES["not_significant"], excerpt, re.I), excerpt
        elif entry.kind == "not_checkable" or not pd.isna(entry.reads_as):
            assert re.search(rf"(?<!\w){re.escape(entry.printed)}(?!\w)", excerpt, re.I), excerpt
        else:
            values = {_value(m.group()) for m in _NUMBER.finditer(excerpt)}
            assert Decimal(str(number)) in values, f"{number} not in {excerpt!r}"


def test_every_number_of_the_abstract_and_results_is_in_an_anchor_with_that_value(paper):
    """Each number printed in the abstract and the Results (digits and number words) lies
    inside the anchor of an entry whose value it is, or inside an excluded context."""
    text, sections = paper
    checked = {k: v for k, v in sections.items() if k.split(",")[0] in ("Abstract", "Results")}
    anchors = []  # (start, end, values of the entry)
    for entry in LEDGER.itertuples():
        values = _entry_values(entry)
        for section, excerpt in _excerpts(entry.anchor):
            if section in checked:
                start = text.index(excerpt, checked[section][0])
                anchors.append((start, start + len(excerpt), values))
    missing = []
    for section, (start, end) in checked.items():
        excluded = [m.span() for pattern, _ in EXCLUDED
                    for m in re.finditer(pattern, text[start:end])]  # fmt: skip
        for m in _NUMBER.finditer(text, start, end):
            a, b, value = m.start(), m.end(), _value(m.group())
            if any(s <= a and b <= e and value in values for s, e, values in anchors):
                continue
            if any(s <= a - start and b - start <= e for s, e in excluded):
                continue
            missing.append(f"{section}: {m.group()!r} in ...{text[a - 30 : b + 30]!r}...")
    assert not missing, "numbers without a ledger entry:\n" + "\n".join(missing)


def test_every_exclusion_is_used(paper):
    text, sections = paper
    checked = "".join(
        text[s:e] for k, (s, e) in sections.items() if k.split(",")[0] in ("Abstract", "Results")
    )
    for pattern, reason in EXCLUDED:
        assert reason and re.search(pattern, checked), pattern


# ---------------------------------------------------------------- what the ledger pins

# Columns whose every single-cell change moves a published number (shown below); the
# remaining columns hold choices the paper leaves open, which the regeneration test
# (tests/test_reconstruct.py) pins byte for byte.
PINNED_BY_LEDGER = [
    "sex", "ph_positive", "prior_allo_hsct", "prior_car_t", "mrd_positive_at_start", "cr",
    "mrd_response", "allo_hsct_after", "relapse", "os_event",
]  # fmt: skip


def _flip(df, i, column):
    out = df.copy()
    if column == "sex":
        out.at[i, column] = "female" if out.at[i, column] == "male" else "male"
    elif column == "os_event":
        out.at[i, column] = 1 - out.at[i, column]
    else:
        out.at[i, column] = not bool(out.at[i, column])
    return out


@pytest.mark.parametrize("column", PINNED_BY_LEDGER)
def test_ledger_detects_any_single_change(tables, column):
    cohort, ae = tables
    for i in range(len(cohort)):
        rep = compare(_flip(cohort, i, column), ae)
        assert not rep["reproduced"].all(), f"changing {column} of row {i} went unnoticed"


_OS = _subset(["os_1y", "os_1y_se", "followup_min", "followup_median", "followup_max"])


def test_moving_a_death_across_one_year_changes_the_1_year_os(tables):
    """Results, Survival outcomes: 1-year OS 64.2% ± 12.1%, seven deaths. With 19 patients
    these admit exactly six deaths before one year (BUILD-NOTES; audit, KM feasibility);
    moving any death to the other side of one year changes the 1-year OS."""
    cohort, ae = tables
    died = cohort.index[cohort["os_event"] == 1]
    assert len(died) == 7 and (cohort.loc[died, "os_months"] < 12).sum() == 6
    for i in died:
        moved = cohort.copy()
        moved.at[i, "os_months"] = 12.5 if cohort.at[i, "os_months"] < 12 else 11.5
        rep = compare(moved, ae, _OS).set_index("id")
        assert not rep.loc["os_1y", "reproduced"], cohort.at[i, "patient_id"]


@pytest.mark.parametrize(
    "entry_id, rank", [("followup_min", 0), ("followup_median", 9), ("followup_max", 18)]
)
def test_each_printed_follow_up_time_is_pinned(tables, entry_id, rank):
    """Results, Survival outcomes: "a median follow-up of 11.0 months (range: 1.7-28.5)", read
    as the median of the 19 observed times (an assumption, see the appendix): the shortest,
    the 10th and the longest time are each pinned to 0.1 month, and only by their entry."""
    cohort, ae = tables
    i = cohort["os_months"].sort_values(kind="stable").index[rank]
    for delta in (-0.1, 0.1):
        moved = cohort.copy()
        moved.at[i, "os_months"] = round(cohort.at[i, "os_months"] + delta, 1)
        rep = compare(moved, ae, _OS).set_index("id")
        followup = rep.loc[rep.index.str.startswith("followup"), "reproduced"].astype(bool)
        assert followup[~followup].index.tolist() == [entry_id]


def test_a_censoring_between_two_events_is_not_pinned(tables):
    """What the ledger does NOT pin: Kaplan-Meier estimates and log-rank tests depend on the
    order of the times only, so a censoring moved without passing any other time (and not
    across one year, nor the shortest, 10th or longest time) changes no published number.
    Those times are pinned by the committed tables instead (tests/test_reconstruct.py)."""
    cohort, ae = tables
    times = pd.concat([cohort["os_months"], cohort["rfs_months"]]).dropna().to_numpy()
    ranks = cohort["os_months"].rank(method="first").astype(int) - 1
    movable = cohort.index[(cohort["os_event"] == 0) & ~ranks.isin([0, 9, 18])]
    assert len(movable) == 10  # 12 alive (Results, Survival outcomes) less the 10th and longest
    for i in movable:
        t = cohort.at[i, "os_months"]
        new = (t + times[times < t].max()) / 2  # halfway to the previous time of any kind
        assert (new < 12) == (t < 12)
        moved = cohort.copy()
        moved.at[i, "os_months"] = new
        if moved.at[i, "cr"]:
            assert moved.at[i, "rfs_months"] == t  # censored for RFS at the same time
            moved.at[i, "rfs_months"] = new
        rep = compare(moved, ae)
        assert rep["reproduced"].all(), rep.loc[~rep["reproduced"], "id"].tolist()


_AE = LEDGER[LEDGER["compute"].isin(["ae_patients", "ae_patients_percent"])]


def _printed_class(event: str, grade: int):
    """The grades the paper prints together (Abstract, Results; Results, Adverse events): CRS
    "grade 1–2" as one class; no grade for bacterial sepsis; every other grade apart."""
    if event == "bacterial sepsis":
        return "any"
    if event == "cytokine release syndrome" and grade in (1, 2):
        return "1-2"
    return grade


def test_a_grade_change_is_detected_exactly_when_it_crosses_a_printed_class(tables):
    """A change within a class the paper prints together (CRS grade 1 <-> 2; any grade of
    sepsis) is NOT detected; any change across a printed class is. Only the adverse-event
    metrics read the adverse-event table, so only their entries are recomputed."""
    cohort, ae = tables
    seen = set()
    for i in range(len(ae)):
        event, grade = ae.at[i, "event"], int(ae.at[i, "grade"])
        for new in range(1, 6):
            if new == grade:
                continue
            changed = ae.copy()
            changed.at[i, "grade"] = new
            detected = not compare(cohort, changed, _AE)["reproduced"].all()
            crosses = _printed_class(event, new) != _printed_class(event, grade)
            assert detected == crosses, f"{ae.iloc[i].to_dict()} -> grade {new}"
            seen.add(crosses)
    assert seen == {True, False}  # both cases occur in the data


def test_only_adverse_event_entries_read_the_adverse_event_table(tables):
    """Why the grade test may recompute the adverse-event entries only."""
    cohort, ae = tables
    full = compare(cohort, ae).set_index("id")["value"]
    without = compare(cohort, None).set_index("id")["value"]
    reads_ae = full.index.isin(_AE["id"])
    assert without[reads_ae].isna().all() and full[reads_ae].notna().all()
    pd.testing.assert_series_equal(without[~reads_ae], full[~reads_ae])
