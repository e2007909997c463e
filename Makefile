# wampe2e: the two commands a new user runs are `make demo` and `make test`.
# Everything they need is installed from the package registries by the targets below.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

CARGO  ?= cargo
PYTHON ?= python3
VENV   := .venv
VPY    := $(VENV)/bin/python
CLI    := target/debug/wampe2e

VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
CBINDGEN_VERSION := 0.29.4
CBINDGEN := target/tools/bin/cbindgen
PREFIX ?= /usr/local
# libwampe2e staging: build/<profile>/{lib,include,lib/pkgconfig}
FFI_PROFILE ?= debug
STAGE := build/$(FFI_PROFILE)
CFLAGS_TEST := -std=c99 -Wall -Wextra -Werror -g -Iinclude
NATIVE_LIBS := -lpthread -ldl -lm -lrt

CROSSBAR_VENV := .venv-crossbar
CROSSBAR_VERSION := 26.10.1
WHEEL_DIR := build/wheels

NEXUS := build/nexus-router

UNIFFI_BINDGEN := $(CARGO) run --quiet --locked -p wampe2e-mobile --features cli --bin uniffi-bindgen -- generate --no-format \
	--library target/debug/libwampe2e_mobile.so

.PHONY: wasm test-wasm bench-wasm provision-browser
.PHONY: help demo test test-mobile mobile-bindings test-py wheel bench-py bench-gs1 test-node node-addon bench-node test-rust test-vectors test-interop lint bench vectors clean \
	header check-header lib install test-c example bench-c test-docs

help:
	@echo "make demo    build the CLI and run its walkthrough"
	@echo "make test    lint, build and run every test suite (installs what it needs)"
	@echo "make test-platforms  check the phone, desktop and wasm targets; core tests on aarch64 (qemu)"
	@echo "make bench   criterion benchmarks of the core next to libsodium"
	@echo "make lib     build libwampe2e (.so, .a, header, wampe2e.pc) into build/"
	@echo "make install PREFIX=/usr/local   install libwampe2e"
	@echo "make bench-c C harness: FFI overhead and throughput next to libsodium"
	@echo "make bench-py wampe2e.autobahn.KeyRing next to Autobahn's KeyRing"
	@echo "make bench-node the addon next to tweetnacl, libsodium-wrappers, sodium-native"
	@echo "make wasm    the WebAssembly build of the npm package (node/browser/dist/wampe2e.mjs)"
	@echo "make bench-wasm  the wasm build in Chromium next to tweetnacl and libsodium-wrappers"
	@echo "make test-wasm   the Node suites on the wasm build, real Chromium, the packed browser bundle"

demo:
	$(CARGO) run --quiet -p wampe2e-cli -- demo

# test-platforms (cross checks and the aarch64 tests under qemu: CPU only) runs in the
# background at a low priority while the suites after test-rust, which spend much of
# their time waiting on routers and peers, run in the foreground; its log is printed
# at the end, and either failing fails make test. The wasm compile (wasm-bindgen-cli,
# the module) starts in the background too; test-wasm's `make wasm` waits for it
# (wasm/build.sh takes turns) and then only bundles, or reports its failure itself.
SUITES := fuzz-smoke test-vectors test-interop test-c test-py test-node test-wasm test-mobile test-docs
test: lint check-header test-rust
	tests/platforms/run.sh --provision-only
	wasm/build.sh --provision-only
	@mkdir -p build; log=build/test-platforms.log; \
	setsid nice -n 10 $(MAKE) --no-print-directory test-platforms >"$$log" 2>&1 </dev/null & bg=$$!; \
	setsid nice -n 5 wasm/build.sh --compile-only >build/wasm-compile.log 2>&1 </dev/null & wbg=$$!; \
	trap 'kill -- -$$bg -$$wbg 2>/dev/null || true' EXIT; \
	echo "make test: test-platforms and the wasm compile run in the background (logs: $$log, build/wasm-compile.log)"; \
	rc=0; $(MAKE) --no-print-directory $(SUITES) || rc=$$?; \
	if [ "$$rc" != 0 ]; then echo "make test: a suite failed; stopping test-platforms"; exit "$$rc"; fi; \
	prc=0; wait "$$bg" || prc=$$?; trap - EXIT; \
	echo "---- test-platforms (background) ----"; cat "$$log"; \
	if [ "$$prc" != 0 ]; then echo "make test: test-platforms failed"; exit "$$prc"; fi
	@echo "make test: all suites passed"

lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

test-rust:
	$(CARGO) test --workspace --locked
	@# the same vectors and round trips once more on the forced-scalar keystream path,
	@# with nonces from one getrandom call each (the nonce generator's fallback)
	WAMPE2E_FORCE_SCALAR=1 WAMPE2E_FORCE_GETRANDOM=1 $(CARGO) test --locked -p wampe2e-tests -p wampe2e --test vectors --test roundtrip --test salsa20_simd --test nonce_fork

# ---- Fuzzing (fuzz/, cargo-fuzz and libFuzzer; fuzz/README.md) ----

# ---- Platforms (tests/platforms/run.sh) ----

.PHONY: test-platforms
# The core, the mobile crate and libwampe2e checked for the phone, desktop and wasm
# targets; the core's tests run on aarch64 Linux under qemu-user (NEON and scalar).
test-platforms:
	tests/platforms/run.sh

.PHONY: fuzz fuzz-smoke fuzz-coverage
CARGO_FUZZ_VERSION := 0.13.2
CARGO_FUZZ := target/tools/bin/cargo-fuzz
FUZZ_TARGETS := seal_open open_payload plaintext json_text attributes message keys inbound xsalsa20poly1305_differential group
# libFuzzer builds need nightly flags: rustup's nightly if there is one, else stable told to allow them.
FUZZ_ENV := $(if $(shell rustup toolchain list 2>/dev/null | grep '^nightly'),RUSTUP_TOOLCHAIN=nightly,RUSTC_BOOTSTRAP=1)
FUZZ_SMOKE_SECONDS ?= 15
FUZZ_SECONDS ?= 600

$(CARGO_FUZZ):
	$(CARGO) install --quiet --locked --root target/tools cargo-fuzz --version $(CARGO_FUZZ_VERSION)

# Runs each of FUZZ_TARGETS for $(1) seconds on the committed seeds (fuzz/corpus/<target>),
# new inputs into $(2)/<target>; prints runs and coverage; a crash fails with its log.
define fuzz_run
	(cd fuzz && $(FUZZ_ENV) ../$(CARGO_FUZZ) fuzz build); \
	for t in $(FUZZ_TARGETS); do \
	  mkdir -p "$(2)/$$t"; \
	  (cd fuzz && $(FUZZ_ENV) ../$(CARGO_FUZZ) fuzz run $$t "$(2)/$$t" corpus/$$t -- \
	    -max_total_time=$(1) -print_final_stats=1 >"$(2)/$$t.log" 2>&1) || \
	    { grep -m 1 -A 3 panicked "$(2)/$$t.log" || true; tail -n 30 "$(2)/$$t.log"; exit 1; }; \
	  runs=$$(sed -n 's/^stat::number_of_executed_units: *//p' "$(2)/$$t.log"); \
	  cov=$$(grep -o 'cov: [0-9]* ft: [0-9]*' "$(2)/$$t.log" | tail -n 1); \
	  echo "fuzz: $$t: $$runs runs in $(1) s, $$cov, corpus $$(ls "$(2)/$$t" | wc -l) new + $$(ls fuzz/corpus/$$t | wc -l) seeds"; \
	done
endef

# Part of make test: every target built and run briefly; the tree is left as it was.
fuzz-smoke: $(CARGO_FUZZ)
	tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; $(call fuzz_run,$(FUZZ_SMOKE_SECONDS),$$tmp)

# A long campaign: FUZZ_SECONDS per target; what it finds stays in build/fuzz-corpus/<target>
# (crashes in fuzz/artifacts/<target>) for the next run.
fuzz: $(CARGO_FUZZ)
	$(call fuzz_run,$(FUZZ_SECONDS),$(abspath build/fuzz-corpus))

# Line coverage of core/src by the seeds and what make fuzz found (needs llvm-cov: apt-get install llvm-19).
fuzz-coverage: $(CARGO_FUZZ)
	FUZZ_ENV="$(FUZZ_ENV)" CARGO_FUZZ=$(abspath $(CARGO_FUZZ)) fuzz/coverage.sh

