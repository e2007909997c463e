//! The Node.js addon of wampe2e (npm `wampe2e`). Conversion only: every decision
//! is the core's. Every export has `catch_unwind`, so a panic becomes a JS error.
//!
//! Errors are `Error`s whose `code` is the core's stable name (e.g.
//! `WAMPE2E_URI_MISMATCH`); values a payload cannot carry are `TypeError`s naming
//! where they sit (`args[2].when`).
#![allow(unsafe_code)]

pub mod compact;
mod convert;
pub mod group;
pub mod raw;

use convert::{js_args, js_kwargs, Code, Result};
use napi::bindgen_prelude::{JsObjectValue, Object, Unknown};
use napi::{Env, JsValue, Task};
use napi_derive::napi;
use std::sync::Arc;
use wampe2e::{
    BoxKey, Cipher, DataKey, Dialect, Envelope as CoreEnvelope, Error, ErrorCode, KeyEntry,
    KeyInput, KeyNames, KeyPair, KeyRing as CoreKeyRing, Map, Payload, PublicKey, Role, SecretKey,
    Serializer, SymmetricKey, Value,
};

fn core_err(e: Error) -> napi::Error<Code> {
    napi::Error::new(Code(e.code().name()), e.message().to_owned())
}

fn core_err_napi(e: napi::Error) -> napi::Error<Code> {
    napi::Error::new(Code("InvalidArg"), e.reason.clone())
}

fn invalid(msg: String) -> napi::Error<Code> {
    core_err(Error::new(ErrorCode::InvalidArgument, msg))
}

fn role(s: &str) -> Result<Role> {
    match s {
        "originator" => Ok(Role::Originator),
        "responder" => Ok(Role::Responder),
        other => Err(invalid(format!(
            "role: expected \"originator\" or \"responder\" (got {} characters)",
            other.chars().count()
        ))),
    }
}

/// Seal options: the dialect and, for `ppt`, its serializer and cipher.
#[napi(object)]
#[derive(Default)]
pub struct SealOptions {
    /// `"cryptobox"` (Autobahn/Crossbar `enc_*`, the default) or `"ppt"` (WAMP spec `ppt_*`).
    pub dialect: Option<String>,
    /// ppt serializer: `"cbor"` (default), `"msgpack"` or `"json"`.
    pub serializer: Option<String>,
    /// ppt cipher: `"xsalsa20poly1305"` (default) or `"aes256gcm"`.
    pub cipher: Option<String>,
}

fn dialect(o: Option<&SealOptions>) -> Result<Dialect> {
    let default = SealOptions::default();
    let o = o.unwrap_or(&default);
    match o.dialect.as_deref().unwrap_or("cryptobox") {
        "cryptobox" => Ok(Dialect::Cryptobox),
        "ppt" => Ok(Dialect::Passthru {
            serializer: o
                .serializer
                .as_deref()
                .unwrap_or("cbor")
                .parse::<Serializer>()
                .map_err(core_err)?,
            cipher: o
                .cipher
                .as_deref()
                .unwrap_or("xsalsa20poly1305")
                .parse::<Cipher>()
                .map_err(core_err)?,
        }),
        other => Err(invalid(format!(
            "dialect: expected \"cryptobox\" or \"ppt\" (got {} characters)",
            other.chars().count()
        ))),
    }
}

/// Keys of a key-pair entry, each a base64/hex string or a 32-byte `Uint8Array`/
/// `Buffer`; give the ones this peer has (as Autobahn's
/// `Key(originator_priv=, originator_pub=, responder_priv=, responder_pub=)`).
/// Read by [`KeyRing::set_box_key`] itself (`object_from_js = false`), so that no
/// conversion error can echo a key.
#[napi(object, object_from_js = false, object_to_js = false)]
pub struct BoxKeyParts {
    /// Originator (caller/publisher) secret key.
    #[napi(ts_type = "string | Uint8Array")]
    pub originator_priv: Option<String>,
    /// Originator public key.
    #[napi(ts_type = "string | Uint8Array")]
    pub originator_pub: Option<String>,
    /// Responder (callee/subscriber) secret key.
    #[napi(ts_type = "string | Uint8Array")]
    pub responder_priv: Option<String>,
    /// Responder public key.
    #[napi(ts_type = "string | Uint8Array")]
    pub responder_pub: Option<String>,
    /// Accept plaintexts that carry no URI (off by default).
    pub allow_missing_uri: Option<bool>,
}

