//! Compact entry points behind `wampe2e.js`, the package's public module. Each N-API
//! call costs per argument and per object property it touches, so these take the role
//! and dialect as small numbers, received attributes as positional strings (read by
//! name in JS), payload values as JSON text the wrapper checked to be plain JSON, and
//! return as little as possible. The public functions keep the checked, fully general
//! path (`sealPayload` etc. in `lib.rs`) for every value these do not take.
//!
//! The synchronous ones are plain N-API functions (`_rawEntryPoints`, see
//! [`crate::raw`]): the functions here take their converted arguments, and no
//! scratch or output buffer they are given shares memory with their input.

use crate::convert::{CopiedBuffer, Pair, PayloadJs, Text};
use crate::{core_err, KeyRing, SealOptions};
use napi::bindgen_prelude::{Either, Either3, External};
use napi_derive::napi;
use std::sync::Arc;
use wampe2e::dialects::ATTRIBUTE_NAMES;
use wampe2e::js_json::{self, open_json_text, seal_json_text, Opened};
use wampe2e::{Dialect, Envelope, OpenedBytes, Role};

type Result<T> = crate::convert::Result<T>;

fn role(code: u32) -> Result<Role> {
    js_json::role_of_code(code).map_err(core_err)
}

fn dialect(code: u32) -> Result<Dialect> {
    js_json::dialect_of_code(code).map_err(core_err)
}

/// A dialect's compact code with what a sealed envelope carries besides the payload.
#[napi(object)]
pub struct DialectInfo {
    /// Index into the core's list of dialects.
    pub code: u32,
    /// The fixed attributes of every envelope in this dialect.
    pub attributes: std::collections::HashMap<String, String>,
    /// The attribute naming the key, when the sealing key has an id.
    pub key_id_attribute: String,
    /// True when the payload travels as `Arguments = [payload]`.
    pub payload_in_list: bool,
}

/// The compact code of `options` (validated as `sealPayload` does), for the JS wrapper to cache.
#[napi(js_name = "_dialectInfo", catch_unwind)]
pub fn dialect_info(options: Option<SealOptions>) -> Result<DialectInfo> {
    let d = crate::dialect(options.as_ref())?;
    let code = js_json::dialect_code(d).map_err(core_err)?;
    let probe = Envelope {
        dialect: d,
        key_id: Some(String::new()),
        payload: Vec::new(),
    };
    let attrs = probe.attributes();
    let (fixed, key) = attrs.split_at(attrs.len().saturating_sub(1));
    Ok(DialectInfo {
        code,
        attributes: fixed
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect(),
        key_id_attribute: key
            .first()
            .map(|(k, _)| (*k).to_owned())
            .unwrap_or_default(),
        payload_in_list: d.payload_in_list(),
    })
}

/// A keyring as the compact entry points take it: the `KeyRing`'s own core keyring
/// (shared, so later changes to the `KeyRing` apply), in an N-API external. Taking a
/// class instance costs about 0.2 µs per call in napi-rs (wrap lookup, class check,
/// borrow tracking), an external less than a tenth of that; the wrapper asks once
/// per `KeyRing` and keeps the handle in a `WeakMap`.
pub type Handle = External<Arc<wampe2e::KeyRing>>;

/// The handle of `keyring` (see [`Handle`]).
#[napi(
    js_name = "_keyringHandle",
    ts_return_type = "ExternalObject<'KeyRing'>"
)]
pub fn keyring_handle(keyring: &KeyRing) -> Handle {
    External::new(Arc::clone(&keyring.0))
}

/// The attribute names received envelopes are read by, in the order `_open*` takes them.
#[napi(js_name = "_attributeNames")]
pub fn attribute_names() -> Vec<&'static str> {
    ATTRIBUTE_NAMES.to_vec()
}

/// What each cipher adds to a plaintext, by its `ppt_cipher` name (cryptobox's is
/// `xsalsa20poly1305`): the wrapper sizes `openBytes`'s output by it.
#[napi(js_name = "_openOverheads")]
pub fn open_overheads() -> std::collections::HashMap<&'static str, u32> {
    wampe2e::Cipher::ALL
        .iter()
        .map(|c| (c.as_str(), u32::try_from(c.overhead()).unwrap_or(u32::MAX)))
        .collect()
}

