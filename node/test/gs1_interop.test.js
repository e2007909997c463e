'use strict'
// GS1 across languages through Crossbar.io: Autobahn|Python peers (test/peers/gs1_peer.py,
// on asyncio and on Twisted, run with WAMPE2E_PYTHON) and autobahn-js with the
// wampe2e adapter, every identity derived from a WAMP-cryptosign seed, by Python
// (Identity.from_cryptosign_seed) for its own peers and by Node
// (Identity.fromCryptosignSeed) for the keys it pins and for its own session:
//  1. a Python publisher, three subscribers (Python asyncio, Python Twisted,
//     autobahn-js): 1000 events, each received exactly once, in order, decrypted,
//     and attributed to the publisher's derived identity;
//  2. RPC both ways (Python caller → Node callee, Node caller → Python callee),
//     the Python peer on asyncio and on Twisted: the callee sees the caller's
//     authenticated identity, an application error with its payload, progressive
//     results; every reply travels as a GS1 envelope.
// Every Python process and the router are stopped, also when a test fails.
const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const { spawn } = require('node:child_process')
const crypto = require('node:crypto')
const path = require('node:path')
// autobahn-js uses the global WebSocket (Node 22+); on Node 20 `ws` provides it.
if (typeof globalThis.WebSocket === 'undefined') globalThis.WebSocket = require('ws')
const autobahn = require('autobahn')
const w = require('..')
const { attachAutobahn } = require('../adapters/autobahn')
const { startCrossbar, ROOT } = require('./routers')

const PYTHON = process.env.WAMPE2E_PYTHON || path.join(ROOT, '.venv', 'bin', 'python')
const PEER = path.join(__dirname, 'peers', 'gs1_peer.py')
const TAG = 'secret-tag' // gs1_peer.py's kwarg marker

let crossbar
const children = new Set()
const connections = new Set()
before(async () => { crossbar = await startCrossbar() })
after(async () => {
  for (const c of connections) {
    try {
      c.close()
    } catch {} // already closed
  }
  await Promise.allSettled([...children].map((p) => p.stop()))
  if (crossbar) await crossbar.stop()
})

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

async function until (cond, ms, what) {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await sleep(10)
  }
}

/** gs1_peer.py with `config` (url added); its stdout lines parsed as they come. */
function startPython (name, config) {
  const child = spawn(PYTHON, [PEER, JSON.stringify({ url: crossbar.url, ...config })], { stdio: ['pipe', 'pipe', 'pipe'] })
  const peer = { name, lines: [], events: [], refused: [], invoked: [], called: {}, out: '', exited: null }
  let partial = ''
  child.stdout.on('data', (d) => {
    peer.out += d
    partial += d
    const lines = partial.split('\n')
    partial = lines.pop()
    for (const line of lines) {
      peer.lines.push(line)
      const [kind, a, b, c] = line.split(' ')
      if (kind === 'READY') peer.fingerprint = a
      else if (kind === 'EVENT') peer.events.push({ n: Number(a), sender: b, tag: c })
      else if (kind === 'REFUSED') peer.refused.push(a)
      else if (kind === 'INVOKED') peer.invoked.push([a, b])
      else if (kind === 'CALLED') peer.called[a] = JSON.parse(line.slice(`CALLED ${a} `.length))
    }
  })
  child.stderr.on('data', (d) => { peer.out += d })
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => { peer.exited = code ?? signal; resolve() }))
  peer.log = () => `--- python ${name} ---\n${peer.out.split('\n').filter((l) => !l.startsWith('EVENT ')).slice(-40).join('\n')}`
  peer.until = async (cond, ms, what) => {
    const end = Date.now() + ms
    while (!cond()) {
      if (peer.exited !== null) throw new Error(`python ${name} exited (${peer.exited}) before ${what}`)
      if (Date.now() > end) throw new Error(`timed out waiting for ${what} from python ${name}`)
      await sleep(10)
    }
  }
  peer.ready = peer.until(() => peer.fingerprint !== undefined, 60000, 'READY').then(() => peer.fingerprint)
  peer.ready.catch(() => {}) // awaited by the test
  peer.stop = async () => {
    if (peer.exited === null) {
      child.kill('SIGTERM')
      const t = setTimeout(() => child.kill('SIGKILL'), 5000)
      await exited
      clearTimeout(t)
    }
    children.delete(peer)
  }
  children.add(peer)
  return peer
}

