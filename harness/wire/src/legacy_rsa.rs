//! The pre-RSA_PAD encoding of `req_DH_params`, as Telegram's servers still accept it.
//!
//! Before RSA_PAD (auth_key page, step 4), clients sent `encrypted_data = RSA(SHA1(data) ‖ data ‖
//! random padding)` with `data` a `p_q_inner_data` (no `dc`) or `p_q_inner_data_dc`, 255 bytes
//! before the raw RSA. Several maintained libraries (Telethon 1.x, the Pyrogram forks) still do.
//! The reference server only reads RSA_PAD; to test what such a client does *after* the handshake,
//! the wire server reads the old encoding here, checks its SHA1, and re-encodes the same inner
//! data as RSA_PAD for the reference. The transcript says
//! when this happened, so the client's use of the deprecated encoding stays visible.

use crypto_bigint::modular::{FixedMontyForm, FixedMontyParams};
use crypto_bigint::{Odd, U2048};
use mtproto::codec::{Reader, put_int, put_long, put_tl_bytes, put_u32};
use mtproto::crypto::rsa_pad::{RsaPrivateKey, rsa_pad_encrypt};
use mtproto::handshake::id;
use sha1::{Digest, Sha1};

use crate::error::{Result, WireError};
use crate::rng::Rng;

/// `p_q_inner_data#83c95aec pq:string p:string q:string nonce:int128 server_nonce:int128
/// new_nonce:int256 = P_Q_inner_data` (the pre-2021 inner data, without `dc`).
pub const P_Q_INNER_DATA: u32 = 0x83c9_5aec;

/// What [`translate_req_dh`] found.
#[derive(Debug)]
pub struct Translated {
    /// `req_DH_params` with `encrypted_data` re-encoded as RSA_PAD of `p_q_inner_data_dc`.
    pub body: Vec<u8>,
    /// A transcript note naming the old encoding and the inner constructor the client used.
    pub note: String,
}

fn bad(e: impl std::fmt::Display) -> WireError {
    WireError::protocol("req_DH_params (pre-RSA_PAD encoding)", e)
}

/// If `body` (a `req_DH_params`) carries the pre-RSA_PAD encoding under one of `keys`, the same
/// request re-encoded as RSA_PAD of `p_q_inner_data_dc` (dc 0 when the client's constructor had
/// none: the reference server does not judge dc); `Ok(None)` when it is not that encoding
/// (RSA_PAD, or anything the reference should judge itself).
pub fn translate_req_dh(
    body: &[u8],
    keys: &[RsaPrivateKey],
    rng: &mut Rng,
) -> Result<Option<Translated>> {
    let mut r = Reader::new(body);
    let (Ok(ctor), Ok(nonce), Ok(server_nonce), Ok(p), Ok(q), Ok(fp), Ok(enc)) = (
        r.u32(),
        r.int128(),
        r.int128(),
        r.tl_bytes(),
        r.tl_bytes(),
        r.long(),
        r.tl_bytes(),
    ) else {
        return Ok(None);
    };
    if ctor != id::REQ_DH_PARAMS || enc.len() != 256 {
        return Ok(None);
    }
    let Some(key) = keys.iter().find(|k| k.public().fingerprint() == fp) else {
        return Ok(None);
    };
    if key.rsa_pad_decrypt(enc).is_ok() {
        return Ok(None);
    }
    let m = raw_decrypt(key, enc)?;
    // 0x00 ‖ SHA1(data) (20) ‖ data ‖ padding, 256 bytes in all.
    let (Some(0), Some(sha), Some(rest)) = (m.first(), m.get(1..21), m.get(21..)) else {
        return Ok(None);
    };
    let mut ir = Reader::new(rest);
    let Ok(inner_ctor) = ir.u32() else {
        return Ok(None);
    };
    if inner_ctor != P_Q_INNER_DATA && inner_ctor != id::P_Q_INNER_DATA_DC {
        return Ok(None);
    }
    let fields = (|| {
        let pq = ir.tl_bytes()?.to_vec();
        let ip = ir.tl_bytes()?.to_vec();
        let iq = ir.tl_bytes()?.to_vec();
        let n = ir.int128()?;
        let sn = ir.int128()?;
        let nn = ir.int256()?;
        let inner_dc = if inner_ctor == id::P_Q_INNER_DATA_DC {
            Some(ir.int()?)
        } else {
            None
        };
        Ok::<_, mtproto::error::CodecError>((pq, ip, iq, n, sn, nn, inner_dc))
    })();
    let Ok((pq, ip, iq, n, sn, nn, inner_dc)) = fields else {
        return Ok(None);
    };
    let data_len = ir.offset();
    let data = rest
        .get(..data_len)
        .ok_or_else(|| bad("inner data length"))?;
    if Sha1::digest(data).as_slice() != sha {
        return Ok(None);
    }
    let mut inner = Vec::with_capacity(data_len + 4);
    put_u32(&mut inner, id::P_Q_INNER_DATA_DC);
    put_tl_bytes(&mut inner, &pq).map_err(bad)?;
    put_tl_bytes(&mut inner, &ip).map_err(bad)?;
    put_tl_bytes(&mut inner, &iq).map_err(bad)?;
    inner.extend_from_slice(&n);
    inner.extend_from_slice(&sn);
    inner.extend_from_slice(&nn);
    put_int(&mut inner, inner_dc.unwrap_or(0));
    let padding = rng.vec(192usize.saturating_sub(inner.len()));
    let temp_keys: Vec<[u8; 32]> = (0..16).map(|_| rng.bytes()).collect();
    let (encrypted, _) =
        rsa_pad_encrypt(key.public(), &inner, &padding, &temp_keys).map_err(bad)?;
    let mut out = Vec::with_capacity(body.len());
    put_u32(&mut out, id::REQ_DH_PARAMS);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&server_nonce);
    put_tl_bytes(&mut out, p).map_err(bad)?;
    put_tl_bytes(&mut out, q).map_err(bad)?;
    put_long(&mut out, fp);
    put_tl_bytes(&mut out, &encrypted).map_err(bad)?;
    let what = if inner_ctor == P_Q_INNER_DATA {
        "p_q_inner_data (no dc)"
    } else {
        "p_q_inner_data_dc"
    };
    Ok(Some(Translated {
        body: out,
        note: format!(
            "the client used the pre-RSA_PAD encoding RSA(SHA1(data) ‖ data ‖ padding) of {what}, deprecated by the auth_key page's RSA_PAD; read as Telegram's servers still do"
        ),
    }))
}

/// `c^d mod n`, 256 big-endian bytes (variable time: the key is the committed test key).
fn raw_decrypt(key: &RsaPrivateKey, c: &[u8]) -> Result<[u8; 256]> {
    let n = U2048::from_be_slice(key.public().n());
    let c = U2048::from_be_slice(c);
    let d = U2048::from_be_slice(key.d_bytes().as_ref());
    let odd = Odd::new(n)
        .into_option()
        .ok_or_else(|| bad("even modulus"))?;
    let params = FixedMontyParams::new_vartime(odd);
    let m = FixedMontyForm::new(&c, &params).pow_vartime(&d).retrieve();
    let mut out = [0u8; 256];
    for (i, limb) in m.as_limbs().iter().rev().enumerate() {
        let b = limb.0.to_be_bytes();
        let at = i * b.len();
        if let Some(dst) = out.get_mut(at..at + b.len()) {
            dst.copy_from_slice(&b);
        }
    }
    Ok(out)
}
