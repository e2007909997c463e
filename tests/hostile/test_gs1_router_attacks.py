"""The router is the adversary, GS1 edition, part two: the attacks of docs/gs1.md §2
that test_gs1_autobahn_python.py does not make. As there, an Autobahn|Python victim
attached with a ``wampe2e.Group`` sits behind the hostile proxy in front of a real
Crossbar.io, and an honest GS1 peer is connected to the router directly.

  - reorder: event 2 before event 1 (both open); event 1 of a session before event
    0 (the share starts at 1: event 0 is TooOld); an event held back past 100 later
    ones (beyond the 64-index replay window, its key still in the skipped-key
    cache: it opens, once; delivered again, TooOld); an event held back past 2001
    later ones (its skipped key evicted by the 2000-key limit: TooOld, while its
    neighbour still opens);
  - forged signer: a genuine envelope re-signed by an identity the victim does not
    pin (UntrustedSender), re-signed keeping the genuine sender (BadSignature), a
    bit flipped in the signature (BadSignature); the forgeries burn nothing (the
    genuine envelope of a forged index still opens afterwards);
  - the router answers the victim's key request itself with a share it made up
    (signed as itself: Unsolicited; claiming the sender: BadSignature); the held
    events are refused with that code, then the genuine answer gets through and
    the events after it open;
  - a replayed key request: the sender answers again; only the original requester
    opens that answer (the router puts it in place of the genuine one and the
    victim accepts it); another receiver of the prefix and the router cannot use it.

A swapped key id attribute (KeyIdMismatch) is in test_gs1_autobahn_python.py.
Every attack is refused with its code while honest traffic on the same session keeps
flowing."""

import asyncio
import hashlib
import os
import struct

import nacl.exceptions
import nacl.public
import nacl.signing
from autobahn.wamp.types import PublishOptions
from proxy import TO_CLIENT, TO_ROUTER, HostileProxy

import pytest

import wamp_session
import wampe2e
from wampe2e.autobahn import attach, key_procedure_ready

EVENT, RESULT, CALL = 36, 50, 48
PREFIX = "com.gs1."
TOPIC = "com.gs1.feed"
TIMEOUT = 20
L_MSG = b"wampe2e/gs1/msg\x00"
L_KEYRESP = b"wampe2e/gs1/keyresp\x00"


def run(coro):
    asyncio.run(asyncio.wait_for(coro, 60))


async def connect(url, port, serializer):
    return await wamp_session.join(url, port, serializer, timeout=TIMEOUT)

def index_of(envelope):
    """The session message's index (docs/gs1.md §8.1: u32 at offset 51)."""
    return struct.unpack(">I", envelope[51:55])[0]


class Scene:
    """The victim (through the proxy) subscribed to com.gs1.feed; the honest peer
    (direct) publishes. Both are senders and receivers of com.gs1., and so is
    ``third`` (an identity that never connects)."""

    def __init__(self, router, proxy, serializer="cbor", hold_ms=10000, share_backlog=None):
        self.router, self.proxy, self.serializer = router, proxy, serializer
        self.hold_ms, self.share_backlog = hold_ms, share_backlog
        self.refused, self.events = [], []
        self.changed = asyncio.Event()

    async def __aenter__(self):
        ids = [wampe2e.Identity.generate() for _ in range(3)]
        keys = [i.public_key for i in ids]
        self.groups = []
        for i in ids:
            g = wampe2e.Group(i, share_backlog=self.share_backlog)
            g.set_entry(PREFIX, keys, keys)
            self.groups.append(g)
        self.victim_group, self.honest_group, self.third = self.groups
        self.honest_pk = ids[1].public_key
        self.victim = await connect(self.proxy.url, self.proxy.port, self.serializer)
        attach(self.victim, None, group=self.victim_group, on_refused=self.refuse, hold_ms=self.hold_ms,
               hold_max_per_session=4096)
        self.honest = await connect(self.router.url, self.router.port, self.serializer)
        attach(self.honest, None, group=self.honest_group)
        await key_procedure_ready(self.victim)
        await key_procedure_ready(self.honest)

        def on_event(value):
            self.events.append(value)
            self.changed.set()

        await self.victim.subscribe(on_event, TOPIC)
        self.conn = self.proxy.connections[-1]
        return self

    async def __aexit__(self, *exc):
        for s in (self.victim, self.honest):
            if s.is_attached():
                s.leave()
        await asyncio.sleep(0.1)
        return False

    def refuse(self, error, msg):
        self.refused.append(error.code_name)
        self.changed.set()

    async def publish(self, *values):
        for i, v in enumerate(values):
            f = self.honest.publish(TOPIC, v, options=PublishOptions(acknowledge=i == len(values) - 1))
            if i == len(values) - 1:
                await asyncio.wait_for(f, TIMEOUT)

    async def until(self, predicate, what):
        async def wait():
            while not predicate():
                self.changed.clear()
                await self.changed.wait()

        try:
            await asyncio.wait_for(wait(), TIMEOUT)
        except asyncio.TimeoutError:
            raise AssertionError(f"timed out waiting for {what}: events {self.events[-5:]}, refused {self.refused}") from None

    async def outcomes(self, n):
        """Waits until ``n`` events were delivered or refused in all; nothing more may come."""
        await self.until(lambda: len(self.events) + len(self.refused) >= n, f"{n} outcomes")
        await asyncio.sleep(0.05)
        assert len(self.events) + len(self.refused) == n, (self.events, self.refused)

    def key_calls(self):
        """The victim's CALLs to the honest peer's key procedure, as the proxy saw them."""
        proc = self.honest_group.key_procedure()
        return [m for m in self.conn.seen[TO_ROUTER] if m[0] == CALL and m[3] == proc]


