"""make bench-py: wampe2e.autobahn.KeyRing next to Autobahn|Python's own cryptobox
KeyRing, encode + decode per message, in one run. Autobahn is measured twice, as
installed and with ujson (AUTOBAHN_USE_UJSON=1, read at import, hence one process
per contender). The contenders take turns for several rounds, so that they share
the machine's slow and fast moments (it is shared and noisy); prints a markdown
table of the medians over rounds and their ratios."""

import json
import os
import statistics
import subprocess
import sys
import timeit

SMALL = ("com.example.topic1", [42, "hello world", {"temp": 21.5, "ok": True}], {"sensor": "s-17", "ts": 1732700000123})


def payload_of(size):
    # Mixed JSON-friendly content of about `size` bytes when serialized.
    row = {"id": 123456, "name": "sensor-reading", "value": 21.53, "ok": True, "tags": ["a", "b", "c"]}
    n = max(1, size // len(json.dumps(row)))
    return ("com.example.bulk", [[dict(row, id=i) for i in range(n)]], {"count": n})


CASES = {"small event": SMALL, "~10 KiB": payload_of(10 * 1024), "~1 MiB": payload_of(1024 * 1024)}


def rings(impl):
    if impl == "wampe2e":
        from wampe2e.autobahn import Key, KeyRing
    else:
        from autobahn.wamp.cryptobox import Key, KeyRing
    tmp = KeyRing()
    o_sec, o_pub = tmp.generate_key()
    r_sec, r_pub = tmp.generate_key()
    sealer, opener = KeyRing(), KeyRing()
    sealer.set_key("com.example.", Key(originator_priv=o_sec, responder_pub=r_pub))
    opener.set_key("com.example.", Key(originator_pub=o_pub, responder_priv=r_sec))
    return sealer, opener


def measure(impl):
    sealer, opener = rings(impl)
    out = {}
    for name, (uri, args, kwargs) in CASES.items():
        enc = sealer.encode(True, uri, args, kwargs)
        assert opener.decode(False, uri, enc)[1] == args
        results = {}
        for op, fn in (("encode", lambda: sealer.encode(True, uri, args, kwargs)),
                       ("decode", lambda: opener.decode(False, uri, enc))):
            number, _ = timeit.Timer(fn).autorange()
            samples = [t / number for t in timeit.Timer(fn).repeat(repeat=5, number=number)]
            results[op] = statistics.median(samples)
        out[name] = results
    return out


def child(impl):
    print(json.dumps(measure(impl)))


def run_child(impl, ujson=False):
    env = dict(os.environ)
    env.pop("AUTOBAHN_USE_UJSON", None)
    if ujson:
        env["AUTOBAHN_USE_UJSON"] = "1"
    p = subprocess.run([sys.executable, __file__, "--child", impl], env=env, capture_output=True, text=True, check=True)
    return json.loads(p.stdout.strip().splitlines()[-1])


def fmt(seconds):
    return f"{seconds * 1e6:,.1f} µs" if seconds < 1e-2 else f"{seconds * 1e3:,.1f} ms"


ROUNDS = 3


def median_of(runs):
    return {name: {op: statistics.median(r[name][op] for r in runs) for op in ("encode", "decode")}
            for name in CASES}


def main():
    runs = {"wampe2e": [], "autobahn": [], "autobahn+ujson": []}
    for _ in range(ROUNDS):
        runs["wampe2e"].append(run_child("wampe2e"))
        runs["autobahn"].append(run_child("autobahn"))
        runs["autobahn+ujson"].append(run_child("autobahn", ujson=True))
    ours, ab, ab_ujson = (median_of(runs[k]) for k in ("wampe2e", "autobahn", "autobahn+ujson"))
    print("| payload | Autobahn encode+decode | Autobahn+ujson encode+decode | wampe2e encode+decode | vs Autobahn | vs Autobahn+ujson |")
    print("|---|--:|--:|--:|--:|--:|")
    for name in CASES:
        t = lambda r: r[name]["encode"] + r[name]["decode"]
        print(f"| {name} | {fmt(t(ab))} ({fmt(ab[name]['encode'])} + {fmt(ab[name]['decode'])}) "
              f"| {fmt(t(ab_ujson))} ({fmt(ab_ujson[name]['encode'])} + {fmt(ab_ujson[name]['decode'])}) "
              f"| {fmt(t(ours))} ({fmt(ours[name]['encode'])} + {fmt(ours[name]['decode'])}) "
              f"| {t(ab) / t(ours):.1f}× | {t(ab_ujson) / t(ours):.1f}× |")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        child(sys.argv[2])
    else:
        main()
