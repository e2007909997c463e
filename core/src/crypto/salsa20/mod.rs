//! The Salsa20 keystream, several 64-byte blocks per iteration: SSE2 (4 blocks,
//! the x86-64 baseline), AVX2 (8 blocks) and AVX-512 (16 blocks), chosen at run
//! time, as libsodium's `xmm6int` and AVX2 implementations do. On AVX-512 CPUs a
//! message's last 8 blocks or fewer (all of a small message's) go through a
//! 4-block form with one block per 128-bit quarter of four vectors in the diagonal
//! layout, one chain of steps instead of four, and so does HSalsa20
//! ([`hsalsa20`]): a small message's keystream and subkey are most of its crypto.
//! (`Backend::Avx512` uses the AVX2 and SSE2 code only where the CPU lacks it.)
//! On aarch64 (every phone) NEON runs 4 blocks per iteration in the same layout, and
//! so does WebAssembly SIMD128 in builds that enable it (`wasm/build.sh`).
//! RustCrypto's scalar `salsa20` is the reference and the fallback (other
//! architectures, tails, and when forced with `WAMPE2E_FORCE_SCALAR=1`). Bit-identical to the reference: see the
//! differential tests in `core/tests/salsa20_simd.rs` and the fuzz target.
//!
//! This module and its per-architecture children (`x86.rs`, `neon.rs`) are the one part of
//! the core with `unsafe`: SIMD intrinsics, each function entered only after
//! checking its CPU feature.
#![allow(unsafe_code)]

use salsa20::cipher::{KeyIvInit, StreamCipher, StreamCipherSeek};
use salsa20::Salsa20;
use std::sync::OnceLock;

/// The 20 rounds (10 double rounds) of Salsa20 on a state of 16 SIMD vectors,
/// one block per lane, written once for every backend: `$add`, `$xor` and
/// `$rotl!(v, n)` are the backend's lane-wise add, xor and rotate left.
#[allow(unused_macros)] // no SIMD backend on some targets
macro_rules! salsa_rounds {
    ($x:ident, $add:ident, $xor:ident, $rotl:ident) => {
        macro_rules! qr {
            ($a:expr, $b:expr, $c:expr, $d:expr) => {
                $x[$b] = $xor($x[$b], $rotl!($add($x[$a], $x[$d]), 7));
                $x[$c] = $xor($x[$c], $rotl!($add($x[$b], $x[$a]), 9));
                $x[$d] = $xor($x[$d], $rotl!($add($x[$c], $x[$b]), 13));
                $x[$a] = $xor($x[$a], $rotl!($add($x[$d], $x[$c]), 18));
            };
        }
        for _ in 0..10 {
            qr!(0, 4, 8, 12);
            qr!(5, 9, 13, 1);
            qr!(10, 14, 2, 6);
            qr!(15, 3, 7, 11);
            qr!(0, 1, 2, 3);
            qr!(5, 6, 7, 4);
            qr!(10, 11, 8, 9);
            qr!(15, 12, 13, 14);
        }
    };
}

// The SIMD code, one child module per architecture; `detected`, `available` and
// `xor_keystream` below choose among them.
#[cfg(all(target_arch = "aarch64", target_endian = "little"))]
mod neon;
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod wasm;
#[cfg(target_arch = "x86_64")]
mod x86;

#[cfg(any(
    target_arch = "x86_64",
    all(target_arch = "aarch64", target_endian = "little"),
    all(target_arch = "wasm32", target_feature = "simd128")
))]
const SIGMA: [u32; 4] = [0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574];

/// The 16 input words of the Salsa20 state, counter words (8 and 9) left zero.
#[cfg(any(
    target_arch = "x86_64",
    all(target_arch = "aarch64", target_endian = "little"),
    all(target_arch = "wasm32", target_feature = "simd128")
))]
fn input_words(key: &[u8; 32], nonce: &[u8; 8]) -> [u32; 16] {
    let k = |i: usize| {
        let mut w = [0u8; 4];
        w.copy_from_slice(key.get(4 * i..4 * i + 4).unwrap_or(&[0; 4]));
        u32::from_le_bytes(w)
    };
    let n = |i: usize| {
        let mut w = [0u8; 4];
        w.copy_from_slice(nonce.get(4 * i..4 * i + 4).unwrap_or(&[0; 4]));
        u32::from_le_bytes(w)
    };
    [
        SIGMA[0],
        k(0),
        k(1),
        k(2),
        k(3),
        SIGMA[1],
        n(0),
        n(1),
        0,
        0,
        SIGMA[2],
        k(4),
        k(5),
        k(6),
        k(7),
        SIGMA[3],
    ]
}

