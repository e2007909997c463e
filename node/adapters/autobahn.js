'use strict'
/**
 * wampe2e for autobahn-js: Autobahn|Python / Crossbar.io cryptobox payloads
 * (`enc_algo: "cryptobox"`, `enc_serializer: "json"`), so a JS app exchanges
 * end-to-end encrypted events and calls with Autobahn|Python apps.
 *
 *   const autobahn = require('autobahn')
 *   const { attachAutobahn, wampJsonSerializer } = require('wampe2e/adapters/autobahn')
 *   const connection = new autobahn.Connection({ url, realm, serializers: [wampJsonSerializer(autobahn)] })
 *   connection.onopen = (session) => {
 *     attachAutobahn(session, keyring)   // first thing in onopen
 *     session.publish('com.example.topic', [1, 2], { k: 'v' })
 *   }
 *
 * How it hooks in: autobahn-js passes options through but has no payload codec
 * and does not surface `enc_*` details, so the adapter works at the WAMP message
 * level of the session. Outgoing PUBLISH and CALL are sealed (as the originator)
 * when the keyring has a key for the URI; YIELD and ERROR replies are sealed (as
 * the responder) when the invocation was encrypted, as Autobahn|Python does.
 * Incoming EVENT, INVOCATION, RESULT and ERROR with `enc_algo` are opened before
 * the session sees them. URIs without a key travel unencrypted.
 *
 * Binary payloads need a binary-capable serializer: msgpack, cbor, or
 * `wampJsonSerializer()` (WAMP-JSON: binary as "\u0000" + base64).
 */
const wampe2e = require('../index.js')

const PUBLISH = 16
const EVENT = 36
const CALL = 48
const RESULT = 50
const INVOCATION = 68
const YIELD = 70
const ERROR = 8
const NO_KEY = new Set(['WAMPE2E_KEY_NOT_FOUND', 'WAMPE2E_KEY_INCOMPLETE'])

function withoutEnc (details) {
  const { enc_algo: _a, enc_serializer: _s, enc_key: _k, ...rest } = details || {}
  return rest
}

function toBytes (payload) {
  if (payload instanceof Uint8Array) return payload
  if (payload instanceof ArrayBuffer) return new Uint8Array(payload)
  throw Object.assign(new Error('encrypted payload is not binary'), { code: 'WAMPE2E_INVALID_ENVELOPE' })
}

/**
 * Installs the adapter on an autobahn-js session; call it first thing in `onopen`.
 * @param {object} session an autobahn-js `Session`
 * @param {import('../index').KeyRing} keyring
 * @param {{ onError?: (err: Error, msg: unknown[]) => void }} [options] `onError`
 *   receives events that could not be opened and were dropped (default: a process warning).
 */
function attachAutobahn (session, keyring, options = {}) {
  const onError = options.onError || ((err) => process.emitWarning(`wampe2e: dropped message: ${err.message}`))
  const callProcedures = new Map() // CALL request id -> procedure, to open the RESULT
  const encryptedInvocations = new Map() // INVOCATION request id -> procedure

  /** Seals msg[argsAt], msg[argsAt + 1] in place; false when there is no key for `uri`. */
  const sealInPlace = (msg, role, uri, attrsAt, argsAt) => {
    let env
    try {
      env = wampe2e.sealPayload(keyring, role, uri, msg[argsAt] ?? null, msg[argsAt + 1] ?? null)
    } catch (e) {
      if (NO_KEY.has(e.code)) return false
      throw e
    }
    msg.length = argsAt + 1
    msg[attrsAt] = { ...msg[attrsAt], ...env.attributes }
    msg[argsAt] = env.payload
    return true
  }

  const send = session._send_wamp
  session._send_wamp = (msg) => {
    switch (msg[0]) {
      case PUBLISH:
        sealInPlace(msg, 'originator', msg[3], 2, 4)
        break
      case CALL:
        callProcedures.set(msg[1], msg[3])
        sealInPlace(msg, 'originator', msg[3], 2, 4)
        break
      case YIELD: {
        const procedure = encryptedInvocations.get(msg[1])
        if (procedure !== undefined) {
          if (!msg[2] || !msg[2].progress) encryptedInvocations.delete(msg[1])
          sealInPlace(msg, 'responder', procedure, 2, 3)
        }
        break
      }
      case ERROR:
        if (msg[1] === INVOCATION && encryptedInvocations.has(msg[2])) {
          encryptedInvocations.delete(msg[2])
          sealInPlace(msg, 'responder', msg[4], 3, 5)
        }
        break
    }
    return send(msg)
  }

  const open = (role, uri, details, payload) =>
    wampe2e.openPayload(keyring, role, uri, details, toBytes(payload))

  const receive = session._socket.onmessage
  session._socket.onmessage = (msg) => {
    switch (msg[0]) {
      case EVENT: {
        const details = msg[3] || {}
        if (!details.enc_algo) break
        const subs = session._subscriptions[msg[1]]
        const topic = details.topic || (subs && subs[0] && subs[0].topic)
        try {
          const p = open('responder', topic, details, msg[4])
          msg = [EVENT, msg[1], msg[2], withoutEnc(details), p.args ?? [], p.kwargs ?? {}]
        } catch (err) {
          return onError(err, msg)
        }
        break
      }
      case RESULT: {
        const details = msg[2] || {}
        const procedure = callProcedures.get(msg[1])
        if (!details.progress) callProcedures.delete(msg[1])
        if (!details.enc_algo) break
        try {
          const p = open('originator', procedure, details, msg[3])
          msg = [RESULT, msg[1], withoutEnc(details), p.args ?? [], p.kwargs ?? {}]
        } catch (err) {
          // The caller learns of it: the call fails instead of resolving with ciphertext.
          msg = [ERROR, CALL, msg[1], {}, 'wampe2e.error.open_failed', [err.message], { code: err.code }]
        }
        break
      }
      case INVOCATION: {
        const details = msg[3] || {}
        if (!details.enc_algo) break
        const reg = session._registrations[msg[2]]
        const procedure = details.procedure || (reg && reg.procedure)
        try {
          const p = open('responder', procedure, details, msg[4])
          encryptedInvocations.set(msg[1], procedure)
          msg = [INVOCATION, msg[1], msg[2], withoutEnc(details), p.args ?? [], p.kwargs ?? {}]
        } catch (err) {
          send([ERROR, INVOCATION, msg[1], {}, 'wampe2e.error.open_failed', [err.message], { code: err.code }])
          return onError(err, msg)
        }
        break
      }
      case ERROR: {
        const details = msg[3] || {}
        if (msg[1] === CALL) callProcedures.delete(msg[2])
        if (!details.enc_algo) break
        try {
          const p = open('originator', msg[4], details, msg[5])
          msg = [ERROR, msg[1], msg[2], withoutEnc(details), msg[4], p.args ?? [], p.kwargs ?? {}]
        } catch (err) {
          msg = [ERROR, msg[1], msg[2], {}, 'wampe2e.error.open_failed', [err.message], { code: err.code }]
        }
        break
      }
    }
    return receive(msg)
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
    if (original instanceof Uint8Array) return '\u0000' + Buffer.from(original.buffer, original.byteOffset, original.byteLength).toString('base64')
    return value
  }
  function reviver (_key, value) {
    if (typeof value === 'string' && value.charCodeAt(0) === 0) return Buffer.from(value.slice(1), 'base64')
    return value
  }
  return new autobahn.serializer.JSONSerializer(replacer, reviver)
}

module.exports = { attachAutobahn, wampJsonSerializer }
