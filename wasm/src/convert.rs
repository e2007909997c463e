//! JS values ↔ payload values, and errors as JS sees them: the same rules as the
//! Node addon (`node/src/convert.rs`), over `js_sys` instead of N-API.
//!
//! Numbers: integral JS numbers become integers (as `JSON.stringify` writes them),
//! others floats; `BigInt` must fit 64 bits. `Uint8Array` and `ArrayBuffer` become
//! binary and come back as `Uint8Array`. `undefined` is skipped in objects and
//! `null` in arrays, as `JSON.stringify` does. Integers beyond 2^53 come back as `BigInt`.

use js_sys::{Array, ArrayBuffer, BigInt, Object, Reflect, Uint8Array};
use wampe2e::plaintext::limits::MAX_DEPTH;
use wampe2e::{Error, ErrorCode, KeyInput, Map, Payload, Value};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use zeroize::Zeroizing;

/// Results of exports: the error is the JS value thrown.
pub type Result<T> = std::result::Result<T, JsValue>;

/// An `Error` (or `TypeError`) whose `code` is `code`.
fn js_error(code: &str, msg: &str, type_error: bool) -> JsValue {
    let e: JsValue = if type_error {
        js_sys::TypeError::new(msg).into()
    } else {
        js_sys::Error::new(msg).into()
    };
    // Setting a property on a fresh Error cannot fail; if it did, the error still throws.
    let _ = Reflect::set(&e, &JsValue::from_str("code"), &JsValue::from_str(code));
    e
}

/// A core error: an `Error` with the core's stable code name.
pub fn core_err(e: Error) -> JsValue {
    js_error(e.code().name(), e.message(), false)
}

/// A core error from sealing: unsupported values are `TypeError`s, the rest `Error`s.
pub fn value_err(e: Error) -> JsValue {
    js_error(
        e.code().name(),
        e.message(),
        e.code() == ErrorCode::UnsupportedValue,
    )
}

/// `WAMPE2E_INVALID_ARGUMENT` with `msg`.
pub fn invalid(msg: String) -> JsValue {
    core_err(Error::new(ErrorCode::InvalidArgument, msg))
}

/// A `TypeError` with code `ERR_INVALID_ARG_TYPE`.
pub fn type_error(msg: &str) -> JsValue {
    js_error("ERR_INVALID_ARG_TYPE", msg, true)
}

/// What a JS value is, for messages (never its content).
fn type_name(v: &JsValue) -> &'static str {
    if v.is_undefined() {
        "undefined"
    } else if v.is_null() {
        "null"
    } else if v.is_string() {
        "a string"
    } else if v.as_bool().is_some() {
        "a boolean"
    } else if v.as_f64().is_some() {
        "a number"
    } else if v.is_bigint() {
        "a bigint"
    } else if v.is_symbol() {
        "a symbol"
    } else if v.is_function() {
        "a function"
    } else if v.is_object() {
        "an object"
    } else {
        "a value of another type"
    }
}

/// The `TypeError` for an argument of the wrong JS type: names the argument and
/// what it is, never its content.
pub fn wrong_type(what: &str, expected: &str, v: &JsValue) -> JsValue {
    type_error(&format!(
        "{what}: expected {expected}, got {}",
        type_name(v)
    ))
}

/// Undefined or null.
pub fn absent(v: &JsValue) -> bool {
    v.is_undefined() || v.is_null()
}

/// A string argument.
pub fn string_arg(what: &str, v: &JsValue) -> Result<String> {
    v.as_string().ok_or_else(|| wrong_type(what, "a string", v))
}

/// An optional string argument (undefined/null: `None`).
pub fn opt_string_arg(what: &str, v: &JsValue) -> Result<Option<String>> {
    if absent(v) {
        Ok(None)
    } else {
        string_arg(what, v).map(Some)
    }
}

/// An optional boolean argument.
pub fn opt_bool_arg(what: &str, v: &JsValue) -> Result<Option<bool>> {
    if absent(v) {
        return Ok(None);
    }
    v.as_bool()
        .map(Some)
        .ok_or_else(|| wrong_type(what, "a boolean", v))
}

/// An optional number argument.
pub fn opt_f64_arg(what: &str, v: &JsValue) -> Result<Option<f64>> {
    if absent(v) {
        return Ok(None);
    }
    v.as_f64()
        .map(Some)
        .ok_or_else(|| wrong_type(what, "a number", v))
}

