'use strict'
// Keys as strings or bytes, error messages that never carry a key, values that are
// not plain data refused, integers beyond 64 bits and NaN/Infinity in a received
// JSON plaintext refused (never changed).
const { test } = require('node:test')
const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const w = require('..')

const URI = 'com.example.topic1'

/** Every way the bytes of `secret` could show up in a message. */
function forms (secret) {
  const bytes = [...secret]
  return [
    secret.toString('hex'), secret.toString('hex').toUpperCase(), secret.toString('base64'),
    bytes.slice(0, 4).join(','), bytes.slice(0, 4).join(', '),
    JSON.stringify(secret).slice(0, 40)
  ]
}

/** `secret` in every shape no key-taking function accepts (each still holds its bytes). */
function wrongShapes (secret) {
  const b64 = secret.toString('base64')
  const hex = secret.toString('hex')
  return [
    secret.subarray(0, 31),
    Buffer.concat([secret, Buffer.from([1])]),
    Buffer.concat([secret, secret]),
    new Uint16Array(secret.buffer.slice(secret.byteOffset, secret.byteOffset + 32)),
    new DataView(secret.buffer.slice(secret.byteOffset, secret.byteOffset + 32)),
    secret.buffer.slice(secret.byteOffset, secret.byteOffset + 32),
    [...secret],
    secret.toJSON(),
    { key: hex },
    hex + '0',
    hex.slice(1),
    '0x' + hex + 'ff',
    b64 + 'A',
    b64.slice(0, -2) + '!!',
    Buffer.from(hex + '!'),
    BigInt('0x' + hex),
    Number('0x' + hex.slice(0, 12)),
    Symbol(hex),
    () => hex
  ]
}

/** Every function taking a key (or a string that could be given a key by mistake). */
function keyTakers () {
  const pub = w.generateKeypair().public
  const sec = () => w.generateKeypair().secret
  const ring = new w.KeyRing()
  ring.setSharedKey('', sec())
  return {
    'setBoxKey originatorPriv': (k) => ring.setBoxKey('a.', { originatorPriv: k, responderPub: pub }),
    'setBoxKey originatorPub': (k) => ring.setBoxKey('a.', { originatorPub: k, responderPriv: sec() }),
    'setBoxKey responderPriv': (k) => ring.setBoxKey('a.', { responderPriv: k, originatorPub: pub }),
    'setBoxKey responderPub': (k) => ring.setBoxKey('a.', { responderPub: k, originatorPriv: sec() }),
    'setBoxKey keys': (k) => ring.setBoxKey('a.', k),
    'setBoxKey prefix': (k) => ring.setBoxKey(k, { originatorPriv: sec(), responderPub: pub }),
    setSharedKey: (k) => ring.setSharedKey('a.', k),
    'setSharedKey prefix': (k) => ring.setSharedKey(k, sec()),
    setDataKey: (k) => ring.setDataKey('id', k),
    'setDataKey keyId': (k) => ring.setDataKey(k, w.generateDataKey()),
    'setDataKey prefix': (k) => ring.setDataKey('id2', w.generateDataKey(), k),
    remove: (k) => ring.remove(k),
    removeKeyId: (k) => ring.removeKeyId(k),
    expectsSealed: (k) => ring.expectsSealed(k),
    rotate: (k) => ring.rotate(k),
    publicKey: (k) => w.publicKey(k),
    keyId: (k) => w.keyId(k),
    ed25519ToX25519: (k) => w.ed25519ToX25519(k),
    'sealPayload role': (k) => w.sealPayload(ring, k, URI, [1]),
    'sealPayload uri': (k) => w.sealPayload(ring, 'originator', k, [1]),
    'sealPayload options': (k) => w.sealPayload(ring, 'originator', URI, [1], null, { dialect: k }),
    'sealBytes uri': (k) => w.sealBytes(ring, 'originator', k, Buffer.from('x')),
    'openPayload uri': (k) => w.openPayload(ring, 'responder', k, {}, Buffer.alloc(40)),
    'inbound kind': (k) => w.inbound(ring, { kind: k, localUri: URI, sealed: true })
  }
}

const URI_POSITIONS = /prefix|uri|keyId|^remove|^expectsSealed|^rotate/

test('no error message ever contains the key, whatever its shape and wherever it is given', () => {
  const secret = crypto.randomBytes(32)
  let calls = 0
  for (const [name, call] of Object.entries(keyTakers())) {
    for (const shape of wrongShapes(secret)) {
      calls++
      // A string where a URI, prefix or key id goes is of the right type: the core
      // may name the URI it has no key for. Every other shape is refused by type.
      if (typeof shape === 'string' && URI_POSITIONS.test(name)) continue
      let thrown = null
      try {
        call(shape)
      } catch (e) {
        thrown = e
      }
      if (thrown === null) continue // a string position given a string: nothing to refuse
      const text = `${thrown.message} ${thrown.stack} ${JSON.stringify(thrown)}`
      for (const form of forms(secret)) {
        assert.ok(!text.includes(form), `${name} / ${Object.prototype.toString.call(shape)}: ${text}`)
      }
    }
  }
  assert.equal(calls, 24 * 19)
})

test('every key-taking function refuses every wrong shape of key', () => {
  const secret = crypto.randomBytes(32)
  const takers = keyTakers()
  const keyed = ['setBoxKey originatorPriv', 'setBoxKey originatorPub', 'setBoxKey responderPriv', 'setBoxKey responderPub', 'setSharedKey', 'setDataKey', 'publicKey', 'keyId', 'ed25519ToX25519']
  for (const name of keyed) {
    for (const shape of wrongShapes(secret)) {
      assert.throws(() => takers[name](shape), (e) => e instanceof TypeError || e.code === 'WAMPE2E_INVALID_KEY', name)
    }
  }
})

