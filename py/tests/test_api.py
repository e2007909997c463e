"""The wampe2e Python API: values, errors, keys, both dialects, the shared vectors."""

import base64
import threading

import pytest
import wampe2e
from conftest import vectors
from exact import assert_exact
from wampe2e import Key, KeyRing, open_payload, seal_payload


def rings(pairs):
    (o_sec, o_pub), (r_sec, r_pub) = pairs["originator"], pairs["responder"]
    sealer, opener = KeyRing(), KeyRing()
    sealer.set_key("com.example.", Key(originator_priv=o_sec, responder_pub=r_pub))
    opener.set_key("com.example.", Key(originator_pub=o_pub, responder_priv=r_sec))
    return sealer, opener


VALUES = [
    None, True, False, 0, -1, 2**63 - 1, -(2**63), 2**64 - 1, 1.5, -0.0, 1e300, "", "grüße 🌍",
    b"", b"\x00\xff", [1, [2, [3]]], {"a": {"b": [None]}},
]


@pytest.mark.parametrize("dialect,serializer,cipher", [
    ("cryptobox", "json", "xsalsa20poly1305"),
    ("ppt", "cbor", "xsalsa20poly1305"),
    ("ppt", "msgpack", "xsalsa20poly1305"),
    ("ppt", "json", "xsalsa20poly1305"),
])
def test_values_round_trip(pairs, dialect, serializer, cipher):
    sealer, opener = rings(pairs)
    args = VALUES + [bytearray(b"ba"), memoryview(b"mv"), (1, 2)]
    kwargs = {"k": VALUES}
    env = seal_payload(sealer, "originator", "com.example.t", args, kwargs,
                       dialect=dialect, serializer=serializer, cipher=cipher)
    assert env.payload_in_list == (dialect == "ppt")
    got = open_payload(opener, "responder", "com.example.t", env)
    assert_exact(got, ("com.example.t", VALUES + [b"ba", b"mv", [1, 2]], kwargs))


def test_data_keys_and_aes(pairs):
    key = wampe2e.generate_data_key()
    ring = KeyRing()
    ring.set_data_key("team-1", key, prefix="com.")
    by_id = KeyRing()
    by_id.set_data_key("team-1", key)
    for cipher in ("xsalsa20poly1305", "aes256gcm"):
        env = seal_payload(ring, "originator", "com.x", [1], None, dialect="ppt", cipher=cipher)
        assert env.attributes == {"ppt_scheme": "wamp", "ppt_serializer": "cbor", "ppt_cipher": cipher,
                                  "ppt_keyid": "team-1"}
        received = wampe2e.Envelope(dict(env.attributes, other=1), env.payload)
        assert_exact(open_payload(by_id, "responder", "com.x", received), ("com.x", [1], None))


def test_every_error_code_has_its_exception_class():
    classes = [getattr(wampe2e, n) for n in wampe2e.__all__ if n.endswith("Error") and n != "Wampe2eError"]
    # 1-47: the GS1 codes 30-45 and the held-message codes 46 (HoldOverflow), 47 (KeyFetchFailed)
    assert sorted(c.code for c in classes) == list(range(1, 48))
    for c in classes:
        assert issubclass(c, wampe2e.Wampe2eError) and issubclass(c, Exception)
        assert c.code_name.startswith("WAMPE2E_")


