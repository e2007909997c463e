"""Through a real Crossbar.io router: Autobahn|Python asyncio sessions, one side on
wampe2e.autobahn.KeyRing (attached, strict) and the other on Autobahn's own, exchange
encrypted events, calls, progressive and final results and application errors over
the json, msgpack and cbor transports. Both sessions reach the router through the
hostile-router proxy (tests/hostile/proxy.py) in pass-through mode, which keeps every
WebSocket frame: each PUBLISH, EVENT, CALL, INVOCATION, YIELD, RESULT and ERROR, in
both directions, carries the encrypted dialect's attributes and one ciphertext, and
no frame holds any plaintext marker."""

import asyncio
import base64
import importlib.util
import os

import pytest
from autobahn.wamp import cryptobox
from autobahn.wamp.exception import ApplicationError
from autobahn.wamp.types import CallOptions, PublishOptions, RegisterOptions
from conftest import ROOT
from exact import assert_exact

import wamp_session
import wampe2e.autobahn as drop_in


def _load_proxy():
    spec = importlib.util.spec_from_file_location("hostile_proxy", os.path.join(ROOT, "tests", "hostile", "proxy.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


proxy_module = _load_proxy()
TO_ROUTER, TO_CLIENT = proxy_module.TO_ROUTER, proxy_module.TO_CLIENT

# Every plaintext string carries "marker"; the binary's bytes and its WAMP-JSON base64 are markers too.
BINARY = b"\x00\x01binary-marker\xff"
ARGS = [42, "hello world marker", {"temp_marker": 21.5, "ok": True, "zero": -0.0}, BINARY, 1, 1.0, True]
KWARGS = {"sensor": "s-17-marker", "ts": 1732700000123}
MARKERS = [b"marker", BINARY, base64.b64encode(BINARY), base64.b64encode(BINARY)[:-4]]
PUBLISH, EVENT, CALL, INVOCATION, YIELD, RESULT, ERROR = 16, 36, 48, 68, 70, 50, 8
NAMES = {PUBLISH: "PUBLISH", EVENT: "EVENT", CALL: "CALL", INVOCATION: "INVOCATION", YIELD: "YIELD",
         RESULT: "RESULT", ERROR: "ERROR"}
ENC = {"enc_algo": "cryptobox", "enc_serializer": "json"}
TIMEOUT = 20


async def connect(proxy, serializer, codec):
    session = await wamp_session.join(proxy.url, proxy.port, serializer, timeout=TIMEOUT)
    if isinstance(codec, drop_in.KeyRing):
        drop_in.attach(session, codec)  # strict, the default
    else:
        session.set_payload_codec(codec)
    return session


def keyrings(pairs, publisher_impl):
    """(originator keyring, responder keyring) with the originator on `publisher_impl`."""
    (o_sec, o_pub), (r_sec, r_pub) = pairs["originator"], pairs["responder"]
    o_mod, r_mod = (drop_in, cryptobox) if publisher_impl == "wampe2e" else (cryptobox, drop_in)
    o_ring, r_ring = o_mod.KeyRing(), r_mod.KeyRing()
    o_ring.set_key("com.example.", o_mod.Key(originator_priv=o_sec, responder_pub=r_pub))
    r_ring.set_key("com.example.", r_mod.Key(originator_pub=o_pub, responder_priv=r_sec))
    return o_ring, r_ring


def payload_of(msg):
    """(attributes dict, what follows the URI or attributes) of a payload-carrying message."""
    kind = msg[0]
    if kind in (PUBLISH, CALL):
        return msg[2], msg[4:]
    if kind in (EVENT, INVOCATION):
        return msg[3], msg[4:]
    if kind in (YIELD, RESULT):
        return msg[2], msg[3:]
    return msg[3], msg[5:]  # ERROR: [8, type, request, details, error, ...]


def check_wire(proxy):
    """Every frame both sessions exchanged with the router: payload messages
    encrypted, no plaintext marker anywhere. Returns what was seen, for coverage."""
    seen = set()
    for conn in proxy.connections:
        for direction in (TO_ROUTER, TO_CLIENT):
            assert len(conn.frames[direction]) == len(conn.seen[direction])
            for frame, msg in zip(conn.frames[direction], conn.seen[direction]):
                raw = frame.encode("utf-8") if isinstance(frame, str) else frame
                for marker in MARKERS:
                    assert marker not in raw, f"{direction} frame holds plaintext {marker!r}: {raw[:300]!r}"
                if msg[0] not in NAMES:
                    continue
                attrs, rest = payload_of(msg)
                where = f"{NAMES[msg[0]]} {direction}: {msg!r:.300}"
                assert {k: attrs.get(k) for k in ENC} == ENC, where
                assert len(rest) == 1 and isinstance(rest[0], bytes) and len(rest[0]) > 40, where
                progress = bool(attrs.get("progress"))
                seen.add((NAMES[msg[0]], direction, progress))
    return seen


async def scenario(router, pairs, serializer, originator_impl):
    o_ring, r_ring = keyrings(pairs, originator_impl)
    async with proxy_module.HostileProxy(router.url) as proxy:
        originator = await connect(proxy, serializer, o_ring)
        responder = await connect(proxy, serializer, r_ring)
        loop = asyncio.get_running_loop()
        tag = f"{serializer}.{originator_impl}"
        try:
            # pub/sub
            got_event = loop.create_future()
            await responder.subscribe(lambda *a, **kw: got_event.set_result((list(a), kw)), f"com.example.topic.{tag}")
            await originator.publish(f"com.example.topic.{tag}", *ARGS, options=PublishOptions(acknowledge=True), **KWARGS)
            assert_exact(await asyncio.wait_for(got_event, TIMEOUT), (ARGS, KWARGS))

            # rpc: call and result
            def add(a, b, **kw):
                return [a + b, kw.get("note")]

            await responder.register(add, f"com.example.add.{tag}")
            result = await asyncio.wait_for(originator.call(f"com.example.add.{tag}", 2, 3, note=b"\x02bin"), TIMEOUT)
            assert_exact(result, [5, b"\x02bin"])

            # progressive results, then the final one
            def countdown(n, details=None):
                assert details.progress is not None, "the caller asked for progressive results"
                for i in range(n):
                    details.progress(i, f"progress marker {i}", left=float(n - i))
                return f"done marker {n}"

            await responder.register(countdown, f"com.example.countdown.{tag}", RegisterOptions(details_arg="details"))
            progress = []
            final = await asyncio.wait_for(
                originator.call(
                    f"com.example.countdown.{tag}", 3,
                    options=CallOptions(on_progress=lambda *a, **kw: progress.append((list(a), kw))),
                ),
                TIMEOUT,
            )
            assert_exact(final, "done marker 3")
            assert_exact(progress, [([i, f"progress marker {i}"], {"left": float(3 - i)}) for i in range(3)])

            # application error with a payload
            def fail(*args):
                raise ApplicationError("com.example.error.too_hot", "sensor s-17 overheated marker", 99.5, detail=b"\x07")

            await responder.register(fail, f"com.example.fail.{tag}")
            with pytest.raises(ApplicationError) as e:
                await asyncio.wait_for(originator.call(f"com.example.fail.{tag}"), TIMEOUT)
            assert e.value.error == "com.example.error.too_hot"
            assert_exact(e.value.args, ("sensor s-17 overheated marker", 99.5))
            assert_exact(e.value.kwargs, {"detail": b"\x07"})

            # what the sessions sent and what the router forwarded: ciphertext only
            await asyncio.sleep(0.2)
            seen = check_wire(proxy)
            assert len(proxy.connections) == 2
            want = {
                ("PUBLISH", TO_ROUTER, False), ("EVENT", TO_CLIENT, False),
                ("CALL", TO_ROUTER, False), ("INVOCATION", TO_CLIENT, False),
                ("YIELD", TO_ROUTER, True), ("YIELD", TO_ROUTER, False),
                ("RESULT", TO_CLIENT, True), ("RESULT", TO_CLIENT, False),
                ("ERROR", TO_ROUTER, False), ("ERROR", TO_CLIENT, False),
            }
            assert seen == want, f"missing {want - seen}, unexpected {seen - want}"
        finally:
            for s in (originator, responder):
                s.leave()
            await asyncio.sleep(0.1)


@pytest.mark.parametrize("serializer", ["json", "msgpack", "cbor"])
@pytest.mark.parametrize("originator_impl", ["wampe2e", "autobahn"])
def test_through_crossbar(router, pairs, serializer, originator_impl):
    asyncio.run(asyncio.wait_for(scenario(router, pairs, serializer, originator_impl), 60))
