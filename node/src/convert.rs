//! JS values ↔ payload values, and errors as JS sees them.
//!
//! Numbers: integral JS numbers become integers (as `JSON.stringify` writes them),
//! others floats; `BigInt` must fit 64 bits. `Uint8Array`/`Buffer`/`ArrayBuffer`
//! become binary and come back as `Buffer`. `undefined` is skipped in objects and
//! `null` in arrays, as `JSON.stringify` does. Integers beyond 2^53 come back as `BigInt`.

use napi::bindgen_prelude::{
    BigInt, BufferSlice, JsObjectValue, Null, Object, ToNapiValue, Unknown,
};
use napi::{Env, JsValue, ValueType};
use wampe2e::plaintext::limits::MAX_DEPTH;
use wampe2e::{Error, ErrorCode, Map, Payload, Value};

/// The `code` of a JS error: a core code name, or napi's pending-exception marker.
pub struct Code(pub &'static str);

impl AsRef<str> for Code {
    fn as_ref(&self) -> &str {
        self.0
    }
}

/// Results of exports: errors carry a stable `code`.
pub type Result<T> = std::result::Result<T, napi::Error<Code>>;

/// Throws a `TypeError` with `code` and returns the marker telling napi it is pending.
pub(crate) fn type_error(env: &Env, code: &'static str, msg: &str) -> napi::Error<Code> {
    match env.throw_type_error(msg, Some(code)) {
        Ok(()) => napi::Error::new(Code("PendingException"), String::new()),
        Err(_) => napi::Error::new(Code(code), msg.to_owned()),
    }
}

/// A core error from sealing: unsupported values are `TypeError`s, the rest `Error`s.
pub fn value_err(env: &Env, e: Error) -> napi::Error<Code> {
    if e.code() == ErrorCode::UnsupportedValue {
        type_error(env, e.code().name(), e.message())
    } else {
        napi::Error::new(Code(e.code().name()), e.message().to_owned())
    }
}

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

fn napi_bad(e: napi::Error) -> Bad {
    bad(e.reason.clone())
}

/// Reads `u` as a `T`; callers check `u`'s JS type first.
fn cast<T: napi::bindgen_prelude::FromNapiValue>(u: &Unknown) -> Conv<T> {
    // SAFETY: every caller matched on `u.get_type()` (or is_* checks) for `T`'s JS type.
    unsafe { u.cast::<T>() }.map_err(napi_bad)
}

fn from_js(u: &Unknown, depth: usize) -> Conv<Option<Value>> {
    Ok(Some(match u.get_type().map_err(napi_bad)? {
        ValueType::Undefined => return Ok(None),
        ValueType::Null => Value::Null,
        ValueType::Boolean => Value::Bool(cast::<bool>(u)?),
        ValueType::Number => {
            let n = cast::<f64>(u)?;
            // Integral and exactly representable as i64: an integer, as JSON.stringify writes it.
            if n.fract() == 0.0 && n.abs() < 9.2e18 && !(n == 0.0 && n.is_sign_negative()) {
                Value::Int(n as i64)
            } else {
                Value::Float(n)
            }
        }
        ValueType::String => Value::String(cast::<String>(u)?),
        ValueType::BigInt => {
            let b = cast::<BigInt>(u)?;
            let (negative, magnitude, lossless) = b.get_u64();
            match (negative, lossless) {
                (false, true) => Value::from_u64(magnitude),
                _ => {
                    let (v, lossless) = b.get_i64();
                    if !lossless || !negative {
                        return Err(bad("BigInt does not fit in 64 bits"));
                    }
                    Value::Int(v)
                }
            }
        }
        ValueType::Object => {
            if depth >= MAX_DEPTH {
                return Err(bad(format!(
                    "nesting deeper than {MAX_DEPTH} levels (a cyclic object?)"
                )));
            }
            let o = cast::<Object>(u)?;
            if o.is_array().map_err(napi_bad)? {
                let n = o.get_array_length().map_err(napi_bad)?;
                // Not `n`: a sparse `new Array(2 ** 28)` would ask for gigabytes up front.
                let mut out = Vec::with_capacity((n as usize).min(1024));
                for i in 0..n {
                    let item: Unknown = o.get_element(i).map_err(napi_bad)?;
                    out.push(
                        at(from_js(&item, depth + 1), || format!("[{i}]"))?.unwrap_or(Value::Null),
                    );
                }
                Value::List(out)
            } else if o.is_typedarray().map_err(napi_bad)? || o.is_buffer().map_err(napi_bad)? {
                let bytes = cast::<BufferSlice>(u)
                    .map_err(|_| bad("only Uint8Array/Buffer binaries are supported"))?;
                Value::Bytes(bytes.to_vec())
            } else if o.is_arraybuffer().map_err(napi_bad)? {
                let ab = cast::<napi::bindgen_prelude::ArrayBuffer>(u)?;
                Value::Bytes(ab.to_vec())
            } else if let Some(kind) = not_plain(u, &o)? {
                return Err(bad(format!(
                    "{kind} is not plain data and cannot be carried in a WAMP payload \
                     (plain objects, arrays, strings, numbers, BigInt, booleans, null and \
                     Uint8Array/Buffer/ArrayBuffer are)"
                )));
            } else {
                Value::Map(object(&o, depth)?)
            }
        }
        other => {
            return Err(bad(format!(
                "a {other:?} cannot be carried in a WAMP payload"
            )))
        }
    }))
}

/// For an object that is not plain (its prototype is neither `Object.prototype`
/// nor null: a Date, Map, Set, RegExp, Promise, class instance...), a name for
/// it in messages (`a Date`); `None` for a plain object. As Python refuses
/// anything that is not a dict.
fn not_plain(u: &Unknown, o: &Object) -> Conv<Option<String>> {
    let proto = o.get_prototype().map_err(napi_bad)?;
    if proto.get_type().map_err(napi_bad)? == ValueType::Null {
        return Ok(None);
    }
    let env = Env::from_raw(u.value().env);
    let object_prototype = env
        .get_global()
        .and_then(|g| g.get_named_property_unchecked::<Object>("Object"))
        .and_then(|c| c.get_named_property_unchecked::<Unknown>("prototype"))
        .map_err(napi_bad)?;
    if env
        .strict_equals(proto, object_prototype)
        .map_err(napi_bad)?
    {
        return Ok(None);
    }
    // The constructor's name (a program's identifier, not data); any failure to
    // read it just gives the generic name.
    let name = cast::<Object>(&proto)
        .ok()
        .and_then(|p| p.get_named_property::<Unknown>("constructor").ok())
        .filter(|c| c.get_type().ok() == Some(ValueType::Function))
        .and_then(|c| cast::<Object>(&c).ok())
        .and_then(|c| c.get_named_property::<Unknown>("name").ok())
        .filter(|n| n.get_type().ok() == Some(ValueType::String))
        .and_then(|n| cast::<String>(&n).ok())
        .filter(|n| !n.is_empty() && n.len() <= 64)
        .map_or_else(
            || "an object that is not a plain object".to_owned(),
            |n| format!("a {n}"),
        );
    Ok(Some(name))
}

fn object(o: &Object, depth: usize) -> Conv<Map> {
    let keys = Object::keys(o).map_err(napi_bad)?;
    let mut out = Vec::with_capacity(keys.len());
    for k in keys {
        let item: Unknown = o.get_named_property(&k).map_err(napi_bad)?;
        if let Some(v) = at(from_js(&item, depth + 1), || seg_key(&k))? {
            out.push((k, v));
        }
    }
    Ok(out)
}

fn located(env: &Env, root: &str, b: Bad) -> napi::Error<Code> {
    let path: String = b.path.iter().rev().map(String::as_str).collect();
    type_error(
        env,
        "ERR_INVALID_ARG_TYPE",
        &format!("{root}{path}: {}", b.msg),
    )
}

/// `args`: undefined/null, or an array.
pub fn js_args(env: &Env, u: Option<Unknown>) -> Result<Option<Vec<Value>>> {
    let Some(u) = u else { return Ok(None) };
    match from_js(&u, 0) {
        Ok(None | Some(Value::Null)) => Ok(None),
        Ok(Some(Value::List(l))) => Ok(Some(l)),
        Ok(Some(other)) => Err(type_error(
            env,
            "ERR_INVALID_ARG_TYPE",
            &format!("args: expected an array, got a {}", other.kind()),
        )),
        Err(b) => Err(located(env, "args", b)),
    }
}

/// `kwargs`: undefined/null, or a plain object.
pub fn js_kwargs(env: &Env, u: Option<Unknown>) -> Result<Option<Map>> {
    let Some(u) = u else { return Ok(None) };
    match from_js(&u, 0) {
        Ok(None | Some(Value::Null)) => Ok(None),
        Ok(Some(Value::Map(m))) => Ok(Some(m)),
        Ok(Some(other)) => Err(type_error(
            env,
            "ERR_INVALID_ARG_TYPE",
            &format!("kwargs: expected an object, got a {}", other.kind()),
        )),
        Err(b) => Err(located(env, "kwargs", b)),
    }
}

/// Two values handed to JS as a two-element array (napi-rs converts tuples but
/// does not name their type, which `Either` needs).
pub struct Pair<A, B>(pub A, pub B);

impl<A, B> napi::bindgen_prelude::TypeName for Pair<A, B> {
    fn type_name() -> &'static str {
        "Array"
    }
    fn value_type() -> ValueType {
        ValueType::Object
    }
}

