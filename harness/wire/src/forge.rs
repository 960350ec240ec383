//! Handshake messages a hostile server forges (client role): a `resPQ` with a chosen `pq`, and a
//! `server_DH_params_ok` whose encrypted `server_DH_inner_data` says what the case wants (a bad
//! `dh_prime`, `g`, `g_a` or inner nonce, or a wrong SHA1) while everything else is valid, so
//! that the one check the case targets is the one that fails (spec: auth key creation,
//! <https://core.telegram.org/mtproto/auth_key>).

use mtproto::codec::{Reader, put_int, put_long, put_tl_bytes, put_u32};
use mtproto::crypto::dh::{MARGIN_BITS, PRIME_LEN, TELEGRAM_DH_PRIME};
use mtproto::crypto::rsa_pad::RsaPrivateKey;
use mtproto::handshake::{id, tmp_aes};
use sha1::{Digest, Sha1};

use crate::case::HandshakeTamper;
use crate::error::{Result, WireError};

/// A 2048-bit prime `p` (top bit set, `p mod 3 = 2` so that g = 3 passes its congruence) whose
/// `(p - 1) / 2` is composite: prime, but not a safe prime. Generated once for this harness
/// (Miller–Rabin, 20 rounds each way).
pub const PRIME_NOT_SAFE: &str = "c121f435f1606bf2ac37b0c07e93f9f2a7473706d9f2026a97b03ef446af93992680cb301616168cb1289bebf83ef36816b03d533486cb9e924c2ecbedfcb5e38c1c823ce9bdd23054581defaf6cd80b614ef259f4afb32e659c00ed789745f004dabcc824d2f9b5ed0467dc89376fc0a0180042d8f82d8ce2d602e795a75d014bc4877e1473d411dfec29ef1cb691b8e1afaaca5d7852ce5305900c0e0bd210e711b25095b3ff485d2de66820541ac99f342d10efdcf40b4470892dfe913d71617d786b0601b601ba0a9c3ae19713b6adc14149215499bd559d7bd53514a7c8006134727c7254a21c167defda3254be6fcf79a21ed3a7d216f1c603c0704897";

/// A prime `pq` (2^61 − 1): it has no factorisation into two primes.
pub const PQ_PRIME: u64 = 2_305_843_009_213_693_951;
/// A `pq` with three prime factors (1 000 003 · 1 000 033 · 1 009).
pub const PQ_THREE_FACTORS: u64 = 1_000_003 * 1_000_033 * 1_009;

/// What the server needs from the client's `req_DH_params` to forge its answer.
pub struct ReqDh {
    /// `nonce`.
    pub nonce: [u8; 16],
    /// `server_nonce`.
    pub server_nonce: [u8; 16],
    /// `new_nonce` from the RSA_PAD-encrypted inner data.
    pub new_nonce: [u8; 32],
}

/// Read `req_DH_params` and undo its RSA_PAD with `key` (the caller's reference server has
/// already checked it; this only extracts the nonces).
pub fn read_req_dh(body: &[u8], key: &RsaPrivateKey) -> Result<ReqDh> {
    let err = |e: String| WireError::protocol("forging server_DH_params_ok", e);
    let mut r = Reader::new(body);
    let _ctor = r.u32().map_err(|e| err(e.to_string()))?;
    let nonce = r.int128().map_err(|e| err(e.to_string()))?;
    let server_nonce = r.int128().map_err(|e| err(e.to_string()))?;
    let _p = r.tl_bytes().map_err(|e| err(e.to_string()))?;
    let _q = r.tl_bytes().map_err(|e| err(e.to_string()))?;
    let _fp = r.long().map_err(|e| err(e.to_string()))?;
    let enc = r.tl_bytes().map_err(|e| err(e.to_string()))?;
    let dwp = key.rsa_pad_decrypt(enc).map_err(|e| err(e.to_string()))?;
    let mut r = Reader::new(dwp.as_ref());
    let _ctor = r.u32().map_err(|e| err(e.to_string()))?;
    for _ in 0..3 {
        r.tl_bytes().map_err(|e| err(e.to_string()))?;
    }
    r.int128().map_err(|e| err(e.to_string()))?;
    r.int128().map_err(|e| err(e.to_string()))?;
    let new_nonce = r.int256().map_err(|e| err(e.to_string()))?;
    Ok(ReqDh {
        nonce,
        server_nonce,
        new_nonce,
    })
}

/// `resPQ nonce server_nonce pq fingerprints` with `pq` as given (big-endian, no leading zeros).
pub fn res_pq(nonce: &[u8; 16], server_nonce: &[u8; 16], pq: u64, fps: &[i64]) -> Vec<u8> {
    let mut out = Vec::with_capacity(80);
    put_u32(&mut out, id::RES_PQ);
    out.extend_from_slice(nonce);
    out.extend_from_slice(server_nonce);
    let pq = mtproto::handshake::pq::minimal_be(pq);
    let _ = put_tl_bytes(&mut out, &pq);
    put_u32(&mut out, id::VECTOR);
    put_u32(&mut out, u32::try_from(fps.len()).unwrap_or(0));
    for fp in fps {
        put_long(&mut out, *fp);
    }
    out
}

/// `a - b` on 256-byte big-endian numbers (`a >= b`; wraps otherwise).
fn sub_be(a: &[u8; PRIME_LEN], b: &[u8; PRIME_LEN]) -> [u8; PRIME_LEN] {
    let mut out = [0u8; PRIME_LEN];
    let mut borrow = 0i16;
    for i in (0..PRIME_LEN).rev() {
        let x = i16::from(a.get(i).copied().unwrap_or(0))
            - i16::from(b.get(i).copied().unwrap_or(0))
            - borrow;
        borrow = i16::from(x < 0);
        if let Some(o) = out.get_mut(i) {
            *o = u8::try_from(x.rem_euclid(256)).unwrap_or(0);
        }
    }
    out
}

