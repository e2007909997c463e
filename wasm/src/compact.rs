//! Compact entry points behind the JS wrapper (`node/wrapper.js`, shared with the
//! Node addon): the role and dialect as small numbers, received attributes as
//! positional strings (read by name in JS), payload values as `JSON.stringify` text
//! the wrapper checked to be plain JSON, opened payloads as text for `JSON.parse`
//! (the core's `js_json`). Every call across the wasm boundary costs per argument
//! and per property it touches; these touch as few as they can. The public
//! functions keep the checked, general path (`lib.rs`) for every other value.
//! They take the same arguments as the addon's (a trailing scratch buffer is not
//! used here: bytes come back as arrays of their own).

use crate::convert::{bytes_js, core_err, payload_js, set, Result};
use crate::KeyRing;
use js_sys::{Array, Object};
use wampe2e::dialects::ATTRIBUTE_NAMES;
use wampe2e::js_json::{self, open_json_text, seal_json_text, Opened};
use wampe2e::{Dialect, Envelope, EnvelopeRef, Role};
use wasm_bindgen::prelude::*;

fn role(code: u32) -> Result<Role> {
    js_json::role_of_code(code).map_err(core_err)
}

fn dialect(code: u32) -> Result<Dialect> {
    js_json::dialect_of_code(code).map_err(core_err)
}

/// `{ code, attributes, keyIdAttribute, payloadInList }` of seal `options`
/// (validated as `sealPayload` does), for the wrapper to cache.
#[wasm_bindgen(js_name = _dialectInfo)]
pub fn dialect_info(options: JsValue) -> Result<JsValue> {
    let d = crate::dialect(&options)?;
    let code = js_json::dialect_code(d).map_err(core_err)?;
    let probe = Envelope {
        dialect: d,
        key_id: Some(String::new()),
        payload: Vec::new(),
    };
    let attrs = probe.attributes();
    let (fixed, key) = attrs.split_at(attrs.len().saturating_sub(1));
    let attributes = Object::new();
    for (k, v) in fixed {
        set(&attributes, k, JsValue::from_str(v));
    }
    let o = Object::new();
    set(&o, "code", JsValue::from_f64(f64::from(code)));
    set(&o, "attributes", attributes.into());
    set(
        &o,
        "keyIdAttribute",
        JsValue::from_str(key.first().map_or("", |(k, _)| *k)),
    );
    set(&o, "payloadInList", JsValue::from_bool(d.payload_in_list()));
    Ok(o.into())
}

/// The keyring itself: the addon hands out a cheaper handle, a wasm-bindgen class
/// reference is already one.
#[wasm_bindgen(js_name = _keyringHandle)]
pub fn keyring_handle(keyring: JsValue) -> JsValue {
    keyring
}

/// The attribute names received envelopes are read by, in the order `_open*` takes them.
#[wasm_bindgen(js_name = _attributeNames)]
pub fn attribute_names() -> Array {
    ATTRIBUTE_NAMES
        .iter()
        .map(|n| JsValue::from_str(n))
        .collect()
}

/// The received envelope of positional attribute values, borrowing them and the payload.
fn envelope<'a>(attrs: &'a [Option<String>; 7], payload: &'a [u8]) -> Result<EnvelopeRef<'a>> {
    js_json::envelope_ref_of_attributes(attrs, payload).map_err(core_err)
}

/// The sealed payload, or `[payload, keyId]` when the envelope names its key.
fn sealed(e: Envelope) -> JsValue {
    let payload = bytes_js(&e.payload);
    match e.key_id {
        Some(id) => Array::of2(&payload, &JsValue::from_str(&id)).into(),
        None => payload,
    }
}

/// `sealPayload` for values the wrapper found to be plain JSON, given as the
/// `JSON.stringify` text of `[uri, args, kwargs]`.
#[wasm_bindgen(js_name = _sealJson)]
pub fn seal_json(keyring: &KeyRing, role: u32, message: &str, dialect: u32) -> Result<JsValue> {
    let (role, dialect) = (self::role(role)?, self::dialect(dialect)?);
    seal_json_text(&keyring.0, role, message, dialect)
        .map(sealed)
        .map_err(core_err)
}

/// `sealBytes` with compact codes.
#[wasm_bindgen(js_name = _sealBytes)]
pub fn seal_bytes(
    keyring: &KeyRing,
    role: u32,
    uri: &str,
    plaintext: &[u8],
    dialect: u32,
) -> Result<JsValue> {
    let (role, dialect) = (self::role(role)?, self::dialect(dialect)?);
    wampe2e::seal_bytes(&keyring.0, role, uri, plaintext, dialect)
        .map(sealed)
        .map_err(core_err)
}

/// `openBytes` with compact codes and positional attributes.
#[wasm_bindgen(js_name = _openBytes)]
#[allow(clippy::too_many_arguments)]
pub fn open_bytes(
    keyring: &KeyRing,
    role: u32,
    uri: &str,
    payload: &[u8],
    a0: Option<String>,
    a1: Option<String>,
    a2: Option<String>,
    a3: Option<String>,
    a4: Option<String>,
    a5: Option<String>,
    a6: Option<String>,
) -> Result<JsValue> {
    let attrs = [a0, a1, a2, a3, a4, a5, a6];
    let envelope = envelope(&attrs, payload)?;
    wampe2e::open_bytes(&keyring.0, self::role(role)?, uri, envelope)
        .map(|plain| bytes_js(&plain))
        .map_err(core_err)
}

/// `openPayload` with compact codes and positional attributes: JSON text for the
/// wrapper to `JSON.parse`, `[text, side]` when binaries travel out of band in
/// `side` (see `wampe2e::js_json::Opened`), or the converted object.
#[wasm_bindgen(js_name = _openJson)]
#[allow(clippy::too_many_arguments)]
pub fn open_json(
    keyring: &KeyRing,
    role: u32,
    uri: &str,
    payload: &[u8],
    a0: Option<String>,
    a1: Option<String>,
    a2: Option<String>,
    a3: Option<String>,
    a4: Option<String>,
    a5: Option<String>,
    a6: Option<String>,
) -> Result<JsValue> {
    let attrs = [a0, a1, a2, a3, a4, a5, a6];
    let envelope = envelope(&attrs, payload)?;
    Ok(
        match open_json_text(&keyring.0, self::role(role)?, uri, envelope).map_err(core_err)? {
            Opened::Json(text) => JsValue::from_str(&text),
            Opened::JsonWithBinaries(text, side) => {
                Array::of2(&JsValue::from_str(&text), &bytes_js(&side)).into()
            }
            Opened::Values(p) => payload_js(p),
        },
    )
}
