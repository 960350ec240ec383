//! The client side of the handshake as typestates (spec §4, [auth]).
//!
//! [`start`] → [`ExpectResPq`] → [`ExpectServerDhParams`] → [`ExpectDhGen`] → [`DhGenOutcome`].
//! Every step checks what spec §4 requires of the client, in this order (the first failure names
//! the error):
//!
//! - resPQ: constructor, `nonce` ("the client must check that nonce equals the one it sent"),
//!   a known fingerprint, `pq` factorable;
//! - server_DH_params_ok: constructor, `nonce`, `server_nonce`, `encrypted_answer` a multiple
//!   of 16, the TL of `server_DH_inner_data`, "SHA1(answer) must equal the first 20 bytes",
//!   at most 15 padding bytes, inner `nonce`/`server_nonce`, the DH checks of spec §5 on
//!   `(dh_prime, g)` and `g_a`, and our own `g_b`;
//! - dh_gen_*: constructor, `nonce`, `server_nonce`, and `new_nonce_hash1/2/3` (constant-time).
//!
//! [auth]: https://core.telegram.org/mtproto/auth_key
#![deny(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

use super::{
    AuthKeyResult, check_nonces, decrypt_with_hash, encrypt_with_hash, expect_id, id,
    new_nonce_hash, put_str, server_salt, tmp_aes,
};
use crate::AuthKey;
use crate::codec::{Reader, put_int, put_long, put_u32};
use crate::crypto::dh::{self, DhGroup, DhValue, SafePrimeCache};
use crate::crypto::rsa_pad::{self, RsaPublicKey};
use crate::error::HandshakeError;
use crate::handshake::pq;

/// Which key the client asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyKind {
    /// A permanent key: `p_q_inner_data_dc`.
    Permanent,
    /// A temporary key living `expires_in` seconds: `p_q_inner_data_temp_dc`.
    Temporary {
        /// `expires_in:int`.
        expires_in: i32,
    },
}

/// The random bytes of step 4.
#[derive(Clone, Debug)]
pub struct ReqDhRandom {
    /// `new_nonce:int256`.
    pub new_nonce: [u8; 32],
    /// RSA_PAD random padding: the first `192 - len(data)` bytes are used.
    pub rsa_padding: Vec<u8>,
    /// RSA_PAD temp keys, tried in order (the retry rule).
    pub temp_keys: Vec<[u8; 32]>,
}

/// The random bytes of step 7.
#[derive(Clone, Debug)]
pub struct ClientDhRandom {
    /// `b`: 256 random bytes (2048 bits).
    pub b: [u8; 256],
    /// Padding of `data_with_hash` (0..=15 bytes used).
    pub padding: [u8; 16],
    /// Seed of the random-base Miller–Rabin rounds on `dh_prime`.
    pub primality_seed: [u8; 32],
}

impl Drop for ClientDhRandom {
    fn drop(&mut self) {
        self.b.zeroize();
    }
}

/// Step 1: `req_pq_multi nonce`. Returns the state and the body to send.
pub fn start(nonce: [u8; 16]) -> (ExpectResPq, Vec<u8>) {
    let mut body = Vec::with_capacity(20);
    put_u32(&mut body, id::REQ_PQ_MULTI);
    body.extend_from_slice(&nonce);
    (ExpectResPq { nonce }, body)
}

/// Waiting for `resPQ`.
#[derive(Debug)]
pub struct ExpectResPq {
    nonce: [u8; 16],
}

/// Waiting for `server_DH_params_ok`.
#[derive(Debug)]
pub struct ExpectServerDhParams {
    nonce: [u8; 16],
    server_nonce: [u8; 16],
    new_nonce: Zeroizing<[u8; 32]>,
}

/// Waiting for `dh_gen_ok` / `dh_gen_retry` / `dh_gen_fail`.
#[derive(Debug)]
pub struct ExpectDhGen {
    nonce: [u8; 16],
    server_nonce: [u8; 16],
    new_nonce: Zeroizing<[u8; 32]>,
    auth_key: AuthKey,
    time_offset: i64,
    /// What a retry needs.
    retry: RetryState,
}

