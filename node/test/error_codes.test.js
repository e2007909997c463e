'use strict'
// Every core error code that Node can cause is caused here, as a thrown Error
// whose `code` is that code's name (and never quoting the plaintext). The codes
// Node cannot cause are listed with the reason; together the two lists are
// exactly the core's codes (`errorCodes()`).
const { test } = require('node:test')
const assert = require('node:assert/strict')
const w = require('..')

const URI = 'com.example.t'
const CRYPTOBOX = { enc_algo: 'cryptobox', enc_serializer: 'json' }
const MAX_PAYLOAD_LEN = 64 * 1024 * 1024 // core/src/lib.rs

const GS1 = "GS1 (group sessions) has no binding API yet (issue #13's bindings are a later issue)"

// Codes no Node call can produce, and why (as ffi-c/tests/test_wampe2e.c lists C's).
const UNREACHABLE = {
  WAMPE2E_RANDOM_FAILED: "the operating system's random number generator would have to fail",
  WAMPE2E_INVALID_MESSAGE: 'parsing WAMP messages is not part of the Node API (the adapters get parsed messages)',
  WAMPE2E_NULL_ARGUMENT: 'C ABI only: a JS argument cannot be a NULL pointer',
  WAMPE2E_PANIC: 'the core does not panic; the code exists so that the mapping is total',
  WAMPE2E_KEY_EXHAUSTED: 'needs 2^32 AES-256-GCM seals with one key',
  WAMPE2E_BAD_SIGNATURE: GS1,
  WAMPE2E_UNTRUSTED_SENDER: GS1,
  WAMPE2E_UNKNOWN_SESSION: GS1,
  WAMPE2E_REPLAYED: GS1,
  WAMPE2E_TOO_OLD: GS1,
  WAMPE2E_INDEX_JUMP: GS1,
  WAMPE2E_SESSION_EXPIRED: GS1,
  WAMPE2E_KEY_REQUEST_STALE: GS1,
  WAMPE2E_KEY_REFUSED: GS1,
  WAMPE2E_UNSOLICITED: GS1,
  WAMPE2E_SHARE_MISMATCH: GS1,
  WAMPE2E_OUT_OF_ORDER: GS1,
  WAMPE2E_WRONG_VERSION: GS1,
  WAMPE2E_MALFORMED: GS1,
  WAMPE2E_KEY_ID_MISMATCH: GS1,
  WAMPE2E_WRONG_KIND: GS1,
  WAMPE2E_HOLD_OVERFLOW: GS1,
  WAMPE2E_KEY_FETCH_FAILED: GS1
}

function world () {
  const o = w.generateKeypair()
  const r = w.generateKeypair()
  const sealer = new w.KeyRing()
  const opener = new w.KeyRing()
  sealer.setBoxKey('com.example.', { originatorPriv: o.secret, responderPub: r.public })
  opener.setBoxKey('com.example.', { originatorPub: o.public, responderPriv: r.secret })
  const dataKey = w.generateDataKey()
  const data = new w.KeyRing() // one data key: it seals forged plaintexts and opens them
  data.setDataKey('dk', dataKey, 'com.example.')
  const dataOpener = new w.KeyRing()
  dataOpener.setDataKey('dk', dataKey, 'com.example.')
  const sealed = () => w.sealPayload(sealer, 'originator', URI, [1, 'secret-text'])
  // A plaintext of our choosing, sealed as a peer holding the keys could (raw bytes).
  const openRaw = (serializer, plaintext) => {
    const env = serializer === 'cryptobox'
      ? w.sealBytes(sealer, 'originator', URI, Buffer.from(plaintext))
      : w.sealBytes(data, 'originator', URI, Buffer.from(plaintext), { dialect: 'ppt', serializer })
    return w.openPayload(serializer === 'cryptobox' ? opener : dataOpener, 'responder', URI, env.attributes, env.payload)
  }
  return { sealer, opener, o, sealed, openRaw }
}

const tampered = (env) => {
  const p = Buffer.from(env.payload)
  p[p.length - 1] ^= 1
  return p
}

