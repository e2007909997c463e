"""GS1 load run (issue #14, proof 9): `make bench-gs1`, or
`python tests/load/gs1_load.py [--seconds 120]`. Not a test: a measurement.

One Crossbar.io router on 127.0.0.1 (tests/routers/crossbar_router.py, the
binary from WAMPE2E_CROSSBAR), then, for each mode in turn, fresh OS processes
(this script re-run with --child): 4 publishers and 8 subscribers on
Autobahn|Python (asyncio, CBOR). Publisher i publishes on ``com.bench.p<i>.events``;
every subscriber subscribes to all four topics. Modes, one after the other:

  none       plain Autobahn, no encryption;
  cryptobox  ``attach(session, keyring)``: per publisher a key entry on its topic
             prefix (the publisher's originator key, one responder key pair shared
             by the subscribers, as an Autobahn KeyRing entry works);
  gs1        ``attach(session, None, group=Group)``: one entry ``com.bench.`` with
             the 4 publishers' identities as senders (pinned by everyone) and the
             8 subscribers as receivers (authorized to fetch the session keys);
             defaults otherwise (rotation every 10 000 messages, so subscribers
             fetch new keys during the run; --gs1-max-messages to rotate more
             often); subscribers also check gs1_sender() on every event.

Each event is ``(publisher id, sequence number, send time)``; the send time is
``time.monotonic()``, which on Linux is one clock (CLOCK_MONOTONIC) for every
process of the machine, so a subscriber's receive time minus it is the end-to-end
latency. Subscribers keep per-publisher counters and a log-scale latency
histogram (2 % buckets), not per-event records, so their memory measures the
stack, not the bookkeeping.

How fast: as fast as the machine sustains, without overloading the router. WAMP
has no flow control from subscribers to publishers: with acknowledge=True alone
(the router acknowledges once it has dispatched, not delivered), a publisher
faster than its slowest subscriber fills the router's send buffers towards that
subscriber without bound (memory, then latency, grow for the whole run, and the
rate measured is the publishers', not what is delivered). So the loop is closed
twice:

  * router level: each publisher publishes with ``acknowledge=True`` and keeps at
    most ``--ack-window`` (16) publications unacknowledged;
  * end to end (credit): every 10 ms each subscriber tells the parent how far it
    has received each publisher's sequence in order; the parent gives publisher i
    the credit ``min over subscribers + --window`` (64), and a publisher never
    sends a sequence number past its credit. At most --window events per
    publisher are in flight anywhere (router buffers, sockets, held GS1
    messages), whatever part of the system is the bottleneck.

The delivered rate is then the machine's sustained rate for that mode (the
bottleneck runs flat out, nothing queues without bound). Latency is measured at
that saturation: p50/p99 include the queueing the windows allow (Little's law:
about --window divided by one publisher's rate at most), the same for every mode,
so the modes compare; it is not the latency of an idle system. --window 64 keeps
that queueing small while covering the credit loop's turn (10-30 ms) up to a few
thousand events/s per publisher; a larger --window that raises the delivered rate
means the default is too small for the machine. A target rate found by a ramp was not
used: on a shared 2-core machine the sustainable rate drifts during a run, and a
fixed rate above it queues without bound while one below it under-measures.

Reported per mode: events/s delivered (total over subscribers and per
subscriber), publications/s, p50/p99 end-to-end latency, lost and duplicated
events (exactly once and in order per publisher: anything else fails the run with
a non-zero exit), the resident memory (VmRSS) of publishers and subscribers (the
largest of each kind) at 10 s (or half the run if shorter) and at the end, with
"flat" if no process grew by more than 10 % + 2 MiB, and the router's RSS (all of
Crossbar.io's processes); the CPU time publishers, subscribers and the router spent
per published event (where the bottleneck is). Then a markdown table for the
README.

Every process started (Crossbar.io and its workers, the children) is stopped at
the end, also on a failure, Ctrl-C or SIGTERM (the parent terminates them; they
run in their own sessions so that a terminal's Ctrl-C reaches the parent only, and
die with it should it be killed: PR_SET_PDEATHSIG, and their stdin closing).
"""

import argparse
import asyncio
import ctypes
import json
import math
import os
import platform
import signal
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "routers"))
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))

