// The wasm build of wampe2e with the API of the Node addon: the same names,
// options, results and error codes, through the same wrapper (`../wrapper.js`:
// compact entry points for plain values, the general path for the rest); binary
// values are Uint8Arrays. Bundled by build.mjs (esbuild) into dist/wampe2e.mjs, with
// the WebAssembly module inlined: it is compiled and instantiated synchronously when
// this module loads, so no call has to wait for it. Random bytes come from
// crypto.getRandomValues.
import * as wasm from '../wasm/wampe2e_wasm.js'
import bytes from '../wasm/wampe2e_wasm_bg.wasm'
import wrapper from '../wrapper.js'

wasm.initSync({ module: bytes })

// The Node build of the bundle (build.mjs defines __WAMPE2E_NODE_BUFFER__) gives
// Buffers, as the addon does; the browser's plain Uint8Arrays.
const NODE_BUFFER = typeof __WAMPE2E_NODE_BUFFER__ !== 'undefined' && __WAMPE2E_NODE_BUFFER__
const copied = NODE_BUFFER
  ? (src, start, end) => Buffer.from(src.subarray(start, end))
  : (src, start, end) => src.slice(start, end)

// wasm-bindgen copies a byte argument by its `length`, which JS can shadow (an own
// property, a subclass getter): a smaller one would have the copy run past the
// allocation in wasm memory. Anything but a plain Uint8Array with no own `length`
// is first copied by its true length.
function honest (b) {
  return Object.getPrototypeOf(b) === Uint8Array.prototype && !Object.hasOwn(b, 'length') ? b : new Uint8Array(b)
}

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

const api = wrapper.wrap({
  KeyRing: wasm.KeyRing,
  Identity: wasm.Identity,
  Group: wasm.Group,
  Invocation: wasm.Invocation,
  Held: wasm.Held,
  VERSION: wasm.version(),
  sealPayload: wasm.sealPayload,
  openPayload: wasm.openPayload,
  sealBytes: wasm.sealBytes,
  openBytes: wasm.openBytes,
  sealPayloadAsync: later(wasm.sealPayload),
  openPayloadAsync: later(wasm.openPayload),
  inbound: wasm.inbound,
  generateKeypair: wasm.generateKeypair,
  generateDataKey: wasm.generateDataKey,
  ed25519ToX25519: wasm.ed25519ToX25519,
  publicKey: wasm.publicKey,
  keyId: wasm.keyId,
  errorCodes: wasm.errorCodes,
  readEnvelope: wasm.readEnvelope,
  isKeyProcedure: wasm.isKeyProcedure,
  refusalUri: wasm.refusalUri,
  fetchErrorCode: wasm.fetchErrorCode,
  _attributeNames: wasm._attributeNames,
  _dialectInfo: wasm._dialectInfo,
  _keyringHandle: wasm._keyringHandle,
  _sealJson: wasm._sealJson,
  _openJson: (h, r, uri, payload, a0, a1, a2, a3, a4, a5, a6) =>
    wasm._openJson(h, r, uri, honest(payload), a0, a1, a2, a3, a4, a5, a6),
  _sealBytes: (h, r, uri, plaintext, d) => wasm._sealBytes(h, r, uri, honest(plaintext), d),
  _openBytes: (h, r, uri, payload, a0, a1, a2, a3, a4, a5, a6) =>
    wasm._openBytes(h, r, uri, honest(payload), a0, a1, a2, a3, a4, a5, a6),
  _sealJsonAsync: (...args) => later(wasm._sealJson)(...args).then((s) =>
    Array.isArray(s) ? { payload: s[0], keyId: s[1] } : { payload: s, keyId: null }),
  _openJsonAsync: later((h, r, uri, payload, a0, a1, a2, a3, a4, a5, a6) =>
    wasm._openJson(h, r, uri, honest(payload), a0, a1, a2, a3, a4, a5, a6))
}, { scratch: undefined, copied })

export const {
  KeyRing, Identity, Group, Invocation, Held, VERSION,
  sealPayload, openPayload, sealBytes, openBytes, sealPayloadAsync, openPayloadAsync, inbound,
  generateKeypair, generateDataKey, ed25519ToX25519, publicKey, keyId, errorCodes,
  readEnvelope, isKeyProcedure, refusalUri, fetchErrorCode
} = api

// For the tests (node/test/wasm/): which keystream runs, and forcing the scalar one.
export const { _keystream, _forceScalarKeystream } = wasm
