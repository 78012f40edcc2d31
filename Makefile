# Build, test and lint the book. `make help` lists the targets.
# Setup is keyed on stamp files, so re-running any target only redoes what changed.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
JB := $(BIN)/jupyter-book  # (the build calls it through scripts/build_edition.py)
# -n nitpicky, -W warnings are errors, --keep-going report them all before failing.
JB_FLAGS ?= -n -W --keep-going
PYTEST_ARGS ?= -m "not long"
# Two pytest-xdist workers, each file's tests on one worker (its module fixtures built once).
PYTEST_JOBS ?= -n 2 --dist loadfile

APT_PACKAGES := texlive-latex-extra texlive-xetex latexmk texlive-fonts-recommended \
	fonts-freefont-otf chromium chromium-driver poppler-utils
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# `make book DATA=... AES=... MAP=...` builds the book on another cohort (DATA=file.xlsx#sheet
# picks a sheet; MAP=columns.yml maps a centre's headers and labels to the book's names);
# `make book ADAM=dir/` on ADaM datasets (ADSL, ADTTE, ADAE as .csv or .xpt). Paths are made
# absolute because the chapters execute with book/ as their working directory.
ifdef DATA
export BOOK_COHORT := $(abspath $(DATA))
endif
ifdef AES
export BOOK_AES := $(abspath $(AES))
endif
ifdef MAP
export BOOK_MAP := $(abspath $(MAP))
endif
ifdef ADAM
export BOOK_ADAM := $(abspath $(ADAM))
endif

SETUP_STAMP := $(VENV)/.stamp-setup

# Kernel configuration for executing chapters (quiets ipykernel's start-up warning).
export IPYTHONDIR := $(CURDIR)/config/ipython
# Figures and numbered tables save the data they show here ("source data", linked in the HTML).
export BOOK_SOURCE_DATA := $(CURDIR)/_build/source_data

# html and pdf share only the execution cache, which `execute` fills before either starts.

.PHONY: help setup check-data execute sphinx-html sphinx-pdf book html pdf test verify lint clean distclean bench-build lock reconstruct \
	reconstruct-check bench-reconstruct bench-scale
.PHONY: adam bench-book-scale test-long

help:
	@echo "make setup        Debian packages (if missing) and $(VENV) from requirements.txt"
	@echo "make book         HTML (_build/html/index.html) and PDF (_build/pdf/book.pdf)"
	@echo "                  options: DATA=cohort.csv (or .xlsx#sheet) AES=adverse_events.csv"
	@echo "                  MAP=columns.yml (a centre's headers -> the book's), or ADAM=dir/"
	@echo "make html | pdf   one of the two"
	@echo "make docx         Word edition: _build/docx/book.docx and one DOCX per results table"
	@echo "make lab          JupyterLab, chapters open as notebooks (DATA=... as for make book)"
	@echo "make notebook CHAPTER=survival  execute one chapter into _build/notebooks/survival.ipynb"
	@echo "                  (or: .venv/bin/jupytext --to ipynb --execute book/survival.md)"
	@echo "make test         pytest, two workers (PYTEST_ARGS='-m \"not slow\"', PYTEST_JOBS= etc.)"
	@echo "make test-long    the book and its chapters on other cohorts and layouts, JupyterLab (long)"
	@echo "make verify       re-execute every chapter, recompute every published number, compare"
	@echo "                  the figures' data with the previous run (after make book)"
	@echo "make lint         ruff check and ruff format --check"
	@echo "make bench-build  time a cold and a warm build (bench/results/)"
	@echo "make reconstruct  regenerate data/reconstructed/ (reconstruct-check: compare only)"
	@echo "make bench-reconstruct  time the reconstruction search for several seeds"
	@echo "make adam         the analysed cohort as CDISC ADaM (CSV, XPT, datapackage.json) in _build/adam"
	@echo "make bench-book-scale  time the cold HTML build of the book and of a 100,000-patient cohort"
	@echo "make lock         re-resolve requirements.in into requirements.txt + environment.yml"
	@echo "make clean        remove _build; make distclean also removes $(VENV) and stamps"

# --- setup ---------------------------------------------------------------------------------

.stamp-apt: Makefile
	@missing=""; \
	for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}\n' "$$p" 2>/dev/null | grep -q "install ok installed" \
	    || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "apt: installing$$missing"; \
	  $(SUDO) apt-get update; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing; \
	else \
	  echo "apt: all Debian packages present"; \
	fi
	@touch $@

$(SETUP_STAMP): requirements.txt pyproject.toml .stamp-apt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -r requirements.txt
	$(PY) -m pip install -e . --no-deps
	@touch $@

setup: $(SETUP_STAMP)

# --- book ----------------------------------------------------------------------------------

# The chapters run once per make run, then the HTML and LaTeX editions are built side by side
# (`make book`: one per core). scripts/build_edition.py is Jupyter Book's command line with the
# LaTeX edition in _build/latex/tex, so the two builds share nothing but the execution cache
# they read. `make html` or `make pdf` builds one edition.
LATEX_OUT := _build/latex/tex
JB_BUILD := $(PY) scripts/build_edition.py build . $(JB_FLAGS)

book: execute
	$(MAKE) --no-print-directory -j2 --output-sync=target sphinx-html sphinx-pdf
	@echo "HTML: _build/html/index.html   PDF: _build/pdf/book.pdf"

# The data contract, checked once per make run (a phony prerequisite of html and pdf): it stops
# the build before any chapter runs or anything in _build changes (BOOK_* set above).
check-data: $(SETUP_STAMP)
	$(PY) -m analysis.data.contract

