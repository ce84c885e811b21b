#!/usr/bin/env bash
# The whole test suite, on a fresh Debian 12 machine (as root) or a developer machine:
#   1. installs what is missing (pcscd, vpcd, vicc, pycryptodome, opensc, pcsc-tools, softhsm2, ...);
#   2. cargo fmt --check, cargo clippy -D warnings, cargo test with the pcscd end-to-end tests;
#   3. builds the Debian package and tests it installed (scripts/install-test.sh).
# The pcscd tests start their own private pcscd (own mount namespace, own ports) per test and
# stop it; this script also stops anything of its own still running when it exits.
# Usage: scripts/test.sh            (CI: .ci/run calls exactly this)
set -uo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(pcscd libpcsclite-dev vsmartcard-vpcd vsmartcard-vpicc python3-pycryptodome opensc
  pcsc-tools pkg-config gcc libc6-dev util-linux postgresql man-db dpkg-dev softhsm2)
declare -a RESULTS=()
FAILED=0
START=$(date +%s)

say() { printf '\n==> %s\n' "$*"; }

declare -a GROUPS_STARTED=()
cleanup() {
  # Every step ran in its own process group (setsid): stop whatever of it is still alive, e.g.
  # a private pcscd or vicc left behind when a test binary was interrupted.
  local g
  for g in "${GROUPS_STARTED[@]}"; do
    if kill -0 -- "-$g" 2>/dev/null; then
      kill -TERM -- "-$g" 2>/dev/null || true
      sleep 1
      kill -KILL -- "-$g" 2>/dev/null || true
    fi
  done
}
PG_DIR=""
stop_pg() {
  [ -n "$PG_DIR" ] && scripts/pg-cluster.sh stop "$PG_DIR" || true
}
trap 'cleanup; stop_pg' EXIT INT TERM

summary() {
  local took=$(( $(date +%s) - START ))
  printf '\n==================== summary (%ss) ====================\n' "$took"
  local r
  for r in "${RESULTS[@]}"; do printf '  %s\n' "$r"; done
  if [ "$FAILED" -eq 0 ]; then
    printf 'ALL PASSED\n'
  else
    printf 'FAILED: %s step(s) failed (see above)\n' "$FAILED"
  fi
}

step() {
  local name=$1; shift
  say "$name: $*"
  local t0=$(date +%s)
  local rc=0
  if declare -F "$1" >/dev/null; then
    "$@" || rc=$?
  else
    setsid "$@" &
    local pid=$!
    GROUPS_STARTED+=("$pid")
    wait "$pid" || rc=$?
  fi
  if [ "$rc" -eq 0 ]; then
    RESULTS+=("ok    $name ($(( $(date +%s) - t0 ))s)")
  else
    RESULTS+=("FAIL  $name ($(( $(date +%s) - t0 ))s)")
    FAILED=$((FAILED + 1))
  fi
}

install_missing() {
  local missing=() p
  for p in "${PACKAGES[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    echo "all system packages present"
    return 0
  fi
  echo "missing packages: ${missing[*]}"
  if ! command -v apt-get >/dev/null; then
    echo "no apt-get here: install ${missing[*]} by hand" >&2
    return 1
  fi
  local sudo=()
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null; then sudo=(sudo); else
      echo "not root and no sudo: install ${missing[*]} as root" >&2
      return 1
    fi
  fi
  # Package lists are empty on a fresh machine: update only now that something is missing.
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q &&
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

check_rust() {
  if [ -f "$HOME/.cargo/env" ] && ! command -v cargo >/dev/null; then
    # shellcheck disable=SC1091
    . "$HOME/.cargo/env"
  fi
  local t
  for t in cargo rustc; do
    if ! command -v "$t" >/dev/null; then
      echo "the Rust toolchain is missing ($t not found): install it with rustup (https://rustup.rs):" >&2
      echo "  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal -c clippy,rustfmt" >&2
      return 1
    fi
  done
  cargo fmt --version >/dev/null 2>&1 || { echo "rustfmt missing: rustup component add rustfmt" >&2; return 1; }
  cargo clippy --version >/dev/null 2>&1 || { echo "clippy missing: rustup component add clippy" >&2; return 1; }
  cargo --version
}

step "system packages" install_missing
step "rust toolchain" check_rust
if [ "$FAILED" -ne 0 ]; then
  summary
  exit 1
fi
step "cargo fmt" cargo fmt --all -- --check
step "cargo clippy" cargo clippy --all-targets --features pcscd-tests,pg-tests -- -D warnings
# The register tests need a real PostgreSQL: a private cluster on its own port, stopped at exit.
start_pg() {
  local env
  env=$(scripts/pg-cluster.sh start) || return 1
  eval "$env"
  PG_DIR=$SSCARD_TEST_PG_DIR
  export SSCARD_TEST_PG
  echo "PostgreSQL test cluster at $SSCARD_TEST_PG ($PG_DIR)"
}
step "private PostgreSQL cluster" start_pg
TESTLOG=$(mktemp)
step "cargo test (with private pcscd + vpcd + vicc)" \
  bash -c 'cargo test --no-fail-fast --features pcscd-tests,pg-tests 2>&1 | tee "$0"; exit "${PIPESTATUS[0]}"' "$TESTLOG"
# The Debian package as a station installs it (from the debug build above; installs cargo-deb
# once if missing): unpacked into a fresh root and run from /tmp. See scripts/install-test.sh.
step "install test (Debian package)" scripts/install-test.sh
summary
# The closing line counts every test of every test binary (unit, integration, pcscd, doc).
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i) ~ /^passed/) p += $(i-1); if ($(i) ~ /^failed/) f += $(i-1) } }
     END { printf "tests: %d passed, %d failed\n", p, f }' "$TESTLOG"
rm -f "$TESTLOG"
[ "$FAILED" -eq 0 ]
