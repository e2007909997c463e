"""wampe2e seals, independent code opens (tests/support/independent.py: PyNaCl,
cryptography, cbor2, msgpack, json; no wampe2e in the opening path), compared by
type and bits (tests/support/exact.py):

- Payload Passthru Mode: every serializer × cipher × key kind × role.
- The JSON plaintext the binding writes (py/src/stream.rs through the core's
  writer) is byte for byte the one Autobahn|Python's own KeyRing encrypts, for the
  committed vector inputs, for generated payloads and for every float of
  tests/vectors/floats.json; and wampe2e opens Autobahn's plaintext of those floats
  to the same bits.
"""

import base64
import hashlib
import os
import random
import struct

import pytest
from autobahn.wamp import cryptobox
from autobahn.wamp.serializer import _loads as autobahn_loads
from conftest import vectors
from exact import assert_exact
from nacl.public import Box, PrivateKey, PublicKey

import independent
import wampe2e
import wampe2e.autobahn as drop_in

URI = "com.example.ppt.t"

ARGS = [
    None, True, False, 0, 1, -1, 23, 24, -24, -25, 255, 256, 65535, 65536, 2**31, -(2**31) - 1,
    2**32, 2**53 + 1, 2**63 - 1, -(2**63), 2**64 - 1,
    0.0, -0.0, 1.0, -1.5, 0.1, 1e16, 1e15, 1e-5, 5e-324, 2.2250738585072014e-308,
    1.7976931348623157e308, 3.4028234663852886e38, 65504.0, 1.00000001,
    "", "x", "grüße 🌍", "quote \" backslash \\ newline \n tab \t ctl \u0001 nul \u0000 del \u007f",
    "\u2028\u2029\ufeff", "a" * 300,
    b"", b"\x00\xff", bytes(range(256)),
    [], {}, [1, [2, [3, {"k": [None, 1.5]}]]], {"nested": {"deep": [2.5, b"\x01"], "": 0}},
]
KWARGS = {"key": "value", "n": -7, "f": 2.5, "b": b"bin", "empty": "", "ключ": "значение", "list": [True, None]}
LARGE = (["x" * 20000, [{"id": i, "v": i / 7, "b": bytes([i % 256]) * 3, "ok": i % 2 == 0} for i in range(600)]],
         {"n": 600})
PAYLOADS = {"values": (ARGS, KWARGS), "none": (None, None), "empty": ([], {}), "large": LARGE}


def b64(b: bytes) -> str:
    return base64.b64encode(b).decode()


def keypair():
    """An X25519 key pair made by PyNaCl, as (secret, public) in base64."""
    sk = PrivateKey.generate()
    return b64(bytes(sk)), b64(bytes(sk.public_key))


def key_id_lower(public_b64: str) -> str:
    """The WAMP key id of a public key without its EIP-55 casing: the last 20 bytes of SHA-256."""
    return "0x" + hashlib.sha256(base64.b64decode(public_b64)).digest()[-20:].hex()


def sealing_setup(kind, role):
    """(keyring that seals as `role`, keys that open independently, expected ppt_keyid
    or a function checking it)."""
    ring = wampe2e.KeyRing()
    if kind == "data":
        key = b64(os.urandom(32))
        ring.set_data_key("team-7", key, prefix="com.example.")
        return ring, {"data_key": key}, "team-7"
    if kind == "shared":
        secret, public = keypair()
        ring.set_shared_key("com.example.", secret)
        return ring, {"own_secret": secret, "peer_public": public}, key_id_lower(public)
    (o_sec, o_pub), (r_sec, r_pub) = keypair(), keypair()
    if role == "originator":
        ring.set_key("com.example.", wampe2e.Key(originator_priv=o_sec, responder_pub=r_pub))
        return ring, {"own_secret": r_sec, "peer_public": o_pub}, key_id_lower(o_pub)
    ring.set_key("com.example.", wampe2e.Key(originator_pub=o_pub, responder_priv=r_sec))
    return ring, {"own_secret": o_sec, "peer_public": r_pub}, key_id_lower(o_pub)


KEY_CIPHERS = [("data", "xsalsa20poly1305"), ("data", "aes256gcm"), ("box", "xsalsa20poly1305"),
               ("shared", "xsalsa20poly1305")]


