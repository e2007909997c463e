'use strict'
// index.js routes sealPayload/openPayload/sealBytes/openBytes through compact native
// entry points where they apply. These tests hold it to the general native path:
// same plaintext bytes, same opened values, same errors, for values on both sides
// of every condition that picks the path.
const { test } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const w = require('..')
const native = require('../native.js')

function rings () {
  const a = w.generateKeypair()
  const b = w.generateKeypair()
  const sealer = new w.KeyRing()
  const opener = new w.KeyRing()
  sealer.setBoxKey('com.', { originatorPriv: a.secret, responderPub: b.public })
  opener.setBoxKey('com.', { originatorPub: a.public, responderPriv: b.secret })
  const dataKey = w.generateDataKey()
  for (const r of [sealer, opener]) r.setDataKey('k1', dataKey, 'com.data.')
  return { sealer, opener }
}

function deep (n) {
  let v = 1
  for (let i = 0; i < n; i++) v = [v]
  return v
}

const CASES = {
  empty: [undefined, undefined],
  nulls: [null, null],
  small: [[42, 'hello world', { temp: 21.5, ok: true }], { sensor: 's-17', ts: 1732700000123 }],
  unicode: [['é€😀', 'a"b\\c\n\t\u0001', ''], { 'ké"y': 'v', '': 0 }],
  numbers: [[0, -1, 1.5, 1e21, 1e-7, 2 ** 53, 2 ** 60, -(2 ** 63), 123456789.125, Number.MAX_VALUE, -0], null],
  nested: [[deep(98)], null],
  atTheLimit: [[deep(99)], null],
  beyondTheLimit: [[deep(100)], null],
  nullProto: [null, Object.assign(Object.create(null), { a: [1, { b: null }] })],
  undefinedInside: [[1, undefined, 3], { a: undefined, b: 2 }],
  binary: [[Buffer.from([0, 1, 2]), new Uint8Array([255])], { b: Buffer.alloc(0) }],
  binaryNested: [null, { a: [{ b: [Buffer.from('xyz')] }], s: 'a\u0000b' }],
  binaryAtReviveLimit: [[Buffer.alloc(2048, 1), Buffer.alloc(2048, 2)], null],
  binaryBeyondReviveLimit: [[Buffer.alloc(2048, 1)], { b: Buffer.alloc(2049, 2) }],
  binaryAndBigint: [[Buffer.from([1]), 2n ** 60n], null],
  bigint: [[10n, 2n ** 63n - 1n], { u: 2n ** 64n - 1n }],
  nulString: [['\u0000AAAA'], null],
  loneSurrogate: [['\ud800x'], null],
  nan: [[NaN], null],
  infinity: [null, { x: -Infinity }],
  func: [[() => 1], null],
  symbol: [[Symbol('s')], null],
  date: [[new Date(0)], null],
  classInstance: [[new (class P { constructor () { this.x = 1 } })()], null],
  map: [[new Map([[1, 2]])], null],
  big: [['x'.repeat(100 * 1024)], { n: 1 }],
  argsNotArray: [{ a: 1 }, null],
  kwargsNotObject: [null, [1, 2]],
  kwargsString: [null, 'text'],
  protoKey: [null, JSON.parse('{"__proto__": {"x": 1}, "b": 2}')],
  protoKeyBinary: [null, Object.defineProperty({ b: 2 }, '__proto__', { value: Buffer.from([1]), enumerable: true })]
}
const cyclic = []
cyclic.push(cyclic)
CASES.cyclic = [cyclic, null]

const DIALECTS = [
  ['com.example.t', undefined],
  ['com.example.t', { dialect: 'ppt' }],
  ['com.example.t', { dialect: 'ppt', serializer: 'json' }],
  ['com.data.t', { dialect: 'ppt', serializer: 'msgpack', cipher: 'aes256gcm' }]
]

function outcome (fn) {
  try {
    return { ok: fn() }
  } catch (e) {
    return { error: { name: e.constructor.name, code: e.code, message: e.message } }
  }
}

