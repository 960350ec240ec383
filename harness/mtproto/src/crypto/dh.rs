//! Diffie–Hellman parameter and value checks, and the modular exponentiations of the key
//! exchange (<https://core.telegram.org/mtproto/security_guidelines>).
//!
//! "Client is expected to check whether p is a safe 2048-bit prime (meaning that both p and
//! (p-1)/2 are prime, and that 2^2047 < p < 2^2048), and that g generates a cyclic subgroup of
//! prime order (p-1)/2, i.e. is a quadratic residue mod p." ([auth], [sec])
//!
//! "both sides are to check that g, g_a and g_b are greater than 1 and less than p-1. We
//! recommend checking that g_a and g_b are between 2^{2048-64} and p - 2^{2048-64} as well."
//! ([auth]) The margin is enforced by default ([`check_value`]), as TDLib does
//! (`DhHandshake::dh_check`); [`check_value_range`] applies only the mandatory part.
//!
//! # Order of the parameter checks
//!
//! [`check_params`] names the first failure in this order, so vectors stay deterministic:
//! `PWrongSize` → `GOutOfRange` → `GNotGenerator` → `PNotPrime` → `PNotSafePrime`.
//!
//! # Primality against an adversarial `p`
//!
//! A malicious server chooses `p`, so a test that only resists random inputs is not enough
//! (fixed-base Miller–Rabin has known composites that pass). [`check_params`] proves `p` prime
//! from the primality of `q = (p - 1) / 2`, and tests `q` with:
//!
//! 1. trial division by the odd primes below 1000 (of `p` and, through `p mod r == 1`, of `q`);
//! 2. BPSW: a strong Miller–Rabin test to base 2 and a strong Lucas test with Selfridge's
//!    parameters (Baillie–Wagstaff 1980; no BPSW pseudoprime is known);
//! 3. [`RANDOM_BASE_ROUNDS`] Miller–Rabin rounds with bases derived from a caller-supplied
//!    32-byte random seed, so a `q` built to fool a fixed procedure still meets bases it cannot
//!    predict (each round passes a composite with probability at most 1/4).
//!
//! Given `q` prime, `p = 2q + 1` is prime **iff** `2^(p-1) ≡ 1 (mod p)`: Pocklington's criterion
//! with the prime factor `q > sqrt(p) - 1` of `p - 1` and witness 2 needs `gcd(2^2 - 1, p) = 1`,
//! which holds because `q` prime and `> 3` forces `p mod 3 = 2`. So one Fermat test proves `p`
//! from `q`; no second probabilistic test is needed. When `q` fails, `p` gets a BPSW test only
//! to choose between `PNotPrime` and `PNotSafePrime`.
//!
//! A verified prime can be remembered in a caller-owned [`SafePrimeCache`] ("Client can cache
//! good (g, p) pairs" — [sec]); the `g` congruence is still checked on every call (from the
//! cached `p mod 840`).
//!
//! # Constant time
//!
//! Exponentiations with a secret exponent ([`DhGroup::pow_g`], [`DhGroup::pow`]) use
//! crypto-bigint's constant-time fixed-window exponentiation (`pow_amm`: 4-bit windows, every
//! table entry read at each window, almost-Montgomery products with one constant-time final
//! reduction). Everything about `p`, `g` and the public values is public, so the checks are
//! variable-time, and the primality functions say so in their names.
//!
//! [auth]: https://core.telegram.org/mtproto/auth_key
//! [sec]: https://core.telegram.org/mtproto/security_guidelines
#![deny(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use core::cmp::Ordering;

use crypto_bigint::modular::{FixedMontyForm, FixedMontyParams};
use crypto_bigint::{Odd, U2048};
use crypto_primes::hazmat::{LucasCheck, MillerRabin, Primality, SelfridgeBase, lucas_test};
use sha2::{Digest, Sha256};
use zeroize::Zeroize;

use crate::error::DhError;

/// Bytes in `dh_prime`, `g_a`, `g_b` and the auth key.
pub const PRIME_LEN: usize = 256;

