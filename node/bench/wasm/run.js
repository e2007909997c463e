'use strict'
// make bench-wasm: bundles page.mjs (esbuild, for the browser), serves it on
// 127.0.0.1, runs it in headless Chromium (Debian's; puppeteer-core), prints the
// table with time ratios against libsodium-wrappers; then the native addon's
// sealBytes/openBytes in Node on the same sizes for reference, and the gzip sizes
// of the wasm and its glue.
const fs = require('node:fs')
const http = require('node:http')
const os = require('node:os')
const path = require('node:path')
const zlib = require('node:zlib')
const esbuild = require('esbuild')
const puppeteer = require('puppeteer-core')

const CHROMIUM = process.env.WAMPE2E_CHROMIUM || '/usr/bin/chromium'
const root = path.join(__dirname, '..', '..')

const fmt = (ns) => ns >= 1e6 ? `${(ns / 1e6).toFixed(2)} ms` : ns >= 1e4 ? `${(ns / 1e3).toFixed(1)} µs` : `${Math.round(ns)} ns`
const sizeName = (size) => size >= 1024 ? `${size / 1024} KiB` : `${size} B`
const gz = (file) => zlib.gzipSync(fs.readFileSync(file), { level: 9 }).length

async function inBrowser () {
  const bundle = await esbuild.build({
    entryPoints: [path.join(__dirname, 'page.mjs')], bundle: true, format: 'esm', platform: 'browser',
    write: false, logLevel: 'warning', logOverride: { 'empty-import-meta': 'silent' }
  })
  const js = bundle.outputFiles[0].contents
  const html = '<!doctype html><meta charset="utf-8"><script type="module" src="/bench.mjs"></script>'
  const server = http.createServer((req, res) => {
    if (req.url === '/bench.mjs') res.writeHead(200, { 'content-type': 'text/javascript' }).end(js)
    else if (req.url === '/') res.writeHead(200, { 'content-type': 'text/html' }).end(html)
    else res.writeHead(404).end()
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'wampe2e-bench-chromium-'))
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    userDataDir: profile,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync']
  })
  try {
    const page = await browser.newPage()
    page.on('pageerror', (e) => console.error(`page error: ${e.message}`))
    await page.goto(`http://127.0.0.1:${server.address().port}/`)
    await page.waitForFunction(() => window.results, { timeout: 600000, polling: 500 })
    const r = await page.evaluate(() => window.results)
    if (r.error) throw new Error(r.error)
    return r
  } finally {
    await browser.close()
    server.close()
    fs.rmSync(profile, { recursive: true, force: true })
  }
}

function nativeReference (rows) {
  const w = require(path.join(root, 'index.js'))
  const ring = new w.KeyRing()
  ring.setSharedKey('', w.generateKeypair().secret)
  const attrs = { enc_algo: 'cryptobox', enc_serializer: 'json' }
  const out = {}
  for (const { size, op } of rows) {
    const m = Buffer.alloc(size, 0x5a)
    const sealed = w.sealBytes(ring, 'originator', 'com.t', m)
    const fn = op === 'seal'
      ? () => w.sealBytes(ring, 'originator', 'com.t', m)
      : () => w.openBytes(ring, 'responder', 'com.t', attrs, sealed.payload)
    let n = 1
    for (;;) {
      const t0 = process.hrtime.bigint()
      for (let i = 0; i < n; i++) fn()
      const ns = Number(process.hrtime.bigint() - t0)
      if (ns > 150e6) { out[`${size}/${op}`] = ns / n; break }
      n *= 2
    }
  }
  return out
}

async function main () {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM} (Debian: apt-get install chromium)`)
  const r = await inBrowser()
  console.log(`Chromium: ${r.userAgent}`)
  console.log()
  console.log('| size | op | tweetnacl | libsodium-wrappers | wampe2e (wasm) | wampe2e / libsodium-wrappers, time | native addon in Node |')
  console.log('|---|---|--:|--:|--:|--:|--:|')
  const native = nativeReference(r.rows)
  for (const { size, op, ns } of r.rows) {
    const ratio = ns.wampe2e / ns.libsodium
    const cell = (x) => size >= 65536 ? `${Math.round(size / x * 1e3)} MB/s` : fmt(x)
    console.log(`| ${sizeName(size)} | ${op} | ${cell(ns.tweetnacl)} | ${cell(ns.libsodium)} | ${cell(ns.wampe2e)} | ${ratio.toFixed(2)}× | ${cell(native[`${size}/${op}`])} |`)
  }
  const e = r.event
  console.log()
  console.log('| small event, full path | JSON + libsodium-wrappers | wampe2e (wasm) | ratio (wampe2e / reference) |')
  console.log('|---|--:|--:|--:|')
  for (const op of ['Seal', 'Open']) console.log(`| ${op.toLowerCase()} | ${fmt(e[`ref${op}`])} | ${fmt(e[`wampe2e${op}`])} | ${(e[`wampe2e${op}`] / e[`ref${op}`]).toFixed(2)}× |`)
  const wasmGz = gz(path.join(root, 'wasm', 'wampe2e_wasm_bg.wasm'))
  const glueGz = gz(path.join(root, 'wasm', 'wampe2e_wasm.js'))
  const bundleGz = gz(path.join(root, 'browser', 'dist', 'wampe2e.mjs'))
  console.log()
  console.log(`size, gzip -9: wasm ${(wasmGz / 1024).toFixed(0)} KiB + glue ${(glueGz / 1024).toFixed(0)} KiB = ${((wasmGz + glueGz) / 1024).toFixed(0)} KiB; ` +
    `the browser module with the wasm inlined (browser/dist/wampe2e.mjs, adapters included) ${(bundleGz / 1024).toFixed(0)} KiB`)
}

main().catch((e) => { console.error(e); process.exit(1) })
