'use strict'
/**
 * wampe2e for wampy.js: end-to-end encrypted payloads in the WAMP spec's Payload
 * Passthru Mode (`ppt_scheme: "wamp"`, `ppt_serializer: "cbor"`), as wampy and
 * routers such as nexus and Bondy speak it.
 *
 *   const { Wampy } = require('wampy')
 *   const { attachWampy } = require('wampe2e/adapters/wampy')
 *   const ws = new Wampy(url, { realm, serializer: new CborSerializer() })
 *   attachWampy(ws, keyring)            // before connect()
 *   await ws.connect()
 *   await ws.publish('com.example.topic', [1, 2])   // sealed if the keyring has a key
 *
 * How it hooks in: wampy serializes a PPT payload with `payloadSerializers.cbor`,
 * which does not see the URI. The adapter therefore wraps `publish`, `call`,
 * `subscribe` and `register`: it seals with the URI before wampy sees the payload
 * and hands wampy the sealed bytes through that serializer, and it opens incoming
 * payloads in the wrapped handlers, where the URI is known. URIs without a key in
 * the keyring travel unencrypted, as with Autobahn's cryptobox.
 */
const wampe2e = require('../index.js')

/** Sealed bytes travelling through wampy's payload serializer untouched. */
class Sealed {
  constructor (bytes) {
    this.bytes = bytes
  }
}

const NO_KEY = new Set(['WAMPE2E_KEY_NOT_FOUND', 'WAMPE2E_KEY_INCOMPLETE'])

/** wampy's payload forms: value, array, kwargs object, or { argsList, argsDict }. */
function normalize (payload) {
  if (payload === undefined || payload === null) return { args: null, kwargs: null }
  const plain = typeof payload === 'object' && !Array.isArray(payload) && !ArrayBuffer.isView(payload)
  if (plain && ('argsList' in payload || 'argsDict' in payload)) {
    return { args: payload.argsList ?? null, kwargs: payload.argsDict ?? null }
  }
  if (plain) return { args: null, kwargs: payload }
  if (Array.isArray(payload)) return { args: payload, kwargs: null }
  return { args: [payload], kwargs: null }
}

function pptOptions (env) {
  const a = env.attributes
  const o = { ppt_scheme: a.ppt_scheme, ppt_serializer: a.ppt_serializer, ppt_cipher: a.ppt_cipher }
  if (a.ppt_keyid) o.ppt_keyid = a.ppt_keyid
  return o
}

function isSealed (details) {
  return Boolean(details && details.ppt_scheme === 'wamp' && details.ppt_cipher)
}

function bytesOf (item) {
  if (item instanceof Sealed) return item.bytes
  if (item instanceof Uint8Array) return item
  if (item instanceof ArrayBuffer) return new Uint8Array(item)
  throw Object.assign(new Error('ppt payload is not binary'), { code: 'WAMPE2E_INVALID_ENVELOPE' })
}

/**
 * Installs the adapter on a Wampy instance (before `connect()`).
 * @param {import('wampy').Wampy} wampy
 * @param {import('../index').KeyRing} keyring
 * @param {{ cipher?: 'xsalsa20poly1305' | 'aes256gcm', onError?: (err: Error, details: object) => void }} [options]
 *   `onError` receives events that could not be opened (default: a process warning).
 */
