"""Payload Passthru Mode vectors sealed independently of wampe2e: cbor2 / msgpack /
json plaintexts, PyNaCl SecretBox and Box, and `cryptography`'s AES-256-GCM."""

import json

import cbor2
import msgpack
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from nacl.public import Box, PrivateKey, PublicKey
from nacl.secret import SecretBox

from _common import b64, det_bytes, keypair, write

DATA_KEY = det_bytes("ppt data key")
ORIGINATOR, ORIGINATOR_SK = keypair("ppt originator")
RESPONDER, RESPONDER_SK = keypair("ppt responder")

PAYLOAD = {
    "uri": "com.example.ppt",
    "args": [1, "two", 3.5, b"\x04\x05", None, True, [{"six": 6}]],
    "kwargs": {"key": "value", "n": -7},
}


def serialize(name, obj):
    if name == "cbor":
        return cbor2.dumps(obj)
    if name == "msgpack":
        return msgpack.packb(obj, use_bin_type=True)
    # WAMP-JSON binary convention
    import base64

    def conv(v):
        if isinstance(v, bytes):
            return "\u0000" + base64.b64encode(v).decode()
        if isinstance(v, list):
            return [conv(x) for x in v]
        if isinstance(v, dict):
            return {k: conv(x) for k, x in v.items()}
        return v

    return json.dumps(conv(obj), separators=(",", ":"), ensure_ascii=False).encode()


def main() -> None:
    vectors = []
    for i, serializer in enumerate(("cbor", "msgpack", "json")):
        plaintext = serialize(serializer, PAYLOAD)
        nonce24 = det_bytes(f"ppt nonce {i}", 24)
        nonce12 = det_bytes(f"ppt gcm nonce {i}", 12)
        vectors.append({
            "serializer": serializer, "cipher": "xsalsa20poly1305", "key": "data",
            "key_id": "data-key-1",
            "sealed_base64": b64(bytes(SecretBox(DATA_KEY).encrypt(plaintext, nonce24))),
        })
        vectors.append({
            "serializer": serializer, "cipher": "aes256gcm", "key": "data",
            "key_id": "data-key-1",
            "sealed_base64": b64(nonce12 + AESGCM(DATA_KEY).encrypt(nonce12, plaintext, None)),
        })
        box = Box(ORIGINATOR_SK, PublicKey(bytes.fromhex(RESPONDER["public_hex"])))
        vectors.append({
            "serializer": serializer, "cipher": "xsalsa20poly1305", "key": "box",
            "key_id": None,
            "sealed_base64": b64(bytes(box.encrypt(plaintext, nonce24))),
        })
    write(
        "ppt.json",
        {
            "source": "cbor2/msgpack/json + PyNaCl SecretBox/Box + cryptography AESGCM",
            "data_key_base64": b64(DATA_KEY),
            "originator": ORIGINATOR,
            "responder": RESPONDER,
            "uri": PAYLOAD["uri"],
            "expected_args_json": serialize("json", PAYLOAD["args"]).decode(),
            "expected_kwargs_json": serialize("json", PAYLOAD["kwargs"]).decode(),
            "vectors": vectors,
        },
    )


if __name__ == "__main__":
    main()