/// The `TypeError` for an argument of the wrong JS type: names the argument and
/// what it is, never its content.
fn wrong_type(env: &Env, what: &str, expected: &str, u: &Unknown) -> napi::Error<Code> {
    let got = match u.get_type() {
        Ok(napi::ValueType::Object) => "an object",
        Ok(napi::ValueType::Number) => "a number",
        Ok(napi::ValueType::BigInt) => "a bigint",
        Ok(napi::ValueType::Boolean) => "a boolean",
        Ok(napi::ValueType::String) => "a string",
        Ok(napi::ValueType::Symbol) => "a symbol",
        Ok(napi::ValueType::Function) => "a function",
        Ok(napi::ValueType::Null) => "null",
        Ok(napi::ValueType::Undefined) => "undefined",
        _ => "a value of another type",
    };
    convert::type_error(
        env,
        "ERR_INVALID_ARG_TYPE",
        &format!("{what}: expected {expected}, got {got}"),
    )
}

const KEY_TYPES: &str = "a base64/hex string or a 32-byte Uint8Array/Buffer";

/// Runs `f` on the key argument `u` (see `wampe2e::KeyInput`): a string, or a
/// `Uint8Array`/`Buffer` read in place. `None` for undefined/null.
fn with_key<T>(
    env: &Env,
    what: &str,
    u: &Unknown,
    f: impl FnOnce(KeyInput<'_>) -> wampe2e::Result<T>,
) -> Result<Option<T>> {
    let input_is = |t| u.get_type().ok() == Some(t);
    if input_is(napi::ValueType::Undefined) || input_is(napi::ValueType::Null) {
        return Ok(None);
    }
    if input_is(napi::ValueType::String) {
        // SAFETY: the type was checked just above.
        let text =
            unsafe { u.cast::<String>() }.map_err(|_| wrong_type(env, what, KEY_TYPES, u))?;
        return f(KeyInput::Text(&text)).map(Some).map_err(core_err);
    }
    if input_is(napi::ValueType::Object) {
        // SAFETY: the type is an object; the cast checks it is a Uint8Array.
        if let Ok(bytes) = unsafe { u.cast::<napi::bindgen_prelude::Uint8ArraySlice>() } {
            return f(KeyInput::Bytes(&bytes)).map(Some).map_err(core_err);
        }
    }
    Err(wrong_type(env, what, KEY_TYPES, u))
}

/// A key argument that must be given.
fn required_key<T>(
    env: &Env,
    what: &str,
    u: &Unknown,
    f: impl FnOnce(KeyInput<'_>) -> wampe2e::Result<T>,
) -> Result<T> {
    with_key(env, what, u, f)?.ok_or_else(|| wrong_type(env, what, KEY_TYPES, u))
}

/// A string argument, read without napi's conversion message (which shows the value).
fn string_arg(env: &Env, what: &str, u: &Unknown) -> Result<String> {
    if u.get_type().ok() == Some(napi::ValueType::String) {
        // SAFETY: the type was checked just above.
        if let Ok(s) = unsafe { u.cast::<String>() } {
            return Ok(s);
        }
    }
    Err(wrong_type(env, what, "a string", u))
}

/// New public keys after `rotate`, base64 (absent for parts this peer does not own).
#[napi(object)]
pub struct RotatedKeys {
    /// The new originator public key.
    pub originator_pub: Option<String>,
    /// The new responder public key.
    pub responder_pub: Option<String>,
}

/// A key pair in base64.
#[napi(object)]
pub struct KeyPairStrings {
    /// The secret key.
    pub secret: String,
    /// The public key.
    pub public: String,
}

/// A thread-safe keyring: URI prefixes (longest character prefix wins, `""` is
/// the default) and key ids mapped to key entries.
#[napi]
pub struct KeyRing(Arc<CoreKeyRing>);

#[napi]
impl KeyRing {
    /// An empty keyring.
    #[napi(constructor)]
    pub fn new() -> Self {
        KeyRing(Arc::new(CoreKeyRing::new()))
    }

    /// Sets the key-pair entry for URIs starting with `prefix` (`""`: the default).
    #[napi(catch_unwind, ts_args_type = "prefix: string, keys: BoxKeyParts")]
    pub fn set_box_key(&self, env: Env, prefix: Unknown, keys: Unknown) -> Result<()> {
        let prefix = string_arg(&env, "prefix", &prefix)?;
        if keys.get_type().ok() != Some(napi::ValueType::Object) {
            return Err(wrong_type(&env, "keys", "an object", &keys));
        }
        // SAFETY: the type was checked just above.
        let keys = unsafe { keys.cast::<Object>() }.map_err(core_err_napi)?;
        let part = |name: &str| -> Result<Unknown> {
            keys.get_named_property::<Unknown>(name)
                .map_err(|_| invalid(format!("keys.{name}: could not be read")))
        };
        let (op, opub, rp, rpub) = (
            part("originatorPriv")?,
            part("originatorPub")?,
            part("responderPriv")?,
            part("responderPub")?,
        );
        let n = KeyNames::CAMEL;
        let key = BoxKey::new_named(
            n,
            with_key(&env, n.originator_priv, &op, |k| {
                SecretKey::from_input(n.originator_priv, k)
            })?,
            with_key(&env, n.originator_pub, &opub, |k| {
                PublicKey::from_input(n.originator_pub, k)
            })?,
            with_key(&env, n.responder_priv, &rp, |k| {
                SecretKey::from_input(n.responder_priv, k)
            })?,
            with_key(&env, n.responder_pub, &rpub, |k| {
                PublicKey::from_input(n.responder_pub, k)
            })?,
        )
        .map_err(core_err)?;
        let allow = part("allowMissingUri")?;
        let allow_missing_uri = match allow.get_type().ok() {
            Some(napi::ValueType::Undefined | napi::ValueType::Null) => false,
            // SAFETY: the type was checked in this arm.
            Some(napi::ValueType::Boolean) => unsafe { allow.cast::<bool>() }.unwrap_or(false),
            _ => return Err(wrong_type(&env, "allowMissingUri", "a boolean", &allow)),
        };
        let mut entry: KeyEntry = key.into();
        entry.allow_missing_uri = allow_missing_uri;
        self.0.set(&prefix, entry);
        Ok(())
    }

    /// Sets an entry whose one secret (a base64/hex string or 32-byte `Uint8Array`)
    /// serves both roles (Autobahn's `KeyRing("<key>")`).
    #[napi(
        catch_unwind,
        ts_args_type = "prefix: string, secret: string | Uint8Array"
    )]
    pub fn set_shared_key(&self, env: Env, prefix: Unknown, secret: Unknown) -> Result<()> {
        let prefix = string_arg(&env, "prefix", &prefix)?;
        let secret = required_key(&env, "secret", &secret, |k| {
            SecretKey::from_input("secret", k)
        })?;
        self.0.set(
            &prefix,
            BoxKey::from_shared_secret(secret).map_err(core_err)?,
        );
        Ok(())
    }

    /// Adds a symmetric 32-byte data key (a base64/hex string or `Uint8Array`) known by
    /// `keyId` (sent as `ppt_keyid`); with a `prefix` it is also the entry for URIs
    /// starting with it.
    #[napi(
        catch_unwind,
        ts_args_type = "keyId: string, key: string | Uint8Array, prefix?: string | undefined | null"
    )]
    pub fn set_data_key(
        &self,
        env: Env,
        key_id: Unknown,
        key: Unknown,
        prefix: Option<Unknown>,
    ) -> Result<()> {
        let key_id = string_arg(&env, "keyId", &key_id)?;
        let key = required_key(&env, "key", &key, |k| DataKey::from_input("key", k))?;
        let prefix = match prefix {
            Some(p)
                if !matches!(
                    p.get_type().ok(),
                    Some(napi::ValueType::Undefined | napi::ValueType::Null)
                ) =>
            {
                Some(string_arg(&env, "prefix", &p)?)
            }
            _ => None,
        };
        let entry = SymmetricKey::new(&key_id, key).map_err(core_err)?;
        match prefix {
            Some(p) => self.0.set(&p, entry),
            None => self.0.add_symmetric_key(entry),
        }
        Ok(())
    }

    /// Removes the entry for exactly `prefix`; returns whether there was one.
    #[napi(catch_unwind)]
    pub fn remove(&self, prefix: String) -> bool {
        self.0.remove(&prefix)
    }

    /// Removes a data key added without a prefix; returns whether there was one.
    #[napi(catch_unwind)]
    pub fn remove_key_id(&self, key_id: String) -> bool {
        self.0.remove_key_id(&key_id)
    }

    /// Whether messages on `uri` must arrive encrypted (the keyring has a key for it).
    #[napi(catch_unwind)]
    pub fn expects_sealed(&self, uri: String) -> bool {
        self.0.expects_sealed(&uri)
    }

    /// Replaces this peer's secrets for `prefix` with fresh ones; returns the new public keys.
    #[napi(catch_unwind)]
    pub fn rotate(&self, prefix: String) -> Result<RotatedKeys> {
        let r = self.0.rotate(&prefix).map_err(core_err)?;
        Ok(RotatedKeys {
            originator_pub: r.originator_public.map(|p| p.to_base64()),
            responder_pub: r.responder_public.map(|p| p.to_base64()),
        })
    }
}

