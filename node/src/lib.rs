//! The Node.js addon of wampe2e (npm `wampe2e`). Conversion only: every decision
//! is the core's. Every export has `catch_unwind`, so a panic becomes a JS error.
//!
//! Errors are `Error`s whose `code` is the core's stable name (e.g.
//! `WAMPE2E_URI_MISMATCH`); values a payload cannot carry are `TypeError`s naming
//! where they sit (`args[2].when`).
#![allow(unsafe_code)]

pub mod compact;
mod convert;

use convert::{js_args, js_kwargs, Code, Result};
use napi::bindgen_prelude::Object;
use napi::{Env, JsValue, Task};
use napi_derive::napi;
use std::sync::Arc;
use wampe2e::{
    BoxKey, Cipher, DataKey, Dialect, Envelope as CoreEnvelope, Error, ErrorCode, KeyEntry,
    KeyPair, KeyRing as CoreKeyRing, Map, Payload, PublicKey, Role, SecretKey, Serializer,
    SymmetricKey, Value,
};

fn core_err(e: Error) -> napi::Error<Code> {
    napi::Error::new(Code(e.code().name()), e.message().to_owned())
}

fn invalid(msg: String) -> napi::Error<Code> {
    core_err(Error::new(ErrorCode::InvalidArgument, msg))
}

fn role(s: &str) -> Result<Role> {
    match s {
        "originator" => Ok(Role::Originator),
        "responder" => Ok(Role::Responder),
        other => Err(invalid(format!(
            "role {other:?} is not \"originator\" or \"responder\""
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
            "dialect {other:?} is not \"cryptobox\" or \"ppt\""
        ))),
    }
}

/// Keys of a key-pair entry, base64 or hex; give the ones this peer has (as
/// Autobahn's `Key(originator_priv=, originator_pub=, responder_priv=, responder_pub=)`).
#[napi(object)]
pub struct BoxKeyParts {
    /// Originator (caller/publisher) secret key.
    pub originator_priv: Option<String>,
    /// Originator public key.
    pub originator_pub: Option<String>,
    /// Responder (callee/subscriber) secret key.
    pub responder_priv: Option<String>,
    /// Responder public key.
    pub responder_pub: Option<String>,
    /// Accept plaintexts that carry no URI (off by default).
    pub allow_missing_uri: Option<bool>,
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
    #[napi(catch_unwind)]
    pub fn set_box_key(&self, prefix: String, keys: BoxKeyParts) -> Result<()> {
        let key = BoxKey::from_encoded(
            keys.originator_priv.as_deref(),
            keys.originator_pub.as_deref(),
            keys.responder_priv.as_deref(),
            keys.responder_pub.as_deref(),
        )
        .map_err(core_err)?;
        let mut entry: KeyEntry = key.into();
        entry.allow_missing_uri = keys.allow_missing_uri.unwrap_or(false);
        self.0.set(&prefix, entry);
        Ok(())
    }

    /// Sets an entry whose one secret serves both roles (Autobahn's `KeyRing("<key>")`).
    #[napi(catch_unwind)]
    pub fn set_shared_key(&self, prefix: String, secret: String) -> Result<()> {
        let secret = SecretKey::from_encoded("secret", &secret).map_err(core_err)?;
        self.0.set(
            &prefix,
            BoxKey::from_shared_secret(secret).map_err(core_err)?,
        );
        Ok(())
    }

    /// Adds a symmetric 32-byte data key known by `keyId` (sent as `ppt_keyid`); with a
    /// `prefix` it is also the entry for URIs starting with it.
    #[napi(catch_unwind)]
    pub fn set_data_key(&self, key_id: String, key: String, prefix: Option<String>) -> Result<()> {
        let key = DataKey::from_encoded("key", &key).map_err(core_err)?;
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

/// The X25519 key pair (base64) of an Ed25519 (WAMP-cryptosign) seed, base64 or hex.
#[napi(catch_unwind)]
pub fn ed25519_to_x25519(seed: String) -> Result<KeyPairStrings> {
    let p = KeyPair::from_ed25519_seed_encoded("seed", &seed).map_err(core_err)?;
    Ok(KeyPairStrings {
        secret: p.secret.to_base64().to_string(),
        public: p.public.to_base64(),
    })
}

/// The public key (base64) of a secret key (base64 or hex).
#[napi(catch_unwind)]
pub fn public_key(secret: String) -> Result<String> {
    Ok(SecretKey::from_encoded("secret", &secret)
        .map_err(core_err)?
        .public_key()
        .to_base64())
}

/// The WAMP spec key id of a public key (base64 or hex).
#[napi(catch_unwind)]
pub fn key_id(public_key: String) -> Result<String> {
    Ok(PublicKey::from_encoded("public_key", &public_key)
        .map_err(core_err)?
        .key_id())
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
