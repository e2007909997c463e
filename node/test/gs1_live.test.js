'use strict'
// GS1 group sessions through real routers: autobahn-js over Crossbar.io (enc_*,
// CBOR transport) and wampy over nexus (ppt_*, ppt_serializer cbor, CBOR
// transport). Events to several subscribers in order and exactly once, what the
// router forwards, revocation mid-stream, messages held while a key is fetched,
// and RPC with the caller's identity, an application error and progressive results.
const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
// autobahn-js uses the global WebSocket (Node 22+); on Node 20 `ws` provides it.
if (typeof globalThis.WebSocket === 'undefined') globalThis.WebSocket = require('ws')
const autobahn = require('autobahn')
const { Wampy } = require('wampy')
const { CborSerializer } = require('wampy/CborSerializer.js')
const { w3cwebsocket } = require('websocket')
const w = require('..')
const { attachAutobahn } = require('../adapters/autobahn')
const { attachWampy } = require('../adapters/wampy')
const path = require('node:path')
const { startCrossbar, startNexus, ROOT } = require('./routers')
const { HostileProxy, TO_ROUTER, TO_CLIENT } = require(path.join(ROOT, 'tests', 'hostile', 'proxy.js'))

let crossbar, nexus
before(async () => {
  const [c, n] = await Promise.allSettled([startCrossbar(), startNexus()])
  crossbar = c.value
  nexus = n.value
  if (c.status === 'rejected') throw c.reason
  if (n.status === 'rejected') throw n.reason
})
after(async () => {
  await Promise.allSettled([crossbar && crossbar.stop(), nexus && nexus.stop()])
})

const SECRET = 'secret-text'
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** Resolves when `cond()` holds, checking every 10 ms; rejects after `ms`. */
async function until (cond, ms, what) {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await sleep(10)
  }
}

/** Identities and groups; every group has the same entries (as all peers of a group must). */
function peers (names, options) {
  const ids = {}
  const groups = {}
  for (const n of names) ids[n] = w.Identity.generate()
  for (const n of names) groups[n] = new w.Group(ids[n], options)
  return { ids, groups, entry: (prefix, senders, receivers) => { for (const g of Object.values(groups)) g.setEntry(prefix, senders.map((s) => ids[s].publicKey), receivers.map((r) => ids[r].publicKey)) } }
}

// autobahn-js deferreds that take progressive results (its ES6 ones cannot).
function progressDeferred () {
  const d = {}
  d.promise = new Promise((resolve, reject) => { d.resolve = resolve; d.reject = reject })
  d.notify = (v) => { if (d.promise.onProgress) d.promise.onProgress(v) }
  return d
}

const openConnections = new Set()
after(() => {
  for (const c of openConnections) {
    try {
      c.close()
    } catch {} // already closed
  }
})

/** An autobahn-js session on Crossbar.io, attached with `options` (no attach when null), key procedure registered. */
function autobahnSession (options, url) {
  return new Promise((resolve, reject) => {
    const connection = new autobahn.Connection({
      url: url || crossbar.url, realm: 'realm1', serializers: [new autobahn.serializer.CBORSerializer()], max_retries: 0, use_deferred: progressDeferred,
      on_user_error: () => {} // the application error the fail handler throws on purpose
    })
    connection.onopen = (session) => {
      if (!options) return resolve({ session, connection })
      attachAutobahn(session, null, options)
      session.wampe2eReady.then(() => resolve({ session, connection }), reject)
    }
    connection.onclose = (reason, details) => { reject(new Error(`closed: ${reason} ${JSON.stringify(details)}`)); return true }
    openConnections.add(connection)
    connection.open()
  })
}

/** Every raw EVENT a plain session receives on `topic`. */
async function recorder (topic) {
  const { session, connection } = await autobahnSession(null)
  const seen = []
  const receive = session._socket.onmessage
  session._socket.onmessage = (msg) => {
    if (msg[0] === 36) seen.push(msg)
    return receive(msg)
  }
  await session.subscribe(topic, () => {})
  return { seen, session, connection }
}

