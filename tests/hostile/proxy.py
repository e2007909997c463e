"""A hostile router for tests: a WebSocket man-in-the-middle on 127.0.0.1 in front
of a real router (Crossbar.io, nexus). Clients connect to the proxy as if it were
the router; each connection is paired with one to the real router, and every WAMP
message in either direction passes through ``proxy.hook(conn, direction, msg)``,
which may forward it (return None), replace or drop it (return a list of messages
to send on in the same direction, possibly empty), and inject messages in either
direction (``conn.to_client(msg)``, ``conn.to_router(msg)``). Messages are lists as
the WAMP serializer decoded them (json, msgpack or cbor); binaries are ``bytes``
whichever the serializer (WAMP-JSON's ``"\\u0000" + base64`` is converted both ways).

Stopped (every socket closed) when the ``async with`` block ends, also on failure.
"""

import asyncio
import base64
import json

import cbor2
import msgpack
import websockets

SUBPROTOCOLS = ["wamp.2.json", "wamp.2.msgpack", "wamp.2.cbor"]
TO_ROUTER, TO_CLIENT = "to_router", "to_client"


def _json_in(v):
    if isinstance(v, str) and v.startswith("\x00"):
        return base64.b64decode(v[1:])
    if isinstance(v, list):
        return [_json_in(x) for x in v]
    if isinstance(v, dict):
        return {k: _json_in(x) for k, x in v.items()}
    return v


def _json_out(v):
    if isinstance(v, (bytes, bytearray)):
        return "\x00" + base64.b64encode(bytes(v)).decode()
    if isinstance(v, list):
        return [_json_out(x) for x in v]
    if isinstance(v, dict):
        return {k: _json_out(x) for k, x in v.items()}
    return v


CODECS = {
    "wamp.2.json": (
        lambda frame: _json_in(json.loads(frame)),
        lambda msg: json.dumps(_json_out(msg), separators=(",", ":")),
    ),
    "wamp.2.msgpack": (lambda frame: msgpack.unpackb(frame, raw=False), lambda msg: msgpack.packb(msg, use_bin_type=True)),
    "wamp.2.cbor": (cbor2.loads, cbor2.dumps),
}


class Connection:
    """One client's pair of sockets, with what passed in each direction: ``seen``
    the decoded messages, ``frames`` the WebSocket frames as they arrived (``str``
    for json, ``bytes`` otherwise; from the router: exactly what it forwarded)."""

    def __init__(self, proxy, client, router, subprotocol):
        self.proxy = proxy
        self.client = client
        self.router = router
        self.decode, self.encode = CODECS[subprotocol]
        self.seen = {TO_ROUTER: [], TO_CLIENT: []}
        self.frames = {TO_ROUTER: [], TO_CLIENT: []}

    async def _send(self, direction, msg):
        sock = self.router if direction == TO_ROUTER else self.client
        await sock.send(self.encode(msg))

    def to_client(self, msg):
        """Injects ``msg`` towards the client (as the router would send it)."""
        return asyncio.ensure_future(self._send(TO_CLIENT, msg))

    def to_router(self, msg):
        """Injects ``msg`` towards the router (as the client would send it)."""
        return asyncio.ensure_future(self._send(TO_ROUTER, msg))

    async def pump(self, direction):
        source = self.client if direction == TO_ROUTER else self.router
        async for frame in source:
            self.frames[direction].append(frame)
            msg = self.decode(frame)
            self.seen[direction].append(msg)
            out = self.proxy.hook(self, direction, msg)
            for m in [msg] if out is None else out:
                await self._send(direction, m)


class HostileProxy:
    """``async with HostileProxy(router_url) as proxy: connect clients to proxy.url``."""

    def __init__(self, upstream_url):
        self.upstream_url = upstream_url
        self.connections = []
        self.hook = lambda conn, direction, msg: None
        self._server = None
        self._tasks = set()

    def once(self, direction, kind, tamper):
        """Hands the next message of WAMP type ``kind`` going ``direction`` to
        ``tamper(conn, msg)``, which returns the messages to send instead; everything
        else, and everything after it, passes unchanged."""

        def hook(conn, d, msg):
            if d != direction or msg[0] != kind:
                return None
            self.hook = lambda *a: None
            return tamper(conn, msg)

        self.hook = hook

    @property
    def url(self):
        return f"ws://127.0.0.1:{self.port}/ws"

    async def __aenter__(self):
        self._server = await websockets.serve(self._serve, "127.0.0.1", 0, subprotocols=SUBPROTOCOLS)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc):
        self._server.close()
        for conn in self.connections:
            await conn.router.close()
        for t in list(self._tasks):
            t.cancel()
        await self._server.wait_closed()
        return False

    async def _serve(self, client):
        subprotocol = client.subprotocol
        async with websockets.connect(self.upstream_url, subprotocols=[subprotocol]) as router:
            conn = Connection(self, client, router, subprotocol)
            self.connections.append(conn)
            tasks = [asyncio.ensure_future(conn.pump(d)) for d in (TO_ROUTER, TO_CLIENT)]
            self._tasks.update(tasks)
            _, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for t in pending:
                t.cancel()
            self._tasks.difference_update(tasks)
