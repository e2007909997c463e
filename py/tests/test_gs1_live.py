"""GS1 group sessions live through a real Crossbar.io router, with Autobahn|Python
on asyncio (in this process) and on Twisted (gs1_twisted_peer.py, its own process:
one reactor per process). Every peer is attached with a wampe2e.Group; a recording
session on plain Autobahn (no wampe2e) sees what the router sees.

  a. one publisher, three subscribers (two asyncio, one Twisted): 1000 events, each
     delivered exactly once and in order; the recorder sees only GS1 envelopes;
  b. revocation mid-stream: the removed subscriber opens nothing of the new session
     (its key requests refused: KeyRefusedError), the others miss nothing;
  c. a late joiner reads from the first event it meets on, and cannot open the
     envelopes from before (TooOldError);
  d. a publisher restarting with the same identity starts a new session; subscribers
     follow;
  e. RPC: the callee learns the caller's identity, results are sealed to the caller,
     an application error and progressive results travel sealed;
  f. held, not dropped: events before the key are delivered after one fetch, in
     order; a refused fetch reports its events with KeyRefusedError; a full hold
     queue reports HoldOverflowError;
  g. a Twisted callee: its held INVOCATION runs once the key arrives, and it learns
     the caller;
  h. strictness on a GS1 URI: plaintext, cryptobox, a replay, an unlisted sender;
  i. a fetch with no key procedure, and one never answered (hold_ms): KeyFetchFailed;
  j. with a keyring whose default key covers everything too: GS1 wins on GS1 URIs,
     cryptobox elsewhere, the key procedure stays plaintext;
  k. a Twisted publisher: its key procedure answers a receiver and refuses another.

Every router and process started is stopped, also when a test fails."""

import asyncio
import json
import os
import subprocess
import sys

import pytest
from autobahn.wamp.exception import ApplicationError
from autobahn.wamp.serializer import CBORSerializer, JsonSerializer
from autobahn.wamp.types import CallOptions, PublishOptions, RegisterOptions

import wamp_session
import wampe2e
from wampe2e.autobahn import GS1_ENC_ALGO, attach, gs1_sender, key_procedure_ready

HERE = os.path.dirname(os.path.abspath(__file__))
PREFIX = "com.gs1."
TOPIC = "com.gs1.feed"
TIMEOUT = 20
SERIALIZERS = {"json": JsonSerializer, "cbor": CBORSerializer}


def run(coro):
    asyncio.run(asyncio.wait_for(coro, 60))


async def join(router, serializer="cbor"):
    return await wamp_session.join(router.url, router.port, serializer, timeout=TIMEOUT)

class Peer:
    """An identity, its Group, and (once joined) its attached session; records what
    its handlers get and what the guard refuses."""

    def __init__(self, seed=None, **params):
        self.seed = seed or os.urandom(32)
        self.identity = wampe2e.Identity.from_seed(self.seed)
        self.group = wampe2e.Group(self.identity, **params)
        self.events = []  # (first arg, sender)
        self.refused = []  # (code name, message type)
        self.session = None
        self.changed = asyncio.Event()

    @property
    def pk(self):
        return self.identity.public_key

    def trust(self, prefix, senders, receivers):
        self.group.set_entry(prefix, [p.pk for p in senders], [p.pk for p in receivers])

    def refuse(self, error, msg):
        self.refused.append((error.code_name, type(msg).__name__))
        self.changed.set()

    async def join(self, router, serializer="cbor", **attach_kw):
        self.session = await join(router, serializer)
        attach(self.session, None, group=self.group, on_refused=self.refuse, **attach_kw)
        await key_procedure_ready(self.session)
        return self

    async def subscribe(self, topic=TOPIC):
        def on_event(n, **kwargs):
            self.events.append((n, gs1_sender()))
            self.changed.set()

        await self.session.subscribe(on_event, topic)

    async def until(self, predicate, what):
        async def wait():
            while not predicate():
                self.changed.clear()
                await self.changed.wait()

        try:
            await asyncio.wait_for(wait(), TIMEOUT)
        except asyncio.TimeoutError:
            raise AssertionError(f"timed out waiting for {what}: {len(self.events)} events, refused {self.refused[-3:]}") from None

    def numbers(self):
        return [n for n, _ in self.events]

    def leave(self):
        if self.session is not None and self.session.is_attached():
            self.session.leave()


