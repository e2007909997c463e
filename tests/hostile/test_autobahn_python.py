"""The router is the adversary: Autobahn|Python victims guarded by
``wampe2e.autobahn.attach`` (strict, the default) behind a hostile proxy in front of
a real Crossbar.io, with an honest Autobahn|Python peer on Autobahn's own KeyRing
connected to the router directly. Each attack is refused with its error code, and
honest encrypted traffic on the same session keeps flowing after it.

Replaying a genuine ciphertext on the same URI is out of scope for cryptobox (no
sequence numbers in the format); ``test_replay_is_out_of_scope`` shows it is still
accepted, as the README says (see the group-sessions issue for replay protection).
"""

import asyncio
import json
import os
import subprocess
import sys

import nacl.public
import pytest
from autobahn.wamp import cryptobox
from autobahn.wamp.exception import ApplicationError
from autobahn.wamp.types import PublishOptions, SubscribeOptions
from exact import assert_exact
from proxy import TO_CLIENT, TO_ROUTER, HostileProxy

import wamp_session
import wampe2e
from wampe2e.autobahn import Key, KeyRing, attach

EVENT, INVOCATION, RESULT, CALL, YIELD, ERROR, SUBSCRIBE, SUBSCRIBED, REGISTER, REGISTERED = (
    36, 68, 50, 48, 70, 8, 32, 33, 64, 65)
ENC = {"enc_algo": "cryptobox", "enc_serializer": "json"}
TIMEOUT = 20
HERE = os.path.dirname(os.path.abspath(__file__))


class Keys:
    """com.example.*: the honest peer publishes and calls, the victim subscribes and
    registers; com.calls.*: the victim calls, the honest peer is the callee."""

    def __init__(self):
        self.o1, self.r1, self.o2, self.r2 = (wampe2e.generate_keypair() for _ in range(4))

    def victim(self):
        ring = KeyRing()
        ring.set_key("com.example.", Key(originator_pub=self.o1[1], responder_priv=self.r1[0]))
        ring.set_key("com.calls.", Key(originator_priv=self.o2[0], responder_pub=self.r2[1]))
        return ring

    def honest(self):
        ring = cryptobox.KeyRing()
        ring.set_key("com.example.", cryptobox.Key(originator_priv=self.o1[0], responder_pub=self.r1[1]))
        ring.set_key("com.calls.", cryptobox.Key(originator_pub=self.o2[1], responder_priv=self.r2[0]))
        return ring

    def colluding_seal(self, plaintext: bytes) -> bytes:
        """What a peer holding the publisher's secret can seal for the victim."""
        box = nacl.public.Box(
            nacl.public.PrivateKey(wampe2e_bytes(self.o1[0])), nacl.public.PublicKey(wampe2e_bytes(self.r1[1]))
        )
        return bytes(box.encrypt(plaintext))


def wampe2e_bytes(b64):
    import base64

    return base64.b64decode(b64)


async def connect(url, port, serializer, on_join=None):
    return await wamp_session.join(url, port, serializer, timeout=TIMEOUT, on_join=on_join)

class Scene:
    """The proxy, the victim (through it, attached) and the honest peer (direct)."""

    def __init__(self, router, proxy, serializer):
        self.router, self.proxy, self.serializer = router, proxy, serializer
        self.keys = Keys()
        self.refused = []

    async def __aenter__(self):
        ring = self.keys.victim()
        self.victim = await connect(
            self.proxy.url,
            self.proxy.port,
            self.serializer,
            on_join=lambda s: attach(s, ring, on_refused=lambda e, m: self.refused.append(e.code_name)),
        )
        self.honest = await connect(self.router.url, self.router.port, self.serializer)
        self.honest.set_payload_codec(self.keys.honest())
        self.conn = self.proxy.connections[-1]
        return self

    async def __aexit__(self, *exc):
        for s in (self.victim, self.honest):
            s.leave()
        await asyncio.sleep(0.1)
        return False

    def sent_to_client(self, kind):
        return [m for m in self.conn.seen[TO_CLIENT] if m[0] == kind]

    def sent_to_router(self, kind):
        return [m for m in self.conn.seen[TO_ROUTER] if m[0] == kind]

    def ident(self, request_kind, reply_kind, uri):
        """The subscription or registration id the router gave the victim for ``uri``."""
        request = next(m[1] for m in self.sent_to_router(request_kind) if m[3] == uri)
        return next(m[2] for m in self.sent_to_client(reply_kind) if m[1] == request)

    def take_refused(self):
        r, self.refused = self.refused, []
        return r


def run(coro):
    asyncio.run(asyncio.wait_for(coro, 90))


