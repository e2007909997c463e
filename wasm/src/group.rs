//! GS1 group sessions (`docs/gs1.md`) for JS: [`Identity`], a peer's [`Group`]
//! state and the [`Held`] queue of messages waiting for a session's key, with the
//! names, options, result shapes and errors of the Node addon (`node/src/group.rs`).
//! Each method converts its arguments, calls one core function and converts the
//! result; errors carry the core's code name.
//!
//! The wire of §12.1 is the core's `group::envelope`: the attributes
//! `seal`/`sealReply` return, the attribute rules of `readEnvelope` and the
//! inbound decision of `Group.inbound`. What stays here is the JS shape: reading
//! attribute values off a JS object and taking the envelope from the dialect's
//! payload position.

use crate::convert::{
    absent, bytes_arg, bytes_js, bytes_of, core_err, invalid, js_args, js_kwargs, opt_bool_arg,
    opt_f64_arg, opt_js, opt_string_arg, opt_u32_arg, prop, required_key, set, string_arg, u32_arg,
    u32s_js, value_err, wrong_type, Result,
};
use js_sys::{Array, Object, Reflect};
use std::cell::OnceCell;
use std::sync::{Arc, Mutex};
use wampe2e::group::envelope::{self, Arrived, Attr, Route, WireDialect};
use wampe2e::group::{
    self as g, fetch_error_code as core_fetch_error_code, HeldLimits, IdentityKey, Kind, Params,
    TrustEntry,
};
use wampe2e::{Error, ErrorCode, KeyInput};
use wasm_bindgen::prelude::*;

fn err_code(code: ErrorCode, msg: impl Into<String>) -> JsValue {
    core_err(Error::new(code, msg))
}

/// The clock: `now_ms` when given (tests), else the JS clock (`Date.now()`:
/// `SystemTime::now()` panics on wasm32-unknown-unknown).
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
        None => {
            let t = js_sys::Date::now();
            Ok(if t.is_finite() && t >= 0.0 {
                t as u64
            } else {
                0
            })
        }
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

/// A number as JS sees it.
fn num(n: u32) -> JsValue {
    JsValue::from_f64(f64::from(n))
}

/// An options argument: undefined/null (`None`) or an object.
fn options_arg(what: &str, v: &JsValue) -> Result<Option<JsValue>> {
    if absent(v) {
        Ok(None)
    } else if v.is_object() {
        Ok(Some(v.clone()))
    } else {
        Err(wrong_type(what, "an object", v))
    }
}

/// The core's attributes of §12.1 (`envelope::attributes`), in its order.
fn attributes(w: WireDialect, key_id: Option<&str>) -> Object {
    let o = Object::new();
    for (name, value) in envelope::attributes(w, key_id) {
        set(&o, name, JsValue::from_str(&value));
    }
    o
}

/// `{ attributes, payload, payloadInList }`, as the keyring's `Envelope`.
fn envelope_fields(w: WireDialect, key_id: Option<&str>, envelope: &[u8]) -> Object {
    let o = Object::new();
    set(&o, "attributes", attributes(w, key_id).into());
    set(&o, "payload", bytes_js(envelope));
    set(
        &o,
        "payloadInList",
        JsValue::from_bool(w == WireDialect::Ppt),
    );
    o
}

fn payload_fields(o: &Object, p: wampe2e::Payload) {
    set(o, "args", opt_js(p.args.map(wampe2e::Value::List)));
    set(o, "kwargs", opt_js(p.kwargs.map(wampe2e::Value::Map)));
}

/// Options of `seal` and `sealReply`: `{ dialect, nowMs }`.
#[derive(Default)]
struct Gs1SealOptions {
    /// `"enc"` (Autobahn/Crossbar `enc_*`, the default) or `"ppt"` (`ppt_*`).
    dialect: Option<String>,
    /// The clock, in milliseconds since the Unix epoch (default: the system's).
    now_ms: Option<f64>,
}

fn seal_options(v: &JsValue) -> Result<Gs1SealOptions> {
    let Some(o) = options_arg("options", v)? else {
        return Ok(Gs1SealOptions::default());
    };
    Ok(Gs1SealOptions {
        dialect: opt_string_arg("options.dialect", &prop(&o, "dialect"))?,
        now_ms: opt_f64_arg("options.nowMs", &prop(&o, "nowMs"))?,
    })
}

/// A GS1 identity (§5): an Ed25519 key pair. The seed never leaves the module.
#[wasm_bindgen]
pub struct Identity {
    inner: g::Identity,
}

#[wasm_bindgen]
impl Identity {
    /// A fresh identity from the platform's RNG (`crypto.getRandomValues`).
    pub fn generate() -> Result<Identity> {
        Ok(Identity {
            inner: g::Identity::generate().map_err(core_err)?,
        })
    }

