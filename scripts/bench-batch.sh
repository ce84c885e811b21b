#!/usr/bin/env bash
# Batch throughput on virtual readers whose cards answer every APDU after DELAY ms (a real
# contact card's pace), in-process (feed:DIR) on 1, 2 and 4 readers. Prints cards/hour, the
# speed-up over one reader, and the time per card spent outside personalization (journal,
# feeder). A benchmark, not a test: the numbers depend on the machine.
#   scripts/bench-batch.sh [RECORDS=40] [DELAY_MS=15]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-40}; DELAY=${2:-15}
# SSCARD_BIN: an sscard binary to measure instead of building the release one.
if [ -n "${SSCARD_BIN:-}" ]; then S=$SSCARD_BIN; else cargo build --release --quiet; S=$PWD/target/release/sscard; fi
P=$PWD/card-profiles
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
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
one() { # readers
  local r=$1 dir="$W/run$1" i f
  rm -rf "$dir"; mkdir -p "$dir"
  local per=$(( (N + r - 1) / r )) specs=()
  for f in $(seq 1 "$r"); do
    mkdir -p "$dir/feed$f"
    for i in $(seq 1 "$per"); do
      local img="$dir/feed$f/card$(printf %03d "$i").json"
      "$S" -r "sim:$img" init --profile "$P/ssc-3.00.toml" --keys "$P/test-keys.toml" \
        --card-id "$(printf '110100D15600000500A1B2C3D4%02X%04X' "$f" "$i")" --write-card-id >/dev/null
      "$S" sim --image "$img" --fault-delay-ms "$DELAY" >/dev/null
    done
    specs+=("feed:$dir/feed$f")
  done
  local t0 t1 readers
  readers=$(IFS=,; echo "${specs[*]}")
  t0=$(date +%s.%N)
  "$S" batch --profile "$P/ssc-3.00.toml" --keys "$P/test-keys.toml" --records "$W/holders.csv" \
    --readers "$readers" --journal "$dir/station.db" --json > "$dir/events.json"
  t1=$(date +%s.%N)
  python3 - "$dir/events.json" "$t0" "$t1" "$r" <<'PY'
import json,sys
ev=[json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
cards=[e for e in ev if e["event"]=="card" and e["result"] in ("issued","resumed","already-done")]
wall=float(sys.argv[3])-float(sys.argv[2]); r=int(sys.argv[4])
perso=sum(e["ms"] for e in cards)/1000
per_card=wall*r/len(cards)
print(f"{r} reader(s): {len(cards)} cards in {wall:.1f} s = {len(cards)*3600/wall:.0f} cards/hour; "
      f"{per_card*1000:.0f} ms per card per reader, of which {max(per_card*len(cards)-perso,0)/len(cards)*1000:.0f} ms outside perso (journal, feeder)")
with open(sys.argv[1]+".rate","w") as f: f.write(str(len(cards)*3600/wall))
PY
}
for r in 1 2 4; do one "$r"; done
python3 - "$W" <<'PY'
import sys
r={n:float(open(f"{sys.argv[1]}/run{n}/events.json.rate").read()) for n in (1,2,4)}
print(f"speed-up: 2 readers {r[2]/r[1]:.2f}x, 4 readers {r[4]/r[1]:.2f}x the cards/hour of 1 reader")
PY