test('autobahn-js ⇄ Crossbar.io: 1000 GS1 events to two subscribers, each exactly once and in order; the router forwards envelopes only, and injected plaintext, cryptobox or a replay is refused', async () => {
  const p = peers(['pub', 'sub1', 'sub2'])
  p.entry('com.example.gs1.', ['pub'], ['sub1', 'sub2'])
  const topic = 'com.example.gs1.topic'
  const refused = []
  const onRefused = (err) => refused.push(err.code)
  const [pub, sub1, sub2, rec] = await Promise.all([
    autobahnSession({ group: p.groups.pub, onRefused }),
    autobahnSession({ group: p.groups.sub1, onRefused }),
    autobahnSession({ group: p.groups.sub2, onRefused }),
    recorder(topic)
  ])
  const got = { sub1: [], sub2: [] }
  const senders = new Set()
  for (const name of ['sub1', 'sub2']) {
    const s = name === 'sub1' ? sub1 : sub2
    await s.session.subscribe(topic, (args, kwargs, details) => {
      got[name].push(args[0])
      senders.add(details.wampe2e.sender)
      assert.equal(kwargs.tag, SECRET)
    })
  }
  const N = 1000
  // The first event starts the subscribers' key fetch; the burst after it waits
  // for the same fetch (held within the default bounds) or opens directly.
  pub.session.publish(topic, [0], { tag: SECRET })
  await until(() => got.sub1.length === 1 && got.sub2.length === 1, 10000, 'the first event')
  for (let i = 1; i < N; i++) pub.session.publish(topic, [i], { tag: SECRET })
  await until(() => got.sub1.length >= N && got.sub2.length >= N && rec.seen.length >= N, 30000, 'all events')
  await sleep(100)
  const all = [...Array(N).keys()]
  assert.deepEqual(got.sub1, all)
  assert.deepEqual(got.sub2, all)
  assert.deepEqual([...senders], [p.ids.pub.fingerprint])
  assert.deepEqual(refused, [])
  // What the router forwarded: one binary GS1 envelope per event, no plaintext.
  assert.equal(rec.seen.length, N)
  for (const m of rec.seen) {
    assert.equal(m[3].enc_algo, 'x_wampe2e_gs1')
    assert.equal(m[3].enc_serializer, 'cbor')
    assert.match(m[3].enc_key, /^[0-9a-f]{32}$/)
    assert.ok(m[4] instanceof Uint8Array)
    assert.equal(m[5], undefined)
    assert.equal(Buffer.from(m[4]).includes(Buffer.from(SECRET)), false)
  }

  // The router (here: a plain session) injects plaintext and a cryptobox payload
  // on the GS1 topic: both subscribers refuse them, and deliver nothing.
  const ring = new w.KeyRing()
  ring.setSharedKey('com.example.', w.generateKeypair().secret)
  const boxed = w.sealPayload(ring, 'originator', topic, ['injected'])
  rec.session._send_wamp([16, 900001, {}, topic, ['injected']])
  rec.session._send_wamp([16, 900002, boxed.attributes, topic, boxed.payload])
  // ... and replays a genuine envelope it forwarded before (within the replay window:
  // an older one is WAMPE2E_TOO_OLD).
  const { enc_algo: algo, enc_serializer: ser, enc_key: key } = rec.seen[N - 3][3]
  rec.session._send_wamp([16, 900003, { enc_algo: algo, enc_serializer: ser, enc_key: key }, topic, rec.seen[N - 3][4]])
  await until(() => refused.length >= 6, 10000, 'the refusals of the injected events')
  await sleep(100)
  assert.deepEqual(refused.sort(), ['WAMPE2E_INVALID_ENVELOPE', 'WAMPE2E_INVALID_ENVELOPE', 'WAMPE2E_REPLAYED', 'WAMPE2E_REPLAYED', 'WAMPE2E_UNEXPECTED_PLAINTEXT', 'WAMPE2E_UNEXPECTED_PLAINTEXT'])
  assert.equal(got.sub1.length, N)
  assert.equal(got.sub2.length, N)
  for (const c of [pub, sub1, sub2, rec]) c.connection.close()
})