MODES = ("none", "cryptobox", "gs1")
REALM = "realm1"
PREFIX = "com.bench."
REPORT_PERIOD = 0.01  # subscriber progress reports (the credit loop)
DRAIN_IDLE = 15.0  # a subscriber gives up waiting for the last events after this long without progress
START_TIMEOUT = 60.0

# Latency histogram: bucket b holds latencies in [1.02**b, 1.02**(b+1)) microseconds.
H_BASE = 1.02
H_LOG = math.log(H_BASE)
H_SIZE = int(math.log(1e8) / H_LOG) + 2  # up to 100 s


def topic(pid):
    return f"{PREFIX}p{pid}.events"


# --------------------------------------------------------------------------- children


def die_with_parent():
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass
    if os.getppid() == 1:  # the parent already went away
        os._exit(1)


def out(*parts):
    sys.stdout.write(" ".join(str(p) for p in parts) + "\n")
    sys.stdout.flush()


async def stdin_lines():
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=1 << 20)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    return reader


async def connect(cfg):
    import wamp_session

    lost = asyncio.Event()
    session = await wamp_session.join(
        cfg["url"], cfg["port"], "cbor", realm=REALM, timeout=START_TIMEOUT, on_lost=lost.set
    )
    return session, lost


async def leave(session, lost):
    if not lost.is_set() and session.is_attached():
        session.leave()
        try:
            await asyncio.wait_for(lost.wait(), 2)
        except asyncio.TimeoutError:
            pass


def protect(session, cfg, role, on_refused):
    """Attaches wampe2e for the mode; returns the session's GS1 identity (or None)."""
    mode = cfg["mode"]
    if mode == "none":
        return None
    import wampe2e
    from wampe2e.autobahn import Key, KeyRing, attach

    if mode == "cryptobox":
        ring = KeyRing()
        for pid, pub in enumerate(cfg["box_pubs"]):
            if role == "pub":
                if pid != cfg["index"]:
                    continue
                key = Key(originator_priv=cfg["box_priv"], responder_pub=cfg["box_responder_pub"])
            else:
                key = Key(originator_pub=pub, responder_priv=cfg["box_responder_priv"])
            ring.set_key(f"{PREFIX}p{pid}.", key)
        attach(session, ring, on_refused=on_refused)
        return None
    identity = wampe2e.Identity.from_seed(bytes.fromhex(cfg["seed"]))
    if role == "pub":
        group = wampe2e.Group(identity, share_backlog=cfg["share_backlog"], max_messages=cfg["max_messages"])
    else:
        group = wampe2e.Group(identity)
    senders = [bytes.fromhex(p) for p in cfg["gs1_pubs"]]
    receivers = [bytes.fromhex(p) for p in cfg["gs1_subs"]]
    group.set_entry(PREFIX, senders=senders, receivers=receivers)
    hold = cfg["hold"]
    attach(session, None, group=group, on_refused=on_refused, hold_max_per_session=hold, hold_max_total=4 * hold)
    return identity


