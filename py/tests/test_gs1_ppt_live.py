"""GS1 in the Payload Passthru dialect (``attach(..., dialect="ppt")``, docs/gs1.md
§12.1) live through the nexus router, which forwards ``ppt_*`` (Crossbar.io and
Autobahn's own parser know ``enc_*`` only). Autobahn|Python peers on asyncio, CBOR
transport: events with the sender's identity, what a plain recorder sees on the
wire (``ppt_scheme``/``ppt_serializer``/``ppt_cipher``/``ppt_keyid``, Arguments =
[envelope]), plaintext injected on the GS1 topic refused, RPC with a sealed result,
sealed progressive results and a sealed application error. Skipped when the
nexus binary is absent (``make build/nexus-router``; ``WAMPE2E_NEXUS`` names
another)."""

import asyncio
import os
import re
import signal
import subprocess

import pytest
from autobahn.wamp.exception import ApplicationError
from autobahn.wamp.types import CallOptions, RegisterOptions

import wamp_session
import wampe2e
from wampe2e.autobahn import announce_payload_passthru, attach, gs1_sender, key_procedure_ready

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NEXUS = os.environ.get("WAMPE2E_NEXUS", os.path.join(ROOT, "build", "nexus-router"))
PREFIX = "com.gs1."
TOPIC = "com.gs1.feed"
TIMEOUT = 20


@pytest.fixture(scope="module")
def nexus():
    if not os.access(NEXUS, os.X_OK):
        pytest.skip(f"no nexus router at {NEXUS}")
    proc = subprocess.Popen([NEXUS, "-port", "0"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        seen, port = "", None
        while port is None:
            line = proc.stdout.readline()
            if not line:
                raise RuntimeError(f"nexus did not start: {seen!r}")
            seen += line
            m = re.search(r"LISTENING (\d+)", line)
            port = int(m.group(1)) if m else None
        yield port
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run(coro):
    asyncio.run(asyncio.wait_for(coro, 60))


async def join(port, passthru=True):
    setup = announce_payload_passthru if passthru else None
    return await wamp_session.join(f"ws://127.0.0.1:{port}/", port, "cbor", timeout=TIMEOUT, setup=setup)

def raw_messages(session):
    """The raw messages ``session`` receives, before Autobahn parses (and drops ppt_*)."""
    inner = session._transport._serializer._serializer
    raws, unserialize = [], inner.unserialize

    def record(payload):
        got = unserialize(payload)
        raws.extend(got)
        return got

    inner.unserialize = record
    return raws


async def until(predicate, what):
    for _ in range(TIMEOUT * 50):
        if predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def test_gs1_over_ppt_through_nexus(nexus):
    async def main():
        ids = [wampe2e.Identity.generate() for _ in range(2)]
        keys = [i.public_key for i in ids]
        groups = []
        for i in ids:
            g = wampe2e.Group(i)
            g.set_entry(PREFIX, keys, keys)
            groups.append(g)
        refused = []
        pub, sub = await join(nexus), await join(nexus)
        attach(pub, None, group=groups[0], dialect="ppt")
        attach(sub, None, group=groups[1], dialect="ppt", on_refused=lambda e, m: refused.append(e.code_name))
        await key_procedure_ready(pub)
        await key_procedure_ready(sub)
        recorder = await join(nexus)
        wire = raw_messages(recorder)
        await recorder.subscribe(lambda *a, **k: None, TOPIC)
        events = []
        await sub.subscribe(lambda n, **k: events.append((n, gs1_sender())), TOPIC)
        try:
            for n in range(5):
                pub.publish(TOPIC, {"n": n, "secret": "marker"})
            await until(lambda: len(events) == 5 and len([r for r in wire if r[0] == 36]) == 5, "5 events")
            assert [e[0]["n"] for e in events] == list(range(5)) and all(e[1] == keys[0] for e in events)
            for raw in (r for r in wire if r[0] == 36):
                details, args = raw[3], raw[4]
                assert {k: details.get(k) for k in ("ppt_scheme", "ppt_serializer", "ppt_cipher")} == {
                    "ppt_scheme": "x_wampe2e",
                    "ppt_serializer": "cbor",
                    "ppt_cipher": "x_gs1",
                }
                assert re.fullmatch(r"[0-9a-f]{32}", details["ppt_keyid"]) and "enc_algo" not in details
                assert len(raw) == 5 and len(args) == 1 and isinstance(args[0], bytes) and b"marker" not in args[0]

            # Plaintext injected on the GS1 topic by a peer without wampe2e: refused.
            intruder = await join(nexus, passthru=False)
            intruder.publish(TOPIC, {"n": 99})
            await until(lambda: refused, "the refusal")
            assert refused == ["WAMPE2E_UNEXPECTED_PLAINTEXT"] and len(events) == 5
            intruder.leave()

            # RPC: the callee learns the caller, the result and an error travel sealed.
            def echo(x):
                return [x, gs1_sender()]

            def fail():
                raise ApplicationError("com.gs1.failed", "why", n=2)

            def count(n, details=None):
                for i in range(n):
                    details.progress(i)
                return n

            await sub.register(echo, "com.gs1.echo")
            await sub.register(fail, "com.gs1.fail")
            await sub.register(count, "com.gs1.count", RegisterOptions(details_arg="details"))
            replies = raw_messages(pub)
            assert await pub.call("com.gs1.echo", "hi") == ["hi", keys[0]]
            progress = []
            on_progress = CallOptions(on_progress=lambda i: progress.append(i))
            assert await pub.call("com.gs1.count", 3, options=on_progress) == 3 and progress == [0, 1, 2]
            with pytest.raises(ApplicationError) as e:
                await pub.call("com.gs1.fail")
            assert (e.value.error, list(e.value.args), e.value.kwargs) == ("com.gs1.failed", ["why"], {"n": 2})
            assert groups[0].pending_calls == 0
            answers = [r for r in replies if r[0] == 50 or (r[0] == 8 and r[1] == 48)]
            assert len(answers) == 6  # echo, 3 progress + 1 result, the error
            for raw in answers:
                details, args = (raw[2], raw[3]) if raw[0] == 50 else (raw[3], raw[5])
                assert details.get("ppt_scheme") == "x_wampe2e" and "ppt_keyid" not in details
                assert len(args) == 1 and isinstance(args[0], bytes) and len(raw) == (4 if raw[0] == 50 else 6)

            # The honest publisher still gets through after the refusal.
            pub.publish(TOPIC, {"n": 5})
            await until(lambda: len(events) == 6, "the sixth event")
        finally:
            for s in (pub, sub, recorder):
                if s.is_attached():
                    s.leave()

    run(main())


def test_attach_refuses_an_unknown_dialect():
    g = wampe2e.Group(wampe2e.Identity.generate())
    with pytest.raises(wampe2e.InvalidArgumentError):
        attach(object(), None, group=g, dialect="json")
