//! Random nonces without a system call per message, and as safe as one.
//!
//! A repeated nonce under one key is the end of XSalsa20-Poly1305 and AES-GCM
//! (keystream reuse, and forgeries). One `getrandom` system call per nonce is the
//! safe baseline, and it costs 300 ns on a VM, as much as sealing a small payload.
//! This module gives each thread a generator in user space that is exactly as
//! safe where it runs, and falls back to the system call everywhere else:
//!
//! * **Generator:** Salsa20 with fast key erasure (D. J. Bernstein, "Fast-key-erasure
//!   random-number generators", 2017): a 32-byte key from `getrandom`; each refill
//!   computes 512 bytes of keystream under the key (nonce and counter zero, each
//!   key used once), of which the first 32 replace the key and the other 480 are
//!   handed out as nonces and erased as they go. Stealing the state later reveals
//!   neither the past key nor past output.
//! * **Reseeding:** a fresh key from `getrandom` every [`RESEED_REFILLS`] refills
//!   (7 680 bytes: 320 nonces of 24 bytes), so that whatever happened to the state
//!   (a restored VM snapshot, below) lasts that long at most.
//! * **Fork safety without the application's help:** the state lives in a page of
//!   its own mapped with `madvise(MADV_WIPEONFORK)` (Linux ≥ 4.14, the approach of
//!   BoringSSL's `CRYPTO_get_fork_generation`): in a child made by `fork()` (from
//!   any thread) the page reads as zeros, its "seeded" word is gone, and the first
//!   nonce reseeds from `getrandom`. Parent and child never share a key. As
//!   BoringSSL does, the kernel is first asked an invalid advice: an emulator that
//!   accepts any advice without acting on it (qemu-user does) gets no generator.
//!   A second, independent guard: a `pthread_atfork` child handler, registered
//!   by this module (not by the application), bumps a fork generation that each
//!   state remembers. The page is also `MADV_DONTDUMP` (not in core dumps) and is
//!   erased and unmapped when its thread exits.
//! * **WebAssembly** (`wasm32-unknown-unknown`, browsers and other JS hosts): the
//!   same generator, seeded from `crypto.getRandomValues`, with no fork guard,
//!   because there is no `fork()` and no memory shared between instances there.
//! * **Fallback, one `getrandom` per nonce:** on every other target but Linux (until
//!   the fork detection is proven there), where the kernel refuses `MADV_WIPEONFORK`
//!   or accepts advice it cannot know, where `pthread_atfork` fails,
//!   when the thread's state is busy (a signal handler sealing inside a seal) or
//!   gone (thread exit), and everywhere with `WAMPE2E_FORCE_GETRANDOM=1` (read
//!   once; CI runs a pass with it).
//!
//! What it does not detect: a VM snapshot restored twice, or a process image
//! copied by other means than `fork()` (CRIU). Both copies then hand out the same
//! nonces until their next reseed (at most 320 nonces per thread). The kernel's
//! own generator is VM-fork safe only with vmgenid; this generator is not: where
//! VMs are cloned while running, set `WAMPE2E_FORCE_GETRANDOM=1`.
//!
//! Only nonces come from here. Keys and secrets (identity seeds, X25519 secrets,
//! data keys, GS1 chain keys) always come from `getrandom`.

use std::cell::Cell;
use std::sync::OnceLock;

use crate::error::{err, ErrorCode, Result};

/// Refills between reseeds from the operating system.
pub const RESEED_REFILLS: u32 = 16;

/// Where this thread's nonces come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonceSource {
    /// The per-thread generator (in a wipe-on-fork page on Linux).
    Generator,
    /// One `getrandom` call per nonce.
    System,
}

/// One `getrandom` call.
pub(crate) fn system_fill(buf: &mut [u8]) -> Result<()> {
    getrandom::getrandom(buf).or_else(|e| err(ErrorCode::RandomFailed, format!("getrandom: {e}")))
}

fn forced_system() -> bool {
    static FORCED: OnceLock<bool> = OnceLock::new();
    *FORCED.get_or_init(|| std::env::var_os("WAMPE2E_FORCE_GETRANDOM").is_some_and(|v| v == "1"))
}

/// Fills `buf` with random bytes for a nonce (public values, never keys).
/// Errors: `RandomFailed`.
pub fn fill_nonce(buf: &mut [u8]) -> Result<()> {
    if forced_system() {
        return system_fill(buf);
    }
    imp::fill(buf)
}

