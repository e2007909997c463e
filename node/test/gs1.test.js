'use strict'
// GS1 group sessions through the Node API (docs/gs1.md): identities, a round trip
// with the key request and response, replies, and what is refused; the held queue.
const { test } = require('node:test')
const assert = require('node:assert/strict')
const util = require('node:util')
const w = require('..')

const P = 'com.example.'
const TOPIC = 'com.example.topic'
const T0 = 1_700_000_000_000

function world (options) {
  const ids = { alice: w.Identity.generate(), bob: w.Identity.generate(), carol: w.Identity.generate() }
  const g = {}
  for (const [name, id] of Object.entries(ids)) g[name] = new w.Group(id, options)
  // alice publishes and calls; bob and carol receive (subscribe, are called).
  for (const x of Object.values(g)) x.setEntry(P, [ids.alice.publicKey], [ids.bob.publicKey, ids.carol.fingerprint])
  return { ids, g }
}

/** Fetches the session of `sealed` for `receiver` from `sender`, as the adapters do. */
function fetch (sender, receiver, sealed, now) {
  const req = receiver.keyRequest(sender.publicKey, sealed.sessionId, sealed.index, P, now)
  const response = sender.answerKeyRequest(req.request, now)
  return receiver.acceptKeyResponse(req.requestHash, response, now)
}

const code = (f) => {
  try {
    f()
  } catch (e) {
    return e.code
  }
  return 'no error'
}

test('identities: seed, fingerprint, key procedure, cryptosign derivation; no secret in inspect', () => {
  const zero = w.Identity.fromSeed(new Uint8Array(32))
  assert.equal(zero.fingerprint, '3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29')
  assert.equal(zero.keyProcedure(), 'wampe2e.key.' + zero.fingerprint)
  assert.equal(zero.keyProcedure('app.keys'), 'app.keys.' + zero.fingerprint)
  assert.deepEqual(zero.publicKey, Buffer.from(zero.fingerprint, 'hex'))
  assert.equal(w.Identity.fromSeed('00'.repeat(32)).fingerprint, zero.fingerprint)
  const derived = w.Identity.fromCryptosignSeed(new Uint8Array(32))
  assert.notEqual(derived.fingerprint, zero.fingerprint) // never the cryptosign key itself
  assert.equal(code(() => w.Identity.fromSeed(new Uint8Array(31))), 'WAMPE2E_INVALID_KEY')
  const seed = Buffer.alloc(32, 0x5a)
  const id = w.Identity.fromSeed(seed)
  const g = new w.Group(id)
  for (const text of [util.inspect(id, { showHidden: true }), util.inspect(g, { showHidden: true }), JSON.stringify(id), JSON.stringify(g)]) {
    assert.ok(!text.includes('5a5a'), text)
  }
  assert.equal(g.fingerprint, id.fingerprint)
})

