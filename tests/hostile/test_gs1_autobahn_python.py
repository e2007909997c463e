"""The router is the adversary, GS1 edition: an Autobahn|Python victim attached with
a ``wampe2e.Group`` behind the hostile proxy in front of a real Crossbar.io, an
honest GS1 peer connected to the router directly. Each attack is refused with its
code, and honest traffic on the same session keeps flowing after it. Unlike
cryptobox (``test_replay_is_out_of_scope``), GS1 refuses replays."""

import asyncio

import pytest
from autobahn.wamp.exception import ApplicationError
from autobahn.wamp.types import PublishOptions
from proxy import TO_CLIENT, TO_ROUTER, HostileProxy

import wamp_session
import wampe2e
from wampe2e.autobahn import attach, key_procedure_ready

EVENT, INVOCATION, RESULT, CALL, YIELD, ERROR, SUBSCRIBE, SUBSCRIBED = 36, 68, 50, 48, 70, 8, 32, 33
PREFIX = "com.gs1."
TIMEOUT = 20


def run(coro):
    asyncio.run(asyncio.wait_for(coro, 60))


async def connect(url, port, serializer):
    return await wamp_session.join(url, port, serializer, timeout=TIMEOUT)

class Scene:
    """The victim (through the proxy): subscribed to com.gs1.feed and com.gs1.other,
    registered as com.gs1.echo. The honest peer (direct): publishes, calls the
    victim, and is registered as com.gs1.svc (returning its argument; progress
    first if asked). Both are senders and receivers of com.gs1."""

    def __init__(self, router, proxy, serializer):
        self.router, self.proxy, self.serializer = router, proxy, serializer
        self.refused, self.events, self.invoked = [], asyncio.Queue(), []

    async def __aenter__(self):
        ids = [wampe2e.Identity.generate() for _ in range(2)]
        keys = [i.public_key for i in ids]
        self.groups = []
        for i in ids:
            g = wampe2e.Group(i)
            g.set_entry(PREFIX, keys, keys)
            self.groups.append(g)
        self.victim = await connect(self.proxy.url, self.proxy.port, self.serializer)
        attach(self.victim, None, group=self.groups[0], on_refused=lambda e, m: self.refused.append(e.code_name))
        self.honest = await connect(self.router.url, self.router.port, self.serializer)
        attach(self.honest, None, group=self.groups[1])
        await key_procedure_ready(self.victim)
        await key_procedure_ready(self.honest)
        for topic in ("com.gs1.feed", "com.gs1.other"):
            await self.victim.subscribe(lambda *a, topic=topic, **k: self.events.put_nowait((topic, list(a))), topic)

        def echo(x):
            self.invoked.append(x)
            return x

        await self.victim.register(echo, "com.gs1.echo")
        await self.honest.register(lambda x: x, "com.gs1.svc")
        self.conn = self.proxy.connections[-1]
        return self

    async def __aexit__(self, *exc):
        for s in (self.victim, self.honest):
            if s.is_attached():
                s.leave()
        await asyncio.sleep(0.1)
        return False

    async def publish(self, value, topic="com.gs1.feed"):
        await asyncio.wait_for(self.honest.publish(topic, value, options=PublishOptions(acknowledge=True)), TIMEOUT)

    async def event(self):
        return await asyncio.wait_for(self.events.get(), TIMEOUT)

    def sub_id(self, topic):
        request = next(m[1] for m in self.conn.seen[TO_ROUTER] if m[0] == SUBSCRIBE and m[3] == topic)
        return next(m[2] for m in self.conn.seen[TO_CLIENT] if m[0] == SUBSCRIBED and m[1] == request)

    async def refusal(self):
        for _ in range(200):
            if self.refused:
                return self.refused.pop(0)
            await asyncio.sleep(0.01)
        raise AssertionError("nothing refused")


SERIALIZERS = ["cbor", "json"]


@pytest.mark.parametrize("serializer", SERIALIZERS)
def test_router_replays_gs1_event(router, serializer):
    async def main():
        async with HostileProxy(router.url) as proxy, Scene(router, proxy, serializer) as s:
            await s.publish("one")
            assert await s.event() == ("com.gs1.feed", ["one"])
            genuine = [m for m in s.conn.seen[TO_CLIENT] if m[0] == EVENT][-1]
            s.conn.to_client(genuine)
            assert await s.refusal() == "WAMPE2E_REPLAYED"
            await s.publish("two")
            assert await s.event() == ("com.gs1.feed", ["two"])
            assert s.events.empty() and s.refused == []

    run(main())