    /// The identity of a 32-byte seed (a `Uint8Array`, or 64 hex digits / base64).
    #[wasm_bindgen(js_name = fromSeed)]
    pub fn from_seed(seed: JsValue) -> Result<Identity> {
        let inner = required_key("seed", &seed, |k| g::Identity::from_input("seed", k))?;
        Ok(Identity { inner })
    }

    /// The GS1 identity derived from a WAMP-cryptosign seed (§5: never that key itself).
    #[wasm_bindgen(js_name = fromCryptosignSeed)]
    pub fn from_cryptosign_seed(seed: JsValue) -> Result<Identity> {
        let inner = required_key("seed", &seed, |k: KeyInput<'_>| {
            Ok(g::Identity::from_cryptosign_seed(&*k.decode("seed")?))
        })?;
        Ok(Identity { inner })
    }

    /// The public key (32 bytes, a `Uint8Array`): what peers pin.
    #[wasm_bindgen(getter, js_name = publicKey)]
    pub fn public_key(&self) -> JsValue {
        bytes_js(self.inner.public().as_bytes())
    }

    /// `hex(publicKey)` (§5).
    #[wasm_bindgen(getter)]
    pub fn fingerprint(&self) -> String {
        self.inner.fingerprint()
    }

    /// This identity's key procedure, `<base>.<fingerprint>` (`base` defaults to `wampe2e.key`).
    #[wasm_bindgen(js_name = keyProcedure)]
    pub fn key_procedure(&self, base: JsValue) -> Result<String> {
        let base = opt_string_arg("base", &base)?;
        Ok(self
            .inner
            .key_procedure(base.as_deref().unwrap_or(g::DEFAULT_KEY_PROCEDURE_BASE)))
    }
}

/// A trust entry (§6) as JS `{ prefix, senders, receivers }`, keys as hex.
fn entry_js(e: TrustEntry) -> JsValue {
    let keys = |ks: &std::collections::BTreeSet<IdentityKey>| -> JsValue {
        ks.iter()
            .map(|k| JsValue::from_str(&k.fingerprint()))
            .collect::<Array>()
            .into()
    };
    let o = Object::new();
    set(&o, "prefix", JsValue::from_str(&e.prefix));
    set(&o, "senders", keys(&e.senders));
    set(&o, "receivers", keys(&e.receivers));
    o.into()
}

/// What a replier needs of an opened call (§10.4): pass it to `sealReply`. Holds
/// no secret (the caller's reply key is public).
#[wasm_bindgen]
pub struct Invocation {
    inner: g::Invocation,
}

#[wasm_bindgen]
impl Invocation {
    /// The caller's identity (hex): authenticated by the call's signature.
    #[wasm_bindgen(getter)]
    pub fn caller(&self) -> String {
        self.inner.caller.fingerprint()
    }

    /// The procedure the call was signed for.
    #[wasm_bindgen(getter)]
    pub fn procedure(&self) -> String {
        self.inner.call_uri.clone()
    }

    /// The sequence number of the next reply.
    #[wasm_bindgen(getter, js_name = nextSeq)]
    pub fn next_seq(&self) -> u32 {
        self.inner.next_seq
    }

    /// Whether the final reply was sealed.
    #[wasm_bindgen(getter)]
    pub fn finished(&self) -> bool {
        self.inner.finished
    }
}

/// The keys of an array argument (hex/base64 strings or 32-byte `Uint8Array`s).
fn identity_keys(what: &str, v: &JsValue) -> Result<Vec<IdentityKey>> {
    if !Array::is_array(v) {
        return Err(wrong_type(what, "an array of public keys", v));
    }
    let arr: &Array = v.unchecked_ref();
    let mut out = Vec::with_capacity((arr.length() as usize).min(crate::convert::PREALLOCATE));
    for (i, item) in arr.iter().enumerate() {
        let name = format!("{what}[{i}]");
        out.push(required_key(&name, &item, |k| {
            IdentityKey::from_input(&name, k)
        })?);
    }
    Ok(out)
}

/// One peer's GS1 state (shared by its adapters).
#[wasm_bindgen]
pub struct Group {
    inner: Arc<g::Group>,
}

fn opened_payload(signed_uri: &str, plaintext: &[u8]) -> Result<wampe2e::Payload> {
    g::parse_payload(signed_uri, plaintext).map_err(core_err)
}