def withhold(proxy, indices):
    """Keeps EVENTs whose envelope index is in ``indices`` from the victim (returned
    in a dict index -> message); everything else passes."""
    kept = {}

    def hook(conn, direction, msg):
        if direction == TO_CLIENT and msg[0] == EVENT and index_of(msg[4]) in indices:
            kept[index_of(msg[4])] = msg
            return []
        return None

    proxy.hook = hook
    return kept


async def deliver(s, msg, n):
    """Injects ``msg`` towards the victim and waits until it has ``n`` outcomes."""
    await s.conn.to_client(msg)
    await s.outcomes(n)


@pytest.mark.parametrize("serializer", ["cbor", "json"])
def test_router_reorders_gs1_events_within_the_window(router, serializer):
    async def main():
        async with HostileProxy(router.url) as proxy, Scene(router, proxy, serializer) as s:
            await s.publish("zero")
            await s.outcomes(1)
            kept = withhold(proxy, {1})
            await s.publish("one", "two")
            await s.outcomes(2)
            proxy.hook = lambda *a: None
            await deliver(s, kept[1], 3)  # event 2 arrived before event 1: both open
            assert s.events == ["zero", "two", "one"] and s.refused == []
            await s.publish("three")
            await s.outcomes(4)
            assert s.events == ["zero", "two", "one", "three"] and s.refused == []

    run(main())


def test_router_reorders_first_gs1_events_around_the_key_fetch(router):
    """Event 1 of a session the victim does not hold yet, before event 0: the
    victim fetches the session from index 1 (the first it met, docs/gs1.md §11.6),
    so event 0, held or not, is below the share's start: TooOld. The rest flows."""

    async def main():
        async with HostileProxy(router.url) as proxy, Scene(router, proxy) as s:
            kept = withhold(proxy, {0})
            await s.publish("zero", "one")
            await s.outcomes(1)
            proxy.hook = lambda *a: None
            assert s.events == ["one"]
            await deliver(s, kept[0], 2)
            assert s.refused == ["WAMPE2E_TOO_OLD"]
            await s.publish("two")
            await s.outcomes(3)
            assert s.events == ["one", "two"] and s.refused == ["WAMPE2E_TOO_OLD"]
            assert len(s.key_calls()) == 1

    run(main())


def test_router_holds_gs1_event_back_past_later_events(router):
    """Held back past 100 later events (beyond the 64-index replay window): the
    spec accepts a delay (its key waits in the skipped-key cache), so it opens,
    once; the same envelope again is TooOld (below the window, its key gone)."""

    async def main():
        async with HostileProxy(router.url) as proxy, Scene(router, proxy) as s:
            await s.publish("zero")
            await s.outcomes(1)
            kept = withhold(proxy, {1})
            await s.publish(*range(1, 102))
            await s.outcomes(101)
            proxy.hook = lambda *a: None
            assert s.events == ["zero"] + list(range(2, 102))
            await deliver(s, kept[1], 102)
            assert s.events[-1] == 1 and s.refused == []
            await deliver(s, kept[1], 103)
            assert s.refused == ["WAMPE2E_TOO_OLD"]
            await s.publish("honest")
            await s.outcomes(104)
            assert s.events == ["zero"] + list(range(2, 102)) + [1, "honest"]
            assert s.refused == ["WAMPE2E_TOO_OLD"]

    run(main())


