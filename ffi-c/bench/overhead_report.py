"""Prints the FFI overhead table from criterion's medians (ffi-c/benches/overhead.rs)."""

import json
import os
import sys

ROOT = sys.argv[1] if len(sys.argv) > 1 else "target/criterion"


def median(*parts):
    with open(os.path.join(ROOT, *parts, "new", "estimates.json")) as f:
        return json.load(f)["median"]["point_estimate"]


print("| call | core | C ABI | overhead |")
print("|---|--:|--:|--:|")
for name in ("seal_bytes_64", "seal_payload_small", "seal_bytes_64KiB", "seal_bytes_1MiB"):
    core = median("ffi_overhead", f"{name}_core")
    ffi = median("ffi_overhead", f"{name}_c_abi")
    print(f"| {name} | {core:,.0f} ns | {ffi:,.0f} ns | {(ffi / core - 1) * 100:+.1f}% |")
