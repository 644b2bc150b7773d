#!/usr/bin/env bash
# The built-in demo: build the sample polyglot monorepo, start local registries
# (pypiserver, verdaccio, a static GOPROXY, a bare git remote), plan, check and
# publish it with doit, then install what was published with uv, npm and go.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
./scripts/bootstrap.sh
source scripts/env.sh
exec python -m demo "$@"