/// A string argument of a compact entry point (a URI, an attribute value, JSON
/// text), read in one N-API call into an `N`-byte buffer on the stack. napi-rs's
/// `String` asks V8 for the UTF-8 length, allocates a zeroed buffer, copies and
/// frees: three strings of a small `openBytes` cost a sixth of its time that way.
/// Strings that may not have fit (within 4 bytes of the buffer's end: V8 stops
/// before a character that does not fit whole) are read again as a `String`. A
/// value that is no string fails with a plain error, never napi-rs's, which quotes
/// the value and so runs JS.
pub struct StackStr<const N: usize>(Repr<N>);

/// Private, so that only [`StackStr::from_napi_value`] makes one: an `Inline` holds
/// UTF-8 (checked there), which `deref` relies on.
enum Repr<const N: usize> {
    /// The UTF-8 bytes and their length.
    Inline([u8; N], usize),
    /// A longer string.
    Heap(String),
}

/// URIs and attribute values.
pub type ShortStr = StackStr<96>;

/// `JSON.stringify` text of a message (small events fit).
pub type TextArg = StackStr<1024>;

impl<const N: usize> std::ops::Deref for StackStr<N> {
    type Target = str;
    fn deref(&self) -> &str {
        match &self.0 {
            Repr::Inline(buf, len) => {
                let bytes = buf.get(..*len).unwrap_or_default();
                // SAFETY: `Inline` is only made of bytes checked to be UTF-8 (see
                // `from_napi_value`), and neither they nor the length change after.
                unsafe { std::str::from_utf8_unchecked(bytes) }
            }
            Repr::Heap(s) => s,
        }
    }
}

impl<const N: usize> napi::bindgen_prelude::TypeName for StackStr<N> {
    fn type_name() -> &'static str {
        "String"
    }
    fn value_type() -> napi::ValueType {
        napi::ValueType::String
    }
}

impl<const N: usize> napi::bindgen_prelude::FromNapiValue for StackStr<N> {
    unsafe fn from_napi_value(
        env: napi::sys::napi_env,
        value: napi::sys::napi_value,
    ) -> napi::Result<Self> {
        let mut buf = [0u8; N];
        let mut len = 0usize;
        // SAFETY: `buf` is writable for its whole length, which is what V8 is told.
        let status = unsafe {
            napi::sys::napi_get_value_string_utf8(
                env,
                value,
                buf.as_mut_ptr().cast(),
                buf.len(),
                &mut len,
            )
        };
        if status != napi::sys::Status::napi_ok {
            // Not napi-rs's conversion error: that one quotes the value, running JS
            // (`toJSON`, getters) in the middle of reading the arguments.
            return Err(napi::Error::new(
                napi::Status::StringExpected,
                "expected a string".to_owned(),
            ));
        }
        let whole = len + 4 < buf.len()
            && buf
                .get(..len)
                .is_some_and(|b| std::str::from_utf8(b).is_ok());
        if whole {
            return Ok(StackStr(Repr::Inline(buf, len)));
        }
        // SAFETY: the same (env, value), a string: its conversion runs no JS.
        unsafe { String::from_napi_value(env, value) }.map(|s| StackStr(Repr::Heap(s)))
    }
}

impl<const N: usize> Drop for StackStr<N> {
    /// Wiped: a message's JSON text is plaintext.
    fn drop(&mut self) {
        match &mut self.0 {
            Repr::Inline(buf, len) => {
                wampe2e::crypto::wipe_bytes(buf.get_mut(..*len).unwrap_or_default())
            }
            Repr::Heap(s) => crate::convert::wipe_string(s),
        }
    }
}

/// A received envelope from positional attribute values (see [`attribute_names`]).
pub(crate) fn envelope<S: std::ops::Deref<Target = str>>(
    attrs: [Option<S>; 7],
    payload: &[u8],
) -> Result<Envelope> {
    js_json::envelope_of_attributes(attrs, payload).map_err(core_err)
}

/// Bytes for JS: their length when they were written to the caller's scratch
/// buffer (JS copies them into a pooled `Buffer`), else a new `Buffer`. A `Buffer`
/// made through N-API gets its own backing store, which V8 frees on a sweeper
/// thread: for small payloads that costs more than the cryptography.
pub(crate) type Out = Either<u32, CopiedBuffer>;

