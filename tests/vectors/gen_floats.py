"""Python's ``repr`` of a large, deterministic set of binary64 floats: the reference
for wampe2e's JSON float writer (Autobahn|Python writes floats with ``repr``, through
``json.dumps``). Random bit patterns over every magnitude, random short decimals,
every power of two, values at the 1e-4 and 1e16 switches between fixed and
exponent notation, and the usual suspects (subnormals, extremes, 0.1, 1e23).

Stored as ``[bits as 16 hex digits, repr]`` pairs, one per line."""

import hashlib
import json
import math
import os
import struct
import sys

from _common import HERE

RANDOM_BITS = 4000
RANDOM_DECIMALS = 2500


def stream(label: str):
    """Deterministic 64-bit words (SHA-512 in counter mode), the same on every Python."""
    counter = 0
    while True:
        block = hashlib.sha512(f"wampe2e float vectors: {label} {counter}".encode()).digest()
        counter += 1
        yield from struct.unpack("<8Q", block)


def from_bits(b: int) -> float:
    return struct.unpack("<d", struct.pack("<Q", b))[0]


def bits(f: float) -> int:
    return struct.unpack("<Q", struct.pack("<d", f))[0]


def candidates():
    # Every magnitude: uniform bit patterns (NaN and infinities dropped below).
    words = stream("bits")
    for _ in range(RANDOM_BITS):
        yield from_bits(next(words))

    # Short decimals, as applications write them: up to 17 significant digits,
    # decimal exponents -30..30.
    words = stream("decimals")
    for _ in range(RANDOM_DECIMALS):
        w = next(words)
        ndigits = 1 + w % 17
        mantissa = (w >> 8) % (10**ndigits)
        exponent = (w >> 60) * 4 - 30 + (w >> 5) % 4  # -30..33
        sign = "-" if (w >> 7) & 1 else ""
        yield float(f"{sign}{mantissa}e{exponent}")

    # Every power of two, subnormals included (the sign is one branch: random
    # bit patterns and decimals cover negatives).
    for e in range(-1074, 1024):
        yield math.ldexp(1.0, e)

    # Around the switches between fixed and exponent notation (1e-4, 1e16), and
    # around every other power of ten: the value and its neighbours.
    for k in range(-325, 309):
        try:
            p = float(f"1e{k}")
        except OverflowError:  # pragma: no cover
            continue
        yield from (p, math.nextafter(p, 0.0), math.nextafter(p, math.inf))
    for k in (-5, -4, -3, 15, 16, 17):
        for m in range(1, 100):
            yield float(f"{m}e{k}")
            yield float(f"{m / 10}e{k}")
            yield float(f"{m}.{m:02d}e{k}")
    for f in (9999999999999998.0, 9999999999999999.0, 1e16 - 2, 0.00009999999999999999, 0.0001, 0.00011):
        yield f

    # Integers as floats, and the well-known ones.
    for n in range(-100, 1001):
        yield float(n)
    yield from (
        0.0, -0.0, 5e-324, -5e-324, 2.2250738585072014e-308, 2.225073858507201e-308,
        sys.float_info.max, -sys.float_info.max, sys.float_info.epsilon,
        0.1, 0.2, 0.3, 0.1 + 0.2, 1 / 3, 2 / 3, math.pi, math.e, math.tau,
        123456789012345680.0, 9007199254740992.0, 9007199254740993.0, 1e22, 1e23,
        1.7976931348623157e308, 4.9406564584124654e-324, 21.5, 1732700000123.0,
        3.4028234663852886e38, 1.1754943508222875e-38, 65504.0, 6.103515625e-05,
    )


def main() -> None:
    seen = set()
    pairs = []
    for f in candidates():
        if not math.isfinite(f) or bits(f) in seen:
            continue
        seen.add(bits(f))
        assert bits(float(repr(f))) == bits(f)  # repr round-trips
        pairs.append((f"{bits(f):016x}", repr(f)))

    path = os.path.join(os.environ.get("VECTORS_OUT", HERE), "floats.json")
    with open(path, "w", encoding="utf-8") as out:
        out.write("{\n")
        out.write(f'  "source": "Python {sys.version_info[0]} repr(float) (json.dumps writes floats with it)",\n')
        out.write(f'  "count": {len(pairs)},\n')
        out.write('  "floats": [\n')
        out.write(",\n".join(f"    {json.dumps(list(p))}" for p in pairs))
        out.write("\n  ]\n}\n")
    print("wrote", path)


if __name__ == "__main__":
    main()
