"""Keys as str or bytes, error messages that never carry a key, one keyring type,
and values that arrive exact or are refused (never changed)."""

import base64
import math
import os

import pytest
from autobahn.wamp import cryptobox

import wampe2e
import wampe2e.autobahn as drop_in

URI = "com.example.topic1"


def forms(secret):
    """Every way the bytes of `secret` could show up in a message."""
    out = [secret.hex(), secret.hex().upper(), base64.b64encode(secret).decode(), repr(secret)[2:-1]]
    out.append(", ".join(str(b) for b in secret[:4]))  # a list of the byte values
    out.append(",".join(str(b) for b in secret[:4]))
    return out


def wrong_shapes(secret):
    """`secret` in every shape no key-taking function accepts (each still holds its bytes)."""
    b64 = base64.b64encode(secret).decode()
    return [
        secret[:31],
        secret + b"\x01",
        secret * 2,
        bytearray(secret),
        memoryview(secret),
        list(secret),
        tuple(secret),
        {"key": secret.hex()},
        secret.hex() + "0",
        secret.hex()[:-1],
        "0x" + secret.hex() + "ff",
        b64 + "A",
        b64[:-2] + "!!",
        secret.hex() + "\ud800",
        (secret.hex() + "!").encode(),
        b64.encode() + b"\xff",
        int.from_bytes(secret, "big"),
        float(int.from_bytes(secret[:6], "big")),
    ]


def key_takers():
    """Every function taking a key, as `name -> call(key)`."""
    pub = wampe2e.generate_keypair()[1]
    ring = wampe2e.KeyRing()
    ab = drop_in.KeyRing()
    return {
        "Key(originator_priv)": lambda k: wampe2e.Key(originator_priv=k, responder_pub=pub),
        "Key(originator_pub)": lambda k: wampe2e.Key(originator_pub=k, responder_priv=wampe2e.generate_keypair()[0]),
        "Key(responder_priv)": lambda k: wampe2e.Key(responder_priv=k, originator_pub=pub),
        "Key(responder_pub)": lambda k: wampe2e.Key(responder_pub=k, originator_priv=wampe2e.generate_keypair()[0]),
        "KeyRing.set_key": lambda k: ring.set_key("a.", k),
        "KeyRing.set_shared_key": lambda k: ring.set_shared_key("a.", k),
        "KeyRing.set_data_key": lambda k: ring.set_data_key("id", k),
        "public_key": wampe2e.public_key,
        "key_id": wampe2e.key_id,
        "ed25519_to_x25519": wampe2e.ed25519_to_x25519,
        "autobahn.KeyRing()": drop_in.KeyRing,
        "autobahn.KeyRing.set_key": lambda k: ab.set_key("a.", k),
        "autobahn.Key": lambda k: drop_in.Key(originator_priv=k, responder_pub=pub),
    }


def test_no_error_message_ever_contains_the_key():
    secret = os.urandom(32)
    calls = 0
    for name, call in key_takers().items():
        for shape in wrong_shapes(secret):
            with pytest.raises(Exception) as info:
                call(shape)
            calls += 1
            text = str(info.value) + repr(info.value) + "".join(map(str, info.value.args))
            for form in forms(secret):
                assert form not in text, (name, type(shape).__name__, text)
            assert isinstance(info.value, (TypeError, wampe2e.InvalidKeyError)), (name, info.value)
    assert calls == 13 * 18


def test_keys_as_raw_bytes_base64_bytes_and_text_are_the_same_key():
    secret = os.urandom(32)
    expected = wampe2e.public_key(base64.b64encode(secret).decode())
    for form in [secret, base64.b64encode(secret), secret.hex().encode(), secret.hex(), base64.b64encode(secret).decode()]:
        assert wampe2e.public_key(form) == expected
    # Autobahn's Key takes base64 bytes; so does ours (and raw bytes).
    r_sec, r_pub = wampe2e.generate_keypair()
    o_pub = wampe2e.public_key(secret).encode()
    sealer = drop_in.KeyRing(drop_in.Key(originator_priv=secret, responder_pub=r_pub.encode()))
    opener = cryptobox.KeyRing(cryptobox.Key(originator_pub=o_pub, responder_priv=r_sec.encode()))
    assert opener.decode(False, URI, sealer.encode(True, URI, [1])) == (URI, [1], None)
    ring = wampe2e.KeyRing()
    ring.set_data_key("k1", secret, prefix="com.")
    env = wampe2e.seal_payload(ring, "originator", URI, [1], dialect="ppt")
    assert wampe2e.open_payload(ring, "responder", URI, env) == (URI, [1], None)