function attachWampy (wampy, keyring, options = {}) {
  const cipher = options.cipher || 'xsalsa20poly1305'
  const sealOptions = { dialect: 'ppt', serializer: 'cbor', cipher }
  const onError = options.onError || ((err) => process.emitWarning(`wampe2e: dropped event: ${err.message}`))
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

  const open = (role, uri, details, argsList) => {
    if (isSealed(details)) {
      return wampe2e.openPayload(keyring, role, uri, details, bytesOf(argsList[0]))
    }
    if (details && details.ppt_scheme && argsList && argsList[0] instanceof Sealed) {
      // Passthru without a cipher: plain cbor.
      if (!plainCbor) throw new Error('no cbor payload serializer for an unencrypted ppt payload')
      const p = plainCbor.decode(argsList[0].bytes)
      return { uri, args: p.args ?? null, kwargs: p.kwargs ?? null }
    }
    return null
  }

  /** Seals for `uri`, or returns null when the keyring has no key for it. */
  const seal = (role, uri, payload) => {
    const { args, kwargs } = normalize(payload)
    try {
      return wampe2e.sealPayload(keyring, role, uri, args, kwargs, sealOptions)
    } catch (e) {
      if (NO_KEY.has(e.code)) return null
      throw e
    }
  }

  const publish = wampy.publish.bind(wampy)
  wampy.publish = (topic, payload, advancedOptions) => {
    const env = seal('originator', topic, payload)
    if (!env) return publish(topic, payload, advancedOptions)
    return publish(topic, { argsList: [new Sealed(env.payload)] }, { ...advancedOptions, ...pptOptions(env) })
  }

  const subscribe = wampy.subscribe.bind(wampy)
  wampy.subscribe = (topic, onEvent, advancedOptions) => {
    const handler = typeof onEvent === 'function' ? onEvent : onEvent && onEvent.onEvent
    const wrapped = async (ev) => {
      let opened
      try {
        opened = open('responder', ev.details.topic || topic, ev.details, ev.argsList)
      } catch (err) {
        return onError(err, ev.details)
      }
      if (!opened) return handler(ev)
      return handler({ ...ev, argsList: opened.args ?? undefined, argsDict: opened.kwargs ?? undefined })
    }
    const callbacks = typeof onEvent === 'function' ? wrapped : { ...onEvent, onEvent: wrapped }
    return subscribe(topic, callbacks, advancedOptions)
  }

  const call = wampy.call.bind(wampy)
  wampy.call = async (topic, payload, advancedOptions) => {
    const env = seal('originator', topic, payload)
    let result
    try {
      result = env
        ? await call(topic, { argsList: [new Sealed(env.payload)] }, { ...advancedOptions, ...pptOptions(env) })
        : await call(topic, payload, advancedOptions)
    } catch (err) {
      if (err && isSealed(err.details) && Array.isArray(err.argsList)) {
        const opened = wampe2e.openPayload(keyring, 'originator', err.errorUri ?? err.error, err.details, bytesOf(err.argsList[0]))
        err.argsList = opened.args ?? undefined
        err.argsDict = opened.kwargs ?? undefined
      }
      throw err
    }
    const opened = result && open('originator', topic, result.details, result.argsList)
    return opened ? { ...result, argsList: opened.args ?? undefined, argsDict: opened.kwargs ?? undefined } : result
  }

  const register = wampy.register.bind(wampy)
  wampy.register = (topic, rpc, advancedOptions) => {
    const handler = typeof rpc === 'function' ? rpc : rpc && rpc.rpc
    const wrapped = async (inv) => {
      const opened = open('responder', inv.details.procedure || topic, inv.details, inv.argsList)
      const encrypted = Boolean(opened) && isSealed(inv.details)
      const call = opened ? { ...inv, argsList: opened.args ?? undefined, argsDict: opened.kwargs ?? undefined } : inv
      let result
      try {
        result = await handler(call)
      } catch (err) {
        // Application errors with a payload go back sealed for the error URI.
        if (encrypted && err && (err.argsList || err.argsDict)) {
          const sealed = seal('responder', err.error || 'wamp.error.invocation_exception',
            { argsList: err.argsList, argsDict: err.argsDict })
          if (sealed) {
            throw Object.assign(err, { details: { ...err.details, ...pptOptions(sealed) }, argsList: [sealed.payload], argsDict: undefined })
          }
        }
        throw err
      }
      if (!encrypted || result === undefined || result === null) return result
      const payload = { argsList: result.argsList, argsDict: result.argsDict }
      const sealed = seal('responder', inv.details.procedure || topic, payload)
      if (!sealed) return result
      return { options: { ...result.options, ...pptOptions(sealed) }, argsList: [new Sealed(sealed.payload)] }
    }
    const callbacks = typeof rpc === 'function' ? wrapped : { ...rpc, rpc: wrapped }
    return register(topic, callbacks, advancedOptions)
  }
  return wampy
}

module.exports = { attachWampy, Sealed }
