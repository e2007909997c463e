//! Keys as users and peers hand them over (base64 or hex text, Ed25519 seeds and
//! public keys): a key or `InvalidKey`/`KeyIncomplete`, never a panic; a decoded
//! key encodes back to itself in both encodings, and a key pair's halves belong
//! together.
//!
//! Input: which parser (mod 5), then the text (raw bytes for the Ed25519 public key).
#![no_main]

use libfuzzer_sys::fuzz_target;
use wampe2e::keys::material::decode_key;
use wampe2e::{
    ed25519_public_to_x25519, BoxKey, DataKey, ErrorCode, KeyPair, PublicKey, SecretKey,
};
use wampe2e_fuzz::Input;

fn key_error(e: &wampe2e::Error) {
    assert!(
        matches!(e.code(), ErrorCode::InvalidKey | ErrorCode::KeyIncomplete),
        "{e}"
    );
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let which = input.byte() % 5;
    let raw = input.rest();
    if which == 4 {
        let Ok(ed) = <[u8; 32]>::try_from(raw) else {
            return;
        };
        if let Err(e) = ed25519_public_to_x25519("pk", &ed) {
            key_error(&e);
        }
        return;
    }
    let Ok(text) = std::str::from_utf8(raw) else {
        return;
    };
    match which {
        0 => match decode_key("k", text) {
            Ok(k) => {
                let hex = hex_of(&k[..]);
                assert_eq!(*decode_key("k", &hex).expect("hex"), *k);
                assert_eq!(*decode_key("k", &format!("0x{hex}")).expect("0x hex"), *k);
                let data = DataKey::from_bytes(&k);
                assert_eq!(*decode_key("k", &data.to_base64()).expect("base64"), *k);
            }
            Err(e) => key_error(&e),
        },
        1 => match SecretKey::from_encoded("s", text) {
            Ok(s) => {
                let again = SecretKey::from_encoded("s", &s.to_hex()).expect("hex");
                assert_eq!(*again.to_bytes(), *s.to_bytes());
                assert_eq!(
                    SecretKey::from_encoded("s", &s.to_base64())
                        .expect("b64")
                        .public_key(),
                    s.public_key()
                );
                assert_eq!(KeyPair::from_secret(s.clone()).public, s.public_key());
            }
            Err(e) => key_error(&e),
        },
        2 => match PublicKey::from_encoded("p", text) {
            Ok(p) => {
                assert_eq!(
                    PublicKey::from_encoded("p", &p.to_base64()).expect("b64"),
                    p
                );
                assert_eq!(PublicKey::from_encoded("p", &p.to_hex()).expect("hex"), p);
                let id = p.key_id();
                assert!(
                    id.len() == 42
                        && id.starts_with("0x")
                        && id[2..].chars().all(|c| c.is_ascii_hexdigit()),
                    "{id}"
                );
                assert_eq!(
                    id.to_ascii_lowercase(),
                    wampe2e::key_id(p.as_bytes()).to_ascii_lowercase()
                );
            }
            Err(e) => key_error(&e),
        },
        _ => {
            // Autobahn's Key(originator_priv, originator_pub, responder_priv, responder_pub),
            // one per line, an empty line for none.
            let mut parts = text.split('\n').map(|p| Some(p).filter(|p| !p.is_empty()));
            let mut next = || parts.next().flatten();
            let (op, opb, rp, rpb) = (next(), next(), next(), next());
            match BoxKey::from_encoded(op, opb, rp, rpb) {
                Ok(k) => {
                    if let Some(p) = op {
                        let s = SecretKey::from_encoded("o", p).expect("decoded once");
                        assert_eq!(k.originator_public(), Some(s.public_key()));
                    }
                    if let Some(p) = rp {
                        let s = SecretKey::from_encoded("r", p).expect("decoded once");
                        assert_eq!(k.responder_public(), Some(s.public_key()));
                    }
                }
                Err(e) => key_error(&e),
            }
            if let Ok(pair) = KeyPair::from_ed25519_seed_encoded("seed", text) {
                assert_eq!(pair.secret.public_key(), pair.public);
            }
        }
    }
});

fn hex_of(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