impl Default for KeyRing {
    fn default() -> Self {
        KeyRing::new()
    }
}

/// A sealed payload and the attributes for the message's Options/Details.
#[napi(object, object_from_js = false)]
pub struct Envelope {
    /// Attributes to merge into Options/Details (`enc_*` or `ppt_*`).
    pub attributes: std::collections::HashMap<String, String>,
    /// The sealed bytes.
    #[napi(ts_type = "Buffer")]
    pub payload: convert::CopiedBuffer,
    /// True when the payload travels as `Arguments = [payload]` (ppt), false when bare (cryptobox).
    pub payload_in_list: bool,
}

fn envelope_to_js(env: CoreEnvelope) -> Envelope {
    Envelope {
        attributes: env
            .attributes()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
        payload_in_list: env.dialect.payload_in_list(),
        payload: convert::CopiedBuffer(env.payload),
    }
}

/// A received envelope from Options/Details, read by the attribute names the core
/// knows (as the JS wrapper reads them for the compact path); values that are not
/// strings count as absent.
fn envelope_from_js(attributes: Object, payload: &[u8]) -> Result<CoreEnvelope> {
    let attrs = wampe2e::dialects::ATTRIBUTE_NAMES
        .map(|name| attributes.get::<String>(name).ok().flatten());
    compact::envelope(attrs, payload)
}

