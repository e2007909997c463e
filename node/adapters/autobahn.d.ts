// Types of `wampe2e/adapters/autobahn` (autobahn.js): the autobahn-js adapter.
import type { KeyRing, Group } from '../index'

/**
 * What a handler learns of a GS1 message on `details.wampe2e`: the sender's
 * identity (hex of its public key; for an INVOCATION, the caller), authenticated
 * by the message's signature, never taken from the router's details.
 */
export interface Gs1Info {
  sender: string
  sessionId: string
  index: number
}

/** An error the adapter refused a message with; `code` is a `WAMPE2E_*` code name. */
export interface RefusalError extends Error {
  code: string
}

/** Options of {@link attachAutobahn}. */
export interface AutobahnOptions {
  /**
   * Strict (the default, anything but `false`): a URI the keyring has a key for
   * must arrive encrypted, and so must an answer to an encrypted call. `false` is
   * for migrations only: plaintext is then delivered on keyed URIs too (URIs are
   * still checked against the local subscription or registration).
   */
  strict?: boolean
  /**
   * GS1 group sessions (docs/gs1.md): for every URI an entry of this group covers
   * (`group.select(uri)`), GS1 wins over the keyring: outgoing messages are sealed
   * with GS1, incoming ones must be GS1 envelopes (strict: plaintext is
   * `WAMPE2E_UNEXPECTED_PLAINTEXT`; another dialect, cryptobox included, is
   * `WAMPE2E_INVALID_ENVELOPE`). The adapter registers this peer's key procedure
   * `<keyProcedureBase>.<fingerprint>` and fetches the sessions it meets.
   */
  group?: Group
  /** The key procedure base, the same for all peers (default `'wampe2e.key'`); its URIs are never sealed nor strict. */
  keyProcedureBase?: string
  /** Messages held per session while its key is fetched (default 256). */
  holdMaxPerSession?: number
  /** Messages held in all (default 4096). */
  holdMaxTotal?: number
  /** How long a key fetch may take before its held messages are refused with `WAMPE2E_KEY_FETCH_FAILED` (default 10000). */
  holdMs?: number
  /**
   * Hears of each refused EVENT, INVOCATION, RESULT or ERROR, with the WAMP message
   * as it arrived (default: a process warning with the code).
   */
  onRefused?: (err: RefusalError, msg: unknown[]) => void
  /** @deprecated The older name of `onRefused`. */
  onError?: (err: RefusalError, msg: unknown[]) => void
}

/**
 * Installs the adapter on an autobahn-js `Session`; call it first thing in
 * `onopen`, before the session subscribes, registers or calls. Returns the session,
 * with `wampe2eReady`: a promise that resolves once the GS1 key procedure is
 * registered (at once without a group). `keyring` may be null when a `group` is given.
 */
export declare function attachAutobahn<S extends object>(session: S, keyring: KeyRing | null, options?: AutobahnOptions): S & { wampe2eReady: Promise<void> }

/**
 * autobahn-js's JSON serializer with the WAMP-JSON binary convention (binary as
 * "\u0000" + base64); `autobahn` is the `autobahn` module.
 */
export declare function wampJsonSerializer(autobahn: {
  serializer: { JSONSerializer: new (replacer?: (key: string, value: unknown) => unknown, reviver?: (key: string, value: unknown) => unknown) => unknown }
}): unknown

/**
 * The error URI a refusal is answered with (INVOCATION) or fails the call with
 * (RESULT, ERROR): `wampe2e.error.` + the code in lowercase without `WAMPE2E_`,
 * e.g. `errorUri('WAMPE2E_REFLECTED') === 'wampe2e.error.reflected'`.
 */
export declare function errorUri(code: string): string
