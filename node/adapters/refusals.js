'use strict'
// What the adapters share about refused messages: the error URI and code a refusal
// is answered with, and the default report of one. Internal to the adapters.
const wampe2e = require('../index.js')

// The code names the core has (`refusalUri` takes no other).
const CODES = new Set(Object.keys(wampe2e.errorCodes()))

/**
 * The error URI the adapters send or fail a call with for a code name such as
 * `WAMPE2E_REFLECTED` (`wampe2e.error.reflected`): the core's `refusalUri`.
 * @param {string} code
 */
function errorUri (code) {
  return wampe2e.refusalUri(code)
}

/**
 * The wampe2e code of `err`: its own (one the core has), or `fallback` for
 * anything else. Incoming,
 * that is a router's message the addon could not even take (a non-string URI):
 * `WAMPE2E_INVALID_MESSAGE`. Outgoing, a value the addon cannot convert (a
 * TypeError naming its path, such as nesting beyond the limit):
 * `WAMPE2E_UNSUPPORTED_VALUE`.
 */
function codeOf (err, fallback = 'WAMPE2E_INVALID_MESSAGE') {
  const code = err && err.code
  return typeof code === 'string' && CODES.has(code) ? code : fallback
}

/** The fallback of `codeOf` for a reply that could not be sealed. */
const UNSEALABLE = 'WAMPE2E_UNSUPPORTED_VALUE'

/** The error for a message a router sent that the adapter cannot take as it is. */
function invalidMessage (what) {
  return Object.assign(new Error(what), { code: 'WAMPE2E_INVALID_MESSAGE' })
}

/** The URI the router named in `details[name]`: a string, or absent. */
function routerUri (details, name) {
  const v = details ? details[name] : undefined
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'string') throw invalidMessage(`Details.${name} is not a string`)
  return v
}

/**
 * What the default `onRefused` does: a process warning naming the message kind and
 * the code (in a browser, where there is no `process`, a console warning).
 */
function warnRefused (kind, err) {
  const text = `wampe2e: refused ${kind}: ${codeOf(err)}`
  if (typeof process === 'object' && process !== null && typeof process.emitWarning === 'function') {
    process.emitWarning(text, { code: codeOf(err) })
  } else {
    console.warn(text)
  }
}

module.exports = { UNSEALABLE, errorUri, codeOf, invalidMessage, routerUri, warnRefused }