async def publisher(cfg):
    from autobahn.wamp.types import PublishOptions

    pid = cfg["index"]
    refused = []
    session, lost = await connect(cfg)
    protect(session, cfg, "pub", lambda error, msg: refused.append(getattr(error, "code_name", repr(error))))
    if cfg["mode"] == "gs1":  # wampe2e is not even imported in mode none
        from wampe2e.autobahn import key_procedure_ready

        await asyncio.wait_for(key_procedure_ready(session), START_TIMEOUT)
    stdin = await stdin_lines()
    out("READY")

    state = {"credit": cfg["window"], "stop": False, "inflight": 0, "failed": 0, "first_error": None}
    wake = asyncio.Event()
    go = asyncio.Event()

    async def control():
        while True:
            line = await stdin.readline()
            if not line:  # the parent went away
                os._exit(1)
            words = line.decode().split()
            if words[0] == "C":
                state["credit"] = max(state["credit"], int(words[1]))
                wake.set()
            elif words[0] == "GO":
                go.set()
            elif words[0] == "STOP":
                state["stop"] = True
                wake.set()
            elif words[0] == "EXIT":
                return

    control_task = asyncio.ensure_future(control())
    await go.wait()

    topic_uri = topic(pid)
    options = PublishOptions(acknowledge=True)
    ack_window = cfg["ack_window"]

    def acked(f):
        state["inflight"] -= 1
        if f.cancelled() or f.exception() is not None:
            state["failed"] += 1
            if state["first_error"] is None:
                state["first_error"] = "cancelled" if f.cancelled() else repr(f.exception())
        wake.set()

    seq = 0
    monotonic = time.monotonic
    while not state["stop"] and not lost.is_set():
        if state["inflight"] >= ack_window or seq >= state["credit"]:
            wake.clear()
            await wake.wait()
            continue
        f = session.publish(topic_uri, pid, seq, monotonic(), options=options)
        state["inflight"] += 1
        f.add_done_callback(acked)
        seq += 1
    deadline = monotonic() + 30
    while state["inflight"] > 0 and monotonic() < deadline and not lost.is_set():
        wake.clear()
        try:
            await asyncio.wait_for(wake.wait(), 1)
        except asyncio.TimeoutError:
            pass
    result = {
        "sent": seq - state["failed"] - state["inflight"],
        "attempted": seq,
        "failed": state["failed"],
        "unacked": state["inflight"],
        "first_error": state["first_error"],
        "refused": refused[:5],
        "disconnected": lost.is_set(),
    }
    out("DONE", json.dumps(result))
    await control_task
    await leave(session, lost)


async def subscriber(cfg):
    npub = cfg["npub"]
    refused = []
    session, lost = await connect(cfg)
    identity_check = cfg["mode"] == "gs1"
    gs1_pubs = [bytes.fromhex(p) for p in cfg.get("gs1_pubs", [])]
    protect(session, cfg, "sub", lambda error, msg: refused.append(getattr(error, "code_name", repr(error))))
    if identity_check:
        from wampe2e.autobahn import gs1_sender

    nxt = [0] * npub  # the next sequence number expected from each publisher
    dups = [0] * npub  # sequence numbers below it (a duplicate, or one that came late)
    gaps = [0] * npub  # sequence numbers skipped over
    wrong_sender = [0]
    received = [0]
    first_last = [None, None]
    hist = [0] * H_SIZE
    monotonic = time.monotonic
    log = math.log

    def on_event(pid, seq, ts):
        now = monotonic()
        if identity_check and gs1_sender() != gs1_pubs[pid]:
            wrong_sender[0] += 1
        received[0] += 1
        if first_last[0] is None:
            first_last[0] = now
        first_last[1] = now
        expected = nxt[pid]
        if seq == expected:
            nxt[pid] = seq + 1
        elif seq > expected:
            gaps[pid] += seq - expected
            nxt[pid] = seq + 1
        else:
            dups[pid] += 1
        us = (now - ts) * 1e6
        b = int(log(us) / H_LOG) if us >= 1.0 else 0
        hist[b if b < H_SIZE else H_SIZE - 1] += 1

    for pid in range(npub):
        await session.subscribe(on_event, topic(pid))
    stdin = await stdin_lines()
    out("READY")

    expect = asyncio.get_running_loop().create_future()

    async def control():
        while True:
            line = await stdin.readline()
            if not line:
                os._exit(1)
            words = line.decode().split()
            if words[0] == "E" and not expect.done():
                expect.set_result([int(w) for w in words[1:]])
            elif words[0] == "EXIT":
                return

    async def report():
        last = None
        while True:
            now = tuple(nxt)
            if now != last:
                out("P", *now)
                last = now
            await asyncio.sleep(REPORT_PERIOD)

    control_task = asyncio.ensure_future(control())
    report_task = asyncio.ensure_future(report())
    sent = await expect
    # Drain: until every publisher's last event is here, or nothing moved for DRAIN_IDLE.
    progress, since = received[0], time.monotonic()
    while any(nxt[i] < sent[i] for i in range(npub)) and not lost.is_set():
        await asyncio.sleep(0.05)
        if received[0] != progress:
            progress, since = received[0], time.monotonic()
        elif time.monotonic() - since > DRAIN_IDLE:
            break
    report_task.cancel()
    lost_events = sum(max(0, sent[i] - (nxt[i] - gaps[i])) for i in range(npub))
    result = {
        "received": received[0],
        "first": first_last[0],
        "last": first_last[1],
        "lost": lost_events,
        "dup": sum(dups),
        "gaps": sum(gaps),
        "wrong_sender": wrong_sender[0],
        "refused": len(refused),
        "refused_codes": sorted(set(refused))[:5],
        "hist": {str(b): c for b, c in enumerate(hist) if c},
        "disconnected": lost.is_set(),
    }
    out("R", json.dumps(result))
    await control_task
    await leave(session, lost)


