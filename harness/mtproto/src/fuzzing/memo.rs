//! A bounded per-thread memo of the 2048-bit modular exponentiations, for fuzz builds.
//!
//! Why: under the address sanitizer and libFuzzer's comparison tracing one 2048-bit
//! exponentiation costs milliseconds, and the 2048-bit targets (`handshake_client`,
//! `handshake_server`, `secret_chat`, `dh_checks`) spent most of their time recomputing the same
//! ones: with scripted randomness the server's `g^a`, the RSA_PAD decryption of the honest
//! `req_DH_params`, the client's `g^b` and `g_a^b` and the server's `g_b^a` are identical for
//! every input that shares the script seed, and libFuzzer mutates one corpus input at a time, so
//! most inputs share it with an input run just before. The secret chat's re-keying secrets come
//! from a one-byte counter, so its exponentiations repeat too.
//!
//! What: [`modpow`] returns `base^exponent mod modulus` for one of the [`Op`]s. The entry is keyed
//! by **every** input of the operation (which operation, the modulus, the base and the exponent,
//! 256 big-endian bytes each, compared in full, not by a hash), and the value stored is exactly
//! what the computation returned on the first call. An exponentiation is a pure function of those
//! inputs, so a hit returns what the computation would return again: no check downstream (the
//! range checks of `g_a`/`g_b`, the key comparison, `new_nonce_hash`, the RSA_PAD hash, the
//! secret chat's fingerprints) sees a different value, and every parse and check of the reference
//! still runs on every input.
//!
//! Where: only in fuzz builds. The two call sites (`DhGroup::pow_u2048` in `crypto::dh` and the
//! RSA_PAD decryption in `crypto::rsa_pad`) consult it under `cfg(fuzzing)`, i.e. only
//! when cargo-fuzz builds the crate; a normal build and the stable replay
//! of the committed seeds (`cargo test`, no `cfg(fuzzing)`) compute every exponentiation. The
//! memo holds secrets (`a`, `b`, the RSA `d`) in memory of the fuzzing process only.
//!
//! Why it cannot hide a bug: a wrong result for some inputs is computed (and checked) the first
//! time those inputs occur, and a crash input replays in a fresh process with an empty memo, so it
//! reproduces. What a memo could hide is an exponentiation that is *not* a function of its inputs
//! (it is; nothing else is read); to catch that anyway, every [`RECHECK_EVERY`]-th hit
//! recomputes the value and panics if it differs. The memo is bounded ([`CAPACITY`] entries,
//! about 1 KiB each; emptied when full) and per thread, so nothing is shared between libFuzzer
//! workers.

use std::cell::RefCell;
use std::collections::HashMap;

/// 2048 bits.
const LEN: usize = 256;

/// Entries kept before the memo is emptied (about 4 MiB): room for the six to eight
/// exponentiations of each of the 256 handshake scripts.
pub const CAPACITY: usize = 4096;

/// Every this many hits, the value is recomputed and compared.
pub const RECHECK_EVERY: u64 = 64;

/// Which exponentiation an entry holds (two operations on the same numbers never share one).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    /// `DhGroup::pow_g` / `DhGroup::pow`: `base^secret mod p` (almost-Montgomery, constant time).
    Dh,
    /// RSA_PAD decryption: `c^d mod n` (Montgomery, constant time).
    RsaDecrypt,
}

type Key = (Op, [u8; LEN], [u8; LEN], [u8; LEN]);

#[derive(Default)]
struct Memo {
    entries: HashMap<Key, [u8; LEN]>,
    hits: u64,
    misses: u64,
}

thread_local! {
    static MEMO: RefCell<Memo> = RefCell::new(Memo::default());
}

/// `base^exponent mod modulus` as `compute` gives it, computed once per distinct
/// `(op, modulus, base, exponent)` while the entry is kept. `compute` must be the operation `op`
/// on exactly these inputs.
pub fn modpow(
    op: Op,
    modulus: &[u8; LEN],
    base: &[u8; LEN],
    exponent: &[u8; LEN],
    compute: impl Fn() -> [u8; LEN],
) -> [u8; LEN] {
    let key = (op, *modulus, *base, *exponent);
    let found = MEMO.with_borrow_mut(|m| {
        let v = m.entries.get(&key).copied();
        if v.is_some() {
            m.hits += 1;
        } else {
            m.misses += 1;
        }
        v.map(|v| (v, m.hits))
    });
    if let Some((v, hits)) = found {
        if hits.is_multiple_of(RECHECK_EVERY) {
            assert_eq!(
                compute(),
                v,
                "{op:?}: a recomputed exponentiation differs from the memo's"
            );
        }
        return v;
    }
    let v = compute();
    MEMO.with_borrow_mut(|m| {
        if m.entries.len() >= CAPACITY {
            m.entries.clear();
        }
        m.entries.insert(key, v);
    });
    v
}

/// Hits and misses of this thread's memo so far.
pub fn stats() -> (u64, u64) {
    MEMO.with_borrow(|m| (m.hits, m.misses))
}

#[cfg(test)]
mod tests {
    use core::cell::Cell;

    use super::*;

    fn n(x: u8) -> [u8; LEN] {
        let mut v = [0u8; LEN];
        v[LEN - 1] = x;
        v
    }

    /// A hit returns the value the computation gave, and only an identical key hits.
    #[test]
    fn keyed_by_every_input() {
        let calls = Cell::new(0u32);
        let f = |r: u8| {
            let calls = &calls;
            move || {
                calls.set(calls.get() + 1);
                n(r)
            }
        };
        let (h0, m0) = stats();
        assert_eq!(modpow(Op::Dh, &n(7), &n(2), &n(3), f(1)), n(1));
        assert_eq!(modpow(Op::Dh, &n(7), &n(2), &n(3), f(9)), n(1), "hit");
        assert_eq!(calls.get(), 1);
        // Each input changed on its own is a different entry.
        assert_eq!(modpow(Op::RsaDecrypt, &n(7), &n(2), &n(3), f(2)), n(2));
        assert_eq!(modpow(Op::Dh, &n(8), &n(2), &n(3), f(3)), n(3));
        assert_eq!(modpow(Op::Dh, &n(7), &n(4), &n(3), f(4)), n(4));
        assert_eq!(modpow(Op::Dh, &n(7), &n(2), &n(5), f(5)), n(5));
        assert_eq!(calls.get(), 5);
        let (h1, m1) = stats();
        assert_eq!((h1 - h0, m1 - m0), (1, 5));
    }

    /// A computation that stops being a function of its inputs is caught on a recheck.
    #[test]
    fn a_recheck_catches_a_changed_result() {
        let key = n(0x55);
        assert_eq!(modpow(Op::Dh, &key, &key, &key, || n(1)), n(1));
        let caught = std::panic::catch_unwind(|| {
            for _ in 0..RECHECK_EVERY {
                modpow(Op::Dh, &key, &key, &key, || n(2));
            }
        });
        assert!(caught.is_err(), "no recheck within {RECHECK_EVERY} hits");
    }

    /// Bounded: past the capacity the memo starts again, and what it returns stays right.
    #[test]
    fn bounded() {
        for i in 0..(CAPACITY + 10) {
            let mut e = [0u8; LEN];
            e[..8].copy_from_slice(&(i as u64).to_le_bytes());
            let want = n(i as u8);
            assert_eq!(modpow(Op::Dh, &n(1), &n(1), &e, || want), want);
        }
        assert!(MEMO.with_borrow(|m| m.entries.len()) <= CAPACITY);
    }
}
