# Two entry points: `make serve` runs the dashboard on the bundled dataset, `make test` runs the
# tests. Both create the virtual environment and install what they need on first use.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8050

.PHONY: serve test test-busy lint format bench system-deps-browser system-deps-all

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

system-deps-browser:
	@scripts/install-system-deps.sh browser

system-deps-all:
	@scripts/install-system-deps.sh all

serve: $(STAMP) system-deps-browser
	$(BIN)/quartiersatlas serve --host $(HOST) --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: $(STAMP) system-deps-all lint
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/coverage.py

# The browser and PostGIS suites 5 times in a row while two busy loops take the CPU (a shared
# CI runner); the loops are stopped however the run ends. BUSY_RUNS=1 for a single round.
BUSY_RUNS ?= 5
test-busy: $(STAMP) system-deps-all
	@set -e; \
	yes > /dev/null & busy1=$$!; yes > /dev/null & busy2=$$!; \
	trap 'kill $$busy1 $$busy2 2>/dev/null' EXIT INT TERM; \
	for run in $$(seq 1 $(BUSY_RUNS)); do \
	  echo "== busy run $$run of $(BUSY_RUNS)"; \
	  $(BIN)/pytest -p no:cacheprovider -q tests/dashboard/browser tests/store; \
	done