def child_main(role):
    die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops us, also on Ctrl-C
    line = b""
    while not line.endswith(b"\n"):  # unbuffered: what follows is read by the event loop
        byte = os.read(0, 1)
        if not byte:
            sys.exit(1)
        line += byte
    cfg = json.loads(line)
    try:
        asyncio.run(publisher(cfg) if role == "pub" else subscriber(cfg))
    except Exception as e:  # reported to the parent, which fails the run
        out("ERROR", json.dumps(f"{role} {cfg.get('index')}: {e!r}"))
        sys.exit(1)


# --------------------------------------------------------------------------- parent


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """User + system CPU time of ``pid`` so far."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return 0.0
    fields = stat[stat.rfind(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime stime


def session_pids(sid):
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        if int(fields[3]) == sid:  # state ppid pgrp session
            pids.append(int(entry))
    return pids


def session_rss_kib(sid):
    """The RSS of every process of session ``sid`` (Crossbar.io: its controller and workers)."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        if int(fields[3]) == sid:  # state ppid pgrp session
            total += rss_kib(int(entry))
    return total


class Child:
    def __init__(self, role, index, proc):
        self.role, self.index, self.proc = role, index, proc
        self.ready = asyncio.get_running_loop().create_future()
        self.result = asyncio.get_running_loop().create_future()
        self.progress = None
        self.lines = []
        self.reader = None

    @property
    def name(self):
        return f"{self.role} {self.index}"

    def send(self, *words):
        if self.proc.returncode is None and not self.proc.stdin.is_closing():
            self.proc.stdin.write((" ".join(str(w) for w in words) + "\n").encode())


async def all_of(futures, timeout, what="children"):
    """The futures' results; the first failure raised at once, a timeout as one."""
    done, pending = await asyncio.wait(futures, timeout=timeout, return_when=asyncio.FIRST_EXCEPTION)
    for f in done:
        if f.exception() is not None:
            raise f.exception()
    if pending:
        raise TimeoutError(f"{len(pending)} {what} did not answer within {timeout:g} s")
    return [f.result() for f in futures]


