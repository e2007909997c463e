"""A GS1 subscriber on Twisted for test_gs1_live.py: an Autobahn|Python session on
the Twisted reactor, attached with a wampe2e.Group (no keyring), subscribed to one
topic (and registered as a procedure answering who called it, if the config names
one). Prints READY once subscribed and its key procedure is registered, then
EVENT <first arg> <sender fingerprint> per event, INVOKED <caller fingerprint> per
call and REFUSED <code> per refusal; with "publish": {"trigger", "topic", "count"}
it publishes "count" events on "topic" whenever an event arrives on "trigger".

    python gs1_twisted_peer.py '<{"url", "seed", "prefix", "senders", "receivers", "topic"[, "procedure"][, "publish"]}>'
"""

import json
import os
import sys

import txaio

txaio.use_twisted()

from autobahn.twisted.wamp import ApplicationRunner, ApplicationSession  # noqa: E402

import wampe2e  # noqa: E402
from wampe2e.autobahn import attach, gs1_sender, key_procedure_ready  # noqa: E402

CONFIG = json.loads(sys.argv[1])


def say(*parts):
    # Straight to fd 1: Twisted's logging takes over sys.stdout.
    os.write(1, (" ".join(str(p) for p in parts) + "\n").encode())


class Peer(ApplicationSession):
    async def onJoin(self, details):
        group = wampe2e.Group(wampe2e.Identity.from_seed(bytes.fromhex(CONFIG["seed"])))
        group.set_entry(CONFIG["prefix"], CONFIG["senders"], CONFIG["receivers"])
        attach(self, None, group=group, on_refused=lambda error, msg: say("REFUSED", error.code_name),
               hold_max_per_session=CONFIG.get("hold_max_per_session", 256))
        await key_procedure_ready(self)

        def on_event(n, **kwargs):
            sender = gs1_sender()
            say("EVENT", n, sender.hex() if sender else "none")

        await self.subscribe(on_event, CONFIG["topic"])

        if CONFIG.get("procedure"):
            from twisted.internet import reactor
            from twisted.internet.task import deferLater

            async def whoami(*args):
                await deferLater(reactor, 0.01, lambda: None)  # the identity survives an await
                sender = gs1_sender()
                say("INVOKED", sender.hex() if sender else "none")
                return {"caller": sender.hex() if sender else None, "args": list(args)}

            await self.register(whoami, CONFIG["procedure"])

        if CONFIG.get("publish"):
            # A plain event on the trigger topic (outside the GS1 prefix) starts a
            # burst of GS1 events; subscribers fetch their key from this reactor.
            order = CONFIG["publish"]

            def go(*args):
                for i in range(order["count"]):
                    self.publish(order["topic"], i)
                say("PUBLISHED", order["count"])

            await self.subscribe(go, order["trigger"])
        say("READY")

    def onDisconnect(self):
        from twisted.internet import reactor

        if reactor.running:
            reactor.stop()


if __name__ == "__main__":
    ApplicationRunner(CONFIG["url"], "realm1").run(Peer, start_reactor=True, log_level="error")