#[wasm_bindgen]
impl Group {
    /// A peer with `identity` (copied in), no entries, and `options` (§9.4):
    /// `{ maxMessages, maxAgeMs, maxSkewMs, graceMs, shareBacklog }`, absent ones
    /// taking the defaults.
    #[wasm_bindgen(constructor)]
    pub fn new(identity: &Identity, options: JsValue) -> Result<Group> {
        let o = options_arg("options", &options)?;
        let field = |name: &str| o.as_ref().map_or(JsValue::UNDEFINED, |o| prop(o, name));
        let max_messages = opt_u32_arg("options.maxMessages", &field("maxMessages"))?;
        let max_age_ms = opt_f64_arg("options.maxAgeMs", &field("maxAgeMs"))?;
        let max_skew_ms = opt_f64_arg("options.maxSkewMs", &field("maxSkewMs"))?;
        let grace_ms = opt_f64_arg("options.graceMs", &field("graceMs"))?;
        let share_backlog = opt_u32_arg("options.shareBacklog", &field("shareBacklog"))?;
        let d = Params::default();
        let params = Params {
            max_messages: max_messages.unwrap_or(d.max_messages),
            max_age_ms: ms("maxAgeMs", max_age_ms, d.max_age_ms)?,
            max_skew_ms: ms("maxSkewMs", max_skew_ms, d.max_skew_ms)?,
            grace_ms: ms("graceMs", grace_ms, d.grace_ms)?,
            share_backlog: share_backlog.unwrap_or(d.share_backlog),
        };
        let group = g::Group::with_params(identity.inner.clone(), params).map_err(core_err)?;
        Ok(Group {
            inner: Arc::new(group),
        })
    }

    /// This peer's public key (32 bytes, a `Uint8Array`).
    #[wasm_bindgen(getter, js_name = publicKey)]
    pub fn public_key(&self) -> JsValue {
        bytes_js(self.inner.public().as_bytes())
    }

    /// This peer's fingerprint, `hex(publicKey)`.
    #[wasm_bindgen(getter)]
    pub fn fingerprint(&self) -> String {
        self.inner.public().fingerprint()
    }

    /// This peer's key procedure, `<base>.<fingerprint>` (`base` defaults to `wampe2e.key`).
    #[wasm_bindgen(js_name = keyProcedure)]
    pub fn key_procedure(&self, base: JsValue) -> Result<String> {
        let base = opt_string_arg("base", &base)?;
        Ok(self
            .inner
            .identity()
            .key_procedure(base.as_deref().unwrap_or(g::DEFAULT_KEY_PROCEDURE_BASE)))
    }

    /// Sets the entry for `prefix` (§6), replacing any: `senders` (publishers,
    /// callers) and `receivers` (subscribers, callees) as 32-byte `Uint8Array`s or
    /// hex/base64 strings. Dropping a receiver rotates the prefix's session.
    #[wasm_bindgen(js_name = setEntry)]
    pub fn set_entry(&self, prefix: JsValue, senders: JsValue, receivers: JsValue) -> Result<()> {
        let prefix = string_arg("prefix", &prefix)?;
        let senders = identity_keys("senders", &senders)?;
        let receivers = identity_keys("receivers", &receivers)?;
        self.inner
            .set_entry(TrustEntry::new(&prefix, senders, receivers));
        Ok(())
    }

    /// Removes the entry for exactly `prefix` (and its current session); whether there was one.
    #[wasm_bindgen(js_name = removeEntry)]
    pub fn remove_entry(&self, prefix: JsValue) -> Result<bool> {
        Ok(self.inner.remove_entry(&string_arg("prefix", &prefix)?))
    }

    /// The entry for `uri` (longest prefix), `{ prefix, senders, receivers }`, or null.
    pub fn select(&self, uri: JsValue) -> Result<JsValue> {
        let uri = string_arg("uri", &uri)?;
        Ok(self.inner.select(&uri).map_or(JsValue::NULL, entry_js))
    }

    /// Every entry, ordered by prefix.
    pub fn entries(&self) -> Array {
        self.inner.entries().into_iter().map(entry_js).collect()
    }

    /// Marks the current session of exactly `prefix` for rotation; whether there was one.
    pub fn rotate(&self, prefix: JsValue) -> Result<bool> {
        Ok(self.inner.rotate(&string_arg("prefix", &prefix)?))
    }

    /// The current session of exactly `prefix`, `{ sessionId, next, base,
    /// createdMs, notAfterMs }` (without its keys), or null.
    #[wasm_bindgen(js_name = currentSession)]
    pub fn current_session(&self, prefix: JsValue) -> Result<JsValue> {
        let prefix = string_arg("prefix", &prefix)?;
        Ok(self
            .inner
            .current_session(&prefix)
            .map_or(JsValue::NULL, |s| {
                let o = Object::new();
                set(
                    &o,
                    "sessionId",
                    JsValue::from_str(&g::session_id_hex(&s.session_id)),
                );
                set(&o, "next", num(s.next));
                set(&o, "base", num(s.base));
                set(&o, "createdMs", JsValue::from_f64(s.created_ms as f64));
                set(&o, "notAfterMs", JsValue::from_f64(s.not_after_ms as f64));
                o.into()
            }))
    }

