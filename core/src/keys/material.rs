//! Keys: X25519 key pairs, symmetric data keys, their base64/hex forms, the WAMP
//! spec key id, and Ed25519 (WAMP-cryptosign) to X25519 conversion.

use crate::error::{err, ErrorCode, Result};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use sha2::{Digest, Sha256};
use sha3::Keccak256;
use std::fmt;
use zeroize::{Zeroize, Zeroizing};

/// Length in bytes of every key wampe2e handles.
pub const KEY_LEN: usize = 32;

/// Decodes a 32-byte key given as 64 hex digits (what `crossbar keygen` prints) or
/// standard base64 (Autobahn's form). `what` names the argument in the error.
pub fn decode_key(what: &str, encoded: &str) -> Result<Zeroizing<[u8; KEY_LEN]>> {
    let text = encoded.trim();
    let hex_text = text.strip_prefix("0x").unwrap_or(text);
    let mut out = Zeroizing::new([0u8; KEY_LEN]);
    if hex_text.len() == 2 * KEY_LEN && hex::decode_to_slice(hex_text, &mut out[..]).is_ok() {
        return Ok(out);
    }
    let mut raw = Zeroizing::new(Vec::with_capacity(KEY_LEN + 3));
    match BASE64.decode_vec(text, &mut raw) {
        Ok(()) if raw.len() == KEY_LEN => {
            out.copy_from_slice(&raw);
            Ok(out)
        }
        Ok(()) => err(
            ErrorCode::InvalidKey,
            format!(
                "{what}: base64 decodes to {} bytes, expected {KEY_LEN}",
                raw.len()
            ),
        ),
        Err(_) => err(
            ErrorCode::InvalidKey,
            format!(
                "{what}: neither 64 hex digits nor base64 of {KEY_LEN} bytes (length {})",
                text.len()
            ),
        ),
    }
}

/// A key as a binding received it: text (64 hex digits or base64), or bytes,
/// which are the 32 raw key bytes or, at any other length, the ASCII of the text
/// forms (Autobahn|Python accepts base64 keys as `bytes`). The two never collide:
/// no text form is 32 characters long.
#[derive(Clone, Copy)]
pub enum KeyInput<'a> {
    /// Hex or base64 text.
    Text(&'a str),
    /// Raw key bytes (exactly 32), or the text forms' ASCII.
    Bytes(&'a [u8]),
}

impl KeyInput<'_> {
    /// The 32 key bytes; `what` names the argument in the error, which never
    /// contains the input.
    pub fn decode(self, what: &str) -> Result<Zeroizing<[u8; KEY_LEN]>> {
        match self {
            KeyInput::Text(text) => decode_key(what, text),
            KeyInput::Bytes(raw) => {
                if let Ok(exact) = <&[u8; KEY_LEN]>::try_from(raw) {
                    return Ok(Zeroizing::new(*exact));
                }
                match std::str::from_utf8(raw) {
                    Ok(text) if text.is_ascii() => decode_key(what, text),
                    _ => err(
                        ErrorCode::InvalidKey,
                        format!(
                            "{what}: {} bytes, neither {KEY_LEN} raw key bytes nor hex/base64 text",
                            raw.len()
                        ),
                    ),
                }
            }
        }
    }
}

impl fmt::Debug for KeyInput<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyInput(<redacted>)")
    }
}

fn random_key() -> Result<Zeroizing<[u8; KEY_LEN]>> {
    let mut k = Zeroizing::new([0u8; KEY_LEN]);
    getrandom::getrandom(&mut k[..])
        .or_else(|e| err(ErrorCode::RandomFailed, format!("getrandom: {e}")))?;
    Ok(k)
}

/// An X25519 secret key. Zeroized on drop; `Debug` never shows it.
#[derive(Clone)]
pub struct SecretKey(crypto_box::SecretKey);

impl SecretKey {
    /// A fresh key from the operating system's RNG.
    pub fn generate() -> Result<SecretKey> {
        Ok(SecretKey::from_bytes(&*random_key()?))
    }