class Recorder:
    """A plain Autobahn session (no wampe2e) subscribed to a topic: what the router
    and any other subscriber without keys see."""

    def __init__(self):
        self.events = []  # (enc_algo, enc_serializer, enc_key, payload, args, kwargs)

    async def join(self, router, topic=TOPIC):
        self.session = await join(router, "cbor")
        deliver = self.session.onMessage

        def record(msg):
            if type(msg).__name__ == "Event":
                self.events.append((msg.enc_algo, msg.enc_serializer, msg.enc_key, msg.payload, msg.args, msg.kwargs))
                return None  # never to Autobahn's codec-less handling
            return deliver(msg)

        self.session.onMessage = record
        await self.session.subscribe(lambda *a, **k: None, topic)
        return self

    async def until(self, n):
        """Waits for ``n`` events: the recorder's connection is not the subscribers'."""
        for _ in range(TIMEOUT * 100):
            if len(self.events) >= n:
                return self.events
            await asyncio.sleep(0.01)
        raise AssertionError(f"the recorder saw {len(self.events)} events, expected {n}")


async def publish(peer, numbers, topic=TOPIC, ack_last=True):
    """Publishes events [n] with a marker kwarg; acknowledges the last one."""
    numbers = list(numbers)
    for i, n in enumerate(numbers):
        ack = ack_last and i == len(numbers) - 1
        f = peer.session.publish(topic, n, marker="secret-marker", options=PublishOptions(acknowledge=ack))
        if ack:
            await asyncio.wait_for(f, TIMEOUT)


class TwistedPeer:
    """gs1_twisted_peer.py as a subprocess; stopped by ``close`` (also on failure)."""

    def __init__(self, router, prefix, senders, receivers, topic=TOPIC):
        self.seed = os.urandom(32)
        self.pk = wampe2e.Identity.from_seed(self.seed).public_key
        self.config = {"url": router.url, "seed": self.seed.hex(), "prefix": prefix, "topic": topic,
                       "senders": [p.hex() for p in senders], "receivers": [p.hex() for p in receivers],
                       "hold_max_per_session": 2048}
        self.proc = None
        self.lines = []
        self.events = []
        self.refused = []

    async def start(self):
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, os.path.join(HERE, "gs1_twisted_peer.py"), json.dumps(self.config),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )
        await self.read_until(lambda: self.lines and self.lines[-1] == "READY", "READY")

    async def read_until(self, predicate, what):
        async def read():
            while not predicate():
                raw = await self.proc.stdout.readline()
                if not raw:
                    raise AssertionError("twisted peer exited:\n" + "\n".join(self.lines[-20:]))
                text = raw.decode().strip()
                self.lines.append(text)
                parts = text.split()
                if parts and parts[0] == "EVENT":
                    self.events.append((int(parts[1]), parts[2]))
                elif parts and parts[0] == "REFUSED":
                    self.refused.append(parts[1])

        try:
            await asyncio.wait_for(read(), TIMEOUT)
        except asyncio.TimeoutError:
            raise AssertionError(f"no {what} from the twisted peer:\n" + "\n".join(self.lines[-20:])) from None

    async def close(self):
        if self.proc is not None and self.proc.returncode is None:
            self.proc.terminate()
            try:
                await asyncio.wait_for(self.proc.wait(), 10)
            except asyncio.TimeoutError:
                self.proc.kill()
                await self.proc.wait()


# ---------------------------------------------------------------------------


