# The two commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
export SALESPULSE_DATA_DIR ?= $(CURDIR)/data
# Tests that sync CDR tables from MariaDB (127.0.0.1:3306, root) skip when it is down,
# unless REQUIRE_MARIADB=1 (.ci/run sets it, and starts the server).
# Test processes (pytest-xdist): the machines have two cores.
TEST_WORKERS ?= 2
# The PostgreSQL leg of the suite; empty to skip it.
TEST_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/postgres

.PHONY: demo test test-sqlite test-postgres lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

demo: $(VENV)/.installed
	$(BIN)/salespulse demo

test: $(VENV)/.installed-test lint test-sqlite test-postgres

lint: $(VENV)/.installed-test
	$(BIN)/ruff check salespulse tests bench
	$(BIN)/ruff format --check salespulse tests bench
	$(BIN)/salespulse makemigrations --check --dry-run

test-sqlite: $(VENV)/.installed-test
	SALESPULSE_DATA_DIR=$$(mktemp -d) DATABASE_URL= $(BIN)/pytest -n $(TEST_WORKERS)

test-postgres: $(VENV)/.installed-test
	@if [ -z "$(TEST_POSTGRES_URL)" ]; then echo "PostgreSQL leg skipped (TEST_POSTGRES_URL is empty)"; \
	elif ! $(BIN)/python -c "import psycopg,sys; psycopg.connect(sys.argv[1], connect_timeout=3).close()" "$(TEST_POSTGRES_URL)" 2>/dev/null; then \
		if [ -n "$$REQUIRE_POSTGRES" ]; then echo "PostgreSQL at $(TEST_POSTGRES_URL) is not reachable"; exit 1; fi; \
		echo "PostgreSQL leg skipped: $(TEST_POSTGRES_URL) is not reachable"; \
	else SALESPULSE_DATA_DIR=$$(mktemp -d) DATABASE_URL=$(TEST_POSTGRES_URL) $(BIN)/pytest -n $(TEST_WORKERS) -m "not browser"; fi

bench: $(VENV)/.installed-test
	$(BIN)/python bench/daily_loop.py
	$(BIN)/python bench/dashboard.py
	$(BIN)/python bench/source_sync.py

clean:
	rm -rf $(VENV) data
