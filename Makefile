# unilink — the two commands of the README are `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
# FAST=1 skips the slow lab and browser tests (CI runs everything).
PYTEST_FLAGS ?= $(if $(FAST),-m "not slow",)

.PHONY: run test bench lint install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstall only when the dependencies change.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

run: install
	mkdir -p var
	$(BIN)/unilink db upgrade
	$(BIN)/unilink seed --if-empty
	$(BIN)/unilink serve --host $(HOST) --port $(PORT)

test: install
	$(BIN)/ruff check src tests bench
	$(BIN)/python -m pytest $(PYTEST_FLAGS)

bench: install
	@set -e; for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script; done

lint: install
	$(BIN)/ruff check src tests bench

clean:
	rm -rf var .pytest_cache build *.egg-info src/*.egg-info
