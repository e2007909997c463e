"""Every core error code that Python can cause is caused here, and raises its own
exception class (with its ``code`` and ``code_name``). The codes Python cannot cause
are listed with the reason; together the two lists are exactly the core's codes."""

import base64
import os

import msgpack
import pytest
from nacl.public import Box, PrivateKey
from nacl.secret import SecretBox

import wampe2e
from wampe2e import Envelope, Key, KeyRing, open_payload, seal_payload

URI = "com.example.t"
CRYPTOBOX = {"enc_algo": "cryptobox", "enc_serializer": "json"}
MAX_PAYLOAD_LEN = 64 * 1024 * 1024  # core/src/lib.rs

T0 = 1_700_000_000_000
P = "com.example."

# Codes no Python call can produce, and why (as ffi-c/tests/test_wampe2e.c lists C's).
UNREACHABLE = {
    "WAMPE2E_RANDOM_FAILED": "the operating system's random number generator would have to fail",
    "WAMPE2E_INVALID_MESSAGE": "parsing WAMP messages is not part of the Python API (attach gets Autobahn's parsed messages)",
    "WAMPE2E_NULL_ARGUMENT": "C ABI only: a Python argument cannot be a NULL pointer",
    "WAMPE2E_PANIC": "the core does not panic; the class exists so that the mapping is total",
    "WAMPE2E_KEY_EXHAUSTED": "needs 2^32 AES-256-GCM seals with one key",
    "WAMPE2E_SHARE_MISMATCH": "needs a key response validly signed by the sender for a share that differs from"
    " the request: a genuine sender never makes one (the core's tests forge it with the gs1-testing feature)",
}


class World:
    """Key pairs made by PyNaCl, a sealing and an opening keyring, raw sealing helpers."""

    def __init__(self):
        self.o_sk, self.r_sk = PrivateKey.generate(), PrivateKey.generate()
        b64 = lambda k: base64.b64encode(bytes(k)).decode()  # noqa: E731
        self.o_sec, self.o_pub = b64(self.o_sk), b64(self.o_sk.public_key)
        self.r_sec, self.r_pub = b64(self.r_sk), b64(self.r_sk.public_key)
        self.sealer, self.opener = KeyRing(), KeyRing()
        self.sealer.set_key("com.example.", Key(originator_priv=self.o_sec, responder_pub=self.r_pub))
        self.opener.set_key("com.example.", Key(originator_pub=self.o_pub, responder_priv=self.r_sec))
        self.data_key = os.urandom(32)
        self.data_opener = KeyRing()  # the URI's own entry decides: a data key for ppt
        self.data_opener.set_data_key("dk", base64.b64encode(self.data_key).decode(), prefix="com.example.")

    def sealed(self):
        return seal_payload(self.sealer, "originator", URI, [1, "secret-text"])

    def open_raw_json(self, plaintext: bytes):
        """Opens a cryptobox plaintext sealed by PyNaCl (not by wampe2e)."""
        sealed = bytes(Box(self.o_sk, self.r_sk.public_key).encrypt(plaintext))
        return open_payload(self.opener, "responder", URI, Envelope(CRYPTOBOX, sealed))

    def open_raw_ppt(self, serializer: str, plaintext: bytes):
        """Opens a ppt plaintext sealed by PyNaCl's SecretBox under the data key "dk"."""
        sealed = bytes(SecretBox(self.data_key).encrypt(plaintext))
        attrs = {"ppt_scheme": "wamp", "ppt_serializer": serializer, "ppt_cipher": "xsalsa20poly1305", "ppt_keyid": "dk"}
        return open_payload(self.data_opener, "responder", URI, Envelope(attrs, sealed))


class Gs1:
    """A publisher and a subscriber on GS1 (``P``), the subscriber holding the
    publisher's session from index 0 on; a caller/callee pair the same way."""

    def __init__(self, **params):
        self.a, self.b = wampe2e.Identity.generate(), wampe2e.Identity.generate()
        self.pub, self.sub = wampe2e.Group(self.a, **params), wampe2e.Group(self.b, **params)
        for g in (self.pub, self.sub):
            g.set_entry(P, [self.a.public_key, self.b.public_key], [self.a.public_key, self.b.public_key])

    def seal(self, n=0, kind="event"):
        return self.pub.seal(URI, [n, "secret-text"], kind=kind, now_ms=T0)

    def share(self, m, from_index=0, group=None, sender=None):
        group, sender = group or self.sub, sender or self.pub
        req = group.key_request(sender.public_key, P, session_id=m.session_id, from_index=from_index, now_ms=T0)
        group.accept_key_response(req.request_hash, sender.answer_key_request(req.request, now_ms=T0), now_ms=T0)
        return req

    def opened(self, n=0, kind="event"):
        m = self.seal(n, kind)
        self.share(m)
        return m, self.sub.open(URI, m.envelope, kind=kind, now_ms=T0)

    def open(self, m, **kw):
        kw.setdefault("now_ms", T0)
        return self.sub.open(URI, m.envelope if hasattr(m, "envelope") else m, **kw)


