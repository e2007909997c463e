//! Poly1305 on x86-64 with AVX2 (4 blocks per iteration) and AVX-512F (8 blocks),
//! for messages long enough to repay the setup (see `SIMD_FROM` in the parent).
//!
//! The layout is the one of Goll and Gueron's "Vectorization of Poly1305" and
//! libsodium's SSE2 code, widened: numbers in base 2^26 (five limbs), one 64-bit
//! lane per interleaved accumulator, limb `j` of every lane in vector `j`. With
//! `L` lanes, lane `i` absorbs block `ORDER[i]` of each group of L blocks (the
//! order the loads and unpacks leave them in) and is multiplied by r^L after
//! each, except after the last group, where it is multiplied by r^(L − ORDER[i])
//! instead; the lanes' sum is then Σ m_k · r^(n − k), the Poly1305 polynomial.
//! Vector registers (and their spills) that held r's powers and the accumulators
//! are not cleared afterwards, as in libsodium; the arrays made here are. Products are `vpmuludq` (32×32→64, constant time), 25 per
//! iteration; limbs are carried back under 2^26 (plus a few bits) after every
//! multiplication, so no sum approaches 2^64 (the bounds are in the comments).
//!
//! Every function here is `unsafe` to call and entered through the safe wrappers
//! at the bottom, which check the CPU feature first.
#![allow(unsafe_code)]
// Fixed-size arrays indexed by loop counters under their length.
#![allow(clippy::indexing_slicing)]

use core::arch::asm;
use core::arch::x86_64::*;

use crate::crypto::salsa20::{available, Backend};
use zeroize::Zeroize;

/// 2^26 − 1.
const M26: u64 = 0x3ff_ffff;

