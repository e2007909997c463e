"""Type- and bit-exact comparison of decoded WAMP values, for round-trip and vector tests.

Python's ``==`` holds ``True == 1 == 1.0``, ``-0.0 == 0.0`` and ``b"x" == bytearray(b"x")``,
so a value that comes back as another type passes an ``==`` test. ``assert_exact(got,
want)`` requires at every position the same type (``type(a) is type(b)``: bool, int,
float, str, bytes, list, tuple, dict and None are all distinct, subclasses too),
floats equal bit for bit (``-0.0`` is not ``0.0``; a NaN equals only the same NaN),
and dicts with the same keys in the same order.
"""

import struct

__all__ = ["assert_exact", "differences", "float_bits"]


def float_bits(f: float) -> int:
    """The IEEE 754 binary64 bits of ``f``."""
    return struct.unpack("<Q", struct.pack("<d", f))[0]


def differences(got, want, path="value"):
    """Yields one line per difference between ``got`` and ``want``, naming where."""
    if type(got) is not type(want):
        yield f"{path}: {type(got).__name__} {got!r:.80} is not {type(want).__name__} {want!r:.80}"
        return
    if isinstance(want, float):
        if float_bits(got) != float_bits(want):
            yield f"{path}: float {got!r} (0x{float_bits(got):016x}) is not {want!r} (0x{float_bits(want):016x})"
    elif isinstance(want, (list, tuple)):
        if len(got) != len(want):
            yield f"{path}: {len(got)} items, want {len(want)}"
        for i, (g, w) in enumerate(zip(got, want)):
            yield from differences(g, w, f"{path}[{i}]")
    elif isinstance(want, dict):
        got_keys, want_keys = list(got), list(want)
        if got_keys != want_keys or any(type(g) is not type(w) for g, w in zip(got_keys, want_keys)):
            yield f"{path}: keys {got_keys!r:.200} are not {want_keys!r:.200} (in this order)"
        for k in want_keys:
            if k in got:
                yield from differences(got[k], want[k], f"{path}[{k!r}]")
    elif got != want:
        yield f"{path}: {got!r:.200} != {want!r:.200}"


def assert_exact(got, want, what="value"):
    """Raises ``AssertionError`` listing every difference (at most 20) between ``got``
    and ``want``, compared by type and bits."""
    diffs = list(differences(got, want, what))
    if diffs:
        more = f"\n... and {len(diffs) - 20} more" if len(diffs) > 20 else ""
        raise AssertionError("not exactly equal:\n" + "\n".join(diffs[:20]) + more)
