//! The WebAssembly SIMD128 Salsa20 keystream: 4 blocks per iteration, one block per
//! vector lane, the layout of the SSE2 code in `x86.rs` and of `neon.rs`. Compiled
//! only where the build enables the `simd128` target feature (`wasm/build.sh` does;
//! every current browser and Node runs it); without it the scalar path serves.
//! WebAssembly cannot ask at run time, so this choice is the build's.
//!
//! `core/tests/salsa20_simd.rs` cannot run inside a JS host; the wasm build's
//! XSalsa20-Poly1305 is held to libsodium instead, on this keystream and forced
//! scalar, for every length 0–4096 and large (`node/test/wasm/differential*.test.js`).
#![allow(unsafe_code)]
// The state is a fixed `[_; 16]` indexed by constants and `4 * k + i` with k, i < 4.
#![allow(clippy::indexing_slicing)]

use core::arch::wasm32::*;

/// Rotate every lane left by `N`: a shift left, or-ed with the shift right by `32 - N`
/// (WebAssembly has no vector rotate).
macro_rules! rotl {
    ($v:expr, $n:literal) => {{
        let v = $v;
        v128_or(u32x4_shl(v, $n), u32x4_shr(v, 32 - $n))
    }};
}

/// XORs `words` (4 consecutive state words of one block) into `out` (16 bytes).
#[inline(always)]
fn xor16(out: &mut [u8], words: v128) {
    debug_assert!(out.len() >= 16);
    // SAFETY: callers pass a 16-byte subslice; WebAssembly loads and stores have no
    // alignment requirement. WebAssembly is little-endian: the lanes are stored in
    // Salsa20's byte order.
    unsafe {
        let p = out.as_mut_ptr().cast::<v128>();
        v128_store(p, v128_xor(v128_load(p), words));
    }
}

/// XORs as many whole 4-block (256-byte) chunks of `data` as it holds with the
/// keystream of (`key`, `nonce`) from block `counter`; returns the blocks done.
pub(super) fn xor_blocks4(key: &[u8; 32], nonce: &[u8; 8], counter: u64, data: &mut [u8]) -> usize {
    let input = super::input_words(key, nonce);
    let mut orig = [u32x4_splat(0); 16];
    for (o, w) in orig.iter_mut().zip(input.iter()) {
        *o = u32x4_splat(*w);
    }
    let mut done = 0usize;
    for chunk in data.chunks_exact_mut(256) {
        let c = counter.wrapping_add(done as u64);
        let ctr = [c, c.wrapping_add(1), c.wrapping_add(2), c.wrapping_add(3)];
        orig[8] = u32x4(ctr[0] as u32, ctr[1] as u32, ctr[2] as u32, ctr[3] as u32);
        orig[9] = u32x4(
            (ctr[0] >> 32) as u32,
            (ctr[1] >> 32) as u32,
            (ctr[2] >> 32) as u32,
            (ctr[3] >> 32) as u32,
        );
        let mut x = orig;
        salsa_rounds!(x, u32x4_add, v128_xor, rotl);
        for (xi, oi) in x.iter_mut().zip(orig.iter()) {
            *xi = u32x4_add(*xi, *oi);
        }
        // Transpose each group of 4 words: lane b of word w goes to block b.
        for k in 0..4 {
            let (a, b, c, d) = (x[4 * k], x[4 * k + 1], x[4 * k + 2], x[4 * k + 3]);
            let t0 = i32x4_shuffle::<0, 4, 2, 6>(a, b); // a0 b0 a2 b2
            let t1 = i32x4_shuffle::<1, 5, 3, 7>(a, b); // a1 b1 a3 b3
            let t2 = i32x4_shuffle::<0, 4, 2, 6>(c, d); // c0 d0 c2 d2
            let t3 = i32x4_shuffle::<1, 5, 3, 7>(c, d); // c1 d1 c3 d3
            let rows = [
                i64x2_shuffle::<0, 2>(t0, t2), // block 0: a0 b0 c0 d0
                i64x2_shuffle::<0, 2>(t1, t3), // block 1
                i64x2_shuffle::<1, 3>(t0, t2), // block 2
                i64x2_shuffle::<1, 3>(t1, t3), // block 3
            ];
            for (blk, row) in rows.into_iter().enumerate() {
                let at = 64 * blk + 16 * k;
                if let Some(out) = chunk.get_mut(at..at + 16) {
                    xor16(out, row);
                }
            }
        }
        done += 4;
    }
    done
}
