# One entry point per job; each bootstraps .venv from pyproject.toml when needed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# What is installed, each stamp newer than pyproject.toml when up to date: the base package (DuckDB, the
# dashboard: what serving needs), and everything (every backend and the test tools), which includes the base.
BASE_STAMP := $(VENV)/.installed-base
STAMP      := $(VENV)/.installed

.PHONY: install install-base test build serve bench soak sample clean chromium postgres java backends-doc

install: $(STAMP)

install-base: $(BASE_STAMP)

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required (set PYTHON=...)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Everything installed (an up-to-date full stamp) is the base installed too: then nothing more to install.
$(BASE_STAMP): pyproject.toml | $(BIN)/python
	[ $(STAMP) -nt pyproject.toml ] || $(BIN)/python -m pip install --quiet -e .
	@touch $(BASE_STAMP)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev,postgres,sqlite,datafusion,spark]'
	@touch $(STAMP)

# Debian's Chromium for the browser tests, installed when missing (never downloaded by Playwright).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq --no-install-recommends chromium; }

# Debian's PostgreSQL server binaries (the tests start a throwaway cluster), installed when no initdb is found.
postgres:
	@command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq --no-install-recommends postgresql; }

# A Java runtime for Spark (local mode), installed when missing.
java:
	@command -v java >/dev/null 2>&1 || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq --no-install-recommends openjdk-17-jre-headless; }

# Two test files at a time (one per core; each worker has its own fixtures): the suite waits on servers,
# browsers and subprocesses much of the time, so one process kept a 2-core machine 74% of one core busy.
test: install chromium postgres java
	$(BIN)/python -m pytest -n auto --maxprocesses 4 --dist loadfile

# docs/backends.md: the backend x feature matrix, written from the conformance suite's outcomes.
backends-doc: install postgres java
	$(BIN)/python -m pytest -p no:xdist tests/semantic/test_backends.py --capability-matrix docs/backends.md

serve: install-base
	$(BIN)/fintech serve --port 5006

build: install-base
	$(BIN)/fintech build

bench: install
	$(BIN)/python bench/run.py

# 20 browser tabs changing filters for 60 s (the short version is in `make test`): errors, p95, memory.
soak: install chromium
	$(BIN)/python bench/soak.py

# Regenerate the committed 1,000-row sample (deterministic: no diff unless the generator changed).
sample: install-base
	$(BIN)/fintech generate --rows 1000 --seed 42 --out data/raw/fintech_data.csv

clean:
	rm -rf $(VENV) data/warehouse bench/out
