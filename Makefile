# The README's two commands: `make run` and `make test`. Everything else is a step of those.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HTMX := portal/static/vendor/htmx.min.js

.PHONY: install run test test-deps lint bench coverage mutation

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

# Slow habits, not part of `make test` (docs/testing.md). Coverage runs on SQLite only.
COVERAGE_TESTS := tests/core tests/mock_services tests/services tests/web tests/api

coverage: test-deps
	env -u TLSAUTH_TEST_POSTGRES_URL $(BIN)/python -m pytest $(COVERAGE_TESTS) -q \
		--cov --cov-branch --cov-report=term:skip-covered --cov-report=html
	$(BIN)/coverage report --include='portal/core/*'
	$(BIN)/coverage report --include='mock_services/enforcement.py,mock_services/policy_cache.py'

# MUTANTS narrows the run, e.g. MUTANTS='portal.core.decision*'. Every mutant's status lands in
# mutants/results.txt; `mutmut show NAME` prints one diff. Findings go to docs/mutation.md.
MUTANTS ?=
mutation: test-deps
	$(BIN)/mutmut run $(MUTANTS)
	$(BIN)/mutmut results --all true > mutants/results.txt
	grep -c ': killed' mutants/results.txt || true
	grep -v ': killed' mutants/results.txt || true
