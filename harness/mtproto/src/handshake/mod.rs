//! The auth-key handshake (spec §4, [auth]): sans-IO client and server typestates, the TL of its
//! messages, the temporary AES key, and the `auth.bindTempAuthKey` inner message.
//!
//! ```text
//! client                                              server
//! req_pq_multi nonce                         ─────►
//!                                            ◄─────   resPQ nonce server_nonce pq fingerprints
//! req_DH_params nonce server_nonce p q fp
//!   encrypted_data = RSA_PAD(p_q_inner_data_dc | _temp_dc)  ─────►
//!                                            ◄─────   server_DH_params_ok nonce server_nonce
//!                                                       encrypted_answer = IGE(SHA1(a) ‖ a ‖ pad)
//!                                                       a = server_DH_inner_data g dh_prime g_a time
//! set_client_DH_params nonce server_nonce
//!   encrypted_data = IGE(SHA1(d) ‖ d ‖ pad),
//!   d = client_DH_inner_data retry_id g_b    ─────►
//!                                            ◄─────   dh_gen_ok | dh_gen_retry | dh_gen_fail
//!                                                       nonce server_nonce new_nonce_hashN
//! ```
//!
//! Every step takes and returns TL bodies (the `message_data` of an unencrypted message, spec
//! §2.1; frame them with [`crate::envelope::unencrypted`]) and all randomness as arguments. Each
//! state is consumed by its step (a typestate), so a step cannot be skipped or replayed.
//!
//! [auth]: https://core.telegram.org/mtproto/auth_key
#![deny(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

pub mod client;
pub mod inner_data;
pub mod pq;
pub mod server;

use sha1::{Digest, Sha1};
use subtle::ConstantTimeEq;

use crate::AuthKey;
use crate::codec::{Reader, put_long, put_tl_bytes, put_u32};
use crate::crypto::kdf::{self, Direction};
use crate::error::{CodecError, HandshakeError};

/// Constructor ids of the handshake (spec §4, §7.1; TDLib `mtproto_api.tl`).
pub mod id {
    /// `req_pq_multi#be7e8ef1 nonce:int128 = ResPQ`
    pub const REQ_PQ_MULTI: u32 = 0xbe7e_8ef1;
    /// `resPQ#05162463 nonce:int128 server_nonce:int128 pq:string server_public_key_fingerprints:Vector<long> = ResPQ`
    pub const RES_PQ: u32 = 0x0516_2463;
    /// `p_q_inner_data_dc#a9f55f95 pq:string p:string q:string nonce:int128 server_nonce:int128 new_nonce:int256 dc:int`
    pub const P_Q_INNER_DATA_DC: u32 = 0xa9f5_5f95;
    /// `p_q_inner_data#83c95aec pq:string p:string q:string nonce:int128 server_nonce:int128 new_nonce:int256`
    /// (legacy: no dc; Telegram's servers still take it)
    pub const P_Q_INNER_DATA: u32 = 0x83c9_5aec;
    /// `p_q_inner_data_temp_dc#56fddf88 … dc:int expires_in:int`
    pub const P_Q_INNER_DATA_TEMP_DC: u32 = 0x56fd_df88;
    /// `req_DH_params#d712e4be nonce server_nonce p:string q:string public_key_fingerprint:long encrypted_data:string`
    pub const REQ_DH_PARAMS: u32 = 0xd712_e4be;
    /// `server_DH_params_ok#d0e8075c nonce server_nonce encrypted_answer:string`
    pub const SERVER_DH_PARAMS_OK: u32 = 0xd0e8_075c;
    /// `server_DH_inner_data#b5890dba nonce server_nonce g:int dh_prime:string g_a:string server_time:int`
    pub const SERVER_DH_INNER_DATA: u32 = 0xb589_0dba;
    /// `set_client_DH_params#f5045f1f nonce server_nonce encrypted_data:string`
    pub const SET_CLIENT_DH_PARAMS: u32 = 0xf504_5f1f;
    /// `client_DH_inner_data#6643b654 nonce server_nonce retry_id:long g_b:string`
    pub const CLIENT_DH_INNER_DATA: u32 = 0x6643_b654;
    /// `dh_gen_ok#3bcbf734 nonce server_nonce new_nonce_hash1:int128`
    pub const DH_GEN_OK: u32 = 0x3bcb_f734;
    /// `dh_gen_retry#46dc1fb9 nonce server_nonce new_nonce_hash2:int128`
    pub const DH_GEN_RETRY: u32 = 0x46dc_1fb9;
    /// `dh_gen_fail#a69dae02 nonce server_nonce new_nonce_hash3:int128`
    pub const DH_GEN_FAIL: u32 = 0xa69d_ae02;
    /// `vector#1cb5c415`
    pub const VECTOR: u32 = 0x1cb5_c415;
    /// `bind_auth_key_inner#75a3f765 nonce:long temp_auth_key_id:long perm_auth_key_id:long temp_session_id:long expires_at:int`
    pub const BIND_AUTH_KEY_INNER: u32 = 0x75a3_f765;
}

