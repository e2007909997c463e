"""wampe2e for Autobahn|Python: ``attach`` (strict end-to-end encryption on a
session), and a drop-in replacement of ``autobahn.wamp.cryptobox.KeyRing`` and
``Key``.

The one call an application makes, in ``onJoin`` (or the session factory), before
it subscribes or registers::

    from wampe2e.autobahn import KeyRing, Key, attach

    class App(ApplicationSession):
        async def onJoin(self, details):
            attach(self, keyring)                  # strict by default
            await self.subscribe(on_event, "com.example.topic")

``attach`` installs the keyring as the payload codec (peers may keep using
Autobahn's own KeyRing: same wire format) and guards the session against the
router, which sees every message: a URI the keyring has a key for must arrive
encrypted, the URI a payload is opened for is the local subscription's or
registration's (the router's ``Details.topic``/``procedure`` only where the local
pattern covers it), this keyring's own ciphertexts sent back are refused, and a
callee never answers an encrypted (or keyed) invocation with a plaintext result.
Refused messages are dropped (EVENT), answered with an ERROR carrying only the
error code (INVOCATION), or fail the call with ``ApplicationError`` whose
``kwargs["code"]`` is the code (RESULT, ERROR); ``on_refused(error, message)``
hears of each. ``strict=False`` is for migrations only: plaintext is then
delivered on keyed URIs too.

The plain drop-in (``session.set_payload_codec(KeyRing(...))``, one import
changed) is kept for compatibility; it cannot protect against the router (see the
README's threat model).

GS1 group sessions (docs/gs1.md): ``attach(session, keyring, group=group)`` with a
``wampe2e.Group`` (``keyring`` may then be None). For every URI a GS1 entry covers
(``group.select(uri)`` is not None) **GS1 wins over the keyring**: PUBLISH and CALL
are sealed once for all receivers under the sender's session, YIELD and ERROR
answering a GS1 call are sealed to the caller only (``enc_algo =
"x_wampe2e_gs1"``, ``enc_serializer = "cbor"``, ``enc_key = hex(session id)`` on
events and calls, the envelope as the one bare binary payload: docs/gs1.md §12.1);
EVENT, INVOCATION, RESULT and ERROR on such URIs are opened, and refused as above
when they arrive in plaintext (strict: ``UnexpectedPlaintextError``) or in another
dialect (``InvalidEnvelopeError``). ``attach`` registers this peer's key procedure
``<key_procedure_base>.<fingerprint>`` (wait for ``key_procedure_ready(session)``
before publishing), which answers key requests with ``group.answer_key_request``
and refuses with ERROR ``wampe2e.error.<code>``, kwargs ``{"code": ...}``. URIs
under ``<key_procedure_base>.`` are never sealed nor subject to strictness.

A message of a session this peer does not hold yet is held, not dropped
(``wampe2e.Held``, docs/gs1.md §11.6): one CALL per session to the sender's key
procedure fetches the key, then the held messages are opened and delivered in the
sender's order (an INVOCATION runs then). A refused or failed fetch reports its
messages to ``on_refused`` with its code (``KeyRefusedError``, ...,
``KeyFetchFailedError``); past ``hold_max_per_session`` / ``hold_max_total`` a
message is reported with ``HoldOverflowError``; a fetch unanswered after
``hold_ms`` milliseconds fails with ``KeyFetchFailedError``.

A handler learns who sealed the message it runs for with ``gs1_sender()``: the
public key (32 bytes) of the authenticated GS1 sender (publisher or caller), or
None for a message that was not opened with GS1. It is a context variable set
while the message is delivered, so it works in plain and ``async`` handlers on
asyncio and Twisted alike (read it before the handler's first ``await`` if the
handler hands work to other tasks). Router-provided ``publisher``/``caller``
details are never the identity.
"""

import contextvars

from wampe2e import _native
from wampe2e._native import PatternMismatchError, Wampe2eError

__all__ = ["Key", "KeyRing", "announce_payload_passthru", "attach", "gs1_sender", "key_procedure_ready"]

#: The GS1 ``enc_algo`` / ``enc_serializer`` (docs/gs1.md §12.1; the core's).
GS1_ENC_ALGO = _native.GS1_ENC_ALGO
GS1_ENC_SERIALIZER = _native.GS1_SERIALIZER

_gs1_sender = contextvars.ContextVar("wampe2e_gs1_sender", default=None)


def gs1_sender():
    """The public key (32 bytes) of the GS1 identity that sealed the EVENT or
    INVOCATION whose handler is running, or None if it was not opened with GS1."""
    return _gs1_sender.get()


