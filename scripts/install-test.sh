#!/usr/bin/env bash
# The install as a station meets it: build the Debian package (scripts/package.sh), unpack it
# into a fresh root with `dpkg -x`, and from /tmp, with an empty home and nothing of the
# repository, run the installed sscard: --version, profile list (the packaged profiles are
# found and match the compiled-in ones), demo, read --profile ssc-3.00 on a virtual card, a
# packaged man page and the completions. Then, as a station's IT department installs it,
# `dpkg -i` the package on this machine (root, or passwordless sudo: CI runs as root on a
# fresh Debian 12): `sscard --version`, `profile list`, `demo` and `man sscard` from /tmp, then
# `dpkg --purge`, checking that nothing of the package is left behind.
#
# Usage: scripts/install-test.sh          package from the debug build the tests made (fast)
#        scripts/install-test.sh --release  package the release build (what stations install)
# scripts/test.sh runs it as the step "install test (Debian package)".
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

fail() { echo "install test: FAILED: $*" >&2; exit 1; }
need() { command -v "$1" >/dev/null || fail "$1 not found: $2"; }
need dpkg-deb "build on Debian 12 (package dpkg)"
need man "apt-get install man-db (scripts/test.sh installs it)"
need bash "bash is needed to check the completions"

mode=--dev
[ "${1:-}" = --release ] && mode=
deb=$(scripts/package.sh $mode | tail -1) || fail "scripts/package.sh did not build the package"
[ -f "$deb" ] || fail "scripts/package.sh printed no package file (got: $deb)"
case "$deb" in /*) ;; *) deb="$repo/$deb" ;; esac
echo "package: $deb"

work=$(mktemp -d /tmp/sscard-install-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
root="$work/root"
mkdir -p "$root" "$work/home" "$work/cwd"

# What dpkg would install, and how.
dpkg-deb --field "$deb" Package Version Depends Recommends | tee "$work/control"
grep -q '^Depends:.*\bpcscd\b' "$work/control" || fail "the package does not depend on pcscd"
grep -q '^Recommends:.*\bpcsc-tools\b' "$work/control" || fail "the package does not recommend pcsc-tools"
dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles > "$work/conffiles" 2>/dev/null ||
  fail "the package has no conffiles"
grep -qx /etc/sscard/sscard.toml "$work/conffiles" || fail "/etc/sscard/sscard.toml is not a conffile"
dpkg -x "$deb" "$root"
for f in usr/bin/sscard \
  usr/share/sscard/profiles/ssc-3.00.toml usr/share/sscard/profiles/ssc-2.00.toml \
  usr/share/sscard/profiles/ssc-1.00.toml usr/share/sscard/profiles/iso7816-demo.toml \
  usr/share/sscard/test-keys.toml usr/share/sscard/apdu-scripts/health-probe.apdu \
  usr/share/man/man1/sscard.1.gz usr/share/man/man1/sscard-read.1.gz \
  usr/share/man/man1/sscard-profile-list.1.gz \
  usr/share/bash-completion/completions/sscard usr/share/zsh/vendor-completions/_sscard \
  usr/share/fish/vendor_completions.d/sscard.fish etc/sscard/sscard.toml \
  usr/share/doc/sscard/copyright; do
  [ -e "$root/$f" ] || fail "/$f is not in the package"
done
[ ! -e "$root/usr/share/sscard/profiles/test-keys.toml" ] || fail "test-keys.toml is among the profiles"
echo "files: all present"

# From /tmp, an empty home, no repository: only what the package installed.
cd "$work/cwd"
export HOME="$work/home" XDG_CONFIG_HOME="$work/home/.config"
unset SSCARD_PROFILE_PATH
sscard="$root/usr/bin/sscard"
"$sscard" --version | tee "$work/version"
grep -Eq '^sscard [0-9.]+ \(commit ([0-9a-f]{12}|unknown), built [0-9]{4}-[0-9]{2}-[0-9]{2}\)$' "$work/version" ||
  fail "sscard --version does not say version, commit and build date"

"$sscard" profile list | tee "$work/list"
for p in ssc-3.00 ssc-2.00 ssc-1.00 iso7816-demo; do
  grep -Eq "^$p +package +used +sha256:[0-9a-f]{16} +$root/usr/share/sscard/profiles/$p.toml\$" "$work/list" ||
    fail "profile list does not use the packaged $p"
done
! grep -q DIFFERS "$work/list" || fail "a packaged profile differs from the compiled-in one"

"$sscard" demo | tee "$work/demo"
grep -q '^OK: card good and enabled' "$work/demo" || fail "sscard demo did not end OK"

"$sscard" demo --image card.json > /dev/null || fail "sscard demo --image card.json"
"$sscard" read --profile ssc-3.00 --reader sim:card.json \
  --keys "$root/usr/share/sscard/test-keys.toml" --card-id 440700D156000005008A3F21C4E5B607 |
  tee "$work/read"
grep -Eq '^profile +ssc-3.00$' "$work/read" || fail "read did not use profile ssc-3.00"
grep -Eq '^EF06 08 +社会保障号码 +110101199012290016$' "$work/read" || fail "read did not decode the citizen number"

man -l "$root/usr/share/man/man1/sscard-read.1.gz" > "$work/man" 2>"$work/man.err" || fail "man -l sscard-read.1.gz"
head -5 "$work/man"
grep -q -- '--profile' "$work/man" || fail "the sscard-read man page does not document --profile"
grep -q 'sscard-read' "$work/man" || fail "the sscard-read man page does not name itself"

bash -c "source '$root/usr/share/bash-completion/completions/sscard' && complete -p sscard" ||
  fail "the bash completion does not register for sscard"
# The C reader interface, when the crate builds it: the C example compiles and links against
# the packaged header and library through the packaged pkg-config file.
if grep -q '"cdylib"' "$repo/Cargo.toml"; then
  need cc "apt-get install gcc"
  need pkg-config "apt-get install pkg-config"
  lib=$(find "$root/usr/lib" -name libsscard.so | head -1)
  [ -n "$lib" ] || fail "the crate builds libsscard.so but the package does not install it"
  pcdir=$(dirname "$lib")/pkgconfig
  [ -f "$pcdir/sscard.pc" ] || fail "no pkg-config file sscard.pc beside $lib"
  [ -f "$root/usr/include/sscard.h" ] || fail "/usr/include/sscard.h is not in the package"
  flags=$(PKG_CONFIG_SYSROOT_DIR="$root" PKG_CONFIG_LIBDIR="$pcdir" pkg-config --cflags --libs sscard) ||
    fail "pkg-config does not know sscard"
  echo "pkg-config --cflags --libs sscard: $flags"
  # shellcheck disable=SC2086
  cc "$repo/examples/c/read_card.c" $flags -o "$work/read_card" || fail "the C example does not build against the package"
  LD_LIBRARY_PATH=$(dirname "$lib") ldd "$work/read_card" | grep -F "$lib" ||
    fail "the C example does not load the packaged libsscard.so"
fi

# dpkg -i: the package installed for real, run by name from PATH, then purged without a trace.
sudo=()
if [ "$(id -u)" != 0 ]; then
  sudo -n true 2>/dev/null ||
    fail "dpkg -i needs root: run as root (CI does, on a disposable Debian 12) or with passwordless sudo"
  sudo=(sudo -n)
fi
known=$(dpkg-query -W -f='${db:Status-Abbrev}' sscard 2>/dev/null || true)
case "$known" in
  "" | "un "*) ;;
  *) fail "sscard is already known to dpkg here (dpkg -l sscard: $known): the test would replace and then purge it; run it on a disposable machine, or dpkg --purge sscard first" ;;
esac
installed=
purge_pkg() { [ -z "$installed" ] || "${sudo[@]}" dpkg --purge sscard > /dev/null 2>&1 || true; }
trap 'purge_pkg; rm -rf "$work"' EXIT
installed=1
echo "\$ dpkg -i $(basename "$deb")"
"${sudo[@]}" dpkg -i "$deb" > "$work/dpkg-i.log" 2>&1 || {
  cat "$work/dpkg-i.log" >&2
  fail "dpkg -i $deb failed (a missing dependency? apt-get install pcscd)"
}
grep -E '^(Selecting|Unpacking|Setting up) ' "$work/dpkg-i.log" || true
"${sudo[@]}" dpkg -L sscard > "$work/files"
hash -r
[ "$(command -v sscard)" = /usr/bin/sscard ] || fail "sscard is not /usr/bin/sscard on PATH after dpkg -i (got: $(command -v sscard))"
echo "\$ sscard --version"
sscard --version | tee "$work/version-installed"
cmp -s "$work/version" "$work/version-installed" || fail "the installed sscard says another version than the package's"
sscard profile list > "$work/list-installed"
grep -Eq '^ssc-3.00 +package +used +sha256:[0-9a-f]{16} +/usr/share/sscard/profiles/ssc-3.00.toml$' "$work/list-installed" ||
  { cat "$work/list-installed" >&2; fail "profile list does not use /usr/share/sscard/profiles/ssc-3.00.toml"; }
grep -E '^ssc-3.00 +package' "$work/list-installed" | sed 's/^/  (profile list) /'
echo "\$ sscard demo"
sscard demo > "$work/demo-installed" || { cat "$work/demo-installed" >&2; fail "the installed sscard demo failed"; }
tail -2 "$work/demo-installed"
grep -q '^OK: card good and enabled' "$work/demo-installed" || fail "the installed sscard demo did not end OK"
echo "\$ man sscard"
if ! MANPAGER=cat MANWIDTH=80 man sscard > "$work/man-installed" 2> "$work/man-installed.err"; then
  cat "$work/man-installed.err" >&2
  [ -e /usr/share/man/man1/sscard.1.gz ] ||
    fail "dpkg did not install /usr/share/man/man1/sscard.1.gz (a path-exclude in /etc/dpkg/dpkg.cfg.d/? $(grep -ls 'path-exclude.*man' /etc/dpkg/dpkg.cfg.d/* 2>/dev/null | tr '\n' ' '))"
  fail "man sscard failed after dpkg -i"
fi
head -4 "$work/man-installed"
grep -q 'sscard' "$work/man-installed" && grep -q -- '--reader' "$work/man-installed" ||
  fail "man sscard does not show the sscard page"

echo "\$ dpkg --purge sscard"
"${sudo[@]}" dpkg --purge sscard > "$work/dpkg-purge.log" 2>&1 || { cat "$work/dpkg-purge.log" >&2; fail "dpkg --purge sscard"; }
installed=
grep -E '^(Removing|Purging) ' "$work/dpkg-purge.log" || true
known=$(dpkg-query -W -f='${db:Status-Abbrev}' sscard 2>/dev/null || true)
case "$known" in "" | "un "*) ;; *) fail "dpkg still knows sscard after the purge ($known)" ;; esac
left=0
while read -r f; do
  [ -d "$f" ] && continue # shared folders (/usr/bin, /etc) stay; the package's own are checked below
  [ -e "$f" ] || [ -L "$f" ] || continue
  echo "left behind: $f" >&2; left=$((left + 1))
done < "$work/files"
for d in /etc/sscard /usr/share/sscard /usr/share/doc/sscard; do
  [ ! -e "$d" ] || { echo "left behind: $d" >&2; left=$((left + 1)); }
done
[ "$left" -eq 0 ] || fail "$left path(s) of the package are left after dpkg --purge"
hash -r
! command -v sscard > /dev/null || fail "sscard is still on PATH after the purge: $(command -v sscard)"
echo "purged: none of the $(wc -l < "$work/files") paths of the package is left"

echo "install test: OK ($(basename "$deb"), run from $work/cwd)"
cd "$repo"
