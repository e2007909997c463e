'use strict'
/**
 * A hostile router for the Node tests, as tests/hostile/proxy.py is for the Python
 * ones: a WebSocket man-in-the-middle on 127.0.0.1 in front of a real router
 * (Crossbar.io, nexus). Clients connect to the proxy as if it were the router; each
 * connection is paired with one to the real router, and every WAMP message in
 * either direction passes through `proxy.hook(conn, direction, msg)`, which may
 * forward it (return null/undefined), replace or drop it (return an array of
 * messages to send on in the same direction, possibly empty), and inject messages
 * in either direction (`conn.toClient(msg)`, `conn.toRouter(msg)`). Messages are
 * arrays as the WAMP serializer decoded them (wamp.2.json, wamp.2.msgpack or
 * wamp.2.cbor); binaries are Buffers whichever the serializer (WAMP-JSON's
 * "\u0000" + base64 is converted both ways). A message forwarded unchanged goes
 * on as the frame that arrived.
 *
 *   const proxy = await HostileProxy.start(router.url)
 *   try { ... connect the victim to proxy.url ... } finally { await proxy.close() }
 */
const path = require('node:path')

// The codecs and the WebSocket library come from the Node package's dependencies.
const NODE = path.join(__dirname, '..', '..', 'node')
const need = (name) => require(require.resolve(name, { paths: [NODE] }))
const WebSocket = need('ws')
const { pack, unpack } = need('msgpackr')
const { Encoder } = need('cbor-x')

const SUBPROTOCOLS = ['wamp.2.json', 'wamp.2.msgpack', 'wamp.2.cbor']
const TO_ROUTER = 'to_router'
const TO_CLIENT = 'to_client'

// msgpackr and cbor-x write integers beyond 32 bits as float64; WAMP ids must stay
// integers (a Python router refuses a float id), so those go as BigInt (int64).
function int64s (v) {
  if (typeof v === 'number') return Number.isSafeInteger(v) && (v > 0xffffffff || v < -0x80000000) ? BigInt(v) : v
  if (Array.isArray(v)) return v.map(int64s)
  if (v !== null && typeof v === 'object' && !(v instanceof Uint8Array)) {
    const o = {}
    for (const [k, x] of Object.entries(v)) o[k] = int64s(x)
    return o
  }
  return v
}

// As wampy's CborSerializer: plain objects for maps, 64-bit integers as numbers.
const cbor = new Encoder({ useRecords: false, mapsAsObjects: true, int64AsNumber: true, largeBigIntToFloat: true })

const CODECS = {
  'wamp.2.json': {
    binary: false,
    decode: (frame) => JSON.parse(frame.toString('utf8'), (_k, v) =>
      typeof v === 'string' && v.charCodeAt(0) === 0 ? Buffer.from(v.slice(1), 'base64') : v),
    encode: (msg) => JSON.stringify(msg, function (k, v) {
      const original = this[k] // before Buffer#toJSON
      return original instanceof Uint8Array ? '\u0000' + Buffer.from(original).toString('base64') : v
    })
  },
  'wamp.2.msgpack': { binary: true, decode: (frame) => unpack(frame), encode: (msg) => pack(int64s(msg)) },
  'wamp.2.cbor': { binary: true, decode: (frame) => cbor.decode(frame), encode: (msg) => cbor.encode(int64s(msg)) }
}

/** One client's pair of sockets, with what passed in each direction (`seen`). */
class Connection {
  constructor (proxy, client, subprotocol) {
    this.proxy = proxy
    this.client = client
    this.subprotocol = subprotocol
    this.codec = CODECS[subprotocol]
    this.seen = { [TO_ROUTER]: [], [TO_CLIENT]: [] }
    this.router = new WebSocket(proxy.upstreamUrl, [subprotocol])
    // What the client sends before the router's socket is open, in order.
    this.pending = []
    this.router.on('open', () => {
      for (const data of this.pending) this.router.send(data)
      this.pending = null
    })
    this.router.on('message', (data) => this.pump(TO_CLIENT, data))
    this.client.on('message', (data) => this.pump(TO_ROUTER, data))
    const closeBoth = () => { this.client.terminate(); this.router.terminate() }
    this.router.on('close', closeBoth)
    this.client.on('close', closeBoth)
    this.router.on('error', closeBoth)
    this.client.on('error', closeBoth)
  }

