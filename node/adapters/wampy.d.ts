// Types of `wampe2e/adapters/wampy` (wampy.js): the wampy.js adapter.
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

/** What `onRefused` receives besides the error: the message as wampy handed it over. */
export interface RefusedMessage {
  /** Which kind of message was refused. */
  kind: 'event' | 'invocation' | 'result' | 'error'
  details?: Record<string, unknown>
  argsList?: unknown[]
  argsDict?: Record<string, unknown>
  [key: string]: unknown
}

/**
 * What a call rejects with when its RESULT or ERROR was refused (wampy's
 * `CallError` shape), e.g. `errorUri: 'wampe2e.error.reflected'`,
 * `code: 'WAMPE2E_REFLECTED'`, `argsDict: { code: 'WAMPE2E_REFLECTED' }`.
 */
export interface CallRefusal extends Error {
  code: string
  errorUri: string
  error: string
  details: Record<string, never>
  argsList: []
  argsDict: { code: string }
  cause: unknown
}

/** Options of {@link attachWampy}. */
export interface WampyOptions {
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
  /** The ppt cipher this peer seals with (default `'xsalsa20poly1305'`). */
  cipher?: 'xsalsa20poly1305' | 'aes256gcm'
  /** Hears of each refused message (default: a process warning with the code). */
  onRefused?: (err: RefusalError, message: RefusedMessage) => void
  /** @deprecated The older name of `onRefused`. */
  onError?: (err: RefusalError, message: RefusedMessage) => void
}

/** Sealed bytes travelling through wampy's payload serializer untouched. */
export declare class Sealed {
  constructor(bytes: Uint8Array)
  readonly bytes: Uint8Array
}

/**
 * Installs the adapter on a Wampy instance (before `connect()`). Returns the
 * instance. With a `group`, `connect()` resolves once the GS1 key procedure is
 * registered; `keyring` may be null when a `group` is given.
 */
export declare function attachWampy<W extends object>(wampy: W, keyring: KeyRing | null, options?: WampyOptions): W

/**
 * The error URI a refusal is answered with (invocations) or fails the call with
 * (results, errors): `wampe2e.error.` + the code in lowercase without `WAMPE2E_`.
 */
export declare function errorUri(code: string): string
