//! `dh_checks` and `pq`: the DH parameter/value checks
//! (<https://core.telegram.org/mtproto/security_guidelines>) and the `pq` factorisation
//! (<https://core.telegram.org/mtproto/auth_key>, step 3) against slow, plainly written models.
//!
//! `dh_checks`, first byte `% 8`:
//!
//! - 0–3, **parameters**: `dh_prime` one of the nine 2048-bit numbers of the DH vectors' table
//!   (`dh_primes.txt`: five safe primes, two primes that are not safe, two composites), a published
//!   safe prime with a few bytes changed, or arbitrary bytes; `g` the lowest that passes the
//!   congruence table, near 2..=7, or arbitrary. The model names the first failure in the
//!   documented order (`PWrongSize` → `GOutOfRange` → `GNotGenerator` → `PNotPrime` →
//!   `PNotSafePrime`) with its own code: the size rule, the `g` congruences (and, on the table's
//!   safe primes, agreement with Euler's criterion `g^((p-1)/2) ≡ 1` — the definition of "g is a
//!   quadratic residue" the congruence table is derived from), and primality: for the table's
//!   numbers the facts [`FACTS`] worked out when the table was written (no proof at run time),
//!   for any other `p` trial division by the primes below 2000 and Miller–Rabin with the first
//!   twelve prime bases on `p` and `(p-1)/2`.
//! - 4–6, **values**: `g_a`/`g_b` near the boundaries that matter (0, 1, 2, p−2, p−1, p, 2^1984,
//!   p−2^1984, with an offset, extra leading zero bytes) or arbitrary; the model compares
//!   big-endian byte strings: `ValueOutOfRange` outside `(1, p−1)`, `ValueUnsafe` outside
//!   `[2^1984, p−2^1984]`, and an accepted value reads back as itself.
//! - 7, **agreement**: for secrets `a`, `b` (16 scripted ones: edge values, leading zero bytes,
//!   hash bytes), `(g^a)^b = (g^b)^a` whenever both public values pass.
//!
//! The published primes are proven once per process and kept in a [`SafePrimeCache`]
//! ("Client can cache good (g, p) pairs"), as is every other prime the reference proves and the
//! model's verdict on every prime outside the table, so a run is not dominated by primality
//! proofs; the verdicts do not depend on this memory. What still costs a proof per input is the
//! reference on a number that is not a safe prime (a prime that is not safe never enters the
//! cache, so each such input runs its BPSW test again) and any new `p` that survives trial
//! division.
//!
//! `pq`: arbitrary 64-bit numbers, big-endian strings of any length, and products of two primes
//! the model makes (next prime above a 32-bit value, by trial division). An accepted split must
//! multiply back, be ordered, and consist of primes below 2^32 (trial division); a refusal must be
//! right whenever the model can decide it (a factor below 2^16 found, or `pq` prime); a model
//! semiprime must be split into exactly its factors.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use crypto_bigint::modular::{FixedMontyForm, FixedMontyParams};
use crypto_bigint::{Odd, U2048};

use mtproto::crypto::dh::{
    self, DhGroup, MARGIN_BITS, PRIME_LEN, SafePrimeCache, TELEGRAM_DH_PRIME,
};
use mtproto::error::{DhError, PqError};
use mtproto::handshake::pq;

/// RFC 3526 §3, the 2048-bit MODP group (a published safe prime, generator 2).
const MODP_2048: &str = "\
FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD\
EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED\
EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F\
83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B\
E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510\
15728E5A8AACAA68FFFFFFFFFFFFFFFF";

/// The 2048-bit numbers of the DH vectors (`name source hex` lines, with their provenance): the
/// parameter inputs' table mode picks one of these.
const DH_PRIMES: &str = include_str!("../../mtproto/tests/data/dh_primes.txt");

