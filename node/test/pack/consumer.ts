// Type-checked against the packed package's index.d.ts (tsc --noEmit --strict).
import { KeyRing, sealPayload, openPayload, generateKeypair, Envelope, SealOptions } from 'wampe2e'
import { attachAutobahn, AutobahnOptions, errorUri } from 'wampe2e/adapters/autobahn'
import { attachWampy, WampyOptions, CallRefusal } from 'wampe2e/adapters/wampy'

const ring: KeyRing = new KeyRing()
ring.setBoxKey('com.', { originatorPriv: generateKeypair().secret, responderPub: generateKeypair().public })
const options: SealOptions = { dialect: 'ppt', serializer: 'cbor', cipher: 'xsalsa20poly1305' }
const env: Envelope = sealPayload(ring, 'originator', 'com.x', [1], { a: 'b' }, options)
const attrs: Record<string, string> = env.attributes
const opened: { uri: string | null, args: unknown[] | null } = openPayload(ring, 'responder', 'com.x', attrs, env.payload)
console.log(opened.uri)

// The adapters' options and refusals.
const autobahnOptions: AutobahnOptions = { strict: true, onRefused: (err, msg) => console.log(err.code, msg[0]) }
const wampyOptions: WampyOptions = { strict: false, cipher: 'aes256gcm', onRefused: (err, m) => console.log(err.code, m.kind) }
const attach = (session: { id: number }, wampy: { connect(): Promise<unknown> }): [number, Promise<unknown>] =>
  [attachAutobahn(session, ring, autobahnOptions).id, attachWampy(wampy, ring, wampyOptions).connect()]
const refusedCall = (e: CallRefusal): boolean => e.errorUri === errorUri(e.code) && e.argsDict.code === e.code
console.log(typeof attach, typeof refusedCall)
