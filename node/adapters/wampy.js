'use strict'
/**
 * wampe2e for wampy.js: end-to-end encrypted payloads in the WAMP spec's Payload
 * Passthru Mode (`ppt_scheme: "wamp"`, `ppt_serializer: "cbor"`), as wampy and
 * routers such as nexus and Bondy speak it, guarded against the router, which sees
 * every message.
 *
 *   const { Wampy } = require('wampy')
 *   const { attachWampy } = require('wampe2e/adapters/wampy')
 *   const ws = new Wampy(url, { realm, serializer: new CborSerializer() })
 *   attachWampy(ws, keyring)            // before connect(): strict by default
 *   await ws.connect()
 *   await ws.publish('com.example.topic', [1, 2])   // sealed if the keyring has a key
 *
 * How it hooks in: wampy serializes a PPT payload with `payloadSerializers.cbor`,
 * which does not see the URI. The adapter therefore wraps `publish`, `call`,
 * `progressiveCall`, `subscribe` and `register`: it seals with the URI before wampy
 * sees the payload and hands wampy the sealed bytes through that serializer, and it
 * opens incoming payloads in the wrapped handlers, where the URI is known.
 *
 * Outgoing: only `WAMPE2E_KEY_NOT_FOUND` means "no key, send plaintext"; any other
 * failure to seal a PUBLISH or CALL rejects `publish`/`call`. Results (empty ones
 * too, and progressive ones) of an invocation that was encrypted, or whose
 * procedure the keyring has a key for, are sealed; one that cannot be sealed is
 * answered with an ERROR carrying the code instead. An application error's payload
 * is sealed for its error URI, or left out if the keyring has no key for it.
 *
 * Incoming: every event, invocation, result and call error goes through the core's
 * inbound decision (`inbound()`) with the topic or procedure and the `match` given
 * to `subscribe`/`register`; the router's `Details.topic`/`procedure` is only
 * checked against them. Strict (the default): a URI the keyring has a key for must
 * arrive encrypted, and so must an answer to an encrypted call. Refused events are
 * dropped; refused invocations are answered with an ERROR `wampe2e.error.<code>`
 * carrying only `{ code }` (the handler is not called); a refused result or error
 * rejects the call with an error whose `errorUri` is that URI and whose `code` is
 * the code. `onRefused` hears of each. `{ strict: false }` is for migrations only:
 * plaintext is then delivered on keyed URIs too (URIs are still checked).
 *
 * GS1 group sessions (docs/gs1.md), with `{ group }` (the keyring may then be
 * null): a URI an entry of the group covers is GS1's, whatever the keyring holds,
 * in the ppt dialect (`ppt_scheme: "x_wampe2e"`, `ppt_serializer: "cbor"`,
 * `ppt_cipher: "x_gs1"`, §12.1). Events, calls and every reply are sealed with the
 * group; incoming ones on a covered URI, and answers to a GS1 call, must be GS1
 * envelopes. An event or invocation of a session not held yet waits (held) while
 * the sender's key procedure is called, then reaches the handler in order, with the
 * authenticated sender on `details.wampe2e`. `connect()` also registers this
 * peer's key procedure, which the adapter answers itself.
 */
const wampe2e = require('../index.js')
const { UNSEALABLE, errorUri, codeOf, invalidMessage, routerUri, warnRefused } = require('./refusals.js')
const { gs1Context } = require('./gs1.js')

// An empty keyring: the core's URI resolution for a sealed arrival (`inbound`).
const NO_KEYS = new wampe2e.KeyRing()
/** A call hash no call has: `openReply` refuses a GS1 reply to a call that was not. */
const NO_CALL = new Uint8Array(32)

/** A promise that never settles: what a handler returns when wampy must send nothing more. */
const NEVER = new Promise(() => {})

/** Sealed bytes travelling through wampy's payload serializer untouched. */
class Sealed {
  constructor (bytes) {
    this.bytes = bytes
  }
}

