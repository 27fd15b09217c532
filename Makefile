# Two commands do everything on a fresh machine: `make reproduce` (the pipeline, to the report) and
# `make test` (the test suite). Both create the virtual environment first when it is missing.

PYTHON ?= python3
VENV ?= .venv
CORES ?= all
SNAKEMAKE_ARGS ?=
BIN := $(VENV)/bin

.PHONY: reproduce test lint env clean-results

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

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/snakefmt --check Snakefile workflow
	$(BIN)/snakemake --lint

clean-results:
	rm -rf results/smoke results/quick
