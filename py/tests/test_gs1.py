"""The GS1 binding without a router: identities, entries, the authorization
callback, rotation, replies, the held queue's timer, conversions and reprs."""

import pytest

import wampe2e
from wampe2e import Group, Held, Identity

T0 = 1_700_000_000_000
P = "com.example."
URI = "com.example.t"


def pair(**params):
    a, b = Identity.generate(), Identity.generate()
    ga, gb = Group(a, **params), Group(b, **params)
    for g in (ga, gb):
        g.set_entry(P, [a.public_key], [b.public_key])
    return ga, gb


def share(sender, receiver, sealed, now_ms=T0):
    req = receiver.key_request(sender.public_key, P, session_id=sealed.session_id, from_index=sealed.index, now_ms=now_ms)
    return receiver.accept_key_response(req.request_hash, sender.answer_key_request(req.request, now_ms=now_ms), now_ms=now_ms)


def test_identities():
    zero = Identity.from_seed(bytes(32))
    assert zero.fingerprint == "3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29"
    assert zero.key_procedure() == "wampe2e.key." + zero.fingerprint
    assert zero.key_procedure("app.keys") == "app.keys." + zero.fingerprint
    assert Identity.from_seed("00" * 32).public_key == zero.public_key
    # A cryptosign seed is never the identity itself (HKDF, docs/gs1.md §5).
    assert Identity.from_cryptosign_seed(bytes(32)).public_key != zero.public_key
    with pytest.raises(wampe2e.InvalidKeyError):
        Identity.from_seed(b"short")
    with pytest.raises(TypeError):
        Identity.from_seed(42)
    secret = bytes(range(32))
    for obj in (Identity.from_seed(secret), Group(Identity.from_seed(secret))):
        assert secret.hex() not in repr(obj) and "seed" not in repr(obj)


def test_entries_select_rotate_and_params():
    g = Group(Identity.generate(), max_messages=2, share_backlog=0)
    assert g.params["max_messages"] == 2 and g.params["share_backlog"] == 0
    k = Identity.generate().public_key
    g.set_entry(P, [g.public_key], [k.hex()])
    g.set_entry("com.", [], [])
    assert g.select(URI) == P and g.select("com.x") == "com." and g.select("org.x") is None
    assert g.entry(P) == ([g.public_key], [k])
    with pytest.raises(TypeError):
        g.set_entry(P, g.public_key, [])  # one key, not a list of them
    assert g.current_session(P) is None
    first = g.seal(URI, [1], now_ms=T0)
    s = g.current_session(P)
    assert s["session_id"] == first.session_id and s["next"] == 1
    g.seal(URI, [2], now_ms=T0)
    assert g.seal(URI, [3], now_ms=T0).session_id != first.session_id  # max_messages
    assert g.rotate(P) and g.current_session(P) is None
    assert g.remove_entry(P) and not g.remove_entry(P)
    with pytest.raises(wampe2e.InvalidArgumentError):
        Group(Identity.generate(), max_messages=0)
    with pytest.raises(wampe2e.InvalidArgumentError):
        g.seal(URI, [1], kind="telegram")


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_authorize_callback_decides_key_requests():
    pub, sub = pair()
    asked = []

    def authorize(requester, prefix):
        asked.append((requester, prefix))
        return False

    pub.set_authorize(authorize)
    sealed = pub.seal(URI, [1], now_ms=T0)
    with pytest.raises(wampe2e.KeyRefusedError):
        share(pub, sub, sealed)
    assert asked == [(sub.public_key, P)]

    def broken(requester, prefix):
        raise RuntimeError("a bug in the application")

    pub.set_authorize(broken)  # raising refuses
    with pytest.raises(wampe2e.KeyRefusedError):
        share(pub, sub, sealed)
    pub.set_authorize(None)
    assert share(pub, sub, sealed)["index"] == 0
    assert sub.open(URI, sealed.envelope, now_ms=T0).args == [1]