/// Which keystream implementation runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// RustCrypto's portable scalar Salsa20.
    Scalar,
    /// 4 blocks per iteration with SSE2.
    Sse2,
    /// 8 blocks per iteration with AVX2 (SSE2 for the rest).
    Avx2,
    /// 16 blocks per iteration with AVX-512F; the last 8 blocks or fewer 4 at a
    /// time in the diagonal layout (a 256-byte pass in about 90 ns, where the
    /// SSE2 code compiled for AVX-512VL takes about 155); HSalsa20 in the same
    /// layout with AVX-512VL.
    Avx512,
    /// 4 blocks per iteration with aarch64 NEON (Advanced SIMD, always present there).
    Neon,
    /// 4 blocks per iteration with WebAssembly SIMD128 (in builds that enable it).
    Simd128,
}

#[cfg(target_arch = "x86_64")]
cpufeatures::new!(avx2_cpuid, "avx2");
#[cfg(target_arch = "x86_64")]
cpufeatures::new!(avx512_cpuid, "avx512f", "avx512vl");

/// The backend every seal and open uses, chosen once.
static CHOSEN: OnceLock<Backend> = OnceLock::new();

/// Makes the scalar keystream the one every seal and open uses, as
/// `WAMPE2E_FORCE_SCALAR=1` does where a host has no environment (WebAssembly in a
/// JS host, whose tests call it); it takes effect only before the first seal or
/// open. Returns whether the scalar keystream is now the one in use.
pub fn force_scalar() -> bool {
    CHOSEN.set(Backend::Scalar).is_ok() || detected() == Backend::Scalar
}

/// The fastest backend this CPU supports, unless `WAMPE2E_FORCE_SCALAR=1` (read once).
pub fn detected() -> Backend {
    *CHOSEN.get_or_init(|| {
        if std::env::var_os("WAMPE2E_FORCE_SCALAR").is_some_and(|v| v == "1") {
            return Backend::Scalar;
        }
        #[cfg(target_arch = "x86_64")]
        {
            if avx512_cpuid::get() && avx2_cpuid::get() {
                return Backend::Avx512;
            }
            if avx2_cpuid::get() {
                return Backend::Avx2;
            }
            Backend::Sse2
        }
        #[cfg(all(target_arch = "aarch64", target_endian = "little"))]
        {
            Backend::Neon
        }
        #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
        {
            Backend::Simd128
        }
        #[cfg(not(any(
            target_arch = "x86_64",
            all(target_arch = "aarch64", target_endian = "little"),
            all(target_arch = "wasm32", target_feature = "simd128")
        )))]
        Backend::Scalar
    })
}

/// Whether `backend` can run on this CPU.
pub fn available(backend: Backend) -> bool {
    match backend {
        Backend::Scalar => true,
        #[cfg(target_arch = "x86_64")]
        Backend::Sse2 => true,
        #[cfg(target_arch = "x86_64")]
        Backend::Avx2 => avx2_cpuid::get(),
        #[cfg(target_arch = "x86_64")]
        Backend::Avx512 => avx512_cpuid::get() && avx2_cpuid::get(),
        #[cfg(all(target_arch = "aarch64", target_endian = "little"))]
        Backend::Neon => true,
        #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
        Backend::Simd128 => true,
        #[allow(unreachable_patterns)]
        _ => false,
    }
}

/// XORs `rest` (at most `N` bytes) with the keystream `pass` writes into a zeroed
/// `N`-byte buffer, which is erased a word at a time afterwards (`Zeroizing` on a
/// byte array erases byte by byte: 256 volatile stores per tail).
#[cfg(any(
    target_arch = "x86_64",
    all(target_arch = "aarch64", target_endian = "little"),
    all(target_arch = "wasm32", target_feature = "simd128")
))]
fn tail<const N: usize>(rest: &mut [u8], pass: impl FnOnce(&mut [u8]) -> usize) {
    let mut ks = super::wipe::Wiped::<N>::new();
    let blocks = pass(&mut ks[..]);
    // Every block of the buffer made: a short pass would leave data XORed with zeros.
    debug_assert_eq!(blocks, N / 64);
    for (d, k) in rest.iter_mut().zip(ks.iter()) {
        *d ^= k;
    }
}

/// HSalsa20 of `key` and `input` (XSalsa20's subkey, NaCl's `crypto_box_beforenm`)
/// into `out`: with AVX-512VL when `backend` is [`Backend::Avx512`] and the CPU has
/// it, else RustCrypto's.
pub fn hsalsa20(backend: Backend, key: &[u8; 32], input: &[u8; 16], out: &mut [u8; 32]) {
    #[cfg(target_arch = "x86_64")]
    if backend == Backend::Avx512 && avx512_cpuid::get() {
        // SAFETY: AVX-512F and AVX-512VL are present (checked just above).
        unsafe { x86::hsalsa20_avx512vl(key, input, out) };
        return;
    }
    let _ = backend;
    let mut k = salsa20::hsalsa::<salsa20::cipher::consts::U10>(key.into(), input.into());
    out.copy_from_slice(&k);
    zeroize::Zeroize::zeroize(k.as_mut_slice());
}