    /// Calls awaiting their final reply.
    #[wasm_bindgen(getter, js_name = pendingCalls)]
    pub fn pending_calls(&self) -> u32 {
        u32::try_from(self.inner.pending_calls()).unwrap_or(u32::MAX)
    }

    /// Key requests awaiting their response.
    #[wasm_bindgen(getter, js_name = pendingKeyRequests)]
    pub fn pending_key_requests(&self) -> u32 {
        u32::try_from(self.inner.pending_key_requests()).unwrap_or(u32::MAX)
    }

    /// Session records held.
    #[wasm_bindgen(getter, js_name = sessionsHeld)]
    pub fn sessions_held(&self) -> u32 {
        u32::try_from(self.inner.sessions_held()).unwrap_or(u32::MAX)
    }

    /// Seals `args`/`kwargs` as an event or call on `uri` (§8.4, plaintext of §13.1):
    /// `{ attributes, payload, payloadInList, sessionId, index, callHash }`
    /// (`callHash`, a call's name for `openReply`, is null for an event).
    pub fn seal(
        &self,
        uri: JsValue,
        kind: JsValue,
        args: JsValue,
        kwargs: JsValue,
        options: JsValue,
    ) -> Result<JsValue> {
        let uri = string_arg("uri", &uri)?;
        let kind = string_arg("kind", &kind)?;
        let o = seal_options(&options)?;
        let k = self::kind(&kind)?;
        let w = wire(o.dialect.as_deref())?;
        let now = now(o.now_ms)?;
        let args = js_args(&args)?;
        let kwargs = js_kwargs(&kwargs)?;
        let sealed = self
            .inner
            .seal_payload(&uri, k, args.as_deref(), kwargs.as_ref(), now)
            .map_err(value_err)?;
        let sid = g::session_id_hex(&sealed.session_id);
        let f = envelope_fields(w, Some(&sid), &sealed.envelope);
        set(&f, "sessionId", JsValue::from_str(&sid));
        set(&f, "index", num(sealed.index));
        set(
            &f,
            "callHash",
            sealed.call_hash.map_or(JsValue::NULL, |h| bytes_js(&h)),
        );
        Ok(f.into())
    }

    /// Opens an event or call that arrived for `uri` (§9.2), `keyId` being its
    /// `enc_key`/`ppt_keyid` (from `readEnvelope`): `{ sender, sessionId, index,
    /// timestampMs, args, kwargs, invocation }` (`invocation`, for a call, is what
    /// `sealReply` needs; its `caller` is `sender`).
    pub fn open(
        &self,
        uri: JsValue,
        kind: JsValue,
        key_id: JsValue,
        envelope: JsValue,
        now_ms: JsValue,
    ) -> Result<JsValue> {
        let uri = string_arg("uri", &uri)?;
        let kind = string_arg("kind", &kind)?;
        let key_id = opt_string_arg("keyId", &key_id)?;
        let envelope = bytes_arg("envelope", &envelope)?;
        let now_ms = opt_f64_arg("nowMs", &now_ms)?;
        let k = self::kind(&kind)?;
        let opened = self
            .inner
            .open(&uri, k, key_id.as_deref(), &envelope, now(now_ms)?)
            .map_err(core_err)?;
        let payload = opened_payload(&uri, &opened.plaintext)?;
        let f = Object::new();
        set(
            &f,
            "sender",
            JsValue::from_str(&opened.sender.fingerprint()),
        );
        set(
            &f,
            "sessionId",
            JsValue::from_str(&g::session_id_hex(&opened.session_id)),
        );
        set(&f, "index", num(opened.index));
        set(
            &f,
            "timestampMs",
            JsValue::from_f64(opened.timestamp_ms as f64),
        );
        payload_fields(&f, payload);
        set(
            &f,
            "invocation",
            opened
                .invocation
                .map_or(JsValue::NULL, |inner| JsValue::from(Invocation { inner })),
        );
        Ok(f.into())
    }

    /// Seals a reply to `invocation` (§10.4): `'progress'`, or the final `'result'`
    /// or `'error'` (with `errorUri`): `{ attributes, payload, payloadInList }`.
    #[wasm_bindgen(js_name = sealReply)]
    pub fn seal_reply(
        &self,
        invocation: &mut Invocation,
        kind: JsValue,
        args: JsValue,
        kwargs: JsValue,
        error_uri: JsValue,
        options: JsValue,
    ) -> Result<JsValue> {
        let kind = string_arg("kind", &kind)?;
        let error_uri = opt_string_arg("errorUri", &error_uri)?;
        let o = seal_options(&options)?;
        let k = self::kind(&kind)?;
        let w = wire(o.dialect.as_deref())?;
        let args = js_args(&args)?;
        let kwargs = js_kwargs(&kwargs)?;
        let sealed = self
            .inner
            .seal_reply_payload(
                &mut invocation.inner,
                k,
                error_uri.as_deref(),
                args.as_deref(),
                kwargs.as_ref(),
            )
            .map_err(value_err)?;
        Ok(envelope_fields(w, None, &sealed).into())
    }

