#!/usr/bin/env bash
# Measures APDU throughput of the virtual card through a real pcscd:
# private pcscd (own mount namespace, own /run/pcscd) + vpcd driver + `sscard sim --vpcd`,
# then `sscard bench` through PC/SC. Stops everything it started.
#
# Usage: scripts/bench-vpcd.sh [COUNT] [PORT]      (defaults: 20000 APDUs, port 35991)
# Needs: pcscd and vsmartcard-vpcd (apt-get install -y pcscd vsmartcard-vpcd), util-linux.
set -euo pipefail

COUNT=${1:-20000}
PORT=${2:-35991}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/private-pcscd.sh
. "$ROOT/scripts/private-pcscd.sh"

(cd "$ROOT" && cargo build --release --quiet)
SSCARD="$ROOT/target/release/sscard"

W=$(mktemp -d)
PCSCD_PID=""
SIM_PID=""
cleanup() {
    # shellcheck disable=SC2086
    stop_pid $SIM_PID $PCSCD_PID
    rm -rf "$W"
}
trap cleanup EXIT INT TERM

private_pcscd "$W" "$PORT" || { echo "bench-vpcd: no private pcscd (give another PORT as the second argument?)" >&2; exit 1; }

"$SSCARD" sim --vpcd "$PORT" --image "$W/card.json" < /dev/null > "$W/sim.log" 2>&1 &
SIM_PID=$!

"$SSCARD" --reader "Virtual PCD 00 00" wait --timeout 15 > /dev/null \
    || { echo "bench-vpcd: the card did not appear:" >&2; cat "$W/sim.log" >&2; exit 1; }

echo "== through pcscd + vpcd (release build) =="
"$SSCARD" --reader "Virtual PCD 00 00" bench --count "$COUNT"
echo
echo "== in-process (--reader sim:), for comparison =="
"$SSCARD" --reader "sim:$W/inproc.json" bench --count "$COUNT"
