//! The x86-64 SIMD Salsa20 keystream: 4 blocks per iteration with SSE2, 8 with
//! AVX2, 16 with AVX-512F, the 4- and 8-block code also compiled for AVX-512VL.
//! Every function here is `unsafe` to call: the parent module enters each one only
//! after checking its CPU feature.
#![allow(unsafe_code)]
// The state is a fixed `[_; 16]` indexed by constants and `4 * k + i` with k, i < 4.
#![allow(clippy::indexing_slicing)]

use core::arch::x86_64::*;

use super::input_words;

macro_rules! rotl128 {
    ($v:expr, 7) => {{
        let v = $v;
        _mm_or_si128(_mm_slli_epi32::<7>(v), _mm_srli_epi32::<25>(v))
    }};
    ($v:expr, 9) => {{
        let v = $v;
        _mm_or_si128(_mm_slli_epi32::<9>(v), _mm_srli_epi32::<23>(v))
    }};
    ($v:expr, 13) => {{
        let v = $v;
        _mm_or_si128(_mm_slli_epi32::<13>(v), _mm_srli_epi32::<19>(v))
    }};
    ($v:expr, 18) => {{
        let v = $v;
        _mm_or_si128(_mm_slli_epi32::<18>(v), _mm_srli_epi32::<14>(v))
    }};
}

macro_rules! rotl256 {
    ($v:expr, 7) => {{
        let v = $v;
        _mm256_or_si256(_mm256_slli_epi32::<7>(v), _mm256_srli_epi32::<25>(v))
    }};
    ($v:expr, 9) => {{
        let v = $v;
        _mm256_or_si256(_mm256_slli_epi32::<9>(v), _mm256_srli_epi32::<23>(v))
    }};
    ($v:expr, 13) => {{
        let v = $v;
        _mm256_or_si256(_mm256_slli_epi32::<13>(v), _mm256_srli_epi32::<19>(v))
    }};
    ($v:expr, 18) => {{
        let v = $v;
        _mm256_or_si256(_mm256_slli_epi32::<18>(v), _mm256_srli_epi32::<14>(v))
    }};
}

/// XORs `words` (4 consecutive state words of one block) into `out` (16 bytes).
#[inline(always)]
unsafe fn xor16(out: &mut [u8], words: __m128i) {
    debug_assert!(out.len() >= 16);
    // SAFETY: callers pass a 16-byte subslice; unaligned load/store.
    unsafe {
        let p = out.as_mut_ptr().cast::<__m128i>();
        _mm_storeu_si128(p, _mm_xor_si128(_mm_loadu_si128(p), words));
    }
}