/// The temporary AES key and IV of steps 6–7 (spec §4.2, [auth]):
///
/// ```text
/// tmp_aes_key = SHA1(new_nonce + server_nonce) + substr(SHA1(server_nonce + new_nonce), 0, 12)
/// tmp_aes_iv  = substr(SHA1(server_nonce + new_nonce), 12, 8) + SHA1(new_nonce + new_nonce)
///               + substr(new_nonce, 0, 4)
/// ```
///
/// [auth]: https://core.telegram.org/mtproto/auth_key
pub fn tmp_aes(server_nonce: &[u8; 16], new_nonce: &[u8; 32]) -> ([u8; 32], [u8; 32]) {
    let a: [u8; 20] = Sha1::new()
        .chain_update(new_nonce)
        .chain_update(server_nonce)
        .finalize()
        .into();
    let b: [u8; 20] = Sha1::new()
        .chain_update(server_nonce)
        .chain_update(new_nonce)
        .finalize()
        .into();
    let c: [u8; 20] = Sha1::new()
        .chain_update(new_nonce)
        .chain_update(new_nonce)
        .finalize()
        .into();
    let key_src = a.iter().chain(b.iter().take(12));
    let iv_src = b
        .iter()
        .skip(12)
        .chain(c.iter())
        .chain(new_nonce.iter().take(4));
    let mut key = [0u8; 32];
    let mut iv = [0u8; 32];
    key.iter_mut().zip(key_src).for_each(|(o, i)| *o = *i);
    iv.iter_mut().zip(iv_src).for_each(|(o, i)| *o = *i);
    (key, iv)
}

/// `new_nonce_hashN = substr(SHA1(new_nonce + byte N + auth_key_aux_hash), 4, 16)` ([auth]).
///
/// [auth]: https://core.telegram.org/mtproto/auth_key
pub fn new_nonce_hash(new_nonce: &[u8; 32], n: u8, aux_hash: &[u8; 8]) -> [u8; 16] {
    let d: [u8; 20] = Sha1::new()
        .chain_update(new_nonce)
        .chain_update([n])
        .chain_update(aux_hash)
        .finalize()
        .into();
    let mut out = [0u8; 16];
    out.iter_mut()
        .zip(d.iter().skip(4))
        .for_each(|(o, i)| *o = *i);
    out
}

/// `server_salt = substr(new_nonce, 0, 8) XOR substr(server_nonce, 0, 8)` ([auth]), as wire bytes.
///
/// [auth]: https://core.telegram.org/mtproto/auth_key
pub fn server_salt(new_nonce: &[u8; 32], server_nonce: &[u8; 16]) -> [u8; 8] {
    let mut out = [0u8; 8];
    for ((o, a), b) in out.iter_mut().zip(new_nonce).zip(server_nonce) {
        *o = a ^ b;
    }
    out
}

/// What a completed handshake gives the client (and the server).
#[derive(Debug)]
pub struct AuthKeyResult {
    /// The new key (`auth_key_id` and `aux_hash` with it).
    pub auth_key: AuthKey,
    /// The first server salt, as 8 wire bytes.
    pub server_salt: [u8; 8],
    /// `server_time - now` in seconds, for msg_id generation (zero on the server).
    pub time_offset: i64,
}

/// Padding after `SHA1(data) + data` to a multiple of 16 (0..=15 bytes).
pub(crate) fn hash_padding_len(data_len: usize) -> usize {
    data_len.saturating_add(20).wrapping_neg() & 15
}

/// `SHA1(data) + data + padding`, IGE-encrypted (steps 6 and 7). `padding` supplies the random
/// bytes; only the needed prefix is used, and too few is refused.
pub(crate) fn encrypt_with_hash(
    data: &[u8],
    padding: &[u8],
    key: &[u8; 32],
    iv: &[u8; 32],
) -> Result<Vec<u8>, HandshakeError> {
    let pad = padding
        .get(..hash_padding_len(data.len()))
        .ok_or(HandshakeError::AnswerPaddingTooLong { len: padding.len() })?;
    let mut buf = Vec::with_capacity(data.len().saturating_add(36));
    buf.extend_from_slice(&Sha1::digest(data));
    buf.extend_from_slice(data);
    buf.extend_from_slice(pad);
    crate::crypto::ige::aes256_ige_encrypt(key, iv, &mut buf).map_err(|_| {
        HandshakeError::NotBlockAligned {
            len: data.len().saturating_add(20),
        }
    })?;
    Ok(buf)
}

