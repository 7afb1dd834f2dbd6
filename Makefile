# One entry point per job; each bootstraps .venv from pyproject.toml when needed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install test build serve bench sample clean chromium

install: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required (set PYTHON=...)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# Debian's Chromium for the browser tests, installed when missing (never downloaded by Playwright).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq --no-install-recommends chromium; }

test: install chromium
	$(BIN)/python -m pytest

serve: install
	$(BIN)/fintech serve --port 5006

build: install
	$(BIN)/fintech build

bench: install
	$(BIN)/python bench/run.py

# Regenerate the committed 1,000-row sample (deterministic: no diff unless the generator changed).
sample: install
	$(BIN)/fintech generate --rows 1000 --seed 42 --out data/raw/fintech_data.csv

clean:
	rm -rf $(VENV) data/warehouse bench/out
