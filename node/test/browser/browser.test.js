'use strict'
// wampe2e in a real browser: headless Chromium (puppeteer-core) loads
// browser/dist/wampe2e.mjs (the WebAssembly build, one ES module, no bundler) and
// autobahn-js's browser build from a loopback HTTP server, and talks through
// Crossbar.io to Autobahn|Python peers (run with WAMPE2E_PYTHON):
//  1. cryptobox with Autobahn|Python's OWN KeyRing (test/peers/cryptobox_peer.py,
//     strict by hand): events both ways, RPC both ways, an application error with
//     a binary payload each way, every payload encrypted on the wire;
//  2. GS1 (docs/gs1.md): a Python publisher on the wampe2e wheel
//     (test/peers/gs1_peer.py), the page a subscriber that fetches the publisher's
//     key over WAMP and gets every event, decrypted, in order, from its fingerprint.
// The page's files are under test/browser/. Any page error or console.error fails
// the test. Chromium, Crossbar.io, the Python peers and the HTTP server are
// stopped also when a test fails. Skipped (and says why) without /usr/bin/chromium.
const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const { spawn } = require('node:child_process')
const crypto = require('node:crypto')
const fs = require('node:fs')
const http = require('node:http')
const os = require('node:os')
const path = require('node:path')
const w = require('../..')
const { startCrossbar, ROOT } = require('../routers')

const CHROMIUM = '/usr/bin/chromium'
const SKIP = fs.existsSync(CHROMIUM) ? false : `${CHROMIUM} does not exist (apt-get install chromium)`
const PYTHON = process.env.WAMPE2E_PYTHON || path.join(ROOT, '.venv', 'bin', 'python')
const PAGE_TIMEOUT = 90000

const NODE = path.resolve(__dirname, '..', '..')
const FILES = {
  '/': [path.join(__dirname, 'index.html'), 'text/html'],
  '/page.mjs': [path.join(__dirname, 'page.mjs'), 'text/javascript'],
  '/wampe2e.mjs': [path.join(NODE, 'browser', 'dist', 'wampe2e.mjs'), 'text/javascript'],
  '/autobahn.min.js': [path.join(NODE, 'node_modules', 'autobahn-browser', 'autobahn.min.js'), 'text/javascript']
}

let crossbar
let server
let browser
let userDataDir
let config = {} // what /config.json hands the page
const children = new Set()

before(async () => {
  if (SKIP) return
  let httpUrl
  ;[crossbar, httpUrl] = await Promise.all([startCrossbar(), startServer()])
  server.url = httpUrl
  userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wampe2e-chromium-'))
  browser = await require('puppeteer-core').launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    userDataDir
  })
})

after(async () => {
  await Promise.allSettled([...children].map((p) => p.stop()))
  if (browser) await browser.close().catch(() => browser.process() && browser.process().kill('SIGKILL'))
  if (server) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
  if (crossbar) await crossbar.stop()
  if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true })
})

