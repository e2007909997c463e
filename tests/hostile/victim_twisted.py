"""A victim on Twisted for test_autobahn_python.py: an Autobahn|Python session on
the Twisted reactor, guarded by wampe2e.autobahn.attach, subscribed to
com.example.sensor and registered as com.example.echo. Prints READY, then
EVENT <args as JSON>, INVOKED <args as JSON> and REFUSED <code> as they happen.

    python victim_twisted.py <router url> '<{"originator_pub": ..., "responder_priv": ...}>'
"""

import json
import os
import sys

import txaio

txaio.use_twisted()

from autobahn.twisted.wamp import ApplicationRunner, ApplicationSession  # noqa: E402

from wampe2e.autobahn import Key, KeyRing, attach  # noqa: E402


def say(*parts):
    # Straight to fd 1: Twisted's logging takes over sys.stdout.
    os.write(1, (" ".join(parts) + "\n").encode())


class Victim(ApplicationSession):
    async def onJoin(self, details):
        ring = KeyRing()
        ring.set_key("com.example.", Key(**json.loads(sys.argv[2])))
        attach(self, ring, on_refused=lambda error, msg: say("REFUSED", error.code_name))
        await self.subscribe(lambda *args: say("EVENT", json.dumps(list(args))), "com.example.sensor")

        def echo(*args):
            say("INVOKED", json.dumps(list(args)))
            return args[0]

        await self.register(echo, "com.example.echo")
        say("READY")


if __name__ == "__main__":
    ApplicationRunner(sys.argv[1], "realm1").run(Victim, start_reactor=True, log_level="error")