/// What is known about each number of [`DH_PRIMES`], by name, worked out when this table was
/// written and not by this crate (sympy 1.14: `isprime(p)`, `isprime((p - 1) / 2)`, and for the
/// safe primes `pow(g, (p - 1) / 2, p) == 1` for g in 2..=7): `p` prime, `p` a safe prime, and
/// bit `g` set when `g` generates the subgroup of order `(p - 1) / 2` (a quadratic residue).
/// So the model needs no primality proof for them; only the reference pays for its own. A unit
/// test re-derives every fact with the model's Miller–Rabin and Euler's criterion.
const FACTS: [(&str, bool, bool, u8); 9] = [
    ("telegram", true, true, 0b1001_1000),
    ("rfc3526_modp2048", true, true, 0b1111_1100),
    ("prime_not_safe", true, false, 0),
    ("prime_1_mod_4", true, false, 0),
    ("composite_rsa", false, false, 0),
    ("q_prime_p_composite", false, false, 0),
    ("openssl_safe_1", true, true, 0b1101_1100),
    ("openssl_safe_2", true, true, 0b1101_1100),
    ("openssl_safe_3", true, true, 0b1111_1100),
];

/// A number of the table with its facts.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Known {
    p: [u8; PRIME_LEN],
    prime: bool,
    safe: bool,
    residues: u8,
}

/// [`DH_PRIMES`] with [`FACTS`], in the facts' order, read once per process.
pub(crate) fn table() -> &'static [Known] {
    static TABLE: OnceLock<Vec<Known>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let numbers: HashMap<&str, &str> = DH_PRIMES
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .filter_map(|l| {
                let mut f = l.split_whitespace();
                Some((f.next()?, f.nth(1)?))
            })
            .collect();
        assert_eq!(numbers.len(), FACTS.len(), "dh_primes.txt and FACTS differ");
        FACTS
            .iter()
            .map(|&(name, prime, safe, residues)| {
                let Some(hex) = numbers.get(name).filter(|h| h.len() == 2 * PRIME_LEN) else {
                    panic!("dh_primes.txt has no 2048-bit number {name}");
                };
                Known {
                    p: hex_2048(hex),
                    prime,
                    safe,
                    residues,
                }
            })
            .collect()
    })
}

/// The table's facts on `p`, if it is one of its numbers.
fn known_facts(p: &[u8]) -> Option<&'static Known> {
    table().iter().find(|k| k.p.as_slice() == p)
}

fn modp_2048() -> [u8; PRIME_LEN] {
    hex_2048(MODP_2048)
}

fn hex_2048(hex: &str) -> [u8; PRIME_LEN] {
    let mut out = [0u8; PRIME_LEN];
    for (o, pair) in out.iter_mut().zip(hex.as_bytes().chunks_exact(2)) {
        let s = core::str::from_utf8(pair).unwrap_or("00");
        *o = u8::from_str_radix(s, 16).unwrap_or(0);
    }
    out
}

/// The published safe primes, each with a generator it admits.
fn known() -> [([u8; PRIME_LEN], i64); 2] {
    [(TELEGRAM_DH_PRIME, 3), (modp_2048(), 2)]
}

/// The published primes proven once: a cache holding both, and their groups.
pub(super) fn proven() -> &'static (SafePrimeCache, Vec<DhGroup>) {
    static PROVEN: OnceLock<(SafePrimeCache, Vec<DhGroup>)> = OnceLock::new();
    PROVEN.get_or_init(|| {
        let mut cache = SafePrimeCache::new();
        let groups = known()
            .iter()
            .map(
                |(p, g)| match dh::check_params(p, *g, &[7; 32], Some(&mut cache)) {
                    Ok(group) => group,
                    Err(e) => panic!("a published safe prime is refused: {e:?}"),
                },
            )
            .collect();
        (cache, groups)
    })
}

/// `dh_checks`.
pub fn dh_checks(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    // Agreement costs four 2048-bit exponentiations: one input in eight.
    match mode % 8 {
        0..=3 => params(rest),
        4..=6 => values(rest),
        _ => agreement(rest),
    }
}

// ---------------------------------------------------------------------------------------------
// The model: big-endian byte strings and plain arithmetic.

/// `x mod m` by long division, one byte at a time.
fn model_mod(be: &[u8], m: u64) -> u64 {
    be.iter().fold(0u64, |r, &b| (r * 256 + u64::from(b)) % m)
}

fn model_congruence(p: &[u8], g: u32) -> bool {
    match g {
        2 => model_mod(p, 8) == 7,
        3 => model_mod(p, 3) == 2,
        4 => true,
        5 => [1, 4].contains(&model_mod(p, 5)),
        6 => [19, 23].contains(&model_mod(p, 24)),
        7 => [3, 5, 6].contains(&model_mod(p, 7)),
        _ => false,
    }
}

