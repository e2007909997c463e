//! The x86-64 SIMD Salsa20 keystream: 4 blocks per iteration with SSE2, 8 with
//! AVX2, 16 with AVX-512F, and with AVX-512 4 blocks in the diagonal layout (one
//! block per 128-bit quarter) for a message's last few blocks; HSalsa20 in that
//! layout with AVX-512VL.
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

/// XORs the keystream into as many whole groups of 4 blocks of `data` as there
/// are; returns the number of blocks done.
///
/// # Safety
/// The CPU supports SSE2 (every x86-64 CPU).
#[target_feature(enable = "sse2")]
pub(super) unsafe fn xor_blocks4(
    key: &[u8; 32],
    nonce: &[u8; 8],
    counter: u64,
    data: &mut [u8],
) -> usize {
    // SAFETY: the caller's contract covers the features of `blocks4`.
    unsafe { blocks4(key, nonce, counter, data) }
}

/// As [`xor_blocks4`] with 8 blocks per iteration.
///
/// # Safety
/// The CPU supports AVX2.
#[target_feature(enable = "avx2")]
pub(super) unsafe fn xor_blocks8(
    key: &[u8; 32],
    nonce: &[u8; 8],
    counter: u64,
    data: &mut [u8],
) -> usize {
    // SAFETY: the caller's contract covers the features of `blocks8`.
    unsafe { blocks8(key, nonce, counter, data) }
}

/// The body of [`xor_blocks4`].
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

/// The body of [`xor_blocks8`].
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

/// The 20 rounds on a state in the diagonal layout (see [`hsalsa20_avx512vl`]),
/// for any vector width: `$add`, `$xor`, `$rol::<N>` and `$shuffle::<IMM>` are its
/// lane-wise add, xor, rotate left and shuffle within 128 bits.
macro_rules! diagonal_rounds {
    ($a:ident, $b:ident, $c:ident, $d:ident, $add:ident, $xor:ident, $rol:ident, $shuffle:ident) => {
        for _ in 0..10 {
            // Columns: lane i is column i's (5i, 5i+4, 5i+8, 5i+12).
            $b = $xor($b, $rol::<7>($add($a, $d)));
            $c = $xor($c, $rol::<9>($add($b, $a)));
            $d = $xor($d, $rol::<13>($add($c, $b)));
            $a = $xor($a, $rol::<18>($add($d, $c)));
            // Rows: lane i is row i's (5i, 5i+1, 5i+2, 5i+3), all mod 4 within row i.
            let mut q = $shuffle::<0x39>($d);
            let mut r = $shuffle::<0x4e>($c);
            let mut s = $shuffle::<0x93>($b);
            q = $xor(q, $rol::<7>($add($a, s)));
            r = $xor(r, $rol::<9>($add(q, $a)));
            s = $xor(s, $rol::<13>($add(r, q)));
            $a = $xor($a, $rol::<18>($add(s, r)));
            $d = $shuffle::<0x93>(q);
            $c = $shuffle::<0x4e>(r);
            $b = $shuffle::<0x39>(s);
        }
    };
}

/// HSalsa20 (XSalsa20's subkey) of `key` and `input` into `out`: the state in four
/// 128-bit vectors, one per diagonal (lane i of `a`, `b`, `c`, `d` holds words
/// 5i, 5i+4, 5i+8, 5i+12 mod 16), so that a column round is four vector steps and
/// a row round the same steps after rotating the lanes of `b`, `c`, `d`. One block
/// is a chain of dependent steps; AVX-512VL's `vprold` makes each rotation one
/// instruction, where scalar code and SSE2 need two or three.
#[target_feature(enable = "avx512f,avx512vl")]
pub(super) unsafe fn hsalsa20_avx512vl(key: &[u8; 32], input: &[u8; 16], out: &mut [u8; 32]) {
    // The state as a Salsa20 block's, with the input as nonce and counter words.
    let mut nonce = [0u8; 8];
    nonce.copy_from_slice(&input[..8]);
    let mut x = input_words(key, &nonce);
    for (w, b) in x[8..10].iter_mut().zip(input[8..].chunks_exact(4)) {
        *w = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    }
    let x = x.map(|w| w as i32);
    // Words 0, 5, 10, 15 | 4, 9, 14, 3 | 8, 13, 2, 7 | 12, 1, 6, 11 (as in
    // `xor_blocks4_diagonal`).
    let mut a = _mm_setr_epi32(x[0], x[5], x[10], x[15]);
    let mut b = _mm_setr_epi32(x[4], x[9], x[14], x[3]);
    let mut c = _mm_setr_epi32(x[8], x[13], x[2], x[7]);
    let mut d = _mm_setr_epi32(x[12], x[1], x[6], x[11]);
    diagonal_rounds!(
        a,
        b,
        c,
        d,
        _mm_add_epi32,
        _mm_xor_si128,
        _mm_rol_epi32,
        _mm_shuffle_epi32
    );
    // The output: words 0, 5, 10, 15 (all of `a`), then 6, 7, 8, 9.
    let rest = [
        _mm_extract_epi32::<2>(d),
        _mm_extract_epi32::<3>(c),
        _mm_extract_epi32::<0>(c),
        _mm_extract_epi32::<1>(b),
    ];
    _mm_storeu_si128(out.as_mut_ptr().cast(), a);
    for (o, w) in out[16..].chunks_exact_mut(4).zip(rest) {
        o.copy_from_slice(&(w as u32).to_le_bytes());
    }
}

