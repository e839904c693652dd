#!/usr/bin/env bash
# Create a venv of its own for Apache Airflow, used by tests/integration/test_airflow_export.py
# to run `airflow dags test` on an exported DAG. Airflow pins hundreds of packages: kept apart
# from .venv so that its dependencies never constrain nb2prod's.
#
#   scripts/airflow_venv.sh [VENV_DIR]      (default: .airflow-venv beside this script's parent)
#
# The generated package's own dependencies are installed at the versions .venv has (when it
# exists), so that training inside Airflow makes the same artifact as `python -m pkg train`.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${1:-$ROOT/.airflow-venv}"
PYTHON="${PYTHON:-python3}"
AIRFLOW_VERSION="3.3.2"
STAMP="$VENV/.airflow-$AIRFLOW_VERSION-installed"
# what a generated package imports at training time (its pyproject's dependencies)
PACKAGE_DEPS=(numpy pandas pandera scikit-learn skops pyarrow scipy joblib threadpoolctl)

if [[ -f "$STAMP" ]]; then
    exit 0
fi
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip

pins=()
if [[ -x "$ROOT/.venv/bin/python" ]]; then
    frozen="$("$ROOT/.venv/bin/python" -m pip freeze 2>/dev/null)"
    for dep in "${PACKAGE_DEPS[@]}"; do
        pin="$(grep -i -E "^${dep}==" <<<"$frozen" || true)"
        pins+=("${pin:-$dep}")
    done
else
    pins=("${PACKAGE_DEPS[@]}")
fi
"$VENV/bin/python" -m pip install --quiet "apache-airflow==$AIRFLOW_VERSION" "${pins[@]}"
"$VENV/bin/airflow" version >/dev/null
touch "$STAMP"