test('autobahn-js ⇄ Crossbar.io: revocation mid-stream, and messages held while the key is fetched are not dropped', async () => {
  // A share reaches back shareBacklog messages (default 64): the burst below is
  // sent before any receiver asked for the key, so the publisher keeps 256.
  const p = peers(['pub', 'stay', 'gone'], { shareBacklog: 256 })
  p.entry('com.example.gs1r.', ['pub'], ['stay', 'gone'])
  const topic = 'com.example.gs1r.topic'
  const refused = { stay: [], gone: [] }
  const [pub, stay, gone] = await Promise.all([
    autobahnSession({ group: p.groups.pub }),
    autobahnSession({ group: p.groups.stay, onRefused: (err) => refused.stay.push(err.code) }),
    autobahnSession({ group: p.groups.gone, onRefused: (err) => refused.gone.push(err.code) })
  ])
  const got = { stay: [], gone: [] }
  await stay.session.subscribe(topic, (args) => got.stay.push(args[0]))
  await gone.session.subscribe(topic, (args) => got.gone.push(args[0]))
  // A burst on a session neither subscriber holds: every event waits for the fetch.
  for (let i = 0; i < 200; i++) pub.session.publish(topic, [i])
  await until(() => got.stay.length === 200 && got.gone.length === 200, 15000, 'the held burst')
  assert.deepEqual(refused, { stay: [], gone: [] })
  assert.deepEqual(got.stay, [...Array(200).keys()])
  assert.deepEqual(got.gone, [...Array(200).keys()])

  // "gone" leaves the receivers: the publisher rotates at once; "gone" is refused
  // the new session's key, "stay" fetches it and misses nothing.
  p.groups.pub.setEntry('com.example.gs1r.', [p.ids.pub.publicKey], [p.ids.stay.publicKey])
  for (let i = 200; i < 300; i++) pub.session.publish(topic, [i])
  await until(() => got.stay.length === 300 && refused.gone.length >= 100, 15000, 'the events after revocation')
  await sleep(100)
  assert.deepEqual(got.stay, [...Array(300).keys()])
  assert.equal(got.gone.length, 200)
  assert.deepEqual([...new Set(refused.gone)], ['WAMPE2E_KEY_REFUSED'])
  assert.deepEqual(refused.stay, [])
  for (const c of [pub, stay, gone]) c.connection.close()
})

test('autobahn-js ⇄ Crossbar.io: GS1 RPC with the caller identity, progressive results and an application error', async () => {
  const p = peers(['caller', 'callee', 'stranger'])
  p.entry('com.example.gs1rpc.', ['caller'], ['callee'])
  const [caller, callee, stranger] = await Promise.all([
    autobahnSession({ group: p.groups.caller }),
    autobahnSession({ group: p.groups.callee, onRefused: (err) => calleeRefused.push(err.code) }),
    autobahnSession({ group: p.groups.stranger })
  ])
  const calleeRefused = []
  const raw = []
  const receive = caller.session._socket.onmessage
  caller.session._socket.onmessage = (msg) => { if (msg[0] === 50 || msg[0] === 8) raw.push(msg); return receive(msg) }
  const callers = []
  await callee.session.register('com.example.gs1rpc.add', (args, kwargs, details) => {
    callers.push(details.wampe2e.sender)
    if (details.progress) {
      details.progress([SECRET, 1])
      details.progress([SECRET, 2])
    }
    return new autobahn.Result([args[0] + args[1], details.wampe2e.sender], { note: SECRET })
  })
  await callee.session.register('com.example.gs1rpc.fail', () => {
    throw new autobahn.Error('com.example.gs1rpc.error.too_big', [SECRET, 99], { limit: 10 })
  })
  // The first call waits at the callee for the session's key (held), then runs.
  const r = await caller.session.call('com.example.gs1rpc.add', [2, 3])
  assert.deepEqual(r.args, [5, p.ids.caller.fingerprint])
  assert.deepEqual(r.kwargs, { note: SECRET })

  const progress = []
  const call = caller.session.call('com.example.gs1rpc.add', [20, 22], {}, { receive_progress: true })
  call.onProgress = (v) => progress.push(v.args)
  const r2 = await call
  assert.deepEqual(progress, [[SECRET, 1], [SECRET, 2]])
  assert.deepEqual(r2.args, [42, p.ids.caller.fingerprint])

  await assert.rejects(caller.session.call('com.example.gs1rpc.fail', [1]), (err) => {
    assert.equal(err.error, 'com.example.gs1rpc.error.too_big')
    assert.deepEqual(err.args, [SECRET, 99])
    assert.deepEqual(err.kwargs, { limit: 10 })
    return true
  })
  assert.deepEqual(callers, [p.ids.caller.fingerprint, p.ids.caller.fingerprint])
  // Every answer travelled as a GS1 envelope.
  assert.equal(raw.length, 5)
  for (const m of raw) {
    const details = m[0] === 50 ? m[2] : m[3]
    const payload = m[0] === 50 ? m[3] : m[5]
    assert.equal(details.enc_algo, 'x_wampe2e_gs1')
    assert.equal(Buffer.from(payload).includes(Buffer.from(SECRET)), false)
  }
  // An identity the entry does not pin as a caller: the callee refuses its call
  // with the code only, and its handler never runs.
  p.groups.stranger.setEntry('com.example.gs1rpc.', [p.ids.stranger.publicKey], [p.ids.callee.publicKey])
  await assert.rejects(stranger.session.call('com.example.gs1rpc.add', [1, 1]), (err) => {
    assert.equal(err.error, 'wampe2e.error.untrusted_sender')
    assert.deepEqual(err.kwargs, { code: 'WAMPE2E_UNTRUSTED_SENDER' })
    return true
  })
  assert.equal(callers.length, 2)
  assert.deepEqual(calleeRefused, ['WAMPE2E_UNTRUSTED_SENDER'])
  for (const c of [caller, callee, stranger]) c.connection.close()
})