/// XORs `data` with the keystream from block `counter` on, four blocks (256 bytes)
/// per pass, returning the number of blocks done (whole passes only). Each block
/// sits in one 128-bit lane of four AVX-512 vectors in the diagonal layout of
/// [`hsalsa20_avx512vl`]: the four blocks share one chain of dependent steps, where
/// the 4-block SSE2 code (a block per 32-bit lane) runs four chains of sixteen
/// vectors and twice the instructions. For the few blocks of a small message that
/// chain's length is what counts.
///
/// # Safety
/// The CPU supports AVX-512F.
#[target_feature(enable = "avx512f")]
pub(super) unsafe fn xor_blocks4_diagonal(
    key: &[u8; 32],
    nonce: &[u8; 8],
    counter: u64,
    data: &mut [u8],
) -> usize {
    let x = input_words(key, nonce).map(|w| w as i32);
    // Lane i of each 128-bit quarter: words 5i, 5i+4, 5i+8, 5i+12 (mod 16) of its
    // block; the counter is words 8 (low) and 9 (high), in `c` and `b`.
    let a_in = _mm512_broadcast_i32x4(_mm_setr_epi32(x[0], x[5], x[10], x[15]));
    let d_in = _mm512_broadcast_i32x4(_mm_setr_epi32(x[12], x[1], x[6], x[11]));
    // Words j, j + 4, j + 8, j + 12: position j of every quarter.
    const AT: [__mmask16; 4] = [0x1111, 0x2222, 0x4444, 0x8888];
    let mut done = 0usize;
    for chunk in data.chunks_exact_mut(256) {
        let ctr: [u64; 4] = core::array::from_fn(|i| counter.wrapping_add((done + i) as u64));
        let (lo, hi) = (ctr.map(|c| c as i32), ctr.map(|c| (c >> 32) as i32));
        #[rustfmt::skip]
        let b_in = _mm512_setr_epi32(
            x[4], hi[0], x[14], x[3], x[4], hi[1], x[14], x[3],
            x[4], hi[2], x[14], x[3], x[4], hi[3], x[14], x[3],
        );
        #[rustfmt::skip]
        let c_in = _mm512_setr_epi32(
            lo[0], x[13], x[2], x[7], lo[1], x[13], x[2], x[7],
            lo[2], x[13], x[2], x[7], lo[3], x[13], x[2], x[7],
        );
        let (mut a, mut b, mut c, mut d) = (a_in, b_in, c_in, d_in);
        diagonal_rounds!(
            a,
            b,
            c,
            d,
            _mm512_add_epi32,
            _mm512_xor_si512,
            _mm512_rol_epi32,
            _mm512_shuffle_epi32
        );
        let (a, b, c, d) = (
            _mm512_add_epi32(a, a_in),
            _mm512_add_epi32(b, b_in),
            _mm512_add_epi32(c, c_in),
            _mm512_add_epi32(d, d_in),
        );
        // Row r (words 4r..4r+3) takes position j from the diagonal holding word
        // 4r + j: row 0 = a, d, c, b; each next row one diagonal on.
        let row = |p: __m512i, q: __m512i, r: __m512i, s: __m512i| {
            let t = _mm512_mask_blend_epi32(AT[1], p, q);
            let t = _mm512_mask_blend_epi32(AT[2], t, r);
            _mm512_mask_blend_epi32(AT[3], t, s)
        };
        let (r0, r1, r2, r3) = (
            row(a, d, c, b),
            row(b, a, d, c),
            row(c, b, a, d),
            row(d, c, b, a),
        );
        // Quarter i of row r is block i's bytes 16r..16r+16: a 4x4 transpose of
        // 128-bit quarters gives each block whole.
        let t0 = _mm512_shuffle_i32x4::<0x44>(r0, r1);
        let t1 = _mm512_shuffle_i32x4::<0xee>(r0, r1);
        let t2 = _mm512_shuffle_i32x4::<0x44>(r2, r3);
        let t3 = _mm512_shuffle_i32x4::<0xee>(r2, r3);
        let blocks = [
            _mm512_shuffle_i32x4::<0x88>(t0, t2),
            _mm512_shuffle_i32x4::<0xdd>(t0, t2),
            _mm512_shuffle_i32x4::<0x88>(t1, t3),
            _mm512_shuffle_i32x4::<0xdd>(t1, t3),
        ];
        for (out, ks) in chunk.chunks_exact_mut(64).zip(blocks) {
            let p = out.as_mut_ptr().cast::<__m512i>();
            // SAFETY: `out` is exactly 64 bytes; unaligned load and store.
            unsafe { _mm512_storeu_si512(p, _mm512_xor_si512(_mm512_loadu_si512(p), ks)) };
        }
        done += 4;
    }
    done
}