test('round trip: an event and a call with its replies, after one key request', () => {
  const { ids, g } = world()
  const sealed = g.alice.seal(TOPIC, 'event', [1, 'secret-text', Buffer.from([7])], { k: 'v' })
  assert.equal(sealed.attributes.enc_algo, 'x_wampe2e_gs1')
  assert.equal(sealed.attributes.enc_key, sealed.sessionId)
  assert.ok(!sealed.payload.includes(Buffer.from('secret-text')))
  const r = w.readEnvelope(sealed.attributes, sealed.payload)
  assert.equal(r.scheme, 'gs1')
  assert.equal(code(() => g.bob.open(TOPIC, 'event', r.keyId, r.envelope)), 'WAMPE2E_UNKNOWN_SESSION')
  const share = fetch(g.alice, g.bob, sealed)
  assert.equal(share.sender, ids.alice.fingerprint)
  assert.equal(share.prefix, P)
  const o = g.bob.open(TOPIC, 'event', r.keyId, r.envelope)
  assert.equal(o.sender, ids.alice.fingerprint)
  assert.deepEqual(o.args, [1, 'secret-text', Buffer.from([7])])
  assert.deepEqual(o.kwargs, { k: 'v' })
  assert.equal(o.invocation, null)

  // A call in the ppt dialect, two progressive results, then the result.
  const c = g.alice.seal('com.example.add', 'call', [2, 3], null, { dialect: 'ppt' })
  assert.deepEqual(Object.keys(c.attributes), ['ppt_scheme', 'ppt_serializer', 'ppt_cipher', 'ppt_keyid'])
  const rc = w.readEnvelope(c.attributes, [c.payload])
  const inv = g.bob.open('com.example.add', 'call', rc.keyId, rc.envelope)
  assert.equal(inv.invocation.caller, ids.alice.fingerprint)
  assert.equal(inv.invocation.procedure, 'com.example.add')
  const p0 = g.bob.sealReply(inv.invocation, 'progress', ['started'], null, null, { dialect: 'ppt' })
  const p1 = g.bob.sealReply(inv.invocation, 'progress', ['halfway'])
  const fin = g.bob.sealReply(inv.invocation, 'result', [5])
  assert.equal(inv.invocation.finished, true)
  assert.equal(p0.attributes.ppt_keyid, undefined) // replies carry no key id
  assert.equal(code(() => g.alice.openReply(c.callHash, 'progress', 'com.example.add', null, p1.payload)), 'WAMPE2E_OUT_OF_ORDER')
  assert.deepEqual(g.alice.openReply(c.callHash, 'progress', 'com.example.add', null, p0.payload).args, ['started'])
  assert.deepEqual(g.alice.openReply(c.callHash, 'progress', 'com.example.add', null, p1.payload).args, ['halfway'])
  assert.equal(code(() => g.alice.openReply(c.callHash, 'progress', 'com.example.add', null, fin.payload)), 'WAMPE2E_WRONG_KIND')
  const res = g.alice.openReply(c.callHash, 'result', 'com.example.add', null, fin.payload)
  assert.deepEqual([res.callee, res.kind, res.seq, res.args], [ids.bob.fingerprint, 'result', 2, [5]])
  assert.equal(code(() => g.alice.openReply(c.callHash, 'result', 'com.example.add', null, fin.payload)), 'WAMPE2E_UNSOLICITED')
  assert.equal(code(() => g.bob.sealReply(inv.invocation, 'result', [6])), 'WAMPE2E_INVALID_ARGUMENT')

  // An application error, sealed for its URI.
  const c2 = g.alice.seal('com.example.add', 'call', [1])
  const inv2 = g.bob.open('com.example.add', 'call', c2.sessionId, c2.payload)
  const e = g.bob.sealReply(inv2.invocation, 'error', ['too big'], { n: 1 }, 'com.example.error.overflow')
  const oe = g.alice.openReply(c2.callHash, 'error', 'com.example.error.overflow', null, e.payload)
  assert.deepEqual([oe.kind, oe.args, oe.kwargs], ['error', ['too big'], { n: 1 }])
  assert.equal(g.alice.pendingCalls, 0)
})

test('a replay is refused; another index still opens', () => {
  const { g } = world()
  const s0 = g.alice.seal(TOPIC, 'event', [0])
  const s1 = g.alice.seal(TOPIC, 'event', [1])
  fetch(g.alice, g.bob, s0)
  assert.deepEqual(g.bob.open(TOPIC, 'event', s1.sessionId, s1.payload).args, [1])
  assert.equal(code(() => g.bob.open(TOPIC, 'event', s1.sessionId, s1.payload)), 'WAMPE2E_REPLAYED')
  assert.deepEqual(g.bob.open(TOPIC, 'event', s0.sessionId, s0.payload).args, [0])
  assert.equal(code(() => g.bob.open(TOPIC, 'event', '00'.repeat(16), s0.payload)), 'WAMPE2E_KEY_ID_MISMATCH')
})

test('an untrusted sender is refused, and the URI is signed', () => {
  const { ids, g } = world()
  const mallory = new w.Group(w.Identity.generate())
  mallory.setEntry(P, [mallory.publicKey], [ids.bob.publicKey])
  const m = mallory.seal(TOPIC, 'event', ['forged'])
  assert.equal(code(() => g.bob.open(TOPIC, 'event', m.sessionId, m.payload)), 'WAMPE2E_UNTRUSTED_SENDER')
  // bob asking mallory is refused before any CALL
  assert.equal(code(() => g.bob.keyRequest(mallory.publicKey, null, 0, P)), 'WAMPE2E_UNTRUSTED_SENDER')
  const s = g.alice.seal(TOPIC, 'event', [1])
  fetch(g.alice, g.bob, s)
  assert.equal(code(() => g.bob.open('com.example.other', 'event', s.sessionId, s.payload)), 'WAMPE2E_BAD_SIGNATURE')
  assert.equal(code(() => g.bob.open('org.elsewhere', 'event', s.sessionId, s.payload)), 'WAMPE2E_KEY_NOT_FOUND')
  // A receiver not in the entry asks for the key: refused.
  const eve = new w.Group(w.Identity.generate())
  eve.setEntry(P, [ids.alice.publicKey], [])
  const req = eve.keyRequest(ids.alice.publicKey, s.sessionId, 0, P)
  assert.equal(code(() => g.alice.answerKeyRequest(req.request)), 'WAMPE2E_KEY_REFUSED')
})

