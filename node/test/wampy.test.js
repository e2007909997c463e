'use strict'
// wampy.js with the wampe2e adapter through a real nexus router that announces
// payload_passthru_mode: pub/sub, call/result and an application error, over the
// cbor and msgpack transports, with a data key (aes256gcm) and with key pairs.
const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const { Wampy } = require('wampy')
const { CborSerializer } = require('wampy/CborSerializer.js')
const { MsgpackSerializer } = require('wampy/MsgpackSerializer.js')
const { w3cwebsocket } = require('websocket')
const wampe2e = require('..')
const { attachWampy } = require('../adapters/wampy')
const { startNexus } = require('./routers')

let router
before(async () => { router = await startNexus() })
after(async () => { if (router) await router.stop() })

const TRANSPORTS = { cbor: () => new CborSerializer(), msgpack: () => new MsgpackSerializer() }
const ARGS = [42, 'hello world', { temp: 21.5, ok: true }, Buffer.from([0, 1, 2])]
const KWARGS = { sensor: 's-17', ts: 1732700000123 }

function client (transport, recorder) {
  const payloadSerializers = { cbor: new CborSerializer() }
  if (recorder) {
    payloadSerializers.cbor = { protocol: 'cbor', isBinary: true, encode: () => { throw new Error('recorder only listens') }, decode: (b) => { recorder.push(Buffer.from(b)); return { args: [], kwargs: {} } } }
  }
  return new Wampy(router.url, { realm: 'realm1', ws: w3cwebsocket, serializer: TRANSPORTS[transport](), payloadSerializers, autoReconnect: false })
}

function keyrings (kind) {
  const originator = new wampe2e.KeyRing()
  const responder = new wampe2e.KeyRing()
  if (kind === 'data key') {
    const key = wampe2e.generateDataKey()
    originator.setDataKey('team-1', key, 'com.example.')
    responder.setDataKey('team-1', key, 'com.example.')
  } else {
    const o = wampe2e.generateKeypair()
    const r = wampe2e.generateKeypair()
    originator.setBoxKey('com.example.', { originatorPriv: o.secret, responderPub: r.public })
    responder.setBoxKey('com.example.', { originatorPub: o.public, responderPriv: r.secret })
  }
  return { originator, responder }
}

for (const transport of Object.keys(TRANSPORTS)) {
  for (const kind of ['data key', 'key pairs']) {
    test(`wampy ⇄ nexus ⇄ wampy, ppt over ${transport}, ${kind}`, async () => {
      const rings = keyrings(kind)
      const cipher = kind === 'data key' ? 'aes256gcm' : 'xsalsa20poly1305'
      const pub = attachWampy(client(transport), rings.originator, { cipher })
      const sub = attachWampy(client(transport), rings.responder, { cipher })
      const seen = []
      const spy = client(transport, seen)
      await Promise.all([pub.connect(), sub.connect(), spy.connect()])
      const tag = `${transport}.${kind.replace(' ', '_')}`
      try {
        // pub/sub
        const topic = `com.example.topic.${tag}`
        const got = new Promise((resolve) => sub.subscribe(topic, (ev) => resolve(ev)))
        await spy.subscribe(topic, () => {})
        await new Promise((resolve) => setTimeout(resolve, 50))
        await pub.publish(topic, { argsList: ARGS, argsDict: KWARGS }, { exclude_me: true })
        const ev = await got
        assert.deepEqual(ev.argsList, ARGS)
        assert.deepEqual(ev.argsDict, KWARGS)
        assert.equal(ev.details.ppt_scheme, 'wamp')
        assert.equal(ev.details.ppt_cipher, cipher)

        // what the router forwarded: ciphertext only
        await new Promise((resolve) => setTimeout(resolve, 100))
        assert.equal(seen.length, 1)
        for (const marker of ['hello world', 's-17', 'temp']) {
          assert.equal(seen[0].includes(Buffer.from(marker)), false, marker)
        }

        // call/result
        await sub.register(`com.example.add.${tag}`, ({ argsList, argsDict }) => ({ argsList: [argsList[0] + argsList[1], argsDict.note] }))
        const res = await pub.call(`com.example.add.${tag}`, { argsList: [2, 3], argsDict: { note: Buffer.from('bin') } })
        assert.deepEqual(res.argsList, [5, Buffer.from('bin')])
        assert.equal(res.details.ppt_cipher, cipher)

        // application error with a payload
        await sub.register(`com.example.fail.${tag}`, () => {
          throw Object.assign(new Error('too hot'), { error: 'com.example.error.too_hot', argsList: ['sensor s-17 overheated', 99.5], argsDict: { detail: 7 } })
        })
        await assert.rejects(pub.call(`com.example.fail.${tag}`, [1]), (err) => {
          assert.equal(err.errorUri, 'com.example.error.too_hot')
          assert.deepEqual(err.argsList, ['sensor s-17 overheated', 99.5])
          assert.deepEqual(err.argsDict, { detail: 7 })
          return true
        })
      } finally {
        await Promise.allSettled([pub.disconnect(), sub.disconnect(), spy.disconnect()])
      }
    })
  }
}

test('wampy: URIs without a key travel unencrypted', async () => {
  const rings = keyrings('key pairs')
  const pub = attachWampy(client('cbor'), rings.originator)
  const sub = attachWampy(client('cbor'), rings.responder)
  await Promise.all([pub.connect(), sub.connect()])
  try {
    const got = new Promise((resolve) => sub.subscribe('org.public.news', (ev) => resolve(ev)))
    await new Promise((resolve) => setTimeout(resolve, 50))
    await pub.publish('org.public.news', ['plain'])
    const ev = await got
    assert.deepEqual(ev.argsList, ['plain'])
    assert.equal(ev.details.ppt_scheme, undefined)
  } finally {
    await Promise.allSettled([pub.disconnect(), sub.disconnect()])
  }
})