# The analysed cohort as CDISC ADaM datasets (ADSL, ADTTE, ADAE as CSV and SAS transport, their
# dictionary and datapackage.json), after the contract; the appendix links them (html and pdf).
ADAM_OUT ?= _build/adam
adam: check-data
	$(PY) scripts/export_adam.py $(ADAM_OUT)

# Every chapter executed into the cache both editions read (two kernels at a time; the cache
# is cleared first if analysis/, data/, the lock or DATA/AES/MAP/ADAM changed).
execute: adam
	$(PY) scripts/book_inputs.py
	$(PY) scripts/execute_chapters.py

html: execute
	$(MAKE) --no-print-directory sphinx-html

pdf: execute
	$(MAKE) --no-print-directory sphinx-pdf

# The two Sphinx builds (after `execute`; not meant to be called directly).
sphinx-html:
	$(JB_BUILD) --builder html

sphinx-pdf:
	$(JB_BUILD) --builder latex
	# latexmk -silent: LaTeX's first-pass "undefined reference" chatter stays in
	# $(LATEX_OUT)/book.log (tests/test_latex_layout.py reads it); errors still stop the build.
	$(MAKE) --no-print-directory -C $(LATEX_OUT) all-pdf LATEXMKOPTS=-silent
	mkdir -p _build/pdf
	cp $(LATEX_OUT)/book.pdf _build/pdf/book.pdf.tmp && mv _build/pdf/book.pdf.tmp _build/pdf/book.pdf
	# the HTML's download menu links book.pdf (the HTML build copies it too, if it finishes last)
	if [ -d _build/html ]; then cp _build/pdf/book.pdf _build/html/book.pdf.tmp \
	  && mv _build/html/book.pdf.tmp _build/html/book.pdf; fi
	@echo "PDF: _build/pdf/book.pdf"

# --- the reader's copy ---------------------------------------------------------------------

.PHONY: docx lab notebook
LAB_ARGS ?=
CHAPTER ?=

# The Word edition, from the built HTML (pandoc), and the results tables from their source data
# (python-docx). Not part of `make book`.
docx: html
	$(PY) scripts/build_docx.py

# JupyterLab from the venv, offline (config/jupyter/); LAB_ARGS="--no-browser --port=8899" etc.
# Running a chapter there does not touch the build's source data (BOOK_SOURCE_DATA unset).
lab: check-data
	env -u BOOK_SOURCE_DATA $(BIN)/jupyter lab --config=config/jupyter/jupyter_lab_config.py \
	  $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

# One chapter executed in a fresh kernel of the venv, as `jupytext --to ipynb --execute` does;
# its figures and tables save their data in $(NOTEBOOKS)/source_data, not the build's.
NOTEBOOKS ?= _build/notebooks
notebook: check-data
	@test -f "book/$(CHAPTER).md" || { echo "usage: make notebook CHAPTER=<name of a file in book/, e.g. survival>"; exit 2; }
	mkdir -p $(NOTEBOOKS)
	BOOK_SOURCE_DATA=$(abspath $(NOTEBOOKS))/source_data $(BIN)/jupytext --to ipynb --execute \
	  --run-path book --output $(NOTEBOOKS)/$(CHAPTER).ipynb book/$(CHAPTER).md
	@echo "Notebook: $(NOTEBOOKS)/$(CHAPTER).ipynb (the data behind its figures and tables: $(NOTEBOOKS)/source_data/)"

# --- checks --------------------------------------------------------------------------------

# The suite includes tests of the rendered HTML (headless Chromium) and PDF, so the book is
# built first (the execution cache makes this quick when nothing changed); a missing build
# then fails those tests instead of skipping them.
# BOOK_SOURCE_DATA unset: chapters executed by the tests must not overwrite the build's CSVs.
test: book
	$(PY) scripts/build_docx.py  # the DOCX edition its tests read, from the HTML just built
	env -u BOOK_SOURCE_DATA BOOK_REQUIRE_BUILD=1 $(PY) -m pytest $(PYTEST_JOBS) $(PYTEST_ARGS)

test-long: $(SETUP_STAMP)
	env -u BOOK_SOURCE_DATA $(PY) -m pytest -m long

lint: $(SETUP_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench-build: $(SETUP_STAMP)
	$(PY) scripts/bench_build.py

# Re-execute every chapter from a clean state, recompute the ledger, compare the figures' data
# with the previous run (see analysis/verify.py). VERIFY_ARGS=--allow-differences for own data.
verify: $(SETUP_STAMP)
	$(PY) -m analysis.verify $(VERIFY_ARGS)

# Regenerate data/reconstructed/ from the seeded search (identical bytes for the same seed),
# and the robustness values of 20 other seeds (data/reconstructed/robustness.csv, used by
# the sensitivity chapter while the code they depend on is unchanged);
# `make reconstruct-check` only compares fresh results with the committed files.
reconstruct: $(SETUP_STAMP)
	$(PY) -m analysis.paper.reconstruct
	$(PY) scripts/robustness.py

reconstruct-check: $(SETUP_STAMP)
	$(PY) -m analysis.paper.reconstruct --check
	$(PY) scripts/robustness.py --check

bench-reconstruct: $(SETUP_STAMP)
	$(PY) scripts/bench_reconstruct.py

bench-scale: $(SETUP_STAMP)
	$(PY) scripts/bench_scale.py

bench-book-scale: $(SETUP_STAMP)
	$(PY) scripts/bench_book_scale.py

# Re-resolve requirements.in in a fresh venv (needs the package index).
lock:
	rm -rf .venv-lock
	$(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install -r requirements.in
	$(PYTHON) scripts/lock.py --venv .venv-lock
	rm -rf .venv-lock

clean:
	rm -rf _build

distclean: clean
	rm -rf $(VENV) .stamp-apt .pytest_cache .ruff_cache
