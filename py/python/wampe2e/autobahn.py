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
"""

from wampe2e import _native
from wampe2e._native import PatternMismatchError, Wampe2eError

__all__ = ["Key", "KeyRing", "attach"]

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
    """The error URI ``attach`` uses for a code name such as ``WAMPE2E_REFLECTED``."""
    return ERROR_URI_PREFIX + code_name[len("WAMPE2E_") :].lower()


def attach(session, keyring, strict=True, on_refused=None):
    """Encrypts and decrypts ``session``'s payloads with ``keyring`` and guards it
    against a hostile router (see the module documentation). Call it before the
    session subscribes or registers: match policies are learnt from the SUBSCRIBE
    and REGISTER messages. Returns the session."""
    if not isinstance(keyring, KeyRing):
        raise TypeError(f"keyring: expected wampe2e.autobahn.KeyRing, got {type(keyring).__name__}")
    _Guard(session, keyring, bool(strict), on_refused).install()
    return session


#: What ``_Guard.learn`` records for an id the router gave different patterns.
_SHARED_ID = ("", "shared id")


class _Codec:
    """The payload codec ``attach`` installs: the keyring, plus the payloads the guard
    already opened (so Autobahn gets them without decrypting twice)."""

    def __init__(self, keyring):
        self.keyring = keyring
        self.opened = None  # (payload bytes object, (uri, args, kwargs))

    def encode(self, is_originating, uri, args=None, kwargs=None):
        return self.keyring.encode(is_originating, uri, args, kwargs)

    def decode(self, is_originating, uri, encoded_payload):
        # Autobahn decodes an EVENT once per handler on its subscription.
        opened = self.opened
        if opened is not None and opened[0] is encoded_payload.payload:
            return opened[1]
        return self.keyring.decode(is_originating, uri, encoded_payload)


try:
    IPayloadCodec.register(_Codec)
except NameError:  # pragma: no cover
    pass


class _Guard:
    def __init__(self, session, keyring, strict, on_refused):
        from autobahn.wamp import message
        from autobahn.wamp.types import EncodedPayload

        self.m = message
        self.EncodedPayload = EncodedPayload
        self.session = session
        self.keyring = keyring
        self.strict = strict
        self.on_refused = on_refused or self._log_refused
        self.codec = _Codec(keyring)
        self.patterns = {}  # SUBSCRIBE/REGISTER request id -> (uri, match)
        self.subscriptions = {}  # subscription id -> (topic, match)
        self.registrations = {}  # registration id -> (procedure, match)
        self.calls = {}  # CALL request id -> (procedure, sealed)
        self.sealed_invocations = set()  # INVOCATION request ids whose reply must be sealed
        self.transport = None
        self.original_send = None

    def install(self):
        self.session.set_payload_codec(self.codec)
        self.deliver = self.session.onMessage
        self.session.onMessage = self.on_message
        self.wrap_transport()

    @staticmethod
    def _log_refused(error, msg):
        import txaio

        txaio.make_logger().warn(
            "wampe2e: refused {kind}: {error}", kind=type(msg).__name__.upper(), error=error
        )

    # ---- outgoing ----

    def wrap_transport(self):
        transport = getattr(self.session, "_transport", None)
        if transport is None or transport is self.transport:
            return
        self.transport, self.original_send = transport, transport.send
        transport.send = self.send

    def send(self, msg):
        m = self.m
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
                msg = m.Error(m.Invocation.MESSAGE_TYPE, msg.request, ERROR_URI_PREFIX + "reply_not_sealed")
        elif isinstance(msg, m.Error) and msg.request_type == m.Invocation.MESSAGE_TYPE:
            if msg.request in self.sealed_invocations:
                self.sealed_invocations.discard(msg.request)
                if not msg.enc_algo and (msg.args or msg.kwargs):
                    # An error URI without a key: its payload would leave in plaintext.
                    msg = m.Error(m.Invocation.MESSAGE_TYPE, msg.request, msg.error)
        return self.original_send(msg)

    # ---- incoming ----

    def on_message(self, msg):
        self.wrap_transport()
        m = self.m
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

    def event(self, msg):
        subs = self.session._subscriptions.get(msg.subscription)
        if not subs:
            return msg  # Autobahn's own handling of an unknown subscription
        topic, match = self.local(self.subscriptions, msg.subscription, subs[0].topic)
        try:
            if (topic, match) == _SHARED_ID:
                raise PatternMismatchError("event: the router gave different subscriptions one id")
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
            sealed, uri = self.keyring.inbound(
                "invocation", procedure, match, msg.procedure, bool(msg.enc_algo), False, self.strict
            )
            if sealed:
                self.open(msg, "invocation", uri, False)
        except Wampe2eError as e:
            self.on_refused(e, msg)
            self.original_send(
                self.m.Error(
                    self.m.Invocation.MESSAGE_TYPE,
                    msg.request,
                    error_uri(e.code_name),
                    args=[],
                    kwargs={"code": e.code_name},
                )
            )
            return None
        if sealed or self.keyring.expects_sealed(uri):
            self.sealed_invocations.add(msg.request)
        msg.procedure = uri
        return msg

    def answer(self, msg, kind, uri_of_local):
        """The RESULT or call ERROR ``msg``, checked and opened, or the ERROR that fails the call."""
        procedure, request_sealed = self.calls.get(msg.request, (None, False))
        local = uri_of_local(procedure)
        try:
            sealed, uri = self.keyring.inbound(
                kind, local, None, None, bool(msg.enc_algo), request_sealed, self.strict
            )
            if sealed:
                self.open(msg, kind, uri, True)
        except Wampe2eError as e:
            self.on_refused(e, msg)
            self.calls.pop(msg.request, None)
            return self.m.Error(
                self.m.Call.MESSAGE_TYPE, msg.request, error_uri(e.code_name), args=[], kwargs={"code": e.code_name}
            )
        return msg

    def result(self, msg):
        if msg.request not in self.session._call_reqs:
            return msg
        reply = self.answer(msg, "result", lambda procedure: procedure or self.session._call_reqs[msg.request].procedure)
        if reply is msg and not msg.progress:
            self.calls.pop(msg.request, None)
        return reply

    def call_error(self, msg):
        if msg.request not in self.session._call_reqs:
            return msg
        reply = self.answer(msg, "error", lambda _procedure: msg.error)
        self.calls.pop(msg.request, None)
        return reply
