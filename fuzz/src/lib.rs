//! What the fuzz targets share: fixed keyrings for every kind of key, the
//! dialect/key combinations, a reader for the raw fuzzer input, and the bit-exact
//! value comparison of the core's tests.
//!
//! Every target takes raw bytes and reads a few header bytes itself (no
//! `arbitrary` decoding), so the seed corpus (`fuzz/corpus/<target>/`, written by
//! `make_seeds.py` from the shared vectors) is plain, readable input.

use std::sync::OnceLock;
use wampe2e::{
    BoxKey, Cipher, DataKey, Dialect, KeyEntry, KeyRing, SecretKey, Serializer, SymmetricKey,
};

/// Type- and bit-exact comparison of values (floats by their bits).
#[path = "../../core/tests/common/exact.rs"]
pub mod exact;

/// Fuzzer input: header bytes first (zero once exhausted), then the rest.
pub struct Input<'a>(&'a [u8]);

impl<'a> Input<'a> {
    /// The input to read.
    pub fn new(data: &'a [u8]) -> Self {
        Input(data)
    }

    /// The next byte, or 0 past the end.
    pub fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((b, rest)) => {
                self.0 = rest;
                *b
            }
            None => 0,
        }
    }

    /// What is left.
    pub fn rest(self) -> &'a [u8] {
        self.0
    }
}

/// Which kind of key an entry holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keys {
    /// X25519 key pairs: cryptobox, and ppt xsalsa20poly1305.
    Pair,
    /// A symmetric data key: ppt xsalsa20poly1305 and aes256gcm.
    Data,
}

/// Every dialect with every kind of key it takes: ten combinations.
pub const CASES: [(Dialect, Keys); 10] = {
    const fn ppt(serializer: Serializer, cipher: Cipher) -> Dialect {
        Dialect::Passthru { serializer, cipher }
    }
    use Cipher::{Aes256Gcm as Gcm, XSalsa20Poly1305 as Xs};
    use Serializer::{Cbor, Json, Msgpack};
    [
        (Dialect::Cryptobox, Keys::Pair),
        (ppt(Json, Xs), Keys::Pair),
        (ppt(Json, Xs), Keys::Data),
        (ppt(Json, Gcm), Keys::Data),
        (ppt(Cbor, Xs), Keys::Pair),
        (ppt(Cbor, Xs), Keys::Data),
        (ppt(Cbor, Gcm), Keys::Data),
        (ppt(Msgpack, Xs), Keys::Pair),
        (ppt(Msgpack, Xs), Keys::Data),
        (ppt(Msgpack, Gcm), Keys::Data),
    ]
};

/// The data key's id in every ring.
pub const KEY_ID: &str = "k-1";

/// URIs the targets seal and open on: those of the vectors the seeds come from
/// (`make_seeds.py` mirrors this list), the empty one, a non-ASCII one. "Another
/// URI" is the next in the list.
pub const URIS: [&str; 8] = [
    "com.example.topic1",
    "com.example.numbers",
    "com.example.ppt",
    "com.example.text",
    "",
    "com.x.ü",
    "com.example.blob",
    "com.example.nested",
];

/// How the opening ring holds its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opener {
    /// The data key found only by its key id (`add_symmetric_key`).
    DataById,
    /// The data key as the default entry; `true`: missing URIs allowed.
    DataDefault(bool),
    /// The responder's key pair as the default entry; `true`: missing URIs allowed.
    PairDefault(bool),
}

/// Fixed keyrings (made once: key pairs cost an X25519 multiplication each).
pub struct Rings {
    /// Seals with the data key (default entry).
    pub data_sealer: KeyRing,
    /// Seals as the originator with the key pair (default entry).
    pub pair_sealer: KeyRing,
    data_by_id: KeyRing,
    data_default: [KeyRing; 2],
    pair_default: [KeyRing; 2],
}

impl Rings {
    /// The rings, made on first use.
    pub fn get() -> &'static Rings {
        static RINGS: OnceLock<Rings> = OnceLock::new();
        RINGS.get_or_init(|| {
            let data =
                || SymmetricKey::new(KEY_ID, DataKey::from_bytes(&[7u8; 32])).expect("key id");
            let o = SecretKey::from_bytes(&[1u8; 32]);
            let r = SecretKey::from_bytes(&[2u8; 32]);
            let (o_pub, r_pub) = (o.public_key(), r.public_key());
            let entry = |e: KeyEntry, allow: bool| KeyEntry {
                allow_missing_uri: allow,
                ..e
            };
            let ring = |e: KeyEntry| {
                let k = KeyRing::new();
                k.set("", e);
                k
            };
            let responder = || BoxKey::new(None, Some(o_pub), Some(r.clone()), None).expect("pair");
            let by_id = KeyRing::new();
            by_id.add_symmetric_key(data());
            Rings {
                data_sealer: ring(data().into()),
                pair_sealer: ring(
                    BoxKey::new(Some(o.clone()), None, None, Some(r_pub))
                        .expect("pair")
                        .into(),
                ),
                data_by_id: by_id,
                data_default: [
                    ring(entry(data().into(), false)),
                    ring(entry(data().into(), true)),
                ],
                pair_default: [
                    ring(entry(responder().into(), false)),
                    ring(entry(responder().into(), true)),
                ],
            }
        })
    }

    /// The sealing ring for `keys`.
    pub fn sealer(&self, keys: Keys) -> &KeyRing {
        match keys {
            Keys::Data => &self.data_sealer,
            Keys::Pair => &self.pair_sealer,
        }
    }

    /// The opening ring.
    pub fn opener(&self, how: Opener) -> &KeyRing {
        match how {
            Opener::DataById => &self.data_by_id,
            Opener::DataDefault(allow) => &self.data_default[usize::from(allow)],
            Opener::PairDefault(allow) => &self.pair_default[usize::from(allow)],
        }
    }
}

/// The codes a plaintext parser may refuse with.
pub fn is_parse_error(code: wampe2e::ErrorCode) -> bool {
    use wampe2e::ErrorCode::*;
    matches!(
        code,
        InvalidUtf8
            | InvalidJson
            | InvalidCbor
            | InvalidMsgpack
            | InvalidBase64
            | InvalidPayload
            | UnsupportedValue
    )
}

/// Says once, on stderr, what a target runs with (e.g. which backends it compares).
pub fn say_once(what: impl FnOnce() -> String) {
    static SAID: OnceLock<()> = OnceLock::new();
    SAID.get_or_init(|| eprintln!("{}", what()));
}