function progressDeferred () {
  const d = {}
  d.promise = new Promise((resolve, reject) => { d.resolve = resolve; d.reject = reject })
  d.notify = (v) => { if (d.promise.onProgress) d.promise.onProgress(v) }
  return d
}

/** An autobahn-js session (CBOR) attached with `options` (none: plain), its key procedure registered. */
function autobahnSession (options) {
  return new Promise((resolve, reject) => {
    const connection = new autobahn.Connection({
      url: crossbar.url, realm: 'realm1', serializers: [new autobahn.serializer.CBORSerializer()], max_retries: 0, use_deferred: progressDeferred,
      on_user_error: () => {} // the application error a handler throws on purpose
    })
    connection.onopen = (session) => {
      if (!options) return resolve({ session, connection })
      attachAutobahn(session, null, options)
      session.wampe2eReady.then(() => resolve({ session, connection }), reject)
    }
    connection.onclose = (reason, details) => { reject(new Error(`closed: ${reason} ${JSON.stringify(details)}`)); return true }
    connections.add(connection)
    connection.open()
  })
}

/** Cryptosign seeds and the GS1 identities Node derives from them. */
function identities (names) {
  const seeds = {}
  const ids = {}
  for (const n of names) {
    seeds[n] = crypto.randomBytes(32)
    ids[n] = w.Identity.fromCryptosignSeed(seeds[n])
    // Derived, never the cryptosign key itself (docs/gs1.md §5).
    assert.notEqual(ids[n].fingerprint, w.Identity.fromSeed(seeds[n]).fingerprint)
  }
  return { seeds, ids, hex: (n) => seeds[n].toString('hex') }
}