class Run:
    def __init__(self, args, router):
        self.args, self.router = args, router
        self.children = []
        self.pubs = []

    async def spawn(self, role, index, cfg):
        proc = await asyncio.create_subprocess_exec(
            sys.executable, os.path.abspath(__file__), "--child", role,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=None,
            limit=1 << 22, start_new_session=True,  # a terminal's Ctrl-C reaches the parent only
        )
        child = Child(role, index, proc)
        self.children.append(child)
        proc.stdin.write((json.dumps(cfg) + "\n").encode())
        child.reader = asyncio.ensure_future(self.read(child))
        return child

    async def read(self, child):
        while True:
            raw = await child.proc.stdout.readline()
            if not raw:
                code = await child.proc.wait()
                err = RuntimeError(f"{child.name} exited (code {code}): {child.lines[-3:]}")
                for fut in (child.ready, child.result):
                    if not fut.done():
                        fut.set_exception(err)
                        fut.exception()  # raised where awaited; never "never retrieved" when stopping
                return
            line = raw.decode().rstrip("\n")
            tag, _, rest = line.partition(" ")
            if tag == "P":
                child.progress = [int(w) for w in rest.split()]
                self.on_progress()
            elif tag == "READY":
                child.ready.set_result(True)
            elif tag in ("DONE", "R"):
                child.result.set_result(json.loads(rest))
            elif tag == "ERROR":
                child.lines.append(json.loads(rest))
            else:
                child.lines.append(line)

    def on_progress(self):
        subs = [c for c in self.children if c.role == "sub"]
        if any(c.progress is None for c in subs):
            return
        for pub in self.pubs:
            credit = min(c.progress[pub.index] for c in subs) + self.args.window
            if credit != pub.credit:
                pub.credit = credit
                pub.send("C", credit)

    async def running_until(self, t):
        """Sleeps until monotonic time ``t``; a child that exits meanwhile fails the run at once."""
        while True:
            for c in self.children:
                if c.proc.returncode is not None:
                    raise RuntimeError(f"{c.name} exited (code {c.proc.returncode}) during the run: {c.lines[-3:]}")
            left = t - time.monotonic()
            if left <= 0:
                return
            await asyncio.sleep(min(left, 0.5))

    async def stop_all(self):
        for c in self.children:
            if c.proc.returncode is None:
                try:
                    c.proc.terminate()
                except ProcessLookupError:
                    pass
        for c in self.children:
            try:
                await asyncio.wait_for(c.proc.wait(), 5)
            except asyncio.TimeoutError:
                try:
                    c.proc.kill()
                except ProcessLookupError:
                    pass
                await c.proc.wait()
            if c.reader is not None:
                c.reader.cancel()
        self.children = []

    async def mode(self, mode):
        import wampe2e

        args = self.args
        base = {"mode": mode, "url": self.router.url, "port": self.router.port, "npub": args.publishers,
                "window": args.window, "ack_window": args.ack_window, "max_messages": args.gs1_max_messages,
                "share_backlog": 4 * args.window + 4 * args.ack_window, "hold": 8 * args.window + 8 * args.ack_window}
        pub_cfgs = [dict(base, index=i) for i in range(args.publishers)]
        sub_cfgs = [dict(base, index=i) for i in range(args.subscribers)]
        if mode == "cryptobox":
            responder_priv, responder_pub = wampe2e.generate_keypair()
            pairs = [wampe2e.generate_keypair() for _ in pub_cfgs]
            for c, (priv, _) in zip(pub_cfgs, pairs):
                c.update(box_priv=priv, box_responder_pub=responder_pub, box_pubs=[p for _, p in pairs])
            for c in sub_cfgs:
                c.update(box_pubs=[p for _, p in pairs], box_responder_priv=responder_priv)
        elif mode == "gs1":
            seeds = [os.urandom(32) for _ in pub_cfgs + sub_cfgs]
            pks = [wampe2e.Identity.from_seed(s).public_key.hex() for s in seeds]
            for c, s in zip(pub_cfgs + sub_cfgs, seeds):
                c.update(seed=s.hex(), gs1_pubs=pks[: len(pub_cfgs)], gs1_subs=pks[len(pub_cfgs) :])

        subs = [await self.spawn("sub", c["index"], c) for c in sub_cfgs]
        await all_of([c.ready for c in subs], START_TIMEOUT)
        self.pubs = [await self.spawn("pub", c["index"], c) for c in pub_cfgs]
        for p in self.pubs:
            p.credit = args.window
        await all_of([c.ready for c in self.pubs], START_TIMEOUT)

        router_pids = session_pids(self.router._proc.pid)
        cpu_go = {c.name: cpu_seconds(c.proc.pid) for c in self.children}
        cpu_go["router"] = sum(cpu_seconds(p) for p in router_pids)
        go = time.monotonic()
        for p in self.pubs:
            p.send("GO")
        early_at = min(10.0, args.seconds / 2)
        await self.running_until(go + early_at)
        rss_early = {c.name: rss_kib(c.proc.pid) for c in self.children}
        router_early = session_rss_kib(self.router._proc.pid)
        await self.running_until(go + args.seconds)
        rss_end = {c.name: rss_kib(c.proc.pid) for c in self.children}
        router_end = session_rss_kib(self.router._proc.pid)
        cpu = {c.name: cpu_seconds(c.proc.pid) - cpu_go[c.name] for c in self.children}
        cpu["router"] = sum(cpu_seconds(p) for p in router_pids) - cpu_go["router"]
        for p in self.pubs:
            p.send("STOP")
        stop = time.monotonic()
        pub_results = await all_of([p.result for p in self.pubs], 60)
        sent = [r["sent"] for r in pub_results]
        for s in subs:
            s.send("E", *sent)
        sub_results = await all_of([s.result for s in subs], DRAIN_IDLE + 60)
        for c in self.children:
            c.send("EXIT")
        for c in self.children:
            try:
                await asyncio.wait_for(c.proc.wait(), 10)
            except asyncio.TimeoutError:
                pass
        await self.stop_all()
        r = summarize(mode, args, go, stop, sent, pub_results, sub_results, rss_early, rss_end,
                      router_early, router_end, early_at)
        # CPU per event over the measured interval (publications up to the end sample).
        published = max(1, r["published_per_s"] * (stop - go))
        r["cpu_us"] = {role: 1e6 * sum(v for k, v in cpu.items() if k.startswith(role)) / published
                       for role in ("pub", "sub", "router")}
        r["cpu_share"] = {role: sum(v for k, v in cpu.items() if k.startswith(role)) / (stop - go)
                          for role in ("pub", "sub", "router")}
        return r


