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
DRIVER=/usr/lib/pcsc/drivers/serial/libifdvpcd.so

for need in /usr/sbin/pcscd "$DRIVER" /usr/bin/unshare; do
    [ -e "$need" ] || { echo "bench-vpcd: missing $need (apt-get install -y pcscd vsmartcard-vpcd)" >&2; exit 1; }
done
if ss -ltn 2>/dev/null | grep -q ":$PORT "; then
    echo "bench-vpcd: port $PORT is already in use: give another one as the second argument" >&2
    exit 1
fi

(cd "$ROOT" && cargo build --release --quiet)
SSCARD="$ROOT/target/release/sscard"

W=$(mktemp -d)
mkdir -p "$W/run" "$W/conf"
chmod 755 "$W" "$W/conf"
chmod 777 "$W/run"
printf 'FRIENDLYNAME "Virtual PCD"\nDEVICENAME /dev/null:%s\nLIBPATH %s\nCHANNELID %s\n' \
    "$PORT" "$DRIVER" "$PORT" > "$W/conf/vpcd"

PCSCD_PID=""
SIM_PID=""
cleanup() {
    for pid in $SIM_PID $PCSCD_PID; do
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
    done
    rm -rf "$W"
}
trap cleanup EXIT INT TERM

NS="unshare --mount"
[ "$(id -u)" != 0 ] && NS="unshare --user --map-root-user --mount"
$NS sh -c "mount --bind '$W/run' /run/pcscd && exec /usr/sbin/pcscd -f -c '$W/conf'" \
    > "$W/pcscd.log" 2>&1 &
PCSCD_PID=$!
export PCSCLITE_CSOCK_NAME="$W/run/pcscd.comm"
unset SSCARD_READER

for _ in $(seq 200); do
    [ -S "$PCSCLITE_CSOCK_NAME" ] && ss -ltn | grep -q ":$PORT " && break
    sleep 0.05
done
ss -ltn | grep -q ":$PORT " || { echo "bench-vpcd: pcscd did not start:" >&2; cat "$W/pcscd.log" >&2; exit 1; }

"$SSCARD" sim --vpcd "$PORT" --image "$W/card.json" < /dev/null > "$W/sim.log" 2>&1 &
SIM_PID=$!

"$SSCARD" --reader "Virtual PCD 00 00" wait --timeout 15 > /dev/null \
    || { echo "bench-vpcd: the card did not appear:" >&2; cat "$W/sim.log" >&2; exit 1; }

echo "== through pcscd + vpcd (release build) =="
"$SSCARD" --reader "Virtual PCD 00 00" bench --count "$COUNT"
echo
echo "== in-process (--reader sim:), for comparison =="
"$SSCARD" --reader "sim:$W/inproc.json" bench --count "$COUNT"
