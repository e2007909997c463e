'use strict'
/**
 * wampe2e for autobahn-js: Autobahn|Python / Crossbar.io cryptobox payloads
 * (`enc_algo: "cryptobox"`, `enc_serializer: "json"`), so a JS app exchanges
 * end-to-end encrypted events and calls with Autobahn|Python apps, and is guarded
 * against the router, which sees every message.
 *
 *   const autobahn = require('autobahn')
 *   const { attachAutobahn, wampJsonSerializer } = require('wampe2e/adapters/autobahn')
 *   const connection = new autobahn.Connection({ url, realm, serializers: [wampJsonSerializer(autobahn)] })
 *   connection.onopen = (session) => {
 *     attachAutobahn(session, keyring)   // first thing in onopen: strict by default
 *     session.publish('com.example.topic', [1, 2], { k: 'v' })
 *   }
 *
 * How it hooks in: autobahn-js passes options through but has no payload codec
 * and does not surface `enc_*` details, so the adapter works at the WAMP message
 * level of the session.
 *
 * Outgoing: PUBLISH and CALL are sealed (as the originator) when the keyring has a
 * key for the URI; only `WAMPE2E_KEY_NOT_FOUND` means "no key, send plaintext",
 * any other failure (an incomplete key entry, a value that cannot be sealed)
 * throws from `publish`/`call`. YIELD (progressive ones too) and ERROR replies to
 * an invocation that was encrypted, or whose procedure the keyring has a key for,
 * are sealed (as the responder); a YIELD that cannot be sealed becomes an ERROR
 * with the code, and an ERROR whose URI has no key goes without its payload.
 *
 * Incoming: every EVENT, INVOCATION, RESULT and ERROR goes through the core's
 * inbound decision (`inbound()`) with the local URI and match policy (learnt from
 * the SUBSCRIBE and REGISTER messages the session sends), the router's
 * `Details.topic`/`procedure` being only checked against them. Strict (the
 * default): a URI the keyring has a key for must arrive encrypted, and so must an
 * answer to an encrypted call. Refused messages are dropped (EVENT), answered with
 * an ERROR `wampe2e.error.<code>` carrying only `{ code }` (INVOCATION; the handler
 * is not called), or fail the call with that ERROR (RESULT, ERROR); `onRefused`
 * hears of each. `{ strict: false }` is for migrations only: plaintext is then
 * delivered on keyed URIs too (URIs are still checked).
 *
 * Binary payloads need a binary-capable serializer: msgpack, cbor, or
 * `wampJsonSerializer()` (WAMP-JSON: binary as "\u0000" + base64).
 *
 * GS1 group sessions (docs/gs1.md), with `{ group }` (the keyring may then be
 * null): a URI an entry of the group covers is GS1's, whatever the keyring holds.
 * PUBLISH and CALL are sealed with `group.seal` (`enc_algo: "x_wampe2e_gs1"`,
 * §12.1), YIELD and ERROR replies to a GS1 invocation with `group.sealReply`.
 * Incoming messages on a covered URI, and answers to a GS1 call, must be GS1
 * envelopes (strict: plaintext is `WAMPE2E_UNEXPECTED_PLAINTEXT`; another dialect
 * is `WAMPE2E_INVALID_ENVELOPE`). An EVENT or INVOCATION of a session not held yet
 * is held while the sender's key procedure is called (once per session), then
 * delivered in order; the handler finds the authenticated sender on
 * `details.wampe2e`. The adapter registers this peer's key procedure
 * (`session.wampe2eReady` resolves once it is) and answers it itself.
 */
const wampe2e = require('../index.js')
const { UNSEALABLE, errorUri, codeOf, invalidMessage, routerUri, warnRefused } = require('./refusals.js')
const { gs1Context } = require('./gs1.js')

const ERROR = 8
const PUBLISH = 16
const SUBSCRIBE = 32
const SUBSCRIBED = 33
const EVENT = 36
const CALL = 48
const RESULT = 50
const REGISTER = 64
const REGISTERED = 65
const INVOCATION = 68
const YIELD = 70
const KIND_NAMES = { [EVENT]: 'EVENT', [INVOCATION]: 'INVOCATION', [RESULT]: 'RESULT', [ERROR]: 'ERROR' }