/** wampy's payload forms: value, array, kwargs object, or { argsList, argsDict }. */
function normalize (payload) {
  if (payload === undefined || payload === null) return { args: null, kwargs: null }
  const plain = typeof payload === 'object' && !Array.isArray(payload) && !ArrayBuffer.isView(payload)
  if (plain && (payload.argsList || payload.argsDict)) {
    return { args: payload.argsList ?? null, kwargs: payload.argsDict ?? null }
  }
  if (plain) return { args: null, kwargs: payload }
  if (Array.isArray(payload)) return { args: payload, kwargs: null }
  return { args: [payload], kwargs: null }
}

function isPlainObject (v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !ArrayBuffer.isView(v)
}

function pptOptions (env) {
  const a = env.attributes
  const o = { ppt_scheme: a.ppt_scheme, ppt_serializer: a.ppt_serializer, ppt_cipher: a.ppt_cipher }
  if (a.ppt_keyid) o.ppt_keyid = a.ppt_keyid
  return o
}

function withoutPpt (options) {
  const { ppt_scheme: _s, ppt_serializer: _z, ppt_cipher: _c, ppt_keyid: _k, ...rest } = options || {}
  return rest
}

/**
 * Whether a message claims an encrypted payload. A passthru payload without a
 * cipher (`ppt_scheme` alone) is a plaintext in wampy's sense.
 */
function isSealed (details) {
  return Boolean(details) && (details.ppt_cipher !== undefined || details.enc_algo !== undefined)
}

function bytesOf (item) {
  if (item instanceof Sealed) return item.bytes
  if (item instanceof Uint8Array) return item
  if (item instanceof ArrayBuffer) return new Uint8Array(item)
  throw Object.assign(new Error('ppt payload is not binary'), { code: 'WAMPE2E_INVALID_ENVELOPE' })
}

/**
 * What a refusal is answered with: thrown from an invocation handler, wampy sends
 * `[ERROR, INVOCATION, id, {}, "wampe2e.error.<code>", [], { code }]`; a call
 * rejects with it (wampy's `CallError` shape: `errorUri`, `argsList`, `argsDict`).
 */
function refusal (err, fallback) {
  const code = codeOf(err, fallback)
  const uri = errorUri(code)
  return Object.assign(new Error(`wampe2e: refused (${code})`), {
    name: 'CallError', code, error: uri, errorUri: uri, details: {}, argsList: [], argsDict: { code }, cause: err
  })
}

/**
 * Installs the adapter on a Wampy instance (before `connect()`).
 * @param {import('wampy').Wampy} wampy
 * @param {import('../index').KeyRing} keyring
 * @param {import('./wampy').WampyOptions} [options] `strict` (default true; false
 *   only for migrations), `cipher` for what this peer seals (default
 *   `xsalsa20poly1305`), `onRefused(err, message)` hears of each refused message
 *   (default: a process warning); `onError` is an older name of `onRefused`.
 * @returns the Wampy instance
 */
