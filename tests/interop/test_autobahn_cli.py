"""Live interop: Autobahn|Python's own cryptobox KeyRing (autobahn on PyPI) opens what
the wampe2e CLI sealed, and the CLI opens what Autobahn sealed, for both roles."""

import json
import subprocess

import pytest
from autobahn.wamp.cryptobox import Key, KeyRing
from autobahn.wamp.serializer import _dumps as wamp_dumps
from autobahn.wamp.serializer import _loads as wamp_loads
from autobahn.wamp.types import EncodedPayload
from exact import assert_exact

ARGS = [42, "hello world", {"temp": 21.5, "ok": True}, b"\x00\xffbinary", "grüße 🌍", 1e16, None, -0.0, 1.0, 1, True]
KWARGS = {"sensor": "s-17", "ts": 1732700000123, "nested": {"list": [1.5, -2, "x"]}}
URI = "com.example.topic1"


@pytest.fixture(scope="module")
def keys():
    ring = KeyRing()
    o_priv, o_pub = ring.generate_key()
    r_priv, r_pub = ring.generate_key_hex()  # hex on one side: crossbar keygen's form
    return {"o_priv": o_priv, "o_pub": o_pub, "r_priv": r_priv, "r_pub": r_pub}


def autobahn_ring(keys, originating: bool) -> KeyRing:
    import base64

    r_pub = base64.b64encode(bytes.fromhex(keys["r_pub"])).decode()
    r_priv = base64.b64encode(bytes.fromhex(keys["r_priv"])).decode()
    if originating:
        key = Key(originator_priv=keys["o_priv"], responder_pub=r_pub)
    else:
        key = Key(originator_pub=keys["o_pub"], responder_priv=r_priv)
    ring = KeyRing()
    ring.set_key("com.example.", key)
    return ring


def cli_keys(keys, originating: bool):
    if originating:
        return ["--originator-priv", keys["o_priv"], "--responder-pub", keys["r_pub"]]
    return ["--originator-pub", keys["o_pub"], "--responder-priv", keys["r_priv"]]


def run(cli, *argv, stdin=None):
    p = subprocess.run([cli, *argv], input=stdin, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return p.stdout


@pytest.mark.parametrize("originating", [True, False], ids=["originator-seals", "responder-seals"])
def test_cli_seals_autobahn_opens(cli, keys, originating):
    message_type = "publish" if originating else "yield"
    out = run(
        cli, "seal", "--uri", URI, "--message", message_type,
        "--args", wamp_dumps(ARGS), "--kwargs", wamp_dumps(KWARGS),
        *cli_keys(keys, originating),
    )
    msg = wamp_loads(out)
    attrs = msg[2]
    assert attrs == {"enc_algo": "cryptobox", "enc_serializer": "json"}
    payload = msg[-1]
    assert isinstance(payload, bytes)
    assert b"hello world" not in payload
    opener = autobahn_ring(keys, originating=not originating)
    opened = opener.decode(not originating, URI, EncodedPayload(payload, "cryptobox", "json"))
    assert_exact(opened, (URI, ARGS, KWARGS))


@pytest.mark.parametrize("originating", [True, False], ids=["originator-seals", "responder-seals"])
def test_autobahn_seals_cli_opens(cli, keys, originating):
    sealer = autobahn_ring(keys, originating)
    enc = sealer.encode(originating, URI, ARGS, KWARGS)
    attrs = {"enc_algo": enc.enc_algo, "enc_serializer": enc.enc_serializer}
    if originating:
        message = [16, 7, attrs, URI, enc.payload]  # PUBLISH
        extra = []
    else:
        message = [70, 7, attrs, enc.payload]  # YIELD: carries no URI
        extra = ["--uri", URI]
    out = run(cli, "open", *extra, *cli_keys(keys, not originating), stdin=wamp_dumps(message))
    assert_exact(wamp_loads(out), {"uri": URI, "args": ARGS, "kwargs": KWARGS})


def test_cli_rejects_autobahn_payload_replayed_on_other_uri(cli, keys):
    enc = autobahn_ring(keys, True).encode(True, URI, ARGS, KWARGS)
    message = [16, 7, {"enc_algo": "cryptobox", "enc_serializer": "json"}, "com.example.other", enc.payload]
    p = subprocess.run(
        [cli, "open", *cli_keys(keys, False)], input=wamp_dumps(message),
        capture_output=True, text=True, timeout=60,
    )
    assert p.returncode == 1
    assert "WAMPE2E_URI_MISMATCH" in p.stderr
    assert "hello" not in p.stderr


def test_cli_rejects_wrong_key(cli, keys):
    enc = autobahn_ring(keys, True).encode(True, URI, ARGS, KWARGS)
    other_priv, _ = KeyRing().generate_key()
    message = [16, 7, {"enc_algo": "cryptobox", "enc_serializer": "json"}, URI, enc.payload]
    p = subprocess.run(
        [cli, "open", "--originator-pub", keys["o_pub"], "--responder-priv", other_priv],
        input=wamp_dumps(message), capture_output=True, text=True, timeout=60,
    )
    assert p.returncode == 1
    assert "WAMPE2E_DECRYPTION_FAILED" in p.stderr
    assert other_priv not in p.stderr


def test_shared_key_ring_interop(cli):
    """Autobahn's KeyRing("<b64>") form: one secret, both roles."""
    ring = KeyRing()
    priv, _ = ring.generate_key()
    ab = KeyRing(priv)
    out = run(cli, "seal", "--uri", URI, "--args", json.dumps([1, 2]), "--shared-key", priv)
    payload = wamp_loads(out)[-1]
    assert_exact(ab.decode(False, URI, EncodedPayload(payload, "cryptobox", "json")), (URI, [1, 2], None))
