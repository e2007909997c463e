//! XSalsa20-Poly1305 as NaCl defines it (`crypto_secretbox`, and `crypto_box`
//! after `crypto_box_beforenm`), over the SIMD Salsa20 keystream of
//! [`crate::salsa20_simd`] and RustCrypto's `poly1305`:
//!
//! subkey = HSalsa20(key, nonce[0..16]); block 0 of Salsa20(subkey, nonce[16..24])
//! gives the Poly1305 key (bytes 0..32) and encrypts the first 32 message bytes
//! (bytes 32..64); blocks 1.. encrypt the rest; tag = Poly1305(ciphertext).
//! Bit-identical to RustCrypto's `xsalsa20poly1305` / `crypto_box` and libsodium.

use crate::error::{err, ErrorCode, Result};
use crate::salsa20_simd::{self, Backend};
use poly1305::universal_hash::KeyInit;
use poly1305::Poly1305;
use salsa20::cipher::consts::U10;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

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
        let k = salsa20::hsalsa::<U10>((&*shared).into(), &Default::default());
        let mut out = Zeroizing::new([0u8; 32]);
        out.copy_from_slice(&k);
        Ok(XSalsaKey(out))
    }

    /// The per-message Salsa20 key and block 0 of its keystream.
    fn start(&self, nonce: &[u8; 24]) -> (Zeroizing<[u8; 32]>, [u8; 8], Zeroizing<[u8; 64]>) {
        let (n16, n8) = nonce.split_at(16);
        let sub = salsa20::hsalsa::<U10>((&*self.0).into(), n16.into());
        let mut subkey = Zeroizing::new([0u8; 32]);
        subkey.copy_from_slice(&sub);
        let mut tail = [0u8; 8];
        tail.copy_from_slice(n8);
        let block0 = Zeroizing::new(salsa20_simd::block(&subkey, &tail, 0));
        (subkey, tail, block0)
    }

    fn xor(backend: Backend, subkey: &[u8; 32], n8: &[u8; 8], block0: &[u8; 64], body: &mut [u8]) {
        let (head, rest) = body.split_at_mut(body.len().min(32));
        for (b, k) in head.iter_mut().zip(block0.get(32..).unwrap_or_default()) {
            *b ^= k;
        }
        salsa20_simd::xor_keystream(backend, subkey, n8, 1, rest);
    }

    fn tag(block0: &[u8; 64], ciphertext: &[u8]) -> [u8; 16] {
        let mut poly_key = Zeroizing::new([0u8; 32]);
        poly_key.copy_from_slice(block0.get(..32).unwrap_or(&[0; 32]));
        Poly1305::new((&*poly_key).into())
            .compute_unpadded(ciphertext)
            .into()
    }

    /// Encrypts `body` in place and returns the tag, with the detected backend.
    pub fn seal_detached(&self, nonce: &[u8; 24], body: &mut [u8]) -> [u8; 16] {
        self.seal_with(salsa20_simd::detected(), nonce, body)
    }

    /// [`XSalsaKey::seal_detached`] with a chosen keystream backend (differential tests).
    pub fn seal_with(&self, backend: Backend, nonce: &[u8; 24], body: &mut [u8]) -> [u8; 16] {
        let (subkey, n8, block0) = self.start(nonce);
        Self::xor(backend, &subkey, &n8, &block0, body);
        Self::tag(&block0, body)
    }

    /// Checks `tag` over `body` in constant time, then decrypts `body` in place;
    /// `Err(())` (and `body` untouched) when authentication fails.
    pub fn open_detached(
        &self,
        nonce: &[u8; 24],
        body: &mut [u8],
        tag: &[u8; 16],
    ) -> std::result::Result<(), ()> {
        self.open_with(salsa20_simd::detected(), nonce, body, tag)
    }

    /// [`XSalsaKey::open_detached`] with a chosen keystream backend.
    pub fn open_with(
        &self,
        backend: Backend,
        nonce: &[u8; 24],
        body: &mut [u8],
        tag: &[u8; 16],
    ) -> std::result::Result<(), ()> {
        let (subkey, n8, block0) = self.start(nonce);
        if !bool::from(Self::tag(&block0, body).ct_eq(tag)) {
            return Err(());
        }
        Self::xor(backend, &subkey, &n8, &block0, body);
        Ok(())
    }
}
