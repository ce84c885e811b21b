#!/usr/bin/env bash
# Checks that the library and the CLI compile for Windows (x86_64-pc-windows-gnu): a type
# check (cargo check), nothing is linked or run. Needs the Rust target and the MinGW C compiler
# (the bundled SQLite is C):
#   rustup target add x86_64-pc-windows-gnu
#   apt-get install gcc-mingw-w64-x86-64-win32
# Not part of scripts/test.sh: see README "Windows" for what it found and why not in CI.
set -euo pipefail
cd "$(dirname "$0")/.."
T=x86_64-pc-windows-gnu
rustup target list --installed | grep -qx "$T" ||
  { echo "check-windows: the Rust target is missing: rustup target add $T" >&2; exit 1; }
command -v x86_64-w64-mingw32-gcc > /dev/null ||
  { echo "check-windows: x86_64-w64-mingw32-gcc is missing: apt-get install gcc-mingw-w64-x86-64-win32" >&2; exit 1; }
exec cargo check --target "$T" --lib --bin sscard "$@"