@pytest.mark.parametrize("serializer", ["json", "msgpack", "cbor"])
def test_events(router, serializer):
    async def main():
        async with HostileProxy(router.url) as proxy, Scene(router, proxy, serializer) as s:
            got = asyncio.Queue()
            for topic in ("com.example.sensor", "com.example.other"):
                await s.victim.subscribe(lambda *a, _t=topic, **kw: got.put_nowait((_t, list(a), kw)), topic)
            await s.victim.subscribe(
                lambda *a, **kw: got.put_nowait(("prefix", list(a), kw)),
                "com.example.pfx.",
                options=SubscribeOptions(match="prefix"),
            )
            sensor = s.ident(SUBSCRIBE, SUBSCRIBED, "com.example.sensor")
            other = s.ident(SUBSCRIBE, SUBSCRIBED, "com.example.other")
            prefix = s.ident(SUBSCRIBE, SUBSCRIBED, "com.example.pfx.")

            async def honest(topic="com.example.sensor", n=1):
                await s.honest.publish(topic, n, options=PublishOptions(acknowledge=True))
                want = "prefix" if topic.startswith("com.example.pfx.") else topic
                assert_exact(await asyncio.wait_for(got.get(), TIMEOUT), (want, [n], {}))
                assert got.empty()

            await honest()
            events = s.sent_to_client(EVENT)
            assert events and all(e[3].get("enc_algo") == "cryptobox" for e in events)
            assert s.take_refused() == []

            # 1. a forged plaintext EVENT on an encrypted topic's subscription
            await s.conn.to_client([EVENT, sensor, 4242, {}, ["forged"], {"cmd": "open-valve"}])
            await honest(n=2)
            assert s.take_refused() == ["WAMPE2E_UNEXPECTED_PLAINTEXT"]

            # 2. topic A's genuine ciphertext delivered on topic B's subscription
            for say_topic, code in [(True, "WAMPE2E_PATTERN_MISMATCH"), (False, "WAMPE2E_URI_MISMATCH")]:
                proxy.once(TO_CLIENT, EVENT, lambda conn, msg, say_topic=say_topic: [
                    [EVENT, other, msg[2], dict(msg[3], topic=msg[3].get("topic", "com.example.sensor")) if say_topic else msg[3], *msg[4:]]
                ])
                await s.honest.publish("com.example.sensor", 3, options=PublishOptions(acknowledge=True))
                await honest("com.example.other", n=4)
                assert s.take_refused() == [code]

            # ... and onto a prefix subscription, with a topic it does not cover
            proxy.once(TO_CLIENT, EVENT, lambda conn, msg: [
                [EVENT, prefix, msg[2], dict(msg[3], topic="com.example.sensor"), *msg[4:]]
            ])
            await s.honest.publish("com.example.sensor", 5, options=PublishOptions(acknowledge=True))
            await honest("com.example.pfx.deep", n=6)
            assert s.take_refused() == ["WAMPE2E_PATTERN_MISMATCH"]

            # 3. a flipped ciphertext bit
            def flip(conn, msg):
                payload = bytearray(msg[4])
                payload[-1] ^= 1
                return [[*msg[:4], bytes(payload)]]

            proxy.once(TO_CLIENT, EVENT, flip)
            await s.honest.publish("com.example.sensor", 7, options=PublishOptions(acknowledge=True))
            await honest(n=8)
            assert s.take_refused() == ["WAMPE2E_DECRYPTION_FAILED"]

            # 4. a peer holding the publisher key (colluding with the router): a
            # nesting bomb and duplicate plaintext keys
            bomb = b'{"uri":"com.example.sensor","args":' + b"[" * 100000 + b"]" * 100000 + b"}"
            dup = b'{"uri":"com.example.sensor","args":["shown to some"],"args":["shown to others"]}'
            for plaintext, code in [(bomb, "WAMPE2E_UNSUPPORTED_VALUE"), (dup, "WAMPE2E_INVALID_PAYLOAD")]:
                await s.conn.to_client([EVENT, sensor, 4343, dict(ENC), s.keys.colluding_seal(plaintext)])
                await honest(n=9)
                assert s.take_refused() == [code]

    run(main())