test('autobahn-js behind a hostile proxy: a CALL reflected as its RESULT and a flipped progress flag are refused (WRONG_KIND); honest calls go on', async () => {
  const p = peers(['caller', 'callee'])
  p.entry('com.example.gs1h.', ['caller'], ['callee'])
  const proxy = await HostileProxy.start(crossbar.url)
  try {
    const refused = []
    const [caller, callee] = await Promise.all([
      autobahnSession({ group: p.groups.caller, onRefused: (err) => refused.push(err.code) }, proxy.url),
      autobahnSession({ group: p.groups.callee })
    ])
    let runs = 0
    await callee.session.register('com.example.gs1h.echo', (args) => { runs++; return args[0] })
    assert.equal(await caller.session.call('com.example.gs1h.echo', [SECRET]), SECRET)

    // The router sends the caller its own CALL envelope back as the RESULT.
    proxy.once(TO_ROUTER, 48, (conn, msg) => {
      const attrs = Object.fromEntries(Object.entries(msg[2]).filter(([k]) => k.startsWith('enc_')))
      conn.toClient([50, msg[1], attrs, msg[4]])
      return []
    })
    await assert.rejects(caller.session.call('com.example.gs1h.echo', [SECRET]), (err) => err.error === 'wampe2e.error.wrong_kind')

    // The router marks a final RESULT as progressive.
    proxy.once(TO_CLIENT, 50, (conn, msg) => [[50, msg[1], { ...msg[2], progress: true }, msg[3]]])
    await assert.rejects(caller.session.call('com.example.gs1h.echo', [SECRET]), (err) => err.error === 'wampe2e.error.wrong_kind')

    assert.deepEqual(refused, ['WAMPE2E_WRONG_KIND', 'WAMPE2E_WRONG_KIND'])
    assert.equal(await caller.session.call('com.example.gs1h.echo', ['still works']), 'still works')
    assert.equal(runs, 3) // the reflected call never reached the callee
    assert.deepEqual(proxy.errors, [])
    for (const c of [caller, callee]) c.connection.close()
  } finally {
    await proxy.close()
  }
})

function wampyClient (payloadSerializers) {
  return new Wampy(nexus.url, { realm: 'realm1', ws: w3cwebsocket, serializer: new CborSerializer(), payloadSerializers: payloadSerializers || { cbor: new CborSerializer() }, autoReconnect: false })
}

