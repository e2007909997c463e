//! Differential tests: the SIMD Salsa20 keystream and the XSalsa20-Poly1305
//! construction over it are bit-identical to RustCrypto's scalar reference
//! (`salsa20`, `xsalsa20poly1305`, `crypto_box`) for every length 0..=4096, large
//! lengths, counters across the 32-bit boundary, and every available backend.

// Test code: failing loudly is the point.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use crypto_box::aead::AeadInPlace;
use wampe2e::crypto::salsa20::{available, hsalsa20, xor_keystream, Backend};
use wampe2e::crypto::secretbox::XSalsaKey;
use xsalsa20poly1305::KeyInit;

/// A deterministic xorshift generator: reproducible inputs without a dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn fill(&mut self, out: &mut [u8]) {
        for b in out {
            *b = self.next() as u8;
        }
    }
    fn array<const N: usize>(&mut self) -> [u8; N] {
        let mut a = [0u8; N];
        self.fill(&mut a);
        a
    }
}

/// The SIMD backends this CPU runs, said on stderr every time (past the test
/// harness's capture), so a run on a machine without AVX2 or AVX-512 shows that
/// those were not tested. `WAMPE2E_REQUIRE_SIMD=avx2,avx512` (or `sse2`) makes a
/// missing one a failure, for CI machines that are meant to have it.
fn simd_backends() -> Vec<Backend> {
    use std::io::Write;
    let all = [
        Backend::Sse2,
        Backend::Avx2,
        Backend::Avx512,
        Backend::Neon,
        Backend::Simd128,
    ];
    let (have, missing): (Vec<Backend>, Vec<Backend>) =
        all.into_iter().partition(|b| available(*b));
    let _ = writeln!(
        std::io::stderr(),
        "salsa20_simd: tested against the scalar reference: {have:?}; not on this CPU, so not tested: {missing:?}"
    );
    let required = std::env::var("WAMPE2E_REQUIRE_SIMD").unwrap_or_default();
    for name in required.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let wanted = all
            .into_iter()
            .find(|b| format!("{b:?}").eq_ignore_ascii_case(name))
            .unwrap_or_else(|| panic!("WAMPE2E_REQUIRE_SIMD: unknown backend {name:?}"));
        assert!(
            have.contains(&wanted),
            "WAMPE2E_REQUIRE_SIMD names {wanted:?}, which this CPU lacks"
        );
    }
    have
}

#[test]
fn keystream_matches_the_scalar_reference() {
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let lengths: Vec<usize> = (0..=4096).chain([8191, 65_536 + 7, 1 << 20]).collect();
    for backend in simd_backends() {
        for &len in &lengths {
            let key = rng.array::<32>();
            let nonce = rng.array::<8>();
            let counter = match len % 4 {
                0 => 0,
                1 => (rng.next() % 1000) as u32,
                2 => u32::MAX - 3, // the block counter carries into its high word
                _ => rng.next() as u32,
            };
            let mut data = vec![0u8; len];
            rng.fill(&mut data);
            let mut reference = data.clone();
            xor_keystream(Backend::Scalar, &key, &nonce, counter, &mut reference);
            xor_keystream(backend, &key, &nonce, counter, &mut data);
            assert!(data == reference, "{backend:?} len {len} counter {counter}");
        }
    }
}

#[test]
fn hsalsa20_matches_rustcrypto_on_every_backend() {
    let mut rng = Rng(0x5eed_1234_abcd_0003);
    let mut backends = simd_backends();
    backends.push(Backend::Scalar);
    let mut inputs = vec![([0u8; 32], [0u8; 16]), ([0xff; 32], [0xff; 16])];
    inputs.extend((0..20_000).map(|_| (rng.array::<32>(), rng.array::<16>())));
    for (key, input) in inputs {
        let expected =
            salsa20::hsalsa::<salsa20::cipher::consts::U10>((&key).into(), (&input).into());
        for &backend in &backends {
            let mut out = [0u8; 32];
            hsalsa20(backend, &key, &input, &mut out);
            assert_eq!(out.as_slice(), expected.as_slice(), "{backend:?}");
        }
    }
}