test('sealPayload: same plaintext bytes, attributes and errors as the general path', () => {
  const { sealer, opener } = rings()
  for (const [uri, options] of DIALECTS) {
    for (const [name, [args, kwargs]] of Object.entries(CASES)) {
      const label = `${name} ${JSON.stringify(options)}`
      const fast = outcome(() => w.sealPayload(sealer, 'originator', uri, args, kwargs, options))
      const general = outcome(() => native.sealPayload(sealer, 'originator', uri, args, kwargs, options))
      if (general.error) {
        assert.deepEqual(fast.error, general.error, label)
        continue
      }
      assert.ok(fast.ok, `${label}: ${JSON.stringify(fast.error)}`)
      assert.deepEqual(fast.ok.attributes, general.ok.attributes, label)
      assert.equal(fast.ok.payloadInList, general.ok.payloadInList, label)
      assert.ok(Buffer.isBuffer(fast.ok.payload), label)
      const plain = (e) => native.openBytes(opener, 'responder', uri, e.attributes, e.payload)
      assert.deepEqual(plain(fast.ok), plain(general.ok), label)
    }
  }
})

// The package loaded again over spies on its compact entry points (the wrapper takes
// the addon's plain N-API functions once, when it loads).
function spiedPackage (calls) {
  const spy = (name, f) => (...a) => { calls[name]++; return f(...a) }
  const raw = native._rawEntryPoints()
  const saved = { _rawEntryPoints: native._rawEntryPoints, _sealJsonAsync: native._sealJsonAsync, _openJsonAsync: native._openJsonAsync }
  native._rawEntryPoints = () => ({ ...raw, sealJson: spy('_sealJson', raw.sealJson), openJson: spy('_openJson', raw.openJson) })
  native._sealJsonAsync = spy('_sealJsonAsync', saved._sealJsonAsync)
  native._openJsonAsync = spy('_openJsonAsync', saved._openJsonAsync)
  const cached = [require.resolve('..'), require.resolve('../wrapper.js')]
  for (const m of cached) delete require.cache[m]
  try {
    return { pkg: require('..'), raw, restore: () => Object.assign(native, saved) }
  } finally {
    for (const m of cached) delete require.cache[m]
  }
}

test('the compact path is the one taken for plain values, and only for them', async () => {
  const calls = { _sealJson: 0, _openJson: 0, _sealJsonAsync: 0, _openJsonAsync: 0 }
  const { pkg: w, raw, restore } = spiedPackage(calls)
  const { sealer, opener } = rings()
  try {
    const e = w.sealPayload(sealer, 'originator', 'com.x', ...CASES.small)
    w.openPayload(opener, 'responder', 'com.x', e.attributes, e.payload)
    assert.deepEqual(calls, { _sealJson: 1, _openJson: 1, _sealJsonAsync: 0, _openJsonAsync: 0 })
    for (const name of ['binary', 'bigint', 'nan', 'func', 'date', 'cyclic', 'nulString', 'beyondTheLimit']) {
      outcome(() => w.sealPayload(sealer, 'originator', 'com.x', ...CASES[name]))
    }
    assert.equal(calls._sealJson, 1, 'values JSON text cannot carry take the general path')
    // Opened binaries come with JSON text (out of band) up to the binding's limit (4 KiB in all).
    const kind = (r) => typeof r === 'string' ? 'text' : Array.isArray(r) ? 'revive' : 'values'
    const kinds = {}
    for (const name of ['small', 'binary', 'binaryNested', 'binaryAtReviveLimit', 'binaryBeyondReviveLimit', 'binaryAndBigint']) {
      for (const options of [undefined, { dialect: 'ppt', serializer: 'msgpack' }]) {
        const e = native.sealPayload(sealer, 'originator', 'com.x', ...CASES[name], options)
        const r = raw.openJson(native._keyringHandle(opener), 1, 'com.x', e.payload, ...native._attributeNames().map((n) => e.attributes[n]), Buffer.alloc(65536))
        kinds[`${name} ${options ? 'msgpack' : 'json'}`] = kind(r)
      }
    }
    assert.deepEqual(kinds, {
      'small json': 'text', 'small msgpack': 'text',
      'binary json': 'revive', 'binary msgpack': 'revive',
      'binaryNested json': 'revive', 'binaryNested msgpack': 'revive',
      'binaryAtReviveLimit json': 'revive', 'binaryAtReviveLimit msgpack': 'revive',
      'binaryBeyondReviveLimit json': 'values', 'binaryBeyondReviveLimit msgpack': 'values',
      'binaryAndBigint json': 'values', 'binaryAndBigint msgpack': 'values'
    })
    const ea = await w.sealPayloadAsync(sealer, 'originator', 'com.x', ...CASES.small)
    assert.deepEqual(await w.openPayloadAsync(opener, 'responder', 'com.x', ea.attributes, ea.payload), { uri: 'com.x', args: CASES.small[0], kwargs: CASES.small[1] })
    assert.equal(calls._sealJsonAsync + calls._openJsonAsync, 2)
  } finally {
    restore()
  }
})

