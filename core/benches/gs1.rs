//! GS1 (docs/gs1.md) next to its reference, measured in the same run: per message,
//! libsodium's `crypto_sign_detached` + `crypto_sign_verify_detached` +
//! `crypto_secretbox_easy` + `crypto_secretbox_open_easy` (a signed secretbox,
//! random nonce, one output allocation per step), against GS1's seal by one peer
//! and open by another (chain step, HKDF message key, XSalsa20-Poly1305, Ed25519
//! over header, URI and ciphertext, the replay window). And the time of one key
//! exchange: request, answer, accept. `make bench` prints the ratios.
//!
//! libsodium is the system's `libsodium.so.23` (Debian `libsodium23`), linked only here.

// Benchmark code: FFI to the reference needs unsafe, and failures should be loud.
#![allow(
    unsafe_code,
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::undocumented_unsafe_blocks
)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;
use wampe2e::group::{Group, Identity, Kind, Params, TrustEntry};

#[link(name = "libsodium.so.23", kind = "dylib", modifiers = "+verbatim")]
extern "C" {
    fn sodium_init() -> i32;
    fn randombytes_buf(buf: *mut u8, size: usize);
    fn crypto_sign_seed_keypair(pk: *mut u8, sk: *mut u8, seed: *const u8) -> i32;
    fn crypto_sign_detached(
        sig: *mut u8,
        siglen: *mut u64,
        m: *const u8,
        mlen: u64,
        sk: *const u8,
    ) -> i32;
    fn crypto_sign_verify_detached(sig: *const u8, m: *const u8, mlen: u64, pk: *const u8) -> i32;
    fn crypto_secretbox_easy(
        c: *mut u8,
        m: *const u8,
        mlen: u64,
        n: *const u8,
        k: *const u8,
    ) -> i32;
    fn crypto_secretbox_open_easy(
        m: *mut u8,
        c: *const u8,
        clen: u64,
        n: *const u8,
        k: *const u8,
    ) -> i32;
}

/// A small event (the 100-byte plaintext), and bulk.
const SIZES: [usize; 3] = [100, 64 * 1024, 1024 * 1024];
const PREFIX: &str = "com.example.";
const URI: &str = "com.example.sensor.temperature";
const NOW: u64 = 1_700_000_000_000;

/// The reference: a secretbox signed with Ed25519 (sign over the ciphertext, as
/// GS1 signs its envelope), then verified and opened.
struct Sodium {
    pk: [u8; 32],
    sk: [u8; 64],
    key: [u8; 32],
}

impl Sodium {
    fn new() -> Sodium {
        let mut s = Sodium {
            pk: [0; 32],
            sk: [0; 64],
            key: [0; 32],
        };
        unsafe {
            assert!(sodium_init() >= 0);
            let mut seed = [0u8; 32];
            randombytes_buf(seed.as_mut_ptr(), 32);
            assert_eq!(
                crypto_sign_seed_keypair(s.pk.as_mut_ptr(), s.sk.as_mut_ptr(), seed.as_ptr()),
                0
            );
            randombytes_buf(s.key.as_mut_ptr(), 32);
        }
        s
    }

    /// nonce ‖ secretbox ‖ signature over nonce ‖ secretbox.
    fn seal(&self, msg: &[u8]) -> Vec<u8> {
        let mut out = vec![0u8; 24 + 16 + msg.len() + 64];
        unsafe {
            randombytes_buf(out.as_mut_ptr(), 24);
            let (head, sig) = out.split_at_mut(24 + 16 + msg.len());
            let c = head.as_mut_ptr().add(24);
            assert_eq!(
                crypto_secretbox_easy(
                    c,
                    msg.as_ptr(),
                    msg.len() as u64,
                    head.as_ptr(),
                    self.key.as_ptr()
                ),
                0
            );
            let mut siglen = 0u64;
            assert_eq!(
                crypto_sign_detached(
                    sig.as_mut_ptr(),
                    &mut siglen,
                    head.as_ptr(),
                    head.len() as u64,
                    self.sk.as_ptr()
                ),
                0
            );
        }
        out
    }

    fn open(&self, sealed: &[u8]) -> Vec<u8> {
        let body_len = sealed.len() - 64;
        let (head, sig) = sealed.split_at(body_len);
        let mut out = vec![0u8; body_len - 24 - 16];
        unsafe {
            assert_eq!(
                crypto_sign_verify_detached(
                    sig.as_ptr(),
                    head.as_ptr(),
                    head.len() as u64,
                    self.pk.as_ptr()
                ),
                0
            );
            assert_eq!(
                crypto_secretbox_open_easy(
                    out.as_mut_ptr(),
                    head.as_ptr().add(24),
                    (head.len() - 24) as u64,
                    head.as_ptr(),
                    self.key.as_ptr()
                ),
                0
            );
        }
        out
    }
}

/// A sender and a receiver that already share the sender's session. The sender
/// does not rotate during the run (criterion seals millions of small events).
fn peers() -> (Group, Group) {
    let params = Params {
        max_messages: u32::MAX - 1,
        ..Params::default()
    };
    let alice = Group::with_params(Identity::generate().unwrap(), params).unwrap();
    let bob = Group::with_params(Identity::generate().unwrap(), params).unwrap();
    let entry = TrustEntry::new(PREFIX, [alice.public()], [bob.public()]);
    alice.set_entry(entry.clone());
    bob.set_entry(entry);
    key_exchange(&alice, &bob);
    (alice, bob)
}

/// bob asks alice for her current session and accepts her answer.
fn key_exchange(alice: &Group, bob: &Group) {
    let req = bob
        .key_request(&alice.public(), [0u8; 16], 0, PREFIX, NOW)
        .unwrap();
    let resp = alice.answer_key_request(&req.request, NOW).unwrap();
    bob.accept_key_response(&req.request_hash, &resp, NOW)
        .unwrap();
}

fn bench(c: &mut Criterion) {
    let sodium = Sodium::new();
    let (alice, bob) = peers();
    let mut group = c.benchmark_group("gs1_seal_open");
    for size in SIZES {
        let msg = vec![0x5au8; size];
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_with_input(BenchmarkId::new("libsodium", size), &msg, |b, m| {
            b.iter(|| black_box(sodium.open(&sodium.seal(black_box(m)))))
        });
        group.bench_with_input(BenchmarkId::new("wampe2e", size), &msg, |b, m| {
            b.iter(|| {
                let sealed = alice.seal(URI, Kind::Event, black_box(m), NOW).unwrap();
                black_box(
                    bob.open(URI, Kind::Event, None, &sealed.envelope, NOW)
                        .unwrap(),
                )
            })
        });
    }
    group.finish();

    // A fresh receiver each time would measure key generation too: bob asks again
    // (the share is unchanged, accepting it again is a no-op after the checks).
    let (alice, bob) = peers();
    c.bench_function("gs1_key_exchange", |b| {
        b.iter(|| key_exchange(black_box(&alice), black_box(&bob)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
