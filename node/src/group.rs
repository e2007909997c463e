//! GS1 group sessions (`docs/gs1.md`) for JS: [`Identity`], a peer's [`Group`]
//! state and the [`Held`] queue of messages waiting for a session's key. Each
//! method converts its arguments, calls one core function and converts the
//! result; errors carry the core's code name.
//!
//! The wire of §12.1 is the core's `group::envelope`: the attributes
//! `seal`/`sealReply` return, the attribute rules of `readEnvelope` and the
//! inbound decision of `Group.inbound`. What stays here is the JS shape: reading
//! attribute values off a JS object and taking the envelope from the dialect's
//! payload position.
#![allow(unsafe_code)]

use crate::convert::{self, js_args, js_kwargs, Code, CopiedBuffer, Result};
use crate::{core_err, invalid, required_key, string_arg, wrong_type};
use napi::bindgen_prelude::{
    ArrayBuffer, JsObjectValue, Null, Object, ToNapiValue, Uint8ArraySlice, Unknown,
};
use napi::{Env, JsValue, ValueType};
use napi_derive::napi;
use std::cell::OnceCell;
use std::sync::{Arc, Mutex};
use wampe2e::group::envelope::{self, Arrived, Attr, Route, WireDialect};
use wampe2e::group::{
    self as g, fetch_error_code as core_fetch_error_code, HeldLimits, IdentityKey, Kind, Params,
    TrustEntry,
};
use wampe2e::{Error, ErrorCode, KeyInput};

fn err_code(code: ErrorCode, msg: impl Into<String>) -> napi::Error<Code> {
    core_err(Error::new(code, msg))
}

/// The clock: `now_ms` when given (tests), else the system's.
fn now(now_ms: Option<f64>) -> Result<u64> {
    match now_ms {
        Some(n)
            if n.is_finite() && n >= 0.0 && n.fract() == 0.0 && n <= 9_007_199_254_740_991.0 =>
        {
            Ok(n as u64)
        }
        Some(_) => Err(invalid(
            "nowMs: expected a non-negative integer number of milliseconds".to_owned(),
        )),
        None => Ok(std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            .unwrap_or(0)),
    }
}

fn ms(what: &str, v: Option<f64>, default: u64) -> Result<u64> {
    match v {
        None => Ok(default),
        Some(n)
            if n.is_finite() && n >= 0.0 && n.fract() == 0.0 && n <= 9_007_199_254_740_991.0 =>
        {
            Ok(n as u64)
        }
        Some(_) => Err(invalid(format!(
            "{what}: expected a non-negative integer number of milliseconds"
        ))),
    }
}

/// A GS1 kind from its name (the core's names: `"event"`, `"call"`, `"result"`,
/// `"progress"`, `"error"`).
fn kind(s: &str) -> Result<Kind> {
    s.parse().map_err(core_err)
}

fn hash32(what: &str, b: &[u8]) -> Result<[u8; 32]> {
    <[u8; 32]>::try_from(b)
        .map_err(|_| invalid(format!("{what}: expected 32 bytes, got {}", b.len())))
}

/// The wire dialect named by a `dialect` option (`"enc"`, the default, or `"ppt"`).
fn wire(d: Option<&str>) -> Result<WireDialect> {
    match d.unwrap_or("enc") {
        "enc" => Ok(WireDialect::Enc),
        "ppt" => Ok(WireDialect::Ppt),
        other => Err(invalid(format!(
            "dialect: expected \"enc\" or \"ppt\" (got {} characters)",
            other.chars().count()
        ))),
    }
}

/// A field of a [`Fields`] object.
enum F {
    Str(String),
    U32(u32),
    F64(f64),
    Bool(bool),
    Null,
    Buf(Vec<u8>),
    Value(Option<wampe2e::Value>),
    Obj(Fields),
    Invocation(g::Invocation),
}

