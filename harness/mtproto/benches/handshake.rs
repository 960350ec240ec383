//! Handshake and DH timings against the issue-4 targets, with the peers measured in the same run.
//!
//! `cargo bench -p mtproto --bench handshake` prints a Markdown table: the median (and minimum)
//! of repeated runs of each operation. A plain timing loop rather than criterion: the operations
//! take milliseconds and the medians are what the targets are stated in.
//!
//! | row | target |
//! |---|---|
//! | safe-prime check of a 2048-bit p, cold | <= 80 ms |
//! | same, cached | < 1 µs |
//! | client handshake compute (RSA_PAD, pq, both modexps, all hashing; prime cached) | <= 20 ms |
//! | pq, median over random 63-bit products | <= 0.5 ms (grammers ≈ 1.25 ms) |
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use crypto_bigint::U2048;
use crypto_primes::Flavor;
use mtproto::crypto::dh::{self, SafePrimeCache, TELEGRAM_DH_PRIME};
use mtproto::crypto::rsa_pad::RsaPrivateKey;
use mtproto::handshake::client::{self, ClientDhRandom, KeyKind, ReqDhRandom};
use mtproto::handshake::pq::{factorize, is_prime_u64};
use mtproto::handshake::server::{self, ResPqRandom, ServerDhRandom};

fn time<T>(runs: usize, mut f: impl FnMut(usize) -> T) -> (Duration, Duration) {
    let mut v: Vec<Duration> = (0..runs)
        .map(|i| {
            let t = Instant::now();
            black_box(f(i));
            t.elapsed()
        })
        .collect();
    v.sort();
    (v[v.len() / 2], v[0])
}

fn fmt(d: Duration) -> String {
    let ns = d.as_nanos();
    if ns < 10_000 {
        format!("{ns} ns")
    } else if ns < 10_000_000 {
        format!("{:.3} ms", ns as f64 / 1e6)
    } else {
        format!("{:.1} ms", ns as f64 / 1e6)
    }
}

/// xorshift64*: deterministic inputs for the pq run.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn prime_31(&mut self) -> u64 {
        let mut n = (1 << 30) | (self.next() >> 34) | 1;
        while !is_prime_u64(n) {
            n += 2;
        }
        n
    }
}

