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

// Codes no Node call can produce, and why (as ffi-c/tests/test_wampe2e.c lists C's).
const UNREACHABLE = {
  WAMPE2E_RANDOM_FAILED: "the operating system's random number generator would have to fail",
  WAMPE2E_INVALID_MESSAGE: 'parsing WAMP messages is not part of the Node API (the adapters get parsed messages)',
  WAMPE2E_NULL_ARGUMENT: 'C ABI only: a JS argument cannot be a NULL pointer',
  WAMPE2E_PANIC: 'the core does not panic; the code exists so that the mapping is total',
  WAMPE2E_KEY_EXHAUSTED: 'needs 2^32 AES-256-GCM seals with one key',
  WAMPE2E_SHARE_MISMATCH: "needs a key response signed by a pinned sender whose share differs from the request: an honest peer's Group never makes one, and forging one needs the sender's identity key"
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

// GS1: alice sends under com.example.; bob receives; mallory is pinned by nobody.
const T0 = 1_700_000_000_000
function gs1 (options) {
  const ids = { alice: w.Identity.generate(), bob: w.Identity.generate(), mallory: w.Identity.generate() }
  const alice = new w.Group(ids.alice, options)
  const bob = new w.Group(ids.bob)
  const mallory = new w.Group(ids.mallory)
  for (const g of [alice, bob]) g.setEntry('com.example.', [ids.alice.publicKey], [ids.bob.publicKey])
  mallory.setEntry('com.example.', [ids.mallory.publicKey], [ids.bob.publicKey])
  const event = (n = 1, now = T0) => alice.seal(URI, 'event', [n, 'secret-text'], null, { nowMs: now })
  // bob fetches the session of `sealed` from its index on
  const fetch = (sealed, now = T0) => {
    const req = bob.keyRequest(ids.alice.publicKey, sealed.sessionId, sealed.index, 'com.example.', now)
    return bob.acceptKeyResponse(req.requestHash, alice.answerKeyRequest(req.request, now), now)
  }
  const opened = (sealed, now = T0) => bob.open(URI, 'event', sealed.sessionId, sealed.payload, now)
  // a call from alice that bob opened, and its pending call hash
  const call = () => {
    const c = alice.seal('com.example.add', 'call', [1])
    fetch(c)
    return { c, inv: bob.open('com.example.add', 'call', c.sessionId, c.payload).invocation }
  }
  return { ids, alice, bob, mallory, event, fetch, opened, call }
}

const GS1_TRIGGERS = {
  WAMPE2E_BAD_SIGNATURE: () => { const g = gs1(); const s = g.event(); g.fetch(s); g.bob.open('com.example.elsewhere', 'event', s.sessionId, s.payload) },
  WAMPE2E_UNTRUSTED_SENDER: () => { const g = gs1(); const s = g.mallory.seal(URI, 'event', ['secret-text']); g.bob.open(URI, 'event', s.sessionId, s.payload) },
  WAMPE2E_UNKNOWN_SESSION: () => { const g = gs1(); g.opened(g.event()) },
  WAMPE2E_REPLAYED: () => { const g = gs1(); const s = g.event(); g.fetch(s); g.opened(s); g.opened(s) },
  // a share from the current index only (shareBacklog 0): the first message is behind it
  WAMPE2E_TOO_OLD: () => { const g = gs1({ shareBacklog: 0 }); const s = g.event(0); const s1 = g.event(1); g.fetch(s1); g.opened(s) },
  WAMPE2E_INDEX_JUMP: () => {
    const g = gs1({ maxMessages: 100000 })
    g.fetch(g.event(0))
    let last
    for (let i = 1; i <= 65536; i++) last = g.alice.seal(URI, 'event', null, null, { nowMs: T0 })
    g.opened(last)
  },
  WAMPE2E_SESSION_EXPIRED: () => { const g = gs1({ maxAgeMs: 1 }); const s = g.event(); g.fetch(s); g.opened(s, T0 + 10_000_000) },
  WAMPE2E_KEY_REQUEST_STALE: () => { const g = gs1(); const req = g.bob.keyRequest(g.ids.alice.publicKey, null, 0, 'com.example.', T0); g.alice.answerKeyRequest(req.request, T0 + 3_600_000) },
  WAMPE2E_KEY_REFUSED: () => { const g = gs1(); const eve = new w.Group(w.Identity.generate()); eve.setEntry('com.example.', [g.ids.alice.publicKey], []); g.alice.answerKeyRequest(eve.keyRequest(g.ids.alice.publicKey, null, 0, 'com.example.').request) },
  WAMPE2E_UNSOLICITED: () => { const g = gs1(); const { c, inv } = g.call(); const r = g.bob.sealReply(inv, 'result', [2]); g.alice.openReply(c.callHash, 'result', 'com.example.add', null, r.payload); g.alice.openReply(c.callHash, 'result', 'com.example.add', null, r.payload) },
  WAMPE2E_OUT_OF_ORDER: () => { const g = gs1(); const { c, inv } = g.call(); g.bob.sealReply(inv, 'progress', [1]); const p1 = g.bob.sealReply(inv, 'progress', [2]); g.alice.openReply(c.callHash, 'progress', 'com.example.add', null, p1.payload) },
  WAMPE2E_WRONG_VERSION: () => { const g = gs1(); const s = g.event(); const e = Buffer.from(s.payload); e[0] = 2; g.bob.open(URI, 'event', null, e) },
  WAMPE2E_MALFORMED: () => gs1().alice.answerKeyRequest(Buffer.from([1, 1, 0x10])),
  WAMPE2E_KEY_ID_MISMATCH: () => { const g = gs1(); const s = g.event(); g.bob.open(URI, 'event', '00'.repeat(16), s.payload) },
  WAMPE2E_WRONG_KIND: () => { const g = gs1(); const s = g.event(); g.bob.open(URI, 'call', null, s.payload) },
  WAMPE2E_HOLD_OVERFLOW: () => { const g = gs1(); const held = new w.Held({ maxPerSession: 1 }); held.hold(g.bob, URI, 'event', g.event(1).payload, 1); held.hold(g.bob, URI, 'event', g.event(2).payload, 2) },
  // a fetch failed (here: ended by the caller with the code) refuses its session's next messages
  WAMPE2E_KEY_FETCH_FAILED: () => {
    const g = gs1()
    const held = new w.Held()
    const f = held.hold(g.bob, URI, 'event', g.event(1).payload, 1)
    held.fail(g.bob, f.requestHash, w.fetchErrorCode('wamp.error.no_such_procedure'))
    held.hold(g.bob, URI, 'event', g.event(2).payload, 2)
  }
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
  WAMPE2E_PATTERN_MISMATCH: (x) => w.inbound(x.opener, { kind: 'event', localUri: URI, routerUri: 'com.example.elsewhere', sealed: true }),
  ...GS1_TRIGGERS
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
