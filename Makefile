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

# The tax cost walk's hot modules compiled to C with mypyc (pinned with mypy), rebuilt when a tax or
# model source changes; without a C compiler one warning line, and trimtab runs them as pure Python
# (trimtab.tax.native: a build older than its sources is never loaded).
NATIVE := $(VENV)/.native
$(NATIVE): $(STAMP) $(wildcard src/trimtab/tax/*.py src/trimtab/model/*.py)
	@$(BIN)/python -m trimtab.tax.native >$(VENV)/native-build.log 2>&1 \
		|| echo "warning: could not compile the tax walk with mypyc (see $(VENV)/native-build.log); it runs as pure Python"
	@touch $(NATIVE)

# trimtab's own modules byte-compiled ahead: a command then starts without compiling them, also where
# PYTHONDONTWRITEBYTECODE keeps Python from saving what it compiles (pip compiled the other packages).
$(COMPILED): $(STAMP) $(NATIVE) $(shell find src -name '*.py')
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

# The dashboard's browser tests drive Debian's chromium through Playwright (never Playwright's own browser
# download). When it is missing, root installs it with apt-get (once: then the binary is there); anyone
# else gets one warning line, and those tests skip saying why.
CHROMIUM := /usr/bin/chromium
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1
$(CHROMIUM): | $(STAMP)
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing Debian's chromium for the dashboard's browser tests (apt-get)"; \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } \
			>$(VENV)/chromium-install.log 2>&1 \
			|| echo "warning: could not install chromium (see $(VENV)/chromium-install.log): the browser tests skip"; \
	else \
		echo "warning: $(CHROMIUM) is missing and only root can install it (apt-get install chromium): the browser tests skip"; \
	fi

test: lint typecheck $(COMPILED) | $(CHROMIUM)
	$(BIN)/pytest

clean:
	rm -rf $(VENV) build dist src/*.egg-info
	rm -f src/trimtab/tax/*.so src/trimtab/tax/native.json