/// Miller–Rabin rounds with caller-random bases, on top of BPSW, for `(p - 1) / 2`.
pub const RANDOM_BASE_ROUNDS: usize = 2;

/// The margin exponent: values must lie in `[2^(2048-64), p - 2^(2048-64)]`.
pub const MARGIN_BITS: u32 = 2048 - 64;

type Params = FixedMontyParams<{ U2048::LIMBS }>;
type Monty = FixedMontyForm<{ U2048::LIMBS }>;

/// Odd primes below 1000, for trial division.
const SMALL_PRIMES: [u32; 167] = small_primes();

/// Only evaluated in a constant: an out-of-bounds index is a compile error, never a panic.
#[allow(clippy::indexing_slicing)]
const fn small_primes() -> [u32; 167] {
    let mut out = [0u32; 167];
    let mut n: u32 = 3;
    let mut k: usize = 0;
    while k < out.len() {
        let mut d: u32 = 3;
        let mut prime = true;
        while d.saturating_mul(d) <= n {
            if let Some(0) = n.checked_rem(d) {
                prime = false;
                break;
            }
            d = d.saturating_add(2);
        }
        if prime {
            out[k] = n;
            k = k.saturating_add(1);
        }
        n = n.saturating_add(2);
    }
    out
}

/// `x mod m` for a big-endian byte string and a small non-zero `m`.
fn mod_small(be: &[u8], m: u32) -> u32 {
    let m = u64::from(m.max(1));
    let mut r: u64 = 0;
    for &b in be {
        r = ((r << 8) | u64::from(b)).checked_rem(m).unwrap_or(0);
    }
    u32::try_from(r).unwrap_or(0)
}

/// `g`'s congruence on `p` (the table of [sec], identical in [auth] and TDLib
/// `DhHandshake::check_config`): "g = 2: p mod 8 = 7; g = 3: p mod 3 = 2; g = 4: no extra
/// condition; g = 5: p mod 5 = 1 or 4; g = 6: p mod 24 = 19 or 23; g = 7: p mod 7 = 3, 5 or 6."
///
/// [sec]: https://core.telegram.org/mtproto/security_guidelines
/// [auth]: https://core.telegram.org/mtproto/auth_key
pub fn g_congruence_holds(p_be: &[u8], g: u32) -> bool {
    congruence_holds_mod_840(mod_small(p_be, 840), g)
}

/// [`g_congruence_holds`] from `p mod 840` (each modulus of the table divides 840).
fn congruence_holds_mod_840(r: u32, g: u32) -> bool {
    let m = |k: u32| r.checked_rem(k).unwrap_or(u32::MAX);
    match g {
        2 => m(8) == 7,
        3 => m(3) == 2,
        4 => true,
        5 => matches!(m(5), 1 | 4),
        6 => matches!(m(24), 19 | 23),
        7 => matches!(m(7), 3 | 5 | 6),
        _ => false,
    }
}

/// A caller-owned memory of primes already proven safe, so a repeated `dh_prime` costs a lookup
/// instead of a primality test. Holds at most [`SafePrimeCache::CAPACITY`] primes; the oldest is
/// forgotten first. Only primes that passed every test are ever inserted.
///
/// Each entry keeps what [`DhGroup`] needs beside the bytes (the Montgomery parameters of `p` and
/// `p mod 840`, which decides every `g` congruence), so a cache hit does no arithmetic on `p`.
#[derive(Clone, Debug, Default)]
pub struct SafePrimeCache {
    primes: Vec<Prime>,
}

impl SafePrimeCache {
    /// Primes remembered at most.
    pub const CAPACITY: usize = 8;

    /// An empty cache.
    pub const fn new() -> Self {
        Self { primes: Vec::new() }
    }

    /// Whether `p` was proven a safe prime before.
    pub fn contains(&self, p: &[u8; PRIME_LEN]) -> bool {
        self.get(p).is_some()
    }