fn out(bytes: Vec<u8>, scratch: &mut [u8]) -> Out {
    match (u32::try_from(bytes.len()), scratch.get_mut(..bytes.len())) {
        (Ok(n), Some(dst)) => {
            dst.copy_from_slice(&bytes);
            Either::A(n)
        }
        _ => Either::B(CopiedBuffer(bytes)),
    }
}

/// The sealed payload, with the key id when the envelope carries one.
pub(crate) type Sealed = Either<Out, (Out, String)>;

fn sealed(e: Envelope, scratch: &mut [u8]) -> Sealed {
    let payload = out(e.payload, scratch);
    match e.key_id {
        Some(id) => Either::B((payload, id)),
        None => Either::A(payload),
    }
}

/// `sealPayload` for values the wrapper found to be plain JSON (no binaries, no
/// non-finite numbers, no strings starting with U+0000), given as the
/// `JSON.stringify` text of `[uri, args, kwargs]` (one string: one conversion).
pub(crate) fn seal_json(
    keyring: &Handle,
    role: u32,
    message: &str,
    dialect: u32,
    scratch: &mut [u8],
) -> Result<Sealed> {
    let (role, dialect) = (self::role(role)?, self::dialect(dialect)?);
    seal_json_text(keyring, role, message, dialect)
        .map(|e| sealed(e, scratch))
        .map_err(core_err)
}

/// `sealBytes` with compact codes.
pub(crate) fn seal_bytes(
    keyring: &Handle,
    role: u32,
    uri: &str,
    plaintext: &[u8],
    dialect: u32,
    scratch: &mut [u8],
) -> Result<Sealed> {
    let (role, dialect) = (self::role(role)?, self::dialect(dialect)?);
    wampe2e::seal_bytes(keyring, role, uri, plaintext, dialect)
        .map(|e| sealed(e, scratch))
        .map_err(core_err)
}

/// `openBytes` with compact codes and positional attributes, decrypting into `out`
/// (a pooled `Buffer` the wrapper allocated for the expected plaintext) when the
/// plaintext fits there: its length comes back, else a `Buffer` of its own.
pub(crate) fn open_bytes(
    keyring: &Handle,
    role: u32,
    uri: &str,
    payload: &[u8],
    attrs: &[Option<ShortStr>; 7],
    out: &mut [u8],
) -> Result<Out> {
    let envelope = js_json::envelope_ref_of_attributes(attrs, payload).map_err(core_err)?;
    match wampe2e::open_bytes_into(keyring, self::role(role)?, uri, envelope, out) {
        Ok(OpenedBytes::Written(n)) => Ok(match u32::try_from(n) {
            Ok(n) => Either::A(n),
            Err(_) => Either::B(CopiedBuffer(out.get(..n).unwrap_or_default().to_vec())),
        }),
        Ok(OpenedBytes::Allocated(plain)) => Ok(Either::B(CopiedBuffer(plain))),
        Err(e) => Err(core_err(e)),
    }
}

/// What `_openJson` returns: JSON text, `[text, side]` (see
/// [`Opened::JsonWithBinaries`]; `side` as for [`Out`]) or the converted object.
pub(crate) type OpenedJs = Either3<Text, Pair<Text, Out>, PayloadJs>;

/// `o` for JS; a side buffer goes to `scratch` when there is one and it fits.
fn opened_js(o: Opened, scratch: Option<&mut [u8]>) -> OpenedJs {
    match o {
        Opened::Json(text) => Either3::A(Text(text)),
        Opened::JsonWithBinaries(text, side) => Either3::B(Pair(
            Text(text),
            match scratch {
                Some(scratch) => out(side, scratch),
                None => Either::B(CopiedBuffer(side)),
            },
        )),
        Opened::Values(p) => Either3::C(PayloadJs(p)),
    }
}