@pytest.mark.parametrize("payload", list(PAYLOADS))
@pytest.mark.parametrize("role", ["originator", "responder"])
@pytest.mark.parametrize("kind,cipher", KEY_CIPHERS, ids=[f"{k}-{c}" for k, c in KEY_CIPHERS])
@pytest.mark.parametrize("serializer", ["cbor", "msgpack", "json"])
def test_ppt_sealed_by_wampe2e_opens_independently(serializer, kind, cipher, role, payload):
    ring, keys, key_id = sealing_setup(kind, role)
    args, kwargs = PAYLOADS[payload]
    env = wampe2e.seal_payload(ring, role, URI, args, kwargs, dialect="ppt", serializer=serializer, cipher=cipher)
    attrs = dict(env.attributes)
    sent_key_id = attrs.pop("ppt_keyid")
    assert attrs == {"ppt_scheme": "wamp", "ppt_serializer": serializer, "ppt_cipher": cipher}
    assert (sent_key_id if kind == "data" else sent_key_id.lower()) == key_id
    assert env.payload_in_list
    plain = independent.open_sealed(serializer, cipher, env.payload, **keys)
    assert_exact(plain, {"uri": URI, "args": args, "kwargs": kwargs}, "plaintext")
    # A fresh random nonce each time.
    again = wampe2e.seal_payload(ring, role, URI, args, kwargs, dialect="ppt", serializer=serializer, cipher=cipher)
    nonce = 12 if cipher == "aes256gcm" else 24
    assert again.payload[:nonce] != env.payload[:nonce]


@pytest.mark.parametrize("kind", ["box", "shared"])
def test_ppt_aes_needs_a_data_key(kind):
    ring, _, _ = sealing_setup(kind, "originator")
    with pytest.raises(wampe2e.WrongKeyKindError):
        wampe2e.seal_payload(ring, "originator", URI, [1], dialect="ppt", cipher="aes256gcm")


# ---- the JSON plaintext, byte for byte Autobahn's ----


def autobahn_plaintext(uri, args, kwargs):
    """What Autobahn|Python's own KeyRing encrypts, recovered with PyNaCl."""
    sk = PrivateKey.generate()
    ring = cryptobox.KeyRing()
    ring.set_key("", cryptobox.Key(originator_priv=b64(bytes(sk)), responder_pub=b64(bytes(sk.public_key))))
    enc = ring.encode(True, uri, args, kwargs)
    return Box(sk, sk.public_key).decrypt(enc.payload)


class Sealers:
    """The binding's JSON sealing paths, and the PyNaCl box that opens them all."""

    def __init__(self):
        self.o_sk, self.r_sk = PrivateKey.generate(), PrivateKey.generate()
        o_sec, o_pub = b64(bytes(self.o_sk)), b64(bytes(self.o_sk.public_key))
        r_pub = b64(bytes(self.r_sk.public_key))
        self.ring = wampe2e.KeyRing()
        self.ring.set_key("", wampe2e.Key(originator_priv=o_sec, responder_pub=r_pub))
        self.drop_in = drop_in.KeyRing(drop_in.Key(originator_priv=o_sec, responder_pub=r_pub))
        self.box = Box(self.r_sk, self.o_sk.public_key)

    def plaintexts(self, uri, args, kwargs):
        """{path: plaintext} for seal_payload (cryptobox and ppt json) and the drop-in's encode."""
        sealed = {
            "seal_payload cryptobox": wampe2e.seal_payload(self.ring, "originator", uri, args, kwargs).payload,
            "seal_payload ppt json": wampe2e.seal_payload(
                self.ring, "originator", uri, args, kwargs, dialect="ppt", serializer="json").payload,
            "autobahn.KeyRing.encode": self.drop_in.encode(True, uri, args, kwargs).payload,
        }
        return {path: self.box.decrypt(p) for path, p in sealed.items()}


def assert_plaintexts_are(want: bytes, sealers, uri, args, kwargs):
    for path, got in sealers.plaintexts(uri, args, kwargs).items():
        if got != want:
            at = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))
            raise AssertionError(
                f"{path}: plaintext differs from Autobahn's at byte {at}:\n"
                f"  wampe2e:  {got[max(0, at - 40):at + 40]!r}\n  Autobahn: {want[max(0, at - 40):at + 40]!r}")


def test_json_plaintext_is_autobahns_for_the_vector_inputs():
    doc = vectors("autobahn_cryptobox.json")
    o, r = doc["originator"], doc["responder"]
    for v in doc["vectors"]:
        args, kwargs = autobahn_loads(v["args_json"]), autobahn_loads(v["kwargs_json"])
        want = base64.b64decode(v["plaintext_base64"])
        # the vector's own keys and role, opened as its peer would
        ring = wampe2e.KeyRing()
        if v["sealer_role"] == "originator":
            ring.set_key("", wampe2e.Key(originator_priv=o["secret_base64"], responder_pub=r["public_base64"]))
            box = Box(PrivateKey(base64.b64decode(r["secret_base64"])), PublicKey(base64.b64decode(o["public_base64"])))
        else:
            ring.set_key("", wampe2e.Key(originator_pub=o["public_base64"], responder_priv=r["secret_base64"]))
            box = Box(PrivateKey(base64.b64decode(o["secret_base64"])), PublicKey(base64.b64decode(r["public_base64"])))
        env = wampe2e.seal_payload(ring, v["sealer_role"], v["uri"], args, kwargs)
        assert box.decrypt(env.payload) == want, v["name"]
        assert_plaintexts_are(want, Sealers(), v["uri"], args, kwargs)