    fn get(&self, p: &[u8; PRIME_LEN]) -> Option<&Prime> {
        self.primes.iter().find(|k| k.bytes == *p)
    }

    /// How many primes are remembered.
    pub fn len(&self) -> usize {
        self.primes.len()
    }

    /// Whether nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.primes.is_empty()
    }

    fn insert(&mut self, p: Prime) {
        if self.contains(&p.bytes) {
            return;
        }
        if self.primes.len() >= Self::CAPACITY {
            self.primes.remove(0);
        }
        self.primes.push(p);
    }
}

/// A 2048-bit odd `p` with what the group operations and the `g` congruence need, computed once.
#[derive(Clone, Debug)]
struct Prime {
    bytes: [u8; PRIME_LEN],
    value: U2048,
    minus_one: U2048,
    /// `p mod 840`: 840 = lcm(8, 3, 5, 24, 7), the moduli of the `g` congruences.
    mod_840: u32,
    params: Params,
}

impl Prime {
    fn new(bytes: [u8; PRIME_LEN], mod_840: u32) -> Result<Self, DhError> {
        let value = u2048_from_bytes(&bytes);
        // A proven prime is odd; an even p never gets here.
        let odd = Odd::new(value).into_option().ok_or(DhError::PNotPrime)?;
        Ok(Self {
            bytes,
            value,
            minus_one: value.wrapping_sub(&U2048::ONE),
            mod_840,
            params: Params::new_vartime(odd),
        })
    }
}

/// Checked DH parameters: `p` a 2048-bit safe prime and `g` a generator of the order-`q`
/// subgroup. Only [`check_params`] makes one, so holding a `DhGroup` proves the checks ran
/// (a typestate: the token the next step needs).
#[derive(Clone, Debug)]
pub struct DhGroup {
    prime: Prime,
    g: u32,
}

/// A `g_a`/`g_b` that passed [`check_value`] (or [`check_value_range`]) against a group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DhValue(U2048);

impl DhValue {
    /// The value as 256 big-endian bytes.
    pub fn to_bytes(&self) -> [u8; PRIME_LEN] {
        u2048_to_bytes(&self.0)
    }
}

fn u2048_to_bytes(v: &U2048) -> [u8; PRIME_LEN] {
    let mut out = [0u8; PRIME_LEN];
    out.copy_from_slice(v.to_be_bytes().as_ref());
    out
}

fn u2048_from_bytes(b: &[u8; PRIME_LEN]) -> U2048 {
    U2048::from_be_slice(b)
}

/// A big-endian value of at most 256 significant bytes, left-padded; `None` if longer.
fn be_to_u2048(be: &[u8]) -> Option<U2048> {
    let first = be.iter().position(|&b| b != 0).unwrap_or(be.len());
    let digits = be.get(first..)?;
    let mut buf = [0u8; PRIME_LEN];
    let start = PRIME_LEN.checked_sub(digits.len())?;
    buf.get_mut(start..)?.copy_from_slice(digits);
    Some(u2048_from_bytes(&buf))
}

/// Miller–Rabin bases from the caller's seed: `SHA-256(seed ‖ "mtproto-dh-mr" ‖ round ‖ block)`
/// for 8 blocks, top byte cleared (so the base is below 2^2040 < q - 2) and raised to at least 2.
fn random_base(seed: &[u8; 32], round: usize) -> U2048 {
    let mut buf = [0u8; PRIME_LEN];
    for (block, chunk) in buf.chunks_exact_mut(32).enumerate() {
        let d = Sha256::new()
            .chain_update(seed)
            .chain_update(b"mtproto-dh-mr")
            .chain_update(u64::try_from(round).unwrap_or(u64::MAX).to_le_bytes())
            .chain_update(u64::try_from(block).unwrap_or(u64::MAX).to_le_bytes())
            .finalize();
        chunk.copy_from_slice(&d);
    }
    if let Some(top) = buf.first_mut() {
        *top = 0;
    }
    let b = u2048_from_bytes(&buf);
    buf.zeroize();
    if b.cmp_vartime(&U2048::from_u8(2)) == Ordering::Less {
        U2048::from_u8(2)
    } else {
        b
    }
}