/// Decrypt `SHA1(answer) + answer + padding`, parse the answer with `parse` (TL syntax only: it
/// must consume exactly the TL object and look at nothing else), then check the hash
/// (constant-time) and that at most 15 bytes follow. The caller checks the answer's content only
/// after this returns.
pub(crate) fn decrypt_with_hash<T>(
    encrypted: &[u8],
    key: &[u8; 32],
    iv: &[u8; 32],
    parse: impl FnOnce(&mut Reader<'_>) -> Result<T, HandshakeError>,
) -> Result<T, HandshakeError> {
    if !encrypted.len().is_multiple_of(16) || encrypted.is_empty() {
        return Err(HandshakeError::NotBlockAligned {
            len: encrypted.len(),
        });
    }
    let mut buf = encrypted.to_vec();
    crate::crypto::ige::aes256_ige_decrypt(key, iv, &mut buf).map_err(|_| {
        HandshakeError::NotBlockAligned {
            len: encrypted.len(),
        }
    })?;
    let mut r = Reader::new(&buf);
    let hash: [u8; 20] = r.array()?;
    let start = r.offset();
    let value = parse(&mut r)?;
    let end = r.offset();
    let answer = buf.get(start..end).unwrap_or(&[]);
    let actual: [u8; 20] = Sha1::digest(answer).into();
    if !bool::from(actual.ct_eq(&hash)) {
        return Err(HandshakeError::AnswerHashMismatch);
    }
    if r.left() > 15 {
        return Err(HandshakeError::AnswerPaddingTooLong { len: r.left() });
    }
    Ok(value)
}

/// Read a constructor id and require `want`.
pub(crate) fn expect_id(r: &mut Reader<'_>, want: u32) -> Result<(), HandshakeError> {
    let id = r.u32()?;
    if id == want {
        Ok(())
    } else {
        Err(HandshakeError::UnexpectedConstructor { id })
    }
}

/// Compare a received nonce with ours (public values; equality is enough).
pub(crate) fn check_nonces(
    nonce: &[u8; 16],
    server_nonce: &[u8; 16],
    want_nonce: &[u8; 16],
    want_server_nonce: &[u8; 16],
) -> Result<(), HandshakeError> {
    if nonce != want_nonce {
        return Err(HandshakeError::NonceMismatch);
    }
    if server_nonce != want_server_nonce {
        return Err(HandshakeError::ServerNonceMismatch);
    }
    Ok(())
}

/// `bytes` as a TL string, for values that always fit (at most a few hundred bytes).
pub(crate) fn put_str(out: &mut Vec<u8>, bytes: &[u8]) {
    // Every handshake string is far below the 2^24 limit.
    let _: Result<(), CodecError> = put_tl_bytes(out, bytes);
}

/// The inputs of `bind_auth_key_inner` (spec §4.6, [bind]).
///
/// [bind]: https://core.telegram.org/method/auth.bindTempAuthKey
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BindAuthKeyInner {
    /// `nonce:long`, random.
    pub nonce: i64,
    /// `temp_auth_key_id:long`.
    pub temp_auth_key_id: i64,
    /// `perm_auth_key_id:long`.
    pub perm_auth_key_id: i64,
    /// `temp_session_id:long`: the session the bind request is sent in.
    pub temp_session_id: i64,
    /// `expires_at:int`, unix seconds.
    pub expires_at: i32,
}

/// `encrypted_message` of `auth.bindTempAuthKey` (spec §4.6, [bind]): the inner object
/// encrypted under the **permanent** key with MTProto 1.0 (x = 0):
///
/// ```text
/// plaintext = random:int128 ‖ msg_id:long ‖ seqno:int = 0 ‖ msg_len:int = 40 ‖ bind_auth_key_inner
///             ‖ padding to a multiple of 16
/// msg_key   = substr(SHA1(plaintext without padding), 4, 16)
/// encrypted_message = perm_auth_key_id ‖ msg_key ‖ AES256_IGE(plaintext, v1 KDF(perm_key, msg_key, 0))
/// ```
///
/// `msg_id` is the bind request's own msg_id; `random` and `padding` (at least 8 bytes, only
/// the needed prefix used) are the caller's random bytes.
///
/// [bind]: https://core.telegram.org/method/auth.bindTempAuthKey
pub fn bind_temp_auth_key_message(
    perm_key: &AuthKey,
    inner: &BindAuthKeyInner,
    msg_id: i64,
    random: &[u8; 16],
    padding: &[u8; 8],
) -> Vec<u8> {
    let mut plain = Vec::with_capacity(80);
    plain.extend_from_slice(random);
    put_long(&mut plain, msg_id);
    put_u32(&mut plain, 0);
    put_u32(&mut plain, 40);
    put_u32(&mut plain, id::BIND_AUTH_KEY_INNER);
    put_long(&mut plain, inner.nonce);
    put_long(&mut plain, inner.temp_auth_key_id);
    put_long(&mut plain, inner.perm_auth_key_id);
    put_long(&mut plain, inner.temp_session_id);
    plain.extend_from_slice(&inner.expires_at.to_le_bytes());
    // 72 bytes so far: 8 bytes of padding reach 80.
    let msg_key = kdf::v1::msg_key(&plain);
    plain.extend_from_slice(padding);
    let keys = kdf::v1::derive(perm_key, Direction::ClientToServer, &msg_key);
    let _ = crate::crypto::ige::aes256_ige_encrypt(&keys.aes_key, &keys.aes_iv, &mut plain);
    let mut out = Vec::with_capacity(104);
    out.extend_from_slice(&perm_key.id());
    out.extend_from_slice(&msg_key);
    out.extend_from_slice(&plain);
    out
}