test('openPayload: same values and errors as the general path', () => {
  const { sealer, opener } = rings()
  for (const [uri, options] of DIALECTS) {
    for (const [name, [args, kwargs]] of Object.entries(CASES)) {
      const label = `${name} ${JSON.stringify(options)}`
      const sealed = outcome(() => native.sealPayload(sealer, 'originator', uri, args, kwargs, options))
      if (sealed.error) continue
      const e = sealed.ok
      for (const [ring, role, onUri] of [[opener, 'responder', uri], [opener, 'originator', uri], [opener, 'responder', uri + 'x'], [sealer, 'responder', uri]]) {
        const fast = outcome(() => w.openPayload(ring, role, onUri, e.attributes, e.payload))
        const general = outcome(() => native.openPayload(ring, role, onUri, e.attributes, e.payload))
        assert.deepEqual(fast, general, `${label} as ${role} on ${onUri}`)
      }
      const opened = w.openPayload(opener, 'responder', uri, e.attributes, e.payload)
      assert.equal(Object.getPrototypeOf(opened), Object.prototype)
      if (opened.kwargs) assert.equal(Object.getPrototypeOf(opened.kwargs), Object.prototype, `${label}: "__proto__" is an own key`)
    }
  }
})

test('async variants: same plaintext, values and errors as the general path', async () => {
  const { sealer, opener } = rings()
  for (const [uri, options] of DIALECTS) {
    for (const [name, [args, kwargs]] of Object.entries(CASES)) {
      const label = `${name} ${JSON.stringify(options)}`
      const settle = (p) => p.then((ok) => ({ ok }), (e) => ({ error: { name: e.constructor.name, code: e.code, message: e.message } }))
      const fast = await settle(Promise.resolve().then(() => w.sealPayloadAsync(sealer, 'originator', uri, args, kwargs, options)))
      const general = await settle(Promise.resolve().then(() => native.sealPayloadAsync(sealer, 'originator', uri, args, kwargs, options)))
      if (general.error) {
        assert.deepEqual(fast.error, general.error, label)
        continue
      }
      assert.ok(fast.ok, `${label}: ${JSON.stringify(fast.error)}`)
      assert.deepEqual(fast.ok.attributes, general.ok.attributes, label)
      const plain = (e) => native.openBytes(opener, 'responder', uri, e.attributes, e.payload)
      assert.deepEqual(plain(fast.ok), plain(general.ok), label)
      for (const [role, onUri] of [['responder', uri], ['responder', uri + 'x']]) {
        const e = fast.ok
        const a = await settle(w.openPayloadAsync(opener, role, onUri, e.attributes, e.payload))
        const b = await settle(native.openPayloadAsync(opener, role, onUri, e.attributes, e.payload))
        assert.deepEqual(a, b, `${label} opened on ${onUri}`)
      }
    }
  }
})