/// BPSW (strong base-2 Miller–Rabin and strong Lucas with Selfridge parameters) on an odd `n`.
/// Variable-time: `n` is public.
pub fn bpsw_vartime(n: &U2048) -> bool {
    let computed = || bpsw_vartime_computed(n);
    // Fuzz builds only: a memo keyed by n (`fuzzing::memo`).
    #[cfg(fuzzing)]
    let computed = || crate::fuzzing::memo::bpsw(&u2048_to_bytes(n), computed);
    computed()
}

fn bpsw_vartime_computed(n: &U2048) -> bool {
    let Some(odd) = Odd::new(*n).into_option() else {
        return false;
    };
    if MillerRabin::new(odd).test_base_two() == Primality::Composite {
        return false;
    }
    lucas_test(odd, SelfridgeBase, LucasCheck::Strong) != Primality::Composite
}

/// The safe-prime test described in the module docs: `Ok` if `p` (2048-bit, big-endian) is a
/// safe prime, else `PNotPrime` or `PNotSafePrime`. Variable-time (`p` is public); `seed` must be
/// fresh random bytes the party that chose `p` cannot predict.
pub fn check_safe_prime_vartime(p_be: &[u8; PRIME_LEN], seed: &[u8; 32]) -> Result<(), DhError> {
    let p = u2048_from_bytes(p_be);
    if mutant!(SkipSafePrime) {
        // p's own primality only; q is never looked at.
        let odd = p_be.last().is_some_and(|&b| b & 1 == 1);
        return if odd && bpsw_vartime(&p) {
            Ok(())
        } else {
            Err(DhError::PNotPrime)
        };
    }
    let q = p.shr_vartime(1);
    // q composite: name the error by p's own primality.
    let q_composite = || {
        if bpsw_vartime(&p) {
            Err(DhError::PNotSafePrime)
        } else {
            Err(DhError::PNotPrime)
        }
    };
    if p_be.last().is_none_or(|&b| b & 1 == 0) {
        return Err(DhError::PNotPrime);
    }
    // Trial division: r | p ⇒ p composite; p ≡ 1 (mod r) ⇔ r | q ⇒ q composite (p, q > 1000).
    // First, so that a `p` with a small factor is named `PNotPrime` here, without the BPSW test
    // `q_composite` runs on `p` (the verdict is the same: such a `p` never passes BPSW).
    let mut q_divisible = false;
    for &r in &SMALL_PRIMES {
        match mod_small(p_be, r) {
            0 => return Err(DhError::PNotPrime),
            1 => q_divisible = true,
            _ => {}
        }
    }
    // p ≡ 1 (mod 4) ⇒ q even.
    if q_divisible || mod_small(p_be, 4) != 3 {
        return q_composite();
    }
    let Some(q_odd) = Odd::new(q).into_option() else {
        return q_composite();
    };
    let mr = MillerRabin::new(q_odd);
    if mr.test_base_two() == Primality::Composite {
        return q_composite();
    }
    // Pocklington: with q prime, p is prime iff 2^(p-1) ≡ 1 (mod p). A failure proves p composite.
    let Some(p_odd) = Odd::new(p).into_option() else {
        return Err(DhError::PNotPrime);
    };
    let params = Params::new_vartime(p_odd);
    let two = Monty::new(&U2048::from_u8(2), &params);
    let p_minus_one = p.wrapping_sub(&U2048::ONE);
    if two.pow_vartime(&p_minus_one).retrieve() != U2048::ONE {
        return Err(DhError::PNotPrime);
    }
    if lucas_test(q_odd, SelfridgeBase, LucasCheck::Strong) == Primality::Composite {
        return q_composite();
    }
    for round in 0..RANDOM_BASE_ROUNDS {
        if mr.test(&random_base(seed, round)) == Primality::Composite {
            return q_composite();
        }
    }
    Ok(())
}