impl<A: ToNapiValue, B: ToNapiValue> ToNapiValue for Pair<A, B> {
    unsafe fn to_napi_value(
        env: napi::sys::napi_env,
        val: Self,
    ) -> napi::Result<napi::sys::napi_value> {
        // SAFETY: the caller's contract (a live `env`), passed on.
        unsafe { <(A, B)>::to_napi_value(env, (val.0, val.1)) }
    }
}

/// Decrypted text handed to JS as a string: an ASCII one (most JSON) through
/// `napi_create_string_latin1`, which V8 copies as it is, else from UTF-8. Wiped
/// when dropped (the JS string is the application's).
pub struct Text(pub String);

impl Drop for Text {
    fn drop(&mut self) {
        wipe_string(&mut self.0);
    }
}

/// Erases `s` (a word at a time); it stays valid UTF-8 (NULs).
pub(crate) fn wipe_string(s: &mut str) {
    // SAFETY: zeros are UTF-8, so the string stays valid.
    wampe2e::crypto::wipe_bytes(unsafe { s.as_bytes_mut() });
}

impl napi::bindgen_prelude::TypeName for Text {
    fn type_name() -> &'static str {
        "String"
    }
    fn value_type() -> ValueType {
        ValueType::String
    }
}

impl ToNapiValue for Text {
    unsafe fn to_napi_value(
        env: napi::sys::napi_env,
        val: Self,
    ) -> napi::Result<napi::sys::napi_value> {
        let (ptr, len) = (val.0.as_ptr().cast(), val.0.len() as isize);
        let mut value = std::ptr::null_mut();
        // SAFETY: the pointer is valid for the length; ASCII is Latin-1 byte for byte.
        let status = unsafe {
            if val.0.is_ascii() {
                napi::sys::napi_create_string_latin1(env, ptr, len, &mut value)
            } else {
                napi::sys::napi_create_string_utf8(env, ptr, len, &mut value)
            }
        };
        if status != napi::sys::Status::napi_ok {
            return Err(napi::Error::from_reason("creating a string failed"));
        }
        Ok(value)
    }
}