def test_a_one_publisher_three_subscribers_1000_events(router):
    async def main():
        # The burst is sealed before the publisher (on this loop) answers the first
        # key request: the share may start up to 1000 messages back (share_backlog).
        pub, s1, s2 = Peer(share_backlog=1024), Peer(), Peer()
        tw = TwistedPeer(router, PREFIX, [pub.pk], [])
        receivers = [s1, s2]
        everyone = [pub.pk, s1.pk, s2.pk, tw.pk]
        tw.config["receivers"] = [k.hex() for k in everyone[1:]]
        for p in (pub, s1, s2):
            p.group.set_entry(PREFIX, [pub.pk], everyone[1:])
        try:
            await pub.join(router)
            for s, serializer in zip(receivers, ("cbor", "json")):  # binary as CBOR bytes and as JSON's "\u0000"+base64
                await s.join(router, serializer, hold_max_per_session=2048)
                await s.subscribe()
            await tw.start()
            rec = await Recorder().join(router)
            await publish(pub, range(1000))
            for s in receivers:
                await s.until(lambda s=s: len(s.events) >= 1000, "1000 events")
            await tw.read_until(lambda: len(tw.events) >= 1000, "1000 events")
            await asyncio.sleep(0.2)  # nothing more may come
            for s in receivers:
                assert s.numbers() == list(range(1000))
                assert all(sender == pub.pk for _, sender in s.events)
                assert s.refused == []
            assert [n for n, _ in tw.events] == list(range(1000))
            assert all(fp == pub.identity.fingerprint for _, fp in tw.events)
            assert tw.refused == []
            # The router's view: GS1 envelopes only, one session, no plaintext.
            await rec.until(1000)
            assert len(rec.events) == 1000
            session_ids = set()
            for algo, ser, key, payload, args, kwargs in rec.events:
                assert (algo, ser) == (GS1_ENC_ALGO, "cbor")
                assert isinstance(payload, bytes) and args is None and kwargs is None
                assert b"secret-marker" not in payload
                session_ids.add(key)
            assert session_ids == {pub.group.current_session(PREFIX)["session_id"].hex()}
        finally:
            await tw.close()
            for p in (pub, s1, s2):
                p.leave()

    run(main())


def test_b_revocation_mid_stream(router):
    async def main():
        pub, s1, s2, s3 = Peer(share_backlog=256), Peer(), Peer(), Peer()
        subs = [s1, s2, s3]
        for p in [pub] + subs:
            p.trust(PREFIX, [pub], subs)
        try:
            await pub.join(router)
            for s in subs:
                await s.join(router, hold_max_per_session=512)
                await s.subscribe()
            await publish(pub, range(100))
            for s in subs:
                await s.until(lambda s=s: len(s.events) >= 100, "the first 100 events")
            old = pub.group.current_session(PREFIX)["session_id"]
            pub.trust(PREFIX, [pub], [s1, s2])  # s3 removed: the next seal rotates
            await publish(pub, range(100, 200))
            assert pub.group.current_session(PREFIX)["session_id"] != old
            for s in (s1, s2):
                await s.until(lambda s=s: len(s.events) >= 200, "200 events")
            await s3.until(lambda: len(s3.refused) >= 100, "100 refusals")
            await asyncio.sleep(0.2)
            for s in (s1, s2):
                assert s.numbers() == list(range(200)) and s.refused == []
            assert s3.numbers() == list(range(100))
            assert s3.refused == [("WAMPE2E_KEY_REFUSED", "Event")] * 100
        finally:
            for p in [pub] + subs:
                p.leave()

    run(main())


def test_c_late_joiner_reads_from_its_join_on(router):
    async def main():
        pub, early, late = Peer(share_backlog=64), Peer(), Peer()
        for p in (pub, early, late):
            p.trust(PREFIX, [pub], [early, late])
        try:
            await pub.join(router)
            rec = await Recorder().join(router)
            await early.join(router)
            await early.subscribe()
            await publish(pub, range(50))
            await early.until(lambda: len(early.events) >= 50, "50 events")
            await late.join(router)
            await late.subscribe()
            await publish(pub, range(50, 60))
            await late.until(lambda: len(late.events) >= 10, "10 events")
            await early.until(lambda: len(early.events) >= 60, "60 events")
            assert late.numbers() == list(range(50, 60)) and late.refused == []
            assert early.numbers() == list(range(60))
            # The share started at the first event the joiner met (index 50): the
            # envelopes from before its join do not open for it, within the backlog or not.
            assert late.group.sessions_held == 1
            await rec.until(60)
            for _algo, _ser, key, payload, _a, _k in rec.events[:50]:
                with pytest.raises(wampe2e.TooOldError):
                    late.group.open(TOPIC, payload, key_id=key)
        finally:
            for p in (pub, early, late):
                p.leave()

    run(main())