/// The bytes of a `Uint8Array`, copied into wasm memory by their true length.
/// `Uint8Array::to_vec` asks the array its `length`, which JS can shadow (an own
/// property, a subclass getter): a smaller one would have the copy run past the
/// allocation, a larger one hand over stale heap bytes. The `Uint8Array`
/// constructor copies by the array's internal length into a plain array first.
pub fn u8s(a: &Uint8Array) -> Vec<u8> {
    Uint8Array::new(a).to_vec()
}

/// Bytes of a `Uint8Array` (or other view) or `ArrayBuffer`, copied out of JS memory.
pub fn bytes_of(v: &JsValue) -> Option<Vec<u8>> {
    if let Some(a) = v.dyn_ref::<Uint8Array>() {
        return Some(u8s(a));
    }
    if let Some(ab) = v.dyn_ref::<ArrayBuffer>() {
        return Some(Uint8Array::new(ab).to_vec());
    }
    None
}

/// A byte argument (`Uint8Array`/`Buffer`).
pub fn bytes_arg(what: &str, v: &JsValue) -> Result<Vec<u8>> {
    match v.dyn_ref::<Uint8Array>() {
        Some(a) => Ok(u8s(a)),
        None => Err(wrong_type(what, "a Uint8Array", v)),
    }
}