/// Bytes handed to JS as a `Buffer` holding a copy: for the payload sizes WAMP
/// carries, one memcpy is cheaper than an external buffer's finalizer and GC work.
pub struct CopiedBuffer(pub Vec<u8>);

impl napi::bindgen_prelude::TypeName for CopiedBuffer {
    fn type_name() -> &'static str {
        "Buffer"
    }
    fn value_type() -> ValueType {
        ValueType::Object
    }
}

impl Drop for CopiedBuffer {
    /// Wiped: the bytes may be plaintext (JS holds its own copy).
    fn drop(&mut self) {
        wampe2e::crypto::wipe_bytes(&mut self.0);
    }
}

impl ToNapiValue for CopiedBuffer {
    unsafe fn to_napi_value(
        env: napi::sys::napi_env,
        val: Self,
    ) -> napi::Result<napi::sys::napi_value> {
        let mut out = std::ptr::null_mut();
        let mut data = std::ptr::null_mut();
        // SAFETY: `env` is live; the source is `val.0`, valid for its length; napi copies it.
        let status = unsafe {
            napi::sys::napi_create_buffer_copy(
                env,
                val.0.len(),
                val.0.as_ptr().cast(),
                &mut data,
                &mut out,
            )
        };
        if status != napi::sys::Status::napi_ok {
            return Err(napi::Error::new(
                napi::Status::GenericFailure,
                "napi_create_buffer_copy failed",
            ));
        }
        Ok(out)
    }
}