    /// Opens a reply to the call named `callHash` (§10.5). `kind` is what the WAMP
    /// message implies (`'progress'` for a RESULT with `progress: true`); `uri` is,
    /// for `'error'`, the ERROR's URI (required). For `'result'` and `'progress'` the
    /// payload is parsed for the call's own procedure (the core's record of the
    /// call); `uri` may be null there, and when given it must be that procedure
    /// (`WAMPE2E_URI_MISMATCH` otherwise). `{ callee, kind, seq, args, kwargs }`.
    #[wasm_bindgen(js_name = openReply)]
    pub fn open_reply(
        &self,
        call_hash: JsValue,
        kind: JsValue,
        uri: JsValue,
        key_id: JsValue,
        envelope: JsValue,
    ) -> Result<JsValue> {
        let call_hash = bytes_arg("callHash", &call_hash)?;
        let kind = string_arg("kind", &kind)?;
        let uri = opt_string_arg("uri", &uri)?;
        let key_id = opt_string_arg("keyId", &key_id)?;
        let envelope = bytes_arg("envelope", &envelope)?;
        let k = self::kind(&kind)?;
        let call_hash = hash32("callHash", &call_hash)?;
        let error_uri = if k == Kind::Error {
            uri.as_deref()
        } else {
            None
        };
        let opened = self
            .inner
            .open_reply(&call_hash, k, error_uri, key_id.as_deref(), &envelope)
            .map_err(core_err)?;
        let payload = opened_payload(&opened.uri, &opened.plaintext)?;
        if let Some(given) = uri.as_deref().filter(|u| *u != opened.uri) {
            return Err(err_code(
                ErrorCode::UriMismatch,
                format!("uri {given:?}: the reply was sealed for {:?}", opened.uri),
            ));
        }
        let f = Object::new();
        set(
            &f,
            "callee",
            JsValue::from_str(&opened.callee.fingerprint()),
        );
        set(&f, "kind", JsValue::from_str(opened.kind.name()));
        set(&f, "seq", num(opened.seq));
        payload_fields(&f, payload);
        Ok(f.into())
    }

    /// Forgets a pending call (timed out, cancelled); whether it was pending.
    #[wasm_bindgen(js_name = forgetCall)]
    pub fn forget_call(&self, call_hash: JsValue) -> Result<bool> {
        let call_hash = bytes_arg("callHash", &call_hash)?;
        Ok(self.inner.forget_call(&hash32("callHash", &call_hash)?))
    }

    /// A signed key request (§11.1) to `target` for its session `sessionId`
    /// (`hex`, or null for its current one) from `fromIndex`, for this peer's entry
    /// of exactly `prefix`; pending until accepted or cancelled: `{ request,
    /// requestHash }`.
    #[wasm_bindgen(js_name = keyRequest)]
    pub fn key_request(
        &self,
        target: JsValue,
        session_id: JsValue,
        from_index: JsValue,
        prefix: JsValue,
        now_ms: JsValue,
    ) -> Result<JsValue> {
        let session_id = opt_string_arg("sessionId", &session_id)?;
        let from_index = u32_arg("fromIndex", &from_index)?;
        let prefix = string_arg("prefix", &prefix)?;
        let now_ms = opt_f64_arg("nowMs", &now_ms)?;
        let target = required_key("target", &target, |k| IdentityKey::from_input("target", k))?;
        let sid = match session_id.as_deref() {
            None => [0; 16],
            Some(s) => g::session_id_from_hex("sessionId", s).map_err(core_err)?,
        };
        let r = self
            .inner
            .key_request(&target, sid, from_index, &prefix, now(now_ms)?)
            .map_err(core_err)?;
        let o = Object::new();
        set(&o, "request", bytes_js(&r.request));
        set(&o, "requestHash", bytes_js(&r.request_hash));
        Ok(o.into())
    }

    /// Answers a key request that reached this peer's key procedure (§11.5): the
    /// key response (a `Uint8Array`), the one binary of the RESULT; refusals throw
    /// with their code.
    #[wasm_bindgen(js_name = answerKeyRequest)]
    pub fn answer_key_request(&self, request: JsValue, now_ms: JsValue) -> Result<JsValue> {
        let request = bytes_arg("request", &request)?;
        let now_ms = opt_f64_arg("nowMs", &now_ms)?;
        Ok(bytes_js(
            &self
                .inner
                .answer_key_request(&request, now(now_ms)?)
                .map_err(core_err)?,
        ))
    }