def test_bad_input_raises_the_documented_exceptions(pairs):
    sealer, opener = rings(pairs)
    env = seal_payload(sealer, "originator", "com.example.t", [1, "secret-text"])
    with pytest.raises(wampe2e.UriMismatchError) as e:
        open_payload(opener, "responder", "com.example.other", env)
    assert e.value.code == 7 and "secret-text" not in str(e.value)
    with pytest.raises(wampe2e.KeyIncompleteError):
        open_payload(opener, "originator", "com.example.t", env)
    tampered = wampe2e.Envelope(env.attributes, env.payload[:-1] + bytes([env.payload[-1] ^ 1]))
    with pytest.raises(wampe2e.DecryptionFailedError):
        open_payload(opener, "responder", "com.example.t", tampered)
    with pytest.raises(wampe2e.TruncatedCiphertextError):
        open_payload(opener, "responder", "com.example.t", wampe2e.Envelope(env.attributes, env.payload[:39]))
    wrong = KeyRing()
    wrong.set_key("", Key(originator_pub=pairs["originator"][1], responder_priv=wampe2e.generate_keypair()[0]))
    with pytest.raises(wampe2e.DecryptionFailedError):
        open_payload(wrong, "responder", "com.example.t", env)
    with pytest.raises(wampe2e.KeyNotFoundError):
        seal_payload(sealer, "originator", "org.other", [1])
    with pytest.raises(wampe2e.InvalidKeyError, match="responder_pub"):
        Key(originator_priv=pairs["originator"][0], responder_pub="not base64!")
    with pytest.raises(wampe2e.InvalidKeyError):
        Key(originator_priv=pairs["originator"][0], originator_pub=pairs["responder"][1], responder_pub=pairs["responder"][1])
    with pytest.raises(wampe2e.KeyIncompleteError):
        Key(originator_pub=pairs["originator"][1])
    with pytest.raises(wampe2e.InvalidEnvelopeError):
        wampe2e.Envelope({}, b"x")
    with pytest.raises(wampe2e.UnknownSchemeError):
        wampe2e.Envelope({"enc_algo": "rot13", "enc_serializer": "json"}, b"x")
    with pytest.raises(wampe2e.UnknownCipherError):
        seal_payload(sealer, "originator", "com.example.t", [], dialect="ppt", cipher="des")
    with pytest.raises(wampe2e.UnknownSerializerError):
        seal_payload(sealer, "originator", "com.example.t", [], dialect="ppt", serializer="xml")
    with pytest.raises(wampe2e.WrongKeyKindError):
        seal_payload(sealer, "originator", "com.example.t", [], dialect="ppt", cipher="aes256gcm")
    with pytest.raises(wampe2e.InvalidArgumentError):
        seal_payload(sealer, "caller", "com.example.t", [])
    with pytest.raises(wampe2e.UnsupportedValueError):
        seal_payload(sealer, "originator", "com.example.t", [float("nan")])


# JSON dialects write Python objects straight into the plaintext; CBOR/MessagePack
# convert them to core values first: both must accept and refuse the same things.
PATHS = [dict(dialect="cryptobox"), dict(dialect="ppt", serializer="json"), dict(dialect="ppt", serializer="cbor")]


@pytest.mark.parametrize("how", PATHS)
def test_wrong_types_name_the_path(pairs, how):
    sealer, _ = rings(pairs)
    seal = lambda *a: seal_payload(sealer, "originator", "com.example.t", *a, **how)  # noqa: E731
    with pytest.raises(TypeError, match=r'args\[2\]\["when"\]: datetime'):
        import datetime
        seal([1, 2, {"when": datetime.datetime.now()}])
    with pytest.raises(TypeError, match=r"kwargs\[\"k\"\]\[0\]: set"):
        seal(None, {"k": [set()]})
    with pytest.raises(TypeError, match="dict key of type int"):
        seal([{1: 2}])
    if how.get("serializer") == "cbor":
        # JSON carries ints of any size exactly (as Python's json); CBOR and
        # MessagePack only 64-bit ones (test_keys_and_values.py has the round trips).
        with pytest.raises(OverflowError, match=r"args\[0\]"):
            seal([2**64])
        with pytest.raises(OverflowError, match=r"args\[0\]"):
            seal([-(2**63) - 1])
    with pytest.raises(TypeError, match="args: expected a list or tuple"):
        seal("not a list")
    with pytest.raises(TypeError, match="kwargs: expected a dict"):
        seal(None, [1])
    cyclic = []
    cyclic.append(cyclic)
    with pytest.raises(wampe2e.UnsupportedValueError, match="100 levels"):
        seal(cyclic)
    with pytest.raises(UnicodeEncodeError):
        seal(["lone \ud800 surrogate"])


@pytest.mark.parametrize("how", PATHS)
def test_subclasses_and_depth_limit(pairs, how):
    import collections
    import enum

    class Color(enum.IntEnum):
        RED = 1

    class Name(str):
        pass

    sealer, opener = rings(pairs)
    args = [Color.RED, Name("n"), collections.OrderedDict(a=1), (1, (2,)), True, 2.5]
    env = seal_payload(sealer, "originator", "com.example.t", args, {Name("k"): 1}, **how)
    got = open_payload(opener, "responder", "com.example.t", env)
    assert_exact(got, ("com.example.t", [1, "n", {"a": 1}, [1, [2]], True, 2.5], {"k": 1}))

    def nested(n):
        v = 1
        for _ in range(n):
            v = [v]
        return v

    # The plaintext map, args and 98 more lists: 100 levels, the limit.
    env = seal_payload(sealer, "originator", "com.example.t", [nested(98)], **how)
    assert_exact(open_payload(opener, "responder", "com.example.t", env)[1], [nested(98)])
    with pytest.raises(wampe2e.UnsupportedValueError):
        seal_payload(sealer, "originator", "com.example.t", [nested(99)], **how)