/// Where the calling thread's nonces come from (it sets the thread up if needed).
pub fn nonce_source() -> NonceSource {
    if forced_system() {
        return NonceSource::System;
    }
    imp::source()
}

thread_local! {
    static RESEEDS: Cell<u64> = const { Cell::new(0) };
}

/// How many times the calling thread's generator took a key from the operating
/// system (for tests: a fork, or [`RESEED_REFILLS`] refills, make it one more).
pub fn reseeds() -> u64 {
    RESEEDS.with(Cell::get)
}

/// The generator's state, at the start of its page on Linux, on the heap in
/// WebAssembly (elsewhere the system call serves every nonce).
#[cfg(any(
    target_os = "linux",
    all(target_arch = "wasm32", target_os = "unknown"),
    test
))]
#[repr(C)]
struct State {
    /// [`SEEDED`] once seeded; zero in a fresh page and in a forked child's.
    seeded: u64,
    key: [u8; 32],
    out: [u8; OUT],
    /// The next unread byte of `out`; `OUT` when it is used up.
    pos: usize,
    refills: u32,
}

#[cfg(any(
    target_os = "linux",
    all(target_arch = "wasm32", target_os = "unknown"),
    test
))]
const BLOCK: usize = 512;
#[cfg(any(
    target_os = "linux",
    all(target_arch = "wasm32", target_os = "unknown"),
    test
))]
const OUT: usize = BLOCK - 32;
#[cfg(any(
    target_os = "linux",
    all(target_arch = "wasm32", target_os = "unknown"),
    test
))]
const SEEDED: u64 = 0x7761_6d70_6532_6521; // "wampe2e!"

#[cfg(any(
    target_os = "linux",
    all(target_arch = "wasm32", target_os = "unknown"),
    test
))]
impl State {
    fn reseed(&mut self) -> Result<()> {
        system_fill(&mut self.key)?;
        self.out.fill(0);
        self.pos = OUT;
        self.refills = 0;
        self.seeded = SEEDED;
        RESEEDS.with(|r| r.set(r.get() + 1));
        Ok(())
    }

    fn refill(&mut self) -> Result<()> {
        if self.refills >= RESEED_REFILLS {
            self.reseed()?;
        }
        let mut block = super::wipe::Wiped::<BLOCK>::new();
        super::salsa20::xor_keystream(
            super::salsa20::detected(),
            &self.key,
            &[0; 8],
            0,
            &mut block[..],
        );
        let (key, out) = block.split_at(32);
        self.key.copy_from_slice(key);
        self.out.copy_from_slice(out);
        self.pos = 0;
        self.refills += 1;
        Ok(())
    }

    /// `buf` from the generator; the caller checked `seeded` first.
    fn fill(&mut self, mut buf: &mut [u8]) -> Result<()> {
        while !buf.is_empty() {
            if self.pos >= OUT {
                self.refill()?;
            }
            let n = buf.len().min(OUT - self.pos);
            let (now, rest) = buf.split_at_mut(n);
            let from = self.out.get_mut(self.pos..self.pos + n).unwrap_or_default();
            now.copy_from_slice(from);
            from.fill(0);
            self.pos += n;
            buf = rest;
        }
        Ok(())
    }
}

/// A `State` the tests drive with a chosen key (no page, no fork detection).
#[cfg(test)]
fn state_with_key(key: [u8; 32]) -> Box<State> {
    Box::new(State {
        seeded: SEEDED,
        key,
        out: [0; OUT],
        pos: OUT,
        refills: 0,
    })
}

#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
mod imp {
    use super::{system_fill, NonceSource, State, SEEDED};
    use crate::error::Result;
    use std::cell::RefCell;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::OnceLock;

    /// Bumped in every child of a fork() by the handler below.
    static FORK_GENERATION: AtomicU64 = AtomicU64::new(0);

    extern "C" fn forked_child() {
        // Async-signal-safe: one atomic add.
        FORK_GENERATION.fetch_add(1, Ordering::SeqCst);
    }

    /// Registers the child handler once; false if that failed.
    fn atfork_registered() -> bool {
        static REGISTERED: OnceLock<bool> = OnceLock::new();
        // SAFETY: registering a handler that only does an atomic add.
        *REGISTERED
            .get_or_init(|| unsafe { libc::pthread_atfork(None, None, Some(forked_child)) } == 0)
    }

