//! XSalsa20-Poly1305 as NaCl defines it (`crypto_secretbox`, and `crypto_box`
//! after `crypto_box_beforenm`), over the SIMD Salsa20 keystream of
//! [`crate::crypto::salsa20`] and the core's Poly1305 ([`crate::crypto::poly1305`]):
//!
//! subkey = HSalsa20(key, nonce[0..16]); block 0 of Salsa20(subkey, nonce[16..24])
//! gives the Poly1305 key (bytes 0..32) and encrypts the first 32 message bytes
//! (bytes 32..64); blocks 1.. encrypt the rest; tag = Poly1305(ciphertext).
//! Bit-identical to RustCrypto's `xsalsa20poly1305` / `crypto_box` and libsodium.

use super::wipe::Wiped;
use crate::crypto::salsa20::{self as salsa20_simd, Backend};
use crate::error::{err, ErrorCode, Result};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// Keystream bytes made up front: four blocks, one SSE2 pass.
const HEAD: usize = 256;

/// A 32-byte XSalsa20-Poly1305 key, zeroized on drop.
#[derive(Clone)]
pub struct XSalsaKey(Zeroizing<[u8; 32]>);

impl XSalsaKey {
    /// A secretbox key as it is (symmetric data keys).
    pub fn new(key: &[u8; 32]) -> XSalsaKey {
        XSalsaKey(Zeroizing::new(*key))
    }

    /// libsodium's `crypto_box_beforenm`: HSalsa20 of the X25519 shared secret.
    /// A public key of small order (all-zero shared secret) is refused, as libsodium does.
    pub fn from_box(secret: &[u8; 32], public: &[u8; 32]) -> Result<XSalsaKey> {
        let shared = Zeroizing::new(
            curve25519_dalek::MontgomeryPoint(*public)
                .mul_clamped(*secret)
                .to_bytes(),
        );
        if bool::from(shared.ct_eq(&[0u8; 32])) {
            return err(ErrorCode::InvalidKey, "public key is of small order");
        }
        let mut out = Zeroizing::new([0u8; 32]);
        salsa20_simd::hsalsa20(salsa20_simd::detected(), &shared, &[0; 16], &mut out);
        Ok(XSalsaKey(out))
    }

    /// The per-message keystream: HSalsa20 subkey, and its first bytes made up front.
    fn stream(&self, backend: Backend, nonce: &[u8; 24]) -> Stream {
        let (n16, n8) = nonce.split_at(16);
        let mut subkey = Wiped::<32>::new();
        let mut input = [0u8; 16];
        input.copy_from_slice(n16);
        salsa20_simd::hsalsa20(backend, &self.0, &input, &mut subkey);
        let mut nonce8 = [0u8; 8];
        nonce8.copy_from_slice(n8);
        // With a SIMD backend one SSE2 pass makes four blocks as cheaply as one.
        let head_len = if backend == Backend::Scalar { 64 } else { HEAD };
        let mut head = Wiped::<HEAD>::new();
        salsa20_simd::xor_keystream(
            backend,
            &subkey,
            &nonce8,
            0,
            head.get_mut(..head_len).unwrap_or_default(),
        );
        Stream {
            backend,
            subkey,
            nonce8,
            head,
            head_len,
        }
    }

    /// Encrypts `body` in place and returns the tag, with the detected backend.
    pub fn seal_detached(&self, nonce: &[u8; 24], body: &mut [u8]) -> [u8; 16] {
        self.seal_with(salsa20_simd::detected(), nonce, body)
    }

    /// [`XSalsaKey::seal_detached`] with a chosen keystream backend (differential tests).
    pub fn seal_with(&self, backend: Backend, nonce: &[u8; 24], body: &mut [u8]) -> [u8; 16] {
        let stream = self.stream(backend, nonce);
        stream.xor(body);
        stream.tag(body)
    }

    /// Checks `tag` over `body` in constant time and, if it is authentic, decrypts
    /// `body` in place. Returns whether it was authentic (`body` untouched if not).
    #[must_use]
    pub fn open_detached(&self, nonce: &[u8; 24], body: &mut [u8], tag: &[u8; 16]) -> bool {
        self.open_with(salsa20_simd::detected(), nonce, body, tag)
    }

    /// [`XSalsaKey::open_detached`] with a chosen keystream backend.
    #[must_use]
    pub fn open_with(
        &self,
        backend: Backend,
        nonce: &[u8; 24],
        body: &mut [u8],
        tag: &[u8; 16],
    ) -> bool {
        let stream = self.stream(backend, nonce);
        if !bool::from(tags_equal(&stream.tag(body), tag)) {
            return false;
        }
        stream.xor(body);
        true
    }
}

/// Whether two tags are equal, in constant time: their XOR folded into one word
/// and compared once (`subtle` compares a byte slice one optimisation barrier per
/// byte, 5 % of a 64-byte open).
fn tags_equal(a: &[u8; 16], b: &[u8; 16]) -> subtle::Choice {
    let x = u128::from_le_bytes(*a) ^ u128::from_le_bytes(*b);
    ((x as u64) | ((x >> 64) as u64)).ct_eq(&0)
}

/// One message's keystream: block 0 holds the Poly1305 key (bytes 0..32), the
/// message starts at keystream byte 32.
struct Stream {
    backend: Backend,
    subkey: Wiped<32>,
    nonce8: [u8; 8],
    head: Wiped<HEAD>,
    head_len: usize,
}

impl Stream {
    fn xor(&self, body: &mut [u8]) {
        // Keystream bytes 32..head_len cover the start of the body; blocks from
        // head_len / 64 on cover the rest.
        let covered = body.len().min(self.head_len - 32);
        let (first, rest) = body.split_at_mut(covered);
        for (b, k) in first
            .iter_mut()
            .zip(self.head.get(32..).unwrap_or_default())
        {
            *b ^= k;
        }
        let next_block = (self.head_len / 64) as u32;
        salsa20_simd::xor_keystream(self.backend, &self.subkey, &self.nonce8, next_block, rest);
    }

    /// Poly1305 of the ciphertext under keystream bytes 0..32, in the form of
    /// the keystream's backend (`crypto::poly1305`): the base 2^64 code for short
    /// messages and on SSE2, NEON, WebAssembly and the scalar path; 4 AVX2 lanes
    /// from `SIMD_FROM` bytes, 8 AVX-512 lanes from `AVX512_FROM`. On 32-bit
    /// targets RustCrypto's.
    fn tag(&self, ciphertext: &[u8]) -> [u8; 16] {
        let poly_key = self.head.first_chunk::<32>().unwrap_or(&[0; 32]);
        super::poly1305::mac_with(self.backend, poly_key, ciphertext)
    }
}