def test_d_publisher_restart_starts_a_new_session(router):
    async def main():
        seed = os.urandom(32)
        pub1, sub = Peer(seed), Peer()
        pub2 = Peer(seed)  # the same identity, a new process's state
        for p in (pub1, pub2, sub):
            p.trust(PREFIX, [pub1], [sub])
        try:
            rec = await Recorder().join(router)
            await pub1.join(router)
            await sub.join(router)
            await sub.subscribe()
            await publish(pub1, range(10))
            await sub.until(lambda: len(sub.events) >= 10, "10 events")
            pub1.session.leave()
            for _ in range(TIMEOUT * 100):  # until the router said goodbye: its registration is gone
                if not pub1.session.is_attached():
                    break
                await asyncio.sleep(0.01)
            await pub2.join(router)
            await publish(pub2, range(10, 20))
            await sub.until(lambda: len(sub.events) >= 20, "20 events")
            assert sub.numbers() == list(range(20)) and sub.refused == []
            assert all(sender == pub1.pk for _, sender in sub.events)
            keys = [e[2] for e in await rec.until(20)]
            assert len(set(keys[:10])) == 1 and len(set(keys[10:])) == 1 and keys[0] != keys[10]
        finally:
            for p in (pub1, pub2, sub):
                p.leave()

    run(main())


def test_e_rpc_caller_identity_sealed_results_errors_and_progress(router):
    async def main():
        caller, callee, other = Peer(), Peer(), Peer()
        for p in (caller, callee, other):
            p.trust("com.gs1.rpc.", [caller], [callee, other])
        raw = []  # what reached the caller's transport, before wampe2e
        sent = []  # what left the callee's transport
        try:
            await callee.join(router)
            await other.join(router)
            await caller.join(router)
            fetches = []
            transport = callee.session._transport
            callee_send = transport.send

            def counting(msg):
                if type(msg).__name__ == "Call":
                    fetches.append(msg.procedure)
                return callee_send(msg)

            transport.send = counting
            guarded = caller.session.onMessage

            def record(msg):
                if type(msg).__name__ in ("Result", "Error"):
                    raw.append((type(msg).__name__, msg.enc_algo, msg.enc_key, msg.payload, msg.args))
                return guarded(msg)

            caller.session.onMessage = record

            async def whoami(*args, details=None):
                await asyncio.sleep(0.01)  # the identity survives an await
                return {"caller": gs1_sender().hex(), "args": list(args)}

            def fails(reason):
                raise ApplicationError("com.gs1.rpc.failed", reason, detail=gs1_sender().hex())

            async def count(n, details=None):
                for i in range(n):
                    details.progress(i, stage="progress-marker")
                return n

            await callee.session.register(whoami, "com.gs1.rpc.whoami", options=RegisterOptions(details_arg="details"))
            await callee.session.register(fails, "com.gs1.rpc.fails")
            await callee.session.register(count, "com.gs1.rpc.count", options=RegisterOptions(details_arg="details"))
            guard = callee.session._wampe2e_guard  # what leaves after wampe2e
            wire_send = guard.original_send

            def leaving(msg):
                if type(msg).__name__ in ("Yield", "Error"):
                    sent.append((type(msg).__name__, msg.enc_algo, msg.payload, msg.args))
                return wire_send(msg)

            guard.original_send = leaving

            result = await asyncio.wait_for(caller.session.call("com.gs1.rpc.whoami", "hello-marker"), TIMEOUT)
            assert result == {"caller": caller.identity.fingerprint, "args": ["hello-marker"]}
            with pytest.raises(ApplicationError) as e:
                await asyncio.wait_for(caller.session.call("com.gs1.rpc.fails", "why-marker"), TIMEOUT)
            assert e.value.error == "com.gs1.rpc.failed"
            assert list(e.value.args) == ["why-marker"] and e.value.kwargs == {"detail": caller.identity.fingerprint}
            progress = []
            result = await asyncio.wait_for(
                caller.session.call("com.gs1.rpc.count", 3, options=CallOptions(on_progress=lambda i, **kw: progress.append((i, kw)))),
                TIMEOUT,
            )
            assert result == 3 and progress == [(i, {"stage": "progress-marker"}) for i in range(3)]
            # Every reply travelled sealed to the caller only (no key id, no plaintext).
            replies = [r for r in raw if r[0] in ("Result", "Error")]
            assert len(replies) == 6  # whoami, fails, 3 progress + 1 result
            for _kind, algo, key, payload, args in replies:
                assert algo == GS1_ENC_ALGO and key is None and args is None
                assert b"marker" not in payload
            assert len(sent) == 6
            assert all(algo == GS1_ENC_ALGO and b"marker" not in payload for _k, algo, payload, _a in sent)
            # Another receiver of the prefix (a callee too) cannot open a reply: only
            # the caller holds the call's reply secret.
            with pytest.raises(wampe2e.UnsolicitedError):
                other.group.open_reply(bytes(32), replies[0][3], kind="result")
            # The first INVOCATION was held while the callee fetched the caller's
            # session (one fetch), and ran once the key arrived.
            assert fetches == [caller.group.key_procedure()]
            assert caller.group.pending_calls == 0
            assert caller.refused == [] and callee.refused == []
        finally:
            for p in (caller, callee, other):
                p.leave()

    run(main())