def key_procedure_ready(session):
    """The registration of ``session``'s key procedure (an asyncio Future or a
    Twisted Deferred), for an ``attach`` with a group; None otherwise."""
    guard = getattr(session, "_wampe2e_guard", None)
    return guard.key_procedure_registration if guard is not None else None


def announce_payload_passthru(session):
    """Announces Payload Passthru Mode (the ``payload_passthru_mode`` feature of
    every client role) in ``session``'s HELLO: a router such as nexus requires it of
    a peer that sends ``ppt_*`` (``attach(..., dialect="ppt")``). Call it before the
    session connects (in its constructor). Autobahn's role defaults, shared by every
    session, stay unchanged. Returns the session."""
    import copy

    roles = {name: copy.copy(features) for name, features in session._session_roles.items()}
    for features in roles.values():
        features.payload_passthru_mode = True
    session._session_roles = roles
    return session

#: Autobahn's ``Key(originator_priv=, originator_pub=, responder_priv=, responder_pub=)``.
Key = _native.Key

#: Autobahn's ``KeyRing(default_key=None)`` with ``set_key``, ``generate_key``,
#: ``generate_key_hex``, ``rotate_key``, ``encode`` and ``decode``; native, so that
#: each ``encode``/``decode`` an Autobahn session makes is one call.
KeyRing = _native.AutobahnKeyRing


try:  # let Autobahn's session accept us where it checks for its codec interface
    from autobahn.wamp.interfaces import IPayloadCodec

    IPayloadCodec.register(KeyRing)
except ImportError:  # pragma: no cover
    pass

#: Error URIs of what ``attach`` refuses: ``wampe2e.error.`` + the code's name in
#: lowercase without its ``WAMPE2E_`` (e.g. ``wampe2e.error.unexpected_plaintext``).
ERROR_URI_PREFIX = "wampe2e.error."


def error_uri(code_name):
    """The error URI ``attach`` uses for a code name such as ``WAMPE2E_REFLECTED``
    (the core's ``refusal_uri``)."""
    return _native.refusal_uri(code_name)


def attach(
    session,
    keyring,
    strict=True,
    on_refused=None,
    group=None,
    key_procedure_base=_native.DEFAULT_KEY_PROCEDURE_BASE,
    hold_max_per_session=256,
    hold_max_total=4096,
    hold_ms=10000,
    dialect="enc",
):
    """Encrypts and decrypts ``session``'s payloads with ``keyring`` and, for the
    URIs its entries cover, GS1 ``group`` (which wins over the keyring), and guards
    the session against a hostile router (see the module documentation). Call it
    before the session subscribes or registers: match policies are learnt from the
    SUBSCRIBE and REGISTER messages. ``keyring`` may be None when ``group`` is
    given. Returns the session."""
    if keyring is None and group is None:
        raise TypeError("attach: give a keyring, a group, or both")
    if keyring is not None and not isinstance(keyring, KeyRing):
        raise TypeError(f"keyring: expected wampe2e.autobahn.KeyRing, got {type(keyring).__name__}")
    if group is not None and not isinstance(group, _native.Group):
        raise TypeError(f"group: expected wampe2e.Group, got {type(group).__name__}")
    gs1 = None
    if group is not None:
        _native.gs1_attributes(dialect)  # InvalidArgumentError for anything but "enc" / "ppt"
        held = _native.Held(group, hold_max_per_session, hold_max_total, hold_ms, key_procedure_base)
        gs1 = _Gs1Config(group, held, key_procedure_base, hold_ms, dialect)
    guard = _Guard(session, keyring, bool(strict), on_refused, gs1)
    guard.install()
    return session


class _Gs1Config:
    def __init__(self, group, held, base, hold_ms, dialect="enc"):
        self.group, self.held, self.base, self.hold_ms = group, held, base, hold_ms
        self.dialect = dialect

    def exempt(self, uri):
        """Key procedure URIs: never sealed, never strict (docs/gs1.md §5; the core's rule)."""
        return uri is not None and _native.is_key_procedure(uri, self.base)

    def seals(self, uri):
        """Whether an outgoing PUBLISH or CALL on ``uri`` is sealed with GS1: an entry
        covers it and it is no key procedure."""
        return uri is not None and not self.exempt(uri) and self.group.select(uri) is not None

    def route(self, kind, uri, arrived, answers_gs1_call, strict):
        """The core's inbound decision: "open", "plain", "exempt" or "keyring"."""
        return self.group.route(kind, uri, arrived, answers_gs1_call, strict, self.base)


#: The refusal a callee answers with when it does not hold the caller's session.
_UNKNOWN_SESSION = _native.refusal_uri(_native.UnknownSessionError.code)
#: What a keyring callee answers instead of a result it could not seal (no code).
_REPLY_NOT_SEALED = ERROR_URI_PREFIX + "reply_not_sealed"

