//! The server side of the handshake as typestates (spec §4, §4.1, §4.4).
//!
//! [`handle_req_pq`] → [`ExpectReqDh`] → [`ExpectSetClientDh`] → [`AuthKeyResult`]. The server
//! checks, in order (the first failure names the error):
//!
//! - req_DH_params: constructor, `nonce`, `server_nonce`, `p`/`q` equal to the factors of the
//!   `pq` it sent (`p < q`, 4-byte strings — Albrecht et al. §7.1), a fingerprint it has a key
//!   for, then RSA_PAD with the hash over all 192 bytes **before** parsing the inner data
//!   (spec §10.2 attack 4), then the inner constructor, `pq`/`p`/`q`, `nonce`, `server_nonce`
//!   (trailing random padding is ignored);
//! - set_client_DH_params: constructor, `nonce`, `server_nonce`, `encrypted_data` a multiple of
//!   16, the TL of `client_DH_inner_data`, its SHA1, at most 15 padding bytes, inner nonces,
//!   `retry_id` ("0 on first try, else previous `auth_key_aux_hash`", spec §4 step 7), and
//!   `g_b` with the checks of spec §5.
//!
//! A `set_client_DH_params` that passes every check is answered with `dh_gen_ok`
//! ([`ExpectSetClientDh::handle_set_client_dh_params`]) or, when the server's policy says so
//! (e.g. the new key's `auth_key_id` collides with a key it has), `dh_gen_retry` / `dh_gen_fail`
//! ([`ExpectSetClientDh::answer_set_client_dh_params`]); after a retry it waits for the resent
//! step 7 with `retry_id` = the rejected key's `auth_key_aux_hash`.
#![deny(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use zeroize::{Zeroize, Zeroizing};

use super::{
    AuthKeyResult, check_nonces, decrypt_with_hash, encrypt_with_hash, expect_id, id,
    new_nonce_hash, pq::minimal_be, put_str, server_salt, tmp_aes,
};
use crate::AuthKey;
use crate::codec::{Reader, put_int, put_long, put_u32};
use crate::crypto::dh::DhGroup;
use crate::crypto::rsa_pad::RsaPrivateKey;
use crate::error::HandshakeError;

/// The server's random choices for `resPQ`.
#[derive(Clone, Debug)]
pub struct ResPqRandom {
    /// `server_nonce:int128`.
    pub server_nonce: [u8; 16],
    /// The two primes of `pq` (`p < q`, each below 2^32); `pq = p·q`.
    pub p: u32,
    /// See `p`.
    pub q: u32,
}

/// The server's random choices for `server_DH_params_ok`.
#[derive(Clone, Debug)]
pub struct ServerDhRandom {
    /// `a`: 256 random bytes.
    pub a: [u8; 256],
    /// Padding of `answer_with_hash` (0..=15 bytes used).
    pub padding: [u8; 16],
    /// `server_time`, unix seconds.
    pub server_time: i32,
}

impl Drop for ServerDhRandom {
    fn drop(&mut self) {
        self.a.zeroize();
    }
}

/// Step 1 at the server: answer `req_pq_multi` with `resPQ`, offering `fingerprints`.
pub fn handle_req_pq(
    body: &[u8],
    fingerprints: &[i64],
    random: &ResPqRandom,
) -> Result<(ExpectReqDh, Vec<u8>), HandshakeError> {
    let mut r = Reader::new(body);
    expect_id(&mut r, id::REQ_PQ_MULTI)?;
    let nonce = r.int128()?;
    r.finish()?;
    let (p, q) = (random.p.min(random.q), random.p.max(random.q));
    let pq = u64::from(p).saturating_mul(u64::from(q));
    let mut out = Vec::with_capacity(80);
    put_u32(&mut out, id::RES_PQ);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&random.server_nonce);
    put_str(&mut out, &minimal_be(pq));
    put_u32(&mut out, id::VECTOR);
    put_u32(&mut out, u32::try_from(fingerprints.len()).unwrap_or(0));
    for fp in fingerprints {
        put_long(&mut out, *fp);
    }
    Ok((
        ExpectReqDh {
            nonce,
            server_nonce: random.server_nonce,
            pq: minimal_be(pq),
            p: minimal_be(p.into()),
            q: minimal_be(q.into()),
            legacy_inner_data: false,
        },
        out,
    ))
}