function withoutEnc (details) {
  const { enc_algo: _a, enc_serializer: _s, enc_key: _k, ...rest } = details || {}
  return rest
}

/** Whether a message claims an encrypted payload (Autobahn's `enc_*` or the spec's `ppt_*`). */
function isSealed (details) {
  return Boolean(details) && (details.enc_algo !== undefined || details.ppt_scheme !== undefined)
}

function toBytes (payload) {
  if (payload instanceof Uint8Array) return payload
  if (payload instanceof ArrayBuffer) return new Uint8Array(payload)
  throw Object.assign(new Error('encrypted payload is not binary'), { code: 'WAMPE2E_INVALID_ENVELOPE' })
}

/** What `learn` records for an id the router gave different patterns. */
const SHARED_ID = Object.freeze({ uri: '', match: 'shared id' })

/** Where each message type this adapter reads carries its ids. */
const ID_POSITIONS = Object.freeze({
  [SUBSCRIBED]: [1, 2],
  [REGISTERED]: [1, 2],
  [EVENT]: [1, 2],
  [INVOCATION]: [1, 2],
  [RESULT]: [1],
  [ERROR]: [2]
})
const isWampId = (v) => Number.isSafeInteger(v) && v >= 0
/** A call hash no call has: `openReply` refuses a GS1 reply to a call that was not (`WAMPE2E_UNSOLICITED`). */
const NO_CALL = new Uint8Array(32)
// An empty keyring: the core's URI resolution for a sealed arrival (`inbound`).
const NO_KEYS = new wampe2e.KeyRing()

function refusal (code, message) {
  return Object.assign(new Error(message), { code })
}

function isNonEmpty (args, kwargs) {
  return (Array.isArray(args) && args.length > 0) || (kwargs !== null && typeof kwargs === 'object' && Object.keys(kwargs).length > 0)
}

/**
 * Installs the adapter on an autobahn-js session; call it first thing in `onopen`,
 * before the session subscribes, registers or calls.
 * @param {object} session an autobahn-js `Session`
 * @param {import('../index').KeyRing} keyring
 * @param {import('./autobahn').AutobahnOptions} [options] `strict` (default true;
 *   false only for migrations), `onRefused(err, msg)` hears of each refused message
 *   (default: a process warning); `onError` is an older name of `onRefused`.
 * @returns the session
 */