/// What `dh_gen_retry` lets the client resend with a new `b`.
#[derive(Debug)]
struct RetryState {
    group: DhGroup,
    g_a: DhValue,
    tmp_key: Zeroizing<[u8; 32]>,
    tmp_iv: Zeroizing<[u8; 32]>,
}

/// How the exchange ended.
#[derive(Debug)]
pub enum DhGenOutcome {
    /// `dh_gen_ok` with a valid `new_nonce_hash1`: the key is ready.
    Done(Box<AuthKeyResult>),
    /// `dh_gen_retry` with a valid `new_nonce_hash2`: send `set_client_DH_params` again with a
    /// new `b` and `retry_id = auth_key_aux_hash` ([`RetryDh::resend`]).
    Retry(Box<RetryDh>),
}

/// A `dh_gen_retry` answered: ready to resend step 7.
#[derive(Debug)]
pub struct RetryDh {
    inner: ExpectDhGen,
}

impl ExpectResPq {
    /// The nonce sent.
    pub fn nonce(&self) -> &[u8; 16] {
        &self.nonce
    }

    /// Steps 2–5: check `resPQ`, pick a key whose fingerprint is offered ("the client selects
    /// the first fingerprint it has a key for"), factor `pq`, and build `req_DH_params` with
    /// `p_q_inner_data_dc` or `_temp_dc` under RSA_PAD. `dc` is the DC id as the spec defines it
    /// (+10000 for test DCs, negative for media DCs).
    pub fn handle_res_pq(
        self,
        body: &[u8],
        keys: &[RsaPublicKey],
        dc: i32,
        kind: KeyKind,
        random: &ReqDhRandom,
    ) -> Result<(ExpectServerDhParams, Vec<u8>), HandshakeError> {
        let mut r = Reader::new(body);
        expect_id(&mut r, id::RES_PQ)?;
        let nonce = r.int128()?;
        let server_nonce = r.int128()?;
        let pq_bytes = r.tl_bytes()?;
        expect_id(&mut r, id::VECTOR)?;
        let count = r.u32()?;
        // Each fingerprint is 8 bytes: bound the count by what is left before iterating.
        if usize::try_from(count).map_or(true, |c| c.saturating_mul(8) > r.left()) {
            return Err(HandshakeError::Codec(
                crate::error::CodecError::UnexpectedEnd {
                    offset: r.offset(),
                    needed: usize::try_from(count)
                        .unwrap_or(usize::MAX)
                        .saturating_mul(8),
                },
            ));
        }
        let mut offered = Vec::new();
        for _ in 0..count {
            offered.push(r.long()?);
        }
        r.finish()?;
        if nonce != self.nonce {
            return Err(HandshakeError::NonceMismatch);
        }
        let key = offered
            .iter()
            .find_map(|fp| keys.iter().find(|k| k.fingerprint() == *fp))
            .ok_or(HandshakeError::NoKnownFingerprint)?;
        let (p, q) = pq::factorize_be(pq_bytes)?;

        let mut data = Zeroizing::new(Vec::with_capacity(112));
        let ctor = match kind {
            KeyKind::Permanent => id::P_Q_INNER_DATA_DC,
            KeyKind::Temporary { .. } => id::P_Q_INNER_DATA_TEMP_DC,
        };
        put_u32(&mut data, ctor);
        put_str(&mut data, pq_bytes);
        put_str(&mut data, &p);
        put_str(&mut data, &q);
        data.extend_from_slice(&self.nonce);
        data.extend_from_slice(&server_nonce);
        data.extend_from_slice(&random.new_nonce);
        put_int(&mut data, dc);
        if let KeyKind::Temporary { expires_in } = kind {
            put_int(&mut data, expires_in);
        }
        let pad_len = rsa_pad::PADDED_LEN.saturating_sub(data.len());
        let padding = random
            .rsa_padding
            .get(..pad_len)
            .ok_or(crate::error::RsaError::DataTooLong { len: data.len() })?;
        let (encrypted, _) = rsa_pad::rsa_pad_encrypt(key, &data, padding, &random.temp_keys)?;

        let mut out = Vec::with_capacity(320);
        put_u32(&mut out, id::REQ_DH_PARAMS);
        out.extend_from_slice(&self.nonce);
        out.extend_from_slice(&server_nonce);
        put_str(&mut out, &p);
        put_str(&mut out, &q);
        put_long(&mut out, key.fingerprint());
        put_str(&mut out, &encrypted);
        Ok((
            ExpectServerDhParams {
                nonce: self.nonce,
                server_nonce,
                new_nonce: Zeroizing::new(random.new_nonce),
            },
            out,
        ))
    }
}

