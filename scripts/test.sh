#!/usr/bin/env bash
# The whole test suite (placeholder until the Core issue lands the pcscd harness).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --all-targets
