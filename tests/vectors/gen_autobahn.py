"""Vectors from the real Autobahn|Python cryptobox KeyRing (autobahn on PyPI) with
fixed nonces: what Autobahn seals, byte for byte, for both roles, and which key its
keyring selects for a URI."""

import autobahn
import autobahn.wamp.cryptobox as cryptobox
from autobahn.wamp.cryptobox import Key, KeyRing
from autobahn.wamp.serializer import _dumps as wamp_json_dumps

from _common import b64, det_bytes, keypair, write

ORIGINATOR, _ = keypair("autobahn originator")
RESPONDER, _ = keypair("autobahn responder")

CASES = [
    ("small event", "com.example.topic1",
     [42, "hello world", {"temp": 21.5, "ok": True}], {"sensor": "s-17", "ts": 1732700000123}),
    ("no payload", "com.example.ping", None, None),
    ("empty args and kwargs", "com.example.empty", [], {}),
    ("unicode and escapes", "com.example.text",
     ["grüße 🌍", "quote \" backslash \\ newline \n tab \t ctl \u0001", "€"], {"ключ": "значение"}),
    ("binary", "com.example.blob", [b"\x00\x01\x02\xff", b""], {"raw": b"wamp"}),
    ("numbers", "com.example.numbers",
     [0, -1, 2**63 - 1, -(2**63), 2**64 - 1, 0.1, -2.5e-7, 1e16, 1e15, 3.141592653589793, -0.0],
     {"big": 18446744073709551615}),
    ("nested", "com.example.nested",
     [[1, [2, [3, [4, {"five": [None, False]}]]]]], {"a": {"b": {"c": []}}}),
]


def main() -> None:
    vectors = []
    for i, (name, uri, args, kwargs) in enumerate(CASES):
        for role, is_originating in (("originator", True), ("responder", False)):
            sealer = Key(
                originator_priv=ORIGINATOR["secret_base64"] if is_originating else None,
                originator_pub=None if is_originating else ORIGINATOR["public_base64"],
                responder_priv=None if is_originating else RESPONDER["secret_base64"],
                responder_pub=RESPONDER["public_base64"] if is_originating else None,
            )
            ring = KeyRing(default_key=sealer)
            nonce = det_bytes(f"nonce {i} {role}", 24)
            cryptobox.random = lambda n, _nonce=nonce: _nonce  # fixed nonce for the vector
            encoded = ring.encode(is_originating, uri, args, kwargs)
            assert encoded.enc_algo == "cryptobox" and encoded.enc_serializer == "json"
            plaintext = wamp_json_dumps({"uri": uri, "args": args, "kwargs": kwargs}).encode("utf8")
            vectors.append(
                {
                    "name": f"{name} ({role} seals)",
                    "sealer_role": role,
                    "uri": uri,
                    # args/kwargs in WAMP-JSON: binary as "\u0000" + base64
                    "args_json": wamp_json_dumps(args),
                    "kwargs_json": wamp_json_dumps(kwargs),
                    "plaintext_base64": b64(plaintext),
                    "nonce_hex": nonce.hex(),
                    "sealed_base64": b64(encoded.payload),
                }
            )

    keys = {n: keypair(f"autobahn ring {n}")[0] for n in ("k1", "k2", "k3")}
    ring = KeyRing()
    boxes = {}
    for name, prefix in (("k1", "com.example."), ("k2", "com.example.secret"), ("k3", "")):
        key = Key(originator_priv=keys[name]["secret_base64"], responder_priv=keys[name]["secret_base64"])
        ring.set_key(prefix, key)
        boxes[name] = key
    selection = []
    for uri in ("com.example.topic", "com.example.secret", "com.example.secretive.x",
                "com.example.secre", "com.example", "com.exampleX", "org.other", ""):
        box = ring._get_box(True, uri)
        chosen = next(n for n, k in boxes.items() if k.originator_box is box)
        selection.append({"uri": uri, "key": chosen})

    write(
        "autobahn_cryptobox.json",
        {
            "source": f"autobahn {autobahn.__version__} autobahn.wamp.cryptobox.KeyRing, fixed nonces",
            "originator": ORIGINATOR,
            "responder": RESPONDER,
            "vectors": vectors,
            "keyring_selection": {
                "keys": keys,
                "prefixes": {"k1": "com.example.", "k2": "com.example.secret", "k3": ""},
                "cases": selection,
            },
        },
    )


if __name__ == "__main__":
    main()