fn small_primes_below(n: u64) -> impl Iterator<Item = u64> {
    (2..n).filter(|&k| {
        (2..k)
            .take_while(|d| d * d <= k)
            .all(|d| !k.is_multiple_of(d))
    })
}

/// The primes below 2000, listed once per process.
fn model_small_primes() -> &'static [u64] {
    static PRIMES: OnceLock<Vec<u64>> = OnceLock::new();
    PRIMES.get_or_init(|| small_primes_below(2000).collect())
}

/// Trial division below 2000, then Miller–Rabin with the first twelve prime bases.
fn model_is_prime(n: &U2048) -> bool {
    let be = n.to_be_bytes();
    let be: &[u8] = be.as_ref();
    for &r in model_small_primes() {
        // Every candidate here has 2046 bits or more, so it is never `r` itself.
        if model_mod(be, r) == 0 {
            return false;
        }
    }
    let Some(odd) = Odd::new(*n).into_option() else {
        return false;
    };
    let params = FixedMontyParams::new_vartime(odd);
    let n_minus_1 = n.wrapping_sub(&U2048::ONE);
    let s = n_minus_1.trailing_zeros();
    let d = n_minus_1.shr_vartime(s);
    let one = FixedMontyForm::new(&U2048::ONE, &params);
    let minus_one = FixedMontyForm::new(&n_minus_1, &params);
    'bases: for base in [2u32, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37] {
        let mut x = FixedMontyForm::new(&U2048::from_u32(base), &params).pow_vartime(&d);
        if x == one || x == minus_one {
            continue;
        }
        for _ in 1..s {
            x = x.square();
            if x == minus_one {
                continue 'bases;
            }
        }
        return false;
    }
    true
}

/// Verdicts [`model_primality`] keeps before it starts again.
const MODEL_VERDICTS: usize = 4096;

/// The model's verdict on `p` (`p` prime, `(p-1)/2` prime), remembered per process, keyed by
/// all of `p`: a prime costs 24 exponentiations and a composite that survives trial division
/// one, and the fuzzer offers the same `p` again with another `g` or seed (a mutation of the
/// other bytes). The model is a pure function of `p`, so a remembered verdict is the verdict.
fn model_primality(p: &[u8; PRIME_LEN]) -> (bool, bool) {
    type Verdicts = HashMap<[u8; PRIME_LEN], (bool, bool)>;
    static SEEN: Mutex<Option<Verdicts>> = Mutex::new(None);
    let mut seen = SEEN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let seen = seen.get_or_insert_with(HashMap::new);
    if let Some(v) = seen.get(p) {
        return *v;
    }
    let n = U2048::from_be_slice(p);
    let v = if model_is_prime(&n) {
        (true, model_is_prime(&n.shr_vartime(1)))
    } else {
        (false, false)
    };
    if seen.len() >= MODEL_VERDICTS {
        seen.clear();
    }
    seen.insert(*p, v);
    v
}

fn model_params(p: &[u8], g: i64) -> Result<(), DhError> {
    if p.len() != PRIME_LEN || p[0] & 0x80 == 0 {
        return Err(DhError::PWrongSize { len: p.len() });
    }
    if !(2..=7).contains(&g) {
        return Err(DhError::GOutOfRange { g });
    }
    let g = g as u32;
    if !model_congruence(p, g) {
        return Err(DhError::GNotGenerator { g });
    }
    if let Some(k) = known_facts(p) {
        return match (k.prime, k.safe) {
            (false, _) => Err(DhError::PNotPrime),
            (true, false) => Err(DhError::PNotSafePrime),
            (true, true) => Ok(()),
        };
    }
    let Ok(pb) = <[u8; PRIME_LEN]>::try_from(p) else {
        return Err(DhError::PWrongSize { len: p.len() });
    };
    match model_primality(&pb) {
        (false, _) => Err(DhError::PNotPrime),
        (true, false) => Err(DhError::PNotSafePrime),
        (true, true) => Ok(()),
    }
}

/// Euler's criterion on a safe prime: `g` generates the order-q subgroup iff `g^q ≡ 1 (mod p)`
/// (the unit test that re-derives [`FACTS`]).
#[cfg(test)]
fn euler_criterion(p: &[u8; PRIME_LEN], g: u32) -> bool {
    let n = U2048::from_be_slice(p);
    let Some(odd) = Odd::new(n).into_option() else {
        return false;
    };
    let params = FixedMontyParams::new_vartime(odd);
    let q = n.shr_vartime(1);
    FixedMontyForm::new(&U2048::from_u32(g), &params)
        .pow_vartime(&q)
        .retrieve()
        == U2048::ONE
}

