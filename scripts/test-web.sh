#!/usr/bin/env bash
# The web app's checks on a fresh Debian/Ubuntu machine: installs Node.js (>= 20.9) and Chromium
# when missing, `npm ci`, codegen --check, type check, unit tests, `next build` (the static
# export), then the browser tests against a real `gantry serve --demo` on a scratch SQLite
# database serving that export. Ends with the browser tests' `N passed, N failed` line.
#
# GANTRY_BIN: a built `gantry` binary to use (default: build it with cargo in $CARGO_TARGET_DIR).
# E2E_ARTIFACTS: where screenshots go (default web/e2e/artifacts).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
log() { printf '\n== %s\n' "$*"; }
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
apt_install() {
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

# 1. Node.js that Next supports (>= 20.9). Debian's own is 18: then a newer one from npm.
node_ok() {
  command -v node >/dev/null && node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=9)?0:1)'
}
NODE_HOME="$HOME/.cache/gantry-node"
if ! node_ok && [ -x "$NODE_HOME/node_modules/node/bin/node" ]; then
  export PATH="$NODE_HOME/node_modules/node/bin:$PATH"
fi
if ! node_ok; then
  command -v npm >/dev/null || apt_install nodejs npm
  log "installing Node.js 22 from npm into $NODE_HOME"
  mkdir -p "$NODE_HOME"
  npm install --silent --prefix "$NODE_HOME" node@22 >/dev/null
  export PATH="$NODE_HOME/node_modules/node/bin:$PATH"
fi
node_ok || { echo "no Node.js >= 20.9" >&2; exit 1; }
# 2. Chromium for the browser tests (Playwright cannot download browsers here).
[ -x /usr/bin/chromium ] || apt_install chromium
export NEXT_TELEMETRY_DISABLED=1

# 3. The web app: dependencies, generated types, type check, unit tests, static export.
cd "$ROOT/web"
if ! cmp -s package-lock.json node_modules/.gantry-lock 2>/dev/null; then
  log "npm ci"
  npm ci --no-audit --no-fund
  cp package-lock.json node_modules/.gantry-lock
fi
log "codegen --check (types from docs/schema.graphql and the operations)"
npm run -s codegen:check >/dev/null || { echo "generated types drifted: run 'npm run codegen' in web/" >&2; exit 1; }
log "type check"
npx tsc --noEmit
log "unit tests"
npx vitest run
log "next build (static export into web/out)"
npx next build

# 4. A real server: scratch data dir, free port, the demo farm, passwords, printer tokens.
cd "$ROOT"
if [ -z "${GANTRY_BIN:-}" ]; then
  export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/gantry-target}"
  log "cargo build gantry"
  cargo build --locked -p gantry-api --bin gantry
  GANTRY_BIN="$CARGO_TARGET_DIR/debug/gantry"
fi
export GANTRY_BIN
SCRATCH=$(mktemp -d /tmp/gantry-web-e2e.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export GANTRY_DATA_DIR="$SCRATCH/data" GANTRY_LISTEN="127.0.0.1:$PORT" GANTRY_WEB_DIR="$ROOT/web/out"
export GANTRY_JWT_SECRET="web-e2e-secret-$(date +%s%N)-0123456789abcdef"
export GANTRY_SLICER=off RUST_LOG="${RUST_LOG:-warn}"
unset DATABASE_URL REDIS_URL MONGODB_URL
"$GANTRY_BIN" serve --demo >"$SCRATCH/serve.log" 2>&1 &
SERVER=$!
cleanup() { kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; rm -rf "$SCRATCH"; }
trap cleanup EXIT
for _ in $(seq 1 120); do
  curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  kill -0 "$SERVER" 2>/dev/null || { cat "$SCRATCH/serve.log" >&2; exit 1; }
  sleep 0.5
done
curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null
export E2E_PASSWORD="e2e-password-$RANDOM-long"
for who in admin@gantry.local planner@gantry.local operator@gantry.local ada@example.com; do
  echo "$E2E_PASSWORD" | "$GANTRY_BIN" set-password --email "$who" >/dev/null
done
export GANTRY_TOKENS="$SCRATCH/tokens.txt"
"$GANTRY_BIN" printer-tokens --output "$GANTRY_TOKENS" >/dev/null

# 5. Browser tests (they print `N passed, N failed`).
log "browser tests (Chromium) against gantry serve --demo on 127.0.0.1:$PORT"
cd "$ROOT/web"
set +e
GANTRY_URL="http://127.0.0.1:$PORT" node e2e/run.mjs
status=$?
set -e
[ "$status" -eq 0 ] || { echo "--- server log (tail)"; tail -n 40 "$SCRATCH/serve.log"; }
exit "$status"
