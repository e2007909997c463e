'use strict'
// The wampe2e Node API: every export, values, errors with their codes, the shared vectors.
const { test } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const w = require('..')

const VECTORS = path.join(__dirname, '..', '..', 'tests', 'vectors')
const vectors = (name) => JSON.parse(fs.readFileSync(path.join(VECTORS, name), 'utf8'))

/**
 * WAMP-JSON text (binary as "\u0000" + base64) to JS values exactly as the addon
 * gives them: integers beyond 2^53 as BigInt (JSON.parse would round them), `-0`
 * kept; compared with assert's strict deepEqual, which tells -0 from 0 and BigInt
 * from Number.
 */
function wampJson (text) {
  // Big integer literals (outside strings) become marked strings, then BigInts.
  let out = ''
  let i = 0
  while (i < text.length) {
    const c = text[i]
    if (c === '"') {
      let j = i + 1
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1
      out += text.slice(i, j + 1)
      i = j + 1
    } else if (c === '-' || (c >= '0' && c <= '9')) {
      const m = /^-?\d+(\.\d+)?([eE][-+]?\d+)?/.exec(text.slice(i))
      const literal = m[0]
      const integer = m[1] === undefined && m[2] === undefined
      out += integer && !Number.isSafeInteger(Number(literal)) ? `"\\u0001${literal}"` : literal
      i += literal.length
    } else {
      out += c
      i += 1
    }
  }
  return JSON.parse(out, (_k, v) => {
    if (typeof v !== 'string') return v
    if (v.charCodeAt(0) === 0) return Buffer.from(v.slice(1), 'base64')
    if (v.charCodeAt(0) === 1) return BigInt(v.slice(1))
    return v
  })
}

function rings () {
  const o = w.generateKeypair()
  const r = w.generateKeypair()
  const sealer = new w.KeyRing()
  const opener = new w.KeyRing()
  sealer.setBoxKey('com.example.', { originatorPriv: o.secret, responderPub: r.public })
  opener.setBoxKey('com.example.', { originatorPub: o.public, responderPriv: r.secret })
  return { sealer, opener, o, r }
}

const VALUES = [null, true, false, 0, -1, 2 ** 53 - 1, -(2 ** 53 - 1), 1.5, -2.5e-300, '', 'grüße 🌍', Buffer.alloc(0), Buffer.from([0, 255]), [1, [2, [3]]], { a: { b: [null] } }, 2n ** 63n - 1n, 2n ** 64n - 1n, -(2n ** 63n)]

for (const options of [undefined, { dialect: 'ppt' }, { dialect: 'ppt', serializer: 'msgpack' }, { dialect: 'ppt', serializer: 'json' }]) {
  test(`values round trip: ${JSON.stringify(options)}`, () => {
    const { sealer, opener } = rings()
    const env = w.sealPayload(sealer, 'originator', 'com.example.t', [...VALUES, new Uint8Array([7]), { u: undefined, keep: 1 }], { k: VALUES }, options)
    assert.equal(env.payloadInList, Boolean(options))
    const got = w.openPayload(opener, 'responder', 'com.example.t', env.attributes, env.payload)
    assert.equal(got.uri, 'com.example.t')
    assert.deepEqual(got.args, [...VALUES, Buffer.from([7]), { keep: 1 }])
    assert.deepEqual(got.kwargs, { k: VALUES })
    assert.ok(Buffer.isBuffer(got.args[12]))
  })
}

