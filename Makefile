# unilink — the two commands of the README are `make run` and `make test`.
#
#   make run    venv + install + migrate + seed on first start + serve on $(HOST):$(PORT)
#   make test   install what the tests need + ruff + the whole suite (FAST=1 skips slow lab/browser tests)
#   make bench  every bench/*.py; each prints one JSON object of figures as its last line
#
# No database server is needed: the default database is the SQLite file ./var/unilink.db.
# UNILINK_DATABASE_URL=postgresql+psycopg://USER@HOST:PORT/DB selects PostgreSQL instead.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
# FAST=1 skips the slow lab and browser tests (CI runs everything).
PYTEST_FLAGS ?= $(if $(FAST),-m "not slow",)
# Portal tests drive the Debian chromium (/usr/bin/chromium): never download Playwright's own browsers.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1

.PHONY: run test bench lint install db seed clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "unilink needs Python >= 3.11: make PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstall only when the dependencies change (the stamp is newer than pyproject.toml otherwise).
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

db: install
	$(BIN)/unilink db upgrade

seed: db
	$(BIN)/unilink seed --if-empty

run: seed
	$(BIN)/unilink serve --host $(HOST) --port $(PORT)

test: install
	$(BIN)/ruff check src tests bench
	$(BIN)/python -m pytest $(PYTEST_FLAGS)

bench: install
	@set -e; for script in bench/bench_*.py; do \
	  [ -e "$$script" ] || { echo "no benchmarks in bench/"; break; }; \
	  echo "== $$script"; $(BIN)/python "$$script"; \
	done

lint: install
	$(BIN)/ruff check src tests bench

clean:
	rm -rf var .pytest_cache build *.egg-info src/*.egg-info