def test_router_reorders_gs1_event_beyond_the_skipped_key_cache(router):
    """Events 1..2001 held back, event 2002 delivered: the victim derives 2001
    skipped keys and evicts the oldest (max_skipped 2000). Event 1 is then TooOld;
    event 2 still opens; honest traffic goes on."""

    async def main():
        async with HostileProxy(router.url) as proxy, Scene(router, proxy) as s:
            await s.publish("zero")
            await s.outcomes(1)
            kept = withhold(proxy, set(range(1, 2002)))
            await s.publish(*range(1, 2003))
            await s.outcomes(2)
            proxy.hook = lambda *a: None
            assert s.events == ["zero", 2002] and len(kept) == 2001
            await deliver(s, kept[1], 3)
            assert s.refused == ["WAMPE2E_TOO_OLD"]
            await deliver(s, kept[2], 4)
            assert s.events == ["zero", 2002, 2]
            await s.publish("honest")
            await s.outcomes(5)
            assert s.events == ["zero", 2002, 2, "honest"] and s.refused == ["WAMPE2E_TOO_OLD"]

    run(main())


def test_router_resigns_gs1_event_and_flips_a_signature_bit(router):
    async def main():
        async with HostileProxy(router.url) as proxy, Scene(router, proxy) as s:
            mallory = nacl.signing.SigningKey(os.urandom(32))
            mallory_pk = bytes(mallory.verify_key)
            assert mallory_pk not in s.victim_group.entry(PREFIX)[0]
            await s.publish("zero")
            await s.outcomes(1)
            genuine = {}

            def resign(sender):
                def tamper(conn, m):
                    env = m[4]
                    genuine[index_of(env)] = m
                    header = env[:3] + sender + env[35:87]
                    ct = env[87:-64]
                    uri = TOPIC.encode()
                    sig = mallory.sign(L_MSG + header + struct.pack(">I", len(uri)) + uri + ct).signature
                    return [m[:4] + [header + ct + sig]]

                return tamper

            # Re-signed by an identity the victim does not pin, as that identity.
            proxy.once(TO_CLIENT, EVENT, resign(mallory_pk))
            await s.publish("one")
            await s.outcomes(2)
            assert s.refused == ["WAMPE2E_UNTRUSTED_SENDER"]
            # Re-signed by that identity, still naming the honest sender.
            proxy.once(TO_CLIENT, EVENT, resign(s.honest_pk))
            await s.publish("two")
            await s.outcomes(3)
            assert s.refused[-1] == "WAMPE2E_BAD_SIGNATURE"

            def flip(conn, m):
                genuine[index_of(m[4])] = m
                env = bytearray(m[4])
                env[-10] ^= 0x01
                return [m[:4] + [bytes(env)]]

            proxy.once(TO_CLIENT, EVENT, flip)
            await s.publish("three")
            await s.outcomes(4)
            assert s.refused == ["WAMPE2E_UNTRUSTED_SENDER", "WAMPE2E_BAD_SIGNATURE", "WAMPE2E_BAD_SIGNATURE"]
            await s.publish("four")
            await s.outcomes(5)
            assert s.events == ["zero", "four"]
            # The forgeries burned nothing: the genuine envelopes of the forged
            # indices (held back by the router) still open, once each.
            for i, n in ((1, 6), (2, 7), (3, 8)):
                await deliver(s, genuine[i], n)
            assert s.events == ["zero", "four", "one", "two", "three"]
            assert len(s.refused) == 3

    run(main())


def _forged_response(request, sender, signer):
    """A key response the router makes for ``request`` (docs/gs1.md §11.1-11.3):
    a share of a chain key it chose, sealed to the requester's reply key, signed
    by ``signer`` (the router has no sender identity key)."""
    requester, sid, from_index = request[3:35], request[67:83], request[83:87]
    reply_public, (plen,) = request[87:119], struct.unpack(">I", request[127:131])
    prefix = request[131:131 + plen]
    share = (b"\x01\x01\x12" + sender + requester + sid + from_index + os.urandom(32)
             + struct.pack(">QQ", 1, 2**62) + struct.pack(">I", len(prefix)) + prefix)
    sealed = nacl.public.SealedBox(nacl.public.PublicKey(reply_public)).encrypt(share)
    body = b"\x01\x01\x11" + sender + hashlib.sha256(request).digest() + sealed
    return body + signer.sign(L_KEYRESP + body).signature


