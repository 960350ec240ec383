//! The server's reading of RSA_PAD's plaintext (spec §4.1, step 5 of the key exchange):
//! `encrypted_data` of `req_DH_params` is decrypted with the server's private key, its hash over
//! all 192 bytes of `data_with_padding` is checked, and only then is the `p_q_inner_data*`
//! object at the front parsed.
//!
//! The order is the point of RSA_PAD: the old encoding hashed only the object, so the server
//! had to parse variable-length fields to find what to hash, and the parse's timing leaked
//! (attack 4 of Albrecht et al., "Four Attacks and a Proof for Telegram", 2022). Here nothing is
//! parsed unless the constant-time hash comparison succeeded.
//!
//! This reads only the object's shape (constructor, field lengths, where it ends); what the
//! values must equal (nonces, pq, p, q, dc) is the handshake's business
//! ([`crate::handshake::server`]).

use zeroize::Zeroizing;

use crate::codec::Reader;
use crate::crypto::rsa_pad::{MAX_DATA_LEN, PADDED_LEN, RsaPrivateKey};
use crate::error::{HandshakeError, RsaError};
use crate::handshake::id;

/// `p_q_inner_data#83c95aec pq:string p:string q:string nonce:int128 server_nonce:int128
/// new_nonce:int256` (no dc; what grammers and Telethon still send, 96 bytes for an 8-byte pq).
pub const P_Q_INNER_DATA: u32 = 0x83c9_5aec;
/// `p_q_inner_data_temp#3c6a84d4 … new_nonce:int256 expires_in:int` (no dc).
pub const P_Q_INNER_DATA_TEMP: u32 = 0x3c6a_84d4;

/// An opened RSA_PAD block: `data_with_padding` and the length of the object at its front.
#[derive(Debug)]
pub struct Opened {
    /// All 192 bytes (the object, then the client's random padding).
    pub data_with_padding: Zeroizing<[u8; PADDED_LEN]>,
    /// Bytes of the `p_q_inner_data*` object (`data`), at most 144.
    pub data_len: usize,
}

impl Opened {
    /// The object (`data`).
    pub fn data(&self) -> &[u8] {
        self.data_with_padding
            .get(..self.data_len)
            .unwrap_or_default()
    }
}

/// Decrypt `encrypted_data` with `key` and read the object at the front. The checks, first
/// failing first: the three of [`RsaPrivateKey::rsa_pad_decrypt`] (256 bytes, `< n`, the hash),
/// then the constructor (one of the four `p_q_inner_data*`, else `UnexpectedConstructor`), the
/// fields (a string running past the 192 bytes is a codec error), and the object's end: more
/// than 144 bytes is `RsaDataTooLong` (RSA_PAD carries at most 144 bytes of data).
pub fn open(key: &RsaPrivateKey, encrypted_data: &[u8]) -> Result<Opened, HandshakeError> {
    // Mutant: the object is parsed before the hash is compared (the old encoding's order): a
    // block whose hash is wrong is refused for its parse error instead.
    if mutant!(RsaHashAfterParse) {
        let (dwp, ok) = key.rsa_pad_unwrap(encrypted_data)?;
        let data_len = object_len(&dwp)?;
        if !ok {
            return Err(RsaError::HashMismatch.into());
        }
        return Ok(Opened {
            data_with_padding: dwp,
            data_len,
        });
    }
    let dwp = key.rsa_pad_decrypt(encrypted_data)?;
    let data_len = object_len(&dwp)?;
    Ok(Opened {
        data_with_padding: dwp,
        data_len,
    })
}

/// The length of the `p_q_inner_data*` object at the front of `data_with_padding`.
fn object_len(dwp: &[u8; PADDED_LEN]) -> Result<usize, HandshakeError> {
    let mut r = Reader::new(dwp);
    let ctor = r.u32()?;
    let (has_dc, has_expires) = match ctor {
        P_Q_INNER_DATA => (false, false),
        P_Q_INNER_DATA_TEMP => (false, true),
        id::P_Q_INNER_DATA_DC => (true, false),
        id::P_Q_INNER_DATA_TEMP_DC => (true, true),
        other => return Err(HandshakeError::UnexpectedConstructor { id: other }),
    };
    r.tl_bytes()?;
    r.tl_bytes()?;
    r.tl_bytes()?;
    r.int128()?;
    r.int128()?;
    r.int256()?;
    if has_dc {
        r.int()?;
    }
    if has_expires {
        r.int()?;
    }
    let len = PADDED_LEN.saturating_sub(r.left());
    if len > MAX_DATA_LEN {
        return Err(RsaError::DataTooLong { len }.into());
    }
    Ok(len)
}
