# The two commands of the README: `make demo` and `make test`. Both set up everything they need
# (a virtualenv in .venv with the pinned dependencies of constraints.txt) on a machine with Python 3.11.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
COMPILED := $(VENV)/.compiled

.PHONY: demo test lint typecheck install clean postgresql-server

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

# The ledger, bot and tax tests also run against a real PostgreSQL: a throwaway cluster the tests start from
# the server binaries (tests/support/postgres.py), unless TRIMTAB_TEST_POSTGRES_URL names a server. When no
# initdb/pg_ctl is found, root installs Debian's postgresql with apt-get (after chromium: one apt at a time);
# anyone else gets one warning line, and those tests skip saying why.
postgresql-server: | $(STAMP) $(CHROMIUM)
	@if ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || command -v pg_ctl >/dev/null 2>&1; then :; \
	elif [ -n "$${TRIMTAB_TEST_POSTGRES_URL:-}" ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing Debian's postgresql for the ledger's PostgreSQL tests (apt-get)"; \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; } \
			>$(VENV)/postgresql-install.log 2>&1 \
			|| echo "warning: could not install postgresql (see $(VENV)/postgresql-install.log): the PostgreSQL tests skip"; \
	else \
		echo "warning: no PostgreSQL server binaries and only root can install them (apt-get install postgresql): the PostgreSQL tests skip"; \
	fi

test: lint typecheck $(COMPILED) | $(CHROMIUM) postgresql-server
	$(BIN)/pytest

clean:
	rm -rf $(VENV) build dist src/*.egg-info
	rm -f src/trimtab/tax/*.so src/trimtab/tax/native.json