    /// A key from its 32 raw bytes.
    pub fn from_bytes(bytes: &[u8; KEY_LEN]) -> SecretKey {
        SecretKey(crypto_box::SecretKey::from_bytes(*bytes))
    }

    /// A key from base64 or hex; `what` names the argument in errors.
    pub fn from_encoded(what: &str, encoded: &str) -> Result<SecretKey> {
        SecretKey::from_input(what, KeyInput::Text(encoded))
    }

    /// A key from text or bytes (see [`KeyInput`]); `what` names the argument in errors.
    pub fn from_input(what: &str, input: KeyInput<'_>) -> Result<SecretKey> {
        Ok(SecretKey::from_bytes(&*input.decode(what)?))
    }

    /// The matching public key.
    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.0.public_key().to_bytes())
    }

    /// The raw bytes, in a buffer zeroized on drop.
    pub fn to_bytes(&self) -> Zeroizing<[u8; KEY_LEN]> {
        Zeroizing::new(self.0.to_bytes())
    }

    /// Standard base64 (Autobahn's form), zeroized on drop.
    pub fn to_base64(&self) -> Zeroizing<String> {
        Zeroizing::new(BASE64.encode(&self.to_bytes()[..]))
    }

    /// Lowercase hex (what `crossbar keygen` prints), zeroized on drop.
    pub fn to_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(hex::encode(&self.to_bytes()[..]))
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretKey")
            .field("public", &self.public_key())
            .finish_non_exhaustive()
    }
}

/// An X25519 public key.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PublicKey([u8; KEY_LEN]);

impl PublicKey {
    /// A key from its 32 raw bytes.
    pub fn from_bytes(bytes: &[u8; KEY_LEN]) -> PublicKey {
        PublicKey(*bytes)
    }

    /// A key from base64 or hex; `what` names the argument in errors.
    pub fn from_encoded(what: &str, encoded: &str) -> Result<PublicKey> {
        PublicKey::from_input(what, KeyInput::Text(encoded))
    }

    /// A key from text or bytes (see [`KeyInput`]); `what` names the argument in errors.
    pub fn from_input(what: &str, input: KeyInput<'_>) -> Result<PublicKey> {
        Ok(PublicKey(*input.decode(what)?))
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    /// Standard base64.
    pub fn to_base64(&self) -> String {
        BASE64.encode(self.0)
    }

    /// Lowercase hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// The WAMP spec key id of this key: the last 20 bytes of SHA-256 of the key,
    /// as `0x` hex with the EIP-55 mixed-case checksum.
    pub fn key_id(&self) -> String {
        key_id(&self.0)
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.to_base64())
    }
}

/// The WAMP spec key id of a 32-byte public key (see [`PublicKey::key_id`]).
pub fn key_id(public_key: &[u8; KEY_LEN]) -> String {
    let digest = Sha256::digest(public_key);
    let tail = digest.get(digest.len() - 20..).unwrap_or_default();
    eip55(&hex::encode(tail))
}

/// EIP-55 checksum casing of a lowercase hex address (no `0x`), returned with `0x`.
fn eip55(lower_hex: &str) -> String {
    let hash = Keccak256::digest(lower_hex.as_bytes());
    let mut out = String::with_capacity(2 + lower_hex.len());
    out.push_str("0x");
    for (i, c) in lower_hex.chars().enumerate() {
        let byte = hash.get(i / 2).copied().unwrap_or(0);
        let nibble = if i % 2 == 0 { byte >> 4 } else { byte & 0x0f };
        out.push(if nibble >= 8 {
            c.to_ascii_uppercase()
        } else {
            c
        });
    }
    out
}

/// An X25519 key pair.
#[derive(Clone, Debug)]
pub struct KeyPair {
    /// The secret half.
    pub secret: SecretKey,
    /// The public half.
    pub public: PublicKey,
}

