//! Factoring `pq` (spec §4 step 3): Pollard–Brent rho over 64-bit Montgomery arithmetic.
//!
//! "pq is a representation of a natural number (in binary big endian format). This number is the
//! product of two different odd prime numbers. Normally, pq is less than or equal to 2^63-1."
//! ([auth]) The client "decomposes pq into prime factors such that p < q". The reference is
//! stricter about what it accepts than the wire is: any `pq` below 2^64, even ones and squares
//! included, is split into two primes `p <= q`, each below 2^32 so that it fits the 4-byte
//! `p`/`q` strings the server expects (Albrecht et al. §7.1: `L(p) = L(q) = 4`). Anything else —
//! a prime, 0 or 1, three or more prime factors, a factor of 2^32 or more, more than 8 bytes —
//! is [`PqError::NotFactorable`].
//!
//! Primality of 64-bit numbers is decided by deterministic Miller–Rabin with the first twelve
//! primes as bases (exact for n < 3.3·10^24).
//!
//! [auth]: https://core.telegram.org/mtproto/auth_key
#![deny(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use crate::error::PqError;

/// Montgomery arithmetic modulo an odd `n < 2^64`, with R = 2^64.
#[derive(Clone, Copy, Debug)]
struct Monty {
    n: u64,
    /// `-n^-1 mod 2^64`.
    n_neg_inv: u64,
    /// `R^2 mod n`.
    r2: u64,
}

impl Monty {
    fn new(n: u64) -> Self {
        // Newton iteration for n^-1 mod 2^64 (n odd): 6 steps double 1 correct bit to 64.
        let mut inv: u64 = 1;
        for _ in 0..6 {
            inv = inv.wrapping_mul(2u64.wrapping_sub(n.wrapping_mul(inv)));
        }
        let n128 = u128::from(n);
        // R mod n, then R^2 mod n.
        let r = (u128::from(u64::MAX).wrapping_add(1))
            .checked_rem(n128)
            .unwrap_or(0);
        let r2 = r.wrapping_mul(r).checked_rem(n128).unwrap_or(0);
        Self {
            n,
            n_neg_inv: inv.wrapping_neg(),
            r2: u64::try_from(r2).unwrap_or(0),
        }
    }

    /// `a * b * R^-1 mod n` for `a, b < n` (REDC). The low halves of `t` and `m·n` cancel, so
    /// the sum's high half is `t_hi + mn_hi + (t_lo != 0)`, below `2n`; one conditional
    /// subtraction finishes. The truncating casts take low halves on purpose.
    #[inline(always)]
    #[allow(clippy::cast_possible_truncation)]
    fn mul(&self, a: u64, b: u64) -> u64 {
        let t = u128::from(a).wrapping_mul(u128::from(b));
        let t_lo = t as u64;
        let m = t_lo.wrapping_mul(self.n_neg_inv);
        let mn = u128::from(m).wrapping_mul(u128::from(self.n));
        let u = (t >> 64)
            .wrapping_add(mn >> 64)
            .wrapping_add(u128::from(t_lo != 0));
        let n = u128::from(self.n);
        (if u >= n { u.wrapping_sub(n) } else { u }) as u64
    }

    fn enter(&self, a: u64) -> u64 {
        self.mul(a.checked_rem(self.n).unwrap_or(0), self.r2)
    }

    #[inline(always)]
    fn add(&self, a: u64, b: u64) -> u64 {
        let (s, c) = a.overflowing_add(b);
        if c || s >= self.n {
            s.wrapping_sub(self.n)
        } else {
            s
        }
    }

    fn pow(&self, base: u64, mut e: u64) -> u64 {
        let mut result = self.enter(1);
        let mut b = self.enter(base);
        while e != 0 {
            if e & 1 == 1 {
                result = self.mul(result, b);
            }
            b = self.mul(b, b);
            e >>= 1;
        }
        result
    }
}

/// Deterministic primality for `n < 2^64` (Miller–Rabin, bases = the first 12 primes).
pub fn is_prime_u64(n: u64) -> bool {
    const BASES: [u64; 12] = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37];
    if n < 2 {
        return false;
    }
    for p in BASES {
        if n == p {
            return true;
        }
        if n.checked_rem(p) == Some(0) {
            return false;
        }
    }
    let m = Monty::new(n);
    let n1 = n.wrapping_sub(1);
    let s = n1.trailing_zeros();
    let d = n1 >> s;
    let one = m.enter(1);
    let minus_one = m.enter(n1);
    'bases: for a in BASES {
        let mut x = m.pow(a, d);
        if x == one || x == minus_one {
            continue;
        }
        for _ in 1..s {
            x = m.mul(x, x);
            if x == minus_one {
                continue 'bases;
            }
        }
        return false;
    }
    true
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    if a == 0 {
        return b;
    }
    if b == 0 {
        return a;
    }
    let shift = (a | b).trailing_zeros();
    a >>= a.trailing_zeros();
    loop {
        b >>= b.trailing_zeros();
        if a > b {
            core::mem::swap(&mut a, &mut b);
        }
        b = b.wrapping_sub(a);
        if b == 0 {
            return a << shift;
        }
    }
}

