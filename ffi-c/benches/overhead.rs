//! FFI overhead: each C ABI function next to the core call it wraps, with the
//! same inputs, in one run (`make bench-c` prints the ratios).

// Benchmark code: calls the extern "C" functions directly.
#![allow(
    unsafe_code,
    missing_docs,
    clippy::unwrap_used,
    clippy::undocumented_unsafe_blocks
)]

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use std::ptr;
use wampe2e::plaintext::builder::read_json;
use wampe2e::{seal_bytes, seal_payload, BoxKey, Dialect, KeyPair, Role, Value};
use wampe2e_ffi::*;

const ARGS: &str = "[42,\"hello world\",{\"temp\":21.5,\"ok\":true}]";
const KWARGS: &str = "{\"sensor\":\"s-17\",\"ts\":1732700000123}";
const URI: &str = "com.example.topic1";

fn bench(c: &mut Criterion) {
    let pair = KeyPair::generate().unwrap();
    let mut ring: *mut wampe2e_keyring = ptr::null_mut();
    unsafe { wampe2e_keyring_new(&mut ring) };
    let ring_ref = unsafe { &(*ring).0 };
    ring_ref.set("", BoxKey::from_shared_secret(pair.secret).unwrap());
    let mut g = c.benchmark_group("ffi_overhead");
    for (name, size) in [
        ("seal_bytes_64", 64),
        ("seal_bytes_64KiB", 64 << 10),
        ("seal_bytes_1MiB", 1 << 20),
    ] {
        let msg = vec![0x5au8; size];
        if size > 64 {
            g.sample_size(20);
        }
        g.bench_function(format!("{name}_core"), |b| {
            b.iter(|| {
                seal_bytes(
                    ring_ref,
                    Role::Originator,
                    "com.t",
                    black_box(&msg),
                    Dialect::Cryptobox,
                )
                .unwrap()
            })
        });
        g.bench_function(format!("{name}_c_abi"), |b| {
            b.iter(|| unsafe {
                let mut env = ptr::null_mut();
                let r = wampe2e_seal_bytes(
                    ring,
                    0,
                    "com.t".as_ptr().cast(),
                    5,
                    black_box(msg.as_ptr()),
                    size,
                    0,
                    0,
                    0,
                    &mut env,
                );
                assert_eq!(r, wampe2e_result::WAMPE2E_OK);
                wampe2e_envelope_free(env);
            })
        });
    }
    g.sample_size(100);
    g.bench_function("seal_payload_small_core", |b| {
        b.iter(|| {
            // The same work the C caller asks for: JSON text in, envelope out.
            let Value::List(args) = read_json(black_box(ARGS).as_bytes()).unwrap() else {
                unreachable!()
            };
            let Value::Map(kwargs) = read_json(KWARGS.as_bytes()).unwrap() else {
                unreachable!()
            };
            seal_payload(
                ring_ref,
                Role::Originator,
                URI,
                Some(&args),
                Some(&kwargs),
                Dialect::Cryptobox,
            )
            .unwrap()
        })
    });
    g.bench_function("seal_payload_small_c_abi", |b| {
        b.iter(|| unsafe {
            let mut env = ptr::null_mut();
            let r = wampe2e_seal_payload(
                ring,
                0,
                URI.as_ptr().cast(),
                URI.len(),
                black_box(ARGS).as_ptr().cast(),
                ARGS.len(),
                KWARGS.as_ptr().cast(),
                KWARGS.len(),
                0,
                0,
                0,
                &mut env,
            );
            assert_eq!(r, wampe2e_result::WAMPE2E_OK);
            wampe2e_envelope_free(env);
        })
    });
    g.finish();
    unsafe { wampe2e_keyring_free(ring) };
}

criterion_group!(benches, bench);
criterion_main!(benches);
