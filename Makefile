# `make run` and `make test` each set up .venv on a fresh machine, then do their job.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench params viz screenshot clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/gridvalue run baseline

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n auto --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_loads.py
	$(BIN)/python benchmarks/bench_year.py
	$(BIN)/python benchmarks/bench_choice.py
	$(BIN)/python benchmarks/bench_scale.py

viz: $(STAMP)
	$(BIN)/gridvalue viz

screenshot: $(STAMP)
	$(BIN)/python -m gridvalue.viz.browser docs/screenshot.png

params: $(STAMP)
	$(BIN)/gridvalue params > docs/parameters.md

clean:
	rm -rf $(VENV) runs .pytest_cache .ruff_cache