test('revocation: removing a receiver rotates; its new requests are refused, the others continue', () => {
  const { ids, g } = world()
  const s0 = g.alice.seal(TOPIC, 'event', [0])
  fetch(g.alice, g.bob, s0)
  fetch(g.alice, g.carol, s0)
  const before = g.alice.currentSession(P)
  assert.equal(before.sessionId, s0.sessionId)
  // carol is removed from the receivers
  g.alice.setEntry(P, [ids.alice.publicKey], [ids.bob.publicKey])
  assert.equal(g.alice.currentSession(P), null)
  const s1 = g.alice.seal(TOPIC, 'event', [1])
  assert.notEqual(s1.sessionId, s0.sessionId)
  assert.equal(code(() => g.carol.open(TOPIC, 'event', s1.sessionId, s1.payload)), 'WAMPE2E_UNKNOWN_SESSION')
  const req = g.carol.keyRequest(ids.alice.publicKey, s1.sessionId, s1.index, P)
  assert.equal(code(() => g.alice.answerKeyRequest(req.request)), 'WAMPE2E_KEY_REFUSED')
  assert.equal(g.carol.cancelKeyRequest(req.requestHash), true)
  fetch(g.alice, g.bob, s1)
  assert.deepEqual(g.bob.open(TOPIC, 'event', s1.sessionId, s1.payload).args, [1])
  // rotate() and removeEntry()
  assert.equal(g.alice.rotate(P), true)
  assert.notEqual(g.alice.seal(TOPIC, 'event', [2]).sessionId, s1.sessionId)
  assert.equal(g.alice.removeEntry(P), true)
  assert.equal(code(() => g.alice.seal(TOPIC, 'event', [3])), 'WAMPE2E_KEY_NOT_FOUND')
  assert.deepEqual(g.bob.select('com.example.x').receivers.sort(), [ids.bob.fingerprint, ids.carol.fingerprint].sort())
})

test('held: one fetch per session, released in the sender order; overflow; a refused fetch', () => {
  const { g } = world()
  const held = new w.Held({ maxPerSession: 3, maxTotal: 8, maxWaitMs: 1000 })
  const ms = [0, 1, 2, 3].map((n) => g.alice.seal(TOPIC, 'event', [n], null, { nowMs: T0 }))
  const f = held.hold(g.bob, TOPIC, 'event', ms[0].payload, 10, T0)
  assert.equal(f.procedure, g.alice.keyProcedure())
  assert.equal(f.sessionId, ms[0].sessionId)
  assert.equal(held.hold(g.bob, TOPIC, 'event', ms[2].payload, 12, T0), null)
  assert.equal(held.hold(g.bob, TOPIC, 'event', ms[1].payload, 11, T0), null)
  assert.equal(code(() => held.hold(g.bob, TOPIC, 'event', ms[3].payload, 13, T0)), 'WAMPE2E_HOLD_OVERFLOW')
  assert.deepEqual([held.size, held.fetches, held.isFetching(f.requestHash)], [3, 1, true])
  g.bob.acceptKeyResponse(f.requestHash, g.alice.answerKeyRequest(f.request, T0), T0)
  assert.deepEqual(held.release(f.requestHash), [10, 11, 12])
  assert.deepEqual([0, 1, 2, 3].map((n) => g.bob.open(TOPIC, 'event', null, ms[n].payload, T0).args[0]), [0, 1, 2, 3])

  // carol's fetch is refused: her held messages come back for reporting, and the
  // session's next message is refused at once with the same code.
  const c = new w.Held({ maxWaitMs: 1000 })
  const m4 = g.alice.seal(TOPIC, 'event', [4], null, { nowMs: T0 })
  g.alice.rotate(P)
  const m5 = g.alice.seal(TOPIC, 'event', [5], null, { nowMs: T0 })
  const fc = c.hold(g.carol, TOPIC, 'event', m4.payload, 1, T0)
  assert.equal(w.fetchErrorCode('wampe2e.error.unknown_session'), 'WAMPE2E_UNKNOWN_SESSION')
  assert.equal(w.fetchErrorCode('wamp.error.no_such_procedure'), 'WAMPE2E_KEY_FETCH_FAILED')
  assert.deepEqual(c.fail(g.carol, fc.requestHash, 'WAMPE2E_UNKNOWN_SESSION', T0), [1])
  assert.equal(code(() => c.hold(g.carol, TOPIC, 'event', m4.payload, 2, T0 + 10)), 'WAMPE2E_UNKNOWN_SESSION')
  // A slow fetch expires.
  const f5 = c.hold(g.carol, TOPIC, 'event', m5.payload, 3, T0)
  assert.deepEqual(c.expire(g.carol, T0 + 999), [])
  assert.deepEqual(c.expire(g.carol, T0 + 1000), [3])
  assert.equal(code(() => g.carol.acceptKeyResponse(f5.requestHash, g.alice.answerKeyRequest(f5.request, T0), T0)), 'WAMPE2E_UNSOLICITED')
})