# The test venv: the real Autobahn|Python and the independent crypto/serializer libraries.
$(VENV)/.installed: tests/requirements.txt
	test -x $(VPY) || $(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install --quiet --disable-pip-version-check -r tests/requirements.txt
	touch $@

# The committed vectors must be exactly what the generator scripts produce.
test-vectors: $(VENV)/.installed
	tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	for g in tests/vectors/gen_*.py; do VECTORS_OUT=$$tmp $(VPY) $$g >/dev/null; done; \
	for f in "$$tmp"/*.json; do cmp "$$f" tests/vectors/$$(basename "$$f"); done
	@echo "vectors: regenerated from Autobahn|Python, PyNaCl, cbor2, msgpack, cryptography: identical"

test-interop: $(VENV)/.installed
	$(CARGO) build --quiet -p wampe2e-cli --locked
	WAMPE2E_CLI=$(CLI) $(VPY) -m pytest -q tests/interop

vectors: $(VENV)/.installed
	for g in tests/vectors/gen_*.py; do $(VPY) $$g; done

bench:
	@# grep reads all of ldconfig's output: with -q it stops at the first match and,
	@# under pipefail, ldconfig's SIGPIPE would fail the check.
	@ldconfig -p | grep -F 'libsodium.so.23' >/dev/null || { echo "make bench needs libsodium23 (apt-get install libsodium23) as the reference"; exit 1; }
	$(CARGO) bench -p wampe2e --bench seal_open --bench gs1
	$(PYTHON) core/benches/report.py target/criterion

# Every README's code blocks, run as written (tests/docs/run.py says how), against
# real routers where they talk to one; then the Python sdist, compiled by pip
# (reusing target/), imported in a fresh venv.
test-docs: $(NEXUS) $(VENV)/.installed $(CROSSBAR_VENV)/.installed
	$(CARGO) build --quiet --locked -p wampe2e-cli
	WAMPE2E_CROSSBAR=$(abspath $(CROSSBAR_VENV))/bin/crossbar WAMPE2E_NEXUS=$(abspath $(NEXUS)) $(PYTHON) tests/docs/run.py
	rm -rf build/sdist build/venv-sdist && cd py && ../$(VENV)/bin/maturin sdist -o ../build/sdist >/dev/null
	$(PYTHON) -m venv build/venv-sdist
	CARGO_TARGET_DIR=$(abspath target) build/venv-sdist/bin/python -m pip install --quiet --disable-pip-version-check build/sdist/wampe2e-*.tar.gz
	cd build && venv-sdist/bin/python -c "import wampe2e as w; k = w.generate_data_key(); r = w.KeyRing(); r.set_data_key('k', k, prefix='com.'); e = w.seal_payload(r, 'originator', 'com.x', [1], dialect='ppt', cipher='aes256gcm'); assert w.open_payload(r, 'responder', 'com.x', e)[1] == [1]; print('sdist: pip compiled and installed it')"

# ---- Python wheel (py/) ----

# Crossbar.io lives in its own venv: it is a router the tests start, not a library they import.
$(CROSSBAR_VENV)/.installed:
	test -x $(CROSSBAR_VENV)/bin/python || $(PYTHON) -m venv $(CROSSBAR_VENV)
	$(CROSSBAR_VENV)/bin/python -m pip install --quiet --disable-pip-version-check crossbar==$(CROSSBAR_VERSION)
	touch $@

# The release abi3 wheel, installed into the test venv.
wheel: $(VENV)/.installed
	rm -rf $(WHEEL_DIR)
	cd py && ../$(VENV)/bin/maturin build --quiet --release --locked -o ../$(WHEEL_DIR)
	$(VPY) -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps $(WHEEL_DIR)/wampe2e-*.whl

test-py: wheel $(CROSSBAR_VENV)/.installed $(NEXUS)
	rm -rf build/venv-clean && $(PYTHON) -m venv build/venv-clean
	build/venv-clean/bin/python -m pip install --quiet --disable-pip-version-check $(WHEEL_DIR)/wampe2e-*.whl
	cd build && venv-clean/bin/python -c "import wampe2e as w; r = w.KeyRing(); r.set_shared_key('', w.generate_keypair()[0]); e = w.seal_payload(r, 'originator', 'com.x', [1]); assert w.open_payload(r, 'responder', 'com.x', e) == ('com.x', [1], None); print('clean venv: wheel installs and works without autobahn')"
	# The one abi3 wheel on the oldest and newest CPython this machine has (pyenv or PATH).
	# The lookup never fails the shell (no command substitution that can fail under
	# -e/pipefail); an interpreter without venv/ensurepip counts as absent.
	for want in 3.9 3.13; do \
	  py=; \
	  for c in $(HOME)/.pyenv/versions/$$want.*/bin/python3 "$$(command -v python$$want || true)"; do \
	    if [ -n "$$c" ] && [ -x "$$c" ] && "$$c" -c 'import venv, ensurepip' >/dev/null 2>&1; then py=$$c; break; fi; \
	  done; \
	  if [ -n "$$py" ]; then \
	    rm -rf build/venv-$$want && "$$py" -m venv build/venv-$$want && \
	    build/venv-$$want/bin/python -m pip install --quiet --disable-pip-version-check $(WHEEL_DIR)/wampe2e-*.whl && \
	    build/venv-$$want/bin/python py/tests/abi3_smoke.py || exit 1; \
	  else echo "skipped: no CPython $$want on this machine (abi3 smoke test not run there)"; fi; \
	done
	WAMPE2E_CROSSBAR=$(CROSSBAR_VENV)/bin/crossbar $(VPY) -m pytest -q py/tests
	@# The router is the adversary: attacks through a hostile proxy in front of Crossbar.io.
	WAMPE2E_CROSSBAR=$(CROSSBAR_VENV)/bin/crossbar $(VPY) -m pytest -q tests/hostile

bench-py: wheel
	$(VPY) py/bench/bench_keyring.py

# GS1 load run (tests/load/gs1_load.py): Crossbar.io, 4 publisher and 8 subscriber
# processes, none / cryptobox / gs1 for GS1_LOAD_SECONDS each; a markdown table.
GS1_LOAD_SECONDS ?= 120
bench-gs1: wheel $(CROSSBAR_VENV)/.installed
	WAMPE2E_CROSSBAR=$(CROSSBAR_VENV)/bin/crossbar $(VENV)/bin/python tests/load/gs1_load.py --seconds $(GS1_LOAD_SECONDS)

# ---- Node addon (node/) ----

# The nexus router (Go module proxy), for the wampy / Payload Passthru Mode tests.
$(NEXUS): tests/routers/nexus/main.go tests/routers/nexus/go.mod tests/routers/nexus/go.sum
	cd tests/routers/nexus && go build -o ../../../$(NEXUS) .

# npm ci, then the release addon; the generated index.d.ts / index.js must match the committed ones.
node-addon:
	cd node && npm ci --no-audit --no-fund --loglevel=error
	cd node && npx napi build --platform --release --js native.js --dts native.d.ts
	git diff --exit-code -- node/native.d.ts node/native.js || { echo "node/native.d.ts or native.js out of date: rebuild in node/ and commit them"; exit 1; }

test-node: node-addon $(NEXUS) $(VENV)/.installed $(CROSSBAR_VENV)/.installed
	cd node && WAMPE2E_NEXUS=$(abspath $(NEXUS)) WAMPE2E_PYTHON=$(abspath $(VPY)) \
	  WAMPE2E_CROSSBAR=$(abspath $(CROSSBAR_VENV))/bin/crossbar node --test --test-timeout=180000 test/*.test.js
	# npm pack, install into a fresh folder, use it from plain JS and TypeScript
	rm -rf build/node-pack && mkdir -p build/node-pack
	cd node && npm pack --silent --pack-destination ../build/node-pack >/dev/null
	cd build/node-pack && npm init -y >/dev/null && \
	  npm install --no-audit --no-fund --loglevel=error ./wampe2e-*.tgz typescript@5.9.3 @types/node@20.19.43 && \
	  cp ../../node/test/pack/consumer.js ../../node/test/pack/consumer.ts ../../node/test/pack/tsconfig.json . && \
	  node consumer.js && npx tsc -p tsconfig.json && echo "packed wampe2e type-checks from TypeScript"

bench-node: node-addon
	cd node && node bench/bench.js

# ---- WebAssembly: the npm package in the browser (wasm/, node/browser/) ----

NODE_MODULES := node/node_modules/.package-lock.json
$(NODE_MODULES): node/package-lock.json
	cd node && npm ci --no-audit --no-fund --loglevel=error

# wasm/build.sh: the toolchain (installed when missing), wasm-bindgen, the esbuild bundles.
wasm: $(NODE_MODULES)
	wasm/build.sh

# Debian's Chromium for the browser test (as root on Debian; elsewhere the test says it skipped).
provision-browser:
	@command -v chromium >/dev/null 2>&1 || [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1 || \
	  { echo "apt-get install chromium"; DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 -y -qq \
	    --no-install-recommends install chromium >/dev/null; }

NODE_TEST_ENV = WAMPE2E_NEXUS=$(abspath $(NEXUS)) WAMPE2E_PYTHON=$(abspath $(VPY)) \
	WAMPE2E_CROSSBAR=$(abspath $(CROSSBAR_VENV))/bin/crossbar
# The Node API suites that run on the wasm build too (compact.test.js is about the
# native addon's own fast path).
WASM_NODE_SUITES := api keys_values error_codes gs1 hostile autobahn wampy gs1_live gs1_interop

test-wasm: node-addon wasm provision-browser $(NEXUS) $(VENV)/.installed $(CROSSBAR_VENV)/.installed
	@# 1. the Node API suites and the shared vectors, on the wasm build loaded in Node;
	@#    its XSalsa20-Poly1305 (SIMD128) against libsodium for every length 0-4096 and large
	cd node && $(NODE_TEST_ENV) node --require ./test/wasm/preload.js --test --test-timeout=180000 \
	  $(WASM_NODE_SUITES:%=test/%.test.js) test/wasm/*.test.js
	@# 2. real Chromium: the browser module and autobahn-js's browser build against Autobahn|Python
	cd node && $(NODE_TEST_ENV) node --test --test-timeout=180000 test/browser/*.test.js
	@# 3. npm pack, a fresh folder, the browser types checked, an esbuild bundle for the
	@#    browser: the wasm and no addon; the Node entry still loads the addon
	rm -rf build/wasm-pack && mkdir -p build/wasm-pack
	cd node && npm pack --silent --pack-destination ../build/wasm-pack >/dev/null
	cd build/wasm-pack && npm init -y >/dev/null && \
	  npm install --no-audit --no-fund --loglevel=error ./wampe2e-*.tgz esbuild@0.28.2 typescript@5.9.3 && \
	  cp ../../node/test/pack/browser-consumer.mjs ../../node/test/pack/check-browser-bundle.js ../../node/test/pack/consumer.js \
	    ../../node/test/pack/tsconfig.browser.json . && \
	  npx tsc -p tsconfig.browser.json && echo "the browser types check (DOM, no @types/node)" && \
	  npx esbuild browser-consumer.mjs --bundle --platform=browser --format=esm --outfile=bundle.mjs --log-level=warning && \
	  node check-browser-bundle.js bundle.mjs && node bundle.mjs && node consumer.js

# The wasm build in headless Chromium next to tweetnacl and libsodium-wrappers (one
# page load), the native addon in Node for reference, and the sizes.
bench-wasm: node-addon wasm provision-browser
	cd node && node bench/wasm/run.js

# ---- Swift and Kotlin (mobile/, UniFFI) ----

# Generated sources are not committed: made here from the built library.
mobile-bindings:
	$(CARGO) build --quiet --locked -p wampe2e-mobile
	rm -rf mobile/kotlin/generated mobile/swift/generated
	$(UNIFFI_BINDGEN) --language kotlin --out-dir mobile/kotlin/generated
	$(UNIFFI_BINDGEN) --language swift --out-dir mobile/swift/generated/tmp
	mkdir -p mobile/swift/generated/WampE2E mobile/swift/generated/WampE2EFFI
	mv mobile/swift/generated/tmp/WampE2E.swift mobile/swift/generated/WampE2E/
	mv mobile/swift/generated/tmp/WampE2EFFI.h mobile/swift/generated/WampE2EFFI/
	mv mobile/swift/generated/tmp/WampE2EFFI.modulemap mobile/swift/generated/WampE2EFFI/module.modulemap
	rm -rf mobile/swift/generated/tmp
	@# The Swift file is produced and declares the expected API, with or without a toolchain.
	@for api in 'open class KeyRing' 'public func sealPayload(' 'public func openPayload(' \
	  'public func sealPayloadValues(' 'public func openPayloadValues(' 'public func generateKeypair(' \
	  'public func ed25519ToX25519(' 'public func keyId(' 'enum Wampe2eError' 'case UriMismatch(' \
	  'public enum Dialect' 'enum PayloadValue' 'public func decideInbound(' 'public enum Delivery' \
	  'public enum MessageKind' 'public enum MatchPolicy' 'func removeKeyId(' 'func expectsSealed(' \
	  'case Reflected(' 'open class Group' 'open class Identity' 'open class Held' \
	  'public func groupEnvelopeHeader(' 'case HoldOverflow('; do \
	  grep -qF "$$api" mobile/swift/generated/WampE2E/WampE2E.swift || { echo "generated Swift lacks: $$api"; exit 1; }; done
	@echo "generated Swift declares the expected API"

test-mobile: mobile-bindings
	cd mobile/kotlin && mvn -B --no-transfer-progress test -Dwampe2e.libdir=$(abspath target/debug) \
	  -Dwampe2e.vectors=$(abspath tests/vectors)
	@# Swift: the toolchain on the PATH, else (Debian, root) a trixie chroot made once
	@# outside the repo (WAMPE2E_SWIFT_CHROOT), else it says why it skipped.
	WAMPE2E_LIBDIR=$(abspath target/debug) WAMPE2E_VECTORS=$(abspath tests/vectors) mobile/swift/run-tests.sh

# ---- libwampe2e (C ABI) ----

$(CBINDGEN):
	$(CARGO) install --quiet --locked --root target/tools cbindgen --version $(CBINDGEN_VERSION)

# The header: cbindgen at the pinned version, version macros from Cargo.toml.
header: $(CBINDGEN)
	@test "$$($(CBINDGEN) --version)" = "cbindgen $(CBINDGEN_VERSION)" || { echo "need cbindgen $(CBINDGEN_VERSION), have $$($(CBINDGEN) --version)"; exit 1; }
	$(CBINDGEN) --quiet --config ffi-c/cbindgen.toml ffi-c \
	| sed -e 's/@VERSION@/$(VERSION)/' \
	      -e 's/@VERSION_MAJOR@/$(word 1,$(subst ., ,$(VERSION)))/' \
	      -e 's/@VERSION_MINOR@/$(word 2,$(subst ., ,$(VERSION)))/' \
	      -e 's/@VERSION_PATCH@/$(word 3,$(subst ., ,$(VERSION)))/' > include/wampe2e.h.tmp
	mv include/wampe2e.h.tmp include/wampe2e.h

check-header: header
	git diff --exit-code -- include/wampe2e.h || { echo "include/wampe2e.h is out of date: run make header and commit it"; exit 1; }

lib: header
	$(CARGO) build --quiet --locked -p wampe2e-ffi $(if $(filter release,$(FFI_PROFILE)),--release)
	mkdir -p $(STAGE)/lib/pkgconfig $(STAGE)/include
	cp target/$(FFI_PROFILE)/libwampe2e_ffi.so $(STAGE)/lib/libwampe2e.so
	cp target/$(FFI_PROFILE)/libwampe2e_ffi.a $(STAGE)/lib/libwampe2e.a
	cp include/wampe2e.h $(STAGE)/include/
	$(MAKE) --no-print-directory pc PC_PREFIX=$(abspath $(STAGE)) PC_OUT=$(STAGE)/lib/pkgconfig/wampe2e.pc

pc:
	printf '%s\n' 'prefix=$(PC_PREFIX)' 'libdir=$${prefix}/lib' 'includedir=$${prefix}/include' '' \
	  'Name: wampe2e' 'Description: End-to-end encryption of WAMP application payloads' \
	  'Version: $(VERSION)' 'Libs: -L$${libdir} -lwampe2e' 'Libs.private: $(NATIVE_LIBS)' \
	  'Cflags: -I$${includedir}' > $(PC_OUT)

INSTALL_PROFILE ?= release
install:
	$(MAKE) --no-print-directory lib FFI_PROFILE=$(INSTALL_PROFILE)
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include
	install -m 0755 build/$(INSTALL_PROFILE)/lib/libwampe2e.so $(DESTDIR)$(PREFIX)/lib/
	install -m 0644 build/$(INSTALL_PROFILE)/lib/libwampe2e.a $(DESTDIR)$(PREFIX)/lib/
	install -m 0644 include/wampe2e.h $(DESTDIR)$(PREFIX)/include/
	$(MAKE) --no-print-directory pc PC_PREFIX=$(PREFIX) PC_OUT=$(DESTDIR)$(PREFIX)/lib/pkgconfig/wampe2e.pc

# C tests: against the shared and the static library, under valgrind and ASan,
# plus a C++ build of the header. Each binary prints "N passed, N failed".
test-c: lib
	@for tool in valgrind pkg-config; do command -v $$tool >/dev/null || { echo "installing $$tool"; apt-get install -y -qq $$tool >/dev/null; }; done
	mkdir -p build/tests
	cc $(CFLAGS_TEST) ffi-c/tests/test_wampe2e.c -o build/tests/test_shared -L$(STAGE)/lib -lwampe2e -Wl,-rpath,$(abspath $(STAGE)/lib) -lpthread
	cc $(CFLAGS_TEST) ffi-c/tests/test_wampe2e.c -o build/tests/test_static $(STAGE)/lib/libwampe2e.a $(NATIVE_LIBS)
	cc $(CFLAGS_TEST) -fsanitize=address -fno-omit-frame-pointer ffi-c/tests/test_wampe2e.c -o build/tests/test_asan -L$(STAGE)/lib -lwampe2e -Wl,-rpath,$(abspath $(STAGE)/lib) -lpthread
	c++ -std=c++11 -Wall -Wextra -Werror -Iinclude ffi-c/tests/test_cpp.cpp -o build/tests/test_cpp -L$(STAGE)/lib -lwampe2e -Wl,-rpath,$(abspath $(STAGE)/lib)
	cd tests/vectors && ../../build/tests/test_shared
	cd tests/vectors && ../../build/tests/test_static
	cd tests/vectors && ASAN_OPTIONS=detect_leaks=1 ../../build/tests/test_asan
	cd tests/vectors && valgrind -q --fair-sched=yes --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,possible ../../build/tests/test_shared
	build/tests/test_cpp
	$(MAKE) --no-print-directory example

# What a C developer does: make install, then build the example with pkg-config.
example:
	rm -rf build/prefix
	$(MAKE) --no-print-directory install PREFIX=$(abspath build/prefix) INSTALL_PROFILE=$(FFI_PROFILE)
	mkdir -p build/tests
	cc -std=c99 -Wall -Wextra -Werror ffi-c/examples/seal_event.c -o build/tests/seal_event \
	  $$(PKG_CONFIG_PATH=build/prefix/lib/pkgconfig pkg-config --cflags --libs wampe2e) \
	  -Wl,-rpath,$(abspath build/prefix/lib)
	build/tests/seal_event

bench-c:
	@ldconfig -p | grep -F 'libsodium.so.23' >/dev/null || { echo "make bench-c needs libsodium23 (apt-get install libsodium23) as the reference"; exit 1; }
	$(MAKE) --no-print-directory lib FFI_PROFILE=release
	mkdir -p build/bench
	cc -O2 -std=c99 -Iinclude ffi-c/bench/bench.c -o build/bench/bench_c -Lbuild/release/lib -lwampe2e \
	  -l:libsodium.so.23 -Wl,-rpath,$(abspath build/release/lib)
	build/bench/bench_c
	$(CARGO) bench --locked -p wampe2e-ffi --bench overhead -- --warm-up-time 1 --measurement-time 3
	$(PYTHON) ffi-c/bench/overhead_report.py target/criterion

clean:
	$(CARGO) clean
	rm -rf $(VENV) $(CROSSBAR_VENV) build
