//! A bounded per-thread memo of the 2048-bit modular exponentiations and BPSW primality
//! verdicts, for fuzz builds.
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
//! [`bpsw`] does the same for the BPSW test of a 2048-bit number (`crypto::dh::bpsw_vartime`),
//! keyed by the number.
//!
//! Where: only in fuzz builds. The call sites (`DhGroup::pow_u2048` and `bpsw_vartime` in
//! `crypto::dh`, the RSA encryption and the RSA_PAD decryption in `crypto::rsa_pad`) consult it
//! under `cfg(fuzzing)`, i.e. only when cargo-fuzz builds the crate; a normal build and the stable replay
//! of the committed seeds (`cargo test`, no `cfg(fuzzing)`) compute every exponentiation. The
//! memo holds secrets (`a`, `b`, the RSA `d`) in memory of the fuzzing process only.
//!
//! Why it cannot hide a bug: a wrong result for some inputs is computed (and checked) the first
//! time those inputs occur, and a crash input replays in a fresh process with an empty memo, so it
//! reproduces. What a memo could hide is a computation that is *not* a function of its inputs
//! (these are; nothing else is read); to catch that anyway, every [`RECHECK_EVERY`]-th hit
//! recomputes the value and panics if it differs. Each table is bounded ([`CAPACITY`] entries,
//! about 1 KiB each; emptied when full) and per thread, so nothing is shared between libFuzzer
//! workers.

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::Hash;
use std::thread::LocalKey;

/// 2048 bits.
const LEN: usize = 256;

/// Entries kept per table before it is emptied (about 16 MiB for the exponentiations): room for
/// the six to eight exponentiations of each of the 256 handshake scripts and for the secret
/// chat's re-keying pairs, including the pairs a delayed `RequestKey` makes.
pub const CAPACITY: usize = 16_384;

/// Every this many hits of a table, the value is recomputed and compared. A recheck costs a
/// full computation (milliseconds under the fuzz build's instrumentation), so this sets what
/// the safety net costs: at 1 in 1024, under 0.1 ms per input for a target making three memo
/// calls an input (at 1 in 64 the rechecks were a third of `handshake_client`'s
/// exponentiations). The first recheck of a table comes after its first 1024 hits: seconds into
/// a handshake or secret-chat run, later for the BPSW table, which hits less often.
pub const RECHECK_EVERY: u64 = 1024;

/// Which computation an entry holds (two operations on the same numbers never share one).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    /// `DhGroup::pow_g` / `DhGroup::pow`: `base^secret mod p` (almost-Montgomery, constant time).
    Dh,
    /// RSA_PAD decryption: `c^d mod n` (Montgomery, constant time).
    RsaDecrypt,
    /// RSA encryption: `m^e mod n` (variable time in the public exponent).
    RsaEncrypt,
}

type Key = (Op, [u8; LEN], [u8; LEN], [u8; LEN]);

/// One bounded table of a thread.
struct Table<K, V> {
    entries: HashMap<K, V>,
    hits: u64,
    misses: u64,
}

impl<K, V> Default for Table<K, V> {
    fn default() -> Self {
        Self {
            entries: HashMap::new(),
            hits: 0,
            misses: 0,
        }
    }
}

thread_local! {
    static MODPOW: RefCell<Table<Key, [u8; LEN]>> = RefCell::new(Table::default());
    static BPSW: RefCell<Table<[u8; LEN], bool>> = RefCell::new(Table::default());
}

/// `compute()` for `key`, computed once while the entry is kept; every [`RECHECK_EVERY`]-th hit
/// is recomputed and must agree.
fn lookup<K, V>(
    table: &'static LocalKey<RefCell<Table<K, V>>>,
    key: K,
    what: impl Fn() -> String,
    compute: impl Fn() -> V,
) -> V
where
    K: Hash + Eq,
    V: Clone + PartialEq + core::fmt::Debug,
{
    let found = table.with_borrow_mut(|t| {
        let v = t.entries.get(&key).cloned();
        if v.is_some() {
            t.hits += 1;
        } else {
            t.misses += 1;
        }
        v.map(|v| (v, t.hits))
    });
    if let Some((v, hits)) = found {
        if hits.is_multiple_of(RECHECK_EVERY) {
            assert_eq!(
                compute(),
                v,
                "{}: a recomputed value differs from the memo's",
                what()
            );
        }
        return v;
    }
    let v = compute();
    table.with_borrow_mut(|t| {
        if t.entries.len() >= CAPACITY {
            t.entries.clear();
        }
        t.entries.insert(key, v.clone());
    });
    v
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
    lookup(
        &MODPOW,
        (op, *modulus, *base, *exponent),
        || format!("{op:?}"),
        compute,
    )
}

/// The BPSW verdict on `n` (256 big-endian bytes) as `compute` gives it, computed once per
/// distinct `n` while the entry is kept. `compute` must be the BPSW test of exactly `n`.
///
/// Why: a prime that is not safe never enters the reference's `SafePrimeCache` (it caches only
/// good primes, as a client should), so without this every input offering one, the `dh_checks`
/// table's two among them, ran a full BPSW test of `p` again (about two thirds of that target's
/// time). The verdict is a pure function of `n`, like an exponentiation.
pub fn bpsw(n: &[u8; LEN], compute: impl Fn() -> bool) -> bool {
    lookup(&BPSW, *n, || "BPSW".to_owned(), compute)
}

/// Hits and misses of this thread's exponentiation memo so far.
pub fn stats() -> (u64, u64) {
    MODPOW.with_borrow(|t| (t.hits, t.misses))
}

/// Hits and misses of this thread's BPSW memo so far.
pub fn bpsw_stats() -> (u64, u64) {
    BPSW.with_borrow(|t| (t.hits, t.misses))
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

    /// The BPSW table is keyed by the number alone and separate from the exponentiations'.
    #[test]
    fn bpsw_verdicts_are_kept_per_number() {
        let calls = Cell::new(0u32);
        let f = |verdict: bool| {
            let calls = &calls;
            move || {
                calls.set(calls.get() + 1);
                verdict
            }
        };
        let (h0, m0) = bpsw_stats();
        let (eh0, em0) = stats();
        assert!(bpsw(&n(0x61), f(true)));
        assert!(bpsw(&n(0x61), f(false)), "hit");
        assert!(!bpsw(&n(0x63), f(false)), "another number is another entry");
        assert_eq!(calls.get(), 2);
        assert_eq!(bpsw_stats(), (h0 + 1, m0 + 2));
        assert_eq!(stats(), (eh0, em0), "the exponentiation memo is untouched");
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
        assert!(MODPOW.with_borrow(|t| t.entries.len()) <= CAPACITY);
    }
}
