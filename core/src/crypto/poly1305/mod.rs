//! Poly1305 (RFC 8439 §2.5), in two forms chosen by message length and CPU:
//!
//! - **Base 2^64**, for short messages and every tail: the accumulator in two
//!   64-bit words and a small third one, four 64×64→128 multiplications per
//!   16-byte block and a partial reduction, as OpenSSL's portable
//!   `poly1305_blocks`/`poly1305_emit` do. No setup per message.
//! - **SIMD** (`x86.rs`), from [`SIMD_FROM`] bytes on x86-64 when the keystream
//!   backend is AVX2 (4 blocks per iteration) or AVX-512 (8 blocks): base 2^26
//!   lanes multiplied by r^4 or r^8, as libsodium's and OpenSSL's vector code.
//!   The powers of r are made here in base 2^64 (a few multiplications, the
//!   setup that makes SIMD a loss on short messages); the vector code absorbs the
//!   longest whole stretch of 4 or 8 blocks, the base 2^64 code the blocks after it.
//!
//! The form follows the Salsa20 backend ([`crate::crypto::salsa20::detected`]), so
//! `WAMPE2E_FORCE_SCALAR=1` forces the base 2^64 code here too.
//!
//! On 32-bit targets `mac` is RustCrypto's instead (see there).
//!
//! Constant time: no branch or index depends on the key, the accumulator or the
//! message bytes (only on the message length); the final reduction selects with
//! masks. The key, the powers and the accumulator are erased on drop.
//!
//! Held to RustCrypto's `poly1305` and libcrux's (HACL*) for every length 0–4096
//! and large ones, every form, with random and extreme keys and messages (the unit
//! tests below, `core/tests/salsa20_simd.rs` through XSalsa20-Poly1305 on every
//! backend, and the `xsalsa20poly1305_differential` fuzz target), and the RFC 8439
//! vectors.

#[cfg(any(not(target_pointer_width = "32"), test))]
use zeroize::Zeroize;

#[cfg(any(not(target_pointer_width = "32"), test))]
use crate::crypto::salsa20::Backend;

#[cfg(target_arch = "x86_64")]
mod x86;

/// The message length from which the SIMD form runs: below it the powers of r
/// cost more than the vector code saves (`make bench`, `poly1305/*`).
#[cfg(target_arch = "x86_64")]
pub const SIMD_FROM: usize = 384;

/// The message length from which the `Avx512` backend's Poly1305 runs 8 lanes
/// rather than AVX2's 4: r^5 … r^8 and the wider setup pay off only from here.
#[cfg(target_arch = "x86_64")]
pub const AVX512_FROM: usize = 2048;

#[cfg(any(not(target_pointer_width = "32"), test))]
fn le64(b: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 8];
    if let Some(s) = b.get(at..at + 8) {
        w.copy_from_slice(s);
    }
    u64::from_le_bytes(w)
}

#[cfg(any(not(target_pointer_width = "32"), test))]
fn mul(a: u64, b: u64) -> u128 {
    u128::from(a) * u128::from(b)
}

/// h · r, partially reduced (h2 ≤ 4 out, for h2 ≤ 8 in): h2·2^128·r folds in
/// through s1 = 5·r1/4.
#[cfg(any(not(target_pointer_width = "32"), test))]
#[inline(always)]
fn times_r(h: [u64; 3], r0: u64, r1: u64, s1: u64) -> [u64; 3] {
    let [h0, h1, h2] = h;
    let d0 = mul(h0, r0) + mul(h1, s1);
    let mut d1 = mul(h0, r1) + mul(h1, r0) + u128::from(h2 * s1);
    let hi = h2 * r0;
    let h0 = d0 as u64;
    d1 += d0 >> 64;
    let h1 = d1 as u64;
    let mut h2 = hi + (d1 >> 64) as u64;
    // (h2:h0 += (h2:h0 >> 130) · 5) mod 2^130
    let c = (h2 >> 2) + (h2 & !3);
    h2 &= 3;
    let (t0, c0) = h0.overflowing_add(c);
    let (t1, c1) = h1.overflowing_add(u64::from(c0));
    [t0, t1, h2 + u64::from(c1)]
}

