'use strict'
// Run from a fresh folder where the packed tarball was installed: plain JS use.
const w = require('wampe2e')
const { attachWampy } = require('wampe2e/adapters/wampy')
const { attachAutobahn } = require('wampe2e/adapters/autobahn')
const ring = new w.KeyRing()
ring.setSharedKey('', w.generateKeypair().secret)
const env = w.sealPayload(ring, 'originator', 'com.x', [1, 'two'], { three: 3 })
const got = w.openPayload(ring, 'responder', 'com.x', env.attributes, env.payload)
if (JSON.stringify(got) !== JSON.stringify({ uri: 'com.x', args: [1, 'two'], kwargs: { three: 3 } })) throw new Error('round trip failed')
if (typeof attachWampy !== 'function' || typeof attachAutobahn !== 'function') throw new Error('adapters missing')
// GS1: a round trip after one key request.
const [a, b] = [w.Identity.generate(), w.Identity.generate()]
const [ga, gb] = [new w.Group(a), new w.Group(b)]
for (const g of [ga, gb]) g.setEntry('com.', [a.publicKey], [b.publicKey])
const sealed = ga.seal('com.x', 'event', [1])
const req = gb.keyRequest(a.publicKey, sealed.sessionId, sealed.index, 'com.')
gb.acceptKeyResponse(req.requestHash, ga.answerKeyRequest(req.request))
if (gb.open('com.x', 'event', sealed.sessionId, sealed.payload).args[0] !== 1) throw new Error('GS1 round trip failed')
console.log('packed wampe2e works from plain JS')
