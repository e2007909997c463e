'use strict'
// The router is the adversary: JS victims guarded by the adapters (strict, the
// default) behind a hostile proxy (tests/hostile/proxy.js) in front of a real
// router, with honest peers on the same adapters connected to the router directly.
// autobahn-js victims sit in front of Crossbar.io (cryptobox, over json, msgpack and
// cbor), wampy victims in front of nexus (ppt, cbor). Each attack is refused with
// its error code, and honest encrypted traffic on the same session keeps flowing
// after it.
//
// Replaying a genuine ciphertext on the same URI is out of scope for cryptobox and
// ppt (no sequence numbers in the formats); the replay test shows it is still
// accepted, as the README says (see the group-sessions issue for replay protection).
const { describe, test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
// autobahn-js uses the global WebSocket (Node 22+); on Node 20 `ws` provides it.
if (typeof globalThis.WebSocket === 'undefined') globalThis.WebSocket = require('ws')
const autobahn = require('autobahn')
const { Wampy } = require('wampy')
const { CborSerializer } = require('wampy/CborSerializer.js')
const { w3cwebsocket } = require('websocket')
const wampe2e = require('..')
const { attachAutobahn, wampJsonSerializer } = require('../adapters/autobahn')
const { attachWampy } = require('../adapters/wampy')
const { startCrossbar, startNexus, ROOT } = require('./routers')
const { HostileProxy, TO_CLIENT, TO_ROUTER } = require(path.join(ROOT, 'tests', 'hostile', 'proxy.js'))

const [ERROR, PUBLISH, SUBSCRIBE, SUBSCRIBED, EVENT, CALL, RESULT, REGISTER, REGISTERED, INVOCATION, YIELD] =
  [8, 16, 32, 33, 36, 48, 50, 64, 65, 68, 70]
const WAIT = 10000
const SECRET = 's3cr3t-marker' // plaintext that must never be on the wire

/** Values arriving from handlers, awaited one at a time. */
class Inbox {
  constructor () {
    this.items = []
    this.waiting = []
  }

  push (item) {
    const w = this.waiting.shift()
    if (w) w(item)
    else this.items.push(item)
  }

  next (what = 'a message') {
    if (this.items.length > 0) return Promise.resolve(this.items.shift())
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), WAIT)
      this.waiting.push((item) => { clearTimeout(timer); resolve(item) })
    })
  }

  get empty () {
    return this.items.length === 0
  }
}

/** The subscription or registration id the router gave the victim for `uri`. */
function ident (conn, requestKind, replyKind, uri) {
  const request = conn.sent(TO_ROUTER, requestKind).find((m) => m[3] === uri)[1]
  return conn.sent(TO_CLIENT, replyKind).find((m) => m[1] === request)[2]
}

/** Replies the victim sends to forged invocations (ids 777000..777999), kept from the router. */
function swallowForgedReplies (proxy) {
  const replies = []
  proxy.hook = (conn, direction, msg) => {
    const request = msg[0] === YIELD ? msg[1] : msg[0] === ERROR && msg[1] === INVOCATION ? msg[2] : null
    if (direction === TO_ROUTER && request >= 777000 && request < 778000) {
      replies.push(msg)
      return []
    }
    return null
  }
  return replies
}

/** Keeps the `enc_*`/`ppt_*` attributes of a CALL's options, as a RESULT's details. */
function envelopeOf (options) {
  return Object.fromEntries(Object.entries(options).filter(([k]) => k.startsWith('enc_') || k.startsWith('ppt_')))
}

/** Asserts a message on the wire carries an envelope and none of the plaintext. */
function assertSealed (msg, attribute, attrsAt) {
  const text = JSON.stringify(msg, (_k, v) => typeof v === 'bigint' ? String(v) : v) // ids may be BigInts
  assert.ok(msg[attrsAt][attribute], `${text} has ${attribute}`)
  assert.equal(text.includes(SECRET), false, 'no plaintext in the message')
  for (const item of msg.flat()) {
    if (item instanceof Uint8Array) assert.equal(Buffer.from(item).includes(SECRET), false, 'no plaintext in the payload')
  }
}

function deep (n) {
  let v = SECRET
  for (let i = 0; i < n; i++) v = [v]
  return v
}

// ---------------------------------------------------------------------------------
// autobahn-js in front of Crossbar.io: cryptobox
// ---------------------------------------------------------------------------------

const AUTOBAHN_SERIALIZERS = {
  json: () => wampJsonSerializer(autobahn),
  msgpack: () => new autobahn.serializer.MsgpackSerializer(),
  cbor: () => new autobahn.serializer.CBORSerializer()
}

/**
 * com.example.*: the honest peer publishes and calls, the victim subscribes and
 * registers; com.calls.*: the victim calls and publishes, the honest peer is the
 * callee and subscriber.
 */
function boxKeys () {
  const [o1, r1, o2, r2] = [0, 1, 2, 3].map(() => wampe2e.generateKeypair())
  const victim = new wampe2e.KeyRing()
  victim.setBoxKey('com.example.', { originatorPub: o1.public, responderPriv: r1.secret })
  victim.setBoxKey('com.calls.', { originatorPriv: o2.secret, responderPub: r2.public })
  const honest = new wampe2e.KeyRing()
  honest.setBoxKey('com.example.', { originatorPriv: o1.secret, responderPub: r1.public })
  honest.setBoxKey('com.calls.', { originatorPub: o2.public, responderPriv: r2.secret })
  // What a peer holding the publisher's secret (colluding with the router) seals.
  const colluding = new wampe2e.KeyRing()
  colluding.setBoxKey('com.example.', { originatorPriv: o1.secret, responderPub: r1.public })
  return { victim, honest, colluding }
}