/// Seals `args`/`kwargs` for a message on `uri` as `role` (`"originator"` or `"responder"`).
#[napi(
    catch_unwind,
    ts_args_type = "keyring: KeyRing, role: 'originator' | 'responder', uri: string, args?: unknown[] | null, kwargs?: Record<string, unknown> | null, options?: SealOptions"
)]
pub fn seal_payload(
    env: Env,
    keyring: &KeyRing,
    role: String,
    uri: String,
    args: Option<napi::bindgen_prelude::Unknown>,
    kwargs: Option<napi::bindgen_prelude::Unknown>,
    options: Option<SealOptions>,
) -> Result<Envelope> {
    let (role, dialect) = (self::role(&role)?, self::dialect(options.as_ref())?);
    let args = js_args(&env, args)?;
    let kwargs = js_kwargs(&env, kwargs)?;
    let sealed = wampe2e::seal_payload(
        &keyring.0,
        role,
        &uri,
        args.as_deref(),
        kwargs.as_ref(),
        dialect,
    )
    .map_err(|e| convert::value_err(&env, e))?;
    Ok(envelope_to_js(sealed))
}

/// Opens a received envelope on `uri` as `role`; returns `{ uri, args, kwargs }`.
#[napi(
    catch_unwind,
    ts_args_type = "keyring: KeyRing, role: 'originator' | 'responder', uri: string, attributes: Record<string, unknown>, payload: Uint8Array",
    ts_return_type = "{ uri: string | null, args: unknown[] | null, kwargs: Record<string, unknown> | null }"
)]
pub fn open_payload(
    keyring: &KeyRing,
    role: String,
    uri: String,
    attributes: Object,
    payload: &[u8],
) -> Result<convert::PayloadJs> {
    let role = self::role(&role)?;
    let envelope = envelope_from_js(attributes, payload)?;
    let p = wampe2e::open_payload(&keyring.0, role, &uri, &envelope).map_err(core_err)?;
    Ok(convert::PayloadJs(p))
}