/** The static server on loopback: the page, wampe2e.mjs, autobahn.min.js, /config.json. */
function startServer () {
  server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1')
    if (url.pathname === '/config.json') {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' })
      return res.end(JSON.stringify(config))
    }
    const file = FILES[url.pathname]
    if (!file) {
      res.writeHead(404)
      return res.end()
    }
    fs.readFile(file[0], (err, body) => {
      if (err) {
        res.writeHead(500)
        return res.end(String(err))
      }
      res.writeHead(200, { 'content-type': file[1], 'cache-control': 'no-store' })
      res.end(body)
    })
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${server.address().port}`))
  })
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** A Python peer script with one JSON argument; its stdout lines parsed as they come. */
function startPython (name, script, cfg) {
  const child = spawn(PYTHON, [path.join(__dirname, '..', 'peers', script), JSON.stringify({ url: crossbar.url, ...cfg })], { stdio: ['pipe', 'pipe', 'pipe'] })
  const peer = { name, lines: [], refused: [], called: {}, out: '', exited: null, ready: null }
  let partial = ''
  let readyLine
  child.stdout.on('data', (d) => {
    peer.out += d
    partial += d
    const lines = partial.split('\n')
    partial = lines.pop()
    for (const line of lines) {
      peer.lines.push(line)
      const [kind, a] = line.split(' ')
      if (kind === 'READY') readyLine = a ?? ''
      else if (kind === 'REFUSED') peer.refused.push(line.slice('REFUSED '.length))
      else if (kind === 'CALLED') peer.called[a] = JSON.parse(line.slice(`CALLED ${a} `.length))
    }
  })
  child.stderr.on('data', (d) => { peer.out += d })
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => { peer.exited = code ?? signal; resolve() }))
  peer.log = () => `--- python ${name} ---\n${peer.out.split('\n').slice(-40).join('\n')}`
  peer.until = async (cond, ms, what) => {
    const end = Date.now() + ms
    while (!cond()) {
      if (peer.exited !== null) throw new Error(`python ${name} exited (${peer.exited}) before ${what}`)
      if (Date.now() > end) throw new Error(`timed out waiting for ${what} from python ${name}`)
      await sleep(10)
    }
  }
  peer.ready = peer.until(() => readyLine !== undefined, 60000, 'READY').then(() => readyLine)
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

/**
 * Opens the page for `part` and returns its `window.results`; `problems` collects
 * every page error, console.error and failed request (the test asserts none).
 */
async function runPage (part, problems) {
  const page = await browser.newPage()
  let onError
  const pageError = new Promise((resolve, reject) => { onError = reject })
  pageError.catch(() => {}) // raced below
  page.on('pageerror', (e) => { problems.push(`pageerror: ${e.message}`); onError(new Error(`page error: ${e.message}`)) })
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console.error: ${m.text()}`) })
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure() && r.failure().errorText}`))
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`) })
  try {
    await page.goto(`${server.url}/?part=${part}`, { waitUntil: 'load' })
    const handle = await Promise.race([page.waitForFunction(() => window.results, { timeout: PAGE_TIMEOUT, polling: 50 }), pageError])
    return await handle.jsonValue()
  } finally {
    await page.close().catch(() => {})
  }
}

const ARGS = [42, 'hello world', { temp: 21.5, ok: true }, [1, null, 'x']]
const KWARGS = { sensor: 's-17', ts: 1732700000123 }

test('browser (wampe2e.mjs + autobahn-js) ⇄ Crossbar.io ⇄ Autobahn|Python with its own cryptobox KeyRing: events and RPC both ways, an application error each way, strict on both sides', { skip: SKIP }, async () => {
  // X25519 pairs: the browser originates com.example.topy.*, Python com.example.tojs.*
  const o1 = w.generateKeypair()
  const r1 = w.generateKeypair()
  const o2 = w.generateKeypair()
  const r2 = w.generateKeypair()
  const py = startPython('cryptobox', 'cryptobox_peer.py', {
    keys: {
      topy: { originator_pub: o1.public, responder_priv: r1.secret },
      tojs: { originator_priv: o2.secret, responder_pub: r2.public }
    }
  })
  const problems = []
  try {
    await py.ready
    config = {
      url: crossbar.url,
      keys: {
        topy: { originatorPriv: o1.secret, responderPub: r1.public },
        tojs: { originatorPub: o2.public, responderPriv: r2.secret }
      },
      args: ARGS,
      kwargs: KWARGS
    }
    const r = await runPage('cryptobox', problems)
    assert.equal(r.failure, undefined, r.failure)

    // browser → Python → browser: the event came back, sealed by Autobahn's KeyRing
    assert.deepEqual(r.echo, { args: ARGS, kwargs: { ...KWARGS, bin: { hex: '000102ff' } } })
    // Python called the browser: mul, and fail, whose error Python got decrypted
    const pyFailure = { error: 'com.example.tojs.error.nope', args: ['nope', 2.5, 'boom', { hex: '00ff' }], kwargs: { why: { hex: '0062696e' }, n: 7 }, enc_algo: 'cryptobox' }
    assert.deepEqual(r.invoked, [['mul', [6, 7], {}], ['fail', ['boom', { hex: '00ff' }], {}]])
    assert.deepEqual(r.result, { args: [42, pyFailure], kwargs: {} })
    await py.until(() => py.called.fail !== undefined, 10000, 'CALLED fail') // stdout may trail the event
    assert.deepEqual(py.called, { mul: 42, fail: pyFailure })
    assert.deepEqual(r.userErrors, [{ what: 'Exception raised in invocation handler:', error: 'com.example.tojs.error.nope' }])
    // the browser called Python: a result, and an application error with a binary payload
    assert.deepEqual(r.call, { args: [...ARGS, { hex: '090807' }], kwargs: KWARGS })
    assert.deepEqual(r.callError, { error: 'com.example.topy.error.nope', args: ['nope', 1.5], kwargs: { why: { hex: '0062696e' } } })

    // Every payload crossed the WebSocket as a cryptobox envelope, both ways.
    const sealed = (dir, type) => [dir, type, 'cryptobox', true]
    assert.deepEqual(r.wire, [
      sealed('out', 16), // PUBLISH com.example.topy.event
      sealed('in', 36), // EVENT com.example.tojs.echo
      sealed('in', 68), sealed('out', 70), // INVOCATION mul, YIELD
      sealed('in', 68), sealed('out', 8), // INVOCATION fail, ERROR
      sealed('in', 36), // EVENT com.example.tojs.result
      sealed('out', 48), sealed('in', 50), // CALL echo, RESULT
      sealed('out', 48), sealed('in', 8) // CALL fail, ERROR
    ])
    assert.deepEqual(r.refused, [])
    assert.deepEqual(py.refused, [])
    assert.deepEqual(problems, [])
  } catch (e) {
    e.message += `\n--- page ---\n${problems.join('\n')}\n${py.log()}`
    throw e
  } finally {
    await py.stop()
  }
})