/// A JS object built field by field, in order, when it is handed to JS.
pub struct Fields(Vec<(&'static str, F)>);

impl napi::bindgen_prelude::TypeName for Fields {
    fn type_name() -> &'static str {
        "Object"
    }
    fn value_type() -> ValueType {
        ValueType::Object
    }
}

impl ToNapiValue for Fields {
    unsafe fn to_napi_value(
        env: napi::sys::napi_env,
        val: Self,
    ) -> napi::Result<napi::sys::napi_value> {
        // SAFETY: napi calls us with a live env.
        let env_ref = Env::from_raw(env);
        let mut o = Object::new(&env_ref)?;
        for (k, v) in val.0 {
            match v {
                F::Str(s) => o.set(k, s)?,
                F::U32(n) => o.set(k, n)?,
                F::F64(n) => o.set(k, n)?,
                F::Bool(b) => o.set(k, b)?,
                F::Null => o.set(k, Null)?,
                F::Buf(b) => o.set(k, CopiedBuffer(b))?,
                F::Value(v) => o.set(k, v.map(convert::JsOut))?,
                F::Obj(f) => o.set(k, f)?,
                F::Invocation(inner) => o.set(k, Invocation { inner })?,
            }
        }
        // SAFETY: `o` was created on this env.
        unsafe { Object::to_napi_value(env, o) }
    }
}

/// The core's attributes of §12.1 (`envelope::attributes`), in its order.
fn attributes(w: WireDialect, key_id: Option<&str>) -> Fields {
    Fields(
        envelope::attributes(w, key_id)
            .into_iter()
            .map(|(name, value)| (name, F::Str(value)))
            .collect(),
    )
}

/// `{ attributes, payload, payloadInList }`, as the keyring's `Envelope`.
fn envelope_fields(w: WireDialect, key_id: Option<&str>, envelope: Vec<u8>) -> Fields {
    Fields(vec![
        ("attributes", F::Obj(attributes(w, key_id))),
        ("payload", F::Buf(envelope)),
        ("payloadInList", F::Bool(w == WireDialect::Ppt)),
    ])
}

fn payload_fields(f: &mut Fields, p: wampe2e::Payload) {
    f.0.push(("args", F::Value(p.args.map(wampe2e::Value::List))));
    f.0.push(("kwargs", F::Value(p.kwargs.map(wampe2e::Value::Map))));
}

/// Options of `seal` and `sealReply`.
#[napi(object)]
#[derive(Default)]
pub struct Gs1SealOptions {
    /// `"enc"` (Autobahn/Crossbar `enc_*`, the default) or `"ppt"` (`ppt_*`).
    #[napi(ts_type = "'enc' | 'ppt'")]
    pub dialect: Option<String>,
    /// The clock, in milliseconds since the Unix epoch (default: the system's).
    pub now_ms: Option<f64>,
}

/// A GS1 identity (§5): an Ed25519 key pair. The seed never leaves the addon.
#[napi]
pub struct Identity {
    inner: g::Identity,
}

#[napi]
impl Identity {
    /// A fresh identity from the operating system's RNG.
    #[napi(factory, catch_unwind)]
    pub fn generate() -> Result<Identity> {
        Ok(Identity {
            inner: g::Identity::generate().map_err(core_err)?,
        })
    }

    /// The identity of a 32-byte seed (a `Uint8Array`/`Buffer`, or 64 hex digits / base64).
    #[napi(factory, catch_unwind, ts_args_type = "seed: Uint8Array | string")]
    pub fn from_seed(env: Env, seed: Unknown) -> Result<Identity> {
        let inner = required_key(&env, "seed", &seed, |k| g::Identity::from_input("seed", k))?;
        Ok(Identity { inner })
    }

    /// The GS1 identity derived from a WAMP-cryptosign seed (§5: never that key itself).
    #[napi(factory, catch_unwind, ts_args_type = "seed: Uint8Array | string")]
    pub fn from_cryptosign_seed(env: Env, seed: Unknown) -> Result<Identity> {
        let inner = required_key(&env, "seed", &seed, |k: KeyInput<'_>| {
            Ok(g::Identity::from_cryptosign_seed(&*k.decode("seed")?))
        })?;
        Ok(Identity { inner })
    }

    /// The public key (32 bytes): what peers pin.
    #[napi(getter, ts_return_type = "Buffer")]
    pub fn public_key(&self) -> CopiedBuffer {
        CopiedBuffer(self.inner.public().as_bytes().to_vec())
    }

    /// `hex(publicKey)` (§5).
    #[napi(getter)]
    pub fn fingerprint(&self) -> String {
        self.inner.fingerprint()
    }

    /// This identity's key procedure, `<base>.<fingerprint>` (`base` defaults to `wampe2e.key`).
    #[napi(catch_unwind)]
    pub fn key_procedure(&self, base: Option<String>) -> String {
        self.inner
            .key_procedure(base.as_deref().unwrap_or(g::DEFAULT_KEY_PROCEDURE_BASE))
    }
}

/// Parameters of a [`Group`] (§9.4); absent ones take the defaults.
#[napi(object)]
#[derive(Default)]
pub struct GroupOptions {
    /// A sender rotates after this many messages (default 10 000).
    pub max_messages: Option<u32>,
    /// A sender rotates after this age (default one hour).
    pub max_age_ms: Option<f64>,
    /// Clock tolerance (default 5 minutes).
    pub max_skew_ms: Option<f64>,
    /// How long a superseded session keeps opening (default 10 minutes).
    pub grace_ms: Option<f64>,
    /// How far back, in messages, a key share may start (default 64).
    pub share_backlog: Option<u32>,
}

/// A trust entry (§6), keys as hex.
#[napi(object)]
pub struct Gs1Entry {
    /// The URI prefix it governs.
    pub prefix: String,
    /// Identities trusted to seal events and calls (publishers, callers), hex.
    pub senders: Vec<String>,
    /// Identities authorized to get session keys and sign replies (subscribers, callees), hex.
    pub receivers: Vec<String>,
}

fn entry_js(e: TrustEntry) -> Gs1Entry {
    Gs1Entry {
        prefix: e.prefix,
        senders: e.senders.iter().map(IdentityKey::fingerprint).collect(),
        receivers: e.receivers.iter().map(IdentityKey::fingerprint).collect(),
    }
}

/// A sender's current session, without its keys.
#[napi(object)]
pub struct Gs1SessionInfo {
    /// `hex(session_id)`, as `enc_key`/`ppt_keyid` carry it.
    pub session_id: String,
    /// The index of the next message.
    pub next: u32,
    /// The oldest index a share may start at.
    pub base: u32,
    /// When it was made.
    pub created_ms: f64,
    /// When it expires.
    pub not_after_ms: f64,
}