/// The 4- and 8-block code compiled twice: for its own instruction set, and with
/// AVX-512VL where the CPU has it (the same source; LLVM then uses native rotates
/// and 32 vector registers). `$name` runs the AVX-512VL one when asked to (the
/// `Avx512` backend) and the CPU has it.
macro_rules! with_avx512vl {
    ($(#[$doc:meta])* $name:ident, $plain:ident = $features:literal, $vl:ident, $body:ident) => {
        $(#[$doc])*
        ///
        /// # Safety
        #[doc = concat!("The CPU supports ", $features, ".")]
        pub(super) unsafe fn $name(
            avx512vl: bool,
            key: &[u8; 32],
            nonce: &[u8; 8],
            counter: u64,
            data: &mut [u8],
        ) -> usize {
            if avx512vl && super::avx512_cpuid::get() {
                // SAFETY: AVX-512F and VL are present (checked just above).
                unsafe { $vl(key, nonce, counter, data) }
            } else {
                // SAFETY: the caller's contract.
                unsafe { $plain(key, nonce, counter, data) }
            }
        }

        #[target_feature(enable = $features)]
        unsafe fn $plain(key: &[u8; 32], nonce: &[u8; 8], counter: u64, data: &mut [u8]) -> usize {
            // SAFETY: the caller's contract covers the features of `$body`.
            unsafe { $body(key, nonce, counter, data) }
        }

        #[target_feature(enable = $features, enable = "avx512f,avx512vl")]
        unsafe fn $vl(key: &[u8; 32], nonce: &[u8; 8], counter: u64, data: &mut [u8]) -> usize {
            // SAFETY: the caller's contract covers the features of `$body`.
            unsafe { $body(key, nonce, counter, data) }
        }
    };
}

with_avx512vl!(
    /// XORs the keystream into as many whole groups of 4 blocks of `data` as there
    /// are; returns the number of blocks done.
    xor_blocks4,
    xor_blocks4_sse2 = "sse2",
    xor_blocks4_avx512vl,
    blocks4
);

with_avx512vl!(
    /// As [`xor_blocks4`] with 8 blocks per iteration.
    xor_blocks8,
    xor_blocks8_avx2 = "avx2",
    xor_blocks8_avx512vl,
    blocks8
);

/// The body of [`xor_blocks4`], inlined into each compiled variant.
#[inline(always)]
unsafe fn blocks4(key: &[u8; 32], nonce: &[u8; 8], counter: u64, data: &mut [u8]) -> usize {
    let input = input_words(key, nonce);
    let mut done = 0usize;
    for chunk in data.chunks_exact_mut(256) {
        let c = counter.wrapping_add(done as u64);
        let ctr = [c, c.wrapping_add(1), c.wrapping_add(2), c.wrapping_add(3)];
        let mut orig = [_mm_setzero_si128(); 16];
        for (o, w) in orig.iter_mut().zip(input.iter()) {
            *o = _mm_set1_epi32(*w as i32);
        }
        orig[8] = _mm_setr_epi32(ctr[0] as i32, ctr[1] as i32, ctr[2] as i32, ctr[3] as i32);
        orig[9] = _mm_setr_epi32(
            (ctr[0] >> 32) as i32,
            (ctr[1] >> 32) as i32,
            (ctr[2] >> 32) as i32,
            (ctr[3] >> 32) as i32,
        );
        let mut x = orig;
        salsa_rounds!(x, _mm_add_epi32, _mm_xor_si128, rotl128);
        for (xi, oi) in x.iter_mut().zip(orig.iter()) {
            *xi = _mm_add_epi32(*xi, *oi);
        }
        for k in 0..4 {
            let (a, b, c, d) = (x[4 * k], x[4 * k + 1], x[4 * k + 2], x[4 * k + 3]);
            let t0 = _mm_unpacklo_epi32(a, b);
            let t1 = _mm_unpacklo_epi32(c, d);
            let t2 = _mm_unpackhi_epi32(a, b);
            let t3 = _mm_unpackhi_epi32(c, d);
            let rows = [
                _mm_unpacklo_epi64(t0, t1),
                _mm_unpackhi_epi64(t0, t1),
                _mm_unpacklo_epi64(t2, t3),
                _mm_unpackhi_epi64(t2, t3),
            ];
            for (blk, row) in rows.into_iter().enumerate() {
                let at = 64 * blk + 16 * k;
                if let Some(out) = chunk.get_mut(at..at + 16) {
                    // SAFETY: `out` is exactly 16 bytes.
                    unsafe { xor16(out, row) };
                }
            }
        }
        done += 4;
    }
    done
}

/// The body of [`xor_blocks8`], inlined into each compiled variant.
#[inline(always)]
unsafe fn blocks8(key: &[u8; 32], nonce: &[u8; 8], counter: u64, data: &mut [u8]) -> usize {
    let input = input_words(key, nonce);
    let mut done = 0usize;
    for chunk in data.chunks_exact_mut(512) {
        let c = counter.wrapping_add(done as u64);
        let ctr: [u64; 8] = core::array::from_fn(|i| c.wrapping_add(i as u64));
        let mut orig = [_mm256_setzero_si256(); 16];
        for (o, w) in orig.iter_mut().zip(input.iter()) {
            *o = _mm256_set1_epi32(*w as i32);
        }
        orig[8] = _mm256_setr_epi32(
            ctr[0] as i32,
            ctr[1] as i32,
            ctr[2] as i32,
            ctr[3] as i32,
            ctr[4] as i32,
            ctr[5] as i32,
            ctr[6] as i32,
            ctr[7] as i32,
        );
        orig[9] = _mm256_setr_epi32(
            (ctr[0] >> 32) as i32,
            (ctr[1] >> 32) as i32,
            (ctr[2] >> 32) as i32,
            (ctr[3] >> 32) as i32,
            (ctr[4] >> 32) as i32,
            (ctr[5] >> 32) as i32,
            (ctr[6] >> 32) as i32,
            (ctr[7] >> 32) as i32,
        );
        let mut x = orig;
        salsa_rounds!(x, _mm256_add_epi32, _mm256_xor_si256, rotl256);
        for (xi, oi) in x.iter_mut().zip(orig.iter()) {
            *xi = _mm256_add_epi32(*xi, *oi);
        }
        for k in 0..4 {
            let (a, b, c, d) = (x[4 * k], x[4 * k + 1], x[4 * k + 2], x[4 * k + 3]);
            let t0 = _mm256_unpacklo_epi32(a, b);
            let t1 = _mm256_unpacklo_epi32(c, d);
            let t2 = _mm256_unpackhi_epi32(a, b);
            let t3 = _mm256_unpackhi_epi32(c, d);
            // Within each 128-bit lane: the low lane holds blocks 0..3, the high lane 4..7.
            let rows = [
                _mm256_unpacklo_epi64(t0, t1),
                _mm256_unpackhi_epi64(t0, t1),
                _mm256_unpacklo_epi64(t2, t3),
                _mm256_unpackhi_epi64(t2, t3),
            ];
            for (blk, row) in rows.into_iter().enumerate() {
                let lo = _mm256_castsi256_si128(row);
                let hi = _mm256_extracti128_si256::<1>(row);
                for (b, words) in [(blk, lo), (blk + 4, hi)] {
                    let at = 64 * b + 16 * k;
                    if let Some(out) = chunk.get_mut(at..at + 16) {
                        // SAFETY: `out` is exactly 16 bytes.
                        unsafe { xor16(out, words) };
                    }
                }
            }
        }
        done += 8;
    }
    done
}

/// As [`xor_blocks4`] with 16 blocks per iteration and native rotates.
///
/// # Safety
/// The CPU supports AVX-512F.
#[target_feature(enable = "avx512f")]
pub(super) unsafe fn xor_blocks16_avx512(
    key: &[u8; 32],
    nonce: &[u8; 8],
    counter: u64,
    data: &mut [u8],
) -> usize {
    macro_rules! rotl512 {
        ($v:expr, 7) => {
            _mm512_rol_epi32::<7>($v)
        };
        ($v:expr, 9) => {
            _mm512_rol_epi32::<9>($v)
        };
        ($v:expr, 13) => {
            _mm512_rol_epi32::<13>($v)
        };
        ($v:expr, 18) => {
            _mm512_rol_epi32::<18>($v)
        };
    }
    let input = input_words(key, nonce);
    let mut done = 0usize;
    for chunk in data.chunks_exact_mut(1024) {
        let c = counter.wrapping_add(done as u64);
        let lo: [i32; 16] = core::array::from_fn(|i| c.wrapping_add(i as u64) as i32);
        let hi: [i32; 16] = core::array::from_fn(|i| (c.wrapping_add(i as u64) >> 32) as i32);
        let mut orig = [_mm512_setzero_si512(); 16];
        for (o, w) in orig.iter_mut().zip(input.iter()) {
            *o = _mm512_set1_epi32(*w as i32);
        }
        // SAFETY: `lo` and `hi` are 16 i32s each; unaligned loads.
        (orig[8], orig[9]) = unsafe {
            (
                _mm512_loadu_si512(lo.as_ptr().cast()),
                _mm512_loadu_si512(hi.as_ptr().cast()),
            )
        };
        let mut x = orig;
        salsa_rounds!(x, _mm512_add_epi32, _mm512_xor_si512, rotl512);
        for (xi, oi) in x.iter_mut().zip(orig.iter()) {
            *xi = _mm512_add_epi32(*xi, *oi);
        }
        for k in 0..4 {
            let (a, b, c, d) = (x[4 * k], x[4 * k + 1], x[4 * k + 2], x[4 * k + 3]);
            let t0 = _mm512_unpacklo_epi32(a, b);
            let t1 = _mm512_unpacklo_epi32(c, d);
            let t2 = _mm512_unpackhi_epi32(a, b);
            let t3 = _mm512_unpackhi_epi32(c, d);
            // Within each 128-bit lane L (0..4): blocks 4L..4L+3.
            let rows = [
                _mm512_unpacklo_epi64(t0, t1),
                _mm512_unpackhi_epi64(t0, t1),
                _mm512_unpacklo_epi64(t2, t3),
                _mm512_unpackhi_epi64(t2, t3),
            ];
            for (blk, row) in rows.into_iter().enumerate() {
                let lanes = [
                    _mm512_extracti32x4_epi32::<0>(row),
                    _mm512_extracti32x4_epi32::<1>(row),
                    _mm512_extracti32x4_epi32::<2>(row),
                    _mm512_extracti32x4_epi32::<3>(row),
                ];
                for (lane, words) in lanes.into_iter().enumerate() {
                    let at = 64 * (blk + 4 * lane) + 16 * k;
                    if let Some(out) = chunk.get_mut(at..at + 16) {
                        // SAFETY: `out` is exactly 16 bytes.
                        unsafe { xor16(out, words) };
                    }
                }
            }
        }
        done += 16;
    }
    done
}
