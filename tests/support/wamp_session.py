"""Joins an Autobahn|Python asyncio session to a router on 127.0.0.1, for the
tests and the load run (py/tests, tests/hostile, tests/load put tests/support on
sys.path)."""

import asyncio

from autobahn.asyncio.wamp import ApplicationSession
from autobahn.asyncio.websocket import WampWebSocketClientFactory
from autobahn.wamp.serializer import CBORSerializer, JsonSerializer, MsgPackSerializer
from autobahn.wamp.types import ComponentConfig

__all__ = ["SERIALIZERS", "join"]

SERIALIZERS = {"json": JsonSerializer, "msgpack": MsgPackSerializer, "cbor": CBORSerializer}


async def join(url, port, serializer="cbor", realm="realm1", timeout=20, setup=None, on_join=None, on_lost=None):
    """Connects to ``url`` (at 127.0.0.1:``port``) and returns the session once it
    joined. ``setup(session)`` runs in its constructor (before HELLO),
    ``on_join(session)`` when it joins, ``on_lost()`` when its transport closes."""
    loop = asyncio.get_running_loop()
    joined = loop.create_future()

    class Session(ApplicationSession):
        def __init__(self, config):
            super().__init__(config)
            if setup:
                setup(self)

        async def onJoin(self, details):
            if on_join:
                on_join(self)
            if not joined.done():
                joined.set_result(self)

        def onDisconnect(self):
            if not joined.done():
                joined.set_exception(ConnectionError("disconnected before join"))
            if on_lost:
                on_lost()

    factory = WampWebSocketClientFactory(
        lambda: Session(ComponentConfig(realm)), url=url, serializers=[SERIALIZERS[serializer]()]
    )
    await loop.create_connection(factory, "127.0.0.1", port)
    return await asyncio.wait_for(joined, timeout)
