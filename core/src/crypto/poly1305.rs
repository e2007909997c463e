//! Poly1305 (RFC 8439 §2.5) for short and medium messages: the accumulator in
//! base 2^64 (two 64-bit words and a small third one), four 64×64→128
//! multiplications per 16-byte block and a partial reduction, as OpenSSL's
//! portable `poly1305_blocks`/`poly1305_emit` (base 2^64) do. No setup per
//! message, which the vectorised implementations pay (RustCrypto's AVX2 backend
//! about 1.5 µs): on WAMP-sized messages this is the fastest form here.
//!
//! On 32-bit targets `mac` is RustCrypto's instead (see there).
//!
//! Constant time: no branch or index depends on the key, the accumulator or the
//! message bytes (only on the message length); the final reduction selects with
//! masks. The key and the accumulator are erased on drop.
//!
//! Held to RustCrypto's `poly1305` and libcrux's (HACL*) for every length 0–4096
//! and large ones, with random and extreme keys and messages (the unit tests
//! below, `core/tests/salsa20_simd.rs` through XSalsa20-Poly1305, and the
//! `xsalsa20poly1305_differential` fuzz target), and the RFC 8439 vectors.

#[cfg(any(not(target_pointer_width = "32"), test))]
use zeroize::Zeroize;

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
            // h *= r, partially reduced: h2·2^128·r folds in through s1.
            let d0 = mul(h0, r0) + mul(h1, s1);
            let mut d1 = mul(h0, r1) + mul(h1, r0) + u128::from(h2 * s1);
            let hi = h2 * r0;
            h0 = d0 as u64;
            d1 += d0 >> 64;
            h1 = d1 as u64;
            h2 = hi + (d1 >> 64) as u64;
            // (h2:h0 += (h2:h0 >> 130) · 5) mod 2^130
            let c = (h2 >> 2) + (h2 & !3);
            h2 &= 3;
            let (t0, c0) = h0.overflowing_add(c);
            let (t1, c1) = h1.overflowing_add(u64::from(c0));
            h0 = t0;
            h1 = t1;
            h2 += u64::from(c1);
        }
        self.h = [h0, h1, h2];
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
        let [h0, h1, h2] = self.h;
        // g = h + 5; h ≥ p exactly when g reaches 2^130: then h − p = g mod 2^130,
        // whose low 128 bits are g1:g0. Selected with a mask, not a branch.
        let t = u128::from(h0) + 5;
        let g0 = t as u64;
        let t = u128::from(h1) + (t >> 64);
        let g1 = t as u64;
        let g2 = h2 + (t >> 64) as u64;
        let take_g = 0u64.wrapping_sub(g2 >> 2);
        let h0 = (h0 & !take_g) | (g0 & take_g);
        let h1 = (h1 & !take_g) | (g1 & take_g);
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

/// The Poly1305 tag of `message` under the one-time `key`.
#[cfg(not(target_pointer_width = "32"))]
pub fn mac(key: &[u8; 32], message: &[u8]) -> [u8; 16] {
    mac64(key, message)
}

/// The base-2^64 tag (above), also built on 32-bit targets for the tests.
#[cfg(any(not(target_pointer_width = "32"), test))]
#[cfg_attr(target_pointer_width = "32", allow(dead_code))]
fn mac64(key: &[u8; 32], message: &[u8]) -> [u8; 16] {
    let mut st = State::new(key);
    let whole = message.len() - message.len() % 16;
    let (blocks, rest) = message.split_at(whole);
    st.blocks(blocks, 1);
    st.finish(rest)
}

/// The Poly1305 tag of `message` under the one-time `key`, on 32-bit targets
/// (WebAssembly, 32-bit ARM): there a 64×64→128 multiplication is a library call,
/// so RustCrypto's `poly1305` serves, whose portable backend is poly1305-donna's
/// 26-bit limbs (32×32→64 multiplications). Its state is erased on drop.
#[cfg(target_pointer_width = "32")]
pub fn mac(key: &[u8; 32], message: &[u8]) -> [u8; 16] {
    use poly1305::universal_hash::KeyInit;
    poly1305::Poly1305::new(key.into())
        .compute_unpadded(message)
        .into()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::mac;
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

    #[test]
    fn equals_rustcrypto_and_libcrux_for_every_length_and_extreme_inputs() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut m = vec![0u8; 4096 + 16];
        let mut key = [0u8; 32];
        for len in 0..=4096 {
            rng.fill(&mut key);
            rng.fill(&mut m[..len]);
            let want = rustcrypto(&key, &m[..len]);
            assert_eq!(mac(&key, &m[..len]), want, "len {len}");
            assert_eq!(libcrux(&key, &m[..len]), want, "len {len}");
        }
        // All-ones keys and messages drive every limb to its largest value, and
        // make the final reduction's h ≥ p branch run.
        for (k, b) in [(0xffu8, 0xffu8), (0xff, 0), (0, 0xff), (0x80, 0x7f)] {
            for len in [0, 1, 15, 16, 17, 31, 32, 33, 64, 100, 1000, 4096] {
                let key = [k; 32];
                let m = vec![b; len];
                assert_eq!(mac(&key, &m), rustcrypto(&key, &m), "{k:#x} {b:#x} {len}");
            }
        }
        // Large.
        let mut big = vec![0u8; 1 << 20];
        rng.fill(&mut big);
        rng.fill(&mut key);
        for len in [65_536, 65_537, 1 << 20] {
            assert_eq!(mac(&key, &big[..len]), rustcrypto(&key, &big[..len]));
        }
    }
}