impl KeyPair {
    /// A fresh pair from the operating system's RNG.
    pub fn generate() -> Result<KeyPair> {
        Ok(KeyPair::from_secret(SecretKey::generate()?))
    }

    /// The pair for a secret key.
    pub fn from_secret(secret: SecretKey) -> KeyPair {
        let public = secret.public_key();
        KeyPair { secret, public }
    }

    /// Converts an Ed25519 (WAMP-cryptosign) 32-byte seed into the X25519 pair
    /// libsodium's `crypto_sign_ed25519_sk_to_curve25519` gives, so one identity
    /// can both authenticate and encrypt.
    pub fn from_ed25519_seed(seed: &[u8; KEY_LEN]) -> KeyPair {
        let signing = ed25519_dalek::SigningKey::from_bytes(seed);
        let mut scalar = signing.to_scalar_bytes();
        // Clamp as libsodium does, so the secret bytes match its output exactly
        // (X25519 clamps on use anyway, so the key itself is the same).
        if let Some(first) = scalar.first_mut() {
            *first &= 248;
        }
        if let Some(last) = scalar.last_mut() {
            *last = (*last & 127) | 64;
        }
        let secret = SecretKey::from_bytes(&scalar);
        scalar.zeroize();
        KeyPair::from_secret(secret)
    }

    /// [`KeyPair::from_ed25519_seed`] from a base64 or hex seed.
    pub fn from_ed25519_seed_encoded(what: &str, encoded: &str) -> Result<KeyPair> {
        KeyPair::from_ed25519_seed_input(what, KeyInput::Text(encoded))
    }

    /// [`KeyPair::from_ed25519_seed`] from a seed as text or bytes (see [`KeyInput`]).
    pub fn from_ed25519_seed_input(what: &str, input: KeyInput<'_>) -> Result<KeyPair> {
        Ok(KeyPair::from_ed25519_seed(&*input.decode(what)?))
    }
}

/// Converts an Ed25519 public key into the X25519 public key of the same identity
/// (libsodium's `crypto_sign_ed25519_pk_to_curve25519`).
pub fn ed25519_public_to_x25519(what: &str, ed25519_public: &[u8; KEY_LEN]) -> Result<PublicKey> {
    // As libsodium's crypto_sign_ed25519_pk_to_curve25519: a point that does not
    // decompress, is not in canonical encoding, or is of small order is refused.
    let point = curve25519_dalek::edwards::CompressedEdwardsY(*ed25519_public)
        .decompress()
        .filter(|p| p.compress().to_bytes() == *ed25519_public && !p.is_small_order());
    let Some(point) = point else {
        return err(
            ErrorCode::InvalidKey,
            format!("{what}: not a valid Ed25519 public key (canonical, not of small order)"),
        );
    };
    Ok(PublicKey(point.to_montgomery().to_bytes()))
}

/// A symmetric 32-byte data key (for `ppt_cipher` xsalsa20poly1305 / aes256gcm).
/// Zeroized on drop; `Debug` never shows it.
#[derive(Clone)]
pub struct DataKey(Zeroizing<[u8; KEY_LEN]>);

impl DataKey {
    /// A fresh key from the operating system's RNG.
    pub fn generate() -> Result<DataKey> {
        Ok(DataKey(random_key()?))
    }

    /// A key from its raw bytes.
    pub fn from_bytes(bytes: &[u8; KEY_LEN]) -> DataKey {
        DataKey(Zeroizing::new(*bytes))
    }

    /// A key from base64 or hex; `what` names the argument in errors.
    pub fn from_encoded(what: &str, encoded: &str) -> Result<DataKey> {
        DataKey::from_input(what, KeyInput::Text(encoded))
    }

