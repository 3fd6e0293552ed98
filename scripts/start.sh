#!/usr/bin/env bash
# Builds Gantry and starts it with the embedded SQLite database and the demo farm.
# Listens on $GANTRY_LISTEN (default 127.0.0.1:8080); data under $GANTRY_DATA_DIR (default ./data).
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
need=()
for pkg in cmake libclang-dev g++ pkg-config curl; do dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg"); done
if [ ${#need[@]} -gt 0 ]; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
if ! command -v cargo >/dev/null; then
  curl -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
  # shellcheck disable=SC1091
  . "$HOME/.cargo/env"
fi
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/gantry-target}"
cargo build --release --locked -p gantry-api --bin gantry
# The web app (static export in web/out, served at /); the API still starts if it cannot be built.
bash scripts/build-web.sh || echo "start.sh: the web app was not built; serving the API only" >&2
exec "$CARGO_TARGET_DIR/release/gantry" serve --demo