    /// Accepts the response to the pending request `requestHash` (§11.5):
    /// `{ sender, sessionId, prefix, index, notAfterMs }`.
    #[wasm_bindgen(js_name = acceptKeyResponse)]
    pub fn accept_key_response(
        &self,
        request_hash: JsValue,
        response: JsValue,
        now_ms: JsValue,
    ) -> Result<JsValue> {
        let request_hash = bytes_arg("requestHash", &request_hash)?;
        let response = bytes_arg("response", &response)?;
        let now_ms = opt_f64_arg("nowMs", &now_ms)?;
        let h = hash32("requestHash", &request_hash)?;
        let s = self
            .inner
            .accept_key_response(&h, &response, now(now_ms)?)
            .map_err(core_err)?;
        let o = Object::new();
        set(&o, "sender", JsValue::from_str(&s.sender.fingerprint()));
        set(
            &o,
            "sessionId",
            JsValue::from_str(&g::session_id_hex(&s.session_id)),
        );
        set(&o, "prefix", JsValue::from_str(&s.prefix));
        set(&o, "index", num(s.index));
        set(&o, "notAfterMs", JsValue::from_f64(s.not_after_ms as f64));
        Ok(o.into())
    }

    /// Cancels a pending key request; whether it was pending.
    #[wasm_bindgen(js_name = cancelKeyRequest)]
    pub fn cancel_key_request(&self, request_hash: JsValue) -> Result<bool> {
        let request_hash = bytes_arg("requestHash", &request_hash)?;
        Ok(self
            .inner
            .cancel_key_request(&hash32("requestHash", &request_hash)?))
    }

