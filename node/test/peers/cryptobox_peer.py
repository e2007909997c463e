"""An Autobahn|Python peer with Autobahn's OWN cryptobox KeyRing (not the wampe2e
wheel), for node/test/browser.test.js, made strict by hand: Autobahn|Python
accepts plaintext where it has a key, so this peer refuses any EVENT, INVOCATION,
RESULT or ERROR that carries a plaintext payload (every URI it uses is keyed).
One JSON argument: {url, keys: {topy: {originator_pub, responder_priv},
tojs: {originator_priv, responder_pub}}}. Talks on stdout, one line each:

    READY                     subscribed and registered
    CALLED <name> <json>      per outcome of a call into the browser
    REFUSED <message type>    per plaintext payload refused

- com.example.topy.*: the browser originates (publishes, calls), this peer responds:
  com.example.topy.echo returns its arguments, com.example.topy.fail raises
  com.example.topy.error.nope with a payload.
- com.example.tojs.*: this peer originates. On event com.example.topy.event it
  publishes the same args/kwargs on com.example.tojs.echo, calls
  com.example.tojs.mul(6, 7) and com.example.tojs.fail("boom", b"\\x00\\xff"), and
  publishes [product, {error, args, kwargs}] on com.example.tojs.result.
"""

import json
import os
import sys

import txaio

txaio.use_asyncio()

from autobahn.asyncio.wamp import ApplicationRunner, ApplicationSession  # noqa: E402
from autobahn.wamp import message  # noqa: E402
from autobahn.wamp.cryptobox import Key, KeyRing  # noqa: E402
from autobahn.wamp.exception import ApplicationError  # noqa: E402
from autobahn.wamp.types import CallResult  # noqa: E402

CONFIG = json.loads(sys.argv[1])
STRICT = (message.Event, message.Invocation, message.Result, message.Error)
REFUSED_URI = "wampe2e.error.unexpected_plaintext"


def say(*parts):
    os.write(1, (" ".join(str(p) for p in parts) + "\n").encode())


def plain(v):
    """JSON-ready: bytes as {"hex": ...}, tuples as lists."""
    if isinstance(v, (bytes, bytearray)):
        return {"hex": bytes(v).hex()}
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    return v


def keyring(keys):
    ring = KeyRing()
    ring.set_key("com.example.topy.", Key(originator_pub=keys["topy"]["originator_pub"],
                                           responder_priv=keys["topy"]["responder_priv"]))
    ring.set_key("com.example.tojs.", Key(originator_priv=keys["tojs"]["originator_priv"],
                                           responder_pub=keys["tojs"]["responder_pub"]))
    return ring


class Peer(ApplicationSession):
    def onMessage(self, msg):
        # Strict by hand: a plaintext payload is refused, an INVOCATION answered with
        # an ERROR, a RESULT or ERROR turned into that ERROR for its call.
        if self._session_id is not None and isinstance(msg, STRICT) and msg.enc_algo is None and (msg.args or msg.kwargs):
            say("REFUSED", type(msg).__name__)
            if isinstance(msg, message.Invocation):
                self._transport.send(message.Error(message.Invocation.MESSAGE_TYPE, msg.request, REFUSED_URI))
                return
            if isinstance(msg, message.Event):
                return
            msg = message.Error(message.Call.MESSAGE_TYPE, msg.request, REFUSED_URI)
        return super().onMessage(msg)

    async def onJoin(self, details):
        self.set_payload_codec(keyring(CONFIG["keys"]))

        async def on_event(*args, **kwargs):
            self.publish("com.example.tojs.echo", *args, **kwargs)
            product = await self.call("com.example.tojs.mul", 6, 7)
            say("CALLED", "mul", json.dumps(plain(product)))
            try:
                await self.call("com.example.tojs.fail", "boom", b"\x00\xff")
                failure = {"error": None}
            except ApplicationError as e:
                failure = {"error": e.error, "args": list(e.args), "kwargs": e.kwargs, "enc_algo": e.enc_algo}
            say("CALLED", "fail", json.dumps(plain(failure)))
            self.publish("com.example.tojs.result", product, failure)

        await self.subscribe(on_event, "com.example.topy.event")

        def echo(*args, **kwargs):
            return CallResult(*args, **kwargs)

        def fail(*args, **kwargs):
            raise ApplicationError("com.example.topy.error.nope", "nope", 1.5, why=b"\x00bin")

        await self.register(echo, "com.example.topy.echo")
        await self.register(fail, "com.example.topy.fail")
        say("READY")

    def onDisconnect(self):
        import asyncio

        asyncio.get_event_loop().stop()


if __name__ == "__main__":
    ApplicationRunner(CONFIG["url"], "realm1").run(Peer, log_level="error")
