// Bundled for the browser by `make test-wasm` from a fresh folder where the packed
// tarball was installed (esbuild --platform=browser): the `browser` exports must
// give the wasm build, self-contained; the bundle is then checked for the inlined
// wasm and for the absence of the native addon, and run. Type-checked first
// (tsconfig.browser.json: the browser types, DOM only, no @types/node).
import { KeyRing, Identity, Group, generateKeypair, sealPayload, openPayload, VERSION } from 'wampe2e'
import { attachAutobahn, wampJsonSerializer } from 'wampe2e/adapters/autobahn'
import { attachWampy } from 'wampe2e/adapters/wampy'

const ring = new KeyRing()
ring.setSharedKey('', generateKeypair().secret)
const env = sealPayload(ring, 'originator', 'com.x', [1, 'two', new Uint8Array([3])], { four: 4 })
const got = openPayload(ring, 'responder', 'com.x', env.attributes, env.payload)
const args = got.args ?? []
const bin = /** @type {Uint8Array} */ (args[2])
if (got.uri !== 'com.x' || args[0] !== 1 || args[1] !== 'two' || got.kwargs?.four !== 4) throw new Error('round trip failed')
// In the browser build binaries are plain Uint8Arrays, never Buffers.
if (Object.getPrototypeOf(bin) !== Uint8Array.prototype || bin[0] !== 3) throw new Error('binary is not a plain Uint8Array')
if (Object.getPrototypeOf(env.payload) !== Uint8Array.prototype) throw new Error('payload is not a plain Uint8Array')
if (typeof attachAutobahn !== 'function' || typeof attachWampy !== 'function' || typeof wampJsonSerializer !== 'function') throw new Error('adapters missing')
const [a, b] = [Identity.generate(), Identity.generate()]
const [ga, gb] = [new Group(a), new Group(b)]
for (const g of [ga, gb]) g.setEntry('com.', [a.publicKey], [b.publicKey])
const sealed = ga.seal('com.x', 'event', [1])
const req = gb.keyRequest(a.publicKey, sealed.sessionId, sealed.index, 'com.')
gb.acceptKeyResponse(req.requestHash, ga.answerKeyRequest(req.request))
if (gb.open('com.x', 'event', sealed.sessionId, sealed.payload).args?.[0] !== 1) throw new Error('GS1 round trip failed')
console.log(`browser bundle of wampe2e ${VERSION} works (wasm)`)