test('Python publisher → Crossbar.io → Python asyncio, Python Twisted and autobahn-js subscribers: 1000 GS1 events each, exactly once, in order, decrypted, from cryptosign-derived identities', async () => {
  const { ids, hex } = identities(['pub', 'pya', 'pytw', 'js'])
  const prefix = 'com.example.gs1x.'
  const topic = prefix + 'feed'
  const N = 1000
  const entries = [{ prefix, senders: [ids.pub.fingerprint], receivers: ['pya', 'pytw', 'js'].map((n) => ids[n].fingerprint) }]
  // The publisher seals the whole burst before its loop answers the first key
  // request: its shares may reach back N messages, and the subscribers hold N.
  const py = {
    pub: startPython('publisher', { loop: 'asyncio', seed: hex('pub'), entries, share_backlog: 2048, publish: { trigger: 'ctl.gs1x.go', topic, count: N } }),
    pya: startPython('asyncio subscriber', { loop: 'asyncio', seed: hex('pya'), entries, subscribe: topic, hold_max_per_session: 2048 }),
    pytw: startPython('twisted subscriber', { loop: 'twisted', seed: hex('pytw'), entries, subscribe: topic, hold_max_per_session: 2048 })
  }
  let conns = []
  try {
    // Each Python peer announces the identity it derived from its cryptosign seed:
    // the one Node derived from the same seed.
    for (const [n, p] of Object.entries(py)) assert.equal(await p.ready, ids[n].fingerprint, `${n}'s derivation`)
    const group = new w.Group(ids.js)
    group.setEntry(prefix, [ids.pub.publicKey], entries[0].receivers)
    const refused = []
    const [sub, rec] = await Promise.all([autobahnSession({ group, holdMaxPerSession: 2048, onRefused: (err) => refused.push(err.code) }), autobahnSession(null)])
    conns = [sub, rec]
    const got = []
    await sub.session.subscribe(topic, (args, kwargs, details) => got.push({ n: args[0], sender: details.wampe2e.sender, tag: kwargs.tag }))
    // What the router forwards, seen by a session without keys.
    const seen = []
    const receive = rec.session._socket.onmessage
    rec.session._socket.onmessage = (msg) => { if (msg[0] === 36) seen.push(msg); return receive(msg) }
    await rec.session.subscribe(topic, () => {})

    await sub.session.publish('ctl.gs1x.go', [], {}, { acknowledge: true }) // plaintext, outside the GS1 prefix
    await py.pub.until(() => py.pub.lines.includes(`PUBLISHED ${N}`), 20000, 'PUBLISHED')
    await Promise.all([
      until(() => got.length >= N && seen.length >= N, 30000, 'the events at autobahn-js'),
      py.pya.until(() => py.pya.events.length >= N, 30000, `${N} events`),
      py.pytw.until(() => py.pytw.events.length >= N, 30000, `${N} events`)
    ])
    await sleep(200) // nothing more may come
    const expected = [...Array(N).keys()].map((n) => ({ n, sender: ids.pub.fingerprint, tag: TAG }))
    assert.deepEqual(got, expected)
    assert.deepEqual(py.pya.events, expected)
    assert.deepEqual(py.pytw.events, expected)
    assert.deepEqual(refused, [])
    for (const p of Object.values(py)) assert.deepEqual(p.refused, [], p.name)
    // The router saw one GS1 envelope per event, one session, no plaintext.
    assert.equal(seen.length, N)
    for (const m of seen) {
      assert.equal(m[3].enc_algo, 'x_wampe2e_gs1')
      assert.equal(m[3].enc_key, seen[0][3].enc_key)
      assert.ok(m[4] instanceof Uint8Array && m[5] === undefined)
      assert.equal(Buffer.from(m[4]).includes(Buffer.from(TAG)), false)
      assert.equal(Buffer.from(m[4]).subarray(3, 35).toString('hex'), ids.pub.fingerprint) // the signed sender
    }
  } catch (e) {
    e.message += '\n' + Object.values(py).map((p) => p.log()).join('\n')
    throw e
  } finally {
    for (const c of conns) c.connection.close()
    await Promise.allSettled(Object.values(py).map((p) => p.stop()))
  }
})

