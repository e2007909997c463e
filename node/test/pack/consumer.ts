// Type-checked against the packed package's index.d.ts (tsc --noEmit --strict).
import { KeyRing, sealPayload, openPayload, generateKeypair, Envelope, SealOptions, Identity, Group, Held, readEnvelope, fetchErrorCode } from 'wampe2e'
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

// GS1 group sessions and the adapters' GS1 options.
const me: Identity = Identity.generate()
const peer: Identity = Identity.fromSeed(new Uint8Array(32))
const group: Group = new Group(me, { shareBacklog: 64 })
group.setEntry('com.example.', [me.publicKey], [peer.fingerprint])
const sealedEvent = group.seal('com.example.t', 'event', [1], null, { dialect: 'ppt' })
const read = readEnvelope(sealedEvent.attributes, [sealedEvent.payload])
const fetches: Held = new Held({ maxPerSession: 8 })
console.log(sealedEvent.sessionId, read.scheme, fetches.size, fetchErrorCode('wampe2e.error.key_refused'), me.keyProcedure())
const gs1Options: AutobahnOptions = { group, keyProcedureBase: 'wampe2e.key', holdMs: 5000, holdMaxPerSession: 16, holdMaxTotal: 64 }
const gs1Wampy: WampyOptions = { group }
const attachGs1 = (session: { id: number }): Promise<void> => attachAutobahn(session, null, gs1Options).wampe2eReady
console.log(typeof attachGs1, gs1Wampy.group === group)
