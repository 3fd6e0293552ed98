#!/usr/bin/env bash
# Builds the web app's static export into web/out (served by `gantry serve` at /).
# Installs a Node.js that Next supports (>= 20.9) when the machine's is missing or older
# (Debian's own is 18: then Node 22 from npm into ~/.cache/gantry-node), then `npm ci` (only when
# package-lock.json changed) and `next build`. Source it to keep the PATH: `. scripts/build-web.sh`.
# WEB_BUILD=0 skips the build (only Node and the dependencies).
set -euo pipefail
_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_sudo=""; [ "$(id -u)" -eq 0 ] || _sudo="sudo"
node_ok() {
  command -v node >/dev/null && node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=9)?0:1)'
}
NODE_HOME="$HOME/.cache/gantry-node"
if ! node_ok && [ -x "$NODE_HOME/node_modules/node/bin/node" ]; then
  export PATH="$NODE_HOME/node_modules/node/bin:$PATH"
fi
if ! node_ok; then
  if ! command -v npm >/dev/null; then
    $_sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $_sudo apt-get install -y -qq nodejs npm >/dev/null
  fi
  echo "installing Node.js 22 from npm into $NODE_HOME"
  mkdir -p "$NODE_HOME"
  npm install --silent --no-audit --no-fund --prefix "$NODE_HOME" node@22 >/dev/null
  export PATH="$NODE_HOME/node_modules/node/bin:$PATH"
fi
node_ok || { echo "no Node.js >= 20.9 available" >&2; exit 1; }
export NEXT_TELEMETRY_DISABLED=1
cd "$_root/web"
if ! cmp -s package-lock.json node_modules/.gantry-lock 2>/dev/null; then
  npm ci --no-audit --no-fund
  cp package-lock.json node_modules/.gantry-lock
fi
if [ "${WEB_BUILD:-1}" != 0 ]; then
  npx next build
fi
cd "$_root"