@pytest.mark.parametrize("how", PATHS)
def test_large_payloads_and_the_garbage_collector(pairs, how):
    import gc

    sealer, opener = rings(pairs)
    rows = [{"id": i, "name": f"row-{i}", "v": i / 7, "b": bytes([i % 256]) * 3, "t": ["a", "b"]} for i in range(5000)]
    env = seal_payload(sealer, "originator", "com.example.t", [rows], {"n": len(rows)}, **how)
    assert gc.isenabled()
    assert_exact(open_payload(opener, "responder", "com.example.t", env), ("com.example.t", [rows], {"n": 5000}))
    assert gc.isenabled(), "collector re-enabled after a large payload"
    gc.disable()
    try:
        open_payload(opener, "responder", "com.example.t", env)
        assert not gc.isenabled(), "a collector the caller disabled stays disabled"
    finally:
        gc.enable()
    tampered = wampe2e.Envelope(env.attributes, env.payload[:-1] + bytes([env.payload[-1] ^ 1]))
    with pytest.raises(wampe2e.DecryptionFailedError):
        open_payload(opener, "responder", "com.example.t", tampered)
    assert gc.isenabled()


def test_keys_helpers():
    sec, pub = wampe2e.generate_keypair()
    assert wampe2e.public_key(sec) == pub
    sec_hex, pub_hex = wampe2e.generate_keypair_hex()
    assert len(sec_hex) == 64 and base64.b64decode(wampe2e.public_key(sec_hex)).hex() == pub_hex
    kid = wampe2e.key_id(pub)
    assert kid.startswith("0x") and len(kid) == 42
    kat = vectors("crypto_box_kat.json")["ed25519_to_x25519"][0]
    x_sec, x_pub = wampe2e.ed25519_to_x25519(kat["ed25519_seed_hex"])
    assert base64.b64decode(x_pub).hex() == kat["x25519_public_hex"]
    assert base64.b64decode(x_sec).hex() == kat["x25519_secret_hex"]


def test_rotate_key(pairs):
    sealer, opener = rings(pairs)
    new_o_pub, new_r_pub = sealer.rotate("com.example.")
    assert new_r_pub is None and new_o_pub != pairs["originator"][1]
    env = seal_payload(sealer, "originator", "com.example.t", [1])
    with pytest.raises(wampe2e.DecryptionFailedError):
        open_payload(opener, "responder", "com.example.t", env)
    opener.set_key("com.example.", Key(originator_pub=new_o_pub, responder_priv=pairs["responder"][0]))
    assert_exact(open_payload(opener, "responder", "com.example.t", env)[1], [1])


def test_shared_across_threads(pairs):
    sealer, opener = rings(pairs)
    errors = []

    def work(n):
        try:
            for i in range(200):
                big = b"x" * (70_000 if i % 50 == 0 else 10)  # exercise the GIL-released path too
                env = seal_payload(sealer, "originator", "com.example.t", [n, i, big])
                assert_exact(open_payload(opener, "responder", "com.example.t", env)[1], [n, i, big])
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_autobahn_vectors_open():
    from autobahn.wamp.serializer import _loads

    doc = vectors("autobahn_cryptobox.json")
    o, r = doc["originator"], doc["responder"]
    as_responder = KeyRing()
    as_responder.set_key("", Key(originator_pub=o["public_base64"], responder_priv=r["secret_hex"]))
    as_originator = KeyRing()
    as_originator.set_key("", Key(originator_priv=o["secret_base64"], responder_pub=r["public_hex"]))
    for v in doc["vectors"]:
        originator_sealed = v["sealer_role"] == "originator"
        ring, role = (as_responder, "responder") if originator_sealed else (as_originator, "originator")
        env = wampe2e.Envelope({"enc_algo": "cryptobox", "enc_serializer": "json"}, base64.b64decode(v["sealed_base64"]))
        got = open_payload(ring, role, v["uri"], env)
        assert_exact(got, (v["uri"], _loads(v["args_json"]), _loads(v["kwargs_json"])), v["name"])


def test_ppt_vectors_open():
    doc = vectors("ppt.json")
    import json

    for v in doc["vectors"]:
        ring = KeyRing()
        if v["key"] == "data":
            ring.set_data_key(v["key_id"], doc["data_key_base64"])
            attrs = {"ppt_keyid": v["key_id"]}
        else:
            ring.set_key("", Key(originator_pub=doc["originator"]["public_base64"],
                                 responder_priv=doc["responder"]["secret_base64"]))
            attrs = {}
        attrs.update(ppt_scheme="wamp", ppt_serializer=v["serializer"], ppt_cipher=v["cipher"])
        env = wampe2e.Envelope(attrs, base64.b64decode(v["sealed_base64"]))
        got = open_payload(ring, "responder", doc["uri"], env)
        want_args = [1, "two", 3.5, b"\x04\x05", None, True, [{"six": 6}]]
        assert_exact(got, (doc["uri"], want_args, json.loads(doc["expected_kwargs_json"])), str(v))