def test_shared_subscription_id(router):
    """The router answers a second SUBSCRIBE (an unkeyed topic) with the first's id
    (a keyed topic), so that one check would stand for both handlers: every message
    on that id is refused; other subscriptions keep working."""

    async def main():
        async with HostileProxy(router.url) as proxy, Scene(router, proxy, "json") as s:
            got = asyncio.Queue()
            for topic in ("com.example.sensor", "com.example.other"):
                await s.victim.subscribe(lambda *a, _t=topic: got.put_nowait((_t, list(a))), topic)
            sensor = s.ident(SUBSCRIBE, SUBSCRIBED, "com.example.sensor")
            proxy.once(TO_CLIENT, SUBSCRIBED, lambda conn, msg: [[SUBSCRIBED, msg[1], sensor]])
            await s.victim.subscribe(lambda *a: got.put_nowait(("news", list(a))), "org.public.news")
            await s.conn.to_client([EVENT, sensor, 4242, {}, ["forged"]])
            await s.honest.publish("com.example.other", 1, options=PublishOptions(acknowledge=True))
            assert await asyncio.wait_for(got.get(), TIMEOUT) == ("com.example.other", [1])
            assert got.empty()
            assert s.take_refused() == ["WAMPE2E_PATTERN_MISMATCH"]

    run(main())


def test_replay_is_out_of_scope(router):
    """Documented limitation: cryptobox cannot detect a replay on the same URI."""

    async def main():
        async with HostileProxy(router.url) as proxy, Scene(router, proxy, "json") as s:
            got = asyncio.Queue()
            await s.victim.subscribe(lambda *a: got.put_nowait(list(a)), "com.example.sensor")
            proxy.once(TO_CLIENT, EVENT, lambda conn, msg: [msg, msg])
            await s.honest.publish("com.example.sensor", 1, options=PublishOptions(acknowledge=True))
            assert_exact(await asyncio.wait_for(got.get(), TIMEOUT), [1])
            assert_exact(await asyncio.wait_for(got.get(), TIMEOUT), [1])
            assert s.take_refused() == []

    run(main())


@pytest.mark.parametrize("serializer", ["json", "cbor"])
def test_rpc(router, serializer):
    async def main():
        async with HostileProxy(router.url) as proxy, Scene(router, proxy, serializer) as s:
            invoked = []

            def add(a, b):
                invoked.append((a, b))
                return a + b

            await s.victim.register(add, "com.example.add")
            reg = s.ident(REGISTER, REGISTERED, "com.example.add")
            await s.honest.register(lambda text: text, "com.calls.echo")

            async def honest_call(a):
                assert_exact(await asyncio.wait_for(s.honest.call("com.example.add", a, 1), TIMEOUT), a + 1)
                assert_exact(invoked.pop(), (a, 1))

            await honest_call(1)
            yields = s.sent_to_router(YIELD)
            assert yields and all(y[2].get("enc_algo") == "cryptobox" for y in yields)

            # 1. a forged plaintext INVOCATION: no handler call, an ERROR with the code, no YIELD
            replies = []

            def swallow(conn, direction, msg):
                if direction == TO_ROUTER and msg[0] in (YIELD, ERROR) and 777000 < msg[1 if msg[0] == YIELD else 2] < 778000:
                    replies.append(msg)
                    return []
                return None

            proxy.hook = swallow
            await s.conn.to_client([INVOCATION, 777001, reg, {}, [40, 2]])
            await honest_call(2)
            assert invoked == []
            assert replies == [[ERROR, INVOCATION, 777001, {}, "wampe2e.error.unexpected_plaintext", [], {"code": "WAMPE2E_UNEXPECTED_PLAINTEXT"}]]
            assert s.take_refused() == ["WAMPE2E_UNEXPECTED_PLAINTEXT"]

            # 2. the caller's own CALL ciphertext sent back as its RESULT (reflection)
            def reflect(conn, msg):
                conn.to_client([RESULT, msg[1], {k: v for k, v in msg[2].items() if k.startswith("enc_")}, msg[4]])
                return []

            proxy.once(TO_ROUTER, CALL, reflect)
            with pytest.raises(ApplicationError) as e:
                await asyncio.wait_for(s.victim.call("com.calls.echo", "my secret"), TIMEOUT)
            assert e.value.error == "wampe2e.error.reflected"
            assert e.value.kwargs == {"code": "WAMPE2E_REFLECTED"}
            assert s.take_refused() == ["WAMPE2E_REFLECTED"]

            # 3. a forged plaintext RESULT (and ERROR) for an encrypted CALL
            for forged in [
                lambda req: [RESULT, req, {}, ["forged result"]],
                lambda req: [ERROR, CALL, req, {}, "com.app.error.forged", ["forged"]],
            ]:
                proxy.once(TO_ROUTER, CALL, lambda conn, msg, forged=forged: conn.to_client(forged(msg[1])) and [])
                with pytest.raises(ApplicationError) as e:
                    await asyncio.wait_for(s.victim.call("com.calls.echo", "my secret"), TIMEOUT)
                assert e.value.error == "wampe2e.error.unexpected_plaintext"
                assert e.value.kwargs == {"code": "WAMPE2E_UNEXPECTED_PLAINTEXT"}
                assert s.take_refused() == ["WAMPE2E_UNEXPECTED_PLAINTEXT"]

            # honest traffic on the same sessions, both directions
            assert_exact(await asyncio.wait_for(s.victim.call("com.calls.echo", "hello"), TIMEOUT), "hello")
            await honest_call(3)
            calls = [m for m in s.sent_to_router(CALL) if m[3] == "com.calls.echo"]
            assert all(c[2].get("enc_algo") == "cryptobox" for c in calls)

    run(main())