    /// A key from text or bytes (see [`KeyInput`]); `what` names the argument in errors.
    pub fn from_input(what: &str, input: KeyInput<'_>) -> Result<DataKey> {
        Ok(DataKey(input.decode(what)?))
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    /// Standard base64, zeroized on drop.
    pub fn to_base64(&self) -> Zeroizing<String> {
        Zeroizing::new(BASE64.encode(&self.0[..]))
    }
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataKey(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_and_hex_decode_to_the_same_key() {
        let k = SecretKey::generate().unwrap();
        let a = SecretKey::from_encoded("k", &k.to_base64()).unwrap();
        let b = SecretKey::from_encoded("k", &k.to_hex()).unwrap();
        assert_eq!(*a.to_bytes(), *k.to_bytes());
        assert_eq!(*b.to_bytes(), *k.to_bytes());
    }

    #[test]
    fn bad_keys_name_the_argument_not_the_value() {
        let e = PublicKey::from_encoded("responder_pub", "not-a-key!").unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidKey);
        assert!(e.message().starts_with("responder_pub:"), "{}", e.message());
        assert!(!e.message().contains("not-a-key"));
        let short = PublicKey::from_encoded("p", "AAAA").unwrap_err();
        assert!(short.message().contains("3 bytes"), "{}", short.message());
    }

    #[test]
    fn keys_as_bytes_are_raw_or_the_text_forms() {
        let k = SecretKey::generate().unwrap();
        let raw = *k.to_bytes();
        for input in [
            KeyInput::Bytes(&raw),
            KeyInput::Bytes(k.to_base64().as_bytes()),
            KeyInput::Bytes(k.to_hex().as_bytes()),
            KeyInput::Text(&k.to_base64()),
        ] {
            assert_eq!(*SecretKey::from_input("k", input).unwrap().to_bytes(), raw);
        }
        let mut long = raw.to_vec();
        long.push(0xff);
        for bad in [&raw[..31], &long[..], &[0xffu8; 44][..]] {
            let e = DataKey::from_input("key", KeyInput::Bytes(bad)).unwrap_err();
            assert_eq!(e.code(), ErrorCode::InvalidKey);
            assert!(e.message().starts_with("key: "), "{}", e.message());
            assert!(!e.message().contains("255"), "{}", e.message());
        }
    }

    #[test]
    fn debug_never_shows_secrets() {
        let k = SecretKey::generate().unwrap();
        let d = format!("{k:?}");
        assert!(!d.contains(k.to_base64().as_str()));
        assert!(!d.contains(k.to_hex().as_str()));
        let dk = DataKey::generate().unwrap();
        assert_eq!(format!("{dk:?}"), "DataKey(<redacted>)");
    }

    #[test]
    fn eip55_reference_vectors() {
        // From EIP-55 itself.
        for addr in [
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
            "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
            "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
            "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
        ] {
            let lower = addr.trim_start_matches("0x").to_ascii_lowercase();
            assert_eq!(eip55(&lower), addr);
        }
    }

    #[test]
    fn ed25519_conversion_agrees_between_secret_and_public() {
        let seed = [7u8; 32];
        let pair = KeyPair::from_ed25519_seed(&seed);
        let ed_pub = ed25519_dalek::SigningKey::from_bytes(&seed)
            .verifying_key()
            .to_bytes();
        assert_eq!(ed25519_public_to_x25519("p", &ed_pub).unwrap(), pair.public);
    }

    #[test]
    fn ed25519_small_order_and_non_canonical_points_are_refused() {
        let identity = {
            let mut b = [0u8; 32];
            b[0] = 1;
            b
        };
        // y = p + 1: the identity again, in a non-canonical encoding.
        let non_canonical = {
            let mut b = [0xffu8; 32];
            b[0] = 0xee;
            b[31] = 0x7f;
            b
        };
        // y = -1: the point (0, -1), of order two.
        let order_two = {
            let mut b = [0xffu8; 32];
            b[0] = 0xec;
            b[31] = 0x7f;
            b
        };
        for bad in [identity, non_canonical, order_two] {
            let e = ed25519_public_to_x25519("p", &bad).unwrap_err();
            assert_eq!(e.code(), ErrorCode::InvalidKey);
        }
    }
}
