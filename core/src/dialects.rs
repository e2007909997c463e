//! The two wire dialects and the envelope: sealed payload bytes plus the
//! attributes that travel in WAMP Options/Details.
//!
//! * Autobahn/Crossbar (`enc_*`): `enc_algo = "cryptobox"`, `enc_serializer = "json"`;
//!   the payload is one bare binary at the Arguments position.
//! * WAMP spec Payload Passthru Mode (`ppt_*`): `ppt_scheme = "wamp"`,
//!   `ppt_serializer`, `ppt_cipher`, `ppt_keyid`; the payload is `[binary]`.

use crate::crypto::cipher::Cipher;
use crate::error::{err, ErrorCode, Result};
use crate::plaintext::serializer::Serializer;

/// Attribute names of the Autobahn/Crossbar dialect.
pub const ENC_ALGO: &str = "enc_algo";
/// See [`ENC_ALGO`].
pub const ENC_SERIALIZER: &str = "enc_serializer";
/// See [`ENC_ALGO`].
pub const ENC_KEY: &str = "enc_key";
/// Attribute names of the Payload Passthru Mode dialect.
pub const PPT_SCHEME: &str = "ppt_scheme";
/// See [`PPT_SCHEME`].
pub const PPT_SERIALIZER: &str = "ppt_serializer";
/// See [`PPT_SCHEME`].
pub const PPT_CIPHER: &str = "ppt_cipher";
/// See [`PPT_SCHEME`].
pub const PPT_KEYID: &str = "ppt_keyid";

/// Every attribute name [`Envelope::from_attributes`] reads, for bindings that
/// look them up by name instead of enumerating a received Options/Details object.
pub const ATTRIBUTE_NAMES: [&str; 7] = [
    ENC_ALGO,
    ENC_SERIALIZER,
    ENC_KEY,
    PPT_SCHEME,
    PPT_SERIALIZER,
    PPT_CIPHER,
    PPT_KEYID,
];

/// Which wire dialect an envelope uses, with its serializer and cipher.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// Autobahn|Python / Crossbar.io `enc_*`: cryptobox over JSON.
    Cryptobox,
    /// WAMP spec Payload Passthru Mode `ppt_*` with scheme `"wamp"`.
    Passthru {
        /// The plaintext serializer.
        serializer: Serializer,
        /// The cipher.
        cipher: Cipher,
    },
}

impl Dialect {
    /// Every dialect, in a stable order (bindings may pass the index as a compact code).
    pub const ALL: [Dialect; 7] = [
        Dialect::Cryptobox,
        Dialect::Passthru {
            serializer: Serializer::Json,
            cipher: Cipher::XSalsa20Poly1305,
        },
        Dialect::Passthru {
            serializer: Serializer::Json,
            cipher: Cipher::Aes256Gcm,
        },
        Dialect::Passthru {
            serializer: Serializer::Cbor,
            cipher: Cipher::XSalsa20Poly1305,
        },
        Dialect::Passthru {
            serializer: Serializer::Cbor,
            cipher: Cipher::Aes256Gcm,
        },
        Dialect::Passthru {
            serializer: Serializer::Msgpack,
            cipher: Cipher::XSalsa20Poly1305,
        },
        Dialect::Passthru {
            serializer: Serializer::Msgpack,
            cipher: Cipher::Aes256Gcm,
        },
    ];

    /// The spec dialect as wampy.js/nexus use it: CBOR and xsalsa20poly1305.
    pub const PASSTHRU_DEFAULT: Dialect = Dialect::Passthru {
        serializer: Serializer::Cbor,
        cipher: Cipher::XSalsa20Poly1305,
    };

    /// The plaintext serializer.
    pub fn serializer(self) -> Serializer {
        match self {
            Dialect::Cryptobox => Serializer::Json,
            Dialect::Passthru { serializer, .. } => serializer,
        }
    }

    /// The cipher.
    pub fn cipher(self) -> Cipher {
        match self {
            Dialect::Cryptobox => Cipher::XSalsa20Poly1305,
            Dialect::Passthru { cipher, .. } => cipher,
        }
    }

    /// Whether the payload travels as a one-element list (`ppt`) rather than a bare binary (`enc`).
    pub fn payload_in_list(self) -> bool {
        matches!(self, Dialect::Passthru { .. })
    }
}