def test_not_strict_is_an_explicit_opt_out(router):
    """``strict=False`` delivers plaintext on keyed URIs (for migrations) but still
    checks URIs and refuses reflections."""

    async def main():
        async with HostileProxy(router.url) as proxy:
            keys = Keys()
            refused = []
            ring = keys.victim()
            victim = await connect(
                proxy.url, proxy.port, "json",
                on_join=lambda s: attach(s, ring, strict=False, on_refused=lambda e, m: refused.append(e.code_name)),
            )
            got = asyncio.Queue()
            await victim.subscribe(lambda *a: got.put_nowait(list(a)), "com.example.sensor")
            conn = proxy.connections[-1]
            sub = next(m[2] for m in conn.seen[TO_CLIENT] if m[0] == SUBSCRIBED)
            await conn.to_client([EVENT, sub, 1, {}, ["plain during migration"]])
            assert await asyncio.wait_for(got.get(), TIMEOUT) == ["plain during migration"]
            await conn.to_client([EVENT, sub, 2, {"topic": "com.example.elsewhere"}, ["x"]])
            await conn.to_client([EVENT, sub, 3, {}, ["after"]])
            assert await asyncio.wait_for(got.get(), TIMEOUT) == ["after"]
            assert refused == ["WAMPE2E_PATTERN_MISMATCH"]
            victim.leave()
            await asyncio.sleep(0.1)

    run(main())


def test_twisted_victim(router):
    """The same guard on Twisted: forged plaintext EVENT and INVOCATION refused, honest
    encrypted traffic delivered (the victim runs in its own process: one reactor)."""

    async def main():
        async with HostileProxy(router.url) as proxy:
            keys = Keys()
            victim = await asyncio.create_subprocess_exec(
                sys.executable, os.path.join(HERE, "victim_twisted.py"), proxy.url,
                json.dumps({"originator_pub": keys.o1[1], "responder_priv": keys.r1[0]}),
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            )
            lines = []

            async def line(prefix):
                while True:
                    try:
                        raw = await asyncio.wait_for(victim.stdout.readline(), TIMEOUT)
                    except asyncio.TimeoutError:
                        raise AssertionError(f"no {prefix} from the twisted victim:\n" + "".join(lines)) from None
                    if not raw:
                        raise AssertionError("twisted victim exited:\n" + "".join(lines))
                    text = raw.decode()
                    lines.append(text)
                    if text.startswith(prefix):
                        return text.split(None, 1)[1].strip() if " " in text.strip() else ""

            try:
                await line("READY")
                conn = proxy.connections[-1]
                sub = next(m[2] for m in conn.seen[TO_CLIENT] if m[0] == SUBSCRIBED)
                reg = next(m[2] for m in conn.seen[TO_CLIENT] if m[0] == REGISTERED)
                honest = await connect(router.url, router.port, "json")
                honest.set_payload_codec(keys.honest())

                replies = []

                def swallow(conn, direction, msg):
                    if direction == TO_ROUTER and msg[0] in (YIELD, ERROR) and msg[1 if msg[0] == YIELD else 2] == 888001:
                        replies.append(msg)
                        return []
                    return None

                proxy.hook = swallow
                await conn.to_client([EVENT, sub, 1, {}, ["forged"]])
                assert await line("REFUSED") == "WAMPE2E_UNEXPECTED_PLAINTEXT"
                await conn.to_client([INVOCATION, 888001, reg, {}, ["forged"]])
                assert await line("REFUSED") == "WAMPE2E_UNEXPECTED_PLAINTEXT"
                await honest.publish("com.example.sensor", "honest", options=PublishOptions(acknowledge=True))
                assert await line("EVENT") == '["honest"]'
                assert await asyncio.wait_for(honest.call("com.example.echo", "hi"), TIMEOUT) == "hi"
                assert replies == [[ERROR, INVOCATION, 888001, {}, "wampe2e.error.unexpected_plaintext", [], {"code": "WAMPE2E_UNEXPECTED_PLAINTEXT"}]]
                assert not any(l.startswith("EVENT") and "forged" in l for l in lines)
                assert not any(l.startswith("INVOKED") and "forged" in l for l in lines)
                honest.leave()
            finally:
                if victim.returncode is None:
                    victim.terminate()
                    await victim.wait()

    run(main())