test('openReply: the payload is parsed for the URI the reply was sealed for; a given uri must match', () => {
  const { g } = world()
  const c = g.alice.seal('com.example.add', 'call', [2, 3])
  fetch(g.alice, g.bob, c)
  const inv = g.bob.open('com.example.add', 'call', c.sessionId, c.payload)
  const p0 = g.bob.sealReply(inv.invocation, 'progress', ['started'])
  const p1 = g.bob.sealReply(inv.invocation, 'progress', ['halfway'])
  const fin = g.bob.sealReply(inv.invocation, 'result', [5])
  assert.deepEqual(g.alice.openReply(c.callHash, 'progress', null, null, p0.payload).args, ['started'])
  assert.equal(code(() => g.alice.openReply(c.callHash, 'progress', 'com.example.other', null, p1.payload)), 'WAMPE2E_URI_MISMATCH')
  assert.deepEqual(g.alice.openReply(c.callHash, 'result', undefined, null, fin.payload).args, [5])
  const c2 = g.alice.seal('com.example.add', 'call', [1])
  const inv2 = g.bob.open('com.example.add', 'call', c2.sessionId, c2.payload)
  const e = g.bob.sealReply(inv2.invocation, 'error', ['too big'], null, 'com.example.error.overflow')
  // An error's URI is signed: the core checks it (§10.5).
  assert.equal(code(() => g.alice.openReply(c2.callHash, 'error', 'com.example.error.other', null, e.payload)), 'WAMPE2E_BAD_SIGNATURE')
})

test('isKeyProcedure and refusalUri: the key procedure rule and refusal URIs of the core', () => {
  assert.equal(w.isKeyProcedure('wampe2e.key.ab'), true)
  assert.equal(w.isKeyProcedure('wampe2e.key.ab', null), true)
  assert.equal(w.isKeyProcedure('wampe2e.key.'), false)
  assert.equal(w.isKeyProcedure('wampe2e.keyx.ab'), false)
  assert.equal(w.isKeyProcedure('app.keys.ab', 'app.keys'), true)
  assert.equal(w.isKeyProcedure('wampe2e.key.ab', 'app.keys'), false)
  assert.equal(w.refusalUri('WAMPE2E_KEY_REFUSED'), 'wampe2e.error.key_refused')
  assert.equal(w.refusalUri('WAMPE2E_UNKNOWN_SESSION'), 'wampe2e.error.unknown_session')
  assert.equal(code(() => w.refusalUri('WAMPE2E_NO_SUCH_CODE')), 'WAMPE2E_INVALID_ARGUMENT')
  for (const name of Object.keys(w.errorCodes())) {
    const back = w.fetchErrorCode(w.refusalUri(name))
    assert.ok(back === name || back === 'WAMPE2E_KEY_FETCH_FAILED', name)
  }
  // The adapters' exported errorUri is the core's refusalUri.
  assert.equal(require('../adapters/autobahn.js').errorUri('WAMPE2E_REFLECTED'), 'wampe2e.error.reflected')
})

