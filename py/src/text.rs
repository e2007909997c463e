//! The UTF-8 of a Python `str` without a copy where the interpreter allows it.
//!
//! The wheel targets the stable ABI of CPython 3.9, whose limited API only offers
//! `PyUnicode_AsUTF8String` (a new `bytes` object per string, the main cost of
//! walking a large payload). `PyUnicode_AsUTF8AndSize` returns the string's cached
//! UTF-8 (for ASCII strings, its own buffer); it is exported by every CPython 3
//! and part of the stable ABI since 3.10, so it is used from 3.10 on.
#![allow(unsafe_code)]

use pyo3::prelude::*;
use pyo3::types::PyString;
use std::borrow::Cow;
use std::sync::OnceLock;

extern "C" {
    fn PyUnicode_AsUTF8AndSize(
        unicode: *mut pyo3::ffi::PyObject,
        size: *mut pyo3::ffi::Py_ssize_t,
    ) -> *const std::os::raw::c_char;
}

fn has_utf8_and_size(py: Python<'_>) -> bool {
    static CACHED: OnceLock<bool> = OnceLock::new();
    *CACHED.get_or_init(|| py.version_info() >= (3, 10))
}

/// The string's UTF-8: borrowed from the interpreter on 3.10+, copied on 3.9.
/// Strings that are not valid UTF-8 (lone surrogates) raise `UnicodeEncodeError`.
pub fn utf8<'a>(s: &'a Bound<'_, PyString>) -> PyResult<Cow<'a, str>> {
    if !has_utf8_and_size(s.py()) {
        return s.to_cow();
    }
    let mut size: pyo3::ffi::Py_ssize_t = 0;
    // SAFETY: `s` is a live `str` held by the caller's `Bound` (so the GIL is held);
    // the call either fails with an exception set or returns a pointer to `size`
    // bytes of valid UTF-8 (documented: "the UTF-8 encoding of the Unicode object")
    // owned by the string object, valid while the object lives, which `'a` (the
    // borrow of `s`) guarantees.
    unsafe {
        let data = PyUnicode_AsUTF8AndSize(s.as_ptr(), &mut size);
        if data.is_null() {
            return Err(PyErr::fetch(s.py()));
        }
        let len = usize::try_from(size).unwrap_or(0);
        let bytes = std::slice::from_raw_parts(data.cast::<u8>(), len);
        // CPython returns UTF-8 or fails (strings with lone surrogates raise).
        Ok(Cow::Borrowed(std::str::from_utf8_unchecked(bytes)))
    }
}