function connectAutobahn (url, serializer, attach) {
  return new Promise((resolve, reject) => {
    const connection = new autobahn.Connection({ url, realm: 'realm1', serializers: [AUTOBAHN_SERIALIZERS[serializer]()], max_retries: 0 })
    connection.onopen = (session) => { attach(session); resolve(connection) }
    connection.onclose = (reason, details) => { reject(new Error(`closed: ${reason} ${JSON.stringify(details)}`)); return true }
    connection.open()
  })
}

/**
 * Runs `body(scene)` with a proxy, the victim (through it, attached, strict unless
 * `options.strict` says otherwise) and the honest peer (direct); everything is
 * closed afterwards, also on failure.
 */
async function withAutobahn (router, serializer, body, options = {}) {
  const keys = boxKeys()
  const proxy = await HostileProxy.start(router.url)
  const connections = []
  const refused = []
  const honestRefused = []
  try {
    const victim = await connectAutobahn(proxy.url, serializer, (s) => attachAutobahn(s, options.victimRing || keys.victim, {
      strict: options.strict, onRefused: (err) => refused.push(err.code)
    }))
    connections.push(victim)
    const honest = await connectAutobahn(router.url, serializer, (s) => attachAutobahn(s, keys.honest, {
      onRefused: (err) => honestRefused.push(err.code)
    }))
    connections.push(honest)
    const scene = {
      proxy,
      keys,
      conn: proxy.connections.at(-1),
      victim: victim.session,
      honest: honest.session,
      takeRefused: () => refused.splice(0),
      honestRefused
    }
    await body(scene)
    assert.deepEqual(proxy.errors, [])
  } finally {
    for (const c of connections) {
      try { c.close() } catch { /* already closed */ }
    }
    await proxy.close()
  }
}

/** The victim subscribed to `topics` (prefix ones end with "."), events into one inbox. */
async function subscribeAll (s, topics) {
  const inbox = new Inbox()
  const ids = {}
  for (const topic of topics) {
    const match = topic.endsWith('.') ? 'prefix' : 'exact'
    await s.victim.subscribe(topic, (args, kwargs, details) => inbox.push({ on: topic, args, topic: details.topic }), { match })
    ids[topic] = ident(s.conn, SUBSCRIBE, SUBSCRIBED, topic)
  }
  // An honest event on `topic`, delivered on `on` with `n`, and nothing else.
  const honest = async (topic, n, on = topic) => {
    await s.honest.publish(topic, [n], {}, { acknowledge: true })
    const got = await inbox.next(`the honest event ${n} on ${topic}`)
    assert.deepEqual({ on: got.on, args: got.args }, { on, args: [n] })
    assert.ok(inbox.empty, 'nothing else delivered')
  }
  return { inbox, ids, honest }
}

/** The victim's registrations of com.example.add (records invocations) and the honest echo. */
async function registerAdd (s) {
  const invoked = []
  await s.victim.register('com.example.add', (args) => { invoked.push(args); return args[0] + args[1] })
  await s.honest.register('com.calls.echo', (args) => args[0])
  const reg = ident(s.conn, REGISTER, REGISTERED, 'com.example.add')
  const honestCall = async (a) => {
    assert.equal(await s.honest.call('com.example.add', [a, 1]), a + 1)
    assert.deepEqual(invoked.pop(), [a, 1])
  }
  return { invoked, reg, honestCall }
}

