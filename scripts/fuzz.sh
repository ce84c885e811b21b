#!/bin/sh
# Coverage-guided fuzzing of sscard (cargo-fuzz, nightly), bounded: each target of fuzz/ runs
# SECONDS (default 60), one at a time, from a seed corpus built from the repository's own
# profiles, key files, scripts, snapshots and card images. Findings go to fuzz/artifacts/;
# the per-target figures (executions, coverage) are printed at the end and kept in
# fuzz/last-run.txt. Usage: scripts/fuzz.sh [SECONDS] [TARGET...]
set -eu
secs=${1:-60}
[ $# -gt 0 ] && shift
cd "$(dirname "$0")/.."
if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "fuzz.sh: the nightly toolchain is needed (rustup toolchain install nightly)" >&2
    exit 1
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

seed() { # seed TARGET FILE...: copy existing files into the target's corpus
    dir=fuzz/corpus/$1
    mkdir -p "$dir"
    shift
    for f in "$@"; do
        if [ -f "$f" ]; then cp "$f" "$dir/"; fi
    done
}
seedhex() { # seedhex TARGET NAME HEX: a binary seed from hex
    mkdir -p "fuzz/corpus/$1"
    printf '%s' "$3" | xxd -r -p > "fuzz/corpus/$1/$2"
}
seed profile_toml card-profiles/*.toml
seed key_file card-profiles/test-keys.toml
seed apdu_script apdu-scripts/*.apdu apdu-scripts/lib/*.apdu
seed card_image fuzz/fixtures/*.json
seed records tests/snapshots/*.json fuzz/fixtures/holder.json fuzz/fixtures/holders.csv
mkdir -p fuzz/corpus/hex_apdu
printf '00 A4 04 0C 0F 73 78 31 2E 73 68 2E C9 E7 BB E1 B1 A3 D5 CF' > fuzz/corpus/hex_apdu/select.txt
seedhex hex_apdu case4 00A4040C0F7378312E73682EC9E7BBE1B1A3D5CF00
seedhex hex_apdu extended 00B0000000010000
seedhex atr ssc 3B9E188131FE458031C073F02100667373636172642C
seedhex atr t0 3B8F8001804F0CA000000306030001000000006A
seedhex tlv_fcp df 6F1F8201388302DDF1840F7378312E73682EC9E7BBE1B1A3D5CF8A0103
seedhex tlv_fcp ef 62168205042100200A8302EF0688013086060020212222FF
# Card commands: length-prefixed APDUs (FF = power off and on).
seedhex card_commands perso \
14'00A4040C0F7378312E73682EC9E7BBE1B1A3D5CF'05'00B2082C00'08'0020000003999999'05'0084000008'FF'0400200000'

targets=${*:-$(cargo +nightly fuzz list)}
cargo +nightly fuzz build -s none -a
: > fuzz/last-run.txt
for t in $targets; do
    echo "== $t: ${secs}s" | tee -a fuzz/last-run.txt
    log=fuzz/last-run-$t.log
    status=0
    # No sanitizer (sscard forbids unsafe code outside src/ffi/, which no target reaches);
    # debug assertions on, so an arithmetic overflow is a finding too.
    cargo +nightly fuzz run -s none -a "$t" "fuzz/corpus/$t" -- \
        -max_total_time="$secs" -rss_limit_mb=1024 -timeout=10 -print_final_stats=1 \
        >"$log" 2>&1 || status=$?
    grep -E '^(Done|stat::number_of_executed_units|stat::peak_rss_mb)|SUMMARY|panicked|ERROR' "$log" \
        | tee -a fuzz/last-run.txt || true
    echo "exit $status" | tee -a fuzz/last-run.txt
done
