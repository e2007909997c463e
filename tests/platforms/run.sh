#!/usr/bin/env bash
# make test-platforms: the crates each binding ships, checked for the targets its
# users run, and the core's tests run on aarch64 Linux under qemu-user.
#
#   check   wampe2e (core), wampe2e-mobile (Kotlin/Swift) and wampe2e-ffi (C) for
#           the phone and desktop targets below (wasm32-unknown-unknown: make test-wasm).
#           Type-checked, not linked: no Android NDK, Apple SDK or linker for those
#           targets exists here. A warning in our crates fails the step.
#   test    `cargo test -p wampe2e -p wampe2e-tests` for aarch64-unknown-linux-gnu,
#           linked with Debian's gcc-aarch64-linux-gnu and run by qemu-aarch64: the
#           NEON keystream against the scalar reference, round trips, property tests,
#           the shared vectors, doc-tests; then the same vectors, round trips and
#           differential tests once more on the forced-scalar path.
#
# Toolchain: rustup has only the x86-64 standard library here and cannot download
# others. Where rustup's toolchain has every target installed it is used as is;
# otherwise Debian's rustc-web (Rust 1.96 with its library source, rust-web-src) builds
# the standard library for each target (`-Zbuild-std`, allowed by RUSTC_BOOTSTRAP=1),
# once per target into target/cross, shared by the check and the test.
# On Debian as root the packages are installed when missing; elsewhere, without them,
# the step says what it skipped and why.
# `--provision-only`: install what is missing (as above) and stop; make test runs this
# in the foreground, so that no two apt-get runs overlap, before the rest runs in the
# background.
set -euo pipefail
cd "$(dirname "$0")/../.."
PROVISION_ONLY=0
[ "${1:-}" = --provision-only ] && PROVISION_ONLY=1

CHECK_TARGETS=(
  aarch64-linux-android armv7-linux-androideabi x86_64-linux-android
  aarch64-apple-ios aarch64-apple-ios-sim aarch64-apple-darwin x86_64-apple-darwin
  aarch64-unknown-linux-gnu
)
TEST_TARGET=aarch64-unknown-linux-gnu
TARGET_DIR=${WAMPE2E_CROSS_TARGET_DIR:-target/cross}
PACKAGES="rustc-web cargo-web rust-web-src qemu-user gcc-aarch64-linux-gnu libc6-dev-arm64-cross"
SYSROOT=/usr/aarch64-linux-gnu

skip() {
  echo "platforms: skipped: $1"
  exit 0
}

say() { echo "platforms: $*"; }

# ---- toolchain ----
all_in_rustup=1
installed=$(rustup target list --installed 2>/dev/null || true)
for t in "${CHECK_TARGETS[@]}"; do
  grep -qx "$t" <<<"$installed" || all_in_rustup=0
done

if [ "$all_in_rustup" = 1 ]; then
  CARGO=(cargo)
  BUILD_STD=()
  say "rustup has every target: using it"
else
  missing=""
  for p in $PACKAGES; do
    dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
  done
  if [ -n "$missing" ]; then
    [ -r /etc/debian_version ] && command -v apt-get >/dev/null 2>&1 ||
      skip "rustup lacks the targets and this is not Debian (no rustc-web with its library source); nothing cross-checked"
    [ "$(id -u)" = 0 ] || skip "rustup lacks the targets and installing Debian's$missing needs root; nothing cross-checked"
    say "apt-get install$missing"
    APT=(apt-get -o DPkg::Lock::Timeout=300 -y -qq --no-install-recommends)
    DEBIAN_FRONTEND=noninteractive "${APT[@]}" install $missing >/dev/null ||
      { apt-get -o DPkg::Lock::Timeout=300 update -qq && DEBIAN_FRONTEND=noninteractive "${APT[@]}" install $missing >/dev/null; }
  fi
  # Debian's cargo and rustc, not rustup's shims (first on the PATH); its rustdoc for
  # the doc-tests. RUSTC_BOOTSTRAP=1 allows -Zbuild-std on this stable compiler.
  export RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1
  CARGO=(/usr/bin/cargo)
  BUILD_STD=(-Zbuild-std=std,panic_abort)
  say "$(/usr/bin/rustc --version) (Debian rustc-web), standard library built per target"
fi
[ "$PROVISION_ONLY" = 1 ] && exit 0

# Fails on a warning in one of our crates (the standard library's own are not ours).
run_checked() {
  local log
  log=$(mktemp)
  if ! "$@" --message-format short >"$log" 2>&1; then
    grep -E '^(error|warning)|error(\[|:)' "$log" | head -n 40 || tail -n 40 "$log"
    rm -f "$log"
    return 1
  fi
  if grep -E '^(core|mobile|ffi-c|cli)/[^ ]*: warning' "$log"; then
    rm -f "$log"
    echo "platforms: warnings in our crates (above)" >&2
    return 1
  fi
  rm -f "$log"
}

# ---- check ----
start=$SECONDS
target_args=()
for t in "${CHECK_TARGETS[@]}"; do target_args+=(--target "$t"); done
run_checked "${CARGO[@]}" check --locked "${BUILD_STD[@]}" "${target_args[@]}" \
  -p wampe2e -p wampe2e-mobile -p wampe2e-ffi --target-dir "$TARGET_DIR"
say "checked wampe2e, wampe2e-mobile, wampe2e-ffi for ${CHECK_TARGETS[*]} ($((SECONDS - start)) s)"
# wasm32-unknown-unknown is built for real, with its bindings, by make test-wasm (wasm/build.sh).

# ---- test on aarch64 under qemu-user ----
if ! command -v qemu-aarch64 >/dev/null 2>&1 || ! command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 ||
  [ ! -d "$SYSROOT/lib" ]; then
  skip "no qemu-aarch64, aarch64-linux-gnu-gcc or $SYSROOT (Debian: $PACKAGES); the core's tests did not run on aarch64"
fi
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="qemu-aarch64 -L $SYSROOT"
# Optimised tests: under emulation the differential tests' megabytes of keystream
# take minutes unoptimised; opt-level 1 costs little to compile.
export CARGO_PROFILE_DEV_OPT_LEVEL=1
# Runs a test command, prints its summary lines (all of its output on failure).
run_tests() {
  local log rc=0
  log=$(mktemp)
  "$@" >"$log" 2>&1 || rc=$?
  if [ "$rc" = 0 ]; then
    grep -E '^(test result|salsa20_simd:)' "$log" | sort | uniq -c | sed 's/^ */  /'
  else
    grep -vE '^test .* \.\.\. ok$' "$log" | tail -n 80
  fi
  rm -f "$log"
  return "$rc"
}
start=$SECONDS
WAMPE2E_REQUIRE_SIMD=neon run_tests "${CARGO[@]}" test --locked "${BUILD_STD[@]}" --target "$TEST_TARGET" \
  -p wampe2e -p wampe2e-tests --target-dir "$TARGET_DIR"
say "core tests passed on $TEST_TARGET under qemu-aarch64 ($((SECONDS - start)) s)"
start=$SECONDS
WAMPE2E_FORCE_SCALAR=1 run_tests "${CARGO[@]}" test --locked "${BUILD_STD[@]}" --target "$TEST_TARGET" \
  -p wampe2e-tests -p wampe2e --test vectors --test roundtrip --test salsa20_simd \
  --target-dir "$TARGET_DIR"
say "forced-scalar pass passed on $TEST_TARGET ($((SECONDS - start)) s)"