test('ppt envelopes, data keys, aes256gcm, async variants', async () => {
  const key = w.generateDataKey()
  const ring = new w.KeyRing()
  ring.setDataKey('team-1', key, 'com.')
  const byId = new w.KeyRing()
  byId.setDataKey('team-1', key)
  for (const cipher of ['xsalsa20poly1305', 'aes256gcm']) {
    const env = w.sealPayload(ring, 'originator', 'com.x', [1], null, { dialect: 'ppt', cipher })
    assert.deepEqual(env.attributes, { ppt_scheme: 'wamp', ppt_serializer: 'cbor', ppt_cipher: cipher, ppt_keyid: 'team-1' })
    assert.equal(env.payloadInList, true)
    assert.deepEqual(w.openPayload(byId, 'responder', 'com.x', { ...env.attributes, other: 1 }, env.payload), { uri: 'com.x', args: [1], kwargs: null })
    const big = Buffer.alloc(200000, 7)
    const aenv = await w.sealPayloadAsync(ring, 'originator', 'com.x', [big], null, { dialect: 'ppt', cipher })
    const opened = await w.openPayloadAsync(byId, 'responder', 'com.x', aenv.attributes, aenv.payload)
    assert.ok(opened.args[0].equals(big))
  }
  const raw = w.sealBytes(ring, 'originator', 'com.x', Buffer.from('raw'), { dialect: 'ppt' })
  assert.equal(w.openBytes(byId, 'responder', 'com.x', raw.attributes, raw.payload).toString(), 'raw')
})

test('errors carry stable codes; values JSON cannot carry are TypeErrors naming the path', async () => {
  const codes = w.errorCodes()
  assert.equal(Object.keys(codes).length, 47)
  assert.deepEqual(Object.values(codes).sort((a, b) => a - b), Array.from({ length: 47 }, (_, i) => i + 1))
  assert.equal(codes.WAMPE2E_URI_MISMATCH, 7)
  assert.equal(codes.WAMPE2E_UNEXPECTED_PLAINTEXT, 26)
  assert.equal(codes.WAMPE2E_REFLECTED, 27)
  assert.equal(codes.WAMPE2E_PATTERN_MISMATCH, 28)
  assert.equal(codes.WAMPE2E_KEY_EXHAUSTED, 29)
  assert.equal(codes.WAMPE2E_BAD_SIGNATURE, 30)
  assert.equal(codes.WAMPE2E_WRONG_KIND, 45)

  const { sealer, opener, o } = rings()
  const env = w.sealPayload(sealer, 'originator', 'com.example.t', [1, 'secret-text'])
  const code = (fn) => { try { fn() } catch (e) { assert.ok(e instanceof Error); return e.code } return 'no error' }
  assert.equal(code(() => w.openPayload(opener, 'responder', 'com.example.other', env.attributes, env.payload)), 'WAMPE2E_URI_MISMATCH')
  assert.equal(code(() => w.openPayload(opener, 'originator', 'com.example.t', env.attributes, env.payload)), 'WAMPE2E_KEY_INCOMPLETE')
  const tampered = Buffer.from(env.payload); tampered[tampered.length - 1] ^= 1
  assert.equal(code(() => w.openPayload(opener, 'responder', 'com.example.t', env.attributes, tampered)), 'WAMPE2E_DECRYPTION_FAILED')
  assert.equal(code(() => w.openPayload(opener, 'responder', 'com.example.t', env.attributes, env.payload.subarray(0, 39))), 'WAMPE2E_TRUNCATED_CIPHERTEXT')
  assert.equal(code(() => w.openPayload(opener, 'responder', 'com.example.t', {}, env.payload)), 'WAMPE2E_INVALID_ENVELOPE')
  assert.equal(code(() => w.openPayload(opener, 'responder', 'com.example.t', { enc_algo: 'x', enc_serializer: 'json' }, env.payload)), 'WAMPE2E_UNKNOWN_SCHEME')
  assert.equal(code(() => w.sealPayload(sealer, 'originator', 'org.other', [])), 'WAMPE2E_KEY_NOT_FOUND')
  assert.equal(code(() => w.sealPayload(sealer, 'originator', 'com.example.t', [], null, { dialect: 'ppt', cipher: 'des' })), 'WAMPE2E_UNKNOWN_CIPHER')
  assert.equal(code(() => w.sealPayload(sealer, 'originator', 'com.example.t', [], null, { dialect: 'ppt', serializer: 'xml' })), 'WAMPE2E_UNKNOWN_SERIALIZER')
  assert.equal(code(() => w.sealPayload(sealer, 'originator', 'com.example.t', [], null, { dialect: 'ppt', cipher: 'aes256gcm' })), 'WAMPE2E_WRONG_KEY_KIND')
  assert.equal(code(() => w.sealPayload(sealer, 'caller', 'com.example.t', [])), 'WAMPE2E_INVALID_ARGUMENT')
  assert.equal(code(() => new w.KeyRing().setBoxKey('x', { originatorPriv: o.secret, responderPub: 'not base64!' })), 'WAMPE2E_INVALID_KEY')
  assert.equal(code(() => new w.KeyRing().setBoxKey('x', { originatorPub: o.public })), 'WAMPE2E_KEY_INCOMPLETE')
  await assert.rejects(w.openPayloadAsync(opener, 'responder', 'com.example.x', env.attributes, env.payload), { code: 'WAMPE2E_URI_MISMATCH' })

  const typeErr = (fn, re) => assert.throws(fn, (e) => e instanceof TypeError && re.test(e.message))
  typeErr(() => w.sealPayload(sealer, 'originator', 'com.example.t', [1, 2, { when: () => 1 }]), /^args\[2\]\.when: a Function/)
  typeErr(() => w.sealPayload(sealer, 'originator', 'com.example.t', [Symbol('s')]), /^args\[0\]: a Symbol/)
  typeErr(() => w.sealPayload(sealer, 'originator', 'com.example.t', null, { 'a b': [2n ** 64n] }), /^kwargs\["a b"\]\[0\]: BigInt does not fit/)
  const cyclic = {}; cyclic.self = cyclic
  typeErr(() => w.sealPayload(sealer, 'originator', 'com.example.t', [cyclic]), /cyclic/)
  typeErr(() => w.sealPayload(sealer, 'originator', 'com.example.t', [1, { x: NaN }]), /^args\[1\]\["x"\]: NaN is not representable in JSON/)
  typeErr(() => w.sealPayload(sealer, 'originator', 'com.example.t', 'not an array'), /^args: expected an array/)
  // NaN is fine where the serializer carries it
  const nan = w.sealPayload(sealer, 'originator', 'com.example.t', [NaN], null, { dialect: 'ppt' })
  assert.ok(Number.isNaN(w.openPayload(opener, 'responder', 'com.example.t', nan.attributes, nan.payload).args[0]))
})

