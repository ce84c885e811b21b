#!/usr/bin/env bash
# Builds the Debian package of sscard with cargo-deb (metadata: [package.metadata.deb] in
# Cargo.toml): the binary, the shipped profiles and APDU scripts, man pages (one per
# subcommand), bash/zsh/fish completions and the example /etc/sscard/sscard.toml.
#
# Usage: scripts/package.sh           release build (what a station installs)
#        scripts/package.sh --dev     from the debug build the tests already made (fast; the
#                                     install test in scripts/test.sh uses it)
# Prints the path of the .deb on its last line. Installs cargo-deb if it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

profile=release
build=(--release)
case "${1:-}" in
  "") ;;
  --dev)
    profile=debug
    # The features the test suite builds with, so the test build's binary is reused as it is
    # (the feature only switches tests on; the binary is the same).
    build=(--features pcscd-tests,pg-tests)
    ;;
  *) echo "usage: scripts/package.sh [--dev]" >&2; exit 2 ;;
esac

if [ -f "$HOME/.cargo/env" ] && ! command -v cargo >/dev/null; then
  # shellcheck disable=SC1091
  . "$HOME/.cargo/env"
fi
command -v cargo >/dev/null || { echo "package.sh: cargo not found: install Rust with rustup (https://rustup.rs)" >&2; exit 1; }
command -v dpkg-deb >/dev/null || { echo "package.sh: dpkg-deb not found: build on Debian/Ubuntu/Kylin/UOS (apt-get install dpkg-dev)" >&2; exit 1; }
if ! cargo deb --version >/dev/null 2>&1; then
  echo "package.sh: cargo-deb is missing: cargo install cargo-deb --locked"
  cargo install cargo-deb --locked
fi

# 1. The binary, then the man pages and completions it generates from its own command line.
cargo build "${build[@]}" --bin sscard --lib
bin="target/$profile/sscard"
assets=target/pkg-assets
rm -rf "$assets"
mkdir -p "$assets/man" "$assets/completions"
"$bin" gen-man "$assets/man"
gzip -9n "$assets"/man/*.1
"$bin" gen-completions "$assets/completions"

# The C reader interface, when the crate builds it: libsscard.so in the multiarch folder
# (/usr/lib/x86_64-linux-gnu), its header and a pkg-config file. Cargo.toml's assets take them
# from target/pkg-assets/lib and target/pkg-assets/include.
if [ -f "target/$profile/libsscard.so" ] && [ -f include/sscard.h ]; then
  triplet=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
  [ -n "$triplet" ] || { echo "package.sh: cannot tell the multiarch triplet (apt-get install dpkg-dev)" >&2; exit 1; }
  mkdir -p "$assets/lib/$triplet/pkgconfig" "$assets/include"
  cp "target/$profile/libsscard.so" "$assets/lib/$triplet/"
  cp include/sscard.h "$assets/include/"
  version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
  cat > "$assets/lib/$triplet/pkgconfig/sscard.pc" <<EOF
prefix=/usr
libdir=\${prefix}/lib/$triplet
includedir=\${prefix}/include

Name: sscard
Description: the social security card reader interface (iReadCardBas, iReadCard, ...) over PC/SC
Version: $version
Libs: -L\${libdir} -lsscard
Cflags: -I\${includedir}
EOF
fi

# 2. The package (cargo-deb does not rebuild: the build above is the one packaged). cargo-deb
# takes the binary from <target>/release; a --dev package stages the debug binary there.
deb_env=()
if [ "$profile" = debug ]; then
  mkdir -p target/pkg-dev/release
  cp -f "$bin" target/pkg-dev/release/sscard
  deb_env=(CARGO_TARGET_DIR=target/pkg-dev)
fi
out=$(env "${deb_env[@]}" cargo deb --no-build --output target/debian 2>&1) || { echo "$out" >&2; exit 1; }
echo "$out" | grep -v '^target/debian/.*\.deb$' >&2 || true
deb=$(echo "$out" | grep '\.deb$' | tail -1)
[ -f "$deb" ] || { echo "package.sh: cargo deb made no .deb:" >&2; echo "$out" >&2; exit 1; }
echo "$deb"
