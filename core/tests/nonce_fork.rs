//! Nonces never repeat across `fork()` (core/src/crypto/random.rs): a process seals,
//! forks (from its main thread, and from another thread), and parent and child
//! both go on sealing; no nonce appears twice. Also: the output of the generator
//! looks random (byte frequencies, no repeated nonce in a million bytes).
//!
//! The child of a fork() made while other test threads run has only the forking
//! thread; it seals (glibc's malloc is fork-safe), writes its nonces to a pipe
//! and `_exit`s.

#![cfg(target_os = "linux")]
#![allow(
    unsafe_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::HashSet;
use wampe2e::crypto::random::{fill_nonce, nonce_source, reseeds, NonceSource};
use wampe2e::{seal_bytes, Cipher, DataKey, Dialect, KeyRing, Role, Serializer, SymmetricKey};

const PER_SIDE: usize = 2000;

fn ring() -> KeyRing {
    let r = KeyRing::new();
    r.set(
        "",
        SymmetricKey::new("k-1", DataKey::generate().unwrap()).unwrap(),
    );
    r
}

/// The nonce of a sealed payload (ppt with XSalsa20-Poly1305: its first 24 bytes).
fn seal_nonce(r: &KeyRing) -> [u8; 24] {
    let dialect = Dialect::Passthru {
        serializer: Serializer::Json,
        cipher: Cipher::XSalsa20Poly1305,
    };
    let env = seal_bytes(r, Role::Originator, "com.example.t", b"{}", dialect).unwrap();
    env.payload[..24].try_into().unwrap()
}

/// Seals in this process, forks, seals `PER_SIDE` more on both sides, and checks
/// that no nonce repeats and the child reseeded (through the wiped page).
fn seal_fork_seal() {
    let r = ring();
    let mut before = HashSet::new();
    for _ in 0..10 {
        before.insert(seal_nonce(&r));
    }
    let mut fds = [0i32; 2];
    // SAFETY: a pipe into a 2-int array.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    let mut child_out = vec![0u8; PER_SIDE * 24 + 9];
    // SAFETY: fork; the child only seals, writes to the pipe and _exits.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        let reseeds_before = reseeds();
        for i in 0..PER_SIDE {
            child_out[i * 24..(i + 1) * 24].copy_from_slice(&seal_nonce(&r));
        }
        let n = PER_SIDE * 24;
        child_out[n] = u8::from(reseeds() > reseeds_before);
        child_out[n + 1..n + 9].copy_from_slice(&(reseeds() - reseeds_before).to_le_bytes());
        let mut at = 0;
        while at < child_out.len() {
            // SAFETY: writing our own buffer to the pipe.
            let w = unsafe {
                libc::write(
                    fds[1],
                    child_out[at..].as_ptr().cast(),
                    child_out.len() - at,
                )
            };
            if w <= 0 {
                // SAFETY: leaving the child without running the parent's destructors.
                unsafe { libc::_exit(2) };
            }
            at += w as usize;
        }
        // SAFETY: as above.
        unsafe { libc::_exit(0) };
    }
    // SAFETY: closing our copy of the write end.
    unsafe { libc::close(fds[1]) };
    let mut parent = Vec::new();
    for _ in 0..PER_SIDE {
        parent.push(seal_nonce(&r));
    }
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        // SAFETY: reading into our own buffer.
        let n = unsafe { libc::read(fds[0], buf.as_mut_ptr().cast(), buf.len()) };
        if n <= 0 {
            break;
        }
        got.extend_from_slice(&buf[..n as usize]);
    }
    let mut status = 0;
    // SAFETY: waiting for our child.
    unsafe {
        libc::close(fds[0]);
        libc::waitpid(pid, &mut status, 0);
    }
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "child failed: {status}"
    );
    assert_eq!(got.len(), PER_SIDE * 24 + 9, "child output");
    let n = PER_SIDE * 24;
    if nonce_source() == NonceSource::Generator {
        assert_eq!(got[n], 1, "the child's generator did not reseed after fork");
    }
    let mut all = before;
    let child: Vec<[u8; 24]> = got[..n].chunks(24).map(|c| c.try_into().unwrap()).collect();
    for nonce in parent.iter().chain(child.iter()) {
        assert!(all.insert(*nonce), "a nonce repeated across fork()");
    }
    assert_eq!(all.len(), 10 + 2 * PER_SIDE);
}

#[test]
fn nonces_never_repeat_across_fork_from_the_main_thread_or_another() {
    seal_fork_seal();
    // From a thread that had sealed before (its own generator state) forks.
    std::thread::spawn(seal_fork_seal).join().unwrap();
    // And twice from the same process: each child is told apart.
    seal_fork_seal();
}

#[test]
fn output_looks_random() {
    // A million bytes in nonce-sized pieces: every byte value near 1/256 of
    // them (chi-square with 255 degrees of freedom below 400: p < 1e-7 to fail by
    // chance), and no 24-byte nonce twice.
    let mut counts = [0u64; 256];
    let mut seen = HashSet::new();
    let mut n = [0u8; 24];
    let pieces = 1_000_000 / 24;
    for _ in 0..pieces {
        fill_nonce(&mut n).unwrap();
        assert!(seen.insert(n), "a nonce repeated");
        for &b in &n {
            counts[b as usize] += 1;
        }
    }
    let total = (pieces * 24) as f64;
    let expect = total / 256.0;
    let chi2: f64 = counts
        .iter()
        .map(|&c| (c as f64 - expect).powi(2) / expect)
        .sum();
    assert!(chi2 < 400.0, "chi-square {chi2}");
}