test('keys: conversions, key id, rotate, public key', () => {
  const kat = vectors('crypto_box_kat.json').ed25519_to_x25519[0]
  const pair = w.ed25519ToX25519(kat.ed25519_seed_hex)
  assert.equal(Buffer.from(pair.public, 'base64').toString('hex'), kat.x25519_public_hex)
  assert.equal(Buffer.from(pair.secret, 'base64').toString('hex'), kat.x25519_secret_hex)
  assert.equal(w.publicKey(pair.secret), pair.public)
  assert.match(w.keyId(pair.public), /^0x[0-9a-fA-F]{40}$/)
  const { sealer, opener, r } = rings()
  const rotated = sealer.rotate('com.example.')
  assert.equal(rotated.responderPub, undefined)
  const env = w.sealPayload(sealer, 'originator', 'com.example.t', [1])
  assert.throws(() => w.openPayload(opener, 'responder', 'com.example.t', env.attributes, env.payload), { code: 'WAMPE2E_DECRYPTION_FAILED' })
  opener.setBoxKey('com.example.', { originatorPub: rotated.originatorPub, responderPriv: r.secret })
  assert.deepEqual(w.openPayload(opener, 'responder', 'com.example.t', env.attributes, env.payload).args, [1])
  assert.equal(sealer.remove('com.example.'), true)
  assert.equal(sealer.remove('com.example.'), false)
  assert.equal(typeof w.VERSION, 'string')
})

