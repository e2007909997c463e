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
    use super::Wiped;

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