/// Seals bytes the caller serialized itself (no URI binding inside).
#[napi(
    catch_unwind,
    ts_args_type = "keyring: KeyRing, role: 'originator' | 'responder', uri: string, plaintext: Uint8Array, options?: SealOptions"
)]
pub fn seal_bytes(
    keyring: &KeyRing,
    role: String,
    uri: String,
    plaintext: &[u8],
    options: Option<SealOptions>,
) -> Result<Envelope> {
    let sealed = wampe2e::seal_bytes(
        &keyring.0,
        self::role(&role)?,
        &uri,
        plaintext,
        dialect(options.as_ref())?,
    )
    .map_err(core_err)?;
    Ok(envelope_to_js(sealed))
}

/// Decrypts a received envelope into its plaintext bytes, without parsing them.
#[napi(
    catch_unwind,
    ts_args_type = "keyring: KeyRing, role: 'originator' | 'responder', uri: string, attributes: Record<string, unknown>, payload: Uint8Array",
    ts_return_type = "Buffer"
)]
pub fn open_bytes(
    keyring: &KeyRing,
    role: String,
    uri: String,
    attributes: Object,
    payload: &[u8],
) -> Result<convert::CopiedBuffer> {
    let envelope = envelope_from_js(attributes, payload)?;
    let plain =
        wampe2e::open_bytes(&keyring.0, self::role(&role)?, &uri, &envelope).map_err(core_err)?;
    Ok(convert::CopiedBuffer(plain))
}

/// Seal work for the libuv pool: values converted on the JS thread, then sealed off it.
pub struct SealTask {
    keyring: Arc<CoreKeyRing>,
    role: Role,
    uri: String,
    args: Option<Vec<Value>>,
    kwargs: Option<Map>,
    dialect: Dialect,
}

impl Task for SealTask {
    type Output = std::result::Result<CoreEnvelope, Error>;
    type JsValue = Envelope;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        Ok(wampe2e::seal_payload(
            &self.keyring,
            self.role,
            &self.uri,
            self.args.as_deref(),
            self.kwargs.as_ref(),
            self.dialect,
        ))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<Self::JsValue> {
        output.map(envelope_to_js).map_err(|e| rejection(&env, e))
    }
}

