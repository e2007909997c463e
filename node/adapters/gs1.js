'use strict'
// What both adapters share for GS1 group sessions (docs/gs1.md): the key
// procedure's answer (§11.4) and the messages held while a session's key is
// fetched (§11.6). The core's `Held` decides what is held, when a key is asked
// for and what becomes of the held messages; this file makes the CALL and runs
// the timer. Internal to the adapters; no Node-only API (a browser build reuses it).
const wampe2e = require('../index.js')
const { codeOf } = require('./refusals.js')

/** The default key procedure base (§5). */
const DEFAULT_BASE = 'wampe2e.key'

function coded (code, message) {
  return Object.assign(new Error(message), { code })
}

function binary (v) {
  if (v instanceof Uint8Array) return v
  if (v instanceof ArrayBuffer) return new Uint8Array(v)
  return null
}

/**
 * The one binary of a key procedure's arguments (a list of one binary, or the
 * binary itself as autobahn-js hands a single result), or throws
 * `WAMPE2E_MALFORMED` (§11.4: "not exactly one binary").
 */
function oneBinary (v, what) {
  const b = binary(Array.isArray(v) && v.length === 1 ? v[0] : v)
  if (b === null) throw coded('WAMPE2E_MALFORMED', `${what}: not exactly one binary argument`)
  return b
}

/**
 * The GS1 part of an adapter for `group`.
 * @param {import('../index').Group} group
 * @param {object} options the adapter's options (keyProcedureBase, holdMaxPerSession, holdMaxTotal, holdMs)
 * @param {(procedure: string, request: Uint8Array) => Promise<unknown>} callKey makes the
 *   key procedure CALL: resolves to the RESULT's arguments, rejects with an error
 *   whose `errorUri` (or `error`) is the ERROR's URI.
 */
function gs1Context (group, options, callKey) {
  const base = options.keyProcedureBase || DEFAULT_BASE
  const holdMs = options.holdMs ?? 10000
  const held = new wampe2e.Held({
    maxPerSession: options.holdMaxPerSession ?? 256,
    maxTotal: options.holdMaxTotal ?? 4096,
    maxWaitMs: holdMs,
    base
  })
  const items = new Map() // ticket -> { retry(), refuse(err) }
  let next = 0
  let timer = null

  const take = (ticket) => {
    const item = items.get(ticket)
    items.delete(ticket)
    return item
  }

  /** Reports the tickets of a failed fetch with its code. */
  const refuseAll = (tickets, code) => {
    for (const t of tickets) {
      const item = take(t)
      if (item) item.refuse(coded(code, `wampe2e: held message discarded: its key fetch ended with ${code}`))
    }
  }

  // While fetches are under way, a timer ends those older than holdMs (the core
  // decides which); it checks four times per holdMs so none waits much longer.
  const arm = () => {
    if (timer !== null || held.fetches === 0) return
    timer = setTimeout(() => {
      timer = null
      refuseAll(held.expire(group), 'WAMPE2E_KEY_FETCH_FAILED')
      arm()
    }, Math.max(10, Math.ceil(holdMs / 4)))
  }

  const fetch = (f) => {
    Promise.resolve()
      .then(() => callKey(f.procedure, f.request))
      .then((result) => {
        try {
          group.acceptKeyResponse(f.requestHash, oneBinary(result, 'key response'))
        } catch (e) {
          const code = codeOf(e, 'WAMPE2E_MALFORMED')
          return refuseAll(held.fail(group, f.requestHash, code), code)
        }
        for (const t of held.release(f.requestHash)) {
          const item = take(t)
          if (item) item.retry()
        }
      }, (err) => {
        const uri = err && (typeof err.errorUri === 'string' ? err.errorUri : err.error)
        const code = wampe2e.fetchErrorCode(typeof uri === 'string' ? uri : '')
        refuseAll(held.fail(group, f.requestHash, code), code)
      })
  }

  return {
    base,
    /** Whether `uri` is a key procedure's (`<base>.…`, the core's rule): never sealed, never strict. */
    isKeyUri: (uri) => typeof uri === 'string' && wampe2e.isKeyProcedure(uri, base),
    /** This peer's key procedure. */
    procedure: group.keyProcedure(base),
    /**
     * Holds a message that `open` refused with `WAMPE2E_UNKNOWN_SESSION`:
     * `item.retry()` runs once its key is accepted (in the sender's order),
     * `item.refuse(err)` if the fetch fails. Throws (the message is not held)
     * `WAMPE2E_HOLD_OVERFLOW`, a recent failed fetch's code, …
     */
    hold (uri, kind, envelope, item) {
      const ticket = next
      next = (next + 1) >>> 0
      const f = held.hold(group, uri, kind, envelope, ticket)
      items.set(ticket, item)
      if (f) fetch(f)
      arm()
    },
    /** The key procedure's answer to its arguments: the response, or throws the refusal. */
    answer (args) {
      return group.answerKeyRequest(oneBinary(args, 'key request'))
    },
    /** Messages held now. */
    get held () {
      return held.size
    },
    /** The session is gone: held messages are reported as failed fetches, the timer stops. */
    close () {
      if (timer !== null) clearTimeout(timer)
      timer = null
      refuseAll(held.expire(group, Number.MAX_SAFE_INTEGER), 'WAMPE2E_KEY_FETCH_FAILED')
    }
  }
}

module.exports = { gs1Context, DEFAULT_BASE }