def percentile(hist, q):
    total = sum(hist.values())
    if not total:
        return float("nan")
    want = q * total
    seen = 0
    for b in sorted(hist):
        seen += hist[b]
        if seen >= want:
            return H_BASE ** (b + 0.5) / 1000.0  # ms
    return float("nan")


def summarize(mode, args, go, stop, sent, pubs, subs, rss_early, rss_end, router_early, router_end, early_at):
    hist = {}
    for s in subs:
        for b, c in s["hist"].items():
            hist[int(b)] = hist.get(int(b), 0) + c
    per_sub = [s["received"] / (s["last"] - go) if s["received"] and s["last"] else 0.0 for s in subs]
    problems = []
    for i, p in enumerate(pubs):
        if p["failed"] or p["unacked"] or p["disconnected"] or p["refused"]:
            problems.append(f"publisher {i}: {p}")
    for i, s in enumerate(subs):
        if s["lost"] or s["dup"] or s["gaps"] or s["wrong_sender"] or s["refused"] or s["disconnected"]:
            problems.append(f"subscriber {i}: lost {s['lost']} dup {s['dup']} gaps {s['gaps']} "
                            f"wrong sender {s['wrong_sender']} refused {s['refused']} {s['refused_codes']} "
                            f"disconnected {s['disconnected']}")

    def rss(role):
        names = [n for n in rss_end if n.startswith(role)]
        early = max(rss_early[n] for n in names) / 1024
        end = max(rss_end[n] for n in names) / 1024
        flat = all(rss_end[n] <= rss_early[n] * 1.10 + 2048 for n in names)
        return early, end, flat

    return {
        "mode": mode,
        "published_per_s": sum(sent) / (stop - go),
        "sent": sum(sent),
        "delivered": sum(s["received"] for s in subs),
        "total_per_s": sum(per_sub),
        "per_sub_per_s": sum(per_sub) / len(per_sub),
        "per_sub_min": min(per_sub),
        "p50_ms": percentile(hist, 0.50),
        "p99_ms": percentile(hist, 0.99),
        "lost": sum(s["lost"] for s in subs),
        "dup": sum(s["dup"] for s in subs),
        "pub_rss": rss("pub"),
        "sub_rss": rss("sub"),
        "router_rss": (router_early / 1024, router_end / 1024),
        "early_at": early_at,
        "problems": problems,
    }


def table(results, args):
    early = results[0]["early_at"] if results else 10
    e = f"{early:g} s"
    lines = [
        f"| mode | delivered events/s (total) | per subscriber | published/s | p50 latency | p99 latency "
        f"| lost / dup | publisher RSS {e} → end | subscriber RSS {e} → end | router RSS {e} → end |",
        "|---|---:|---:|---:|---:|---:|:---:|---:|---:|---:|",
    ]
    for r in results:
        def mem(t):
            return f"{t[0]:.1f} → {t[1]:.1f} MiB" + ("" if len(t) < 3 or t[2] else " (grew)")
        lines.append(
            f"| {r['mode']} | {r['total_per_s']:,.0f} | {r['per_sub_per_s']:,.0f} | {r['published_per_s']:,.0f} "
            f"| {r['p50_ms']:.1f} ms | {r['p99_ms']:.1f} ms | {r['lost']} / {r['dup']} "
            f"| {mem(r['pub_rss'])} | {mem(r['sub_rss'])} | {mem(r['router_rss'])} |"
        )
    return "\n".join(lines)