for (const loop of ['asyncio', 'twisted']) {
  test(`GS1 RPC between Python (${loop}) and Node through Crossbar.io, both ways: the callee sees the caller's authenticated identity, an application error, progressive results`, async () => {
    const { ids, hex } = identities(['py', 'js'])
    const toJs = 'com.example.gs1x.js.'
    const toPy = 'com.example.gs1x.py.'
    // Callers are senders, callees receivers (they also sign the replies).
    const entries = [
      { prefix: toJs, senders: [ids.py.fingerprint], receivers: [ids.js.fingerprint] },
      { prefix: toPy, senders: [ids.js.fingerprint], receivers: [ids.py.fingerprint] }
    ]
    const py = startPython(`rpc on ${loop}`, { loop, seed: hex('py'), entries, register: toPy, call: { trigger: 'ctl.gs1x.call', prefix: toJs } })
    let conn
    try {
      assert.equal(await py.ready, ids.py.fingerprint)
      const group = new w.Group(ids.js)
      for (const e of entries) group.setEntry(e.prefix, e.senders, e.receivers)
      const refused = []
      conn = await autobahnSession({ group, onRefused: (err) => refused.push(err.code) })
      const { session } = conn
      const raw = [] // RESULT and ERROR as they reached autobahn-js, before wampe2e
      const receive = session._socket.onmessage
      session._socket.onmessage = (msg) => { if (msg[0] === 50 || msg[0] === 8) raw.push(msg); return receive(msg) }

      // Node caller → Python callee.
      const r = await session.call(toPy + 'whoami', ['hello', Buffer.from([0, 1, 255])], { n: 1 })
      assert.deepEqual(r.args.slice(0, 2), [ids.js.fingerprint, 'hello'])
      assert.ok(r.args[2] instanceof Uint8Array && Buffer.from(r.args[2]).equals(Buffer.from([0, 1, 255])))
      assert.equal(r.args.length, 3)
      assert.deepEqual(r.kwargs, { seen: { n: 1 } })
      await assert.rejects(session.call(toPy + 'fail', [7]), (err) => {
        assert.equal(err.error, toPy + 'error.too_big')
        assert.deepEqual(err.args, ['too big', 7])
        assert.deepEqual(err.kwargs, { limit: 10, caller: ids.js.fingerprint })
        return true
      })
      const progress = []
      const call = session.call(toPy + 'count', [3], {}, { receive_progress: true })
      call.onProgress = (v) => progress.push([v.args, v.kwargs])
      const r3 = await call
      assert.deepEqual(progress, [0, 1, 2].map((i) => [[i], { stage: TAG }]))
      assert.deepEqual(r3.args, [3, ids.js.fingerprint])
      await py.until(() => py.invoked.length >= 3, 10000, 'three INVOKED lines') // stdout may trail the RESULT
      assert.deepEqual(py.invoked, ['whoami', 'fail', 'count'].map((p) => [toPy + p, ids.js.fingerprint]))
      // Every reply travelled as a GS1 envelope (1 + 1 + 3 progress + 1).
      assert.equal(raw.length, 6)
      for (const m of raw) assert.equal((m[0] === 50 ? m[2] : m[3]).enc_algo, 'x_wampe2e_gs1')

      // Python caller → Node callee.
      const callers = []
      await session.register(toJs + 'whoami', (args, kwargs, details) => {
        callers.push(details.wampe2e.sender)
        return new autobahn.Result([details.wampe2e.sender, ...args], { seen: kwargs })
      })
      await session.register(toJs + 'fail', (args, kwargs, details) => {
        callers.push(details.wampe2e.sender)
        throw new autobahn.Error(toJs + 'error.too_big', ['too big', ...args], { limit: 10, caller: details.wampe2e.sender })
      })
      await session.register(toJs + 'count', (args, kwargs, details) => {
        callers.push(details.wampe2e.sender)
        assert.ok(details.progress, 'the Python caller asked for progressive results')
        for (let i = 0; i < args[0]; i++) details.progress([i], { stage: TAG })
        return new autobahn.Result([args[0], details.wampe2e.sender])
      })
      await session.publish('ctl.gs1x.call', [], {}, { acknowledge: true }) // plaintext trigger
      await py.until(() => Object.keys(py.called).length === 3, 20000, 'the three calls')
      // Python's session is strict: a reply that was not a GS1 envelope sealed by the
      // pinned callee would have failed its call (and been in py.refused).
      assert.deepEqual(py.called.whoami, { args: [ids.py.fingerprint, 'hello', { hex: '0001ff' }], kwargs: { seen: { n: 1 } } })
      assert.deepEqual(py.called.fail, { error: toJs + 'error.too_big', args: ['too big', 7], kwargs: { limit: 10, caller: ids.py.fingerprint } })
      assert.deepEqual(py.called.count, {
        progress: [0, 1, 2].map((i) => ({ args: [i], kwargs: { stage: TAG } })),
        result: { args: [3, ids.py.fingerprint], kwargs: {} }
      })
      assert.deepEqual(callers, [ids.py.fingerprint, ids.py.fingerprint, ids.py.fingerprint])
      assert.deepEqual(refused, [])
      assert.deepEqual(py.refused, [])
    } catch (e) {
      e.message += '\n' + py.log()
      throw e
    } finally {
      if (conn) conn.connection.close()
      await py.stop()
    }
  })
}