/// `vpmuludq` (the low 32 bits of each 64-bit lane multiplied into 64) as an
/// instruction LLVM cannot rewrite: through `_mm256_mul_epu32` it turns most of
/// the 25 products into 64×64-bit ones (three `vpmuludq`, two shifts and an add
/// each), not knowing the limbs' high halves are zero.
macro_rules! vpmuludq {
    ($(#[$doc:meta])* $name:ident, $feature:literal, $v:ty, $reg:ident) => {
        $(#[$doc])*
        ///
        /// # Safety
        /// The CPU must have the named feature.
        #[target_feature(enable = $feature)]
        #[inline]
        unsafe fn $name(a: $v, b: $v) -> $v {
            let out;
            // SAFETY: a register-only instruction of the feature the caller guarantees.
            unsafe {
                asm!("vpmuludq {o}, {a}, {b}", o = lateout($reg) out, a = in($reg) a,
                     b = in($reg) b, options(pure, nomem, nostack, preserves_flags));
            }
            out
        }
    };
}

vpmuludq!(
    /// `vpmuludq` on 256-bit vectors.
    mul256, "avx2", __m256i, ymm_reg
);
vpmuludq!(
    /// `vpmuludq` on 512-bit vectors.
    mul512, "avx512f", __m512i, zmm_reg
);

/// The absorb-and-multiply loop for one vector width. `$order` is the block each
/// lane holds after the two loads and `unpack{lo,hi}_epi64` (which work within
/// 128-bit pieces): lanes `[0, 2, 1, 3]` for AVX2, `[0, 4, 1, 5, 2, 6, 3, 7]` for
/// AVX-512.
macro_rules! lanes {
    (
        $(#[$doc:meta])* $name:ident, $features:literal, $lanes:literal, $order:expr,
        $v:ty, $load:ident, $store:ident, $set1:ident, $add:ident, $mul:ident,
        $and:ident, $or:ident, $srli:ident, $slli:ident, $lo:ident, $hi:ident
    ) => {
        $(#[$doc])*
        ///
        /// # Safety
        /// The CPU must have the named features. `m.len()` must be a non-zero
        /// multiple of 16·lanes bytes; `pow[k]` holds r^(k+1), its low four limbs
        /// under 2^26 and the top one under 2^27.
        #[target_feature(enable = $features)]
        unsafe fn $name(h: [u64; 5], pow: &[[u64; 5]; $lanes], m: &[u8]) -> [u64; 5] {
            const L: usize = $lanes;
            const ORDER: [usize; L] = $order;
            debug_assert!(!m.is_empty() && m.len() % (16 * L) == 0);
            // SAFETY: (the whole body) loads and stores are unaligned, within
            // `m` (chunks of exactly 16·L bytes) or local arrays of L u64s.
            unsafe {
                let load = |a: &[u64; L]| $load(a.as_ptr().cast());
                let spread = |x: u64| $set1(x as i64);
                let mask = spread(M26);
                let pad = spread(1 << 24);
                // r^L in every lane, and s_j = 5·r_j (r_j < 2^27, so s_j < 2^29.4).
                let mut rl = pow[L - 1];
                let r = [0, 1, 2, 3, 4].map(|j| spread(rl[j]));
                let s = [0, 1, 2, 3, 4].map(|j| spread(rl[j] * 5));
                // After the last block: lane i (holding block ORDER[i] of its
                // group of L) is multiplied by r^(L − ORDER[i]).
                let mut fin = [[0u64; L]; 5];
                let mut fin5 = [[0u64; L]; 5];
                for j in 0..5 {
                    for i in 0..L {
                        fin[j][i] = pow[L - 1 - ORDER[i]][j];
                        fin5[j][i] = fin[j][i] * 5;
                    }
                }
                let fr = [load(&fin[0]), load(&fin[1]), load(&fin[2]), load(&fin[3]), load(&fin[4])];
                let fs = [load(&fin5[0]), load(&fin5[1]), load(&fin5[2]), load(&fin5[3]), load(&fin5[4])];
                fin.zeroize();
                fin5.zeroize();
                // The incoming h joins lane 0 (block 0 of the first group).
                let mut acc = h.map(|x| {
                    let mut a = [0u64; L];
                    a[0] = x;
                    load(&a)
                });

                // acc = (acc + m) · (r, s), unreduced: returns the five sums.
                // Inputs: acc limbs < 2^27.1 (carried limbs, or the incoming h
                // with h2 ≤ 4), message limbs < 2^26 (limb 4: < 2^25 with the pad
                // bit); multipliers < 2^27, s < 2^29.4. Each product < 2^56.5,
                // each sum of five < 2^58.9.
                let step = |acc: [$v; 5], c: &[u8], r: &[$v; 5], s: &[$v; 5]| {
                    let a = $load(c.as_ptr().cast());
                    let b = $load(c.as_ptr().add(8 * L).cast());
                    let t0 = $lo(a, b);
                    let t1 = $hi(a, b);
                    let h0 = $add(acc[0], $and(t0, mask));
                    let h1 = $add(acc[1], $and($srli::<26>(t0), mask));
                    let h2 = $add(acc[2], $and($or($srli::<52>(t0), $slli::<12>(t1)), mask));
                    let h3 = $add(acc[3], $and($srli::<14>(t1), mask));
                    let h4 = $add(acc[4], $or($srli::<40>(t1), pad));
                    let dot = |x: [$v; 5]| {
                        $add(
                            $add($add($mul(h0, x[0]), $mul(h1, x[1])), $mul(h2, x[2])),
                            $add($mul(h3, x[3]), $mul(h4, x[4])),
                        )
                    };
                    [
                        dot([r[0], s[4], s[3], s[2], s[1]]),
                        dot([r[1], r[0], s[4], s[3], s[2]]),
                        dot([r[2], r[1], r[0], s[4], s[3]]),
                        dot([r[3], r[2], r[1], r[0], s[4]]),
                        dot([r[4], r[3], r[2], r[1], r[0]]),
                    ]
                };
                // Carries each limb into the next (the top one times 5 into the
                // bottom: 2^130 ≡ 5), two chains interleaved as in libsodium.
                // Afterwards limbs 0, 2, 3 are < 2^26 and 1, 4 < 2^26 + 2^12.
                let carry = |d: [$v; 5]| {
                    let [mut d0, mut d1, mut d2, mut d3, mut d4] = d;
                    // Limb `from` keeps its low 26 bits; the rest joins `to` (times 5
                    // from the top limb into the bottom one).
                    macro_rules! carry {
                        ($from:ident => $to:ident) => {{
                            let c = $srli::<26>($from);
                            $from = $and($from, mask);
                            $to = $add($to, c);
                        }};
                        ($from:ident => 5 * $to:ident) => {{
                            let c = $srli::<26>($from);
                            $from = $and($from, mask);
                            $to = $add($to, $add(c, $slli::<2>(c)));
                        }};
                    }
                    carry!(d0 => d1);
                    carry!(d3 => d4);
                    carry!(d1 => d2);
                    carry!(d4 => 5 * d0);
                    carry!(d2 => d3);
                    carry!(d0 => d1);
                    carry!(d3 => d4);
                    [d0, d1, d2, d3, d4]
                };

                let chunks = m.len() / (16 * L);
                let mut c = m.chunks_exact(16 * L);
                for _ in 1..chunks {
                    if let Some(chunk) = c.next() {
                        acc = carry(step(acc, chunk, &r, &s));
                    }
                }
                if let Some(chunk) = c.next() {
                    acc = step(acc, chunk, &fr, &fs);
                }
                // The lanes' sum, each limb < 8 · 2^58.9 < 2^62.
                let mut out = [0u64; 5];
                for (o, v) in out.iter_mut().zip(acc) {
                    let mut a = [0u64; L];
                    $store(a.as_mut_ptr().cast(), v);
                    *o = a.iter().sum();
                    a.zeroize();
                }
                rl.zeroize();
                out
            }
        }
    };
}

lanes!(
    /// 4 blocks per iteration in 256-bit vectors.
    blocks4_avx2, "avx2", 4, [0, 2, 1, 3],
    __m256i, _mm256_loadu_si256, _mm256_storeu_si256, _mm256_set1_epi64x,
    _mm256_add_epi64, mul256, _mm256_and_si256, _mm256_or_si256,
    _mm256_srli_epi64, _mm256_slli_epi64, _mm256_unpacklo_epi64, _mm256_unpackhi_epi64
);

lanes!(
    /// 8 blocks per iteration in 512-bit vectors.
    blocks8_avx512, "avx512f", 8, [0, 4, 1, 5, 2, 6, 3, 7],
    __m512i, _mm512_loadu_si512, _mm512_storeu_si512, _mm512_set1_epi64,
    _mm512_add_epi64, mul512, _mm512_and_si512, _mm512_or_si512,
    _mm512_srli_epi64, _mm512_slli_epi64, _mm512_unpacklo_epi64, _mm512_unpackhi_epi64
);

/// Absorbs `m` (a non-zero multiple of 64 bytes) into `h` with AVX2, if the CPU
/// has it: the five unreduced limb sums, or `None`.
pub(super) fn avx2(h: [u64; 5], pow: &[[u64; 5]; 4], m: &[u8]) -> Option<[u64; 5]> {
    if m.is_empty() || !m.len().is_multiple_of(64) || !available(Backend::Avx2) {
        return None;
    }
    // SAFETY: AVX2 is present and `m` is a non-zero multiple of 64 bytes (checked above).
    Some(unsafe { blocks4_avx2(h, pow, m) })
}

/// Absorbs `m` (a non-zero multiple of 128 bytes) into `h` with AVX-512F, if the
/// CPU has it: the five unreduced limb sums, or `None`.
pub(super) fn avx512(h: [u64; 5], pow: &[[u64; 5]; 8], m: &[u8]) -> Option<[u64; 5]> {
    if m.is_empty() || !m.len().is_multiple_of(128) || !available(Backend::Avx512) {
        return None;
    }
    // SAFETY: AVX-512F is present and `m` is a non-zero multiple of 128 bytes (checked above).
    Some(unsafe { blocks8_avx512(h, pow, m) })
}
