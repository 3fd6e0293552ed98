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

# 1. Node.js >= 20.9 and the web app's npm dependencies (scripts/build-web.sh, no build yet).
WEB_BUILD=0 . "$ROOT/scripts/build-web.sh"
# 2. Chromium for the browser tests (Playwright cannot download browsers here).
if [ ! -x /usr/bin/chromium ]; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

# 3. The web app: generated types, type check, unit tests, static export.
cd "$ROOT/web"
log "codegen --check (types from docs/schema.graphql and the operations)"
npm run -s codegen:check >/dev/null || { echo "generated types drifted: run 'npm run codegen' in web/" >&2; exit 1; }
log "type check"
npx tsc --noEmit
log "lint (eslint, Next's core-web-vitals + TypeScript rules)"
npx eslint --max-warnings 0 .
log "unit tests"
npx vitest run
log "next build (static export into web/out)"
npx next build
log "first-load JavaScript per route (customer pages < 200 kB gzipped)"
node e2e/bundle-size.mjs

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
PORT=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
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
for who in admin@gantry.local planner@gantry.local operator@gantry.local accountant@gantry.local sales@gantry.local ada@example.com; do
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
log "benchmark (informational): schedule view, 100 printers x 1,000 jobs"
GANTRY_URL="http://127.0.0.1:$PORT" node e2e/bench-gantt.mjs || true
log "benchmark (informational): printer grid, status change to tile"
GANTRY_URL="http://127.0.0.1:$PORT" node e2e/bench-grid.mjs || true
set -e
[ "$status" -eq 0 ] || { echo "--- server log (tail)"; tail -n 40 "$SCRATCH/serve.log"; }
exit "$status"
