// The browser side of node/test/browser.test.js: wampe2e.mjs (the WebAssembly
// build, no bundler) with autobahn-js's browser build (the global `autobahn`),
// through Crossbar.io to Autobahn|Python peers. `?part=cryptobox` or `?part=gs1`;
// the test's settings come from /config.json. The outcome goes to
// `window.results` (JSON-ready: bytes as { hex }), a failure to `window.results.failure`.
import * as w from '/wampe2e.mjs'

const EVENT = 36
const INVOCATION = 68
const RESULT = 50
const ERROR = 8
const PUBLISH = 16
const CALL = 48
const YIELD = 70

const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')

/** JSON-ready, bytes as { hex }: the test compares it exactly. */
function plain (v) {
  if (v instanceof Uint8Array) return { hex: hex(v) }
  if (Array.isArray(v)) return v.map(plain)
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]))
  return v
}

function deferred () {
  const d = {}
  d.promise = new Promise((resolve, reject) => { d.resolve = resolve; d.reject = reject })
  return d
}

/**
 * An autobahn-js session over WAMP-JSON, attached (strict) with `keyring` and
 * `options`, its key procedure registered. `wire` records the payload-carrying
 * messages as they cross the WebSocket, i.e. after wampe2e sealed / before it opens.
 */
function connect (cfg, keyring, options, userErrors, wire) {
  return new Promise((resolve, reject) => {
    const connection = new autobahn.Connection({
      url: cfg.url,
      realm: 'realm1',
      serializers: [w.wampJsonSerializer(autobahn)],
      max_retries: 0,
      // autobahn-js reports a handler's exception here (console.error by default):
      // the error a handler throws on purpose is recorded, and asserted by the test.
      on_user_error: (err, what) => userErrors.push({ what, error: err && err.error })
    })
    connection.onopen = (session) => {
      w.attachAutobahn(session, keyring, options)
      const socket = session._socket
      const receive = socket.onmessage
      socket.onmessage = (msg) => {
        // [EVENT|INVOCATION, id, id, details, args], [ERROR, type, id, details, uri, args], [RESULT, id, details, args]
        if (msg[0] === EVENT || msg[0] === INVOCATION) wire.push(['in', msg[0], msg[3].enc_algo ?? null, msg.length > 4 ? msg[4] instanceof Uint8Array : null])
        if (msg[0] === ERROR) wire.push(['in', msg[0], msg[3].enc_algo ?? null, msg.length > 5 ? msg[5] instanceof Uint8Array : null])
        if (msg[0] === RESULT) wire.push(['in', msg[0], msg[2].enc_algo ?? null, msg.length > 3 ? msg[3] instanceof Uint8Array : null])
        return receive(msg)
      }
      const send = socket.send.bind(socket)
      socket.send = (msg) => {
        // [PUBLISH|CALL, id, options, uri, args], [YIELD, id, options, args], [ERROR, type, id, details, uri, args]
        if (msg[0] === PUBLISH || msg[0] === CALL) wire.push(['out', msg[0], msg[2].enc_algo ?? null, msg.length > 4 ? msg[4] instanceof Uint8Array : null])
        if (msg[0] === YIELD) wire.push(['out', msg[0], msg[2].enc_algo ?? null, msg.length > 3 ? msg[3] instanceof Uint8Array : null])
        if (msg[0] === ERROR) wire.push(['out', msg[0], msg[3].enc_algo ?? null, msg.length > 5 ? msg[5] instanceof Uint8Array : null])
        return send(msg)
      }
      session.wampe2eReady.then(() => resolve({ session, connection }), reject)
    }
    connection.onclose = (reason, details) => { reject(new Error(`closed: ${reason} ${JSON.stringify(details)}`)); return true }
    connection.open()
  })
}

/** Cryptobox with Autobahn|Python's own KeyRing: events and calls both ways, an error each way. */
async function cryptobox (cfg) {
  const keyring = new w.KeyRing()
  keyring.setBoxKey('com.example.topy.', cfg.keys.topy)
  keyring.setBoxKey('com.example.tojs.', cfg.keys.tojs)
  const out = { userErrors: [], refused: [], wire: [] }
  const { session, connection } = await connect(cfg, keyring, { onRefused: (err, msg) => out.refused.push(err.code) }, out.userErrors, out.wire)
  try {
    const echo = deferred()
    const result = deferred()
    await session.subscribe('com.example.tojs.echo', (args, kwargs, details) => echo.resolve({ args, kwargs }))
    await session.subscribe('com.example.tojs.result', (args, kwargs) => result.resolve({ args, kwargs }))
    out.invoked = []
    await session.register('com.example.tojs.mul', (args, kwargs) => { out.invoked.push(['mul', args, kwargs]); return args[0] * args[1] })
    await session.register('com.example.tojs.fail', (args, kwargs) => {
      out.invoked.push(['fail', args, kwargs])
      throw new autobahn.Error('com.example.tojs.error.nope', ['nope', 2.5, ...args], { why: new Uint8Array([0, 0x62, 0x69, 0x6e]), n: 7 })
    })

    // browser → Python: an event; Python echoes it, calls into the browser, publishes the outcome
    await session.publish('com.example.topy.event', cfg.args, { ...cfg.kwargs, bin: new Uint8Array([0, 1, 2, 255]) }, { acknowledge: true })
    out.echo = await echo.promise
    out.result = await result.promise

    // browser calls Python
    out.call = await session.call('com.example.topy.echo', [...cfg.args, new Uint8Array([9, 8, 7])], cfg.kwargs)
    try {
      await session.call('com.example.topy.fail', [])
      out.callError = null
    } catch (err) {
      out.callError = { error: err.error, args: err.args, kwargs: err.kwargs }
    }
  } finally {
    connection.close()
  }
  return out
}

/** GS1: a subscriber, the publisher's key fetched over WAMP. */
async function gs1 (cfg) {
  const identity = w.Identity.fromCryptosignSeed(cfg.seed)
  const group = new w.Group(identity)
  group.setEntry(cfg.prefix, [cfg.publisher], cfg.receivers)
  const out = { fingerprint: identity.fingerprint, userErrors: [], refused: [], wire: [], events: [] }
  const { session, connection } = await connect(cfg, null, { group, holdMaxPerSession: 2 * cfg.count, onRefused: (err) => out.refused.push(err.code) }, out.userErrors, out.wire)
  try {
    const all = deferred()
    await session.subscribe(cfg.topic, (args, kwargs, details) => {
      out.events.push({ args, kwargs, sender: details.wampe2e && details.wampe2e.sender })
      if (out.events.length === cfg.count) all.resolve()
    })
    await session.publish(cfg.trigger, [], {}, { acknowledge: true }) // plaintext, outside the GS1 prefix
    await all.promise
    await new Promise((resolve) => setTimeout(resolve, 300)) // nothing more may come
  } finally {
    connection.close()
  }
  return out
}

try {
  const cfg = await (await fetch('/config.json')).json()
  const part = new URLSearchParams(location.search).get('part')
  const run = { cryptobox, gs1 }[part]
  if (!run) throw new Error(`unknown part ${part}`)
  window.results = plain(await run(cfg))
} catch (err) {
  console.error(err)
  window.results = { failure: String(err && err.stack ? err.stack : err) + (err && err.code ? ` (${err.code})` : '') }
}