def test_f_held_not_dropped_refused_fetch_and_overflow(router):
    async def main():
        pub, sub, outsider, small = Peer(), Peer(), Peer(), Peer()
        # The publisher authorizes sub and small; outsider trusts the publisher but
        # is no receiver: its fetch is refused.
        pub.trust(PREFIX, [pub], [sub, small])
        for p in (sub, outsider, small):
            p.trust(PREFIX, [pub], [sub, outsider, small])
        fetches = {}
        try:
            await pub.join(router)
            await sub.join(router)
            await outsider.join(router)
            await small.join(router, hold_max_per_session=2)
            for p in (sub, outsider, small):
                await p.subscribe()
                transport = p.session._transport
                send = transport.send

                def counting(msg, p=p, send=send):
                    if type(msg).__name__ == "Call" and msg.procedure.startswith("wampe2e.key."):
                        fetches[id(p)] = fetches.get(id(p), 0) + 1
                    return send(msg)

                transport.send = counting
            errors = []  # what reached the outsider, before wampe2e
            guarded = outsider.session.onMessage

            def record(msg):
                if type(msg).__name__ == "Error":
                    errors.append((msg.error, msg.args, msg.kwargs, msg.enc_algo))
                return guarded(msg)

            outsider.session.onMessage = record
            # Ten events in one burst: all reach the subscribers before the key does.
            await publish(pub, range(10))
            await sub.until(lambda: len(sub.events) >= 10, "10 events")
            await outsider.until(lambda: len(outsider.refused) >= 10, "10 refusals")
            await small.until(lambda: len(small.events) + len(small.refused) >= 10, "10 outcomes")
            # Held, then delivered in order after one fetch.
            assert sub.numbers() == list(range(10)) and sub.refused == [] and fetches[id(sub)] == 1
            # The refused fetch: every held event reported with its code, nothing opened.
            assert outsider.events == []
            assert outsider.refused == [("WAMPE2E_KEY_REFUSED", "Event")] * 10 and fetches[id(outsider)] == 1
            # The key procedure's refusal on the wire: the code only (docs/gs1.md §11.4).
            assert errors == [("wampe2e.error.key_refused", [], {"code": "WAMPE2E_KEY_REFUSED"}, None)]
            # Two held, the rest past the bound.
            assert small.numbers() == [0, 1]
            assert small.refused == [("WAMPE2E_HOLD_OVERFLOW", "Event")] * 8
            # Once the session is held, later events open directly.
            await publish(pub, range(10, 13))
            await sub.until(lambda: len(sub.events) >= 13, "13 events")
            await small.until(lambda: len(small.events) >= 5, "5 events")
            assert small.numbers() == [0, 1, 10, 11, 12] and fetches[id(small)] == 1
        finally:
            for p in (pub, sub, outsider, small):
                p.leave()

    run(main())


def test_g_twisted_callee_learns_the_caller(router):
    """A callee on Twisted: the INVOCATION is held while it fetches the caller's
    session, then runs; gs1_sender() survives an await on the reactor."""

    async def main():
        caller = Peer()
        tw = TwistedPeer(router, "com.gs1.", [caller.pk], [])
        tw.config["receivers"] = [tw.pk.hex()]
        tw.config["procedure"] = "com.gs1.tw.whoami"
        caller.group.set_entry("com.gs1.", [caller.pk], [tw.pk])
        try:
            await caller.join(router)
            await tw.start()
            for i in range(3):
                result = await asyncio.wait_for(caller.session.call("com.gs1.tw.whoami", i), TIMEOUT)
                assert result == {"caller": caller.identity.fingerprint, "args": [i]}
            invoked = lambda: [line for line in tw.lines if line.startswith("INVOKED")]  # noqa: E731
            await tw.read_until(lambda: len(invoked()) >= 3, "3 INVOKED")
            assert tw.refused == [] and caller.refused == []
            assert invoked() == [f"INVOKED {caller.identity.fingerprint}"] * 3
        finally:
            await tw.close()
            caller.leave()

    run(main())