/// Check `(p, g)` (core.telegram.org/mtproto/security_guidelines) and return the checked group.
///
/// `p` is `dh_prime` as sent: exactly 256 big-endian bytes with the top bit set
/// ("2^2047 < p < 2^2048"; a longer encoding with leading zeros is refused). `g` must be in
/// 2..=7 and satisfy its congruence; `p` must be a safe prime. `seed` is 32 fresh random bytes
/// for the random-base Miller–Rabin rounds. `cache`, if given, is consulted before and updated
/// after the primality test.
pub fn check_params(
    p: &[u8],
    g: i64,
    seed: &[u8; 32],
    cache: Option<&mut SafePrimeCache>,
) -> Result<DhGroup, DhError> {
    let p_bytes = <[u8; PRIME_LEN]>::try_from(p)
        .ok()
        .filter(|b| b.first().is_some_and(|&top| top & 0x80 != 0))
        .ok_or(DhError::PWrongSize { len: p.len() })?;
    let g = u32::try_from(g)
        .ok()
        .filter(|g| (2..=7).contains(g))
        .ok_or(DhError::GOutOfRange { g })?;
    let cached = cache.as_deref().and_then(|c| c.get(&p_bytes)).cloned();
    let mod_840 = cached
        .as_ref()
        .map_or_else(|| mod_small(&p_bytes, 840), |k| k.mod_840);
    if !congruence_holds_mod_840(mod_840, g) && !mutant!(SkipGGenerator) {
        return Err(DhError::GNotGenerator { g });
    }
    let prime = match cached {
        Some(prime) => prime,
        None => {
            check_safe_prime_vartime(&p_bytes, seed)?;
            let prime = Prime::new(p_bytes, mod_840)?;
            if let Some(cache) = cache {
                cache.insert(prime.clone());
            }
            prime
        }
    };
    Ok(DhGroup { prime, g })
}

impl DhGroup {
    /// `p` as 256 big-endian bytes.
    pub fn p(&self) -> &[u8; PRIME_LEN] {
        &self.prime.bytes
    }

    /// `g`.
    pub fn g(&self) -> u32 {
        self.g
    }

    /// `g^secret mod p` in constant time (with respect to `secret`), checked like a peer's value
    /// would be. `secret` is 256 big-endian bytes (`a` or `b`).
    pub fn pow_g(&self, secret: &[u8; PRIME_LEN]) -> [u8; PRIME_LEN] {
        self.pow_u2048(&U2048::from_u32(self.g), secret)
    }

    /// `value^secret mod p` in constant time (with respect to `secret` and `value`), as 256
    /// big-endian bytes with leading zeros kept: the auth key.
    pub fn pow(&self, value: &DhValue, secret: &[u8; PRIME_LEN]) -> [u8; PRIME_LEN] {
        self.pow_u2048(&value.0, secret)
    }

    fn pow_u2048(&self, base: &U2048, secret: &[u8; PRIME_LEN]) -> [u8; PRIME_LEN] {
        let computed = || self.pow_u2048_computed(base, secret);
        // Fuzz builds only: a memo keyed by p, the base and the secret (`fuzzing::memo`).
        #[cfg(fuzzing)]
        let computed = || {
            crate::fuzzing::memo::modpow(
                crate::fuzzing::memo::Op::Dh,
                &self.prime.bytes,
                &u2048_to_bytes(base),
                secret,
                computed,
            )
        };
        computed()
    }

    fn pow_u2048_computed(&self, base: &U2048, secret: &[u8; PRIME_LEN]) -> [u8; PRIME_LEN] {
        let mut exp = u2048_from_bytes(secret);
        // Almost Montgomery Multiplication: no conditional subtraction per product (one at the
        // end), the same fixed-window, constant-time table lookup as `pow`, about 9% faster.
        let r = Monty::new(base, &self.prime.params)
            .pow_amm(&exp)
            .retrieve();
        exp.zeroize();
        u2048_to_bytes(&r)
    }

