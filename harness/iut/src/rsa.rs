//! The RSA ops of the reference IUT (spec §4.1: the key fingerprint and RSA_PAD).
//!
//! | op | request | answer (`ok`) | rejects with |
//! |---|---|---|---|
//! | `rsa.fingerprint` | `n`, `e` (big-endian, leading zero bytes allowed) | `fingerprint` (the 8 wire bytes of the TL `long`) | — |
//! | `rsa.padEncrypt` | `n`, `e`, `data`, `padding`, `tempKeys` (a list of 32-byte keys) | `encryptedData` (256 B), `tempKeyIndex` | `RsaDataTooLong` |
//! | `rsa.padDecrypt` | `n`, `e`, `d`, `encryptedData` | `dataWithPadding` (192 B), `data` | `RsaCiphertextWrongSize`, `RsaCiphertextOutOfRange`, `RsaPadHashMismatch`, then `UnexpectedConstructor`, `RsaDataTooLong` |
//!
//! A key the reference cannot use (not a 2048-bit modulus, an even exponent) is a request error,
//! not a rejection: the vectors only carry usable keys for RSA_PAD.

use mtproto::ProtocolError;
use mtproto::crypto::rsa_pad::{self, RsaPrivateKey, RsaPublicKey};
use mtproto::handshake::inner_data;
use serde_json::Value;

use crate::{Answer, Fields, fields};

/// `rsa.fingerprint`.
pub const RSA_FINGERPRINT: &str = "rsa.fingerprint";
/// `rsa.padEncrypt`.
pub const RSA_PAD_ENCRYPT: &str = "rsa.padEncrypt";
/// `rsa.padDecrypt`.
pub const RSA_PAD_DECRYPT: &str = "rsa.padDecrypt";
/// This module's ops.
pub const OPS: &[&str] = &[RSA_FINGERPRINT, RSA_PAD_ENCRYPT, RSA_PAD_DECRYPT];

/// Run `op` if it is one of [`OPS`].
pub fn call(op: &str, request: &Fields) -> Option<Result<Answer, String>> {
    Some(match op {
        RSA_FINGERPRINT => fingerprint(request),
        RSA_PAD_ENCRYPT => pad_encrypt(request),
        RSA_PAD_DECRYPT => pad_decrypt(request),
        _ => return None,
    })
}

/// `rsa.fingerprint`.
pub fn fingerprint(request: &Fields) -> Result<Answer, String> {
    let n = fields::hex(request, "n")?;
    let e = fields::hex(request, "e")?;
    let mut f = Fields::new();
    fields::put_hex(&mut f, "fingerprint", &rsa_pad::fingerprint_of(&n, &e));
    Ok(Answer::Ok(f))
}

fn public_key(request: &Fields) -> Result<RsaPublicKey, String> {
    let n = fields::hex(request, "n")?;
    let e = fields::hex(request, "e")?;
    RsaPublicKey::from_n_e(&n, &e).map_err(|err| format!("fields `n`, `e`: {err}"))
}

/// `rsa.padEncrypt`.
pub fn pad_encrypt(request: &Fields) -> Result<Answer, String> {
    let key = public_key(request)?;
    let data = fields::hex(request, "data")?;
    let padding = fields::hex(request, "padding")?;
    let list = fields::get(request, "tempKeys")?
        .as_array()
        .ok_or_else(|| "field `tempKeys`: expected a list".to_owned())?;
    let mut temp_keys = Vec::with_capacity(list.len());
    for (i, v) in list.iter().enumerate() {
        let bytes = v
            .as_str()
            .and_then(|s| hex::decode(s).ok())
            .ok_or_else(|| format!("field `tempKeys[{i}]`: expected hex"))?;
        let k: [u8; 32] = bytes
            .try_into()
            .map_err(|_| format!("field `tempKeys[{i}]`: expected 32 bytes"))?;
        temp_keys.push(k);
    }
    Ok(
        match rsa_pad::rsa_pad_encrypt(&key, &data, &padding, &temp_keys) {
            Ok((encrypted, index)) => {
                let mut f = Fields::new();
                fields::put_hex(&mut f, "encryptedData", &encrypted);
                f.insert("tempKeyIndex".into(), Value::from(index));
                Answer::Ok(f)
            }
            Err(err) => Answer::rejected(&err as &dyn ProtocolError),
        },
    )
}

/// `rsa.padDecrypt`.
pub fn pad_decrypt(request: &Fields) -> Result<Answer, String> {
    let n = fields::hex(request, "n")?;
    let e = fields::hex(request, "e")?;
    let d = fields::hex(request, "d")?;
    let key = RsaPrivateKey::from_n_e_d(&n, &e, &d)
        .map_err(|err| format!("fields `n`, `e`, `d`: {err}"))?;
    let encrypted = fields::hex(request, "encryptedData")?;
    Ok(match inner_data::open(&key, &encrypted) {
        Ok(opened) => {
            let mut f = Fields::new();
            fields::put_hex(&mut f, "dataWithPadding", opened.data_with_padding.as_ref());
            fields::put_hex(&mut f, "data", opened.data());
            Answer::Ok(f)
        }
        Err(err) => Answer::rejected(&err),
    })
}