test('shared vectors: Autobahn|Python cryptobox and spec ppt', () => {
  const doc = vectors('autobahn_cryptobox.json')
  const asResponder = new w.KeyRing()
  asResponder.setBoxKey('', { originatorPub: doc.originator.public_base64, responderPriv: doc.responder.secret_hex })
  const asOriginator = new w.KeyRing()
  asOriginator.setBoxKey('', { originatorPriv: doc.originator.secret_base64, responderPub: doc.responder.public_hex })
  for (const v of doc.vectors) {
    const fromOriginator = v.sealer_role === 'originator'
    const got = w.openPayload(fromOriginator ? asResponder : asOriginator, fromOriginator ? 'responder' : 'originator', v.uri,
      { enc_algo: 'cryptobox', enc_serializer: 'json' }, Buffer.from(v.sealed_base64, 'base64'))
    const args = wampJson(v.args_json)
    const kwargs = wampJson(v.kwargs_json)
    // Exact: BigInt stays BigInt, -0 stays -0 (the "numbers" vector is about them).
    assert.deepEqual(got.args, args, v.name)
    assert.deepEqual(got.kwargs, kwargs, v.name)
    assert.equal(w.openBytes(fromOriginator ? asResponder : asOriginator, fromOriginator ? 'responder' : 'originator', v.uri,
      { enc_algo: 'cryptobox', enc_serializer: 'json' }, Buffer.from(v.sealed_base64, 'base64')).toString('base64'), v.plaintext_base64)
  }
  const ppt = vectors('ppt.json')
  for (const v of ppt.vectors) {
    const ring = new w.KeyRing()
    const attrs = { ppt_scheme: 'wamp', ppt_serializer: v.serializer, ppt_cipher: v.cipher }
    if (v.key === 'data') {
      ring.setDataKey(v.key_id, ppt.data_key_base64)
      attrs.ppt_keyid = v.key_id
    } else {
      ring.setBoxKey('', { originatorPub: ppt.originator.public_base64, responderPriv: ppt.responder.secret_base64 })
    }
    const got = w.openPayload(ring, 'responder', ppt.uri, attrs, Buffer.from(v.sealed_base64, 'base64'))
    assert.deepEqual(got.args, wampJson(ppt.expected_args_json))
    assert.deepEqual(got.kwargs, wampJson(ppt.expected_kwargs_json))
  }
})

test('key errors name the keys as JS does (originatorPriv), never the key', () => {
  const r = new w.KeyRing()
  const pub = w.generateKeypair().public
  assert.throws(() => r.setBoxKey('a.', { originatorPriv: 'abc', responderPub: pub }), (e) => {
    assert.equal(e.code, 'WAMPE2E_INVALID_KEY')
    assert.match(e.message, /^originatorPriv: /)
    assert.ok(!e.message.includes('abc') && !e.message.includes('originator_priv'))
    return true
  })
  assert.throws(() => r.setBoxKey('a.', { originatorPub: pub }), (e) => {
    assert.equal(e.code, 'WAMPE2E_KEY_INCOMPLETE')
    assert.match(e.message, /need originatorPriv \+ responderPub or responderPriv \+ originatorPub/)
    return true
  })
  const other = w.generateKeypair()
  assert.throws(() => r.setBoxKey('a.', { originatorPriv: other.secret, originatorPub: pub }), /originatorPub: does not belong to originatorPriv/)
})

test('nonces: 4000 seals draw 4000 distinct, balanced nonces', () => {
  // Enough seals to pass several refills (20 nonces each) and reseeds (every 320) of
  // the core's nonce generator where it runs (Linux, and the wasm build, seeded by
  // getRandomValues); core/src/crypto/random.rs tests the refills and reseeds themselves.
  const ring = new w.KeyRing()
  ring.setSharedKey('', w.generateKeypair().secret)
  const seen = new Set()
  const ciphers = new Set()
  for (let i = 0; i < 2000; i++) {
    for (const options of [undefined, { dialect: 'ppt' }]) {
      const env = w.sealBytes(ring, 'originator', 'com.x', new Uint8Array(16), options)
      const payload = Buffer.from(env.payload)
      seen.add(payload.subarray(0, 24).toString('hex'))
      ciphers.add(payload.subarray(24).toString('hex'))
    }
  }
  assert.equal(seen.size, 4000)
  assert.equal(ciphers.size, 4000)
  // Not zero, not a counter: about half of the 192 bits set.
  const ones = [...seen].reduce((n, hex) => n + [...Buffer.from(hex, 'hex')].reduce((m, b) => m + b.toString(2).replace(/0/g, '').length, 0), 0)
  assert.ok(Math.abs(ones / 4000 - 96) < 2, `mean set bits per nonce ${ones / 4000}`)
})