/// A property of `o` (undefined when it cannot be read).
pub fn prop(o: &JsValue, name: &str) -> JsValue {
    Reflect::get(o, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
}

pub(crate) const KEY_TYPES: &str = "a base64/hex string or a 32-byte Uint8Array/Buffer";

/// Runs `f` on the key argument `v` (see `wampe2e::KeyInput`): a string, or a
/// `Uint8Array`. `None` for undefined/null.
pub fn with_key<T>(
    what: &str,
    v: &JsValue,
    f: impl FnOnce(KeyInput<'_>) -> wampe2e::Result<T>,
) -> Result<Option<T>> {
    if absent(v) {
        return Ok(None);
    }
    if let Some(text) = v.as_string() {
        let text = Zeroizing::new(text);
        return f(KeyInput::Text(&text)).map(Some).map_err(core_err);
    }
    if let Some(a) = v.dyn_ref::<Uint8Array>() {
        let bytes = Zeroizing::new(u8s(a));
        return f(KeyInput::Bytes(&bytes)).map(Some).map_err(core_err);
    }
    Err(wrong_type(what, KEY_TYPES, v))
}

/// A key argument that must be given.
pub fn required_key<T>(
    what: &str,
    v: &JsValue,
    f: impl FnOnce(KeyInput<'_>) -> wampe2e::Result<T>,
) -> Result<T> {
    with_key(what, v, f)?.ok_or_else(|| wrong_type(what, KEY_TYPES, v))
}

// ---- JS → Value ----

/// Where a bad value sits, innermost segment last (built while unwinding).
struct Bad {
    msg: String,
    path: Vec<String>,
}

type Conv<T> = std::result::Result<T, Bad>;

fn bad(msg: impl Into<String>) -> Bad {
    Bad {
        msg: msg.into(),
        path: Vec::new(),
    }
}

fn at<T>(r: Conv<T>, segment: impl FnOnce() -> String) -> Conv<T> {
    r.map_err(|mut b| {
        b.path.push(segment());
        b
    })
}

fn seg_key(k: &str) -> String {
    if !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
    {
        format!(".{k}")
    } else {
        format!("[{k:?}]")
    }
}

/// At most this many elements are allocated ahead of converting them.
pub(crate) const PREALLOCATE: usize = 1024;

fn from_js(v: &JsValue, depth: usize) -> Conv<Option<Value>> {
    if v.is_undefined() {
        return Ok(None);
    }
    if v.is_null() {
        return Ok(Some(Value::Null));
    }
    if let Some(b) = v.as_bool() {
        return Ok(Some(Value::Bool(b)));
    }
    if let Some(n) = v.as_f64() {
        // Integral and exactly representable as i64: an integer, as JSON.stringify writes it.
        return Ok(Some(
            if n.fract() == 0.0 && n.abs() < 9.2e18 && !(n == 0.0 && n.is_sign_negative()) {
                Value::Int(n as i64)
            } else {
                Value::Float(n)
            },
        ));
    }
    if let Some(s) = v.as_string() {
        return Ok(Some(Value::String(s)));
    }
    if v.is_bigint() {
        let b: BigInt = v.clone().unchecked_into();
        if let Ok(u) = u64::try_from(b.clone()) {
            return Ok(Some(Value::from_u64(u)));
        }
        return match i64::try_from(b) {
            Ok(i) if i < 0 => Ok(Some(Value::Int(i))),
            _ => Err(bad("BigInt does not fit in 64 bits")),
        };
    }
    if !v.is_object() || v.is_function() {
        let what = if v.is_symbol() {
            "Symbol"
        } else if v.is_function() {
            "Function"
        } else {
            "value of this type"
        };
        return Err(bad(format!("a {what} cannot be carried in a WAMP payload")));
    }
    if depth >= MAX_DEPTH {
        return Err(bad(format!(
            "nesting deeper than {MAX_DEPTH} levels (a cyclic object?)"
        )));
    }
    if Array::is_array(v) {
        let a: &Array = v.unchecked_ref();
        let n = a.length();
        // Not `n`: a sparse `new Array(2 ** 28)` would ask for gigabytes up front.
        let mut out = Vec::with_capacity((n as usize).min(PREALLOCATE));
        for i in 0..n {
            let item = a.get(i);
            out.push(at(from_js(&item, depth + 1), || format!("[{i}]"))?.unwrap_or(Value::Null));
        }
        return Ok(Some(Value::List(out)));
    }
    if let Some(a) = v.dyn_ref::<Uint8Array>() {
        return Ok(Some(Value::Bytes(u8s(a))));
    }
    if js_sys::ArrayBuffer::is_view(v) {
        return Err(bad("only Uint8Array/Buffer binaries are supported"));
    }
    if let Some(ab) = v.dyn_ref::<ArrayBuffer>() {
        return Ok(Some(Value::Bytes(Uint8Array::new(ab).to_vec())));
    }
    let o: &Object = v.unchecked_ref();
    if let Some(kind) = not_plain(o) {
        return Err(bad(format!(
            "{kind} is not plain data and cannot be carried in a WAMP payload \
             (plain objects, arrays, strings, numbers, BigInt, booleans, null and \
             Uint8Array/Buffer/ArrayBuffer are)"
        )));
    }
    Ok(Some(Value::Map(object(o, depth)?)))
}

/// For an object that is not plain (its prototype is neither `Object.prototype`
/// nor null), a name for it in messages (`a Date`); `None` for a plain object.
fn not_plain(o: &Object) -> Option<String> {
    let proto = Object::get_prototype_of(o);
    if proto.is_null() {
        return None;
    }
    let object_prototype = Object::get_prototype_of(&Object::new());
    if JsValue::from(proto.clone()) == JsValue::from(object_prototype) {
        return None;
    }
    // The constructor's name (a program's identifier, not data).
    let name = Reflect::get(&proto, &JsValue::from_str("constructor"))
        .ok()
        .filter(JsValue::is_function)
        .and_then(|c| Reflect::get(&c, &JsValue::from_str("name")).ok())
        .and_then(|n| n.as_string())
        .filter(|n| !n.is_empty() && n.len() <= 64)
        .map_or_else(
            || "an object that is not a plain object".to_owned(),
            |n| format!("a {n}"),
        );
    Some(name)
}

fn object(o: &Object, depth: usize) -> Conv<Map> {
    let keys = Object::keys(o);
    let mut out = Vec::with_capacity((keys.length() as usize).min(PREALLOCATE));
    for k in keys.iter() {
        let Some(name) = k.as_string() else { continue };
        let item = Reflect::get(o, &k).map_err(|_| bad("a property could not be read"))?;
        if let Some(v) = at(from_js(&item, depth + 1), || seg_key(&name))? {
            out.push((name, v));
        }
    }
    Ok(out)
}

fn located(root: &str, b: Bad) -> JsValue {
    let path: String = b.path.iter().rev().map(String::as_str).collect();
    type_error(&format!("{root}{path}: {}", b.msg))
}

/// `args`: undefined/null, or an array.
pub fn js_args(v: &JsValue) -> Result<Option<Vec<Value>>> {
    match from_js(v, 0) {
        Ok(None | Some(Value::Null)) => Ok(None),
        Ok(Some(Value::List(l))) => Ok(Some(l)),
        Ok(Some(other)) => Err(type_error(&format!(
            "args: expected an array, got a {}",
            other.kind()
        ))),
        Err(b) => Err(located("args", b)),
    }
}

/// `kwargs`: undefined/null, or a plain object.
pub fn js_kwargs(v: &JsValue) -> Result<Option<Map>> {
    match from_js(v, 0) {
        Ok(None | Some(Value::Null)) => Ok(None),
        Ok(Some(Value::Map(m))) => Ok(Some(m)),
        Ok(Some(other)) => Err(type_error(&format!(
            "kwargs: expected an object, got a {}",
            other.kind()
        ))),
        Err(b) => Err(located("kwargs", b)),
    }
}

// ---- Value → JS ----

const MAX_SAFE: i64 = (1 << 53) - 1;

// How bytes are handed to JS: a `Uint8Array`, except in the Node build of the
// bundle (node/browser/build.mjs defines `__WAMPE2E_NODE_BUFFER__` as true), which
// gives `Buffer`s over the same memory, as the native addon does.
#[wasm_bindgen(inline_js = "export function bytesOut(a) {
  return typeof __WAMPE2E_NODE_BUFFER__ !== 'undefined' && __WAMPE2E_NODE_BUFFER__
    ? Buffer.from(a.buffer, a.byteOffset, a.byteLength) : a
}")]
extern "C" {
    #[wasm_bindgen(js_name = bytesOut)]
    fn bytes_out(a: Uint8Array) -> JsValue;
}

/// Bytes as a new `Uint8Array` (a copy out of wasm memory; a `Buffer` under Node).
pub fn bytes_js(b: &[u8]) -> JsValue {
    bytes_out(Uint8Array::from(b))
}

/// A payload value as a JS value.
pub fn value_js(v: Value) -> JsValue {
    match v {
        Value::Null => JsValue::NULL,
        Value::Bool(b) => JsValue::from_bool(b),
        Value::Int(i) if (-MAX_SAFE..=MAX_SAFE).contains(&i) => JsValue::from_f64(i as f64),
        Value::Int(i) => BigInt::from(i).into(),
        Value::UInt(u) => BigInt::from(u).into(),
        Value::Float(f) => JsValue::from_f64(f),
        Value::String(s) => JsValue::from_str(&s),
        Value::Bytes(b) => bytes_js(&b),
        Value::List(l) => l.into_iter().map(value_js).collect::<Array>().into(),
        Value::Map(m) => map_js(m),
    }
}

fn map_js(m: Map) -> JsValue {
    let o = Object::new();
    for (k, v) in m {
        set_own(&o, &k, value_js(v));
    }
    o.into()
}

/// Sets `k` as an own data property, as `JSON.parse` does (`"__proto__"` too,
/// which assigning would turn into a prototype change).
pub fn set_own(o: &Object, k: &str, v: JsValue) {
    if k == "__proto__" {
        let d = Object::new();
        set(&d, "value", v);
        set(&d, "writable", JsValue::TRUE);
        set(&d, "enumerable", JsValue::TRUE);
        set(&d, "configurable", JsValue::TRUE);
        Object::define_property(o, &JsValue::from_str(k), &d);
    } else {
        set(o, k, v);
    }
}

/// `o[k] = v` on an object of ours (cannot fail: plain objects, no setters).
pub fn set(o: &Object, k: &str, v: JsValue) {
    let _ = Reflect::set(o, &JsValue::from_str(k), &v);
}

/// An optional value (`None`: `null`).
pub fn opt_js(v: Option<Value>) -> JsValue {
    v.map_or(JsValue::NULL, value_js)
}

/// An opened payload as JS `{ uri, args, kwargs }` (`null` for what is absent).
pub fn payload_js(p: Payload) -> JsValue {
    let o = Object::new();
    set(
        &o,
        "uri",
        p.uri.map_or(JsValue::NULL, |u| JsValue::from_str(&u)),
    );
    set(&o, "args", opt_js(p.args.map(Value::List)));
    set(&o, "kwargs", opt_js(p.kwargs.map(Value::Map)));
    o.into()
}

/// A number read as napi reads a `u32` (V8's `ToUint32`: truncated, wrapped
/// modulo 2^32, NaN and infinities 0), so values behave as in the Node addon.
fn to_uint32(n: f64) -> u32 {
    if !n.is_finite() {
        return 0;
    }
    let m = n.trunc().rem_euclid(4_294_967_296.0);
    // In [0, 2^32) after rem_euclid; the cast saturates in any case.
    m as u32
}

/// A `u32` argument (a number).
pub fn u32_arg(what: &str, v: &JsValue) -> Result<u32> {
    v.as_f64()
        .map(to_uint32)
        .ok_or_else(|| wrong_type(what, "a number", v))
}

/// An optional `u32` argument (undefined/null: `None`).
pub fn opt_u32_arg(what: &str, v: &JsValue) -> Result<Option<u32>> {
    if absent(v) {
        Ok(None)
    } else {
        u32_arg(what, v).map(Some)
    }
}

/// `u32`s as a JS array of numbers (not a `Uint32Array`, as napi's `Vec<u32>`).
pub fn u32s_js(v: &[u32]) -> JsValue {
    v.iter()
        .map(|&n| JsValue::from_f64(f64::from(n)))
        .collect::<Array>()
        .into()
}