fn main() {
    let mut rows: Vec<(String, Duration, Duration, &str)> = Vec::new();
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let want = |name: &str| filter.is_empty() || filter.iter().any(|f| name.contains(f.as_str()));

    if want("prime") {
        let seed = [7u8; 32];
        let (m, lo) = time(15, |_| {
            dh::check_params(&TELEGRAM_DH_PRIME, 3, &seed, None).unwrap()
        });
        rows.push((
            "safe-prime check, cold (reference: BPSW + 2 random MR on q, Fermat on p)".into(),
            m,
            lo,
            "<= 80 ms",
        ));
        let mut cache = SafePrimeCache::new();
        dh::check_params(&TELEGRAM_DH_PRIME, 3, &seed, Some(&mut cache)).unwrap();
        let (m, lo) = time(2000, |_| {
            dh::check_params(&TELEGRAM_DH_PRIME, 3, &seed, Some(&mut cache)).unwrap()
        });
        rows.push((
            "safe-prime check, cached (incl. the g congruence and DhGroup setup)".into(),
            m,
            lo,
            "< 1 µs",
        ));
        let p = U2048::from_be_slice(&TELEGRAM_DH_PRIME);
        let (m, lo) = time(9, |_| crypto_primes::is_prime(Flavor::Safe, &p));
        rows.push((
            "peer: crypto-primes 0.7 is_prime(Safe) (BPSW on p and q)".into(),
            m,
            lo,
            "—",
        ));
        let q = p.shr_vartime(1);
        let (m, lo) = time(9, |_| dh::bpsw_vartime(&q));
        rows.push(("part: BPSW on q alone".into(), m, lo, "—"));
    }

    if want("client") {
        let key = RsaPrivateKey::from_pkcs1_pem(include_str!(
            "../tests/data/test_server_rsa_private.pem"
        ))
        .unwrap();
        let group = dh::check_params(&TELEGRAM_DH_PRIME, 3, &[1; 32], None).unwrap();
        let mut cache = SafePrimeCache::new();
        dh::check_params(&TELEGRAM_DH_PRIME, 3, &[1; 32], Some(&mut cache)).unwrap();
        let pubkeys = [key.public().clone()];
        // One server transcript per run, prepared outside the timing.
        let prepared: Vec<_> = (0..9u8)
            .map(|i| {
                let (c, m) = client::start([i; 16]);
                let (s, res_pq) = server::handle_req_pq(
                    &m,
                    &[key.public().fingerprint()],
                    &ResPqRandom {
                        server_nonce: [i.wrapping_add(1); 16],
                        p: 1_229_739_323,
                        q: 1_402_015_859,
                    },
                )
                .unwrap();
                let rnd = ReqDhRandom {
                    new_nonce: [i.wrapping_add(2); 32],
                    rsa_padding: vec![i; 192],
                    temp_keys: (0..8).map(|k| [k ^ i; 32]).collect(),
                };
                let (_, req_dh) = c
                    .handle_res_pq(&res_pq, &pubkeys, 2, KeyKind::Permanent, &rnd)
                    .unwrap();
                let srnd = ServerDhRandom {
                    a: [i.wrapping_add(3); 256],
                    padding: [0; 16],
                    server_time: 1_700_000_000,
                };
                let (s, server_dh) = s
                    .handle_req_dh_params(&req_dh, std::slice::from_ref(&key), &group, &srnd)
                    .unwrap();
                (res_pq, server_dh, s, rnd, i)
            })
            .collect();
        let mut prepared = prepared.into_iter();
        let (m, lo) = time(9, |_| {
            let (res_pq, server_dh, _s, rnd, i) = prepared.next().unwrap();
            let (c, _) = client::start([i; 16]);
            let (c, _) = c
                .handle_res_pq(&res_pq, &pubkeys, 2, KeyKind::Permanent, &rnd)
                .unwrap();
            let crnd = ClientDhRandom {
                b: [i.wrapping_add(9); 256],
                padding: [0; 16],
                primality_seed: [0; 32],
            };
            c.handle_server_dh_params(&server_dh, 1_700_000_000, &crnd, Some(&mut cache))
                .unwrap()
        });
        rows.push((
            "client handshake compute: resPQ→req_DH_params→set_client_DH_params (prime cached)"
                .into(),
            m,
            lo,
            "<= 20 ms",
        ));
        let b = [0x5au8; 256];
        let (m, lo) = time(15, |_| group.pow_g(&b));
        rows.push((
            "part: one constant-time 2048-bit modexp (g^b mod p)".into(),
            m,
            lo,
            "—",
        ));
    }

    if want("pq") {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let inputs: Vec<u64> = (0..400)
            .map(|_| {
                loop {
                    // p in [2^30, 2^31), q in [2^31, 2^32): keep the products in [2^62, 2^63).
                    let (p, q) = (rng.prime_31(), rng.prime_31() * 2 + 1);
                    if is_prime_u64(q) {
                        let pq = p * q;
                        if pq >> 62 == 1 {
                            break pq;
                        }
                    }
                }
            })
            .collect();
        let (m, lo) = time(inputs.len(), |i| factorize(inputs[i]).unwrap());
        rows.push((
            "pq: reference (Pollard–Brent, Montgomery), random 63-bit products".into(),
            m,
            lo,
            "<= 0.5 ms",
        ));
        let (m, lo) = time(inputs.len(), |i| grammers_crypto::factorize(inputs[i]));
        rows.push((
            "peer: grammers-crypto 0.11 factorize, same inputs".into(),
            m,
            lo,
            "≈ 1.25 ms",
        ));
    }

    println!("\n| operation | median | min | target |\n|---|---|---|---|");
    for (name, m, lo, target) in rows {
        println!("| {name} | {} | {} | {target} |", fmt(m), fmt(lo));
    }
}