/// A payload value as a JS value.
pub struct JsOut(pub Value);

const MAX_SAFE: i64 = (1 << 53) - 1;

impl ToNapiValue for JsOut {
    unsafe fn to_napi_value(
        env: napi::sys::napi_env,
        val: Self,
    ) -> napi::Result<napi::sys::napi_value> {
        // SAFETY: `env` is the live env napi handed us; each conversion uses it.
        unsafe {
            match val.0 {
                Value::Null => Null::to_napi_value(env, Null),
                Value::Bool(b) => bool::to_napi_value(env, b),
                Value::Int(i) if (-MAX_SAFE..=MAX_SAFE).contains(&i) => {
                    f64::to_napi_value(env, i as f64)
                }
                Value::Int(i) => BigInt::to_napi_value(env, BigInt::from(i)),
                Value::UInt(u) => BigInt::to_napi_value(env, BigInt::from(u)),
                Value::Float(f) => f64::to_napi_value(env, f),
                Value::String(s) => String::to_napi_value(env, s),
                Value::Bytes(b) => CopiedBuffer::to_napi_value(env, CopiedBuffer(b)),
                Value::List(l) => {
                    Vec::<JsOut>::to_napi_value(env, l.into_iter().map(JsOut).collect())
                }
                Value::Map(m) => map_to_js(env, m),
            }
        }
    }
}

/// # Safety
/// `env` is a live napi env.
unsafe fn map_to_js(env: napi::sys::napi_env, m: Map) -> napi::Result<napi::sys::napi_value> {
    // SAFETY: the caller's env is live.
    let env_ref = Env::from_raw(env);
    let mut o = Object::new(&env_ref)?;
    for (k, v) in m {
        if k == "__proto__" {
            // SAFETY: `o` and `env` are live; see `define_own`.
            unsafe { define_own(env, &o, v)? };
        } else {
            o.set(k, JsOut(v))?;
        }
    }
    // SAFETY: `o` was created on this env.
    unsafe { Object::to_napi_value(env, o) }
}

/// Sets `"__proto__"` as an own data property, as `JSON.parse` does (assigning it
/// would replace the object's prototype instead).
///
/// # Safety
/// `env` is a live napi env and `o` an object created on it.
unsafe fn define_own(env: napi::sys::napi_env, o: &Object, v: Value) -> napi::Result<()> {
    // SAFETY: the caller's env is live.
    let value = unsafe { JsOut::to_napi_value(env, JsOut(v))? };
    let descriptor = napi::sys::napi_property_descriptor {
        utf8name: c"__proto__".as_ptr(),
        name: std::ptr::null_mut(),
        method: None,
        getter: None,
        setter: None,
        value,
        attributes: napi::sys::PropertyAttributes::writable
            | napi::sys::PropertyAttributes::enumerable
            | napi::sys::PropertyAttributes::configurable,
        data: std::ptr::null_mut(),
    };
    // SAFETY: `o` is an object of this env; the descriptor is valid for the call.
    let status = unsafe { napi::sys::napi_define_properties(env, o.raw(), 1, &descriptor) };
    if status == napi::sys::Status::napi_ok {
        Ok(())
    } else {
        Err(napi::Error::new(
            napi::Status::GenericFailure,
            "napi_define_properties failed",
        ))
    }
}

/// An opened payload as JS `{ uri, args, kwargs }` (`null` for what is absent).
pub struct PayloadJs(pub Payload);

impl napi::bindgen_prelude::TypeName for PayloadJs {
    fn type_name() -> &'static str {
        "Opened"
    }
    fn value_type() -> ValueType {
        ValueType::Object
    }
}

impl ToNapiValue for PayloadJs {
    unsafe fn to_napi_value(
        env: napi::sys::napi_env,
        val: Self,
    ) -> napi::Result<napi::sys::napi_value> {
        // SAFETY: napi calls us with a live env.
        let env_ref = Env::from_raw(env);
        let mut o = Object::new(&env_ref)?;
        let p = val.0;
        o.set("uri", p.uri)?;
        o.set("args", p.args.map(|l| JsOut(Value::List(l))))?;
        o.set("kwargs", p.kwargs.map(|m| JsOut(Value::Map(m))))?;
        // SAFETY: `o` was created on this env.
        unsafe { Object::to_napi_value(env, o) }
    }
}