/// Waiting for `req_DH_params`.
#[derive(Debug)]
pub struct ExpectReqDh {
    nonce: [u8; 16],
    server_nonce: [u8; 16],
    pq: Vec<u8>,
    p: Vec<u8>,
    q: Vec<u8>,
    /// Whether the legacy `p_q_inner_data` (no dc) is taken as a permanent key.
    legacy_inner_data: bool,
}

/// Waiting for `set_client_DH_params`.
#[derive(Debug)]
pub struct ExpectSetClientDh {
    nonce: [u8; 16],
    server_nonce: [u8; 16],
    new_nonce: Zeroizing<[u8; 32]>,
    group: DhGroup,
    a: Zeroizing<[u8; 256]>,
    tmp_key: Zeroizing<[u8; 32]>,
    tmp_iv: Zeroizing<[u8; 32]>,
    /// The `retry_id` the next `client_DH_inner_data` must carry: 0, or after `dh_gen_retry`
    /// the rejected key's `auth_key_aux_hash` (as a TL `long`).
    retry_id: i64,
    /// The DC and lifetime the client asked for (`expires_in` for a temporary key).
    pub requested: InnerData,
}

/// How the server answers a `set_client_DH_params` that passed every check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DhGenVerdict {
    /// `dh_gen_ok` with `new_nonce_hash1`: the key is in use.
    Ok,
    /// `dh_gen_retry` with `new_nonce_hash2`: the client must resend step 7 with a new `b`.
    Retry,
    /// `dh_gen_fail` with `new_nonce_hash3`.
    Fail,
}

/// Where the server stands after answering step 7.
#[derive(Debug)]
pub enum ServerDhGen {
    /// `dh_gen_ok` sent: the key.
    Done(Box<AuthKeyResult>),
    /// `dh_gen_retry` sent: waiting for `set_client_DH_params` again.
    Retry(Box<ExpectSetClientDh>),
    /// `dh_gen_fail` sent: the exchange is over.
    Failed,
}

/// What the client's `p_q_inner_data_*` asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InnerData {
    /// `dc:int`.
    pub dc: i32,
    /// `expires_in:int` of `p_q_inner_data_temp_dc`, `None` for a permanent key. (`dc` is 0 for
    /// the legacy `p_q_inner_data`, which names none.)
    pub expires_in: Option<i32>,
}

impl ExpectReqDh {
    /// Also take the legacy `p_q_inner_data#83c95aec` (no dc) as a permanent key, as Telegram's
    /// servers do: clients that still send it (GramJS, teleproto) can then be tested over the wire
    /// for their own checks. The reference refuses it unless asked (the page's step 4 names only
    /// the `_dc` constructors).
    #[must_use]
    pub fn accepting_legacy_inner_data(mut self) -> Self {
        self.legacy_inner_data = true;
        self
    }

