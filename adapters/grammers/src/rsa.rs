//! `rsa.padEncrypt` through `grammers_crypto::rsa::encrypt_hashed(data, key, random_bytes)`, the
//! function grammers' authenticator calls: `random_bytes` is the padding (its first
//! `192 - len(data)` bytes) and, at bytes 192..224, the first temp key.
//!
//! On `key_aes_encrypted >= n` grammers does not draw a new random temp key: it adds one to the
//! previous one (`increment`). The vector lists the keys a client draws, so a case is reachable
//! only while each retry's key is the previous plus one. Which key grammers ended with is not
//! returned; the adapter observes it: `encrypt_hashed` from `k` and from `k + 1` give the same
//! block exactly when `k` needed a retry. A retry onto a key that is not the vector's next one
//! is `unsupported`. More than 144 bytes of data fail grammers' `assert!(data.len() <= 144)`:
//! that refusal is `RsaDataTooLong`. No `rsa.fingerprint` (grammers keeps its two fingerprints
//! in a private `match`) and no `rsa.padDecrypt` (no server side).

use std::panic::{self, AssertUnwindSafe};

use grammers_crypto::rsa::{Key, encrypt_hashed};
use num_bigint::BigUint;
use serde_json::Value;

use crate::proto::{Answer, OpResult, Req, hex, hx, ok};

fn plus_one(k: &[u8; 32]) -> [u8; 32] {
    let mut out = *k;
    for b in out.iter_mut().rev() {
        let (v, carry) = b.overflowing_add(1);
        *b = v;
        if !carry {
            break;
        }
    }
    out
}

/// `rsa.padEncrypt`.
pub fn pad_encrypt(req: &Req) -> OpResult {
    let n = BigUint::from_bytes_be(&hex(req, "n")?).to_str_radix(10);
    let e = BigUint::from_bytes_be(&hex(req, "e")?).to_str_radix(10);
    let key = Key::new(&n, &e).ok_or("fields `n`, `e`: grammers refused the key")?;
    let data = hex(req, "data")?;
    let padding = hex(req, "padding")?;
    let mut temp_keys = Vec::new();
    for (i, v) in req
        .get("tempKeys")
        .and_then(Value::as_array)
        .ok_or("field `tempKeys`: expected a list")?
        .iter()
        .enumerate()
    {
        let k = v
            .as_str()
            .and_then(|s| ::hex::decode(s).ok())
            .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok())
            .ok_or_else(|| format!("field `tempKeys[{i}]`: expected 32 bytes of hex"))?;
        temp_keys.push(k);
    }
    if data.len().saturating_add(padding.len()) != 192 {
        return Err("fields `data`, `padding`: not 192 bytes together".into());
    }
    let run = |temp_key: &[u8; 32]| {
        let mut random = [0u8; 224];
        random[..padding.len()].copy_from_slice(&padding);
        random[192..].copy_from_slice(temp_key);
        panic::catch_unwind(AssertUnwindSafe(|| encrypt_hashed(&data, &key, &random)))
    };
    let Some(first) = temp_keys.first() else {
        return Err("field `tempKeys`: empty".into());
    };
    if data.len() > 144 {
        return Ok(match run(first) {
            Err(_) => Answer::Rejected(
                "RsaDataTooLong",
                "grammers: assertion failed: data.len() <= 144".into(),
            ),
            Ok(_) => Answer::Internal("grammers encrypted more than 144 bytes".into()),
        });
    }
    for (i, k) in temp_keys.iter().enumerate() {
        let block = run(k).map_err(|_| "grammers panicked".to_owned())?;
        let next = run(&plus_one(k)).map_err(|_| "grammers panicked".to_owned())?;
        if block != next {
            // `k` gave key_aes_encrypted < n: grammers used it.
            return Ok(ok([
                ("encryptedData", hx(&block)),
                ("tempKeyIndex", i.into()),
            ]));
        }
        // `k` needed a retry: grammers goes on with k + 1.
        if temp_keys.get(i + 1) != Some(&plus_one(k)) {
            return Ok(Answer::Unsupported);
        }
    }
    Ok(Answer::Unsupported)
}
