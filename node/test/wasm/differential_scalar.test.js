'use strict'
// differential.test.js once more on the scalar keystream (RustCrypto's Salsa20), which
// a wasm build without SIMD128 uses: forced before the first seal, as
// WAMPE2E_FORCE_SCALAR=1 forces it natively (node --test runs each file in a
// process of its own, so the other file keeps SIMD128).
const { test } = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const w = require(path.join(__dirname, '..', '..', 'browser', 'dist', 'wampe2e-wasm.cjs'))

assert.equal(w._forceScalarKeystream(), true)
assert.equal(w._keystream(), 'Scalar')

test('the scalar keystream is in use', () => {
  assert.equal(w._keystream(), 'Scalar')
})

require('./differential.test.js')