/// h mod p for partially reduced h (h2 ≤ 4, so h < 5·2^128 < 2p): g = h + 5
/// reaches 2^130 exactly when h ≥ p, and then h − p = g mod 2^130. Selected with
/// a mask, not a branch (the mask is all ones or zero only while g2 ≤ 7).
#[cfg(any(not(target_pointer_width = "32"), test))]
fn freeze(h: [u64; 3]) -> [u64; 3] {
    debug_assert!(h[2] <= 4);
    let [h0, h1, h2] = h;
    let t = u128::from(h0) + 5;
    let g0 = t as u64;
    let t = u128::from(h1) + (t >> 64);
    let g1 = t as u64;
    let g2 = h2 + (t >> 64) as u64;
    let take_g = 0u64.wrapping_sub(g2 >> 2);
    [
        (h0 & !take_g) | (g0 & take_g),
        (h1 & !take_g) | (g1 & take_g),
        (h2 & !take_g) | (g2 & 3 & take_g),
    ]
}

/// 2^26 − 1.
#[cfg(target_arch = "x86_64")]
const M26: u64 = 0x3ff_ffff;

/// h (h2 ≤ 4) in five base 2^26 limbs: the low four < 2^26, the top one < 2^27
/// (< 2^26 when h < 2^130).
#[cfg(target_arch = "x86_64")]
fn to_limbs(h: [u64; 3]) -> [u64; 5] {
    let [h0, h1, h2] = h;
    [
        h0 & M26,
        (h0 >> 26) & M26,
        ((h0 >> 52) | (h1 << 12)) & M26,
        (h1 >> 14) & M26,
        (h1 >> 40) | (h2 << 24),
    ]
}

/// Five unreduced base 2^26 limbs (each < 2^62) back in base 2^64, partially
/// reduced (h2 ≤ 4): carried once round (the top carry times 5 into the bottom,
/// 2^130 ≡ 5), which leaves every limb < 2^26 but limb 1 (< 2^26 + 2^14), so the
/// value is under 2^130 + 2^41.
#[cfg(target_arch = "x86_64")]
fn from_limbs(d: [u64; 5]) -> [u64; 3] {
    let [mut d0, mut d1, mut d2, mut d3, mut d4] = d;
    d1 += d0 >> 26;
    d0 &= M26;
    d2 += d1 >> 26;
    d1 &= M26;
    d3 += d2 >> 26;
    d2 &= M26;
    d4 += d3 >> 26;
    d3 &= M26;
    let c = d4 >> 26;
    d4 &= M26;
    d0 += c * 5;
    d1 += d0 >> 26;
    d0 &= M26;
    let t = u128::from(d0) + (u128::from(d1) << 26) + (u128::from(d2) << 52);
    let h0 = t as u64;
    let t = (t >> 64) + (u128::from(d3) << 14) + (u128::from(d4) << 40);
    [h0, t as u64, (t >> 64) as u64]
}

#[cfg(any(not(target_pointer_width = "32"), test))]
struct State {
    /// r, clamped (RFC 8439 §2.5.1), in two 64-bit words.
    r: [u64; 2],
    /// `r1 + r1 / 4` (= 5·r1/4: r1's two low bits are clamped to zero), folding
    /// the reduction by 2^130 − 5 into the products.
    s1: u64,
    /// The accumulator h = h0 + 2^64·h1 + 2^128·h2, partially reduced (h2 ≤ 4).
    h: [u64; 3],
    pad: [u64; 2],
}

#[cfg(any(not(target_pointer_width = "32"), test))]
impl Drop for State {
    fn drop(&mut self) {
        self.r.zeroize();
        self.s1.zeroize();
        self.h.zeroize();
        self.pad.zeroize();
    }
}

/// r, r^2, …, r^N in base 2^26 limbs, erased on drop.
#[cfg(target_arch = "x86_64")]
struct Powers<const N: usize>([[u64; 5]; N]);

#[cfg(target_arch = "x86_64")]
impl<const N: usize> Drop for Powers<N> {
    fn drop(&mut self) {
        for p in self.0.iter_mut() {
            p.zeroize();
        }
    }
}

#[cfg(any(not(target_pointer_width = "32"), test))]
impl State {
    fn new(key: &[u8; 32]) -> State {
        let r0 = le64(key, 0) & 0x0fff_fffc_0fff_ffff;
        let r1 = le64(key, 8) & 0x0fff_fffc_0fff_fffc;
        State {
            r: [r0, r1],
            s1: r1 + (r1 >> 2),
            h: [0; 3],
            pad: [le64(key, 16), le64(key, 24)],
        }
    }

