"""A GS1 peer on Autobahn|Python for node/test/gs1_interop.test.js: one session,
on asyncio or on Twisted, attached with a wampe2e.Group whose identity is derived
from a WAMP-cryptosign seed (Identity.from_cryptosign_seed). Driven by one JSON
argument; talks on stdout, one line each (straight to fd 1: Twisted's logging
takes over sys.stdout):

    READY <fingerprint>              subscribed / registered, key procedure registered
    EVENT <first arg> <sender> <tag>  per event on "subscribe" (sender: hex public key)
    PUBLISHED <count>                after a burst ("publish")
    INVOKED <procedure> <caller>     per invocation of a registered procedure
    CALLED <name> <json>             per outcome of a call ("call")
    REFUSED <code> <message type>    per refusal reported by attach

Config keys: url, loop ("asyncio" | "twisted"), seed (hex cryptosign seed), entries
([{prefix, senders, receivers}], hex public keys), share_backlog, hold_max_per_session;
then any of
    subscribe: topic
    publish: {trigger, topic, count}   publishes [i] with kwargs {tag} for i < count
                                       whenever an event arrives on trigger (plaintext)
    register: prefix                   registers <prefix>whoami, <prefix>fail, <prefix>count
    call: {trigger, prefix}            on trigger, calls <prefix>whoami, fail and count
"""

import json
import os
import sys

CONFIG = json.loads(sys.argv[1])
TWISTED = CONFIG.get("loop") == "twisted"

import txaio  # noqa: E402

if TWISTED:
    txaio.use_twisted()
    from autobahn.twisted.wamp import ApplicationRunner, ApplicationSession  # noqa: E402
else:
    txaio.use_asyncio()
    from autobahn.asyncio.wamp import ApplicationRunner, ApplicationSession  # noqa: E402

from autobahn.wamp.exception import ApplicationError  # noqa: E402
from autobahn.wamp.types import CallOptions, CallResult, RegisterOptions  # noqa: E402

import wampe2e  # noqa: E402
from wampe2e.autobahn import attach, gs1_sender, key_procedure_ready  # noqa: E402

TAG = "secret-tag"


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


def outcome(r):
    """A call's result as autobahn gives it (a CallResult for several values or kwargs)."""
    if isinstance(r, CallResult):
        return plain({"args": list(r.results), "kwargs": r.kwresults})
    return plain({"args": [r], "kwargs": {}})


def sender_hex():
    s = gs1_sender()
    return s.hex() if s is not None else "none"


async def pause():
    """An await on the session's own loop: the caller's identity survives it."""
    if TWISTED:
        from twisted.internet import reactor
        from twisted.internet.task import deferLater

        await deferLater(reactor, 0.01, lambda: None)
    else:
        import asyncio

        await asyncio.sleep(0.01)


class Peer(ApplicationSession):
    async def onJoin(self, details):
        identity = wampe2e.Identity.from_cryptosign_seed(bytes.fromhex(CONFIG["seed"]))
        params = {"share_backlog": CONFIG["share_backlog"]} if "share_backlog" in CONFIG else {}
        group = wampe2e.Group(identity, **params)
        for e in CONFIG["entries"]:
            group.set_entry(e["prefix"], e["senders"], e["receivers"])
        attach(self, None, group=group,
               on_refused=lambda error, msg: say("REFUSED", error.code_name, type(msg).__name__),
               hold_max_per_session=CONFIG.get("hold_max_per_session", 256))
        await key_procedure_ready(self)

        if CONFIG.get("subscribe"):
            def on_event(n, **kwargs):
                say("EVENT", n, sender_hex(), kwargs.get("tag"))

            await self.subscribe(on_event, CONFIG["subscribe"])

        if CONFIG.get("publish"):
            order = CONFIG["publish"]

            def go(*args, **kwargs):
                for i in range(order["count"]):
                    self.publish(order["topic"], i, tag=TAG)
                say("PUBLISHED", order["count"])

            await self.subscribe(go, order["trigger"])

        if CONFIG.get("register"):
            prefix = CONFIG["register"]

            async def whoami(*args, **kwargs):
                caller = sender_hex()
                await pause()
                say("INVOKED", prefix + "whoami", caller)
                assert sender_hex() == caller  # still the same after the await
                return CallResult(caller, *args, seen=kwargs)

            def fail(*args, **kwargs):
                say("INVOKED", prefix + "fail", sender_hex())
                raise ApplicationError(prefix + "error.too_big", "too big", *args, limit=10, caller=sender_hex())

            async def count(n, details=None):
                caller = sender_hex()
                say("INVOKED", prefix + "count", caller)
                for i in range(n):
                    if details.progress:
                        details.progress(i, stage=TAG)
                    await pause()
                return CallResult(n, caller)

            await self.register(whoami, prefix + "whoami")
            await self.register(fail, prefix + "fail")
            await self.register(count, prefix + "count", options=RegisterOptions(details_arg="details"))

        if CONFIG.get("call"):
            order = CONFIG["call"]

            async def calls(*args, **kwargs):
                p = order["prefix"]
                r = await self.call(p + "whoami", "hello", b"\x00\x01\xff", n=1)
                say("CALLED", "whoami", json.dumps(outcome(r)))
                try:
                    await self.call(p + "fail", 7)
                    say("CALLED", "fail", json.dumps({"error": None}))
                except ApplicationError as e:
                    say("CALLED", "fail", json.dumps(plain({"error": e.error, "args": e.args, "kwargs": e.kwargs})))
                progress = []
                r = await self.call(p + "count", 3, options=CallOptions(
                    on_progress=lambda *a, **kw: progress.append({"args": list(a), "kwargs": kw})))
                say("CALLED", "count", json.dumps({"progress": plain(progress), "result": outcome(r)}))

            await self.subscribe(calls, order["trigger"])

        say("READY", identity.fingerprint)

    def onDisconnect(self):
        if TWISTED:
            from twisted.internet import reactor

            if reactor.running:
                reactor.stop()
        else:
            import asyncio

            asyncio.get_event_loop().stop()


if __name__ == "__main__":
    runner = ApplicationRunner(CONFIG["url"], "realm1")
    if TWISTED:
        runner.run(Peer, start_reactor=True, log_level="error")
    else:
        runner.run(Peer, log_level="error")