test('wampy ⇄ nexus ⇄ wampy, GS1 over ppt (cbor): events, injected plaintext refused, RPC with the caller identity, progressive results, an application error', async () => {
  const p = peers(['pub', 'sub'])
  p.entry('com.example.gs1w.', ['pub'], ['sub'])
  // RPC on a prefix of its own: the callee meets the caller's session with its
  // first INVOCATION, which waits for the key (held) and then runs.
  p.entry('com.example.gs1wrpc.', ['pub'], ['sub'])
  const pub = attachWampy(wampyClient(), null, { group: p.groups.pub })
  const subRefused = []
  const sub = attachWampy(wampyClient(), null, { group: p.groups.sub, onRefused: (err, m) => subRefused.push([m.kind, err.code]) })
  const seen = []
  const spy = wampyClient({ cbor: { protocol: 'cbor', isBinary: true, encode: () => { throw new Error('spy only listens') }, decode: (b) => { seen.push(Buffer.from(b)); return { args: [], kwargs: {} } } } })
  const spyDetails = []
  try {
    await Promise.all([pub.connect(), sub.connect(), spy.connect()])
    const topic = 'com.example.gs1w.topic'
    const got = []
    await sub.subscribe(topic, (ev) => {
      got.push(ev.argsList[0])
      assert.equal(ev.details.wampe2e.sender, p.ids.pub.fingerprint)
      assert.deepEqual(ev.argsDict, { tag: SECRET })
    })
    await spy.subscribe(topic, (ev) => spyDetails.push(ev.details))
    const N = 100
    // The first event starts the subscriber's key fetch; the rest follow it.
    await pub.publish(topic, { argsList: [0], argsDict: { tag: SECRET } })
    await until(() => got.length === 1, 10000, 'the first wampy event')
    for (let i = 1; i < N; i++) pub.publish(topic, { argsList: [i], argsDict: { tag: SECRET } })
    await until(() => got.length >= N && seen.length >= N, 15000, 'the wampy events')
    assert.deepEqual(got, [...Array(N).keys()])
    for (const d of spyDetails) {
      assert.equal(d.ppt_scheme, 'x_wampe2e')
      assert.equal(d.ppt_serializer, 'cbor')
      assert.equal(d.ppt_cipher, 'x_gs1')
      assert.match(d.ppt_keyid, /^[0-9a-f]{32}$/)
    }
    for (const b of seen) assert.equal(b.includes(Buffer.from(SECRET)), false)
    // A plaintext event on the GS1 topic (here from the plain spy) is refused.
    await spy.publish(topic, ['injected'])
    await until(() => subRefused.length === 1, 10000, 'the refusal of the plaintext event')
    assert.deepEqual(subRefused, [['event', 'WAMPE2E_UNEXPECTED_PLAINTEXT']])
    assert.equal(got.length, N)

    // RPC: pub calls, sub is the callee (the entry's receivers sign the replies).
    await sub.register('com.example.gs1wrpc.add', ({ argsList, argsDict, details, result_handler: progress }) => {
      // nexus does not pass receive_progress on to wampy: the caller asks in its kwargs.
      if (argsDict && argsDict.progress) {
        progress({ options: { progress: true }, argsList: [SECRET, 1] })
        progress({ options: { progress: true }, argsList: [SECRET, 2] })
      }
      return { argsList: [argsList[0] + argsList[1], details.wampe2e.sender] }
    })
    await sub.register('com.example.gs1wrpc.fail', () => {
      throw Object.assign(new Error('too big'), { error: 'com.example.gs1wrpc.error.too_big', argsList: [SECRET, 99], argsDict: { limit: 10 } })
    })
    const r = await pub.call('com.example.gs1wrpc.add', [2, 3])
    assert.deepEqual(r.argsList, [5, p.ids.pub.fingerprint])
    assert.equal(r.details.wampe2e.callee, p.ids.sub.fingerprint)
    const progress = []
    const r2 = await pub.call('com.example.gs1wrpc.add', { argsList: [20, 22], argsDict: { progress: true } }, { progress_callback: (res) => progress.push(res.argsList) })
    assert.deepEqual(progress, [[SECRET, 1], [SECRET, 2]])
    assert.deepEqual(r2.argsList, [42, p.ids.pub.fingerprint])
    await assert.rejects(pub.call('com.example.gs1wrpc.fail', [1]), (err) => {
      assert.equal(err.errorUri, 'com.example.gs1wrpc.error.too_big')
      assert.deepEqual(err.argsList, [SECRET, 99])
      assert.deepEqual(err.argsDict, { limit: 10 })
      return true
    })
  } finally {
    await Promise.allSettled([pub.disconnect(), sub.disconnect(), spy.disconnect()])
  }
})
