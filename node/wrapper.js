'use strict'
// The public API of the npm package `wampe2e` over a backend: the native addon
// (`index.js`, under Node) or the WebAssembly build (`browser/api.mjs`), which
// export the same entry points. sealPayload/openPayload/sealBytes/openBytes and
// the async variants are routed through the backend's compact entry points where
// they apply.
//
// Why: every call across the boundary pays per argument, per property read and per
// object built. Here the keyring goes down as a handle, role and dialect as small
// numbers, received attributes are read by name in JS, plain-JSON values cross as
// one `JSON.stringify` string and opened payloads come back as one string for
// `JSON.parse` (the engine's own, fast; small binaries alongside). What the values
// mean is still decided by the core: it parses that text and writes its own
// plaintext, exactly as for values converted one by one (`wampe2e::js_json`).
// Anything else (binaries when sealing, BigInt, NaN, cycles, odd options, invalid
// roles) takes the general path, which is also where every error message comes from.

/**
 * The public API over `native` (the backend's exports). `host.scratch`: where the
 * addon writes small results (their length comes back instead of the bytes), or
 * undefined; `host.copied(src, start, end)`: bytes start..end of `src` as bytes of
 * their own; `host.alloc(n)`: a new pooled buffer of n bytes that the addon's
 * `_openBytes` decrypts into, or undefined.
 */
