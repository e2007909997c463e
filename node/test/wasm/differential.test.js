'use strict'
// The wasm build's XSalsa20-Poly1305 (the core's SIMD128 Salsa20 keystream and its
// Poly1305, compiled to WebAssembly) against libsodium (libsodium-wrappers), for
// every length 0–4096 and large ones: the wasm build opens what libsodium sealed,
// libsodium opens what it sealed, and a flipped bit is refused. Lengths 0–4096 reach
// every tail of the 4-block (256-byte) SIMD pass; the core's own differential tests
// (core/tests/salsa20_simd.rs) cannot run inside a JS host.
const { test } = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const libsodium = require('libsodium-wrappers')
const w = require(path.join(__dirname, '..', '..', 'browser', 'dist', 'wampe2e-wasm.cjs'))

const ATTRS = { enc_algo: 'cryptobox', enc_serializer: 'json' }

test('XSalsa20-Poly1305 of the wasm build equals libsodium for every length 0–4096 and large', async () => {
  // SIMD128 unless differential_scalar.test.js forced the scalar keystream first.
  assert.ok(['Simd128', 'Scalar'].includes(w._keystream()))
  if (require.main === module) assert.equal(w._keystream(), 'Simd128')
  await libsodium.ready
  const pair = w.generateKeypair()
  const sk = Buffer.from(pair.secret, 'base64')
  const pk = Buffer.from(pair.public, 'base64')
  const ring = new w.KeyRing()
  ring.setSharedKey('', pair.secret) // to ourselves: the crypto_box_beforenm key of (pk, sk)
  const k = libsodium.crypto_box_beforenm(pk, sk)
  const lengths = [...Array(4097).keys(), 8191, 65536 + 7, 1 << 20]
  let state = 0x5eed
  for (const n of lengths) {
    const m = new Uint8Array(n)
    for (let i = 0; i < n; i++) m[i] = (state = (Math.imul(state, 1103515245) + 12345) >>> 0) >>> 24
    // libsodium seals, the wasm build opens.
    const nonce = libsodium.randombytes_buf(24)
    const boxed = libsodium.crypto_box_easy_afternm(m, nonce, k)
    const payload = new Uint8Array(24 + boxed.length)
    payload.set(nonce)
    payload.set(boxed, 24)
    assert.deepEqual(new Uint8Array(w.openBytes(ring, 'responder', 'com.t', ATTRS, payload)), m, `open, length ${n}`)
    // The wasm build seals, libsodium opens.
    const sealed = new Uint8Array(w.sealBytes(ring, 'originator', 'com.t', m).payload)
    assert.equal(sealed.length, 24 + 16 + n)
    assert.deepEqual(libsodium.crypto_box_open_easy_afternm(sealed.subarray(24), sealed.subarray(0, 24), k), m, `seal, length ${n}`)
    // A flipped bit anywhere past the nonce is refused.
    if (n % 97 === 0) {
      const at = 24 + ((n * 7919) % (16 + n))
      payload[at] ^= 1 << (n % 8)
      assert.throws(() => w.openBytes(ring, 'responder', 'com.t', ATTRS, payload), { code: 'WAMPE2E_DECRYPTION_FAILED' })
    }
  }
})
