// make bench-wasm, the page (bundled by run.js with esbuild for the browser):
// wampe2e's wasm build next to tweetnacl and libsodium-wrappers, in one page load.
// Medians of 9 batches, the contenders of a row taking turns batch by batch.
import nacl from 'tweetnacl'
import libsodium from 'libsodium-wrappers'
import * as w from '../../browser/dist/wampe2e.mjs'

function measureAll (fns, minMs = 150) {
  const names = Object.keys(fns)
  const n = {}
  for (const name of names) {
    n[name] = 1
    for (;;) {
      const t0 = performance.now()
      for (let i = 0; i < n[name]; i++) fns[name]()
      if (performance.now() - t0 > minMs / 9) break
      n[name] *= 2
    }
  }
  const samples = Object.fromEntries(names.map((name) => [name, []]))
  for (let b = 0; b < 9; b++) {
    for (const name of names) {
      const fn = fns[name]
      const t0 = performance.now()
      for (let i = 0; i < n[name]; i++) fn()
      samples[name].push((performance.now() - t0) * 1e6 / n[name])
    }
  }
  return Object.fromEntries(names.map((name) => [name, samples[name].sort((a, b) => a - b)[4]]))
}

const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i])

async function bench () {
  await libsodium.ready
  const pair = w.generateKeypair()
  const sk = libsodium.from_base64(pair.secret, libsodium.base64_variants.ORIGINAL)
  const pk = libsodium.from_base64(pair.public, libsodium.base64_variants.ORIGINAL)
  const ring = new w.KeyRing()
  ring.setSharedKey('', pair.secret) // seal to ourselves: the same shared key as the others
  const naclK = nacl.box.before(pk, sk)
  const lsK = libsodium.crypto_box_beforenm(pk, sk)
  const attrs = { enc_algo: 'cryptobox', enc_serializer: 'json' }
  const rows = []
  for (const size of [64, 1024, 64 * 1024, 1024 * 1024]) {
    const m = new Uint8Array(size).fill(0x5a)
    const nonce = new Uint8Array(24).fill(1)
    const c = { tweetnacl: nacl.box.after(m, nonce, naclK), libsodium: libsodium.crypto_box_easy_afternm(m, nonce, lsK) }
    // The same construction: wampe2e opens what libsodium sealed.
    const joined = new Uint8Array(24 + c.libsodium.length)
    joined.set(nonce)
    joined.set(c.libsodium, 24)
    if (!same(w.openBytes(ring, 'responder', 'com.t', attrs, joined), m)) throw new Error('formats differ')
    const raw = w.sealBytes(ring, 'originator', 'com.t', m)
    const seal = {
      tweetnacl: () => nacl.box.after(m, nacl.randomBytes(24), naclK),
      libsodium: () => libsodium.crypto_box_easy_afternm(m, libsodium.randombytes_buf(24), lsK),
      wampe2e: () => w.sealBytes(ring, 'originator', 'com.t', m)
    }
    const open = {
      tweetnacl: () => nacl.box.open.after(c.tweetnacl, nonce, naclK),
      libsodium: () => libsodium.crypto_box_open_easy_afternm(c.libsodium, nonce, lsK),
      wampe2e: () => w.openBytes(ring, 'responder', 'com.t', attrs, raw.payload)
    }
    for (const [op, fns] of [['seal', seal], ['open', open]]) rows.push({ size, op, ns: measureAll(fns) })
  }
  // The full small-event path: values in, envelope out, and back, next to
  // JSON + libsodium-wrappers.
  const uri = 'com.example.topic1'
  const args = [42, 'hello world', { temp: 21.5, ok: true }]
  const kwargs = { sensor: 's-17', ts: 1732700000123 }
  const enc = new TextEncoder()
  const dec = new TextDecoder()
  const refSeal = () => {
    const n = libsodium.randombytes_buf(24)
    return [n, libsodium.crypto_box_easy_afternm(enc.encode(JSON.stringify({ uri, args, kwargs })), n, lsK)]
  }
  const [rn, rc] = refSeal()
  const env = w.sealPayload(ring, 'originator', uri, args, kwargs)
  const t = measureAll({
    wampe2eSeal: () => w.sealPayload(ring, 'originator', uri, args, kwargs),
    refSeal,
    wampe2eOpen: () => w.openPayload(ring, 'responder', uri, env.attributes, env.payload),
    refOpen: () => JSON.parse(dec.decode(libsodium.crypto_box_open_easy_afternm(rc, rn, lsK)))
  })
  return { rows, event: t, userAgent: navigator.userAgent }
}

bench().then((r) => { window.results = r }, (e) => { window.results = { error: String(e && e.stack || e) } })