describe('autobahn-js victim behind a hostile proxy in front of Crossbar.io', () => {
  let router
  before(async () => { router = await startCrossbar() })
  after(async () => { if (router) await router.stop() })

  for (const serializer of Object.keys(AUTOBAHN_SERIALIZERS)) {
    test(`router_injects_plaintext_event (${serializer})`, () => withAutobahn(router, serializer, async (s) => {
      const { ids, honest } = await subscribeAll(s, ['com.example.sensor'])
      await honest('com.example.sensor', 1)
      assert.ok(s.conn.sent(TO_CLIENT, EVENT).every((e) => e[3].enc_algo === 'cryptobox'))

      await s.conn.toClient([EVENT, ids['com.example.sensor'], 4242, {}, ['forged'], { cmd: 'open-valve' }])
      await honest('com.example.sensor', 2)
      assert.deepEqual(s.takeRefused(), ['WAMPE2E_UNEXPECTED_PLAINTEXT'])
    }))

    test(`victim's PUBLISH, CALL, YIELD and ERROR leave encrypted, and what it receives arrives encrypted (${serializer})`, () => withAutobahn(router, serializer, async (s) => {
      const heard = new Inbox()
      const news = new Inbox()
      await s.victim.subscribe('com.example.news', (args) => news.push(args))
      await s.honest.subscribe('com.calls.news', (args) => heard.push(args))
      await s.honest.register('com.calls.echo', (args) => args[0])
      await s.victim.register('com.example.echo', (args) => args[0])
      await s.victim.register('com.example.empty', () => new autobahn.Result([], {}))
      await s.victim.register('com.example.fail', () => { throw new autobahn.Error('com.example.error.nope', [SECRET], { why: SECRET }) })
      await s.victim.register('com.example.fail_unkeyed', () => { throw new autobahn.Error('org.app.error.plain', [SECRET]) })
      await s.victim.register('com.example.crash', () => { throw new Error(SECRET) })

      await s.honest.publish('com.example.news', [SECRET], { s: SECRET }, { acknowledge: true })
      assert.deepEqual(await news.next('the honest event'), [SECRET])
      await s.victim.publish('com.calls.news', [SECRET], { s: SECRET }, { acknowledge: true })
      assert.deepEqual(await heard.next('the victim\'s event'), [SECRET])
      assert.equal(await s.victim.call('com.calls.echo', [SECRET]), SECRET)
      assert.equal(await s.honest.call('com.example.echo', [SECRET]), SECRET)
      assert.equal(await s.honest.call('com.example.empty', []), null)
      await assert.rejects(s.honest.call('com.example.fail', []), (err) => {
        assert.equal(err.error, 'com.example.error.nope')
        assert.deepEqual([err.args, err.kwargs], [[SECRET], { why: SECRET }])
        return true
      })
      // No key for the error URI: the error goes without its payload (and the
      // strict caller refuses a plaintext answer to its encrypted call).
      await assert.rejects(s.honest.call('com.example.fail_unkeyed', []), (err) => err.error === 'wampe2e.error.unexpected_plaintext')
      await assert.rejects(s.honest.call('com.example.crash', []), (err) => err.error.startsWith('wamp'))

      const out = s.conn.seen[TO_ROUTER]
      const publishes = out.filter((m) => m[0] === PUBLISH)
      const calls = out.filter((m) => m[0] === CALL)
      const yields = out.filter((m) => m[0] === YIELD)
      const errors = out.filter((m) => m[0] === ERROR && m[1] === INVOCATION)
      assert.equal(publishes.length, 1)
      assert.equal(calls.length, 1)
      assert.equal(yields.length, 2)
      assert.equal(errors.length, 3)
      for (const m of publishes) assertSealed(m, 'enc_algo', 2)
      for (const m of calls) assertSealed(m, 'enc_algo', 2)
      for (const m of yields) assertSealed(m, 'enc_algo', 2)
      const [sealedError, unkeyedError, crashError] = errors
      assertSealed(sealedError, 'enc_algo', 3)
      assert.deepEqual(unkeyedError.slice(3), [{}, 'org.app.error.plain'])
      assert.equal(JSON.stringify(crashError).includes(SECRET), false)
      // What the router forwarded to the victim: EVENT, INVOCATIONs, RESULT.
      const incoming = s.conn.seen[TO_CLIENT]
      const events = incoming.filter((m) => m[0] === EVENT)
      const invocations = incoming.filter((m) => m[0] === INVOCATION)
      const results = incoming.filter((m) => m[0] === RESULT)
      assert.equal(events.length, 1)
      assert.equal(invocations.length, 5)
      assert.equal(results.length, 1)
      for (const m of events) assertSealed(m, 'enc_algo', 3)
      for (const m of invocations) assertSealed(m, 'enc_algo', 3)
      for (const m of results) assertSealed(m, 'enc_algo', 2)
      assert.deepEqual(s.takeRefused(), [])
      assert.ok(s.honestRefused.includes('WAMPE2E_UNEXPECTED_PLAINTEXT'))
    }))
  }

  test('router_delivers_ciphertext_on_another_subscription', () => withAutobahn(router, 'json', async (s) => {
    const { ids, honest } = await subscribeAll(s, ['com.example.sensor', 'com.example.other'])
    for (const [sayTopic, code] of [[true, 'WAMPE2E_PATTERN_MISMATCH'], [false, 'WAMPE2E_URI_MISMATCH']]) {
      s.proxy.once(TO_CLIENT, EVENT, (conn, msg) => {
        const details = { ...msg[3] }
        if (sayTopic) details.topic = 'com.example.sensor'
        else delete details.topic
        return [[EVENT, ids['com.example.other'], msg[2], details, ...msg.slice(4)]]
      })
      await s.honest.publish('com.example.sensor', [3], {}, { acknowledge: true })
      await honest('com.example.other', 4)
      assert.deepEqual(s.takeRefused(), [code])
    }
    await honest('com.example.sensor', 5)
  }))

  test('router_delivers_ciphertext_on_a_prefix_subscription_it_does_not_match', () => withAutobahn(router, 'msgpack', async (s) => {
    const { ids, honest } = await subscribeAll(s, ['com.example.sensor', 'com.example.pfx.'])
    s.proxy.once(TO_CLIENT, EVENT, (conn, msg) =>
      [[EVENT, ids['com.example.pfx.'], msg[2], { ...msg[3], topic: 'com.example.sensor' }, ...msg.slice(4)]])
    await s.honest.publish('com.example.sensor', [5], {}, { acknowledge: true })
    await honest('com.example.pfx.deep', 6, 'com.example.pfx.')
    assert.deepEqual(s.takeRefused(), ['WAMPE2E_PATTERN_MISMATCH'])
  }))

  test('router_flips_a_ciphertext_bit', () => withAutobahn(router, 'cbor', async (s) => {
    const { honest } = await subscribeAll(s, ['com.example.sensor'])
    s.proxy.once(TO_CLIENT, EVENT, (conn, msg) => {
      const payload = Buffer.from(msg[4])
      payload[payload.length - 1] ^= 1
      return [[...msg.slice(0, 4), payload]]
    })
    await s.honest.publish('com.example.sensor', [7], {}, { acknowledge: true })
    await honest('com.example.sensor', 8)
    assert.deepEqual(s.takeRefused(), ['WAMPE2E_DECRYPTION_FAILED'])
  }))

  test('publisher_key_holder_seals_a_nesting_bomb_and_duplicate_keys', () => withAutobahn(router, 'json', async (s) => {
    const { ids, honest } = await subscribeAll(s, ['com.example.sensor'])
    const bomb = '{"uri":"com.example.sensor","args":' + '['.repeat(100000) + ']'.repeat(100000) + '}'
    const dup = '{"uri":"com.example.sensor","args":["shown to some"],"args":["shown to others"]}'
    for (const [plaintext, code] of [[bomb, 'WAMPE2E_UNSUPPORTED_VALUE'], [dup, 'WAMPE2E_INVALID_PAYLOAD']]) {
      const env = wampe2e.sealBytes(s.keys.colluding, 'originator', 'com.example.sensor', Buffer.from(plaintext))
      await s.conn.toClient([EVENT, ids['com.example.sensor'], 4343, env.attributes, env.payload])
      await honest('com.example.sensor', 9)
      assert.deepEqual(s.takeRefused(), [code])
    }
  }))

  test('router_replays_an_event (out of scope: delivered twice)', () => withAutobahn(router, 'json', async (s) => {
    // Documented limitation: neither cryptobox nor ppt can detect a replay on the same URI.
    const { inbox } = await subscribeAll(s, ['com.example.sensor'])
    s.proxy.once(TO_CLIENT, EVENT, (conn, msg) => [msg, msg])
    await s.honest.publish('com.example.sensor', [1], {}, { acknowledge: true })
    assert.deepEqual((await inbox.next('the event')).args, [1])
    assert.deepEqual((await inbox.next('its replay')).args, [1])
    assert.deepEqual(s.takeRefused(), [])
  }))

  test('router_gives_two_subscriptions_one_id', () => withAutobahn(router, 'json', async (s) => {
    // autobahn-js runs every handler on an id: one check must not stand for a keyed
    // and an unkeyed subscription. Everything on the shared id is refused.
    const { inbox, ids, honest } = await subscribeAll(s, ['com.example.sensor', 'com.example.other'])
    const sensor = ids['com.example.sensor']
    s.proxy.once(TO_CLIENT, SUBSCRIBED, (conn, msg) => [[SUBSCRIBED, msg[1], sensor]])
    await s.victim.subscribe('org.public.news', (args) => inbox.push({ on: 'org.public.news', args }))
    await s.conn.toClient([EVENT, sensor, 4242, {}, ['forged']])
    await honest('com.example.other', 1)
    assert.deepEqual(s.takeRefused(), ['WAMPE2E_PATTERN_MISMATCH'])
  }))

  test('router_sends_ids_that_are_not_wamp_ids (__proto__, constructor, strings, floats)', () => withAutobahn(router, 'json', async (s) => {
    // Each would index autobahn-js's own objects (their prototypes for "__proto__"):
    // refused before anything looks them up, and the session keeps working.
    const { honest } = await subscribeAll(s, ['com.example.sensor'])
    await s.victim.register('com.example.echo', (args) => args[0])
    const bad = ['__proto__', 'constructor', '1', 1.5, -1, 2 ** 53, null]
    for (const id of bad) {
      await s.conn.toClient([EVENT, id, 4242, {}, ['forged']])
      await s.conn.toClient([INVOCATION, 99, id, {}, ['forged']])
      await s.conn.toClient([RESULT, id, {}, ['forged']])
      await s.conn.toClient([ERROR, CALL, id, {}, 'com.example.error', ['forged']])
    }
    await honest('com.example.sensor', 1)
    assert.equal(await s.honest.call('com.example.echo', [SECRET]), SECRET)
    const refused = s.takeRefused()
    assert.equal(refused.length, 4 * bad.length)
    assert.ok(refused.every((code) => code === 'WAMPE2E_INVALID_MESSAGE'), refused.join())
  }))

  test('router_delivers_an_invocation_twice_while_it_is_answered', () => withAutobahn(router, 'json', async (s) => {
    // A second INVOCATION with the id of one still being answered is dropped: it
    // would share that invocation's reply bookkeeping (a second reply in plaintext).
    let release
    const gate = new Promise((resolve) => { release = resolve })
    const invoked = []
    await s.victim.register('com.example.slow', async (args) => { invoked.push(args); await gate; return args[0] })
    s.proxy.once(TO_CLIENT, INVOCATION, (conn, msg) => [msg, msg])
    const call = s.honest.call('com.example.slow', [SECRET])
    while (invoked.length === 0) await new Promise((resolve) => setTimeout(resolve, 10))
    await new Promise((resolve) => setTimeout(resolve, 50))
    release()
    assert.equal(await call, SECRET)
    assert.equal(invoked.length, 1)
    assert.deepEqual(s.takeRefused(), ['WAMPE2E_INVALID_MESSAGE'])
    const yields = s.conn.seen[TO_ROUTER].filter((m) => m[0] === YIELD)
    assert.equal(yields.length, 1)
    assertSealed(yields[0], 'enc_algo', 2)
  }))

  test('router_injects_plaintext_invocation', () => withAutobahn(router, 'json', async (s) => {
    const { invoked, reg, honestCall } = await registerAdd(s)
    await honestCall(1)
    const replies = swallowForgedReplies(s.proxy)
    await s.conn.toClient([INVOCATION, 777001, reg, {}, [40, 2]])
    await honestCall(2)
    assert.deepEqual(invoked, [])
    assert.deepEqual(replies, [[ERROR, INVOCATION, 777001, {}, 'wampe2e.error.unexpected_plaintext', [], { code: 'WAMPE2E_UNEXPECTED_PLAINTEXT' }]])
    assert.deepEqual(s.takeRefused(), ['WAMPE2E_UNEXPECTED_PLAINTEXT'])
  }))

  test('router_reflects_call_as_result', () => withAutobahn(router, 'cbor', async (s) => {
    const { honestCall } = await registerAdd(s)
    s.proxy.once(TO_ROUTER, CALL, (conn, msg) => {
      conn.toClient([RESULT, msg[1], envelopeOf(msg[2]), msg[4]])
      return []
    })
    await assert.rejects(s.victim.call('com.calls.echo', ['my secret']), (err) => {
      assert.equal(err.error, 'wampe2e.error.reflected')
      assert.deepEqual(err.kwargs, { code: 'WAMPE2E_REFLECTED' })
      return true
    })
    assert.deepEqual(s.takeRefused(), ['WAMPE2E_REFLECTED'])
    assert.equal(await s.victim.call('com.calls.echo', ['hello']), 'hello')
    await honestCall(3)
  }))

  test('router_forges_plaintext_result_and_error_for_an_encrypted_call', () => withAutobahn(router, 'msgpack', async (s) => {
    const { honestCall } = await registerAdd(s)
    for (const forged of [
      (request) => [RESULT, request, {}, ['forged result']],
      (request) => [ERROR, CALL, request, {}, 'com.app.error.forged', ['forged']]
    ]) {
      s.proxy.once(TO_ROUTER, CALL, (conn, msg) => { conn.toClient(forged(msg[1])); return [] })
      await assert.rejects(s.victim.call('com.calls.echo', ['my secret']), (err) => {
        assert.equal(err.error, 'wampe2e.error.unexpected_plaintext')
        assert.deepEqual(err.kwargs, { code: 'WAMPE2E_UNEXPECTED_PLAINTEXT' })
        return true
      })
      assert.deepEqual(s.takeRefused(), ['WAMPE2E_UNEXPECTED_PLAINTEXT'])
    }
    assert.equal(await s.victim.call('com.calls.echo', ['hello']), 'hello')
    await honestCall(4)
    assert.ok(s.conn.sent(TO_ROUTER, CALL).every((c) => c[2].enc_algo === 'cryptobox'))
  }))

  test('a result that cannot be sealed is an ERROR with the code, never plaintext', () => withAutobahn(router, 'json', async (s) => {
    const { honestCall } = await registerAdd(s)
    await s.victim.register('com.example.deep', () => deep(200))
    // The honest (strict) caller refuses the plaintext ERROR too; the code is on the wire.
    await assert.rejects(s.honest.call('com.example.deep', []))
    const [reply] = s.conn.sent(TO_ROUTER, ERROR)
    assert.deepEqual(reply.slice(3), [{}, 'wampe2e.error.unsupported_value', [], { code: 'WAMPE2E_UNSUPPORTED_VALUE' }])
    assert.deepEqual(s.conn.sent(TO_ROUTER, YIELD), [])
    await honestCall(5)
  }))

  test('progressive YIELDs to an encrypted invocation are sealed', () => withAutobahn(router, 'msgpack', async (s) => {
    await s.victim.register('com.example.progress', (args, kwargs, details) => {
      details.progress([SECRET, 1])
      details.progress([SECRET, 2])
      return SECRET
    })
    const reg = ident(s.conn, REGISTER, REGISTERED, 'com.example.progress')
    // The honest caller (autobahn-js on ES6 promises cannot take progressive results):
    // an encrypted invocation sealed with the publisher's key, its replies kept here.
    const replies = swallowForgedReplies(s.proxy)
    const env = wampe2e.sealPayload(s.keys.colluding, 'originator', 'com.example.progress', [SECRET])
    await s.conn.toClient([INVOCATION, 777002, reg, { receive_progress: true, ...env.attributes }, env.payload])
    const { honestCall } = await registerAdd(s)
    await honestCall(6)
    assert.deepEqual(replies.map((m) => [m[0], Boolean(m[2].progress)]), [[YIELD, true], [YIELD, true], [YIELD, false]])
    for (const m of replies) assertSealed(m, 'enc_algo', 2)
    assert.deepEqual(s.takeRefused(), [])
  }))

  test('an incomplete key entry fails closed: publish and call throw, nothing is sent', async () => {
    const o = wampe2e.generateKeypair()
    const r = wampe2e.generateKeypair()
    const ring = new wampe2e.KeyRing()
    ring.setBoxKey('com.example.', { originatorPub: o.public, responderPriv: r.secret }) // no originator secret
    ring.setBoxKey('com.calls.', { originatorPriv: o.secret, responderPub: r.public })
    await withAutobahn(router, 'json', async (s) => {
      const code = (fn) => { try { fn() } catch (e) { return e.code } return 'no error' }
      assert.equal(code(() => s.victim.publish('com.example.sensor', [SECRET])), 'WAMPE2E_KEY_INCOMPLETE')
      assert.equal(code(() => s.victim.call('com.example.add', [SECRET])), 'WAMPE2E_KEY_INCOMPLETE')
      assert.equal(JSON.stringify(s.conn.seen[TO_ROUTER]).includes(SECRET), false)
      assert.deepEqual(Object.keys(s.victim._call_reqs), [])
    }, { victimRing: ring })
  })

  test('strict: false delivers plaintext on keyed URIs (migrations), URIs still checked', () => withAutobahn(router, 'json', async (s) => {
    const { inbox, ids } = await subscribeAll(s, ['com.example.sensor'])
    const sub = ids['com.example.sensor']
    await s.conn.toClient([EVENT, sub, 1, {}, ['plain during migration']])
    assert.deepEqual((await inbox.next('the plaintext event')).args, ['plain during migration'])
    await s.conn.toClient([EVENT, sub, 2, { topic: 'com.example.elsewhere' }, ['x']])
    await s.conn.toClient([EVENT, sub, 3, {}, ['after']])
    assert.deepEqual((await inbox.next('the next event')).args, ['after'])
    assert.deepEqual(s.takeRefused(), ['WAMPE2E_PATTERN_MISMATCH'])
  }, { strict: false }))
})