    /// The inbound decision of §12.1 for a message a GS1 entry may cover, before
    /// the keyring's (`inbound()`): `"open"` (a GS1 envelope: `open`/`openReply`
    /// it), `"plain"` (deliver the plaintext), `"exempt"` (a key procedure URI,
    /// `<base>.`: never sealed, never strict), or `"keyring"` (no GS1 entry covers
    /// it and it is no answer to a GS1 call: the keyring decides). `arrival` is
    /// `{ kind, uri, scheme, requestGs1, strict, base }`. Throws
    /// `WAMPE2E_UNEXPECTED_PLAINTEXT` (strict) or `WAMPE2E_INVALID_ENVELOPE`
    /// (another dialect) for a message to refuse.
    pub fn inbound(&self, arrival: JsValue) -> Result<String> {
        if !arrival.is_object() {
            return Err(wrong_type("arrival", "an object", &arrival));
        }
        let kind = string_arg("arrival.kind", &prop(&arrival, "kind"))?;
        let uri = string_arg("arrival.uri", &prop(&arrival, "uri"))?;
        let scheme = string_arg("arrival.scheme", &prop(&arrival, "scheme"))?;
        let request_gs1 = opt_bool_arg("arrival.requestGs1", &prop(&arrival, "requestGs1"))?;
        let strict = opt_bool_arg("arrival.strict", &prop(&arrival, "strict"))?;
        let base = opt_string_arg("arrival.base", &prop(&arrival, "base"))?;
        let mk: wampe2e::MessageKind = kind.parse().map_err(core_err)?;
        // `route` asks only whether a GS1 envelope arrived, not where it was.
        let arrived = match scheme.as_str() {
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
            &uri,
            &arrived,
            request_gs1.unwrap_or(false),
            strict.unwrap_or(true),
            base.as_deref(),
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

/// An attribute as `readEnvelope` found it on the JS object.
enum JsAttr {
    /// `undefined` or `null`.
    Absent,
    Str(String),
    NotString,
}

/// Reads a received message's attributes and payload as §12.1 does:
/// `{ scheme: 'gs1', keyId, envelope }` for a GS1 envelope (`keyId` null when
/// absent), `{ scheme: 'other' }` for another dialect's, `{ scheme: 'plain' }`
/// for none; throws `WAMPE2E_INVALID_ENVELOPE`, `WAMPE2E_UNKNOWN_SERIALIZER` or
/// `WAMPE2E_UNKNOWN_CIPHER`. `args` is what sits at the Arguments position (the
/// bare envelope for `enc_*`, `[envelope]` for `ppt_*`).
#[wasm_bindgen(js_name = readEnvelope)]
pub fn read_envelope(attributes: JsValue, args: JsValue, kwargs: JsValue) -> Result<JsValue> {
    let bad = |msg: &str| err_code(ErrorCode::InvalidEnvelope, msg);
    let attrs = attributes.is_object().then_some(&attributes);
    // The attributes the core reads are those GS1 writes (§12.1): each is read off
    // the JS object once, when the core first asks for it.
    let names: Vec<&'static str> = [WireDialect::Enc, WireDialect::Ppt]
        .into_iter()
        .flat_map(|d| envelope::attributes(d, Some("")))
        .map(|(name, _)| name)
        .collect();
    let cells: Vec<OnceCell<JsAttr>> = names.iter().map(|_| OnceCell::new()).collect();
    let read = |name: &str| -> JsAttr {
        let Some(o) = attrs else {
            return JsAttr::Absent;
        };
        let Ok(v) = Reflect::get(o, &JsValue::from_str(name)) else {
            return JsAttr::NotString; // a getter that throws: not a string either
        };
        if absent(&v) {
            JsAttr::Absent
        } else {
            v.as_string().map_or(JsAttr::NotString, JsAttr::Str)
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
    let scheme_only = |scheme: &str| -> JsValue {
        let o = Object::new();
        set(&o, "scheme", JsValue::from_str(scheme));
        o.into()
    };
    let (dialect, key_id) = match arrived {
        Arrived::Plain => return Ok(scheme_only("plain")),
        Arrived::Other => return Ok(scheme_only("other")),
        Arrived::Gs1 { dialect, key_id } => (dialect, key_id),
    };
    // `bytes_of` takes `Uint8Array`s (and `Buffer`s) and `ArrayBuffer`s, as napi's casts.
    let envelope = match dialect {
        WireDialect::Enc => {
            bytes_of(&args).ok_or_else(|| bad("GS1 enc_* payload is not one bare binary"))?
        }
        WireDialect::Ppt => (|| {
            if !Array::is_array(&args) {
                return None;
            }
            let arr: &Array = args.unchecked_ref();
            if arr.length() != 1 {
                return None;
            }
            bytes_of(&arr.get(0))
        })()
        .ok_or_else(|| bad("GS1 ppt_* Arguments is not a list of one binary"))?,
    };
    if !absent(&kwargs) {
        return Err(bad(match dialect {
            WireDialect::Enc => "GS1 enc_* message carries ArgumentsKw",
            WireDialect::Ppt => "GS1 ppt_* message carries ArgumentsKw",
        }));
    }
    let o = Object::new();
    set(&o, "scheme", JsValue::from_str("gs1"));
    set(
        &o,
        "keyId",
        key_id.map_or(JsValue::NULL, |k| JsValue::from_str(&k)),
    );
    set(&o, "envelope", bytes_js(&envelope));
    Ok(o.into())
}

/// Whether `uri` is a key procedure, `<base>.<something>` (§5; `base` defaults to
/// `wampe2e.key`): never sealed, and exempt from strictness.
#[wasm_bindgen(js_name = isKeyProcedure)]
pub fn is_key_procedure(uri: JsValue, base: JsValue) -> Result<bool> {
    let uri = string_arg("uri", &uri)?;
    let base = opt_string_arg("base", &base)?;
    Ok(envelope::is_key_procedure(&uri, base.as_deref()))
}

fn error_code_named(name: &str) -> Result<ErrorCode> {
    ErrorCode::from_name(name).ok_or_else(|| {
        invalid(format!(
            "code: expected a WAMPE2E_* code name (got {} characters)",
            name.chars().count()
        ))
    })
}

/// The error URI of a refusal with the code named `code` (§11.4), e.g.
/// `refusalUri('WAMPE2E_KEY_REFUSED') === 'wampe2e.error.key_refused'`; throws
/// `WAMPE2E_INVALID_ARGUMENT` for a name that is no code.
#[wasm_bindgen(js_name = refusalUri)]
pub fn refusal_uri(code: JsValue) -> Result<String> {
    let code = string_arg("code", &code)?;
    Ok(envelope::refusal_uri(error_code_named(&code)?))
}

/// The code name a key fetch ends with for an ERROR's URI (§11.4): a refusal's
/// own code, or `WAMPE2E_KEY_FETCH_FAILED` for any other.
#[wasm_bindgen(js_name = fetchErrorCode)]
pub fn fetch_error_code(error_uri: JsValue) -> Result<String> {
    let error_uri = string_arg("errorUri", &error_uri)?;
    Ok(core_fetch_error_code(&error_uri).name().to_owned())
}

/// Messages held while their session's key is fetched (§11.6, the core's
/// `Held`), by ticket number: the caller keeps ticket → message.
#[wasm_bindgen]
pub struct Held {
    inner: Mutex<g::Held<u32>>,
}

impl Held {
    fn queue(&self) -> std::sync::MutexGuard<'_, g::Held<u32>> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[wasm_bindgen]
impl Held {
    /// An empty queue, bounded by `options` (§11.6): `{ maxPerSession, maxTotal,
    /// maxWaitMs, base }`, absent ones taking the defaults.
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<Held> {
        let o = options_arg("options", &options)?;
        let field = |name: &str| o.as_ref().map_or(JsValue::UNDEFINED, |o| prop(o, name));
        let max_per_session = opt_u32_arg("options.maxPerSession", &field("maxPerSession"))?;
        let max_total = opt_u32_arg("options.maxTotal", &field("maxTotal"))?;
        let max_wait_ms = opt_f64_arg("options.maxWaitMs", &field("maxWaitMs"))?;
        let base = opt_string_arg("options.base", &field("base"))?;
        let d = HeldLimits::default();
        let limits = HeldLimits {
            max_per_session: max_per_session.map_or(d.max_per_session, |n| n as usize),
            max_total: max_total.map_or(d.max_total, |n| n as usize),
            max_wait_ms: ms("maxWaitMs", max_wait_ms, d.max_wait_ms)?,
        };
        Ok(Held {
            inner: Mutex::new(g::Held::new(limits, base.as_deref()).map_err(core_err)?),
        })
    }

    /// Holds the message `ticket`, whose `envelope` of `kind` arrived for `uri` and
    /// that `open` refused with `WAMPE2E_UNKNOWN_SESSION`: the fetch to make now,
    /// `{ procedure, request, requestHash, sender, sessionId }`, or null when it
    /// waits behind one under way. Throws (the message is then not held)
    /// `WAMPE2E_HOLD_OVERFLOW`, a recent failed fetch's code, and others.
    pub fn hold(
        &self,
        group: &Group,
        uri: JsValue,
        kind: JsValue,
        envelope: JsValue,
        ticket: JsValue,
        now_ms: JsValue,
    ) -> Result<JsValue> {
        let uri = string_arg("uri", &uri)?;
        let kind = string_arg("kind", &kind)?;
        let envelope = bytes_arg("envelope", &envelope)?;
        let ticket = u32_arg("ticket", &ticket)?;
        let now_ms = opt_f64_arg("nowMs", &now_ms)?;
        let k = self::kind(&kind)?;
        let h = self
            .queue()
            .hold(&group.inner, &uri, k, &envelope, ticket, now(now_ms)?)
            .map_err(core_err)?;
        Ok(match h {
            g::Hold::Waiting => JsValue::NULL,
            g::Hold::Fetch(f) => {
                let o = Object::new();
                set(&o, "procedure", JsValue::from_str(&f.procedure));
                set(&o, "request", bytes_js(&f.request));
                set(&o, "requestHash", bytes_js(&f.request_hash));
                set(&o, "sender", JsValue::from_str(&f.sender.fingerprint()));
                set(
                    &o,
                    "sessionId",
                    JsValue::from_str(&g::session_id_hex(&f.session_id)),
                );
                o.into()
            }
        })
    }

    /// The tickets held behind the fetch `requestHash`, in the sender's order, once
    /// its response was accepted: open each now.
    pub fn release(&self, request_hash: JsValue) -> Result<JsValue> {
        let request_hash = bytes_arg("requestHash", &request_hash)?;
        let h = hash32("requestHash", &request_hash)?;
        Ok(u32s_js(&self.queue().release(&h)))
    }

    /// Ends the fetch `requestHash` with the code named `code`; its tickets, to
    /// report with that code.
    pub fn fail(
        &self,
        group: &Group,
        request_hash: JsValue,
        code: JsValue,
        now_ms: JsValue,
    ) -> Result<JsValue> {
        let request_hash = bytes_arg("requestHash", &request_hash)?;
        let code = string_arg("code", &code)?;
        let now_ms = opt_f64_arg("nowMs", &now_ms)?;
        let h = hash32("requestHash", &request_hash)?;
        let code = error_code_named(&code)?;
        Ok(u32s_js(&self.queue().fail(
            &group.inner,
            &h,
            code,
            now(now_ms)?,
        )))
    }

    /// Ends every fetch older than `maxWaitMs` with `WAMPE2E_KEY_FETCH_FAILED`; their tickets.
    pub fn expire(&self, group: &Group, now_ms: JsValue) -> Result<JsValue> {
        let now_ms = opt_f64_arg("nowMs", &now_ms)?;
        Ok(u32s_js(&self.queue().expire(&group.inner, now(now_ms)?)))
    }

    /// Whether the fetch `requestHash` is under way.
    #[wasm_bindgen(js_name = isFetching)]
    pub fn is_fetching(&self, request_hash: JsValue) -> Result<bool> {
        let request_hash = bytes_arg("requestHash", &request_hash)?;
        Ok(self
            .queue()
            .is_fetching(&hash32("requestHash", &request_hash)?))
    }

    /// Messages held in all.
    #[wasm_bindgen(getter)]
    pub fn size(&self) -> u32 {
        u32::try_from(self.queue().len()).unwrap_or(u32::MAX)
    }

    /// Fetches under way.
    #[wasm_bindgen(getter)]
    pub fn fetches(&self) -> u32 {
        u32::try_from(self.queue().fetches()).unwrap_or(u32::MAX)
    }
}