const TRIGGERS = {
  WAMPE2E_INVALID_KEY: (x) => new w.KeyRing().setBoxKey('x', { originatorPriv: x.o.secret, responderPub: 'not base64!' }),
  WAMPE2E_KEY_NOT_FOUND: (x) => w.sealPayload(x.sealer, 'originator', 'org.other', [1]),
  WAMPE2E_KEY_INCOMPLETE: (x) => { const e = x.sealed(); w.openPayload(x.opener, 'originator', URI, e.attributes, e.payload) },
  WAMPE2E_WRONG_KEY_KIND: (x) => w.sealPayload(x.sealer, 'originator', URI, [], null, { dialect: 'ppt', cipher: 'aes256gcm' }),
  WAMPE2E_DECRYPTION_FAILED: (x) => { const e = x.sealed(); w.openPayload(x.opener, 'responder', URI, e.attributes, tampered(e)) },
  WAMPE2E_TRUNCATED_CIPHERTEXT: (x) => w.openPayload(x.opener, 'responder', URI, CRYPTOBOX, x.sealed().payload.subarray(0, 39)),
  WAMPE2E_URI_MISMATCH: (x) => { const e = x.sealed(); w.openPayload(x.opener, 'responder', 'com.example.other', e.attributes, e.payload) },
  WAMPE2E_MISSING_URI: (x) => x.openRaw('cryptobox', '{"uri":null,"args":[1],"kwargs":null}'),
  WAMPE2E_UNKNOWN_SCHEME: (x) => w.openPayload(x.opener, 'responder', URI, { enc_algo: 'rot13', enc_serializer: 'json' }, Buffer.alloc(64)),
  WAMPE2E_UNKNOWN_CIPHER: (x) => w.sealPayload(x.sealer, 'originator', URI, [], null, { dialect: 'ppt', cipher: 'des' }),
  WAMPE2E_UNKNOWN_SERIALIZER: (x) => w.sealPayload(x.sealer, 'originator', URI, [], null, { dialect: 'ppt', serializer: 'xml' }),
  WAMPE2E_INVALID_UTF8: (x) => x.openRaw('cryptobox', Buffer.concat([Buffer.from('{"uri":"com.example.t","args":["'), Buffer.from([0xff]), Buffer.from('"]}')])),
  WAMPE2E_INVALID_JSON: (x) => x.openRaw('cryptobox', '{"uri":"com.example.t","args":[1,]}'),
  WAMPE2E_INVALID_CBOR: (x) => x.openRaw('cbor', Buffer.from([0xa3, 0x63, 0x75, 0x72, 0x69])),
  WAMPE2E_INVALID_MSGPACK: (x) => x.openRaw('msgpack', Buffer.from([0x83, 0xc1])),
  WAMPE2E_INVALID_BASE64: (x) => x.openRaw('cryptobox', '{"uri":"com.example.t","args":["\\u0000!!!"],"kwargs":null}'),
  WAMPE2E_INVALID_PAYLOAD: (x) => x.openRaw('cryptobox', '{"uri":"com.example.t","args":{"not":"a list"}}'),
  WAMPE2E_UNSUPPORTED_VALUE: (x) => x.openRaw('cryptobox', '{"uri":"com.example.t","args":' + '['.repeat(200) + ']'.repeat(200) + '}'),
  WAMPE2E_PAYLOAD_TOO_LARGE: (x) => w.openPayload(x.opener, 'responder', URI, CRYPTOBOX, Buffer.alloc(MAX_PAYLOAD_LEN + 40 + 1)),
  WAMPE2E_INVALID_ENVELOPE: (x) => w.openPayload(x.opener, 'responder', URI, {}, x.sealed().payload),
  WAMPE2E_INVALID_ARGUMENT: (x) => w.sealPayload(x.sealer, 'caller', URI, []),
  WAMPE2E_UNEXPECTED_PLAINTEXT: (x) => w.inbound(x.opener, { kind: 'event', localUri: URI, sealed: false }),
  // the keyring's own ciphertext handed back to it in the role that sealed it
  WAMPE2E_REFLECTED: (x) => { const e = x.sealed(); w.openPayload(x.sealer, 'originator', URI, e.attributes, e.payload) },
  WAMPE2E_PATTERN_MISMATCH: (x) => w.inbound(x.opener, { kind: 'event', localUri: URI, routerUri: 'com.example.elsewhere', sealed: true })
}

test('the reachable and the unreachable codes are every code', () => {
  const names = Object.keys(w.errorCodes())
  assert.equal(names.length, 47)
  assert.deepEqual(Object.keys(TRIGGERS).filter((n) => n in UNREACHABLE), [])
  assert.deepEqual([...Object.keys(TRIGGERS), ...Object.keys(UNREACHABLE)].sort(), [...names].sort())
})

for (const [name, trigger] of Object.entries(TRIGGERS).sort()) {
  test(`${name} is thrown with its code`, () => {
    assert.throws(() => trigger(world()), (e) => {
      assert.ok(e instanceof Error, `${name}: not an Error: ${e}`)
      assert.equal(e.code, name, `${name}: threw ${e.code}: ${e.message}`)
      assert.ok(!String(e.message).includes('secret-text'))
      return true
    })
  })
}
