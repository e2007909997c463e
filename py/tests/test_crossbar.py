"""Through a real Crossbar.io router: Autobahn|Python asyncio sessions, one side on
wampe2e.autobahn.KeyRing (attached, strict) and the other on Autobahn's own, exchange encrypted events,
calls, results and application errors over the json, msgpack and cbor transports,
while a third session records what the router forwarded: ciphertext only."""

import asyncio

import pytest
from autobahn.asyncio.wamp import ApplicationSession
from autobahn.asyncio.websocket import WampWebSocketClientFactory
from autobahn.wamp import cryptobox
from autobahn.wamp.exception import ApplicationError
from autobahn.wamp.interfaces import IPayloadCodec
from autobahn.wamp.serializer import CBORSerializer, JsonSerializer, MsgPackSerializer
from autobahn.wamp.types import ComponentConfig, PublishOptions

import wampe2e.autobahn as drop_in

SERIALIZERS = {"json": JsonSerializer, "msgpack": MsgPackSerializer, "cbor": CBORSerializer}
ARGS = [42, "hello world", {"temp": 21.5, "ok": True}, b"\x00\x01binary"]
KWARGS = {"sensor": "s-17", "ts": 1732700000123}
PLAINTEXT_MARKERS = [b"hello world", b"s-17", b"temp"]
TIMEOUT = 20


class Recorder:
    """A payload codec that opens nothing and keeps what arrived."""

    def __init__(self):
        self.seen = []

    def encode(self, is_originating, uri, args=None, kwargs=None):
        return None

    def decode(self, is_originating, uri, encoded_payload):
        self.seen.append(encoded_payload)
        return uri, [], {}


IPayloadCodec.register(Recorder)


async def connect(router, serializer, codec):
    loop = asyncio.get_running_loop()
    joined = loop.create_future()

    class Session(ApplicationSession):
        async def onJoin(self, details):
            if not joined.done():
                joined.set_result(self)

        def onDisconnect(self):
            if not joined.done():
                joined.set_exception(ConnectionError("disconnected before join"))

    factory = WampWebSocketClientFactory(
        lambda: Session(ComponentConfig("realm1")), url=router.url, serializers=[SERIALIZERS[serializer]()]
    )
    await loop.create_connection(factory, "127.0.0.1", router.port)
    session = await asyncio.wait_for(joined, TIMEOUT)
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


async def scenario(router, pairs, serializer, originator_impl):
    o_ring, r_ring = keyrings(pairs, originator_impl)
    originator = await connect(router, serializer, o_ring)
    responder = await connect(router, serializer, r_ring)
    recorder_codec = Recorder()
    recorder = await connect(router, serializer, recorder_codec)
    loop = asyncio.get_running_loop()
    tag = f"{serializer}.{originator_impl}"
    topic = f"com.example.topic.{tag}"
    try:
        # pub/sub
        got_event = loop.create_future()
        await responder.subscribe(lambda *a, **kw: got_event.set_result((list(a), kw)), topic)
        await recorder.subscribe(lambda *a, **kw: None, topic)
        await originator.publish(topic, *ARGS, options=PublishOptions(acknowledge=True), **KWARGS)
        args, kwargs = await asyncio.wait_for(got_event, TIMEOUT)
        assert args == ARGS and kwargs == KWARGS

        # rpc: call and result
        def add(a, b, **kw):
            return [a + b, kw.get("note")]

        await responder.register(add, f"com.example.add.{tag}")
        result = await asyncio.wait_for(originator.call(f"com.example.add.{tag}", 2, 3, note=b"\x02bin"), TIMEOUT)
        assert result == [5, b"\x02bin"]

        # application error with a payload
        def fail(*args):
            raise ApplicationError("com.example.error.too_hot", "sensor s-17 overheated", 99.5, detail=b"\x07")

        await responder.register(fail, f"com.example.fail.{tag}")
        with pytest.raises(ApplicationError) as e:
            await asyncio.wait_for(originator.call(f"com.example.fail.{tag}"), TIMEOUT)
        assert e.value.error == "com.example.error.too_hot"
        assert e.value.args == ("sensor s-17 overheated", 99.5)
        assert e.value.kwargs == {"detail": b"\x07"}

        # the router forwarded ciphertext only
        await asyncio.sleep(0.2)
        assert len(recorder_codec.seen) == 1
        seen = recorder_codec.seen[0]
        assert (seen.enc_algo, seen.enc_serializer) == ("cryptobox", "json")
        assert isinstance(seen.payload, bytes) and len(seen.payload) > 40
        for marker in PLAINTEXT_MARKERS:
            assert marker not in seen.payload
    finally:
        for s in (originator, responder, recorder):
            s.leave()
        await asyncio.sleep(0.1)


@pytest.mark.parametrize("serializer", ["json", "msgpack", "cbor"])
@pytest.mark.parametrize("originator_impl", ["wampe2e", "autobahn"])
def test_through_crossbar(router, pairs, serializer, originator_impl):
    asyncio.run(asyncio.wait_for(scenario(router, pairs, serializer, originator_impl), 60))