    /// This thread's page, or the decision to use the system call.
    enum Slot {
        Page {
            state: *mut State,
            len: usize,
            /// `FORK_GENERATION` when the state was last (re)seeded.
            generation: u64,
        },
        System,
    }

    impl Slot {
        fn new() -> Slot {
            if !atfork_registered() {
                return Slot::System;
            }
            // SAFETY: sysconf has no preconditions.
            let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
            let len = usize::try_from(page).unwrap_or(4096).max(4096);
            if std::mem::size_of::<State>() > len {
                return Slot::System;
            }
            // SAFETY: a fresh private anonymous mapping; no existing memory is touched.
            let p = unsafe {
                libc::mmap(
                    std::ptr::null_mut(),
                    len,
                    libc::PROT_READ | libc::PROT_WRITE,
                    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                    -1,
                    0,
                )
            };
            if p == libc::MAP_FAILED {
                return Slot::System;
            }
            // An invalid advice must be refused, or a success below means nothing
            // (qemu-user returns 0 for any advice and does not wipe; BoringSSL's
            // fork_detect.c checks the same).
            // SAFETY: `p` is the mapping of `len` bytes made just above.
            let honest = unsafe { libc::madvise(p, len, -1) } != 0;
            // SAFETY: as above.
            let wiped = honest && unsafe { libc::madvise(p, len, libc::MADV_WIPEONFORK) } == 0;
            if !wiped {
                // Without fork detection, no generator: the system call per nonce.
                // SAFETY: unmapping the mapping made above, not used after.
                unsafe { libc::munmap(p, len) };
                return Slot::System;
            }
            // Best effort: keep the key out of core dumps.
            // SAFETY: as above.
            unsafe { libc::madvise(p, len, libc::MADV_DONTDUMP) };
            // The page is zero-filled: `seeded` is 0 until the first fill reseeds.
            Slot::Page {
                state: p.cast::<State>(),
                len,
                generation: FORK_GENERATION.load(Ordering::SeqCst),
            }
        }
    }

    impl Drop for Slot {
        fn drop(&mut self) {
            if let Slot::Page { state, len, .. } = *self {
                // SAFETY: the page is ours, mapped in `new` and used by this thread
                // only; it is erased before it is unmapped, and not used after.
                unsafe {
                    std::ptr::write_bytes(state.cast::<u8>(), 0, len);
                    libc::munmap(state.cast(), len);
                }
            }
        }
    }

    thread_local! {
        static SLOT: RefCell<Option<Slot>> = const { RefCell::new(None) };
    }

    /// Runs `f` on this thread's state, `None` where the system call must serve.
    fn with_state<R>(f: impl FnOnce(&mut State) -> R) -> Option<R> {
        SLOT.try_with(|cell| {
            // Busy: a signal handler sealing while this thread was in a fill.
            let mut slot = cell.try_borrow_mut().ok()?;
            let slot = slot.get_or_insert_with(Slot::new);
            match slot {
                Slot::Page {
                    state, generation, ..
                } => {
                    let state = *state;
                    // SAFETY: the page is mapped for as long as the slot lives, and
                    // only this thread reaches it (through the RefCell held here).
                    let s = unsafe { &mut *state };
                    // Read afresh every time: fork() zeroes the page in the child
                    // behind the compiler's back.
                    // SAFETY: `state` is valid for reads (above).
                    let seeded = unsafe { std::ptr::read_volatile(&raw const (*state).seeded) };
                    let now = FORK_GENERATION.load(Ordering::SeqCst);
                    if seeded != SEEDED || *generation != now {
                        s.seeded = 0;
                        *generation = now;
                    }
                    Some(f(s))
                }
                Slot::System => None,
            }
        })
        .ok()
        .flatten()
    }

    pub(super) fn fill(buf: &mut [u8]) -> Result<()> {
        let done = with_state(|s| {
            if s.seeded != SEEDED {
                s.reseed()?;
            }
            s.fill(buf)
        });
        match done {
            Some(r) => r,
            None => system_fill(buf),
        }
    }

    /// Whether this kernel refuses an invalid `madvise` advice (an emulator that
    /// accepts everything does not): for the tests, to tell why a thread uses
    /// the system call.
    #[cfg(test)]
    pub(super) fn advice_checked() -> bool {
        // SAFETY: a fresh private anonymous page, advised and unmapped here.
        unsafe {
            let p = libc::mmap(
                std::ptr::null_mut(),
                4096,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            );
            if p == libc::MAP_FAILED {
                return false;
            }
            let honest = libc::madvise(p, 4096, -1) != 0;
            libc::munmap(p, 4096);
            honest
        }
    }

