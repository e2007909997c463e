//! Seal/open throughput of the core next to libsodium's `crypto_box_easy_afternm`
//! (the reference, measured in the same run). `make bench` prints the ratios.
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
use wampe2e::{
    open_bytes, open_payload, seal_bytes, seal_payload, BoxKey, Dialect, KeyPair, KeyRing, Role,
    Value,
};

#[link(name = "libsodium.so.23", kind = "dylib", modifiers = "+verbatim")]
extern "C" {
    fn sodium_init() -> i32;
    fn randombytes_buf(buf: *mut u8, size: usize);
    fn crypto_box_beforenm(k: *mut u8, pk: *const u8, sk: *const u8) -> i32;
    fn crypto_box_easy_afternm(
        c: *mut u8,
        m: *const u8,
        mlen: u64,
        n: *const u8,
        k: *const u8,
    ) -> i32;
    fn crypto_onetimeauth(out: *mut u8, m: *const u8, mlen: u64, k: *const u8) -> i32;
    fn crypto_core_hsalsa20(out: *mut u8, input: *const u8, k: *const u8, c: *const u8) -> i32;
    fn crypto_box_open_easy_afternm(
        m: *mut u8,
        c: *const u8,
        clen: u64,
        n: *const u8,
        k: *const u8,
    ) -> i32;
}

const SIZES: [usize; 4] = [64, 1024, 64 * 1024, 1024 * 1024];

/// libsodium with the shared key precomputed, a random nonce per message and one
/// output allocation: the same work the core does per seal.
struct Sodium {
    k: [u8; 32],
}

impl Sodium {
    fn new(o: &KeyPair, r: &KeyPair) -> Sodium {
        let mut k = [0u8; 32];
        unsafe {
            assert!(sodium_init() >= 0);
            assert_eq!(
                crypto_box_beforenm(
                    k.as_mut_ptr(),
                    r.public.as_bytes().as_ptr(),
                    o.secret.to_bytes().as_ptr()
                ),
                0
            );
        }
        Sodium { k }
    }

    fn seal(&self, m: &[u8]) -> Vec<u8> {
        let mut out = vec![0u8; 24 + 16 + m.len()];
        unsafe {
            randombytes_buf(out.as_mut_ptr(), 24);
            let (n, c) = out.split_at_mut(24);
            crypto_box_easy_afternm(
                c.as_mut_ptr(),
                m.as_ptr(),
                m.len() as u64,
                n.as_ptr(),
                self.k.as_ptr(),
            );
        }
        out
    }

    fn open(&self, sealed: &[u8]) -> Vec<u8> {
        let mut m = vec![0u8; sealed.len() - 40];
        let rc = unsafe {
            crypto_box_open_easy_afternm(
                m.as_mut_ptr(),
                sealed[24..].as_ptr(),
                (sealed.len() - 24) as u64,
                sealed.as_ptr(),
                self.k.as_ptr(),
            )
        };
        assert_eq!(rc, 0);
        m
    }
}

fn rings() -> (KeyPair, KeyPair, KeyRing, KeyRing) {
    let o = KeyPair::generate().unwrap();
    let r = KeyPair::generate().unwrap();
    let sealer = KeyRing::new();
    sealer.set(
        "com.",
        BoxKey::new(Some(o.secret.clone()), None, None, Some(r.public)).unwrap(),
    );
    let opener = KeyRing::new();
    opener.set(
        "com.",
        BoxKey::new(None, Some(o.public), Some(r.secret.clone()), None).unwrap(),
    );
    (o, r, sealer, opener)
}

fn bench_box(c: &mut Criterion) {
    let (o, r, sealer, opener) = rings();
    let sodium = Sodium::new(&o, &r);
    for &size in &SIZES {
        let msg = vec![0x5au8; size];
        let mut g = c.benchmark_group(format!("box/{size}"));
        g.throughput(Throughput::Bytes(size as u64));
        if size >= 64 * 1024 {
            g.sample_size(20);
        }
        g.bench_function(BenchmarkId::new("seal", "libsodium"), |b| {
            b.iter(|| sodium.seal(black_box(&msg)))
        });
        g.bench_function(BenchmarkId::new("seal", "wampe2e"), |b| {
            b.iter(|| {
                seal_bytes(
                    &sealer,
                    Role::Originator,
                    "com.t",
                    black_box(&msg),
                    Dialect::Cryptobox,
                )
                .unwrap()
            })
        });
        let env = seal_bytes(&sealer, Role::Originator, "com.t", &msg, Dialect::Cryptobox).unwrap();
        // Both open the same ciphertext: the formats are identical.
        assert_eq!(sodium.open(&env.payload), msg);
        g.bench_function(BenchmarkId::new("open", "libsodium"), |b| {
            b.iter(|| sodium.open(black_box(&env.payload)))
        });
        g.bench_function(BenchmarkId::new("open", "wampe2e"), |b| {
            b.iter(|| open_bytes(&opener, Role::Responder, "com.t", black_box(&env)).unwrap())
        });
        g.finish();
    }
}

