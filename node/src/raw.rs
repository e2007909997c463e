//! The compact entry points (see [`crate::compact`]) as plain N-API callbacks.
//!
//! napi-rs wraps every `#[napi]` function in a native-borrow scope (a
//! reference-counted allocation per call, pushed on and popped off a thread-local
//! stack, released after the return value's conversion) and checks each argument's
//! type before converting it: on a 64-byte `openBytes` that was a sixth of the call
//! (1.11 µs with it, 0.93 µs without). These functions convert their arguments with
//! the same napi-rs conversions, without the scope: nothing they borrow outlives the
//! call (no class instance, no async work), and the wrapper checked the argument
//! types before calling. Errors and panics are thrown as napi-rs throws them.

use crate::compact::{self, Handle, ShortStr, TextArg};
use crate::convert::{Code, Result};
use napi::bindgen_prelude::{FromNapiRef, FromNapiValue, JsError, ToNapiValue};
use napi::sys;
use napi_derive::napi;
use std::ptr;

type Callback = unsafe extern "C" fn(sys::napi_env, sys::napi_callback_info) -> sys::napi_value;

/// The compact entry points as plain N-API functions, made once by the wrapper.
#[napi(
    js_name = "_rawEntryPoints",
    ts_return_type = "{ sealJson: Function, openJson: Function, sealBytes: Function, openBytes: Function }"
)]
pub fn raw_entry_points() -> Functions {
    Functions(&[
        ("sealJson", seal_json),
        ("openJson", open_json),
        ("sealBytes", seal_bytes),
        ("openBytes", open_bytes),
    ])
}

// Each converts its arguments in this order: numbers and strings, then the keyring
// handle, then the byte arrays, so that no JS can run while a slice of one is held
// (the string conversions run none for strings and fail plainly for anything else).