/// `openPayload` with compact codes and positional attributes. A plaintext the core
/// checked (and found to mean the same to `JSON.parse`, binaries aside) comes back
/// as JSON text for the wrapper to `JSON.parse` (V8 builds objects from JSON far
/// faster than property by property through N-API); anything else as the
/// converted object.
pub(crate) fn open_json(
    keyring: &Handle,
    role: u32,
    uri: &str,
    payload: &[u8],
    attrs: &[Option<ShortStr>; 7],
    scratch: &mut [u8],
) -> Result<OpenedJs> {
    let envelope = js_json::envelope_ref_of_attributes(attrs, payload).map_err(core_err)?;
    open_json_text(keyring, self::role(role)?, uri, envelope)
        .map(|o| opened_js(o, Some(scratch)))
        .map_err(core_err)
}

/// `_sealJson` on the libuv pool: the core's work (transcoding the text, sealing) off
/// the JS thread.
pub struct SealJsonTask {
    keyring: Arc<wampe2e::KeyRing>,
    role: Role,
    message: String,
    dialect: Dialect,
}

/// What `_sealJsonAsync` resolves to.
#[napi(object, object_from_js = false)]
pub struct SealedJs {
    /// The sealed bytes.
    #[napi(ts_type = "Buffer")]
    pub payload: CopiedBuffer,
    /// The key id the envelope names, if any.
    pub key_id: Option<String>,
}

impl napi::Task for SealJsonTask {
    type Output = std::result::Result<Envelope, wampe2e::Error>;
    type JsValue = SealedJs;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        Ok(seal_json_text(
            &self.keyring,
            self.role,
            &self.message,
            self.dialect,
        ))
    }

    fn resolve(&mut self, env: napi::Env, output: Self::Output) -> napi::Result<Self::JsValue> {
        let e = output.map_err(|e| crate::rejection(&env, e))?;
        Ok(SealedJs {
            payload: CopiedBuffer(e.payload),
            key_id: e.key_id,
        })
    }
}

/// `_sealJson` as a promise (see [`SealJsonTask`]).
#[napi(
    js_name = "_sealJsonAsync",
    catch_unwind,
    ts_return_type = "Promise<SealedJs>"
)]
pub fn seal_json_async(
    #[napi(ts_arg_type = "ExternalObject<'KeyRing'>")] keyring: &Handle,
    role: u32,
    message: String,
    dialect: u32,
) -> Result<napi::bindgen_prelude::AsyncTask<SealJsonTask>> {
    Ok(napi::bindgen_prelude::AsyncTask::new(SealJsonTask {
        keyring: Arc::clone(keyring),
        role: self::role(role)?,
        dialect: self::dialect(dialect)?,
        message,
    }))
}

/// `_openJson` on the libuv pool: decryption and the core's checks off the JS thread.
pub struct OpenJsonTask {
    keyring: Arc<wampe2e::KeyRing>,
    role: Role,
    uri: String,
    envelope: Envelope,
}

impl napi::Task for OpenJsonTask {
    type Output = std::result::Result<Opened, wampe2e::Error>;
    type JsValue = OpenedJs;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        Ok(open_json_text(
            &self.keyring,
            self.role,
            &self.uri,
            &self.envelope,
        ))
    }

    fn resolve(&mut self, env: napi::Env, output: Self::Output) -> napi::Result<Self::JsValue> {
        output
            .map(|o| opened_js(o, None))
            .map_err(|e| crate::rejection(&env, e))
    }
}

/// `_openJson` as a promise (see [`OpenJsonTask`]).
#[napi(
    js_name = "_openJsonAsync",
    catch_unwind,
    ts_return_type = "Promise<string | [string, Buffer] | { uri: string | null, args: unknown[] | null, kwargs: Record<string, unknown> | null }>"
)]
#[allow(clippy::too_many_arguments)]
pub fn open_json_async(
    #[napi(ts_arg_type = "ExternalObject<'KeyRing'>")] keyring: &Handle,
    role: u32,
    uri: String,
    payload: &[u8],
    a0: Option<String>,
    a1: Option<String>,
    a2: Option<String>,
    a3: Option<String>,
    a4: Option<String>,
    a5: Option<String>,
    a6: Option<String>,
) -> Result<napi::bindgen_prelude::AsyncTask<OpenJsonTask>> {
    Ok(napi::bindgen_prelude::AsyncTask::new(OpenJsonTask {
        keyring: Arc::clone(keyring),
        role: self::role(role)?,
        envelope: envelope([a0, a1, a2, a3, a4, a5, a6], payload)?,
        uri,
    }))
}
