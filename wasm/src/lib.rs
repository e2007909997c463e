//! The WebAssembly build of wampe2e: the `browser` export of the npm package
//! `wampe2e`, with the names, options and errors of the Node addon (`node/`).
//! Conversion only: every decision is the core's.
//!
//! Errors are `Error`s whose `code` is the core's stable name (e.g.
//! `WAMPE2E_URI_MISMATCH`); values a payload cannot carry, and arguments of the
//! wrong type, are `TypeError`s naming where they sit (`args[2].when`). Binary
//! values are `Uint8Array`s. Random bytes come from `crypto.getRandomValues`.
//!
//! The JS module around it (`node/browser/api.js`) instantiates the module and
//! exports these names as the Node addon's `index.js` does.

mod compact;
mod convert;
pub mod group;

use convert::{
    absent, bytes_arg, bytes_js, core_err, invalid, js_args, js_kwargs, opt_bool_arg,
    opt_string_arg, payload_js, prop, required_key, set, string_arg, value_err, with_key,
    wrong_type, Result,
};
use js_sys::Object;
use std::sync::Arc;
use wampe2e::{
    BoxKey, Cipher, DataKey, Dialect, Envelope as CoreEnvelope, ErrorCode, KeyEntry, KeyNames,
    KeyPair, KeyRing as CoreKeyRing, PublicKey, Role, SecretKey, Serializer, SymmetricKey,
};
use wasm_bindgen::prelude::*;

fn role(v: &JsValue) -> Result<Role> {
    match v.as_string().as_deref() {
        Some("originator") => Ok(Role::Originator),
        Some("responder") => Ok(Role::Responder),
        Some(other) => Err(invalid(format!(
            "role: expected \"originator\" or \"responder\" (got {} characters)",
            other.chars().count()
        ))),
        None => Err(wrong_type("role", "a string", v)),
    }
}