    pub(super) fn source() -> NonceSource {
        match with_state(|_| ()) {
            Some(()) => NonceSource::Generator,
            None => NonceSource::System,
        }
    }
}

/// WebAssembly in a JS host (a browser page or worker, Node): there is no `fork()`,
/// and an instance's memory is its own (this build has no threads or shared
/// memory: each worker instantiates the module anew and seeds its own state), so
/// the generator needs no fork guard. Its key comes from `crypto.getRandomValues`,
/// which costs more per call than the whole seal of a small payload.
#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
mod imp {
    use super::{system_fill, NonceSource, State, OUT};
    use crate::error::Result;
    use std::cell::RefCell;

    thread_local! {
        static STATE: RefCell<Option<Box<State>>> = const { RefCell::new(None) };
    }

    pub(super) fn fill(buf: &mut [u8]) -> Result<()> {
        STATE.with(|cell| {
            // Busy (a seal inside a seal): the system's bytes.
            let Ok(mut slot) = cell.try_borrow_mut() else {
                return system_fill(buf);
            };
            let state = match slot.as_mut() {
                Some(state) => state,
                None => {
                    let mut state = Box::new(State {
                        seeded: 0,
                        key: [0; 32],
                        out: [0; OUT],
                        pos: OUT,
                        refills: 0,
                    });
                    state.reseed()?;
                    slot.insert(state)
                }
            };
            state.fill(buf)
        })
    }

    pub(super) fn source() -> NonceSource {
        NonceSource::Generator
    }
}

#[cfg(not(any(
    target_os = "linux",
    all(target_arch = "wasm32", target_os = "unknown")
)))]
mod imp {
    use super::{system_fill, NonceSource};
    use crate::error::Result;

    pub(super) fn fill(buf: &mut [u8]) -> Result<()> {
        system_fill(buf)
    }

    pub(super) fn source() -> NonceSource {
        NonceSource::System
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use salsa20::cipher::{KeyIvInit, StreamCipher};

    /// The generator is Salsa20 with fast key erasure, byte for byte, checked
    /// against RustCrypto's Salsa20: each 512-byte block under the current key,
    /// its first 32 bytes the next key, the other 480 the output.
    #[test]
    fn output_is_salsa20_fast_key_erasure() {
        let mut s = state_with_key([7; 32]);
        let mut got = vec![0u8; 3 * OUT + 100];
        for chunk in got.chunks_mut(24) {
            s.fill(chunk).unwrap();
        }
        let mut key = [7u8; 32];
        let mut want = Vec::new();
        for _ in 0..4 {
            let mut block = [0u8; BLOCK];
            salsa20::Salsa20::new(&key.into(), &[0u8; 8].into()).apply_keystream(&mut block);
            key.copy_from_slice(&block[..32]);
            want.extend_from_slice(&block[32..]);
        }
        assert_eq!(got, want[..got.len()]);
        // Handed-out bytes are erased from the state, and the key moved on.
        assert!(s.out[..100].iter().all(|&b| b == 0));
        assert_eq!(s.key, key);
    }

    #[test]
    fn reseeds_from_the_system_every_reseed_refills() {
        let mut s = state_with_key([1; 32]);
        let before = reseeds();
        let mut buf = vec![0u8; OUT * RESEED_REFILLS as usize];
        s.fill(&mut buf).unwrap();
        assert_eq!(reseeds(), before, "the first refills use the given key");
        let mut one = [0u8; 1];
        s.fill(&mut one).unwrap();
        assert_eq!(reseeds(), before + 1);
        assert_eq!(s.refills, 1);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn this_thread_uses_the_generator_and_it_is_not_constant() {
        if forced_system() {
            assert_eq!(nonce_source(), NonceSource::System);
            return;
        }
        if !imp::advice_checked() {
            // qemu-user: madvise accepts any advice and wipes nothing.
            assert_eq!(nonce_source(), NonceSource::System);
            eprintln!("skipped: madvise accepts invalid advice here (an emulator): the system call serves, as it must");
            return;
        }
        assert_eq!(nonce_source(), NonceSource::Generator);
        let (mut a, mut b) = ([0u8; 24], [0u8; 24]);
        fill_nonce(&mut a).unwrap();
        fill_nonce(&mut b).unwrap();
        assert_ne!(a, b);
        assert_ne!(a, [0; 24]);
    }
}