/// A key request made by `keyRequest`.
#[napi(object, object_from_js = false)]
pub struct Gs1KeyRequest {
    /// The one binary argument of the CALL to the sender's key procedure.
    #[napi(ts_type = "Buffer")]
    pub request: CopiedBuffer,
    /// `SHA256(request)`: names the pending request.
    #[napi(ts_type = "Buffer")]
    pub request_hash: CopiedBuffer,
}

/// A key response accepted by `acceptKeyResponse`.
#[napi(object)]
pub struct Gs1AcceptedShare {
    /// The sender whose session it is (hex).
    pub sender: String,
    /// `hex(session_id)`.
    pub session_id: String,
    /// The prefix it was shared for.
    pub prefix: String,
    /// The first index it opens.
    pub index: u32,
    /// When it expires.
    pub not_after_ms: f64,
}

/// What a replier needs of an opened call (§10.4): pass it to `sealReply`. Holds
/// no secret (the caller's reply key is public).
#[napi]
pub struct Invocation {
    inner: g::Invocation,
}

#[napi]
impl Invocation {
    /// The caller's identity (hex): authenticated by the call's signature.
    #[napi(getter)]
    pub fn caller(&self) -> String {
        self.inner.caller.fingerprint()
    }

    /// The procedure the call was signed for.
    #[napi(getter)]
    pub fn procedure(&self) -> String {
        self.inner.call_uri.clone()
    }

    /// The sequence number of the next reply.
    #[napi(getter)]
    pub fn next_seq(&self) -> u32 {
        self.inner.next_seq
    }

    /// Whether the final reply was sealed.
    #[napi(getter)]
    pub fn finished(&self) -> bool {
        self.inner.finished
    }
}

/// The keys of an array argument (hex/base64 strings or 32-byte `Uint8Array`s).
fn identity_keys(env: &Env, what: &str, u: &Unknown) -> Result<Vec<IdentityKey>> {
    let is_array = u.is_array().unwrap_or(false);
    if !is_array {
        return Err(wrong_type(env, what, "an array of public keys", u));
    }
    // SAFETY: it is an array (checked above), an object.
    let arr = unsafe { u.cast::<Object>() }.map_err(|_| wrong_type(env, what, "an array", u))?;
    let len = arr
        .get_array_length()
        .map_err(|e| invalid(e.reason.clone()))?;
    let mut out = Vec::with_capacity(len as usize);
    for i in 0..len {
        let item: Unknown = arr
            .get_element(i)
            .map_err(|_| invalid(format!("{what}[{i}]: could not be read")))?;
        let name = format!("{what}[{i}]");
        out.push(required_key(env, &name, &item, |k| {
            IdentityKey::from_input(&name, k)
        })?);
    }
    Ok(out)
}

/// One peer's GS1 state (thread-safe; shared by its adapters).
#[napi]
pub struct Group {
    inner: Arc<g::Group>,
}

fn opened_payload(signed_uri: &str, plaintext: &[u8]) -> Result<wampe2e::Payload> {
    g::parse_payload(signed_uri, plaintext).map_err(core_err)
}

fn napi_err(e: napi::Error) -> napi::Error<Code> {
    invalid(e.reason.clone())
}

#[napi]
impl Group {
    /// A peer with `identity` (copied in), no entries, and `options` (§9.4).
    #[napi(constructor, catch_unwind)]
    pub fn new(identity: &Identity, options: Option<GroupOptions>) -> Result<Group> {
        let o = options.unwrap_or_default();
        let d = Params::default();
        let params = Params {
            max_messages: o.max_messages.unwrap_or(d.max_messages),
            max_age_ms: ms("maxAgeMs", o.max_age_ms, d.max_age_ms)?,
            max_skew_ms: ms("maxSkewMs", o.max_skew_ms, d.max_skew_ms)?,
            grace_ms: ms("graceMs", o.grace_ms, d.grace_ms)?,
            share_backlog: o.share_backlog.unwrap_or(d.share_backlog),
        };
        let group = g::Group::with_params(identity.inner.clone(), params).map_err(core_err)?;
        Ok(Group {
            inner: Arc::new(group),
        })
    }

    /// This peer's public key (32 bytes).
    #[napi(getter, ts_return_type = "Buffer")]
    pub fn public_key(&self) -> CopiedBuffer {
        CopiedBuffer(self.inner.public().as_bytes().to_vec())
    }

    /// This peer's fingerprint, `hex(publicKey)`.
    #[napi(getter)]
    pub fn fingerprint(&self) -> String {
        self.inner.public().fingerprint()
    }

    /// This peer's key procedure, `<base>.<fingerprint>` (`base` defaults to `wampe2e.key`).
    #[napi(catch_unwind)]
    pub fn key_procedure(&self, base: Option<String>) -> String {
        self.inner
            .identity()
            .key_procedure(base.as_deref().unwrap_or(g::DEFAULT_KEY_PROCEDURE_BASE))
    }

