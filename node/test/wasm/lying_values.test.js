'use strict'
// Values that lie about themselves, on the wasm build (where a byte argument is
// copied into the module's memory by its length): a Uint8Array whose `length` is
// shadowed (an own property, a subclass getter) is read by its true length, as the
// native addon reads it; a role named like an Object.prototype property is refused,
// not taken as a role code.
const { test } = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const w = require(path.join(__dirname, '..', '..', 'browser', 'dist', 'wampe2e-wasm.cjs'))

const ATTRS = { enc_algo: 'cryptobox', enc_serializer: 'json' }

function lying (bytes, length) {
  const a = new Uint8Array(bytes)
  Object.defineProperty(a, 'length', { value: length })
  return a
}

class Liar extends Uint8Array {
  get length () { return 0 }
}

test('a Uint8Array with a false length is read by its true length, everywhere bytes go in', () => {
  const ring = new w.KeyRing()
  const secret = w.generateKeypair().secret
  ring.setSharedKey('', secret)
  const m = new Uint8Array(300).map((_, i) => i)
  for (const fake of [lying(m, 0), lying(m, 1 << 16), Liar.from(m)]) {
    // Plaintext in: what opens is the true 300 bytes.
    const env = w.sealBytes(ring, 'originator', 'com.t', fake)
    assert.deepEqual(new Uint8Array(w.openBytes(ring, 'responder', 'com.t', ATTRS, env.payload)), m)
    // Payload in: the true envelope opens.
    const honest = w.sealBytes(ring, 'originator', 'com.t', m).payload
    const liar = lying(honest, 3)
    assert.deepEqual(new Uint8Array(w.openBytes(ring, 'responder', 'com.t', ATTRS, liar)), m)
    assert.deepEqual(w.openPayload(ring, 'responder', 'com.t', ATTRS, lying(w.sealPayload(ring, 'originator', 'com.t', [1]).payload, 1 << 20)).args, [1])
    // A binary value inside args.
    const sealed = w.sealPayload(ring, 'originator', 'com.t', [fake])
    assert.deepEqual(new Uint8Array(w.openPayload(ring, 'responder', 'com.t', sealed.attributes, sealed.payload).args[0]), m)
  }
  // A key given as bytes.
  const key = Buffer.from(w.generateDataKey(), 'base64')
  const r2 = new w.KeyRing()
  r2.setDataKey('k1', lying(key, 1 << 10), 'com.')
  const r3 = new w.KeyRing()
  r3.setDataKey('k1', new Uint8Array(key), 'com.')
  const e2 = w.sealPayload(r2, 'originator', 'com.t', [7], null, { dialect: 'ppt' })
  assert.deepEqual(w.openPayload(r3, 'responder', 'com.t', e2.attributes, e2.payload).args, [7])
})

test('a role named like an Object.prototype property is refused, not taken as a role code', () => {
  const ring = new w.KeyRing()
  ring.setSharedKey('', w.generateKeypair().secret)
  const env = w.sealBytes(ring, 'originator', 'com.t', new Uint8Array(4))
  for (const role of ['constructor', '__proto__', 'toString', 'valueOf', 'hasOwnProperty']) {
    assert.throws(() => w.sealBytes(ring, role, 'com.t', new Uint8Array(4)), { code: 'WAMPE2E_INVALID_ARGUMENT' })
    assert.throws(() => w.sealPayload(ring, role, 'com.t', [1]), { code: 'WAMPE2E_INVALID_ARGUMENT' })
    assert.throws(() => w.openBytes(ring, role, 'com.t', ATTRS, env.payload), { code: 'WAMPE2E_INVALID_ARGUMENT' })
    assert.throws(() => w.openPayload(ring, role, 'com.t', ATTRS, env.payload), { code: 'WAMPE2E_INVALID_ARGUMENT' })
  }
})
