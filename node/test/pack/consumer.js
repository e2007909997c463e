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
console.log('packed wampe2e works from plain JS')
