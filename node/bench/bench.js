'use strict'
// make bench-node: wampe2e next to tweetnacl (nacl.box.after), libsodium-wrappers
// (crypto_box_easy_afternm) and sodium-native, in one run; plus the full
// small-message path against JSON.stringify + sodium-native. Medians of 9 batches,
// all contenders of a row taking turns batch by batch.
const w = require('..')
const nacl = require('tweetnacl')
const sodium = require('sodium-native')
const libsodium = require('libsodium-wrappers')

// Batch sizes are calibrated per function, then the functions run in turns, batch
// by batch, so that they share the machine's slow and fast moments (this machine is
// shared and noisy); returns the median ns per call of each.
function measureAll (fns, minMs = 200) {
  const names = Object.keys(fns)
  const n = {}
  for (const name of names) {
    n[name] = 1
    for (;;) {
      const t0 = process.hrtime.bigint()
      for (let i = 0; i < n[name]; i++) fns[name]()
      if (Number(process.hrtime.bigint() - t0) / 1e6 > minMs / 9) break
      n[name] *= 2
    }
  }
  const samples = Object.fromEntries(names.map((name) => [name, []]))
  for (let b = 0; b < 9; b++) {
    for (const name of names) {
      const fn = fns[name]
      const t0 = process.hrtime.bigint()
      for (let i = 0; i < n[name]; i++) fn()
      samples[name].push(Number(process.hrtime.bigint() - t0) / n[name])
    }
  }
  return Object.fromEntries(names.map((name) => [name, samples[name].sort((a, b) => a - b)[4]]))
}

const fmt = (ns) => ns >= 1e6 ? `${(ns / 1e6).toFixed(2)} ms` : ns >= 1e4 ? `${(ns / 1e3).toFixed(1)} µs` : `${Math.round(ns)} ns`
const mbps = (bytes, ns) => `${Math.round(bytes / ns * 1e3)} MB/s`

async function main () {
  await libsodium.ready
  const pair = w.generateKeypair()
  const sk = Buffer.from(pair.secret, 'base64')
  const pk = Buffer.from(pair.public, 'base64')
  const ring = new w.KeyRing()
  ring.setSharedKey('', pair.secret) // seal to ourselves: same shared key as the others
  const naclK = nacl.box.before(pk, sk)
  const lsK = libsodium.crypto_box_beforenm(pk, sk)
  // sodium-native has no crypto_box_*_afternm: crypto_box_easy_afternm is
  // crypto_secretbox_easy under the crypto_box_beforenm key, which is what we call.
  const k = Buffer.from(lsK)
  const attrs = { enc_algo: 'cryptobox', enc_serializer: 'json' }

  console.log('| size | op | tweetnacl | libsodium-wrappers | sodium-native | wampe2e sealBytes/openBytes | wampe2e sealPayload/openPayload |')
  console.log('|---|---|--:|--:|--:|--:|--:|')
  for (const size of [64, 1024, 64 * 1024, 1024 * 1024]) {
    const m = Buffer.alloc(size, 0x5a)
    const n = Buffer.alloc(24)
    const seal = {
      tweetnacl: () => { const nonce = nacl.randomBytes(24); return nacl.box.after(m, nonce, naclK) },
      libsodium: () => { const nonce = libsodium.randombytes_buf(24); return libsodium.crypto_box_easy_afternm(m, nonce, lsK) },
      native: () => { const out = Buffer.allocUnsafe(size + 16); sodium.randombytes_buf(n); sodium.crypto_secretbox_easy(out, m, n, k); return out },
      raw: () => w.sealBytes(ring, 'originator', 'com.t', m),
      payload: () => w.sealPayload(ring, 'originator', 'com.t', [m])
    }
    const nonce = Buffer.alloc(24, 1)
    const c = { tweetnacl: nacl.box.after(m, nonce, naclK), libsodium: libsodium.crypto_box_easy_afternm(m, nonce, lsK) }
    const cn = Buffer.alloc(size + 16); sodium.crypto_secretbox_easy(cn, m, nonce, k)
    // Same construction: wampe2e opens what sodium-native sealed.
    if (!w.openBytes(ring, 'responder', 'com.t', attrs, Buffer.concat([nonce, cn])).equals(m)) throw new Error('formats differ')
    const raw = w.sealBytes(ring, 'originator', 'com.t', m)
    const pay = w.sealPayload(ring, 'originator', 'com.t', [m])
    const open = {
      tweetnacl: () => nacl.box.open.after(c.tweetnacl, nonce, naclK),
      libsodium: () => libsodium.crypto_box_open_easy_afternm(c.libsodium, nonce, lsK),
      native: () => { const out = Buffer.allocUnsafe(size); if (!sodium.crypto_secretbox_open_easy(out, cn, nonce, k)) throw new Error('open'); return out },
      raw: () => w.openBytes(ring, 'responder', 'com.t', attrs, raw.payload),
      payload: () => w.openPayload(ring, 'responder', 'com.t', attrs, pay.payload)
    }
    for (const [op, fns] of [['seal', seal], ['open', open]]) {
      const t = measureAll(fns)
      const cell = (ns) => size >= 65536 ? mbps(size, ns) : fmt(ns)
      console.log(`| ${size >= 1024 ? size / 1024 + ' KiB' : size + ' B'} | ${op} | ${cell(t.tweetnacl)} | ${cell(t.libsodium)} | ${cell(t.native)} | ${cell(t.raw)} | ${cell(t.payload)} |`)
    }
  }

  // The full small-message path: values in, envelope out, and back.
  const uri = 'com.example.topic1'
  const args = [42, 'hello world', { temp: 21.5, ok: true }]
  const kwargs = { sensor: 's-17', ts: 1732700000123 }
  const refSeal = () => {
    const pt = Buffer.from(JSON.stringify({ uri, args, kwargs }))
    const out = Buffer.allocUnsafe(24 + 16 + pt.length)
    sodium.randombytes_buf(out.subarray(0, 24))
    sodium.crypto_secretbox_easy(out.subarray(24), pt, out.subarray(0, 24), k)
    return out
  }
  const sealed = refSeal()
  const refOpen = () => {
    const pt = Buffer.allocUnsafe(sealed.length - 40)
    sodium.crypto_secretbox_open_easy(pt, sealed.subarray(24), sealed.subarray(0, 24), k)
    return JSON.parse(pt)
  }
  const env = w.sealPayload(ring, 'originator', uri, args, kwargs)
  const t = measureAll({
    oursSeal: () => w.sealPayload(ring, 'originator', uri, args, kwargs),
    refSeal,
    oursOpen: () => w.openPayload(ring, 'responder', uri, env.attributes, env.payload),
    refOpen
  })
  const ours = { seal: t.oursSeal, open: t.oursOpen }
  const ref = { seal: t.refSeal, open: t.refOpen }
  console.log()
  console.log('| small event, full path | JSON + sodium-native | wampe2e | ratio (wampe2e / reference) |')
  console.log('|---|--:|--:|--:|')
  for (const op of ['seal', 'open']) console.log(`| ${op} | ${fmt(ref[op])} | ${fmt(ours[op])} | ${(ours[op] / ref[op]).toFixed(2)}× |`)
}

main().catch((e) => { console.error(e); process.exit(1) })
