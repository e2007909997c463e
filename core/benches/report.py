"""Prints the `make bench` table from criterion's estimates: wampe2e next to
libsodium, measured in the same run, as time and throughput ratios."""

import json
import os
import sys

ROOT = sys.argv[1] if len(sys.argv) > 1 else "target/criterion"


def median_ns(*parts):
    path = os.path.join(ROOT, *parts, "new", "estimates.json")
    with open(path) as f:
        return json.load(f)["median"]["point_estimate"]


def fmt_size(n):
    return f"{n // 1024 // 1024} MiB" if n >= 1 << 20 else (f"{n // 1024} KiB" if n >= 1024 else f"{n} B")


print("| size | op | libsodium | wampe2e | wampe2e MB/s | libsodium MB/s | throughput ratio (wampe2e / libsodium) | time ratio (wampe2e / libsodium) |")
print("|---|---|--:|--:|--:|--:|--:|--:|")
for size in (64, 1024, 64 * 1024, 1024 * 1024):
    for op in ("seal", "open"):
        ref = median_ns(f"box_{size}", op, "libsodium")
        ours = median_ns(f"box_{size}", op, "wampe2e")
        mbps = lambda ns: size / ns * 1e3  # bytes/ns -> MB/s
        unit = lambda ns: f"{ns / 1e3:,.1f} µs" if ns >= 1e4 else f"{ns:,.0f} ns"
        print(f"| {fmt_size(size)} | {op} | {unit(ref)} | {unit(ours)} | {mbps(ours):,.0f} | {mbps(ref):,.0f} | {ref / ours:.2f}× | {ours / ref:.2f}× |")
seal = median_ns("small_event", "seal_payload")
opn = median_ns("small_event", "open_payload")
print()
print(f"Small event full path (values → Autobahn JSON → sealed, and back): seal_payload {seal:,.0f} ns, open_payload {opn:,.0f} ns.")

# Poly1305 alone (core/benches/seal_open.rs, bench_poly1305), when it ran: the
# core's as chosen for this CPU, its AVX2 lanes and its base 2^64 code forced.
if os.path.isdir(os.path.join(ROOT, "poly1305_64")):
    print()
    print("| Poly1305 | libsodium | wampe2e (as chosen) | wampe2e AVX2 lanes | wampe2e base 2^64 | libcrux | RustCrypto | time ratio (wampe2e / libsodium) |")
    print("|---|--:|--:|--:|--:|--:|--:|--:|")
    for size in (64, 256, 384, 512, 1024, 2048, 4096, 64 * 1024):
        if not os.path.isdir(os.path.join(ROOT, f"poly1305_{size}")):
            continue
        names = ("libsodium", "wampe2e", "wampe2e-avx2", "wampe2e-base64", "libcrux", "rustcrypto")
        t = {n: median_ns(f"poly1305_{size}", n) for n in names}
        unit = lambda ns: f"{ns / 1e3:,.1f} µs" if ns >= 1e4 else f"{ns:,.0f} ns"
        cells = " | ".join(unit(t[n]) for n in names)
        print(f"| {fmt_size(size)} | {cells} | {t['wampe2e'] / t['libsodium']:.2f}× |")

# HSalsa20 alone (bench_hsalsa20), when it ran: every XSalsa20 message's subkey.
if os.path.isdir(os.path.join(ROOT, "hsalsa20")):
    t = {n: median_ns("hsalsa20", n) for n in ("libsodium", "wampe2e", "rustcrypto")}
    print()
    print(f"HSalsa20 alone: libsodium {t['libsodium']:,.0f} ns, wampe2e (as chosen) {t['wampe2e']:,.0f} ns, "
          f"RustCrypto {t['rustcrypto']:,.0f} ns; time ratio (wampe2e / libsodium) {t['wampe2e'] / t['libsodium']:.2f}×.")

# GS1 (core/benches/gs1.rs), when it ran: seal by one peer + open by another, next
# to libsodium's sign + verify + secretbox + open of the same plaintext.
if os.path.isdir(os.path.join(ROOT, "gs1_seal_open")):
    print()
    print("| GS1 seal + open | libsodium sign + verify + secretbox + open | wampe2e GS1 | time ratio (wampe2e / libsodium) |")
    print("|---|--:|--:|--:|")
    for size in (100, 64 * 1024, 1024 * 1024):
        ref = median_ns("gs1_seal_open", "libsodium", str(size))
        ours = median_ns("gs1_seal_open", "wampe2e", str(size))
        unit = lambda ns: f"{ns / 1e3:,.1f} µs"
        print(f"| {fmt_size(size)} | {unit(ref)} | {unit(ours)} | {ours / ref:.2f}× |")
    kx = median_ns("gs1_key_exchange")
    print()
    print(f"GS1 key exchange (request + answer + accept, one process): {kx / 1e3:,.1f} µs.")
