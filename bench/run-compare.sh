#!/usr/bin/env bash
# Build bench/.venv-compare (bt, vectorbt and trimtab itself, never touching the project's .venv) and run
# compare_bt_vectorbt.py in it. Arguments are passed on, e.g. `bash bench/run-compare.sh --repeats 3`.
# PYTHON picks the interpreter (default python3.11). The venv is rebuilt only when requirements-compare.txt,
# ../constraints.txt or ../pyproject.toml change. A library that cannot be installed (e.g. vectorbt when no
# numba/llvmlite wheel fits) is skipped with a line saying so; the comparison then runs without it.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"
PYTHON="${PYTHON:-python3.11}"
VENV=.venv-compare
PY="$VENV/bin/python"
STAMP="$VENV/.installed"

pip_quiet() { "$PY" -m pip --disable-pip-version-check --quiet "$@"; }

wanted="$(cat requirements-compare.txt ../constraints.txt ../pyproject.toml | sha256sum | cut -d' ' -f1)"
if [ ! -x "$PY" ]; then
    echo "run-compare: creating $here/$VENV with $("$PYTHON" --version 2>&1)"
    "$PYTHON" -m venv "$VENV"
fi
if [ "$(cat "$STAMP" 2>/dev/null || true)" != "$wanted" ]; then
    echo "run-compare: installing into $VENV (requirements-compare.txt + pip install -e ..)"
    pip_quiet install "pip==24.3.1"
    # trimtab itself with the project's pins: without it there is nothing to compare
    pip_quiet install -c ../constraints.txt -e ..
    complete=yes
    if ! pip_quiet install -c ../constraints.txt -r requirements-compare.txt; then
        echo "run-compare: requirements-compare.txt did not install as a whole; trying bt and vectorbt one by one"
        for library in bt vectorbt; do
            if ! pip_quiet install -c ../constraints.txt -c requirements-compare.txt "$library"; then
                echo "run-compare: could not install $library; compare_bt_vectorbt.py will skip it"
                complete=no
            fi
        done
    fi
    if [ "$complete" = yes ]; then
        echo "$wanted" > "$STAMP"  # a partial install is retried next time
    fi
fi
exec "$PY" compare_bt_vectorbt.py "$@"