/// The promise rejection for a core error: an `Error` with the stable `code`, as the sync calls throw.
pub(crate) fn rejection(env: &Env, e: Error) -> napi::Error {
    let made = env
        .create_error(napi::Error::new(
            napi::Status::GenericFailure,
            e.message().to_owned(),
        ))
        .and_then(|mut obj| {
            obj.set("code", e.code().name())?;
            Ok(napi::Error::from(obj.to_unknown()))
        });
    made.unwrap_or_else(|err| err)
}

/// `sealPayload` on the libuv thread pool, for large payloads.
#[napi(
    catch_unwind,
    ts_args_type = "keyring: KeyRing, role: 'originator' | 'responder', uri: string, args?: unknown[] | null, kwargs?: Record<string, unknown> | null, options?: SealOptions",
    ts_return_type = "Promise<Envelope>"
)]
pub fn seal_payload_async(
    env: Env,
    keyring: &KeyRing,
    role: String,
    uri: String,
    args: Option<napi::bindgen_prelude::Unknown>,
    kwargs: Option<napi::bindgen_prelude::Unknown>,
    options: Option<SealOptions>,
) -> Result<napi::bindgen_prelude::AsyncTask<SealTask>> {
    Ok(napi::bindgen_prelude::AsyncTask::new(SealTask {
        keyring: keyring.0.clone(),
        role: self::role(&role)?,
        dialect: dialect(options.as_ref())?,
        args: js_args(&env, args)?,
        kwargs: js_kwargs(&env, kwargs)?,
        uri,
    }))
}

/// Open work for the libuv pool.
pub struct OpenTask {
    keyring: Arc<CoreKeyRing>,
    role: Role,
    uri: String,
    envelope: CoreEnvelope,
}

impl Task for OpenTask {
    type Output = std::result::Result<Payload, Error>;
    type JsValue = convert::PayloadJs;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        Ok(wampe2e::open_payload(
            &self.keyring,
            self.role,
            &self.uri,
            &self.envelope,
        ))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<Self::JsValue> {
        output
            .map(convert::PayloadJs)
            .map_err(|e| rejection(&env, e))
    }
}

/// `openPayload` on the libuv thread pool, for large payloads.
#[napi(
    catch_unwind,
    ts_args_type = "keyring: KeyRing, role: 'originator' | 'responder', uri: string, attributes: Record<string, unknown>, payload: Uint8Array",
    ts_return_type = "Promise<{ uri: string | null, args: unknown[] | null, kwargs: Record<string, unknown> | null }>"
)]
pub fn open_payload_async(
    keyring: &KeyRing,
    role: String,
    uri: String,
    attributes: Object,
    payload: &[u8],
) -> Result<napi::bindgen_prelude::AsyncTask<OpenTask>> {
    Ok(napi::bindgen_prelude::AsyncTask::new(OpenTask {
        keyring: keyring.0.clone(),
        role: self::role(&role)?,
        envelope: envelope_from_js(attributes, payload)?,
        uri,
    }))
}

/// A fresh X25519 key pair (base64).
#[napi(catch_unwind)]
pub fn generate_keypair() -> Result<KeyPairStrings> {
    let p = KeyPair::generate().map_err(core_err)?;
    Ok(KeyPairStrings {
        secret: p.secret.to_base64().to_string(),
        public: p.public.to_base64(),
    })
}

/// A fresh 32-byte symmetric data key (base64).
#[napi(catch_unwind)]
pub fn generate_data_key() -> Result<String> {
    Ok(DataKey::generate()
        .map_err(core_err)?
        .to_base64()
        .to_string())
}

/// The X25519 key pair (base64) of an Ed25519 (WAMP-cryptosign) seed: base64 or hex,
/// or its 32 bytes.
#[napi(catch_unwind, ts_args_type = "seed: string | Uint8Array")]
pub fn ed25519_to_x25519(env: Env, seed: Unknown) -> Result<KeyPairStrings> {
    let p = required_key(&env, "seed", &seed, |k| {
        KeyPair::from_ed25519_seed_input("seed", k)
    })?;
    Ok(KeyPairStrings {
        secret: p.secret.to_base64().to_string(),
        public: p.public.to_base64(),
    })
}