async def parent(args):
    from crossbar_router import CrossbarRouter

    results = []
    with CrossbarRouter(serializers=("cbor",)) as router:
        for mode in args.modes:
            run = Run(args, router)
            print(f"gs1_load: {mode}: {args.publishers} publishers, {args.subscribers} subscribers, "
                  f"{args.seconds:g} s ...", flush=True)
            try:
                r = await run.mode(mode)
            except Exception as e:  # a child failed or timed out: the run fails
                print(f"gs1_load: FAILED: {mode}: {e!r}", flush=True)
                return 1
            finally:
                await run.stop_all()
            results.append(r)
            pr, sr = r["pub_rss"], r["sub_rss"]
            print(f"  delivered {r['delivered']:,} of {r['sent']:,} x {args.subscribers}: "
                  f"{r['total_per_s']:,.0f} events/s total, {r['per_sub_per_s']:,.0f} per subscriber "
                  f"(slowest {r['per_sub_min']:,.0f}), published {r['published_per_s']:,.0f}/s; "
                  f"latency p50 {r['p50_ms']:.2f} ms p99 {r['p99_ms']:.2f} ms; lost {r['lost']} dup {r['dup']}; "
                  f"RSS at {r['early_at']:g} s / end (largest, MiB): publishers {pr[0]:.1f} / {pr[1]:.1f} "
                  f"({'flat' if pr[2] else 'GREW'}), subscribers {sr[0]:.1f} / {sr[1]:.1f} "
                  f"({'flat' if sr[2] else 'GREW'}), router {r['router_rss'][0]:.1f} / {r['router_rss'][1]:.1f}",
                  flush=True)
            cu, cs = r["cpu_us"], r["cpu_share"]
            print(f"  CPU per published event (all processes of a kind; cores busy): publishers "
                  f"{cu['pub']:.0f} µs ({cs['pub']:.2f}), subscribers {cu['sub']:.0f} µs ({cs['sub']:.2f}), "
                  f"router {cu['router']:.0f} µs ({cs['router']:.2f})", flush=True)
            for p in r["problems"]:
                print(f"  FAILED: {p}", flush=True)
    print()
    print(f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"Crossbar.io on 127.0.0.1, {args.publishers} publishers x {args.subscribers} subscribers (processes), "
          f"CBOR, {args.seconds:g} s per mode, credit window {args.window}, ack window {args.ack_window}:")
    print()
    print(table(results, args))
    print()
    failed = [r["mode"] for r in results if r["problems"] or r["lost"] or r["dup"]]
    if failed:
        print(f"gs1_load: FAILED: not exactly once and in order in {', '.join(failed)}")
        return 1
    grew = [r["mode"] for r in results if not (r["pub_rss"][2] and r["sub_rss"][2])]
    if grew:
        print(f"gs1_load: note: RSS grew by more than 10 % + 2 MiB in {', '.join(grew)}")
    print("gs1_load: every event delivered exactly once and in order, in every mode")
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--child", choices=("pub", "sub"), help=argparse.SUPPRESS)
    ap.add_argument("--seconds", type=float, default=float(os.environ.get("GS1_LOAD_SECONDS", 120)),
                    help="per mode (default: $GS1_LOAD_SECONDS or 120)")
    ap.add_argument("--modes", default=",".join(MODES), help="comma-separated, from none,cryptobox,gs1")
    ap.add_argument("--publishers", type=int, default=4)
    ap.add_argument("--subscribers", type=int, default=8)
    ap.add_argument("--window", type=int, default=64, help="end-to-end credit per publisher (events)")
    ap.add_argument("--ack-window", type=int, default=16, help="unacknowledged publications per publisher")
    ap.add_argument("--gs1-max-messages", type=int, default=None,
                    help="gs1: a publisher rotates its session key after this many events (default: GS1's, 10 000)")
    args = ap.parse_args()
    if args.child:
        return child_main(args.child)
    args.modes = [m for m in args.modes.split(",") if m]
    if any(m not in MODES for m in args.modes):
        ap.error(f"--modes: from {', '.join(MODES)}")

    def terminate(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)  # stopped like Ctrl-C: everything started is stopped
    try:
        return asyncio.run(parent(args))
    except KeyboardInterrupt:
        print("gs1_load: interrupted; every process stopped", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