/// The full path for the small event of the Python benchmark: values in, envelope out, and back.
fn bench_small_event(c: &mut Criterion) {
    let (_, _, sealer, opener) = rings();
    let args = vec![
        Value::from(42),
        Value::from("hello world"),
        Value::Map(vec![
            ("temp".into(), Value::from(21.5)),
            ("ok".into(), Value::from(true)),
        ]),
    ];
    let kwargs = vec![
        ("sensor".to_owned(), Value::from("s-17")),
        ("ts".to_owned(), Value::Int(1_732_700_000_123)),
    ];
    let uri = "com.example.topic1";
    let mut g = c.benchmark_group("small_event");
    g.bench_function("seal_payload", |b| {
        b.iter(|| {
            seal_payload(
                &sealer,
                Role::Originator,
                uri,
                Some(black_box(&args)),
                Some(&kwargs),
                Dialect::Cryptobox,
            )
            .unwrap()
        })
    });
    let env = seal_payload(
        &sealer,
        Role::Originator,
        uri,
        Some(&args),
        Some(&kwargs),
        Dialect::Cryptobox,
    )
    .unwrap();
    g.bench_function("open_payload", |b| {
        b.iter(|| open_payload(&opener, Role::Responder, uri, black_box(&env)).unwrap())
    });
    g.finish();
}

/// Poly1305 alone: the core's (`crypto::poly1305`, as chosen and its base 2^64
/// form alone), libsodium's
/// `crypto_onetimeauth`, libcrux's and RustCrypto's.
fn bench_poly1305(c: &mut Criterion) {
    use poly1305::universal_hash::KeyInit;
    let key = [0x42u8; 32];
    unsafe { assert!(sodium_init() >= 0) };
    for &size in &[64usize, 256, 384, 512, 1024, 2048, 4096, 64 * 1024] {
        let msg = vec![0x5au8; size];
        let mut g = c.benchmark_group(format!("poly1305/{size}"));
        g.throughput(Throughput::Bytes(size as u64));
        g.bench_function("libsodium", |b| {
            b.iter(|| {
                let mut t = [0u8; 16];
                unsafe {
                    crypto_onetimeauth(t.as_mut_ptr(), msg.as_ptr(), size as u64, key.as_ptr())
                };
                t
            })
        });
        g.bench_function("wampe2e", |b| {
            b.iter(|| wampe2e::crypto::poly1305::mac(&key, black_box(&msg)))
        });
        g.bench_function("wampe2e-avx2", |b| {
            b.iter(|| {
                wampe2e::crypto::poly1305::mac_with(
                    wampe2e::crypto::salsa20::Backend::Avx2,
                    &key,
                    black_box(&msg),
                )
            })
        });
        // The base 2^64 form alone (what runs below `SIMD_FROM`, and on SSE2-only CPUs).
        g.bench_function("wampe2e-base64", |b| {
            b.iter(|| {
                wampe2e::crypto::poly1305::mac_with(
                    wampe2e::crypto::salsa20::Backend::Scalar,
                    &key,
                    black_box(&msg),
                )
            })
        });
        g.bench_function("libcrux", |b| {
            b.iter(|| {
                let mut t = [0u8; 16];
                let _ = libcrux_poly1305::mac(&key, black_box(&msg), &mut t);
                t
            })
        });
        g.bench_function("rustcrypto", |b| {
            b.iter(|| {
                let t: [u8; 16] = poly1305::Poly1305::new((&key).into())
                    .compute_unpadded(black_box(&msg))
                    .into();
                t
            })
        });
        g.finish();
    }
}

/// HSalsa20 alone (the first step of every XSalsa20 message, before any keystream):
/// the core's (AVX-512VL where the CPU has it), libsodium's and RustCrypto's.
fn bench_hsalsa20(c: &mut Criterion) {
    use wampe2e::crypto::salsa20::{detected, hsalsa20, Backend};
    let (key, input) = ([0x42u8; 32], [0x24u8; 16]);
    unsafe { assert!(sodium_init() >= 0) };
    let mut g = c.benchmark_group("hsalsa20");
    g.bench_function("libsodium", |b| {
        b.iter(|| {
            let mut out = [0u8; 32];
            unsafe {
                crypto_core_hsalsa20(
                    out.as_mut_ptr(),
                    black_box(&input).as_ptr(),
                    key.as_ptr(),
                    std::ptr::null(),
                )
            };
            out
        })
    });
    g.bench_function("wampe2e", |b| {
        b.iter(|| {
            let mut out = [0u8; 32];
            hsalsa20(detected(), &key, black_box(&input), &mut out);
            out
        })
    });
    g.bench_function("rustcrypto", |b| {
        b.iter(|| {
            let mut out = [0u8; 32];
            hsalsa20(Backend::Scalar, &key, black_box(&input), &mut out);
            out
        })
    });
    g.finish();
}

criterion_group!(
    benches,
    bench_box,
    bench_small_event,
    bench_poly1305,
    bench_hsalsa20
);
criterion_main!(benches);
