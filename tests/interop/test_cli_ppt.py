"""The wampe2e CLI seals Payload Passthru Mode payloads; independent code opens them
(tests/support/independent.py: PyNaCl SecretBox/Box, cryptography's AES-256-GCM,
cbor2/msgpack/json; no wampe2e in the opening path): every serializer × cipher ×
key kind × role, the plaintext map compared by type and bits."""

import base64
import hashlib
import os
import subprocess

import pytest
from autobahn.wamp.serializer import _dumps as wamp_dumps
from autobahn.wamp.serializer import _loads as wamp_loads
from exact import assert_exact
from nacl.public import PrivateKey

import independent

URI = "com.example.ppt.cli"
ARGS = [None, True, False, 0, -1, 2**63 - 1, -(2**63), 2**64 - 1, 0.0, -0.0, 1.0, 0.1, 1e16, 5e-324,
        "", "grüße 🌍", "ctl \u0001 quote \" backslash \\", b"", b"\x00\xff", [], {}, [1, [2, {"k": None}]]]
KWARGS = {"key": "value", "n": -7, "b": b"bin", "f": 2.5}
KEY_CIPHERS = [("data", "xsalsa20poly1305"), ("data", "aes256gcm"), ("box", "xsalsa20poly1305"),
               ("shared", "xsalsa20poly1305")]


def b64(b: bytes) -> str:
    return base64.b64encode(b).decode()


def setup(kind, role):
    """(CLI key arguments for sealing as `role`, keys that open independently, expected ppt_keyid, lowercased for key pairs)."""
    if kind == "data":
        key = b64(os.urandom(32))
        return ["--data-key", key, "--key-id", "cli-key"], {"data_key": key}, "cli-key"
    if kind == "shared":
        sk = PrivateKey.generate()
        pub = bytes(sk.public_key)
        kid = "0x" + hashlib.sha256(pub).digest()[-20:].hex()
        return ["--shared-key", b64(bytes(sk))], {"own_secret": bytes(sk), "peer_public": pub}, kid
    o, r = PrivateKey.generate(), PrivateKey.generate()
    kid = "0x" + hashlib.sha256(bytes(o.public_key)).digest()[-20:].hex()
    if role == "originator":
        argv = ["--originator-priv", b64(bytes(o)), "--responder-pub", b64(bytes(r.public_key))]
        return argv, {"own_secret": bytes(r), "peer_public": bytes(o.public_key)}, kid
    argv = ["--originator-pub", b64(bytes(o.public_key)), "--responder-priv", bytes(r).hex()]
    return argv, {"own_secret": bytes(o), "peer_public": bytes(r.public_key)}, kid


@pytest.mark.parametrize("role", ["originator", "responder"])
@pytest.mark.parametrize("kind,cipher", KEY_CIPHERS, ids=[f"{k}-{c}" for k, c in KEY_CIPHERS])
@pytest.mark.parametrize("serializer", ["cbor", "msgpack", "json"])
def test_cli_ppt_opens_independently(cli, serializer, kind, cipher, role):
    argv, keys, key_id = setup(kind, role)
    message = "publish" if role == "originator" else "yield"
    p = subprocess.run(
        [cli, "seal", "--uri", URI, "--message", message, "--dialect", "ppt", "--serializer", serializer,
         "--cipher", cipher, "--args", wamp_dumps(ARGS), "--kwargs", wamp_dumps(KWARGS), *argv],
        capture_output=True, text=True, timeout=60,
    )
    assert p.returncode == 0, p.stderr
    msg = wamp_loads(p.stdout)
    attrs = dict(msg[2])
    sent_key_id = attrs.pop("ppt_keyid")
    assert attrs == {"ppt_scheme": "wamp", "ppt_serializer": serializer, "ppt_cipher": cipher}
    assert (sent_key_id if kind == "data" else sent_key_id.lower()) == key_id
    assert msg[0] == (16 if role == "originator" else 70)
    arguments = msg[-1]
    assert isinstance(arguments, list) and len(arguments) == 1 and isinstance(arguments[0], bytes)
    plain = independent.open_sealed(serializer, cipher, arguments[0], **keys)
    assert_exact(plain, {"uri": URI, "args": ARGS, "kwargs": KWARGS}, "plaintext")
