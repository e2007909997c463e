#!/usr/bin/env bash
# make wasm: the WebAssembly build of wampe2e for the npm package's `browser` export.
#
#   1. wampe2e-wasm (wasm/) for wasm32-unknown-unknown with SIMD128, profile `wasm`
#      (release, LTO);
#   2. wasm-bindgen (the CLI pinned to the crate's exact version, installed into
#      target/tools) writes the glue into node/wasm/;
#   3. node/browser/build.mjs (esbuild) bundles node/browser/dist/wampe2e.mjs (the
#      browser module, the wasm inlined) and dist/wampe2e-wasm.cjs (for Node tests).
#
# Toolchain: where rustup has the wasm32 target it is used. Otherwise (rustup cannot
# download targets here) Debian's rustc-web with its library source (rust-web-src)
# builds the standard library for wasm32 (`-Zbuild-std`, allowed by RUSTC_BOOTSTRAP=1)
# and lld-19's wasm-ld links; on Debian as root the packages are installed when missing.
# Nothing generated here is committed (.gitignore).
#
# `--provision-only`: install what is missing and stop (make test runs it in the
# foreground, so that no two apt-get runs overlap). `--compile-only`: steps 1 and 2
# (make test starts them in the background early, while the router suites wait on
# their peers). Runs of this script take turns (flock): a later `make wasm` waits for
# a background compile, then finds it done.
set -euo pipefail
cd "$(dirname "$0")/.."
MODE=${1:-all}
mkdir -p target
exec 9>target/.wasm-build.lock
flock 9
TARGET=wasm32-unknown-unknown
WASM_BINDGEN_VERSION=$(sed -n 's/^wasm-bindgen = "=\(.*\)"/\1/p' wasm/Cargo.toml)
WASM_BINDGEN=target/tools/bin/wasm-bindgen
PACKAGES="rustc-web cargo-web rust-web-src lld-19"

if [ "$MODE" != --provision-only ] && { [ ! -x "$WASM_BINDGEN" ] || [ "$("$WASM_BINDGEN" --version)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]; }; then
  echo "wasm: cargo install wasm-bindgen-cli $WASM_BINDGEN_VERSION"
  # Not --locked: its lockfile names a webpki-roots release the registry here does not
  # serve. No default features: they are TLS for the test runner's browser downloads
  # (rustls and ring), which the glue generator does not use.
  cargo install --quiet --force --root target/tools --no-default-features wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

if rustup target list --installed 2>/dev/null | grep -qx "$TARGET"; then
  CARGO=(cargo)
  BUILD_STD=()
else
  missing=""
  for p in $PACKAGES; do
    dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
  done
  if [ -n "$missing" ]; then
    if [ ! -r /etc/debian_version ] || [ "$(id -u)" != 0 ]; then
      echo "wasm: rustup has no $TARGET target and Debian's$missing cannot be installed here (needs Debian and root)" >&2
      exit 1
    fi
    echo "wasm: apt-get install$missing"
    APT=(apt-get -o DPkg::Lock::Timeout=300 -y -qq --no-install-recommends)
    DEBIAN_FRONTEND=noninteractive "${APT[@]}" install $missing >/dev/null ||
      { apt-get -o DPkg::Lock::Timeout=300 update -qq && DEBIAN_FRONTEND=noninteractive "${APT[@]}" install $missing >/dev/null; }
  fi
  export RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1
  export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=wasm-ld-19
  CARGO=(/usr/bin/cargo)
  BUILD_STD=(-Zbuild-std=std,panic_abort)
fi
[ "$MODE" = --provision-only ] && exit 0

# WebAssembly SIMD128 (every current browser, Node 16.4+): the core's 4-block Salsa20
# keystream (core/src/crypto/salsa20/wasm.rs). WebAssembly cannot detect it at run
# time, so the module requires it.
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="-C target-feature=+simd128"
"${CARGO[@]}" build --quiet --locked "${BUILD_STD[@]}" --target "$TARGET" -p wampe2e-wasm \
  --profile wasm --target-dir target/wasm
rm -rf node/wasm
"$WASM_BINDGEN" --target web --remove-name-section --remove-producers-section --out-dir node/wasm --out-name wampe2e_wasm \
  "target/wasm/$TARGET/wasm/wampe2e_wasm.wasm"
[ "$MODE" = --compile-only ] && exit 0
(cd node && node browser/build.mjs)
wasm_size=$(stat -c %s node/wasm/wampe2e_wasm_bg.wasm)
bundle_gz=$(gzip -9 -c node/browser/dist/wampe2e.mjs | wc -c)
echo "wasm: node/browser/dist/wampe2e.mjs: wasm $((wasm_size / 1024)) KiB, bundle gzipped $((bundle_gz / 1024)) KiB"