function wrap (native, host) {

  // No prototype: `ROLE[role]` is undefined for every other string ('constructor' too).
  const ROLE = Object.assign(Object.create(null), { originator: 0, responder: 1 })
  // Same limit as the core's serializer nesting (deeper values take the general path).
  const MAX_DEPTH = 100
  const ATTRIBUTE_NAMES = native._attributeNames()
  const { scratch, copied, alloc } = host
  // What each cipher adds to a plaintext, by ppt_cipher name: openBytes allocates
  // the plaintext's length for the addon to decrypt into (cryptobox's cipher, and
  // ppt's default, when the name is absent or unknown: the addon then allocates).
  const OVERHEAD = Object.assign(Object.create(null), alloc === undefined ? {} : native._openOverheads())
  // The synchronous compact entry points: the addon's are plain N-API functions
  // (without napi-rs's per-call scaffolding), the wasm build's its exports.
  const compact = typeof native._rawEntryPoints === 'function'
    ? native._rawEntryPoints()
    : { sealJson: native._sealJson, openJson: native._openJson, sealBytes: native._sealBytes, openBytes: native._openBytes }

  // A result of a compact entry point as bytes of its own: a length in `scratch`
  // (the addon's small results) or the bytes themselves.
  function bytesOut (r) {
    return typeof r === 'number' ? copied(scratch, 0, r) : r
  }

  // Each KeyRing's handle for the compact entry points (its core keyring in an N-API
  // external: cheaper to pass than the class instance), asked for once.
  const handles = new WeakMap()
  function handleOf (keyring) {
    let h = handles.get(keyring)
    if (h === undefined) {
      h = native._keyringHandle(keyring)
      handles.set(keyring, h)
    }
    return h
  }

  // Dialect info per (dialect, serializer, cipher) as the options name them; the native
  // side validates each combination once. Invalid ones are not cached: the general path
  // throws their error.
  const defaultDialect = native._dialectInfo(undefined)
  const dialects = new Map()
  function dialectOf (options) {
    if (options === undefined || options === null) return defaultDialect
    if (typeof options !== 'object') return null
    const { dialect, serializer, cipher } = options
    if (!(isName(dialect) && isName(serializer) && isName(cipher))) return null
    const key = `${dialect}/${serializer}/${cipher}`
    let d = dialects.get(key)
    if (d === undefined) {
      try {
        d = native._dialectInfo({ dialect, serializer, cipher })
      } catch {
        return null
      }
      dialects.set(key, d)
    }
    return d
  }

  function isName (v) {
    return v === undefined || (typeof v === 'string' && v.length < 32 && !v.includes('/'))
  }

  // True when JSON.stringify(v) carries exactly what converting v value by value does.
  function plainJson (v, depth) {
    switch (typeof v) {
      case 'string':
        return v.length === 0 || v.charCodeAt(0) !== 0
      case 'boolean':
        return true
      case 'number':
        return Number.isFinite(v) && !Object.is(v, -0)
      case 'object': {
        if (v === null) return true
        if (depth >= MAX_DEPTH) return false
        if (Array.isArray(v)) {
          for (let i = 0; i < v.length; i++) {
            if (!plainJson(v[i], depth + 1)) return false
          }
          return true
        }
        const proto = Object.getPrototypeOf(v)
        if (proto !== Object.prototype && proto !== null) return false
        for (const k in v) {
          if (!plainJson(v[k], depth + 1)) return false
        }
        return true
      }
      default:
        return false
    }
  }

  function isPlainObject (v) {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return false
    const proto = Object.getPrototypeOf(v)
    return proto === Object.prototype || proto === null
  }

  function envelope (dialect, sealed) {
    const attributes = { ...dialect.attributes }
    let payload = sealed
    if (Array.isArray(sealed)) {
      payload = sealed[0]
      attributes[dialect.keyIdAttribute] = sealed[1]
    }
    return { attributes, payload: bytesOut(payload), payloadInList: dialect.payloadInList }
  }

  // The attributes an open reads, by literal name: V8 caches a literal property read
  // per object shape, where a computed name goes through its megamorphic lookup
  // (a tenth of a small openBytes). The names and their order are the core's,
  // checked once here.
  const READ_NAMES = 'enc_algo,enc_serializer,enc_key,ppt_scheme,ppt_serializer,ppt_cipher,ppt_keyid'
  if (ATTRIBUTE_NAMES.join(',') !== READ_NAMES) {
    throw new Error(`wampe2e: the core reads attributes ${ATTRIBUTE_NAMES.join(',')}, this wrapper ${READ_NAMES}`)
  }
  function str (v) {
    return typeof v === 'string' ? v : undefined
  }

  // The role code and dialect when a seal can take the compact path, else null.
  function compactSeal (keyring, role, uri, args, kwargs, options) {
    const r = ROLE[role]
    const d = dialectOf(options)
    const argsOk = args === undefined || args === null || (Array.isArray(args) && plainJson(args, 0))
    const kwargsOk = kwargs === undefined || kwargs === null || (isPlainObject(kwargs) && plainJson(kwargs, 0))
    if (r === undefined || d === null || typeof uri !== 'string' || !(keyring instanceof native.KeyRing) || !argsOk || !kwargsOk) {
      return null
    }
    return { r, d, message: JSON.stringify([uri, args ?? null, kwargs ?? null]) }
  }

  // The role code when an open can take the compact path, else undefined.
  function compactOpen (keyring, role, uri, attributes, payload) {
    const ok = typeof uri === 'string' && keyring instanceof native.KeyRing &&
      typeof attributes === 'object' && attributes !== null && payload instanceof Uint8Array
    return ok ? ROLE[role] : undefined
  }

  // Whether a compact seal's error is one the general path reports differently
  // (text V8 writes but the core does not read, nesting at the limit).
  function retryGeneral (e) {
    return e && (e.code === 'WAMPE2E_INVALID_JSON' || e.code === 'WAMPE2E_UNSUPPORTED_VALUE')
  }

  function sealPayload (keyring, role, uri, args, kwargs, options) {
    const c = compactSeal(keyring, role, uri, args, kwargs, options)
    if (c === null) return native.sealPayload(keyring, role, uri, args, kwargs, options)
    let sealed
    try {
      sealed = compact.sealJson(handleOf(keyring), c.r, c.message, c.d.code, scratch)
    } catch (e) {
      if (retryGeneral(e)) return native.sealPayload(keyring, role, uri, args, kwargs, options)
      throw e
    }
    return envelope(c.d, sealed)
  }

  function openPayload (keyring, role, uri, attributes, payload) {
    const r = compactOpen(keyring, role, uri, attributes, payload)
    if (r === undefined) return native.openPayload(keyring, role, uri, attributes, payload)
    return opened(compact.openJson(handleOf(keyring), r, uri, payload,
      str(attributes.enc_algo), str(attributes.enc_serializer), str(attributes.enc_key),
      str(attributes.ppt_scheme), str(attributes.ppt_serializer), str(attributes.ppt_cipher),
      str(attributes.ppt_keyid), scratch))
  }

  function sealBytes (keyring, role, uri, plaintext, options) {
    const r = ROLE[role]
    const d = dialectOf(options)
    if (r === undefined || d === null || typeof uri !== 'string' || !(keyring instanceof native.KeyRing) || !(plaintext instanceof Uint8Array)) {
      return native.sealBytes(keyring, role, uri, plaintext, options)
    }
    return envelope(d, compact.sealBytes(handleOf(keyring), r, uri, plaintext, d.code, scratch))
  }

  function openBytes (keyring, role, uri, attributes, payload) {
    const r = compactOpen(keyring, role, uri, attributes, payload)
    if (r === undefined) return native.openBytes(keyring, role, uri, attributes, payload)
    const overhead = OVERHEAD[attributes.ppt_cipher] ?? OVERHEAD.xsalsa20poly1305
    const out = alloc === undefined ? undefined : alloc(Math.max(payload.length - overhead, 0))
    const o = compact.openBytes(handleOf(keyring), r, uri, payload,
      str(attributes.enc_algo), str(attributes.enc_serializer), str(attributes.enc_key),
      str(attributes.ppt_scheme), str(attributes.ppt_serializer), str(attributes.ppt_cipher),
      str(attributes.ppt_keyid), out)
    if (typeof o !== 'number') return o
    return o === out.length ? out : out.subarray(0, o)
  }

  // The async variants: JSON.stringify / JSON.parse on the JS thread (V8's own, fast),
  // the core's work (parsing, checking, the cryptography) on the libuv pool.
  function sealPayloadAsync (keyring, role, uri, args, kwargs, options) {
    const c = compactSeal(keyring, role, uri, args, kwargs, options)
    if (c === null) return native.sealPayloadAsync(keyring, role, uri, args, kwargs, options)
    return native._sealJsonAsync(handleOf(keyring), c.r, c.message, c.d.code).then(
      (sealed) => envelope(c.d, sealed.keyId == null ? sealed.payload : [sealed.payload, sealed.keyId]),
      (e) => {
        if (retryGeneral(e)) return native.sealPayloadAsync(keyring, role, uri, args, kwargs, options)
        throw e
      })
  }

  function openPayloadAsync (keyring, role, uri, attributes, payload) {
    const r = compactOpen(keyring, role, uri, attributes, payload)
    if (r === undefined) return native.openPayloadAsync(keyring, role, uri, attributes, payload)
    return native._openJsonAsync(handleOf(keyring), r, uri, payload,
      str(attributes.enc_algo), str(attributes.enc_serializer), str(attributes.enc_key),
      str(attributes.ppt_scheme), str(attributes.ppt_serializer), str(attributes.ppt_cipher),
      str(attributes.ppt_keyid)).then(opened)
  }

  // `v` (from JSON.parse) with its binaries as Buffers, as the general path returns
  // them: the core wrote each as "\u0000start-end", its byte range in `side`.
  // Walked in JS: a JSON.parse reviver costs several times more.
  function revived (v, side) {
    if (typeof v === 'string') {
      if (v.charCodeAt(0) !== 0) return v
      const dash = v.indexOf('-')
      return copied(side, +v.slice(1, dash), +v.slice(dash + 1))
    }
    if (typeof v !== 'object' || v === null) return v
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) v[i] = revived(v[i], side)
      return v
    }
    for (const k of Object.keys(v)) {
      const x = v[k]
      const y = revived(x, side)
      // Defined, not assigned: a "__proto__" key stays an own property.
      if (y !== x) Object.defineProperty(v, k, { value: y, writable: true, enumerable: true, configurable: true })
    }
    return v
  }

  // An opened payload from a compact entry point: JSON text, [JSON text, side buffer
  // (or its length in `scratch`)] for text with binaries, or the converted object.
  function opened (r) {
    if (typeof r === 'object' && !Array.isArray(r)) return r
    const p = JSON.parse(typeof r === 'string' ? r : r[0])
    if (typeof r !== 'string') {
      const side = typeof r[1] === 'number' ? scratch : r[1]
      if (p.args != null) revived(p.args, side)
      if (p.kwargs != null) revived(p.kwargs, side)
    }
    return { uri: p.uri ?? null, args: p.args ?? null, kwargs: p.kwargs ?? null }
  }

  // napi-rs's own argument conversion errors quote the value they could not convert
  // ("Failed to convert JavaScript value `Object {...}` into rust type `String`"),
  // which may be a key or plaintext: every public native entry point rethrows them
  // as a TypeError that names the expected type and where, never the value.
  const CONVERT = 'Failed to convert JavaScript value `'
  const INTO = '` into rust type `'
  const JS_TYPES = { String: 'a string', bool: 'a boolean', f64: 'a number', u32: 'a number', i32: 'a number', i64: 'a number', u64: 'a number' }

  function scrubbed (e) {
    if (!(e instanceof Error) || typeof e.message !== 'string' || !e.message.startsWith(CONVERT)) return e
    // The value sits between the first backtick and the last INTO (the type and
    // the place after it come from napi-rs, not from the value).
    const at = e.message.lastIndexOf(INTO)
    const m = at < 0 ? null : /^([A-Za-z0-9_<>:, ]{1,60})`( on [A-Za-z0-9_.]{1,80})?$/.exec(e.message.slice(at + INTO.length))
    const expected = m ? (JS_TYPES[m[1]] ?? m[1]) : 'another type'
    const t = new TypeError(`argument of the wrong type${m && m[2] ? m[2] : ''}: expected ${expected}`)
    t.code = 'ERR_INVALID_ARG_TYPE'
    return t
  }

  function guarded (f) {
    return function (...args) {
      try {
        const r = f.apply(this, args)
        return r instanceof Promise ? r.catch((e) => { throw scrubbed(e) }) : r
      } catch (e) {
        throw scrubbed(e)
      }
    }
  }

  // The classes: their methods (and static factories) guarded in place; the classes
  // themselves stay constructors.
  const CLASSES = [native.KeyRing, native.Identity, native.Group, native.Invocation, native.Held]
  for (const cls of CLASSES) {
    for (const target of [cls.prototype, cls]) {
      for (const name of Object.getOwnPropertyNames(target)) {
        const d = Object.getOwnPropertyDescriptor(target, name)
        if (name !== 'constructor' && name !== 'prototype' && d.writable && typeof d.value === 'function') {
          Object.defineProperty(target, name, { ...d, value: guarded(d.value) })
        }
      }
    }
  }

  const wrapped = { sealPayload, openPayload, sealBytes, openBytes, sealPayloadAsync, openPayloadAsync }
  const api = {}
  for (const [name, v] of Object.entries({ ...native, ...wrapped })) {
    if (!name.startsWith('_')) api[name] = typeof v === 'function' && !CLASSES.includes(v) ? guarded(v) : v
  }
  return api

}

module.exports = { wrap }