/// The dialect of seal options `{ dialect, serializer, cipher }` (undefined: cryptobox).
pub(crate) fn dialect(options: &JsValue) -> Result<Dialect> {
    if absent(options) {
        return Ok(Dialect::Cryptobox);
    }
    if !options.is_object() {
        return Err(wrong_type("options", "an object", options));
    }
    let field = |name: &str| opt_string_arg(&format!("options.{name}"), &prop(options, name));
    match field("dialect")?.as_deref().unwrap_or("cryptobox") {
        "cryptobox" => Ok(Dialect::Cryptobox),
        "ppt" => Ok(Dialect::Passthru {
            serializer: field("serializer")?
                .as_deref()
                .unwrap_or("cbor")
                .parse::<Serializer>()
                .map_err(core_err)?,
            cipher: field("cipher")?
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

/// A thread-safe keyring: URI prefixes (longest character prefix wins, `""` is
/// the default) and key ids mapped to key entries.
#[wasm_bindgen]
pub struct KeyRing(pub(crate) Arc<CoreKeyRing>);

#[wasm_bindgen]
impl KeyRing {
    /// An empty keyring.
    #[wasm_bindgen(constructor)]
    #[allow(clippy::new_without_default)]
    pub fn new() -> KeyRing {
        KeyRing(Arc::new(CoreKeyRing::new()))
    }

    /// Sets the key-pair entry for URIs starting with `prefix` (`""`: the default):
    /// `{ originatorPriv, originatorPub, responderPriv, responderPub, allowMissingUri }`,
    /// each key a base64/hex string or a 32-byte `Uint8Array`.
    #[wasm_bindgen(js_name = setBoxKey)]
    pub fn set_box_key(&self, prefix: JsValue, keys: JsValue) -> Result<()> {
        let prefix = string_arg("prefix", &prefix)?;
        if !keys.is_object() {
            return Err(wrong_type("keys", "an object", &keys));
        }
        let n = KeyNames::CAMEL;
        let key = BoxKey::new_named(
            n,
            with_key(n.originator_priv, &prop(&keys, "originatorPriv"), |k| {
                SecretKey::from_input(n.originator_priv, k)
            })?,
            with_key(n.originator_pub, &prop(&keys, "originatorPub"), |k| {
                PublicKey::from_input(n.originator_pub, k)
            })?,
            with_key(n.responder_priv, &prop(&keys, "responderPriv"), |k| {
                SecretKey::from_input(n.responder_priv, k)
            })?,
            with_key(n.responder_pub, &prop(&keys, "responderPub"), |k| {
                PublicKey::from_input(n.responder_pub, k)
            })?,
        )
        .map_err(core_err)?;
        let allow = opt_bool_arg("allowMissingUri", &prop(&keys, "allowMissingUri"))?;
        let mut entry: KeyEntry = key.into();
        entry.allow_missing_uri = allow.unwrap_or(false);
        self.0.set(&prefix, entry);
        Ok(())
    }

    /// Sets an entry whose one secret (a base64/hex string or 32-byte `Uint8Array`)
    /// serves both roles (Autobahn's `KeyRing("<key>")`).
    #[wasm_bindgen(js_name = setSharedKey)]
    pub fn set_shared_key(&self, prefix: JsValue, secret: JsValue) -> Result<()> {
        let prefix = string_arg("prefix", &prefix)?;
        let secret = required_key("secret", &secret, |k| SecretKey::from_input("secret", k))?;
        self.0.set(
            &prefix,
            BoxKey::from_shared_secret(secret).map_err(core_err)?,
        );
        Ok(())
    }

    /// Adds a symmetric 32-byte data key known by `keyId` (sent as `ppt_keyid`);
    /// with a `prefix` it is also the entry for URIs starting with it.
    #[wasm_bindgen(js_name = setDataKey)]
    pub fn set_data_key(&self, key_id: JsValue, key: JsValue, prefix: JsValue) -> Result<()> {
        let key_id = string_arg("keyId", &key_id)?;
        let key = required_key("key", &key, |k| DataKey::from_input("key", k))?;
        let prefix = opt_string_arg("prefix", &prefix)?;
        let entry = SymmetricKey::new(&key_id, key).map_err(core_err)?;
        match prefix {
            Some(p) => self.0.set(&p, entry),
            None => self.0.add_symmetric_key(entry),
        }
        Ok(())
    }

    /// Removes the entry for exactly `prefix`; returns whether there was one.
    pub fn remove(&self, prefix: JsValue) -> Result<bool> {
        Ok(self.0.remove(&string_arg("prefix", &prefix)?))
    }

    /// Removes a data key added without a prefix; returns whether there was one.
    #[wasm_bindgen(js_name = removeKeyId)]
    pub fn remove_key_id(&self, key_id: JsValue) -> Result<bool> {
        Ok(self.0.remove_key_id(&string_arg("keyId", &key_id)?))
    }

    /// Whether messages on `uri` must arrive encrypted (the keyring has a key for it).
    #[wasm_bindgen(js_name = expectsSealed)]
    pub fn expects_sealed(&self, uri: JsValue) -> Result<bool> {
        Ok(self.0.expects_sealed(&string_arg("uri", &uri)?))
    }

    /// Replaces this peer's secrets for `prefix` with fresh ones; returns the new
    /// public keys `{ originatorPub, responderPub }` (base64; absent parts undefined).
    pub fn rotate(&self, prefix: JsValue) -> Result<Object> {
        let r = self
            .0
            .rotate(&string_arg("prefix", &prefix)?)
            .map_err(core_err)?;
        let o = Object::new();
        if let Some(p) = r.originator_public {
            set(&o, "originatorPub", JsValue::from_str(&p.to_base64()));
        }
        if let Some(p) = r.responder_public {
            set(&o, "responderPub", JsValue::from_str(&p.to_base64()));
        }
        Ok(o)
    }
}

/// `{ attributes, payload, payloadInList }` of a sealed payload.
fn envelope_js(env: CoreEnvelope) -> JsValue {
    let attributes = Object::new();
    for (k, v) in env.attributes() {
        set(&attributes, k, JsValue::from_str(&v));
    }
    let o = Object::new();
    set(&o, "attributes", attributes.into());
    set(&o, "payload", bytes_js(&env.payload));
    set(
        &o,
        "payloadInList",
        JsValue::from_bool(env.dialect.payload_in_list()),
    );
    o.into()
}

/// A received envelope from Options/Details, read by the attribute names the core
/// knows; values that are not strings count as absent.
fn envelope_from_js(attributes: &JsValue, payload: &JsValue) -> Result<CoreEnvelope> {
    if !attributes.is_object() {
        return Err(wrong_type("attributes", "an object", attributes));
    }
    let payload = bytes_arg("payload", payload)?;
    let values = wampe2e::dialects::ATTRIBUTE_NAMES.map(|name| prop(attributes, name).as_string());
    let get = |name: &str| {
        wampe2e::dialects::ATTRIBUTE_NAMES
            .iter()
            .zip(&values)
            .find(|(n, _)| **n == name)
            .and_then(|(_, v)| v.as_deref())
    };
    CoreEnvelope::from_attributes(get, payload).map_err(core_err)
}

fn keyring_of(keyring: &KeyRing) -> &CoreKeyRing {
    &keyring.0
}

/// Seals `args`/`kwargs` for a message on `uri` as `role` (`"originator"` or `"responder"`).
#[wasm_bindgen(js_name = sealPayload)]
pub fn seal_payload(
    keyring: &KeyRing,
    role: JsValue,
    uri: JsValue,
    args: JsValue,
    kwargs: JsValue,
    options: JsValue,
) -> Result<JsValue> {
    let (role, dialect) = (self::role(&role)?, self::dialect(&options)?);
    let uri = string_arg("uri", &uri)?;
    let args = js_args(&args)?;
    let kwargs = js_kwargs(&kwargs)?;
    let sealed = wampe2e::seal_payload(
        keyring_of(keyring),
        role,
        &uri,
        args.as_deref(),
        kwargs.as_ref(),
        dialect,
    )
    .map_err(value_err)?;
    Ok(envelope_js(sealed))
}

/// Opens a received envelope on `uri` as `role`; returns `{ uri, args, kwargs }`.
#[wasm_bindgen(js_name = openPayload)]
pub fn open_payload(
    keyring: &KeyRing,
    role: JsValue,
    uri: JsValue,
    attributes: JsValue,
    payload: JsValue,
) -> Result<JsValue> {
    let role = self::role(&role)?;
    let uri = string_arg("uri", &uri)?;
    let envelope = envelope_from_js(&attributes, &payload)?;
    let p = wampe2e::open_payload(keyring_of(keyring), role, &uri, &envelope).map_err(core_err)?;
    Ok(payload_js(p))
}

/// Seals bytes the caller serialized itself (no URI binding inside).
#[wasm_bindgen(js_name = sealBytes)]
pub fn seal_bytes(
    keyring: &KeyRing,
    role: JsValue,
    uri: JsValue,
    plaintext: JsValue,
    options: JsValue,
) -> Result<JsValue> {
    let role = self::role(&role)?;
    let uri = string_arg("uri", &uri)?;
    let plaintext = bytes_arg("plaintext", &plaintext)?;
    let sealed = wampe2e::seal_bytes(
        keyring_of(keyring),
        role,
        &uri,
        &plaintext,
        dialect(&options)?,
    )
    .map_err(core_err)?;
    Ok(envelope_js(sealed))
}

/// Decrypts a received envelope into its plaintext bytes, without parsing them.
#[wasm_bindgen(js_name = openBytes)]
pub fn open_bytes(
    keyring: &KeyRing,
    role: JsValue,
    uri: JsValue,
    attributes: JsValue,
    payload: JsValue,
) -> Result<JsValue> {
    let role = self::role(&role)?;
    let uri = string_arg("uri", &uri)?;
    let envelope = envelope_from_js(&attributes, &payload)?;
    let plain =
        wampe2e::open_bytes(keyring_of(keyring), role, &uri, &envelope).map_err(core_err)?;
    Ok(bytes_js(&plain))
}

fn key_pair_js(p: KeyPair) -> JsValue {
    let o = Object::new();
    set(&o, "secret", JsValue::from_str(&p.secret.to_base64()));
    set(&o, "public", JsValue::from_str(&p.public.to_base64()));
    o.into()
}

/// A fresh X25519 key pair `{ secret, public }` (base64).
#[wasm_bindgen(js_name = generateKeypair)]
pub fn generate_keypair() -> Result<JsValue> {
    Ok(key_pair_js(KeyPair::generate().map_err(core_err)?))
}

/// A fresh 32-byte symmetric data key (base64).
#[wasm_bindgen(js_name = generateDataKey)]
pub fn generate_data_key() -> Result<String> {
    Ok(DataKey::generate()
        .map_err(core_err)?
        .to_base64()
        .to_string())
}

/// The X25519 key pair (base64) of an Ed25519 (WAMP-cryptosign) seed: base64 or hex,
/// or its 32 bytes.
#[wasm_bindgen(js_name = ed25519ToX25519)]
pub fn ed25519_to_x25519(seed: JsValue) -> Result<JsValue> {
    let p = required_key("seed", &seed, |k| {
        KeyPair::from_ed25519_seed_input("seed", k)
    })?;
    Ok(key_pair_js(p))
}

/// The public key (base64) of a secret key (base64 or hex, or its 32 bytes).
#[wasm_bindgen(js_name = publicKey)]
pub fn public_key(secret: JsValue) -> Result<String> {
    let secret = required_key("secret", &secret, |k| SecretKey::from_input("secret", k))?;
    Ok(secret.public_key().to_base64())
}

/// The WAMP spec key id of a public key (base64 or hex, or its 32 bytes).
#[wasm_bindgen(js_name = keyId)]
pub fn key_id(public_key: JsValue) -> Result<String> {
    let public = required_key("publicKey", &public_key, |k| {
        PublicKey::from_input("publicKey", k)
    })?;
    Ok(public.key_id())
}

/// Every error code name with its stable number, e.g. `{ WAMPE2E_URI_MISMATCH: 7, ... }`.
#[wasm_bindgen(js_name = errorCodes)]
pub fn error_codes() -> Object {
    let o = Object::new();
    for c in ErrorCode::ALL {
        set(&o, c.name(), JsValue::from_f64(f64::from(c.as_u32())));
    }
    o
}

/// The library version.
#[wasm_bindgen]
pub fn version() -> String {
    wampe2e::VERSION.to_owned()
}

/// The core's inbound decision for an arriving EVENT / INVOCATION / RESULT / ERROR:
/// `{ open, uri }`, or throws `WAMPE2E_UNEXPECTED_PLAINTEXT` / `WAMPE2E_PATTERN_MISMATCH`
/// for a message to refuse. `arrival` is `{ kind, localUri, match, routerUri, sealed,
/// requestSealed }`; `strict` defaults to true.
#[wasm_bindgen]
pub fn inbound(keyring: &KeyRing, arrival: JsValue, strict: JsValue) -> Result<JsValue> {
    if !arrival.is_object() {
        return Err(wrong_type("arrival", "an object", &arrival));
    }
    let kind = string_arg("arrival.kind", &prop(&arrival, "kind"))?;
    let local_uri = string_arg("arrival.localUri", &prop(&arrival, "localUri"))?;
    let policy = opt_string_arg("arrival.match", &prop(&arrival, "match"))?;
    let router_uri = opt_string_arg("arrival.routerUri", &prop(&arrival, "routerUri"))?;
    let sealed = prop(&arrival, "sealed");
    let sealed = sealed
        .as_bool()
        .ok_or_else(|| wrong_type("arrival.sealed", "a boolean", &sealed))?;
    let request_sealed = opt_bool_arg("arrival.requestSealed", &prop(&arrival, "requestSealed"))?;
    let a = wampe2e::Arrival {
        kind: kind.parse().map_err(core_err)?,
        local_uri: &local_uri,
        policy: policy.as_deref().unwrap_or("").parse().map_err(core_err)?,
        router_uri: router_uri.as_deref(),
        sealed,
        request_sealed: request_sealed.unwrap_or(false),
    };
    let strict = opt_bool_arg("strict", &strict)?.unwrap_or(true);
    let (open, uri) = match wampe2e::decide(keyring_of(keyring), &a, strict).map_err(core_err)? {
        wampe2e::Delivery::Open { uri } => (true, uri),
        wampe2e::Delivery::Plain { uri } => (false, uri),
    };
    let o = Object::new();
    set(&o, "open", JsValue::from_bool(open));
    set(&o, "uri", JsValue::from_str(&uri));
    Ok(o.into())
}

/// The Salsa20 keystream seals and opens use (`"Simd128"`, or `"Scalar"`), for the tests.
#[wasm_bindgen(js_name = _keystream)]
pub fn keystream() -> String {
    format!("{:?}", wampe2e::crypto::salsa20::detected())
}

/// Makes seals and opens use the scalar keystream, as `WAMPE2E_FORCE_SCALAR=1` does
/// natively (a JS host has no environment); only before the first seal or open.
/// For the tests, which hold both keystreams to libsodium. Returns whether it holds.
#[wasm_bindgen(js_name = _forceScalarKeystream)]
pub fn force_scalar_keystream() -> bool {
    wampe2e::crypto::salsa20::force_scalar()
}
