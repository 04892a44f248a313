# The README's two commands: `make run` and `make test`. Everything else is a step of those.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HTMX := portal/static/vendor/htmx.min.js

.PHONY: install run test test-deps lint bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e .
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p portal/static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js $(HTMX)

run: install
	$(BIN)/tlsauth db upgrade
	$(BIN)/tlsauth demo --if-empty
	$(BIN)/tlsauth serve

test-deps: install
	$(BIN)/pip install --quiet -e '.[test]'
	bash scripts/ensure-chromium.sh

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

test: test-deps lint
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python bench/bench_portal.py