    /// Steps 4–6 at the server: check `req_DH_params`, undo RSA_PAD with `keys`, and answer
    /// `server_DH_params_ok` with `g_a = g^a mod p` for the (already checked) `group`.
    pub fn handle_req_dh_params(
        self,
        body: &[u8],
        keys: &[RsaPrivateKey],
        group: &DhGroup,
        random: &ServerDhRandom,
    ) -> Result<(ExpectSetClientDh, Vec<u8>), HandshakeError> {
        let mut r = Reader::new(body);
        expect_id(&mut r, id::REQ_DH_PARAMS)?;
        let nonce = r.int128()?;
        let server_nonce = r.int128()?;
        let p = r.tl_bytes()?;
        let q = r.tl_bytes()?;
        let fingerprint = r.long()?;
        let encrypted = r.tl_bytes()?;
        r.finish()?;
        check_nonces(&nonce, &server_nonce, &self.nonce, &self.server_nonce)?;
        if p != self.p.as_slice() || q != self.q.as_slice() {
            return Err(HandshakeError::PqMismatch);
        }
        let key = keys
            .iter()
            .find(|k| k.public().fingerprint() == fingerprint)
            .ok_or(HandshakeError::NoKnownFingerprint)?;
        // The hash over all 192 bytes is checked inside, before anything below parses them.
        let dwp = key.rsa_pad_decrypt(encrypted)?;
        let mut r = Reader::new(dwp.as_ref());
        let ctor = r.u32()?;
        let legacy = self.legacy_inner_data && ctor == id::P_Q_INNER_DATA;
        if ctor != id::P_Q_INNER_DATA_DC && ctor != id::P_Q_INNER_DATA_TEMP_DC && !legacy {
            return Err(HandshakeError::UnexpectedConstructor { id: ctor });
        }
        let (ipq, ip, iq) = (r.tl_bytes()?, r.tl_bytes()?, r.tl_bytes()?);
        if ipq != self.pq.as_slice() || ip != self.p.as_slice() || iq != self.q.as_slice() {
            return Err(HandshakeError::PqMismatch);
        }
        let inner_nonce = r.int128()?;
        let inner_server_nonce = r.int128()?;
        check_nonces(
            &inner_nonce,
            &inner_server_nonce,
            &self.nonce,
            &self.server_nonce,
        )?;
        let new_nonce = Zeroizing::new(r.int256()?);
        let dc = if legacy { 0 } else { r.int()? };
        let expires_in = if ctor == id::P_Q_INNER_DATA_TEMP_DC {
            let e = r.int()?;
            if e <= 0 {
                return Err(HandshakeError::InnerDataRejected);
            }
            Some(e)
        } else {
            None
        };
        // The rest of the 192 bytes is the client's random padding.

        let g_a = group.pow_g(&random.a);
        let mut answer = Vec::with_capacity(600);
        put_u32(&mut answer, id::SERVER_DH_INNER_DATA);
        answer.extend_from_slice(&self.nonce);
        answer.extend_from_slice(&self.server_nonce);
        put_int(&mut answer, i32::try_from(group.g()).unwrap_or(0));
        put_str(&mut answer, group.p());
        put_str(&mut answer, &g_a);
        put_int(&mut answer, random.server_time);
        let (k, iv) = tmp_aes(&self.server_nonce, &new_nonce);
        let (tmp_key, tmp_iv) = (Zeroizing::new(k), Zeroizing::new(iv));
        let encrypted = encrypt_with_hash(&answer, &random.padding, &tmp_key, &tmp_iv)?;
        let mut out = Vec::with_capacity(encrypted.len().saturating_add(40));
        put_u32(&mut out, id::SERVER_DH_PARAMS_OK);
        out.extend_from_slice(&self.nonce);
        out.extend_from_slice(&self.server_nonce);
        put_str(&mut out, &encrypted);
        Ok((
            ExpectSetClientDh {
                nonce: self.nonce,
                server_nonce: self.server_nonce,
                new_nonce,
                group: group.clone(),
                a: Zeroizing::new(random.a),
                tmp_key,
                tmp_iv,
                retry_id: 0,
                requested: InnerData { dc, expires_in },
            },
            out,
        ))
    }
}

impl ExpectSetClientDh {
    /// Steps 7–9 at the server: check `set_client_DH_params`, compute `auth_key = g_b^a mod p`
    /// and answer `dh_gen_ok` with `new_nonce_hash1`.
    pub fn handle_set_client_dh_params(
        self,
        body: &[u8],
    ) -> Result<(AuthKeyResult, Vec<u8>), HandshakeError> {
        let auth_key = self.verify(body)?;
        let out = self.reply(DhGenVerdict::Ok, &auth_key);
        Ok((self.result(auth_key), out))
    }

