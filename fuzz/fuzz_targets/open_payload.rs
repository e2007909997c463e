//! Arbitrary envelopes (ciphertext, key id, role, URI) opened by rings holding
//! every kind of key: never a panic, never a plaintext (that would be a forgery),
//! and exactly the refusal the order of checks gives: the key id, then the role's
//! keys, then the length, then authentication.
//!
//! Input: case (dialect and key, mod 10), flags, URI selector, then the payload.
//! Flags: bits 0-1 the key id (none, the right one, another, a box key's id),
//! bit 2 open as the originator (the responder's ring has no originator keys),
//! bit 3 the data key is the default entry (else found by key id).
#![no_main]

use libfuzzer_sys::fuzz_target;
use wampe2e::{open_payload, Dialect, Envelope, ErrorCode, Role};
use wampe2e_fuzz::{Input, Keys, Opener, Rings, CASES, KEY_ID, URIS};

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let (case, flags, uri_sel) = (input.byte(), input.byte(), input.byte());
    let payload = input.rest().to_vec();
    let (dialect, keys) = CASES[usize::from(case) % CASES.len()];
    let uri = URIS[usize::from(uri_sel) % URIS.len()];
    let key_id = match flags & 3 {
        0 => None,
        1 => Some(KEY_ID.to_owned()),
        2 => Some("k-2".to_owned()),
        _ => Some("0x4C1e0b2ee2DfF2eC5C2A4d0bA2F0f7D6B0E8a9c1".to_owned()),
    };
    let role = if flags & 4 != 0 {
        Role::Originator
    } else {
        Role::Responder
    };
    let opener = match keys {
        Keys::Pair => Opener::PairDefault(false),
        Keys::Data if flags & 8 != 0 => Opener::DataDefault(false),
        Keys::Data => Opener::DataById,
    };
    let len = payload.len();
    let env = Envelope {
        dialect,
        key_id: key_id.clone(),
        payload,
    };
    let e = open_payload(Rings::get().opener(opener), role, uri, &env)
        .expect_err("a forged ciphertext opened");

    let ppt = matches!(dialect, Dialect::Passthru { .. });
    let id_ok = match (ppt, key_id.as_deref(), opener) {
        (_, _, Opener::PairDefault(_)) => true,
        (false, _, _) => true,
        (true, Some(id), _) => id == KEY_ID,
        (true, None, Opener::DataById) => false,
        (true, None, _) => true,
    };
    let want = if !id_ok {
        ErrorCode::KeyNotFound
    } else if keys == Keys::Pair && role == Role::Originator {
        ErrorCode::KeyIncomplete
    } else if len < dialect.cipher().overhead() {
        ErrorCode::TruncatedCiphertext
    } else {
        ErrorCode::DecryptionFailed
    };
    assert_eq!(e.code(), want, "{e}");
});