def test_h_strict_plaintext_other_dialects_replays_and_strangers_refused(router):
    """On a GS1 URI: plaintext is UnexpectedPlaintext, cryptobox InvalidEnvelope, a
    replayed genuine envelope Replayed, an envelope from an identity the entry does
    not list UntrustedSender; a plaintext CALL is answered with the refusal ERROR;
    honest traffic keeps flowing."""

    async def main():
        from autobahn.wamp import cryptobox
        from autobahn.wamp.types import EncodedPayload

        pub, sub, stranger = Peer(), Peer(), Peer()
        for p in (pub, sub):
            p.trust(PREFIX, [pub], [sub])
        stranger.trust(PREFIX, [stranger], [sub])
        plain = None
        try:
            rec = await Recorder().join(router)
            await pub.join(router)
            await sub.join(router)
            await stranger.join(router)
            await sub.subscribe()
            await sub.session.register(lambda x: x, "com.gs1.echo")
            await publish(pub, [0])
            await sub.until(lambda: len(sub.events) == 1, "the honest event")
            plain = await join(router, "json")
            await asyncio.wait_for(plain.publish(TOPIC, "forged", options=PublishOptions(acknowledge=True)), TIMEOUT)
            ring = cryptobox.KeyRing(cryptobox.Key(originator_priv=cryptobox.KeyRing().generate_key()[0],
                                                   responder_pub=cryptobox.KeyRing().generate_key()[1]))
            plain.set_payload_codec(ring)
            await asyncio.wait_for(plain.publish(TOPIC, "cryptobox", options=PublishOptions(acknowledge=True)), TIMEOUT)
            # The router replays the genuine envelope it forwarded.
            _algo, _ser, key, envelope, _a, _k = (await rec.until(1))[0]

            class Replay:
                def encode(self, is_originating, uri, args=None, kwargs=None):
                    return EncodedPayload(envelope, GS1_ENC_ALGO, "cbor", key)

            plain.set_payload_codec(Replay())
            await asyncio.wait_for(plain.publish(TOPIC, "replay", options=PublishOptions(acknowledge=True)), TIMEOUT)
            plain.set_payload_codec(None)
            await publish(stranger, [99])
            with pytest.raises(ApplicationError) as e:
                await asyncio.wait_for(plain.call("com.gs1.echo", "forged"), TIMEOUT)
            assert e.value.error == "wampe2e.error.unexpected_plaintext"
            assert e.value.kwargs == {"code": "WAMPE2E_UNEXPECTED_PLAINTEXT"} and list(e.value.args) == []
            await publish(pub, [1])
            await sub.until(lambda: len(sub.events) == 2, "the second honest event")
            assert sub.numbers() == [0, 1]
            assert sub.refused == [
                ("WAMPE2E_UNEXPECTED_PLAINTEXT", "Event"),
                ("WAMPE2E_INVALID_ENVELOPE", "Event"),
                ("WAMPE2E_REPLAYED", "Event"),
                ("WAMPE2E_UNTRUSTED_SENDER", "Event"),
                ("WAMPE2E_UNEXPECTED_PLAINTEXT", "Invocation"),
            ]
        finally:
            if plain is not None and plain.is_attached():
                plain.leave()
            for p in (pub, sub, stranger):
                p.leave()

    run(main())


