# Two commands do everything on a fresh machine: `make reproduce` (the pipeline, to the report) and
# `make test` (the test suite, as CI runs it). Both create the virtual environment first when it is missing.
# `make test-fast` is the edit-test loop: the tests not marked slow (real pipelines) or slurm (a cluster).

PYTHON ?= python3
VENV ?= .venv
CORES ?= all
SNAKEMAKE_ARGS ?=
BIN := $(VENV)/bin

.PHONY: reproduce test test-fast lint env clean-results

# The environment is rebuilt when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade --quiet pip
	$(BIN)/pip install --quiet -e ".[dev,slurm]"
	touch $@

env: $(VENV)/.installed

reproduce: $(VENV)/.installed
	$(BIN)/snakemake --cores $(CORES) $(SNAKEMAKE_ARGS)

test: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/snakefmt --check Snakefile workflow
	$(BIN)/python -m pytest

test-fast: $(VENV)/.installed
	$(BIN)/python -m pytest -q -m "not slow and not slurm" -n auto

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/snakefmt --check Snakefile workflow
	$(BIN)/snakemake --lint

clean-results:
	rm -rf results/smoke results/quick