test('openPayload: tampered, truncated and mislabelled envelopes fail with the general path\'s errors', () => {
  const { sealer, opener } = rings()
  const e = w.sealPayload(sealer, 'originator', 'com.x', [1], null)
  const flipped = Buffer.from(e.payload)
  flipped[flipped.length - 1] ^= 1
  const variants = [
    [e.attributes, flipped],
    [e.attributes, e.payload.subarray(0, 20)],
    [{}, e.payload],
    [{ enc_algo: 'cryptobox' }, e.payload],
    [{ enc_algo: 'other', enc_serializer: 'json' }, e.payload],
    [{ ...e.attributes, ppt_scheme: 'wamp' }, e.payload],
    [{ enc_algo: 1, enc_serializer: 'json' }, e.payload]
  ]
  for (const [attrs, payload] of variants) {
    for (const f of ['openPayload', 'openBytes']) {
      const fast = outcome(() => w[f](opener, 'responder', 'com.x', attrs, payload))
      const general = outcome(() => native[f](opener, 'responder', 'com.x', attrs, payload))
      assert.ok(general.error, `${f} ${JSON.stringify(attrs)}`)
      assert.deepEqual(fast, general, `${f} ${JSON.stringify(attrs)}`)
    }
  }
})

test('sealBytes/openBytes: same results as the general path, results do not share memory', () => {
  const { sealer, opener } = rings()
  for (const [uri, options] of DIALECTS) {
    for (const size of [0, 64, 70 * 1024]) {
      const m = Buffer.alloc(size, 7)
      const fast = w.sealBytes(sealer, 'originator', uri, m, options)
      const general = native.sealBytes(sealer, 'originator', uri, m, options)
      assert.deepEqual(fast.attributes, general.attributes)
      assert.equal(fast.payload.length, general.payload.length)
      const copy = Buffer.from(fast.payload)
      const again = w.sealBytes(sealer, 'originator', uri, m, options)
      assert.deepEqual(fast.payload, copy, 'a later call must not overwrite an earlier result')
      assert.notDeepEqual(again.payload, fast.payload, 'fresh nonce per call')
      assert.deepEqual(w.openBytes(opener, 'responder', uri, fast.attributes, fast.payload), m)
      assert.deepEqual(w.openBytes(opener, 'responder', uri, general.attributes, general.payload), m)
    }
  }
  for (const bad of [['nobody', 'com.x', Buffer.alloc(1), undefined], ['originator', 'com.x', 'text', undefined], ['originator', 'com.x', Buffer.alloc(1), { dialect: 'x' }], ['originator', 'org.x', Buffer.alloc(1), undefined]]) {
    assert.deepEqual(outcome(() => w.sealBytes(sealer, ...bad)), outcome(() => native.sealBytes(sealer, ...bad)), JSON.stringify(bad))
  }
})

test('openBytes decrypts into a buffer of its own, never into the ciphertext', () => {
  const { sealer, opener } = rings()
  const raw = native._rawEntryPoints()
  const handle = native._keyringHandle(opener)
  const attrs = (e) => native._attributeNames().map((n) => e.attributes[n])
  for (const [uri, options] of DIALECTS) {
    for (const size of [0, 1, 64, 5000, 70 * 1024]) {
      const m = Buffer.alloc(size).fill('wampe2e ')
      const e = w.sealBytes(sealer, 'originator', uri, m, options)
      const sealed = Buffer.from(e.payload)
      const first = w.openBytes(opener, 'responder', uri, e.attributes, e.payload)
      const second = w.openBytes(opener, 'responder', uri, e.attributes, e.payload)
      assert.ok(Buffer.isBuffer(first))
      assert.deepEqual(first, m)
      second.fill(0)
      assert.deepEqual(first, m, 'a later result must not share memory with an earlier one')
      // The output argument: the exact length (its length comes back), too short or
      // the ciphertext itself, whole or in part (a Buffer of its own comes back).
      const exact = Buffer.alloc(size)
      const n = raw.openBytes(handle, 1, uri, e.payload, ...attrs(e), exact)
      assert.deepEqual([n, exact], [size, m])
      for (const out of [Buffer.alloc(Math.max(size - 1, 0)), e.payload, e.payload.subarray(e.payload.length >> 1), e.payload.subarray(0, 1)]) {
        const r = raw.openBytes(handle, 1, uri, e.payload, ...attrs(e), out)
        assert.deepEqual(r, size === 0 ? 0 : m, `${uri} ${size} out ${out.length}`)
        assert.deepEqual(e.payload, sealed, 'the ciphertext is never written')
      }
    }
  }
  // Errors as the general path's, and nothing written to the output.
  const e = w.sealBytes(sealer, 'originator', 'com.example.t', Buffer.alloc(64, 1))
  const tampered = Buffer.from(e.payload)
  tampered[50] ^= 1
  for (const payload of [tampered, e.payload.subarray(0, 39), e.payload.subarray(0, 0)]) {
    assert.deepEqual(outcome(() => w.openBytes(opener, 'responder', 'com.example.t', e.attributes, payload)),
      outcome(() => native.openBytes(opener, 'responder', 'com.example.t', e.attributes, payload)))
    const out = Buffer.alloc(64, 0xee)
    assert.throws(() => raw.openBytes(handle, 1, 'com.example.t', payload, ...attrs(e), out))
    assert.ok(out.every((b) => b === 0xee || b === 0), 'no plaintext left in the output')
  }
})

