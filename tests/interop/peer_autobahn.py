"""An Autobahn|Python peer with Autobahn's own cryptobox KeyRing, for the
cross-language tests (the JS adapters talk to it through a real router).

    peer_autobahn.py URL SERIALIZER KEYS_JSON

KEYS_JSON: {"topy": {"originator_pub", "responder_priv"}, "tojs": {"originator_priv", "responder_pub"}}
- com.example.topy.*: the JS side originates (publishes, calls), this peer responds.
- com.example.tojs.*: this peer originates.

Behaviour: on event com.example.topy.event it publishes the same args/kwargs on
com.example.tojs.echo, calls com.example.tojs.mul(6, 7) and publishes the result on
com.example.tojs.result; it registers com.example.topy.echo (returns its arguments)
and com.example.topy.fail (raises an application error with a payload). Prints READY
once set up; exits when stdin closes.
"""

import asyncio
import json
import sys

import txaio

txaio.use_asyncio()

from autobahn.asyncio.wamp import ApplicationSession  # noqa: E402
from autobahn.asyncio.websocket import WampWebSocketClientFactory  # noqa: E402
from autobahn.wamp.cryptobox import Key, KeyRing  # noqa: E402
from autobahn.wamp.exception import ApplicationError  # noqa: E402
from autobahn.wamp.serializer import CBORSerializer, JsonSerializer, MsgPackSerializer  # noqa: E402
from autobahn.wamp.types import CallResult, ComponentConfig  # noqa: E402

SERIALIZERS = {"json": JsonSerializer, "msgpack": MsgPackSerializer, "cbor": CBORSerializer}


def keyring(keys):
    ring = KeyRing()
    ring.set_key("com.example.topy.", Key(originator_pub=keys["topy"]["originator_pub"],
                                           responder_priv=keys["topy"]["responder_priv"]))
    ring.set_key("com.example.tojs.", Key(originator_priv=keys["tojs"]["originator_priv"],
                                           responder_pub=keys["tojs"]["responder_pub"]))
    return ring


class Peer(ApplicationSession):
    async def onJoin(self, details):
        self.set_payload_codec(keyring(self.config.extra["keys"]))

        async def on_event(*args, **kwargs):
            self.publish("com.example.tojs.echo", *args, **kwargs)
            result = await self.call("com.example.tojs.mul", 6, 7)
            self.publish("com.example.tojs.result", result)

        await self.subscribe(on_event, "com.example.topy.event")

        def echo(*args, **kwargs):
            return CallResult(*args, **kwargs)

        def fail(*args, **kwargs):
            raise ApplicationError("com.example.topy.error.nope", "nope", 1.5, why=b"\x00bin")

        await self.register(echo, "com.example.topy.echo")
        await self.register(fail, "com.example.topy.fail")
        print("READY", flush=True)


async def main(url, serializer, keys):
    loop = asyncio.get_running_loop()
    factory = WampWebSocketClientFactory(
        lambda: Peer(ComponentConfig("realm1", extra={"keys": keys})), url=url,
        serializers=[SERIALIZERS[serializer]()],
    )
    port = int(url.split(":")[2].split("/")[0])
    await loop.create_connection(factory, "127.0.0.1", port)
    await loop.run_in_executor(None, sys.stdin.read)  # until the test closes stdin


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], json.loads(sys.argv[3])))