/// The parsed `server_DH_inner_data`.
struct ServerDhInner<'a> {
    nonce: [u8; 16],
    server_nonce: [u8; 16],
    g: i32,
    dh_prime: &'a [u8],
    g_a: &'a [u8],
    server_time: i32,
}

/// [`ServerDhInner`] copied out of the decryption buffer.
struct OwnedServerDhInner {
    nonce: [u8; 16],
    server_nonce: [u8; 16],
    g: i32,
    dh_prime: Vec<u8>,
    g_a: Vec<u8>,
    server_time: i32,
}

fn parse_server_dh_inner<'a>(r: &mut Reader<'a>) -> Result<ServerDhInner<'a>, HandshakeError> {
    expect_id(r, id::SERVER_DH_INNER_DATA)?;
    Ok(ServerDhInner {
        nonce: r.int128()?,
        server_nonce: r.int128()?,
        g: r.int()?,
        dh_prime: r.tl_bytes()?,
        g_a: r.tl_bytes()?,
        server_time: r.int()?,
    })
}

impl ExpectServerDhParams {
    /// Steps 6–8: check `server_DH_params_ok` and its encrypted answer, check the DH
    /// parameters, and build `set_client_DH_params` with `g_b = g^b mod p`. `now` is the
    /// client's unix time in seconds (for the clock offset); `cache` remembers proven primes.
    pub fn handle_server_dh_params(
        self,
        body: &[u8],
        now: i64,
        random: &ClientDhRandom,
        cache: Option<&mut SafePrimeCache>,
    ) -> Result<(ExpectDhGen, Vec<u8>), HandshakeError> {
        let mut r = Reader::new(body);
        expect_id(&mut r, id::SERVER_DH_PARAMS_OK)?;
        let nonce = r.int128()?;
        let server_nonce = r.int128()?;
        let encrypted_answer = r.tl_bytes()?;
        r.finish()?;
        check_nonces(&nonce, &server_nonce, &self.nonce, &self.server_nonce)?;
        let (key, iv) = tmp_aes(&self.server_nonce, &self.new_nonce);
        let (tmp_key, tmp_iv) = (Zeroizing::new(key), Zeroizing::new(iv));
        // Parse, then verify the SHA1 and the padding, and only then look at what the answer says:
        // no DH work (a primality test on the server's p) happens on a forged answer.
        let inner = decrypt_with_hash(encrypted_answer, &tmp_key, &tmp_iv, |r| {
            let i = parse_server_dh_inner(r)?;
            Ok(OwnedServerDhInner {
                nonce: i.nonce,
                server_nonce: i.server_nonce,
                g: i.g,
                dh_prime: i.dh_prime.to_vec(),
                g_a: i.g_a.to_vec(),
                server_time: i.server_time,
            })
        })?;
        check_nonces(
            &inner.nonce,
            &inner.server_nonce,
            &self.nonce,
            &self.server_nonce,
        )?;
        let group = dh::check_params(
            &inner.dh_prime,
            i64::from(inner.g),
            &random.primality_seed,
            cache,
        )?;
        let g_a = group.check_value(&inner.g_a)?;
        let time_offset = i64::from(inner.server_time).saturating_sub(now);
        ExpectDhGen::new(
            self.nonce,
            self.server_nonce,
            self.new_nonce,
            time_offset,
            RetryState {
                group,
                g_a,
                tmp_key,
                tmp_iv,
            },
            0,
            random,
        )
    }
}

