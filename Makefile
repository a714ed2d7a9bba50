# `make run` and `make test` each set up .venv on a fresh machine, then do their job.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-fast docs docs-ref validate lint bench params viz screenshot clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

# the baseline and a portfolio of services, paired (same seed), in a town of 800 households
# and 100 enterprises over a year: well under a minute on 2 cores (docs/reports.md)
RUN_TOWN := --set population.households=800 --set population.enterprises=100 \
	--set population.microgrids=2
run: $(STAMP)
	$(BIN)/python -m gridvalue.experiments.showcase $(RUN_TOWN)

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n auto --dist loadfile
	d=$$(mktemp -d) && NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet --site-dir "$$d"; s=$$?; rm -rf "$$d"; exit $$s

# the quick loop: everything but the tests marked slow (make test still runs them all)
test-fast: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n auto --dist loadfile -m "not slow"

docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir .site

# the generated reference pages (tests check that they are current)
docs-ref: $(STAMP)
	$(BIN)/gridvalue params > docs/parameters.md
	$(BIN)/python -m gridvalue.experiments.cli_reference > docs/cli.md

validate: $(STAMP)
	$(BIN)/gridvalue validate --out docs/validation.md

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
	rm -rf $(VENV) runs .pytest_cache .ruff_cache .site