test('the plain N-API entry points run no JS while reading their arguments', () => {
  const { sealer, opener } = rings()
  const raw = native._rawEntryPoints()
  const names = native._attributeNames()
  const h = native._keyringHandle(opener)
  const e = w.sealBytes(sealer, 'originator', 'com.example.t', Buffer.from('secret'))
  const attrs = names.map((n) => e.attributes[n])
  // An argument of the wrong type must fail without calling back into JS (a getter
  // or toJSON could detach a buffer the call already holds a slice of).
  let ran = 0
  const evil = { toJSON () { ran++; return 'x' }, toString () { ran++; return 'x' }, valueOf () { ran++; return 1 } }
  const calls = [
    (x) => raw.openBytes(h, 1, x, e.payload, ...attrs, Buffer.alloc(6)),
    (x) => raw.openBytes(h, x, 'com.example.t', e.payload, ...attrs, Buffer.alloc(6)),
    (x) => raw.openBytes(h, 1, 'com.example.t', e.payload, x, ...attrs.slice(1), Buffer.alloc(6)),
    (x) => raw.openJson(h, 1, x, e.payload, ...attrs, Buffer.alloc(6)),
    (x) => raw.sealBytes(native._keyringHandle(sealer), 0, x, Buffer.from('p'), 0, Buffer.alloc(64)),
    (x) => raw.sealJson(native._keyringHandle(sealer), 0, x, 0, Buffer.alloc(64)),
    (x) => raw.sealJson(native._keyringHandle(sealer), 0, '["com.example.t",[],null]', x, Buffer.alloc(64))
  ]
  for (const [i, call] of calls.entries()) {
    assert.throws(() => call(evil), undefined, `call ${i}`)
    assert.equal(ran, 0, `call ${i} ran JS`)
  }
  // Without an output buffer the plaintext comes back in a Buffer of its own.
  assert.deepEqual(raw.openBytes(h, 1, 'com.example.t', e.payload, ...attrs, undefined), Buffer.from('secret'))
})

test('bad roles, URIs and keyrings throw the general path\'s errors', () => {
  const { sealer, opener } = rings()
  for (const [ring, role, uri] of [[sealer, 'nobody', 'com.x'], [sealer, 'originator', 42], [{}, 'originator', 'com.x'], [sealer, 'originator', 'org.nokey']]) {
    const general = outcome(() => native.sealPayload(ring, role, uri, [1]))
    if (general.error && general.error.message.startsWith('Failed to convert JavaScript value')) {
      // napi-rs quotes the value it could not convert; the module throws a TypeError without it.
      general.error = { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message: 'argument of the wrong type: expected a string' }
    }
    assert.deepEqual(outcome(() => w.sealPayload(ring, role, uri, [1])), general)
  }
  // A URI JSON must escape cannot take the one-string path; it still works.
  const e = w.sealPayload(sealer, 'originator', 'com."odd"\\uri', [1])
  assert.deepEqual(w.openPayload(opener, 'responder', 'com."odd"\\uri', e.attributes, e.payload), { uri: 'com."odd"\\uri', args: [1], kwargs: null })
})

