"""Opens what wampe2e sealed with code that shares nothing with wampe2e: PyNaCl
(libsodium) Box and SecretBox, ``cryptography``'s AES-256-GCM, and cbor2, msgpack and
the ``json`` module with WAMP-JSON's binary convention (``"\\u0000" + base64``).
Strict where the libraries allow: trailing bytes, duplicate JSON keys, NaN/Infinity
and bad base64 raise. Never imports wampe2e.
"""

import base64
import io
import json

import cbor2
import msgpack
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from nacl.public import Box, PrivateKey, PublicKey
from nacl.secret import SecretBox

__all__ = ["key_bytes", "decrypt", "deserialize", "open_sealed", "wamp_json_loads", "public_of"]


def key_bytes(key) -> bytes:
    """A 32-byte key given as bytes, base64 or hex."""
    if isinstance(key, bytes):
        raw = key
    elif len(key) == 64:
        raw = bytes.fromhex(key)
    else:
        raw = base64.b64decode(key, validate=True)
    if len(raw) != 32:
        raise ValueError(f"key is {len(raw)} bytes, want 32")
    return raw


def public_of(secret) -> bytes:
    """The X25519 public key of a secret key (libsodium's crypto_scalarmult_base)."""
    return bytes(PrivateKey(key_bytes(secret)).public_key)


def decrypt(sealed: bytes, cipher: str, *, data_key=None, own_secret=None, peer_public=None) -> bytes:
    """The plaintext of ``sealed``: with ``data_key`` crypto_secretbox (nonce 24 ‖ tag ‖
    body) or AES-256-GCM (nonce 12 ‖ body ‖ tag); with ``own_secret`` and
    ``peer_public`` crypto_box (nonce 24 ‖ tag ‖ body)."""
    if data_key is not None:
        if cipher == "xsalsa20poly1305":
            return SecretBox(key_bytes(data_key)).decrypt(sealed)
        if cipher == "aes256gcm":
            return AESGCM(key_bytes(data_key)).decrypt(sealed[:12], sealed[12:], None)
        raise ValueError(f"unknown cipher {cipher!r}")
    if cipher != "xsalsa20poly1305":
        raise ValueError(f"{cipher} has no key-pair form")
    box = Box(PrivateKey(key_bytes(own_secret)), PublicKey(key_bytes(peer_public)))
    return box.decrypt(sealed)


def _binary(v):
    if isinstance(v, str) and v.startswith("\x00"):
        return base64.b64decode(v[1:], validate=True)
    if isinstance(v, list):
        return [_binary(x) for x in v]
    if isinstance(v, dict):
        return {k: _binary(x) for k, x in v.items()}
    return v


def _no_duplicates(pairs):
    d = {}
    for k, v in pairs:
        if k in d:
            raise ValueError(f"duplicate key {k!r}")
        d[k] = v
    return d


def _no_constant(name):
    raise ValueError(f"{name} is not JSON")


def wamp_json_loads(text):
    """WAMP-JSON (RFC 8259 JSON, strings starting with U+0000 are base64 binaries)."""
    if isinstance(text, (bytes, bytearray)):
        text = bytes(text).decode("utf-8")  # strict: invalid UTF-8 raises
    return _binary(json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant))


def deserialize(serializer: str, plaintext: bytes):
    """A plaintext as cbor2, msgpack or json reads it; trailing bytes raise."""
    if serializer == "cbor":
        fp = io.BytesIO(plaintext)
        value = cbor2.CBORDecoder(fp).decode()
        if fp.tell() != len(plaintext):
            raise ValueError(f"cbor: {len(plaintext) - fp.tell()} trailing bytes")
        return value
    if serializer == "msgpack":
        return msgpack.unpackb(plaintext, raw=False, strict_map_key=True)
    if serializer == "json":
        return wamp_json_loads(plaintext)
    raise ValueError(f"unknown serializer {serializer!r}")


def open_sealed(serializer: str, cipher: str, sealed: bytes, **keys):
    """``deserialize(serializer, decrypt(sealed, cipher, **keys))``."""
    return deserialize(serializer, decrypt(sealed, cipher, **keys))