    /// Sets the entry for `prefix` (§6), replacing any: `senders` (publishers,
    /// callers) and `receivers` (subscribers, callees) as 32-byte `Uint8Array`s or
    /// hex/base64 strings. Dropping a receiver rotates the prefix's session.
    #[napi(
        catch_unwind,
        ts_args_type = "prefix: string, senders: Array<Uint8Array | string>, receivers: Array<Uint8Array | string>"
    )]
    pub fn set_entry(
        &self,
        env: Env,
        prefix: Unknown,
        senders: Unknown,
        receivers: Unknown,
    ) -> Result<()> {
        let prefix = string_arg(&env, "prefix", &prefix)?;
        let senders = identity_keys(&env, "senders", &senders)?;
        let receivers = identity_keys(&env, "receivers", &receivers)?;
        self.inner
            .set_entry(TrustEntry::new(&prefix, senders, receivers));
        Ok(())
    }

    /// Removes the entry for exactly `prefix` (and its current session); whether there was one.
    #[napi(catch_unwind)]
    pub fn remove_entry(&self, prefix: String) -> bool {
        self.inner.remove_entry(&prefix)
    }

    /// The entry for `uri` (longest prefix), or null.
    #[napi(catch_unwind)]
    pub fn select(&self, uri: String) -> Option<Gs1Entry> {
        self.inner.select(&uri).map(entry_js)
    }

    /// Every entry, ordered by prefix.
    #[napi(catch_unwind)]
    pub fn entries(&self) -> Vec<Gs1Entry> {
        self.inner.entries().into_iter().map(entry_js).collect()
    }

    /// Marks the current session of exactly `prefix` for rotation; whether there was one.
    #[napi(catch_unwind)]
    pub fn rotate(&self, prefix: String) -> bool {
        self.inner.rotate(&prefix)
    }

    /// The current session of exactly `prefix`, or null.
    #[napi(catch_unwind)]
    pub fn current_session(&self, prefix: String) -> Option<Gs1SessionInfo> {
        self.inner.current_session(&prefix).map(|s| Gs1SessionInfo {
            session_id: g::session_id_hex(&s.session_id),
            next: s.next,
            base: s.base,
            created_ms: s.created_ms as f64,
            not_after_ms: s.not_after_ms as f64,
        })
    }

    /// Calls awaiting their final reply.
    #[napi(getter)]
    pub fn pending_calls(&self) -> u32 {
        u32::try_from(self.inner.pending_calls()).unwrap_or(u32::MAX)
    }

    /// Key requests awaiting their response.
    #[napi(getter)]
    pub fn pending_key_requests(&self) -> u32 {
        u32::try_from(self.inner.pending_key_requests()).unwrap_or(u32::MAX)
    }

    /// Session records held.
    #[napi(getter)]
    pub fn sessions_held(&self) -> u32 {
        u32::try_from(self.inner.sessions_held()).unwrap_or(u32::MAX)
    }

    /// Seals `args`/`kwargs` as an event or call on `uri` (§8.4, plaintext of §13.1):
    /// `{ attributes, payload, payloadInList, sessionId, index, callHash }`
    /// (`callHash`, a call's name for `openReply`, is null for an event).
    #[napi(
        catch_unwind,
        ts_args_type = "uri: string, kind: 'event' | 'call', args?: unknown[] | null, kwargs?: Record<string, unknown> | null, options?: Gs1SealOptions",
        ts_return_type = "{ attributes: Record<string, string>, payload: Buffer, payloadInList: boolean, sessionId: string, index: number, callHash: Buffer | null }"
    )]
    pub fn seal(
        &self,
        env: Env,
        uri: String,
        kind: String,
        args: Option<Unknown>,
        kwargs: Option<Unknown>,
        options: Option<Gs1SealOptions>,
    ) -> Result<Fields> {
        let k = self::kind(&kind)?;
        let o = options.unwrap_or_default();
        let w = wire(o.dialect.as_deref())?;
        let now = now(o.now_ms)?;
        let args = js_args(&env, args)?;
        let kwargs = js_kwargs(&env, kwargs)?;
        let sealed = self
            .inner
            .seal_payload(&uri, k, args.as_deref(), kwargs.as_ref(), now)
            .map_err(|e| convert::value_err(&env, e))?;
        let sid = g::session_id_hex(&sealed.session_id);
        let mut f = envelope_fields(w, Some(&sid), sealed.envelope);
        f.0.push(("sessionId", F::Str(sid)));
        f.0.push(("index", F::U32(sealed.index)));
        f.0.push((
            "callHash",
            sealed.call_hash.map_or(F::Null, |h| F::Buf(h.to_vec())),
        ));
        Ok(f)
    }

    /// Opens an event or call that arrived for `uri` (§9.2), `keyId` being its
    /// `enc_key`/`ppt_keyid` (from `readEnvelope`): `{ sender, sessionId, index,
    /// timestampMs, args, kwargs, invocation }` (`invocation`, for a call, is what
    /// `sealReply` needs; its `caller` is `sender`).
    #[napi(
        catch_unwind,
        ts_args_type = "uri: string, kind: 'event' | 'call', keyId: string | null | undefined, envelope: Uint8Array, nowMs?: number",
        ts_return_type = "{ sender: string, sessionId: string, index: number, timestampMs: number, args: unknown[] | null, kwargs: Record<string, unknown> | null, invocation: Invocation | null }"
    )]
    pub fn open(
        &self,
        uri: String,
        kind: String,
        key_id: Option<String>,
        envelope: &[u8],
        now_ms: Option<f64>,
    ) -> Result<Fields> {
        let k = self::kind(&kind)?;
        let opened = self
            .inner
            .open(&uri, k, key_id.as_deref(), envelope, now(now_ms)?)
            .map_err(core_err)?;
        let payload = opened_payload(&uri, &opened.plaintext)?;
        let mut f = Fields(vec![
            ("sender", F::Str(opened.sender.fingerprint())),
            ("sessionId", F::Str(g::session_id_hex(&opened.session_id))),
            ("index", F::U32(opened.index)),
            ("timestampMs", F::F64(opened.timestamp_ms as f64)),
        ]);
        payload_fields(&mut f, payload);
        f.0.push((
            "invocation",
            opened.invocation.map_or(F::Null, F::Invocation),
        ));
        Ok(f)
    }

    /// Seals a reply to `invocation` (§10.4): `'progress'`, or the final `'result'`
    /// or `'error'` (with `errorUri`): `{ attributes, payload, payloadInList }`.
    #[napi(
        catch_unwind,
        ts_args_type = "invocation: Invocation, kind: 'result' | 'progress' | 'error', args?: unknown[] | null, kwargs?: Record<string, unknown> | null, errorUri?: string | null, options?: Gs1SealOptions",
        ts_return_type = "Envelope"
    )]
    #[allow(clippy::too_many_arguments)]
    pub fn seal_reply(
        &self,
        env: Env,
        invocation: &mut Invocation,
        kind: String,
        args: Option<Unknown>,
        kwargs: Option<Unknown>,
        error_uri: Option<String>,
        options: Option<Gs1SealOptions>,
    ) -> Result<Fields> {
        let k = self::kind(&kind)?;
        let w = wire(options.unwrap_or_default().dialect.as_deref())?;
        let args = js_args(&env, args)?;
        let kwargs = js_kwargs(&env, kwargs)?;
        let sealed = self
            .inner
            .seal_reply_payload(
                &mut invocation.inner,
                k,
                error_uri.as_deref(),
                args.as_deref(),
                kwargs.as_ref(),
            )
            .map_err(|e| convert::value_err(&env, e))?;
        Ok(envelope_fields(w, None, sealed))
    }

    /// Opens a reply to the call named `callHash` (§10.5). `kind` is what the WAMP
    /// message implies (`'progress'` for a RESULT with `progress: true`); `uri` is,
    /// for `'error'`, the ERROR's URI (required). For `'result'` and `'progress'` the
    /// payload is parsed for the call's own procedure (the core's record of the
    /// call); `uri` may be null there, and when given it must be that procedure
    /// (`WAMPE2E_URI_MISMATCH` otherwise, as before). `{ callee, kind, seq, args,
    /// kwargs }`.
    #[napi(
        catch_unwind,
        ts_args_type = "callHash: Uint8Array, kind: 'result' | 'progress' | 'error', uri: string | null | undefined, keyId: string | null | undefined, envelope: Uint8Array",
        ts_return_type = "{ callee: string, kind: 'result' | 'progress' | 'error', seq: number, args: unknown[] | null, kwargs: Record<string, unknown> | null }"
    )]
    pub fn open_reply(
        &self,
        call_hash: &[u8],
        kind: String,
        uri: Option<String>,
        key_id: Option<String>,
        envelope: &[u8],
    ) -> Result<Fields> {
        let k = self::kind(&kind)?;
        let call_hash = hash32("callHash", call_hash)?;
        let error_uri = if k == Kind::Error {
            uri.as_deref()
        } else {
            None
        };
        let opened = self
            .inner
            .open_reply(&call_hash, k, error_uri, key_id.as_deref(), envelope)
            .map_err(core_err)?;
        let payload = opened_payload(&opened.uri, &opened.plaintext)?;
        if let Some(given) = uri.as_deref().filter(|u| *u != opened.uri) {
            return Err(err_code(
                ErrorCode::UriMismatch,
                format!("uri {given:?}: the reply was sealed for {:?}", opened.uri),
            ));
        }
        let mut f = Fields(vec![
            ("callee", F::Str(opened.callee.fingerprint())),
            ("kind", F::Str(opened.kind.name().to_owned())),
            ("seq", F::U32(opened.seq)),
        ]);
        payload_fields(&mut f, payload);
        Ok(f)
    }

    /// Forgets a pending call (timed out, cancelled); whether it was pending.
    #[napi(catch_unwind)]
    pub fn forget_call(&self, call_hash: &[u8]) -> Result<bool> {
        Ok(self.inner.forget_call(&hash32("callHash", call_hash)?))
    }

    /// A signed key request (§11.1) to `target` for its session `sessionId`
    /// (`hex`, or null for its current one) from `fromIndex`, for this peer's entry
    /// of exactly `prefix`; pending until accepted or cancelled.
    #[napi(
        catch_unwind,
        ts_args_type = "target: Uint8Array | string, sessionId: string | null | undefined, fromIndex: number, prefix: string, nowMs?: number"
    )]
    pub fn key_request(
        &self,
        env: Env,
        target: Unknown,
        session_id: Option<String>,
        from_index: u32,
        prefix: String,
        now_ms: Option<f64>,
    ) -> Result<Gs1KeyRequest> {
        let target = required_key(&env, "target", &target, |k| {
            IdentityKey::from_input("target", k)
        })?;
        let sid = match session_id.as_deref() {
            None => [0; 16],
            Some(s) => g::session_id_from_hex("sessionId", s).map_err(core_err)?,
        };
        let r = self
            .inner
            .key_request(&target, sid, from_index, &prefix, now(now_ms)?)
            .map_err(core_err)?;
        Ok(Gs1KeyRequest {
            request: CopiedBuffer(r.request),
            request_hash: CopiedBuffer(r.request_hash.to_vec()),
        })
    }

    /// Answers a key request that reached this peer's key procedure (§11.5): the
    /// key response, the one binary of the RESULT; refusals throw with their code.
    #[napi(catch_unwind, ts_return_type = "Buffer")]
    pub fn answer_key_request(&self, request: &[u8], now_ms: Option<f64>) -> Result<CopiedBuffer> {
        Ok(CopiedBuffer(
            self.inner
                .answer_key_request(request, now(now_ms)?)
                .map_err(core_err)?,
        ))
    }

    /// Accepts the response to the pending request `requestHash` (§11.5).
    #[napi(catch_unwind)]
    pub fn accept_key_response(
        &self,
        request_hash: &[u8],
        response: &[u8],
        now_ms: Option<f64>,
    ) -> Result<Gs1AcceptedShare> {
        let h = hash32("requestHash", request_hash)?;
        let s = self
            .inner
            .accept_key_response(&h, response, now(now_ms)?)
            .map_err(core_err)?;
        Ok(Gs1AcceptedShare {
            sender: s.sender.fingerprint(),
            session_id: g::session_id_hex(&s.session_id),
            prefix: s.prefix,
            index: s.index,
            not_after_ms: s.not_after_ms as f64,
        })
    }

    /// Cancels a pending key request; whether it was pending.
    #[napi(catch_unwind)]
    pub fn cancel_key_request(&self, request_hash: &[u8]) -> Result<bool> {
        Ok(self
            .inner
            .cancel_key_request(&hash32("requestHash", request_hash)?))
    }

    /// The inbound decision of §12.1 for a message a GS1 entry may cover, before
    /// the keyring's (`inbound()`): `"open"` (a GS1 envelope: `open`/`openReply`
    /// it), `"plain"` (deliver the plaintext), `"exempt"` (a key procedure URI,
    /// `<base>.`: never sealed, never strict), or `"keyring"` (no GS1 entry covers
    /// it and it is no answer to a GS1 call: the keyring decides). Throws
    /// `WAMPE2E_UNEXPECTED_PLAINTEXT` (strict) or `WAMPE2E_INVALID_ENVELOPE`
    /// (another dialect) for a message to refuse.
    #[napi(catch_unwind)]
    pub fn inbound(&self, arrival: Gs1Arrival) -> Result<String> {
        let mk: wampe2e::MessageKind = arrival.kind.parse().map_err(core_err)?;
        // `route` asks only whether a GS1 envelope arrived, not where it was.
        let arrived = match arrival.scheme.as_str() {
            "gs1" => Arrived::Gs1 {
                dialect: WireDialect::Enc,
                key_id: None,
            },
            "other" => Arrived::Other,
            "plain" => Arrived::Plain,
            _ => {
                return Err(invalid(
                    "scheme: expected \"gs1\", \"other\" or \"plain\"".to_owned(),
                ))
            }
        };
        let route = envelope::route(
            &self.inner,
            mk,
            &arrival.uri,
            &arrived,
            arrival.request_gs1.unwrap_or(false),
            arrival.strict.unwrap_or(true),
            arrival.base.as_deref(),
        )
        .map_err(core_err)?;
        Ok(match route {
            Route::Open => "open",
            Route::Plain => "plain",
            Route::Exempt => "exempt",
            Route::Keyring => "keyring",
        }
        .to_owned())
    }
}

