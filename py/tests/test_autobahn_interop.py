"""In-process interop with Autobahn|Python's own cryptobox KeyRing: every combination
of {Autobahn's KeyRing, wampe2e's} × {originating, responding} × {sealer, opener}."""

import itertools

import pytest
from autobahn.wamp import cryptobox
from autobahn.wamp.interfaces import IPayloadCodec

import wampe2e
import wampe2e.autobahn as drop_in
from exact import assert_exact

ARGS = [42, "hello world", {"temp": 21.5, "ok": True}, b"\x00\x01binary", "ключ", 1e16, None, -7, -0.0, 1.0, 1, True, 0, False]
KWARGS = {"sensor": "s-17", "ts": 1732700000123, "blob": b"\xff"}
URI = "com.example.topic1"


def make(impl, pairs, originating):
    (o_sec, o_pub), (r_sec, r_pub) = pairs["originator"], pairs["responder"]
    mod = drop_in if impl == "wampe2e" else cryptobox
    if originating:
        key = mod.Key(originator_priv=o_sec, responder_pub=r_pub)
    else:
        key = mod.Key(originator_pub=o_pub, responder_priv=r_sec)
    ring = mod.KeyRing()
    ring.set_key("com.example.", key)
    return ring


@pytest.mark.parametrize(
    "sealer_impl,opener_impl,originating",
    list(itertools.product(["autobahn", "wampe2e"], ["autobahn", "wampe2e"], [True, False])),
)
def test_combinations(pairs, sealer_impl, opener_impl, originating):
    sealer = make(sealer_impl, pairs, originating)
    opener = make(opener_impl, pairs, not originating)
    enc = sealer.encode(originating, URI, ARGS, KWARGS)
    assert (enc.enc_algo, enc.enc_serializer, enc.enc_key) == ("cryptobox", "json", None)
    assert b"hello world" not in enc.payload
    assert_exact(opener.decode(not originating, URI, enc), (URI, ARGS, KWARGS))


def test_drop_in_surface(pairs):
    ring = drop_in.KeyRing()
    assert isinstance(ring, IPayloadCodec)
    priv, pub = ring.generate_key()
    priv_hex, _ = ring.generate_key_hex()
    assert len(priv_hex) == 64
    shared = drop_in.KeyRing(priv)  # KeyRing("<b64>") as Autobahn
    theirs = cryptobox.KeyRing(priv)
    enc = shared.encode(True, URI, ARGS, None)
    assert_exact(theirs.decode(False, URI, enc), (URI, ARGS, None))
    # no key: the payload travels unencrypted, as with Autobahn
    assert drop_in.KeyRing().encode(True, URI, ARGS, KWARGS) is None
    one_sided = drop_in.KeyRing(drop_in.Key(originator_priv=priv, responder_pub=pub))
    # No responder box: Autobahn returns None (and sends plaintext); we fail closed.
    with pytest.raises(wampe2e.KeyIncompleteError):
        one_sided.encode(False, URI, ARGS)
    shared.set_key("com.example.", None)  # removal is allowed, as in Autobahn
    with pytest.raises(TypeError):
        shared.set_key("x", 42)
    with pytest.raises(TypeError):
        shared.set_key(b"x", priv)
    assert (drop_in.KeyRing.__name__, drop_in.KeyRing.__module__) == ("KeyRing", "wampe2e.autobahn")

    class Mine(drop_in.KeyRing):  # subclassable, as a Python class is
        pass

    mine = Mine(priv)
    assert_exact(theirs.decode(False, URI, mine.encode(True, URI, ARGS, None)), (URI, ARGS, None))


def test_decode_rejects_replay_and_bad_envelopes(pairs):
    sealer = make("autobahn", pairs, True)
    opener = make("wampe2e", pairs, False)
    enc = sealer.encode(True, URI, ARGS, KWARGS)
    with pytest.raises(wampe2e.UriMismatchError):
        opener.decode(False, "com.example.other", enc)
    from autobahn.wamp.types import EncodedPayload

    with pytest.raises(wampe2e.UnknownSchemeError):
        opener.decode(False, URI, EncodedPayload(enc.payload, "mqtt", "json"))
    with pytest.raises(wampe2e.UnknownSerializerError):
        opener.decode(False, URI, EncodedPayload(enc.payload, "cryptobox", "cbor"))
    with pytest.raises(wampe2e.DecryptionFailedError):
        opener.decode(False, URI, EncodedPayload(enc.payload[:-1] + b"\x00", "cryptobox", "json"))


def test_rotate_key_works(pairs):
    ring = make("wampe2e", pairs, True)
    new_o_pub, _ = ring.rotate_key("com.example.")
    peer = cryptobox.KeyRing()
    peer.set_key("com.example.", cryptobox.Key(originator_pub=new_o_pub, responder_priv=pairs["responder"][0]))
    assert_exact(peer.decode(False, URI, ring.encode(True, URI, [1], None)), (URI, [1], None))