    /// Absorbs whole 16-byte blocks of `m`, each with its 2^128 bit (`padbit`).
    #[inline(always)]
    fn blocks(&mut self, m: &[u8], padbit: u64) {
        let [r0, r1] = self.r;
        let s1 = self.s1;
        let [mut h0, mut h1, mut h2] = self.h;
        for block in m.chunks_exact(16) {
            // h += m
            let d0 = u128::from(h0) + u128::from(le64(block, 0));
            let d1 = u128::from(h1) + (d0 >> 64) + u128::from(le64(block, 8));
            h0 = d0 as u64;
            h1 = d1 as u64;
            h2 += (d1 >> 64) as u64 + padbit;
            [h0, h1, h2] = times_r([h0, h1, h2], r0, r1, s1);
        }
        self.h = [h0, h1, h2];
    }

    /// r^1 … r^N in base 2^26, each partially reduced (h2 ≤ 4, so the top limb
    /// is under 2^27, within the vector code's bounds): no final reduction needed.
    #[cfg(target_arch = "x86_64")]
    fn powers<const N: usize>(&self) -> Powers<N> {
        let [r0, r1] = self.r;
        let mut out = Powers([[0u64; 5]; N]);
        let mut p = [r0, r1, 0];
        for slot in out.0.iter_mut() {
            *slot = to_limbs(p);
            p = times_r(p, r0, r1, self.s1);
        }
        p.zeroize();
        out
    }

    /// Runs a SIMD form (`form`: h's limbs and whole groups of `group` bytes in,
    /// the unreduced limb sums out, or `None` without the CPU feature) over the
    /// longest stretch of whole groups of `m`; returns what is left of `m`.
    #[cfg(target_arch = "x86_64")]
    fn lanes<'m>(
        &mut self,
        m: &'m [u8],
        group: usize,
        form: impl FnOnce([u64; 5], &[u8]) -> Option<[u64; 5]>,
    ) -> &'m [u8] {
        let (wide, rest) = m.split_at(m.len() - m.len() % group);
        let mut h = to_limbs(self.h);
        let left = match form(h, wide) {
            Some(mut d) => {
                self.h = from_limbs(d);
                d.zeroize();
                rest
            }
            None => m,
        };
        h.zeroize();
        left
    }

    /// Absorbs whole blocks of `m` (padbit 1) with the SIMD form of `backend`
    /// where it has one, the base 2^64 form for the rest.
    fn absorb(&mut self, backend: Backend, m: &[u8]) {
        #[cfg(target_arch = "x86_64")]
        let m = {
            let mut m = m;
            // What the AVX-512 lanes leave (under 8 blocks) is below SIMD_FROM, so
            // the AVX2 lanes run only where the AVX-512 ones did not (a CPU without
            // AVX-512F, or a message under AVX512_FROM).
            if m.len() >= AVX512_FROM && backend == Backend::Avx512 {
                let pow = self.powers::<8>();
                m = self.lanes(m, 128, |h, m| x86::avx512(h, &pow.0, m));
            }
            if m.len() >= SIMD_FROM && matches!(backend, Backend::Avx2 | Backend::Avx512) {
                let pow = self.powers::<4>();
                m = self.lanes(m, 64, |h, m| x86::avx2(h, &pow.0, m));
            }
            m
        };
        #[cfg(not(target_arch = "x86_64"))]
        let _ = backend;
        self.blocks(m, 1);
    }

    fn finish(mut self, rest: &[u8]) -> [u8; 16] {
        if !rest.is_empty() {
            let mut last = [0u8; 16];
            if let Some(dst) = last.get_mut(..rest.len()) {
                dst.copy_from_slice(rest);
            }
            if let Some(one) = last.get_mut(rest.len()) {
                *one = 1;
            }
            self.blocks(&last, 0);
            last.zeroize();
        }
        let [h0, h1, _] = freeze(self.h);
        // + pad, mod 2^128.
        let [p0, p1] = self.pad;
        let t = u128::from(h0) + u128::from(p0);
        let lo = t as u64;
        let hi = h1.wrapping_add(p1).wrapping_add((t >> 64) as u64);
        let mut tag = [0u8; 16];
        tag[..8].copy_from_slice(&lo.to_le_bytes());
        tag[8..].copy_from_slice(&hi.to_le_bytes());
        tag
    }
}