def flip(b, at):
    return b[:at] + bytes([b[at] ^ 1]) + b[at + 1 :]


def _replayed(g):
    m, _ = g.opened()
    g.open(m)


def _too_old(g):
    m0, m1 = g.seal(0), g.seal(1)
    g.share(m1, from_index=1)
    g.open(m0)


def _index_jump(g):
    m0 = g.seal(0)
    g.share(m0)
    for _ in range((1 << 16) - 1):
        g.pub.seal(URI, None, now_ms=T0)
    g.open(g.seal(1))


def _session_expired(g):
    m0 = g.seal(0)
    g.share(m0)
    g.open(m0, now_ms=T0 + 10**9)


def _untrusted(g):
    mallory = wampe2e.Group(wampe2e.Identity.generate())
    mallory.set_entry(P, [mallory.public_key], [g.b.public_key])
    g.open(mallory.seal(URI, [1], now_ms=T0))


def _key_refused(g):
    g.pub.set_entry(P, [g.a.public_key], [])
    m0 = g.seal(0)
    g.share(m0)


def _stale(g):
    req = g.sub.key_request(g.a.public_key, P, now_ms=T0)
    g.pub.answer_key_request(req.request)  # the system clock: years later


def _unsolicited(g):
    m0 = g.seal(0)
    req = g.share(m0)
    g.sub.accept_key_response(req.request_hash, g.pub.answer_key_request(req.request, now_ms=T0), now_ms=T0)


def _out_of_order(g):
    call = g.seal(0, kind="call")
    g.share(call)
    inv = g.open(call, kind="call").invocation
    g.sub.seal_reply(inv, [1], kind="progress")
    second = g.sub.seal_reply(inv, [2], kind="progress")
    # the callee is the subscriber here; the publisher (the caller) opens seq 1 first
    g.pub.open_reply(call.call_hash, second, kind="progress")


def _hold_overflow(g):
    held = wampe2e.Held(g.sub, max_per_session=1)
    m0, m1 = g.seal(0), g.seal(1)
    held.hold(URI, "event", m0.envelope, 0, now_ms=T0)
    held.hold(URI, "event", m1.envelope, 1, now_ms=T0)


def _key_fetch_failed(g):
    held = wampe2e.Held(g.sub, max_wait_ms=1000)
    m0, m1 = g.seal(0), g.seal(1)
    fetch = held.hold(URI, "event", m0.envelope, 0, now_ms=T0)
    assert held.fail(fetch.request_hash, wampe2e.fetch_error_code("wamp.error.no_such_procedure"), now_ms=T0) == [0]
    held.hold(URI, "event", m1.envelope, 1, now_ms=T0 + 1)


GS1_TRIGGERS = {
    "WAMPE2E_BAD_SIGNATURE": lambda g: g.open(flip(g.seal().envelope, -1)),
    "WAMPE2E_UNTRUSTED_SENDER": _untrusted,
    "WAMPE2E_UNKNOWN_SESSION": lambda g: g.open(g.seal()),
    "WAMPE2E_REPLAYED": _replayed,
    "WAMPE2E_TOO_OLD": _too_old,
    "WAMPE2E_INDEX_JUMP": _index_jump,
    "WAMPE2E_SESSION_EXPIRED": _session_expired,
    "WAMPE2E_KEY_REQUEST_STALE": _stale,
    "WAMPE2E_KEY_REFUSED": _key_refused,
    "WAMPE2E_UNSOLICITED": _unsolicited,
    "WAMPE2E_OUT_OF_ORDER": _out_of_order,
    "WAMPE2E_WRONG_VERSION": lambda g: g.open(flip(g.seal().envelope, 0)),
    "WAMPE2E_MALFORMED": lambda g: g.open(b"\x01\x01"),
    "WAMPE2E_KEY_ID_MISMATCH": lambda g: g.open(g.seal(), key_id="00" * 16),
    "WAMPE2E_WRONG_KIND": lambda g: g.open(g.seal(), kind="call"),
    "WAMPE2E_HOLD_OVERFLOW": _hold_overflow,
    "WAMPE2E_KEY_FETCH_FAILED": _key_fetch_failed,
}


def tampered(env):
    return Envelope(env.attributes, env.payload[:-1] + bytes([env.payload[-1] ^ 1]))