// ---------------------------------------------------------------------------------
// wampy in front of nexus: ppt (cbor payloads, cbor transport), data keys
// ---------------------------------------------------------------------------------

/**
 * Data keys: "k-secret" for com.secret.*, "k-public" for com.public.*. The victim
 * and the honest peer hold both; the intruder (another client of the router) holds
 * only "k-public", and seals com.secret.* with it.
 */
function dataKeys () {
  const secret = wampe2e.generateDataKey()
  const pub = wampe2e.generateDataKey()
  const ring = () => {
    const r = new wampe2e.KeyRing()
    r.setDataKey('k-secret', secret, 'com.secret.')
    r.setDataKey('k-public', pub, 'com.public.')
    return r
  }
  const intruder = new wampe2e.KeyRing()
  intruder.setDataKey('k-public', pub, 'com.secret.')
  return { victim: ring(), honest: ring(), intruder }
}

function wampyClient (url) {
  return new Wampy(url, {
    realm: 'realm1',
    ws: w3cwebsocket,
    serializer: new CborSerializer(),
    payloadSerializers: { cbor: new CborSerializer() },
    autoReconnect: false
  })
}

/** As `withAutobahn`, for wampy victims: `peer(ring, cipher)` adds a direct client. */
async function withWampy (router, body, options = {}) {
  const keys = dataKeys()
  const proxy = await HostileProxy.start(router.url)
  const clients = []
  const refused = []
  const honestRefused = []
  const peer = async (ring, cipher) => {
    const c = attachWampy(wampyClient(router.url), ring, { cipher, onRefused: (err) => honestRefused.push(err.code) })
    clients.push(c)
    await c.connect()
    return c
  }
  try {
    const victim = attachWampy(wampyClient(proxy.url), options.victimRing || keys.victim, {
      strict: options.strict, onRefused: (err) => refused.push(err.code)
    })
    clients.push(victim)
    await victim.connect()
    const honest = await peer(keys.honest)
    await body({ proxy, keys, conn: proxy.connections.at(-1), victim, honest, peer, takeRefused: () => refused.splice(0), honestRefused })
    assert.deepEqual(proxy.errors, [])
  } finally {
    await Promise.allSettled(clients.map((c) => c.disconnect()))
    await proxy.close()
  }
}

