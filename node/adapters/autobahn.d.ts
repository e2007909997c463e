// Types of `wampe2e/adapters/autobahn` (autobahn.js): the autobahn-js adapter.
import type { KeyRing } from '../index'

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
   * Hears of each refused EVENT, INVOCATION, RESULT or ERROR, with the WAMP message
   * as it arrived (default: a process warning with the code).
   */
  onRefused?: (err: RefusalError, msg: unknown[]) => void
  /** @deprecated The older name of `onRefused`. */
  onError?: (err: RefusalError, msg: unknown[]) => void
}

/**
 * Installs the adapter on an autobahn-js `Session`; call it first thing in
 * `onopen`, before the session subscribes, registers or calls. Returns the session.
 */
export declare function attachAutobahn<S extends object>(session: S, keyring: KeyRing, options?: AutobahnOptions): S

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
