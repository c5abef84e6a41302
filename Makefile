# The two commands of README.md: `make run` and `make test`. Both install what they need.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint

# setup.py compiles these with Cython (src/piwarden/compiled.py): reinstalling rebuilds them.
COMPILED := src/piwarden/identifiers.py src/piwarden/discovery/prefilter.py \
	src/piwarden/discovery/detect.py

$(STAMP): pyproject.toml setup.py $(COMPILED)
	$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "piwarden needs Python 3.11"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/piwarden migrate --noinput
	$(BIN)/piwarden collectstatic --noinput --verbosity 0
	$(BIN)/piwarden catalog load
	$(BIN)/piwarden demo
	$(BIN)/piwarden serve

lint: $(STAMP)
	$(BIN)/ruff check src tests bench

test: lint
	$(BIN)/piwarden makemigrations --check --dry-run
	$(BIN)/pytest