ALPHABET = (
    [chr(c) for c in range(0x20, 0x7f)] * 4 + [chr(c) for c in range(0x00, 0x20)] + ['"', "\\", "\x7f"] * 4
    + ["é", "ß", "€", "ключ", "中文", "🌍", "𝄞", "\u2028", "\u2029", "\ufeff", "\u0301", "\ud7ff", "\ue000", "\uffff"]
)


def random_str(rng):
    s = "".join(rng.choice(ALPHABET) for _ in range(rng.randrange(0, 16)))
    return s.lstrip("\x00")  # a leading U+0000 is WAMP-JSON's binary marker (refused)


def random_float(rng):
    pick = rng.randrange(4)
    if pick == 0:
        while True:
            f = struct.unpack("<d", struct.pack("<Q", rng.getrandbits(64)))[0]
            if f == f and abs(f) != float("inf"):
                return f
    if pick == 1:
        return float(f"{rng.randrange(10**rng.randrange(1, 18))}e{rng.randrange(-30, 31)}")
    if pick == 2:
        return rng.randrange(-(10**6), 10**6) / rng.choice([1, 7, 10, 1000, 3])
    return rng.choice([0.0, -0.0, 1e16, 1e-4, 9.999999999999999e-05, 5e-324, 1.7976931348623157e308])


def random_value(rng, depth=0):
    kinds = ["none", "bool", "int", "float", "str", "bytes"] + (["list", "dict"] * 2 if depth < 4 else [])
    kind = rng.choice(kinds)
    if kind == "none":
        return None
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "int":
        return rng.choice([
            rng.randrange(-(2**63), 2**64), rng.randrange(-300, 300), 2**63 - 1, -(2**63), 2**64 - 1, 2**53 + 1])
    if kind == "float":
        return random_float(rng)
    if kind == "str":
        return random_str(rng)
    if kind == "bytes":
        return rng.randbytes(rng.randrange(0, 20))
    if kind == "list":
        return [random_value(rng, depth + 1) for _ in range(rng.randrange(0, 6))]
    return {random_str(rng): random_value(rng, depth + 1) for _ in range(rng.randrange(0, 6))}


def test_json_plaintext_is_autobahns_for_generated_payloads():
    rng = random.Random(20261130)
    sealers = Sealers()
    for i in range(400):
        args = [random_value(rng) for _ in range(rng.randrange(0, 6))] if rng.random() < 0.9 else None
        kwargs = {random_str(rng): random_value(rng) for _ in range(rng.randrange(0, 4))} if rng.random() < 0.8 else None
        uri = f"com.example.gen.{i}"
        assert_plaintexts_are(autobahn_plaintext(uri, args, kwargs), sealers, uri, args, kwargs)
    # one payload large enough to be sealed with the GIL released
    args = [random_value(rng) for _ in range(3000)]
    assert_plaintexts_are(autobahn_plaintext("com.example.big", args, None), sealers, "com.example.big", args, None)


def float_vectors():
    doc = vectors("floats.json")
    pairs = [(int(h, 16), r) for h, r in doc["floats"]]
    assert len(pairs) == doc["count"] >= 10_000
    return [struct.unpack("<d", struct.pack("<Q", b))[0] for b, _ in pairs], [r for _, r in pairs]


def test_floats_written_as_python_repr_and_read_back_bit_exactly():
    floats, reprs = float_vectors()
    # the vector file is Python's repr (a check of the file, not of wampe2e)
    assert [repr(f) for f in floats] == reprs
    want = ('{"uri":"com.example.floats","args":[' + ",".join(reprs) + '],"kwargs":null}').encode()
    assert autobahn_plaintext("com.example.floats", floats, None) == want
    sealers = Sealers()
    assert_plaintexts_are(want, sealers, "com.example.floats", floats, None)
    for i in range(0, len(floats), 997):  # small payloads too (no GIL release)
        chunk = floats[i:i + 997]
        assert_plaintexts_are(autobahn_plaintext("com.example.f", chunk, None), sealers, "com.example.f", chunk, None)

    # Autobahn's plaintext, sealed by PyNaCl, opened by wampe2e: the same bits.
    opener = wampe2e.KeyRing()
    opener.set_key("", wampe2e.Key(originator_pub=b64(bytes(sealers.o_sk.public_key)),
                                   responder_priv=b64(bytes(sealers.r_sk))))
    sealed = Box(sealers.o_sk, sealers.r_sk.public_key).encrypt(want)
    env = wampe2e.Envelope({"enc_algo": "cryptobox", "enc_serializer": "json"}, bytes(sealed))
    assert_exact(wampe2e.open_payload(opener, "responder", "com.example.floats", env),
                 ("com.example.floats", floats, None))

    # and through CBOR and MessagePack (to the independent decoders) bit for bit
    ring, keys, _ = sealing_setup("data", "originator")
    for serializer in ("cbor", "msgpack"):
        env = wampe2e.seal_payload(ring, "originator", "com.example.floats", floats,
                                   dialect="ppt", serializer=serializer)
        assert_exact(independent.open_sealed(serializer, "xsalsa20poly1305", env.payload, **keys),
                     {"uri": "com.example.floats", "args": floats, "kwargs": None})