test('GS1 in the browser: a Python publisher (wampe2e wheel) → Crossbar.io → the page as subscriber, the key fetched over WAMP: every event decrypted, in order, from the publisher', { skip: SKIP }, async () => {
  const N = 300
  const TAG = 'secret-tag' // gs1_peer.py's kwarg
  const seeds = { pub: crypto.randomBytes(32), page: crypto.randomBytes(32) }
  const ids = { pub: w.Identity.fromCryptosignSeed(seeds.pub), page: w.Identity.fromCryptosignSeed(seeds.page) }
  const prefix = 'com.example.gs1b.'
  const topic = prefix + 'feed'
  const trigger = 'ctl.gs1b.go'
  const entries = [{ prefix, senders: [ids.pub.fingerprint], receivers: [ids.page.fingerprint] }]
  // The publisher seals the whole burst before its loop answers the key request:
  // its shares must reach back N messages, and the page holds N.
  const py = startPython('GS1 publisher', 'gs1_peer.py', { loop: 'asyncio', seed: seeds.pub.toString('hex'), entries, share_backlog: 2 * N, publish: { trigger, topic, count: N } })
  const problems = []
  try {
    assert.equal(await py.ready, ids.pub.fingerprint)
    config = { url: crossbar.url, seed: seeds.page.toString('hex'), publisher: ids.pub.fingerprint, receivers: entries[0].receivers, prefix, topic, trigger, count: N }
    const r = await runPage('gs1', problems)
    assert.equal(r.failure, undefined, r.failure)
    assert.equal(r.fingerprint, ids.page.fingerprint) // the wasm derived what the addon derives
    assert.ok(py.lines.includes(`PUBLISHED ${N}`))
    assert.deepEqual(r.events, [...Array(N).keys()].map((n) => ({ args: [n], kwargs: { tag: TAG }, sender: ids.pub.fingerprint })))
    // Every event reached the page as a GS1 envelope.
    const events = r.wire.filter(([dir, type]) => dir === 'in' && type === 36)
    assert.deepEqual(events, Array(N).fill(['in', 36, 'x_wampe2e_gs1', true]))
    assert.deepEqual(r.refused, [])
    assert.deepEqual(py.refused, [])
    assert.deepEqual(r.userErrors, [])
    assert.deepEqual(problems, [])
  } catch (e) {
    e.message += `\n--- page ---\n${problems.join('\n')}\n${py.log()}`
    throw e
  } finally {
    await py.stop()
  }
})