/// A sealed payload with what the receiver needs to open it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// The dialect, serializer and cipher.
    pub dialect: Dialect,
    /// `ppt_keyid` (or Autobahn's `enc_key`, always absent in practice).
    pub key_id: Option<String>,
    /// Nonce, ciphertext and tag in the cipher's wire layout.
    pub payload: Vec<u8>,
}

/// A received envelope borrowed from the message it arrived in (what bindings open
/// without copying the payload); [`Envelope::as_ref`] for an owned one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnvelopeRef<'a> {
    /// The dialect, serializer and cipher.
    pub dialect: Dialect,
    /// `ppt_keyid` (or Autobahn's `enc_key`).
    pub key_id: Option<&'a str>,
    /// Nonce, ciphertext and tag in the cipher's wire layout.
    pub payload: &'a [u8],
}

impl<'a> From<&'a Envelope> for EnvelopeRef<'a> {
    fn from(e: &'a Envelope) -> Self {
        e.as_ref()
    }
}

impl Envelope {
    /// This envelope, borrowed.
    pub fn as_ref(&self) -> EnvelopeRef<'_> {
        EnvelopeRef {
            dialect: self.dialect,
            key_id: self.key_id.as_deref(),
            payload: &self.payload,
        }
    }

    /// Rebuilds an envelope from received attributes. `get` looks up an attribute
    /// by name (returning `None` when absent); attributes that are not ours are ignored.
    pub fn from_attributes<'a>(
        get: impl Fn(&str) -> Option<&'a str>,
        payload: Vec<u8>,
    ) -> Result<Envelope> {
        let e = EnvelopeRef::from_attributes(get, &[])?;
        Ok(Envelope {
            dialect: e.dialect,
            key_id: e.key_id.map(str::to_owned),
            payload,
        })
    }

    /// The attributes to put into the message's Options/Details, in wire order.
    pub fn attributes(&self) -> Vec<(&'static str, String)> {
        (0..)
            .map_while(|i| self.attribute(i))
            .map(|(k, v)| (k, v.to_owned()))
            .collect()
    }

    /// Attribute `index` (name, value) of [`Envelope::attributes`], without allocating.
    pub fn attribute(&self, index: usize) -> Option<(&'static str, &str)> {
        let fixed: [(&'static str, &'static str); 3] = match self.dialect {
            Dialect::Cryptobox => [(ENC_ALGO, "cryptobox"), (ENC_SERIALIZER, "json"), ("", "")],
            Dialect::Passthru { serializer, cipher } => [
                (PPT_SCHEME, "wamp"),
                (PPT_SERIALIZER, serializer.as_str()),
                (PPT_CIPHER, cipher.as_str()),
            ],
        };
        let n_fixed = if self.dialect == Dialect::Cryptobox {
            2
        } else {
            3
        };
        if index < n_fixed {
            return fixed.get(index).copied();
        }
        let key_name = match self.dialect {
            Dialect::Cryptobox => ENC_KEY,
            Dialect::Passthru { .. } => PPT_KEYID,
        };
        match (&self.key_id, index == n_fixed) {
            (Some(k), true) => Some((key_name, k.as_str())),
            _ => None,
        }
    }
}

impl<'a> EnvelopeRef<'a> {
    /// This envelope with its key id and payload copied.
    pub fn to_envelope(self) -> Envelope {
        Envelope {
            dialect: self.dialect,
            key_id: self.key_id.map(str::to_owned),
            payload: self.payload.to_vec(),
        }
    }