/// The Poly1305 tag of `message` under the one-time `key`, in the form the
/// detected backend calls for.
pub fn mac(key: &[u8; 32], message: &[u8]) -> [u8; 16] {
    mac_with(crate::crypto::salsa20::detected(), key, message)
}

/// [`mac`] in the form of a chosen backend (differential tests): the SIMD form of
/// `Avx2`/`Avx512` (where the CPU has it and the message is long enough), the base
/// 2^64 form for every other backend.
#[cfg(not(target_pointer_width = "32"))]
pub fn mac_with(backend: Backend, key: &[u8; 32], message: &[u8]) -> [u8; 16] {
    mac64(backend, key, message)
}

/// The base-2^64 tag (above), also built on 32-bit targets for the tests.
#[cfg(any(not(target_pointer_width = "32"), test))]
#[cfg_attr(target_pointer_width = "32", allow(dead_code))]
fn mac64(backend: Backend, key: &[u8; 32], message: &[u8]) -> [u8; 16] {
    let mut st = State::new(key);
    let whole = message.len() - message.len() % 16;
    let (blocks, rest) = message.split_at(whole);
    st.absorb(backend, blocks);
    st.finish(rest)
}

/// The Poly1305 tag of `message` under the one-time `key`, on 32-bit targets
/// (WebAssembly, 32-bit ARM): there a 64×64→128 multiplication is a library call,
/// so RustCrypto's `poly1305` serves, whose portable backend is poly1305-donna's
/// 26-bit limbs (32×32→64 multiplications). Its state is erased on drop.
#[cfg(target_pointer_width = "32")]
pub fn mac_with(
    _backend: crate::crypto::salsa20::Backend,
    key: &[u8; 32],
    message: &[u8],
) -> [u8; 16] {
    use poly1305::universal_hash::KeyInit;
    poly1305::Poly1305::new(key.into())
        .compute_unpadded(message)
        .into()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::{mac, mac_with};
    use crate::crypto::salsa20::{available, Backend};
    use poly1305::universal_hash::KeyInit;

    fn rustcrypto(key: &[u8; 32], m: &[u8]) -> [u8; 16] {
        poly1305::Poly1305::new(key.into())
            .compute_unpadded(m)
            .into()
    }

    fn libcrux(key: &[u8; 32], m: &[u8]) -> [u8; 16] {
        let mut tag = [0u8; 16];
        assert!(libcrux_poly1305::mac(key, m, &mut tag).is_ok());
        tag
    }

    /// A small deterministic generator (xorshift64*), for reproducible inputs.
    struct Rng(u64);
    impl Rng {
        fn fill(&mut self, b: &mut [u8]) {
            for x in b {
                self.0 ^= self.0 >> 12;
                self.0 ^= self.0 << 25;
                self.0 ^= self.0 >> 27;
                *x = (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 56) as u8;
            }
        }
    }

    #[test]
    fn rfc8439_vectors() {
        // §2.5.2
        let key: [u8; 32] =
            hex::decode("85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b")
                .unwrap()
                .try_into()
                .unwrap();
        assert_eq!(
            hex::encode(mac(&key, b"Cryptographic Forum Research Group")),
            "a8061dc1305136c6c22b8baf0c0127a9"
        );
        // A.3 #1: all-zero key and message.
        assert_eq!(mac(&[0; 32], &[0; 64]), [0; 16]);
    }

    /// Every form this CPU can run: the base 2^64 one (`Scalar`, also what `Sse2`
    /// gets) and the SIMD ones. Says which were not compared here.
    fn forms() -> Vec<Backend> {
        let all = [Backend::Scalar, Backend::Avx2, Backend::Avx512];
        let (ran, skipped): (Vec<_>, Vec<_>) = all.into_iter().partition(|&b| available(b));
        if !skipped.is_empty() {
            eprintln!("poly1305: not on this CPU, so not compared: {skipped:?}");
        }
        ran
    }

    #[test]
    fn equals_rustcrypto_and_libcrux_for_every_length_and_extreme_inputs() {
        let forms = forms();
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut m = vec![0u8; 4096 + 16];
        let mut key = [0u8; 32];
        for len in 0..=4096 {
            rng.fill(&mut key);
            rng.fill(&mut m[..len]);
            let want = rustcrypto(&key, &m[..len]);
            assert_eq!(mac(&key, &m[..len]), want, "len {len}");
            for &form in &forms {
                assert_eq!(mac_with(form, &key, &m[..len]), want, "{form:?} len {len}");
            }
            assert_eq!(libcrux(&key, &m[..len]), want, "len {len}");
        }
        // All-ones keys and messages drive every limb to its largest value (the
        // SIMD lanes' bounds too), and make the final reduction's h ≥ p branch run.
        let lens = [
            0, 1, 15, 16, 17, 31, 32, 33, 64, 100, 255, 256, 257, 320, 383, 384, 400,
        ]
        .into_iter()
        .chain([1000, 1024, 1039, 4096, 65_536 + 127, 1 << 20]);
        for len in lens {
            for (k, b) in [(0xffu8, 0xffu8), (0xff, 0), (0, 0xff), (0x80, 0x7f)] {
                let key = [k; 32];
                let m = vec![b; len];
                let want = rustcrypto(&key, &m);
                for &form in &forms {
                    assert_eq!(
                        mac_with(form, &key, &m),
                        want,
                        "{form:?} {k:#x} {b:#x} {len}"
                    );
                }
            }
        }
        // Large.
        let mut big = vec![0u8; 1 << 20];
        rng.fill(&mut big);
        rng.fill(&mut key);
        for len in [65_536, 65_537, 65_536 + 64 + 48 + 5, 1 << 20] {
            let want = rustcrypto(&key, &big[..len]);
            for &form in &forms {
                assert_eq!(mac_with(form, &key, &big[..len]), want, "{form:?} {len}");
            }
        }
    }

    /// r = 1 and pad 0 again, with whole groups of 4 blocks only (k = 4q blocks, no
    /// tail for the base 2^64 code): the blocks sum to k·2^128 + S ≡ 5q + S, and
    /// S = p + δ − 5q (three all-ones blocks, one block 2^128 − 2 + δ − 5q, the
    /// rest zero) makes the true sum p + δ for δ = −1 … 3, so each SIMD form hands
    /// the final reduction a value at p's edge (its representation is the carries').
    #[test]
    fn simd_sums_at_p_reduce() {
        let mut key = [0u8; 32];
        key[0] = 1;
        let forms = forms();
        for k in [24usize, 32, 64, 128, 136, 256] {
            let q = (k / 4) as u128;
            for delta in -1i128..=3 {
                let mut m = vec![0u8; 16 * k];
                m[..48].fill(0xff);
                // 2^128 − 2 + δ − 5q, as a u128.
                let last = (u128::MAX - (2 + 5 * q)).wrapping_add_signed(delta + 1);
                m[48..64].copy_from_slice(&last.to_le_bytes());
                let want = rustcrypto(&key, &m);
                // The true sum is p + δ ≡ δ (mod p): the tag is δ mod p (δ = −1 → p − 1).
                let expect: u128 = if delta < 0 {
                    u128::MAX - 5
                } else {
                    delta as u128
                };
                assert_eq!(
                    want,
                    expect.to_le_bytes(),
                    "reference, {k} blocks, δ {delta}"
                );
                for &form in &forms {
                    assert_eq!(
                        mac_with(form, &key, &m),
                        want,
                        "{form:?} {k} blocks δ {delta}"
                    );
                }
            }
        }
    }

    /// r = 1 and pad 0: the tag is the plain sum of the blocks (with their 2^128
    /// bits) mod p. Two all-ones blocks with the first byte lowered by 0..=4 sum
    /// to exactly p + 3 … p − 1, the edges of the final reduction; longer ones
    /// (the SIMD forms from 16 blocks) wrap round p many times on the way.
    #[test]
    fn sums_at_and_just_above_p_reduce() {
        let mut key = [0u8; 32];
        key[0] = 1;
        let forms = forms();
        for blocks in [2usize, 16, 17, 32, 33, 64, 100] {
            for top in [0xffu8, 0xfe, 0xfd, 0xfc, 0xfb] {
                let mut m = vec![0xffu8; 16 * blocks];
                m[0] = top;
                let want = rustcrypto(&key, &m);
                for &form in &forms {
                    assert_eq!(mac_with(form, &key, &m), want, "{form:?} {blocks} {top:#x}");
                }
            }
        }
    }
}