/// `compact::seal_json`: (keyring, role, message, dialect, scratch).
unsafe extern "C" fn seal_json(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> sys::napi_value {
    // SAFETY: N-API's (env, info) of this call.
    unsafe {
        call(env, info, |a: Args<5>| {
            let (role, message, dialect): (_, TextArg, _) = (a.u32(1)?, a.get(2)?, a.u32(3)?);
            compact::seal_json(
                a.handle(0)?,
                role,
                &message,
                dialect,
                a.bytes_apart(4, &[])?,
            )
        })
    }
}

/// `compact::open_json`: (keyring, role, uri, payload, 7 attributes, scratch).
unsafe extern "C" fn open_json(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> sys::napi_value {
    // SAFETY: N-API's (env, info) of this call.
    unsafe { opening(env, info, compact::open_json) }
}

/// `compact::seal_bytes`: (keyring, role, uri, plaintext, dialect, scratch).
unsafe extern "C" fn seal_bytes(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> sys::napi_value {
    // SAFETY: N-API's (env, info) of this call.
    unsafe {
        call(env, info, |a: Args<6>| {
            let (role, uri, dialect): (_, ShortStr, _) = (a.u32(1)?, a.get(2)?, a.u32(4)?);
            let (keyring, plaintext) = (a.handle(0)?, a.bytes(3)?);
            compact::seal_bytes(
                keyring,
                role,
                &uri,
                plaintext,
                dialect,
                a.bytes_apart(5, plaintext)?,
            )
        })
    }
}

/// `compact::open_bytes`: (keyring, role, uri, payload, 7 attributes, out).
unsafe extern "C" fn open_bytes(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> sys::napi_value {
    // SAFETY: N-API's (env, info) of this call.
    unsafe { opening(env, info, compact::open_bytes) }
}

/// `compact::open_json` or `compact::open_bytes`.
type OpenFn<R> = fn(&Handle, u32, &str, &[u8], &[Option<ShortStr>; 7], &mut [u8]) -> Result<R>;

/// An opening entry point: `open` on (keyring, role, uri, payload, 7 attributes,
/// output or scratch buffer).
///
/// # Safety
/// `(env, info)` are N-API's for the running callback.
unsafe fn opening<R: ToNapiValue>(
    env: sys::napi_env,
    info: sys::napi_callback_info,
    open: OpenFn<R>,
) -> sys::napi_value {
    // SAFETY: the caller's contract.
    unsafe {
        call(env, info, |a: Args<12>| {
            let (role, uri, attrs): (_, ShortStr, _) = (a.u32(1)?, a.get(2)?, a.attributes(4)?);
            let (keyring, payload) = (a.handle(0)?, a.bytes(3)?);
            open(
                keyring,
                role,
                &uri,
                payload,
                &attrs,
                a.bytes_apart(11, payload)?,
            )
        })
    }
}

/// Runs `body` on the call's `N` arguments and returns its value converted for JS,
/// or throws its error (a panic as napi-rs reports one) and returns null.
///
/// # Safety
/// `(env, info)` are N-API's for the running callback.
unsafe fn call<const N: usize, R: ToNapiValue>(
    env: sys::napi_env,
    info: sys::napi_callback_info,
    body: impl FnOnce(Args<N>) -> Result<R>,
) -> sys::napi_value {
    let run = || {
        let mut argc = N;
        let mut argv = [ptr::null_mut(); N];
        // SAFETY: `argv` has room for `argc` values.
        let status = unsafe {
            sys::napi_get_cb_info(
                env,
                info,
                &mut argc,
                argv.as_mut_ptr(),
                ptr::null_mut(),
                ptr::null_mut(),
            )
        };
        if status != sys::Status::napi_ok || argc != N {
            return Err(invalid(format!("takes {N} arguments")));
        }
        let value = body(Args { env, argv })?;
        // SAFETY: this call's environment.
        unsafe { R::to_napi_value(env, value) }.map_err(crate::core_err_napi)
    };
    let error = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)) {
        Ok(Ok(value)) => return value,
        Ok(Err(e)) => e,
        Err(panic) => napi::Error::new(
            Code("GenericFailure"),
            napi::bindgen_prelude::panic_to_error(panic).reason.clone(),
        ),
    };
    // SAFETY: this call's environment.
    unsafe { JsError::from(error).throw_into(env) };
    ptr::null_mut()
}

/// An argument error of ours (napi-rs's own go through [`crate::core_err_napi`],
/// with the same code).
fn invalid(reason: String) -> napi::Error<Code> {
    napi::Error::new(Code("InvalidArg"), reason)
}

/// The arguments of one call.
struct Args<const N: usize> {
    env: sys::napi_env,
    argv: [sys::napi_value; N],
}

impl<const N: usize> Args<N> {
    fn value(&self, i: usize) -> Result<sys::napi_value> {
        self.argv
            .get(i)
            .copied()
            .ok_or_else(|| invalid(format!("no argument {i}")))
    }

    /// Argument `i` through napi-rs's conversion (valid for the call): strings,
    /// optional strings.
    fn get<T: FromNapiValue>(&self, i: usize) -> Result<T> {
        // SAFETY: a value of this call, in its environment.
        unsafe { T::from_napi_value(self.env, self.value(i)?) }.map_err(crate::core_err_napi)
    }

    /// Argument `i`, a number that is a `u32`.
    fn u32(&self, i: usize) -> Result<u32> {
        let mut n = 0;
        // SAFETY: a value of this call; `n` is writable.
        let status = unsafe { sys::napi_get_value_uint32(self.env, self.value(i)?, &mut n) };
        if status != sys::Status::napi_ok {
            return Err(invalid(format!("argument {i}: expected a number")));
        }
        Ok(n)
    }

    /// Argument `i`, a `Uint8Array`: its bytes (empty when detached).
    fn bytes(&self, i: usize) -> Result<&[u8]> {
        let (start, len) = self.uint8_array(i)?.unwrap_or((ptr::null_mut(), 0));
        if start.is_null() || len == 0 {
            return Ok(&[]);
        }
        // SAFETY: a live Uint8Array's bytes, for the call (no JS runs during it after
        // the arguments are read; only `bytes_apart` makes a mutable slice, of memory
        // apart from this one).
        Ok(unsafe { std::slice::from_raw_parts(start, len) })
    }

    /// Argument `i`: a keyring handle (napi-rs checks the external's type).
    fn handle(&self, i: usize) -> Result<&Handle> {
        // SAFETY: as `get`; the external lives at least as long as the call.
        unsafe { Handle::from_napi_ref(self.env, self.value(i)?) }.map_err(crate::core_err_napi)
    }

    /// Arguments `i..i + 7`: the received attributes in the core's order.
    fn attributes(&self, i: usize) -> Result<[Option<ShortStr>; 7]> {
        Ok([
            self.get(i)?,
            self.get(i + 1)?,
            self.get(i + 2)?,
            self.get(i + 3)?,
            self.get(i + 4)?,
            self.get(i + 5)?,
            self.get(i + 6)?,
        ])
    }

    /// Argument `i` (a `Uint8Array`, or undefined) writable, or empty when undefined
    /// or sharing memory with `others` (a caller of these private functions may pass
    /// one buffer twice; results then get a buffer of their own).
    /// (`'static` stands for "this call": the slice goes into the core function
    /// called inside [`call`] and is dropped before it returns.)
    fn bytes_apart(&self, i: usize, others: &[u8]) -> Result<&'static mut [u8]> {
        let Some((start, len)) = self.uint8_array(i)? else {
            return Ok(&mut []);
        };
        let o = others.as_ptr_range();
        let shared = start.cast_const() < o.end && o.start < start.wrapping_add(len).cast_const();
        if shared || len == 0 || start.is_null() {
            return Ok(&mut []);
        }
        // SAFETY: a live Uint8Array's bytes for the call, overlapping no other slice
        // this call made.
        Ok(unsafe { std::slice::from_raw_parts_mut(start, len) })
    }

    /// Argument `i`'s data pointer and length if it is a `Uint8Array`, `None` if it
    /// is undefined.
    fn uint8_array(&self, i: usize) -> Result<Option<(*mut u8, usize)>> {
        let value = self.value(i)?;
        let mut kind = sys::ValueType::napi_undefined;
        // SAFETY: a value of this call; `kind` is writable.
        if unsafe { sys::napi_typeof(self.env, value, &mut kind) } == sys::Status::napi_ok
            && kind == sys::ValueType::napi_undefined
        {
            return Ok(None);
        }
        let (mut array, mut len, mut data) = (0, 0, ptr::null_mut());
        // SAFETY: out-parameters N-API writes; the ones not wanted may be null.
        let status = unsafe {
            sys::napi_get_typedarray_info(
                self.env,
                value,
                &mut array,
                &mut len,
                &mut data,
                ptr::null_mut(),
                ptr::null_mut(),
            )
        };
        if status != sys::Status::napi_ok || array != sys::TypedarrayType::uint8_array {
            return Err(invalid(format!("argument {i}: expected a Uint8Array")));
        }
        Ok(Some((data.cast(), len)))
    }
}

/// Plain N-API callbacks by name, made into an object of JS functions when returned.
pub struct Functions(&'static [(&'static str, Callback)]);

