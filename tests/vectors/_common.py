"""Helpers shared by the vector generators: deterministic keys and JSON output."""

import base64
import hashlib
import json
import os

from nacl.public import PrivateKey

HERE = os.path.dirname(os.path.abspath(__file__))


def b64(b: bytes) -> str:
    return base64.b64encode(b).decode("ascii")


def det_bytes(label: str, n: int = 32) -> bytes:
    """Deterministic bytes for a label, so regenerating gives the same keys."""
    return hashlib.sha512(b"wampe2e test vectors: " + label.encode()).digest()[:n]


def keypair(label: str):
    sk = PrivateKey(det_bytes(label))
    return {
        "secret_base64": b64(bytes(sk)),
        "secret_hex": bytes(sk).hex(),
        "public_base64": b64(bytes(sk.public_key)),
        "public_hex": bytes(sk.public_key).hex(),
    }, sk


def write(name: str, doc: dict) -> None:
    """Writes into tests/vectors/, or into $VECTORS_OUT (make test regenerates there and diffs)."""
    path = os.path.join(os.environ.get("VECTORS_OUT", HERE), name)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=2, ensure_ascii=False)
        f.write("\n")
    print("wrote", path)
