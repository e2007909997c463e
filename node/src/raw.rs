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

/// `compact::seal_json`: (keyring, role, message, dialect, scratch).
unsafe extern "C" fn seal_json(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> sys::napi_value {
    // SAFETY: N-API's (env, info) of this call.
    unsafe {
        call(env, info, |a: Args<5>| {
            let message: TextArg = a.get(2)?;
            compact::seal_json(
                a.handle(0)?,
                a.get(1)?,
                &message,
                a.get(3)?,
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
    unsafe {
        call(env, info, |a: Args<12>| {
            let payload: &[u8] = a.get(3)?;
            let uri: ShortStr = a.get(2)?;
            compact::open_json(
                a.handle(0)?,
                a.get(1)?,
                &uri,
                payload,
                &a.attributes(4)?,
                a.bytes_apart(11, payload)?,
            )
        })
    }
}

/// `compact::seal_bytes`: (keyring, role, uri, plaintext, dialect, scratch).
unsafe extern "C" fn seal_bytes(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> sys::napi_value {
    // SAFETY: N-API's (env, info) of this call.
    unsafe {
        call(env, info, |a: Args<6>| {
            let plaintext: &[u8] = a.get(3)?;
            let uri: ShortStr = a.get(2)?;
            compact::seal_bytes(
                a.handle(0)?,
                a.get(1)?,
                &uri,
                plaintext,
                a.get(4)?,
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
    unsafe {
        call(env, info, |a: Args<12>| {
            let payload: &[u8] = a.get(3)?;
            let uri: ShortStr = a.get(2)?;
            compact::open_bytes(
                a.handle(0)?,
                a.get(1)?,
                &uri,
                payload,
                &a.attributes(4)?,
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
        unsafe { R::to_napi_value(env, value) }.map_err(|e| invalid(e.reason.clone()))
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

    /// Argument `i` through napi-rs's conversion (valid for the call).
    fn get<T: FromNapiValue>(&self, i: usize) -> Result<T> {
        // SAFETY: a value of this call, in its environment.
        unsafe { T::from_napi_value(self.env, self.value(i)?) }
            .map_err(|e| invalid(e.reason.clone()))
    }

    /// Argument `i`: a keyring handle (napi-rs checks the external's type).
    fn handle(&self, i: usize) -> Result<&'static Handle> {
        // SAFETY: as `get`; the external lives at least as long as the call.
        unsafe { Handle::from_napi_ref(self.env, self.value(i)?) }
            .map_err(|e| invalid(e.reason.clone()))
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

    /// Argument `i` (a `Uint8Array`) writable, or empty when it shares memory with
    /// one of `others` (a caller of these private functions may pass one buffer
    /// twice; results then get a buffer of their own).
    fn bytes_apart(&self, i: usize, others: &[u8]) -> Result<&'static mut [u8]> {
        let (mut kind, mut len, mut data) = (0, 0, ptr::null_mut());
        // SAFETY: out-parameters N-API writes; the ones not wanted may be null.
        let status = unsafe {
            sys::napi_get_typedarray_info(
                self.env,
                self.value(i)?,
                &mut kind,
                &mut len,
                &mut data,
                ptr::null_mut(),
                ptr::null_mut(),
            )
        };
        if status != sys::Status::napi_ok || kind != sys::TypedarrayType::uint8_array {
            return Err(invalid(format!("argument {i}: expected a Uint8Array")));
        }
        let start = data.cast::<u8>();
        let o = others.as_ptr_range();
        let shared = (start as *const u8) < o.end && o.start < start.wrapping_add(len).cast_const();
        if shared || len == 0 || start.is_null() {
            return Ok(&mut []);
        }
        // SAFETY: a live Uint8Array's bytes for the call, overlapping no other slice
        // this call made.
        Ok(unsafe { std::slice::from_raw_parts_mut(start, len) })
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