@pytest.mark.parametrize("serializer", SERIALIZERS)
def test_router_delivers_gs1_event_on_another_subscription(router, serializer):
    async def main():
        async with HostileProxy(router.url) as proxy, Scene(router, proxy, serializer) as s:
            other = s.sub_id("com.gs1.other")
            proxy.once(TO_CLIENT, EVENT, lambda conn, m: [[EVENT, other] + m[2:]])
            await s.publish("moved")
            # Opened for com.gs1.other: the signature covers com.gs1.feed.
            assert await s.refusal() == "WAMPE2E_BAD_SIGNATURE"
            await s.publish("honest")
            assert await s.event() == ("com.gs1.feed", ["honest"])

    run(main())


def test_router_changes_gs1_key_id_and_strips_encryption(router):
    async def main():
        async with HostileProxy(router.url) as proxy, Scene(router, proxy, "cbor") as s:
            await s.publish("first")
            assert await s.event() == ("com.gs1.feed", ["first"])
            proxy.once(TO_CLIENT, EVENT, lambda conn, m: [m[:3] + [dict(m[3], enc_key="00" * 16)] + m[4:]])
            await s.publish("rekeyed")
            assert await s.refusal() == "WAMPE2E_KEY_ID_MISMATCH"
            proxy.once(TO_CLIENT, EVENT, lambda conn, m: [[EVENT, m[1], m[2], {}, ["stripped"]]])
            await s.publish("plain")
            assert await s.refusal() == "WAMPE2E_UNEXPECTED_PLAINTEXT"
            await s.publish("honest")
            assert await s.event() == ("com.gs1.feed", ["honest"])
            assert s.events.empty()

    run(main())


def test_router_reflects_gs1_call_as_its_result(router):
    async def main():
        async with HostileProxy(router.url) as proxy, Scene(router, proxy, "cbor") as s:

            def reflect(conn, m):
                if m[3] != "com.gs1.svc":
                    return None
                attrs = {k: v for k, v in m[2].items() if k.startswith("enc_")}
                conn.to_client([RESULT, m[1], attrs, m[4]])
                return []  # the CALL never reaches the router

            proxy.once(TO_ROUTER, CALL, reflect)
            with pytest.raises(ApplicationError) as e:
                await asyncio.wait_for(s.victim.call("com.gs1.svc", "x"), TIMEOUT)
            # A call envelope is no reply: refused by its type byte before anything else.
            assert e.value.error == "wampe2e.error.wrong_kind"
            assert e.value.kwargs == {"code": "WAMPE2E_WRONG_KIND"} and list(e.value.args) == []
            assert await s.refusal() == "WAMPE2E_WRONG_KIND"
            assert await asyncio.wait_for(s.victim.call("com.gs1.svc", "y"), TIMEOUT) == "y"

    run(main())


def test_router_marks_gs1_result_as_progress(router):
    async def main():
        async with HostileProxy(router.url) as proxy, Scene(router, proxy, "cbor") as s:
            proxy.once(TO_CLIENT, RESULT, lambda conn, m: [[RESULT, m[1], dict(m[2], progress=True)] + m[3:]])
            with pytest.raises(ApplicationError) as e:
                await asyncio.wait_for(s.victim.call("com.gs1.svc", "x"), TIMEOUT)
            assert e.value.error == "wampe2e.error.wrong_kind"
            assert await s.refusal() == "WAMPE2E_WRONG_KIND"
            assert await asyncio.wait_for(s.victim.call("com.gs1.svc", "y"), TIMEOUT) == "y"

    run(main())


def test_router_replays_gs1_invocation(router):
    async def main():
        async with HostileProxy(router.url) as proxy, Scene(router, proxy, "cbor") as s:
            assert await asyncio.wait_for(s.honest.call("com.gs1.echo", "once"), TIMEOUT) == "once"
            genuine = [m for m in s.conn.seen[TO_CLIENT] if m[0] == INVOCATION][-1]
            replies = []

            def swallow(conn, direction, msg):
                if direction == TO_ROUTER and msg[0] == ERROR and msg[2] == 777001:
                    replies.append(msg)
                    return []
                return None

            proxy.hook = swallow
            s.conn.to_client([INVOCATION, 777001] + genuine[2:])
            assert await s.refusal() == "WAMPE2E_REPLAYED"
            for _ in range(100):
                if replies:
                    break
                await asyncio.sleep(0.01)
            assert replies == [[ERROR, INVOCATION, 777001, {}, "wampe2e.error.replayed", [], {"code": "WAMPE2E_REPLAYED"}]]
            assert s.invoked == ["once"]  # the handler did not run again
            assert await asyncio.wait_for(s.honest.call("com.gs1.echo", "twice"), TIMEOUT) == "twice"
            assert s.invoked == ["once", "twice"]

    run(main())