function attachWampy (wampy, keyring, options = {}) {
  const strict = options.strict !== false
  const group = options.group || null
  if (!keyring && !group) throw new TypeError('attachWampy: give a keyring, a GS1 group, or both')
  // Without a keyring every URI no GS1 entry covers travels in plaintext.
  if (!keyring) keyring = new wampe2e.KeyRing()
  const cipher = options.cipher || 'xsalsa20poly1305'
  const sealOptions = { dialect: 'ppt', serializer: 'cbor', cipher }
  const onRefused = options.onRefused || options.onError || ((err, message) => warnRefused(message.kind.toUpperCase(), err))
  const refused = (kind, err, message) => onRefused(err, { kind, ...message })

  const plainCbor = wampy._options.payloadSerializers.cbor
  wampy._options.payloadSerializers.cbor = {
    protocol: 'cbor',
    isBinary: true,
    encode (p) {
      if (p && Array.isArray(p.args) && p.args[0] instanceof Sealed) return p.args[0].bytes
      if (!plainCbor) throw new Error('no cbor payload serializer for an unencrypted ppt payload')
      return plainCbor.encode(p)
    },
    decode (bytes) {
      // Opened by the wrapped handler, which knows the URI and the ppt_* details.
      return { args: [new Sealed(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes))], kwargs: undefined }
    }
  }

  /**
   * The core's inbound decision on what arrived, then the payload opened if it says
   * so: `{ args, kwargs, sealed, uri }` to deliver, or throws the refusal's error.
   */
  const open = (arrival, { details, argsList, argsDict }) => {
    const sealed = isSealed(details)
    const d = wampe2e.inbound(keyring, { ...arrival, sealed }, strict)
    if (d.open) {
      const role = arrival.kind === 'event' || arrival.kind === 'invocation' ? 'responder' : 'originator'
      const p = wampe2e.openPayload(keyring, role, d.uri, details, bytesOf(argsList && argsList[0]))
      return { args: p.args ?? undefined, kwargs: p.kwargs ?? undefined, sealed: true, uri: d.uri }
    }
    if (argsList && argsList[0] instanceof Sealed) {
      // Passthru without a cipher: plain cbor.
      if (!plainCbor) throw new Error('no cbor payload serializer for an unencrypted ppt payload')
      const p = plainCbor.decode(argsList[0].bytes)
      return { args: p.args ?? undefined, kwargs: p.kwargs ?? undefined, sealed: false, uri: d.uri }
    }
    return { args: argsList, kwargs: argsDict, sealed: false, uri: d.uri }
  }

  /** Seals for `uri`; null when the keyring has no key for it, throws any other error. */
  const seal = (role, uri, payload) => {
    const { args, kwargs } = normalize(payload)
    try {
      return wampe2e.sealPayload(keyring, role, uri, args, kwargs, sealOptions)
    } catch (e) {
      if (e.code === 'WAMPE2E_KEY_NOT_FOUND') return null
      throw e
    }
  }
  const sealedPayload = (env) => ({ argsList: [new Sealed(env.payload)] })

  // ------------------------------------------------------------------ GS1
  const gs1 = group ? gs1Context(group, options, (procedure, request) => call(procedure, [request]).then((r) => r.argsList)) : null
  const isKeyUri = (uri) => gs1 !== null && gs1.isKeyUri(uri)

  /** Sealed with GS1 (§12.1, `ppt_*`) when an entry covers `uri`; null when none does. */
  const gs1Seal = (kind, uri, payload) => {
    if (!gs1 || typeof uri !== 'string' || isKeyUri(uri)) return null
    const { args, kwargs } = normalize(payload)
    try {
      return group.seal(uri, kind, args, kwargs, { dialect: 'ppt' })
    } catch (e) {
      if (e.code === 'WAMPE2E_KEY_NOT_FOUND') return null
      throw e
    }
  }

  /** Arguments as they arrived, the ppt payload wampy decoded back to its bytes. */
  const rawArgs = (argsList) => (Array.isArray(argsList) ? argsList.map((a) => (a instanceof Sealed ? a.bytes : a)) : argsList)

  /**
   * The GS1 decision for what arrived: `{ how, uri, r }`, `how` being `'open'`
   * (a GS1 envelope `r` for `uri`), `'plain'`/`'exempt'` (deliver as it is) or
   * `'keyring'` (the keyring decides); throws a refusal.
   */
  const gs1Arrival = (arrival, { details, argsList, argsDict }, requestGs1) => {
    const uri = arrival.kind === 'event' || arrival.kind === 'invocation'
      ? wampe2e.inbound(NO_KEYS, { ...arrival, sealed: true }).uri
      : arrival.localUri
    const r = wampe2e.readEnvelope(details, rawArgs(argsList), argsDict)
    const how = group.inbound({ kind: arrival.kind, uri, scheme: r.scheme, requestGs1, strict, base: gs1.base })
    return { how, uri, r }
  }

  /**
   * Opens a GS1 event or call, holding it while its session's key is fetched:
   * resolves to what `open` returned, rejects with the refusal.
   */
  const gs1Open = (uri, kind, r) => new Promise((resolve, reject) => {
    const attempt = () => {
      try {
        resolve(group.open(uri, kind, r.keyId, r.envelope))
      } catch (err) {
        if (err.code !== 'WAMPE2E_UNKNOWN_SESSION') return reject(err)
        try {
          gs1.hold(uri, kind, r.envelope, { retry: attempt, refuse: reject })
        } catch (e) {
          reject(e)
        }
      }
    }
    attempt()
  })

  /** A GS1 call's answer opened: `{ args, kwargs }`, or null to deliver it as it is; throws a refusal. */
  const gs1Answer = (kind, uri, callHash, message) => {
    const a = gs1Arrival({ kind, localUri: uri }, message, callHash !== null)
    if (a.how === 'open') {
      const replyKind = kind === 'error' ? 'error' : (message.details && message.details.progress ? 'progress' : 'result')
      const o = group.openReply(callHash || NO_CALL, replyKind, uri, a.r.keyId, a.r.envelope)
      return { args: o.args ?? undefined, kwargs: o.kwargs ?? undefined, callee: o.callee }
    }
    if (a.how === 'keyring') return undefined
    return null
  }

  const publish = wampy.publish.bind(wampy)
  wampy.publish = async (topic, payload, advancedOptions) => {
    const g = gs1Seal('event', topic, payload)
    if (g) return publish(topic, sealedPayload(g), { ...advancedOptions, ...g.attributes })
    if (isKeyUri(topic)) return publish(topic, payload, advancedOptions)
    const env = seal('originator', topic, payload)
    if (!env) return publish(topic, payload, advancedOptions)
    return publish(topic, sealedPayload(env), { ...advancedOptions, ...pptOptions(env) })
  }

  const subscribe = wampy.subscribe.bind(wampy)
  wampy.subscribe = (topic, onEvent, advancedOptions) => {
    const handler = typeof onEvent === 'function' ? onEvent : onEvent && onEvent.onEvent
    const match = (advancedOptions && advancedOptions.match) || 'exact'
    const wrapped = async (ev) => {
      if (gs1) {
        let a
        try {
          a = gs1Arrival({ kind: 'event', localUri: topic, match, routerUri: routerUri(ev.details, 'topic') }, ev, false)
        } catch (err) {
          return refused('event', err, ev)
        }
        if (a.how === 'plain' || a.how === 'exempt') return handler(ev)
        if (a.how === 'open') {
          let o
          try {
            o = await gs1Open(a.uri, 'event', a.r)
          } catch (err) {
            return refused('event', err, ev)
          }
          const wampe2eInfo = { sender: o.sender, sessionId: o.sessionId, index: o.index }
          return handler({ ...ev, details: { ...ev.details, wampe2e: wampe2eInfo }, argsList: o.args ?? undefined, argsDict: o.kwargs ?? undefined })
        }
      }
      let p
      try {
        p = open({ kind: 'event', localUri: topic, match, routerUri: routerUri(ev.details, 'topic') }, ev)
      } catch (err) {
        return refused('event', err, ev)
      }
      return handler({ ...ev, argsList: p.args, argsDict: p.kwargs })
    }
    const callbacks = typeof onEvent === 'function' ? wrapped : { ...onEvent, onEvent: wrapped }
    return subscribe(topic, callbacks, advancedOptions)
  }

  /**
   * A call's answer checked and opened: `result` resolves to wampy's result or
   * rejects with its `CallError`; `state.refused` is set by a refused progressive
   * result, which fails the call whatever its answer.
   */
  const answered = async (topic, requestSealed, result, state) => {
    let res
    try {
      res = await result
    } catch (err) {
      if (state.refused) throw refusal(state.refused)
      // wampy's own errors (not connected, invalid options) are no WAMP ERROR.
      if (!err || !('errorUri' in err)) throw err
      let p
      try {
        if (typeof err.errorUri !== 'string') throw invalidMessage('the error URI is not a string')
        p = open({ kind: 'error', localUri: err.errorUri, requestSealed }, err)
      } catch (e) {
        refused('error', e, err)
        throw refusal(e)
      }
      err.argsList = p.args
      err.argsDict = p.kwargs
      throw err
    }
    if (state.refused) throw refusal(state.refused)
    let p
    try {
      p = open({ kind: 'result', localUri: topic, requestSealed }, res)
    } catch (e) {
      refused('result', e, res)
      throw refusal(e)
    }
    return { ...res, argsList: p.args, argsDict: p.kwargs }
  }

  /** The call's options, with the envelope's attributes and progressive results opened. */
  const callOptions = (topic, env, advancedOptions, state) => {
    const opts = { ...advancedOptions, ...(env ? pptOptions(env) : {}) }
    const onProgress = advancedOptions && advancedOptions.progress_callback
    if (typeof onProgress === 'function') {
      opts.progress_callback = (res) => {
        if (state.refused) return
        let p
        try {
          p = open({ kind: 'result', localUri: topic, requestSealed: Boolean(env) }, res)
        } catch (e) {
          state.refused = e
          return refused('result', e, res)
        }
        return onProgress({ ...res, argsList: p.args, argsDict: p.kwargs })
      }
    }
    return opts
  }

  /** A GS1 call's options: the envelope's attributes, progressive results opened. */
  const gs1CallOptions = (topic, g, advancedOptions, state) => {
    const opts = { ...advancedOptions, ...g.attributes }
    const onProgress = advancedOptions && advancedOptions.progress_callback
    if (typeof onProgress === 'function') {
      opts.progress_callback = (res) => {
        if (state.refused) return
        let p
        try {
          p = gs1Answer('result', topic, g.callHash, res)
        } catch (e) {
          state.refused = e
          return refused('result', e, res)
        }
        if (!p) return onProgress(res)
        return onProgress({ ...res, details: { ...res.details, wampe2e: { callee: p.callee } }, argsList: p.args, argsDict: p.kwargs })
      }
    }
    return opts
  }

  /** A GS1 call's answer opened, or its refusal; the pending call is forgotten unless it opened. */
  const gs1Answered = async (topic, g, result, state) => {
    const forget = () => group.forgetCall(g.callHash)
    let res
    try {
      res = await result
    } catch (err) {
      if (state.refused) {
        forget()
        throw refusal(state.refused)
      }
      if (!err || !('errorUri' in err)) {
        forget()
        throw err
      }
      let p
      try {
        if (typeof err.errorUri !== 'string') throw invalidMessage('the error URI is not a string')
        p = gs1Answer('error', err.errorUri, g.callHash, err)
      } catch (e) {
        forget()
        refused('error', e, err)
        throw refusal(e)
      }
      if (!p) {
        forget()
        throw err
      }
      err.argsList = p.args
      err.argsDict = p.kwargs
      err.details = { ...err.details, wampe2e: { callee: p.callee } }
      throw err
    }
    if (state.refused) {
      forget()
      throw refusal(state.refused)
    }
    let p
    try {
      p = gs1Answer('result', topic, g.callHash, res)
    } catch (e) {
      forget()
      refused('result', e, res)
      throw refusal(e)
    }
    if (!p) {
      forget()
      return res
    }
    return { ...res, details: { ...res.details, wampe2e: { callee: p.callee } }, argsList: p.args, argsDict: p.kwargs }
  }

  const call = wampy.call.bind(wampy)
  wampy.call = async (topic, payload, advancedOptions) => {
    const g = gs1Seal('call', topic, payload)
    if (g) {
      const state = { refused: null }
      return gs1Answered(topic, g, call(topic, sealedPayload(g), gs1CallOptions(topic, g, advancedOptions, state)), state)
    }
    if (isKeyUri(topic)) return call(topic, payload, advancedOptions)
    const env = seal('originator', topic, payload)
    const state = { refused: null }
    const opts = callOptions(topic, env, advancedOptions, state)
    return answered(topic, Boolean(env), call(topic, env ? sealedPayload(env) : payload, opts), state)
  }

  if (typeof wampy.progressiveCall === 'function') {
    const progressiveCall = wampy.progressiveCall.bind(wampy)
    wampy.progressiveCall = (topic, payload, advancedOptions) => {
      if (gs1 && !isKeyUri(topic) && group.select(topic)) {
        // Each chunk would be a call of its own under GS1: not supported.
        throw Object.assign(new Error(`progressive calls are not supported on GS1 URIs (${topic})`), { code: 'WAMPE2E_INVALID_ARGUMENT' })
      }
      const env = seal('originator', topic, payload)
      const state = { refused: null }
      const opts = callOptions(topic, env, advancedOptions, state)
      const { result, sendData } = progressiveCall(topic, env ? sealedPayload(env) : payload, opts)
      return {
        result: answered(topic, Boolean(env), result, state),
        // Every chunk sealed like the first (the call's options name its envelope).
        sendData: (more, moreOptions) => {
          const next = seal('originator', topic, more)
          if (Boolean(next) !== Boolean(env)) {
            throw Object.assign(new Error(`the keyring's key for ${topic} changed during the call`), { code: 'WAMPE2E_KEY_NOT_FOUND' })
          }
          return sendData(next ? sealedPayload(next) : more, moreOptions)
        }
      }
    }
  }

  const register = wampy.register.bind(wampy)
  wampy.register = (topic, rpc, advancedOptions) => {
    const handler = typeof rpc === 'function' ? rpc : rpc && rpc.rpc
    const match = (advancedOptions && advancedOptions.match) || 'exact'
    const wrapped = async (inv) => {
      if (gs1) {
        let a
        try {
          a = gs1Arrival({ kind: 'invocation', localUri: topic, match, routerUri: routerUri(inv.details, 'procedure') }, inv, false)
        } catch (err) {
          refused('invocation', err, inv)
          throw refusal(err)
        }
        if (a.how === 'plain' || a.how === 'exempt') return handler(inv)
        if (a.how === 'open') {
          let o
          try {
            o = await gs1Open(a.uri, 'call', a.r)
          } catch (err) {
            refused('invocation', err, inv)
            throw refusal(err) // answered with the code only: the handler never sees it
          }
          return gs1Invoke(handler, inv, o)
        }
      }
      let p
      try {
        p = open({ kind: 'invocation', localUri: topic, match, routerUri: routerUri(inv.details, 'procedure') }, inv)
      } catch (err) {
        refused('invocation', err, inv)
        throw refusal(err) // answered with the code only: the handler never sees it
      }
      // Replies to an encrypted invocation, or on a keyed procedure, are sealed.
      const sealReplies = p.sealed || keyring.expectsSealed(p.uri)
      const reply = (result) => (sealReplies ? sealResult(p.uri, result) : result)
      const fail = (e) => (sealReplies ? sealError(e) : e)
      // Once an ERROR went out from inside the handler (its own, or for a
      // progressive result that could not be sealed), the invocation is over: later
      // replies are not sent.
      let over = false
      const sendError = (e) => {
        if (over) return
        over = true
        return inv.error_handler(e)
      }
      const invocation = {
        ...inv,
        argsList: p.args,
        argsDict: p.kwargs,
        // Progressive results and errors sent from inside the handler.
        result_handler: (result) => {
          if (over) return
          let out
          try {
            out = reply(result)
          } catch (e) {
            return sendError(e)
          }
          return inv.result_handler(out)
        },
        error_handler: (e) => sendError(fail(e))
      }
      let result
      try {
        result = await handler(invocation)
      } catch (e) {
        if (over) return NEVER
        throw fail(e)
      }
      // wampy sends what this resolves to (or the ERROR for what it throws): after
      // the invocation is over, it is kept waiting instead.
      if (over) return NEVER
      return reply(result) // a result that cannot be sealed throws its refusal: an ERROR
    }
    const callbacks = typeof rpc === 'function' ? wrapped : { ...rpc, rpc: wrapped }
    return register(topic, callbacks, advancedOptions)
  }

  /**
   * Runs `handler` on an opened GS1 invocation `o`: `details.wampe2e.sender` is
   * the caller's authenticated identity; every reply (progressive ones, the
   * final result, an application error) is sealed with `sealReply`.
   */
  const gs1Invoke = async (handler, inv, o) => {
    const invocation = o.invocation
    const sealGs1Result = (result, progress) => {
      let env
      try {
        const { args, kwargs } = normalize(result)
        env = group.sealReply(invocation, progress ? 'progress' : 'result', args, kwargs, null, { dialect: 'ppt' })
      } catch (err) {
        throw refusal(err, UNSEALABLE)
      }
      const resultOptions = isPlainObject(result) && isPlainObject(result.options) ? result.options : {}
      return { options: { ...withoutPpt(resultOptions), ...env.attributes }, ...sealedPayload(env) }
    }
    const sealGs1Error = (e) => {
      const uri = (e && typeof e.error === 'string' && e.error) || 'wamp.error.invocation_exception'
      let env
      try {
        env = group.sealReply(invocation, 'error', (e && e.argsList) ?? null, (e && e.argsDict) ?? null, uri, { dialect: 'ppt' })
      } catch (err) {
        return refusal(err, UNSEALABLE)
      }
      return { error: uri, details: { ...withoutPpt(e && e.details), ...env.attributes }, argsList: [env.payload] }
    }
    let over = false
    const sendError = (e) => {
      if (over) return
      over = true
      return inv.error_handler(e)
    }
    const args = {
      ...inv,
      details: { ...inv.details, wampe2e: { sender: o.sender, sessionId: o.sessionId, index: o.index } },
      argsList: o.args ?? undefined,
      argsDict: o.kwargs ?? undefined,
      result_handler: (result) => {
        if (over) return
        const progress = isPlainObject(result) && isPlainObject(result.options) && result.options.progress === true
        let out
        try {
          out = sealGs1Result(result, progress)
        } catch (e) {
          return sendError(e)
        }
        if (!progress) over = true
        return inv.result_handler(out)
      },
      error_handler: (e) => sendError(sealGs1Error(e))
    }
    let result
    try {
      result = await handler(args)
    } catch (e) {
      if (over) return NEVER
      over = true
      throw sealGs1Error(e)
    }
    if (over) return NEVER
    over = true
    return sealGs1Result(result, false)
  }

  if (gs1) {
    // This peer's key procedure (§11.4), registered once connected: `connect()`
    // resolves when it is.
    const connect = wampy.connect.bind(wampy)
    wampy.connect = async (...a) => {
      const r = await connect(...a)
      await register(gs1.procedure, ({ argsList }) => {
        try {
          return { argsList: [gs1.answer(argsList)] }
        } catch (err) {
          refused('invocation', err, { procedure: gs1.procedure })
          throw refusal(err)
        }
      })
      return r
    }
    const disconnect = wampy.disconnect.bind(wampy)
    wampy.disconnect = (...a) => {
      gs1.close()
      return disconnect(...a)
    }
  }

  /** A handler's result sealed as the YIELD wampy sends; throws the refusal if it cannot be. */
  const sealResult = (procedure, result) => {
    let env
    try {
      // The payload wampy would send in plaintext (an empty one too); no key is a failure here.
      const { args, kwargs } = normalize(result)
      env = wampe2e.sealPayload(keyring, 'responder', procedure, args, kwargs, sealOptions)
    } catch (err) {
      throw refusal(err, UNSEALABLE)
    }
    const resultOptions = isPlainObject(result) && isPlainObject(result.options) ? result.options : {}
    return { options: { ...withoutPpt(resultOptions), ...pptOptions(env) }, ...sealedPayload(env) }
  }

  /** An application error to an encrypted invocation, its payload sealed for its error URI. */
  const sealError = (e) => {
    if (!e || !(e.argsList !== undefined || e.argsDict !== undefined)) return e
    const uri = e.error || 'wamp.error.invocation_exception'
    const details = withoutPpt(e.details)
    let env
    try {
      env = wampe2e.sealPayload(keyring, 'responder', uri, e.argsList ?? null, e.argsDict ?? null, sealOptions)
    } catch (err) {
      // No key for the error URI: the error goes without its payload.
      if (err.code === 'WAMPE2E_KEY_NOT_FOUND') return { error: uri, details }
      return refusal(err, UNSEALABLE)
    }
    return { error: uri, details: { ...details, ...pptOptions(env) }, argsList: [env.payload] }
  }

  return wampy
}

module.exports = { attachWampy, Sealed, errorUri }
