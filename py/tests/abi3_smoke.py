"""Run by `make test` under the oldest and newest CPython found on the machine: the
one abi3 wheel works there without autobahn (3.9 reads str UTF-8 through the
copying call, 3.10+ in place; see py/src/text.rs)."""

import sys

import wampe2e as w

a, b = w.generate_keypair(), w.generate_keypair()
sealer, opener = w.KeyRing(), w.KeyRing()
sealer.set_key("com.", w.Key(originator_priv=a[0], responder_pub=b[1]))
opener.set_key("com.", w.Key(originator_pub=a[1], responder_priv=b[0]))
args = ["grüße 🌍", {"ké": [1, 2.5, None, True, b"\x00\xff", 2**64 - 1]}, "x" * 20000]
rows = [{"id": i, "name": f"n{i}"} for i in range(3000)]
for how in (dict(dialect="cryptobox"), dict(dialect="ppt", serializer="json"), dict(dialect="ppt", serializer="cbor")):
    for payload in (args, [rows]):
        env = w.seal_payload(sealer, "originator", "com.x", payload, {"k": "v"}, **how)
        assert w.open_payload(opener, "responder", "com.x", env) == ("com.x", payload, {"k": "v"}), how
try:
    w.seal_payload(sealer, "originator", "com.x", ["lone \ud800"])
    raise AssertionError("a lone surrogate must not be sealed")
except UnicodeEncodeError:
    pass
from wampe2e.autobahn import KeyRing  # noqa: E402  (importable without autobahn)

assert KeyRing.__module__ == "wampe2e.autobahn"
print(f"abi3 wheel works on CPython {sys.version.split()[0]}")