async function wampySubscribeAll (s, topics) {
  const inbox = new Inbox()
  const ids = {}
  for (const topic of topics) {
    await s.victim.subscribe(topic, (ev) => inbox.push({ on: topic, args: ev.argsList, details: ev.details }))
    ids[topic] = ident(s.conn, SUBSCRIBE, SUBSCRIBED, topic)
  }
  const honest = async (topic, n, on = topic, from = s.honest) => {
    await from.publish(topic, [n])
    const got = await inbox.next(`the honest event ${n} on ${topic}`)
    assert.deepEqual({ on: got.on, args: got.args }, { on, args: [n] })
    assert.ok(got.details.ppt_cipher, 'delivered encrypted')
    assert.ok(inbox.empty, 'nothing else delivered')
  }
  return { inbox, ids, honest }
}

async function wampyRegisterAdd (s) {
  const invoked = []
  await s.victim.register('com.secret.add', ({ argsList }) => { invoked.push(argsList); return { argsList: [argsList[0] + argsList[1]] } })
  await s.honest.register('com.secret.echo', ({ argsList }) => ({ argsList }))
  const reg = ident(s.conn, REGISTER, REGISTERED, 'com.secret.add')
  const honestCall = async (a) => {
    assert.deepEqual((await s.honest.call('com.secret.add', [a, 1])).argsList, [a + 1])
    assert.deepEqual(invoked.pop(), [a, 1])
  }
  return { invoked, reg, honestCall }
}

