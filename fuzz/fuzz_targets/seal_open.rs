//! Fuzzer-chosen plaintext bytes sealed with known keys, in every dialect and
//! kind of key, then opened: every plaintext parser and every check after
//! decryption (URI binding, missing URI, key ids, reflection) runs on them.
//!
//! Input: case (dialect and key, mod 10), flags, URI selector, then the plaintext.
//! Flags: bit 0 the opening entry allows a missing URI; bit 1 open on another URI
//! than the one sealed for; bits 2-3 the key id as received (kept, dropped,
//! another id); bit 4 the router reflects it: opened by the sealer in the sealing
//! role; bit 5 the data key is the opener's default entry (else found by key id).
//!
//! Checks: the outcome is exactly what a second parse of the same plaintext and
//! the key-id/URI rules say; what opens is those values bit for bit, decrypts to
//! the plaintext byte for byte, and seals again into the same values.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wampe2e::plaintext::builder::{parse_plaintext, ValueTree};
use wampe2e::{
    open_bytes, open_payload, seal_bytes, seal_payload, Dialect, ErrorCode, Role, Value,
};
use wampe2e_fuzz::exact::Exact;
use wampe2e_fuzz::{is_parse_error, Input, Keys, Opener, Rings, CASES, KEY_ID, URIS};

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let (case, flags, uri_sel) = (input.byte(), input.byte(), input.byte());
    let plaintext = input.rest();
    let (dialect, keys) = CASES[usize::from(case) % CASES.len()];
    let allow_missing_uri = flags & 1 != 0;
    let uri = URIS[usize::from(uri_sel) % URIS.len()];
    let open_uri = if flags & 2 != 0 {
        URIS[(usize::from(uri_sel) + 1) % URIS.len()]
    } else {
        uri
    };
    let rings = Rings::get();

    let mut env = seal_bytes(
        rings.sealer(keys),
        Role::Originator,
        uri,
        plaintext,
        dialect,
    )
    .expect("seal");
    let key_id_kept = match (flags >> 2) & 3 {
        1 => {
            env.key_id = None;
            false
        }
        2 => {
            env.key_id = Some("k-2".into());
            false
        }
        _ => true,
    };
    let ppt = matches!(dialect, Dialect::Passthru { .. });
    // A key id only matters for a data key in ppt: it must name the entry's key.
    let id_ok = |by_id_only: bool| match (ppt, env.key_id.as_deref()) {
        (false, _) => !by_id_only,
        (true, Some(id)) => id == KEY_ID,
        (true, None) => !by_id_only,
    };

    if flags & 16 != 0 {
        // Reflected by the router: the sealer opens it in the role that sealed it.
        let e = open_payload(rings.sealer(keys), Role::Originator, uri, &env)
            .expect_err("own seal opened");
        let want = if keys == Keys::Data && !id_ok(false) {
            ErrorCode::KeyNotFound
        } else {
            ErrorCode::Reflected
        };
        assert_eq!(e.code(), want, "{e}");
        return;
    }

    let opener = match keys {
        Keys::Pair => Opener::PairDefault(allow_missing_uri),
        Keys::Data if flags & 32 != 0 => Opener::DataDefault(allow_missing_uri),
        Keys::Data => Opener::DataById,
    };
    let ring = rings.opener(opener);
    let opened = open_payload(ring, Role::Responder, open_uri, &env);

    // What the rules say, from a second parse of the same bytes.
    let key_found = match opener {
        Opener::PairDefault(_) => true,
        Opener::DataDefault(_) => id_ok(false),
        Opener::DataById => id_ok(true),
    };
    let allowed = matches!(
        opener,
        Opener::DataDefault(true) | Opener::PairDefault(true)
    );
    let expected = if !key_found {
        Err(ErrorCode::KeyNotFound)
    } else {
        match parse_plaintext(dialect.serializer(), plaintext, &mut ValueTree) {
            Err(e) => {
                assert!(is_parse_error(e.code()), "{e}");
                Err(e.code())
            }
            Ok(o) => match o.uri.as_deref() {
                Some(inner) if inner != open_uri => Err(ErrorCode::UriMismatch),
                None if !allowed => Err(ErrorCode::MissingUri),
                _ => Ok(o),
            },
        }
    };
    match (opened, expected) {
        (Ok(p), Ok(o)) => {
            assert_eq!(p.uri, o.uri);
            assert_eq!(Exact(&p.args.clone().map(Value::List)), Exact(&o.args));
            assert_eq!(Exact(&p.kwargs.clone().map(Value::Map)), Exact(&o.kwargs));
            assert_eq!(
                open_bytes(ring, Role::Responder, open_uri, &env).expect("decrypts"),
                plaintext
            );
            // What opened seals again (as a router-facing peer would forward it) and
            // opens into the same values, bit for bit.
            let again = seal_payload(
                rings.sealer(keys),
                Role::Originator,
                open_uri,
                p.args.as_deref(),
                p.kwargs.as_ref(),
                dialect,
            )
            .expect("what opened seals again");
            let q = open_payload(ring, Role::Responder, open_uri, &again)
                .expect("resealed payload opens");
            assert_eq!(q.uri.as_deref(), Some(open_uri));
            assert_eq!(Exact(&q.args), Exact(&p.args));
            assert_eq!(Exact(&q.kwargs), Exact(&p.kwargs));
        }
        (Err(e), Err(code)) => assert_eq!(e.code(), code, "{e}"),
        (Ok(_), Err(code)) => panic!("opened, expected {code:?} (key id kept: {key_id_kept})"),
        (Err(e), Ok(_)) => panic!("refused with {e}, expected to open"),
    }
});
