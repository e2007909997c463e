//! The SIMD XSalsa20-Poly1305 of the core against RustCrypto's scalar
//! `xsalsa20poly1305`, every keystream backend against the scalar one, and the
//! core's Poly1305 (every form: base 2^64, AVX2 and AVX-512 lanes) against
//! RustCrypto's `poly1305` under the raw fuzzer-chosen key
//! (so that extreme `r` and `s` values are reached), on fuzzer-chosen keys,
//! nonces, counters and messages.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wampe2e::crypto::salsa20::{available, xor_keystream, Backend};
use wampe2e::crypto::secretbox::XSalsaKey;
use xsalsa20poly1305::aead::{AeadInPlace, KeyInit};

fuzz_target!(|input: (([u8; 32], [u8; 24], u32), Vec<u8>)| {
    let ((key, nonce, counter), msg) = input;
    wampe2e_fuzz::say_once(|| {
        let all = [
            Backend::Scalar,
            Backend::Sse2,
            Backend::Avx2,
            Backend::Avx512,
            Backend::Neon,
        ];
        let (ran, skipped): (Vec<_>, Vec<_>) = all.into_iter().partition(|b| available(*b));
        format!("xsalsa20poly1305_differential: compares {ran:?}; not on this CPU, so not compared: {skipped:?}")
    });
    {
        use poly1305::universal_hash::KeyInit as _;
        let want: [u8; 16] = poly1305::Poly1305::new((&key).into())
            .compute_unpadded(&msg)
            .into();
        assert_eq!(wampe2e::crypto::poly1305::mac(&key, &msg), want);
        // Every form: the base 2^64 one and the AVX2 and AVX-512 lanes (each
        // runs from its length threshold on).
        for backend in [Backend::Scalar, Backend::Avx2, Backend::Avx512] {
            if available(backend) {
                assert_eq!(wampe2e::crypto::poly1305::mac_with(backend, &key, &msg), want);
            }
        }
    }
    let reference = xsalsa20poly1305::XSalsa20Poly1305::new((&key).into());
    let mut expected = msg.clone();
    let expected_tag = reference
        .encrypt_in_place_detached((&nonce).into(), b"", &mut expected)
        .unwrap();
    for backend in [
        Backend::Scalar,
        Backend::Sse2,
        Backend::Avx2,
        Backend::Avx512,
        Backend::Neon,
    ] {
        if !available(backend) {
            continue;
        }
        let ours = XSalsaKey::new(&key);
        let mut body = msg.clone();
        let tag = ours.seal_with(backend, &nonce, &mut body);
        assert_eq!(tag.as_slice(), expected_tag.as_slice());
        assert_eq!(body, expected);
        assert!(ours.open_with(backend, &nonce, &mut body, &tag));
        assert_eq!(body, msg);

        let n8: [u8; 8] = nonce[16..].try_into().unwrap();
        let mut a = msg.clone();
        let mut b = msg.clone();
        xor_keystream(Backend::Scalar, &key, &n8, counter, &mut a);
        xor_keystream(backend, &key, &n8, counter, &mut b);
        assert_eq!(a, b);
    }
});
