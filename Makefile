# Everything runs from the project's own virtualenv, created on first use.
PYTHON_BIN ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
INVOICES ?= 2000

.PHONY: help venv demo seed migrate api lint test bench chaos screenshots extract clean

help:
	@echo "make demo     seed the demo data (if absent), report it, run the flows under a Prefect server (UI on 127.0.0.1:4200) and serve the API on 127.0.0.1:8000"
	@echo "make api      serve the API on 127.0.0.1:8000 (Ctrl-C stops it)"
	@echo "make lint     ruff (lint, format, import order), mypy, and the layering of the packages (import-linter)"
	@echo "make test     run the test suite (CI=true makes PostgreSQL/MariaDB tests mandatory)"
	@echo "make seed     regenerate the demo databases under var/ (INVOICES=$(INVOICES))"
	@echo "make migrate  upgrade the service's own tables (PROCESS_DB_URL) to the newest schema"
	@echo "make bench    run the benchmarks and print their figures"
	@echo "make screenshots  run the browser tests and save the README's screenshots of the pages under docs/screenshots"
	@echo "make extract FILES=\"a.pdf b.png\"  extract invoices from files offline: one JSON object per file"
	@echo "make chaos    run the fault scenarios (kill -9, database stop, overlapping polls, racing bots, late callbacks) on PostgreSQL and print the invariants' table"

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON_BIN) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

venv: $(VENV)/.installed

demo: venv
	@.ci/system-packages service
	$(PY) -m demo --if-absent --invoices $(INVOICES)
	$(PY) -m connectors.store upgrade
	$(PY) -m demo report
	$(PY) -m demo.supervisor

api: venv
	$(PY) -m connectors.store upgrade
	$(PY) -m api

seed: venv
	$(PY) -m demo --invoices $(INVOICES)

migrate: venv
	$(PY) -m connectors.store upgrade

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

test: venv
	$(PY) -m pytest -n auto -q

bench: venv
	$(PY) -m benchmarks

chaos: venv
	$(PY) -m chaos

screenshots: venv
	DOCS_SCREENSHOTS=docs/screenshots $(PY) -m pytest -q -m browser -p no:cacheprovider

extract: venv
	@$(PY) -m services.extract_cli $(FILES)

clean:
	rm -rf var/ .pytest_cache .hypothesis