/// `dh_prime`, `g` and the primality seed. The prime selector `psel`: bits 1–3 pick the mode
/// (0–3: the number `psel >> 4` of the [`table`], with its lowest `g` that passes the congruence
/// table; 4: a published safe prime, `psel & 1`, with two bytes changed; 5: the 256 bytes that
/// follow; 6–7: all the bytes that follow), and `gsel % 4` picks `g` (0: the mode's own, 1–2:
/// `g_raw % 10 - 1`, 3: any `i64`).
fn params_input(data: &[u8]) -> Option<(Vec<u8>, i64, [u8; 32])> {
    let (&[psel, gsel, g_raw, pos0, pos1, x0, x1], rest) = data.split_first_chunk::<7>()?;
    let (base, base_g) = known()[usize::from(psel & 1)];
    let (p, own_g): (Vec<u8>, i64) = match psel / 2 % 8 {
        0..=3 => {
            let t = table();
            let k = &t[usize::from(psel >> 4) % t.len()];
            let g = (2..=7).find(|&g| model_congruence(&k.p, g)).unwrap_or(4);
            (k.p.to_vec(), i64::from(g))
        }
        4 => {
            let mut p = base;
            p[usize::from(pos0)] ^= x0;
            p[usize::from(pos1)] ^= x1;
            (p.to_vec(), base_g)
        }
        5 => (rest.get(..PRIME_LEN).unwrap_or(rest).to_vec(), base_g),
        _ => (rest.to_vec(), base_g),
    };
    let g = match gsel % 4 {
        0 => own_g,
        1 | 2 => i64::from(g_raw % 10) - 1,
        _ => i64::from(i8::from_le_bytes([g_raw])) << (gsel / 4 % 40),
    };
    Some((p, g, [gsel ^ psel; 32]))
}

/// What a `dh_checks` input states, for `fuzz-to-vector` (agreement inputs state nothing).
pub(super) fn parts(data: &[u8]) -> Option<crate::layout::Parsed> {
    let (&mode, rest) = data.split_first()?;
    match mode % 8 {
        0..=3 => {
            let (p, g, _) = params_input(rest)?;
            Some(crate::layout::Parsed::DhParams { p, g })
        }
        4..=6 => {
            let (which, value) = values_input(rest)?;
            let (p, g) = known()[which];
            Some(crate::layout::Parsed::DhValue {
                p: p.to_vec(),
                g,
                value,
            })
        }
        _ => None,
    }
}

fn params(data: &[u8]) {
    let Some((p, g, seed)) = params_input(data) else {
        return;
    };
    // One cache for the whole process: a prime is proven once (the verdicts do not depend on
    // it, since only proven primes enter it), then looked up.
    static CACHE: Mutex<Option<SafePrimeCache>> = Mutex::new(None);
    let mut cache = CACHE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let cache = cache.get_or_insert_with(|| proven().0.clone());
    let got = dh::check_params(&p, g, &seed, Some(cache)).map(|group| {
        assert_eq!(group.p().as_slice(), p.as_slice());
        assert_eq!(i64::from(group.g()), g);
    });
    let want = model_params(&p, g);
    assert_eq!(got, want, "check_params and the model disagree (g = {g})");
    // On a safe prime the congruence table says exactly which g generate the subgroup of
    // order (p - 1) / 2.
    if let Some(k) = known_facts(&p).filter(|k| k.safe)
        && let Ok(gi) = u32::try_from(g)
        && (2..=7).contains(&gi)
    {
        assert_eq!(
            dh::g_congruence_holds(&k.p, gi),
            k.residues >> gi & 1 == 1,
            "the congruence table disagrees with Euler's criterion for g = {g}"
        );
    }
}

/// `a - b` for big-endian `a >= b` of the same length.
fn sub_be(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut out = a.to_vec();
    let mut borrow = 0i16;
    for i in (0..a.len()).rev() {
        let d = i16::from(a[i]) - i16::from(b[i]) - borrow;
        borrow = i16::from(d < 0);
        out[i] = (d + 256 * borrow) as u8;
    }
    out
}