    /// Rebuilds an envelope from received attributes. `get` looks up an attribute
    /// by name (returning `None` when absent); attributes that are not ours are ignored.
    pub fn from_attributes(
        get: impl Fn(&str) -> Option<&'a str>,
        payload: &'a [u8],
    ) -> Result<EnvelopeRef<'a>> {
        match (get(ENC_ALGO), get(PPT_SCHEME)) {
            (Some(_), Some(_)) => err(
                ErrorCode::InvalidEnvelope,
                "both enc_algo and ppt_scheme are set",
            ),
            (None, None) => err(
                ErrorCode::InvalidEnvelope,
                "neither enc_algo nor ppt_scheme is set: payload is not encrypted",
            ),
            (Some(algo), None) => {
                if algo != "cryptobox" {
                    return err(
                        ErrorCode::UnknownScheme,
                        format!("enc_algo {algo:?} is not \"cryptobox\""),
                    );
                }
                match get(ENC_SERIALIZER) {
                    Some("json") => {}
                    Some(other) => {
                        return err(
                            ErrorCode::UnknownSerializer,
                            format!("enc_serializer {other:?}: cryptobox uses \"json\""),
                        )
                    }
                    None => return err(ErrorCode::InvalidEnvelope, "enc_serializer is missing"),
                }
                Ok(EnvelopeRef {
                    dialect: Dialect::Cryptobox,
                    key_id: get(ENC_KEY),
                    payload,
                })
            }
            (None, Some(scheme)) => {
                if scheme != "wamp" {
                    return err(
                        ErrorCode::UnknownScheme,
                        format!("ppt_scheme {scheme:?} is not \"wamp\""),
                    );
                }
                let serializer = get(PPT_SERIALIZER)
                    .ok_or_else(|| {
                        crate::Error::new(ErrorCode::InvalidEnvelope, "ppt_serializer is missing")
                    })?
                    .parse()?;
                let cipher = get(PPT_CIPHER)
                    .ok_or_else(|| {
                        crate::Error::new(
                            ErrorCode::InvalidEnvelope,
                            "ppt_cipher is missing: payload is not end-to-end encrypted",
                        )
                    })?
                    .parse()?;
                Ok(EnvelopeRef {
                    dialect: Dialect::Passthru { serializer, cipher },
                    key_id: get(PPT_KEYID),
                    payload,
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from(pairs: &[(&str, &str)]) -> Result<Envelope> {
        Envelope::from_attributes(
            |k| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| *v),
            vec![],
        )
    }

    #[test]
    fn attributes_round_trip() {
        for dialect in Dialect::ALL {
            let e = Envelope {
                dialect,
                key_id: Some("k1".into()),
                payload: vec![],
            };
            let attrs = e.attributes();
            let pairs: Vec<(&str, &str)> = attrs.iter().map(|(k, v)| (*k, v.as_str())).collect();
            assert_eq!(from(&pairs).unwrap(), e);
            assert!(pairs.iter().all(|(k, _)| ATTRIBUTE_NAMES.contains(k)));
        }
    }

    #[test]
    fn all_lists_each_dialect_once() {
        for (i, d) in Dialect::ALL.iter().enumerate() {
            assert_eq!(Dialect::ALL.iter().position(|x| x == d), Some(i));
        }
        assert!(Dialect::ALL.contains(&Dialect::PASSTHRU_DEFAULT));
    }

    #[test]
    fn bad_attributes_have_distinct_codes() {
        let code = |p: &[(&str, &str)]| from(p).unwrap_err().code();
        assert_eq!(code(&[]), ErrorCode::InvalidEnvelope);
        assert_eq!(
            code(&[("enc_algo", "x"), ("enc_serializer", "json")]),
            ErrorCode::UnknownScheme
        );
        assert_eq!(
            code(&[("enc_algo", "cryptobox"), ("enc_serializer", "cbor")]),
            ErrorCode::UnknownSerializer
        );
        assert_eq!(
            code(&[("enc_algo", "cryptobox")]),
            ErrorCode::InvalidEnvelope
        );
        assert_eq!(
            code(&[("enc_algo", "cryptobox"), ("ppt_scheme", "wamp")]),
            ErrorCode::InvalidEnvelope
        );
        assert_eq!(code(&[("ppt_scheme", "mqtt")]), ErrorCode::UnknownScheme);
        assert_eq!(
            code(&[
                ("ppt_scheme", "wamp"),
                ("ppt_serializer", "xml"),
                ("ppt_cipher", "aes256gcm")
            ]),
            ErrorCode::UnknownSerializer
        );
        assert_eq!(
            code(&[
                ("ppt_scheme", "wamp"),
                ("ppt_serializer", "cbor"),
                ("ppt_cipher", "rot13")
            ]),
            ErrorCode::UnknownCipher
        );
        assert_eq!(
            code(&[("ppt_scheme", "wamp"), ("ppt_serializer", "cbor")]),
            ErrorCode::InvalidEnvelope
        );
    }
}