#[test]
fn secretbox_matches_rustcrypto_for_every_length() {
    let mut rng = Rng(0x5eed_1234_abcd_0002);
    let lengths: Vec<usize> = (0..=4096)
        .chain([10_000, 65_536, 65_536 + 33, 1 << 20])
        .collect();
    let mut backends = simd_backends();
    backends.push(Backend::Scalar);
    for &len in &lengths {
        let key = rng.array::<32>();
        let nonce = rng.array::<24>();
        let mut msg = vec![0u8; len];
        rng.fill(&mut msg);
        let reference_cipher = xsalsa20poly1305::XSalsa20Poly1305::new_from_slice(&key).unwrap();
        let mut expected = msg.clone();
        let expected_tag = reference_cipher
            .encrypt_in_place_detached((&nonce).into(), b"", &mut expected)
            .unwrap();
        let ours = XSalsaKey::new(&key);
        for &backend in &backends {
            let mut body = msg.clone();
            let tag = ours.seal_with(backend, &nonce, &mut body);
            assert_eq!(
                tag.as_slice(),
                expected_tag.as_slice(),
                "{backend:?} tag, len {len}"
            );
            assert!(body == expected, "{backend:?} ciphertext, len {len}");
            assert!(ours.open_with(backend, &nonce, &mut body, &tag));
            assert!(body == msg, "{backend:?} open, len {len}");
        }
    }
}

#[test]
fn box_key_matches_crypto_box() {
    let mut rng = Rng(0x5eed_1234_abcd_0003);
    for len in [0usize, 1, 31, 32, 33, 64, 255, 256, 257, 1000] {
        let a = crypto_box::SecretKey::from_bytes(rng.array::<32>());
        let b = crypto_box::SecretKey::from_bytes(rng.array::<32>());
        let nonce = rng.array::<24>();
        let mut msg = vec![0u8; len];
        rng.fill(&mut msg);
        let salsa_box = crypto_box::SalsaBox::new(&b.public_key(), &a);
        let mut expected = msg.clone();
        let tag = salsa_box
            .encrypt_in_place_detached((&nonce).into(), b"", &mut expected)
            .unwrap();
        let ours = XSalsaKey::from_box(&a.to_bytes(), b.public_key().as_bytes()).unwrap();
        let mut body = msg.clone();
        assert_eq!(
            ours.seal_detached(&nonce, &mut body).as_slice(),
            tag.as_slice()
        );
        assert_eq!(body, expected);
    }
}

#[test]
fn tampering_is_rejected_and_leaves_the_body_untouched() {
    let ours = XSalsaKey::new(&[9u8; 32]);
    let nonce = [3u8; 24];
    let mut body = b"attack at dawn, bring snacks and enough snacks".to_vec();
    let tag = ours.seal_detached(&nonce, &mut body);
    for i in 0..body.len() {
        let mut bad = body.clone();
        bad[i] ^= 0x20;
        let before = bad.clone();
        assert!(!ours.open_detached(&nonce, &mut bad, &tag));
        assert_eq!(bad, before);
    }
    let mut bad_tag = tag;
    bad_tag[15] ^= 1;
    assert!(!ours.open_detached(&nonce, &mut body.clone(), &bad_tag));
}

#[test]
fn small_order_public_keys_are_refused() {
    let e = XSalsaKey::from_box(&[7u8; 32], &[0u8; 32]).err().unwrap();
    assert_eq!(e.code(), wampe2e::ErrorCode::InvalidKey);
}

#[test]
fn backend_selection_follows_the_cpu_and_the_override() {
    let forced = std::env::var_os("WAMPE2E_FORCE_SCALAR").is_some_and(|v| v == "1");
    let chosen = wampe2e::crypto::salsa20::detected();
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "salsa20_simd: seal/open use the {chosen:?} keystream (WAMPE2E_FORCE_SCALAR={forced})"
    );
    if forced {
        assert_eq!(chosen, Backend::Scalar);
    } else if cfg!(target_arch = "x86_64") {
        assert!(matches!(
            chosen,
            Backend::Sse2 | Backend::Avx2 | Backend::Avx512
        ));
    } else if cfg!(all(target_arch = "aarch64", target_endian = "little")) {
        assert_eq!(chosen, Backend::Neon);
    } else if cfg!(all(target_arch = "wasm32", target_feature = "simd128")) {
        assert_eq!(chosen, Backend::Simd128);
    }
}