/// The public key (base64) of a secret key (base64 or hex, or its 32 bytes).
#[napi(catch_unwind, ts_args_type = "secret: string | Uint8Array")]
pub fn public_key(env: Env, secret: Unknown) -> Result<String> {
    let secret = required_key(&env, "secret", &secret, |k| {
        SecretKey::from_input("secret", k)
    })?;
    Ok(secret.public_key().to_base64())
}

/// The WAMP spec key id of a public key (base64 or hex, or its 32 bytes).
#[napi(catch_unwind, ts_args_type = "publicKey: string | Uint8Array")]
pub fn key_id(env: Env, public_key: Unknown) -> Result<String> {
    let public = required_key(&env, "publicKey", &public_key, |k| {
        PublicKey::from_input("publicKey", k)
    })?;
    Ok(public.key_id())
}

/// Every error code name with its stable number, e.g. `{ WAMPE2E_URI_MISMATCH: 7, ... }`.
#[napi(catch_unwind)]
pub fn error_codes() -> std::collections::HashMap<String, u32> {
    ErrorCode::ALL
        .iter()
        .map(|c| (c.name().to_owned(), c.as_u32()))
        .collect()
}

/// The library version.
#[napi]
pub const VERSION: &str = wampe2e::VERSION;

/// What arrived, for [`inbound`].
#[napi(object)]
pub struct Arrival {
    /// `"event"`, `"invocation"`, `"result"` or `"error"`.
    #[napi(ts_type = "'event' | 'invocation' | 'result' | 'error'")]
    pub kind: String,
    /// The subscription's topic, the registration's procedure, the procedure called
    /// (RESULT) or the error URI (ERROR).
    pub local_uri: String,
    /// The subscription's or registration's match policy (default `"exact"`).
    #[napi(ts_type = "'exact' | 'prefix' | 'wildcard'")]
    pub r#match: Option<String>,
    /// `Details.topic` / `Details.procedure` as the router sent it.
    pub router_uri: Option<String>,
    /// Whether the message carries an encrypted payload.
    pub sealed: bool,
    /// RESULT/ERROR: whether our CALL was sealed.
    pub request_sealed: Option<bool>,
}

/// The inbound decision, for [`inbound`].
#[napi(object)]
pub struct InboundDecision {
    /// Open the payload (true) or deliver the plaintext (false).
    pub open: bool,
    /// The URI to open the payload for (or the plaintext's URI).
    pub uri: String,
}

/// The core's inbound decision for an arriving EVENT / INVOCATION / RESULT / ERROR:
/// `{ open, uri }`, or throws `WAMPE2E_UNEXPECTED_PLAINTEXT` / `WAMPE2E_PATTERN_MISMATCH`
/// for a message to refuse. `strict` defaults to true.
#[napi(catch_unwind)]
pub fn inbound(
    keyring: &KeyRing,
    arrival: Arrival,
    strict: Option<bool>,
) -> Result<InboundDecision> {
    let a = wampe2e::Arrival {
        kind: arrival.kind.parse().map_err(core_err)?,
        local_uri: &arrival.local_uri,
        policy: arrival
            .r#match
            .as_deref()
            .unwrap_or("")
            .parse()
            .map_err(core_err)?,
        router_uri: arrival.router_uri.as_deref(),
        sealed: arrival.sealed,
        request_sealed: arrival.request_sealed.unwrap_or(false),
    };
    match wampe2e::decide(&keyring.0, &a, strict.unwrap_or(true)).map_err(core_err)? {
        wampe2e::Delivery::Open { uri } => Ok(InboundDecision { open: true, uri }),
        wampe2e::Delivery::Plain { uri } => Ok(InboundDecision { open: false, uri }),
    }
}
