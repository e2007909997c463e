// The wasm build of wampe2e with the API of the Node addon (`../index.js`): the
// same names, options, results and error codes; binary values are Uint8Arrays.
// Bundled by build.mjs (esbuild) into dist/wampe2e.mjs, with the WebAssembly
// module inlined: it is compiled and instantiated synchronously when this module
// loads, so no call has to wait for it. Random bytes come from crypto.getRandomValues.
import * as wasm from '../wasm/wampe2e_wasm.js'
import bytes from '../wasm/wampe2e_wasm_bg.wasm'

wasm.initSync({ module: bytes })

export const {
  KeyRing, Identity, Group, Invocation, Held,
  sealPayload, openPayload, sealBytes, openBytes, inbound,
  generateKeypair, generateDataKey, ed25519ToX25519, publicKey, keyId, errorCodes,
  readEnvelope, isKeyProcedure, refusalUri, fetchErrorCode
} = wasm

/** The library version. */
export const VERSION = wasm.version()

// The async variants: there is no thread pool to move the work to, so they seal or
// open on the caller's thread. As in Node, an argument of the wrong type throws at
// once (a TypeError); what the core refuses rejects the promise.
function later (f) {
  return function (...args) {
    try {
      return Promise.resolve(f(...args))
    } catch (e) {
      if (e instanceof TypeError) throw e
      return Promise.reject(e)
    }
  }
}

/** `sealPayload`, resolved in a promise (as the Node addon's thread-pool variant). */
export const sealPayloadAsync = later(sealPayload)
/** `openPayload`, resolved in a promise (as the Node addon's thread-pool variant). */
export const openPayloadAsync = later(openPayload)
