//! The aarch64 NEON Salsa20 keystream: 4 blocks per iteration, one block per
//! vector lane, the layout of the SSE2 code in `x86.rs` (and of libsodium's
//! `xmm6int`). NEON (Advanced SIMD) is part of the aarch64 baseline, so there is
//! no run-time check: every aarch64 CPU a Rust binary runs on has it.
//!
//! Held to the same differential tests as the x86 backends
//! (`core/tests/salsa20_simd.rs`), run under qemu-user by `make test-platforms`.
#![allow(unsafe_code)]
// The state is a fixed `[_; 16]` indexed by constants and `4 * k + i` with k, i < 4.
#![allow(clippy::indexing_slicing)]

use core::arch::aarch64::*;

/// Rotate every lane left by `N` (`32 - N` given as `R`): a shift, then the
/// shifted-out bits inserted by `vsriq` (shift right and insert).
macro_rules! rotl {
    ($v:expr, 7) => {
        rotl!($v, 7, 25)
    };
    ($v:expr, 9) => {
        rotl!($v, 9, 23)
    };
    ($v:expr, 13) => {
        rotl!($v, 13, 19)
    };
    ($v:expr, 18) => {
        rotl!($v, 18, 14)
    };
    ($v:expr, $n:literal, $r:literal) => {{
        let v = $v;
        vsriq_n_u32::<$r>(vshlq_n_u32::<$n>(v), v)
    }};
}

/// XORs `words` (4 consecutive state words of one block) into `out` (16 bytes).
#[inline(always)]
fn xor16(out: &mut [u8], words: uint32x4_t) {
    debug_assert!(out.len() >= 16);
    // SAFETY: callers pass a 16-byte subslice; `vld1q_u8`/`vst1q_u8` have no
    // alignment requirement; NEON is baseline on aarch64. The words are stored
    // in memory order, which is Salsa20's little-endian byte order on a
    // little-endian target (the only one this module is built for).
    unsafe {
        let p = out.as_mut_ptr();
        let bytes = vreinterpretq_u8_u32(words);
        vst1q_u8(p, veorq_u8(vld1q_u8(p), bytes));
    }
}

/// XORs as many whole 4-block (256-byte) chunks of `data` as it holds with the
/// keystream of (`key`, `nonce`) from block `counter`; returns the blocks done.
pub(super) fn xor_blocks4(key: &[u8; 32], nonce: &[u8; 8], counter: u64, data: &mut [u8]) -> usize {
    let input = super::input_words(key, nonce);
    let mut done = 0usize;
    for chunk in data.chunks_exact_mut(256) {
        let c = counter.wrapping_add(done as u64);
        let ctr = [c, c.wrapping_add(1), c.wrapping_add(2), c.wrapping_add(3)];
        // SAFETY: plain NEON arithmetic on registers; NEON is baseline on aarch64.
        unsafe {
            let mut orig = [vdupq_n_u32(0); 16];
            for (o, w) in orig.iter_mut().zip(input.iter()) {
                *o = vdupq_n_u32(*w);
            }
            let lo = [ctr[0] as u32, ctr[1] as u32, ctr[2] as u32, ctr[3] as u32];
            let hi = [
                (ctr[0] >> 32) as u32,
                (ctr[1] >> 32) as u32,
                (ctr[2] >> 32) as u32,
                (ctr[3] >> 32) as u32,
            ];
            orig[8] = vld1q_u32(lo.as_ptr());
            orig[9] = vld1q_u32(hi.as_ptr());
            let mut x = orig;
            salsa_rounds!(x, vaddq_u32, veorq_u32, rotl);
            for (xi, oi) in x.iter_mut().zip(orig.iter()) {
                *xi = vaddq_u32(*xi, *oi);
            }
            // Transpose each group of 4 words: lane b of word w goes to block b.
            for k in 0..4 {
                let (a, b, c, d) = (x[4 * k], x[4 * k + 1], x[4 * k + 2], x[4 * k + 3]);
                let t0 = vtrn1q_u32(a, b); // a0 b0 a2 b2
                let t1 = vtrn2q_u32(a, b); // a1 b1 a3 b3
                let t2 = vtrn1q_u32(c, d); // c0 d0 c2 d2
                let t3 = vtrn2q_u32(c, d); // c1 d1 c3 d3
                let w = |p: uint32x4_t| vreinterpretq_u64_u32(p);
                let rows = [
                    vreinterpretq_u32_u64(vtrn1q_u64(w(t0), w(t2))), // block 0
                    vreinterpretq_u32_u64(vtrn1q_u64(w(t1), w(t3))), // block 1
                    vreinterpretq_u32_u64(vtrn2q_u64(w(t0), w(t2))), // block 2
                    vreinterpretq_u32_u64(vtrn2q_u64(w(t1), w(t3))), // block 3
                ];
                for (blk, row) in rows.into_iter().enumerate() {
                    let at = 64 * blk + 16 * k;
                    if let Some(out) = chunk.get_mut(at..at + 16) {
                        xor16(out, row);
                    }
                }
            }
        }
        done += 4;
    }
    done
}