function assertCallRefused (code) {
  return (err) => {
    assert.equal(err.errorUri, `wampe2e.error.${code.slice('WAMPE2E_'.length).toLowerCase()}`)
    assert.equal(err.code, code)
    assert.deepEqual([err.argsList, err.argsDict], [[], { code }])
    return true
  }
}

describe('wampy victim behind a hostile proxy in front of nexus', () => {
  let router
  before(async () => { router = await startNexus() })
  after(async () => { if (router) await router.stop() })

  test('wampy: router_injects_plaintext_event', () => withWampy(router, async (s) => {
    const { ids, honest } = await wampySubscribeAll(s, ['com.secret.sensor'])
    await honest('com.secret.sensor', 1)
    await s.conn.toClient([EVENT, ids['com.secret.sensor'], 4242, {}, ['forged'], { cmd: 'open-valve' }])
    await honest('com.secret.sensor', 2)
    assert.deepEqual(s.takeRefused(), ['WAMPE2E_UNEXPECTED_PLAINTEXT'])
  }))

  test('wampy: router_injects_plaintext_invocation', () => withWampy(router, async (s) => {
    const { invoked, reg, honestCall } = await wampyRegisterAdd(s)
    await honestCall(1)
    const replies = swallowForgedReplies(s.proxy)
    await s.conn.toClient([INVOCATION, 777001, reg, {}, [40, 2]])
    await honestCall(2)
    assert.deepEqual(invoked, [])
    assert.deepEqual(replies, [[ERROR, INVOCATION, 777001, {}, 'wampe2e.error.unexpected_plaintext', [], { code: 'WAMPE2E_UNEXPECTED_PLAINTEXT' }]])
    assert.deepEqual(s.takeRefused(), ['WAMPE2E_UNEXPECTED_PLAINTEXT'])
  }))

  test('wampy: router_delivers_ciphertext_on_another_subscription', () => withWampy(router, async (s) => {
    const { ids, honest } = await wampySubscribeAll(s, ['com.secret.sensor', 'com.secret.other'])
    for (const [sayTopic, code] of [[true, 'WAMPE2E_PATTERN_MISMATCH'], [false, 'WAMPE2E_URI_MISMATCH']]) {
      s.proxy.once(TO_CLIENT, EVENT, (conn, msg) => {
        const details = { ...msg[3] }
        if (sayTopic) details.topic = 'com.secret.sensor'
        else delete details.topic
        return [[EVENT, ids['com.secret.other'], msg[2], details, ...msg.slice(4)]]
      })
      await s.honest.publish('com.secret.sensor', [3])
      await honest('com.secret.other', 4)
      assert.deepEqual(s.takeRefused(), [code])
    }
  }))

  test('wampy: router_reflects_call_as_result', () => withWampy(router, async (s) => {
    const { honestCall } = await wampyRegisterAdd(s)
    s.proxy.once(TO_ROUTER, CALL, (conn, msg) => {
      conn.toClient([RESULT, msg[1], envelopeOf(msg[2]), msg[4]])
      return []
    })
    await assert.rejects(s.victim.call('com.secret.echo', ['my secret']), assertCallRefused('WAMPE2E_REFLECTED'))
    assert.deepEqual(s.takeRefused(), ['WAMPE2E_REFLECTED'])
    assert.deepEqual((await s.victim.call('com.secret.echo', ['hello'])).argsList, ['hello'])
    await honestCall(3)
  }))

  test('wampy: router_forges_plaintext_result_for_an_encrypted_call', () => withWampy(router, async (s) => {
    await wampyRegisterAdd(s)
    s.proxy.once(TO_ROUTER, CALL, (conn, msg) => { conn.toClient([RESULT, msg[1], {}, ['forged result']]); return [] })
    await assert.rejects(s.victim.call('com.secret.echo', ['my secret']), assertCallRefused('WAMPE2E_UNEXPECTED_PLAINTEXT'))
    assert.deepEqual(s.takeRefused(), ['WAMPE2E_UNEXPECTED_PLAINTEXT'])
    assert.deepEqual((await s.victim.call('com.secret.echo', ['hello'])).argsList, ['hello'])
  }))

  test('wampy: peer_substitutes_another_uris_key_id', () => withWampy(router, async (s) => {
    // The intruder may publish on com.secret.* (the router lets it), but holds only
    // com.public.*'s data key: its envelope names "k-public" on a com.secret.* topic.
    const intruder = await s.peer(s.keys.intruder)
    const { honest } = await wampySubscribeAll(s, ['com.secret.sensor', 'com.public.news'])
    await intruder.publish('com.secret.sensor', ['forged by a k-public holder'])
    await honest('com.secret.sensor', 1)
    assert.deepEqual(s.takeRefused(), ['WAMPE2E_KEY_NOT_FOUND'])
    const sent = s.conn.sent(TO_CLIENT, EVENT).map((e) => e[3].ppt_keyid)
    assert.deepEqual(sent, ['k-public', 'k-secret'])
    await honest('com.public.news', 2)
  }))

  test('wampy: router_flips_ppt_cipher', () => withWampy(router, async (s) => {
    const gcm = await s.peer(s.keys.honest, 'aes256gcm')
    const { honest } = await wampySubscribeAll(s, ['com.secret.sensor'])
    for (const [from, flipped] of [[s.honest, 'aes256gcm'], [gcm, 'xsalsa20poly1305']]) {
      s.proxy.once(TO_CLIENT, EVENT, (conn, msg) => [[...msg.slice(0, 3), { ...msg[3], ppt_cipher: flipped }, ...msg.slice(4)]])
      await from.publish('com.secret.sensor', [SECRET])
      await honest('com.secret.sensor', 1, 'com.secret.sensor', from)
      assert.deepEqual(s.takeRefused(), ['WAMPE2E_DECRYPTION_FAILED'])
    }
  }))

  test("wampy: victim's PUBLISH, CALL and YIELD leave encrypted, empty results and error payloads too; what it receives arrives encrypted", () => withWampy(router, async (s) => {
    const heard = new Inbox()
    const news = new Inbox()
    await s.victim.subscribe('com.secret.tips', (ev) => news.push(ev.argsList))
    await s.honest.publish('com.secret.tips', [SECRET])
    assert.deepEqual(await news.next('the honest event'), [SECRET])
    await s.honest.subscribe('com.secret.news', (ev) => heard.push(ev.argsList))
    await s.honest.register('com.secret.echo', ({ argsList }) => ({ argsList }))
    await s.victim.register('com.secret.empty', () => undefined)
    await s.victim.register('com.secret.value', () => SECRET)
    await s.victim.register('com.secret.fail', () => {
      throw Object.assign(new Error('nope'), { error: 'com.secret.error.nope', argsList: [SECRET], argsDict: { why: SECRET } })
    })
    await s.victim.register('com.secret.fail_unkeyed', () => {
      throw Object.assign(new Error('nope'), { error: 'org.app.error.plain', argsList: [SECRET] })
    })
    await s.victim.publish('com.secret.news', [SECRET])
    assert.deepEqual(await heard.next('the victim\'s event'), [SECRET])
    assert.deepEqual((await s.victim.call('com.secret.echo', [SECRET])).argsList, [SECRET])
    const empty = await s.honest.call('com.secret.empty')
    assert.deepEqual([empty.argsList, empty.argsDict], [undefined, undefined])
    assert.deepEqual((await s.honest.call('com.secret.value')).argsList, [SECRET])
    await assert.rejects(s.honest.call('com.secret.fail'), (err) => {
      assert.equal(err.errorUri, 'com.secret.error.nope')
      assert.deepEqual([err.argsList, err.argsDict], [[SECRET], { why: SECRET }])
      return true
    })
    // No key for the error URI: sent without its payload (the strict caller then
    // refuses a plaintext answer to its encrypted call).
    await assert.rejects(s.honest.call('com.secret.fail_unkeyed'), assertCallRefused('WAMPE2E_UNEXPECTED_PLAINTEXT'))

    const out = s.conn.seen[TO_ROUTER]
    for (const kind of [PUBLISH, CALL]) {
      const sent = out.filter((m) => m[0] === kind)
      assert.equal(sent.length, 1)
      assertSealed(sent[0], 'ppt_cipher', 2)
    }
    const yields = out.filter((m) => m[0] === YIELD)
    assert.equal(yields.length, 2)
    for (const m of yields) assertSealed(m, 'ppt_cipher', 2)
    const [sealedError, unkeyedError] = out.filter((m) => m[0] === ERROR)
    assertSealed(sealedError, 'ppt_cipher', 3)
    assert.deepEqual(unkeyedError.slice(3), [{}, 'org.app.error.plain'])
    // What the router forwarded to the victim: EVENT, INVOCATIONs, RESULT.
    const incoming = s.conn.seen[TO_CLIENT]
    for (const [kind, count, attrsAt] of [[EVENT, 1, 3], [INVOCATION, 4, 3], [RESULT, 1, 2]]) {
      const got = incoming.filter((m) => m[0] === kind)
      assert.equal(got.length, count, `${kind} count`)
      for (const m of got) assertSealed(m, 'ppt_cipher', attrsAt)
    }
    assert.deepEqual(s.takeRefused(), [])
    assert.deepEqual(s.honestRefused, ['WAMPE2E_UNEXPECTED_PLAINTEXT'])
  }))

  test('wampy: progressive results to an encrypted invocation are sealed; one that cannot be is an ERROR with the code', () => withWampy(router, async (s) => {
    await s.victim.register('com.secret.progress', ({ result_handler: progress }) => {
      progress({ options: { progress: true }, argsList: [SECRET, 1] })
      progress({ options: { progress: true }, argsList: [deep(200)] }) // cannot be sealed
      return { argsList: [SECRET] }
    })
    const reg = ident(s.conn, REGISTER, REGISTERED, 'com.secret.progress')
    const replies = swallowForgedReplies(s.proxy)
    const env = wampe2e.sealPayload(s.keys.honest, 'originator', 'com.secret.progress', [SECRET], null, { dialect: 'ppt', serializer: 'cbor' })
    await s.conn.toClient([INVOCATION, 777003, reg, { receive_progress: true, ...env.attributes }, [env.payload]])
    const { honestCall } = await wampyRegisterAdd(s)
    await honestCall(7)
    // One sealed progressive result, then the ERROR for the one that could not be
    // sealed; the final result is not sent after it.
    assert.equal(replies.length, 2)
    assert.equal(replies[0][0], YIELD)
    assertSealed(replies[0], 'ppt_cipher', 2)
    assert.deepEqual(replies[1], [ERROR, INVOCATION, 777003, {}, 'wampe2e.error.unsupported_value', [], { code: 'WAMPE2E_UNSUPPORTED_VALUE' }])
    assert.deepEqual(s.takeRefused(), [])
  }))

  test('wampy: progressive call chunks leave encrypted, the result is opened', () => withWampy(router, async (s) => {
    // nexus closes the session on a progressive CALL, so the proxy answers it: the
    // CALLs are kept from the router, a RESULT sealed by the honest peer comes back.
    const calls = []
    s.proxy.hook = (conn, direction, msg) => {
      if (direction !== TO_ROUTER || msg[0] !== CALL) return null
      calls.push(msg)
      if (!msg[2].progress) {
        const env = wampe2e.sealPayload(s.keys.honest, 'responder', 'com.secret.upload', ['stored'], null, { dialect: 'ppt', serializer: 'cbor' })
        conn.toClient([RESULT, msg[1], env.attributes, [env.payload]])
      }
      return []
    }
    const upload = s.victim.progressiveCall('com.secret.upload', [SECRET, 1])
    upload.sendData([SECRET, 2], { progress: false })
    assert.deepEqual((await upload.result).argsList, ['stored'])
    assert.deepEqual(calls.map((m) => Boolean(m[2].progress)), [true, false])
    for (const m of calls) assertSealed(m, 'ppt_cipher', 2)
  }))

  test('wampy: an incomplete key entry fails closed: publish and call reject, nothing is sent', async () => {
    const o = wampe2e.generateKeypair()
    const r = wampe2e.generateKeypair()
    const ring = new wampe2e.KeyRing()
    ring.setBoxKey('com.secret.', { originatorPub: o.public, responderPriv: r.secret }) // no originator secret
    await withWampy(router, async (s) => {
      await assert.rejects(s.victim.publish('com.secret.sensor', [SECRET]), { code: 'WAMPE2E_KEY_INCOMPLETE' })
      await assert.rejects(s.victim.call('com.secret.echo', [SECRET]), { code: 'WAMPE2E_KEY_INCOMPLETE' })
      assert.equal(s.conn.sent(TO_ROUTER, PUBLISH).length + s.conn.sent(TO_ROUTER, CALL).length, 0)
    }, { victimRing: ring })
  })

  test('wampy: strict: false delivers plaintext on keyed URIs (migrations), URIs still checked', () => withWampy(router, async (s) => {
    const { inbox, ids } = await wampySubscribeAll(s, ['com.secret.sensor'])
    const sub = ids['com.secret.sensor']
    await s.conn.toClient([EVENT, sub, 1, {}, ['plain during migration']])
    assert.deepEqual((await inbox.next('the plaintext event')).args, ['plain during migration'])
    await s.conn.toClient([EVENT, sub, 2, { topic: 'com.secret.elsewhere' }, ['x']])
    await s.conn.toClient([EVENT, sub, 3, {}, ['after']])
    assert.deepEqual((await inbox.next('the next event')).args, ['after'])
    assert.deepEqual(s.takeRefused(), ['WAMPE2E_PATTERN_MISMATCH'])
  }, { strict: false }))
})
