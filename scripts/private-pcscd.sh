# Sourced by the bench scripts: starts a private pcscd with the vpcd driver, in its own mount
# namespace (its own /run/pcscd), so it runs beside the machine's pcscd and other test runs.
# One pcscd gives two vpcd slots: `Virtual PCD 00 00` on PORT, `Virtual PCD 00 01` on PORT+1.
# See docs/vpcd.md.
#
#   private_pcscd DIR PORT    DIR: an empty folder for its socket, config and log.
# Sets PCSCD_PID (stop it with kill -TERM) and exports PCSCLITE_CSOCK_NAME for the clients.
# Returns 1, saying why, when pcscd or the vpcd driver is missing, a port is taken, or it
# does not start.
private_pcscd() {
  local dir=$1 port=$2 driver=/usr/lib/pcsc/drivers/serial/libifdvpcd.so need p ns
  for need in /usr/sbin/pcscd "$driver" /usr/bin/unshare; do
    [ -e "$need" ] || { echo "missing $need (apt-get install -y pcscd vsmartcard-vpcd util-linux)" >&2; return 1; }
  done
  for p in "$port" $((port + 1)); do
    if ss -ltn 2>/dev/null | grep -q ":$p "; then
      echo "port $p is already in use: give another port" >&2
      return 1
    fi
  done
  mkdir -p "$dir/run" "$dir/conf"
  chmod 755 "$dir" "$dir/conf"
  chmod 777 "$dir/run"
  printf 'FRIENDLYNAME "Virtual PCD"\nDEVICENAME /dev/null:%s\nLIBPATH %s\nCHANNELID %s\n' \
    "$port" "$driver" "$port" > "$dir/conf/vpcd"
  ns="unshare --mount"
  [ "$(id -u)" != 0 ] && ns="unshare --user --map-root-user --mount"
  $ns sh -c "mount --bind '$dir/run' /run/pcscd && exec /usr/sbin/pcscd -f -c '$dir/conf'" \
    > "$dir/pcscd.log" 2>&1 &
  PCSCD_PID=$!
  export PCSCLITE_CSOCK_NAME="$dir/run/pcscd.comm"
  unset SSCARD_READER
  for _ in $(seq 200); do
    [ -S "$PCSCLITE_CSOCK_NAME" ] && ss -ltn | grep -q ":$port " && return 0
    sleep 0.05
  done
  echo "pcscd did not start:" >&2
  cat "$dir/pcscd.log" >&2
  return 1
}

#   stop_pid PID...    TERM, up to 5 s to go, then KILL (for pcscd and card processes).
stop_pid() {
  local pid
  for pid in "$@"; do
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
}