/// `x + delta` (delta may be negative) on a 256-byte big-endian value, saturating at 0 and
/// wrapping above 2^2048 (a wrapped value is still just bytes the check must handle).
fn add_small(x: &[u8; PRIME_LEN], delta: i8) -> [u8; PRIME_LEN] {
    let mut out = *x;
    let mut carry = i32::from(delta);
    for i in (0..PRIME_LEN).rev() {
        if carry == 0 {
            break;
        }
        let v = i32::from(out[i]) + carry;
        out[i] = v.rem_euclid(256) as u8;
        carry = v.div_euclid(256);
    }
    out
}

/// Compare big-endian byte strings as numbers (leading zeros ignored).
fn cmp_be(a: &[u8], b: &[u8]) -> core::cmp::Ordering {
    let strip = |x: &[u8]| x[x.iter().position(|&v| v != 0).unwrap_or(x.len())..].to_vec();
    let (a, b) = (strip(a), strip(b));
    a.len().cmp(&b.len()).then_with(|| a.cmp(&b))
}

pub(crate) fn model_value(p: &[u8; PRIME_LEN], v: &[u8]) -> Result<(), DhError> {
    use core::cmp::Ordering::{Greater, Less};
    let one = [1u8];
    let p_minus_1 = add_small(p, -1);
    if cmp_be(v, &one) != Greater || cmp_be(v, &p_minus_1) != Less {
        return Err(DhError::ValueOutOfRange);
    }
    let mut margin = [0u8; PRIME_LEN];
    margin[(2048 - 1 - MARGIN_BITS as usize) / 8] = 1 << (MARGIN_BITS % 8);
    let upper = sub_be(p, &margin);
    if cmp_be(v, &margin) == Less || cmp_be(v, &upper) == Greater {
        return Err(DhError::ValueUnsafe);
    }
    Ok(())
}

/// Which published group (0 Telegram, 1 RFC 3526) and the value a values input checks.
fn values_input(data: &[u8]) -> Option<(usize, Vec<u8>)> {
    let (&[gsel, vsel, delta, zeros], rest) = data.split_first_chunk::<4>()?;
    let which = usize::from(gsel) % 2;
    let p = known()[which].0;
    let mut margin = [0u8; PRIME_LEN];
    margin[(2048 - 1 - MARGIN_BITS as usize) / 8] = 1 << (MARGIN_BITS % 8);
    let upper: [u8; PRIME_LEN] = sub_be(&p, &margin).try_into().unwrap_or([0; PRIME_LEN]);
    let small = |v: u8| {
        let mut x = [0u8; PRIME_LEN];
        x[PRIME_LEN - 1] = v;
        x
    };
    let value: Vec<u8> = match vsel % 8 {
        0 => add_small(&small(1), delta as i8).to_vec(),
        1 => add_small(&p, delta as i8).to_vec(),
        2 => add_small(&margin, delta as i8).to_vec(),
        3 => add_small(&upper, delta as i8).to_vec(),
        4 => rest.get(..PRIME_LEN).unwrap_or(rest).to_vec(),
        _ => rest.to_vec(),
    };
    // Leading zero bytes are allowed and change nothing; dropping them changes nothing either.
    let value: Vec<u8> = match zeros % 4 {
        0 => value,
        1 => {
            let first = value.iter().position(|&b| b != 0).unwrap_or(value.len());
            value[first..].to_vec()
        }
        n => [vec![0u8; usize::from(n)], value].concat(),
    };
    Some((which, value))
}

fn values(data: &[u8]) {
    let Some((which, value)) = values_input(data) else {
        return;
    };
    let group = &proven().1[which];
    let p = *group.p();
    let want = model_value(&p, &value);
    let got = dh::check_value(group, &value);
    assert_eq!(
        got.clone().map(|_| ()),
        want,
        "check_value and the model disagree"
    );
    if let Ok(v) = got {
        assert_eq!(cmp_be(&v.to_bytes(), &value), core::cmp::Ordering::Equal);
    }
    let want_range = match want {
        Err(DhError::ValueUnsafe) => Ok(()),
        other => other,
    };
    assert_eq!(
        dh::check_value_range(group, &value).map(|_| ()),
        want_range,
        "check_value_range and the model disagree"
    );
}