#: The Payload Passthru attributes GS1 writes and reads (docs/gs1.md §12.1).
_PPT_NAMES = tuple(_native.gs1_attributes("ppt", "").keys())
#: Where a raw WAMP message holds its Options/Details: PUBLISH, CALL, YIELD (2);
#: EVENT, INVOCATION, ERROR (3); RESULT (2).
_OPTIONS_AT = {16: 2, 48: 2, 70: 2, 36: 3, 68: 3, 8: 3, 50: 2}


def _ppt_key(raw):
    """The key a raw EVENT / INVOCATION / RESULT / ERROR is found again by once parsed."""
    t = raw[0]
    if t == 36:
        return (t, raw[1], raw[2])  # subscription, publication
    if t == 8:
        return (t, raw[1], raw[2])  # request type, request
    return (t, raw[1])


#: What ``_Guard.learn`` records for an id the router gave different patterns.
_SHARED_ID = ("", "shared id")


class _Codec:
    """The payload codec ``attach`` installs: the keyring, plus the payloads the guard
    already opened (so Autobahn gets them without decrypting twice)."""

    def __init__(self, keyring, gs1=None):
        self.keyring = keyring
        self.gs1 = gs1
        self.opened = None  # (payload bytes object, (uri, args, kwargs))

    def encode(self, is_originating, uri, args=None, kwargs=None):
        # GS1 URIs are sealed by the guard on their way out (it knows the request);
        # key procedure URIs and wampe2e refusals are never sealed.
        if self.keyring is None or uri.startswith(ERROR_URI_PREFIX):
            return None
        if self.gs1 is not None and (self.gs1.exempt(uri) or self.gs1.seals(uri)):
            return None
        return self.keyring.encode(is_originating, uri, args, kwargs)

    def decode(self, is_originating, uri, encoded_payload):
        # Autobahn decodes an EVENT once per handler on its subscription.
        opened = self.opened
        if opened is not None and opened[0] is encoded_payload.payload:
            return opened[1]
        if self.keyring is None:
            raise _native.UnknownSchemeError(f"enc_algo {encoded_payload.enc_algo!r}: no keyring for it")
        return self.keyring.decode(is_originating, uri, encoded_payload)


try:
    IPayloadCodec.register(_Codec)
except NameError:  # pragma: no cover
    pass


class _Call:
    """A GS1 call this session sealed: what its replies are opened with."""

    __slots__ = ("procedure", "call_hash", "message", "retried")

    def __init__(self, procedure, call_hash, message):
        self.procedure, self.call_hash, self.message, self.retried = procedure, call_hash, message, False


def _plain(msg, args, kwargs):
    """``msg`` with its payload replaced by the opened ``args``/``kwargs``."""
    msg.payload = None
    msg.enc_algo = None
    msg.enc_key = None
    msg.enc_serializer = None
    msg.args = list(args) if args is not None else None
    msg.kwargs = kwargs
    return msg


def _sealed(msg, envelope, key_id):
    """``msg`` with its payload replaced by a GS1 envelope in the ``enc`` dialect: one
    bare binary, and the core's attributes (docs/gs1.md §12.1)."""
    msg.args = None
    msg.kwargs = None
    msg.payload = envelope
    msg.enc_key = None
    for name, value in _native.gs1_attributes("enc", key_id).items():
        setattr(msg, name, value)
    return msg