impl ExpectDhGen {
    /// Step 7–8 for a given `retry_id`: compute and check `g_b`, the key, and the message.
    fn new(
        nonce: [u8; 16],
        server_nonce: [u8; 16],
        new_nonce: Zeroizing<[u8; 32]>,
        time_offset: i64,
        retry: RetryState,
        retry_id: i64,
        random: &ClientDhRandom,
    ) -> Result<(Self, Vec<u8>), HandshakeError> {
        let g_b = Zeroizing::new(retry.group.pow_g(&random.b));
        // "g_b must also be checked": a b that gives an unsafe g_b is the caller's to replace.
        retry.group.check_value(g_b.as_ref())?;
        let auth_key = AuthKey::new(retry.group.pow(&retry.g_a, &random.b));
        let mut data = Vec::with_capacity(300);
        put_u32(&mut data, id::CLIENT_DH_INNER_DATA);
        data.extend_from_slice(&nonce);
        data.extend_from_slice(&server_nonce);
        put_long(&mut data, retry_id);
        put_str(&mut data, g_b.as_ref());
        let encrypted = encrypt_with_hash(&data, &random.padding, &retry.tmp_key, &retry.tmp_iv)?;
        let mut out = Vec::with_capacity(encrypted.len().saturating_add(40));
        put_u32(&mut out, id::SET_CLIENT_DH_PARAMS);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&server_nonce);
        put_str(&mut out, &encrypted);
        Ok((
            Self {
                nonce,
                server_nonce,
                new_nonce,
                auth_key,
                time_offset,
                retry,
            },
            out,
        ))
    }

    /// Step 9: check `dh_gen_*` and finish, or get ready to retry. "The client must check
    /// new_nonce_hash": hash1 for ok, hash2 for retry, hash3 for fail, compared in constant
    /// time; a valid `dh_gen_fail` is [`HandshakeError::DhGenFail`].
    pub fn handle_dh_gen(self, body: &[u8]) -> Result<DhGenOutcome, HandshakeError> {
        let mut r = Reader::new(body);
        let ctor = r.u32()?;
        let n: u8 = match ctor {
            id::DH_GEN_OK => 1,
            id::DH_GEN_RETRY if mutant!(DhGenRetryAsOk) => 1,
            id::DH_GEN_RETRY => 2,
            id::DH_GEN_FAIL => 3,
            other => return Err(HandshakeError::UnexpectedConstructor { id: other }),
        };
        let nonce = r.int128()?;
        let server_nonce = r.int128()?;
        let hash = r.int128()?;
        r.finish()?;
        check_nonces(&nonce, &server_nonce, &self.nonce, &self.server_nonce)?;
        let want = new_nonce_hash(&self.new_nonce, n, &self.auth_key.aux_hash());
        let skip = n == 1 && mutant!(SkipNewNonceHash1);
        if !bool::from(want.ct_eq(&hash)) && !skip {
            return Err(HandshakeError::NewNonceHashMismatch);
        }
        match n {
            1 => Ok(DhGenOutcome::Done(Box::new(AuthKeyResult {
                server_salt: server_salt(&self.new_nonce, &self.server_nonce),
                auth_key: self.auth_key,
                time_offset: self.time_offset,
            }))),
            2 => Ok(DhGenOutcome::Retry(Box::new(RetryDh { inner: self }))),
            _ => Err(HandshakeError::DhGenFail),
        }
    }

    /// The key this attempt computed (for tests and transcripts).
    pub fn auth_key(&self) -> &AuthKey {
        &self.auth_key
    }
}

impl RetryDh {
    /// Resend step 7 with a new `b` and `retry_id = auth_key_aux_hash` of the rejected key.
    pub fn resend(self, random: &ClientDhRandom) -> Result<(ExpectDhGen, Vec<u8>), HandshakeError> {
        let s = self.inner;
        let retry_id = if mutant!(RetryIdZero) {
            0
        } else {
            i64::from_le_bytes(s.auth_key.aux_hash())
        };
        ExpectDhGen::new(
            s.nonce,
            s.server_nonce,
            s.new_nonce,
            s.time_offset,
            s.retry,
            retry_id,
            random,
        )
    }
}