/// Secrets of the agreement mode, picked by a selector byte from 16 (`sel % 16`): 0, 1, 2, all
/// `0xff`, the top bit alone, leading zero bytes (1, 32 or 255 of them) before hash bytes, and
/// eight SHA-256 counter-mode ones. With so few, every exponentiation of this mode is found in the
/// exponentiation memo of a fuzz build once it has been computed.
///
/// Secrets taken from the input's own bytes (the earlier design, for one selector in sixteen)
/// made this mode cost fresh exponentiations on every mutation; worse, with comparison tracing
/// each new secret looked like new coverage inside the constant-time arithmetic, so libFuzzer kept
/// such inputs and kept mutating their secret bytes: half of `dh_checks`' exponentiations missed
/// the memo in a one-minute run, at about 200 inputs a second. Agreement for arbitrary secrets is
/// a property test of the reference instead (`dh_agreement_for_any_secrets` in
/// `harness/mtproto/tests/properties.rs`).
fn agreement_secret(sel: u8) -> [u8; PRIME_LEN] {
    use sha2::{Digest, Sha256};
    let hashed = |k: u8, zeros: usize| {
        let mut out = [0u8; PRIME_LEN];
        for (i, chunk) in out.chunks_mut(32).enumerate() {
            chunk.copy_from_slice(&Sha256::digest([b's', k, i as u8]));
        }
        out[..zeros].fill(0);
        out
    };
    let mut out = [0u8; PRIME_LEN];
    match sel % 16 {
        0 => {}
        1 => out[PRIME_LEN - 1] = 1,
        2 => out[PRIME_LEN - 1] = 2,
        3 => out = [0xff; PRIME_LEN],
        4 => out[0] = 0x80,
        5 => out = hashed(5, 1),
        6 => out = hashed(6, 32),
        7 => out = hashed(7, PRIME_LEN - 1),
        k => out = hashed(k, 0),
    }
    out
}

fn agreement(data: &[u8]) {
    let Some(&[gsel, asel, bsel]) = data.first_chunk::<3>() else {
        return;
    };
    let groups = &proven().1;
    let group = &groups[usize::from(gsel) % groups.len()];
    let (a, b) = (agreement_secret(asel), agreement_secret(bsel));
    let (ga, gb) = (group.pow_g(&a), group.pow_g(&b));
    let (Ok(va), Ok(vb)) = (group.check_value(&ga), group.check_value(&gb)) else {
        return;
    };
    assert_eq!(
        group.pow(&vb, &a),
        group.pow(&va, &b),
        "the two sides of the exchange compute different keys"
    );
}

// ---------------------------------------------------------------------------------------------
// pq

fn model_prime_u64(n: u64) -> bool {
    n >= 2
        && (2..)
            .take_while(|d: &u64| d.saturating_mul(*d) <= n)
            .all(|d| !n.is_multiple_of(d))
}

/// The smallest prime at or above `n`, if it is below 2^32.
fn next_prime(n: u32) -> Option<u32> {
    (n.max(2)..=u32::MAX).find(|&k| model_prime_u64(u64::from(k)))
}

/// Deterministic Miller–Rabin on u128 products, written plainly (bases: first twelve primes).
fn model_mr(n: u64) -> bool {
    if n < 2 {
        return false;
    }
    for p in [2u64, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37] {
        if n.is_multiple_of(p) {
            return n == p;
        }
    }
    let mulmod = |a: u64, b: u64| (u128::from(a) * u128::from(b) % u128::from(n)) as u64;
    let powmod = |mut b: u64, mut e: u64| {
        let mut r = 1u64;
        while e > 0 {
            if e & 1 == 1 {
                r = mulmod(r, b);
            }
            b = mulmod(b, b);
            e >>= 1;
        }
        r
    };
    let s = (n - 1).trailing_zeros();
    let d = (n - 1) >> s;
    'bases: for a in [2u64, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37] {
        let mut x = powmod(a, d);
        if x == 1 || x == n - 1 {
            continue;
        }
        for _ in 1..s {
            x = mulmod(x, x);
            if x == n - 1 {
                continue 'bases;
            }
        }
        return false;
    }
    true
}