test('keys as Buffer, Uint8Array, base64 and hex are the same key', () => {
  const secret = crypto.randomBytes(32)
  const expected = w.publicKey(secret.toString('base64'))
  for (const form of [secret, new Uint8Array(secret), secret.toString('hex'), secret.toString('base64'), Buffer.from(secret.toString('base64'))]) {
    assert.equal(w.publicKey(form), expected)
  }
  const responder = w.generateKeypair()
  const sealer = new w.KeyRing()
  sealer.setBoxKey('com.', { originatorPriv: secret, responderPub: Buffer.from(responder.public, 'base64') })
  const opener = new w.KeyRing()
  opener.setBoxKey('com.', { originatorPub: w.publicKey(secret), responderPriv: new Uint8Array(Buffer.from(responder.secret, 'base64')) })
  const env = w.sealPayload(sealer, 'originator', URI, [1])
  assert.deepEqual(w.openPayload(opener, 'responder', URI, env.attributes, env.payload), { uri: URI, args: [1], kwargs: null })
  const data = new w.KeyRing()
  data.setDataKey('k1', crypto.randomBytes(32), 'com.')
  const ppt = w.sealPayload(data, 'originator', URI, [2], null, { dialect: 'ppt' })
  assert.deepEqual(w.openPayload(data, 'responder', URI, ppt.attributes, ppt.payload).args, [2])
})

test('objects that are not plain data are refused with where they sit, as Python refuses them', () => {
  const ring = new w.KeyRing()
  ring.setSharedKey('', w.generateKeypair().secret)
  class Reading { constructor () { this.v = 1 } }
  const cases = [
    [[new Date(0)], null, /^args\[0\]: a Date is not plain data/],
    [[1, { m: new Map([[1, 2]]) }], null, /^args\[1\]\.m: a Map is not plain data/],
    [null, { s: new Set([1]) }, /^kwargs\.s: a Set is not plain data/],
    [null, { r: [/x/] }, /^kwargs\.r\[0\]: a RegExp is not plain data/],
    [[new Reading()], null, /^args\[0\]: a Reading is not plain data/],
    [[Promise.resolve(1)], null, /^args\[0\]: a Promise is not plain data/],
    [[() => 1], null, /^args\[0\]: a Function cannot be carried/],
    [[new Date(0)], null, /^args\[0\]: a Date/] // also through the async variant below
  ]
  for (const [args, kwargs, message] of cases) {
    assert.throws(() => w.sealPayload(ring, 'originator', URI, args, kwargs), (e) => e instanceof TypeError && message.test(e.message) && e.code === 'ERR_INVALID_ARG_TYPE')
    assert.throws(() => w.sealPayload(ring, 'originator', URI, args, kwargs, { dialect: 'ppt' }), TypeError)
  }
  assert.throws(() => w.sealPayloadAsync(ring, 'originator', URI, [new Date(0)]), TypeError)
  // Plain objects, with or without a prototype, are carried.
  const bare = Object.create(null)
  bare.x = 1
  const env = w.sealPayload(ring, 'originator', URI, [{ a: 1 }], { bare })
  assert.deepEqual(w.openPayload(ring, 'responder', URI, env.attributes, env.payload).kwargs, { bare: { x: 1 } })
})

test('a received JSON plaintext with an integer beyond 64 bits or NaN/Infinity is refused, never changed', () => {
  const ring = new w.KeyRing()
  ring.setSharedKey('', w.generateKeypair().secret)
  // What Autobahn|Python (json.dumps) sends for 2**70, -(2**63)-1, NaN, Infinity.
  for (const [token, message] of [
    ['1180591620717411303424', /does not fit 64 bits/],
    ['-9223372036854775809', /does not fit 64 bits/],
    ['NaN', /NaN or Infinity/],
    ['Infinity', /NaN or Infinity/],
    ['-Infinity', /NaN or Infinity/]
  ]) {
    const plain = Buffer.from(`{"uri": "${URI}", "args": [1, ${token}], "kwargs": null}`)
    const env = w.sealBytes(ring, 'originator', URI, plain)
    for (const open of [w.openPayload]) {
      assert.throws(() => open(ring, 'responder', URI, env.attributes, env.payload), (e) => e.code === 'WAMPE2E_UNSUPPORTED_VALUE' && message.test(e.message) && !e.message.includes('1180591620717411303424') && !e.message.includes('9223372036854775809'))
    }
  }
  // The edges of what is carried arrive exact (as BigInt beyond 2^53).
  const plain = Buffer.from(`{"uri": "${URI}", "args": [18446744073709551615, -9223372036854775808]}`)
  const env = w.sealBytes(ring, 'originator', URI, plain)
  assert.deepEqual(w.openPayload(ring, 'responder', URI, env.attributes, env.payload).args, [18446744073709551615n, -9223372036854775808n])
})

test('a received NaN/Infinity token is refused by the async open too', async () => {
  const ring = new w.KeyRing()
  ring.setSharedKey('', w.generateKeypair().secret)
  const env = w.sealBytes(ring, 'originator', URI, Buffer.from(`{"uri": "${URI}", "args": [NaN]}`))
  await assert.rejects(w.openPayloadAsync(ring, 'responder', URI, env.attributes, env.payload), (e) => e.code === 'WAMPE2E_UNSUPPORTED_VALUE')
})