/// What arrived, for `Group.inbound`.
#[napi(object)]
pub struct Gs1Arrival {
    /// `"event"`, `"invocation"`, `"result"` or `"error"`.
    #[napi(ts_type = "'event' | 'invocation' | 'result' | 'error'")]
    pub kind: String,
    /// The URI (resolved: topic, procedure, the procedure called, the error URI).
    pub uri: String,
    /// What `readEnvelope` found: `"gs1"`, `"other"` (cryptobox, ppt `wamp`, …) or `"plain"`.
    #[napi(ts_type = "'gs1' | 'other' | 'plain'")]
    pub scheme: String,
    /// RESULT/ERROR: whether our CALL was sealed with GS1.
    pub request_gs1: Option<bool>,
    /// Strict (default true): plaintext on a covered URI is refused.
    pub strict: Option<bool>,
    /// The key procedure base (default `wampe2e.key`).
    pub base: Option<String>,
}

/// Reads a received message's attributes and payload as §12.1 does:
/// `{ scheme: 'gs1', keyId, envelope }` for a GS1 envelope (`keyId` null when
/// absent), `{ scheme: 'other' }` for another dialect's, `{ scheme: 'plain' }`
/// for none; throws `WAMPE2E_INVALID_ENVELOPE`, `WAMPE2E_UNKNOWN_SERIALIZER` or
/// `WAMPE2E_UNKNOWN_CIPHER`. `args` is what sits at the Arguments position (the
/// bare envelope for `enc_*`, `[envelope]` for `ppt_*`).
#[napi(
    catch_unwind,
    ts_args_type = "attributes: Record<string, unknown> | null | undefined, args: unknown, kwargs?: unknown",
    ts_return_type = "{ scheme: 'gs1' | 'other' | 'plain', keyId?: string | null, envelope?: Buffer }"
)]
pub fn read_envelope(
    attributes: Option<Unknown>,
    args: Option<Unknown>,
    kwargs: Option<Unknown>,
) -> Result<Fields> {
    let bad = |msg: &str| err_code(ErrorCode::InvalidEnvelope, msg);
    let attrs = match attributes {
        Some(a) if a.get_type().ok() == Some(ValueType::Object) => {
            // SAFETY: the type was checked in this arm.
            Some(unsafe { a.cast::<Object>() }.map_err(napi_err)?)
        }
        _ => None,
    };
    // The attributes the core reads are those GS1 writes (§12.1): each is read off
    // the JS object once, when the core first asks for it.
    let names: Vec<&'static str> = [WireDialect::Enc, WireDialect::Ppt]
        .into_iter()
        .flat_map(|d| envelope::attributes(d, Some("")))
        .map(|(name, _)| name)
        .collect();
    let cells: Vec<OnceCell<JsAttr>> = names.iter().map(|_| OnceCell::new()).collect();
    let read = |name: &str| -> JsAttr {
        let Some(o) = attrs.as_ref() else {
            return JsAttr::Absent;
        };
        let Ok(v) = o.get_named_property::<Unknown>(name) else {
            return JsAttr::NotString; // a getter that throws: not a string either
        };
        match v.get_type().ok() {
            Some(ValueType::Undefined | ValueType::Null) => JsAttr::Absent,
            Some(ValueType::String) => {
                // SAFETY: the type was checked in this arm.
                unsafe { v.cast::<String>() }.map_or(JsAttr::NotString, JsAttr::Str)
            }
            _ => JsAttr::NotString,
        }
    };
    let cells = &cells;
    let arrived = envelope::read_attributes(|name| {
        let i = names.iter().position(|n| *n == name)?;
        match cells.get(i)?.get_or_init(|| read(name)) {
            JsAttr::Absent => None,
            JsAttr::Str(s) => Some(Attr::Str(s)),
            JsAttr::NotString => Some(Attr::NotString),
        }
    })
    .map_err(core_err)?;
    let (dialect, key_id) = match arrived {
        Arrived::Plain => return Ok(Fields(vec![("scheme", F::Str("plain".into()))])),
        Arrived::Other => return Ok(Fields(vec![("scheme", F::Str("other".into()))])),
        Arrived::Gs1 { dialect, key_id } => (dialect, key_id),
    };
    let bytes = |u: &Unknown| -> Option<Vec<u8>> {
        if u.get_type().ok() != Some(ValueType::Object) {
            return None;
        }
        // SAFETY: an object; the casts check what kind.
        if let Ok(b) = unsafe { u.cast::<Uint8ArraySlice>() } {
            return Some(b.to_vec());
        }
        // SAFETY: as above.
        unsafe { u.cast::<ArrayBuffer>() }.ok().map(|b| b.to_vec())
    };
    let envelope = match dialect {
        WireDialect::Enc => args
            .as_ref()
            .and_then(bytes)
            .ok_or_else(|| bad("GS1 enc_* payload is not one bare binary"))?,
        WireDialect::Ppt => (|| {
            let a = args.as_ref()?;
            if !a.is_array().ok()? {
                return None;
            }
            // SAFETY: an array is an object.
            let arr = unsafe { a.cast::<Object>() }.ok()?;
            if arr.get_array_length().ok()? != 1 {
                return None;
            }
            bytes(&arr.get_element::<Unknown>(0).ok()?)
        })()
        .ok_or_else(|| bad("GS1 ppt_* Arguments is not a list of one binary"))?,
    };
    let kwargs_absent = kwargs.as_ref().is_none_or(|u| {
        matches!(
            u.get_type().ok(),
            Some(ValueType::Undefined | ValueType::Null)
        )
    });
    if !kwargs_absent {
        return Err(bad(match dialect {
            WireDialect::Enc => "GS1 enc_* message carries ArgumentsKw",
            WireDialect::Ppt => "GS1 ppt_* message carries ArgumentsKw",
        }));
    }
    Ok(Fields(vec![
        ("scheme", F::Str("gs1".into())),
        ("keyId", key_id.map_or(F::Null, F::Str)),
        ("envelope", F::Buf(envelope)),
    ]))
}