def test_router_answers_gs1_key_request_itself(router):
    async def main():
        hold_ms = 1500  # long enough that the next publish surely falls within it
        async with HostileProxy(router.url) as proxy, Scene(router, proxy, hold_ms=hold_ms) as s:
            rogue = nacl.signing.SigningKey(os.urandom(32))
            proc = s.honest_group.key_procedure()
            forging = []  # the sender field of the next forged answers
            calls = {}

            def hook(conn, direction, msg):
                if direction == TO_ROUTER and msg[0] == CALL and msg[3] == proc:
                    calls[msg[1]] = msg[4][0]
                elif direction == TO_CLIENT and msg[0] == RESULT and msg[1] in calls and forging:
                    # The genuine answer is dropped; the router's own goes in its place.
                    return [[RESULT, msg[1], {}, [_forged_response(calls[msg[1]], forging.pop(0), rogue)]]]
                return None

            proxy.hook = hook
            # 1. Signed as the router itself (its key in the sender field).
            forging.append(bytes(rogue.verify_key))
            await s.publish("zero")
            await s.outcomes(1)
            assert s.refused == ["WAMPE2E_UNSOLICITED"]
            # Within hold_ms, the session's next events are refused with the same
            # code without a new request (docs/gs1.md §11.6).
            await s.publish("one")
            await s.outcomes(2)
            assert s.refused == ["WAMPE2E_UNSOLICITED"] * 2 and len(s.key_calls()) == 1
            await asyncio.sleep(hold_ms / 1000 + 0.1)
            # 2. Claiming to be the honest sender: the signature does not verify.
            forging.append(s.honest_pk)
            await s.publish("two")
            await s.outcomes(3)
            assert s.refused == ["WAMPE2E_UNSOLICITED"] * 2 + ["WAMPE2E_BAD_SIGNATURE"]
            await asyncio.sleep(hold_ms / 1000 + 0.1)
            # 3. The genuine answer passes: the events after it open.
            await s.publish("three")
            await s.outcomes(4)
            await s.publish("four", "five")
            await s.outcomes(6)
            assert s.events == ["three", "four", "five"]
            assert s.refused == ["WAMPE2E_UNSOLICITED"] * 2 + ["WAMPE2E_BAD_SIGNATURE"]
            assert len(s.key_calls()) == 3 and not forging
            assert s.victim_group.sessions_held == 1 and s.victim_group.pending_key_requests == 0

    run(main())


def test_router_replays_gs1_key_request(router):
    async def main():
        async with HostileProxy(router.url) as proxy, Scene(router, proxy) as s:
            proc = s.honest_group.key_procedure()
            state = {}
            REPLAY = 777002

            def hook(conn, direction, msg):
                if direction == TO_ROUTER and msg[0] == CALL and msg[3] == proc and "request" not in state:
                    state["request"], state["id"] = msg[4][0], msg[1]
                    conn.to_router([CALL, REPLAY, {}, proc, [msg[4][0]]])  # the replay
                elif direction == TO_CLIENT and msg[0] == RESULT and msg[1] == REPLAY:
                    state["replayed"] = msg[3][0]
                    if "genuine" in state:  # the genuine answer waits: send the replayed one in its place
                        conn.to_client([RESULT, state["id"], {}, [msg[3][0]]])
                    return []
                elif direction == TO_CLIENT and msg[0] == RESULT and msg[1] == state.get("id"):
                    state["genuine"] = msg[3][0]
                    if "replayed" in state:
                        return [[RESULT, msg[1], {}, [state["replayed"]]]]
                    return []
                return None

            proxy.hook = hook
            await s.publish("zero")
            await s.outcomes(1)
            await s.publish("one")
            await s.outcomes(2)
            # The victim opened with the answer to the replayed request: it is the
            # original requester, and only it holds the request's reply secret.
            assert s.events == ["zero", "one"] and s.refused == []
            request, genuine, replayed = state["request"], state["genuine"], state["replayed"]
            request_hash = hashlib.sha256(request).digest()
            # The sender answered both (it keeps no record of requests), each freshly sealed.
            verify = nacl.signing.VerifyKey(s.honest_pk)
            for answer in (genuine, replayed):
                assert answer[:3] == b"\x01\x01\x11" and answer[3:35] == s.honest_pk
                assert answer[35:67] == request_hash
                verify.verify(L_KEYRESP + answer[:-64], answer[-64:])
            assert genuine != replayed
            # Nobody else can use either answer: another receiver of the prefix has no
            # pending request for it, nor does one of its own match.
            for answer in (genuine, replayed):
                with pytest.raises(wampe2e.UnsolicitedError):
                    s.third.accept_key_response(request_hash, answer)
            own = s.third.key_request(s.honest_pk, PREFIX)
            with pytest.raises(wampe2e.UnsolicitedError):
                s.third.accept_key_response(own.request_hash, replayed)
            assert s.third.sessions_held == 0
            # The router cannot open the sealed share without the reply secret.
            for answer in (genuine, replayed):
                with pytest.raises(nacl.exceptions.CryptoError):
                    nacl.public.SealedBox(nacl.public.PrivateKey.generate()).decrypt(answer[67:-64])
            # And the victim, its request answered, accepts neither again.
            with pytest.raises(wampe2e.UnsolicitedError):
                s.victim_group.accept_key_response(request_hash, genuine)
            await s.publish("two")
            await s.outcomes(3)
            assert s.events == ["zero", "one", "two"] and s.refused == []
            assert len(s.key_calls()) == 1

    run(main())
