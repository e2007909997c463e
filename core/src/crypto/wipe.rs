//! Byte buffers erased on drop a word at a time.
//!
//! `zeroize` erases a `[u8; N]` with one volatile store per byte (it cannot
//! assume alignment); for the 256 keystream bytes every XSalsa20-Poly1305 message
//! makes up front that is 256 stores, a tenth of sealing a small message. Here
//! the buffer is 8-byte aligned and erased with `N / 8` volatile word stores,
//! then a compiler fence, as `zeroize` does.
#![allow(unsafe_code)]

use std::ops::{Deref, DerefMut};
use std::sync::atomic::{compiler_fence, Ordering};

/// `N` bytes, 8-byte aligned, erased on drop. `N` must be a multiple of 8.
#[repr(C, align(8))]
pub(crate) struct Wiped<const N: usize>([u8; N]);

impl<const N: usize> Wiped<N> {
    const WHOLE_WORDS: () = assert!(N.is_multiple_of(8), "Wiped<N>: N must be a multiple of 8");

    /// All zero.
    pub(crate) fn new() -> Wiped<N> {
        #[allow(clippy::let_unit_value)]
        let () = Self::WHOLE_WORDS;
        Wiped([0; N])
    }
}

/// Erases `bytes` with volatile stores, a word at a time where the slice is
/// 8-byte aligned (bytes before and after one by one), then a compiler fence: what
/// `zeroize` does for a byte slice with eight times fewer stores (a library-owned
/// plaintext buffer of the C ABI is erased on free; 64 KiB byte by byte took half
/// as long as opening it).
pub fn wipe_bytes(bytes: &mut [u8]) {
    // SAFETY: every bit pattern is a valid u64, and `align_to_mut` hands out only
    // aligned words that lie within `bytes`.
    let (head, words, tail) = unsafe { bytes.align_to_mut::<u64>() };
    for b in head.iter_mut().chain(tail.iter_mut()) {
        // SAFETY: a valid, exclusive reference.
        unsafe { std::ptr::write_volatile(b, 0) };
    }
    for w in words {
        // SAFETY: a valid, aligned, exclusive reference.
        unsafe { std::ptr::write_volatile(w, 0) };
    }
    compiler_fence(Ordering::SeqCst);
}

impl<const N: usize> Deref for Wiped<N> {
    type Target = [u8; N];
    fn deref(&self) -> &[u8; N] {
        &self.0
    }
}

impl<const N: usize> DerefMut for Wiped<N> {
    fn deref_mut(&mut self) -> &mut [u8; N] {
        &mut self.0
    }
}

impl<const N: usize> Drop for Wiped<N> {
    fn drop(&mut self) {
        let words = self.0.as_mut_ptr().cast::<u64>();
        for i in 0..N / 8 {
            // SAFETY: the array is 8-byte aligned (repr align(8)) and N is a
            // multiple of 8 (checked at compile time in `new`, the only
            // constructor), so word i lies within it.
            unsafe { std::ptr::write_volatile(words.add(i), 0) };
        }
        compiler_fence(Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::{wipe_bytes, Wiped};

    #[test]
    fn wipe_bytes_erases_every_byte_at_every_offset_and_length() {
        let mut buf = vec![0u64; 40];
        // A u64 vector is 8-byte aligned: offsets 0..8 give every alignment.
        let bytes: &mut [u8] = bytemuck_free_bytes(&mut buf);
        for start in 0..8 {
            for len in [0usize, 1, 7, 8, 9, 15, 16, 17, 100, 300 - start] {
                bytes.fill(0xa5);
                wipe_bytes(&mut bytes[start..start + len]);
                for (i, b) in bytes.iter().enumerate() {
                    let inside = (start..start + len).contains(&i);
                    assert_eq!(*b, if inside { 0 } else { 0xa5 }, "{start} {len} {i}");
                }
            }
        }
    }

    /// The bytes of a u64 slice (no dependency for one cast).
    fn bytemuck_free_bytes(words: &mut [u64]) -> &mut [u8] {
        let len = words.len() * 8;
        #[allow(unsafe_code)]
        // SAFETY: u8 has alignment 1 and no invalid bit patterns; same memory, length in bytes.
        unsafe {
            std::slice::from_raw_parts_mut(words.as_mut_ptr().cast::<u8>(), len)
        }
    }

    #[test]
    fn erased_on_drop() {
        let mut w = Wiped::<256>::new();
        w.fill(0xa5);
        let p = w.as_ptr();
        let inner: *const Wiped<256> = &w;
        assert_eq!(p.cast::<Wiped<256>>(), inner);
        assert_eq!(inner as usize % 8, 0);
        // Dropping in place (not moved): the bytes are zero afterwards.
        let mut slot = std::mem::ManuallyDrop::new(w);
        #[allow(unsafe_code)]
        // SAFETY: dropped once, then only read through a pointer to memory that
        // stays allocated (the ManuallyDrop on this stack frame).
        unsafe {
            std::ptr::drop_in_place(&mut *slot as *mut Wiped<256>);
            assert!((*(&*slot as *const Wiped<256>)).0.iter().all(|&b| b == 0));
        }
    }
}