impl ToNapiValue for Functions {
    unsafe fn to_napi_value(env: sys::napi_env, fs: Self) -> napi::Result<sys::napi_value> {
        let fail = |what: &str| Err(napi::Error::from_reason(format!("{what} failed")));
        let mut object = ptr::null_mut();
        // SAFETY: this call's environment.
        if unsafe { sys::napi_create_object(env, &mut object) } != sys::Status::napi_ok {
            return fail("napi_create_object");
        }
        for (name, callback) in fs.0 {
            let mut f = ptr::null_mut();
            // SAFETY: the name is valid for its length; the callback has N-API's signature.
            let status = unsafe {
                sys::napi_create_function(
                    env,
                    name.as_ptr().cast(),
                    name.len() as isize,
                    Some(*callback),
                    ptr::null_mut(),
                    &mut f,
                )
            };
            let key =
                std::ffi::CString::new(*name).map_err(|_| napi::Error::from_reason("name"))?;
            if status != sys::Status::napi_ok {
                return fail("napi_create_function");
            }
            // SAFETY: `object` and `f` are values of this environment; `key` is a C string.
            let status = unsafe { sys::napi_set_named_property(env, object, key.as_ptr(), f) };
            if status != sys::Status::napi_ok {
                return fail("napi_set_named_property");
            }
        }
        Ok(object)
    }
}