def test_i_failed_and_unanswered_fetches_are_key_fetch_failed(router):
    """No key procedure (the router's wamp.error.no_such_procedure), then a key
    procedure that never answers (hold_ms passes): the held events are reported
    with KeyFetchFailedError, nothing is delivered."""

    async def main():
        pub, lost, waiting = Peer(), Peer(), Peer()
        for p in (pub, lost, waiting):
            p.trust(PREFIX, [pub], [lost, waiting])
        hanging = None
        try:
            await pub.join(router, key_procedure_base="elsewhere.key")  # not where receivers look
            await lost.join(router)
            await lost.subscribe()
            await publish(pub, range(3))
            await lost.until(lambda: len(lost.refused) >= 3, "3 refusals")
            assert lost.events == [] and lost.refused == [("WAMPE2E_KEY_FETCH_FAILED", "Event")] * 3

            hanging = await join(router)
            never = asyncio.get_running_loop().create_future()

            async def silent(*args):
                return await never

            await hanging.register(silent, pub.group.key_procedure())
            await waiting.join(router, hold_ms=300)
            await waiting.subscribe()
            started = asyncio.get_running_loop().time()
            await publish(pub, range(3, 6))
            await waiting.until(lambda: len(waiting.refused) >= 3, "3 refusals")
            assert asyncio.get_running_loop().time() - started >= 0.29
            assert waiting.events == [] and waiting.refused == [("WAMPE2E_KEY_FETCH_FAILED", "Event")] * 3
        finally:
            if hanging is not None and hanging.is_attached():
                hanging.leave()
            for p in (pub, lost, waiting):
                p.leave()

    run(main())


def test_j_gs1_wins_over_the_keyring_and_key_procedures_stay_plain(router):
    """attach(session, keyring, group=group) with a keyring whose default key covers
    every URI: GS1 URIs travel as GS1, the others as cryptobox, and the key
    procedure (covered by the default key too) stays plaintext and works."""

    async def main():
        from wampe2e.autobahn import KeyRing

        secret = wampe2e.generate_keypair()[0]
        pub, sub = Peer(), Peer()
        for p in (pub, sub):
            p.trust(PREFIX, [pub], [sub])
        gs1_rec, box_rec = Recorder(), Recorder()
        try:
            await gs1_rec.join(router, TOPIC)
            await box_rec.join(router, "com.other.feed")
            for p in (pub, sub):
                p.session = await join(router)
                attach(p.session, KeyRing(secret), group=p.group, on_refused=p.refuse)
                await key_procedure_ready(p.session)
            await sub.subscribe(TOPIC)
            await sub.subscribe("com.other.feed")
            await publish(pub, [1], TOPIC)
            await publish(pub, [2], "com.other.feed")
            await sub.until(lambda: len(sub.events) >= 2, "2 events")
            assert sorted(sub.numbers()) == [1, 2] and sub.refused == []
            assert dict(sub.events)[1] == pub.pk and dict(sub.events)[2] is None  # only GS1 names a sender
            assert [(e[0], e[1]) for e in await gs1_rec.until(1)] == [(GS1_ENC_ALGO, "cbor")]
            assert [(e[0], e[1]) for e in await box_rec.until(1)] == [("cryptobox", "json")]
        finally:
            for p in (pub, sub):
                p.leave()

    run(main())


def test_k_twisted_publisher_answers_and_refuses_key_requests(router):
    async def main():
        sub, outsider = Peer(), Peer()
        tw = TwistedPeer(router, PREFIX, [], [sub.pk], topic="com.gs1.unused")
        tw.config["senders"] = [tw.pk.hex()]
        tw.config["publish"] = {"trigger": "ctl.go", "topic": TOPIC, "count": 20}
        sub.group.set_entry(PREFIX, [tw.pk], [sub.pk])
        outsider.group.set_entry(PREFIX, [tw.pk], [outsider.pk])  # the publisher does not list it
        trigger = None
        try:
            await tw.start()
            for p in (sub, outsider):
                await p.join(router)
                await p.subscribe()
            trigger = await join(router)
            await asyncio.wait_for(trigger.publish("ctl.go", options=PublishOptions(acknowledge=True)), TIMEOUT)
            await sub.until(lambda: len(sub.events) >= 20, "20 events")
            await outsider.until(lambda: len(outsider.refused) >= 20, "20 refusals")
            assert sub.numbers() == list(range(20)) and all(s == tw.pk for _, s in sub.events)
            assert outsider.events == [] and outsider.refused == [("WAMPE2E_KEY_REFUSED", "Event")] * 20
        finally:
            if trigger is not None and trigger.is_attached():
                trigger.leave()
            await tw.close()
            for p in (sub, outsider):
                p.leave()

    run(main())