def test_replies_and_forgotten_calls():
    caller, callee = pair()
    call = callee.seal(URI, [1], kind="call", now_ms=T0)  # wrong way round: callee is no sender
    with pytest.raises(wampe2e.UntrustedSenderError):
        caller.open(URI, call.envelope, kind="call", now_ms=T0)
    a, b = Identity.generate(), Identity.generate()
    caller, callee = Group(a), Group(b)
    for g in (caller, callee):
        g.set_entry(P, [a.public_key], [b.public_key])
    call = caller.seal(URI, ["q"], {"k": 1}, kind="call", now_ms=T0)
    assert call.call_hash is not None and caller.pending_calls == 1
    share(caller, callee, call)
    opened = callee.open(URI, call.envelope, kind="call", now_ms=T0)
    inv = opened.invocation
    assert (inv.caller, inv.call_uri, inv.next_seq, inv.finished) == (a.public_key, URI, 0, False)
    progress = callee.seal_reply(inv, [0], kind="progress")
    error = callee.seal_reply(inv, ["why"], {"n": 2}, kind="error", error_uri="com.example.failed")
    assert inv.finished
    with pytest.raises(wampe2e.InvalidArgumentError):
        callee.seal_reply(inv, [1])
    r = caller.open_reply(call.call_hash, progress, kind="progress", procedure=URI)
    assert (r.kind, r.seq, r.args, r.callee) == ("progress", 0, [0], b.public_key)
    with pytest.raises(wampe2e.BadSignatureError):  # the signature covers the error URI
        caller.open_reply(call.call_hash, error, kind="error", error_uri="com.example.other")
    r = caller.open_reply(call.call_hash, error, kind="error", error_uri="com.example.failed")
    assert (r.kind, r.args, r.kwargs) == ("error", ["why"], {"n": 2})
    assert caller.pending_calls == 0
    again = caller.seal(URI, [2], kind="call", now_ms=T0)
    assert caller.forget_call(again.call_hash) and not caller.forget_call(again.call_hash)


def test_held_queue_expires_and_remembers_failures():
    pub, sub = pair()
    held = Held(sub, max_per_session=4, max_total=8, max_wait_ms=1000)
    m0, m1 = pub.seal(URI, [0], now_ms=T0), pub.seal(URI, [1], now_ms=T0)
    fetch = held.hold(URI, "event", m0.envelope, "m0", now_ms=T0)
    assert fetch.procedure == pub.key_procedure() and fetch.sender == pub.public_key
    assert held.hold(URI, "event", m1.envelope, "m1", now_ms=T0) is None
    assert (len(held), held.fetches, held.is_fetching(fetch.request_hash)) == (2, 1, True)
    assert held.expire(now_ms=T0 + 999) == []
    assert held.expire(now_ms=T0 + 1000) == ["m0", "m1"]
    with pytest.raises(wampe2e.KeyFetchFailedError):
        held.hold(URI, "event", m1.envelope, "m1", now_ms=T0 + 1001)
    assert wampe2e.fetch_error_code("wampe2e.error.key_refused") == wampe2e.KeyRefusedError.code
    assert wampe2e.fetch_error_code("wamp.error.no_such_procedure") == wampe2e.KeyFetchFailedError.code
    with pytest.raises(wampe2e.InvalidArgumentError):
        held.fail(fetch.request_hash, 9999)
    with pytest.raises(wampe2e.InvalidArgumentError):
        Held(sub, max_per_session=0)


def test_values_round_trip_and_bad_containers():
    pub, sub = pair()
    args = [None, True, -1, 2**64 - 1, 1.5, "é", b"\x00\xff", [1, [2]], {"a": {"b": []}}]
    sealed = pub.seal(URI, args, {"k": b"v"}, now_ms=T0)
    share(pub, sub, sealed)
    o = sub.open(URI, sealed.envelope, key_id=sealed.key_id, now_ms=T0)
    assert (o.args, o.kwargs, o.uri, o.index, o.timestamp_ms) == (args, {"k": b"v"}, URI, 0, T0)
    assert "é" not in repr(o) and str(args) not in repr(o)
    with pytest.raises(TypeError):
        pub.seal(URI, "not a list")
    with pytest.raises(TypeError):
        pub.seal(URI, [], ["not a dict"])
    with pytest.raises(wampe2e.BadSignatureError):
        # signed for another URI than it is opened for: the signature covers the URI
        sub.open("com.example.u", pub.seal(URI, [1], now_ms=T0).envelope, now_ms=T0)


