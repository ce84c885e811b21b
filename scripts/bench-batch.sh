#!/usr/bin/env bash
# Batch throughput on virtual readers whose cards answer every APDU after DELAY ms (a real
# contact card's pace), with a SQLite journal. Prints, per run, cards/hour and how a card's
# time splits: personalization (plan, write, verify, enable), the journal's own calls (claim,
# attempt row: the `journal_us` of `batch --json`) and the rest (card feeder, card swap), then
# the speed-up over one reader. A benchmark, not a test: the numbers depend on the machine.
#
#   scripts/bench-batch.sh [RECORDS=40] [DELAY_MS=15]
#       in-process card feeders (feed:DIR) on 1, 2 and 4 readers
#   scripts/bench-batch.sh --pcscd [RECORDS=40] [DELAY_MS=15] [PORT=36111]
#       through a private pcscd (own mount namespace, own /run/pcscd) with the vpcd driver:
#       one pcscd gives two slots (`Virtual PCD 00 00` on PORT, `00 01` on PORT+1), each fed by
#       `sscard sim --vpcd PORT --feed DIR`; 1 and 2 readers. Needs pcscd, vsmartcard-vpcd.
#
# SSCARD_BIN: an sscard binary to measure instead of building the release one.
set -euo pipefail
cd "$(dirname "$0")/.."
MODE=feed
if [ "${1:-}" = --pcscd ]; then MODE=pcscd; shift; fi
N=${1:-40}; DELAY=${2:-15}; PORT=${3:-36111}
if [ -n "${SSCARD_BIN:-}" ]; then S=$SSCARD_BIN; else cargo build --release --quiet --bin sscard; S=$PWD/target/release/sscard; fi
P=$PWD/card-profiles
W=$(mktemp -d); chmod 755 "$W"
PIDS=()
# shellcheck source=scripts/private-pcscd.sh
. scripts/private-pcscd.sh
cleanup() {
  stop_pid "${PIDS[@]}"
  rm -rf "$W"
}
trap cleanup EXIT INT TERM

python3 - "$W/holders.csv" "$N" <<'PY'
import sys
W=[7,9,10,5,8,4,2,1,6,3,7,9,10,5,8,4,2]
def ssn(s): return s+"10X98765432"[sum(int(c)*w for c,w in zip(s,W))%11]
def cn(s):
    v=lambda c:int(c,36); r=11-sum(v(c)*w for c,w in zip(s,[3,7,9,10,5,8,4,2]))%11
    return s+("X" if r==10 else "0" if r==11 else str(r))
rows=["ssn,name,sex,ethnicity,birth_place,birth_date,init_org,card_number,issue_date"]
for k in range(int(sys.argv[2])):
    b="1990%02d%02d"%(1+k//28%12,1+k%28)
    rows.append(f"{ssn('110101'+b+'%03d'%(2*k+1))},测试{k},1,01,110101,{b},110100000000000000000001,{cn('B%07d'%k)},20261120")
open(sys.argv[1],"w").write("\n".join(rows)+"\n")
PY

if [ "$MODE" = pcscd ]; then
  private_pcscd "$W/pcscd" "$PORT" || { echo "bench-batch: no private pcscd (give another PORT as the third argument?)" >&2; exit 1; }
  PIDS+=("$PCSCD_PID")
fi

one() { # readers
  local r=$1 dir="$W/run$1" i f
  rm -rf "$dir"; mkdir -p "$dir"
  local per=$(( (N + r - 1) / r )) specs=() feeders=()
  for f in $(seq 1 "$r"); do
    mkdir -p "$dir/feed$f"
    for i in $(seq 1 "$per"); do
      local img="$dir/feed$f/card$(printf %03d "$i").json"
      "$S" -r "sim:$img" init --profile "$P/ssc-3.00.toml" --keys "$P/test-keys.toml" \
        --card-id "$(printf '110100D15600000500A1B2C3D4%02X%04X' "$f" "$i")" --write-card-id >/dev/null
      "$S" sim --image "$img" --fault-delay-ms "$DELAY" >/dev/null
    done
    if [ "$MODE" = pcscd ]; then
      local slot="Virtual PCD 00 0$((f - 1))"
      "$S" sim --vpcd $((PORT + f - 1)) --feed "$dir/feed$f" < /dev/null > "$dir/feeder$f.log" 2>&1 &
      PIDS+=($!); feeders+=($!)
      "$S" --reader "$slot" wait --timeout 15 > /dev/null ||
        { echo "bench-batch: no card in $slot:" >&2; cat "$dir/feeder$f.log" >&2; exit 1; }
      specs+=("$slot")
    else
      specs+=("feed:$dir/feed$f")
    fi
  done
  local t0 t1 readers
  readers=$(IFS=,; echo "${specs[*]}")
  t0=$(date +%s.%N)
  "$S" batch --profile "$P/ssc-3.00.toml" --keys "$P/test-keys.toml" --records "$W/holders.csv" \
    --readers "$readers" --journal "$dir/station.db" --json > "$dir/events.json"
  t1=$(date +%s.%N)
  # The feeders stop once their last card is taken out (15 s at most, then they are stopped).
  for f in "${feeders[@]}"; do
    for _ in $(seq 150); do kill -0 "$f" 2>/dev/null || break; sleep 0.1; done
    kill -TERM "$f" 2>/dev/null || true
    wait "$f" 2>/dev/null || true
  done
  python3 - "$dir/events.json" "$t0" "$t1" "$r" <<'PY'
import json,sys
ev=[json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
cards=[e for e in ev if e["event"]=="card" and e["result"] in ("issued","resumed","already-done")]
wall=float(sys.argv[3])-float(sys.argv[2]); r=int(sys.argv[4]); n=len(cards)
per_card=wall*r/n*1000
perso=sum(e["ms"] for e in cards)/n
journal=sum(e["journal_us"] for e in cards)/n/1000
other=max(per_card-perso-journal,0)
print(f"{r} reader(s): {n} cards in {wall:.1f} s = {n*3600/wall:.0f} cards/hour; per card per reader "
      f"{per_card:.0f} ms: perso {perso:.0f} ms, journal {journal:.1f} ms ({journal/per_card*100:.1f}%), "
      f"other {other:.0f} ms ({other/per_card*100:.1f}%)")
with open(sys.argv[1]+".rate","w") as f: f.write(str(n*3600/wall))
PY
}
if [ "$MODE" = pcscd ]; then RUNS=(1 2); else RUNS=(1 2 4); fi
for r in "${RUNS[@]}"; do one "$r"; done
python3 - "$W" "${RUNS[@]}" <<'PY'
import sys
runs=[int(x) for x in sys.argv[2:]]
r={n:float(open(f"{sys.argv[1]}/run{n}/events.json.rate").read()) for n in runs}
print("speed-up: "+", ".join(f"{n} readers {r[n]/r[1]:.2f}x" for n in runs if n>1)+" the cards/hour of 1 reader")
PY