def test_one_keyring_type_and_bytes_functions():
    ring = drop_in.KeyRing(wampe2e.generate_keypair()[0])
    assert isinstance(ring, wampe2e.KeyRing)
    env = wampe2e.seal_payload(ring, "originator", URI, [1, "x"], {"k": b"\x00"})
    assert wampe2e.open_payload(ring, "responder", URI, env) == (URI, [1, "x"], {"k": b"\x00"})
    env = wampe2e.seal_bytes(ring, "originator", URI, b"\x00own bytes")
    assert env.attributes["enc_algo"] == "cryptobox"
    assert wampe2e.open_bytes(ring, "responder", URI, env) == b"\x00own bytes"
    env = wampe2e.seal_bytes(ring, "originator", URI, b"x" * 100_000)
    assert wampe2e.open_bytes(ring, "responder", URI, env) == b"x" * 100_000
    # And the plain KeyRing takes what Autobahn's set_key takes.
    plain = wampe2e.KeyRing()
    plain.set_key("com.", wampe2e.generate_keypair()[0])
    assert plain.expects_sealed(URI)
    plain.set_key("com.", None)
    assert not plain.expects_sealed(URI)
    # encode/decode/inbound still come with the Autobahn face.
    assert ring.inbound("event", URI, sealed=True) == (True, URI)
    assert ring.decode(False, URI, ring.encode(True, URI, [2])) == (URI, [2], None)


def autobahn_pair():
    secret = wampe2e.generate_keypair()[0]
    return cryptobox.KeyRing(secret), drop_in.KeyRing(secret)


BIG = [2**64, 2**70, -(2**63) - 1, -(2**200), 10**400]


@pytest.mark.parametrize("value", BIG)
def test_integers_beyond_64_bits_arrive_exact_from_autobahn_and_back(value):
    theirs, ours = autobahn_pair()
    got = ours.decode(False, URI, theirs.encode(True, URI, [1, {"n": value}], {"k": [value, 1e19, 2**64 - 1]}))
    assert got == (URI, [1, {"n": value}], {"k": [value, 1e19, 2**64 - 1]})
    assert type(got[1][1]["n"]) is int and type(got[2]["k"][1]) is float
    # And what wampe2e seals, Autobahn opens exactly.
    assert theirs.decode(False, URI, ours.encode(True, URI, [value])) == (URI, [value], None)
    ring = wampe2e.KeyRing()
    ring.set_data_key("k", wampe2e.generate_data_key(), prefix="com.")
    env = wampe2e.seal_payload(ring, "originator", URI, [value], dialect="ppt", serializer="json")
    assert wampe2e.open_payload(ring, "responder", URI, env) == (URI, [value], None)
    for serializer in ("cbor", "msgpack"):
        with pytest.raises(OverflowError, match=r"args\[0\]: int does not fit in 64 bits"):
            wampe2e.seal_payload(ring, "originator", URI, [value], dialect="ppt", serializer=serializer)


def test_integers_beyond_64_bits_next_to_a_forged_mark_are_refused():
    theirs, ours = autobahn_pair()
    enc = theirs.encode(True, URI, [2**70, "\x01"])
    with pytest.raises(wampe2e.UnsupportedValueError, match="does not fit 64 bits"):
        ours.decode(False, URI, enc)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_nan_and_infinity_from_autobahn_are_refused_clearly(value):
    theirs, ours = autobahn_pair()
    enc = theirs.encode(True, URI, [1.5, value])
    with pytest.raises(wampe2e.UnsupportedValueError, match="NaN or Infinity"):
        ours.decode(False, URI, enc)
    # Sealing them in JSON is refused the same way; CBOR carries them exactly.
    with pytest.raises(wampe2e.UnsupportedValueError):
        ours.encode(True, URI, [value])
    ring = wampe2e.KeyRing()
    ring.set_data_key("k", wampe2e.generate_data_key(), prefix="com.")
    env = wampe2e.seal_payload(ring, "originator", URI, [value], dialect="ppt", serializer="cbor")
    got = wampe2e.open_payload(ring, "responder", URI, env)[1][0]
    assert (math.isnan(got) and math.isnan(value)) or got == value


def test_what_autobahn_sends_that_wampe2e_refuses_on_seal():
    # Documented differences (py/README.md): each refused, none changed.
    ring = drop_in.KeyRing(wampe2e.generate_keypair()[0])
    with pytest.raises(TypeError, match="dict key of type int"):
        ring.encode(True, URI, [{1: 2}])
