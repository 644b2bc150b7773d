#!/usr/bin/env bash
# The whole test suite, plus the linters and the type checker, on a fresh machine:
# scripts/bootstrap.sh installs everything first. Exit 5 (no tests) fails, as any non-zero does.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
./scripts/bootstrap.sh
source scripts/env.sh
ruff check releasekit_tasks tests demo bench
mypy
python -m pytest -p no:cacheprovider -n 2 --dist loadfile "$@"
