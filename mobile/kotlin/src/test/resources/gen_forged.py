"""Writes forged_plaintexts.json: plaintexts a wampe2e binding never seals itself
(no URI, broken JSON/CBOR/MessagePack, invalid UTF-8, the wrong shape, nesting too
deep, typed numbers from an independent CBOR encoder), sealed with AES-256-GCM under
a fixed data key by `cryptography`, so the Kotlin and Swift tests can prove that
every error code reachable through openPayload is mapped. The Kotlin test re-seals
each case with javax.crypto and compares the bytes, so the file cannot drift.

Run: .venv/bin/python mobile/kotlin/src/test/resources/gen_forged.py
"""

import base64
import json
import os

import cbor2
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY = bytes(range(32))
KEY_ID = "forger"
URI = "com.example.t"

# Typed numbers, encoded by cbor2 (not by wampe2e): each must come back with its
# type and bits (-0.0 keeps its sign, 1.0 stays a float, 2**64-1 an unsigned integer).
NUMBERS = cbor2.dumps({"uri": URI, "args": [-0.0, float("inf"), float("-inf"), 1.0, 1, 2**64 - 1, -(2**63), True, 5e-324]})

CASES = [
    # name, serializer, plaintext, expected code (0: opens)
    ("typed numbers (cbor2)", "cbor", NUMBERS, 0),
    ("replayed from another URI", "json", b'{"uri":"com.example.other","args":[1]}', 7),
    ("no uri", "json", b'{"args":[1]}', 8),
    ("invalid UTF-8", "json", b'{"uri":"\xff"}', 12),
    ("truncated JSON", "json", b'{"uri":"com.example.t"', 13),
    ("broken CBOR", "cbor", b"\xff\xff", 14),
    ("broken MessagePack", "msgpack", b"\xc1", 15),
    ("broken base64 binary", "json", b'{"uri":"com.example.t","args":["\\u0000!!"]}', 16),
    ("not a map", "json", b"[1,2]", 17),
    ("nested 101 deep", "json", b'{"uri":"com.example.t","args":' + b"[" * 101 + b"]" * 101 + b"}", 18),
]


def main():
    aes = AESGCM(KEY)
    cases = []
    for i, (name, serializer, plaintext, code) in enumerate(CASES):
        nonce = bytes([i]) * 12
        cases.append({
            "name": name,
            "serializer": serializer,
            "plaintext_base64": base64.b64encode(plaintext).decode(),
            "nonce_base64": base64.b64encode(nonce).decode(),
            "sealed_base64": base64.b64encode(nonce + aes.encrypt(nonce, plaintext, None)).decode(),
            "code": code,
        })
    doc = {
        "source": "cryptography AESGCM and cbor2, by gen_forged.py",
        "data_key_base64": base64.b64encode(KEY).decode(),
        "key_id": KEY_ID,
        "uri": URI,
        "cases": cases,
    }
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "forged_plaintexts.json")
    with open(out, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