/// A non-trivial factor of an odd composite `n`, by Brent's variant of Pollard's rho
/// (R. P. Brent, "An improved Monte Carlo factorization algorithm", BIT 20, 1980) with
/// batched gcds. `None` only if every tried constant failed (not seen for odd composites).
fn brent(n: u64) -> Option<u64> {
    const BATCH: u64 = 128;
    let m = Monty::new(n);
    for c in 1..64u64 {
        let c = m.enter(c);
        let f = |x: u64| m.add(m.mul(x, x), c);
        let mut y = m.enter(2);
        let mut x = y;
        let mut ys = y;
        let mut q = m.enter(1);
        let mut g = 1u64;
        let mut r = 1u64;
        while g == 1 {
            x = y;
            for _ in 0..r {
                y = f(y);
            }
            let mut k = 0u64;
            while k < r && g == 1 {
                ys = y;
                let steps = BATCH.min(r.wrapping_sub(k));
                for _ in 0..steps {
                    y = f(y);
                    q = m.mul(q, x.abs_diff(y));
                }
                g = gcd(q, n);
                k = k.wrapping_add(steps);
            }
            r = r.saturating_mul(2);
            if r > 1 << 40 {
                break;
            }
        }
        if g == n {
            // The batch overshot: step one at a time from the saved point.
            loop {
                ys = f(ys);
                g = gcd(x.abs_diff(ys), n);
                if g != 1 {
                    break;
                }
            }
        }
        if g != n && g != 1 {
            return Some(g);
        }
    }
    None
}

/// Split `pq` into exactly two primes `p <= q` of any size, or `None` (a prime, 0 or 1, three
/// or more prime factors). This is the mathematical part of spec §4 step 3; [`factorize`] adds
/// the server's rule that `p` and `q` are 4-byte strings.
pub fn split_two_primes(pq: u64) -> Option<(u64, u64)> {
    let split = |p: u64| -> Option<(u64, u64)> {
        let q = pq.checked_div(p)?;
        let (p, q) = (p.min(q), p.max(q));
        (is_prime_u64(p) && is_prime_u64(q)).then_some((p, q))
    };
    if pq < 4 || is_prime_u64(pq) {
        return None;
    }
    if pq & 1 == 0 {
        return split(2);
    }
    // Squares: rho would find p = sqrt(pq) too, but an exact root is cheaper and certain.
    let r = isqrt(pq);
    if r.checked_mul(r) == Some(pq) {
        return split(r);
    }
    brent(pq).and_then(split)
}

/// Split `pq` into primes `(p, q)` with `p <= q < 2^32` (spec §4 step 3): [`split_two_primes`],
/// then both factors must fit the 4-byte `p`/`q` strings of `req_DH_params`.
pub fn factorize(pq: u64) -> Result<(u32, u32), PqError> {
    let (p, q) = split_two_primes(pq).ok_or(PqError::NotFactorable)?;
    Ok((
        u32::try_from(p).map_err(|_| PqError::NotFactorable)?,
        u32::try_from(q).map_err(|_| PqError::NotFactorable)?,
    ))
}

/// Floor square root: a float estimate, corrected exactly with integer arithmetic.
#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_precision_loss,
    clippy::cast_sign_loss
)]
fn isqrt(n: u64) -> u64 {
    let mut r = (n as f64).sqrt() as u64;
    while r.checked_mul(r).is_none_or(|sq| sq > n) {
        r = r.wrapping_sub(1);
    }
    while r
        .checked_add(1)
        .and_then(|r1| r1.checked_mul(r1))
        .is_some_and(|sq| sq <= n)
    {
        r = r.wrapping_add(1);
    }
    r
}

/// [`factorize`] for `pq` as sent on the wire: big-endian, at most 8 significant bytes. Returns
/// `p` and `q` as the 4-byte big-endian strings `req_DH_params` carries (leading zero bytes
/// dropped, as TDLib and the official sample do: "p and q are big-endian, without leading zero
/// bytes").
pub fn factorize_be(pq: &[u8]) -> Result<(Vec<u8>, Vec<u8>), PqError> {
    let first = pq.iter().position(|&b| b != 0).unwrap_or(pq.len());
    let digits = pq.get(first..).unwrap_or(&[]);
    if digits.len() > 8 {
        return Err(PqError::NotFactorable);
    }
    let v = digits
        .iter()
        .fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
    let (p, q) = factorize(v)?;
    Ok((minimal_be(u64::from(p)), minimal_be(u64::from(q))))
}

/// `v` as big-endian bytes without leading zeros.
pub fn minimal_be(v: u64) -> Vec<u8> {
    let bytes = v.to_be_bytes();
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    bytes.get(first..).unwrap_or(&[]).to_vec()
}
