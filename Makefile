# The two commands of the README: `make demo` and `make test`. Both set up everything they need
# (a virtualenv in .venv with the pinned dependencies of constraints.txt) on a machine with Python 3.11.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
COMPILED := $(VENV)/.compiled

.PHONY: demo test lint typecheck install clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade "pip==24.3.1"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[dev]"
	touch $(STAMP)

# trimtab's own modules byte-compiled ahead: a command then starts without compiling them, also where
# PYTHONDONTWRITEBYTECODE keeps Python from saving what it compiles (pip compiled the other packages).
$(COMPILED): $(STAMP) $(shell find src -name '*.py')
	$(BIN)/python -m compileall -q src
	touch $(COMPILED)

install: $(COMPILED)

demo: $(COMPILED)
	$(BIN)/trimtab demo --dir trimtab-demo

lint: $(STAMP)
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

test: lint typecheck $(COMPILED)
	$(BIN)/pytest

clean:
	rm -rf $(VENV) build dist src/*.egg-info