/// An attribute as `readEnvelope` found it on the JS object.
enum JsAttr {
    /// `undefined` or `null`.
    Absent,
    Str(String),
    NotString,
}

/// Whether `uri` is a key procedure, `<base>.<something>` (§5; `base` defaults to
/// `wampe2e.key`): never sealed, and exempt from strictness.
#[napi(catch_unwind)]
pub fn is_key_procedure(uri: String, base: Option<String>) -> bool {
    envelope::is_key_procedure(&uri, base.as_deref())
}

/// The error URI of a refusal with the code named `code` (§11.4), e.g.
/// `refusalUri('WAMPE2E_KEY_REFUSED') === 'wampe2e.error.key_refused'`; throws
/// `WAMPE2E_INVALID_ARGUMENT` for a name that is no code.
#[napi(catch_unwind)]
pub fn refusal_uri(code: String) -> Result<String> {
    Ok(envelope::refusal_uri(error_code_named(&code)?))
}

/// The code name a key fetch ends with for an ERROR's URI (§11.4): a refusal's
/// own code, or `WAMPE2E_KEY_FETCH_FAILED` for any other.
#[napi(catch_unwind)]
pub fn fetch_error_code(error_uri: String) -> String {
    core_fetch_error_code(&error_uri).name().to_owned()
}