/// What the model can say about `pq`: `Some(true)` it splits into two primes below 2^32,
/// `Some(false)` it does not, `None` undecided (no factor below 2^16 and composite).
fn model_splits(pq: u64) -> Option<bool> {
    if pq < 4 {
        return Some(false);
    }
    if let Some(d) = (2..1u64 << 16)
        .take_while(|d| d * d <= pq)
        .find(|d| pq.is_multiple_of(*d))
    {
        let q = pq / d;
        return Some(model_mr(q) && q < 1 << 32);
    }
    if model_mr(pq) {
        return Some(false);
    }
    None
}

/// Two model primes from `[a u32][b u32]`, each shifted right by `mode / 3 % 32` bits and
/// raised to the next prime (`None` past 2^32).
pub(super) fn model_semiprime(mode: u8, rest: &[u8]) -> Option<(u32, u32)> {
    let (&[a0, a1, a2, a3, b0, b1, b2, b3], _) = rest.split_first_chunk::<8>()?;
    let shift = |x: u32| x >> (mode / 3 % 32);
    Some((
        next_prime(shift(u32::from_le_bytes([a0, a1, a2, a3])))?,
        next_prime(shift(u32::from_le_bytes([b0, b1, b2, b3])))?,
    ))
}

/// `pq`.
pub fn pq(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode % 3 {
        0 => {
            // A semiprime the model builds: both factors known.
            let Some((p, q)) = model_semiprime(mode, rest) else {
                return;
            };
            let n = u64::from(p) * u64::from(q);
            assert_eq!(
                pq::factorize(n),
                Ok((p.min(q), p.max(q))),
                "{n} = {p} · {q} not split into its factors"
            );
            let (bp, bq) = (
                pq::minimal_be(p.min(q).into()),
                pq::minimal_be(p.max(q).into()),
            );
            assert_eq!(pq::factorize_be(&n.to_be_bytes()), Ok((bp, bq)));
        }
        1 => {
            let Some((b, _)) = rest.split_first_chunk::<8>() else {
                return;
            };
            check_any(u64::from_le_bytes(*b));
        }
        _ => {
            // As sent on the wire: big-endian, any length.
            let first = rest.iter().position(|&b| b != 0).unwrap_or(rest.len());
            let digits = &rest[first..];
            let got = pq::factorize_be(rest);
            if digits.len() > 8 {
                assert_eq!(
                    got,
                    Err(PqError::NotFactorable),
                    "more than 8 significant bytes"
                );
                return;
            }
            let v = digits.iter().fold(0u64, |a, &b| (a << 8) | u64::from(b));
            let want =
                pq::factorize(v).map(|(p, q)| (pq::minimal_be(p.into()), pq::minimal_be(q.into())));
            assert_eq!(got, want, "factorize_be disagrees with factorize");
            check_any(v);
        }
    }
}

fn check_any(n: u64) {
    match pq::factorize(n) {
        Ok((p, q)) => {
            assert!(p <= q, "{n}: p = {p} > q = {q}");
            assert_eq!(u64::from(p) * u64::from(q), n, "{n} != {p} · {q}");
            assert!(
                model_prime_u64(p.into()) && model_prime_u64(q.into()),
                "{n} = {p} · {q}: a factor is not prime"
            );
        }
        Err(PqError::NotFactorable) => {
            assert_ne!(model_splits(n), Some(true), "{n} splits but was refused");
        }
        // `PqError` is non-exhaustive; `factorize` of a u64 has no other refusal.
        Err(e) => panic!("{n}: factorize refused with {e:?}"),
    }
}

#[cfg(test)]
mod facts_tests {
    use super::*;

    /// Every fact of [`FACTS`] re-derived: primality of `p` and `(p - 1) / 2` with the model's
    /// Miller–Rabin, and the residues with Euler's criterion.
    #[test]
    fn the_table_facts_hold() {
        for (k, (name, ..)) in table().iter().zip(FACTS) {
            let n = U2048::from_be_slice(&k.p);
            let prime = model_is_prime(&n);
            assert_eq!(prime, k.prime, "{name}: p prime");
            assert_eq!(
                prime && model_is_prime(&n.shr_vartime(1)),
                k.safe,
                "{name}: safe"
            );
            let residues = (2..=7u32)
                .filter(|&g| k.safe && euler_criterion(&k.p, g))
                .fold(0u8, |m, g| m | 1 << g);
            assert_eq!(residues, k.residues, "{name}: residues");
        }
    }
}