    /// [`check_value`] against this group.
    pub fn check_value(&self, value: &[u8]) -> Result<DhValue, DhError> {
        check_value(self, value)
    }
}

/// The mandatory range check: "g, g_a and g_b are greater than 1 and less than p-1" ([auth]).
/// `value` is big-endian; leading zero bytes are allowed.
///
/// [auth]: https://core.telegram.org/mtproto/auth_key
pub fn check_value_range(group: &DhGroup, value: &[u8]) -> Result<DhValue, DhError> {
    let v = be_to_u2048(value).ok_or(DhError::ValueOutOfRange)?;
    if mutant!(SkipDhRange) {
        return Ok(DhValue(v));
    }
    if v.cmp_vartime(&U2048::ONE) != Ordering::Greater
        || v.cmp_vartime(&group.prime.minus_one) != Ordering::Less
    {
        return Err(DhError::ValueOutOfRange);
    }
    Ok(DhValue(v))
}

/// The range check and the margin: "We recommend checking that g_a and g_b are between
/// 2^{2048-64} and p - 2^{2048-64} as well" ([auth]); enforced here as TDLib does
/// (`DhHandshake::dh_check`, bounds inclusive). A value in `(1, p - 1)` but outside the margin
/// is `ValueUnsafe`.
///
/// [auth]: https://core.telegram.org/mtproto/auth_key
pub fn check_value(group: &DhGroup, value: &[u8]) -> Result<DhValue, DhError> {
    let v = check_value_range(group, value)?;
    if mutant!(SkipDhMargin | SkipDhRange) {
        return Ok(v);
    }
    let margin = U2048::ONE.shl_vartime(MARGIN_BITS);
    let upper = group.prime.value.wrapping_sub(&margin);
    if v.0.cmp_vartime(&margin) == Ordering::Less || v.0.cmp_vartime(&upper) == Ordering::Greater {
        return Err(DhError::ValueUnsafe);
    }
    Ok(v)
}

/// The current production `dh_prime` (the official sample uses it with g = 3).
pub const TELEGRAM_DH_PRIME: [u8; PRIME_LEN] = hex256(
    b"c71caeb9c6b1c9048e6c522f70f13f73980d40238e3e21c14934d037563d930f\
      48198a0aa7c14058229493d22530f4dbfa336f6e0ac925139543aed44cce7c37\
      20fd51f69458705ac68cd4fe6b6b13abdc9746512969328454f18faf8c595f64\
      2477fe96bb2a941d5bcd1d4ac8cc49880708fa9b378e3c4f3a9060bee67cf9a4\
      a4a695811051907e162753b56b0f6b410dba74d8a84b2a14b3144e0ef1284754\
      fd17ed950d5965b4b9dd46582db1178d169c6bc465b0d6ff9ca3928fef5b9ae4\
      e418fc15e83ebea0f87fa9ff5eed70050ded2849f47bf959d956850ce929851f\
      0d8115f635b105ee2e4e15d04b2454bf6f4fadf034b10403119cd8e3b92fcc5b",
);

/// Decode 512 lowercase hex digits at compile time, skipping whitespace. Only ever evaluated in a
/// constant, where an out-of-bounds index is a compile error, never a runtime panic.
#[allow(clippy::indexing_slicing)]
const fn hex256(s: &[u8]) -> [u8; PRIME_LEN] {
    let mut out = [0u8; PRIME_LEN];
    let mut i = 0usize;
    let mut n = 0usize;
    while i < s.len() {
        let c = s[i];
        i = i.saturating_add(1);
        let v = match c {
            b'0'..=b'9' => c.wrapping_sub(b'0'),
            b'a'..=b'f' => c.wrapping_sub(b'a').wrapping_add(10),
            _ => continue,
        };
        let byte = n / 2;
        if byte < PRIME_LEN {
            if n.is_multiple_of(2) {
                out[byte] = v << 4;
            } else {
                out[byte] |= v;
            }
        }
        n = n.saturating_add(1);
    }
    out
}
