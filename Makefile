# Two entry points: `make serve` runs the dashboard on the bundled dataset, `make test` runs the
# tests. Both create the virtual environment on first use; `serve` installs the runtime
# dependencies only, `test` (and lint, bench) add the test extra (reference libraries, PostGIS
# driver, gunicorn, browser testing).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
HOST   ?= 127.0.0.1
PORT   ?= 8050

.PHONY: serve test test-busy lint format bench screenshots system-deps-browser system-deps-all

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e .
	touch $(STAMP)

$(TEST_STAMP): $(STAMP)
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(TEST_STAMP)

system-deps-browser:
	@scripts/install-system-deps.sh browser

system-deps-all:
	@scripts/install-system-deps.sh all

serve: $(STAMP) system-deps-browser
	$(BIN)/quartiersatlas serve --host $(HOST) --port $(PORT)

lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(TEST_STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: $(TEST_STAMP) system-deps-all lint
	$(BIN)/pytest

bench: $(TEST_STAMP)
	$(BIN)/python benchmarks/coverage.py

# the README's pictures, taken by the browser tests (tests/dashboard/browser/test_screenshots.py)
screenshots: $(TEST_STAMP) system-deps-browser
	QUARTIERSATLAS_SCREENSHOTS=docs/screenshots $(BIN)/pytest tests/dashboard/browser/test_screenshots.py -q

# The browser and PostGIS suites 5 times in a row while two busy loops take the CPU (a shared
# CI runner); the loops are stopped however the run ends. BUSY_RUNS=1 for a single round.
BUSY_RUNS ?= 5
test-busy: $(TEST_STAMP) system-deps-all
	@set -e; \
	yes > /dev/null & busy1=$$!; yes > /dev/null & busy2=$$!; \
	trap 'kill $$busy1 $$busy2 2>/dev/null' EXIT INT TERM; \
	for run in $$(seq 1 $(BUSY_RUNS)); do \
	  echo "== busy run $$run of $(BUSY_RUNS)"; \
	  $(BIN)/pytest -p no:cacheprovider -q -m "browser or postgis"; \
	done