class _Guard:
    def __init__(self, session, keyring, strict, on_refused, gs1=None):
        from autobahn.wamp import message
        from autobahn.wamp.types import EncodedPayload

        self.m = message
        self.EncodedPayload = EncodedPayload
        self.session = session
        self.keyring = keyring
        self.strict = strict
        self.on_refused = on_refused or self._log_refused
        self.codec = _Codec(keyring, gs1)
        self.gs1 = gs1
        # Decides URIs and plaintext answers without any key (the core's inbound
        # decision over an empty keyring): the local pattern, the router's URI.
        self.routes = _native.KeyRing()
        self.patterns = {}  # SUBSCRIBE/REGISTER request id -> (uri, match)
        self.subscriptions = {}  # subscription id -> (topic, match)
        self.registrations = {}  # registration id -> (procedure, match)
        self.calls = {}  # CALL request id -> (procedure, sealed)
        self.sealed_invocations = set()  # INVOCATION request ids whose reply must be sealed
        self.gs1_calls = {}  # CALL request id -> _Call
        # GS1 calls failed by a refused reply: their later replies are dropped
        # (Autobahn treats a reply to a finished call as a protocol violation).
        self.gs1_ended = set()
        self.gs1_invocations = {}  # INVOCATION request id -> wampe2e.Invocation
        self.transport = None
        self.original_send = None
        # The transport's object serializer (ppt: what a sealed message is written
        # with), and the ppt_* attributes of arrived messages, which Autobahn's
        # parser drops, by _ppt_key until on_message takes them.
        self.object_serializer = None
        self.ppt_arrived = {}
        self.arriving_ppt = None  # the ppt_* of the message on_message is handling
        self.key_procedure_registration = None

    def install(self):
        self.session.set_payload_codec(self.codec)
        self.deliver = self.session.onMessage
        self.session.onMessage = self.on_message
        self.wrap_transport()
        self.session._wampe2e_guard = self
        if self.gs1 is not None:
            self.key_procedure_registration = self.session.register(
                self.answer_key_request, self.gs1.group.key_procedure(self.gs1.base)
            )

    @staticmethod
    def _log_refused(error, msg):
        import txaio

        txaio.make_logger().warn(
            "wampe2e: refused {kind}: {error}", kind=type(msg).__name__.upper(), error=error
        )

    # ---- GS1 key procedure (docs/gs1.md §11.4) ----

    def answer_key_request(self, *args, **kwargs):
        from autobahn.wamp.exception import ApplicationError

        if len(args) != 1 or not isinstance(args[0], bytes) or kwargs:
            e = _native.MalformedError("a key request is exactly one binary argument")
        else:
            try:
                return self.gs1.group.answer_key_request(args[0])
            except Wampe2eError as refused:
                e = refused
        raise ApplicationError(error_uri(e.code_name), code=e.code_name)

    # ---- outgoing ----

    def wrap_transport(self):
        transport = getattr(self.session, "_transport", None)
        if transport is None or transport is self.transport:
            return
        self.transport, self.original_send = transport, transport.send
        transport.send = self.send
        if self.gs1 is not None:
            self.wrap_serializer(transport)

    def wrap_serializer(self, transport):
        """Autobahn knows ``enc_*`` only: its parser drops ``ppt_*`` (docs/gs1.md
        §12.1), so the raw messages are read for them before it parses."""
        inner = getattr(getattr(transport, "_serializer", None), "_serializer", None)
        if inner is None or not hasattr(inner, "unserialize"):
            return
        self.object_serializer = inner
        unserialize = inner.unserialize

        def read_ppt(payload):
            raws = unserialize(payload)
            for raw in raws:
                self.note_ppt(raw)
            return raws

        inner.unserialize = read_ppt

    def note_ppt(self, raw):
        if not isinstance(raw, (list, tuple)) or len(raw) < 3 or raw[0] not in (36, 68, 50, 8):
            return
        at = _OPTIONS_AT[raw[0]]
        options = raw[at] if len(raw) > at else None
        if not isinstance(options, dict):
            return
        found = {name: options[name] for name in _PPT_NAMES if name in options}
        if found:
            if len(self.ppt_arrived) >= 4096:  # messages Autobahn refused to parse
                self.ppt_arrived.clear()
            self.ppt_arrived[_ppt_key(raw)] = found

    def take_ppt(self, msg):
        """The ``ppt_*`` attributes the raw form of ``msg`` (arriving now) had, or None."""
        if not self.ppt_arrived:
            return None
        m = self.m
        if isinstance(msg, m.Event):
            key = (36, msg.subscription, msg.publication)
        elif isinstance(msg, m.Error):
            key = (8, msg.request_type, msg.request)
        elif isinstance(msg, (m.Invocation, m.Result)):
            key = (msg.MESSAGE_TYPE, msg.request)
        else:
            return None
        return self.ppt_arrived.pop(key, None)

    def arrived(self, msg):
        """What the attributes ``msg`` arrived with say (the core's reading,
        ``gs1_read_attributes``): its ``enc_*`` and the ``ppt_*`` of its raw form."""
        attrs = {"enc_algo": msg.enc_algo, "enc_serializer": msg.enc_serializer, "enc_key": msg.enc_key}
        if self.arriving_ppt:
            attrs.update(self.arriving_ppt)
        return _native.gs1_read_attributes(attrs)

    def seal_into(self, msg, envelope, key_id):
        """``msg`` carrying the GS1 envelope in this attach's dialect. For ``ppt``
        (which Autobahn cannot write): ``Arguments = [envelope]``, and the message
        serialized here with the core's attributes added to its Options."""
        if self.gs1.dialect == "enc":
            return _sealed(msg, envelope, key_id)
        msg.payload = None
        msg.enc_algo = msg.enc_key = msg.enc_serializer = None
        msg.args, msg.kwargs = [envelope], None
        inner = self.object_serializer
        if inner is None:
            raise _native.InvalidArgumentError("dialect ppt: the transport's serializer is not reachable")
        raw = msg.marshal()
        raw[_OPTIONS_AT[raw[0]]].update(_native.gs1_attributes("ppt", key_id))
        msg._serialized[inner] = inner.serialize(raw)
        return msg

    def send(self, msg):
        m = self.m
        if self.gs1 is not None:
            msg = self.gs1_outgoing(msg)
        if isinstance(msg, (m.Subscribe, m.Register)):
            uri = msg.topic if isinstance(msg, m.Subscribe) else msg.procedure
            self.patterns[msg.request] = (uri, msg.match or "exact")
        elif isinstance(msg, m.Call):
            self.calls[msg.request] = (msg.procedure, bool(msg.enc_algo))
        elif isinstance(msg, m.Yield) and msg.request in self.sealed_invocations:
            if not msg.progress:
                self.sealed_invocations.discard(msg.request)
            if not msg.enc_algo:
                # Autobahn sends a result it failed to seal in plaintext: never.
                msg = m.Error(m.Invocation.MESSAGE_TYPE, msg.request, _REPLY_NOT_SEALED)
        elif isinstance(msg, m.Error) and msg.request_type == m.Invocation.MESSAGE_TYPE:
            if msg.request in self.sealed_invocations:
                self.sealed_invocations.discard(msg.request)
                if not msg.enc_algo and (msg.args or msg.kwargs):
                    # An error URI without a key: its payload would leave in plaintext.
                    msg = m.Error(m.Invocation.MESSAGE_TYPE, msg.request, msg.error)
        return self.original_send(msg)

    def gs1_outgoing(self, msg):
        """PUBLISH / CALL on a GS1 URI sealed under the sender's session; YIELD /
        ERROR answering a GS1 invocation sealed to its caller. A PUBLISH or CALL
        that cannot be sealed raises (nothing is sent); a reply that cannot be
        sealed becomes the ERROR ``wampe2e.error.<code>``."""
        m, gs1 = self.m, self.gs1
        if isinstance(msg, m.Publish) and not msg.enc_algo and gs1.seals(msg.topic):
            sealed = gs1.group.seal(msg.topic, msg.args, msg.kwargs, kind="event")
            return self.seal_into(msg, sealed.envelope, sealed.key_id)
        if isinstance(msg, m.Call) and not msg.enc_algo and gs1.seals(msg.procedure):
            sealed = gs1.group.seal(msg.procedure, msg.args, msg.kwargs, kind="call")
            msg = self.seal_into(msg, sealed.envelope, sealed.key_id)
            self.gs1_calls[msg.request] = _Call(msg.procedure, sealed.call_hash, msg)
            return msg
        if isinstance(msg, m.Yield) and msg.request in self.gs1_invocations:
            invocation = self.gs1_invocations[msg.request]
            if not msg.progress:
                del self.gs1_invocations[msg.request]
            try:
                if msg.enc_algo:
                    raise _native.InvalidEnvelopeError("the result was sealed in another dialect")
                kind = "progress" if msg.progress else "result"
                envelope = gs1.group.seal_reply(invocation, msg.args, msg.kwargs, kind=kind)
            except Wampe2eError as e:
                self.gs1_invocations.pop(msg.request, None)
                self.on_refused(e, msg)
                return self.refusal(m.Invocation.MESSAGE_TYPE, msg.request, e)
            return self.seal_into(msg, envelope, None)
        if (
            isinstance(msg, m.Error)
            and msg.request_type == m.Invocation.MESSAGE_TYPE
            and msg.request in self.gs1_invocations
        ):
            invocation = self.gs1_invocations.pop(msg.request)
            if msg.error.startswith(ERROR_URI_PREFIX) and not (msg.args or msg.kwargs):
                return msg  # a refusal: plaintext, no application data
            if msg.enc_algo:
                # Sealed by the keyring for the error URI: not for GS1's caller.
                return m.Error(m.Invocation.MESSAGE_TYPE, msg.request, msg.error)
            try:
                envelope = gs1.group.seal_reply(invocation, msg.args, msg.kwargs, kind="error", error_uri=msg.error)
            except Wampe2eError as e:
                self.on_refused(e, msg)
                return self.refusal(m.Invocation.MESSAGE_TYPE, msg.request, e)
            return self.seal_into(msg, envelope, None)
        return msg

    def refusal(self, request_type, request, e):
        """The ERROR carrying only the code (the refusal form every binding uses)."""
        return self.m.Error(request_type, request, _native.refusal_uri(e.code), args=[], kwargs={"code": e.code_name})

    # ---- incoming ----

    def on_message(self, msg):
        self.wrap_transport()
        m = self.m
        self.arriving_ppt = self.take_ppt(msg)
        try:
            if isinstance(msg, m.Event):
                msg = self.event(msg)
            elif isinstance(msg, m.Invocation):
                msg = self.invocation(msg)
            elif isinstance(msg, m.Result):
                msg = self.result(msg)
            elif isinstance(msg, m.Error) and msg.request_type == m.Call.MESSAGE_TYPE:
                msg = self.call_error(msg)
            elif isinstance(msg, m.Subscribed):
                self.learn(msg.request, self.subscriptions, msg.subscription)
            elif isinstance(msg, m.Registered):
                self.learn(msg.request, self.registrations, msg.registration)
        except Wampe2eError as e:  # pragma: no cover - each kind handles its own
            self.on_refused(e, msg)
            return None
        if isinstance(msg, _Opened):
            return self.deliver_opened(msg)
        if msg is not None:
            return self.deliver(msg)
        return None

    def learn(self, request, table, ident):
        pattern = self.patterns.pop(request, None)
        if pattern is not None:
            # Autobahn runs every handler on an id for each message: a router that
            # gives two different subscriptions one id would have one check stand
            # for all. Messages on such an id are refused.
            known = table.get(ident)
            table[ident] = pattern if known in (None, pattern) else _SHARED_ID

    def local(self, table, ident, fallback):
        return table.get(ident) or (fallback, "exact")

    def open(self, msg, kind, uri, is_originating):
        """Opens ``msg``'s payload for ``uri``; keeps the result for the codec."""
        encoded = self.EncodedPayload(msg.payload, msg.enc_algo, msg.enc_serializer, msg.enc_key)
        opened = self.keyring.decode(is_originating, uri, encoded)
        self.codec.opened = (msg.payload, opened)

    def route(self, kind, local_uri, match, router_uri):
        """The URI a message is for: the local one, or the router's where the local
        pattern covers it (the core's decision; ``PatternMismatchError`` otherwise)."""
        return self.routes.inbound(kind, local_uri, match, router_uri, True, False, False)[1]

    def event(self, msg):
        subs = self.session._subscriptions.get(msg.subscription)
        if not subs:
            return msg  # Autobahn's own handling of an unknown subscription
        topic, match = self.local(self.subscriptions, msg.subscription, subs[0].topic)
        try:
            if (topic, match) == _SHARED_ID:
                raise PatternMismatchError("event: the router gave different subscriptions one id")
            if self.gs1 is not None:
                uri = self.route("event", topic, match, msg.topic)
                arrived = self.arrived(msg)
                route = self.gs1.route("event", uri, arrived, False, self.strict)
                if route == "open":
                    return self.gs1_session_message(msg, "event", uri, arrived)
                if route != "keyring" or self.keyring is None:
                    msg.topic = uri
                    return msg
            sealed, uri = self.keyring.inbound(
                "event", topic, match, msg.topic, bool(msg.enc_algo), False, self.strict
            )
            if sealed:
                self.open(msg, "event", uri, False)
        except Wampe2eError as e:
            self.on_refused(e, msg)
            return None
        msg.topic = uri
        return msg

    def invocation(self, msg):
        reg = self.session._registrations.get(msg.registration)
        if reg is None:
            return msg
        procedure, match = self.local(self.registrations, msg.registration, reg.procedure)
        try:
            if self.gs1 is not None:
                uri = self.route("invocation", procedure, match, msg.procedure)
                arrived = self.arrived(msg)
                route = self.gs1.route("invocation", uri, arrived, False, self.strict)
                if route == "open":
                    return self.gs1_session_message(msg, "call", uri, arrived)
                if route != "keyring" or self.keyring is None:
                    msg.procedure = uri
                    return msg
            sealed, uri = self.keyring.inbound(
                "invocation", procedure, match, msg.procedure, bool(msg.enc_algo), False, self.strict
            )
            if sealed:
                self.open(msg, "invocation", uri, False)
        except Wampe2eError as e:
            self.refuse_invocation(msg, e)
            return None
        if sealed or self.keyring.expects_sealed(uri):
            self.sealed_invocations.add(msg.request)
        msg.procedure = uri
        return msg

    def refuse_invocation(self, msg, e):
        self.on_refused(e, msg)
        # A held invocation may be refused by a timer after the session has left.
        if self.session.is_attached():
            self.original_send(self.refusal(self.m.Invocation.MESSAGE_TYPE, msg.request, e))

    def answer(self, msg, kind, uri_of_local):
        """The RESULT or call ERROR ``msg``, checked and opened, or the ERROR that fails the call."""
        procedure, request_sealed = self.calls.get(msg.request, (None, False))
        local = uri_of_local(procedure)
        try:
            if self.keyring is None or (self.gs1 is not None and self.gs1.exempt(procedure)):
                # No keyring, or the key procedure's answer: nothing to open.
                self.routes.inbound(kind, local, None, None, bool(msg.enc_algo), request_sealed, self.strict)
                if msg.enc_algo:
                    raise _native.UnknownSchemeError(f"enc_algo {msg.enc_algo!r} on a URI without a key")
                return msg
            sealed, uri = self.keyring.inbound(
                kind, local, None, None, bool(msg.enc_algo), request_sealed, self.strict
            )
            if sealed:
                self.open(msg, kind, uri, True)
        except Wampe2eError as e:
            self.on_refused(e, msg)
            self.calls.pop(msg.request, None)
            return self.refusal(self.m.Call.MESSAGE_TYPE, msg.request, e)
        return msg

    def gs1_dropped(self, msg):
        """Whether ``msg`` answers a GS1 call already failed by a refusal (dropped)."""
        if msg.request not in self.gs1_ended:
            return False
        if isinstance(msg, self.m.Error) or not msg.progress:
            self.gs1_ended.discard(msg.request)
        return True

    def result(self, msg):
        if msg.request in self.gs1_calls:
            return self.gs1_reply(msg)
        if self.gs1_dropped(msg):
            return None
        if msg.request not in self.session._call_reqs:
            return msg
        reply = self.answer(msg, "result", lambda procedure: procedure or self.session._call_reqs[msg.request].procedure)
        if reply is msg and not msg.progress:
            self.calls.pop(msg.request, None)
        return reply

    def call_error(self, msg):
        if msg.request in self.gs1_calls:
            return self.gs1_reply(msg)
        if self.gs1_dropped(msg):
            return None
        if msg.request not in self.session._call_reqs:
            return msg
        reply = self.answer(msg, "error", lambda _procedure: msg.error)
        self.calls.pop(msg.request, None)
        return reply

    # ---- GS1 incoming (docs/gs1.md §12) ----

    @staticmethod
    def gs1_payload(msg, arrived, what):
        """The envelope at the dialect's payload position (docs/gs1.md §12.1): ``enc``,
        the one bare binary; ``ppt``, ``Arguments = [envelope]``; no ArgumentsKw."""
        if arrived[1] == "enc":
            if isinstance(msg.payload, (bytes, bytearray)):
                return bytes(msg.payload)
        elif (
            msg.payload is None
            and isinstance(msg.args, (list, tuple))
            and len(msg.args) == 1
            and isinstance(msg.args[0], (bytes, bytearray))
            and not msg.kwargs
        ):
            return bytes(msg.args[0])
        raise _native.InvalidEnvelopeError(f"{what}: the payload is not where {arrived[1]} puts it (one binary)")

    def gs1_session_message(self, msg, kind, uri, arrived):
        """An EVENT (``kind`` "event") or INVOCATION ("call") on the GS1 URI ``uri``:
        opened and returned for delivery, held while its key is fetched, or refused."""
        what = "event" if kind == "event" else "invocation"
        try:
            envelope = self.gs1_payload(msg, arrived, what)
            return self.gs1_open(msg, kind, uri, envelope, arrived)
        except _native.UnknownSessionError:
            self.gs1_hold(msg, kind, uri, envelope, arrived)
            return None
        except Wampe2eError as e:
            self.gs1_refuse(msg, kind, e)
            return None

    def set_uri(self, msg, kind, uri):
        if kind == "event":
            msg.topic = uri
        else:
            msg.procedure = uri
        return msg

    def gs1_open(self, msg, kind, uri, envelope, arrived):
        opened = self.gs1.group.open(uri, envelope, kind=kind, key_id=arrived[2])
        if kind == "call":
            self.gs1_invocations[msg.request] = opened.invocation
        msg = _plain(self.set_uri(msg, kind, uri), opened.args, opened.kwargs)
        return _Opened(msg, opened.sender)

    def gs1_refuse(self, msg, kind, e):
        if kind == "call":
            self.refuse_invocation(msg, e)
        else:
            self.on_refused(e, msg)

    def gs1_hold(self, msg, kind, uri, envelope, arrived):
        gs1 = self.gs1
        try:
            fetch = gs1.held.hold(uri, kind, envelope, (msg, kind, uri, envelope, arrived))
        except Wampe2eError as e:
            self.gs1_refuse(msg, kind, e)
            return
        if fetch is None:
            return  # behind the fetch already under way
        import txaio

        txaio.call_later(gs1.hold_ms / 1000.0 + 0.01, self.gs1_expire)
        try:
            d = self.session.call(fetch.procedure, fetch.request)
        except Exception as e:  # the session is gone: the fetch fails now
            self.gs1_fetch_failed(fetch, _native.KeyFetchFailedError.code, f"key fetch: {type(e).__name__}")
            return
        txaio.add_callbacks(d, lambda response: self.gs1_fetched(fetch, response), lambda f: self.gs1_fetch_error(fetch, f))

    def gs1_fetched(self, fetch, response):
        try:
            if not isinstance(response, bytes):
                raise _native.MalformedError("the key procedure's RESULT is not exactly one binary")
            self.gs1.group.accept_key_response(fetch.request_hash, response)
        except Wampe2eError as e:
            self.gs1_fetch_failed(fetch, e.code, str(e))
            return None
        for item in self.gs1.held.release(fetch.request_hash):
            self.gs1_redeliver(*item)
        return None

    def gs1_fetch_error(self, fetch, failure):
        from autobahn.wamp.exception import ApplicationError

        import txaio

        exc = getattr(failure, "value", failure)
        if isinstance(exc, ApplicationError):
            code, text = _native.fetch_error_code(exc.error), f"key fetch refused: {exc.error}"
        else:
            code, text = _native.KeyFetchFailedError.code, f"key fetch failed: {txaio.failure_message(failure)}"
        self.gs1_fetch_failed(fetch, code, text)
        return None

    def gs1_fetch_failed(self, fetch, code, text):
        items = self.gs1.held.fail(fetch.request_hash, code)
        self.gs1_report(items, code, text)

    def gs1_expire(self):
        items = self.gs1.held.expire()
        self.gs1_report(items, _native.KeyFetchFailedError.code, "key fetch unanswered within hold_ms")

    def gs1_report(self, items, code, text):
        for msg, kind, *_rest in items:
            self.gs1_refuse(msg, kind, _native.error_for_code(code, text))

    def gs1_redeliver(self, msg, kind, uri, envelope, arrived):
        """A held message, once its session is held: opened and delivered now."""
        try:
            opened = self.gs1_open(msg, kind, uri, envelope, arrived)
        except Wampe2eError as e:
            self.gs1_refuse(msg, kind, e)
            return
        self.deliver_opened(opened)

    def deliver_opened(self, opened):
        token = _gs1_sender.set(opened.sender)
        try:
            self.deliver(opened.msg)
        finally:
            _gs1_sender.reset(token)

    def gs1_reply(self, msg):
        """A RESULT or ERROR answering a GS1 call: opened with the call's reply key,
        or the ERROR that fails the call."""
        m = self.m
        call = self.gs1_calls[msg.request]
        is_error = isinstance(msg, m.Error)
        kind = "error" if is_error else ("progress" if msg.progress else "result")
        final = kind != "progress"
        try:
            arrived = self.arrived(msg)
            # Router errors and peers' refusals are plaintext (the core's rule).
            route = self.gs1.route("error" if is_error else "result", msg.error if is_error else call.procedure,
                                   arrived, True, self.strict)
            if route != "open":
                if is_error and msg.error == _UNKNOWN_SESSION and not call.retried:
                    # The callee did not hold the call and fetches the session: the
                    # identical envelope once more (docs/gs1.md §12.2).
                    call.retried = True
                    self.original_send(call.message)
                    return None
            else:
                reply = self.gs1.group.open_reply(
                    call.call_hash,
                    self.gs1_payload(msg, arrived, kind),
                    kind=kind,
                    error_uri=msg.error if is_error else None,
                    key_id=arrived[2],
                )
                msg = _plain(msg, reply.args, reply.kwargs)
        except Wampe2eError as e:
            self.on_refused(e, msg)
            self.gs1_calls.pop(msg.request, None)
            self.gs1.group.forget_call(call.call_hash)
            self.calls.pop(msg.request, None)
            if not final:
                if len(self.gs1_ended) >= 4096:
                    self.gs1_ended.clear()
                self.gs1_ended.add(msg.request)
            if msg.request not in self.session._call_reqs:
                return None
            return self.refusal(m.Call.MESSAGE_TYPE, msg.request, e)
        if final:
            self.gs1_calls.pop(msg.request, None)
            self.gs1.group.forget_call(call.call_hash)
            self.calls.pop(msg.request, None)
        if msg.request not in self.session._call_reqs:
            return None  # the call is no longer pending (e.g. a progress refused earlier)
        return msg


class _Opened:
    """A message opened with GS1 and its sender, for delivery."""

    __slots__ = ("msg", "sender")

    def __init__(self, msg, sender):
        self.msg, self.sender = msg, sender
