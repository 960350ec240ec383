//! The `rsa` suites break what their flags say and nothing else: checked against the reference's
//! public API, independently of the runner.

use std::fs;
use std::path::{Path, PathBuf};

use mtproto::crypto::rsa_pad::{RsaPrivateKey, RsaPublicKey, fingerprint_of};
use mtproto::handshake::inner_data;
use serde_json::Value;

fn load(name: &str) -> Value {
    let p: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../vectors/rsa")
        .join(name);
    serde_json::from_str(&fs::read_to_string(p).unwrap()).unwrap()
}

fn hx(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().unwrap()).unwrap()
}

fn cases<'a>(v: &'a Value, flag: &str) -> Vec<(&'a Value, &'a Value)> {
    let mut out = Vec::new();
    for g in v["testGroups"].as_array().unwrap() {
        for t in g["tests"].as_array().unwrap() {
            if t["flags"].as_array().unwrap().iter().any(|f| f == flag) {
                out.push((g, t));
            }
        }
    }
    assert!(!out.is_empty(), "no {flag} case");
    out
}

fn private(g: &Value) -> RsaPrivateKey {
    RsaPrivateKey::from_n_e_d(&hx(&g["n"]), &hx(&g["e"]), &hx(&g["d"])).unwrap()
}

/// `a - b` on 256-byte big-endian numbers.
fn sub(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; 256];
    let mut borrow = 0i16;
    for ((o, x), y) in out.iter_mut().zip(a).zip(b).rev() {
        let mut v = i16::from(*x) - i16::from(*y) - borrow;
        borrow = i16::from(v < 0);
        if v < 0 {
            v += 256;
        }
        *o = u8::try_from(v).unwrap();
    }
    out
}

#[test]
fn a_non_minimal_encoding_is_the_only_difference_from_its_published_key() {
    let v = load("rsa_fingerprint_test.json");
    for (_, t) in cases(&v, "NonMinimalEncoding") {
        let (n, e) = (hx(&t["n"]), hx(&t["e"]));
        assert!(n.first() == Some(&0) || e.first() == Some(&0), "{t}");
        // Hashing the bytes as given gives another fingerprint: the case tells the two apart.
        let mut raw = Vec::new();
        mtproto::codec::put_tl_bytes(&mut raw, &n).unwrap();
        mtproto::codec::put_tl_bytes(&mut raw, &e).unwrap();
        use sha1::Digest;
        let d = sha1::Sha1::digest(&raw);
        assert_ne!(&d[12..20], hx(&t["fingerprint"]).as_slice(), "{t}");
        assert_eq!(fingerprint_of(&n, &e).to_vec(), hx(&t["fingerprint"]));
    }
}

#[test]
fn a_retry_case_needs_its_retry() {
    let v = load("rsa_pad_encrypt_test.json");
    for (g, t) in cases(&v, "TempKeyRetry") {
        let key = RsaPublicKey::from_n_e(&hx(&g["n"]), &hx(&g["e"])).unwrap();
        let keys: Vec<[u8; 32]> = t["tempKeys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| hx(k).try_into().unwrap())
            .collect();
        let index = t["tempKeyIndex"].as_u64().unwrap() as usize;
        assert!(index >= 1, "{t}");
        // Only the case's own key succeeds alone; each earlier one is >= n.
        let (data, padding) = (hx(&t["data"]), hx(&t["padding"]));
        for (i, k) in keys.iter().enumerate().take(index + 1) {
            let alone = mtproto::crypto::rsa_pad::rsa_pad_encrypt(&key, &data, &padding, &[*k]);
            assert_eq!(alone.is_ok(), i == index, "{t} key {i}");
        }
    }
}

#[test]
fn each_decrypt_case_breaks_only_its_check() {
    let v = load("rsa_pad_decrypt_test.json");
    // A block plus n: minus n it opens.
    for (g, t) in cases(&v, "CiphertextAboveN") {
        let c = sub(&hx(&t["encryptedData"]), &hx(&g["n"]));
        inner_data::open(&private(g), &c).unwrap();
    }
    // 257 bytes with a leading zero: the 256-byte number opens.
    for (g, t) in cases(&v, "CiphertextLength") {
        let c = hx(&t["encryptedData"]);
        if c.len() == 257 {
            assert_eq!(c[0], 0);
            inner_data::open(&private(g), &c[1..]).unwrap();
        }
    }
    // The hash cases fail at the hash, the constructor cases after it.
    for flag in ["PadHashMismatch", "HashBeforeParse", "SkippedRetry"] {
        for (g, t) in cases(&v, flag) {
            let e = private(g)
                .rsa_pad_decrypt(&hx(&t["encryptedData"]))
                .unwrap_err();
            assert_eq!(
                mtproto::ProtocolError::name(&e),
                "RsaPadHashMismatch",
                "{t}"
            );
        }
    }
    for (g, t) in cases(&v, "UnknownInnerConstructor") {
        let dwp = private(g)
            .rsa_pad_decrypt(&hx(&t["encryptedData"]))
            .unwrap();
        assert!(!dwp.is_empty());
    }
}