function attachAutobahn (session, keyring, options = {}) {
  const strict = options.strict !== false
  const onRefused = options.onRefused || options.onError ||
    ((err, msg) => warnRefused(KIND_NAMES[msg && msg[0]] || 'message', err))
  const group = options.group || null
  if (!keyring && !group) throw new TypeError('attachAutobahn: give a keyring, a GS1 group, or both')
  // Without a keyring every URI no GS1 entry covers travels in plaintext.
  if (!keyring) keyring = new wampe2e.KeyRing()
  const gs1 = group ? gs1Context(group, options, (procedure, request) => session.call(procedure, [request])) : null
  const isKeyUri = (uri) => gs1 !== null && gs1.isKeyUri(uri)
  // GS1 invocations being answered: INVOCATION request id -> what `sealReply`
  // needs, or null once it was answered with an ERROR.
  const gs1Invocations = new Map()
  const patterns = new Map() // SUBSCRIBE/REGISTER request id -> { uri, match }
  const subscriptions = new Map() // subscription id -> { uri, match }
  const registrations = new Map() // registration id -> { uri, match }
  const calls = new Map() // CALL request id -> { procedure, sealed }
  const failedCalls = new Set() // CALL request ids a refusal failed (see `failed`)
  // INVOCATION request id -> the procedure its replies are sealed for, or null once
  // a reply could not be sealed (the invocation was answered with an ERROR).
  const sealedInvocations = new Map()
  const pending = new Set() // INVOCATION request ids delivered and not yet finally answered

  const send = session._send_wamp
  const refusalError = (requestType, request, code) => [ERROR, requestType, request, {}, errorUri(code), [], { code }]

  /**
   * Seals msg[argsAt], msg[argsAt + 1] in place for `uri`; returns false when the
   * keyring has no key for it (`WAMPE2E_KEY_NOT_FOUND`), throws any other error.
   */
  const sealInPlace = (msg, role, uri, attrsAt, argsAt) => {
    let env
    try {
      env = wampe2e.sealPayload(keyring, role, uri, msg[argsAt] ?? null, msg[argsAt + 1] ?? null)
    } catch (e) {
      if (e.code === 'WAMPE2E_KEY_NOT_FOUND') return false
      throw e
    }
    msg.length = argsAt + 1
    msg[attrsAt] = { ...msg[attrsAt], ...env.attributes }
    msg[argsAt] = env.payload
    return true
  }

  /**
   * Seals msg[argsAt], msg[argsAt + 1] in place with GS1 when an entry covers
   * `uri` (§12.1, `enc_*`): the sealed message's info, or null when none does or
   * `uri` is a key procedure's. Throws any other error.
   */
  const gs1SealInPlace = (msg, kind, uri, attrsAt, argsAt) => {
    if (!gs1 || typeof uri !== 'string' || isKeyUri(uri)) return null
    let sealed
    try {
      sealed = group.seal(uri, kind, msg[argsAt] ?? null, msg[argsAt + 1] ?? null, { dialect: 'enc' })
    } catch (e) {
      if (e.code === 'WAMPE2E_KEY_NOT_FOUND') return null
      throw e
    }
    msg.length = argsAt + 1
    msg[attrsAt] = { ...msg[attrsAt], ...sealed.attributes }
    msg[argsAt] = sealed.payload
    return sealed
  }

  /** A YIELD or an INVOCATION's ERROR answering a GS1 call, sealed with `sealReply` (null: send nothing). */
  const gs1Reply = (msg, request) => {
    const invocation = gs1Invocations.get(request)
    const final = msg[0] !== YIELD || !(msg[2] && msg[2].progress)
    if (final) gs1Invocations.delete(request)
    if (invocation === null) return null // already answered with an ERROR
    try {
      if (msg[0] === YIELD) {
        const env = group.sealReply(invocation, final ? 'result' : 'progress', msg[3] ?? null, msg[4] ?? null, null, { dialect: 'enc' })
        return [YIELD, request, { ...withoutEnc(msg[2]), ...env.attributes }, env.payload]
      }
      // Application errors are sealed too (empty ones as well): the caller opens
      // every answer to its GS1 call but the router's own and the refusals.
      const env = group.sealReply(invocation, 'error', msg[5] ?? null, msg[6] ?? null, msg[4], { dialect: 'enc' })
      return [ERROR, INVOCATION, request, { ...withoutEnc(msg[3]), ...env.attributes }, msg[4], env.payload]
    } catch (err) {
      if (!final) gs1Invocations.set(request, null)
      return refusalError(INVOCATION, request, codeOf(err, UNSEALABLE))
    }
  }

  /** The reply to send for a YIELD or an INVOCATION's ERROR (null: send nothing). */
  const reply = (msg) => {
    const request = msg[0] === YIELD ? msg[1] : msg[2]
    if (gs1Invocations.has(request)) return gs1Reply(msg, request)
    if (!sealedInvocations.has(request)) return msg
    const procedure = sealedInvocations.get(request)
    const final = msg[0] !== YIELD || !(msg[2] && msg[2].progress)
    if (final) sealedInvocations.delete(request)
    if (procedure === null) return null // already answered with an ERROR
    try {
      if (msg[0] === YIELD) {
        // Sealed even when empty; no key here is a failure too (never plaintext).
        if (!sealInPlace(msg, 'responder', procedure, 2, 3)) {
          throw Object.assign(new Error(`no key for ${procedure}`), { code: 'WAMPE2E_KEY_NOT_FOUND' })
        }
        return msg
      }
      if (!isNonEmpty(msg[5], msg[6])) return [ERROR, INVOCATION, request, withoutEnc(msg[3]), msg[4]]
      // An application error's payload, sealed for the error URI; without a key for
      // it, the error goes without its payload (which would leave in plaintext).
      if (!sealInPlace(msg, 'responder', msg[4], 3, 5)) return [ERROR, INVOCATION, request, withoutEnc(msg[3]), msg[4]]
      return msg
    } catch (err) {
      if (!final) sealedInvocations.set(request, null)
      return refusalError(INVOCATION, request, codeOf(err, UNSEALABLE))
    }
  }

  session._send_wamp = (msg) => {
    if ((msg[0] === YIELD && !(msg[2] && msg[2].progress)) || (msg[0] === ERROR && msg[1] === INVOCATION)) {
      pending.delete(msg[0] === YIELD ? msg[1] : msg[2])
    }
    switch (msg[0]) {
      case SUBSCRIBE:
      case REGISTER:
        patterns.set(msg[1], { uri: msg[3], match: (msg[2] && msg[2].match) || 'exact' })
        break
      case PUBLISH:
        try {
          if (!gs1SealInPlace(msg, 'event', msg[3], 2, 4) && !isKeyUri(msg[3])) sealInPlace(msg, 'originator', msg[3], 2, 4)
        } catch (err) {
          if (session._publish_reqs) delete session._publish_reqs[msg[1]]
          throw err
        }
        break
      case CALL: {
        let sealed = false
        let gs1Call = null
        const exempt = isKeyUri(msg[3])
        try {
          gs1Call = gs1SealInPlace(msg, 'call', msg[3], 2, 4)
          if (!gs1Call && !exempt) sealed = sealInPlace(msg, 'originator', msg[3], 2, 4)
        } catch (err) {
          if (session._call_reqs) delete session._call_reqs[msg[1]]
          throw err
        }
        calls.set(msg[1], { procedure: msg[3], sealed, gs1: gs1Call ? gs1Call.callHash : null, exempt })
        break
      }
      case YIELD:
        msg = reply(msg)
        break
      case ERROR:
        if (msg[1] === INVOCATION) msg = reply(msg)
        break
    }
    if (msg !== null) return send(msg)
  }

  const learn = (table, request, id) => {
    const pattern = patterns.get(request)
    if (pattern === undefined) return
    patterns.delete(request)
    // autobahn-js runs every handler on an id for each message: a router that gives
    // two different subscriptions one id would have one check stand for all.
    // Messages on such an id are refused.
    const known = table.get(id)
    const same = known === undefined || (known.uri === pattern.uri && known.match === pattern.match)
    table.set(id, same ? pattern : SHARED_ID)
  }

  /** The core's inbound decision, then the payload opened if it says so. */
  const decide = (arrival, details, payload) => {
    const d = wampe2e.inbound(keyring, arrival, strict)
    if (!d.open) return { opened: null, uri: d.uri }
    const role = arrival.kind === 'event' || arrival.kind === 'invocation' ? 'responder' : 'originator'
    return { opened: wampe2e.openPayload(keyring, role, d.uri, details, toBytes(payload)), uri: d.uri }
  }

  /**
   * A RESULT (`[RESULT, request, details, payload]`) or call ERROR (`[ERROR, CALL,
   * request, details, uri, payload]`) checked and opened, or the ERROR that fails
   * the call instead.
   */
  const answer = (msg, kind, request, details, localUri) => {
    const call = calls.get(request)
    const final = kind === 'error' || !details.progress
    if (final) calls.delete(request)
    if (call.exempt) return msg // a key procedure's answer: plain WAMP arguments (§11.4)
    try {
      if (typeof localUri !== 'string') throw invalidMessage('the error URI is not a string')
      const payload = kind === 'result' ? msg[3] : msg[5]
      if (gs1) {
        const r = wampe2e.readEnvelope(details, payload, kind === 'result' ? msg[4] : msg[6])
        const how = group.inbound({ kind, uri: localUri, scheme: r.scheme, requestGs1: call.gs1 !== null, strict, base: gs1.base })
        if (how === 'open') {
          const replyKind = kind === 'error' ? 'error' : (details.progress ? 'progress' : 'result')
          const o = group.openReply(call.gs1 || NO_CALL, replyKind, localUri, r.keyId, r.envelope)
          const d = { ...withoutEnc(details), wampe2e: { callee: o.callee } }
          return kind === 'result'
            ? [RESULT, request, d, o.args ?? [], o.kwargs ?? {}]
            : [ERROR, CALL, request, d, localUri, o.args ?? [], o.kwargs ?? {}]
        }
        if (how !== 'keyring') {
          if (final && call.gs1) group.forgetCall(call.gs1)
          return msg
        }
      }
      const d = decide({ kind, localUri, sealed: isSealed(details), requestSealed: call.sealed }, details, payload)
      if (d.opened === null) return msg
      const args = d.opened.args ?? []
      const kwargs = d.opened.kwargs ?? {}
      return kind === 'result'
        ? [RESULT, request, withoutEnc(details), args, kwargs]
        : [ERROR, CALL, request, withoutEnc(details), localUri, args, kwargs]
    } catch (err) {
      calls.delete(request)
      if (call.gs1) group.forgetCall(call.gs1)
      failed(request)
      onRefused(err, msg)
      return refusalError(CALL, request, codeOf(err))
    }
  }

  // A call failed by a refusal may still get its genuine answer (or more
  // progressive results): dropped, instead of reaching autobahn-js, which no longer
  // knows the request. The most recent refusals are remembered.
  const failed = (request) => {
    failedCalls.add(request)
    if (failedCalls.size > 1024) failedCalls.delete(failedCalls.values().next().value)
  }

  /**
   * Hands `msg` to autobahn-js with `wampe2e` = `ctx` on the details object its
   * handler gets (autobahn-js builds that object itself: it is set while the
   * handlers run, which autobahn-js does synchronously).
   */
  const deliver = (msg, ctx) => {
    const handlers = msg[0] === EVENT ? (session._subscriptions[msg[1]] || []) : [session._registrations[msg[2]]].filter(Boolean)
    if (handlers.length === 0) {
      // Unsubscribed or unregistered while the message was held: autobahn-js would
      // take it for a protocol violation. An event is dropped; a call is answered
      // as the router would.
      if (msg[0] === INVOCATION) {
        pending.delete(msg[1])
        gs1Invocations.delete(msg[1])
        send([ERROR, INVOCATION, msg[1], {}, 'wamp.error.no_such_registration'])
      }
      return
    }
    const field = msg[0] === EVENT ? 'handler' : 'endpoint'
    const originals = handlers.map((h) => h[field])
    handlers.forEach((h, i) => {
      const f = originals[i]
      h[field] = function (args, kwargs, details, ...rest) {
        if (details && typeof details === 'object') details.wampe2e = ctx
        return f.call(this, args, kwargs, details, ...rest)
      }
    })
    try {
      return receive(msg)
    } finally {
      handlers.forEach((h, i) => { h[field] = originals[i] })
    }
  }

  /**
   * An EVENT or INVOCATION whose GS1 envelope `r` arrived for `uri`, opened and
   * delivered, held while its session's key is fetched, or refused.
   */
  const gs1Deliver = (msg, uri, r, details) => {
    const event = msg[0] === EVENT
    let o
    try {
      o = group.open(uri, event ? 'event' : 'call', r.keyId, r.envelope)
    } catch (err) {
      if (err.code === 'WAMPE2E_UNKNOWN_SESSION') {
        const item = {
          retry: () => gs1Deliver(msg, uri, r, details),
          refuse: (e) => gs1Refuse(msg, e)
        }
        try {
          gs1.hold(uri, event ? 'event' : 'call', r.envelope, item)
          return
        } catch (e) {
          return gs1Refuse(msg, e)
        }
      }
      return gs1Refuse(msg, err)
    }
    const d = withoutEnc(details)
    const ctx = { sender: o.sender, sessionId: o.sessionId, index: o.index }
    if (event) return deliver([EVENT, msg[1], msg[2], d, o.args ?? [], o.kwargs ?? {}], ctx)
    pending.add(msg[1])
    gs1Invocations.set(msg[1], o.invocation)
    return deliver([INVOCATION, msg[1], msg[2], d, o.args ?? [], o.kwargs ?? {}], ctx)
  }

  /** A refused EVENT (dropped) or INVOCATION (answered with the code only). */
  const gs1Refuse = (msg, err) => {
    if (msg[0] === INVOCATION) send(refusalError(INVOCATION, msg[1], codeOf(err)))
    onRefused(err, msg)
  }

  /**
   * The GS1 decision for an EVENT or INVOCATION on `local`: true when it was
   * handled here (delivered, held or refused), false when the keyring decides.
   */
  const gs1Arrival = (msg, kind, local, details, routerName) => {
    if (!gs1) return false
    // The core's URI resolution (PatternMismatch), as for a sealed arrival.
    const uri = wampe2e.inbound(NO_KEYS, { kind, localUri: local.uri, match: local.match, routerUri: routerUri(details, routerName), sealed: true }).uri
    const r = wampe2e.readEnvelope(details, msg[4], msg[5])
    const how = group.inbound({ kind, uri, scheme: r.scheme, strict, base: gs1.base })
    if (how === 'keyring') return false
    if (how === 'open') {
      gs1Deliver(msg, uri, r, details)
      return true
    }
    if (kind === 'invocation' && how === 'exempt' && uri === gs1.procedure) {
      // The key procedure: answered here (§11.4), never by a handler.
      let out
      try {
        out = [YIELD, msg[1], {}, [gs1.answer(msg[4])]]
      } catch (err) {
        out = refusalError(INVOCATION, msg[1], codeOf(err))
        onRefused(err, msg)
      }
      send(out)
      return true
    }
    // Plaintext that may pass (not strict, or a key procedure URI).
    if (kind === 'invocation') pending.add(msg[1])
    receive(msg)
    return true
  }

  const receive = session._socket.onmessage
  session._socket.onmessage = (msg) => {
    // The ids below index autobahn-js's own objects: one that is not a WAMP id (an
    // integer in [0, 2^53)), such as "__proto__", would reach their prototypes.
    const ids = ID_POSITIONS[msg[0]]
    if (ids && !ids.every((at) => isWampId(msg[at]))) {
      return onRefused(invalidMessage(`message type ${msg[0]}: an id is not an integer in [0, 2^53)`), msg)
    }
    switch (msg[0]) {
      case SUBSCRIBED:
        learn(subscriptions, msg[1], msg[2])
        break
      case REGISTERED:
        learn(registrations, msg[1], msg[2])
        break
      case EVENT: {
        const subs = session._subscriptions[msg[1]]
        if (!subs || subs.length === 0) break // autobahn-js's own handling
        const local = subscriptions.get(msg[1]) || { uri: session.resolve(subs[0].topic), match: subs[0].options.match || 'exact' }
        const details = msg[3] || {}
        try {
          if (local === SHARED_ID) throw refusal('WAMPE2E_PATTERN_MISMATCH', 'event: the router gave different subscriptions one id')
          if (gs1Arrival(msg, 'event', local, details, 'topic')) return
          const arrival = { kind: 'event', localUri: local.uri, match: local.match, routerUri: routerUri(details, 'topic'), sealed: isSealed(details) }
          const d = decide(arrival, details, msg[4])
          if (d.opened !== null) msg = [EVENT, msg[1], msg[2], withoutEnc(details), d.opened.args ?? [], d.opened.kwargs ?? {}]
        } catch (err) {
          return onRefused(err, msg)
        }
        break
      }
      case INVOCATION: {
        const reg = session._registrations[msg[2]]
        if (!reg) break // autobahn-js's own handling
        const local = registrations.get(msg[2]) || { uri: session.resolve(reg.procedure), match: reg.options.match || 'exact' }
        const details = msg[3] || {}
        // A request id still being answered: a second delivery would share its
        // reply bookkeeping (and could make a reply leave unsealed). Dropped.
        if (pending.has(msg[1])) return onRefused(refusal('WAMPE2E_INVALID_MESSAGE', 'invocation: its request id is still being answered'), msg)
        let d
        try {
          if (local === SHARED_ID) throw refusal('WAMPE2E_PATTERN_MISMATCH', 'invocation: the router gave different registrations one id')
          if (gs1Arrival(msg, 'invocation', local, details, 'procedure')) return
          const arrival = { kind: 'invocation', localUri: local.uri, match: local.match, routerUri: routerUri(details, 'procedure'), sealed: isSealed(details) }
          d = decide(arrival, details, msg[4])
        } catch (err) {
          // Answered here with the code only: the handler never sees it.
          send(refusalError(INVOCATION, msg[1], codeOf(err)))
          return onRefused(err, msg)
        }
        pending.add(msg[1])
        if (d.opened !== null || keyring.expectsSealed(d.uri)) sealedInvocations.set(msg[1], d.uri)
        if (d.opened !== null) msg = [INVOCATION, msg[1], msg[2], withoutEnc(details), d.opened.args ?? [], d.opened.kwargs ?? {}]
        break
      }
      case RESULT: {
        if (failedCalls.has(msg[1])) {
          if (!(msg[2] && msg[2].progress)) failedCalls.delete(msg[1])
          return
        }
        if (!(msg[1] in session._call_reqs) || !calls.has(msg[1])) break // not a call made since attach
        msg = answer(msg, 'result', msg[1], msg[2] || {}, calls.get(msg[1]).procedure)
        break
      }
      case ERROR: {
        if (msg[1] !== CALL) break
        if (failedCalls.delete(msg[2])) return
        if (!(msg[2] in session._call_reqs) || !calls.has(msg[2])) break
        msg = answer(msg, 'error', msg[2], msg[3] || {}, msg[4])
        break
      }
    }
    return receive(msg)
  }
  if (gs1) {
    // This peer's key procedure (§11.4): answered in `gs1Arrival`, never by this endpoint.
    session.wampe2eReady = session.register(gs1.procedure, () => {
      throw new Error('wampe2e: the key procedure is answered by the adapter')
    }).then(() => undefined)
    // Rejects (the router refused the registration: another session of this
    // identity holds it) for whoever awaits it, without an unhandled rejection.
    session.wampe2eReady.catch(() => {})
    const onleave = session.onleave
    session.onleave = function (...a) {
      gs1.close()
      if (typeof onleave === 'function') return onleave.apply(this, a)
    }
  } else {
    session.wampe2eReady = Promise.resolve()
  }
  return session
}

/**
 * autobahn-js's JSON serializer with the WAMP-JSON binary convention (binary as
 * "\u0000" + base64), which the cryptobox payload needs over JSON.
 * @param {object} autobahn the `autobahn` module
 */
function wampJsonSerializer (autobahn) {
  function replacer (key, value) {
    const original = this[key]
    if (original instanceof Uint8Array) return '\u0000' + toBase64(original)
    return value
  }
  function reviver (_key, value) {
    if (typeof value === 'string' && value.charCodeAt(0) === 0) return fromBase64(value.slice(1))
    return value
  }
  return new autobahn.serializer.JSONSerializer(replacer, reviver)
}

// Base64 with Node's Buffer (binaries come back as Buffers, as the addon gives
// them), or in a browser with btoa/atob (as Uint8Arrays).
const NodeBuffer = typeof Buffer === 'function' ? Buffer : null

function toBase64 (bytes) {
  if (NodeBuffer) return NodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')
  let s = ''
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000))
  return btoa(s)
}

function fromBase64 (text) {
  if (NodeBuffer) return NodeBuffer.from(text, 'base64')
  const s = atob(text)
  const out = new Uint8Array(s.length)
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i)
  return out
}

module.exports = { attachAutobahn, wampJsonSerializer, errorUri }
