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

.PHONY: help demo test test-rust test-vectors test-interop lint bench vectors clean

help:
	@echo "make demo    build the CLI and run its walkthrough"
	@echo "make test    lint, build and run every test suite (installs what it needs)"
	@echo "make bench   criterion benchmarks of the core next to libsodium"

demo:
	$(CARGO) run --quiet -p wampe2e-cli -- demo

test: lint test-rust test-vectors test-interop
	@echo "make test: all suites passed"

lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

test-rust:
	$(CARGO) test --workspace --locked

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
	@ldconfig -p | grep -q 'libsodium.so.23' || { echo "make bench needs libsodium23 (apt-get install libsodium23) as the reference"; exit 1; }
	$(CARGO) bench -p wampe2e --bench seal_open
	$(PYTHON) core/benches/report.py target/criterion

clean:
	$(CARGO) clean
	rm -rf $(VENV)