    /// Steps 7–9 at the server with the answer chosen by the caller: check
    /// `set_client_DH_params` exactly as [`Self::handle_set_client_dh_params`] does, compute the
    /// key, and answer `dh_gen_ok` / `dh_gen_retry` / `dh_gen_fail` with `new_nonce_hash1/2/3`
    /// ("new_nonce_hash1, new_nonce_hash2, and new_nonce_hash3 are obtained as the 128 lower-order
    /// bits of SHA1 of the byte string derived from the new_nonce string by adding a single byte
    /// with the value of 1, 2, or 3, and followed by another 8 bytes with auth_key_aux_hash" —
    /// [auth]). After `Retry` the returned state expects `retry_id` = this key's
    /// `auth_key_aux_hash` and keeps `a`.
    ///
    /// [auth]: https://core.telegram.org/mtproto/auth_key
    pub fn answer_set_client_dh_params(
        mut self,
        body: &[u8],
        verdict: DhGenVerdict,
    ) -> Result<(ServerDhGen, Vec<u8>), HandshakeError> {
        let auth_key = self.verify(body)?;
        let out = self.reply(verdict, &auth_key);
        let next = match verdict {
            DhGenVerdict::Ok => ServerDhGen::Done(Box::new(self.result(auth_key))),
            DhGenVerdict::Retry => {
                if !mutant!(ServerRetryIdStale) {
                    self.retry_id = i64::from_le_bytes(auth_key.aux_hash());
                }
                ServerDhGen::Retry(Box::new(self))
            }
            DhGenVerdict::Fail => ServerDhGen::Failed,
        };
        Ok((next, out))
    }

    /// Every server check on `set_client_DH_params`, in order; the key it yields.
    fn verify(&self, body: &[u8]) -> Result<AuthKey, HandshakeError> {
        let mut r = Reader::new(body);
        expect_id(&mut r, id::SET_CLIENT_DH_PARAMS)?;
        let nonce = r.int128()?;
        let server_nonce = r.int128()?;
        let encrypted = r.tl_bytes()?;
        r.finish()?;
        check_nonces(&nonce, &server_nonce, &self.nonce, &self.server_nonce)?;
        // Parse, verify the SHA1 and the padding, then check what the data says.
        let (n, sn, retry_id, g_b) =
            decrypt_with_hash(encrypted, &self.tmp_key, &self.tmp_iv, |r| {
                expect_id(r, id::CLIENT_DH_INNER_DATA)?;
                Ok((r.int128()?, r.int128()?, r.long()?, r.tl_bytes()?.to_vec()))
            })?;
        check_nonces(&n, &sn, &self.nonce, &self.server_nonce)?;
        if retry_id != self.retry_id {
            return Err(HandshakeError::RetryIdMismatch);
        }
        let g_b = self.group.check_value(&g_b)?;
        Ok(AuthKey::new(self.group.pow(&g_b, &self.a)))
    }

    /// `dh_gen_ok/retry/fail nonce server_nonce new_nonce_hashN`.
    fn reply(&self, verdict: DhGenVerdict, auth_key: &AuthKey) -> Vec<u8> {
        let (ctor, n) = match verdict {
            DhGenVerdict::Ok => (id::DH_GEN_OK, 1),
            DhGenVerdict::Retry => (id::DH_GEN_RETRY, 2),
            DhGenVerdict::Fail => (id::DH_GEN_FAIL, 3),
        };
        let hash = new_nonce_hash(&self.new_nonce, n, &auth_key.aux_hash());
        let mut out = Vec::with_capacity(52);
        put_u32(&mut out, ctor);
        out.extend_from_slice(&self.nonce);
        out.extend_from_slice(&self.server_nonce);
        out.extend_from_slice(&hash);
        out
    }

    fn result(&self, auth_key: AuthKey) -> AuthKeyResult {
        AuthKeyResult {
            server_salt: server_salt(&self.new_nonce, &self.server_nonce),
            auth_key,
            time_offset: 0,
        }
    }
}