/// Bounds of a [`Held`] queue (§11.6).
#[napi(object)]
#[derive(Default)]
pub struct HeldOptions {
    /// Messages held per session (default 256).
    pub max_per_session: Option<u32>,
    /// Messages held in all (default 4096).
    pub max_total: Option<u32>,
    /// How long a fetch may take, and how long its failure is remembered (default 10 000).
    pub max_wait_ms: Option<f64>,
    /// The key procedure base (default `wampe2e.key`).
    pub base: Option<String>,
}

/// A key fetch to make: CALL `procedure` with `request` as its one binary argument.
#[napi(object, object_from_js = false)]
pub struct Gs1Fetch {
    /// The sender's key procedure.
    pub procedure: String,
    /// The signed key request.
    #[napi(ts_type = "Buffer")]
    pub request: CopiedBuffer,
    /// Names the fetch (for `acceptKeyResponse`, `release`, `fail`).
    #[napi(ts_type = "Buffer")]
    pub request_hash: CopiedBuffer,
    /// The sender asked (hex).
    pub sender: String,
    /// The session asked for (hex).
    pub session_id: String,
}

/// Messages held while their session's key is fetched (§11.6, the core's
/// `Held`), by ticket number: the caller keeps ticket → message.
#[napi]
pub struct Held {
    inner: Mutex<g::Held<u32>>,
}