  /** Injects `msg` towards the client (as the router would send it); resolves once sent. */
  toClient (msg) {
    return this.send(TO_CLIENT, this.encode(msg))
  }

  /** Injects `msg` towards the router (as the client would send it); resolves once sent. */
  toRouter (msg) {
    return this.send(TO_ROUTER, this.encode(msg))
  }

  encode (msg) {
    const data = this.codec.encode(msg)
    return this.codec.binary ? Buffer.from(data) : data
  }

  send (direction, data) {
    if (direction === TO_ROUTER && this.pending !== null) {
      this.pending.push(data)
      return Promise.resolve()
    }
    const sock = direction === TO_ROUTER ? this.router : this.client
    return new Promise((resolve, reject) => sock.send(data, (err) => (err ? reject(err) : resolve())))
  }

  pump (direction, data) {
    const msg = this.codec.decode(data)
    this.seen[direction].push(msg)
    let out
    try {
      out = this.proxy.hook(this, direction, msg)
    } catch (err) {
      // A failing hook is a failing test: record it, drop the message.
      this.proxy.errors.push(err)
      return
    }
    if (out === null || out === undefined) {
      this.send(direction, this.codec.binary ? data : data.toString('utf8')).catch(() => {})
      return
    }
    for (const m of out) this.send(direction, this.encode(m)).catch(() => {})
  }

  /** The messages of WAMP type `kind` that went `direction`. */
  sent (direction, kind) {
    return this.seen[direction].filter((m) => m[0] === kind)
  }
}

class HostileProxy {
  /** Starts a proxy on 127.0.0.1 (a free port) in front of `upstreamUrl`. */
  static async start (upstreamUrl) {
    const proxy = new HostileProxy(upstreamUrl)
    await new Promise((resolve, reject) => {
      proxy.server = new WebSocket.Server({
        host: '127.0.0.1',
        port: 0,
        handleProtocols: (offered) => SUBPROTOCOLS.find((p) => offered.has(p)) ?? false
      })
      proxy.server.once('listening', resolve)
      proxy.server.once('error', reject)
    })
    proxy.port = proxy.server.address().port
    proxy.server.on('connection', (client) => {
      proxy.connections.push(new Connection(proxy, client, client.protocol))
    })
    return proxy
  }

  constructor (upstreamUrl) {
    this.upstreamUrl = upstreamUrl
    this.connections = []
    /** Exceptions thrown by hooks (the message was dropped). */
    this.errors = []
    /** `(conn, direction, msg) => null | messages[]`; forwards everything by default. */
    this.hook = () => null
  }

  get url () {
    return `ws://127.0.0.1:${this.port}/ws`
  }

  /**
   * Hands the next message of WAMP type `kind` going `direction` to
   * `tamper(conn, msg)`, which returns the messages to send instead; everything
   * else goes to the hook in place before, which is restored after it.
   */
  once (direction, kind, tamper) {
    const before = this.hook
    this.hook = (conn, d, msg) => {
      if (d !== direction || msg[0] !== kind) return before(conn, d, msg)
      this.hook = before
      return tamper(conn, msg)
    }
  }

  /** Closes every socket and the server (call it in `finally`/`after`). */
  close () {
    for (const c of this.connections) {
      c.client.terminate()
      c.router.terminate()
    }
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()))
  }
}

module.exports = { HostileProxy, TO_ROUTER, TO_CLIENT, SUBPROTOCOLS }
