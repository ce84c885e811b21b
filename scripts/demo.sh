#!/usr/bin/env bash
# The main job on the built-in virtual card, no reader needed:
#   a manufacturer's init, a station's perso + verify + enable, then what the operator sees.
# On a fresh Debian 12 machine it first installs the one system library the build links
# (libpcsclite-dev), then builds and runs `sscard demo`. Extra arguments go to `sscard demo`
# (e.g. `scripts/demo.sh --profile ssc-2.00 --image card.json`).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! dpkg -s libpcsclite-dev >/dev/null 2>&1 || ! dpkg -s pkg-config >/dev/null 2>&1; then
  sudo=()
  [ "$(id -u)" = 0 ] || sudo=(sudo)
  echo "installing libpcsclite-dev and pkg-config (needed to build sscard) ..." >&2
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    libpcsclite-dev pkg-config >&2
fi
if ! command -v cargo >/dev/null && [ -f "$HOME/.cargo/env" ]; then
  # shellcheck disable=SC1091
  . "$HOME/.cargo/env"
fi
command -v cargo >/dev/null || { echo "cargo not found: install Rust with rustup first" >&2; exit 1; }
exec cargo run --release --quiet -- demo "$@"