/// XORs `data` with the Salsa20 keystream of (`key`, `nonce`) starting at block
/// `counter`, using `backend` (falls back to scalar where it is not [`available`]).
/// The 64-bit block counter carries past 2^32 as Salsa20 defines.
pub fn xor_keystream(
    backend: Backend,
    key: &[u8; 32],
    nonce: &[u8; 8],
    counter: u32,
    data: &mut [u8],
) {
    let counter = u64::from(counter);
    #[allow(unused_mut)] // only the SIMD paths below add to it
    let mut done_blocks = 0usize;
    #[cfg(target_arch = "x86_64")]
    {
        // Whole passes of the widest width, then the rest in one pass of the
        // narrowest width that covers it, over a zeroed buffer (`tail`): a 1 KiB
        // body after the 224 bytes `secretbox` makes up front is one 16-block
        // pass, where 8-, 4- and 4-block passes cost about twice as much.
        if backend == Backend::Avx512 && avx512_cpuid::get() {
            // SAFETY: AVX-512F is present (checked just above).
            done_blocks += unsafe { x86::xor_blocks16_avx512(key, nonce, counter, data) };
            let rest = data.get_mut(done_blocks * 64..).unwrap_or_default();
            let at = counter + done_blocks as u64;
            if rest.len() > 512 {
                // SAFETY: as above; the buffer is 16 whole blocks.
                tail::<1024>(rest, |ks| unsafe {
                    x86::xor_blocks16_avx512(key, nonce, at, ks)
                });
                return;
            }
            // Up to 8 blocks (every small message's): 4-block passes in the
            // diagonal layout, whose one chain of steps is half as long as the
            // SSE2 code's four, the rest in one more.
            // SAFETY: as above.
            let whole = unsafe { x86::xor_blocks4_diagonal(key, nonce, at, rest) };
            let rest = rest.get_mut(whole * 64..).unwrap_or_default();
            if !rest.is_empty() {
                let at = at + whole as u64;
                // SAFETY: as above; the buffer is 4 whole blocks.
                tail::<256>(rest, |ks| unsafe {
                    x86::xor_blocks4_diagonal(key, nonce, at, ks)
                });
            }
            return;
        }
        if matches!(backend, Backend::Avx2 | Backend::Avx512) && avx2_cpuid::get() {
            let rest = data.get_mut(done_blocks * 64..).unwrap_or_default();
            let at = counter + done_blocks as u64;
            // SAFETY: AVX2 is present (checked just above).
            done_blocks += unsafe { x86::xor_blocks8(key, nonce, at, rest) };
            let rest = data.get_mut(done_blocks * 64..).unwrap_or_default();
            if rest.len() > 256 {
                let at = counter + done_blocks as u64;
                // SAFETY: as above; the buffer is 8 whole blocks.
                tail::<512>(rest, |ks| unsafe { x86::xor_blocks8(key, nonce, at, ks) });
                return;
            }
        }
        if backend != Backend::Scalar {
            let rest = data.get_mut(done_blocks * 64..).unwrap_or_default();
            let at = counter + done_blocks as u64;
            // SAFETY: SSE2 is part of the x86-64 baseline.
            done_blocks += unsafe { x86::xor_blocks4(key, nonce, at, rest) };
        }
    }
    #[cfg(all(target_arch = "aarch64", target_endian = "little"))]
    if backend == Backend::Neon {
        done_blocks += neon::xor_blocks4(key, nonce, counter, data);
    }
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    if backend == Backend::Simd128 {
        done_blocks += wasm::xor_blocks4(key, nonce, counter, data);
    }
    let rest = data.get_mut(done_blocks * 64..).unwrap_or_default();
    if rest.is_empty() {
        return;
    }
    let block = counter + done_blocks as u64;
    #[cfg(target_arch = "x86_64")]
    {
        if backend != Backend::Scalar {
            // A tail of under 4 blocks: one SSE2 pass over a zeroed buffer is cheaper
            // than the scalar path's setup and per-block cost.
            // SAFETY: SSE2 is part of the x86-64 baseline; the buffer is 4 whole blocks.
            tail::<256>(rest, |ks| unsafe {
                x86::xor_blocks4(key, nonce, block, ks)
            });
            return;
        }
    }
    #[cfg(all(target_arch = "aarch64", target_endian = "little"))]
    if backend == Backend::Neon {
        // A tail of under 4 blocks, as for SSE2 above.
        tail::<256>(rest, |ks| neon::xor_blocks4(key, nonce, block, ks));
        return;
    }
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    if backend == Backend::Simd128 {
        // A tail of under 4 blocks, as for SSE2 above.
        tail::<256>(rest, |ks| wasm::xor_blocks4(key, nonce, block, ks));
        return;
    }
    #[cfg(not(any(
        target_arch = "x86_64",
        all(target_arch = "aarch64", target_endian = "little"),
        all(target_arch = "wasm32", target_feature = "simd128")
    )))]
    let _ = backend; // only the scalar keystream exists on this target
    let mut cipher = Salsa20::new(key.into(), nonce.into());
    // Fits: (2^32 + data.len() / 64) * 64 < 2^64.
    cipher.seek(block * 64);
    cipher.apply_keystream(rest);
}
