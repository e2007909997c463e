// Type-checked against the packed package's index.d.ts (tsc --noEmit --strict).
import { KeyRing, sealPayload, openPayload, generateKeypair, Envelope, SealOptions } from 'wampe2e'

const ring: KeyRing = new KeyRing()
ring.setBoxKey('com.', { originatorPriv: generateKeypair().secret, responderPub: generateKeypair().public })
const options: SealOptions = { dialect: 'ppt', serializer: 'cbor', cipher: 'xsalsa20poly1305' }
const env: Envelope = sealPayload(ring, 'originator', 'com.x', [1], { a: 'b' }, options)
const attrs: Record<string, string> = env.attributes
const opened: { uri: string | null, args: unknown[] | null } = openPayload(ring, 'responder', 'com.x', attrs, env.payload)
console.log(opened.uri)
