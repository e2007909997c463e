//! Library-owned output buffers.

/// Bytes owned by libwampe2e, handed to the caller. Free with `wampe2e_buf_free`
/// (contents are zeroed first, since they may hold decrypted plaintext).
#[allow(non_camel_case_types)]
#[repr(C)]
pub struct wampe2e_buf {
    /// The bytes; never NULL after a successful call.
    pub ptr: *mut u8,
    /// Number of bytes.
    pub len: usize,
}

impl wampe2e_buf {
    /// `{NULL, 0}`: no buffer (freeing it is a no-op).
    pub(crate) fn empty() -> wampe2e_buf {
        wampe2e_buf {
            ptr: std::ptr::null_mut(),
            len: 0,
        }
    }

    pub(crate) fn from_vec(v: Vec<u8>) -> wampe2e_buf {
        let boxed = v.into_boxed_slice();
        let len = boxed.len();
        wampe2e_buf {
            ptr: Box::into_raw(boxed).cast::<u8>(),
            len,
        }
    }
}

/// Frees a buffer filled by libwampe2e and sets it to `{NULL, 0}`. Zeroes the
/// bytes first. `buf == NULL` and an already freed `{NULL, 0}` buffer are no-ops.
///
/// # Safety
/// `buf` is NULL or points to a `wampe2e_buf` that libwampe2e filled and that was
/// not modified or freed since.
#[no_mangle]
pub unsafe extern "C" fn wampe2e_buf_free(buf: *mut wampe2e_buf) {
    // SAFETY: the caller passes NULL or a live buffer struct.
    let Some(buf) = (unsafe { buf.as_mut() }) else {
        return;
    };
    if buf.ptr.is_null() {
        return;
    }
    // SAFETY: ptr/len came from `from_vec`'s Box<[u8]> and were not changed.
    let mut boxed = unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(buf.ptr, buf.len)) };
    wampe2e::crypto::wipe_bytes(&mut boxed);
    drop(boxed);
    buf.ptr = std::ptr::null_mut();
    buf.len = 0;
}

/// Writes `v` into the caller's out-parameter.
///
/// # Safety
/// `out` is non-NULL (checked by the caller) and valid for writes.
pub(crate) unsafe fn give(out: *mut wampe2e_buf, v: Vec<u8>) {
    // SAFETY: checked non-NULL by the export before doing any work.
    unsafe { out.write(wampe2e_buf::from_vec(v)) };
}