/// `2^bits` as 256 big-endian bytes (`bits < 2048`).
fn pow2(bits: u32) -> [u8; PRIME_LEN] {
    let mut out = [0u8; PRIME_LEN];
    let byte = PRIME_LEN - 1 - (bits / 8) as usize;
    if let Some(b) = out.get_mut(byte) {
        *b = 1 << (bits % 8);
    }
    out
}

fn one() -> [u8; PRIME_LEN] {
    let mut v = [0u8; PRIME_LEN];
    v[PRIME_LEN - 1] = 1;
    v
}

/// `(g, dh_prime, g_a)` of `server_DH_inner_data`.
type DhFields = (i32, Vec<u8>, Vec<u8>);

/// The `(g, dh_prime, g_a)` a tamper puts in `server_DH_inner_data`, given the honest `g_a`;
/// `None` when the tamper does not touch the DH parameters.
fn dh_fields(tamper: HandshakeTamper, honest_g_a: &[u8; PRIME_LEN]) -> Result<Option<DhFields>> {
    let p = TELEGRAM_DH_PRIME;
    Ok(Some(match tamper {
        HandshakeTamper::DhPrimeNotSafe => {
            let q = hex::decode(PRIME_NOT_SAFE)
                .map_err(|e| WireError::config("PRIME_NOT_SAFE", e.to_string()))?;
            (3, q, honest_g_a.to_vec())
        }
        // The Telegram prime is ≡ 3 mod 8, so g = 2 generates only the quadratic residues.
        HandshakeTamper::DhGNotGenerator => (2, p.to_vec(), honest_g_a.to_vec()),
        HandshakeTamper::GaOne => (3, p.to_vec(), one().to_vec()),
        HandshakeTamper::GaPMinusOne => (3, p.to_vec(), sub_be(&p, &one()).to_vec()),
        HandshakeTamper::GaBelowMargin => (3, p.to_vec(), pow2(MARGIN_BITS - 1).to_vec()),
        HandshakeTamper::GaAboveMargin => {
            (3, p.to_vec(), sub_be(&p, &pow2(MARGIN_BITS - 1)).to_vec())
        }
        _ => return Ok(None),
    }))
}

/// Whether `tamper` is forged by [`server_dh_params_ok`].
pub fn forges_server_dh(tamper: HandshakeTamper) -> bool {
    matches!(
        tamper,
        HandshakeTamper::ServerDhNonce
            | HandshakeTamper::ServerDhServerNonce
            | HandshakeTamper::ServerDhInnerNonce
            | HandshakeTamper::ServerDhInnerHash
            | HandshakeTamper::DhPrimeNotSafe
            | HandshakeTamper::DhGNotGenerator
            | HandshakeTamper::GaOne
            | HandshakeTamper::GaPMinusOne
            | HandshakeTamper::GaBelowMargin
            | HandshakeTamper::GaAboveMargin
    )
}

/// `server_DH_params_ok` for `req` with exactly the one defect `tamper` names; `honest_g_a` is
/// `g^a mod p` for the Telegram prime, `padding` the random tail of `answer_with_hash`.
pub fn server_dh_params_ok(
    req: &ReqDh,
    tamper: HandshakeTamper,
    honest_g_a: &[u8; PRIME_LEN],
    server_time: i32,
    padding: &[u8; 16],
) -> Result<Vec<u8>> {
    let (g, dh_prime, g_a) = dh_fields(tamper, honest_g_a)?.unwrap_or((
        3,
        TELEGRAM_DH_PRIME.to_vec(),
        honest_g_a.to_vec(),
    ));
    let mut inner_nonce = req.nonce;
    if tamper == HandshakeTamper::ServerDhInnerNonce {
        inner_nonce[0] ^= 1;
    }
    let mut answer = Vec::with_capacity(600);
    put_u32(&mut answer, id::SERVER_DH_INNER_DATA);
    answer.extend_from_slice(&inner_nonce);
    answer.extend_from_slice(&req.server_nonce);
    put_int(&mut answer, g);
    let _ = put_tl_bytes(&mut answer, &dh_prime);
    let _ = put_tl_bytes(&mut answer, &g_a);
    put_int(&mut answer, server_time);
    let mut hash: [u8; 20] = Sha1::digest(&answer).into();
    if tamper == HandshakeTamper::ServerDhInnerHash {
        hash[0] ^= 1;
    }
    let pad = (16 - (answer.len() + 20) % 16) % 16;
    let mut buf = Vec::with_capacity(answer.len() + 36);
    buf.extend_from_slice(&hash);
    buf.extend_from_slice(&answer);
    buf.extend_from_slice(padding.get(..pad).unwrap_or(&[]));
    let (key, iv) = tmp_aes(&req.server_nonce, &req.new_nonce);
    mtproto::crypto::ige::aes256_ige_encrypt(&key, &iv, &mut buf)
        .map_err(|e| WireError::protocol("forging server_DH_params_ok", format!("{e:?}")))?;
    let mut nonce = req.nonce;
    let mut server_nonce = req.server_nonce;
    match tamper {
        HandshakeTamper::ServerDhNonce => nonce[0] ^= 1,
        HandshakeTamper::ServerDhServerNonce => server_nonce[0] ^= 1,
        _ => {}
    }
    let mut out = Vec::with_capacity(buf.len() + 40);
    put_u32(&mut out, id::SERVER_DH_PARAMS_OK);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&server_nonce);
    let _ = put_tl_bytes(&mut out, &buf);
    Ok(out)
}