test('the module exports the public native API and nothing internal', () => {
  const publicNames = Object.keys(native).filter((k) => !k.startsWith('_')).sort()
  assert.deepEqual(Object.keys(w).sort(), publicNames)
  const dts = fs.readFileSync(path.join(__dirname, '..', 'index.d.ts'), 'utf8')
  const nativeDts = fs.readFileSync(path.join(__dirname, '..', 'native.d.ts'), 'utf8')
  const declared = [...nativeDts.matchAll(/^export (?:declare )?(?:class|function|const|interface) (\w+)/gm)].map((m) => m[1])
  const internalTypes = ['DialectInfo', 'SealedJs', 'ExternalObject'] // used by internal entry points only
  for (const name of declared.filter((n) => !n.startsWith('_') && !internalTypes.includes(n))) {
    assert.match(dts, new RegExp(`\\b${name}\\b`), `index.d.ts re-exports ${name}`)
  }
})

// The compact entry points read URIs and attribute values into a 96-byte buffer,
// and read them again in full when they may not have fit (V8 stops before a
// character that does not fit whole). URIs of every length around that edge, with
// 2-, 3- and 4-byte characters ending at every position there, must open on
// exactly their own URI: a cut one would be refused (UriMismatch), and a string
// that only agrees on its first 96 bytes must not pass as the same.
test('URIs and attribute values around the 96-byte read buffer arrive whole', () => {
  const { sealer, opener } = rings()
  for (const ch of ['é', '€', '😀']) {
    for (let len = 84; len <= 100; len++) {
      const uri = 'com.' + 'u'.repeat(len - 4) + ch
      const sealed = w.sealPayload(sealer, 'originator', uri, [uri.length], null)
      const opened = w.openPayload(opener, 'responder', uri, sealed.attributes, sealed.payload)
      assert.deepEqual(opened.args, [uri.length], uri)
      assert.equal(opened.uri, uri)
      const bytes = w.sealBytes(sealer, 'originator', uri, Buffer.from(uri))
      assert.deepEqual(w.openBytes(opener, 'responder', uri, bytes.attributes, bytes.payload), Buffer.from(uri))
      // The same first 96 bytes and then something else: refused.
      const other = uri + 'x'
      assert.throws(() => w.openPayload(opener, 'responder', other, sealed.attributes, sealed.payload),
        (e) => e.code === 'WAMPE2E_URI_MISMATCH', other)
    }
  }
  // A long unknown attribute value is read whole too, and refused as unknown.
  const sealed = w.sealBytes(sealer, 'originator', 'com.t', Buffer.from('x'))
  const attributes = { ...sealed.attributes, enc_algo: 'cryptobox' + '€'.repeat(40) }
  assert.throws(() => w.openBytes(opener, 'responder', 'com.t', attributes, sealed.payload),
    (e) => typeof e.code === 'string' && e.code.startsWith('WAMPE2E_'))
})

test('sealed messages around the 1 KiB read buffer arrive whole', () => {
  const { sealer, opener } = rings()
  // The JSON text of [uri, args, kwargs] is read into 1024 bytes on the stack, and
  // again in full when it may not have fit: the opened values must be the sealed ones.
  const uri = 'com.t'
  const overhead = JSON.stringify([uri, [''], null]).length
  for (const ch of ['é', '€', '😀']) {
    for (let len = 1000; len <= 1030; len++) {
      const text = 'a'.repeat(Math.max(len - overhead - ch.length * 3, 0)) + ch + ch + ch
      const sealed = w.sealPayload(sealer, 'originator', uri, [text], null)
      const opened = w.openPayload(opener, 'responder', uri, sealed.attributes, sealed.payload)
      assert.deepEqual(opened.args, [text], `${ch} ${len}`)
      const plain = native.openBytes(opener, 'responder', uri, sealed.attributes, sealed.payload)
      assert.deepEqual(JSON.parse(plain).args, [text], `${ch} ${len}: the plaintext itself`)
    }
  }
})
