//! The envelope attributes a router hands over in Options/Details: any set of
//! names and values gives an envelope or one of the attribute errors, never a
//! panic; an envelope is exactly what the attributes say, and its own attributes
//! give it back.
//!
//! Input: text, one `name=value` attribute per line (the first of a name counts).
#![no_main]

use libfuzzer_sys::fuzz_target;
use wampe2e::dialects::{
    ENC_ALGO, ENC_KEY, ENC_SERIALIZER, PPT_CIPHER, PPT_KEYID, PPT_SCHEME, PPT_SERIALIZER,
};
use wampe2e::{Dialect, Envelope, ErrorCode};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let pairs: Vec<(&str, &str)> = text
        .split('\n')
        .map(|l| l.split_once('=').unwrap_or((l, "")))
        .collect();
    let get = |name: &str| pairs.iter().find(|(n, _)| *n == name).map(|(_, v)| *v);
    match Envelope::from_attributes(get, vec![1, 2, 3]) {
        Ok(env) => {
            assert_eq!(env.payload, [1, 2, 3]);
            match env.dialect {
                Dialect::Cryptobox => {
                    assert_eq!((get(ENC_ALGO), get(PPT_SCHEME)), (Some("cryptobox"), None));
                    assert_eq!(get(ENC_SERIALIZER), Some("json"));
                    assert_eq!(env.key_id.as_deref(), get(ENC_KEY));
                }
                Dialect::Passthru { serializer, cipher } => {
                    assert_eq!((get(ENC_ALGO), get(PPT_SCHEME)), (None, Some("wamp")));
                    assert_eq!(get(PPT_SERIALIZER), Some(serializer.as_str()));
                    assert_eq!(get(PPT_CIPHER), Some(cipher.as_str()));
                    assert_eq!(env.key_id.as_deref(), get(PPT_KEYID));
                }
            }
            let attrs = env.attributes();
            for (i, (k, v)) in attrs.iter().enumerate() {
                assert_eq!(env.attribute(i), Some((*k, v.as_str())));
            }
            assert_eq!(env.attribute(attrs.len()), None);
            let again = Envelope::from_attributes(
                |name| {
                    attrs
                        .iter()
                        .find(|(n, _)| *n == name)
                        .map(|(_, v)| v.as_str())
                },
                env.payload.clone(),
            )
            .expect("own attributes");
            assert_eq!(again, env);
        }
        Err(e) => assert!(
            matches!(
                e.code(),
                ErrorCode::InvalidEnvelope
                    | ErrorCode::UnknownScheme
                    | ErrorCode::UnknownSerializer
                    | ErrorCode::UnknownCipher
            ),
            "{e}"
        ),
    }
});
