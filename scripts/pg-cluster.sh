#!/usr/bin/env bash
# A private, throw-away PostgreSQL cluster for the register tests (never the system's own).
#   eval "$(scripts/pg-cluster.sh start)"   # exports SSCARD_TEST_PG and SSCARD_TEST_PG_DIR
#   scripts/pg-cluster.sh stop "$SSCARD_TEST_PG_DIR"
# Needs Debian's `postgresql` package (initdb, pg_ctl under /usr/lib/postgresql/*/bin).
# As root, the cluster runs as the `postgres` user (initdb refuses root).
set -euo pipefail

bindir() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
  if [ -z "$d" ] || [ ! -x "$d/initdb" ]; then
    echo "PostgreSQL server missing (no /usr/lib/postgresql/*/bin/initdb): apt-get install -y postgresql" >&2
    exit 1
  fi
  echo "$d"
}

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  local p
  for p in $(seq 55432 55532); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
  done
  echo "no free port in 55432-55532" >&2; exit 1
}

case "${1:-}" in
  start)
    BIN=$(bindir)
    DIR=$(mktemp -d /tmp/sscard-pg.XXXXXX)
    chmod 755 "$DIR"
    [ "$(id -u)" = 0 ] && chown postgres: "$DIR"
    as_owner "$BIN/initdb" -D "$DIR/data" -U postgres -A trust --no-sync -E UTF8 >"$DIR/initdb.log" 2>&1 ||
      { cat "$DIR/initdb.log" >&2; exit 1; }
    PORT=$(free_port)
    as_owner "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 \
      -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null ||
      { cat "$DIR/server.log" >&2; exit 1; }
    echo "export SSCARD_TEST_PG=postgres://postgres@127.0.0.1:$PORT/postgres"
    echo "export SSCARD_TEST_PG_DIR=$DIR"
    ;;
  stop)
    DIR=${2:?usage: pg-cluster.sh stop DIR}
    BIN=$(bindir)
    [ -d "$DIR/data" ] && as_owner "$BIN/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$DIR"
    ;;
  *)
    echo "usage: $0 start | stop DIR" >&2; exit 2 ;;
esac