def test_wire_decisions_are_the_cores():
    """The §12.1 attributes, their reading, the inbound route, key procedure URIs and
    refusal URIs come from the core (wampe2e::group::envelope)."""
    sid = "00112233445566778899aabbccddeeff"
    enc = wampe2e.gs1_attributes("enc", sid)
    assert list(enc.items()) == [("enc_algo", "x_wampe2e_gs1"), ("enc_serializer", "cbor"), ("enc_key", sid)]
    ppt = wampe2e.gs1_attributes("ppt")
    assert list(ppt) == ["ppt_scheme", "ppt_serializer", "ppt_cipher"]
    with pytest.raises(wampe2e.InvalidArgumentError):
        wampe2e.gs1_attributes("json")
    read = wampe2e.gs1_read_attributes
    assert read(enc) == ("gs1", "enc", sid) and read(ppt) == ("gs1", "ppt", None)
    assert read({}) == ("plain",) and read({"enc_algo": None}) == ("plain",)
    assert read({"enc_algo": "cryptobox", "enc_serializer": "json"}) == ("other",)

    class Msg:  # an Autobahn message: attributes as fields
        enc_algo, enc_serializer, enc_key = "x_wampe2e_gs1", "cbor", sid

    assert read(Msg()) == ("gs1", "enc", sid)
    for bad, error in [
        ({"enc_algo": "x_wampe2e_gs1"}, wampe2e.InvalidEnvelopeError),
        ({"enc_algo": "x_wampe2e_gs1", "enc_serializer": "json"}, wampe2e.UnknownSerializerError),
        ({"enc_algo": "x_wampe2e_gs1", "enc_serializer": "cbor", "enc_key": 7}, wampe2e.InvalidEnvelopeError),
        ({"enc_algo": 1}, wampe2e.InvalidEnvelopeError),
        ({**enc, **ppt}, wampe2e.InvalidEnvelopeError),
        ({**ppt, "ppt_cipher": "xsalsa20poly1305"}, wampe2e.UnknownCipherError),
    ]:
        with pytest.raises(error):
            read(bad)

    g = Group(Identity.generate())
    g.set_entry(P, [], [])
    gs1 = read(enc)
    assert g.route("event", URI, gs1) == "open" and g.route("event", URI, "gs1") == "open"
    with pytest.raises(wampe2e.UnexpectedPlaintextError):
        g.route("event", URI, ("plain",))
    assert g.route("event", URI, ("plain",), strict=False) == "plain"
    with pytest.raises(wampe2e.InvalidEnvelopeError):
        g.route("event", URI, ("other",), strict=False)
    assert g.route("event", "org.x", ("other",)) == "keyring"
    assert g.route("invocation", "wampe2e.key.ab", ("plain",)) == "exempt"
    assert g.route("invocation", "app.keys.ab", ("plain",), base="app.keys") == "exempt"
    # Answers to a GS1 call: application answers must be sealed, refusals pass.
    with pytest.raises(wampe2e.UnexpectedPlaintextError):
        g.route("result", "org.p", ("plain",), answers_gs1_call=True)
    assert g.route("error", "wampe2e.error.unknown_session", ("plain",), answers_gs1_call=True) == "plain"
    with pytest.raises(wampe2e.InvalidArgumentError):
        g.route("progress", URI, gs1)  # a GS1 kind, not a WAMP message kind
    with pytest.raises(wampe2e.InvalidArgumentError):
        g.route("event", URI, "sealed")

    assert wampe2e.is_key_procedure("wampe2e.key.ab") and not wampe2e.is_key_procedure("wampe2e.key.")
    assert not wampe2e.is_key_procedure("wampe2e.keyx") and wampe2e.is_key_procedure("a.b.c", "a.b")
    assert wampe2e.refusal_uri(wampe2e.KeyRefusedError.code) == "wampe2e.error.key_refused"
    assert wampe2e.refusal_uri("WAMPE2E_UNEXPECTED_PLAINTEXT") == "wampe2e.error.unexpected_plaintext"
    assert wampe2e.fetch_error_code(wampe2e.refusal_uri("WAMPE2E_KEY_REFUSED")) == wampe2e.KeyRefusedError.code
    for bad in ("REPLAYED", 9999):
        with pytest.raises(wampe2e.InvalidArgumentError):
            wampe2e.refusal_uri(bad)


def test_open_reply_parses_for_the_uri_it_was_sealed_for():
    a, b = Identity.generate(), Identity.generate()
    caller, callee = Group(a), Group(b)
    for g in (caller, callee):
        g.set_entry(P, [a.public_key], [b.public_key])
    call = caller.seal(URI, ["q"], kind="call", now_ms=T0)
    share(caller, callee, call)
    inv = callee.open(URI, call.envelope, kind="call", now_ms=T0).invocation
    progress = callee.seal_reply(inv, [0], kind="progress")
    result = callee.seal_reply(inv, [1])
    # No procedure needed: the core's record of the call names it.
    r = caller.open_reply(call.call_hash, progress, kind="progress")
    assert (r.uri, r.args) == (URI, [0]) and URI in repr(r)
    with pytest.raises(wampe2e.UriMismatchError):  # a given procedure must be that one
        caller.open_reply(call.call_hash, result, procedure="com.example.other")