test('readEnvelope and inbound: the wire of §12.1 and the covered-URI decision', () => {
  const { g } = world()
  const s = g.alice.seal(TOPIC, 'event', [1])
  assert.equal(w.readEnvelope({}, [1]).scheme, 'plain')
  assert.equal(w.readEnvelope({ enc_algo: 'cryptobox', enc_serializer: 'json' }, s.payload).scheme, 'other')
  assert.equal(w.readEnvelope({ ppt_scheme: 'wamp', ppt_serializer: 'cbor' }, [s.payload]).scheme, 'other')
  assert.equal(code(() => w.readEnvelope({ ...s.attributes, ppt_scheme: 'x_wampe2e' }, s.payload)), 'WAMPE2E_INVALID_ENVELOPE')
  assert.equal(code(() => w.readEnvelope({ enc_algo: 'x_wampe2e_gs1' }, s.payload)), 'WAMPE2E_INVALID_ENVELOPE')
  assert.equal(code(() => w.readEnvelope({ enc_algo: 'x_wampe2e_gs1', enc_serializer: 'json' }, s.payload)), 'WAMPE2E_UNKNOWN_SERIALIZER')
  assert.equal(code(() => w.readEnvelope({ ppt_scheme: 'x_wampe2e', ppt_serializer: 'cbor', ppt_cipher: 'x_other' }, [s.payload])), 'WAMPE2E_UNKNOWN_CIPHER')
  assert.equal(code(() => w.readEnvelope(s.attributes, [s.payload])), 'WAMPE2E_INVALID_ENVELOPE') // enc: bare binary
  assert.equal(code(() => w.readEnvelope(s.attributes, s.payload, { k: 1 })), 'WAMPE2E_INVALID_ENVELOPE')
  assert.equal(code(() => w.readEnvelope({ ...s.attributes, enc_key: 7 }, s.payload)), 'WAMPE2E_INVALID_ENVELOPE')
  assert.equal(code(() => w.readEnvelope({ ...s.attributes, enc_algo: 1 }, s.payload)), 'WAMPE2E_INVALID_ENVELOPE')
  assert.equal(code(() => w.readEnvelope({ ppt_scheme: 'x_wampe2e', ppt_serializer: 'cbor' }, [s.payload])), 'WAMPE2E_INVALID_ENVELOPE')
  const sp = g.alice.seal(TOPIC, 'event', [1], null, { dialect: 'ppt' })
  assert.deepEqual(w.readEnvelope(sp.attributes, [sp.payload]), { scheme: 'gs1', keyId: sp.sessionId, envelope: sp.payload })
  assert.equal(code(() => w.readEnvelope(sp.attributes, sp.payload)), 'WAMPE2E_INVALID_ENVELOPE') // ppt: a list of one
  assert.equal(code(() => w.readEnvelope(sp.attributes, [sp.payload, sp.payload])), 'WAMPE2E_INVALID_ENVELOPE')
  assert.equal(code(() => w.readEnvelope(sp.attributes, [sp.payload], {})), 'WAMPE2E_INVALID_ENVELOPE')
  assert.deepEqual(w.readEnvelope(s.attributes, s.payload, null).keyId, s.sessionId)
  const decide = (kind, uri, scheme, extra) => {
    try {
      return g.bob.inbound({ kind, uri, scheme, ...extra })
    } catch (e) {
      return e.code
    }
  }
  assert.equal(decide('event', TOPIC, 'gs1'), 'open')
  assert.equal(decide('event', TOPIC, 'plain'), 'WAMPE2E_UNEXPECTED_PLAINTEXT')
  assert.equal(decide('event', TOPIC, 'plain', { strict: false }), 'plain')
  assert.equal(decide('event', TOPIC, 'other'), 'WAMPE2E_INVALID_ENVELOPE')
  assert.equal(decide('event', 'org.public', 'plain'), 'keyring')
  assert.equal(decide('invocation', 'wampe2e.key.ab', 'plain'), 'exempt')
  assert.equal(decide('invocation', 'app.keys.ab', 'plain', { base: 'app.keys' }), 'exempt')
  assert.equal(decide('invocation', 'wampe2e.key.', 'plain'), 'keyring') // the base and a dot only: no key procedure
  assert.equal(code(() => g.bob.inbound({ kind: 'event', uri: TOPIC, scheme: 'cryptobox' })), 'WAMPE2E_INVALID_ARGUMENT')
  assert.equal(decide('result', 'org.public', 'plain', { requestGs1: true }), 'WAMPE2E_UNEXPECTED_PLAINTEXT')
  assert.equal(decide('error', 'wamp.error.no_such_procedure', 'plain', { requestGs1: true }), 'plain')
  assert.equal(decide('error', 'wampe2e.error.unknown_session', 'plain', { requestGs1: true }), 'plain')
  assert.equal(decide('error', 'com.example.error.x', 'plain', { requestGs1: true }), 'WAMPE2E_UNEXPECTED_PLAINTEXT')
})
