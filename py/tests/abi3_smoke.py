"""Run by `make test` under the oldest and newest CPython found on the machine: the
one abi3 wheel works there without autobahn (3.9 reads str UTF-8 through the
copying call, 3.10+ in place; see py/src/text.rs)."""

import sys

import wampe2e as w

a, b = w.generate_keypair(), w.generate_keypair()
sealer, opener = w.KeyRing(), w.KeyRing()
sealer.set_key("com.", w.Key(originator_priv=a[0], responder_pub=b[1]))
opener.set_key("com.", w.Key(originator_pub=a[1], responder_priv=b[0]))
args = ["grüße 🌍", {"ké": [1, 2.5, None, True, b"\x00\xff", 2**64 - 1]}, "x" * 20000]
rows = [{"id": i, "name": f"n{i}"} for i in range(3000)]
for how in (dict(dialect="cryptobox"), dict(dialect="ppt", serializer="json"), dict(dialect="ppt", serializer="cbor")):
    for payload in (args, [rows]):
        env = w.seal_payload(sealer, "originator", "com.x", payload, {"k": "v"}, **how)
        assert w.open_payload(opener, "responder", "com.x", env) == ("com.x", payload, {"k": "v"}), how
try:
    w.seal_payload(sealer, "originator", "com.x", ["lone \ud800"])
    raise AssertionError("a lone surrogate must not be sealed")
except UnicodeEncodeError:
    pass
# GS1: a key exchange through the held queue, an event and a call with its reply.
pub, sub = w.Identity.generate(), w.Identity.from_cryptosign_seed(bytes(32))
groups = [w.Group(pub), w.Group(sub)]
for g in groups:
    g.set_entry("com.", [pub.public_key, sub.public_key], [pub.public_key.hex(), sub.public_key.hex()])
sealed = groups[0].seal("com.x", args, {"k": "v"})
held = w.Held(groups[1])
fetch = held.hold("com.x", "event", sealed.envelope, "first")
groups[1].accept_key_response(fetch.request_hash, groups[0].answer_key_request(fetch.request))
assert held.release(fetch.request_hash) == ["first"]
opened = groups[1].open("com.x", sealed.envelope, key_id=sealed.key_id)
assert (opened.args, opened.kwargs, opened.sender) == (args, {"k": "v"}, pub.public_key)
call = groups[1].seal("com.x", [1], kind="call")
request = groups[0].key_request(sub.public_key, "com.", session_id=call.session_id, from_index=call.index)
groups[0].accept_key_response(request.request_hash, groups[1].answer_key_request(request.request))
invocation = groups[0].open("com.x", call.envelope, kind="call").invocation
reply = groups[1].open_reply(call.call_hash, groups[0].seal_reply(invocation, [2]), procedure="com.x")
assert (reply.args, reply.callee, invocation.caller) == ([2], pub.public_key, sub.public_key)
assert "seed" not in repr(pub) and pub.fingerprint in repr(pub)

from wampe2e.autobahn import KeyRing  # noqa: E402  (importable without autobahn)

assert KeyRing.__module__ == "wampe2e.autobahn"
print(f"abi3 wheel works on CPython {sys.version.split()[0]}")