fn error_code_named(name: &str) -> Result<ErrorCode> {
    ErrorCode::from_name(name).ok_or_else(|| {
        invalid(format!(
            "code: expected a WAMPE2E_* code name (got {} characters)",
            name.chars().count()
        ))
    })
}

impl Held {
    fn queue(&self) -> std::sync::MutexGuard<'_, g::Held<u32>> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[napi]
impl Held {
    /// An empty queue.
    #[napi(constructor, catch_unwind)]
    pub fn new(options: Option<HeldOptions>) -> Result<Held> {
        let o = options.unwrap_or_default();
        let d = HeldLimits::default();
        let limits = HeldLimits {
            max_per_session: o.max_per_session.map_or(d.max_per_session, |n| n as usize),
            max_total: o.max_total.map_or(d.max_total, |n| n as usize),
            max_wait_ms: ms("maxWaitMs", o.max_wait_ms, d.max_wait_ms)?,
        };
        Ok(Held {
            inner: Mutex::new(g::Held::new(limits, o.base.as_deref()).map_err(core_err)?),
        })
    }

    /// Holds the message `ticket`, whose `envelope` of `kind` arrived for `uri` and
    /// that `open` refused with `WAMPE2E_UNKNOWN_SESSION`: the fetch to make now,
    /// or null when it waits behind one under way. Throws (the message is then not
    /// held) `WAMPE2E_HOLD_OVERFLOW`, a recent failed fetch's code, and others.
    #[napi(
        catch_unwind,
        ts_args_type = "group: Group, uri: string, kind: 'event' | 'call', envelope: Uint8Array, ticket: number, nowMs?: number"
    )]
    pub fn hold(
        &self,
        group: &Group,
        uri: String,
        kind: String,
        envelope: &[u8],
        ticket: u32,
        now_ms: Option<f64>,
    ) -> Result<Option<Gs1Fetch>> {
        let k = self::kind(&kind)?;
        let h = self
            .queue()
            .hold(&group.inner, &uri, k, envelope, ticket, now(now_ms)?)
            .map_err(core_err)?;
        Ok(match h {
            g::Hold::Waiting => None,
            g::Hold::Fetch(f) => Some(Gs1Fetch {
                procedure: f.procedure,
                request: CopiedBuffer(f.request),
                request_hash: CopiedBuffer(f.request_hash.to_vec()),
                sender: f.sender.fingerprint(),
                session_id: g::session_id_hex(&f.session_id),
            }),
        })
    }

    /// The tickets held behind the fetch `requestHash`, in the sender's order, once
    /// its response was accepted: open each now.
    #[napi(catch_unwind)]
    pub fn release(&self, request_hash: &[u8]) -> Result<Vec<u32>> {
        Ok(self.queue().release(&hash32("requestHash", request_hash)?))
    }

    /// Ends the fetch `requestHash` with the code named `code`; its tickets, to
    /// report with that code.
    #[napi(catch_unwind)]
    pub fn fail(
        &self,
        group: &Group,
        request_hash: &[u8],
        code: String,
        now_ms: Option<f64>,
    ) -> Result<Vec<u32>> {
        let h = hash32("requestHash", request_hash)?;
        let code = error_code_named(&code)?;
        Ok(self.queue().fail(&group.inner, &h, code, now(now_ms)?))
    }

    /// Ends every fetch older than `maxWaitMs` with `WAMPE2E_KEY_FETCH_FAILED`; their tickets.
    #[napi(catch_unwind)]
    pub fn expire(&self, group: &Group, now_ms: Option<f64>) -> Result<Vec<u32>> {
        Ok(self.queue().expire(&group.inner, now(now_ms)?))
    }

    /// Whether the fetch `requestHash` is under way.
    #[napi(catch_unwind)]
    pub fn is_fetching(&self, request_hash: &[u8]) -> Result<bool> {
        Ok(self
            .queue()
            .is_fetching(&hash32("requestHash", request_hash)?))
    }

    /// Messages held in all.
    #[napi(getter)]
    pub fn size(&self) -> u32 {
        u32::try_from(self.queue().len()).unwrap_or(u32::MAX)
    }

    /// Fetches under way.
    #[napi(getter)]
    pub fn fetches(&self) -> u32 {
        u32::try_from(self.queue().fetches()).unwrap_or(u32::MAX)
    }
}
