#!/usr/bin/env bash
# Line coverage of the core (core/src/) by the fuzz corpora: each target built with
# -Cinstrument-coverage (`cargo fuzz coverage`), run once over its seeds and what
# `make fuzz` found (build/fuzz-corpus/<target>), the profiles merged, and one
# llvm-cov report over all targets' binaries, restricted to core/src. `make
# fuzz-coverage` runs it; FUZZ_ENV and CARGO_FUZZ come from the Makefile.
#
# Needs llvm-profdata and llvm-cov (rustup's llvm-tools, or Debian's llvm-19, whose
# tools read rustc's profiles): `apt-get install llvm-19`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
targets=${*:-seal_open open_payload plaintext json_text attributes message keys inbound xsalsa20poly1305_differential}
cargo_fuzz=${CARGO_FUZZ:-../target/tools/bin/cargo-fuzz}

tool() {
  local t
  # the newest: an older LLVM cannot read a newer rustc's profiles
  for t in $(ls /usr/bin/"$1"-[0-9]* 2>/dev/null | sort -V -r) "$1"; do
    command -v "$t" >/dev/null 2>&1 && { echo "$t"; return; }
  done
  echo "fuzz/coverage.sh: no $1 (apt-get install llvm-19)" >&2
  exit 1
}
profdata=$(tool llvm-profdata)
llvm_cov=$(tool llvm-cov)

bins=()
for t in $targets; do
  dirs=("corpus/$t")
  [ -d "../build/fuzz-corpus/$t" ] && dirs+=("../build/fuzz-corpus/$t")
  rm -rf "coverage/$t"
  # Its own merge wants rustup's llvm-tools; the raw profiles are what we need.
  env ${FUZZ_ENV:-RUSTUP_TOOLCHAIN=nightly} "$cargo_fuzz" fuzz coverage "$t" "${dirs[@]}" >"coverage-$t.log" 2>&1 || true
  compgen -G "coverage/$t/raw/*.profraw" >/dev/null || { tail -n 20 "coverage-$t.log"; exit 1; }
  rm -f "coverage-$t.log"
  bins+=("target/x86_64-unknown-linux-gnu/coverage/x86_64-unknown-linux-gnu/release/$t")
done
"$profdata" merge -sparse coverage/*/raw -o coverage/all.profdata
objects=("${bins[0]}")
for b in "${bins[@]:1}"; do objects+=(-object "$b"); done
"$llvm_cov" report "${objects[@]}" -instr-profile=coverage/all.profdata $(find ../core/src -name '*.rs' | sort) |
  sed -e "s|$(cd .. && pwd)/||"