TRIGGERS = {
    "WAMPE2E_INVALID_KEY": lambda w: Key(originator_priv=w.o_sec, responder_pub="not base64!"),
    "WAMPE2E_KEY_NOT_FOUND": lambda w: seal_payload(w.sealer, "originator", "org.other", [1]),
    "WAMPE2E_KEY_INCOMPLETE": lambda w: open_payload(w.opener, "originator", URI, w.sealed()),
    "WAMPE2E_WRONG_KEY_KIND": lambda w: seal_payload(w.sealer, "originator", URI, [], dialect="ppt", cipher="aes256gcm"),
    "WAMPE2E_DECRYPTION_FAILED": lambda w: open_payload(w.opener, "responder", URI, tampered(w.sealed())),
    "WAMPE2E_TRUNCATED_CIPHERTEXT": lambda w: open_payload(
        w.opener, "responder", URI, Envelope(CRYPTOBOX, w.sealed().payload[:39])),
    "WAMPE2E_URI_MISMATCH": lambda w: open_payload(w.opener, "responder", "com.example.other", w.sealed()),
    "WAMPE2E_MISSING_URI": lambda w: w.open_raw_json(b'{"uri":null,"args":[1],"kwargs":null}'),
    "WAMPE2E_UNKNOWN_SCHEME": lambda w: Envelope({"enc_algo": "rot13", "enc_serializer": "json"}, b"x"),
    "WAMPE2E_UNKNOWN_CIPHER": lambda w: seal_payload(w.sealer, "originator", URI, [], dialect="ppt", cipher="des"),
    "WAMPE2E_UNKNOWN_SERIALIZER": lambda w: seal_payload(w.sealer, "originator", URI, [], dialect="ppt", serializer="xml"),
    "WAMPE2E_INVALID_UTF8": lambda w: w.open_raw_json(b'{"uri":"com.example.t","args":["\xff"],"kwargs":null}'),
    "WAMPE2E_INVALID_JSON": lambda w: w.open_raw_json(b'{"uri":"com.example.t","args":[1,]}'),
    "WAMPE2E_INVALID_CBOR": lambda w: w.open_raw_ppt("cbor", b"\xa3\x63uri"),
    "WAMPE2E_INVALID_MSGPACK": lambda w: w.open_raw_ppt("msgpack", b"\x83\xc1"),
    "WAMPE2E_INVALID_BASE64": lambda w: w.open_raw_json(b'{"uri":"com.example.t","args":["\\u0000!!!"],"kwargs":null}'),
    "WAMPE2E_INVALID_PAYLOAD": lambda w: w.open_raw_ppt(
        "msgpack", msgpack.packb({"uri": URI, "args": {"not": "a list"}, "kwargs": None})),
    "WAMPE2E_UNSUPPORTED_VALUE": lambda w: seal_payload(w.sealer, "originator", URI, [float("nan")]),
    "WAMPE2E_PAYLOAD_TOO_LARGE": lambda w: open_payload(
        w.opener, "responder", URI, Envelope(CRYPTOBOX, bytes(MAX_PAYLOAD_LEN + 40 + 1))),
    "WAMPE2E_INVALID_ENVELOPE": lambda w: Envelope({}, b"x"),
    "WAMPE2E_INVALID_ARGUMENT": lambda w: seal_payload(w.sealer, "caller", URI, []),
    "WAMPE2E_UNEXPECTED_PLAINTEXT": lambda w: w.opener.inbound("event", URI, sealed=False),
    # the keyring's own ciphertext handed back to it in the role that sealed it
    "WAMPE2E_REFLECTED": lambda w: (lambda env: open_payload(w.sealer, "originator", URI, env))(w.sealed()),
    "WAMPE2E_PATTERN_MISMATCH": lambda w: w.opener.inbound(
        "event", URI, "exact", router_uri="com.example.elsewhere", sealed=True),
}


def _gs1(code_name):
    params = {"max_messages": 1 << 17} if code_name == "WAMPE2E_INDEX_JUMP" else {}
    return lambda _w: GS1_TRIGGERS[code_name](Gs1(**params))


TRIGGERS.update({name: _gs1(name) for name in GS1_TRIGGERS})


def classes():
    return [getattr(wampe2e, n) for n in wampe2e.__all__ if n.endswith("Error") and n != "Wampe2eError"]


def test_reachable_and_unreachable_are_every_code():
    names = {c.code_name for c in classes()}
    assert len(names) == 47 and sorted(c.code for c in classes()) == list(range(1, 48))
    assert not set(TRIGGERS) & set(UNREACHABLE)
    assert set(TRIGGERS) | set(UNREACHABLE) == names


@pytest.mark.parametrize("code_name", sorted(TRIGGERS))
def test_code_raises_its_class(code_name):
    cls = next(c for c in classes() if c.code_name == code_name)
    with pytest.raises(wampe2e.Wampe2eError) as e:
        TRIGGERS[code_name](World())
    assert type(e.value) is cls, f"{code_name}: raised {type(e.value).__name__}: {e.value}"
    assert (e.value.code, e.value.code_name) == (cls.code, code_name)
    assert isinstance(e.value, Exception) and "secret-text" not in str(e.value)
