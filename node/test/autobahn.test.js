'use strict'
// autobahn-js with the wampe2e adapter ⇄ Crossbar.io ⇄ Autobahn|Python with
// Autobahn's own cryptobox KeyRing: events and RPCs in both directions, an
// application error with a payload, over the json, msgpack and cbor transports.
const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const { spawn } = require('node:child_process')
const path = require('node:path')
// autobahn-js uses the global WebSocket (Node 22+); on Node 20 `ws` provides it.
if (typeof globalThis.WebSocket === 'undefined') globalThis.WebSocket = require('ws')
const autobahn = require('autobahn')
const wampe2e = require('..')
const { attachAutobahn, wampJsonSerializer } = require('../adapters/autobahn')
const { startCrossbar, ROOT } = require('./routers')

let router
before(async () => { router = await startCrossbar() })
after(async () => { if (router) await router.stop() })

const ARGS = [42, 'hello world', { temp: 21.5, ok: true }, Buffer.from([0, 1, 2])]
const KWARGS = { sensor: 's-17', ts: 1732700000123 }
const SERIALIZERS = {
  json: () => wampJsonSerializer(autobahn),
  msgpack: () => new autobahn.serializer.MsgpackSerializer(),
  cbor: () => new autobahn.serializer.CBORSerializer()
}

function keys () {
  const o1 = wampe2e.generateKeypair() // JS originates com.example.topy.*
  const r1 = wampe2e.generateKeypair()
  const o2 = wampe2e.generateKeypair() // Python originates com.example.tojs.*
  const r2 = wampe2e.generateKeypair()
  const js = new wampe2e.KeyRing()
  js.setBoxKey('com.example.topy.', { originatorPriv: o1.secret, responderPub: r1.public })
  js.setBoxKey('com.example.tojs.', { originatorPub: o2.public, responderPriv: r2.secret })
  const python = {
    topy: { originator_pub: o1.public, responder_priv: r1.secret },
    tojs: { originator_priv: o2.secret, responder_pub: r2.public }
  }
  return { js, python }
}

function startPeer (serializer, pythonKeys) {
  const python = process.env.WAMPE2E_PYTHON || path.join(ROOT, '.venv', 'bin', 'python')
  const child = spawn(python, [path.join(ROOT, 'tests', 'interop', 'peer_autobahn.py'), router.url, serializer, JSON.stringify(pythonKeys)], { stdio: ['pipe', 'pipe', 'pipe'] })
  let out = ''
  const ready = new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => { out += d; if (out.includes('READY')) resolve() })
    child.stderr.on('data', (d) => { out += d })
    child.once('exit', (code) => reject(new Error(`python peer exited with ${code}:\n${out}`)))
    setTimeout(() => reject(new Error(`python peer not ready:\n${out}`)), 60000).unref()
  })
  return { ready, stop: () => { child.stdin.end(); child.kill('SIGTERM') }, log: () => out }
}

function connect (serializer, keyring) {
  return new Promise((resolve, reject) => {
    const connection = new autobahn.Connection({ url: router.url, realm: 'realm1', serializers: [SERIALIZERS[serializer]()], max_retries: 0 })
    connection.onopen = (session) => resolve({ session: attachAutobahn(session, keyring), connection })
    connection.onclose = (reason, details) => { reject(new Error(`closed: ${reason} ${JSON.stringify(details)}`)); return true }
    connection.open()
  })
}

function nextEvent (session, topic) {
  return new Promise((resolve, reject) => {
    session.subscribe(topic, (args, kwargs) => resolve({ args, kwargs })).catch(reject)
  })
}

for (const serializer of Object.keys(SERIALIZERS)) {
  test(`autobahn-js ⇄ Crossbar.io ⇄ Autobahn|Python, cryptobox over ${serializer}`, async () => {
    const k = keys()
    const peer = startPeer(serializer, k.python)
    let conn
    try {
      await peer.ready
      conn = await connect(serializer, k.js)
      const { session } = conn

      // Python → JS: events and a call into JS
      const echo = nextEvent(session, 'com.example.tojs.echo')
      const result = nextEvent(session, 'com.example.tojs.result')
      await session.register('com.example.tojs.mul', (args) => args[0] * args[1])
      await new Promise((resolve) => setTimeout(resolve, 100))

      // JS → Python: an event (the peer echoes it back, sealed by Autobahn's KeyRing)
      await session.publish('com.example.topy.event', ARGS, KWARGS, { acknowledge: true })
      const ev = await echo
      assert.deepEqual(ev.args, ARGS)
      assert.deepEqual(ev.kwargs, KWARGS)
      assert.deepEqual((await result).args, [42])

      // JS calls Python
      const res = await session.call('com.example.topy.echo', ARGS, KWARGS)
      assert.deepEqual(res.args, ARGS)
      assert.deepEqual(res.kwargs, KWARGS)

      // an application error with a payload, sealed by Python for the error URI
      await assert.rejects(session.call('com.example.topy.fail', []), (err) => {
        assert.equal(err.error, 'com.example.topy.error.nope')
        assert.deepEqual(err.args, ['nope', 1.5])
        assert.deepEqual(err.kwargs, { why: Buffer.from([0, 0x62, 0x69, 0x6e]) })
        return true
      })
    } catch (e) {
      e.message += `\n--- python peer ---\n${peer.log()}`
      throw e
    } finally {
      if (conn) conn.connection.close()
      peer.stop()
    }
  })
}
